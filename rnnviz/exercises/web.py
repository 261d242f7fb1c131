"""The answer box of an exercise in the web page: type or click an answer, check it, ask for a hint, give up.

Made by :meth:`rnnviz.exercises.Exercise.widget`; the same judge as ``ex.check(...)`` in JupyterLab
decides. Nothing is checked until the student answers; the hint and the solution stay hidden
until asked for.
"""

from __future__ import annotations

import html
import re

import ipywidgets as W

from . import ON_CHECK, Choice, Exercise, Feedback, FunctionExercise, Matrix, Number, TimeSet, Vector, _text_html

__all__ = ["CSS", "ExerciseBox"]

CSS = """<style>
.rnnviz-exercise-box { border: 1px solid #d1d5db; border-radius: 6px; padding: 6px 12px 8px 12px; margin: 8px 0;
  max-width: 960px; font-size: 15px; line-height: 1.45; }
.rnnviz-exercise-box .rnnviz-ex-question { margin-bottom: 4px; }
.rnnviz-exercise-box .widget-html-content { line-height: 1.45; white-space: normal; }
.rnnviz-exercise-box .rnnviz-ex-inputs { flex-wrap: wrap; align-items: center; gap: 4px 10px; }
.rnnviz-exercise-box .rnnviz-ex-buttons { gap: 6px; margin-top: 4px; flex-wrap: wrap; }
.rnnviz-exercise-box .rnnviz-ex-cell { align-items: center; gap: 4px; }
.rnnviz-exercise-box .widget-radio-box { flex-direction: row; flex-wrap: wrap; gap: 0 14px; }
.rnnviz-exercise-box .widget-radio-box label { width: auto; }
</style>"""

_SUBS = str.maketrans("0123456789+-−", "₀₁₂₃₄₅₆₇₈₉₊₋₋")


def plain_label(markup: str) -> str:
    """A label's markup as plain text for a button (``x<sub>3</sub>`` -> ``x₃``)."""
    text = re.sub(r"<sub>(.*?)</sub>", lambda m: m.group(1).translate(_SUBS), markup)
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class ExerciseBox(W.VBox):
    """One exercise answered in the page. ``feedback`` is the last :class:`Feedback` (None before a check)."""

    def __init__(self, exercise: Exercise):
        self.exercise = exercise
        self.feedback: Feedback | None = None
        self.attempts = 0
        kind = exercise.answer
        question = exercise.question_web if isinstance(exercise, FunctionExercise) else exercise.question
        head = W.HTML(f'{CSS}<div class="rnnviz-ex-question"><b>{html.escape(exercise.title)}.</b> '
                      f"{_text_html(question)}</div>")
        self.inputs: list[W.Widget] = []
        if isinstance(kind, Number):
            box = W.Text(placeholder=kind.placeholder, continuous_update=False, layout=W.Layout(width="180px"))
            self.inputs = [box]
            row = [box] + ([W.HTML(_text_html(kind.unit))] if kind.unit else [])
            box.observe(self._on_typed, names="value")
        elif isinstance(kind, Choice):
            pick = W.RadioButtons(options=list(kind.options), value=None, layout=W.Layout(width="auto"))
            self.inputs = [pick]
            row = [pick]
            pick.observe(self._on_typed, names="value")
        elif isinstance(kind, Vector):
            row = []
            for label in kind.labels:
                box = W.Text(placeholder="?", continuous_update=False, layout=W.Layout(width="90px"))
                self.inputs.append(box)
                cell = W.HBox([W.HTML(_text_html(label)), box])
                cell.add_class("rnnviz-ex-cell")
                row.append(cell)
        elif isinstance(kind, Matrix):
            cells = [W.HTML("")] + [W.HTML(f"<center>{_text_html(c)}</center>") for c in kind.cols]
            for r in kind.rows:
                cells.append(W.HTML(_text_html(r)))
                for _ in kind.cols:
                    box = W.Text(placeholder="?", continuous_update=False, layout=W.Layout(width="80px"))
                    self.inputs.append(box)
                    cells.append(box)
            row = [W.GridBox(cells, layout=W.Layout(grid_template_columns=f"auto repeat({len(kind.cols)}, 84px)",
                                                     grid_gap="2px 4px"))]
        elif isinstance(kind, TimeSet):
            row = []
            for label in kind.labels:
                toggle = W.ToggleButton(value=False, description=plain_label(label), layout=W.Layout(width="auto"))
                self.inputs.append(toggle)
                row.append(toggle)
        else:
            raise TypeError(f"{exercise.key}: unknown answer kind {type(kind).__name__}")
        inputs = W.HBox(row)
        inputs.add_class("rnnviz-ex-inputs")
        self.check_button = W.Button(description="Check", button_style="primary", icon="check",
                                     layout=W.Layout(width="110px"))
        self.hint_button = W.Button(description="Hint", icon="lightbulb-o", layout=W.Layout(width="90px"))
        self.give_up_button = W.Button(description="Show the answer", icon="eye", layout=W.Layout(width="170px"))
        self.check_button.on_click(lambda _: self.check())
        self.hint_button.on_click(lambda _: self.show_hint())
        self.give_up_button.on_click(lambda _: self.show_solution())
        buttons = W.HBox([self.check_button, self.hint_button, self.give_up_button])
        buttons.add_class("rnnviz-ex-buttons")
        self.result = W.HTML()
        self.help = W.HTML()
        super().__init__([head, inputs, buttons, self.result, self.help])
        self.add_class("rnnviz-exercise-box")

    # ------------------------------------------------------------------ reading the answer
    def answer(self) -> object:
        """The answer as typed or clicked (text for boxes: the judge reads it)."""
        kind = self.exercise.answer
        if isinstance(kind, (Number, Choice)):
            return self.inputs[0].value
        if isinstance(kind, Vector):
            return [box.value for box in self.inputs]
        if isinstance(kind, Matrix):
            n = len(kind.cols)
            return [[box.value for box in self.inputs[i * n:(i + 1) * n]] for i in range(len(kind.rows))]
        return [v for v, toggle in zip(kind.values, self.inputs) if toggle.value]

    def set_answer(self, answer: object) -> None:
        """Fill the boxes (or clicks) with ``answer`` without checking (tests, prepared views)."""
        kind = self.exercise.answer
        if isinstance(kind, Number):
            self.inputs[0].unobserve(self._on_typed, names="value")
            self.inputs[0].value = "" if answer is None else str(answer)
            self.inputs[0].observe(self._on_typed, names="value")
        elif isinstance(kind, Choice):
            self.inputs[0].unobserve(self._on_typed, names="value")
            self.inputs[0].value = answer
            self.inputs[0].observe(self._on_typed, names="value")
        elif isinstance(kind, (Vector, Matrix)):
            flat = [str(v) for row in answer for v in (row if isinstance(row, (list, tuple)) else [row])] \
                if isinstance(kind, Matrix) else [str(v) for v in answer]
            for box, v in zip(self.inputs, flat):
                box.value = v
        else:
            chosen = set(answer)
            for v, toggle in zip(kind.values, self.inputs):
                toggle.value = v in chosen

    # ------------------------------------------------------------------ actions
    def _on_typed(self, change) -> None:
        if change["new"] not in (None, ""):
            self.check()

    def check(self) -> Feedback:
        """Judge the answer now in the boxes and show the feedback."""
        fb = self.exercise.judge(self.answer())
        self.feedback = fb
        if fb.answered:
            self.attempts += 1
        self.result.value = fb.html()
        for listener in list(ON_CHECK):
            try:
                listener(self.exercise, fb)
            except Exception:  # a listener (a class pulse) must never break the page
                pass
        return fb

    def show_hint(self) -> None:
        self.help.value = self.exercise.hint()._repr_html_()

    def show_solution(self) -> None:
        self.help.value = self.exercise.solution()._repr_html_()
