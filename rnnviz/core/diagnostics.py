r"""Gradient diagnostics for the vanishing/exploding-gradient lessons.

* :func:`scalar_chain` — the chapter's one-unit analysis: with one hidden unit,
  dL/dh_t = Phi'(a_{t+1}) w dL/dh_{t+1}, so the gradient reaching h_t is a product
  of T - t factors Phi' * w: it vanishes when |w Phi'| < 1 and explodes when > 1.
* :func:`with_spectral_radius` — rescale W_hh to a chosen spectral radius.
* :func:`pascanu_bounds` — Pascanu, Mikolov & Bengio (2013): with |Phi'| <= gamma,
  sigma_max(W_hh) < 1/gamma is *sufficient* for vanishing gradients and
  sigma_max(W_hh) > 1/gamma is *necessary* for exploding ones.
* :func:`gradient_flow` — the (loss time s) x (source time t) map ||dL_s / dh_t||.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .checks import as_float_array, check_choice, check_positive
from .network import Network

__all__ = ["ChainResult", "PascanuBounds", "gradient_flow", "pascanu_bounds", "scalar_chain", "spectral_radius",
           "with_spectral_radius"]

#: sup |Phi'| of each activation (gamma in Pascanu et al.)
ACTIVATION_GAMMA = {"tanh": 1.0, "relu": 1.0, "identity": 1.0, "sigmoid": 0.25}


class ChainResult(NamedTuple):
    h: np.ndarray  # (T,) hidden states h_1..h_T
    grad: np.ndarray  # (T,) dL/dh_t for L = h_T
    factors: np.ndarray  # (T,) the factor Phi'(a_t) * w linking h_{t-1} to h_t (factors[0] links h_0)


def scalar_chain(
    w: float, input_scale: float, T: int, *, activation: str = "tanh", rng: np.random.Generator, w_x: float = 1.0
) -> ChainResult:
    r"""One hidden unit driven by random inputs: h_t = Phi(w_x x_t + w h_{t-1}), L = h_T.

    x_t ~ N(0, input_scale**2). Returns h, dL/dh_t (by BPTT through a real 1-unit
    :class:`Network`) and the per-step factors Phi'(a_t) w, whose products give the gradient.
    """
    w = float(as_float_array("w", w, ()))
    input_scale = float(check_positive("input_scale", input_scale, allow_zero=True))
    T = int(check_positive("T", T, integer=True))
    check_choice("activation", activation, ("tanh", "relu", "identity"))
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    net = Network(1, 1, cell="vanilla", cell_options={"activation": activation})
    params = {"layer0.fwd.W_xh": np.array([[w_x]]), "layer0.fwd.W_hh": np.array([[w]]), "layer0.fwd.b_h": np.zeros(1)}
    X = input_scale * rng.standard_normal((1, T, 1))
    fwd = net.forward(params, X)
    dY = np.zeros((1, T, 1))
    dY[0, -1, 0] = 1.0  # L = h_T
    bwd = net.backward(params, dY, fwd.cache)
    h = fwd.hidden["layer0.fwd"][0, :, 0]
    dphi = net.layers[0]["fwd"]._dphi(h)
    return ChainResult(h, bwd.dh["layer0.fwd"][0, :, 0], dphi * w)


def spectral_radius(W: np.ndarray) -> float:
    """max |eigenvalue| of a square matrix."""
    W = as_float_array("W", W, ("H", "H"))
    if W.shape[0] != W.shape[1]:
        raise ValueError(f"W: expected a square matrix, got shape {W.shape}")
    return float(np.max(np.abs(np.linalg.eigvals(W))))


def with_spectral_radius(W: np.ndarray, radius: float) -> np.ndarray:
    """W rescaled so that its spectral radius is ``radius`` (a new array)."""
    radius = check_positive("radius", radius, allow_zero=True)
    rho = spectral_radius(W)
    if rho == 0:
        raise ValueError("W: has spectral radius 0 (nilpotent or zero); it cannot be rescaled to another radius")
    return np.asarray(W) * (radius / rho)


class PascanuBounds(NamedTuple):
    singular_values: np.ndarray  # of W_hh, descending
    gamma: float  # sup |Phi'|
    threshold: float  # 1 / gamma
    vanishing_guaranteed: bool  # sigma_max < 1/gamma: sufficient for vanishing
    exploding_possible: bool  # sigma_max > 1/gamma: necessary for exploding

    def verdict(self) -> str:
        s = self.singular_values[0]
        if self.vanishing_guaranteed:
            return (f"largest singular value {s:.2f} < 1/gamma = {self.threshold:.2f}: "
                    "the gradient is guaranteed to vanish exponentially with distance")
        return (f"largest singular value {s:.2f} > 1/gamma = {self.threshold:.2f}: "
                "exploding gradients are possible (not guaranteed: tanh' < 1 away from 0 can still shrink them)")


def pascanu_bounds(W_hh: np.ndarray, activation: str = "tanh") -> PascanuBounds:
    """Singular values of W_hh against the bound 1/gamma of Pascanu et al. (2013)."""
    W = as_float_array("W_hh", W_hh, ("H", "H"))
    gamma = ACTIVATION_GAMMA[check_choice("activation", activation, tuple(ACTIVATION_GAMMA))]
    sv = np.linalg.svd(W, compute_uv=False)
    return PascanuBounds(sv, gamma, 1.0 / gamma, bool(sv[0] < 1.0 / gamma), bool(sv[0] > 1.0 / gamma))


def gradient_flow(
    net: Network, params: Mapping[str, np.ndarray], X, targets, *, loss: str = "softmax_nll", sample: int = 0,
    layer: str = "layer0.fwd",
) -> np.ndarray:
    r"""M[s, t] = ||dL_s / dh_t||: how much of the loss at time s reaches the state at time t.

    Zero above the diagonal (t > s) for a forward layer. All T losses are
    backpropagated at once by repeating the sequence T times in a batch, copy s
    carrying only the loss at time s. ``sample`` picks one sequence of the batch.
    """
    Xa = np.asarray(X)
    if not (isinstance(sample, (int, np.integer)) and 0 <= sample < Xa.shape[0]):
        raise ValueError(f"sample: expected 0 <= sample < {Xa.shape[0]}, got {sample!r}")
    ev = net.evaluate(params, Xa[sample : sample + 1], np.asarray(targets)[sample : sample + 1], loss=loss)
    if layer not in ev.backward.dh:
        raise ValueError(f"layer: unknown {layer!r}; expected one of {', '.join(ev.backward.dh)}")
    T = Xa.shape[1]
    dY1 = ev.loss_result.dY[0]  # (T, K): dL_s/dy_s for each s
    reps = np.repeat(Xa[sample : sample + 1], T, axis=0)  # (T, T, ...): copy s of the sequence
    fwd = net.forward(params, reps)
    dY = np.zeros((T,) + dY1.shape)
    dY[np.arange(T), np.arange(T)] = dY1  # copy s carries only the loss at time s
    dh = net.backward(params, dY, fwd.cache).dh[layer]  # (T copies, T, H)
    return np.sqrt((dh * dh).sum(axis=-1))
