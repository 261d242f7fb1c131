r"""Lesson 2's exercises: one step of the cell, the loss of one step, and what an absent input or target changes.

* :data:`step` — ``my_step(W, x, h_prev)`` returns h_t = tanh(W_xh x + W_hh h_{t-1} + b_h); in the web page, h_t
  of a tiny cell (p = 2, d = 3) written out in numbers.
* :data:`step_loss` — ``my_step_loss(W, h, j)`` returns l = -log softmax(W_hy h + b_y)[j]; in the web page, l of a
  tiny output layer (d = 3, p = 2).
* :data:`absent_target` and :data:`absent_input` — which of h_3, h_4, h_5, l_3, l_4, l_5, L change when the
  target, or the input, at t = 4 is marked absent (clicked in the web page; a set of names in code).

The two function exercises find which usual slip the answer matches (a missing or transposed term, the bias
outside the tanh, another activation, a missing sign, log or softmax) on every case, fewest slips first,
and name the wrong term.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import NamedTuple

import numpy as np

from ..lessonmath.cellstep import DEFAULT_TEXT, load_pretrained, run_sentence, sentence_ids
from . import (Exercise, FunctionExercise, NotYet, Number, TimeSet, Unanswered, Vector, as_array, as_number,
               as_time_set)

__all__ = ["EXERCISES", "LOSS_VARIANTS", "STEP_VARIANTS", "absent_input", "absent_target", "step", "step_loss"]


class Case(NamedTuple):
    """One case a function is run on: its weights, its arguments after ``W``, and how close an answer must be."""

    W: dict
    args: tuple
    tol: float  # absolute: 1e-7 for code, 0.01 for numbers typed in the web page (2 decimals)
    web: bool = False


#: answers typed in the web page are rounded: two decimals are enough
WEB_TOL = 0.01
CODE_TOL = 1e-7


def _fmt(v: float) -> str:
    return f"{v:.1f}".replace("-", "\u2212")


def _num(v: float, digits: int = 3) -> str:
    return f"{v:.{digits}f}".replace("-", "\u2212")


def _vec(v: np.ndarray) -> str:
    return "(" + ", ".join(_fmt(x) for x in v) + ")"


def _rows(A: np.ndarray) -> str:
    return "; ".join(f"row {i + 1}: {_vec(r)}" for i, r in enumerate(A))


def _random_cells(rng: np.random.Generator, p: int, d: int, n: int) -> list[tuple[dict, np.ndarray, np.ndarray]]:
    out = []
    for _ in range(n):
        W = {"W_xh": rng.normal(0, 0.8, (p, d)), "W_hh": rng.normal(0, 0.6, (p, p)), "b_h": rng.normal(0, 0.5, p)}
        x = np.zeros(d)
        x[rng.integers(0, d)] = 1.0
        out.append((W, x, rng.uniform(-0.9, 0.9, p)))
    return out


def _diagnose(outs: list, cases: list[Case], evaluate: Callable, variants: dict, messages: dict, terms: dict,
              ok_text: str, formula: str) -> str:
    """Find the variant of the formula that the outputs match on every case, fewest slips first; NotYet naming it.

    variants: part -> its choices, the right one first; evaluate(choice, case) computes one variant.
    """
    keys = list(variants)
    right = {k: v[0] for k, v in variants.items()}
    combos = sorted(itertools.product(*variants.values()), key=lambda c: sum(v != right[k] for k, v in zip(keys, c)))
    for combo in combos:
        if sum(v != right[k] for k, v in zip(keys, combo)) > MAX_SLIPS:
            break
        choice = dict(zip(keys, combo))
        with np.errstate(all="ignore"):
            if all(np.allclose(out, evaluate(choice, case), rtol=0.0, atol=case.tol) for out, case in zip(outs, cases)):
                wrong = [f"{k}:{v}" for k, v in choice.items() if v != right[k]]
                if not wrong:
                    return ok_text
                raise NotYet("; ".join(messages[w] for w in wrong) + ".", ", ".join(dict.fromkeys(terms[w] for w in wrong)))
    if all(c.web for c in cases):  # no figure: a distance from the answer helps a guess more than a check
        raise NotYet(f"this is not {formula}, and it is not one of the usual slips: work it out entry by entry, "
                     "writing down each term before adding them.")
    worst = max(float(np.max(np.abs(np.asarray(out, dtype=float) - evaluate(right, case)))) for out, case in zip(outs, cases))
    raise NotYet(f"your result differs from {formula} by up to {worst:.3g}, and it is not one of the usual slips. "
                 "Check each term on its own, printing its shape and first values.")


class _WeightsExercise(FunctionExercise):
    """A function exercise whose function gets the weights as its first argument ``W``.

    A function that reads the notebook's own ``W_xh`` ... instead of ``W`` fails on the small cells with a
    shape error: it is told so, and every shape error comes with the shapes of this exercise.
    """

    def __init__(self, *args, shapes_hint: str, uses_globals: Callable[[Callable], bool], **kwargs):
        self.shapes_hint, self._uses_globals = shapes_hint, uses_globals
        super().__init__(*args, **kwargs)

    def _judge_any(self, answer: object) -> str:
        try:
            return super()._judge_any(answer)
        except NotYet as exc:
            if exc.wrong != "shape":
                raise
            if callable(answer) and self._uses_globals(answer):
                raise NotYet(f"{self.signature} works on the model's sizes but not on the small cells: it reads the "
                             "notebook's weights instead of those passed in <code>W</code>. Use <code>W[\"W_xh\"]</code> "
                             "and the like inside the function.", "W") from None
            raise NotYet(f"{exc.text} {self.shapes_hint}", "shape") from None


def _model_weights() -> dict:
    return load_pretrained().weights


def _returns_model_sized(fn: Callable, small: Case, args: tuple, size: tuple) -> bool:
    """True when ``fn`` given the small weights but arguments of the model's sizes returns the model's size."""
    try:
        with np.errstate(all="ignore"):
            out = fn({k: v.copy() for k, v in small.W.items()}, *args)
        return np.shape(out) == size
    except Exception:  # noqa: BLE001 - any failure means it does not just read the notebook's weights
        return False


# =========================================================================== 1. one step of the cell
def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


STEP_VARIANTS = {
    "input": ("ok", "missing"),
    "recurrent": ("ok", "missing", "transposed"),
    "bias": ("ok", "missing", "outside"),
    "activation": ("tanh", "none", "sigmoid", "relu"),
}
STEP_MESSAGES = {
    "input:missing": "check the W<sub>xh</sub> term: the input enters as W<sub>xh</sub> x (the one-hot x picks one "
                     "column of W<sub>xh</sub>); your h<sub>t</sub> does not depend on x",
    "recurrent:missing": "check the W<sub>hh</sub> term: the previous state enters as W<sub>hh</sub> h<sub>t−1</sub>; "
                         "your h<sub>t</sub> does not depend on h<sub>t−1</sub>",
    "recurrent:transposed": "check the W<sub>hh</sub> term: it is W<sub>hh</sub> h<sub>t−1</sub>, not "
                            "W<sub>hh</sub><sup>T</sup> h<sub>t−1</sub> (<code>h_prev @ W_hh</code>): row i of "
                            "W<sub>hh</sub> holds the weights into unit i",
    "bias:missing": "you forgot the bias: add b<sub>h</sub> inside the tanh",
    "bias:outside": "the bias b<sub>h</sub> goes inside the tanh, with the two other terms, not after it",
    "activation:none": "apply tanh: you gave the pre-activation a<sub>t</sub>, and h<sub>t</sub> = tanh(a<sub>t</sub>)",
    "activation:sigmoid": "apply tanh, not the sigmoid: the chapter's cell uses tanh, with values in (−1, 1)",
    "activation:relu": "apply tanh, not ReLU: the chapter's cell uses tanh, with values in (−1, 1)",
}
STEP_TERMS = {"input:missing": "W_xh", "recurrent:missing": "W_hh", "recurrent:transposed": "W_hh",
              "bias:missing": "b_h", "bias:outside": "b_h", "activation:none": "tanh", "activation:sigmoid": "tanh",
              "activation:relu": "tanh"}


def _eval_step(choice: dict, case: Case) -> np.ndarray:
    W, (x, h) = case.W, case.args
    a = np.zeros(W["W_hh"].shape[0])
    if choice["input"] == "ok":
        a = a + W["W_xh"] @ x
    if choice["recurrent"] == "ok":
        a = a + W["W_hh"] @ h
    elif choice["recurrent"] == "transposed":
        a = a + W["W_hh"].T @ h
    if choice["bias"] == "ok":
        a = a + W["b_h"]
    out = {"tanh": np.tanh, "none": lambda v: v, "sigmoid": _sigmoid, "relu": lambda v: np.maximum(v, 0.0)}[
        choice["activation"]](a)
    return out + W["b_h"] if choice["bias"] == "outside" else out


def reference_step(W: dict, x: np.ndarray, h_prev: np.ndarray) -> np.ndarray:
    """h_t = tanh(W_xh x + W_hh h_{t-1} + b_h)."""
    return np.tanh(W["W_xh"] @ x + W["W_hh"] @ h_prev + W["b_h"])


#: the web page's cell: p = 2 units, d = 3 characters, x_t the second character. Chosen so that every usual slip,
#: and every pair of them, gives an h_t at least 0.1 away from the others (answers typed to 2 decimals tell them apart)
STEP_WEB = Case({"W_xh": np.array([[-0.5, 0.3, -0.7], [0.6, -1.0, -0.7]]), "W_hh": np.array([[0.4, 0.9], [-0.8, 0.5]]),
                 "b_h": np.array([0.8, -0.4])}, (np.array([0.0, 1.0, 0.0]), np.array([0.5, -0.9])), WEB_TOL, True)
#: at most this many slips at once are diagnosed; an answer further off is "not one of the usual slips"
MAX_SLIPS = 2


def _step_cases() -> list[Case]:
    rng = np.random.default_rng(7)
    W0 = _model_weights()
    p, d = W0["W_xh"].shape
    x0 = np.zeros(d)
    x0[int(rng.integers(1, d))] = 1.0
    cases = [Case(STEP_WEB.W, STEP_WEB.args, CODE_TOL)]
    cases += [Case(W, (x, h), CODE_TOL) for W, x, h in _random_cells(rng, 4, 5, 2)]
    cases.append(Case(W0, (x0, rng.uniform(-0.9, 0.9, p)), CODE_TOL))  # the model of the lesson, p = 32, d = 72
    return cases


def _step_value(out: object, case: Case) -> np.ndarray:
    p = case.W["W_hh"].shape[0]
    return as_array(out, (p,), "h<sub>t</sub>" if case.web else "the result of my_step(W, x, h_prev)")


def _judge_step_values(values: list, cases: list[Case]) -> str:
    if all(c.web for c in cases):
        h = reference_step(cases[0].W, *cases[0].args)
        ok = (f"h<sub>t</sub> = tanh(W<sub>xh</sub> x + W<sub>hh</sub> h<sub>t−1</sub> + b<sub>h</sub>) = "
              f"({_num(h[0])}, {_num(h[1])}).")
    else:
        ok = (f"your my_step gives h<sub>t</sub> = tanh(W<sub>xh</sub> x + W<sub>hh</sub> h<sub>t−1</sub> + "
              f"b<sub>h</sub>) on {len(cases)} cases: the tiny cell of the web page, two random cells and the "
              "model of this lesson (p = 32, d = 72).")
    return _diagnose(values, cases, _eval_step, STEP_VARIANTS, STEP_MESSAGES, STEP_TERMS, ok,
                     "tanh(W<sub>xh</sub> x + W<sub>hh</sub> h<sub>t−1</sub> + b<sub>h</sub>)")


def _step_uses_globals(fn: Callable) -> bool:
    W0 = _model_weights()
    p, d = W0["W_xh"].shape
    x = np.zeros(d)
    x[1] = 1.0
    return _returns_model_sized(fn, STEP_WEB, (x, np.zeros(p)), (p,))


_W, (_x, _h) = STEP_WEB.W, STEP_WEB.args
_a = _W["W_xh"] @ _x + _W["W_hh"] @ _h + _W["b_h"]


def _recurrent_sum(i: int) -> str:
    """Row i of W_hh times h_{t-1}, written out: "0.4·0.5 + 0.9·(−0.9) = −0.61"."""
    terms = " + ".join(f"{_fmt(w)}·{_fmt(v) if v >= 0 else '(' + _fmt(v) + ')'}" for w, v in zip(_W["W_hh"][i], _h))
    return f"{terms} = {_num(_W['W_hh'][i] @ _h, 2)}"


def _vec2(v: np.ndarray) -> str:
    return "(" + ", ".join(_num(x, 2) for x in v) + ")"

step = _WeightsExercise(
    "02.step", "One step of the cell",
    "Write <code>my_step(W, x, h_prev)</code> that returns h<sub>t</sub> = tanh(W<sub>xh</sub> x + W<sub>hh</sub> "
    "h<sub>t−1</sub> + b<sub>h</sub>) for a one-hot <code>x</code> of d entries and a state <code>h_prev</code> of p "
    "entries. <code>W</code> holds <code>W[\"W_xh\"]</code> (p × d), <code>W[\"W_hh\"]</code> (p × p) and "
    "<code>W[\"b_h\"]</code> (p entries). The check runs it on a tiny cell, on random cells and on the model of this "
    "lesson, and says which term is wrong.",
    Vector(("h<sub>t</sub>[1]", "h<sub>t</sub>[2]")),
    question_web="A tiny cell with p = 2 hidden units reads d = 3 characters. W<sub>xh</sub> (2 × 3): "
                 f"{_rows(_W['W_xh'])}. W<sub>hh</sub> (2 × 2): {_rows(_W['W_hh'])}. b<sub>h</sub> = {_vec(_W['b_h'])}. "
                 f"It reads the second character, x = ({', '.join(str(int(v)) for v in _x)}), in the state h<sub>t−1</sub> = {_vec(_h)}. "
                 "What is h<sub>t</sub> = tanh(W<sub>xh</sub> x + W<sub>hh</sub> h<sub>t−1</sub> + b<sub>h</sub>)? "
                 "Give each entry to 2 decimals (a calculator's tanh helps).",
    cases=_step_cases(), web_case=STEP_WEB, args=lambda case: (case.W, *case.args), value=_step_value,
    judge_values=_judge_step_values, signature="my_step(W, x, h_prev)",
    code="def my_step(W, x, h_prev):\n    ...   # return h_t, a vector of p entries\n\nex2.step.check(my_step)",
    hint="Three terms add up to a<sub>t</sub>, then tanh: W<sub>xh</sub> x (with a one-hot x it is one column of "
         "W<sub>xh</sub>), W<sub>hh</sub> h<sub>t−1</sub> (row i times h<sub>t−1</sub> for unit i) and b<sub>h</sub>. "
         "In NumPy a matrix times a vector is <code>@</code>, not <code>*</code>.",
    solution="<code>return np.tanh(W[\"W_xh\"] @ x + W[\"W_hh\"] @ h_prev + W[\"b_h\"])</code>. For the tiny cell: "
             f"W<sub>xh</sub> x = {_vec(_W['W_xh'] @ _x)} (its second column), W<sub>hh</sub> h<sub>t−1</sub> = "
             f"({_recurrent_sum(0)}, {_recurrent_sum(1)}), a<sub>t</sub> = {_vec2(_a)}, h<sub>t</sub> = "
             f"tanh(a<sub>t</sub>) = ({_num(np.tanh(_a[0]))}, {_num(np.tanh(_a[1]))}).",
    reference=reference_step,
    shapes_hint="Shapes: W<sub>xh</sub> is p × d and x has d entries, so the input term is <code>W[\"W_xh\"] @ x</code>; "
                "W<sub>hh</sub> is p × p and h<sub>t−1</sub> has p entries; h<sub>t</sub> has p entries. Use "
                "<code>@</code> (matrix times vector), not <code>*</code> (entry by entry).",
    uses_globals=_step_uses_globals,
)


# =========================================================================== 2. the loss of one step
LOSS_VARIANTS = {
    "sign": ("ok", "missing"),
    "log": ("ok", "missing"),
    "softmax": ("ok", "missing"),
    "bias": ("ok", "missing"),
}
LOSS_MESSAGES = {
    "sign:missing": "check the sign: the loss is −log p&#770;, a positive number (the log of a probability is negative)",
    "log:missing": "take the log: you gave (minus) the probability p&#770; itself, and the loss is −log p&#770;",
    "softmax:missing": "apply the softmax before the log: p&#770; = e<sup>y</sup> / Σ<sub>c</sub> e<sup>y<sub>c</sub></sup>; "
                       "you used the score y itself",
    "bias:missing": "you forgot the bias: y = W<sub>hy</sub> h + b<sub>y</sub>",
}
LOSS_TERMS = {"sign:missing": "sign", "log:missing": "log", "softmax:missing": "softmax", "bias:missing": "b_y"}


def _eval_loss(choice: dict, case: Case) -> float:
    W, (h, j) = case.W, case.args
    y = W["W_hy"] @ h + (W["b_y"] if choice["bias"] == "ok" else 0.0)
    if choice["softmax"] == "ok":
        z = y - y.max()
        p = np.exp(z[j]) / np.exp(z).sum()
        v = np.log(p) if choice["log"] == "ok" else p
    else:
        v = y[j]
    return float(-v if choice["sign"] == "ok" else v)


def reference_step_loss(W: dict, h: np.ndarray, j: int) -> float:
    """l = -log softmax(W_hy h + b_y)[j]."""
    y = W["W_hy"] @ h + W["b_y"]
    z = y - y.max()
    return float(np.log(np.exp(z).sum()) - z[j])


#: the web page's output layer: d = 3 characters, p = 2 units, the true next character the second one. Every usual
#: slip, and every combination of them, gives a loss at least 0.12 away from the others
LOSS_WEB = Case({"W_hy": np.array([[0.9, -0.2], [1.0, 0.6], [-0.4, 0.8]]), "b_y": np.array([-0.3, -0.8, 0.2])},
                (np.array([0.7, 0.3]), 1), WEB_TOL, True)


def _loss_cases() -> list[Case]:
    rng = np.random.default_rng(11)
    W0 = _model_weights()
    d, p = W0["W_hy"].shape
    cases = [Case(LOSS_WEB.W, LOSS_WEB.args, CODE_TOL)]
    for _ in range(2):
        W = {"W_hy": rng.normal(0, 1.0, (5, 4)), "b_y": rng.normal(0, 0.5, 5)}
        cases.append(Case(W, (rng.uniform(-0.95, 0.95, 4), int(rng.integers(0, 5))), CODE_TOL))
    cases.append(Case({"W_hy": W0["W_hy"], "b_y": W0["b_y"]}, (rng.uniform(-0.95, 0.95, p), int(rng.integers(1, d))),
                      CODE_TOL))
    return cases


def _loss_value(out: object, case: Case) -> float:
    if case.web:
        return as_number(out, "ℓ")
    arr = as_array(out, (), "the result of my_step_loss(W, h, j)") if np.ndim(out) else as_number(out, "my_step_loss")
    return float(arr)


def _judge_loss_values(values: list, cases: list[Case]) -> str:
    if all(c.web for c in cases):
        loss = reference_step_loss(cases[0].W, *cases[0].args)
        ok = f"ℓ = −log p&#770;<sup>2</sup> = −log {np.exp(-loss):.3f} = {loss:.3f} nats."
    else:
        ok = (f"your my_step_loss gives −log softmax(W<sub>hy</sub> h + b<sub>y</sub>)[j] on {len(cases)} cases: the "
              "tiny layer of the web page, two random layers and the model of this lesson.")
    return _diagnose(values, cases, _eval_loss, LOSS_VARIANTS, LOSS_MESSAGES, LOSS_TERMS, ok,
                     "−log softmax(W<sub>hy</sub> h + b<sub>y</sub>)[j]")


def _loss_uses_globals(fn: Callable) -> bool:
    W0 = _model_weights()
    return _returns_model_sized(fn, LOSS_WEB, (np.zeros(W0["W_hy"].shape[1]), 1), ())


_L = LOSS_WEB.W
_lh, _lj = LOSS_WEB.args
_ly = _L["W_hy"] @ _lh + _L["b_y"]
step_loss = _WeightsExercise(
    "02.step-loss", "The loss of one step",
    "Write <code>my_step_loss(W, h, j)</code>: from a state <code>h</code> (p entries) and the index <code>j</code> of "
    "the true next character (counted from 0, as NumPy does), return ℓ = −log p&#770;<sup>j</sup> with p&#770; = "
    "softmax(W<sub>hy</sub> h + b<sub>y</sub>). <code>W</code> holds <code>W[\"W_hy\"]</code> (d × p) and "
    "<code>W[\"b_y\"]</code> (d entries).",
    Number(placeholder="ℓ, e.g. 2.31", unit="nats"),
    question_web="A tiny output layer scores d = 3 characters from p = 2 hidden units. W<sub>hy</sub> (3 × 2): "
                 f"{_rows(_L['W_hy'])}. b<sub>y</sub> = {_vec(_L['b_y'])}. The state is h = {_vec(_lh)} and the true "
                 "next character is the second one. What is its loss ℓ = −log p&#770;<sup>2</sup>, with p&#770; = "
                 "softmax(W<sub>hy</sub> h + b<sub>y</sub>)? Give it to 2 decimals (natural log).",
    cases=_loss_cases(), web_case=LOSS_WEB, args=lambda case: (case.W, *case.args), value=_loss_value,
    judge_values=_judge_loss_values, signature="my_step_loss(W, h, j)",
    code="def my_step_loss(W, h, j):\n    ...   # return the loss, one number\n\nex2.step_loss.check(my_step_loss)",
    hint="First the d scores y = W<sub>hy</sub> h + b<sub>y</sub>, then the softmax p&#770;<sup>k</sup> = "
         "e<sup>y<sub>k</sub></sup> / Σ<sub>c</sub> e<sup>y<sub>c</sub></sup>, then minus the natural log of the entry "
         "of the true next character.",
    solution="<code>y = W[\"W_hy\"] @ h + W[\"b_y\"]; p = np.exp(y - y.max()); p /= p.sum(); return -np.log(p[j])</code>. "
             f"For the tiny layer: y = ({_ly[0]:.2f}, {_ly[1]:.2f}, {_ly[2]:.2f}), p&#770;<sup>2</sup> = "
             f"e<sup>{_ly[1]:.2f}</sup> / (e<sup>{_ly[0]:.2f}</sup> + e<sup>{_ly[1]:.2f}</sup> + e<sup>{_ly[2]:.2f}</sup>) "
             f"= {np.exp(-reference_step_loss(_L, _lh, _lj)):.3f}, ℓ = {reference_step_loss(_L, _lh, _lj):.3f}.",
    reference=reference_step_loss,
    shapes_hint="Shapes: W<sub>hy</sub> is d × p and h has p entries, so y = <code>W[\"W_hy\"] @ h + W[\"b_y\"]</code> "
                "has d scores; the loss of one step is one number.",
    uses_globals=_loss_uses_globals,
)


# =========================================================================== 3, 4. absent inputs and targets
#: the quantities offered: (label markup, name in code)
QUANTITIES = (("h<sub>3</sub>", "h3"), ("h<sub>4</sub>", "h4"), ("h<sub>5</sub>", "h5"), ("ℓ<sub>3</sub>", "l3"),
              ("ℓ<sub>4</sub>", "l4"), ("ℓ<sub>5</sub>", "l5"), ("L", "L"))
_NAMES = {name.lower(): i for i, (_, name) in enumerate(QUANTITIES)}
_SUBS = str.maketrans("₀₁₂₃₄₅₆₇₈₉ℓ", "0123456789l")
ABSENT_AT = 4


def _quantities(answer: object, what: str = "my_answer") -> frozenset[int]:
    """The set of quantities picked: indices into QUANTITIES (the web page sends them) or names (code: {"h4", "L"})."""
    if answer is None or answer is Ellipsis or (isinstance(answer, str) and answer.strip() in ("", "...", "?")):
        raise Unanswered("pick the quantities that change")
    if isinstance(answer, str):
        answer = [answer]
    if isinstance(answer, (list, tuple, set, frozenset)) and any(isinstance(a, str) for a in answer):
        picked = set()
        for a in answer:
            key = str(a).strip().translate(_SUBS).replace("_", "").replace(" ", "").lower()
            if key not in _NAMES:
                raise NotYet(f"{what}: {str(a)[:20]!r} is not one of " + ", ".join(n for _, n in QUANTITIES)
                             + " (write them as text, e.g. {\"h4\", \"l5\"})")
            picked.add(_NAMES[key])
        return frozenset(picked)
    return as_time_set(answer, range(len(QUANTITIES)), what)


def _ids(*names: str) -> frozenset[int]:
    return frozenset(_NAMES[n.lower()] for n in names)


def _app_numbers(input_absent=(), target_absent=()):
    """The app's first sentence read with nothing absent, and with the given absences."""
    model = load_pretrained()
    ids, _, _ = sentence_ids(model.vocab, DEFAULT_TEXT)
    return model, run_sentence(model, ids), run_sentence(model, ids, input_absent=input_absent,
                                                         target_absent=target_absent)


def _judge_absent_target(answer: object) -> str:
    picked = _quantities(answer)
    if picked & _ids("h3", "h4", "h5"):
        raise NotYet("look at what the states are made of: h<sub>t</sub> = tanh(W<sub>xh</sub> x<sub>t</sub> + "
                     "W<sub>hh</sub> h<sub>t−1</sub> + b<sub>h</sub>). Does a target appear in it?", "h_t")
    if _ids("l4") <= picked:
        raise NotYet("ℓ<sub>4</sub> = −log p&#770;<sub>4</sub><sup>j<sub>4</sub></sup> is made from h<sub>4</sub> and "
                     "the true next character; an absent target decides only whether ℓ<sub>4</sub> is counted, and "
                     "the app still draws its bar (grey).", "l_4")
    if picked & _ids("l3", "l5"):
        raise NotYet("ℓ<sub>3</sub> and ℓ<sub>5</sub> are made from h<sub>3</sub>, h<sub>5</sub> and their own "
                     "targets: does the target at t = 4 enter them?", "l_t")
    if _ids("L") - picked:
        raise NotYet("L = Σ<sub>t</sub> ℓ<sub>t</sub> over the targets that are present: what happens to that sum "
                     "when the target at t = 4 is absent?", "L")
    _, full, run = _app_numbers(target_absent=[ABSENT_AT])
    return (f"only L changes: it drops by exactly ℓ<sub>4</sub>. Targets do not enter the forward pass. In the app's "
            f"sentence ℓ<sub>4</sub> = {full.step_loss[ABSENT_AT - 1]:.3f} and L goes from {full.total_loss:.3f} to "
            f"{run.total_loss:.3f}.")


def _judge_absent_input(answer: object) -> str:
    picked = _quantities(answer)
    if picked & _ids("h3", "l3"):
        raise NotYet("h<sub>3</sub> and ℓ<sub>3</sub> are computed before x<sub>4</sub> is read: can a later input "
                     "reach back?", "past")
    if _ids("h4") - picked:
        raise NotYet("with x<sub>4</sub> absent, W<sub>xh</sub> x<sub>4</sub> = 0: what does that do to "
                     "a<sub>4</sub> = W<sub>xh</sub> x<sub>4</sub> + W<sub>hh</sub> h<sub>3</sub> + b<sub>h</sub>, and "
                     "so to h<sub>4</sub>?", "h_4")
    if _ids("h5") - picked:
        raise NotYet("h<sub>5</sub> = tanh(W<sub>xh</sub> x<sub>5</sub> + W<sub>hh</sub> h<sub>4</sub> + "
                     "b<sub>h</sub>): which state does it read?", "h_5")
    if _ids("l4", "l5") - picked:
        raise NotYet("ℓ<sub>t</sub> = −log p&#770;<sub>t</sub><sup>j<sub>t</sub></sup> with p&#770;<sub>t</sub> = "
                     "softmax(W<sub>hy</sub> h<sub>t</sub> + b<sub>y</sub>): which ℓ<sub>t</sub> are made from a state "
                     "that changed?", "l_t")
    if _ids("L") - picked:
        raise NotYet("L = Σ<sub>t</sub> ℓ<sub>t</sub>: can it stay the same when some of its terms change?", "L")
    _, full, run = _app_numbers(input_absent=[ABSENT_AT])
    return (f"h<sub>4</sub>, h<sub>5</sub> and every later state change, and with them ℓ<sub>4</sub>, ℓ<sub>5</sub>, "
            f"… and L; h<sub>3</sub> and ℓ<sub>3</sub> come before t = 4. In the app's sentence ℓ<sub>4</sub> goes from "
            f"{full.step_loss[ABSENT_AT - 1]:.3f} to {run.step_loss[ABSENT_AT - 1]:.3f} and L from "
            f"{full.total_loss:.3f} to {run.total_loss:.3f}.")


_CHOICES = TimeSet(tuple(label for label, _ in QUANTITIES), tuple(range(len(QUANTITIES))))
_NAMES_TEXT = "h3, h4, h5, l3, l4, l5, L"

absent_target = Exercise(
    "02.absent-target", "An absent target",
    "In the app, every input and target is present; you mark the <b>target</b> at t = 4 absent. Which of "
    "h<sub>3</sub>, h<sub>4</sub>, h<sub>5</sub>, ℓ<sub>3</sub>, ℓ<sub>4</sub>, ℓ<sub>5</sub> and L change their value? "
    "Pick all that change.",
    _CHOICES, _judge_absent_target,
    code=f'my_answer = ...   # a set of names from {_NAMES_TEXT}, e.g. {{"h4", "l5"}}\n'
         "ex2.absent_target.check(my_answer)",
    hint="The targets enter only the loss: ℓ<sub>t</sub> compares p&#770;<sub>t</sub> with the true next character, "
         "and L adds up the ℓ<sub>t</sub> of the targets that are present. Then try it in the app.",
    solution="Only L: it drops by exactly ℓ<sub>4</sub>, which is still computed (the app draws its bar grey) but not "
             "counted. Targets do not enter the forward pass, so no state and no other ℓ<sub>t</sub> moves.",
    reference=_ids("L"),
)

absent_input = Exercise(
    "02.absent-input", "An absent input",
    "In the app, every input and target is present; you mark the <b>input</b> x<sub>4</sub> absent instead. Which of "
    "h<sub>3</sub>, h<sub>4</sub>, h<sub>5</sub>, ℓ<sub>3</sub>, ℓ<sub>4</sub>, ℓ<sub>5</sub> and L change their value? "
    "Pick all that change.",
    _CHOICES, _judge_absent_input,
    code=f'my_answer = ...   # a set of names from {_NAMES_TEXT}, e.g. {{"h4", "l5"}}\n'
         "ex2.absent_input.check(my_answer)",
    hint="An absent x<sub>4</sub> is x<sub>4</sub> = 0. Follow it forward: which state reads x<sub>4</sub>, which "
         "state reads that one, and which losses are made from them?",
    solution="h<sub>4</sub> (a<sub>4</sub> loses its W<sub>xh</sub> x<sub>4</sub> term), h<sub>5</sub> (it reads "
             "h<sub>4</sub>) and every later state; ℓ<sub>4</sub>, ℓ<sub>5</sub> (made from those states) and so L. "
             "h<sub>3</sub> and ℓ<sub>3</sub> come before t = 4 and cannot change.",
    reference=_ids("h4", "h5", "l4", "l5", "L"),
)

EXERCISES = (step, step_loss, absent_target, absent_input)
