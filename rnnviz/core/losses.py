r"""Output losses: softmax with the negative log-likelihood, and squared error.

The chapter's loss over a sequence is L = -sum_t log p_t^{j_t}, with
p_t = softmax(y_t) and j_t the index of the true token; its derivative with
respect to the scores is dL/dy_t = p_t - onehot(j_t). Targets may be *absent* at
some time-stamps: ``mask`` False there, and those time-stamps add nothing.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .checks import as_float_array, as_index_array, as_mask, check_choice

__all__ = ["LossResult", "log_softmax", "softmax", "softmax_nll", "squared_error"]

REDUCTIONS = ("sum", "mean")


class LossResult(NamedTuple):
    loss: float  # the reduced loss
    dY: np.ndarray  # dL/dY, same shape as Y
    per_step: np.ndarray  # loss of each (sequence, time-stamp), 0 where the target is absent
    count: int  # how many targets were present
    probs: np.ndarray | None = None  # softmax probabilities (softmax_nll only)


def softmax(y: np.ndarray) -> np.ndarray:
    """Softmax over the last axis, shifted by the maximum so exp never overflows."""
    e = np.exp(y - y.max(axis=-1, keepdims=True))
    return e / e.sum(axis=-1, keepdims=True)


def log_softmax(y: np.ndarray) -> np.ndarray:
    s = y - y.max(axis=-1, keepdims=True)
    return s - np.log(np.exp(s).sum(axis=-1, keepdims=True))


def _scale(reduction: str, count: int) -> float:
    check_choice("reduction", reduction, REDUCTIONS)
    return 1.0 if reduction == "sum" else 1.0 / max(count, 1)


def softmax_nll(Y: object, targets: object, mask: object = None, *, reduction: str = "sum") -> LossResult:
    r"""Softmax + negative log-likelihood of the true tokens.

    Y: (N, T, V) scores y_t (or (N, V) for one output per sequence);
    targets: (N, T) ids j_t (or (N,)); mask: same shape as targets, False = absent.
    ``reduction="sum"`` is the chapter's L = -sum log p (summed over the batch too);
    ``"mean"`` divides by the number of present targets.
    """
    Y = as_float_array("Y", Y, ("N", "T", "V") if np.ndim(Y) == 3 else ("N", "V"))
    V = Y.shape[-1]
    mask = as_mask("mask", mask, Y.shape[:-1])
    t = np.asarray(targets)
    if mask is not None and t.shape == mask.shape and t.dtype.kind in "iu":
        t = np.where(mask, t, 0)  # absent targets may hold anything (e.g. -1 padding)
    targets = as_index_array("targets", t, Y.shape[:-1], high=V)
    logp = log_softmax(Y)
    probs = np.exp(logp)
    per_step = -np.take_along_axis(logp, targets[..., None], axis=-1)[..., 0]
    dY = probs.copy()
    np.put_along_axis(dY, targets[..., None], np.take_along_axis(dY, targets[..., None], axis=-1) - 1.0, axis=-1)
    if mask is not None:
        per_step = per_step * mask
        dY *= mask[..., None]
        count = int(mask.sum())
    else:
        count = int(per_step.size)
    scale = _scale(reduction, count)
    return LossResult(float(per_step.sum() * scale), dY * scale, per_step, count, probs)


def squared_error(Y: object, targets: object, mask: object = None, *, reduction: str = "sum") -> LossResult:
    r"""Squared error for regression: L = 1/2 sum_t ||y_t - target_t||^2, dL/dy_t = y_t - target_t.

    Y: (N, T, K) or (N, K); targets: same shape; mask: Y's shape without the last axis.
    """
    Y = as_float_array("Y", Y, ("N", "T", "K") if np.ndim(Y) == 3 else ("N", "K"))
    mask = as_mask("mask", mask, Y.shape[:-1])
    targets = as_float_array("targets", targets, Y.shape, finite_where=None if mask is None else mask[..., None])
    diff = Y - targets
    if mask is not None:
        diff = np.where(mask[..., None], diff, 0.0)
        count = int(mask.sum())
    else:
        count = int(np.prod(Y.shape[:-1]))
    per_step = 0.5 * (diff * diff).sum(axis=-1)
    scale = _scale(reduction, count)
    return LossResult(float(per_step.sum() * scale), diff * scale, per_step, count)
