r"""Lesson 4: backpropagation through time, one time-stamp at a time.

A character-level language model on one short sentence: x_t is the one-hot
character at position t, the target j_t the next character, and

    h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h),   y_t = W_hy h_t + b_y,
    L = sum_t -log p_t^{j_t},                    p_t = softmax(y_t).

The chapter's three steps of BPTT, which the app steps through from t = T down to 1:

1. forward, keeping every h_t;
2. each time-stamp's *copy* of the shared weights gets its own gradient,
   dL/dW_hh^(t) = (Phi' ⊙ dL/dh_t) h_{t-1}^T, dL/dW_xh^(t) = (Phi' ⊙ dL/dh_t) x_t^T,
   dL/dW_hy^(t) = dL/dy_t h_t^T, where dL/dy_t = p_t - onehot(j_t) and
   dL/dh_t = W_hy^T dL/dy_t + W_hh^T (Phi'_{t+1} ⊙ dL/dh_{t+1}),  Phi' = 1 - h**2;
3. the true gradient is the sum of the copies.

What is here:

* :func:`make_problem`, :func:`training_snapshots`, :func:`lesson_params` — the
  sentence as a model and its seeded (optionally slightly trained) weights;
* :func:`backward_trace` — everything the views show, read from ``Network.evaluate``
  with ``keep_copies=True`` (no math of its own beyond sums of the core's copies);
* :func:`gradient_check` — central differences against the analytic gradient;
* :class:`BPTTApp` — the interactive lesson;
* :func:`exercise_data`, :func:`check_backward_recursion`, :func:`check_W_xh_copy` —
  the notebook's exercises and the checks that say which term is wrong.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Iterator
from itertools import islice
from typing import NamedTuple

import ipywidgets as W
import numpy as np

from ..core.gradcheck import GradCheck, numerical_gradient, relative_error
from ..core.losses import softmax_nll
from ..core.network import Network
from ..core.optim import Adam
from ..data import Vocabulary
from ..viz.bptt import check_html, sequence_html, time_html, token_label
from .base import LessonApp, explained, heading

__all__ = [
    "ALPHABET",
    "BPTTApp",
    "BackwardTrace",
    "DEFAULT_SENTENCE",
    "ExerciseData",
    "Feedback",
    "GradientCheckResult",
    "MAX_CHARS",
    "Problem",
    "WEIGHTS",
    "backward_trace",
    "check_W_xh_copy",
    "check_backward_recursion",
    "clean_sentence",
    "exercise_data",
    "gradient_check",
    "lesson_params",
    "make_problem",
    "training_snapshots",
]

#: Characters a sentence may hold (upper case is lowered first).
ALPHABET = "abcdefghijklmnopqrstuvwxyz .,;:'!?-"
MIN_CHARS, MAX_CHARS = 3, 40
DEFAULT_SENTENCE = "the cat chased the mouse"
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


def make_problem(sentence: str = DEFAULT_SENTENCE, hidden_size: int = 8) -> Problem:
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
    loss_per_step: np.ndarray  # (T,) -log p_t^{j_t}
    probs: np.ndarray  # (T, V) p_t
    dY: np.ndarray  # (T, V) dL/dy_t = p_t - onehot(j_t)
    h: np.ndarray  # (T, H)
    dh: np.ndarray  # (T, H) dL/dh_t (the package's Backward.dh)
    dh_output: np.ndarray  # (T, H) the term W_hy^T dL/dy_t
    dh_future: np.ndarray  # (T, H) the term W_hh^T (Phi' ⊙ dL/dh_{t+1}) = dh - dh_output (0 at t = T)
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
    dY = lr.dY[0]
    dh = bw.dh["layer0.fwd"][0]
    dh_output = dY @ params[WEIGHTS["W_hy"]]  # row t: (W_hy^T dL/dy_t)^T
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


# =========================================================================== the app
class BPTTApp(LessonApp):
    """Step the backward pass from t = T down to 1 and watch the copies add up to the gradient."""

    title = "Backpropagation through time, step by step"

    def __init__(self, sentence: str = DEFAULT_SENTENCE, *, train_steps: int = 10, weight: str = "W_hh",
                 hidden_size: int = 8, seed: int = 0):
        if weight not in WEIGHTS:
            raise ValueError(f"weight: expected one of {', '.join(WEIGHTS)}, got {weight!r}")
        self.hidden_size, self.seed = hidden_size, seed
        self.problem = make_problem(sentence, hidden_size)
        self._snapshots: list[dict] = []
        self._trainer = training_snapshots(self.problem, seed)
        self.check_result: GradientCheckResult | None = None
        self._quiet = False
        T = self.problem.T
        style = {"description_width": "120px"}
        self.sentence = W.Text(value=self.problem.sentence, description="sentence", style=style,
                               continuous_update=False, layout=W.Layout(width="420px"))
        self.train_steps = W.IntSlider(value=train_steps, min=0, max=30, step=5, description="training steps",
                                       style=style, continuous_update=False)
        self.weight = W.ToggleButtons(options=list(WEIGHTS), value=weight, style={"button_width": "70px"})
        self.t = W.IntSlider(value=T, min=1, max=T, description="time-stamp t", style=style)
        self.back_button = W.Button(description="◀ t − 1", tooltip="one step further back in time",
                                    layout=W.Layout(width="90px"))
        self.forward_button = W.Button(description="t + 1 ▶", tooltip="undo one step", layout=W.Layout(width="90px"))
        self.play = W.Play(value=0, min=0, max=T - 1, step=1, interval=800, description="play",
                            show_repeat=False)
        self.check_button = W.Button(description="Run gradient check", icon="check", button_style="info",
                                     layout=W.Layout(width="180px"))
        self.back_button.on_click(lambda _: self.run_guarded(lambda: self._step(-1)))
        self.forward_button.on_click(lambda _: self.run_guarded(lambda: self._step(+1)))
        self.check_button.on_click(lambda _: self.run_guarded(self.run_check))
        self.strip = W.HTML()
        self.summary = W.HTML()
        # the views, drawn as SVG by rnnviz (a move of t redraws in milliseconds; see rnnviz.viz.bptt)
        self.time_view = W.HTML()  # at time-stamp t: dL/dy_t, dL/dh_t, the copy, the running sum and the true gradient
        self.sequence_view = W.HTML()  # over the whole sequence: losses, copy sizes, the gap; t marked
        self.check_view = W.HTML(check_html(None))  # the gradient check
        steps_row = W.HBox([self.back_button, self.forward_button, self.play])
        # ToggleButtons puts its description on a line of its own: a label beside it instead, aligned like the others
        weight_row = W.HBox([W.HTML('<div style="text-align:right; padding-right:8px">weight</div>',
                                    layout=W.Layout(width="120px")), self.weight])
        super().__init__([
            heading(self.title,
                    f"A small RNN language model (p = {hidden_size} hidden units) reads the sentence one character "
                    "at a time and predicts the next one. BPTT goes <b>backwards</b>: start at t = T, move t down to 1. At each "
                    "time-stamp the shared weight gets its own <i>copy</i> of the gradient; the true gradient is the "
                    "sum of all copies."),
            explained(self.sentence, "the training sentence; press Enter. Letters, spaces and . , ; : ' ! ? - , "
                                     f"{MIN_CHARS} to {MAX_CHARS} characters"),
            explained(self.train_steps, "Adam steps on this sentence before we look: 0 = random weights; "
                                        "more steps, lower losses and smaller gradients"),
            explained(weight_row, "which shared weight's copies the heatmaps show: W_hh (p×p), W_xh (p×d), W_hy (d×p)"),
            explained(self.t, "the time-stamp the backward pass has reached; copies s = T … t are in the running sum"),
            explained(steps_row, "◀ one more backward step (t → t−1), ▶ one back up; ▷ plays the whole pass from T to 1"),
            explained(self.check_button, "compares BPTT with finite differences on W_hh, W_xh and W_hy "
                                         "(at the bottom of the page); takes under a second"),
            self.strip,
            self.summary,
            heading("At time-stamp t", self._time_guide()),
            self.time_view,
            heading("Over the whole sequence", self._sequence_guide()),
            self.sequence_view,
            self.check_view,
        ])
        for box in (steps_row, weight_row):
            box.tooltip = None  # explained() sets one; a Box with a tooltip fails to render in the browser (updateTooltip)
        self.watch(self.sentence, self._on_sentence)
        self.watch(self.train_steps, self._on_model)
        self.watch(self.weight, self.update)
        self.watch(self.t, self.update)
        self.watch(self.play, self._on_play)
        self._recompute()
        self.refresh()

    @staticmethod
    def _time_guide() -> str:
        return (
            "Everything here changes when t moves; read it left to right, in the order the backward step computes it. "
            "<b>dL/dŷ<sub>t</sub></b> = p̂<sub>t</sub> − onehot(j<sub>t</sub>): positive for every wrong character, "
            "negative (p̂ − 1) for the true one, marked j<sub>t</sub>. <b>dL/dh<sub>t</sub></b> per hidden unit, as the "
            "sum (black ◆) of the part from this time-stamp's output, W<sub>hy</sub><sup>T</sup> dL/dy<sub>t</sub>, and "
            "the part from the future, W<sub>hh</sub><sup>T</sup>(Φ′ ⊙ dL/dh<sub>t+1</sub>), which is 0 at t = T. "
            "<b>The copy</b> of the gradient at this time-stamp, red positive, blue negative (its own colour scale, the "
            "same for every t, so you can compare copies); a W<sub>xh</sub> copy is non-zero only in the column of the "
            "input character x<sub>t</sub>. <b>The running sum</b> of the copies T … t, beside the true gradient "
            "on the same colour scale: the two become identical at t = 1. Hover over a bar or a cell for its value."
        )

    @staticmethod
    def _sequence_guide() -> str:
        return (
            "<ul style='margin:0; padding-left:18px'>"
            "<li>The loss −log p̂<sub>t</sub>(j<sub>t</sub>) of each time-stamp; orange is the current t.</li>"
            "<li>The size of each copy: green ones are already in the running sum, grey ones still to come.</li>"
            "<li>The relative gap between the running sum and the true gradient: 0 at t = 1 (for W<sub>hh</sub> "
            "already at t = 2: its copy at t = 1 multiplies h<sub>0</sub> = 0).</li>"
            "<li>Below, after <b>Run gradient check</b>: one dot per weight entry, on the diagonal when BPTT agrees "
            "with finite differences.</li></ul>"
        )

    # ------------------------------------------------------------------ model state
    def _params(self, steps: int) -> dict:
        while len(self._snapshots) <= steps:
            self._snapshots.append(next(self._trainer))
        return self._snapshots[steps]

    def _recompute(self) -> None:
        steps = self.train_steps.value
        if not (isinstance(steps, (int, np.integer)) and 0 <= steps <= self.train_steps.max):
            raise ValueError(f"training steps: expected 0 to {self.train_steps.max}, got {steps!r}")
        self.params = self._params(int(steps))
        self.trace = backward_trace(self.problem, self.params)
        self.check_result = None  # a check of other weights is no longer valid: update() clears its drawing

    def _on_model(self) -> None:
        self._recompute()
        self.update()

    def _on_sentence(self) -> None:
        raw = self.sentence.value
        problem = make_problem(raw, self.hidden_size)  # a bad sentence raises here: nothing changes
        self.problem = problem
        self._snapshots, self._trainer = [], training_snapshots(problem, self.seed)
        self._recompute()
        T = problem.T
        self._quiet = True
        try:
            self.t.max = max(T, self.t.min + 1)
            self.t.value = T
            self.t.max = T
            self.play.value = 0
            self.play.max = T - 1
        finally:
            self._quiet = False
        self.update()
        lowered = " Upper case was turned into lower case." if raw.strip() != problem.sentence else ""
        self.message.info(f"New sentence: T = {T} time-stamps, d = {len(problem.vocab)} characters "
                          f"(including <unk>); weights re-drawn and trained for {self.train_steps.value} steps."
                          + lowered)

    def _step(self, delta: int) -> None:
        self.t.value = int(np.clip(self.t.value + delta, 1, self.problem.T))

    def _on_play(self) -> None:
        if self._quiet:
            return
        self.t.value = int(np.clip(self.problem.T - self.play.value, 1, self.problem.T))

    @property
    def gap(self) -> float:
        """Relative gap ||sum_{s>=t} copies - true gradient|| / ||true gradient|| at the current t and weight."""
        return float(self.trace.gaps[self.weight.value][self.t.value - 1])

    # ------------------------------------------------------------------ drawing
    def update(self) -> None:
        if self._quiet:
            return
        t, name = self.t.value, self.weight.value
        if name not in WEIGHTS:
            raise ValueError(f"weight: expected one of {', '.join(WEIGHTS)}, got {name!r}")
        if not (isinstance(t, (int, np.integer)) and 1 <= t <= self.trace.T):
            raise ValueError(f"time-stamp t: expected 1 to {self.trace.T}, got {t!r}")
        # one message per view, the panels of t first, then the sequence, then the read-outs
        self.time_view.value = time_html(self.trace, int(t), name)
        self.sequence_view.value = sequence_html(self.trace, int(t), name)
        if self.check_result is None:  # a new trace cleared the check (see _recompute)
            self.check_view.value = check_html(None)
        self.strip.value = self._strip_html(int(t))
        self.summary.value = self._summary_html(int(t), name)

    def _strip_html(self, t: int) -> str:
        s = self.problem.sentence
        cells = []
        for i, c in enumerate(s):
            label = html.escape("␣" if c == " " else c)
            style = "display:inline-block; min-width:1.1em; text-align:center; margin:1px; padding:1px 2px; border-radius:3px;"
            if i == t - 1:  # orange: the current time-stamp, as in the bar charts
                style += "background:#ea580c; color:white; font-weight:bold;"
            elif t <= i < len(s) - 1:  # inputs of the time-stamps t+1 .. T, already gone through backwards
                style += "background:#dcfce7;"
            if i == t:  # red: the true next character j_t, as in the dL/dy panel
                style += "outline:2px solid #dc2626; font-weight:bold;"
            cells.append(f'<span style="{style}">{label}</span>')
        x, j = self.trace.tokens[self.trace.inputs[t - 1]], self.trace.tokens[self.trace.targets[t - 1]]
        return (
            '<div style="font-family:monospace; font-size:17px">' + "".join(cells) + "</div>"
            f'<div style="color:#555; font-size:13.5px">At t = {t} the input x<sub>t</sub> = '
            f"<b style='color:#ea580c'>{html.escape(token_label(x))}</b> should predict "
            f"j<sub>t</sub> = <b style='color:#dc2626'>{html.escape(token_label(j))}</b>; green: the inputs of "
            "t+1 … T, which the backward pass has already gone through.</div>"
        )

    def _summary_html(self, t: int, name: str) -> str:
        tr = self.trace
        gap = tr.gaps[name][t - 1]
        if t == 1:
            gap_text = (f"<b>{gap:.0e}</b> — rounding only: the sum of all copies <b>is</b> the true gradient"
                        if gap > 0 else "<b>0</b> — the sum of all copies <b>is</b> the true gradient")
        elif gap == 0 and name == "W_hh":
            gap_text = ("<b>0</b> already: the one copy still missing, at t = 1, is (Φ′ ⊙ dL/dh<sub>1</sub>) "
                        "h<sub>0</sub><sup>T</sup> = 0, because the initial state h<sub>0</sub> is 0")
        else:
            gap_text = f"<b>{gap:.3f}</b> (the copies of t = {t - 1} … 1 are still missing)"
        return (
            f"t = <b>{t}</b> of T = {tr.T} &nbsp;·&nbsp; loss<sub>t</sub> = {tr.loss_per_step[t - 1]:.3f} "
            f"(total L = {tr.loss:.2f}) &nbsp;·&nbsp; ‖dL/dh<sub>t</sub>‖ = {np.linalg.norm(tr.dh[t - 1]):.3f} "
            f"&nbsp;·&nbsp; relative gap ‖Σ<sub>s≥t</sub> copies − dL/d{name}‖ / ‖dL/d{name}‖ = {gap_text}"
        )

    # ------------------------------------------------------------------ gradient check
    def run_check(self) -> None:
        res = gradient_check(self.problem, self.params)
        self.check_result = res
        self.check_view.value = check_html(res)
        c = res.check
        per = ", ".join(f"{n} {e:.1e}" for n, e in c.errors.items())
        if c.passed:
            self.message.info(f"Gradient check PASSED: max relative error {c.max_error:.1e} < {c.tolerance:.0e} ({per}).")
        else:
            self.message.error(f"Gradient check FAILED: max relative error {c.max_error:.1e} ≥ {c.tolerance:.0e} "
                               f"(worst {c.worst()}; {per}).")


# =========================================================================== exercises
class ExerciseData(NamedTuple):
    """Batch-free arrays of one sentence for the exercises (index 0 is t = 1)."""

    dY: np.ndarray  # (T, d) dL/dy_t
    h: np.ndarray  # (T, p) h_1..h_T
    h0: np.ndarray  # (p,) the initial state (zeros)
    x: np.ndarray  # (T,) input ids; x_t is onehot(x[t]) in R^d
    W_hh: np.ndarray  # (p, p)
    W_xh: np.ndarray  # (p, d)
    W_hy: np.ndarray  # (d, p)
    dh: np.ndarray  # (T, p) the package's dL/dh_t (the answer)
    copies_W_xh: np.ndarray  # (T, p, d) the package's dL/dW_xh^(t)


def exercise_data(sentence: str = DEFAULT_SENTENCE, train_steps: int = 10, seed: int = 0) -> ExerciseData:
    problem = make_problem(sentence)
    p = lesson_params(problem, train_steps, seed)
    tr = backward_trace(problem, p)
    H = tr.h.shape[1]
    return ExerciseData(tr.dY.copy(), tr.h.copy(), np.zeros(H), tr.inputs.copy(), p[WEIGHTS["W_hh"]].copy(),
                        p[WEIGHTS["W_xh"]].copy(), p[WEIGHTS["W_hy"]].copy(), tr.dh.copy(), tr.copies["W_xh"].copy())


class Feedback(NamedTuple):
    ok: bool
    message: str

    def __str__(self) -> str:
        return self.message


def _close(a, b) -> bool:
    a, b = np.asarray(a, float), np.asarray(b, float)
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-6, atol=1e-9)


def _call(fn: Callable, args: tuple, shape: tuple, what: str) -> tuple[np.ndarray | None, Feedback | None]:
    if not callable(fn):
        return None, Feedback(False, "not yet: pass your function itself, e.g. check(my_function), "
                                     f"got {type(fn).__name__}")
    try:
        out = fn(*(np.array(a, copy=True) for a in args))
    except Exception as exc:  # the student's code: report, never crash
        return None, Feedback(False, f"not yet: your function raised {type(exc).__name__}: {exc}. {what}")
    try:
        out = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        return None, Feedback(False, f"not yet: return a NumPy array of shape {shape}, got {type(out).__name__}")
    if out.shape != shape:
        return None, Feedback(False, f"not yet: return an array of shape {shape}, got shape {out.shape}. {what}")
    if not np.all(np.isfinite(out)):
        return None, Feedback(False, "not yet: your result holds NaN or inf (is some entry left unset?)")
    return out, None


def check_backward_recursion(fn: Callable, data: ExerciseData | None = None) -> Feedback:
    """Check a student's ``fn(dY, h, W_hh, W_hy) -> dh`` (T, p) against the package's dL/dh_t.

    Walks from t = T down and, at the first wrong time-stamp, names the term that is
    wrong, judged against the student's own dL/dh_{t+1} (so one slip is not blamed
    on every earlier time-stamp).
    """
    d = data or exercise_data()
    T, p = d.h.shape
    shapes = (f"Shapes: dY is {d.dY.shape}, h is {d.h.shape}, W_hh is {d.W_hh.shape}, W_hy is {d.W_hy.shape}; "
              "the W_hy term is W_hy.T @ dY[t].")
    D, bad = _call(fn, (d.dY, d.h, d.W_hh, d.W_hy), (T, p), shapes)
    if bad:
        return bad
    out = d.dY @ d.W_hy  # row t: W_hy^T dL/dy_t
    phi = 1 - d.h ** 2
    if not _close(D[T - 1], out[T - 1]):
        if _close(D[T - 1], 0):
            return Feedback(False, f"check the W_hy term: at t = T = {T} nothing comes from the future, but the output "
                                   "still does: dL/dh_T = W_hy^T dL/dy_T (W_hy.T @ dY[T-1]); yours is 0.")
        return Feedback(False, f"check the W_hy term: at t = T = {T}, dL/dh_T = W_hy^T dL/dy_T only "
                               "(W_hy.T @ dY[T-1]; no W_hh term, no Φ′).")
    for t in range(T - 2, -1, -1):
        nxt = D[t + 1]
        rec = d.W_hh.T @ (phi[t + 1] * nxt)
        if _close(D[t], out[t] + rec):
            continue
        at = f"at t = {t + 1},"
        variants = [
            (out[t], f"check the W_hh term: {at} dL/dh_t also gets W_hh^T (Φ′ ⊙ dL/dh_{{t+1}}) from the next time-stamp. "
                     "(Going from t = T down to 1, dL/dh_{t+1} is ready when you need it.)"),
            (rec, f"check the W_hy term: {at} dL/dh_t also gets W_hy^T dL/dy_t from this time-stamp's output."),
            (out[t] + d.W_hh.T @ nxt, f"you forgot Φ′: {at} multiply dL/dh_{{t+1}} elementwise by "
                                      "Φ′ = 1 − h_{t+1}² before W_hh^T."),
            (out[t] + d.W_hh.T @ (phi[t] * nxt), f"check Φ′: {at} it must be 1 − h_{{t+1}}², the slope of the tanh that "
                                                 "made h_{t+1} (you used h_t)."),
            (out[t] + d.W_hh @ (phi[t + 1] * nxt), f"check the W_hh term: {at} use the transpose, W_hh.T — the "
                                                   "gradient flows backwards through W_hh."),
            (out[t] + phi[t + 1] * (d.W_hh.T @ nxt), f"check the W_hh term: {at} Φ′ multiplies dL/dh_{{t+1}} first, "
                                                     "then W_hh^T: W_hh.T @ ((1 - h[t+1]**2) * dh[t+1])."),
            (phi[t] * (out[t] + d.W_hh.T @ nxt), f"check Φ′: {at} you computed dL/da_t (Φ′ at t applied to the sum); the "
                                                 "recursion asked for is for dL/dh_t, with Φ′_{t+1} inside the W_hh term."),
            (phi[t + 1] * out[t] + rec, f"check the W_hy term: {at} it is W_hy^T dL/dy_t with no Φ′ (Φ′ belongs to "
                                        "the W_hh term)."),
        ]
        for value, text in variants:
            if _close(D[t], value):
                return Feedback(False, text)
        return Feedback(False, f"not yet: {at} your dL/dh_t differs from W_hy^T dL/dy_t + W_hh^T (Φ′ ⊙ dL/dh_{{t+1}}) "
                                   f"by {np.linalg.norm(D[t] - out[t] - rec):.3g}; check both terms.")
    return Feedback(True, f"correct: your dL/dh_t matches the package's Backward.dh at all {T} time-stamps.")


def check_W_xh_copy(fn: Callable, data: ExerciseData | None = None, times=(0, 5, 11)) -> Feedback:
    """Check ``fn(dh_t, h_t, x_id, d) -> dL/dW_xh^(t)`` (p, d) against the package's copies.

    x_t is one-hot: x_t = onehot(x_id) in R^d.
    """
    d = data or exercise_data()
    T, p = d.h.shape
    V = d.W_xh.shape[1]
    for t in times:
        t = min(t, T - 1)
        want = d.copies_W_xh[t]
        got, bad = _call(fn, (d.dh[t], d.h[t], np.int64(d.x[t]), V), (p, V),
                         f"The copy has the shape of W_xh, (p, d) = ({p}, {V}).")
        if bad:
            return bad
        if _close(got, want):
            continue
        at, j = f"at t = {t + 1},", int(d.x[t])
        onehot = np.zeros(V)
        onehot[j] = 1.0
        if _close(got, np.outer(d.dh[t], onehot)):
            return Feedback(False, f"you forgot Φ′: {at} the copy is (Φ′ ⊙ dL/dh_t) x_t^T with Φ′ = 1 − h_t².")
        col = np.flatnonzero(np.abs(got).sum(axis=0) > 0)
        if len(col) == 1 and col[0] != j:
            return Feedback(False, f"check the column: {at} x_t is onehot({j}), so only column {j} is non-zero; "
                                   f"yours fills column {col[0]}.")
        if len(col) > 1:
            return Feedback(False, f"check the columns: {at} only one column may be non-zero: x_t is one-hot, so "
                                   "(Φ′ ⊙ dL/dh_t) x_t^T puts Φ′ ⊙ dL/dh_t in column x_id and zeros elsewhere.")
        return Feedback(False, f"not yet: {at} column {j} should be Φ′ ⊙ dL/dh_t = (1 - h_t**2) * dh_t.")
    return Feedback(True, "correct: your copies of dL/dW_xh match the package's (Backward.copies).")
