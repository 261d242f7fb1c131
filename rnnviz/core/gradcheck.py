r"""Gradient checking by finite differences, for tests, notebooks and students.

The central difference (f(theta + eps) - f(theta - eps)) / (2 eps) has error
O(eps**2); in float64 with eps ~ 1e-5 an analytic gradient that is right agrees
to a relative error around 1e-9 or better, a wrong one to 1e-2 or worse.

* :func:`numerical_gradient` perturbs every entry (exact but O(#params) evaluations);
* :func:`directional_check` compares the derivative along a few random
  directions, two evaluations each: cheap enough for whole sequences and big models.

The relative error is norm-based on whole arrays: |a - n| / max(|a| + |n|, tiny).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import NamedTuple

import numpy as np

from .checks import check_positive

__all__ = ["GradCheck", "check_gradients", "directional_check", "numerical_gradient", "relative_error"]

TINY = 1e-300


def relative_error(analytic: np.ndarray, numeric: np.ndarray) -> float:
    """||a - n|| / max(||a|| + ||n||, tiny), on whole arrays."""
    a = np.asarray(analytic, dtype=np.float64)
    n = np.asarray(numeric, dtype=np.float64)
    if a.shape != n.shape:
        raise ValueError(f"analytic and numeric gradients differ in shape: {a.shape} vs {n.shape}")
    return float(np.linalg.norm(a - n) / max(np.linalg.norm(a) + np.linalg.norm(n), TINY))


def _copy(params: Mapping[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {k: np.array(v, dtype=np.float64 if v.dtype.kind == "f" else v.dtype, copy=True) for k, v in params.items()}


def numerical_gradient(
    f: Callable[[dict], float], params: Mapping[str, np.ndarray], keys: Iterable[str] | None = None, *, eps: float = 1e-5
) -> dict[str, np.ndarray]:
    """Central differences of the scalar ``f(params)`` for every entry of the chosen arrays.

    ``params`` is not modified: the perturbations are made on a private copy.
    """
    eps = check_positive("eps", eps)
    work = _copy(params)
    keys = list(params) if keys is None else list(keys)
    out = {}
    for key in keys:
        if key not in work:
            raise ValueError(f"keys: {key!r} is not a parameter; parameters are {', '.join(work)}")
        arr = work[key]
        grad = np.zeros_like(arr)
        flat, gflat = arr.reshape(-1), grad.reshape(-1)
        for i in range(flat.size):
            old = flat[i]
            flat[i] = old + eps
            fp = float(f(work))
            flat[i] = old - eps
            fm = float(f(work))
            flat[i] = old
            gflat[i] = (fp - fm) / (2 * eps)
        out[key] = grad
    return out


class GradCheck(NamedTuple):
    errors: dict  # key -> relative error
    max_error: float
    tolerance: float

    @property
    def passed(self) -> bool:
        return self.max_error < self.tolerance

    def worst(self) -> str:
        return max(self.errors, key=self.errors.get)

    def __str__(self) -> str:
        lines = [f"{k:<24} relative error {e:.2e}" for k, e in self.errors.items()]
        verdict = "PASSED" if self.passed else f"FAILED (worst: {self.worst()})"
        return "\n".join(lines + [f"gradient check {verdict}: max {self.max_error:.2e} < {self.tolerance:.0e}?"])


def check_gradients(
    f: Callable[[dict], float], params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray],
    keys: Iterable[str] | None = None, *, eps: float = 1e-5, tolerance: float = 1e-7,
) -> GradCheck:
    """Compare analytic ``grads`` with central differences of ``f`` for each parameter array."""
    keys = list(grads) if keys is None else list(keys)
    missing = [k for k in keys if k not in grads]
    if missing:
        raise ValueError(f"grads: no gradient for {', '.join(missing)}")
    numeric = numerical_gradient(f, params, keys, eps=eps)
    errors = {k: relative_error(grads[k], numeric[k]) for k in keys}
    return GradCheck(errors, max(errors.values()), tolerance)


def directional_check(
    f: Callable[[dict], float], params: Mapping[str, np.ndarray], grads: Mapping[str, np.ndarray],
    rng: np.random.Generator, *, directions: int = 3, eps: float = 1e-5,
) -> list[float]:
    """Relative errors of <grad, v> against (f(theta + eps v) - f(theta - eps v)) / (2 eps)
    for ``directions`` random unit directions v spanning every parameter at once."""
    eps = check_positive("eps", eps)
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
    base = _copy(params)
    errors = []
    for _ in range(int(check_positive("directions", directions, integer=True))):
        v = {k: rng.standard_normal(a.shape) for k, a in base.items()}
        scale = 1.0 / np.sqrt(sum(float(np.vdot(x, x)) for x in v.values()))
        v = {k: x * scale for k, x in v.items()}
        plus = {k: base[k] + eps * v[k] for k in base}
        minus = {k: base[k] - eps * v[k] for k in base}
        numeric = (float(f(plus)) - float(f(minus))) / (2 * eps)
        analytic = sum(float(np.vdot(grads[k], v[k])) for k in base)
        errors.append(abs(analytic - numeric) / max(abs(analytic) + abs(numeric), TINY))
    return errors
