r"""Gradient clipping, the cure the chapter offers for exploding gradients.

* by value: every entry is cut to [-threshold, threshold];
* by norm (Pascanu et al., 2013): if the global norm ||g|| of all gradients
  together exceeds ``max_norm``, every gradient is rescaled by max_norm / ||g||,
  which keeps the direction and bounds the step;
* by value on each time-stamp's copy (the chapter: "the largest temporal components
  of the gradient are clipped before adding them"): :func:`clip_copies_by_value`.

Both return a *new* dict and a :class:`ClipReport` saying what they did.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .checks import check_positive

__all__ = ["ClipReport", "clip_by_norm", "clip_by_value", "clip_copies_by_value", "global_norm"]


class ClipReport(NamedTuple):
    kind: str  # "value", "norm" or "copies" (by value on each time-stamp's copy)
    threshold: float
    norm_before: float  # global L2 norm before clipping
    norm_after: float
    clipped: bool  # did anything change?
    fraction_clipped: float  # share of entries changed (value; copies: of all copies' entries) or 1.0/0.0 (norm)


def global_norm(grads: Mapping[str, np.ndarray]) -> float:
    """sqrt of the sum of squares of every entry of every gradient."""
    return float(np.sqrt(sum(float(np.vdot(g, g)) for g in grads.values())))


def _check(grads):
    if not isinstance(grads, Mapping):
        raise TypeError(f"grads: expected a dict of arrays, got {type(grads).__name__}")


def clip_by_value(grads: Mapping[str, np.ndarray], threshold: float) -> tuple[dict, ClipReport]:
    """Cut every entry to [-threshold, threshold]."""
    _check(grads)
    threshold = check_positive("threshold", threshold)
    out = {k: np.clip(g, -threshold, threshold) for k, g in grads.items()}
    total = sum(g.size for g in grads.values())
    n_clipped = sum(int(np.count_nonzero(np.abs(g) > threshold)) for g in grads.values())
    before = global_norm(grads)
    return out, ClipReport("value", threshold, before, global_norm(out), n_clipped > 0, n_clipped / max(total, 1))


def clip_by_norm(grads: Mapping[str, np.ndarray], max_norm: float) -> tuple[dict, ClipReport]:
    """Rescale all gradients together when their global norm exceeds ``max_norm``.

    A non-finite norm (the gradient already overflowed) cannot be rescaled into a
    meaningful direction: that is reported by a ValueError so training can stop
    and say so instead of continuing with NaN.
    """
    _check(grads)
    max_norm = check_positive("max_norm", max_norm)
    norm = global_norm(grads)
    if not np.isfinite(norm):
        raise ValueError("grads: the gradient norm is inf or NaN; clipping cannot rescale it (the training has diverged)")
    if norm <= max_norm:
        return {k: g.copy() for k, g in grads.items()}, ClipReport("norm", max_norm, norm, norm, False, 0.0)
    scale = max_norm / norm
    out = {k: g * scale for k, g in grads.items()}
    return out, ClipReport("norm", max_norm, norm, global_norm(out), True, 1.0)


def clip_copies_by_value(copies: Mapping[str, np.ndarray], threshold: float) -> tuple[dict, ClipReport]:
    """Cut every entry of every time-stamp's copy of each gradient to [-threshold, threshold], then add the copies.

    copies: name -> (T, ...) array, copy t of the gradient in row t (``Network.backward(..., keep_copies=True)
    .copies``); their sum over the first axis is the gradient. Returns name -> (...) the sum of the clipped
    copies, and a report of kind "copies" (``norm_before``: the norm of the unclipped sum; ``fraction_clipped``:
    the share of the copies' entries that were cut).

    Unlike :func:`clip_by_value` on the sum, this bounds each time-stamp's contribution, not the total: T copies
    within [-threshold, threshold] can still add up to T * threshold, and one huge copy no longer dominates.
    """
    _check(copies)
    threshold = check_positive("threshold", threshold)
    for k, c in copies.items():
        if np.ndim(c) < 1:
            raise ValueError(f"copies[{k!r}]: expected a (T, ...) array of per-time-stamp copies, got a scalar")
    out = {k: np.clip(c, -threshold, threshold).sum(axis=0) for k, c in copies.items()}
    total = sum(np.size(c) for c in copies.values())
    n_clipped = sum(int(np.count_nonzero(np.abs(c) > threshold)) for c in copies.values())
    with np.errstate(over="ignore", invalid="ignore"):
        before = global_norm({k: np.sum(c, axis=0) for k, c in copies.items()})
    return out, ClipReport("copies", threshold, before, global_norm(out), n_clipped > 0, n_clipped / max(total, 1))
