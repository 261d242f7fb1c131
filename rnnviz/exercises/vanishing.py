"""Lesson 5's exercises: the gradient of one unit as a product of factors, and saturation."""

from __future__ import annotations

import math

import numpy as np

from ..core.diagnostics import scalar_chain
from . import Choice, Exercise, NotYet, Number, as_choice, as_number

__all__ = ["EXERCISES", "saturation", "w_for_gradient"]

T = 20
TARGET = 1e-3


def _gradient_at_h1(w: float) -> float:
    """dL/dh_1 of the one-unit identity network over T time-stamps, L = h_T (it is w**(T-1))."""
    return float(scalar_chain(w, 1.0, T, activation="identity", rng=np.random.default_rng(0)).grad[0])


def _judge_w(answer: object) -> str:
    w = as_number(answer, "my_w")
    g = abs(_gradient_at_h1(w))
    if g > 0 and abs(math.log10(g) - math.log10(TARGET)) < 0.05:
        sign = " (a negative w works too: the size of the gradient depends on |w|)" if w < 0 else ""
        return (f"with w = {w:g}, |dL/dh<sub>1</sub>| = |w|<sup>{T - 1}</sup> = {g:.2e}: one factor w per step back, "
                f"{T - 1} steps from h<sub>{T}</sub> to h<sub>1</sub>{sign}.")
    if w != 0 and abs(math.log10(abs(w) ** T) - math.log10(TARGET)) < 0.05:
        raise NotYet(f"with w = {w:g} the gradient at h<sub>1</sub> is {g:.2e}, not 10<sup>−3</sup>: count the factors "
                     f"again: from h<sub>{T}</sub> back to h<sub>1</sub> there are {T - 1} steps, not {T}.", "exponent")
    if abs(w - TARGET) < 1e-12:
        raise NotYet("10<sup>−3</sup> is the size of the gradient you want, not the weight w that makes it: each step "
                     "back multiplies the gradient by w.", "w")
    way = "larger" if g > TARGET else "smaller"
    need = "closer to 0" if g > TARGET else "closer to 1"
    raise NotYet(f"with w = {w:g}, |dL/dh<sub>1</sub>| = {g:.2e}, {way} than 10<sup>−3</sup>: move |w| {need}.", "w")


w_for_gradient = Exercise(
    "05.w-for-gradient", "A weight for a given gradient",
    f"A one-unit network with the identity activation reads T = {T} inputs; the loss is L = h<sub>T</sub>. "
    "Which weight w makes |∂L/∂h<sub>1</sub>| = 10<sup>−3</sup>?",
    Number(placeholder="w, e.g. 0.8"), _judge_w,
    code="my_w = ...   # a number\nex5.w_for_gradient.check(my_w)",
    hint=f"With the identity activation Φ′ = 1, so each step back multiplies ∂L/∂h<sub>t</sub> by w alone. How many "
         f"steps lie between h<sub>{T}</sub> and h<sub>1</sub>?",
    solution=f"∂L/∂h<sub>1</sub> = w<sup>{T - 1}</sup>, so w<sup>{T - 1}</sup> = 10<sup>−3</sup> and "
             f"w = 10<sup>−3/{T - 1}</sup> ≈ {10 ** (-3 / (T - 1)):.3f}. A weight only a little below 1 already "
             "shrinks the gradient a thousandfold over 19 steps.",
    reference=10 ** (-3 / (T - 1)),
)


def _gradients_by_input_scale() -> tuple[float, float]:
    small = abs(float(scalar_chain(1.5, 0.0, 40, rng=np.random.default_rng(0)).grad[0]))
    large = abs(float(scalar_chain(1.5, 3.0, 40, rng=np.random.default_rng(0)).grad[0]))
    return small, large


def _judge_saturation(answer: object) -> str:
    choice = as_choice(answer, ("larger", "smaller"), "my_answer")
    small, large = _gradients_by_input_scale()
    truth = "larger" if small > large else "smaller"
    if choice == truth:
        return (f"with input scale 0 the gradient at h<sub>1</sub> is {small:.1e}; with input scale 3 only "
                f"{large:.1e}. Large inputs saturate tanh, Φ′(a) = 1 − h<sup>2</sup> ≈ 0, and the product of factors "
                "w·Φ′ vanishes although w > 1.")
    raise NotYet("w = 1.5 is the same in both runs, so the difference comes from Φ′: what do large inputs do to "
                 "tanh′? Try both input scales in the one-unit app above.", "Phi'")


saturation = Exercise(
    "05.saturation", "Saturation",
    "A tanh unit with w = 1.5 reads 40 inputs. Is the gradient reaching h<sub>1</sub> <b>larger</b> or "
    "<b>smaller</b> with input scale 0 than with input scale 3?",
    Choice(("larger", "smaller")), _judge_saturation,
    code='my_answer = ...   # "larger" or "smaller"\nex5.saturation.check(my_answer)',
    hint="Each factor is w·Φ′(a<sub>t</sub>). With tanh, Φ′(a) = 1 − h<sup>2</sup>: what is it when |a| is large?",
    solution="Larger. With input scale 3 the unit saturates (h ≈ ±1, Φ′ ≈ 0): the factors w·Φ′ are far below 1 and "
             "the gradient vanishes; with input scale 0 it stays out of saturation and w = 1.5 makes it explode.",
    reference="larger",
)

EXERCISES = (w_for_gradient, saturation)
