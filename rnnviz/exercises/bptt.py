"""Lesson 4's exercises: the backward recursion for dL/dh_t, one copy of W_xh, and the copy of W_hh that is zero.

The first two ask JupyterLab students for a function and web students for its value on a case small
enough for a calculator (:data:`rnnviz.lessonmath.bptt.SMALL_BACKWARD`, :data:`~rnnviz.lessonmath.bptt.SMALL_COPY`);
one judge decides both. A function is also run on the lesson's sentence, and at the first wrong
time-stamp the judge names the term that is wrong, judged against the student's own dL/dh_{t+1}
(so one slip is not blamed on every earlier time-stamp).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..lessonmath.bptt import DEFAULT_SENTENCE, SMALL_BACKWARD, SMALL_COPY, BackwardCase, CopyCase, exercise_data
from ..lessonmath.bptt import W_xh_copy as copy_formula
from ..lessonmath.bptt import backward_recursion as recursion_formula
from . import Exercise, FunctionExercise, Matrix, NotYet, TimeSet, Unanswered, as_array, as_time_set

__all__ = ["EXERCISES", "SMALL_BACKWARD", "SMALL_COPY", "W_xh_copy", "backward_recursion", "reached_copies"]

#: typed answers are rounded: the web page accepts this much (3 decimals are enough); code is held to round-off
TYPED_ATOL = 5e-3
CODE_RTOL, CODE_ATOL = 1e-6, 1e-9


def _num(x: float) -> str:
    """A number as the question writes it: 0.5, −1, 0 (a true minus sign)."""
    text = f"{float(x):g}"
    return "0" if text == "-0" else text.replace("-", "\u2212")


def _vec(v) -> str:
    return "(" + ", ".join(_num(x) for x in np.ravel(v)) + ")"


class _Case(NamedTuple):
    data: object  # a BackwardCase or a CopyCase
    where: str  # how feedback names this case ("" for the web page's case)
    rtol: float
    atol: float
    columns: tuple = ()  # the copy's column names (the characters), when the question names them

    def close(self, a, b) -> bool:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=self.rtol, atol=self.atol))


# =========================================================================== 1. the backward recursion
_SENTENCE = exercise_data()
_SENTENCE_CASE = BackwardCase(_SENTENCE.dY, _SENTENCE.h, _SENTENCE.W_hh, _SENTENCE.W_hy)
_BACKWARD_WEB = _Case(SMALL_BACKWARD, "", 0.0, TYPED_ATOL)
_BACKWARD_CASES = [
    _Case(SMALL_BACKWARD, " (in the small case <code>ex4.SMALL_BACKWARD</code>, T = 3)", CODE_RTOL, CODE_ATOL),
    _Case(_SENTENCE_CASE, f" (on the sentence '{DEFAULT_SENTENCE}', T = {_SENTENCE.h.shape[0]})", CODE_RTOL, CODE_ATOL),
]


def _dh(t: int) -> str:
    return f"dL/dh<sub>{t}</sub>"


def _walk_backward(D: np.ndarray, case: _Case) -> None:
    """NotYet at the first time-stamp, from T down, where ``D`` (T, p) is not dL/dh_t, naming the wrong term."""
    c: BackwardCase = case.data
    T = c.h.shape[0]
    out = c.output_terms  # (T, p) W_hy^T dL/dy_t
    phi = 1 - c.h ** 2  # (T, p) Phi'_t
    right = recursion_formula(*c)
    if not case.close(D, right) and case.close(D[::-1], right):
        raise NotYet(f"your rows are in the reverse order{case.where}: row 1 is {_dh(1)} and the last row is "
                     f"{_dh(T)}, although the backward pass computes the last row first.", "order")
    if not case.close(D[T - 1], out[T - 1]):
        if case.close(D[T - 1], 0):
            raise NotYet(f"at t = T = {T}{case.where} your {_dh(T)} is 0. Nothing comes back from the future there, "
                         f"but the output y<sub>{T}</sub> still sends its term W<sub>hy</sub><sup>T</sup> "
                         f"dL/dy<sub>{T}</sub>.", "W_hy")
        raise NotYet(f"at t = T = {T}{case.where}: {_dh(T)} has one term only, the one from the output "
                     f"y<sub>{T}</sub> (there is no time-stamp {T + 1}, so no W<sub>hh</sub> term and no Φ′).", "W_hy")
    W = c.W_hh
    for i in range(T - 2, -1, -1):
        t, nxt = i + 1, D[i + 1]  # the chapter's t; the student's own dL/dh_{t+1}
        rec = W.T @ (phi[i + 1] * nxt)
        if case.close(D[i], out[i] + rec):
            continue
        at = f"at t = {t}{case.where},"
        slips = [
            (out[i], f"{at} {_dh(t)} also gets a term from the next time-stamp, through W<sub>hh</sub>. (Going from "
                     f"t = T down to 1, {_dh(t + 1)} is ready when you need it.)", "W_hh"),
            (rec, f"{at} {_dh(t)} also gets the term W<sub>hy</sub><sup>T</sup> dL/dy<sub>{t}</sub> from this "
                  "time-stamp's own output.", "W_hy"),
            (out[i] + W.T @ nxt, f"{at} the W<sub>hh</sub> term forgot Φ′: {_dh(t + 1)} goes back through the tanh "
                                 f"that made h<sub>{t + 1}</sub> before it reaches W<sub>hh</sub><sup>T</sup>.", "Phi'"),
            (out[i] + W.T @ (phi[i] * nxt), f"{at} the Φ′ of the W<sub>hh</sub> term is the slope of the tanh that "
                                            f"made h<sub>{t + 1}</sub>; yours is taken at h<sub>{t}</sub>.", "Phi'"),
            (out[i] + W @ (phi[i + 1] * nxt), f"{at} the W<sub>hh</sub> term: the gradient flows backwards through "
                                              "W<sub>hh</sub>, so it meets W<sub>hh</sub><sup>T</sup>, not "
                                              "W<sub>hh</sub>.", "W_hh"),
            (out[i] + phi[i + 1] * (W.T @ nxt), f"{at} in the W<sub>hh</sub> term Φ′<sub>{t + 1}</sub> multiplies "
                                                f"{_dh(t + 1)} first, and W<sub>hh</sub><sup>T</sup> comes after "
                                                "(the two do not commute).", "Phi'"),
            (phi[i] * (out[i] + W.T @ nxt), f"{at} you multiplied the whole sum by Φ′<sub>{t}</sub>: that is the "
                                            f"gradient before the tanh of time-stamp {t} (dL/da<sub>{t}</sub>). "
                                            f"{_dh(t)} itself has Φ′ only inside its W<sub>hh</sub> term, at "
                                            f"t + 1 = {t + 1}.", "Phi'"),
            (phi[i] * (out[i] + rec), f"{at} you multiplied the whole sum by Φ′<sub>{t}</sub>: that is "
                                      f"dL/da<sub>{t}</sub>, the gradient before the tanh of time-stamp {t}, not "
                                      f"{_dh(t)}.", "Phi'"),
            (phi[i + 1] * out[i] + rec, f"{at} the W<sub>hy</sub> term carries no Φ′: y<sub>{t}</sub> = "
                                        f"W<sub>hy</sub> h<sub>{t}</sub> is linear in h<sub>{t}</sub>.", "W_hy"),
        ]
        for value, text, wrong in slips:
            if case.close(D[i], value):
                raise NotYet(text, wrong)
        raise NotYet(f"{at} your {_dh(t)} is neither the sum of its two terms nor one of the usual slips: check the "
                     f"term from the output y<sub>{t}</sub> and the term from t + 1, one at a time.")


def _judge_backward(values: list, cases: list) -> str:
    for D, case in zip(values, cases):
        _walk_backward(D, case)
    if len(cases) == 1:
        return ("each row is this time-stamp's output term plus W<sub>hh</sub><sup>T</sup>(Φ′<sub>t+1</sub> ⊙ "
                "dL/dh<sub>t+1</sub>), computed from the last row up: the backward pass of BPTT.")
    T = _SENTENCE.h.shape[0]
    return (f"your dL/dh<sub>t</sub> matches the small case and the package's Backward.dh at all {T} time-stamps "
            "of the sentence.")


def _backward_value(out: object, case: _Case) -> np.ndarray:
    shape = case.data.h.shape
    return as_array(out, shape, "your dL/dh<sub>t</sub>" if not case.where else "what my_backward returns")


def _backward_question_web() -> str:
    c = SMALL_BACKWARD
    T, p = c.h.shape
    states = ", ".join(f"h<sub>{t + 1}</sub> = {_vec(c.h[t])}" for t in range(T))
    terms = ", ".join(f"{_vec(c.output_terms[t])} at t = {t + 1}" for t in range(T))
    rows = " and ".join(_vec(r) for r in c.W_hh)
    return (f"A network with p = {p} hidden units read T = {T} inputs.<br>"
            f"&nbsp;&nbsp;Its states: {states};<br>"
            f"&nbsp;&nbsp;W<sub>hh</sub> has the rows {rows};<br>"
            f"&nbsp;&nbsp;the output of each time-stamp sends back W<sub>hy</sub><sup>T</sup> dL/dy<sub>t</sub> = "
            f"{terms}.<br>"
            "Fill in dL/dh<sub>t</sub> for every t, starting with the last row, t = T (3 decimals are enough).")


def _backward_solution() -> str:
    right = recursion_formula(*SMALL_BACKWARD)
    T = right.shape[0]
    rows = "; ".join(f"{_dh(t + 1)} = {_vec(np.round(right[t], 5))}" for t in range(T - 1, -1, -1))
    return (f"{rows}. At t = T only the output term: {_dh(T)} = W<sub>hy</sub><sup>T</sup> dL/dy<sub>T</sub>. "
            "Each step back adds W<sub>hh</sub><sup>T</sup>(Φ′<sub>t+1</sub> ⊙ dL/dh<sub>t+1</sub>), with "
            "Φ′<sub>t+1</sub> = 1 − h<sub>t+1</sub><sup>2</sup>. In code:<br><code>dh[T - 1] = W_hy.T @ dY[T - 1]"
            "</code><br><code>for t in range(T - 2, -1, -1):</code><br>"
            "<code>&nbsp;&nbsp;&nbsp;&nbsp;dh[t] = W_hy.T @ dY[t] + W_hh.T @ ((1 - h[t + 1] ** 2) * dh[t + 1])</code>")


backward_recursion = FunctionExercise(
    "04.backward-recursion", "The backward recursion",
    "Write <code>my_backward(dY, h, W_hh, W_hy)</code> that returns dL/dh<sub>t</sub> for every t, going from "
    "t = T down to 1, as an array of shape (T, p) whose row t − 1 is dL/dh<sub>t</sub> (batch-free: "
    "<code>dY[t]</code> is dL/dy<sub>t+1</sub> in the chapter's numbering, <code>h[t]</code> is h<sub>t+1</sub>). "
    "The check runs it on a small case, <code>ex4.SMALL_BACKWARD</code> (T = 3, p = 2), then on the lesson's "
    f"sentence (T = {_SENTENCE.h.shape[0]}, p = {_SENTENCE.h.shape[1]}), and names the term that is wrong: the "
    "W<sub>hy</sub> term, the W<sub>hh</sub> term, or Φ′.",
    Matrix(tuple(_dh(t + 1) for t in range(SMALL_BACKWARD.h.shape[0])),
           tuple(f"unit {u + 1}" for u in range(SMALL_BACKWARD.h.shape[1]))),
    question_web=_backward_question_web(),
    cases=_BACKWARD_CASES, web_case=_BACKWARD_WEB, args=lambda case: tuple(case.data), value=_backward_value,
    judge_values=_judge_backward, signature="my_backward(dY, h, W_hh, W_hy)",
    code=("def my_backward(dY, h, W_hh, W_hy):\n"
          "    \"\"\"dL/dh_t for t = T down to 1: an array (T, p) whose row t - 1 is dL/dh_t.\"\"\"\n"
          "    T, p = h.shape\n"
          "    dh = np.zeros((T, p))\n"
          "    # dh[T - 1] = ...          at t = T: the output term only\n"
          "    # for t in range(T - 2, -1, -1):\n"
          "    #     dh[t] = ...          the output term + the W_hh term\n"
          "    raise NotImplementedError   # delete this line once dh is filled in\n"
          "    return dh\n\n"
          "ex4.backward_recursion.check(my_backward)"),
    hint=("dL/dh<sub>t</sub> has two terms: W<sub>hy</sub><sup>T</sup> dL/dy<sub>t</sub> from this time-stamp's output, "
          "and W<sub>hh</sub><sup>T</sup>(Φ′<sub>t+1</sub> ⊙ dL/dh<sub>t+1</sub>) from the next time-stamp, with "
          "Φ′<sub>t+1</sub> = 1 − h<sub>t+1</sub><sup>2</sup> elementwise. At t = T the second term is missing. In "
          "NumPy, W<sub>hy</sub><sup>T</sup> dL/dy<sub>t</sub> is <code>W_hy.T @ dY[t]</code>."),
    solution=_backward_solution(),
    reference=recursion_formula,
)


# =========================================================================== 2. a copy of W_xh
_COPY_LABELS = tuple("abcd")[:SMALL_COPY.d]
_COPY_WEB = _Case(SMALL_COPY, "", 0.0, TYPED_ATOL, _COPY_LABELS)
_COPY_CASES = [_Case(SMALL_COPY, " (in the small case <code>ex4.SMALL_COPY</code>)", CODE_RTOL, CODE_ATOL)] + [
    _Case(CopyCase(_SENTENCE.dh[i], _SENTENCE.h[i], int(_SENTENCE.x[i]), _SENTENCE.W_xh.shape[1]),
          f" (at t = {i + 1} of the sentence '{DEFAULT_SENTENCE}')", CODE_RTOL, CODE_ATOL)
    for i in (0, 5, 11)
]


def _column(case: _Case, k: int) -> str:
    return f"column {case.columns[k]}" if case.columns else f"column {k}"


def _judge_copy(values: list, cases: list) -> str:
    for got, case in zip(values, cases):
        c: CopyCase = case.data
        if case.close(got, copy_formula(*c)):
            continue
        onehot = np.zeros(c.d)
        onehot[c.x_id] = 1.0
        where = case.where
        if case.close(got, np.outer(c.dh_t, onehot)):
            raise NotYet(f"you forgot Φ′{where}: the copy is (Φ′<sub>t</sub> ⊙ dL/dh<sub>t</sub>) x<sub>t</sub><sup>T</sup>; "
                         "dL/dh<sub>t</sub> first goes back through the tanh that made h<sub>t</sub>.", "Phi'")
        if case.close(got, np.outer((1 - c.h_t) * c.dh_t, onehot)):
            raise NotYet(f"check Φ′{where}: the slope of tanh is 1 − h<sub>t</sub><sup>2</sup>, with the square.", "Phi'")
        if case.close(got, np.outer((1 - c.dh_t ** 2) * c.h_t, onehot)):
            raise NotYet(f"check Φ′{where}: it is the slope of tanh at h<sub>t</sub>, and it multiplies "
                         "dL/dh<sub>t</sub> (you swapped the two).", "Phi'")
        cols = np.flatnonzero(np.abs(np.asarray(got)).sum(axis=0) > case.atol)
        if len(cols) == 0:
            raise NotYet(f"your copy is all zeros{where}; x<sub>t</sub> is one-hot, so one of its columns is not "
                         "zero.", "x_t")
        if len(cols) > 1:
            raise NotYet(f"only one column may be non-zero{where}: x<sub>t</sub> is one-hot, so "
                         "(Φ′<sub>t</sub> ⊙ dL/dh<sub>t</sub>) x<sub>t</sub><sup>T</sup> is zero except in the column of "
                         f"the input; yours fills {len(cols)} columns.", "x_t")
        if cols[0] != c.x_id:
            raise NotYet(f"your copy fills {_column(case, cols[0])}{where}, but x<sub>t</sub><sup>T</sup> puts "
                         "Φ′<sub>t</sub> ⊙ dL/dh<sub>t</sub> in the column of the input character x<sub>t</sub>.", "x_t")
        raise NotYet(f"the right column{where}, but its entries are not Φ′<sub>t</sub> ⊙ dL/dh<sub>t</sub> "
                     "(elementwise, Φ′<sub>t</sub> = 1 − h<sub>t</sub><sup>2</sup>).", "Phi'")
    if len(cases) == 1:
        return ("x<sub>t</sub> is one-hot, so the outer product (Φ′<sub>t</sub> ⊙ dL/dh<sub>t</sub>) "
                "x<sub>t</sub><sup>T</sup> puts Φ′<sub>t</sub> ⊙ dL/dh<sub>t</sub> in the input's column and zeros "
                "everywhere else: only the weights of the character that was read get a gradient.")
    return "your copies of dL/dW<sub>xh</sub> match the small case and the package's copies (Backward.copies)."


def _copy_value(out: object, case: _Case) -> np.ndarray:
    c: CopyCase = case.data
    return as_array(out, (len(c.h_t), c.d), "your copy" if not case.where else "what my_W_xh_copy returns")


def _copy_question_web() -> str:
    c = SMALL_COPY
    chars = ", ".join(_COPY_LABELS)
    return (f"One time-stamp of a network with p = {len(c.h_t)} hidden units and d = {c.d} characters {chars}. "
            f"The input is x<sub>t</sub> = onehot({_COPY_LABELS[c.x_id]}); h<sub>t</sub> = {_vec(c.h_t)} and "
            f"dL/dh<sub>t</sub> = {_vec(c.dh_t)}. Fill in the copy dL/dW<sub>xh</sub><sup>(t)</sup> = "
            "(Φ′<sub>t</sub> ⊙ dL/dh<sub>t</sub>) x<sub>t</sub><sup>T</sup>: one row per hidden unit, one column per "
            "character (3 decimals are enough).")


def _copy_solution() -> str:
    c = SMALL_COPY
    col = (1 - c.h_t ** 2) * c.dh_t
    return (f"Only column {_COPY_LABELS[c.x_id]} is non-zero, and it is Φ′<sub>t</sub> ⊙ dL/dh<sub>t</sub> = "
            f"(1 − h<sub>t</sub><sup>2</sup>) ⊙ dL/dh<sub>t</sub> = {_vec(np.round(col, 4))}; every other entry is 0. "
            "In code:<br><code>copy = np.zeros((len(h_t), d))</code><br>"
            "<code>copy[:, x_id] = (1 - h_t ** 2) * dh_t</code>")


W_xh_copy = FunctionExercise(
    "04.w-xh-copy", "A copy of W_xh",
    "The input is one-hot, x<sub>t</sub> = onehot(x_id) in R<sup>d</sup>. Write <code>my_W_xh_copy(dh_t, h_t, x_id, "
    "d)</code> that returns this time-stamp's p × d copy dL/dW<sub>xh</sub><sup>(t)</sup> = (Φ′<sub>t</sub> ⊙ "
    "dL/dh<sub>t</sub>) x<sub>t</sub><sup>T</sup> from <code>dh_t</code> = dL/dh<sub>t</sub> and <code>h_t</code>. "
    "How many of its columns can be non-zero? The check runs it on a small case, <code>ex4.SMALL_COPY</code> "
    "(p = 2, d = 4), then at three time-stamps of the lesson's sentence.",
    Matrix(tuple(f"unit {u + 1}" for u in range(len(SMALL_COPY.h_t))), _COPY_LABELS),
    question_web=_copy_question_web(),
    cases=_COPY_CASES, web_case=_COPY_WEB, args=lambda case: tuple(case.data), value=_copy_value,
    judge_values=_judge_copy, signature="my_W_xh_copy(dh_t, h_t, x_id, d)",
    code=("def my_W_xh_copy(dh_t, h_t, x_id, d):\n"
          "    \"\"\"dL/dW_xh at one time-stamp: an array (p, d); x_t = onehot(x_id) in R^d.\"\"\"\n"
          "    ...\n\n"
          "ex4.W_xh_copy.check(my_W_xh_copy)"),
    hint=("x<sub>t</sub><sup>T</sup> is a row of zeros with a single 1, at x_id: the outer product of a vector with "
          "it copies the vector into one column. Φ′<sub>t</sub> = 1 − h<sub>t</sub><sup>2</sup>, elementwise."),
    solution=_copy_solution(),
    reference=copy_formula,
)


# =========================================================================== 3. which copies one loss reaches
T_REACH, LOSS_AT = 6, 4


def _judge_reached(answer: object) -> str:
    chosen = as_time_set(answer, range(1, T_REACH + 1), "my_times")
    if not chosen:
        raise Unanswered("click the time-stamps whose copy can be non-zero")
    truth = set(range(2, LOSS_AT + 1))
    if chosen == truth:
        return (f"t = 2 … {LOSS_AT}. The loss at t = {LOSS_AT} reaches h<sub>{LOSS_AT}</sub> and, back through "
                f"W<sub>hh</sub>, every earlier state, but no later one: dL/dh<sub>t</sub> = 0 for t > {LOSS_AT}. And the "
                "copy at t = 1 multiplies h<sub>0</sub><sup>T</sup> = 0.")
    later = sorted(t for t in chosen if t > LOSS_AT)
    if later:
        raise NotYet(f"the copy at t = {later[0]} is (Φ′ ⊙ dL/dh<sub>{later[0]}</sub>) h<sub>{later[0] - 1}</sub><sup>T"
                     f"</sup>: does the loss at t = {LOSS_AT} depend on h<sub>{later[0]}</sub>?", "dL/dh_t")
    if 1 in chosen:
        raise NotYet("look at the copy at t = 1: it is (Φ′<sub>1</sub> ⊙ dL/dh<sub>1</sub>) h<sub>0</sub><sup>T</sup>. "
                     "Which state does the network start from?", "h_{t-1}")
    missing = sorted(truth - chosen)
    raise NotYet(f"the loss at t = {LOSS_AT} also reaches h<sub>{missing[0]}</sub>: dL/dh<sub>t</sub> gets "
                 "W<sub>hh</sub><sup>T</sup>(Φ′ ⊙ dL/dh<sub>t+1</sub>) from the next time-stamp, so the copy at t = "
                 f"{missing[0]} is not zero in general.", "W_hh")


reached_copies = Exercise(
    "04.reached-copies", "The copies one loss reaches",
    f"A vanilla RNN starts from h<sub>0</sub> = 0 and reads T = {T_REACH} inputs; only the target at t = {LOSS_AT} "
    "is present (the others are absent, so L = l<sub>4</sub>). For which time-stamps t can the copy "
    "dL/dW<sub>hh</sub><sup>(t)</sup> = (Φ′<sub>t</sub> ⊙ dL/dh<sub>t</sub>) h<sub>t−1</sub><sup>T</sup> be non-zero? "
    "Pick all.",
    TimeSet(tuple(f"t = {t}" for t in range(1, T_REACH + 1)), tuple(range(1, T_REACH + 1))), _judge_reached,
    code="my_times = ...   # a set of time-stamps, e.g. {5, 6}\nex4.reached_copies.check(my_times)",
    hint="The copy is an outer product: it is zero when dL/dh<sub>t</sub> is zero or when h<sub>t−1</sub> is. Which "
         "states can the loss at t = 4 depend on, and which h<sub>t−1</sub> is the same whatever the inputs?",
    solution=f"t = 2, 3 and {LOSS_AT}. The loss at t = {LOSS_AT} depends only on h<sub>1</sub> … h<sub>{LOSS_AT}</sub>, "
             f"so dL/dh<sub>5</sub> = dL/dh<sub>6</sub> = 0 and their copies vanish; the copy at t = 1 multiplies "
             "h<sub>0</sub> = 0.",
    reference=frozenset(range(2, LOSS_AT + 1)),
)

EXERCISES = (backward_recursion, W_xh_copy, reached_copies)
