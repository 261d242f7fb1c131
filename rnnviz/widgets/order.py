"""Lesson 1: why order matters -- a bag of words against an RNN: the apps.

* :class:`CompareApp` -- two sentences side by side: their bag-of-words count vectors (identical when one is
  a reordering of the other), the RNN's hidden states (different), and the chapter's two problems: a
  fixed-input network has no place for extra words (a view of its own that follows the "input slots" slider
  without redrawing the others), and word order changes meaning.
* :class:`TrainProbeApp` -- a bag-of-words classifier and an RNN, untrained at first (at chance), trained on
  "Train both" on the word-order task (:func:`rnnviz.data.word_order`) with held-out accuracy drawn as they
  learn; then shuffle the words of a test sentence and watch each model's prediction.

What they compute is in :mod:`rnnviz.lessonmath.order`, the views in :mod:`rnnviz.viz.order`, the exercises in
:mod:`rnnviz.exercises.order`.
"""

from __future__ import annotations

import html
import time
from collections.abc import Sequence

import ipywidgets as W
import numpy as np

from ..core.network import Network
from ..data import UNK, Vocabulary, word_order
from ..lessonmath.order import (
    BOW_HIDDEN, EXAMPLES, HIDDEN_RANGE, LR_RANGE, MAX_CHARS, MAX_WORDS, SEED_RANGE, SLOTS_RANGE, STEPS_RANGE,
    TRAIN_SIZE_RANGE, Comparison, TrainingRun, accuracy, bag_of_words, check_settings, compare, hidden_states,
    lesson_vocabulary, make_models, parse_sentence, probabilities, same_bag, shuffled, slot_fit, train_both,
)
from ..viz.order import SLOTS_VIEW_CLASS, compare_html, probe_html, slots_html, training_html
from .base import LessonApp, SentenceBox, explained, heading

__all__ = ["EXAMPLES", "MAX_CHARS", "MAX_WORDS", "CompareApp", "TrainProbeApp", "TrainingRun", "final_states",
           "lesson_vocabulary", "parse_sentence", "reference_bag_of_words"]

OWN = "(your own sentences)"
#: older names of the lesson math, kept importable from here
reference_bag_of_words, final_states = bag_of_words, hidden_states


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
        self.comparison: Comparison | None = None
        wide = "380px"
        self.example = W.Dropdown(options=[*EXAMPLES, OWN], value=OWN, description="example",
                                  style={"description_width": "100px"}, layout=W.Layout(width=wide))
        self.text_a = SentenceBox(sentence_a, description="sentence A", max_chars=MAX_CHARS, width=wide)
        self.text_b = SentenceBox(sentence_b, description="sentence B", max_chars=MAX_CHARS, width=wide)
        self.slots = W.IntSlider(value=slots, min=SLOTS_RANGE[0], max=SLOTS_RANGE[1], description="input slots",
                                 continuous_update=True, style={"description_width": "100px"},
                                 layout=W.Layout(width=wide))
        self.summary = W.HTML()
        self.stale_with = [self.summary]  # it describes the pair drawn
        # moves with the slider: a view of its own, so a move redraws nothing else (viz.order.slots_html)
        self.slots_view = W.HTML()
        self.slots_view.add_class(SLOTS_VIEW_CLASS)
        # counts, final states and the unrolled RNN, drawn as SVG by rnnviz.viz.order.compare_html
        self.compare_view = W.HTML()
        super().__init__([
            heading(self.title,
                    "<b>Just below the controls</b>: a conventional network needs a fixed number of inputs, one slot "
                    "per word, one row per sentence: blue slots hold a word, grey slots get none (missing inputs), "
                    "words in pale red get no slot (lost). "
                    "<b>Panel 1</b>: the bag of words, c<sub>v</sub> = how often word v occurs. "
                    "<b>Panel 2</b>: the RNN's state after the last word, h<sub>T</sub> (an untrained RNN with random "
                    "weights: it already tells the orders apart; training teaches it which differences matter). "
                    "<b>Panels 3 and 4</b>, A and B: the RNN instead runs one time-stamp per word with the same "
                    "weights, so a longer sentence just gets more columns; red/blue is each unit's value in "
                    "h<sub>t</sub>, and the outlined last column is the h<sub>T</sub> of panel 2. "
                    "Hover over a bar or a cell for its value."),
            W.HTML(f'<div class="rnnviz-help" style="max-width:1100px">{_words_html(self.vocab)}</div>'),
            self.control_bar(
                explained(self.example, "load a prepared pair: reordered words, different lengths, same meaning in "
                                        "other words"),
                explained(self.text_a, "type a sentence with the words above and press Enter"),
                explained(self.text_b, "reorder A's words here: the bag of words stays the same, the RNN's state "
                                       "does not"),
                explained(self.slots, "the fixed-input network's word inputs: empty slots or lost words"),
            ),
            self.slots_view,
            self.summary,
            self.compare_view,
        ])
        self.watch(self.example, self._load_example)
        for control in (self.text_a, self.text_b):
            self.watch(control, self._typed)
        self.watch(self.slots, self._slots_moved)
        self.refresh()


    # ------------------------------------------------------------------ reading the controls
    @property
    def words(self) -> tuple[list[str], list[str]] | None:
        """The words of A and B now drawn (None before the first good update)."""
        return None if self.comparison is None else (self.comparison.words_a, self.comparison.words_b)

    @property
    def same_bag(self) -> bool:
        return bool(self.comparison and self.comparison.same_bag)

    @property
    def state_distance(self) -> float:
        return float("nan") if self.comparison is None else self.comparison.distance

    def _sentences(self) -> tuple[list[str], list[str]]:
        return (parse_sentence(self.text_a.text(), self.vocab, name="sentence A"),
                parse_sentence(self.text_b.text(), self.vocab, name="sentence B"))

    def _checked_slots(self) -> int:
        slots = self.slots.value
        lo, hi = SLOTS_RANGE
        if isinstance(slots, bool) or not isinstance(slots, (int, np.integer)) or not lo <= slots <= hi:
            raise ValueError(f"input slots: expected a whole number from {lo} to {hi}, got {slots!r}")
        return int(slots)

    # ------------------------------------------------------------------ handlers
    def _load_example(self) -> None:
        label = self.example.value
        if label == OWN:
            return
        if label not in EXAMPLES:
            raise ValueError(f"example: expected one of {', '.join(map(repr, EXAMPLES))}, got {label!r}")
        with self.quiet():
            self.text_a.value, self.text_b.value = EXAMPLES[label]
        self.update()

    def _typed(self) -> None:
        pair = (self.text_a.value, self.text_b.value)
        label = next((k for k, v in EXAMPLES.items() if v == pair), OWN)
        if label != self.example.value:
            self.set_quietly(self.example, value=label)
        self.update()

    def _slots_moved(self) -> None:
        """Only the slots view and the summary: nothing in the other view depends on the number of slots."""
        words = self._sentences()  # a bad sentence in a box stays a message
        if words != self.words:
            self.update()
            return
        self._show_slots(*words, self._checked_slots())

    def _show_slots(self, words_a: list[str], words_b: list[str], slots: int) -> None:
        self.slots_view.value = slots_html(words_a, words_b, slots)
        self.summary.value = self._explain(words_a, words_b, slots)

    def update(self) -> None:
        """Everything, from the sentences and the slots."""
        words_a, words_b = self._sentences()
        slots = self._checked_slots()
        cmp = compare(words_a, words_b, self.net, self.params, self.vocab)
        self.comparison = cmp
        self.compare_view.value = compare_html(cmp.words_a, cmp.words_b, cmp.shown, cmp.counts_a, cmp.counts_b,
                                               cmp.states_a, cmp.states_b)
        self._show_slots(words_a, words_b, slots)

    def _explain(self, words_a: list[str], words_b: list[str], slots: int) -> str:
        cmp = self.comparison
        lines = []
        if cmp.same_bag and words_a != words_b:
            lines.append("<b>Same bag of words.</b> A and B use the same words the same number of times; only the order "
                         "differs. Their count vectors are identical, so <i>every</i> bag-of-words model, whatever its "
                         "weights, gives them the same answer.")
        elif cmp.same_bag:
            lines.append("A and B are the same sentence.")
        else:
            lines.append("The count vectors differ (A and B do not use exactly the same words).")
        if cmp.distance > 1e-9:
            lines.append(f"The RNN's final states differ by {cmp.distance:.2f} (Euclidean distance): it read the "
                         "words in order, so a classifier on h_T <i>can</i> tell the sentences apart.")
        else:
            lines.append("The RNN's final states are identical: same words in the same order.")
        parts = []
        for name, words in (("A", words_a), ("B", words_b)):
            fit = slot_fit(words, slots)
            if fit.lost:
                parts.append(f"{name} has {fit.words} words: the last {len(fit.lost)} "
                             f"({html.escape(' '.join(fit.lost))}) have no input slot and are lost")
            elif fit.empty:
                parts.append(f"{name} has {fit.words} words and leaves {fit.empty} slot{'s' if fit.empty > 1 else ''} "
                             "without input")
        if parts:
            lines.append(f"<b>Different lengths.</b> With {slots} input slots: " + "; ".join(parts)
                         + f". The RNN just runs {len(words_a)} and {len(words_b)} time-stamps with the same weights.")
        return "<br>".join(lines)


# =========================================================================== app 2: train and probe
class TrainProbeApp(LessonApp):
    """A bag-of-words classifier and an RNN on the word-order task: untrained at first, trained on "Train both";
    probe them by shuffling a sentence.

    ``pace``: the shortest time (s) between two drawings of the accuracy view when the button trains, so that a
    class sees the curves grow (the run itself takes about a second at the defaults); :meth:`train` called from
    code does not wait.
    """

    title = "Train both on who-did-what-to-whom, then shuffle a sentence"
    EVALUATIONS = 40  # held-out evaluations (and drawings of the accuracy view) per run, at most

    def __init__(self, *, train_size: int = 600, steps: int = 300, hidden_size: int = 16, lr: float = 3e-3,
                 bow_model: str = "MLP", seed: int = 0, test_size: int = 400, batch_size: int = 32,
                 pace: float = 0.05):
        self.vocab = lesson_vocabulary()
        self.test = word_order(test_size, rng=np.random.default_rng(10_000 + seed))
        self.class_names = tuple(self.test.class_names)
        self.batch_size = batch_size
        self.pace = float(pace)
        s = {"description_width": "130px"}
        wide = W.Layout(width="380px")
        self.train_size = W.IntSlider(value=train_size, min=TRAIN_SIZE_RANGE[0], max=TRAIN_SIZE_RANGE[1], step=100,
                                      description="training sentences", style=s, layout=wide, continuous_update=False)
        self.steps = W.IntSlider(value=steps, min=STEPS_RANGE[0], max=STEPS_RANGE[1], step=20,
                                 description="training steps", style=s, layout=wide, continuous_update=False)
        self.hidden = W.IntSlider(value=hidden_size, min=HIDDEN_RANGE[0], max=HIDDEN_RANGE[1],
                                  description="RNN hidden units", style=s, layout=wide, continuous_update=False)
        self.lr = W.FloatLogSlider(value=lr, base=10, min=np.log10(LR_RANGE[0]), max=np.log10(LR_RANGE[1]), step=0.25,
                                   description="learning rate", style=s, layout=wide, readout_format=".2r",
                                   continuous_update=False)
        self.bow_model = W.Dropdown(options=[("logistic regression", "logistic"),
                                             (f"MLP, {BOW_HIDDEN} hidden units", "MLP")],
                                    value=bow_model, description="bag of words", style=s, layout=wide)
        self.seed = W.BoundedIntText(value=seed, min=SEED_RANGE[0], max=SEED_RANGE[1], description="seed", style=s,
                                     layout=W.Layout(width="230px"))
        self.train_button = self.button("Train both", self._train_clicked, icon="play", style="primary", busy=True)
        self.progress = W.IntProgress(value=0, min=0, max=1, description="progress", style={"description_width": "70px"},
                                      layout=W.Layout(width="300px"))
        self.status = W.HTML()
        self.probe_text = SentenceBox("", description="probe sentence", max_chars=MAX_CHARS, width="440px",
                                      description_width="130px")
        self.shuffle_button = self.button("shuffle the words", self.shuffle, icon="random")
        self.next_button = self.button("new test sentence", self.next_sentence, icon="forward")
        self.restore_button = self.button("original order", self.restore, icon="undo")
        self.probe_info = W.HTML()
        self.stale_with = [self.probe_info]  # it describes the sentence drawn
        # drawn as SVG by rnnviz.viz.order: the accuracy during training, live; the probe's two panels
        self.training_view = W.HTML()
        self.probe_view = W.HTML()
        # side by side in a wide page, one below the other in a narrow one
        self.views = W.Box([self.training_view, self.probe_view],
                           layout=W.Layout(flex_flow="row wrap", align_items="flex-start", grid_gap="10px 30px"))
        train_row = explained(self.train_button, "from random weights (seeded): panel 1 draws both as they learn")
        train_row.children = (self.train_button, self.progress, *train_row.children[1:])
        probe_buttons = W.HBox([self.next_button, self.shuffle_button, self.restore_button,
                                W.HTML('<span class="rnnviz-help">another held-out sentence &middot; its words in a '
                                       'random order (seeded) &middot; back as written</span>')])
        probe_buttons.add_class("rnnviz-control")
        super().__init__([
            heading(self.title,
                    "Each sentence says who acts on whom: <i>animal acts on person</i> (\"the dog bit the man\") or "
                    "<i>person acts on animal</i> (\"the man bit the dog\", \"the dog was bitten by the man\"). "
                    "The two classes use the same words; only the order differs. Both models start untrained, at "
                    "chance. <b>Panel 1</b>: accuracy on held-out sentences that come in mirror pairs, drawn while "
                    "both train. A bag of words gives both sentences of a pair the same answer, so it is right on "
                    "exactly one of them: 50%, however long it trains. The RNN reads the order and can learn it. "
                    "<b>Panels 2 and 3</b>: the probe. Shuffling keeps the counts, so the bag of words' input, and "
                    "its prediction, never change (a flat orange line in panel 3); the RNN's do. Hover over a point "
                    "or a bar for its value."),
            self.control_bar(
                train_row,
                self.status,
                explained(self.probe_text, "both models classify it; type your own and press Enter"),
                probe_buttons,
                self.probe_info,
            ),
            explained(self.train_size, "how many sentences to train on (both models see the same ones)"),
            explained(self.steps, "optimizer steps (Adam, 32 sentences each) per model"),
            explained(self.hidden, "size p of the RNN's state h_t; more learn faster and surer, 2 to 4 may get stuck"),
            explained(self.lr, "Adam's step size; larger learns faster until it becomes unstable"),
            explained(self.bow_model, "logistic regression on the counts, or an MLP: both stay at 50%"),
            explained(self.seed, "the same seed and settings give exactly the same curves; change it for another run"),
            self.views,
        ])
        self.watch(self.probe_text, self.update)
        for control in (self.train_size, self.steps, self.hidden, self.lr, self.bow_model, self.seed):
            self.watch(control, self._settings_changed)
        self.settings = self._checked_settings()
        self.models = make_models(len(self.vocab), len(self.class_names), self.settings)
        self.run: TrainingRun | None = None
        self.live_draws = 0  # accuracy views drawn during the last run
        self._probe_index = 0
        self._probe_rng = np.random.default_rng(seed)
        self._history: list[tuple[str, float, float]] = []
        self._history_bag: list[str] | None = None
        self.curves = {"step": [0], "bow": [accuracy(self.models.bow, self.test)],
                       "rnn": [accuracy(self.models.rnn, self.test)]}
        self._draw_training(total=self.settings.steps)
        self.status.value = self._untrained_text()
        self.set_quietly(self.probe_text, value=self.test.sentences[self._probe_index])
        self.refresh()


    # ------------------------------------------------------------------ models
    @property
    def bow(self):
        """The bag-of-words classifier (a :class:`rnnviz.core.bow.SequenceClassifier`)."""
        return self.models.bow

    @property
    def rnn(self):
        """The RNN classifier."""
        return self.models.rnn

    @property
    def trained(self) -> bool:
        return self.run is not None

    def _untrained_text(self) -> str:
        return (f"<b>Untrained</b> (random weights), at chance: held-out accuracy RNN {self.curves['rnn'][0]:.0%}, "
                f"bag of words {self.curves['bow'][0]:.0%}; chance is 50%. Press <b>Train both</b>.")

    def _checked_settings(self):
        return check_settings(train_size=self.train_size.value, steps=self.steps.value, hidden=self.hidden.value,
                              lr=self.lr.value, bow_model=self.bow_model.value, seed=self.seed.value)

    def _settings_changed(self) -> None:
        self._checked_settings()
        self.status.value = "Settings changed: press <b>Train both</b> to train with them."

    def _train_clicked(self) -> None:
        self.train(pace=self.pace)

    def train(self, *, pace: float = 0.0) -> TrainingRun:
        """Train both models from fresh random weights (seeded) with the current settings; the view updates live.

        The accuracy view is redrawn after each of at most :data:`EVALUATIONS` evaluations (at least ``pace``
        seconds apart), the progress bar at most about 100 times.
        """
        settings = self._checked_settings()
        self.settings = settings
        self.models = make_models(len(self.vocab), len(self.class_names), settings)
        self.run = None
        steps = settings.steps
        self.progress.max, self.progress.value = 2 * steps, 0
        self.progress.bar_style = ""
        ticks = [0]
        tick_every = max(4, (2 * steps) // 100)  # a bounded number of progress messages, whatever the steps

        def tick() -> None:
            ticks[0] += 1
            if ticks[0] % tick_every == 0:
                self.progress.value = ticks[0]

        self.status.value = f"Training both models, {steps} steps each …"
        self.live_draws = 0
        start = last = time.perf_counter()
        try:
            for point in train_both(self.models, settings, self.test, batch_size=self.batch_size,
                                    evaluations=self.EVALUATIONS, on_step=tick):
                if point.step == 0:
                    self.curves = {"step": [0], "bow": [point.bow], "rnn": [point.rnn]}
                    self._draw_training(total=steps, running=True)  # the last run's curves go at once
                    continue
                for key, value in zip(("step", "bow", "rnn"), point):
                    self.curves[key].append(value)
                wait = pace - (time.perf_counter() - last)
                if wait > 0:
                    time.sleep(wait)
                self._draw_training(total=steps, running=point.step < steps)
                last = time.perf_counter()
                self.live_draws += 1
            self.progress.value = self.progress.max
            self.progress.bar_style = "success"
        except BaseException:  # a run that stopped early: the view no longer says "training"
            self._draw_training(total=steps)
            self.status.value = "Training stopped early (see the message): the models are only partly trained."
            raise
        seconds = time.perf_counter() - start
        self.run = TrainingRun(steps=steps, seconds=seconds, train_size=settings.train_size,
                               bow=self.curves["bow"][-1], rnn=self.curves["rnn"][-1], curves=self.curves)
        self.status.value = (f"Trained {steps} steps on {settings.train_size} sentences in {seconds:.1f} s. Held-out "
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
        self.set_quietly(self.probe_text, value=text)
        self.update()

    def next_sentence(self) -> None:
        self._set_probe(self._probe_index + 1)

    def restore(self) -> None:
        self._set_text(self.test.sentences[self._probe_index])

    def shuffle(self) -> None:
        words = parse_sentence(self.probe_text.text(), self.vocab, name="probe sentence")
        self._set_text(" ".join(shuffled(words, self._probe_rng)))

    def probabilities(self, words: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
        """(bag-of-words probabilities (K,), RNN probabilities (K,)) of one sentence."""
        return probabilities(self.models, words, self.vocab)

    def update(self) -> None:
        self._refresh_probe(keep_history=True)

    def _refresh_probe(self, *, keep_history: bool) -> None:
        words = parse_sentence(self.probe_text.text(), self.vocab, name="probe sentence")
        p_bow, p_rnn = self.probabilities(words)
        text = " ".join(words)
        if not keep_history:  # the models changed: redo the probabilities of the sentences so far
            old = [t for t, _, _ in self._history] or [text]
            self._history = [(t, *(p[1] for p in self.probabilities(t.split()))) for t in old]
        elif self._history_bag is None or not same_bag(words, self._history_bag):
            self._history = [(text, p_bow[1], p_rnn[1])]  # other words: a new probe
        elif not self._history or self._history[-1][0] != text:
            self._history.append((text, p_bow[1], p_rnn[1]))
            del self._history[:-40]
        self._history_bag = words
        self.p_bow, self.p_rnn = p_bow, p_rnn
        texts, hb, hr = zip(*self._history)
        self.probe_view.value = probe_html(self.class_names, p_bow, p_rnn, texts, hb, hr)
        original = self.test.sentences[self._probe_index]
        if text == original:
            truth = (f"held-out sentence #{self._probe_index}, true class: "
                     f"<b>{self.class_names[self.test.y[self._probe_index]]}</b>")
        elif same_bag(words, original.split()):
            truth = "its words shuffled: there is no true class any more, but the bag of words cannot know that"
        else:
            truth = "your own sentence"
        guess = lambda p: f"{self.class_names[int(np.argmax(p))]} ({np.max(p):.0%})"  # noqa: E731
        state = "" if self.trained else " (untrained: both guess)"
        self.probe_info.value = (f"&ldquo;{html.escape(text)}&rdquo; &mdash; {truth}.<br>Bag of words says "
                                 f"<b>{guess(p_bow)}</b>; RNN says <b>{guess(p_rnn)}</b>{state}.")
