r"""Lesson 4: backpropagation through time, one time-stamp at a time — the app.

:class:`BPTTApp` steps the backward pass from t = T down to 1 and shows, at each time-stamp,
dL/dy_t, dL/dh_t and its two terms, the time-stamp's copy of a shared weight's gradient and the
running sum of the copies beside the true gradient; over the whole sequence, the losses, the size
of each copy and the gap of the running sum; and, on a button, a finite-difference gradient check.

What it computes is in :mod:`rnnviz.lessonmath.bptt` (its public names are re-exported here); the
views in :mod:`rnnviz.viz.bptt`; the exercises in :mod:`rnnviz.exercises.bptt`.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from ..lessonmath.bptt import (
    ALPHABET, DEFAULT_SENTENCE, HIDDEN_SIZE, MAX_CHARS, MIN_CHARS, TRAIN_STEPS, WEIGHTS, BackwardTrace,
    GradientCheckResult, Problem, backward_trace, clean_sentence, gradient_check, lesson_params, make_problem,
    training_snapshots,
)
from ..viz.bptt import check_html, sequence_html, time_html, token_label
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
            heading("At time-stamp t", _time_guide()),
            self.time_view,
            heading("Over the whole sequence", _sequence_guide()),
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
        self.strip.value = _strip_html(self.trace, self.problem.sentence, int(t))
        self.summary.value = _summary_html(self.trace, int(t), name)

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


# =========================================================================== read-outs and guides
def _time_guide() -> str:
    return (
        "Everything here changes when t moves; read it left to right, in the order the backward step computes it. "
        "<b>dL/dy<sub>t</sub></b> = p̂<sub>t</sub> − onehot(j<sub>t</sub>), the gradient of the scores y<sub>t</sub>: "
        "positive for every wrong character, negative (p̂ − 1) for the true one, marked j<sub>t</sub>. "
        "<b>dL/dh<sub>t</sub></b> per hidden unit, as the sum (black ◆) of the part from this time-stamp's output, "
        "W<sub>hy</sub><sup>T</sup> dL/dy<sub>t</sub>, and the part from the future, "
        "W<sub>hh</sub><sup>T</sup>(Φ′<sub>t+1</sub> ⊙ dL/dh<sub>t+1</sub>), which is 0 at t = T. "
        "<b>The copy</b> of the gradient at this time-stamp, red positive, blue negative (its own colour scale, the "
        "same for every t, so you can compare copies); a W<sub>xh</sub> copy is non-zero only in the column of the "
        "input character x<sub>t</sub>. <b>The running sum</b> of the copies T … t, beside the true gradient "
        "on the same colour scale: the two become identical at t = 1. Hover over a bar or a cell for its value."
    )


def _sequence_guide() -> str:
    return (
        "<ul style='margin:0; padding-left:18px'>"
        "<li>The loss −log p̂<sub>t</sub>(j<sub>t</sub>) of each time-stamp; orange is the current t (in the sentence "
        "at the top, green marks the inputs of t+1 … T, which the backward pass has gone through).</li>"
        "<li>The size of each copy: green ones are already in the running sum, grey ones still to come.</li>"
        "<li>The relative gap between the running sum and the true gradient: 0 at t = 1 (for W<sub>hh</sub> "
        "already at t = 2: its copy at t = 1 multiplies h<sub>0</sub> = 0).</li></ul>"
    )


def _strip_html(trace: BackwardTrace, sentence: str, t: int) -> str:
    cells = []
    for i, c in enumerate(sentence):
        label = html.escape("␣" if c == " " else c)
        style = "display:inline-block; min-width:1.1em; text-align:center; margin:1px; padding:0 2px; border-radius:3px;"
        if i == t - 1:  # orange: the current time-stamp, as in the bar charts
            style += "background:#ea580c; color:white; font-weight:bold;"
        elif t <= i < len(sentence) - 1:  # inputs of the time-stamps t+1 .. T, already gone through backwards
            style += "background:#dcfce7;"
        if i == t:  # red: the true next character j_t, as in the dL/dy panel
            style += "outline:2px solid #dc2626; font-weight:bold;"
        cells.append(f'<span style="{style}">{label}</span>')
    x, j = trace.tokens[trace.inputs[t - 1]], trace.tokens[trace.targets[t - 1]]
    return (
        '<div style="display:flex; flex-wrap:wrap; align-items:center; gap:0 14px">'
        '<div style="font-family:monospace; font-size:17px">' + "".join(cells) + "</div>"
        f'<div style="color:#555; font-size:13.5px">input x<sub>t</sub> = '
        f"<b style='color:#ea580c'>{html.escape(token_label(x))}</b>, target "
        f"j<sub>t</sub> = <b style='color:#dc2626'>{html.escape(token_label(j))}</b></div></div>"
    )


def _summary_html(trace: BackwardTrace, t: int, name: str) -> str:
    gap = trace.gaps[name][t - 1]
    if t == 1:
        gap_text = (f"<b>{gap:.0e}</b>, rounding only: the sum of all copies <b>is</b> the true gradient"
                    if gap > 0 else "<b>0</b>: the sum of all copies <b>is</b> the true gradient")
    elif gap == 0 and name == "W_hh":
        gap_text = ("<b>0</b> already: the copy still to come, at t = 1, multiplies h<sub>0</sub><sup>T</sup>, and "
                    "h<sub>0</sub> is 0")
    else:
        gap_text = f"<b>{gap:.3f}</b> (copies {t - 1} … 1 to come)"
    return (
        f"t = <b>{t}</b> of T = {trace.T} &nbsp;·&nbsp; loss<sub>t</sub> = {trace.loss_per_step[t - 1]:.3f} "
        f"(L = {trace.loss:.2f}) &nbsp;·&nbsp; ‖dL/dh<sub>t</sub>‖ = {np.linalg.norm(trace.dh[t - 1]):.3f} "
        f"&nbsp;·&nbsp; relative gap of the running sum = {gap_text}"
    )
