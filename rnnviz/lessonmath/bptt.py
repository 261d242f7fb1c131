r"""Lesson 4: what the backpropagation-through-time views show, computed from the core.

A character-level language model of one short sentence: x_t is the one-hot character at position t,
the target j_t the next character, and (the package's cell also has the biases b_h, b_y)

    h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h),   y_t = W_hy h_t + b_y,
    L = sum_t -log p̂_t^{j_t},                    p̂_t = softmax(y_t).

The chapter's three steps of BPTT, from t = T down to 1:

1. forward, keeping every h_t;
2. each time-stamp's *copy* of the shared weights gets its own gradient,
   dL/dW_hh^(t) = (Phi'_t ⊙ dL/dh_t) h_{t-1}^T, dL/dW_xh^(t) = (Phi'_t ⊙ dL/dh_t) x_t^T,
   dL/dW_hy^(t) = dL/dy_t h_t^T, where dL/dy_t = p̂_t - onehot(j_t) and
   dL/dh_t = W_hy^T dL/dy_t + W_hh^T (Phi'_{t+1} ⊙ dL/dh_{t+1}),  Phi'_t = 1 - h_t**2;
3. the true gradient is the sum of the copies.

What is here:

* :func:`clean_sentence`, :func:`make_problem`, :func:`training_snapshots`, :func:`lesson_params` — the
  sentence as a model and its seeded (optionally slightly trained) weights;
* :func:`backward_trace` — everything the views show, read from ``Network.evaluate`` with
  ``keep_copies=True`` (no math of its own beyond sums of the core's copies);
* :func:`gradient_check` — central differences against the analytic gradient;
* :func:`backward_recursion` and :func:`W_xh_copy` — the two formulas of step 2 written batch-free,
  the right answers of the lesson's exercises; :func:`exercise_data` (the sentence's arrays) and
  :data:`SMALL_BACKWARD`, :data:`SMALL_COPY` (cases small enough to do with a calculator) are what
  the exercises run them on.
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import NamedTuple

import numpy as np

from ..core.gradcheck import GradCheck, numerical_gradient, relative_error
from ..core.losses import softmax_nll
from ..core.network import Network
from ..core.optim import Adam
from ..data import Vocabulary

__all__ = [
    "ALPHABET", "BackwardCase", "BackwardTrace", "CopyCase", "DEFAULT_SENTENCE", "ExerciseData",
    "GradientCheckResult", "HIDDEN_SIZE", "LEARNING_RATE", "MAX_CHARS", "MIN_CHARS", "Problem", "SMALL_BACKWARD",
    "SMALL_COPY", "TRAIN_STEPS", "WEIGHTS", "W_xh_copy", "backward_recursion", "backward_trace", "clean_sentence",
    "exercise_data", "gradient_check", "lesson_params", "make_problem", "training_snapshots",
]

#: Characters a sentence may hold (upper case is lowered first).
ALPHABET = "abcdefghijklmnopqrstuvwxyz .,;:'!?-"
MIN_CHARS, MAX_CHARS = 3, 40
DEFAULT_SENTENCE = "the cat chased the mouse"
HIDDEN_SIZE = 8
#: The training steps the lesson offers: 0 (random weights) to 30 Adam steps on the sentence.
TRAIN_STEPS = (0, 30)
#: The chapter's weight names -> the network's parameter keys.
WEIGHTS = {"W_hh": "layer0.fwd.W_hh", "W_xh": "layer0.fwd.W_xh", "W_hy": "out.W_hy"}
LEARNING_RATE = 0.05


# =========================================================================== the problem
def clean_sentence(text: object) -> str:
    """The sentence the lesson can use, or a ValueError/TypeError a student can read.

    Lowers upper case; refuses an empty or too short text (at least 3 characters:
    T = 2 time-stamps), more than ``MAX_CHARS`` characters, and characters outside
    :data:`ALPHABET` (listed in the message).
    """
    if not isinstance(text, str):
        raise TypeError(f"sentence: expected text, got {type(text).__name__}")
    s = text.strip().lower()
    if not s:
        raise ValueError("The sentence is empty: type a few words, e.g. 'the cat chased the mouse'.")
    bad = sorted(set(c for c in s if c not in ALPHABET))
    if bad:
        shown = " ".join(repr(c) for c in bad[:8]) + (" ..." if len(bad) > 8 else "")
        raise ValueError(f"The sentence has characters this lesson does not know: {shown}. "
                         "Use letters, spaces and . , ; : ' ! ? -")
    if len(s) < MIN_CHARS:
        raise ValueError(f"The sentence is too short ({len(s)} characters): type at least {MIN_CHARS}, "
                         "so that there are at least 2 time-stamps to go back through.")
    if len(s) > MAX_CHARS:
        raise ValueError(f"The sentence is too long ({len(s)} characters): at most {MAX_CHARS}, "
                         "so that every time-stamp stays readable.")
    return s


class Problem(NamedTuple):
    sentence: str
    vocab: Vocabulary  # char level, id 0 = "<unk>"
    net: Network  # vanilla RNN, d -> p -> d
    X: np.ndarray  # (1, T) input ids x_1..x_T
    targets: np.ndarray  # (1, T) the next characters j_1..j_T

    @property
    def T(self) -> int:
        return self.X.shape[1]


def make_problem(sentence: str = DEFAULT_SENTENCE, hidden_size: int = HIDDEN_SIZE) -> Problem:
    """A char-level language model of one sentence: predict character t+1 from characters 1..t."""
    s = clean_sentence(sentence)
    vocab = Vocabulary.from_text(s, level="char")
    ids = vocab.encode(s)
    V = len(vocab)
    net = Network(V, hidden_size, V, cell="vanilla")
    return Problem(s, vocab, net, ids[None, :-1], ids[None, 1:])


def training_snapshots(problem: Problem, seed: int = 0, lr: float = LEARNING_RATE) -> Iterator[dict]:
    """Parameters after 0, 1, 2, ... Adam steps on the sentence (full BPTT), from seeded weights.

    The initial W_hh is N(0, 1/p) and W_xh N(0, 1), larger than the default
    initialization, so that gradients reach back a few time-stamps visibly.
    """
    rng = np.random.default_rng(seed)
    net = problem.net
    p = net.init_params(rng)
    H, V = net.layers[0]["fwd"].hidden_size, net.input_size
    p[WEIGHTS["W_hh"]] = rng.standard_normal((H, H)) / np.sqrt(H)
    p[WEIGHTS["W_xh"]] = rng.standard_normal((H, V))
    opt = Adam(lr)
    state = opt.init(p)
    while True:
        yield p
        ev = net.evaluate(p, problem.X, problem.targets)
        p, state = opt.step(p, ev.grads, state)


def lesson_params(problem: Problem, train_steps: int = 10, seed: int = 0) -> dict:
    """The weights after ``train_steps`` Adam steps (see :func:`training_snapshots`)."""
    if isinstance(train_steps, bool) or not isinstance(train_steps, (int, np.integer)) or train_steps < 0:
        raise ValueError(f"train_steps: expected a whole number >= 0, got {train_steps!r}")
    return next(islice(training_snapshots(problem, seed), int(train_steps), None))


# =========================================================================== what the views show
class BackwardTrace(NamedTuple):
    """One forward + backward pass, per time-stamp (index 0 is the chapter's t = 1).

    Weight dicts are keyed by the chapter's names ``"W_hh"``, ``"W_xh"``, ``"W_hy"``.
    """

    tokens: tuple  # vocabulary tokens, index = id
    inputs: np.ndarray  # (T,) ids of x_t
    targets: np.ndarray  # (T,) ids j_t
    loss: float  # L = sum_t loss_t
    loss_per_step: np.ndarray  # (T,) -log p̂_t^{j_t}
    probs: np.ndarray  # (T, d) p̂_t
    dY: np.ndarray  # (T, d) dL/dy_t = p̂_t - onehot(j_t)
    h: np.ndarray  # (T, p)
    dh: np.ndarray  # (T, p) dL/dh_t (the package's Backward.dh)
    dh_output: np.ndarray  # (T, p) the term W_hy^T dL/dy_t
    dh_future: np.ndarray  # (T, p) the term W_hh^T (Phi'_{t+1} ⊙ dL/dh_{t+1}) = dh - dh_output (0 at t = T)
    copies: dict  # name -> (T, ...) dL/dW^(t)
    running: dict  # name -> (T, ...) sum_{s >= t} dL/dW^(s)
    grads: dict  # name -> the true gradient, Network.evaluate(...).grads
    gaps: dict  # name -> (T,) ||running[t] - grad|| / ||grad||
    copy_norms: dict  # name -> (T,) ||dL/dW^(t)||

    @property
    def T(self) -> int:
        return len(self.inputs)


def backward_trace(problem: Problem, params: dict) -> BackwardTrace:
    """Evaluate with ``keep_copies=True`` and arrange the results per time-stamp."""
    ev = problem.net.evaluate(params, problem.X, problem.targets, keep_copies=True)
    lr, bw = ev.loss_result, ev.backward
    dY = lr.dY[0]  # (T, d)
    dh = bw.dh["layer0.fwd"][0]  # (T, p)
    dh_output = dY @ params[WEIGHTS["W_hy"]]  # (T, p) row t: (W_hy^T dL/dy_t)^T
    copies, running, grads, gaps, norms = {}, {}, {}, {}, {}
    for name, key in WEIGHTS.items():
        c = bw.copies[key]  # (T, ...)
        # sum from T down to t, in the order BPTT visits them
        run = np.cumsum(c[::-1], axis=0)[::-1]
        g = ev.grads[key]
        gn = np.linalg.norm(g)
        diff = np.sqrt(((run - g) ** 2).reshape(len(c), -1).sum(axis=1))
        copies[name], running[name], grads[name] = c, run, g
        gaps[name] = diff / gn if gn > 0 else diff
        norms[name] = np.sqrt((c * c).reshape(len(c), -1).sum(axis=1))
    return BackwardTrace(
        problem.vocab.tokens, problem.X[0], problem.targets[0], float(ev.loss), lr.per_step[0], lr.probs[0], dY,
        ev.forward.hidden["layer0.fwd"][0], dh, dh_output, dh - dh_output, copies, running, grads, gaps, norms,
    )


class GradientCheckResult(NamedTuple):
    check: GradCheck  # errors per weight, PASSED/FAILED
    analytic: dict  # name -> BPTT gradient
    numeric: dict  # name -> central differences


def gradient_check(problem: Problem, params: dict, names=tuple(WEIGHTS), *, eps: float = 1e-5,
                   tolerance: float = 1e-7) -> GradientCheckResult:
    """The comparison ``rnnviz.check_gradients`` makes, keeping the numerical arrays for a scatter.

    f(params) = L is the forward pass and the loss only; every entry of each chosen
    weight is nudged by +-eps.
    """
    unknown = [n for n in names if n not in WEIGHTS]
    if unknown:
        raise ValueError(f"names: unknown weight(s) {', '.join(unknown)}; choose from {', '.join(WEIGHTS)}")
    net, X, Y = problem.net, problem.X, problem.targets

    def loss(p):
        return softmax_nll(net.forward(p, X).Y, Y).loss

    grads = net.evaluate(params, X, Y).grads
    keys = [WEIGHTS[n] for n in names]
    numeric = numerical_gradient(loss, params, keys, eps=eps)
    errors = {n: relative_error(grads[WEIGHTS[n]], numeric[WEIGHTS[n]]) for n in names}
    check = GradCheck(errors, max(errors.values()), tolerance)
    return GradientCheckResult(check, {n: grads[WEIGHTS[n]] for n in names}, {n: numeric[WEIGHTS[n]] for n in names})


# =========================================================================== the exercises' formulas and data
def backward_recursion(dY: np.ndarray, h: np.ndarray, W_hh: np.ndarray, W_hy: np.ndarray) -> np.ndarray:
    """dL/dh_t for t = T down to 1, batch-free: (T, p), row t - 1 is the chapter's dL/dh_t.

    dL/dh_T = W_hy^T dL/dy_T;  dL/dh_t = W_hy^T dL/dy_t + W_hh^T (Phi'_{t+1} ⊙ dL/dh_{t+1}),  Phi' = 1 - h**2.
    dY (T, d): dL/dy_t; h (T, p): h_1 .. h_T; W_hh (p, p); W_hy (d, p).
    """
    T, p = h.shape
    dh = np.zeros((T, p))
    dh[T - 1] = W_hy.T @ dY[T - 1]
    for t in range(T - 2, -1, -1):
        dh[t] = W_hy.T @ dY[t] + W_hh.T @ ((1 - h[t + 1] ** 2) * dh[t + 1])
    return dh


def W_xh_copy(dh_t: np.ndarray, h_t: np.ndarray, x_id: int, d: int) -> np.ndarray:
    """The copy dL/dW_xh^(t) = (Phi'_t ⊙ dL/dh_t) x_t^T (p, d) for a one-hot x_t = onehot(x_id) in R^d.

    Only column ``x_id`` is non-zero: it is Phi'_t ⊙ dL/dh_t = (1 - h_t**2) * dh_t.
    """
    copy = np.zeros((len(h_t), d))
    copy[:, x_id] = (1 - h_t ** 2) * dh_t
    return copy


class ExerciseData(NamedTuple):
    """Batch-free arrays of one sentence for the exercises (index 0 is t = 1)."""

    dY: np.ndarray  # (T, d) dL/dy_t
    h: np.ndarray  # (T, p) h_1..h_T
    h0: np.ndarray  # (p,) the initial state (zeros)
    x: np.ndarray  # (T,) input ids; x_t is onehot(x[t]) in R^d
    W_hh: np.ndarray  # (p, p)
    W_xh: np.ndarray  # (p, d)
    W_hy: np.ndarray  # (d, p)
    dh: np.ndarray  # (T, p) the package's dL/dh_t
    copies_W_xh: np.ndarray  # (T, p, d) the package's dL/dW_xh^(t)


def exercise_data(sentence: str = DEFAULT_SENTENCE, train_steps: int = 10, seed: int = 0) -> ExerciseData:
    """The lesson's sentence, its weights after ``train_steps`` Adam steps, and the package's answers."""
    problem = make_problem(sentence)
    p = lesson_params(problem, train_steps, seed)
    tr = backward_trace(problem, p)
    H = tr.h.shape[1]
    return ExerciseData(tr.dY.copy(), tr.h.copy(), np.zeros(H), tr.inputs.copy(), p[WEIGHTS["W_hh"]].copy(),
                        p[WEIGHTS["W_xh"]].copy(), p[WEIGHTS["W_hy"]].copy(), tr.dh.copy(), tr.copies["W_xh"].copy())


class BackwardCase(NamedTuple):
    """The arguments of ``my_backward(dY, h, W_hh, W_hy)`` for one sequence (index 0 is t = 1)."""

    dY: np.ndarray  # (T, d) dL/dy_t
    h: np.ndarray  # (T, p)
    W_hh: np.ndarray  # (p, p)
    W_hy: np.ndarray  # (d, p)

    @property
    def output_terms(self) -> np.ndarray:
        """(T, p) row t - 1: W_hy^T dL/dy_t, the part of dL/dh_t from the output of time-stamp t."""
        return self.dY @ self.W_hy


class CopyCase(NamedTuple):
    """The arguments of ``my_W_xh_copy(dh_t, h_t, x_id, d)`` at one time-stamp."""

    dh_t: np.ndarray  # (p,) dL/dh_t
    h_t: np.ndarray  # (p,)
    x_id: int  # x_t = onehot(x_id)
    d: int  # the vocabulary size


#: A sequence small enough to do by hand: T = 3, p = 2, d = 3. Each dL/dy_t is p̂_t - onehot(j_t) of a real
#: softmax (p̂_1 = (0.1, 0.8, 0.1), j_1 = 2; p̂_2 = (0.3, 0.1, 0.6), j_2 = 3; p̂_3 = (0.6, 0.2, 0.2), j_3 = 1)
#: and W_hy's last row is 0, so the output terms W_hy^T dL/dy_t are the first two entries of dL/dy_t.
SMALL_BACKWARD = BackwardCase(
    dY=np.array([[0.1, -0.2, 0.1], [0.3, 0.1, -0.4], [-0.4, 0.2, 0.2]]),
    h=np.array([[0.3, -0.6], [0.5, 0.0], [-0.5, 0.8]]),
    W_hh=np.array([[0.5, -1.0], [1.0, 0.5]]),
    W_hy=np.array([[1.0, 0.0], [0.0, 1.0], [0.0, 0.0]]),
)

#: One time-stamp small enough to do by hand: p = 2 hidden units, d = 4 characters, x_t the third one (id 2).
SMALL_COPY = CopyCase(dh_t=np.array([0.4, -0.6]), h_t=np.array([0.5, -0.2]), x_id=2, d=4)
