r"""Principal components of one sequence of hidden states: where h_t goes, in a few coordinates.

The states of a sentence, stacked as rows ``H = [h_1; ...; h_T]`` (T, p), are centred on their
mean ``m`` and written in the basis of their principal directions, the right singular vectors of
the centred matrix:

    H - m = U S V^T,    components = V^T[:k]  (k, p),    coords = (H - m) components^T  (T, k)

Coordinate j of h_t is how far h_t lies from the mean along direction j; the directions are
orthonormal and ordered by how much of the states' spread they carry. ``variance[j] = S_j^2 / (T - 1)``
is the variance of coordinate j over the sentence, ``ratio[j]`` its share of the total
(``sum_j S_j^2 = ||H - m||_F^2``). With fewer than k independent directions (T <= k, or states on a
line), the extra components carry no variance and every coordinate along them is 0 (up to rounding).

**Sign.** A singular vector is defined up to its sign, and LAPACK's choice can change with the
input's sign or the library. Each component is flipped so that its entry largest in absolute value
(the first such entry on a tie) is positive: the same states always give the same picture.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Projection", "principal_components"]


@dataclass(frozen=True)
class Projection:
    """The states of a sequence in their first k principal components (shapes: T time, p units)."""

    mean: np.ndarray        # (p,) the mean state m
    components: np.ndarray  # (k, p) orthonormal rows, ordered by variance, sign fixed
    coords: np.ndarray      # (T, k) (H - m) @ components.T
    variance: np.ndarray    # (k,) variance of each coordinate over t (ddof = 1)
    ratio: np.ndarray       # (k,) share of the total variance, in [0, 1]; all 0 when the states do not move
    total_variance: float   # sum of the variances of all p units (ddof = 1)


def principal_components(states: np.ndarray, k: int = 3) -> Projection:
    """PCA of a (T, p) array of states (T >= 2 rows, finite), keeping the first ``k`` <= p components."""
    H = np.asarray(states, dtype=np.float64)
    if H.ndim != 2:
        raise ValueError(f"states: expected a (T, p) array, got shape {H.shape}")
    T, p = H.shape
    if T < 2:
        raise ValueError(f"states: a path needs at least 2 states, got {T}")
    if not 1 <= k <= p:
        raise ValueError(f"k: expected 1 to p = {p} components, got {k}")
    if not np.all(np.isfinite(H)):
        raise ValueError("states: not all finite")
    mean = H.mean(axis=0)
    centred = H - mean                                   # (T, p)
    _, s, vt = np.linalg.svd(centred, full_matrices=True)  # vt (p, p): every direction, also with S_j = 0
    components = vt[:k].copy()                           # (k, p)
    biggest = np.argmax(np.abs(components), axis=1)      # the first largest |entry| of each row
    components *= np.where(components[np.arange(k), biggest] < 0, -1.0, 1.0)[:, None]
    s2 = np.zeros(k)
    s2[: min(k, s.size)] = s[:k] ** 2
    total = float(np.sum(s**2))
    return Projection(
        mean=mean,
        components=components,
        coords=centred @ components.T,                   # (T, k)
        variance=s2 / (T - 1),
        ratio=s2 / total if total > 0 else np.zeros(k),
        total_variance=total / (T - 1),
    )
