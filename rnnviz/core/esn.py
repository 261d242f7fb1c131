r"""Echo-state networks: a fixed random reservoir and a trained linear readout.

The chapter's echo-state network (Aggarwal, 7.3) keeps the recurrent part of a
network *fixed at its random initialization* and trains only the output layer.
With p = H reservoir units, d = D inputs and K outputs:

    h_t = (1 - a) h_{t-1} + a tanh(W_xh x_t + W_hh h_{t-1} + b_h)      (leaky reservoir)
    y_t = W_hy h_t + b_y                                                (linear readout)

* W_hh (p x p) is sparse (a fraction ``density`` of non-zero entries) and rescaled
  so that its spectral radius, the largest |eigenvalue|, is exactly
  ``spectral_radius``. Below 1 the reservoir forgets its initial state: two runs
  from different h_0 under the same inputs converge (the *echo-state property*).
* W_xh (p x d) is uniform in [-input_scaling, input_scaling]; b_h uniform in
  [-bias_scaling, bias_scaling] (zero by default).
* a = ``leak_rate`` in (0, 1]; a = 1 is the plain update h_t = tanh(...), a small
  a makes a slow reservoir that integrates its input.
* Only W_hy, b_y are trained, by ridge regression on the collected states: the
  training is one linear solve, no backpropagation at all.
* With ``feedback=True`` the reservoir also reads the previous output through a
  fixed random W_yh (p x K): a_t = W_xh x_t + W_hh h_{t-1} + W_yh y_{t-1} + b_h.
  During training y_{t-1} is the *target* (teacher forcing); when generating it is
  the network's own output.

Arrays are batch first as in :class:`rnnviz.Network`: X is (N, T, D), states are
(N, T, H), outputs (N, T, K). For a single series you may pass (T, D) and get
(T, H) / (T, K) back; with D = 1 a 1-D series (T,) also works, and with K = 1 its
outputs come back 1-D (T,). A 2-D array is always read as one series (T, D).

>>> esn = EchoStateNetwork(1, 50, 1, rng=np.random.default_rng(0))
>>> round(esn.spectral_radius(), 12)
0.9
>>> t = np.arange(300) * 0.1
>>> fit = esn.fit(np.sin(t), np.sin(t + 0.5), washout=50)
>>> bool(fit.nrmse < 0.01)
True
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from .checks import as_float_array, check_positive

__all__ = ["EchoStateNetwork", "Forgetting", "FreeRun", "ReadoutFit", "nrmse", "sparse_reservoir"]


# =========================================================================== results
class ReadoutFit(NamedTuple):
    """What :meth:`EchoStateNetwork.fit` found, measured on the training data after the washout."""

    W_hy: np.ndarray  # (K, H) trained readout
    b_y: np.ndarray  # (K,) trained readout bias
    Y_fit: np.ndarray  # readout on the training states, shaped like Y without the washout time-stamps
    mse: float  # mean squared error over samples and outputs
    nrmse: float  # root mean squared error / std of the targets (1.0 = predicting the mean)
    n_samples: int  # rows of the regression: N * (T - washout)
    ridge: float
    washout: int


class FreeRun(NamedTuple):
    """Output of :meth:`EchoStateNetwork.generate`."""

    Y: np.ndarray  # (n_steps, K) (or (N, n_steps, K)) generated outputs, the i-th one predicting time T0 + i
    states: np.ndarray  # (n_steps, H) (or (N, n_steps, H)) reservoir states while generating


class Forgetting(NamedTuple):
    """Output of :meth:`EchoStateNetwork.forgetting`."""

    distance: np.ndarray  # (T + 1,) ||h_t^A - h_t^B||, index 0 is the distance of the two initial states
    states: np.ndarray  # (2, T, H) the two runs


# =========================================================================== helpers
def nrmse(y_true: np.ndarray, y_pred: np.ndarray) -> float:
    """Normalized root mean squared error: RMSE / std(y_true), per output, averaged over outputs.

    1.0 is what always predicting the mean of ``y_true`` scores; 0 is perfect. The
    last axis is the output (a 1-D array is one output); all other axes are samples.
    An output whose target is constant has no scale and gives NaN.
    """
    yt = as_float_array("y_true", y_true, (None,) * max(np.ndim(y_true), 1))
    yp = as_float_array("y_pred", y_pred, yt.shape)
    yt, yp = yt.reshape(-1, yt.shape[-1] if yt.ndim > 1 else 1), yp.reshape(-1, yp.shape[-1] if yp.ndim > 1 else 1)
    rmse = np.sqrt(np.mean((yt - yp) ** 2, axis=0))
    std = yt.std(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        per_output = np.where(std > 0, rmse / np.where(std > 0, std, 1.0), np.nan)
    return float(np.mean(per_output))


def sparse_reservoir(
    size: int, *, density: float, spectral_radius: float, rng: np.random.Generator, dtype: type = np.float64,
) -> np.ndarray:
    """A random p x p matrix with round(density p^2) non-zeros, rescaled to the given spectral radius.

    The non-zero entries are drawn uniformly in [-1, 1] at positions chosen without
    replacement; the whole matrix is then multiplied by
    ``spectral_radius / max|eig|``, so only the scale, never the pattern, depends on
    ``spectral_radius`` (the same ``rng`` seed gives proportional matrices). A draw
    whose eigenvalues are all zero (possible for tiny, very sparse reservoirs) is
    redrawn.
    """
    size = int(check_positive("reservoir_size", size, integer=True))
    density = _check_unit_interval("density", density)
    spectral_radius = check_positive("spectral_radius", spectral_radius)
    _check_rng(rng)
    n_nonzero = max(1, int(round(density * size * size)))
    for _ in range(1000):
        W = np.zeros(size * size, dtype=dtype)
        where = rng.choice(size * size, size=n_nonzero, replace=False)
        W[where] = rng.uniform(-1.0, 1.0, size=n_nonzero)
        W = W.reshape(size, size)
        radius = float(np.max(np.abs(np.linalg.eigvals(W))))
        if radius > 1e-8:
            return W * (spectral_radius / radius)
    raise ValueError(
        f"density: a {size} x {size} reservoir with {n_nonzero} non-zero(s) kept having all eigenvalues 0; "
        "raise density or reservoir_size"
    )


def _check_unit_interval(name: str, value: object) -> float:
    value = check_positive(name, value)
    if value > 1:
        raise ValueError(f"{name}: must lie in (0, 1], got {value}")
    return value


def _check_rng(rng: object) -> None:
    if not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng: expected a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")


def _check_flag(name: str, value: object) -> bool:
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name}: expected True or False, got {value!r}")
    return bool(value)


# =========================================================================== the network
class EchoStateNetwork:
    r"""An echo-state network: fixed sparse random reservoir, ridge-regression readout.

    Parameters
    ----------
    input_size : D, the size of x_t.
    reservoir_size : H (p in the chapter), the number of reservoir units.
    output_size : K, the size of y_t.
    spectral_radius : the largest |eigenvalue| W_hh is rescaled to (> 0; below 1 for the echo-state property).
    input_scaling : W_xh is uniform in [-input_scaling, input_scaling].
    leak_rate : a in (0, 1] of h_t = (1 - a) h_{t-1} + a tanh(...).
    density : fraction of non-zero entries of W_hh, in (0, 1].
    bias_scaling : b_h is uniform in [-bias_scaling, bias_scaling] (0: no bias).
    ridge : default ridge penalty lambda of :meth:`fit` (>= 0).
    feedback : also feed the previous output y_{t-1} into the reservoir through a fixed W_yh.
    feedback_scaling : W_yh is uniform in [-feedback_scaling, feedback_scaling].
    rng : the only source of randomness; the same seed gives the same network.

    ``params`` holds the arrays with the chapter's names: ``W_xh`` (H, D), ``W_hh``
    (H, H), ``b_h`` (H,), ``W_yh`` (H, K) with feedback, and after :meth:`fit`
    ``W_hy`` (K, H) and ``b_y`` (K,). The random draws are made in a fixed order
    (W_hh, W_xh, b_h, W_yh), so changing a scale or switching feedback on keeps
    every other matrix the same for the same seed.
    """

    def __init__(
        self,
        input_size: int,
        reservoir_size: int,
        output_size: int,
        *,
        spectral_radius: float = 0.9,
        input_scaling: float = 1.0,
        leak_rate: float = 1.0,
        density: float = 0.1,
        bias_scaling: float = 0.0,
        ridge: float = 1e-6,
        feedback: bool = False,
        feedback_scaling: float = 1.0,
        rng: np.random.Generator,
        dtype: type = np.float64,
    ):
        self.input_size = int(check_positive("input_size", input_size, integer=True))
        self.reservoir_size = int(check_positive("reservoir_size", reservoir_size, integer=True))
        self.output_size = int(check_positive("output_size", output_size, integer=True))
        self.target_radius = check_positive("spectral_radius", spectral_radius)
        self.input_scaling = check_positive("input_scaling", input_scaling, allow_zero=True)
        self.leak_rate = _check_unit_interval("leak_rate", leak_rate)
        self.density = _check_unit_interval("density", density)
        self.bias_scaling = check_positive("bias_scaling", bias_scaling, allow_zero=True)
        self.ridge = check_positive("ridge", ridge, allow_zero=True)
        self.feedback = _check_flag("feedback", feedback)
        self.feedback_scaling = check_positive("feedback_scaling", feedback_scaling, allow_zero=True)
        _check_rng(rng)
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"dtype: expected a float dtype, got {self.dtype}")
        H, D, K = self.reservoir_size, self.input_size, self.output_size
        W_hh = sparse_reservoir(H, density=self.density, spectral_radius=self.target_radius, rng=rng, dtype=self.dtype)
        self.params: dict[str, np.ndarray] = {
            "W_xh": (self.input_scaling * rng.uniform(-1.0, 1.0, (H, D))).astype(self.dtype),
            "W_hh": W_hh.astype(self.dtype),
            "b_h": (self.bias_scaling * rng.uniform(-1.0, 1.0, H)).astype(self.dtype),
        }
        if self.feedback:
            self.params["W_yh"] = (self.feedback_scaling * rng.uniform(-1.0, 1.0, (H, K))).astype(self.dtype)

    def __repr__(self) -> str:
        fb = ", feedback=True" if self.feedback else ""
        return (
            f"EchoStateNetwork({self.input_size}, {self.reservoir_size}, {self.output_size}, "
            f"spectral_radius={self.target_radius:g}, leak_rate={self.leak_rate:g}, density={self.density:g}{fb})"
        )

    @property
    def fitted(self) -> bool:
        """True once :meth:`fit` has trained the readout W_hy, b_y."""
        return "W_hy" in self.params

    # ------------------------------------------------------------------ diagnostics
    def spectral_radius(self, *, effective: bool = False) -> float:
        r"""max |eigenvalue| of W_hh as it is now in ``params``.

        ``effective=True`` gives that of (1 - a) I + a W_hh instead, the Jacobian of
        the leaky update at h = 0 with zero input: the number that decides how fast
        a leaky reservoir forgets (it is at most (1 - a) + a rho(W_hh)).
        """
        W = self.params["W_hh"]
        if _check_flag("effective", effective):
            a = self.leak_rate
            W = (1.0 - a) * np.eye(self.reservoir_size, dtype=W.dtype) + a * W
        return float(np.max(np.abs(np.linalg.eigvals(W))))

    def forgetting(self, X=None, *, n_steps: int | None = None, h0=None, rng: np.random.Generator | None = None) -> Forgetting:
        r"""Run the reservoir twice, from two initial states, under the same input: does it forget h_0?

        X : one input series (T, D) (or (T,) when D = 1); ``None`` means zero input
        for ``n_steps`` steps. h0 : the two initial states (2, H); drawn uniformly in
        [-1, 1] from ``rng`` when omitted. With ``feedback=True`` the fed-back output
        is taken as 0. Returns the distance ||h_t^A - h_t^B|| for t = 0 .. T; with
        the echo-state property it goes to 0 (roughly like rho^t), without it it
        does not.
        """
        if X is None:
            if n_steps is None:
                raise ValueError("n_steps: give the number of zero-input steps, or an input series X")
            T = int(check_positive("n_steps", n_steps, integer=True))
            Xb = np.zeros((1, T, self.input_size), self.dtype)
        else:
            if n_steps is not None:
                raise ValueError("n_steps: give either an input series X or n_steps of zero input, not both")
            Xb, layout = self._sequences("X", X, self.input_size)
            if layout == "batch":
                raise ValueError(f"X: expected one input series (T, {self.input_size}) shared by both runs, got shape {np.shape(X)}")
        if h0 is None:
            if rng is None:
                raise ValueError("rng: needed to draw the two initial states (or pass h0 of shape (2, H))")
            _check_rng(rng)
            h0 = rng.uniform(-1.0, 1.0, (2, self.reservoir_size))
        h0 = as_float_array("h0", h0, (2, self.reservoir_size), dtype=self.dtype)
        X2 = np.broadcast_to(Xb, (2,) + Xb.shape[1:])
        y_prev = np.zeros((2, self.output_size), self.dtype) if self.feedback else None
        teacher = np.zeros((2, Xb.shape[1], self.output_size), self.dtype) if self.feedback else None
        states = self._scan(X2, h0, y_prev, teacher)  # (2, T, H)
        diffs = np.concatenate([(h0[0] - h0[1])[None], states[0] - states[1]], axis=0)  # (T + 1, H)
        return Forgetting(np.linalg.norm(diffs, axis=1), states)

    # ------------------------------------------------------------------ input checks
    def _sequences(self, name: str, value, size: int) -> tuple[np.ndarray, str]:
        """(N, T, size) float array and the layout it came in: "batch", "series" or "flat"."""
        arr = value if isinstance(value, np.ndarray) else None
        if arr is None and not isinstance(value, (str, bytes)):
            arr = np.asarray(value)
        if arr is None or arr.dtype.kind not in "biuf":
            as_float_array(name, value, ("N", "T", size))  # raises the TypeError
        if arr.ndim == 3:
            return as_float_array(name, arr, ("N", "T", size), dtype=self.dtype), "batch"
        if arr.ndim == 2:
            return as_float_array(name, arr, ("T", size), dtype=self.dtype)[None], "series"
        if arr.ndim == 1 and size == 1:
            return as_float_array(name, arr, ("T",), dtype=self.dtype)[None, :, None], "flat"
        flat = " or a 1-D series (T,)" if size == 1 else ""
        raise ValueError(
            f"{name}: expected batch-first sequences (N, T, {size}), one series (T, {size}){flat}; "
            f"got shape {arr.shape}"
        )

    def _targets(self, name: str, value, N: int, T: int) -> np.ndarray:
        """Targets or teacher outputs matching inputs of N sequences of T steps: (N, T, K)."""
        Yb, _ = self._sequences(name, value, self.output_size)
        if Yb.shape[:2] != (N, T):
            raise ValueError(
                f"{name}: has {Yb.shape[0]} sequence(s) of {Yb.shape[1]} step(s), the inputs {N} of {T}; they must match"
            )
        return Yb

    def _start(self, name: str, value, N: int, size: int) -> np.ndarray:
        """An initial vector (size,) shared by the batch or one per sequence (N, size) -> (N, size)."""
        if value is None:
            return np.zeros((N, size), self.dtype)
        arr = np.asarray(value)
        if arr.ndim == 1:
            return np.broadcast_to(as_float_array(name, arr, (size,), dtype=self.dtype), (N, size)).copy()
        return as_float_array(name, arr, (N, size), dtype=self.dtype)

    @staticmethod
    def _washout(washout, T: int) -> int:
        washout = int(check_positive("washout", washout, integer=True, allow_zero=True))
        if washout >= T:
            raise ValueError(f"washout: must be smaller than the sequence length T = {T}, got {washout}")
        return washout

    def _outputs(self, Y: np.ndarray, layout: str) -> np.ndarray:
        if layout == "batch":
            return Y
        if layout == "flat" and Y.shape[-1] == 1:
            return Y[0, :, 0]
        return Y[0]

    @staticmethod
    def _states(S: np.ndarray, layout: str) -> np.ndarray:
        return S if layout == "batch" else S[0]

    def _require_fit(self, what: str) -> None:
        if not self.fitted:
            raise ValueError(f"{what}: the readout W_hy is not trained yet; call fit(X, Y) first")

    # ------------------------------------------------------------------ the reservoir
    def _step(self, u: np.ndarray, h: np.ndarray, y_prev: np.ndarray | None) -> np.ndarray:
        """One leaky step from u = W_xh x_t + b_h: h_t = (1 - a) h_{t-1} + a tanh(u + W_hh h_{t-1} [+ W_yh y_{t-1}])."""
        p = self.params
        pre = u + h @ p["W_hh"].T  # (N, H)
        if y_prev is not None:
            pre = pre + y_prev @ p["W_yh"].T
        a = self.leak_rate
        return np.tanh(pre) if a == 1.0 else (1.0 - a) * h + a * np.tanh(pre)

    def _scan(self, X: np.ndarray, h: np.ndarray, y_prev: np.ndarray | None, teacher: np.ndarray | None) -> np.ndarray:
        """States (N, T, H) under inputs X (N, T, D); with feedback, y_{t-1} is teacher[:, t-1] (y_prev at t = 0)."""
        N, T = X.shape[0], X.shape[1]
        U = X @ self.params["W_xh"].T + self.params["b_h"]  # (N, T, H): W_xh x_t + b_h for every t at once
        S = np.empty((N, T, self.reservoir_size), self.dtype)
        for t in range(T):
            h = self._step(U[:, t], h, y_prev)
            S[:, t] = h
            if teacher is not None:
                y_prev = teacher[:, t]
        return S

    def _closed_loop(self, X: np.ndarray, h: np.ndarray, y_prev: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """feedback=True, no teacher: the network's own y_{t-1} = W_hy h_{t-1} + b_y is fed back."""
        W_hy, b_y = self.params["W_hy"], self.params["b_y"]
        N, T = X.shape[0], X.shape[1]
        U = X @ self.params["W_xh"].T + self.params["b_h"]  # (N, T, H)
        S = np.empty((N, T, self.reservoir_size), self.dtype)
        Y = np.empty((N, T, self.output_size), self.dtype)
        for t in range(T):
            h = self._step(U[:, t], h, y_prev)
            y_prev = h @ W_hy.T + b_y
            S[:, t], Y[:, t] = h, y_prev
        return S, Y

    def run(self, X, h0=None, washout: int = 0, *, teacher=None, y0=None) -> np.ndarray:
        r"""The reservoir states h_t for inputs X, without the first ``washout`` time-stamps.

        X : (N, T, D) batch first, or one series (T, D), or (T,) when D = 1.
        h0 : initial state, (H,) for every sequence or (N, H); zeros when omitted.
        teacher : with ``feedback=True``, the outputs fed back: at step t the
        reservoir reads y_{t-1} = teacher[t-1] (and ``y0``, zeros by default, at t = 0).
        Shaped like the targets: (N, T, K), (T, K), or (T,) when K = 1.

        Returns states (N, T - washout, H), or (T - washout, H) for a single series.
        """
        Xb, layout = self._sequences("X", X, self.input_size)
        N, T = Xb.shape[0], Xb.shape[1]
        washout = self._washout(washout, T)
        h = self._start("h0", h0, N, self.reservoir_size)
        y_prev, Tb = self._teacher(teacher, y0, N, T)
        return self._states(self._scan(Xb, h, y_prev, Tb)[:, washout:], layout)

    def _teacher(self, teacher, y0, N: int, T: int) -> tuple[np.ndarray | None, np.ndarray | None]:
        if not self.feedback:
            if teacher is not None:
                raise ValueError("teacher: outputs are only fed back when the network has feedback=True")
            if y0 is not None:
                raise ValueError("y0: outputs are only fed back when the network has feedback=True")
            return None, None
        if teacher is None:
            raise ValueError(
                "teacher: with feedback=True the reservoir reads y_{t-1}; pass the teacher outputs "
                "(use predict without teacher, or generate, to feed back the network's own outputs)"
            )
        return self._start("y0", y0, N, self.output_size), self._targets("teacher", teacher, N, T)

    # ------------------------------------------------------------------ training
    def fit(self, X, Y, *, washout: int = 0, ridge: float | None = None, h0=None, y0=None) -> ReadoutFit:
        r"""Train the readout y_t = W_hy h_t + b_y by ridge regression; nothing else changes.

        The states after the washout are stacked into Z = [h_t, 1] (one row per
        sequence and time-stamp, M = N (T - washout) rows, H + 1 columns) and

            [W_hy^T; b_y^T] = (Z^T Z + lambda P)^{-1} Z^T Y,   P = diag(1, ..., 1, 0),

        computed with one linear solve (never an explicit inverse). The bias is not
        penalized, so a huge lambda gives W_hy = 0 and b_y = the mean target. lambda
        is an absolute penalty (it does not scale with M). If lambda = 0 and Z^T Z is
        singular, a least-squares solve is used instead.

        X, Y : inputs and targets, (N, T, D) and (N, T, K), or one series each.
        With ``feedback=True`` Y is also the teacher: y_{t-1} = Y[t-1] is fed back
        while collecting the states (teacher forcing).
        washout : how many first time-stamps of each sequence to discard (the
        reservoir's transient from h0); typically tens to a hundred.
        ridge : lambda >= 0; the network's ``ridge`` when omitted.

        Stores W_hy, b_y in ``params`` and returns a :class:`ReadoutFit`.
        """
        Xb, layout = self._sequences("X", X, self.input_size)
        N, T = Xb.shape[0], Xb.shape[1]
        Yb = self._targets("Y", Y, N, T)
        washout = self._washout(washout, T)
        ridge = self.ridge if ridge is None else check_positive("ridge", ridge, allow_zero=True)
        h = self._start("h0", h0, N, self.reservoir_size)
        if self.feedback:
            y_prev, teacher = self._start("y0", y0, N, self.output_size), Yb
        elif y0 is not None:
            raise ValueError("y0: outputs are only fed back when the network has feedback=True")
        else:
            y_prev = teacher = None
        S = self._scan(Xb, h, y_prev, teacher)[:, washout:]  # (N, T', H)
        H, K = self.reservoir_size, self.output_size
        Z = np.concatenate([S.reshape(-1, H), np.ones((S.shape[0] * S.shape[1], 1), self.dtype)], axis=1)  # (M, H+1)
        Yt = Yb[:, washout:].reshape(-1, K)  # (M, K)
        A = Z.T @ Z
        A[np.arange(H), np.arange(H)] += ridge  # + lambda P: the bias (last row/column) is not penalized
        try:
            W = np.linalg.solve(A, Z.T @ Yt)  # (H+1, K)
        except np.linalg.LinAlgError:
            W = np.linalg.lstsq(Z, Yt, rcond=None)[0]
        self.params["W_hy"] = np.ascontiguousarray(W[:H].T)
        self.params["b_y"] = W[H].copy()
        Y_fit = (Z @ W).reshape(S.shape[0], S.shape[1], K)
        Y_true = Yb[:, washout:]
        return ReadoutFit(
            self.params["W_hy"], self.params["b_y"], self._outputs(Y_fit, layout),
            float(np.mean((Y_fit - Y_true) ** 2)), nrmse(Y_true, Y_fit), int(Z.shape[0]), float(ridge), washout,
        )

    # ------------------------------------------------------------------ using the readout
    def readout(self, states) -> np.ndarray:
        """y_t = W_hy h_t + b_y for states (..., H) -> (..., K)."""
        self._require_fit("readout")
        S = as_float_array("states", states, (None,) * max(np.ndim(states) - 1, 0) + (self.reservoir_size,),
                           dtype=self.dtype)
        return S @ self.params["W_hy"].T + self.params["b_y"]

    def predict(self, X, *, h0=None, washout: int = 0, teacher=None, y0=None) -> np.ndarray:
        r"""Outputs y_t = W_hy h_t + b_y for inputs X (shaped as in :meth:`run`), after the washout.

        With ``feedback=True``: given ``teacher`` the true y_{t-1} is fed back (a
        one-step-ahead prediction); without it the network's own previous output is
        fed back (closed loop), starting from ``y0`` (zeros by default).
        Returns (N, T - washout, K), (T - washout, K) for one series, or
        (T - washout,) for a 1-D series with K = 1.
        """
        self._require_fit("predict")
        Xb, layout = self._sequences("X", X, self.input_size)
        N, T = Xb.shape[0], Xb.shape[1]
        washout = self._washout(washout, T)
        h = self._start("h0", h0, N, self.reservoir_size)
        if self.feedback and teacher is None:
            _, Y = self._closed_loop(Xb, h, self._start("y0", y0, N, self.output_size))
        else:
            y_prev, Tb = self._teacher(teacher, y0, N, T)
            Y = self._scan(Xb, h, y_prev, Tb) @ self.params["W_hy"].T + self.params["b_y"]
        return self._outputs(Y[:, washout:], layout)

    def generate(self, n_steps: int, *, warmup_inputs, warmup_targets=None, inputs=None, h0=None) -> FreeRun:
        r"""Free-running generation: warm the reservoir up on known data, then feed the outputs back.

        Without feedback (``feedback=False``, needs K = D) the network is a
        one-step-ahead predictor x_t -> y_t ~ x_{t+1}: the warm-up drives it with the
        true series s_0 .. s_{T0-1}, and from then on each output is the next input,
        x_{t+1} = y_t. ``warmup_targets`` and ``inputs`` are not used.

        With ``feedback=True`` the warm-up is teacher forced: ``warmup_inputs`` and
        ``warmup_targets`` (T0 steps each) drive the reservoir with the true y_{t-1};
        then the network's own y_{t-1} is fed back through W_hy while ``inputs``
        (n_steps, D) supplies x_t (e.g. ``np.ones((n_steps, 1))`` for a constant input).

        Either way the i-th generated output predicts the series at time T0 + i.
        Batches work too: (N, T0, D) warm-ups give (N, n_steps, K).
        """
        self._require_fit("generate")
        n_steps = int(check_positive("n_steps", n_steps, integer=True))
        Xw, layout = self._sequences("warmup_inputs", warmup_inputs, self.input_size)
        N, T0 = Xw.shape[0], Xw.shape[1]
        h = self._start("h0", h0, N, self.reservoir_size)
        W_hy, b_y = self.params["W_hy"], self.params["b_y"]
        S = np.empty((N, n_steps, self.reservoir_size), self.dtype)
        Y = np.empty((N, n_steps, self.output_size), self.dtype)
        if not self.feedback:
            if self.output_size != self.input_size:
                raise ValueError(
                    f"generate: feeding y_t back as x_(t+1) needs output_size == input_size, "
                    f"got {self.output_size} and {self.input_size} (or build the network with feedback=True)"
                )
            for name, value in (("warmup_targets", warmup_targets), ("inputs", inputs)):
                if value is not None:
                    raise ValueError(f"{name}: only used with feedback=True; without feedback the outputs are the next inputs")
            h = self._scan(Xw, h, None, None)[:, -1]
            y = h @ W_hy.T + b_y  # predicts s_{T0}
            for i in range(n_steps):
                S[:, i], Y[:, i] = h, y
                if i + 1 < n_steps:
                    h = self._step(y @ self.params["W_xh"].T + self.params["b_h"], h, None)
                    y = h @ W_hy.T + b_y
        else:
            if warmup_targets is None:
                raise ValueError("warmup_targets: with feedback=True the warm-up is teacher forced; pass the true outputs")
            if inputs is None:
                raise ValueError(
                    f"inputs: with feedback=True the reservoir still reads x_t while generating; pass (n_steps, {self.input_size}) "
                    "future inputs, e.g. np.ones((n_steps, 1)) for a constant input"
                )
            Tw = self._targets("warmup_targets", warmup_targets, N, T0)
            Xf, _ = self._sequences("inputs", inputs, self.input_size)
            if Xf.shape[:2] != (N, n_steps):
                raise ValueError(f"inputs: expected {N} sequence(s) of n_steps = {n_steps} steps, got shape {np.shape(inputs)}")
            h = self._scan(Xw, h, np.zeros((N, self.output_size), self.dtype), Tw)[:, -1]
            S, Y = self._closed_loop(Xf, h, Tw[:, -1])  # the first free step reads the last true y_{T0-1}
        return FreeRun(self._outputs(Y, layout), self._states(S, layout))
