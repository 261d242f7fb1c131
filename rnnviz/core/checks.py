"""Input validation that fails early with a message naming the argument.

Every public entry point of the core calls these helpers before any arithmetic, so
a wrong shape, dtype, an empty sequence or a NaN is reported as
``ValueError``/``TypeError`` saying *which* argument was wrong and *what* was
expected, never as a broadcast error from deep inside NumPy.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

__all__ = [
    "as_float_array",
    "as_index_array",
    "as_mask",
    "check_choice",
    "check_params",
    "check_positive",
    "within",
]


def _shape_str(shape: Sequence[object]) -> str:
    return "(" + ", ".join(str(s) for s in shape) + ("," if len(shape) == 1 else "") + ")"


def _check_shape(name: str, arr: np.ndarray, shape: Sequence[int | str | None]) -> None:
    """``shape`` entries: an int must match; a string or None is a free letter."""
    if arr.ndim != len(shape):
        raise ValueError(
            f"{name}: expected a {len(shape)}-D array of shape {_shape_str(shape)}, "
            f"got a {arr.ndim}-D array of shape {_shape_str(arr.shape)}"
        )
    for axis, (want, got) in enumerate(zip(shape, arr.shape)):
        if isinstance(want, int) and want != got:
            raise ValueError(
                f"{name}: expected shape {_shape_str(shape)}, got {_shape_str(arr.shape)} "
                f"(axis {axis} should be {want}, is {got})"
            )


def as_float_array(
    name: str,
    value: object,
    shape: Sequence[int | str | None],
    *,
    dtype: np.dtype | type | None = None,
    allow_empty: bool = False,
    finite: bool = True,
    finite_where: np.ndarray | None = None,
) -> np.ndarray:
    """Return ``value`` as a floating array of the given shape, or raise.

    ``shape`` is a sequence whose int entries must match exactly and whose string
    entries (``"N"``, ``"T"``) are free. Integer and boolean input is promoted to
    ``dtype`` (float64 unless given); complex, object and string input is refused.
    ``finite_where`` (broadcastable boolean) limits the NaN/inf check to the entries
    that are used, e.g. inputs that are present.
    """
    if isinstance(value, (str, bytes)):
        raise TypeError(f"{name}: expected a numeric array, got a string {value!r:.40}")
    arr = np.asarray(value)
    if arr.dtype.kind not in "biuf":
        raise TypeError(f"{name}: expected a real numeric array, got dtype {arr.dtype}")
    if arr.dtype.kind != "f" or (dtype is not None and arr.dtype != dtype):
        arr = arr.astype(dtype or np.float64)
    _check_shape(name, arr, shape)
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name}: is empty (shape {_shape_str(arr.shape)}); a sequence needs at least one time-stamp")
    if finite:
        used = arr if finite_where is None else arr[np.broadcast_to(finite_where, arr.shape)]
        if not np.all(np.isfinite(used)):
            bad = int(np.size(used) - np.count_nonzero(np.isfinite(used)))
            raise ValueError(f"{name}: contains {bad} NaN or infinite value(s); inputs must be finite")
    return arr


def as_index_array(
    name: str, value: object, shape: Sequence[int | str | None], *, high: int, allow_empty: bool = False
) -> np.ndarray:
    """Return integer ids in ``[0, high)`` of the given shape as int64, or raise."""
    arr = np.asarray(value)
    if arr.dtype.kind == "f" and arr.size and np.all(np.isfinite(arr)) and np.all(arr == np.round(arr)):
        arr = arr.astype(np.int64)
    if arr.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer token ids, got dtype {arr.dtype}")
    _check_shape(name, arr, shape)
    if not allow_empty and arr.size == 0:
        raise ValueError(f"{name}: is empty (shape {_shape_str(arr.shape)}); a sequence needs at least one time-stamp")
    if arr.size and (arr.min() < 0 or arr.max() >= high):
        bad = arr[(arr < 0) | (arr >= high)].ravel()[0]
        raise ValueError(f"{name}: token id {bad} is out of range; ids must lie in [0, {high})")
    return arr.astype(np.int64, copy=False)


def as_mask(name: str, value: object, shape: Sequence[int]) -> np.ndarray | None:
    """Return a boolean mask of exactly ``shape`` (``None`` passes through)."""
    if value is None:
        return None
    arr = np.asarray(value)
    if arr.dtype.kind not in "biu":
        raise TypeError(f"{name}: expected a boolean mask, got dtype {arr.dtype}")
    if arr.dtype.kind != "b":
        if arr.size and not np.all((arr == 0) | (arr == 1)):
            raise ValueError(f"{name}: a mask holds only 0/1 or False/True")
        arr = arr.astype(bool)
    _check_shape(name, arr, shape)
    return arr


def check_choice(name: str, value: object, choices: Sequence[str]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name}: unknown value {value!r}; expected one of {', '.join(map(repr, choices))}")
    return value


def check_positive(name: str, value: object, *, integer: bool = False, allow_zero: bool = False) -> float | int:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name}: expected a number, got {type(value).__name__}")
    if integer and int(value) != value:
        raise ValueError(f"{name}: expected a whole number, got {value}")
    if not np.isfinite(value) or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"{name}: must be {bound}, got {value}")
    return int(value) if integer else float(value)


def within(value: object, bounds: tuple[float, float], name: str, *, integer: bool = False) -> float | int:
    """``value`` if it is a number inside ``bounds`` (ends included, to round-off); ValueError naming ``name``.

    For the lesson apps: a control's value is checked against the lesson's own range, never the widget's
    ``min``/``max`` (a browser can send those too).
    """
    lo, hi = bounds
    slack = 1e-9 * max(abs(lo), abs(hi), 1.0)
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not np.isfinite(value) or not lo - slack <= value <= hi + slack or (integer and value != int(value)):
        kind = "a whole number" if integer else "a number"
        raise ValueError(f"{name}: expected {kind} from {_plain(lo)} to {_plain(hi)}, got {value!r}")
    return int(value) if integer else float(value)


def _plain(v: float) -> str:
    """A number as a student reads it: 5000, 0.1, 0.00001 (never 5e+03)."""
    v = float(v)
    if v.is_integer() and abs(v) < 1e15:
        return str(int(v))
    text = f"{v:.4g}"
    return np.format_float_positional(v, precision=4, fractional=False, trim="-") if "e" in text else text


def check_params(name: str, params: Mapping[str, np.ndarray], expected: Mapping[str, tuple[int, ...]]) -> None:
    """Check that ``params`` has exactly the expected keys and shapes."""
    if not isinstance(params, Mapping):
        raise TypeError(f"{name}: expected a dict of arrays, got {type(params).__name__}")
    missing = [k for k in expected if k not in params]
    extra = [k for k in params if k not in expected]
    if missing or extra:
        parts = []
        if missing:
            parts.append("missing " + ", ".join(missing))
        if extra:
            parts.append("unexpected " + ", ".join(extra))
        raise ValueError(f"{name}: keys do not match the model ({'; '.join(parts)})")
    for key, shape in expected.items():
        arr = params[key]
        if not isinstance(arr, np.ndarray) or arr.dtype.kind != "f":
            raise TypeError(f"{name}[{key!r}]: expected a float array, got {type(arr).__name__}")
        if arr.shape != tuple(shape):
            raise ValueError(f"{name}[{key!r}]: expected shape {_shape_str(shape)}, got {_shape_str(arr.shape)}")
