r"""Lesson 2: the recurrent cell, step by step — the app.

:class:`CellStepApp` steps the shipped character model (:func:`rnnviz.lessonmath.cellstep.load_pretrained`)
through a typed sentence, one time-stamp t at a time:

    a_t = W_xh x_t + W_hh h_{t-1} + b_h,   h_t = tanh(a_t),   y_t = W_hy h_t + b_y,   p_t = softmax(y_t)

with the actual numbers, every hidden state of the sentence and the loss of every step; the input or the
target of a time-stamp can be marked absent. What it computes is in :mod:`rnnviz.lessonmath.cellstep`, the
views in :mod:`rnnviz.viz.cellstep`, its exercises in :mod:`rnnviz.exercises.cellstep`.
"""

from __future__ import annotations

import uuid

import ipywidgets as W
import numpy as np

from ..lessonmath.cellstep import (
    DEFAULT_TEXT,
    MAX_CHARS,
    PretrainedCharRNN,
    load_pretrained,
    run_sentence,
    sentence_ids,
    step_at,
    step_terms,
    unit_arithmetic,
)
from ..viz.cellstep import equation_html, now_style, sentence_html, status_html, step_html, summary_html
from .base import LessonApp, Message, SentenceBox, TimeStepper, explained, heading

__all__ = [
    "DEFAULT_TEXT",
    "MAX_CHARS",
    "CellStepApp",
    "PretrainedCharRNN",
    "load_pretrained",
    "sentence_ids",
    "step_terms",
]

_SUBSCRIPTS = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")


def _sub(t: int) -> str:
    return str(int(t)).translate(_SUBSCRIPTS)


def _whole(value: object, lo: int, hi: int, name: str) -> int:
    """``value`` if it is a whole number in lo..hi; a ValueError naming the control otherwise."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ValueError(f"{name}: expected a whole number from {lo} to {hi}, got {value!r}")
    return int(value)


def _flag(value: object, name: str) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


class CellStepApp(LessonApp):
    """Step a trained character RNN through a sentence, one time-stamp at a time.

    The time-stamp t is a :class:`~rnnviz.widgets.base.TimeStepper` (``stepper``; its slider is ``t``):
    step, play and pause run in the kernel, so a tick of an absent box always applies to the t its label
    names ("x₅ absent"). After each update: ``run`` (the :class:`~rnnviz.lessonmath.cellstep.SentenceRun`),
    ``step`` (the :class:`~rnnviz.lessonmath.cellstep.Step` at t), ``terms`` and ``x`` (its terms and input).
    """

    title = "The recurrent cell, step by step"

    def __init__(self, text: str = DEFAULT_TEXT, *, t: int = 1, unit: int = 1, top_k: int = 10,
                 model: PretrainedCharRNN | None = None):
        self.model = model or load_pretrained()
        self.top_k = int(top_k)
        self.tokens = self.model.vocab.tokens
        p = self.model.hidden_size
        self.ids, self.sentence, _ = sentence_ids(self.model.vocab, text)
        self.input_absent: set[int] = set()  # time-stamps t (from 1) whose x_t is absent
        self.target_absent: set[int] = set()  # ... whose target is absent
        self._bad_text: str | None = None  # the error of the text in the box, while the views show an older sentence
        self._cut_note = ""  # the note of a sentence that was cut
        T = len(self.ids) - 1
        style = {"description_width": "100px"}
        self.text = SentenceBox(text, max_chars=MAX_CHARS, width="520px")
        self.stepper = TimeStepper(T, value=t, description="time-stamp t", width="360px")
        self.t = self.stepper.slider
        self.absent_x = W.Checkbox(value=False, description="x\u2081 absent", indent=False,
                                   layout=W.Layout(width="auto"))
        self.absent_y = W.Checkbox(value=False, description="target at t = 1 absent", indent=False,
                                   layout=W.Layout(width="auto"))
        self._marks_t = 1  # the time-stamp the absent boxes name (and apply to)
        self.all_present = self.button("all present again", self._reset_absent, icon="undo")
        self.unit = W.IntSlider(value=min(max(int(unit), 1), p), min=1, max=p, description="unit i", style=style,
                                layout=W.Layout(width="430px"))
        self.sentence_note = Message()  # a note on the sentence read, kept while the student steps through it
        self.summary = W.HTML()
        self.status = W.HTML()
        self.equation = W.HTML()
        self.step_view = W.HTML()  # what changes with t: HTML, so a move redraws no large figure (viz.cellstep)
        # the whole sentence (SVG, sent when the sentence changes) and the style that boxes the current t in it
        self._view_id = uuid.uuid4().hex[:12]
        self.sentence_view = W.HTML()
        self.now = W.HTML()
        absent_row = W.HBox([self.absent_x, self.absent_y, self.all_present])
        absent_row.add_class("rnnviz-stepper")
        super().__init__([
            heading(self.title,
                    f"A character model (a vanilla RNN with p = {p} hidden units, trained on <i>Alice's Adventures in "
                    "Wonderland</i>) reads your sentence one character per time-stamp. <b>Top strip</b>: the one-hot "
                    "x<sub>t</sub>. <b>Middle left</b>: the update as column vectors, one row per hidden unit, red "
                    "positive, blue negative, the number in each cell: the three terms add up to a<sub>t</sub>, and "
                    "tanh squashes it into h<sub>t</sub> in (&minus;1, 1). <b>Middle right</b>: the model's guess for "
                    "the next character; green is the one that really comes next. <b>Below</b>: every h<sub>t</sub> "
                    "of the sentence side by side, and how surprised the model was at each step (the loss "
                    "l<sub>t</sub>; tall bars are bad guesses)."),
            explained(self.text, f"press Enter to read it from h_0 = 0 (up to {MAX_CHARS} characters)"),
            self.sentence_note,
            self.control_bar(
                explained(self.stepper, "step t reads x_t, predicts x_{t+1}; pause keeps t"),
                explained(absent_row, "x_t absent: W_xh x_t = 0, later states change; target absent: l_t leaves L"),
                self.summary),
            explained(self.unit, "the hidden unit whose arithmetic is written out below (boxed in the table)"),
            self.status,
            self.equation,
            self.step_view,
            self.now,
            self.sentence_view,
        ])
        self.watch(self.text, self._on_text)
        self.watch(self.t, self._on_t)
        self.watch(self.absent_x, self._on_absent_x)
        self.watch(self.absent_y, self._on_absent_y)
        self.watch(self.unit, self._draw_step)
        self.refresh()

    # ------------------------------------------------------------------ what the views show (read by tests, notebook)
    @property
    def inputs(self) -> np.ndarray:
        return self.run.inputs

    @property
    def targets(self) -> np.ndarray:
        return self.run.targets

    @property
    def steps(self) -> tuple:
        return self.run.steps

    @property
    def hidden(self) -> np.ndarray:
        return self.run.hidden

    @property
    def probs(self) -> np.ndarray:
        return self.run.probs

    @property
    def step_loss(self) -> np.ndarray:
        return self.run.step_loss

    @property
    def total_loss(self) -> float:
        return self.run.total_loss

    # ------------------------------------------------------------------ handlers
    def update(self) -> None:
        self.run = run_sentence(self.model, self.ids, input_absent=self.input_absent, target_absent=self.target_absent)
        self._draw_sequence()
        self._draw_step()

    def _time(self) -> int:
        """The time-stamp t, checked against the sentence read (a browser can send any value, and any max)."""
        return _whole(self.t.value, 1, len(self.ids) - 1, "time-stamp t")

    def _on_text(self) -> None:
        try:
            ids, used, note = sentence_ids(self.model.vocab, self.text.value, MAX_CHARS)
        except (TypeError, ValueError) as exc:  # the message shows it now; the note keeps it while t moves
            self._bad_text = str(exc)
            self.sentence_note.clear()
            raise
        self._bad_text, self._cut_note = None, note
        self.ids, self.sentence = ids, used
        self.input_absent.clear()
        self.target_absent.clear()
        with self.quiet():
            self.stepper.set_length(len(ids) - 1)  # t is kept if it still exists
        self.update()
        self.sentence_note.clear()
        if note:
            self.message.warning(note)  # under the sentence box now; afterwards in the note

    def _on_t(self) -> None:
        self._draw_step()

    def _toggle(self, where: set, control: W.Checkbox, name: str) -> None:
        absent = _flag(control.value, name)
        t = self._marks_t  # the t the box names: it was drawn with the step now shown
        (where.add if absent else where.discard)(t)
        self.update()

    def _on_absent_x(self) -> None:
        self._toggle(self.input_absent, self.absent_x, "x_t absent")

    def _on_absent_y(self) -> None:
        self._toggle(self.target_absent, self.absent_y, "target absent")

    def _reset_absent(self) -> None:
        self.input_absent.clear()
        self.target_absent.clear()
        self.update()

    # ------------------------------------------------------------------ drawing
    def _draw_sequence(self) -> None:
        run = self.run
        chars = [self.tokens[i] for i in run.inputs]
        nexts = [self.tokens[i] for i in run.targets]
        self.sentence_view.value = sentence_html(run.hidden, chars, nexts, run.step_loss, run.input_present,
                                                 run.target_present, run.total_loss, view_id=self._view_id)

    def _draw_step(self) -> None:
        t = self._time()
        unit = _whole(self.unit.value, 1, self.model.hidden_size, "unit i")
        step = step_at(self.model, self.run, t)
        self.step, self.terms, self.x = step, step.terms, step.x
        with self.quiet():  # the absent boxes name this t and show its marks
            self.absent_x.description = f"x{_sub(t)} absent"
            self.absent_y.description = f"target at t = {t} absent"
            self.absent_x.value = not step.input_present
            self.absent_y.value = not step.target_present
            self._marks_t = t
        self.now.value = now_style(self._view_id, t)
        self.step_view.value = step_html(
            t, step.x, step.terms, step.probs, self.tokens, step.target_id, unit=unit, top_k_shown=self.top_k,
            x_char=self.tokens[step.x_id], input_present=step.input_present, target_present=step.target_present,
            y=step.y)
        self.equation.value = equation_html(step, unit_arithmetic(self.model, step, unit), self.tokens)
        self.status.value = status_html(self.run, step, self.model.info.get("unigram_heldout", float("nan")))
        self.summary.value = summary_html(self.run, step, self.tokens)
        self._show_note()

    def _show_note(self) -> None:
        """The sentence's note under the sentence box: a text the model cannot read, or a sentence that was cut."""
        if self._bad_text:
            self.sentence_note.error(f"{self._bad_text} The views show the last good sentence, \u201c{self.sentence}\u201d.")
        elif self._cut_note:
            self.sentence_note.warning(self._cut_note)
        else:
            self.sentence_note.clear()
