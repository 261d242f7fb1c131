"""Lesson 1: why order matters -- a bag of words against an RNN.

* :class:`CompareApp` -- two sentences side by side: their bag-of-words count vectors
  (identical when one is a reordering of the other), the RNN's final hidden states
  (different), and the chapter's two problems: a fixed-input network has no place for
  extra words (a view of its own that follows the "input slots" slider without redrawing
  the others), and word order changes meaning.
* :class:`TrainProbeApp` -- train a bag-of-words classifier and an RNN live on the
  shipped order-dependent task (:func:`rnnviz.data.word_order`), held-out accuracy side
  by side, then shuffle the words of a test sentence and watch each model's prediction.
* :func:`check_bag_of_words`, :func:`check_final_state` -- the exercises' checkers: they
  run the student's function on a few sentences and name the mistake when there is one.
* :func:`parse_sentence` -- the validation behind every text box (length, unknown words).
"""

from __future__ import annotations

import html
import time
from collections.abc import Callable, Sequence
from typing import NamedTuple

import ipywidgets as W
import numpy as np

from ..core.bow import bag_of_words, bow_classifier, rnn_classifier
from ..core.network import Network
from ..core.optim import Adam
from ..core.train import Trainer, classification_batches
from ..data import UNK, Vocabulary, tokenize_words, word_order
from ..viz.order import SLOTS_VIEW_CLASS, compare_html, probe_html, slots_html, training_html
from .base import LessonApp, explained, heading

__all__ = [
    "EXAMPLES",
    "MAX_CHARS",
    "MAX_WORDS",
    "CompareApp",
    "TrainProbeApp",
    "TrainingRun",
    "check_bag_of_words",
    "check_final_state",
    "final_states",
    "lesson_vocabulary",
    "parse_sentence",
    "reference_bag_of_words",
]

MAX_WORDS = 30
MAX_CHARS = 300

#: label -> (sentence A, sentence B)
EXAMPLES = {
    "same words, other order": ("the dog bit the man", "the man bit the dog"),
    "different lengths": ("the dog bit the man", "the hungry dog was bitten by the old man"),
    "same meaning, other words": ("the dog bit the man", "the man was bitten by the dog"),
    "an adjective moves": ("the hungry dog bit the man", "the dog bit the hungry man"),
}
OWN = "(your own sentences)"


def lesson_vocabulary() -> Vocabulary:
    """The word vocabulary of the shipped word-order task (the same for every call)."""
    return word_order(2, rng=np.random.default_rng(0)).vocab


def parse_sentence(text: object, vocab: Vocabulary, *, name: str = "sentence") -> list[str]:
    """The words of ``text``, checked: not empty, not too long, every word in ``vocab``.

    Punctuation is dropped ("the dog bit the man." is fine). Raises ValueError naming
    the unknown word(s), or saying what is too long or empty.
    """
    if not isinstance(text, str):
        raise TypeError(f"{name}: expected text, got {type(text).__name__}")
    if len(text) > MAX_CHARS:
        raise ValueError(f"{name}: too long ({len(text)} characters); type one sentence of at most {MAX_WORDS} words "
                         f"({MAX_CHARS} characters)")
    words = [t for t in tokenize_words(text) if t[0].isalnum()]
    if not words:
        raise ValueError(f"{name}: is empty; type a sentence such as 'the dog bit the man'")
    if len(words) > MAX_WORDS:
        raise ValueError(f"{name}: {len(words)} words is too long for this lesson; use at most {MAX_WORDS}")
    unknown = list(dict.fromkeys(w for w in words if w not in vocab or w == UNK))
    if unknown:
        listed = ", ".join(repr(w) for w in unknown[:6]) + (f" and {len(unknown) - 6} more" if len(unknown) > 6 else "")
        verb = "is" if len(unknown) == 1 else "are"
        raise ValueError(f"{name}: {listed} {verb} not in the lesson's vocabulary of {len(vocab) - 1} words "
                         f"(listed above the boxes); e.g. 'the hungry dog bit the man'")
    return words


def reference_bag_of_words(words: Sequence[str], vocab: Vocabulary) -> np.ndarray:
    """The count vector c (V,) of a list of words; unknown words count as ``<unk>`` (id 0)."""
    ids = vocab.encode(list(words))
    if ids.size == 0:
        return np.zeros(len(vocab))
    return bag_of_words(ids[None], vocab_size=len(vocab))[0]


def final_states(net: Network, params: dict, words: Sequence[str], vocab: Vocabulary) -> np.ndarray:
    """h_t after each word, (T, H), of the network's first layer; the last row is h_T."""
    ids = vocab.encode(list(words))
    return net.forward(params, ids[None]).hidden["layer0.fwd"][0]


def _words_html(vocab: Vocabulary) -> str:
    return ("<b>Words you can use</b> (the task's vocabulary): "
            + html.escape(", ".join(t for t in vocab.tokens if t != UNK)) + ".")


# =========================================================================== app 1: two sentences
class CompareApp(LessonApp):
    """Two sentences: their bags of words, the RNN's hidden states, and a fixed-input network's slots."""

    title = "Two sentences: what a bag of words sees, what an RNN sees"

    def __init__(self, sentence_a: str = EXAMPLES["same words, other order"][0],
                 sentence_b: str = EXAMPLES["same words, other order"][1], *, slots: int = 6, hidden_size: int = 8,
                 seed: int = 0):
        self.vocab = lesson_vocabulary()
        self.net = Network(len(self.vocab), hidden_size, 2)
        self.params = self.net.init_params(np.random.default_rng(seed))
        self._quiet = False
        wide = W.Layout(width="380px")
        self.example = W.Dropdown(options=[*EXAMPLES, OWN], value=OWN, description="example", layout=W.Layout(width="380px"))
        self.text_a = W.Text(value=sentence_a, description="sentence A", continuous_update=False, layout=wide)
        self.text_b = W.Text(value=sentence_b, description="sentence B", continuous_update=False, layout=wide)
        self.slots = W.IntSlider(value=slots, min=2, max=12, description="input slots", continuous_update=True,
                                 layout=W.Layout(width="380px"))
        self.summary = W.HTML()
        # moves with the slider: a view of its own, so a move redraws nothing else (viz.order.slots_html)
        self.slots_view = W.HTML()
        self.slots_view.add_class(SLOTS_VIEW_CLASS)
        # counts, final states and the unrolled RNN, drawn as SVG by rnnviz.viz.order.compare_html
        self.compare_view = W.HTML()
        super().__init__([
            heading(self.title,
                    "<b>Just below the controls</b>: a conventional network needs a fixed number of inputs, one slot "
                    "per word, one row per sentence: blue slots hold a word, grey slots get none (missing inputs), "
                    "red words get no slot (lost). "
                    "<b>Panel 1</b>: the bag of words, c<sub>v</sub> = how often word v occurs. "
                    "<b>Panel 2</b>: the RNN's state after the last word, h<sub>T</sub> (an untrained RNN with random "
                    "weights: it already tells the orders apart; training teaches it which differences matter). "
                    "<b>Panels 3 and 4</b>, A and B: the RNN instead runs one time-stamp per word with the same "
                    "weights, so a longer sentence just gets more columns; red/blue is each unit's value in "
                    "h<sub>t</sub>, and the outlined last column is the h<sub>T</sub> of panel 2. "
                    "Hover over a bar or a cell for its value."),
            W.HTML(f'<div class="rnnviz-help" style="max-width:1100px">{_words_html(self.vocab)}</div>'),
            explained(self.example, "load a prepared pair: reordered words, different lengths, same meaning in other words"),
            explained(self.text_a, "type a sentence with the words above and press Enter"),
            explained(self.text_b, "reorder A's words here: the bag of words stays the same, the RNN's state does not"),
            explained(self.slots, "how many words the fixed-input network takes: short sentences leave slots empty, "
                                  "long ones lose words"),
            self.slots_view,
            self.summary,
            self.compare_view,
        ])
        self.watch(self.example, self._load_example)
        for control in (self.text_a, self.text_b):
            self.watch(control, self._typed)
        self.watch(self.slots, self._slots_moved)
        self.refresh()

    # ------------------------------------------------------------------ handlers
    def _load_example(self) -> None:
        if self._quiet or self.example.value not in EXAMPLES:
            return
        a, b = EXAMPLES[self.example.value]
        self._quiet = True
        try:
            self.text_a.value, self.text_b.value = a, b
        finally:
            self._quiet = False
        self.update()

    def _typed(self) -> None:
        if self._quiet:
            return
        pair = (self.text_a.value, self.text_b.value)
        label = next((k for k, v in EXAMPLES.items() if v == pair), OWN)
        if label != self.example.value:
            self._quiet = True
            try:
                self.example.value = label
            finally:
                self._quiet = False
        self.update()

    def _sentences(self) -> tuple[list[str], list[str]]:
        return (parse_sentence(self.text_a.value, self.vocab, name="sentence A"),
                parse_sentence(self.text_b.value, self.vocab, name="sentence B"))

    def _checked_slots(self) -> int:
        slots = int(self.slots.value)
        if not self.slots.min <= slots <= self.slots.max:
            raise ValueError(f"input slots: expected {self.slots.min} to {self.slots.max}, got {slots}")
        return slots

    def _slots_moved(self) -> None:
        """Only the slots view and the summary: nothing in the other view depends on the number of slots."""
        words = self._sentences()  # a bad sentence in a box stays a message
        if words != getattr(self, "words", None):
            self.update()
            return
        self._show_slots(*words, self._checked_slots())

    def _show_slots(self, words_a, words_b, slots: int) -> None:
        self.slots_view.value = slots_html(words_a, words_b, slots)
        self.summary.value = self._explain(words_a, words_b, slots)

    def update(self) -> None:
        """Everything, from the sentences and the slots."""
        words_a, words_b = self._sentences()
        slots = self._checked_slots()
        c_a = reference_bag_of_words(words_a, self.vocab)
        c_b = reference_bag_of_words(words_b, self.vocab)
        shown = list(dict.fromkeys([*words_a, *words_b]))
        ids = [self.vocab.id_of(w) for w in shown]
        states_a = final_states(self.net, self.params, words_a, self.vocab)
        states_b = final_states(self.net, self.params, words_b, self.vocab)
        self.same_bag = bool(np.array_equal(c_a, c_b))
        self.state_distance = float(np.linalg.norm(states_a[-1] - states_b[-1]))
        self.words = (words_a, words_b)
        self.compare_view.value = compare_html(words_a, words_b, shown, c_a[ids], c_b[ids], states_a, states_b)
        self._show_slots(words_a, words_b, slots)

    def _explain(self, words_a, words_b, slots) -> str:
        lines = []
        if self.same_bag and words_a != words_b:
            lines.append("<b>Same bag of words.</b> A and B use the same words the same number of times; only the order "
                         "differs. Their count vectors are identical, so <i>every</i> bag-of-words model, whatever its "
                         "weights, gives them the same answer.")
        elif self.same_bag:
            lines.append("A and B are the same sentence.")
        else:
            lines.append("The count vectors differ (A and B do not use exactly the same words).")
        if self.state_distance > 1e-9:
            lines.append(f"The RNN's final states differ by {self.state_distance:.2f} (Euclidean distance): it read the "
                         "words in order, so a classifier on h_T <i>can</i> tell the sentences apart.")
        else:
            lines.append("The RNN's final states are identical: same words in the same order.")
        parts = []
        for name, words in (("A", words_a), ("B", words_b)):
            if len(words) > slots:
                lost = words[slots:]
                parts.append(f"{name} has {len(words)} words: the last {len(lost)} ({html.escape(' '.join(lost))}) have "
                             f"no input slot and are lost")
            elif len(words) < slots:
                empty = slots - len(words)
                parts.append(f"{name} has {len(words)} words and leaves {empty} slot{'s' if empty > 1 else ''} without "
                             f"input")
        if parts:
            lines.append(f"<b>Different lengths.</b> With {slots} input slots: " + "; ".join(parts)
                         + f". The RNN just runs {len(words_a)} and {len(words_b)} time-stamps with the same weights.")
        return "<br>".join(lines)


# =========================================================================== app 2: train and probe
class TrainingRun(NamedTuple):
    """What one press of Train did."""

    steps: int  # optimizer steps per model
    seconds: float  # wall time of the whole run (both models, evaluations, view updates)
    train_size: int  # training sentences
    bow: float  # final held-out accuracy of the bag of words
    rnn: float  # final held-out accuracy of the RNN
    curves: dict  # "step", "bow", "rnn": held-out accuracy during training


class TrainProbeApp(LessonApp):
    """Train a bag-of-words classifier and an RNN on the word-order task; probe them by shuffling a sentence."""

    title = "Train both on who-did-what-to-whom, then shuffle a sentence"

    def __init__(self, *, train_size: int = 600, steps: int = 300, hidden_size: int = 16, lr: float = 3e-3,
                 bow_model: str = "MLP", seed: int = 0, test_size: int = 400, batch_size: int = 32):
        self.vocab = lesson_vocabulary()
        self.test = word_order(test_size, rng=np.random.default_rng(10_000 + seed))
        self.class_names = tuple(self.test.class_names)
        self.batch_size = batch_size
        s = {"description_width": "130px"}
        wide = W.Layout(width="380px")
        self.train_size = W.IntSlider(value=train_size, min=100, max=4000, step=100, description="training sentences",
                                      style=s, layout=wide, continuous_update=False)
        self.steps = W.IntSlider(value=steps, min=20, max=2000, step=20, description="training steps", style=s,
                                 layout=wide, continuous_update=False)
        self.hidden = W.IntSlider(value=hidden_size, min=2, max=64, description="RNN hidden units", style=s,
                                  layout=wide, continuous_update=False)
        self.lr = W.FloatLogSlider(value=lr, base=10, min=-4, max=-1, step=0.25, description="learning rate", style=s,
                                   layout=wide, readout_format=".1e", continuous_update=False)
        self.bow_model = W.Dropdown(options=[("logistic regression", "logistic"), ("MLP, 16 hidden units", "MLP")],
                                    value=bow_model, description="bag of words", style=s, layout=wide)
        self.seed = W.BoundedIntText(value=seed, min=0, max=9999, description="seed", style=s,
                                     layout=W.Layout(width="230px"))
        self.train_button = W.Button(description="Train both", icon="play", button_style="primary")
        self.progress = W.IntProgress(value=0, min=0, max=1, description="progress", style=s, layout=wide)
        self.status = W.HTML()
        self.probe_text = W.Text(description="probe sentence", continuous_update=False, style=s,
                                 layout=W.Layout(width="520px"))
        self.shuffle_button = W.Button(description="shuffle the words", icon="random")
        self.next_button = W.Button(description="new test sentence", icon="forward")
        self.restore_button = W.Button(description="original order", icon="undo")
        self.probe_info = W.HTML()
        # drawn as SVG by rnnviz.viz.order: the accuracy during training, live; the probe's two panels
        self.training_view = W.HTML()
        self.probe_view = W.HTML()
        # side by side in a wide page, one below the other in a narrow one
        self.views = W.Box([self.training_view, self.probe_view],
                           layout=W.Layout(flex_flow="row wrap", align_items="flex-start", grid_gap="10px 30px"))
        super().__init__([
            heading(self.title,
                    "Each sentence says who acts on whom: <i>animal acts on person</i> (\"the dog bit the man\") or "
                    "<i>person acts on animal</i> (\"the man bit the dog\", \"the dog was bitten by the man\"). "
                    "The two classes use the same words; only the order differs. <b>Panel 1</b>: accuracy on "
                    "held-out sentences that come in mirror pairs, drawn while both train. A bag of words gives both "
                    "sentences of a pair the same answer, so it is right on exactly one of them: 50%, however long "
                    "it trains. The RNN reads the order and climbs to 100%. <b>Panels 2 and 3</b>: the probe. "
                    "Shuffling keeps the counts, so the bag of words' input, and its prediction, never change (a "
                    "flat orange line in panel 3); the RNN's do. Hover over a point or a bar for its value."),
            explained(self.train_size, "how many sentences to train on (both models see the same ones)"),
            explained(self.steps, "optimizer steps (Adam, 32 sentences each) per model; the defaults train in a second or two"),
            explained(self.hidden, "size p of the RNN's state h_t; more units learn faster and more reliably, 2 to 4 may get stuck"),
            explained(self.lr, "Adam's step size; larger learns faster until it becomes unstable"),
            explained(self.bow_model, "logistic regression on the counts, or an MLP (the chapter's 'conventional "
                                      "network'): both stay at 50%"),
            explained(self.seed, "the same seed and settings give exactly the same curves; change it for another run"),
            explained(self.train_button, "start again from random weights and train both models with the settings "
                                         "above (they take effect here)"),
            self.progress,
            self.status,
            explained(self.probe_text, "a sentence both models classify; type your own with the words of lesson 1"),
            W.HBox([self.next_button, self.shuffle_button, self.restore_button]),
            W.HTML('<span class="rnnviz-help">new test sentence: pick another held-out sentence &middot; shuffle: put its '
                   'words in a random order (seeded) &middot; original order: back to the sentence as written</span>'),
            self.probe_info,
            self.views,
        ])
        self.train_button.on_click(lambda _: self.run_guarded(self.train))
        self.shuffle_button.on_click(lambda _: self.run_guarded(self.shuffle))
        self.next_button.on_click(lambda _: self.run_guarded(self.next_sentence))
        self.restore_button.on_click(lambda _: self.run_guarded(self.restore))
        self.watch(self.probe_text, self.update)
        for control in (self.train_size, self.steps, self.hidden, self.lr, self.bow_model, self.seed):
            self.watch(control, self._settings_changed)
        self._init_models()
        self.run = None
        self._probe_index = 0
        self._probe_rng = np.random.default_rng(seed)
        self._history: list[tuple[str, float, float]] = []
        self._history_bag: np.ndarray | None = None
        self.curves = {"step": [0], "bow": [self._accuracy(self.bow)], "rnn": [self._accuracy(self.rnn)]}
        self.live_draws = 0  # training views sent during the last run
        self._draw_training(total=int(self.steps.value))
        self.status.value = ("Untrained: both models guess (the points at step 0). Press <b>Train both</b>.")
        self._set_probe(self._probe_index)

    # ------------------------------------------------------------------ models
    def _settings_changed(self) -> None:
        self._checked_settings()
        self.status.value = "Settings changed: press <b>Train both</b> to train with them."

    def _init_models(self) -> None:
        seed = int(self.seed.value)
        V, K = len(self.vocab), len(self.class_names)
        hidden = None if self.bow_model.value == "logistic" else 16
        self.bow = bow_classifier(V, K, hidden, rng=np.random.default_rng(seed))
        self.rnn = rnn_classifier(V, K, int(self.hidden.value), rng=np.random.default_rng(seed))

    def _accuracy(self, clf) -> float:
        return clf.accuracy(self.test.X, self.test.mask, self.test.y)

    def _checked_settings(self) -> dict:
        out = {}
        for name in ("train_size", "steps", "hidden", "lr"):
            control = getattr(self, name)
            v = control.value
            if not (control.min <= np.log10(v) <= control.max if name == "lr" else control.min <= v <= control.max):
                raise ValueError(f"{control.description}: {v} is out of range")
            out[name] = v
        if self.bow_model.value not in ("logistic", "MLP"):
            raise ValueError(f"bag of words: expected 'logistic' or 'MLP', got {self.bow_model.value!r}")
        out["train_size"] = 2 * (int(out["train_size"]) // 2)  # mirror pairs: an even number
        return out

    def train(self) -> TrainingRun:
        """Train both models from fresh random weights (seeded) with the current settings; the view updates live.

        The accuracy view is redrawn after each of at most 40 evaluations, the progress bar at most ~100 times.
        """
        cfg = self._checked_settings()
        seed = int(self.seed.value)
        steps = int(cfg["steps"])
        task = word_order(cfg["train_size"], rng=np.random.default_rng(seed))
        self._init_models()
        models = {"bow": self.bow, "rnn": self.rnn}
        trainers = {k: Trainer(m.model, m.params, Adam(lr=float(cfg["lr"])), clip=("norm", 5.0)) for k, m in models.items()}
        # both see the same minibatches in the same order
        batches = {k: classification_batches(m.model, task.X, task.y, task.mask, self.batch_size,
                                             np.random.default_rng(seed + 1)) for k, m in models.items()}
        every = -(-steps // 40)  # at most 40 evaluations (and views drawn) per run
        self.curves = {"step": [0], "bow": [self._accuracy(self.bow)], "rnn": [self._accuracy(self.rnn)]}
        self.progress.max, self.progress.value = 2 * steps, 0
        self.progress.bar_style = ""
        self._draw_training(total=steps, running=True)  # the last run's curves go at once
        self.train_button.disabled = True
        ticks = [0]
        tick_every = max(4, (2 * steps) // 100)  # a bounded number of progress messages, whatever the steps
        self.live_draws = 0

        def tick(record) -> None:
            ticks[0] += 1
            if ticks[0] % tick_every == 0:
                self.progress.value = ticks[0]

        start = time.perf_counter()
        try:
            done = 0
            while done < steps:
                k = min(every, steps - done)
                for name, trainer in trainers.items():
                    trainer.run(batches[name], k, callbacks=[tick])
                    models[name].params = trainer.params
                    if trainer.status == "diverged":
                        raise ValueError(f"{'RNN' if name == 'rnn' else 'bag of words'}: {trainer.stopped_reason}")
                done += k
                self.curves["step"].append(done)
                self.curves["bow"].append(self._accuracy(self.bow))
                self.curves["rnn"].append(self._accuracy(self.rnn))
                self._draw_training(total=steps, running=done < steps)
                self.live_draws += 1
            self.progress.value = self.progress.max
            self.progress.bar_style = "success"
        except BaseException:  # a run that stopped early: the view no longer says "training"
            self._draw_training(total=steps)
            raise
        finally:
            self.train_button.disabled = False
        seconds = time.perf_counter() - start
        self.run = TrainingRun(steps=steps, seconds=seconds, train_size=cfg["train_size"],
                               bow=self.curves["bow"][-1], rnn=self.curves["rnn"][-1], curves=self.curves)
        self.status.value = (f"Trained {steps} steps on {cfg['train_size']} sentences in {seconds:.1f} s. Held-out "
                             f"accuracy: <b>RNN {self.run.rnn:.0%}</b>, <b>bag of words {self.run.bow:.0%}</b> "
                             f"(chance 50%).")
        self._refresh_probe(keep_history=False)
        return self.run

    def _draw_training(self, *, total: int, running: bool = False) -> None:
        self.training_view.value = training_html(self.curves["step"], self.curves["bow"], self.curves["rnn"],
                                                 total=total, running=running)

    # ------------------------------------------------------------------ probe
    def select_sentence(self, index: int) -> None:
        """Probe held-out sentence number ``index``, with a fresh shuffle history."""
        self._set_probe(index)

    def _set_probe(self, index: int) -> None:
        self._probe_index = int(index) % len(self.test.sentences)
        self._history, self._history_bag = [], None
        self._set_text(self.test.sentences[self._probe_index])

    def _set_text(self, text: str) -> None:
        if self.probe_text.value == text:
            self.update()
        else:
            self.probe_text.value = text  # the observer calls update()

    def next_sentence(self) -> None:
        self._set_probe(self._probe_index + 1)

    def restore(self) -> None:
        self._set_text(self.test.sentences[self._probe_index])

    def shuffle(self) -> None:
        words = parse_sentence(self.probe_text.value, self.vocab, name="probe sentence")
        if len(set(words)) < 2:
            raise ValueError("probe sentence: needs at least two different words to shuffle")
        order = self._probe_rng.permutation(len(words))
        while list(order) == list(range(len(words))):  # a shuffle that changes nothing teaches nothing
            order = self._probe_rng.permutation(len(words))
        self._set_text(" ".join(words[i] for i in order))

    def probabilities(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(bag-of-words probabilities (K,), RNN probabilities (K,)) of one sentence."""
        ids = self.vocab.encode(list(words))[None]
        return self.bow.predict_proba(ids)[0], self.rnn.predict_proba(ids)[0]

    def update(self) -> None:
        self._refresh_probe(keep_history=True)

    def _refresh_probe(self, *, keep_history: bool) -> None:
        words = parse_sentence(self.probe_text.value, self.vocab, name="probe sentence")
        p_bow, p_rnn = self.probabilities(words)
        bag = reference_bag_of_words(words, self.vocab)
        text = " ".join(words)
        if not keep_history:  # the models changed: redo the probabilities of the sentences so far
            old = [t for t, _, _ in self._history] or [text]
            self._history = [(t, *(p[1] for p in self.probabilities(t.split()))) for t in old]
        elif self._history_bag is None or not np.array_equal(bag, self._history_bag):
            self._history = [(text, p_bow[1], p_rnn[1])]  # other words: a new probe
        elif not self._history or self._history[-1][0] != text:
            self._history.append((text, p_bow[1], p_rnn[1]))
            del self._history[:-40]
        self._history_bag = bag
        self.p_bow, self.p_rnn = p_bow, p_rnn
        texts, hb, hr = zip(*self._history)
        self.probe_view.value = probe_html(self.class_names, p_bow, p_rnn, texts, hb, hr)
        original = self.test.sentences[self._probe_index]
        if text == original:
            truth = f"held-out sentence #{self._probe_index}, true class: <b>{self.class_names[self.test.y[self._probe_index]]}</b>"
        elif np.array_equal(bag, reference_bag_of_words(original.split(), self.vocab)):
            truth = "its words shuffled: there is no true class any more, but the bag of words cannot know that"
        else:
            truth = "your own sentence"
        guess = lambda p: f"{self.class_names[int(np.argmax(p))]} ({np.max(p):.0%})"  # noqa: E731
        self.probe_info.value = (f"&ldquo;{html.escape(text)}&rdquo; &mdash; {truth}.<br>Bag of words says "
                                 f"<b>{guess(p_bow)}</b>; RNN says <b>{guess(p_rnn)}</b>.")


# =========================================================================== exercise checkers
_CHECK_A = ["the", "dog", "bit", "the", "man"]
_CHECK_B = ["the", "man", "bit", "the", "dog"]
_CHECK_UNK = ["the", "dog", "bit", "the", "astronaut"]


def _call(fn: Callable, *args) -> tuple[object, str | None]:
    try:
        return fn(*args), None
    except Exception as exc:  # the student's code: any error is feedback, not a crash
        return None, f"{type(exc).__name__}: {exc}"


def _as_vector(value, size: int, what: str) -> tuple[np.ndarray | None, str | None]:
    try:
        arr = np.asarray(value, dtype=float)
    except (TypeError, ValueError):
        return None, f"return a vector of numbers, one per {what}; got {type(value).__name__}"
    if arr.shape != (size,):
        return arr, f"shape {arr.shape}"
    return arr, None


def check_bag_of_words(fn: Callable, vocab: Vocabulary | None = None) -> str:
    """Check a student's ``fn(words, vocab) -> c`` (V,) against the bag of words; say what is wrong.

    Returns a message starting with ``"correct"`` or ``"not yet"``.
    """
    vocab = lesson_vocabulary() if vocab is None else vocab
    V = len(vocab)
    ref = reference_bag_of_words(_CHECK_A, vocab)
    out, err = _call(fn, list(_CHECK_A), vocab)
    if err:
        return f"not yet: your function raised {err} on {' '.join(_CHECK_A)!r}"
    c, problem = _as_vector(out, V, "vocabulary word")
    if problem:
        if c is not None and c.shape == (len(_CHECK_A),):
            return (f"not yet: you returned one number per position ({len(_CHECK_A)} values): you counted positions, "
                    f"not words. Return c of length V = len(vocab) = {V}, with c[vocab.id_of(w)] += 1 for each word w")
        return f"not yet: return one count per vocabulary word, a vector of length V = len(vocab) = {V} ({problem})"
    out_b, err = _call(fn, list(_CHECK_B), vocab)
    if err:
        return f"not yet: your function raised {err} on {' '.join(_CHECK_B)!r}"
    c_b, problem = _as_vector(out_b, V, "vocabulary word")
    if np.array_equal(c, ref):
        pass
    elif np.allclose(c[: len(_CHECK_A)], 1) and c.sum() == len(_CHECK_A) and not c[len(_CHECK_A):].any():
        return ("not yet: you counted positions, not words: c[t] += 1 for the t-th word. A bag of words counts each "
                "word at its id: c[vocab.id_of(w)] += 1")
    elif np.array_equal(c, (ref > 0).astype(float)):
        return ("not yet: you marked which words occur (0 or 1), but 'the' occurs twice in 'the dog bit the man': "
                "count how often each word occurs")
    elif np.allclose(c, ref / ref.sum()):
        return "not yet: you divided by the sentence length; the chapter's bag of words is the plain count of each word"
    elif np.array_equal(np.roll(c, -1), ref) or np.array_equal(np.roll(c, 1), ref):
        return "not yet: the counts sit one place off: word w belongs at index vocab.id_of(w) (id 0 is <unk>)"
    elif not problem and not np.array_equal(c, c_b):
        return ("not yet: your vector for 'the man bit the dog' differs from the one for 'the dog bit the man'; a bag "
                "of words only counts the words, so it must not depend on the order")
    else:
        wrong = [vocab.tokens[v] for v in np.flatnonzero(c != ref)]
        w = wrong[0]
        return (f"not yet: the count of {w!r} should be {ref[vocab.id_of(w)]:g}, got {c[vocab.id_of(w)]:g}"
                + (f" (and {len(wrong) - 1} other entries differ)" if len(wrong) > 1 else ""))
    if problem or not np.array_equal(c_b, ref):
        return ("not yet: your vector for 'the man bit the dog' differs from the one for 'the dog bit the man'; a bag "
                "of words must not depend on the order of the words")
    out_u, err = _call(fn, list(_CHECK_UNK), vocab)
    ref_u = reference_bag_of_words(_CHECK_UNK, vocab)
    if err:
        return (f"not yet: 'astronaut' is not in the vocabulary and your function raised {err}: unknown words "
                f"must map to <unk> (id 0), which vocab.id_of(w) does")
    c_u, problem = _as_vector(out_u, V, "vocabulary word")
    if problem:
        return f"not yet: for a sentence with an unknown word you returned {problem}; return a vector of length {V}"
    if not np.array_equal(c_u, ref_u):
        if np.array_equal(c_u, ref_u - np.eye(V)[0]):
            return "not yet: you skipped the unknown word 'astronaut'; unknown words must map to <unk> (id 0) and be counted"
        return "not yet: unknown words must map to <unk> (id 0): count 'astronaut' at index 0"
    out_e, err = _call(fn, [], vocab)
    c_e = None if err else _as_vector(out_e, V, "vocabulary word")[0]
    if err or c_e is None or c_e.shape != (V,) or c_e.any():
        return "not yet: an empty sentence should give the zero vector of length V" + (f" (your function raised {err})" if err else "")
    return ("correct: your counts match, they are the same for 'the man bit the dog' (a bag of words cannot see order), "
            "and 'astronaut' counts as <unk>")


def _variant_states(p: dict, ids: np.ndarray) -> dict[str, np.ndarray]:
    """h_T under the usual slips, to name the one a student made."""
    H = p["W_hh"].shape[0]

    def run(step, h0=None, stop=None):
        h = np.zeros(H) if h0 is None else h0
        for x in ids[:stop]:
            h = step(h, x)
        return h

    return {
        "no_recurrence": run(lambda h, x: np.tanh(p["W_xh"][:, x] + p["b_h"])),
        "transposed": run(lambda h, x: np.tanh(p["W_xh"][:, x] + p["W_hh"].T @ h + p["b_h"])),
        "no_bias": run(lambda h, x: np.tanh(p["W_xh"][:, x] + p["W_hh"] @ h)),
        "no_tanh": run(lambda h, x: p["W_xh"][:, x] + p["W_hh"] @ h + p["b_h"]),
        "early": run(lambda h, x: np.tanh(p["W_xh"][:, x] + p["W_hh"] @ h + p["b_h"]), stop=-1),
        "sigmoid": run(lambda h, x: 1 / (1 + np.exp(-(p["W_xh"][:, x] + p["W_hh"] @ h + p["b_h"])))),
    }


_HINTS = {
    "no_recurrence": "check the W_hh term: your h_T depends on the last word only; feed h_{t-1} back with W_hh h_{t-1}",
    "transposed": "check the W_hh term: it is W_hh @ h_{t-1}, not W_hh.T @ h_{t-1}",
    "no_bias": "check the bias: a_t = W_xh x_t + W_hh h_{t-1} + b_h",
    "no_tanh": "apply the activation: h_t = tanh(a_t)",
    "early": "you stopped one word early: h_T is the state after the last word",
    "sigmoid": "the chapter's cell uses tanh, not the sigmoid",
}


def check_final_state(fn: Callable, *, hidden_size: int = 6, seed: int = 0) -> str:
    """Check a student's ``fn(ids, p) -> h_T`` (H,) for h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h), h_0 = 0.

    ``ids`` are word ids (T,) and ``p`` holds ``W_xh`` (H, V), ``W_hh`` (H, H), ``b_h`` (H,);
    with a one-hot x_t, W_xh x_t is the column ``W_xh[:, x_t]``. Names the term that is wrong.
    """
    vocab = lesson_vocabulary()
    net = Network(len(vocab), hidden_size, 2)
    params = net.init_params(np.random.default_rng(seed))
    params["layer0.fwd.b_h"] = np.random.default_rng(seed + 1).uniform(-0.5, 0.5, hidden_size)  # a visible bias
    p = {k: v.copy() for k, v in Network.sub(params, "layer0.fwd").items()}
    results = []
    for words in (_CHECK_A, _CHECK_B):
        ids = vocab.encode(words)
        ref = final_states(net, params, words, vocab)[-1]
        out, err = _call(fn, ids.copy(), {k: v.copy() for k, v in p.items()})
        if err:
            hint = (" (with a one-hot x_t, W_xh x_t is the column W_xh[:, x_t])"
                    if "shape" in err or "broadcast" in err or "index" in err.lower() else "")
            return f"not yet: your function raised {err}{hint}"
        h, problem = _as_vector(out, hidden_size, "hidden unit")
        if problem:
            return f"not yet: return h_T, the state after the last word: a vector of H = {hidden_size} numbers ({problem})"
        if not np.allclose(h, ref, atol=1e-8):
            for name, value in _variant_states(p, ids).items():
                if np.allclose(h, value, atol=1e-8):
                    return "not yet: " + _HINTS[name]
            return (f"not yet: h_T differs from the RNN's by up to {np.max(np.abs(h - ref)):.3g}; start from h_0 = 0 "
                    "and apply h_t = tanh(W_xh[:, x_t] + W_hh @ h + b_h) once per word")
        results.append(h)
    return (f"correct: your h_T matches the network's, and it differs between the two orders "
            f"(distance {np.linalg.norm(results[0] - results[1]):.2f}): the recurrence sees the order")
