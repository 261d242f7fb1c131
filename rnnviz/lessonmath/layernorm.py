r"""Lesson 7: what the layer-normalization views show, computed from the core.

The chapter's layer-normalized cell (after Ba, Kiros & Hinton, 2016), p units:

    a_t = W_xh x_t + W_hh h_{t-1},   u_t = (1/p) sum_i a_ti,   sigma_t = sqrt((1/p) sum_i a_ti**2 - u_t**2)
    h_t = tanh(gamma / sigma_t * (a_t - u_t) + beta)

* :func:`layer_norm` -- that formula for one a_t given directly (the core's cell with W_xh = I, W_hh = 0):
  u_t, sigma_t, z = (a_t - u_t) / sigma_t, what enters tanh and h_t.
* :class:`StepSetup`, :func:`step_numbers` -- one step of a vanilla and a layer-norm cell on the same a_t,
  stage by stage, with the weights scaled by k.
* :class:`SequenceSetup`, :func:`sequence_trace`, :func:`sequence_state` -- a vanilla and a layer-norm network
  on the same weights and inputs: the norms over t of what enters tanh, of h_t and of dL_T/dh_t.
* :class:`TrainingSetup`, :func:`train_both` -- both networks trained with Adam from the same start on the
  same batches of the echo task.

Every number is read from the core: :class:`rnnviz.core.cells.LayerNormRNNCell` and
:class:`rnnviz.core.cells.VanillaRNNCell` (their caches), :class:`rnnviz.core.network.Network`,
:class:`rnnviz.core.train.Trainer`. The constants below are the ranges of the lesson's controls.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from ..core.cells import LayerNormCache, LayerNormRNNCell, VanillaRNNCell
from ..core.checks import within as _within
from ..core.diagnostics import with_spectral_radius
from ..core.network import Network
from ..core.optim import Adam
from ..core.train import Batch, Trainer, TrainResult
from ..data import echo_task

__all__ = [
    "BIAS_RANGE", "GAIN_RANGE", "INPUT_SCALE_RANGE", "KINDS", "LEARNING_RATES", "RADIUS_RANGE", "SATURATED",
    "SCALE_RANGE", "SCALINGS", "TRAIN_RADIUS_RANGE", "LayerNorm", "SequenceSetup", "SequenceState", "SequenceTrace",
    "StepNumbers", "StepSetup", "TrainingRuns", "TrainingSetup", "final_loss", "layer_norm", "network_params",
    "saturated_units", "sequence_state", "sequence_trace", "step_numbers", "train_both",
]

#: tanh'(.) = 1 - h**2 below this counts as saturated: the unit passes on less than 5 % of the gradient reaching it
SATURATED = 0.05
#: the two networks compared, in the order they are drawn and trained
KINDS = ("vanilla", "layernorm")

# ranges of the controls (a value from a browser outside them is refused)
SCALE_RANGE = (0.1, 20.0)  # weight scale k of the step app
SCALINGS = ("W_xh and W_hh", "W_hh only")  # which weights k multiplies
GAIN_RANGE = (0.1, 3.0)  # gamma, the same for every unit in the step app
BIAS_RANGE = (-1.5, 1.5)  # beta, the same for every unit in the step app
RADIUS_RANGE = (0.25, 20.0)  # spectral radius of W_hh in the sequence app
INPUT_SCALE_RANGE = (0.0, 3.0)  # factor on W_xh in the sequence app
TRAIN_RADIUS_RANGE = (0.5, 8.0)  # spectral radius of W_hh at the start of training
LEARNING_RATES = (0.003, 0.01, 0.03)  # Adam's step sizes offered


# =========================================================================== the formula
class LayerNorm(NamedTuple):
    """The chapter's layer normalization of one a_t (p units), stage by stage."""

    u: float  # u_t, the mean of the p units
    sigma: float  # sigma_t, their standard deviation (1/p, not 1/(p - 1))
    z: np.ndarray  # (p,) (a_t - u_t) / sigma_t
    s: np.ndarray  # (p,) gamma * z + beta, what enters tanh
    h: np.ndarray  # (p,) h_t = tanh(s)


def layer_norm(a: np.ndarray, gamma: np.ndarray | float = 1.0, beta: np.ndarray | float = 0.0, *,
               eps: float = 0.0) -> LayerNorm:
    """One time-stamp of the layer-normalized cell fed ``a`` = a_t (p,) directly: the core's
    :class:`LayerNormRNNCell` with W_xh = I, x_t = a_t, W_hh = 0. ``eps=0`` is the chapter's formula verbatim."""
    a = np.asarray(a, dtype=float)
    if a.ndim != 1 or a.size < 2:
        raise ValueError(f"layer_norm: a_t must be a vector of p >= 2 units, got shape {a.shape}")
    p = a.size
    gamma = np.broadcast_to(np.asarray(gamma, dtype=float), (p,)).copy()
    beta = np.broadcast_to(np.asarray(beta, dtype=float), (p,)).copy()
    params = {"W_xh": np.eye(p), "W_hh": np.zeros((p, p)), "gamma": gamma, "beta": beta}
    (h,), c = LayerNormRNNCell(p, p, eps=eps).step_forward(params, a[None, :], (np.zeros((1, p)),))
    return LayerNorm(float(c.mu[0, 0]), float(c.sigma[0, 0]), c.z[0], gamma * c.z[0] + beta, h[0])


def saturated_units(h: np.ndarray) -> int:
    """How many units have tanh' = 1 - h**2 below :data:`SATURATED`."""
    h = np.asarray(h, dtype=float)
    return int(np.sum(1.0 - h * h < SATURATED))


# =========================================================================== one step
class StepNumbers(NamedTuple):
    """One step of both cells on the same a_t (index 0 is unit 1)."""

    a: np.ndarray  # (p,) a_t = W_xh x_t + W_hh h_{t-1}, the same for both cells
    h_vanilla: np.ndarray  # (p,) tanh(a_t)
    mu: float  # u_t
    sigma: float  # sigma_t
    z: np.ndarray  # (p,) (a_t - u_t) / sigma_t
    s: np.ndarray  # (p,) gamma * z + beta, what enters tanh in the layer-norm cell
    h_layernorm: np.ndarray  # (p,) tanh(s)


def step_numbers(params: Mapping[str, np.ndarray], x: np.ndarray, h_prev: np.ndarray) -> StepNumbers:
    """One step of a vanilla (b_h = 0) and a layer-norm cell with the same W_xh, W_hh, from the same x_t, h_{t-1}.

    ``params`` are the layer-norm cell's (``W_xh`` p x d, ``W_hh`` p x p, ``gamma``, ``beta``); ``x`` (1, d),
    ``h_prev`` (1, p). Both cells compute a_t = W_xh x_t + W_hh h_{t-1}; the numbers are read from their caches.
    """
    W_xh, W_hh = params["W_xh"], params["W_hh"]
    p, d = W_xh.shape
    (h_ln,), c = LayerNormRNNCell(d, p).step_forward(params, x, (h_prev,))
    (h_v,), cv = VanillaRNNCell(d, p).step_forward({"W_xh": W_xh, "W_hh": W_hh, "b_h": np.zeros(p)}, x, (h_prev,))
    s = params["gamma"] * c.z[0] + params["beta"]  # what enters tanh: h_t = tanh(s)
    return StepNumbers(cv.a[0], h_v[0], float(c.mu[0, 0]), float(c.sigma[0, 0]), c.z[0], s, h_ln[0])


class StepSetup(NamedTuple):
    """The step app's cell: weights of the usual size (entries ~ 1/sqrt(fan-in)), one x_t and one h_{t-1}."""

    base: dict  # W_xh (p, d), W_hh (p, p) at k = 1
    x: np.ndarray  # (1, d)
    h_prev: np.ndarray  # (1, p)

    @classmethod
    def make(cls, *, hidden_size: int = 6, input_size: int = 3, seed: int = 0) -> StepSetup:
        rng = np.random.default_rng(seed)
        p, d = hidden_size, input_size
        base = {"W_xh": rng.standard_normal((p, d)) / np.sqrt(d), "W_hh": rng.standard_normal((p, p)) / np.sqrt(p)}
        x = rng.standard_normal((1, d))
        h_prev = np.tanh(rng.standard_normal((1, p)))
        return cls(base, x, h_prev)

    def params(self, k: float, scaled: str = SCALINGS[0], gain: float = 1.0, bias: float = 0.0) -> dict:
        """The layer-norm cell's parameters: W_hh (and W_xh, unless ``scaled`` is "W_hh only") times ``k``,
        gamma = ``gain`` and beta = ``bias`` for every unit (the vanilla cell uses W_xh, W_hh and b_h = 0)."""
        k = _within(k, SCALE_RANGE, "weight scale k")
        gain, bias = _within(gain, GAIN_RANGE, "gain γ"), _within(bias, BIAS_RANGE, "bias β")
        if scaled not in SCALINGS:
            raise ValueError(f"scale: expected one of {', '.join(SCALINGS)}, got {scaled!r}")
        p = self.base["W_hh"].shape[0]
        return {"W_xh": self.base["W_xh"] * (k if scaled == SCALINGS[0] else 1.0), "W_hh": self.base["W_hh"] * k,
                "gamma": np.full(p, gain), "beta": np.full(p, bias)}

    def numbers(self, k: float, scaled: str = SCALINGS[0], gain: float = 1.0, bias: float = 0.0) -> StepNumbers:
        return step_numbers(self.params(k, scaled, gain, bias), self.x, self.h_prev)


# =========================================================================== a sequence
class SequenceTrace(NamedTuple):
    """One network over a sequence: norms at every time-stamp t = 1 ... T (index 0 is t = 1)."""

    pre: np.ndarray  # (T,) ||what enters tanh||: a_t for the vanilla cell, gamma * z_t + beta for layer norm
    h: np.ndarray  # (T,) ||h_t||
    grad: np.ndarray  # (T,) ||dL_T/dh_t||


def network_params(base: Mapping[str, np.ndarray], kind: str, *, radius: float,
                   input_scale: float = 1.0) -> dict[str, np.ndarray]:
    """The one-layer ``kind`` network's parameters from the weights both networks share (``base``: W_hh at
    spectral radius 1, W_xh, the layer-norm cell's gamma and beta, the output layer): W_hh times ``radius``,
    W_xh times ``input_scale``; the vanilla cell gets b_h = 0, the layer-norm cell gamma and beta."""
    if kind not in KINDS:
        raise ValueError(f"network: expected one of {', '.join(KINDS)}, got {kind!r}")
    p = {"layer0.fwd.W_hh": base["W_hh"] * radius, "layer0.fwd.W_xh": base["W_xh"] * input_scale,
         "out.W_hy": base["out.W_hy"], "out.b_y": base["out.b_y"]}
    if kind == "layernorm":
        p["layer0.fwd.gamma"], p["layer0.fwd.beta"] = base["gamma"], base["beta"]
    else:
        p["layer0.fwd.b_h"] = np.zeros(base["W_hh"].shape[0])
    return p


def _shared_base(W_hh: np.ndarray, W_xh: np.ndarray, out: Mapping[str, np.ndarray]) -> dict:
    """The weights both networks share: W_hh rescaled to spectral radius 1, W_xh, and from the layer-norm
    network's initial ``out`` parameters gamma (= 1), beta (= 0) and the output layer."""
    return {"W_hh": with_spectral_radius(W_hh, 1.0), "W_xh": W_xh, "gamma": out["layer0.fwd.gamma"],
            "beta": out["layer0.fwd.beta"], "out.W_hy": out["out.W_hy"], "out.b_y": out["out.b_y"]}


def sequence_trace(net: Network, params: Mapping[str, np.ndarray], X: np.ndarray, targets: np.ndarray,
                   target_mask: np.ndarray | None = None) -> tuple[SequenceTrace, float]:
    """Norms over t of one sequence (the first of the batch) through a one-layer ``net``, and the mean tanh'.

    ``pre``: ||a_t|| for a vanilla cell, ||gamma * z_t + beta|| for a layer-norm one (what enters tanh), read
    from the cell caches of ``net.evaluate``; ``h``: ||h_t||; ``grad``: ||dL/dh_t|| (BPTT). The float is the
    mean of tanh'(.) = 1 - h**2 over every unit and time-stamp (near 0: saturated).
    """
    ev = net.evaluate(params, X, targets, target_mask=target_mask)
    steps = ev.forward.cache.layers[0]["fwd"].steps
    key = "layer0.fwd"
    if isinstance(steps[0], LayerNormCache):
        gamma, beta = params[f"{key}.gamma"], params[f"{key}.beta"]
        pre = np.array([np.linalg.norm(gamma * c.z[0] + beta) for c in steps])
    else:
        pre = np.array([np.linalg.norm(c.a[0]) for c in steps])
    h = ev.forward.hidden[key][0]  # (T, H)
    dh = ev.backward.dh[key][0]  # (T, H)
    return SequenceTrace(pre, np.linalg.norm(h, axis=1), np.linalg.norm(dh, axis=1)), float(np.mean(1 - h * h))


class SequenceSetup(NamedTuple):
    """A vanilla and a layer-norm RNN with the same W_xh, W_hh (spectral radius 1 before rescaling), output
    layer and inputs; the loss at the last time-stamp only, so dL_T/dh_t is that loss's gradient reaching h_t."""

    nets: dict  # kind -> Network
    base: dict  # W_hh, W_xh, gamma (= 1), beta (= 0), out.W_hy, out.b_y
    X: np.ndarray  # (1, T, D)
    targets: np.ndarray  # (1, T)
    last_only: np.ndarray  # (1, T) bool

    @classmethod
    def make(cls, *, hidden_size: int = 32, T: int = 40, input_size: int = 4, seed: int = 1) -> SequenceSetup:
        rng = np.random.default_rng(seed)
        H, D = hidden_size, input_size
        nets = {kind: Network(D, H, D, cell=kind) for kind in KINDS}
        out = nets["layernorm"].init_params(rng)  # gamma = 1, beta = 0, and the output layer
        W_hh = rng.standard_normal((H, H)) / np.sqrt(H)
        base = _shared_base(W_hh, rng.standard_normal((H, D)) / np.sqrt(D), out)
        X = rng.standard_normal((1, T, D))
        targets = rng.integers(0, D, (1, T))
        last_only = np.zeros((1, T), bool)
        last_only[0, -1] = True
        return cls(nets, base, X, targets, last_only)

    def params(self, kind: str, radius: float, input_scale: float) -> dict[str, np.ndarray]:
        return network_params(self.base, kind, radius=_within(radius, RADIUS_RANGE, "spectral radius"),
                              input_scale=_within(input_scale, INPUT_SCALE_RANGE, "input scale"))


class SequenceState(NamedTuple):
    traces: dict  # kind -> SequenceTrace
    mean_slopes: dict  # kind -> mean tanh' over units and time-stamps
    ratios: dict  # kind -> ||dL_T/dh_1|| / ||dL_T/dh_T|| (NaN when the last is 0)
    finite: bool  # False when a norm overflowed to inf or NaN


def sequence_state(setup: SequenceSetup, radius: float, input_scale: float) -> SequenceState:
    """Both networks of ``setup`` with W_hh at spectral ``radius`` and W_xh times ``input_scale``."""
    traces, slopes, ratios = {}, {}, {}
    for kind in KINDS:
        with np.errstate(over="ignore", invalid="ignore"):
            traces[kind], slopes[kind] = sequence_trace(setup.nets[kind], setup.params(kind, radius, input_scale),
                                                        setup.X, setup.targets, setup.last_only)
        g = traces[kind].grad
        ratios[kind] = float(g[0] / g[-1]) if g[-1] > 0 else float("nan")
    finite = all(bool(np.all(np.isfinite(np.concatenate(tr)))) for tr in traces.values())
    return SequenceState(traces, slopes, ratios, finite)


# =========================================================================== training
class TrainingSetup(NamedTuple):
    """Both networks from the same start (W_xh, W_hh at spectral radius 1 before rescaling, output layer) and
    the same batches of the echo task (output the symbol seen ``lag`` steps ago)."""

    nets: dict  # kind -> Network
    base: dict  # W_hh, W_xh, gamma, beta, out.W_hy, out.b_y
    batches: list  # Batch, one per training step
    steps: int
    lag: int
    T: int
    symbols: int

    @classmethod
    def make(cls, *, steps: int = 200, hidden_size: int = 24, T: int = 20, lag: int = 3, symbols: int = 4,
             batch_size: int = 32, seed: int = 0) -> TrainingSetup:
        rng = np.random.default_rng(seed)
        H, V = hidden_size, symbols
        nets = {kind: Network(V, H, V, cell=kind) for kind in KINDS}
        out = nets["layernorm"].init_params(rng)
        W_hh = rng.standard_normal((H, H)) / np.sqrt(H)
        base = _shared_base(W_hh, rng.standard_normal((H, V)), out)
        d = echo_task(steps * batch_size, T, lag, num_symbols=V, rng=rng)
        batches = [Batch(d.X[i * batch_size:(i + 1) * batch_size], d.y[i * batch_size:(i + 1) * batch_size],
                         d.target_mask[i * batch_size:(i + 1) * batch_size]) for i in range(steps)]
        return cls(nets, base, batches, steps, lag, T, symbols)

    def params(self, kind: str, radius: float) -> dict[str, np.ndarray]:
        """The starting parameters of the ``kind`` network (the same W_xh, W_hh and W_hy for both)."""
        return network_params(self.base, kind, radius=_within(radius, TRAIN_RADIUS_RANGE, "spectral radius"))

    @property
    def chance(self) -> float:
        """The loss of guessing uniformly among the symbols, log V."""
        return float(np.log(self.symbols))


class TrainingRuns(NamedTuple):
    runs: dict  # kind -> TrainResult
    final: dict  # kind -> mean loss of the last 10 steps


def final_loss(run: TrainResult) -> float:
    """The mean loss of the last 10 steps of ``run`` (NaN if it took none)."""
    losses = run.losses
    return float(np.mean(losses[-10:])) if len(losses) else float("nan")


def train_both(setup: TrainingSetup, radius: float, lr: float) -> TrainingRuns:
    """Train the vanilla network, then the layer-norm one, from ``setup``'s start at spectral ``radius``, Adam(lr)."""
    if lr not in LEARNING_RATES:
        raise ValueError(f"learning rate: expected one of {', '.join(map(str, LEARNING_RATES))}, got {lr!r}")
    starts = {kind: setup.params(kind, radius) for kind in KINDS}
    runs = {kind: Trainer(setup.nets[kind], starts[kind], Adam(lr=float(lr))).run(setup.batches, setup.steps)
            for kind in KINDS}
    return TrainingRuns(runs, {kind: final_loss(run) for kind, run in runs.items()})
