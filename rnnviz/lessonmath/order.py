"""Lesson 1: what a bag of words and an RNN make of a sentence, computed from the core.

* :func:`lesson_vocabulary`, :func:`parse_sentence` -- the words of the word-order task, and a typed sentence
  checked against them (length, unknown words).
* :func:`bag_of_words` -- the count vector c (V,), c_v = how often word v occurs; :func:`hidden_states` -- the
  RNN's h_1 ... h_T, h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h).
* :func:`compare` -- two sentences side by side (:class:`Comparison`): their counts, their states, whether their
  bags are equal and how far apart their final states are.
* :func:`slot_layout`, :func:`slot_fit` -- what a conventional network with a fixed number of input slots does
  with sentences of other lengths (empty slots, lost words).
* :func:`check_settings`, :func:`make_models`, :func:`train_both` -- a bag-of-words classifier and an RNN trained
  side by side on the same minibatches, held-out accuracy at each evaluation (:class:`Checkpoint`).
* :func:`probabilities`, :func:`shuffled` -- the probe: both models' class probabilities of a sentence, and a
  reordering of its words.

NumPy only: the apps in :mod:`rnnviz.widgets.order` wire controls to these functions and to the views of
:mod:`rnnviz.viz.order`.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import NamedTuple

import numpy as np

from ..core import bow as _bow
from ..core.bow import SequenceClassifier, bow_classifier, rnn_classifier
from ..core.checks import within as _within
from ..core.network import Network
from ..core.optim import Adam
from ..core.train import Trainer, classification_batches
from ..data import UNK, Vocabulary, tokenize_words, word_order

__all__ = [
    "BOW_HIDDEN", "BOW_MODELS", "EXAMPLES", "HIDDEN_RANGE", "LR_RANGE", "MAX_CHARS", "MAX_WORDS", "SEED_RANGE",
    "SLOTS_RANGE", "SLOT_DROPPED", "SLOT_EMPTY", "SLOT_FILLED", "STEPS_RANGE", "TRAIN_SIZE_RANGE", "Checkpoint",
    "Comparison", "Models", "Settings", "SlotFit", "TrainingRun", "accuracy", "bag_of_words", "check_settings", "compare",
    "hidden_states", "lesson_vocabulary", "make_models", "parse_sentence", "probabilities", "same_bag", "shuffled",
    "slot_fit", "slot_layout", "train_both",
]

#: a typed sentence: at most this many words and characters
MAX_WORDS, MAX_CHARS = 30, 300
#: the "input slots" of the fixed-input network
SLOTS_RANGE = (2, 12)
#: the training settings: a value outside these (a browser can send one) is refused with a message
TRAIN_SIZE_RANGE, STEPS_RANGE, HIDDEN_RANGE, LR_RANGE, SEED_RANGE = (100, 4000), (20, 2000), (2, 64), (1e-4, 1e-1), (0, 9999)
#: the bag-of-words models: logistic regression on the counts, or an MLP with BOW_HIDDEN hidden units
BOW_MODELS, BOW_HIDDEN = ("logistic", "MLP"), 16

#: label -> (sentence A, sentence B)
EXAMPLES = {
    "same words, other order": ("the dog bit the man", "the man bit the dog"),
    "different lengths": ("the dog bit the man", "the hungry dog was bitten by the old man"),
    "same meaning, other words": ("the dog bit the man", "the man was bitten by the dog"),
    "an adjective moves": ("the hungry dog bit the man", "the dog bit the hungry man"),
}


# =========================================================================== words
def lesson_vocabulary() -> Vocabulary:
    """The word vocabulary of the word-order task (:func:`rnnviz.data.word_order`; the same for every call)."""
    return word_order(2, rng=np.random.default_rng(0)).vocab


def parse_sentence(text: object, vocab: Vocabulary, *, name: str = "sentence") -> list[str]:
    """The words of ``text``, checked: not empty, not too long, every word in ``vocab``.

    Punctuation is dropped ("the dog bit the man." is fine). Raises ValueError naming the unknown word(s), or
    saying what is too long or empty; TypeError for something that is not text.
    """
    if not isinstance(text, str):
        raise TypeError(f"{name}: expected text, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ValueError(f"{name}: too long ({len(text)} characters); type one sentence of at most {MAX_WORDS} words "
                         f"({MAX_CHARS} characters).")
    words = [t for t in tokenize_words(text) if t[0].isalnum()]
    if not words:
        raise ValueError(f"{name}: is empty; type a sentence such as 'the dog bit the man'.")
    if len(words) > MAX_WORDS:
        raise ValueError(f"{name}: {len(words)} words is too long for this lesson; use at most {MAX_WORDS}.")
    unknown = list(dict.fromkeys(w for w in words if w not in vocab or w == UNK))
    if unknown:
        listed = ", ".join(repr(w) for w in unknown[:6]) + (f" and {len(unknown) - 6} more" if len(unknown) > 6 else "")
        verb = "is" if len(unknown) == 1 else "are"
        raise ValueError(f"{name}: {listed} {verb} not in the lesson's vocabulary of {len(vocab) - 1} words "
                         f"(listed above the boxes); e.g. 'the hungry dog bit the man'.")
    return words


def bag_of_words(words: Sequence[str], vocab: Vocabulary) -> np.ndarray:
    """The count vector c (V,) of a list of words: c_v = how often word v occurs; unknown words count as ``<unk>``."""
    ids = vocab.encode(list(words))
    if ids.size == 0:
        return np.zeros(len(vocab))
    return _bow.bag_of_words(ids[None], vocab_size=len(vocab))[0]


def same_bag(words_a: Sequence[str], words_b: Sequence[str]) -> bool:
    """True when both use the same words the same number of times (one is a reordering of the other)."""
    return sorted(words_a) == sorted(words_b)


def hidden_states(net: Network, params: dict, words: Sequence[str], vocab: Vocabulary) -> np.ndarray:
    """h_t after each word, (T, p), of the network's first layer, from h_0 = 0; the last row is h_T."""
    ids = vocab.encode(list(words))
    return net.forward(params, ids[None]).hidden["layer0.fwd"][0]


# =========================================================================== two sentences
class Comparison(NamedTuple):
    """Two sentences as a bag of words and as an RNN sees them."""

    words_a: list[str]
    words_b: list[str]
    shown: list[str]  # the words of A, then those of B not in A, once each
    counts_a: np.ndarray  # (len(shown),) c_v of A for the shown words
    counts_b: np.ndarray  # (len(shown),)
    states_a: np.ndarray  # (T_A, p) h_1 ... h_T of A
    states_b: np.ndarray  # (T_B, p)
    same_bag: bool  # equal count vectors: every bag-of-words model gives A and B the same answer
    distance: float  # ||h_T(A) - h_T(B)||, Euclidean


def compare(words_a: Sequence[str], words_b: Sequence[str], net: Network, params: dict,
            vocab: Vocabulary) -> Comparison:
    """Sentences A and B: their bags of words and the RNN's states."""
    words_a, words_b = list(words_a), list(words_b)
    c_a, c_b = bag_of_words(words_a, vocab), bag_of_words(words_b, vocab)
    shown = list(dict.fromkeys([*words_a, *words_b]))
    ids = [vocab.id_of(w) for w in shown]
    states_a = hidden_states(net, params, words_a, vocab)
    states_b = hidden_states(net, params, words_b, vocab)
    return Comparison(words_a, words_b, shown, c_a[ids], c_b[ids], states_a, states_b,
                      bool(np.array_equal(c_a, c_b)), float(np.linalg.norm(states_a[-1] - states_b[-1])))


# =========================================================================== a fixed number of inputs
SLOT_EMPTY, SLOT_FILLED, SLOT_DROPPED = 0, 1, 2


def slot_layout(lengths: Sequence[int], slots: int) -> np.ndarray:
    """What a fixed-input network with ``slots`` word inputs does with sentences of these lengths.

    Returns (S, P) with P = max(slots, longest): SLOT_FILLED where a word sits in a slot,
    SLOT_EMPTY where a slot has no word (a missing input), SLOT_DROPPED where a word
    has no slot (it cannot be fed in), NaN where there is neither.
    """
    P = max(int(slots), *map(int, lengths))
    pos = np.arange(P)
    out = np.full((len(lengths), P), np.nan)
    for i, n in enumerate(lengths):
        out[i, (pos < slots) & (pos < n)] = SLOT_FILLED
        out[i, (pos < slots) & (pos >= n)] = SLOT_EMPTY
        out[i, (pos >= slots) & (pos < n)] = SLOT_DROPPED
    return out


class SlotFit(NamedTuple):
    """One sentence in a network with a fixed number of input slots."""

    words: int  # how many words the sentence has
    slots: int
    lost: tuple[str, ...]  # the words past the last slot
    empty: int  # slots left without a word


def slot_fit(words: Sequence[str], slots: int) -> SlotFit:
    """Which words of ``words`` get no slot, and how many slots stay empty."""
    slots = int(slots)
    return SlotFit(len(words), slots, tuple(words[slots:]), max(0, slots - len(words)))


# =========================================================================== training both models
class Settings(NamedTuple):
    """The settings of one training run (checked by :func:`check_settings`)."""

    train_size: int  # training sentences, an even number (mirror pairs)
    steps: int  # optimizer steps per model
    hidden: int  # p, the RNN's hidden units
    lr: float  # Adam's step size
    bow_model: str  # one of BOW_MODELS
    seed: int


def check_settings(*, train_size: object, steps: object, hidden: object, lr: object, bow_model: object,
                   seed: object) -> Settings:
    """The settings, each checked against this lesson's ranges; ValueError naming the setting otherwise.

    ``train_size`` is rounded down to an even number: the sentences come in mirror pairs.
    """
    if bow_model not in BOW_MODELS:
        raise ValueError(f"bag of words: expected one of {', '.join(BOW_MODELS)}, got {bow_model!r}")
    size = int(_within(train_size, TRAIN_SIZE_RANGE, "training sentences", integer=True))
    return Settings(2 * (size // 2), int(_within(steps, STEPS_RANGE, "training steps", integer=True)),
                    int(_within(hidden, HIDDEN_RANGE, "RNN hidden units", integer=True)),
                    _within(lr, LR_RANGE, "learning rate"), str(bow_model),
                    int(_within(seed, SEED_RANGE, "seed", integer=True)))


class Models(NamedTuple):
    """The two classifiers (their ``params`` change as they train)."""

    bow: SequenceClassifier
    rnn: SequenceClassifier


def make_models(vocab_size: int, num_classes: int, settings: Settings) -> Models:
    """Both models with fresh random weights drawn with ``settings.seed``: untrained, at chance."""
    hidden = None if settings.bow_model == "logistic" else BOW_HIDDEN
    return Models(bow_classifier(vocab_size, num_classes, hidden, rng=np.random.default_rng(settings.seed)),
                  rnn_classifier(vocab_size, num_classes, settings.hidden, rng=np.random.default_rng(settings.seed)))


class Checkpoint(NamedTuple):
    """Held-out accuracy of both models after ``step`` optimizer steps each."""

    step: int
    bow: float
    rnn: float


class TrainingRun(NamedTuple):
    """What one training run did."""

    steps: int  # optimizer steps per model
    seconds: float  # wall time of the whole run (both models, evaluations, view updates)
    train_size: int  # training sentences
    bow: float  # final held-out accuracy of the bag of words
    rnn: float  # final held-out accuracy of the RNN
    curves: dict  # "step", "bow", "rnn": held-out accuracy during training


def accuracy(clf: SequenceClassifier, test) -> float:
    """Share of the held-out sentences ``test`` (a :class:`rnnviz.data.WordOrderTask`) ``clf`` classifies right."""
    return clf.accuracy(test.X, test.mask, test.y)


def train_both(models: Models, settings: Settings, test, *, batch_size: int = 32, evaluations: int = 40,
               on_step: Callable[[], None] | None = None) -> Iterator[Checkpoint]:
    """Train both models with Adam on the same minibatches of ``settings.train_size`` word-order sentences.

    Yields the held-out accuracy on ``test`` before training (step 0), then after every chunk of steps, at most
    ``evaluations`` times. ``on_step()`` is called after every optimizer step of either model (a progress bar).
    The models' ``params`` are updated as they train. ValueError if one diverges.
    """
    task = word_order(settings.train_size, rng=np.random.default_rng(settings.seed))
    pairs = {"bow": models.bow, "rnn": models.rnn}
    trainers = {k: Trainer(m.model, m.params, Adam(lr=settings.lr), clip=("norm", 5.0)) for k, m in pairs.items()}
    batches = {k: classification_batches(m.model, task.X, task.y, task.mask, batch_size,
                                         np.random.default_rng(settings.seed + 1)) for k, m in pairs.items()}
    callbacks = [lambda record: on_step()] if on_step is not None else []
    every = -(-settings.steps // max(1, int(evaluations)))
    yield Checkpoint(0, accuracy(models.bow, test), accuracy(models.rnn, test))
    done = 0
    while done < settings.steps:
        k = min(every, settings.steps - done)
        for name, trainer in trainers.items():
            trainer.run(batches[name], k, callbacks=callbacks)
            pairs[name].params = trainer.params
            if trainer.status == "diverged":
                raise ValueError(f"{'RNN' if name == 'rnn' else 'bag of words'}: {trainer.stopped_reason}")
        done += k
        yield Checkpoint(done, accuracy(models.bow, test), accuracy(models.rnn, test))


# =========================================================================== the probe
def probabilities(models: Models, words: Sequence[str], vocab: Vocabulary) -> tuple[np.ndarray, np.ndarray]:
    """(bag-of-words probabilities (K,), RNN probabilities (K,)) of one sentence."""
    ids = vocab.encode(list(words))[None]
    return models.bow.predict_proba(ids)[0], models.rnn.predict_proba(ids)[0]


def shuffled(words: Sequence[str], rng: np.random.Generator) -> list[str]:
    """The same words in another order (never the sentence itself); ValueError if it has one distinct word only."""
    words = list(words)
    if len(set(words)) < 2:
        raise ValueError("probe sentence: needs at least two different words to shuffle")
    while True:
        out = [words[i] for i in rng.permutation(len(words))]
        if out != words:  # a shuffle that changes nothing teaches nothing
            return out
