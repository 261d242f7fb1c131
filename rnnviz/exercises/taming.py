"""Lesson 6's exercises: clipping by norm and by value, the chapter's clipping of each time-stamp's copy, and the
smallest truncation window that keeps the gradient close to the exact one."""

from __future__ import annotations

import functools
from collections.abc import Mapping

import numpy as np

from ..lessonmath.taming import TruncationSetup, cosine, smallest_window, truncation_state
from . import Exercise, FunctionExercise, NotYet, Number, Vector, as_array, as_number, call

__all__ = ["EXERCISES", "clip_by_norm", "clip_by_value", "clip_each_copy", "window"]

#: numbers typed in the page are rounded: within this they count as equal
RTOL, ATOL = 1e-3, 1e-3


def _close(a: np.ndarray, b: np.ndarray) -> bool:
    return a.shape == b.shape and bool(np.allclose(a, b, rtol=RTOL, atol=ATOL))


def _flat(grads: Mapping[str, np.ndarray]) -> np.ndarray:
    return np.concatenate([np.ravel(np.asarray(v, dtype=float)) for v in grads.values()])


def _case(c: float, **arrays) -> tuple[dict, float]:
    return {k: np.array(v, dtype=float) for k, v in arrays.items()}, float(c)


def _name(key: str) -> str:
    """A parameter's name as markup: "W_hh" -> "W<sub>hh</sub>"."""
    base, _, sub = key.partition("_")
    return f"{base}<sub>{sub}</sub>" if sub else base


def _entry_labels(grads: Mapping[str, np.ndarray]) -> tuple[str, ...]:
    """"W<sub>hh</sub>[1]", ... for every entry, 1-based, in the order of the dict."""
    return tuple(f"{_name(k)}[{i + 1}]" for k, v in grads.items() for i in range(np.size(v)))


def _written(grads: Mapping[str, np.ndarray]) -> str:
    """The dict as the web page writes it out: {W<sub>hh</sub>: [3, −4], b<sub>h</sub>: [12]}."""
    def num(x: float) -> str:
        return f"{x:g}".replace("-", "\u2212")
    return "{" + ", ".join(f"{_name(k)}: [{', '.join(num(x) for x in np.ravel(v))}]" for k, v in grads.items()) + "}"


def _returned(out: object, case: tuple[dict, float]) -> np.ndarray:
    """The clipped values of one case: from a dict like grads (or the core's (dict, report) pair), or typed in."""
    grads, _ = case
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], Mapping):
        out = out[0]
    if isinstance(out, Mapping):
        if set(out) != set(grads):
            raise NotYet(f"your function returned the keys {sorted(map(str, out))}; return the same keys as grads: "
                         f"{sorted(grads)}", "keys")
        for k, v in grads.items():
            if np.shape(out[k]) != v.shape:
                raise NotYet(f"your {k!r} has shape {np.shape(out[k])}; keep the shape {v.shape} of grads[{k!r}]",
                             "shape")
        return as_array(_flat({k: out[k] for k in grads}), (sum(v.size for v in grads.values()),), "your result")
    return as_array(out, (sum(v.size for v in grads.values()),), "your clipped values")


class _ClipExercise(FunctionExercise):
    """A clipping function: asked for a new dict like its input, never the input changed in place."""

    def _judge_any(self, answer: object) -> str:
        if not callable(answer):
            return super()._judge_any(answer)
        outs = []
        for case in self.cases:
            out = call(answer, *self.args(case), what=self.signature)
            if not (isinstance(out, Mapping) or (isinstance(out, tuple) and len(out) == 2
                                                 and isinstance(out[0], Mapping))):
                raise NotYet(f"{self.signature} returned {type(out).__name__}; return a dict like grads "
                             "(name -> array)", "return")
            outs.append(self.value(out, case))
        for grads, c in self.cases:  # the checker's own copies stay untouched: call() gives the function copies
            given = {k: v.copy() for k, v in grads.items()}
            try:
                with np.errstate(all="ignore"):
                    answer(given, c)
            except Exception:  # reported above already, through call()
                pass
            if any(not np.array_equal(given[k], grads[k]) for k in grads):
                raise NotYet("you changed the input gradients in place (g *= ..., g[...] = ..., or out=); return new "
                             "arrays and leave grads as it was", "in place")
        return self.judge_values(outs, self.cases)


# =========================================================================== clipping by norm
def _reference_norm(grads, max_norm):
    norm = np.sqrt(sum(float((g ** 2).sum()) for g in grads.values()))
    scale = max_norm / norm if norm > max_norm else 1.0
    return {k: g * scale for k, g in grads.items()}


def _per_array(grads, c):
    return {k: v * min(1.0, c / np.linalg.norm(v)) for k, v in grads.items()}


def _forgot_sqrt(grads, c):
    square = sum(float((g ** 2).sum()) for g in grads.values())
    return {k: g * c / square for k, g in grads.items()} if square > c ** 2 else dict(grads)


def _matches(values: list, cases: list, fn) -> bool:
    """Does every value match ``fn`` on its case (a mistake that explains the whole answer)?"""
    return all(_close(out, _flat(fn(grads, c))) for out, (grads, c) in zip(values, cases))


def _judge_norm(values: list, cases: list) -> str:
    wrong = [(out, grads, c) for out, (grads, c) in zip(values, cases) if not _close(out, _flat(_reference_norm(grads, c)))]
    if not wrong:
        return ("below the threshold the gradient is untouched; above it every array is multiplied by the same "
                "threshold / ‖g‖ with the global norm, so the direction is kept (cosine 1) and the norm becomes the "
                "threshold.")
    for out, grads, c in wrong:
        n = float(np.linalg.norm(_flat(grads)))
        if n <= c:
            raise NotYet(f"you changed a gradient whose global norm ‖g‖ = {n:.3g} is not above the threshold {c:g}; "
                         "clipping by norm leaves such a gradient as it is", "threshold")
    out, grads, c = wrong[0]
    g = _flat(grads)
    n = float(np.linalg.norm(g))
    if _matches(values, cases, lambda grads, c: grads):
        raise NotYet(f"you returned the gradient unchanged, although its global norm ‖g‖ = {n:.3g} is above the "
                     f"threshold {c:g}", "threshold")
    if _matches(values, cases, _per_array):
        raise NotYet("you clipped each array by its own norm; ‖g‖ is the global norm, of all entries of all "
                     "arrays together, and every array is scaled by the same factor", "global norm")
    if _matches(values, cases, lambda grads, c: {k: np.clip(v, -c, c) for k, v in grads.items()}):
        raise NotYet("you cut each entry to [−threshold, threshold]: that is clipping by value, and it changes the "
                     "direction; clipping by norm scales every entry by one factor", "by value")
    if _matches(values, cases, _forgot_sqrt):
        raise NotYet(f"the direction is right, but the clipped norm is {np.linalg.norm(out):.3g}, not the threshold "
                     f"{c:g}: is ‖g‖ the square root of the sum of squares?", "sqrt")
    cos = cosine({"g": out}, {"g": g})
    if not cos > 1 - 1e-5:
        raise NotYet(f"your clipped gradient points in another direction (cosine {cos:.4f} to the original); "
                     "clipping by norm keeps the direction: cosine 1", "direction")
    raise NotYet(f"the direction is right, but the clipped norm is {np.linalg.norm(out):.4g}, not the threshold "
                 f"{c:g} (for ‖g‖ = {n:.3g})", "factor")


_NORM_WEB = _case(2.6, W_hh=[3.0, -4.0], b_h=[12.0])  # ||g|| = 13: the factor is 0.2
_NORM_CASES = [
    _case(2.5, W_hh=[[0.6, -0.8], [0.0, 1.2]], b_h=[0.9, -0.3]),  # ||g|| = 1.83: below max_norm, unchanged
    _case(3.5, W_xh=[[3.0, 0.0], [0.0, 0.0]], W_hh=[[0.0, 2.4], [-3.2, 0.0]]),  # norms 3 and 4, global 5
    _case(3.0, W_hh=[[6.0, 0.5], [0.0, -2.0]]),  # ||g|| = 6.34, one entry beyond 3: clipping by value shows
    _NORM_WEB,
]

clip_by_norm = _ClipExercise(
    "06.clip-by-norm", "Clipping by norm",
    "Write <code>my_clip_by_norm(grads, max_norm)</code>: <code>grads</code> is a dict of arrays (like "
    "<code>{\"W_hh\": ..., \"b_h\": ...}</code>); return a <b>new</b> dict with the same keys, every array "
    "multiplied by max_norm / ‖g‖ when the global norm ‖g‖ of all the arrays together is above max_norm, "
    "unchanged otherwise.",
    Vector(_entry_labels(_NORM_WEB[0])),
    question_web=f"A gradient g = {_written(_NORM_WEB[0])} is clipped by norm at the threshold c = {_NORM_WEB[1]:g}, "
                 "with ‖g‖ the global norm of all its entries together. Type the clipped entries.",
    cases=_NORM_CASES, web_case=_NORM_WEB, args=lambda case: (case[0], case[1]), value=_returned,
    judge_values=_judge_norm, signature="my_clip_by_norm(grads, max_norm)",
    code="def my_clip_by_norm(grads, max_norm):\n    ...   # return a new dict\n\n"
         "ex6.clip_by_norm.check(my_clip_by_norm)",
    hint="‖g‖ is the square root of the sum of the squares of every entry of every array: one number for the whole "
         "gradient. Compare it with the threshold; if it is larger, every array gets the same factor.",
    solution="In the web case ‖g‖ = sqrt(9 + 16 + 144) = 13 &gt; 2.6, so every entry is multiplied by 2.6 / 13 = 0.2: "
             "W<sub>hh</sub> = [0.6, −0.8], b<sub>h</sub> = [2.4]. In code: <code>norm = np.sqrt(sum((g**2).sum() "
             "for g in grads.values()))</code>; <code>scale = max_norm / norm if norm &gt; max_norm else 1.0</code>; "
             "<code>return {k: g * scale for k, g in grads.items()}</code>.",
    reference=_reference_norm,
)


# =========================================================================== clipping by value
def _reference_value(grads, c):
    return {k: np.clip(g, -c, c) for k, g in grads.items()}


def _judge_value(values: list, cases: list) -> str:
    wrong = [(out, grads, c) for out, (grads, c) in zip(values, cases)
             if not _close(out, _flat(_reference_value(grads, c)))]
    if not wrong:
        grads, c = cases[0]
        cos = cosine({"g": np.clip(_flat(grads), -c, c)}, {"g": _flat(grads)})
        return ("every entry is cut to [−c, c] and the entries inside are untouched, so the direction changes "
                f"(cosine {cos:.3f} to the original here).")
    out, grads, c = wrong[0]
    g = _flat(grads)
    if _matches(values, cases, lambda grads, c: grads):
        raise NotYet(f"you returned the gradient unchanged, although some of its entries lie beyond c = {c:g}",
                     "threshold")
    if _matches(values, cases, lambda grads, c: {k: np.minimum(v, c) for k, v in grads.items()}):
        raise NotYet("you cut the entries above c only; entries below −c must be cut too", "lower bound")
    if _matches(values, cases, lambda grads, c: {k: np.maximum(v, -c) for k, v in grads.items()}):
        raise NotYet("you raised the entries below −c only; entries above c must be cut too", "upper bound")
    if _matches(values, cases, lambda grads, c: {k: np.minimum(np.abs(v), c) for k, v in grads.items()}):
        raise NotYet("your negative entries came back positive: cutting an entry keeps its sign", "sign")
    if cosine({"g": out}, {"g": g}) > 1 - 1e-5:
        raise NotYet("you rescaled the whole gradient: that is clipping by norm; clipping by value cuts each "
                     "entry on its own", "by norm")
    inside = np.abs(g) <= c
    if not _close(out[inside], g[inside]):
        raise NotYet("you changed entries that were already inside [−c, c]; those stay as they are", "inside")
    raise NotYet("some entries beyond c are not cut to exactly c (or −c)", "bound")


_VALUE_WEB = _case(1.0, W_hh=[3.0, -0.5], b_h=[-2.0, 0.25])
_VALUE_CASES = [_case(1.0, W_hh=[[2.0, -0.5], [-3.0, 0.25]], b_h=[-1.5, 0.75]), _VALUE_WEB,
                _case(2.5, W_hh=[[6.0, 0.5], [-4.0, -2.0]])]

clip_by_value = _ClipExercise(
    "06.clip-by-value", "Clipping by value",
    "Write <code>my_clip_by_value(grads, c)</code>: return a <b>new</b> dict with the same keys as "
    "<code>grads</code>, every entry of every array cut to [−c, c].",
    Vector(_entry_labels(_VALUE_WEB[0])),
    question_web=f"A gradient g = {_written(_VALUE_WEB[0])} is clipped by value at c = {_VALUE_WEB[1]:g}. Type the "
                 "clipped entries.",
    cases=_VALUE_CASES, web_case=_VALUE_WEB, args=lambda case: (case[0], case[1]), value=_returned,
    judge_values=_judge_value, signature="my_clip_by_value(grads, c)",
    code="def my_clip_by_value(grads, c):\n    ...   # return a new dict\n\nex6.clip_by_value.check(my_clip_by_value)",
    hint="Each entry on its own: above c it becomes c, below −c it becomes −c, in between it stays. NumPy has a "
         "function for exactly that.",
    solution="In the web case 3 becomes 1 and −2 becomes −1, the others stay: W<sub>hh</sub> = [1, −0.5], "
             "b<sub>h</sub> = [−1, 0.25]. In code: <code>return {k: np.clip(g, -c, c) for k, g in grads.items()}</code>.",
    reference=_reference_value,
)


# =========================================================================== the chapter's clipping: each copy
COPIES = (0.2, -3.0, 0.5, 4.0, 0.1)
COPY_C = 1.0


def _judge_copies(answer: object) -> str:
    x = as_number(answer, "my_sum")
    copies = np.array(COPIES)
    right = float(np.clip(copies, -COPY_C, COPY_C).sum())
    if abs(x - right) < 1e-6:
        return (f"each copy is cut to [−{COPY_C:g}, {COPY_C:g}] first: −3 and 4 are cut, the others kept, and the sum "
                f"is {right:g}. Clipping the sum instead would give {min(copies.sum(), COPY_C):g}: it caps the total, "
                "while clipping the copies caps each time-stamp's share.")
    if abs(x - min(copies.sum(), COPY_C)) < 1e-6:
        raise NotYet(f"that clips the sum, {copies.sum():g}, to c; the chapter clips each time-stamp's copy before "
                     "adding them", "sum")
    if abs(x - copies.sum()) < 1e-6:
        raise NotYet("that is the sum of the copies without clipping: cut each copy to [−c, c] first", "clipping")
    if abs(x - float(np.minimum(np.abs(copies), COPY_C).sum())) < 1e-6:
        raise NotYet("the copy −3 counted as positive: cutting a copy keeps its sign", "sign")
    raise NotYet("cut each of the five copies to [−c, c], then add the five results; check each of them", "")


clip_each_copy = Exercise(
    "06.clip-each-copy", "Clipping each copy by value",
    "A weight w of an RNN has these copies of ∂L/∂w at the time-stamps 1 to 5: "
    f"{', '.join(f'{v:g}' for v in COPIES).replace('-', '−')} (their sum is the gradient). Clip by value at "
    f"c = {COPY_C:g} the way the chapter does, each time-stamp's copy before adding them: what gradient do you get?",
    Number(placeholder="a number"), _judge_copies,
    code="my_sum = ...   # a number\nex6.clip_each_copy.check(my_sum)",
    hint="Cut each copy to [−1, 1] first, keeping its sign, then add the five numbers.",
    solution=f"The cut copies are 0.2, −1, 0.5, 1, 0.1; their sum is "
             f"{float(np.clip(COPIES, -COPY_C, COPY_C).sum()):g}. Clipping the sum, {sum(COPIES):g}, would give 1.",
    reference=float(np.clip(COPIES, -COPY_C, COPY_C).sum()),
)


# =========================================================================== the smallest window
RADIUS = 0.8
TOL = 0.05
START_RADIUS = 1.0  # the truncation app's starting radius


@functools.cache
def _gaps(radius: float) -> np.ndarray:
    """The gap ||g_k - g|| / ||g|| for every k of the truncation app's network at ``radius``."""
    return truncation_state(TruncationSetup.make(), radius).gap


def _judge_window(answer: object) -> str:
    k = int(as_number(answer, "my_k", integer=True))
    gap = _gaps(RADIUS)
    T = len(gap)
    if not 1 <= k <= T:
        raise NotYet(f"a window holds 1 to T = {T} time-stamps, got {k}", "range")
    best = smallest_window(gap, TOL)
    if k == best:
        before = f"; k = {best - 1} gives {gap[best - 2]:.3g}" if best > 1 else ""
        return f"at spectral radius {RADIUS:g}, k = {best} gives a relative error of {gap[best - 1]:.3g} < {TOL:g}{before}."
    if k == smallest_window(_gaps(START_RADIUS), TOL):
        raise NotYet(f"k = {k} is where the blue curve first drops below {TOL:g} at the app's starting radius, "
                     f"{START_RADIUS:g}; set the spectral radius to {RADIUS:g} and read it again", "radius")
    if gap[k - 1] >= TOL:
        raise NotYet(f"with k = {k} the relative error is {gap[k - 1]:.3g}, not below {TOL:g}: read the blue curve "
                     "(all parameters) at your k", "k")
    raise NotYet(f"k = {k} is within {TOL:g} (relative error {gap[k - 1]:.3g}), but a smaller window is too: look for "
                 f"the first k where the blue curve drops below {TOL:g}", "smallest")


window = Exercise(
    "06.window", "The smallest window",
    f"In the truncation app, set the spectral radius to <b>{RADIUS:g}</b>. What is the smallest window k whose "
    f"relative error ‖g<sub>k</sub> − g‖ / ‖g‖ (the blue curve, all parameters) is below <b>{TOL:g}</b>?",
    Number(integer=True, placeholder="k, a whole number"), _judge_window,
    code="my_k = ...   # a whole number\nex6.window.check(my_k)",
    hint="Move the radius slider to 0.8, then the window k from 1 upwards, and read the relative error in the line "
         "under the sliders (or hover over the blue curve). The gap need not fall steadily: take the first k below.",
    solution=f"k = {smallest_window(_gaps(RADIUS), TOL)}: at radius {RADIUS:g} the far-back terms have faded, so a "
             "window of this length already keeps the gradient within 5% of the exact one.",
    reference=smallest_window(_gaps(RADIUS), TOL),
)

EXERCISES = (clip_by_norm, clip_by_value, clip_each_copy, window)
