r"""Synthetic sequence tasks from the long-term-dependency literature, ready for :class:`rnnviz.Network`.

Every generator takes the number of sequences ``n``, the lengths, and an
``rng: np.random.Generator`` (keyword), and is deterministic given the generator's
state: ``task(1000, rng=np.random.default_rng(0))`` is the same data every time.
Letters as elsewhere in rnnviz: N sequences, T time-stamps, D input size.

================================  ===========================================================
generator                         what must be remembered
================================  ===========================================================
:func:`word_order`                who did what to whom: same words, different order
:func:`adding_problem`            two real values marked somewhere in a long sequence
:func:`temporal_order`            the order of two symbols X/Y among distractors
:func:`latch_problem`             one bit given at the start, followed by noise
:func:`echo_task`                 the input of ``lag`` steps ago
:func:`mackey_glass`              (a chaotic series for echo-state networks)
================================  ===========================================================

**Sequences of different lengths** (word order, adding, temporal order) are padded
to the longest, T = ``lengths.max()``. ``mask`` (N, T) is False on the padding, which
the network then ignores as input (``input_mask=mask``). Where one answer belongs to
the whole sequence, it is given twice:

* ``y``: one per sequence, (N,) class ids or (N, 1) values;
* ``targets`` (N, T[, 1]) with that answer at each sequence's last step, and
  ``target_mask`` (N, T) True there only. This is exact for any length:
  ``net.evaluate(params, X, targets, target_mask=target_mask, input_mask=mask)``.

With ``pad="left"`` the padding goes first, so every sequence ends at step T - 1 and
``outputs="last"`` with ``y`` reads each sequence's final state (the state has then
run through the padding first, with zero input).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..core.checks import as_float_array, check_choice, check_positive
from .vocab import Vocabulary

__all__ = [
    "AddingTask",
    "EchoTask",
    "LatchTask",
    "SeriesTask",
    "TEMPORAL_CLASSES",
    "TEMPORAL_SYMBOLS",
    "TemporalOrderTask",
    "WORD_ORDER_CLASSES",
    "WordOrderTask",
    "adding_accuracy",
    "adding_problem",
    "echo_task",
    "latch_problem",
    "mackey_glass",
    "next_step_pairs",
    "temporal_order",
    "word_order",
]

PADS = ("right", "left")


# =========================================================================== argument checks
def _check_rng(rng: object) -> np.random.Generator:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(
            f"rng: expected a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}"
        )
    return rng


def _count(name: str, value: object, minimum: int = 1) -> int:
    """A whole number >= minimum (bools refused)."""
    v = int(check_positive(name, value, integer=True, allow_zero=minimum <= 0))
    if v < minimum:
        raise ValueError(f"{name}: must be >= {minimum}, got {v}")
    return v


def _span(name: str, value: object, minimum: int) -> tuple[int, int]:
    """An int or an inclusive (low, high) pair of ints, low >= minimum."""
    if isinstance(value, (tuple, list)) and len(value) == 2:
        lo, hi = (_count(name, v, minimum) for v in value)
        if lo > hi:
            raise ValueError(f"{name}: expected (low, high) with low <= high, got {tuple(value)}")
        return lo, hi
    if isinstance(value, (tuple, list)):
        raise ValueError(f"{name}: expected an int or a (low, high) pair, got {value!r}")
    v = _count(name, value, minimum)
    return v, v


# =========================================================================== padding
def _layout(lengths: np.ndarray, T: int, pad: str) -> tuple[np.ndarray, np.ndarray]:
    """(offset (N,), mask (N, T)): sequence n occupies steps offset[n] ... offset[n] + lengths[n] - 1."""
    offset = np.zeros_like(lengths) if pad == "right" else T - lengths
    t = np.arange(T)
    mask = (t >= offset[:, None]) & (t < (offset + lengths)[:, None])
    return offset, mask


def _shift(a: np.ndarray, offset: np.ndarray) -> np.ndarray:
    """Move each right-padded row n of ``a`` (N, T, ...) right by offset[n] (the padding wraps to the front)."""
    if not offset.any():
        return a
    T = a.shape[1]
    idx = (np.arange(T) - offset[:, None]) % T  # (N, T)
    idx = idx.reshape(idx.shape + (1,) * (a.ndim - 2))
    return np.take_along_axis(a, np.broadcast_to(idx, a.shape), axis=1)


def _at_last_step(values: np.ndarray, lengths: np.ndarray, offset: np.ndarray, T: int) -> tuple[np.ndarray, np.ndarray]:
    """(targets, target_mask): ``values`` (N, ...) put at each sequence's last step of (N, T, ...)."""
    N = len(lengths)
    last = offset + lengths - 1
    targets = np.zeros((N, T) + values.shape[1:], dtype=values.dtype)
    targets[np.arange(N), last] = values
    target_mask = np.zeros((N, T), dtype=bool)
    target_mask[np.arange(N), last] = True
    return targets, target_mask


# =========================================================================== word order
PERSONS = ("man", "woman", "boy", "girl", "farmer", "baker", "teacher", "sailor")
ANIMALS = ("dog", "cat", "horse", "goose", "fox", "bear", "mouse", "snake")
ADJECTIVES = ("big", "small", "old", "young", "angry", "sleepy", "hungry", "clever")
# (simple past, past participle): "the dog bit the man" / "the man was bitten by the dog"
VERBS = (
    ("chased", "chased"), ("bit", "bitten"), ("saw", "seen"), ("fed", "fed"), ("followed", "followed"),
    ("scared", "scared"), ("found", "found"), ("watched", "watched"), ("kicked", "kicked"), ("ignored", "ignored"),
)
WORD_ORDER_CLASSES = ("animal acts on person", "person acts on animal")


class WordOrderTask(NamedTuple):
    X: np.ndarray  # (N, T) word ids, padded with vocab.unknown_id
    y: np.ndarray  # (N,) class: 1 if a person does something to an animal, 0 if the other way round
    mask: np.ndarray  # (N, T) True where a word is present
    lengths: np.ndarray  # (N,) words per sentence
    targets: np.ndarray  # (N, T) y at each sentence's last word, 0 elsewhere
    target_mask: np.ndarray  # (N, T) True at each sentence's last word
    vocab: Vocabulary  # the word vocabulary (the same for every call)
    sentences: list  # the N sentences as text
    class_names: tuple  # WORD_ORDER_CLASSES


def _word_order_vocab() -> Vocabulary:
    verbs = [form for pair in VERBS for form in pair]
    return Vocabulary(dict.fromkeys(["the", "was", "by", *ADJECTIVES, *PERSONS, *ANIMALS, *verbs]), level="word")


def word_order(
    n: int, *, rng: np.random.Generator, adjective_prob: float = 0.5, passive_prob: float = 0.5,
    paired: bool = True, pad: str = "right",
) -> WordOrderTask:
    """Who did what to whom: two classes with the same words in different orders.

    Each sentence has one person (man, girl, ...), one animal (dog, goose, ...) and
    a verb, in the active or the passive voice, each noun with an adjective with
    probability ``adjective_prob``::

        the hungry dog bit the man            -> 0  animal acts on person
        the man bit the hungry dog            -> 1  person acts on animal
        the man was bitten by the hungry dog  -> 0
        the hungry dog was bitten by the man  -> 1

    The class is who acts (the agent). It is decided by the order of the words
    *and* the voice: in the active voice the agent comes first, in the passive it
    comes after "by".

    **Why a bag of words is at chance.** The two sentences of each row above use
    the same words the same number of times; only the order differs. The generator
    draws person, animal, verb, voice and adjectives independently of the class, and
    the class only decides which noun phrase goes where, so the word counts have the
    same distribution in both classes: any model that sees only word counts (a
    bag-of-words classifier, or one that sums or averages word embeddings) cannot do better
    than 50% on average, while a recurrent network that reads the order can reach
    100%. With ``paired=True`` (default) the sentences come in such pairs: both
    orders of each drawn sentence, shuffled, so for *every* example the data hold one
    of the other class with exactly the same word counts (``n`` must then be even).

    Returns a :class:`WordOrderTask`; the vocabulary (``task.vocab``, word level) is
    fixed, the same for every call. Sentences have 5 to 9 words.
    """
    n = _count("n", n)
    rng = _check_rng(rng)
    check_choice("pad", pad, PADS)
    if not isinstance(paired, (bool, np.bool_)):
        raise TypeError(f"paired: expected True or False, got {paired!r}")
    for name, p in (("adjective_prob", adjective_prob), ("passive_prob", passive_prob)):
        p = check_positive(name, p, allow_zero=True)
        if p > 1:
            raise ValueError(f"{name}: a probability must lie in [0, 1], got {p}")
    if paired and n % 2:
        raise ValueError(f"n: must be even with paired=True (each sentence comes with its mirror image), got {n}")
    vocab = _word_order_vocab()
    m = n // 2 if paired else n  # independent draws
    person = rng.integers(0, len(PERSONS), m)
    animal = rng.integers(0, len(ANIMALS), m)
    verb = rng.integers(0, len(VERBS), m)
    passive = rng.random(m) < passive_prob
    adj_p = np.where(rng.random(m) < adjective_prob, rng.integers(0, len(ADJECTIVES), m), -1)
    adj_a = np.where(rng.random(m) < adjective_prob, rng.integers(0, len(ADJECTIVES), m), -1)
    if paired:
        labels = np.concatenate([np.zeros(m, np.int64), np.ones(m, np.int64)])
        draws = np.concatenate([np.arange(m), np.arange(m)])
        order = rng.permutation(n)
        labels, draws = labels[order], draws[order]
    else:
        labels = rng.integers(0, 2, m).astype(np.int64)
        draws = np.arange(m)

    def phrase(noun: str, adj: int) -> list[str]:
        return ["the", noun] if adj < 0 else ["the", ADJECTIVES[adj], noun]

    sentences, token_lists = [], []
    for label, d in zip(labels.tolist(), draws.tolist()):
        p_np = phrase(PERSONS[person[d]], int(adj_p[d]))
        a_np = phrase(ANIMALS[animal[d]], int(adj_a[d]))
        agent, patient = (p_np, a_np) if label == 1 else (a_np, p_np)
        past, participle = VERBS[verb[d]]
        if passive[d]:
            words = patient + ["was", participle, "by"] + agent
        else:
            words = agent + [past] + patient
        token_lists.append(words)
        sentences.append(" ".join(words))
    lengths = np.array([len(w) for w in token_lists], dtype=np.int64)
    T = int(lengths.max())
    index = {token: i for i, token in enumerate(vocab.tokens)}
    pad_id = [vocab.unknown_id] * T
    X = np.array([[index[w] for w in words] + pad_id[len(words):] for words in token_lists], dtype=np.int64)
    offset, mask = _layout(lengths, T, pad)
    X = _shift(X, offset)
    targets, target_mask = _at_last_step(labels, lengths, offset, T)
    return WordOrderTask(X, labels, mask, lengths, targets, target_mask, vocab, sentences, WORD_ORDER_CLASSES)


# =========================================================================== adding problem
class AddingTask(NamedTuple):
    X: np.ndarray  # (N, T, 2) pairs (value, marker)
    y: np.ndarray  # (N, 1) target 0.5 + (X1 + X2) / 4
    mask: np.ndarray  # (N, T) True where the sequence is present
    lengths: np.ndarray  # (N,)
    targets: np.ndarray  # (N, T, 1) y at each sequence's last step, 0 elsewhere
    target_mask: np.ndarray  # (N, T) True at each sequence's last step
    positions: np.ndarray  # (N, 2) steps of the two pairs marked 1.0 (first, second)


def adding_problem(
    n: int, length: int = 100, *, rng: np.random.Generator, vary_length: bool = True, end_markers: bool = True,
    first_window: int = 10, pad: str = "right",
) -> AddingTask:
    """The adding problem of Hochreiter & Schmidhuber (1997), Experiment 4 (section 5.4).

    Each step holds a pair (value, marker): the value is drawn from U[-1, 1], the
    marker is 1.0, 0.0 or -1.0. Exactly two pairs are marked 1.0: first one of the
    first ten pairs (its value is X1), then one of the first T/2 - 1 still unmarked
    pairs (X2). The markers of all other pairs are 0, except for the first and the
    final pair, whose markers are -1; when the first pair is itself marked, its
    value is set to 0. At the sequence's end the target is

        y = 0.5 + (X1 + X2) / 4      (the sum scaled to [0, 1]),

    and a sequence counts as processed correctly if the absolute error there is
    below 0.04 (:func:`adding_accuracy`). Sequence lengths are random integers
    between T = ``length`` and T + T/10 (``vary_length=False``: all exactly T).

    How we read the paper, and the switches for later conventions:

    * "one of the first T/2 - 1 still unmarked pairs": the first T/2 pairs minus
      the one already marked (the first marker always lies among them), drawn
      uniformly, so the second marker is in the first half of the sequence. T is
      the minimal length ``length``; T/2 is ``length // 2``.
    * "X1 is set to zero" when the first pair is marked: here whichever marked
      value sits at step 0 is set to zero (under our reading the second marker can
      land there too). Only with ``end_markers=True``.
    * ``end_markers=False`` leaves out the -1 markers (and that zeroing), as many
      later papers do; ``first_window`` (10 in the paper) moves the first marker's
      window, e.g. for short classroom sequences; it must fit in the first half.

    Predicting the constant 0.5 has mean squared error E[(X1 + X2)^2] / 16 = 1/24
    (about 0.042) when neither marked value is zeroed: the score to beat.

    Returns an :class:`AddingTask`: X (N, T, 2), y (N, 1), and the padding fields
    described in the module docstring.
    """
    n = _count("n", n)
    rng = _check_rng(rng)
    check_choice("pad", pad, PADS)
    length = _count("length", length)
    first_window = _count("first_window", first_window)
    half = length // 2
    if half < max(first_window, 2):
        need = 2 * max(first_window, 2)
        raise ValueError(
            f"length: must be >= {need}: the first marker is in the first {first_window} steps "
            f"(first_window) and the second in the first half; got {length}"
        )
    for name, v in (("vary_length", vary_length), ("end_markers", end_markers)):
        if not isinstance(v, (bool, np.bool_)):
            raise TypeError(f"{name}: expected True or False, got {v!r}")
    rows = np.arange(n)
    extra = rng.integers(0, length // 10 + 1, n) if vary_length else np.zeros(n, np.int64)
    lengths = (length + extra).astype(np.int64)
    T = int(lengths.max())
    values = rng.uniform(-1.0, 1.0, (n, T))
    first = rng.integers(0, first_window, n)
    j = rng.integers(0, half - 1, n)  # one of the half - 1 other steps of the first half
    second = j + (j >= first)
    present = np.arange(T) < lengths[:, None]
    values = np.where(present, values, 0.0)
    markers = np.zeros((n, T))
    if end_markers:
        markers[:, 0] = -1.0
        markers[rows, lengths - 1] = -1.0
    markers[rows, first] = 1.0
    markers[rows, second] = 1.0
    if end_markers:
        values[(first == 0) | (second == 0), 0] = 0.0
    y = 0.5 + (values[rows, first] + values[rows, second]) / 4.0
    X = np.stack([values, markers], axis=-1)  # (N, T, 2)
    offset, mask = _layout(lengths, T, pad)
    X = _shift(X, offset)
    y = y[:, None]  # (N, 1), the shape of a network's output with output_size=1
    targets, target_mask = _at_last_step(y, lengths, offset, T)
    positions = np.stack([first, second], axis=1) + offset[:, None]
    return AddingTask(X, y, mask, lengths, targets, target_mask, positions.astype(np.int64))


def adding_accuracy(pred: object, target: object, tol: float = 0.04) -> float:
    """Fraction of sequences whose prediction is within ``tol`` of the target (the paper's 0.04).

    pred, target: (N,) or (N, 1), e.g. ``net.forward(..., outputs="last").Y`` and ``task.y``.
    """
    tol = check_positive("tol", tol)
    p = np.asarray(pred)
    t = np.asarray(target)
    p = as_float_array("pred", p[:, 0] if p.ndim == 2 and p.shape[1] == 1 else p, ("N",))
    t = as_float_array("target", t[:, 0] if t.ndim == 2 and t.shape[1] == 1 else t, (p.shape[0],))
    return float(np.mean(np.abs(p - t) < tol))


# =========================================================================== temporal order
TEMPORAL_SYMBOLS = ("a", "b", "c", "d", "X", "Y", "E", "B")  # index = token id
TEMPORAL_CLASSES = ("XX", "XY", "YX", "YY")  # the paper's classes Q, R, S, U


class TemporalOrderTask(NamedTuple):
    X: np.ndarray  # (N, T) symbol ids into TEMPORAL_SYMBOLS
    y: np.ndarray  # (N,) class id into TEMPORAL_CLASSES
    mask: np.ndarray  # (N, T)
    lengths: np.ndarray  # (N,)
    targets: np.ndarray  # (N, T) y at each sequence's last step (the trigger B)
    target_mask: np.ndarray  # (N, T)
    positions: np.ndarray  # (N, 2) steps of the two relevant symbols
    symbols: tuple  # TEMPORAL_SYMBOLS
    class_names: tuple  # TEMPORAL_CLASSES


def temporal_order(
    n: int, length: int | Sequence[int] = (100, 110), *, t1: int | Sequence[int] = (10, 20),
    t2: int | Sequence[int] = (50, 60), rng: np.random.Generator, pad: str = "right",
) -> TemporalOrderTask:
    """The temporal order problem, Hochreiter & Schmidhuber (1997) Experiment 6a (section 5.6).

    A sequence starts with ``E``, ends with the trigger ``B``, and is otherwise made
    of distractors drawn uniformly from {a, b, c, d}, except at two positions t1 and
    t2, which hold X or Y (each with probability 1/2). The class is their order:
    XX -> 0, XY -> 1, YX -> 2, YY -> 3 (the paper's Q, R, S, U). The length is drawn
    uniformly from ``length`` = (100, 110), t1 from (10, 20) and t2 from (50, 60),
    all inclusive and, as in the paper, counted from 1 (position 1 is the ``E``);
    ``task.positions`` gives the 0-based steps in ``X``. Each may be one int or a
    (low, high) pair; smaller values make classroom-sized versions, e.g.
    ``temporal_order(n, (20, 22), t1=(3, 5), t2=(10, 12), rng=rng)``.

    Inputs are token ids into ``TEMPORAL_SYMBOLS`` (V = 8, the paper's local input
    representation is their one-hot code); the answer is due at the trigger ``B``.
    """
    n = _count("n", n)
    rng = _check_rng(rng)
    check_choice("pad", pad, PADS)
    L = _span("length", length, 1)
    p1 = _span("t1", t1, 1)
    p2 = _span("t2", t2, 1)
    if p1[0] < 2:
        raise ValueError(f"t1: position 1 holds the start symbol E, so t1 must be >= 2; got {t1!r}")
    if p2[0] <= p1[1]:
        raise ValueError(f"t2: must come after t1 (smallest t2 > largest t1), got t1={t1!r}, t2={t2!r}")
    if L[0] <= p2[1]:
        raise ValueError(
            f"length: too short; the shortest sequence ({L[0]}) must end after the latest t2 ({p2[1]}) "
            f"with the trigger B"
        )
    rows = np.arange(n)
    lengths = rng.integers(L[0], L[1] + 1, n).astype(np.int64)
    T = int(lengths.max())
    pos1 = rng.integers(p1[0], p1[1] + 1, n) - 1  # 0-based
    pos2 = rng.integers(p2[0], p2[1] + 1, n) - 1
    which = rng.integers(0, 2, (n, 2))  # 0 = X, 1 = Y
    X = rng.integers(0, 4, (n, T))  # distractors a b c d
    X[:, 0] = TEMPORAL_SYMBOLS.index("E")
    X[rows, pos1] = TEMPORAL_SYMBOLS.index("X") + which[:, 0]
    X[rows, pos2] = TEMPORAL_SYMBOLS.index("X") + which[:, 1]
    X[rows, lengths - 1] = TEMPORAL_SYMBOLS.index("B")
    X = np.where(np.arange(T) < lengths[:, None], X, 0).astype(np.int64)
    y = (2 * which[:, 0] + which[:, 1]).astype(np.int64)
    offset, mask = _layout(lengths, T, pad)
    X = _shift(X, offset)
    targets, target_mask = _at_last_step(y, lengths, offset, T)
    positions = (np.stack([pos1, pos2], axis=1) + offset[:, None]).astype(np.int64)
    return TemporalOrderTask(X, y, mask, lengths, targets, target_mask, positions, TEMPORAL_SYMBOLS, TEMPORAL_CLASSES)


# =========================================================================== latch problem
class LatchTask(NamedTuple):
    X: np.ndarray  # (N, T, 1) the latched signal for latch_steps steps, then noise
    y: np.ndarray  # (N,) class 0 or 1
    latch_steps: int  # L: how many first steps carry the class


def latch_problem(
    n: int, length: int = 50, *, latch_steps: int = 1, signal: float = 1.0, noise_std: float = 0.2**0.5,
    rng: np.random.Generator,
) -> LatchTask:
    """The latch problem of Bengio, Simard & Frasconi (1994): one bit at the start, then noise.

    The class of a sequence is decided by its first L = ``latch_steps`` inputs
    alone; the remaining T - L inputs are Gaussian noise, independent of the class,
    and the class is asked for at the end (``outputs="last"`` with ``y``). To
    answer, the network must *latch* the bit: keep it in its state through T - L
    noisy steps. Bengio et al. use this problem to show the trade-off between
    latching robustly (contracting dynamics) and gradients that vanish over long
    spans.

    Our parameterization: class 1 has inputs +``signal`` at steps 1..L, class 0 has
    -``signal``; the other steps are N(0, ``noise_std``^2). In Bengio et al. the first
    L inputs were free parameters learned along with the weights and targets were
    +-0.8 at the end (``0.8 * (2 * y - 1)`` for a tanh output); fixing them to
    +-1 with noise variance 0.2 (the default) is the version Hochreiter & Schmidhuber
    (1997, Experiment 3) used.
    """
    n = _count("n", n)
    rng = _check_rng(rng)
    length = _count("length", length)
    latch_steps = _count("latch_steps", latch_steps)
    if latch_steps >= length:
        raise ValueError(f"length: must exceed latch_steps ({latch_steps}) so that noise follows the signal; got {length}")
    signal = check_positive("signal", signal)
    noise_std = check_positive("noise_std", noise_std, allow_zero=True)
    y = rng.integers(0, 2, n).astype(np.int64)
    X = rng.normal(0.0, 1.0, (n, length, 1)) * noise_std
    X[:, :latch_steps, 0] = (signal * (2.0 * y - 1.0))[:, None]
    return LatchTask(X, y, latch_steps)


# =========================================================================== echo with a lag
class EchoTask(NamedTuple):
    X: np.ndarray  # (N, T) symbol ids, or (N, T, 1) values
    y: np.ndarray  # (N, T) / (N, T, 1): y[:, t] = X[:, t - lag] for t >= lag, 0 before
    target_mask: np.ndarray  # (N, T) False for t < lag (no target there)
    lag: int


def echo_task(
    n: int, length: int = 20, lag: int = 3, *, num_symbols: int | None = 4, rng: np.random.Generator
) -> EchoTask:
    """Echo the input with a lag: the target at step t is the input at step t - ``lag``.

    There is nothing to echo for t < lag, so those targets are absent
    (``target_mask`` False; ``y`` holds 0 there). Symbols are uniform token ids in
    [0, ``num_symbols``) (``loss="softmax_nll"``); ``num_symbols=None`` gives real
    values from U[-1, 1] as X (N, T, 1) (``loss="squared_error"``). ``lag=0`` is the
    identity, a check that training works at all; each extra step of lag is one more
    step the network must carry every input.
    """
    n = _count("n", n)
    rng = _check_rng(rng)
    length = _count("length", length)
    lag = _count("lag", lag, minimum=0)
    if lag >= length:
        raise ValueError(f"lag: must be < length ({length}) so that some target is present, got {lag}")
    if num_symbols is None:
        X = rng.uniform(-1.0, 1.0, (n, length, 1))
    else:
        num_symbols = _count("num_symbols", num_symbols, minimum=2)
        X = rng.integers(0, num_symbols, (n, length)).astype(np.int64)
    y = np.zeros_like(X)
    y[:, lag:] = X[:, : length - lag]
    target_mask = np.zeros((n, length), dtype=bool)
    target_mask[:, lag:] = True
    return EchoTask(X, y, target_mask, lag)


# =========================================================================== Mackey-Glass
def mackey_glass(
    length: int, tau: float = 17.0, *, beta: float = 0.2, gamma: float = 0.1, n: float = 10.0, x0: float = 1.2,
    dt: float = 0.1, sample_step: float = 1.0, discard: int = 0, rng: np.random.Generator | None = None,
) -> np.ndarray:
    r"""The Mackey-Glass delay differential equation, sampled every ``sample_step`` time units: (length,).

        dx/dt = beta x(t - tau) / (1 + x(t - tau)^n) - gamma x(t)

    With the standard beta = 0.2, gamma = 0.1, n = 10, the series is a stable point
    for small tau, periodic for moderate tau and chaotic for tau >= 17 (the default),
    the classic benchmark for echo-state networks (Jaeger, 2001).

    Integration (deterministic): classical Runge-Kutta 4 with step ``dt`` = 0.1 on a
    grid whose spacing divides tau; the delayed value x(t - tau) is read off the grid
    at the start and end of a step and linearly interpolated at its midpoint. The
    history is constant, x(t) = ``x0`` for t in [-tau, 0]; with an ``rng`` it is
    instead ``x0`` plus independent U[-0.1, 0.1] at each grid point, so different
    seeds give different trajectories. The result is x(0), x(s), x(2s), ... with
    s = ``sample_step``, after dropping the first ``discard`` samples (the first few
    hundred time units still remember the constant start).
    """
    length = _count("length", length)
    discard = _count("discard", discard, minimum=0)
    tau = check_positive("tau", tau)
    for name, v in (("beta", beta), ("gamma", gamma), ("n", n), ("x0", x0)):
        check_positive(name, v, allow_zero=name == "gamma")
    beta, gamma, n, x0 = float(beta), float(gamma), float(n), float(x0)
    dt = check_positive("dt", dt)
    sample_step = check_positive("sample_step", sample_step)
    m = int(round(tau / dt))
    s = int(round(sample_step / dt))
    if abs(m * dt - tau) > 1e-9 * max(tau, 1.0):
        raise ValueError(f"dt: must divide tau evenly (tau / dt = {tau / dt:g} is not whole)")
    if s < 1 or abs(s * dt - sample_step) > 1e-9 * max(sample_step, 1.0):
        raise ValueError(f"sample_step: must be a whole multiple of dt ({dt}), got {sample_step}")
    if rng is None:
        history = [x0] * (m + 1)
    else:
        history = (x0 + _check_rng(rng).uniform(-0.1, 0.1, m + 1)).tolist()
    steps = (discard + length - 1) * s
    x = history + [0.0] * steps  # x[m + k] = x(k dt); x[k] = x(k dt - tau)
    half, sixth = 0.5 * dt, dt / 6.0

    def delayed(d: float) -> float:
        return beta * d / (1.0 + d**n)

    g_prev = delayed(x[0])
    for k in range(steps):
        xt, d0, d1 = x[m + k], x[k], x[k + 1]
        g0, g1 = g_prev, delayed(d1)
        gh = delayed(0.5 * (d0 + d1))
        k1 = g0 - gamma * xt
        k2 = gh - gamma * (xt + half * k1)
        k3 = gh - gamma * (xt + half * k2)
        k4 = g1 - gamma * (xt + dt * k3)
        x[m + k + 1] = xt + sixth * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        g_prev = g1
    return np.array(x[m + discard * s :: s][:length], dtype=np.float64)


class SeriesTask(NamedTuple):
    X: np.ndarray  # (1, T - horizon, 1) the series
    y: np.ndarray  # (1, T - horizon, 1) the series horizon steps later


def next_step_pairs(series: object, horizon: int = 1) -> SeriesTask:
    """One series as a prediction task: input x_t, target x_{t + horizon}, shaped (1, T - horizon, 1).

    >>> task = next_step_pairs(np.arange(5.0))
    >>> task.X[0, :, 0].tolist(), task.y[0, :, 0].tolist()
    ([0.0, 1.0, 2.0, 3.0], [1.0, 2.0, 3.0, 4.0])
    """
    x = as_float_array("series", series, ("T",))
    horizon = _count("horizon", horizon)
    if horizon >= x.shape[0]:
        raise ValueError(f"horizon: must be < the series length ({x.shape[0]}), got {horizon}")
    return SeriesTask(x[None, :-horizon, None].copy(), x[None, horizon:, None].copy())
