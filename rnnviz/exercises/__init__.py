"""Exercises: one feedback type, student code called safely, one checker per exercise for both audiences.

An :class:`Exercise` is a question, the answer a student gives in the web page (a number, a choice,
a small vector or matrix, a set of time-stamps: :class:`Number`, :class:`Choice`, :class:`Vector`,
:class:`Matrix`, :class:`TimeSet`) and a *judge* that turns an answer into :class:`Feedback`:
correct, or not yet with the term that is wrong. A :class:`FunctionExercise` asks for a function in
JupyterLab (the student writes ``my_step``) and for its value on one small case in the web page;
the same judge decides both.

One notebook serves both audiences. Displayed as the last expression of a cell, an exercise is an
answer box under Voila (which hides code cells; :func:`in_voila`) and, in JupyterLab, the question
with the line of code that answers it. ``ex.check(answer)`` prints the feedback in JupyterLab and
nothing under Voila, so a page never shows a check that ran on a placeholder. A placeholder
(``...``, ``None``, a function that is not written yet) is *not answered*, never *wrong*. Hints and
solutions are shown only on request (``ex.hint()``, ``ex.solution()``, or the page's buttons).

The checkers of each lesson live in a module of this package named like its views and app
(:mod:`rnnviz.exercises.vanishing` for lesson 5, ...), each with a tuple ``EXERCISES``.
"""

from __future__ import annotations

import html
import math
import os
import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import numpy as np

__all__ = [
    "ON_CHECK", "Choice", "Exercise", "Feedback", "FunctionExercise", "Matrix", "NotYet", "Number", "TimeSet",
    "Unanswered", "Vector", "as_array", "as_choice", "as_number", "as_time_set", "call", "close", "in_voila",
]


# =========================================================================== feedback
class Feedback(NamedTuple):
    """What a checker says about one answer.

    ``correct``; ``text`` (what the student reads, without the "correct:" / "not yet:" prefix);
    ``wrong``: the term found wrong when one is ("W_hh", "bias", "Phi'", ...), "" otherwise;
    ``answered``: False for a placeholder (nothing to judge yet: neither right nor wrong).
    """

    correct: bool
    text: str
    wrong: str = ""
    answered: bool = True

    @classmethod
    def right(cls, text: str) -> Feedback:
        return cls(True, text)

    @classmethod
    def not_yet(cls, text: str, wrong: str = "") -> Feedback:
        return cls(False, text, wrong)

    @classmethod
    def unanswered(cls, text: str) -> Feedback:
        return cls(False, text, "", False)

    @property
    def kind(self) -> str:
        """"correct", "not yet" or "no answer yet"."""
        return "correct" if self.correct else "not yet" if self.answered else "no answer yet"

    def __str__(self) -> str:
        return f"{self.kind}: {self.text}"

    def __bool__(self) -> bool:
        return self.correct

    def html(self) -> str:
        """The feedback as a coloured line (``rnnviz-fb-correct`` / ``-notyet`` / ``-unanswered``)."""
        cls = {"correct": "correct", "not yet": "notyet", "no answer yet": "unanswered"}[self.kind]
        mark = {"correct": "\u2714", "not yet": "\u2718", "no answer yet": "\u2026"}[self.kind]
        return (f'<div class="rnnviz-fb rnnviz-fb-{cls}" style="{_FB_STYLE[cls]}">{mark} <b>{self.kind}</b>: '
                f"{_text_html(self.text)}</div>")

    def _repr_html_(self) -> str:
        return self.html()

    def _repr_pretty_(self, p, cycle) -> None:  # IPython's plain-text display
        p.text(str(self))


_FB_STYLE = {
    "correct": "background:#e8f5ee; border-left:4px solid #009E73; padding:6px 10px; margin:4px 0",
    "notyet": "background:#fdf0e6; border-left:4px solid #D55E00; padding:6px 10px; margin:4px 0",
    "unanswered": "background:#f3f4f6; border-left:4px solid #9ca3af; padding:6px 10px; margin:4px 0",
}
_TAGS = re.compile(r"(</?(?:sub|sup|b|i|code|br)\s*/?>)")


def _text_html(text: str) -> str:
    """``text`` for HTML: ``<sub>``, ``<sup>``, ``<b>``, ``<i>``, ``<code>``, ``<br>`` kept, everything else escaped."""
    return "".join(part if _TAGS.fullmatch(part) else html.escape(html.unescape(part), quote=False)
                   for part in _TAGS.split(str(text)))


class NotYet(Exception):
    """Raised inside a checker: the answer is wrong; ``text`` says what, ``wrong`` names the term."""

    def __init__(self, text: str, wrong: str = ""):
        super().__init__(text)
        self.text, self.wrong = text, wrong


class Unanswered(Exception):
    """Raised inside a checker: there is nothing to judge yet (a placeholder)."""

    def __init__(self, text: str = "write your answer, then check it"):
        super().__init__(text)
        self.text = text


#: Called after every answer checked in the web page, with the exercise and its feedback (a class pulse can listen).
ON_CHECK: list[Callable[[Exercise, Feedback], None]] = []


# =========================================================================== reading answers
def _placeholder(value: object) -> bool:
    return value is None or value is Ellipsis or (isinstance(value, str) and value.strip() in ("", "?", "..."))


def as_number(value: object, what: str = "your answer", *, integer: bool = False) -> float:
    """A number from a student's answer (a number, or text such as "0.7", "1e-3", "−2"); NotYet if it is not one."""
    if _placeholder(value):
        raise Unanswered(f"put a number in {what}" if what != "your answer" else "type a number")
    if isinstance(value, (bool, np.bool_)):
        raise NotYet(f"{what} should be a number, not {value!r}")
    if isinstance(value, str):
        text = value.strip().replace("\u2212", "-").replace(" ", "").replace(",", ".")
        try:
            number = float(text)
        except ValueError:
            raise NotYet(f"{what}: {value.strip()[:40]!r} is not a number (write it like 0.7 or 1e-3)") from None
    else:
        try:
            arr = np.asarray(value, dtype=float)
        except (TypeError, ValueError):
            raise NotYet(f"{what} should be a number, got {type(value).__name__}") from None
        if arr.size != 1:
            raise NotYet(f"{what} should be one number, got {arr.size} values")
        number = float(arr.reshape(()))
    if not math.isfinite(number):
        raise NotYet(f"{what} is {number}: give a finite number")
    if integer and number != round(number):
        raise NotYet(f"{what} should be a whole number, got {number:g}")
    return number


def as_array(value: object, shape: tuple[int, ...], what: str = "your answer") -> np.ndarray:
    """A float array of ``shape`` from a student's answer; NotYet (naming the shape) otherwise.

    Text entries (from the web page's boxes) are read as numbers; an empty entry is not answered.
    """
    if _placeholder(value) or (isinstance(value, (list, tuple)) and len(value) > 0
                               and all(_placeholder(v) for v in np.ravel(np.array(value, dtype=object)))):
        raise Unanswered(f"fill in {what}")
    if isinstance(value, (list, tuple)) and any(isinstance(v, str) for v in np.ravel(np.array(value, dtype=object))):
        flat = np.ravel(np.array(value, dtype=object))
        if any(_placeholder(v) for v in flat):
            raise NotYet(f"{what}: fill in every entry ({sum(_placeholder(v) for v in flat)} empty)")
        value = np.array([as_number(v, what) for v in flat]).reshape(np.shape(np.array(value, dtype=object)))
    try:
        arr = np.array(value, dtype=float)
    except (TypeError, ValueError):
        raise NotYet(f"{what} should be numbers (an array of shape {shape}), got {type(value).__name__}") from None
    if arr.shape != tuple(shape):
        if arr.size == int(np.prod(shape)) and arr.size > 0:
            raise NotYet(f"{what} has shape {arr.shape}; it should have shape {tuple(shape)} (the same numbers, "
                         "arranged differently)", "shape")
        raise NotYet(f"{what} has shape {arr.shape}; it should have shape {tuple(shape)}", "shape")
    if not np.all(np.isfinite(arr)):
        raise NotYet(f"{what} holds NaN or inf: is an entry left unset, or did a number overflow?")
    return arr


def as_choice(value: object, options: Sequence[str], what: str = "your answer") -> str:
    """One of ``options`` (case and spaces ignored); NotYet listing them otherwise."""
    if _placeholder(value):
        raise Unanswered("pick one of: " + ", ".join(map(repr, options)))
    text = str(value).strip().lower()
    for option in options:
        if option.lower() == text:
            return option
    raise NotYet(f"{what} should be one of {', '.join(map(repr, options))}, got {str(value)[:40]!r}")


def as_time_set(value: object, allowed: Sequence[int], what: str = "your answer") -> frozenset[int]:
    """A set of whole numbers from ``allowed`` (time-stamps); NotYet naming the stray ones otherwise."""
    if value is None or value is Ellipsis:
        raise Unanswered("pick the time-stamps")
    if isinstance(value, (int, np.integer)):
        value = [value]
    try:
        items = list(value)  # type: ignore[arg-type]
    except TypeError:
        raise NotYet(f"{what} should be a list of time-stamps such as [1, 2], got {type(value).__name__}") from None
    out = set()
    for v in items:
        n = as_number(v, what, integer=True)
        if int(n) not in allowed:
            raise NotYet(f"{what}: {int(n)} is not a time-stamp here (they run from {min(allowed)} to {max(allowed)})")
        out.add(int(n))
    return frozenset(out)


def call(fn: object, *args, what: str = "your function") -> Any:
    """Call a student's function on copies of ``args``; whatever goes wrong becomes NotYet, never a traceback.

    A function that is not written yet (it raises NotImplementedError, or returns ``...`` or None)
    is not answered.
    """
    if not callable(fn):
        if _placeholder(fn):
            raise Unanswered(f"write {what}, then check it")
        raise NotYet(f"pass {what} itself (the function, without calling it), got {type(fn).__name__}")
    copies = [a.copy() if isinstance(a, np.ndarray) else
              {k: (v.copy() if isinstance(v, np.ndarray) else v) for k, v in a.items()} if isinstance(a, dict) else a
              for a in args]
    try:
        with np.errstate(all="ignore"):
            out = fn(*copies)
    except NotImplementedError:
        raise Unanswered(f"{what} is not written yet") from None
    except RecursionError:
        raise NotYet(f"{what} calls itself without end (RecursionError)") from None
    except Exception as exc:  # the student's code may raise anything: say what, never crash
        text = str(exc)
        if isinstance(exc, (ValueError, TypeError)) and any(
                w in text for w in ("matmul", "shape", "broadcast", "aligned", "dimension")):
            raise NotYet(f"shapes: {what} raised {type(exc).__name__}: {text[:300]}", "shape") from None
        raise NotYet(f"{what} raised {type(exc).__name__}: {text[:300]}") from None
    if out is None or out is Ellipsis:
        raise Unanswered(f"{what} returns nothing yet: write its body and end it with a return statement")
    return out


def close(a: object, b: object, *, rtol: float = 1e-6, atol: float = 1e-9) -> bool:
    """Same shape and equal to round-off."""
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=rtol, atol=atol))


# =========================================================================== what the web page asks for
class Number(NamedTuple):
    """A number typed in a box (``integer``: a whole number); ``unit`` is written after the box."""

    integer: bool = False
    placeholder: str = "a number"
    unit: str = ""


class Choice(NamedTuple):
    """One of ``options``, picked with a click."""

    options: tuple[str, ...]


class Vector(NamedTuple):
    """A few numbers typed in boxes, one per label (markup, e.g. "h<sub>1</sub>[1]")."""

    labels: tuple[str, ...]


class Matrix(NamedTuple):
    """A small matrix typed in a grid of boxes."""

    rows: tuple[str, ...]
    cols: tuple[str, ...]


class TimeSet(NamedTuple):
    """A set of time-stamps clicked on: one toggle per time-stamp ``values[i]``, labelled ``labels[i]`` (markup)."""

    labels: tuple[str, ...]
    values: tuple[int, ...]


def in_voila() -> bool:
    """True when this kernel runs a notebook for Voila.

    Voila sets ``SERVER_SOFTWARE=voila/...`` in a kernel it starts for a page, and ``VOILA_PREHEAT`` /
    ``VOILA_BASE_URL`` in the pre-started kernels of its pools (which have no request yet).
    ``RNNVIZ_EXERCISES=web`` or ``=code`` overrides it (tests, screenshots).
    """
    mode = os.environ.get("RNNVIZ_EXERCISES", "")
    if mode in ("web", "code"):
        return mode == "web"
    return (os.environ.get("SERVER_SOFTWARE", "").lower().startswith("voila")
            or "VOILA_PREHEAT" in os.environ or "VOILA_BASE_URL" in os.environ)


# =========================================================================== exercises
class Exercise:
    """A question with one judge for the web page's answer and for the answer written as code.

    key: unique id "NN.name" (lesson number, short name); title: a few words; question: markup (the
    same text in both audiences; ``<code>``, ``<sub>``, ``<sup>``, ``<b>``, ``<i>`` allowed); answer:
    what the web page asks for (:class:`Number`, :class:`Choice`, :class:`Vector`, :class:`Matrix`,
    :class:`TimeSet`); judge(answer) returns the text said when it is right, or raises :class:`NotYet`
    / :class:`Unanswered` (it reads the raw answer with :func:`as_number` and friends); code: the lines a
    JupyterLab student writes (with ``ex`` for this exercise); hint and solution: markup, shown only
    when asked for; reference: a right answer (the tests and the solution use it).
    """

    def __init__(self, key: str, title: str, question: str, answer, judge: Callable[[object], str], *,
                 code: str, hint: str, solution: str, reference: object = None):
        if not re.fullmatch(r"\d\d\.[a-z0-9_-]+", key):
            raise ValueError(f"Exercise key: expected 'NN.short-name', got {key!r}")
        self.key, self.title, self.question, self.answer = key, title, question, answer
        self._judge, self.code, self._hint, self._solution = judge, code, hint, solution
        self.reference = reference
        self._box = None

    def __repr__(self) -> str:
        return f"<Exercise {self.key}: {self.title}>"

    # ------------------------------------------------------------------ judging
    def judge(self, answer: object) -> Feedback:
        """The feedback on ``answer`` (whatever happens: never raises)."""
        try:
            with np.errstate(all="ignore"):
                text = self._judge(answer)
        except Unanswered as exc:
            return Feedback.unanswered(exc.text)
        except NotYet as exc:
            return Feedback.not_yet(exc.text, exc.wrong)
        except Exception as exc:  # a checker must answer, even about an answer nobody foresaw
            return Feedback.not_yet(f"this answer could not be checked ({type(exc).__name__}: {str(exc)[:200]}); "
                                    "check its type and shape")
        return Feedback.right(text)

    def check(self, answer: object) -> Feedback | None:
        """JupyterLab: the feedback on ``answer`` (shown as the cell's result). Under Voila: nothing (None).

        Under Voila the code cells run once, with the placeholders, when the page opens; the page's
        answer box is where a student answers there.
        """
        if in_voila():
            return None
        return self.judge(answer)

    def hint(self) -> _Text:
        """The hint (asked for: it may give part of the answer away)."""
        return _Text("hint", self._hint)

    def solution(self) -> _Text:
        """The answer and why (for a student who gives up)."""
        return _Text("solution", self._solution)

    # ------------------------------------------------------------------ display
    def widget(self):
        """The answer box of the web page (:class:`rnnviz.exercises.web.ExerciseBox`), made once."""
        if self._box is None:
            from .web import ExerciseBox

            self._box = ExerciseBox(self)
        return self._box

    def code_html(self) -> str:
        """JupyterLab's display: the question and the code that answers it."""
        code = html.escape(self.code)
        return (f'<div class="rnnviz-exercise" style="border:1px solid #d1d5db; border-radius:6px; padding:8px 12px; '
                f'margin:6px 0; max-width:900px"><div><b>{html.escape(self.title)}.</b> {_text_html(self.question)}</div>'
                f'<div style="margin-top:6px; color:#374151">Answer in code, in the cell below:</div>'
                f'<pre style="background:#f6f8fa; padding:6px 8px; margin:4px 0">{code}</pre>'
                f'<div style="color:#6b7280; font-size:90%">A hint: <code>{self._var()}.hint()</code>; '
                f'the solution, if you give up: <code>{self._var()}.solution()</code>.</div></div>')

    def _var(self) -> str:
        m = re.search(r"([\w.]+)\.check\(", self.code)
        return m.group(1) if m else "ex"

    def _repr_mimebundle_(self, **kwargs):
        if in_voila():
            return self.widget()._repr_mimebundle_(**kwargs)
        return {"text/html": self.code_html(), "text/plain": f"{self.title}. {re.sub(r'<[^>]+>', '', self.question)}"}


class FunctionExercise(Exercise):
    """An exercise whose JupyterLab answer is a function and whose web answer is that function's value on one case.

    cases: the cases the student's function is run on (JupyterLab); web_case: the one case the web
    page writes out with its numbers (in ``question_web``); args(case): the arguments of the student's
    function for a case; value(out, case): reads one output (e.g. ``as_array(out, shape)``, raising NotYet
    on a wrong shape); judge_values(values, cases): the text when right, NotYet otherwise (naming the
    term). ``reference`` is a right function.
    """

    def __init__(self, key: str, title: str, question: str, answer, *, question_web: str, cases: Sequence,
                 web_case, args: Callable[[object], tuple], value: Callable[[object, object], object],
                 judge_values: Callable[[list, list], str], signature: str, code: str, hint: str, solution: str,
                 reference: Callable | None = None):
        self.cases, self.web_case, self.args = list(cases), web_case, args
        self.value, self.judge_values, self.signature = value, judge_values, signature
        self.question_web = question_web
        super().__init__(key, title, question, answer, self._judge_any, code=code, hint=hint, solution=solution,
                         reference=reference)

    def _judge_any(self, answer: object) -> str:
        if callable(answer):
            outs = [self.value(call(answer, *self.args(case), what=self.signature), case) for case in self.cases]
            return self.judge_values(outs, self.cases)
        return self.judge_values([self.value(answer, self.web_case)], [self.web_case])

    def reference_value(self):
        """The right web answer: the reference function on the web case."""
        return self.value(self.reference(*self.args(self.web_case)), self.web_case)


class _Text:
    """A hint or a solution: markup shown in JupyterLab, its plain text otherwise."""

    def __init__(self, kind: str, text: str):
        self.kind, self.text = kind, text

    def __str__(self) -> str:
        return f"{self.kind}: {re.sub(r'<[^>]+>', '', self.text)}"

    def _repr_html_(self) -> str:
        return (f'<div style="background:#eef5ff; border-left:4px solid #0072B2; padding:6px 10px; margin:4px 0">'
                f"<b>{self.kind}</b>: {_text_html(self.text)}</div>")

    def _repr_pretty_(self, p, cycle) -> None:
        p.text(str(self))
