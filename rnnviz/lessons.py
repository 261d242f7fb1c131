"""The lessons of the suite, in order: one place for the index page, the app and the README checks."""

from __future__ import annotations

from typing import NamedTuple

__all__ = ["LESSONS", "Lesson"]


class Lesson(NamedTuple):
    number: int
    notebook: str  # file name in notebooks/
    title: str
    summary: str


LESSONS: tuple[Lesson, ...] = (
    Lesson(1, "01-bag-of-words-vs-rnn.ipynb", "Why order matters: bag-of-words vs RNN",
           "Two sentences with the same words: a bag of words cannot tell them apart, an RNN can. Train both live."),
    Lesson(2, "02-recurrent-cell.ipynb", "The recurrent cell, step by step",
           "Play a trained character model one time-stamp at a time: x_t, W_xh x_t, W_hh h_{t-1}, h_t, y_t and the softmax."),
    Lesson(3, "03-unrolling.ipynb", "Unrolling in time",
           "The folded network and its unrolled graph: what each h_t depends on, and why the parameter count stays fixed."),
    Lesson(4, "04-bptt.ipynb", "Backpropagation through time",
           "Step backward from T to 1: dL/dh_t, each time-stamp's copy of the gradient, and their sum. Check it numerically."),
    Lesson(5, "05-vanishing-exploding.ipynb", "Vanishing and exploding gradients",
           "One unit, then a full network: the gradient as a product of factors, singular values and the gradient-flow map."),
    Lesson(6, "06-taming-gradients.ipynb", "Taming the gradients",
           "Truncated BPTT and gradient clipping by value or by norm; an exploding run and its cure."),
    Lesson(7, "07-layer-norm.ipynb", "Layer normalization",
           "Normalize a_t over the p units before tanh: the same step with and without it as the weights grow, then whole sequences."),
)
