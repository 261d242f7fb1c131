r"""Lesson 7's exercises: one step of layer normalization, u_t and sigma_t by hand, and which bias it cancels.

* :data:`layer_norm` -- write h_t = tanh(gamma / sigma_t * (a_t - u_t) + beta) for one a_t (a function in
  JupyterLab; its four values on one small a_t in the web page). A wrong answer is compared with the usual
  slips (p - 1, no mean subtracted, the variance instead of its root, no tanh, gamma or beta missing or in
  the wrong place) and the term that is wrong is named.
* :data:`stats` -- u_t and sigma_t of eight numbers by hand (the chapter divides by p).
* :data:`bias` -- which bias b_h added to a_t before the normalization leaves h_t unchanged.

The right numbers come from :func:`rnnviz.lessonmath.layernorm.layer_norm` (the core's cell, eps = 0).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..lessonmath.layernorm import layer_norm as _layer_norm
from . import Choice, Exercise, FunctionExercise, NotYet, Unanswered, Vector, as_array, as_choice, as_number

__all__ = ["EXERCISES", "bias", "layer_norm", "reference_layer_norm", "stats"]

#: how far a typed h_t may be from the right one (three decimals are enough)
TOLERANCE = 2e-3


def _vec(v: np.ndarray) -> str:
    """A vector as the page writes it: (3, −0.5, 2)."""
    return "(" + ", ".join(f"{x:g}".replace("-", "\u2212") for x in np.asarray(v, dtype=float)) + ")"


def _num(x: float) -> str:
    return f"{x:.3f}".replace("-", "\u2212")


def _units(indices) -> str:
    names = [str(i + 1) for i in indices]
    return ("unit " if len(names) == 1 else "units ") + (", ".join(names[:-1]) + " and " + names[-1]
                                                         if len(names) > 1 else names[0])


# =========================================================================== 1. the formula as code
class Case(NamedTuple):
    a: np.ndarray  # (p,) a_t
    gamma: np.ndarray  # (p,)
    beta: np.ndarray  # (p,)


def _case(a, gamma, beta) -> Case:
    return Case(np.array(a, dtype=float), np.array(gamma, dtype=float), np.array(beta, dtype=float))


#: the case written out in the web page (p = 4, a mean far from 0 so a missing u_t shows, and p - 1 differs from p)
WEB_CASE = _case([3.0, 5.0, 4.0, 8.0], [1.5, 0.5, 1.0, 2.0], [0.1, -0.2, 0.3, 0.0])
#: the cases a function is run on in JupyterLab: the web page's, six units, and three with a large mean
CASES = (
    WEB_CASE,
    _case([-1.2, 0.4, 2.5, -0.3, 0.9, -2.0], [0.8, 1.2, 1.0, 0.5, 2.0, 1.5], [0.0, 0.1, -0.3, 0.2, -0.1, 0.4]),
    _case([100.0, 101.0, 104.0], [1.0, 2.0, 0.5], [-0.5, 0.0, 0.5]),
)


def reference_layer_norm(a: np.ndarray, gamma: np.ndarray, beta: np.ndarray) -> np.ndarray:
    """A right answer: the chapter's h_t, written out."""
    u = a.sum() / a.size
    sigma = np.sqrt((a ** 2).sum() / a.size - u ** 2)
    return np.tanh(gamma / sigma * (a - u) + beta)


def _slips(case: Case) -> list[tuple[np.ndarray, str, str]]:
    """The usual wrong h_t for ``case``: (values, the term that is wrong, what to check). None gives the answer."""
    a, g, b = case
    u, var = a.mean(), a.var()
    sd = np.sqrt(var)

    def h(center, spread, gain=g, shift=b, squash=True):
        s = gain * (a - center) / spread + shift
        return np.tanh(s) if squash else s

    return [
        (h(u, np.sqrt(a.var(ddof=1))), "sigma_t",
         "σ<sub>t</sub>: the chapter divides by p, not p − 1 (in NumPy: <code>a.std()</code>, not "
         "<code>a.std(ddof=1)</code>)"),
        (h(0.0, np.sqrt(np.mean(a * a))), "u_t", "the mean: subtract u<sub>t</sub> from a<sub>t</sub> before dividing"),
        (h(0.0, sd), "u_t", "the mean: subtract u<sub>t</sub> from a<sub>t</sub> before dividing by σ<sub>t</sub>"),
        (h(u, np.sqrt(np.mean(a * a))), "sigma_t",
         "σ<sub>t</sub>: it is the spread around the mean, so u<sub>t</sub><sup>2</sup> is subtracted under the root"),
        (h(u, var), "sigma_t", "σ<sub>t</sub>: divide by the standard deviation, the square root of the variance"),
        (h(u, 1.0), "sigma_t", "σ<sub>t</sub>: after subtracting u<sub>t</sub>, divide by σ<sub>t</sub>"),
        ((a - u) / sd, "tanh", "the last steps: this is z = (a<sub>t</sub> − u<sub>t</sub>)/σ<sub>t</sub>; the gain, "
         "the bias and tanh come after it"),
        (h(u, sd, squash=False), "tanh", "the last step: h<sub>t</sub> is tanh of γ ⊙ z + β"),
        (np.tanh(a), "normalization", "the normalization: this is the vanilla cell's tanh(a<sub>t</sub>); subtract "
         "u<sub>t</sub> and divide by σ<sub>t</sub> first"),
        (h(u, sd, gain=1.0), "gamma", "the gain: multiply each unit's z<sub>i</sub> by its γ<sub>i</sub>"),
        (np.tanh((a - u) / (g * sd) + b), "gamma", "the gain: multiply by γ<sub>i</sub>, do not divide by it"),
        (h(u, sd, shift=0.0), "beta", "the bias: add β<sub>i</sub> after the gain, inside tanh"),
        (np.tanh(g * (a - u + b) / sd), "beta", "the bias: add β after dividing by σ<sub>t</sub>, not before"),
        (np.tanh(g * (a - u) / sd) + b, "beta", "the bias: β goes inside tanh"),
    ]


def _judge_h(values: list, cases: list) -> str:
    for k, (got, case) in enumerate(zip(values, cases)):
        want = _layer_norm(case.a, case.gamma, case.beta).h
        if np.allclose(got, want, rtol=0, atol=TOLERANCE):
            continue
        for wrong, term, text in _slips(case):
            if np.allclose(got, wrong, rtol=0, atol=TOLERANCE):
                raise NotYet(f"check {text}.", term)
        if k > 0:
            raise NotYet(f"right for a<sub>t</sub> = {_vec(cases[0].a)}, but not for a<sub>t</sub> = {_vec(case.a)} "
                         f"(p = {case.a.size}): does your function use p = <code>a.size</code> rather than a fixed "
                         f"{cases[0].a.size}, and the γ and β it is given?", "p")
        bad = np.flatnonzero(~np.isclose(got, want, rtol=0, atol=TOLERANCE))
        raise NotYet(f"{_units(bad)} of h<sub>t</sub> {'is' if bad.size == 1 else 'are'} not right yet. Compute "
                     "u<sub>t</sub>, then σ<sub>t</sub>, then z = (a<sub>t</sub> − u<sub>t</sub>)/σ<sub>t</sub>, then "
                     "tanh(γ ⊙ z + β), unit by unit.")
    first = cases[0]
    n = _layer_norm(first.a, first.gamma, first.beta)
    more = f" (and on {len(cases) - 1} more cases)" if len(cases) > 1 else ""
    return (f"for a<sub>t</sub> = {_vec(first.a)}: u<sub>t</sub> = {n.u:g}, σ<sub>t</sub> = {n.sigma:.4f}, "
            f"h<sub>t</sub> = {_vec(np.round(n.h, 4))}{more}. The same a<sub>t</sub> times any k &gt; 0 gives the same "
            "h<sub>t</sub>.")


def _value(out: object, case: Case) -> np.ndarray:
    return as_array(out, case.a.shape, "h<sub>t</sub>")


layer_norm = FunctionExercise(
    "07.layer-norm", "One step of layer normalization",
    "Write <code>my_layer_norm(a, gamma, beta)</code> for one time-stamp: <code>a</code> = a<sub>t</sub>, "
    "<code>gamma</code> and <code>beta</code> of shape (p,); return h<sub>t</sub> = tanh(γ/σ<sub>t</sub> ⊙ "
    "(a<sub>t</sub> − u<sub>t</sub>) + β) with the chapter's u<sub>t</sub> and σ<sub>t</sub>.",
    Vector(tuple(f"h<sub>t</sub>[{i + 1}]" for i in range(WEB_CASE.a.size))),
    question_web=(f"A layer-normalized cell with p = {WEB_CASE.a.size} units has the pre-activation "
                  f"a<sub>t</sub> = {_vec(WEB_CASE.a)}, gain γ = {_vec(WEB_CASE.gamma)} and bias β = "
                  f"{_vec(WEB_CASE.beta)}. Compute h<sub>t</sub> = tanh(γ/σ<sub>t</sub> ⊙ (a<sub>t</sub> − "
                  "u<sub>t</sub>) + β) with the chapter's u<sub>t</sub> and σ<sub>t</sub> (a calculator helps); give "
                  "each unit to three decimals."),
    cases=CASES, web_case=WEB_CASE, args=lambda case: (case.a, case.gamma, case.beta), value=_value,
    judge_values=_judge_h, signature="my_layer_norm(a, gamma, beta)",
    code="def my_layer_norm(a, gamma, beta):\n    ...   # u_t, then sigma_t, then h_t\n\n"
         "ex7.layer_norm.check(my_layer_norm)",
    hint="Three steps: u<sub>t</sub> = (1/p) Σ<sub>i</sub> a<sub>ti</sub>; σ<sub>t</sub> = √((1/p) Σ<sub>i</sub> "
         "a<sub>ti</sub><sup>2</sup> − u<sub>t</sub><sup>2</sup>) (divide by p, not p − 1); then unit by unit "
         "h<sub>ti</sub> = tanh(γ<sub>i</sub> (a<sub>ti</sub> − u<sub>t</sub>)/σ<sub>t</sub> + β<sub>i</sub>). "
         f"For a<sub>t</sub> = {_vec(WEB_CASE.a)}: u<sub>t</sub> = {WEB_CASE.a.mean():g}.",
    solution=("<code>u = a.mean(); sigma = np.sqrt((a ** 2).mean() - u ** 2); "
              "return np.tanh(gamma / sigma * (a - u) + beta)</code>. For the web page's a<sub>t</sub>: "
              f"u<sub>t</sub> = {WEB_CASE.a.mean():g}, σ<sub>t</sub> = √{WEB_CASE.a.var():g} ≈ "
              f"{WEB_CASE.a.std():.4f}, z = {_vec(np.round((WEB_CASE.a - WEB_CASE.a.mean()) / WEB_CASE.a.std(), 4))}, "
              f"h<sub>t</sub> ≈ {_vec(np.round(reference_layer_norm(*WEB_CASE), 3))}."),
    reference=reference_layer_norm,
)


# =========================================================================== 2. u_t and sigma_t by hand
STATS_A = np.array([2.0, 4.0, 4.0, 4.0, 5.0, 5.0, 7.0, 9.0])


def _two_numbers(answer: object) -> tuple[object, object]:
    if answer is None or answer is Ellipsis or (isinstance(answer, str) and answer.strip() in ("", "?", "...")):
        raise Unanswered("fill in u<sub>t</sub> and σ<sub>t</sub>")
    if isinstance(answer, (str, bytes)) or not hasattr(answer, "__len__"):
        raise NotYet("give two numbers, u<sub>t</sub> and σ<sub>t</sub>: <code>[my_u, my_sigma]</code>")
    items = list(np.ravel(np.array(answer, dtype=object)))
    if len(items) != 2:
        raise NotYet(f"give two numbers, u<sub>t</sub> and σ<sub>t</sub>, got {len(items)}", "shape")
    unanswered = 0
    for item in items:
        try:
            as_number(item)
        except Unanswered:
            unanswered += 1
        except NotYet:
            pass
    if unanswered == 2:
        raise Unanswered("fill in u<sub>t</sub> and σ<sub>t</sub>")
    return items[0], items[1]


def _near(x: float, target: float) -> bool:
    return abs(x - target) <= 5e-3 * max(1.0, abs(target))


def _judge_stats(answer: object) -> str:
    u_in, sigma_in = _two_numbers(answer)
    a, p = STATS_A, STATS_A.size
    truth = _layer_norm(a)
    u = as_number(u_in, "u<sub>t</sub>")
    if not _near(u, truth.u):
        if _near(u, a.sum()):
            raise NotYet("u<sub>t</sub> is the mean of the units: their sum divided by p.", "u_t")
        if _near(u, float(np.median(a))):
            raise NotYet("u<sub>t</sub> is the mean of the units, not the middle value (the median).", "u_t")
        if _near(u, float(np.unique(a).mean())):
            raise NotYet(f"u<sub>t</sub> is the mean of all p = {p} units, each repeated value counted every time it "
                         "occurs.", "u_t")
        raise NotYet(f"check u<sub>t</sub>, the mean of the p = {p} units.", "u_t")
    sigma = as_number(sigma_in, "σ<sub>t</sub>")
    if _near(sigma, truth.sigma):
        return (f"u<sub>t</sub> = {truth.u:g} and σ<sub>t</sub> = √({(a ** 2).sum():g}/{p} − {truth.u:g}<sup>2</sup>) "
                f"= √{truth.sigma ** 2:g} = {truth.sigma:g}: the chapter's standard deviation divides by p.")
    slips = [
        (a.std(ddof=1), "σ<sub>t</sub>: the chapter divides by p = 8, not p − 1."),
        (a.var(), "σ<sub>t</sub>: this is the variance; σ<sub>t</sub> is its square root."),
        (np.sqrt(np.mean(a * a)), "σ<sub>t</sub>: subtract u<sub>t</sub><sup>2</sup> under the root."),
        (np.mean(a * a), "σ<sub>t</sub>: subtract u<sub>t</sub><sup>2</sup>, then take the square root."),
        (np.mean(np.abs(a - a.mean())), "σ<sub>t</sub>: it is the root of the mean <i>squared</i> distance from "
         "u<sub>t</sub>, not the mean distance."),
    ]
    for wrong, text in slips:
        if _near(sigma, float(wrong)):
            raise NotYet(f"u<sub>t</sub> is right; check {text}", "sigma_t")
    raise NotYet("u<sub>t</sub> is right; check σ<sub>t</sub> = √((1/p) Σ<sub>i</sub> a<sub>ti</sub><sup>2</sup> − "
                 "u<sub>t</sub><sup>2</sup>).", "sigma_t")


stats = Exercise(
    "07.stats", "The mean and the spread by hand",
    f"Eight units have the pre-activation a<sub>t</sub> = {_vec(STATS_A)}. Compute u<sub>t</sub> and "
    "σ<sub>t</sub> by hand, as the chapter defines them.",
    Vector(("u<sub>t</sub>", "σ<sub>t</sub>")), _judge_stats,
    code="my_u, my_sigma = ..., ...   # two numbers\nex7.stats.check([my_u, my_sigma])",
    hint="u<sub>t</sub>: add the eight numbers (each 4 and 5 as often as it occurs) and divide by 8. σ<sub>t</sub>: "
         "the mean of the squares a<sub>ti</sub><sup>2</sup>, minus u<sub>t</sub><sup>2</sup>, then the square root.",
    solution=f"u<sub>t</sub> = {STATS_A.sum():g}/8 = {STATS_A.mean():g}; the mean of the squares is "
             f"{(STATS_A ** 2).sum():g}/8 = {np.mean(STATS_A ** 2):g}, so σ<sub>t</sub> = √({np.mean(STATS_A ** 2):g} − "
             f"{STATS_A.mean() ** 2:g}) = √{STATS_A.var():g} = {STATS_A.std():g}.",
    reference=[float(STATS_A.mean()), float(STATS_A.std())],
)


# =========================================================================== 3. which bias is cancelled
BIAS_A = np.array([0.5, 0.5, 0.5, 0.5])
BIAS_B = np.array([1.0, 0.5, 0.5, 0.0])  # mean 0.5: what is left after subtracting it is (0.5, 0, 0, -0.5)
BIAS_OPTIONS = ("A only", "B only", "both", "neither")
#: an a_t to show what each bias does
BIAS_PROBE = np.array([1.0, 2.0, 3.0, 6.0])


def _leaves_unchanged(b: np.ndarray) -> bool:
    rng = np.random.default_rng(7)
    probes = [BIAS_PROBE, *rng.standard_normal((5, b.size)) * 2.0]
    return all(np.allclose(_layer_norm(a + b).h, _layer_norm(a).h, rtol=0, atol=1e-12) for a in probes)


def _judge_bias(answer: object) -> str:
    choice = as_choice(answer, BIAS_OPTIONS, "my_answer")
    truth = {(True, False): "A only", (False, True): "B only", (True, True): "both",
             (False, False): "neither"}[(_leaves_unchanged(BIAS_A), _leaves_unchanged(BIAS_B))]
    if choice == truth:
        before, after = _layer_norm(BIAS_PROBE).h, _layer_norm(BIAS_PROBE + BIAS_B).h
        return ("A adds the same 0.5 to every unit: u<sub>t</sub> grows by 0.5, so a<sub>t</sub> − u<sub>t</sub> and "
                f"σ<sub>t</sub> do not change. Subtracting u<sub>t</sub> removes only the mean of B, "
                f"{BIAS_B.mean():g}; what is left, {_vec(BIAS_B - BIAS_B.mean())}, changes h<sub>t</sub> (for "
                f"a<sub>t</sub> = {_vec(BIAS_PROBE)}, h<sub>t</sub>[1] moves from {_num(before[0])} to "
                f"{_num(after[0])}).")
    if choice == "both":
        raise NotYet("subtracting u<sub>t</sub> removes the mean of a<sub>t</sub> + b<sub>h</sub>, so only the mean of "
                     "b<sub>h</sub> is removed. What is the mean of B, and is anything of B left after subtracting "
                     "it?", "b_h")
    if choice == "B only":
        raise NotYet("u<sub>t</sub> is the mean of a<sub>t</sub> + b<sub>h</sub>: what is the mean of A, and what is "
                     "left of A after subtracting it? And what is left of B?", "u_t")
    raise NotYet("try A on a small a<sub>t</sub>, say (1, 2, 3, 6): compute a<sub>t</sub> + b<sub>h</sub>, its mean, "
                 "and a<sub>t</sub> + b<sub>h</sub> minus that mean.", "u_t")


bias = Exercise(
    "07.bias", "A bias before the normalization",
    "Suppose a layer-normalized cell with p = 4 units also had a bias b<sub>h</sub> inside, a<sub>t</sub> = "
    "W<sub>xh</sub>x<sub>t</sub> + W<sub>hh</sub>h<sub>t−1</sub> + b<sub>h</sub>, normalized as before. Which of "
    f"these biases leave h<sub>t</sub> the same as with no b<sub>h</sub>, whatever a<sub>t</sub> is? "
    f"<b>A</b>: b<sub>h</sub> = {_vec(BIAS_A)}; <b>B</b>: b<sub>h</sub> = {_vec(BIAS_B)}.",
    Choice(BIAS_OPTIONS), _judge_bias,
    code='my_answer = ...   # "A only", "B only", "both" or "neither"\nex7.bias.check(my_answer)',
    hint="u<sub>t</sub> is the mean of a<sub>t</sub> + b<sub>h</sub>, so subtracting it takes the mean of b<sub>h</sub> "
         "away. What is the mean of A? Of B? What is left of each after subtracting its mean?",
    solution=f"A only. A is constant: the mean subtraction removes all of it. B has mean {BIAS_B.mean():g}: only "
             f"that is removed, and what is left, {_vec(BIAS_B - BIAS_B.mean())}, is divided by σ<sub>t</sub> with "
             "a<sub>t</sub> − u<sub>t</sub>, so its effect depends on the size of a<sub>t</sub> (it fades as the "
             "weights grow). That is why the layer-normalized cell has no "
             "b<sub>h</sub>: its bias is β, added after the normalization, which shifts what enters tanh by the same "
             "amount whatever σ<sub>t</sub> is.",
    reference="A only",
)

EXERCISES = (layer_norm, stats, bias)
