r"""Lesson 6: what truncated BPTT leaves out and what clipping does, computed from the core.

Truncated BPTT
* :class:`TruncationSetup` — a tanh RNN on one random sequence whose W_hh is rescaled to a spectral radius;
* :func:`truncated_gradient` — the gradient of truncated BPTT with windows of k time-stamps (the same sum as
  :func:`rnnviz.core.tbptt_gradient`, all windows in one batch);
* :func:`truncation_state` — the gradient-flow map and the gap ||g_k - g|| / ||g|| for every k;
* :func:`window_summary`, :func:`kept_by_truncation`, :func:`smallest_window`.

Clipping
* :class:`ClipSetup` — a linear RNN (identity activation) whose W_hh starts at a spectral radius above 1, its
  echo-task batches, the W_hh gradient of its first training step and that gradient's per-time-stamp copies;
* :func:`clip_state` — that gradient clipped by value (the sum, or each time-stamp's copy before adding them,
  as the chapter does) and by norm, with the cosine of each to the original;
* :func:`train_run` — a training run of plain SGD without clipping or with one of :data:`CLIP_KINDS`;
  :func:`run_verdict` and :func:`training_verdict` say in words what happened, with the numbers: a run has
  *learned* when its final loss is below :data:`LEARNED_FRACTION` of chance, ln(symbols).
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import NamedTuple

import numpy as np

from ..core.clipping import ClipReport, clip_by_norm, clip_by_value, clip_copies_by_value, global_norm
from ..core.diagnostics import gradient_flow, with_spectral_radius
from ..core.network import Network
from ..core.optim import SGD
from ..core.train import Batch, StepRecord, Trainer
from ..data import echo_task

__all__ = [
    "CLIP_KINDS", "FINAL_STEPS", "LEARNED_FRACTION", "LEARNING_RATES", "RADIUS_RANGE", "TRAIN_C_RANGE", "VALUE_ON",
    "ClipSetup", "ClipState", "Run", "RunVerdict", "TruncationSetup", "TruncationState", "Verdict", "WindowSummary",
    "chance_loss", "clip_state", "clip_words", "cosine", "echo_batches", "kept_by_truncation", "learned_below",
    "relative_gap", "run_verdict", "smallest_window", "train_run", "training_verdict", "truncated_gradient",
    "truncation_state", "window_summary",
]

#: the spectral radii of W_hh the truncation app offers
RADIUS_RANGE = (0.5, 1.6)
#: the learning rates of the clipping app's training
LEARNING_RATES = (0.003, 0.01, 0.03, 0.1, 0.3)
#: the thresholds c the training may clip at
TRAIN_C_RANGE = (0.01, 100.0)
#: how a training run clips: the global norm of the summed gradient, every entry of the summed gradient by value,
#: or every entry of each time-stamp's copy by value before the copies are added (the chapter's clipping by value)
CLIP_KINDS = ("norm", "value", "copies")
#: what clipping by value is applied to in the one-gradient view: the summed gradient, or each time-stamp's copy
VALUE_ON = ("sum", "copies")
#: a run has learned when its final loss is below this fraction of chance (ln of the number of symbols)
LEARNED_FRACTION = 0.5
#: the final loss of a run is the mean over its last this many steps
FINAL_STEPS = 10


# =========================================================================== comparing gradients
def relative_gap(approx: Mapping[str, np.ndarray], exact: Mapping[str, np.ndarray], keys=None) -> float:
    """||approx - exact|| / ||exact|| over the given keys (all by default), both as one long vector."""
    keys = list(exact) if keys is None else list(keys)
    diff = global_norm({k: approx[k] - exact[k] for k in keys})
    ref = global_norm({k: exact[k] for k in keys})
    return diff / ref if ref > 0 else 0.0


def cosine(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> float:
    """cos of the angle between two gradients (dicts with the same keys), each as one long vector."""
    dot = sum(float(np.vdot(a[k], b[k])) for k in b)
    na, nb = global_norm(a), global_norm(b)
    return dot / (na * nb) if na > 0 and nb > 0 else 0.0


# =========================================================================== truncated BPTT
def kept_by_truncation(T: int, window: int) -> np.ndarray:
    """(T, T) booleans: entry [s, t] (0-based) is True when truncated BPTT with windows of ``window``
    time-stamps still carries the loss at time s back to the state at time t.

    Windows are [0, k), [k, 2k), ...: the loss at s reaches h_t only when t <= s and both lie in
    the same window (s // k == t // k). With k >= T nothing is dropped.
    """
    idx = np.arange(T)
    same = (idx[:, None] // window) == (idx[None, :] // window)
    return same & (idx[None, :] <= idx[:, None])


class TruncationSetup(NamedTuple):
    """A vanilla tanh RNN on one random sequence with a loss at every time-stamp."""

    vocab: int
    hidden_size: int
    base: dict  # parameters before rescaling: W_hh ~ N(0, 1/p), W_xh ~ N(0, 1)
    X: np.ndarray  # (1, T) token ids
    targets: np.ndarray  # (1, T)

    @classmethod
    def make(cls, *, T: int = 24, hidden_size: int = 16, vocab: int = 8, seed: int = 0) -> TruncationSetup:
        rng = np.random.default_rng(seed)
        base = Network(vocab, hidden_size, vocab, cell="vanilla").init_params(rng)
        base["layer0.fwd.W_hh"] = rng.standard_normal((hidden_size, hidden_size)) / np.sqrt(hidden_size)
        base["layer0.fwd.W_xh"] = rng.standard_normal((hidden_size, vocab))
        X = rng.integers(0, vocab, (1, T))
        targets = rng.integers(0, vocab, (1, T))
        return cls(vocab, hidden_size, base, X, targets)

    @property
    def T(self) -> int:
        return int(self.X.shape[1])

    @property
    def windows(self) -> np.ndarray:
        """Every window length k = 1 ... T."""
        return np.arange(1, self.T + 1)

    def network(self) -> Network:
        return Network(self.vocab, self.hidden_size, self.vocab, cell="vanilla")

    def params(self, radius: float) -> dict:
        """The base parameters with W_hh rescaled to spectral ``radius``."""
        p = dict(self.base)
        p["layer0.fwd.W_hh"] = with_spectral_radius(self.base["layer0.fwd.W_hh"], radius)
        return p


def truncated_gradient(setup: TruncationSetup, params: Mapping[str, np.ndarray], window: int,
                       hidden: np.ndarray | None = None) -> dict:
    """The gradient of truncated BPTT with windows of ``window`` steps: :func:`rnnviz.core.tbptt_gradient`'s sum.

    The windows share only the state carried forward, which the full forward pass already knows (``hidden``,
    (T, H), computed when not given): window [a, a+k) is one row of a batch starting from h_{a-1}, padded at its
    end with absent targets (padding after the last target sends no gradient back). One call for all windows.
    """
    net, T, k = setup.network(), setup.T, int(window)
    if k >= T:
        return net.evaluate(params, setup.X, setup.targets).grads
    if hidden is None:
        hidden = net.forward(params, setup.X).hidden["layer0.fwd"][0]  # (T, H)
    starts = np.arange(0, T, k)
    idx = starts[:, None] + np.arange(k)[None, :]  # (windows, k) time-stamps, past T at the end
    present = idx < T
    idx = np.minimum(idx, T - 1)
    h0 = np.zeros((len(starts), hidden.shape[1]))
    h0[1:] = hidden[starts[1:] - 1]  # each window starts from the state the previous one ended in
    return net.evaluate(params, setup.X[0][idx], setup.targets[0][idx], target_mask=present,
                        state0={"layer0.fwd": (h0,)}).grads


class TruncationState(NamedTuple):
    radius: float
    flow: np.ndarray  # (T, T) ||dL_s/dh_t||: row s, column t; 0 for t > s
    gap: np.ndarray  # (T,) ||g_k - g|| / ||g|| over all parameters, for k = 1 ... T
    gap_whh: np.ndarray  # (T,) the same for W_hh alone


def truncation_state(setup: TruncationSetup, radius: float) -> TruncationState:
    """The gradient-flow map and the gap of the truncated gradient to the exact one, for every window k."""
    params = setup.params(radius)
    net = setup.network()
    exact = net.evaluate(params, setup.X, setup.targets).grads
    hidden = net.forward(params, setup.X).hidden["layer0.fwd"][0]
    gap, gap_whh = np.empty(setup.T), np.empty(setup.T)
    for i, k in enumerate(setup.windows):
        g = truncated_gradient(setup, params, int(k), hidden)
        gap[i] = relative_gap(g, exact)
        gap_whh[i] = relative_gap(g, exact, ["layer0.fwd.W_hh"])
    flow = gradient_flow(net, params, setup.X, setup.targets)
    return TruncationState(float(radius), flow, gap, gap_whh)


class WindowSummary(NamedTuple):
    k: int
    windows: int  # how many windows of k cover the sequence
    kept: int  # (s, t) paths with t <= s that truncation keeps
    paths: int  # all of them: T (T + 1) / 2
    share: float  # the share of the squared gradient flow the kept paths carry
    gap: float
    gap_whh: float


def window_summary(state: TruncationState, k: int) -> WindowSummary:
    """What a window of ``k`` keeps of ``state``: paths, the share of the squared gradient flow, the gaps."""
    T = state.flow.shape[0]
    kept = kept_by_truncation(T, k)
    flow2 = np.nan_to_num(state.flow, nan=0.0, posinf=0.0) ** 2
    share = float(flow2[kept].sum() / flow2.sum()) if flow2.sum() > 0 else 1.0
    return WindowSummary(int(k), -(-T // int(k)), int(kept.sum()), T * (T + 1) // 2, share,
                         float(state.gap[k - 1]), float(state.gap_whh[k - 1]))


def smallest_window(gap: np.ndarray, tol: float) -> int:
    """The smallest k whose gap (``gap[k - 1]``) is below ``tol`` (k = T has gap 0, so there is one)."""
    below = np.asarray(gap) < tol
    if not below.any():
        raise ValueError(f"no window has a gap below {tol:g}")
    return int(np.argmax(below)) + 1


# =========================================================================== clipping: words
def clip_words(kind: str | None, c: float | None = None) -> str:
    """How a run clips, in plain words ("clipped by norm at 5"); "without clipping" for None."""
    if kind is None:
        return "without clipping"
    at = "" if c is None else f" at {c:g}"
    return {"norm": f"clipped by norm{at}", "value": f"the sum clipped by value{at}",
            "copies": f"each time-stamp's copy clipped by value{at}"}[kind]


# =========================================================================== clipping one gradient
def echo_batches(n_batches: int, batch_size: int, T: int, lag: int, symbols: int, rng) -> list[Batch]:
    """``n_batches`` batches of the echo task (repeat the symbol seen ``lag`` steps ago)."""
    d = echo_task(n_batches * batch_size, T, lag, num_symbols=symbols, rng=rng)
    return [Batch(d.X[i * batch_size:(i + 1) * batch_size], d.y[i * batch_size:(i + 1) * batch_size],
                  d.target_mask[i * batch_size:(i + 1) * batch_size]) for i in range(n_batches)]


class ClipSetup(NamedTuple):
    """A linear RNN whose W_hh starts at spectral radius ``radius`` (exploding), and its echo-task batches."""

    net: Network
    params: dict  # the start of every training run
    batches: list  # Batch of every training step
    symbols: int
    lag: int
    radius: float
    grad: dict  # {"W_hh": (H, H)}: the W_hh gradient of training step 1 (mean loss over the targets)
    copies: dict  # {"W_hh": (T, H, H)}: its per-time-stamp copies, which add up to grad
    thresholds: np.ndarray  # (n,) the thresholds c of the one-gradient view, log-spaced
    cos_value: np.ndarray  # (n,) cosine(clipped, grad) for every threshold: the sum clipped by value
    cos_copies: np.ndarray  # (n,) each copy clipped by value, then added
    cos_norm: np.ndarray  # (n,) clipped by norm

    @classmethod
    def make(cls, *, radius: float = 1.2, hidden_size: int = 16, T: int = 20, lag: int = 3, symbols: int = 4,
             steps: int = 300, batch_size: int = 16, seed: int = 0) -> ClipSetup:
        rng = np.random.default_rng(seed)
        net = Network(symbols, hidden_size, symbols, cell="vanilla", cell_options={"activation": "identity"})
        params = net.init_params(rng)
        W_hh = rng.standard_normal((hidden_size, hidden_size)) / np.sqrt(hidden_size)
        params["layer0.fwd.W_hh"] = with_spectral_radius(W_hh, radius)
        batches = echo_batches(steps, batch_size, T, lag, symbols, rng)
        first = batches[0]
        ev = net.evaluate(params, first.X, first.targets, target_mask=first.target_mask, reduction="mean",
                          keep_copies=True)
        grad = {"W_hh": ev.grads["layer0.fwd.W_hh"]}
        copies = {"W_hh": ev.backward.copies["layer0.fwd.W_hh"]}
        gmax, gnorm = float(np.max(np.abs(grad["W_hh"]))), global_norm(grad)
        lo, hi = np.floor(np.log10(gmax)) - 2, np.ceil(np.log10(gnorm) + 0.3)
        thresholds = np.logspace(lo, hi, 161)
        cos_value = np.array([cosine(clip_by_value(grad, c)[0], grad) for c in thresholds])
        cos_copies = np.array([cosine(clip_copies_by_value(copies, c)[0], grad) for c in thresholds])
        cos_norm = np.array([cosine(clip_by_norm(grad, c)[0], grad) for c in thresholds])
        return cls(net, params, batches, symbols, lag, float(radius), grad, copies, thresholds, cos_value, cos_copies,
                   cos_norm)

    @property
    def c_range(self) -> tuple[float, float]:
        """The thresholds the one-gradient view offers."""
        return float(self.thresholds[0]), float(self.thresholds[-1])

    @property
    def start_threshold(self) -> float:
        """A threshold where clipping by value cuts the largest entries: a tenth of the largest, rounded."""
        return float(10 ** np.round(np.log10(np.max(np.abs(self.grad["W_hh"])) / 10), 1))


class ClipState(NamedTuple):
    c: float
    by_value: np.ndarray  # (H, H) the summed gradient clipped by value
    by_copies: np.ndarray  # (H, H) each time-stamp's copy clipped by value, then added
    by_norm: np.ndarray  # (H, H) clipped by norm
    reports: dict  # "value", "copies", "norm" -> ClipReport
    cosines: dict  # "value", "copies", "norm" -> cosine to the original gradient
    largest: dict  # "value", "copies", "norm" -> the largest |entry| after clipping
    largest_copy: float  # the largest |entry| of any one time-stamp's copy before clipping


def clip_state(setup: ClipSetup, c: float) -> ClipState:
    """The gradient of ``setup`` clipped at ``c``: the sum by value, each copy by value, by norm."""
    by_value, rv = clip_by_value(setup.grad, c)
    by_copies, rc = clip_copies_by_value(setup.copies, c)
    by_norm, rn = clip_by_norm(setup.grad, c)
    out = {"value": by_value, "copies": by_copies, "norm": by_norm}
    return ClipState(float(c), by_value["W_hh"], by_copies["W_hh"], by_norm["W_hh"],
                     {"value": rv, "copies": rc, "norm": rn},
                     {name: cosine(g, setup.grad) for name, g in out.items()},
                     {name: float(np.max(np.abs(g["W_hh"]))) for name, g in out.items()},
                     float(np.max(np.abs(setup.copies["W_hh"]))))


# =========================================================================== training
class Run(NamedTuple):
    """One training run: the StepRecord of every step (``grad_norm``: before clipping), how it ended, in words."""

    kind: str | None  # None (no clipping) or one of CLIP_KINDS
    threshold: float | None
    history: list
    status: str  # "finished", "diverged", ...
    stopped_reason: str  # in plain words (no code)
    params: dict

    @property
    def losses(self) -> np.ndarray:
        return np.array([r.loss for r in self.history], dtype=float)

    @property
    def grad_norms(self) -> np.ndarray:
        return np.array([r.grad_norm for r in self.history], dtype=float)

    @property
    def diverged(self) -> bool:
        return self.status == "diverged"

    @property
    def fraction_clipped(self) -> float:
        """Share of the steps whose gradient clipping changed."""
        if not self.history:
            return 0.0
        return float(np.mean([r.clip is not None and r.clip.clipped for r in self.history]))

    @property
    def final_loss(self) -> float:
        """Mean loss of the last :data:`FINAL_STEPS` steps (NaN before any step)."""
        return float(np.mean(self.losses[-FINAL_STEPS:])) if self.history else math.nan


class _CopiesClipped:
    """A network whose backward returns the sum of each time-stamp's gradient copy clipped by value.

    Trained with the core's Trainer (which calls ``forward`` and ``backward``); ``reports`` holds the
    ClipReport of every backward pass (its ``norm_before`` is the norm of the unclipped gradient).
    """

    bidirectional = False

    def __init__(self, net: Network, threshold: float):
        self.net, self.threshold = net, float(threshold)
        self.reports: list[ClipReport] = []

    def check_params(self, params) -> None:
        self.net.check_params(params)

    def forward(self, params, X, **kwargs):
        return self.net.forward(params, X, **kwargs)

    def backward(self, params, dY, cache, **kwargs):
        bwd = self.net.backward(params, dY, cache, keep_copies=True)
        grads, report = clip_copies_by_value(bwd.copies, self.threshold)
        self.reports.append(report)
        return bwd._replace(grads={k: grads[k] for k in bwd.grads})


_CODE = re.compile(r"\s*\(?\bclip=\([^)]*\)\)?")


def _plain_reason(reason: str, status: str, kind: str | None, c: float | None, lr: float) -> str:
    """The Trainer's stopped_reason without its advice (which is written as code), with advice in words."""
    if status != "diverged":
        return _CODE.sub("", reason)
    head = _CODE.sub("", reason.split("; try ")[0]).rstrip(" ;")
    if kind is None:
        return f"{head}; clipping, or a learning rate below {lr:g}, would prevent it"
    return f"{head}; try a learning rate below {lr:g} or a threshold c below {c:g}"


def train_run(setup: ClipSetup, lr: float, clip: tuple[str, float] | None, *,
              on_step: Callable[[list], None] | None = None, steps: int | None = None) -> Run:
    """Train ``setup``'s network with SGD(lr) on its batches, without clipping (``clip=None``) or clipping
    ``(kind, c)`` (kind one of :data:`CLIP_KINDS`). ``on_step(records)`` is called after every step with the
    records so far. The loss is the mean over the targets of a batch."""
    if lr not in LEARNING_RATES:
        raise ValueError(f"learning rate: expected one of {', '.join(f'{v:g}' for v in LEARNING_RATES)}, got {lr!r}")
    kind, c = (None, None) if clip is None else clip
    if kind is not None:
        if kind not in CLIP_KINDS:
            raise ValueError(f"clipping: expected one of {', '.join(map(repr, CLIP_KINDS))}, got {kind!r}")
        if isinstance(c, bool) or not isinstance(c, (int, float, np.integer, np.floating)) or not np.isfinite(c) \
                or not TRAIN_C_RANGE[0] <= c <= TRAIN_C_RANGE[1]:
            raise ValueError(f"training threshold c: expected a number from {TRAIN_C_RANGE[0]:g} to "
                             f"{TRAIN_C_RANGE[1]:g}, got {c!r}")
        c = float(c)
    steps = len(setup.batches) if steps is None else int(steps)
    model = _CopiesClipped(setup.net, c) if kind == "copies" else setup.net
    trainer = Trainer(model, setup.params, SGD(lr=float(lr)), clip=None if kind in (None, "copies") else (kind, c))
    records: list[StepRecord] = []

    def fix(record: StepRecord) -> StepRecord:
        if kind != "copies":
            return record
        report = model.reports[record.step - 1]  # one backward pass per step
        return record._replace(grad_norm=report.norm_before, clip=report)

    def step(record: StepRecord) -> None:
        records.append(fix(record))
        if on_step is not None:
            on_step(records)

    res = trainer.run(setup.batches, steps, callbacks=[step])
    history = [fix(r) for r in res.history]
    return Run(kind, c, history, res.status, _plain_reason(res.stopped_reason, res.status, kind, c, lr), res.params)


def chance_loss(symbols: int) -> float:
    """The loss of a guess with equal probabilities for every symbol: ln(symbols)."""
    return math.log(symbols)


def learned_below(symbols: int) -> float:
    """The final loss below which a run has learned: :data:`LEARNED_FRACTION` of chance."""
    return LEARNED_FRACTION * chance_loss(symbols)


class RunVerdict(NamedTuple):
    state: str  # "diverged", "grew" (finite, but its loss ended above where it started), "learned", "not learned"
    final_loss: float
    text: str  # one clause, plain words, with the numbers


def run_verdict(run: Run, symbols: int) -> RunVerdict:
    """What a run did: blew up, grew, learned (final loss below half of chance), or not yet."""
    n = len(run.history)
    if run.diverged:
        return RunVerdict("diverged", run.final_loss, f"stopped after {n} steps: the loss became inf or NaN")
    final = run.final_loss
    text = f"{n} steps, final loss {final:.3g} (mean of the last {FINAL_STEPS})"
    if n > FINAL_STEPS and not final < run.losses[0]:
        return RunVerdict("grew", final, f"{text}, above the first step's {run.losses[0]:.3g}")
    bar = learned_below(symbols)
    if final < bar:
        return RunVerdict("learned", final, f"{text}: learned (below {bar:.2f}, half of chance)")
    return RunVerdict("not learned", final, f"{text}: not learned yet (chance is ln {symbols} = "
                                            f"{chance_loss(symbols):.2f}; learned means below {bar:.2f})")


class Verdict(NamedTuple):
    kind: str  # "info" or "warning": how the app shows it
    text: str
    plain: RunVerdict
    clipped: RunVerdict


def training_verdict(plain: Run, clipped: Run, *, lr: float, symbols: int) -> Verdict:
    """What the two runs of the clipping app show, in words with their numbers."""
    vp, vc = run_verdict(plain, symbols), run_verdict(clipped, symbols)
    how = clip_words(clipped.kind, clipped.threshold)
    chance, bar = chance_loss(symbols), learned_below(symbols)
    why = ("Why: W_hh has a spectral radius above 1, so the gradient grows by about that factor for every step "
           "back in time; one SGD step of size lr times g then makes W_hh larger, which makes the next gradient "
           "larger still")
    cure = f"The second run, from the same start on the same batches but {how}, "
    if vc.state == "diverged":
        cure += f"blew up as well ({clipped.stopped_reason}). Lower the training c or the learning rate and train again."
    elif vc.state == "grew" and clipped.kind == "copies":
        cure += (f"did not overflow, but its loss grew too ({vc.final_loss:.3g}): every copy stays within c = "
                 f"{clipped.threshold:g}, yet the copies of all time-stamps add up to steps too large. Lower the "
                 "training c and train again.")
    elif vc.state == "grew":
        cure += (f"did not overflow, but its loss grew too ({vc.final_loss:.3g}): c = {clipped.threshold:g} is too "
                 "large to bound the steps. Lower the training c and train again.")
    elif vc.state == "learned":
        cure += (f"finished all {len(clipped.history)} steps and learned: final loss {vc.final_loss:.3g}, below "
                 f"{bar:.2f} (half of chance, ln {symbols} = {chance:.2f}); clipping changed "
                 f"{100 * clipped.fraction_clipped:.0f}% of its steps.")
    else:
        cure += (f"finished all {len(clipped.history)} steps without blowing up, but has not learned yet: final loss "
                 f"{vc.final_loss:.3g}, against chance ln {symbols} = {chance:.2f} (learned means below {bar:.2f}). "
                 "A larger c or learning rate makes its steps longer.")
    if vp.state == "diverged":
        return Verdict("warning", f"Without clipping the training stopped: {plain.stopped_reason}. {why}, until the "
                       "numbers overflow to inf (and inf - inf gives NaN). The training stopped cleanly and kept the "
                       f"last finite weights. {cure}", vp, vc)
    if vp.state == "grew":
        return Verdict("warning", f"Without clipping the loss grew from {plain.losses[0]:.3g} to {vp.final_loss:.3g}: "
                       f"the gradients exploded, though the numbers did not overflow in {len(plain.history)} steps. "
                       f"{why}. {cure}", vp, vc)
    if vc.state in ("diverged", "grew"):
        did = "learned" if vp.state == "learned" else "stayed finite"
        return Verdict("warning", f"The run without clipping {did}, the clipped one did not. {cure}", vp, vc)
    losses = f"final losses {vp.final_loss:.3g} without clipping and {vc.final_loss:.3g} {how}"
    if vp.state == "learned" and vc.state == "learned":
        text = (f"Both runs learned: {losses}, both below {bar:.2f} (half of chance, ln {symbols} = {chance:.2f}). At "
                f"learning rate {lr:g} the steps stayed small enough. Raise the learning rate to see the unclipped "
                "run blow up.")
    elif vp.state == "learned":
        text = (f"The run without clipping learned, the clipped one not yet: {losses}; learned means below {bar:.2f} "
                f"(half of chance, ln {symbols} = {chance:.2f}). c = {clipped.threshold:g} keeps its steps short: "
                "raise it.")
    elif vc.state == "learned":
        text = (f"The clipped run learned, the one without clipping not yet: {losses}; learned means below {bar:.2f} "
                f"(half of chance, ln {symbols} = {chance:.2f}).")
    else:
        text = (f"Neither run blew up, and neither has learned yet: {losses}, against chance ln {symbols} = "
                f"{chance:.2f} (learned means below {bar:.2f}). At learning rate {lr:g} the steps are small: raise "
                "it.")
    return Verdict("info", text, vp, vc)
