"""The lessons of the suite, in order: registered once here, read by the index page, the app, the tests and scripts.

A lesson named ``slug`` is made of modules with that name, one per layer (docs/LESSONS.md):
``rnnviz.lessonmath.<slug>`` (what it computes), ``rnnviz.exercises.<slug>`` (its exercises, ``EXERCISES``),
``rnnviz.viz.<views>`` (its views; ``views`` defaults to the slug), ``rnnviz.widgets.<slug>`` (its apps, named in
``apps``), plus its notebook and ``tests/test_lesson_<slug>.py``. The generic tests (every control of every app,
hostile values, layout at 1024 px, every exercise in both audiences) find them through this list.
"""

from __future__ import annotations

import importlib
from typing import NamedTuple

__all__ = ["LESSONS", "Lesson", "lesson", "nav_markdown", "readme_table"]


class Lesson(NamedTuple):
    number: int
    notebook: str  # file name in notebooks/
    title: str
    summary: str
    slug: str  # the name of the lesson's modules
    apps: tuple[str, ...]  # its app classes, in rnnviz.widgets.<slug>, in the order the notebook shows them
    views: str = ""  # the module of its views in rnnviz.viz, when it is not the slug

    def app_classes(self) -> list[type]:
        """The lesson's app classes (imports ipywidgets). An app from another module is named ``"module:Class"``."""
        found = []
        for name in self.apps:
            module, _, cls = name.rpartition(":")
            found.append(getattr(importlib.import_module(f"rnnviz.widgets.{module or self.slug}"), cls))
        return found

    def exercises(self) -> tuple:
        """The lesson's exercises (``EXERCISES`` of ``rnnviz.exercises.<slug>``); () while it has none there."""
        try:
            module = importlib.import_module(f"rnnviz.exercises.{self.slug}")
        except ModuleNotFoundError:
            return ()
        return tuple(getattr(module, "EXERCISES", ()))

    @property
    def views_module(self) -> str:
        return f"rnnviz.viz.{self.views or self.slug}"


LESSONS: tuple[Lesson, ...] = (
    Lesson(1, "01-bag-of-words-vs-rnn.ipynb", "Why order matters: bag-of-words vs RNN",
           "Two sentences with the same words: a bag of words cannot tell them apart, an RNN can. Train both live.",
           "order", ("CompareApp", "TrainProbeApp")),
    Lesson(2, "02-recurrent-cell.ipynb", "The recurrent cell, step by step",
           "Play a trained character model one time-stamp at a time: x_t, W_xh x_t, W_hh h_{t-1}, h_t, y_t and the softmax.",
           "cellstep", ("CellStepApp", "explore:TrajectoryApp", "explore:PassageApp")),
    Lesson(3, "03-unrolling.ipynb", "Unrolling in time",
           "The folded network and its unrolled graph: what each h_t depends on, and why the parameter count stays fixed.",
           "unrolling", ("UnrollingApp",)),
    Lesson(4, "04-bptt.ipynb", "Backpropagation through time",
           "Step backward from T to 1: dL/dh_t, each time-stamp's copy of the gradient, and their sum. Check it numerically.",
           "bptt", ("BPTTApp",)),
    Lesson(5, "05-vanishing-exploding.ipynb", "Vanishing and exploding gradients",
           "One unit, then a full network: the gradient as a product of factors, singular values and the gradient-flow map.",
           "vanishing", ("OneUnitApp", "SpectralRadiusApp"), views="gradients"),
    Lesson(6, "06-taming-gradients.ipynb", "Taming the gradients",
           "Truncated BPTT and gradient clipping by value or by norm; an exploding run and its cure.",
           "taming", ("TruncationApp", "ClippingApp")),
    Lesson(7, "07-layer-norm.ipynb", "Layer normalization",
           "Normalize a_t over the p units before tanh: the same step with and without it as the weights grow, then whole sequences.",
           "layernorm", ("LayerNormStepApp", "LayerNormSequenceApp", "LayerNormTrainingApp")),
)


def lesson(number_or_slug: int | str) -> Lesson:
    """The lesson with this number or slug."""
    for ls in LESSONS:
        if number_or_slug in (ls.number, ls.slug):
            return ls
    raise KeyError(f"no lesson {number_or_slug!r}; there are {', '.join(ls.slug for ls in LESSONS)}")


def nav_markdown(ls: Lesson) -> str:
    """The navigation line at the top of a lesson's notebook: the index, the previous and the next lesson."""
    parts = ["[\u2190 Index](index.ipynb)"]
    if ls.number > 1:
        prev = LESSONS[ls.number - 2]
        parts.append(f"[\u2190 {prev.number}. {prev.title}]({prev.notebook})")
    if ls.number < len(LESSONS):
        nxt = LESSONS[ls.number]
        parts.append(f"[{nxt.number}. {nxt.title} \u2192]({nxt.notebook})")
    return " \u00b7 ".join(parts)


def readme_table() -> str:
    """The rows of README's lesson table (between its ``<!-- lessons -->`` markers)."""
    rows = ["| # | notebook | what it teaches |", "|---|---|---|"]
    rows += [f"| {ls.number} | [`notebooks/{ls.notebook}`](notebooks/{ls.notebook}) | {ls.title}: {ls.summary} |"
             for ls in LESSONS]
    rows.append("| \u2013 | [`notebooks/core-tour.ipynb`](notebooks/core-tour.ipynb) | For programmers: the recurrence by hand, "
                "the library's answer, BPTT copies and a gradient check. |")
    return "\n".join(rows)
