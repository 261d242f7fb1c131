r"""Lesson 5: what the vanishing/exploding views show, computed from the core.

* :func:`one_unit` — the chapter's one-unit chain dL/dh_t = Phi'(a_{t+1}) w dL/dh_{t+1} over T steps,
  with the ratio |dL/dh_1| / |dL/dh_T|, the typical factor |w Phi'| and the regime it puts the unit in.
* :class:`SpectralSetup` and :func:`spectral_state` — a vanilla RNN whose W_hh is rescaled to a
  spectral radius: ||dL_T/dh_t|| over t, ||dh_T/dh_t||, the singular values of W_hh against the bound
  of Pascanu et al. (2013), and the gradient-flow map (loss time s x state time t).
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..core.diagnostics import ChainResult, PascanuBounds, gradient_flow, pascanu_bounds, scalar_chain, with_spectral_radius
from ..core.network import Network

__all__ = ["ACTIVATIONS", "OneUnit", "SpectralSetup", "SpectralState", "one_unit", "regime", "spectral_state"]

#: the activations of the one-unit app (the full network offers the first two)
ACTIVATIONS = ("tanh", "identity", "relu")
#: a ratio |dL/dh_1| / |dL/dh_T| below 1/RATIO is called vanishing, above RATIO exploding
RATIO = 1e2


def regime(ratio: float) -> str:
    """"vanishing", "exploding" (inf too: the early gradient overflowed), "roughly stable", or "overflowed" for NaN."""
    if np.isnan(ratio):
        return "overflowed"
    return "vanishing" if ratio < 1 / RATIO else "exploding" if ratio > RATIO else "roughly stable"


class OneUnit(NamedTuple):
    chain: ChainResult  # h (T,), grad (T,) = dL/dh_t, factors (T,) = w Phi'(a_t)
    ratio: float  # |dL/dh_1| / |dL/dh_T|
    mean_factor: float  # geometric mean of |w Phi'(a_t)|
    regime: str
    finite: bool  # False when the numbers overflowed to inf


def one_unit(w: float, input_scale: float, T: int, activation: str = "tanh", seed: int = 0) -> OneUnit:
    """One hidden unit h_t = Phi(x_t + w h_{t-1}), L = h_T, on inputs drawn with ``seed``."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation: expected one of {', '.join(ACTIVATIONS)}, got {activation!r}")
    with np.errstate(over="ignore", invalid="ignore"):
        res = scalar_chain(w, input_scale, T, activation=activation, rng=np.random.default_rng(seed))
        g = np.abs(res.grad)
        ratio = float(g[0] / g[-1]) if g[-1] > 0 else float("nan")
        mean_factor = float(np.exp(np.mean(np.log(np.abs(res.factors) + 1e-300))))
    finite = bool(np.all(np.isfinite(res.grad)) and np.all(np.isfinite(res.h)))
    return OneUnit(res, ratio, mean_factor, regime(ratio), finite)


class SpectralSetup(NamedTuple):
    """A vanilla RNN on a random sequence, with the loss at the last time-stamp only."""

    vocab: int
    hidden_size: int
    base: dict  # parameters before rescaling: W_hh ~ N(0, 1/p), W_xh ~ N(0, 1)
    X: np.ndarray  # (1, T) token ids
    targets: np.ndarray  # (1, T)
    last_only: np.ndarray  # (1, T) bool: only the last target counts

    @classmethod
    def make(cls, *, hidden_size: int = 32, T: int = 40, vocab: int = 10, seed: int = 0) -> SpectralSetup:
        rng = np.random.default_rng(seed)
        base = Network(vocab, hidden_size, vocab).init_params(rng)
        base["layer0.fwd.W_hh"] = rng.standard_normal((hidden_size, hidden_size)) / np.sqrt(hidden_size)
        base["layer0.fwd.W_xh"] = rng.standard_normal((hidden_size, vocab))
        X = rng.integers(0, vocab, (1, T))
        targets = rng.integers(0, vocab, (1, T))
        last_only = np.zeros((1, T), bool)
        last_only[0, -1] = True
        return cls(vocab, hidden_size, base, X, targets, last_only)

    def network(self, activation: str) -> Network:
        if activation not in ACTIVATIONS[:2]:
            raise ValueError(f"activation: expected tanh or identity, got {activation!r}")
        return Network(self.vocab, self.hidden_size, self.vocab, cell="vanilla", cell_options={"activation": activation})

    def params(self, radius: float, input_scale: float) -> dict:
        """The base parameters with W_hh rescaled to spectral ``radius`` and W_xh scaled by ``input_scale``."""
        p = dict(self.base)
        p["layer0.fwd.W_hh"] = with_spectral_radius(self.base["layer0.fwd.W_hh"], radius)
        p["layer0.fwd.W_xh"] = self.base["layer0.fwd.W_xh"] * input_scale
        return p


class SpectralState(NamedTuple):
    grad_norms: np.ndarray  # (T,) ||dL_T/dh_t||
    jac_norms: np.ndarray  # (T,) ||dh_T/dh_t|| (inf where the product overflowed)
    bounds: PascanuBounds
    flow: np.ndarray  # (T, T) ||dL_s/dh_t||: row s, column t; 0 for t > s, inf or NaN where it overflowed
    ratio: float  # ||dL_T/dh_1|| / ||dL_T/dh_T||
    finite: bool


def spectral_state(setup: SpectralSetup, radius: float, input_scale: float, activation: str = "tanh") -> SpectralState:
    net = setup.network(activation)
    p = setup.params(radius, input_scale)
    with np.errstate(over="ignore", invalid="ignore"):
        ev = net.evaluate(p, setup.X, setup.targets, target_mask=setup.last_only)
        grad_norms = ev.backward.dh_norms()["layer0.fwd"]
        jac = net.jacobian_norms(p, ev.forward.cache)
        bounds = pascanu_bounds(p["layer0.fwd.W_hh"], activation)
        flow = gradient_flow(net, p, setup.X, setup.targets)
        ratio = float(grad_norms[0] / grad_norms[-1]) if grad_norms[-1] > 0 else float("nan")
    finite = bool(np.all(np.isfinite(grad_norms)) and np.all(np.isfinite(flow)))
    return SpectralState(grad_norms, jac, bounds, flow, ratio, finite)
