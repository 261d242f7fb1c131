r"""Lesson 4: backpropagation through time, one time-stamp at a time — the app.

:class:`BPTTApp` steps the backward pass from t = T down to 1 and shows, at each time-stamp,
dL/dy_t, dL/dh_t and its two terms, the time-stamp's copy of a shared weight's gradient and the
running sum of the copies beside the true gradient; over the whole sequence, the losses, the size
of each copy and the gap of the running sum; and, on a button, a finite-difference gradient check.

What it computes is in :mod:`rnnviz.lessonmath.bptt` (its public names are re-exported here); the
views in :mod:`rnnviz.viz.bptt`; the exercises in :mod:`rnnviz.exercises.bptt`.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..lessonmath.bptt import (
    ALPHABET, DEFAULT_SENTENCE, HIDDEN_SIZE, MAX_CHARS, MIN_CHARS, TRAIN_STEPS, WEIGHTS, BackwardTrace,
    GradientCheckResult, Problem, backward_trace, clean_sentence, gradient_check, lesson_params, make_problem,
    training_snapshots,
)
from ..viz.bptt import check_html, sequence_guide, sequence_html, strip_html, summary_html, time_guide, time_html
from .base import LessonApp, SentenceBox, TimeStepper, explained, heading

__all__ = [
    "ALPHABET", "BPTTApp", "BackwardTrace", "DEFAULT_SENTENCE", "GradientCheckResult", "MAX_CHARS", "Problem",
    "WEIGHTS", "backward_trace", "clean_sentence", "gradient_check", "lesson_params", "make_problem",
    "training_snapshots",
]


def _train_steps(value: object) -> int:
    """The number of training steps if it is a whole number in :data:`TRAIN_STEPS`; a ValueError otherwise."""
    lo, hi = TRAIN_STEPS
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ValueError(f"training steps: expected a whole number from {lo} to {hi}, got {value!r}")
    return int(value)


class BPTTApp(LessonApp):
    """Step the backward pass from t = T down to 1 and watch the copies add up to the gradient."""

    title = "Backpropagation through time, step by step"

    def __init__(self, sentence: str = DEFAULT_SENTENCE, *, train_steps: int = 10, weight: str = "W_hh",
                 hidden_size: int = HIDDEN_SIZE, seed: int = 0):
        if weight not in WEIGHTS:
            raise ValueError(f"weight: expected one of {', '.join(WEIGHTS)}, got {weight!r}")
        self.hidden_size, self.seed = hidden_size, seed
        self.problem = make_problem(sentence, hidden_size)
        self._snapshots: list[dict] = []
        self._trainer = training_snapshots(self.problem, seed)
        self.check_result: GradientCheckResult | None = None
        T = self.problem.T
        style = {"description_width": "120px"}
        self.sentence = SentenceBox(self.problem.sentence, description="sentence", max_chars=MAX_CHARS,
                                    width="420px", description_width="120px")
        self.train_steps = W.IntSlider(value=_train_steps(train_steps), min=TRAIN_STEPS[0], max=TRAIN_STEPS[1],
                                       step=5, description="training steps", style=style, continuous_update=False)
        self.weight = W.ToggleButtons(options=list(WEIGHTS), value=weight, style={"button_width": "62px"})
        # the backward pass goes from T down to 1: play steps t backwards, pause keeps t
        self.stepper = TimeStepper(T, direction=-1, description="time-stamp t", width="320px",
                                   description_width="120px")
        self.t = self.stepper.slider
        self.play = self.stepper.play
        self.check_button = self.button("Run gradient check", self.run_check, icon="check", style="info",
                                        width="180px", busy=True)
        self.strip = W.HTML()  # the sentence, t and its target marked
        self.summary = W.HTML()  # t, its loss, |dL/dh_t| and the gap of the running sum
        # the views, drawn as SVG by rnnviz.viz.bptt
        self.time_view = W.HTML()  # at time-stamp t: dL/dy_t, dL/dh_t, the copy, the running sum and the true gradient
        self.sequence_view = W.HTML()  # over the whole sequence: losses, copy sizes, the gap; t marked
        self.check_view = W.HTML(check_html(None))  # the gradient check
        # ToggleButtons puts its description on a line of its own: a label beside it instead, aligned like the others
        weight_row = W.HBox([W.HTML('<div style="text-align:right; padding-right:8px">weight</div>',
                                    layout=W.Layout(width="120px")), self.weight])
        super().__init__([
            heading(self.title,
                    f"A small RNN language model (p = {hidden_size} hidden units) reads the sentence one character "
                    "at a time and predicts the next one. BPTT goes <b>backwards</b>: start at t = T, move t down to 1. "
                    "At each time-stamp the shared weight gets its own <i>copy</i> of the gradient; the true gradient "
                    "is the sum of all copies."),
            explained(self.sentence, "the training sentence; press Enter. Letters, spaces and . , ; : ' ! ? - , "
                                     f"{MIN_CHARS} to {MAX_CHARS} characters"),
            explained(self.train_steps, "Adam steps on this sentence before we look: 0 = random weights; "
                                        "more steps, lower losses and smaller gradients"),
            self.control_bar(
                explained(self.stepper, "▶ play walks from T down to 1; pause keeps t"),
                explained(weight_row, "which shared weight's copies the heatmaps show: W_hh (p×p), W_xh (p×d), "
                                      "W_hy (d×p)"),
                self.strip,
                self.summary,
            ),
            heading("At time-stamp t", time_guide()),
            self.time_view,
            heading("Over the whole sequence", sequence_guide()),
            self.sequence_view,
            explained(self.check_button, "compares BPTT with finite differences on W_hh, W_xh and W_hy; "
                                         "takes under a second"),
            self.check_view,
        ])
        weight_row.tooltip = None  # a Box with a tooltip fails to render in the browser (updateTooltip)
        self.watch(self.sentence, self._on_sentence)
        self.watch(self.train_steps, self._on_model)
        self.watch(self.weight, self.update)
        self.watch(self.t, self.update)
        self._recompute()
        self.refresh()

    # ------------------------------------------------------------------ model state
    def _params(self, steps: int) -> dict:
        while len(self._snapshots) <= steps:
            self._snapshots.append(next(self._trainer))
        return self._snapshots[steps]

    def _recompute(self) -> None:
        self.params = self._params(_train_steps(self.train_steps.value))
        self.trace = backward_trace(self.problem, self.params)
        self.check_result = None  # a check of other weights is no longer valid: update() clears its drawing

    def _on_model(self) -> None:
        self._recompute()
        self.update()

    def _on_sentence(self) -> None:
        raw = self.sentence.text()  # not text, empty or too long: a ValueError under the box
        problem = make_problem(raw, self.hidden_size)  # unknown characters, too short: the same; nothing changes
        self.problem = problem
        self._snapshots, self._trainer = [], training_snapshots(problem, self.seed)
        self._recompute()
        T = problem.T
        self.play.value = False  # a new sentence: the backward pass starts again at t = T
        with self.quiet():
            self.stepper.set_length(T)
            self.stepper.value = T
        self.update()
        lowered = " Upper case was turned into lower case." if raw.strip() != problem.sentence else ""
        self.message.info(f"New sentence: T = {T} time-stamps, d = {len(problem.vocab)} characters "
                          f"(including <unk>); weights re-drawn and trained for {self.train_steps.value} steps."
                          + lowered)

    @property
    def gap(self) -> float:
        """Relative gap ||sum_{s>=t} copies - true gradient|| / ||true gradient|| at the current t and weight."""
        return float(self.trace.gaps[self.weight.value][self.t.value - 1])

    # ------------------------------------------------------------------ drawing
    def update(self) -> None:
        t, name = self.t.value, self.weight.value
        if name not in WEIGHTS:
            raise ValueError(f"weight: expected one of {', '.join(WEIGHTS)}, got {name!r}")
        if isinstance(t, bool) or not (isinstance(t, (int, np.integer)) and 1 <= t <= self.trace.T):
            raise ValueError(f"time-stamp t: expected 1 to T = {self.trace.T}, got {t!r}")
        # one message per view, the panels of t first, then the sequence, then the read-outs
        self.time_view.value = time_html(self.trace, int(t), name)
        self.sequence_view.value = sequence_html(self.trace, int(t), name)
        if self.check_result is None:  # a new trace cleared the check (see _recompute)
            self.check_view.value = check_html(None)
        self.strip.value = strip_html(self.trace, self.problem.sentence, int(t))
        self.summary.value = summary_html(self.trace, int(t), name)

    # ------------------------------------------------------------------ gradient check
    def run_check(self) -> None:
        res = gradient_check(self.problem, self.params)
        self.check_result = res
        self.check_view.value = check_html(res)
        c = res.check
        per = ", ".join(f"{n} {e:.1e}" for n, e in c.errors.items())
        if c.passed:
            self.message.info(f"Gradient check PASSED: max relative error {c.max_error:.1e} < {c.tolerance:.0e} ({per}).")
        else:
            self.message.error(f"Gradient check FAILED: max relative error {c.max_error:.1e} ≥ {c.tolerance:.0e} "
                               f"(worst {c.worst()}; {per}).")
