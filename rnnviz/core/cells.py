r"""Recurrent cells: one forward/backward step each, in NumPy alone.

Notation follows Chapter 7 of Aggarwal, *Neural Networks and Deep Learning*:

    h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h),    W_xh: p x d,  W_hh: p x p

with p = H hidden units and d = D inputs. Arrays are batched with the batch first:
``x`` is (N, D), ``h`` is (N, H), so the code reads ``x @ W_xh.T`` for ``W_xh x_t``.

Every cell has the same interface:

* ``step_forward(params, x, state) -> (state, cache)`` and
  ``step_backward(params, dstate, cache) -> (dx, dstate_prev, grads)``,
  where ``state`` is always a tuple -- ``(h,)``, or ``(h, c)`` for the LSTM -- and
  ``grads`` has exactly the keys of ``params``: the gradient of *this time-stamp's
  copy* of the shared weights (the chapter's dL/dW^{(t)}).
* A step is split in two halves so a sequence can do the input half for all T
  time-stamps at once: ``project(params, x) -> u = W_xh x + b`` (linear, any leading
  dimensions) and ``recur_forward(params, u, state)``. ``step_forward`` is literally
  ``recur_forward(params, project(params, x), state)``.
* Likewise the gradient of W_hh summed over a sequence, sum_t dA_t^T h_{t-1}, is one
  matrix product of the stacked dA_t and h_{t-1}: ``recur_backward(..., hh_grad=False)``
  leaves W_hh out of a step's grads and ``sequence_hh_grad(params, dU, caches)`` computes
  the sum for all time-stamps at once (what BPTT does unless it is asked for every copy).

``x`` may also be integer token ids of shape (N,) (or (T, N)): ``W_xh x_t`` of a
one-hot x_t is then the column ``W_xh[:, id]``, looked up instead of multiplied.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import NamedTuple

import numpy as np

from .checks import check_choice, check_positive

Params = Mapping[str, np.ndarray]
State = tuple[np.ndarray, ...]

__all__ = [
    "ACTIVATIONS",
    "CELLS",
    "GRU_GATES",
    "LSTM_GATES",
    "Cell",
    "GRUCell",
    "LSTMCell",
    "LayerNormRNNCell",
    "VanillaRNNCell",
    "make_cell",
    "sigmoid",
]

#: Gate order of the LSTM's stacked weights (Aggarwal's order i, f, o, then the
#: candidate written c-bar in the chapter, called g here to keep c for the cell state).
#: ``W_xh`` is (4H, D): rows [0:H] input gate, [H:2H] forget, [2H:3H] output, [3H:4H] candidate.
LSTM_GATES: tuple[str, ...] = ("i", "f", "o", "g")

#: Gate order of the GRU's stacked weights: reset, update, candidate (PyTorch's order).
GRU_GATES: tuple[str, ...] = ("r", "z", "n")

#: Activations of the vanilla cell and their derivatives written in terms of the output h.
ACTIVATIONS = {
    "tanh": (np.tanh, lambda h: 1.0 - h * h),
    "relu": (lambda a: np.maximum(a, 0.0), lambda h: (h > 0).astype(h.dtype)),
    "identity": (lambda a: a, lambda h: np.ones_like(h)),
}


def sigmoid(a: np.ndarray) -> np.ndarray:
    """Logistic function 1 / (1 + e^{-a}).

    For a < -709 e^{-a} overflows to inf and 1 / inf = 0 is the right answer, so the
    overflow is silenced rather than avoided (one exp, computed in place: this is a hot path).
    """
    s = np.array(a, dtype=np.result_type(a, 1.0))  # a float copy to work in
    np.negative(s, out=s)
    with np.errstate(over="ignore"):
        np.exp(s, out=s)
    s += 1.0
    np.reciprocal(s, out=s)
    return s if s.ndim else s[()]


def _is_ids(x: np.ndarray) -> bool:
    return x.dtype.kind in "iu"


def _sum_outer(dA: np.ndarray, B: np.ndarray) -> np.ndarray:
    """sum_t dA_t^T B_t for dA (T, N, G) and B (T, N, H): one (G, T*N) @ (T*N, H) product."""
    return dA.reshape(-1, dA.shape[-1]).T @ B.reshape(-1, B.shape[-1])


class Cell:
    """Shared machinery of all cells: the input projection and the step composition.

    Subclasses set ``kind``, ``gates`` (how many H-sized blocks the projection
    has), ``state_names`` and implement ``recur_params``, ``recur_forward`` and
    ``recur_backward``.
    """

    kind = "cell"
    gates = 1
    state_names: tuple[str, ...] = ("h",)
    has_input_bias = True

    def __init__(self, input_size: int, hidden_size: int, *, dtype: type = np.float64):
        self.input_size = int(check_positive("input_size", input_size, integer=True))
        self.hidden_size = int(check_positive("hidden_size", hidden_size, integer=True))
        self.dtype = np.dtype(dtype)
        if self.dtype.kind != "f":
            raise TypeError(f"dtype: expected a float dtype, got {self.dtype}")

    # ----------------------------------------------------------------- parameters
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        G, D, H = self.gates * self.hidden_size, self.input_size, self.hidden_size
        shapes = {"W_xh": (G, D), "W_hh": (G, H)}
        if self.has_input_bias:
            shapes["b_h"] = (G,)
        shapes.update(self.extra_param_shapes())
        return shapes

    def extra_param_shapes(self) -> dict[str, tuple[int, ...]]:
        return {}

    def init_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Uniform(-1/sqrt(H), 1/sqrt(H)) weights, zero biases (as PyTorch does)."""
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected a numpy.random.Generator, got {type(rng).__name__}")
        k = 1.0 / np.sqrt(self.hidden_size)
        params = {}
        for name, shape in self.param_shapes().items():
            if name.startswith("W_"):
                params[name] = rng.uniform(-k, k, size=shape).astype(self.dtype)
            else:
                params[name] = np.zeros(shape, dtype=self.dtype)
        return params

    def init_state(self, batch_size: int) -> State:
        return tuple(np.zeros((batch_size, self.hidden_size), self.dtype) for _ in self.state_names)

    # ----------------------------------------------------------- input half
    def project(self, params: Params, x: np.ndarray, mask: np.ndarray | None = None) -> np.ndarray:
        """u = W_xh x + b_h for any leading dimensions: (..., D) floats or (...) ids -> (..., G).

        Where ``mask`` is False the input is absent: it contributes nothing (x = 0).
        """
        W = params["W_xh"]
        b = params["b_h"] if self.has_input_bias else np.zeros(W.shape[0], W.dtype)
        if _is_ids(x):
            # W_xh x + b_h of a one-hot x is a column of W_xh plus b_h: look the rows of
            # the table (W_xh^T + b_h) up, one row per id
            table = W.T.copy(order="C")  # (V, G)
            table += b
            u = table[x]  # (..., G)
            if mask is not None:
                u[~mask] = b  # absent input: x = 0 leaves b_h
        else:
            if mask is not None:
                x = np.where(mask[..., None], x, 0.0)  # an absent x_t may hold NaN: select, not multiply
            u = x @ W.T
            u += b
        return u

    def project_backward(
        self, params: Params, x: np.ndarray, du: np.ndarray, mask: np.ndarray | None = None
    ) -> tuple[np.ndarray | None, dict[str, np.ndarray]]:
        """Gradients of the input half, summed over all leading dimensions.

        Returns ``(dx, {"W_xh": ..., "b_h": ...})``; ``dx`` is None for token ids.
        """
        G = du.shape[-1]
        du2 = du.reshape(-1, G)
        if mask is not None:
            du_in = (du * mask[..., None]).reshape(-1, G)
        else:
            du_in = du2
        W = params["W_xh"]
        if _is_ids(x):
            # dL/dW_xh[:, v] = sum of du over the (t, n) whose token is v. Grouping the
            # positions by token and summing each group is much faster than np.add.at.
            ids = x.reshape(-1)
            order = np.argsort(ids, kind="stable")  # positions, grouped by token
            tokens, starts = np.unique(ids[order], return_index=True)
            dWT = np.zeros((W.shape[1], G), dtype=du.dtype)  # (V, G)
            for v, rows in zip(tokens, np.split(order, starts[1:])):
                dWT[v] = du_in[rows].sum(axis=0)
            grads = {"W_xh": dWT.T.copy()}
            dx = None
        else:
            if mask is not None:
                x = np.where(mask[..., None], x, 0.0)
            grads = {"W_xh": du_in.T @ x.reshape(-1, x.shape[-1])}  # dL/dW_xh = sum_t du_t^T x_t
            dx = du @ W
            if mask is not None:
                dx = dx * mask[..., None]
        if self.has_input_bias:
            grads["b_h"] = du2.sum(axis=0)
        return dx, grads

    # ----------------------------------------------------------- the whole step
    def step_forward(self, params: Params, x: np.ndarray, state: State, mask: np.ndarray | None = None):
        """One time-stamp: ``(state_t, cache) = f(x_t, state_{t-1})``; cache.x holds x_t."""
        new_state, cache = self.recur_forward(params, self.project(params, x, mask), state)
        return new_state, cache._replace(x=x, mask=mask)

    def step_backward(self, params: Params, dstate: State, cache):
        """Backward of ``step_forward``: ``(dx, dstate_prev, grads of this time-stamp's copy)``."""
        du, dstate_prev, grads = self.recur_backward(params, dstate, cache)
        dx, in_grads = self.project_backward(params, cache.x, du, cache.mask)
        grads.update(in_grads)
        return dx, dstate_prev, grads

    # ----------------------------------------------------------- to override
    def recur_forward(self, params: Params, u: np.ndarray, state: State):  # pragma: no cover - abstract
        raise NotImplementedError

    def recur_backward(self, params: Params, dstate: State, cache, *, hh_grad: bool = True):  # pragma: no cover
        raise NotImplementedError

    def sequence_hh_grad(self, params: Params, dU: np.ndarray, caches) -> np.ndarray:
        """dL/dW_hh summed over a whole sequence, from each step's du (T, N, G) and cache.

        In the vanilla, layer-norm and LSTM cells W_hh h_{t-1} is added to u_t, so the
        gradient reaching that product is du_t, and the sum of the copies
        sum_t du_t^T h_{t-1} is one product of (G, T*N) by (T*N, H).
        """
        H_prev = np.stack([c.h_prev for c in caches])  # (T, N, H)
        return _sum_outer(dU, H_prev)

    def __repr__(self) -> str:
        return f"{type(self).__name__}(input_size={self.input_size}, hidden_size={self.hidden_size})"


# =========================================================================== vanilla
class VanillaCache(NamedTuple):
    x: np.ndarray | None  # (N, D) or (N,) ids
    mask: np.ndarray | None  # (N,) input present
    h_prev: np.ndarray  # (N, H)
    a: np.ndarray  # (N, H) pre-activation W_xh x_t + W_hh h_{t-1} + b_h
    h: np.ndarray  # (N, H)


class VanillaRNNCell(Cell):
    r"""The chapter's cell: h_t = Phi(a_t), a_t = W_xh x_t + W_hh h_{t-1} + b_h.

    Phi is tanh by default; ``activation="relu"`` or ``"identity"`` for the
    gradient lessons. Backward uses dh/da = Phi'(a) written in h (1 - h**2 for tanh).
    """

    kind = "vanilla"

    def __init__(self, input_size: int, hidden_size: int, *, activation: str = "tanh", dtype: type = np.float64):
        super().__init__(input_size, hidden_size, dtype=dtype)
        self.activation = check_choice("activation", activation, tuple(ACTIVATIONS))
        self._phi, self._dphi = ACTIVATIONS[self.activation]

    def recur_forward(self, params, u, state):
        (h_prev,) = state
        a = h_prev @ params["W_hh"].T  # (N, H)
        a += u  # a_t = W_xh x_t + b_h + W_hh h_{t-1}
        h = self._phi(a)
        return (h,), VanillaCache(None, None, h_prev, a, h)

    def recur_backward(self, params, dstate, cache, *, hh_grad=True):
        (dh,) = dstate
        da = dh * self._dphi(cache.h)  # dh/da = Phi'(a)
        dh_prev = da @ params["W_hh"]  # da/dh_{t-1} = W_hh
        grads = {"W_hh": da.T @ cache.h_prev} if hh_grad else {}  # da/dW_hh: h_{t-1}
        return da, (dh_prev,), grads

    def __repr__(self) -> str:
        return f"VanillaRNNCell({self.input_size}, {self.hidden_size}, activation={self.activation!r})"


# =========================================================================== layer norm
class LayerNormCache(NamedTuple):
    x: np.ndarray | None
    mask: np.ndarray | None
    h_prev: np.ndarray  # (N, H)
    a: np.ndarray  # (N, H) a_t = W_xh x_t + W_hh h_{t-1}
    mu: np.ndarray  # (N, 1)
    sigma: np.ndarray  # (N, 1)
    z: np.ndarray  # (N, H) (a - mu) / sigma
    h: np.ndarray  # (N, H)


class LayerNormRNNCell(Cell):
    r"""Layer-normalized RNN, as the chapter writes it (Ba et al., 2016).

        a_t     = W_xh x_t + W_hh h_{t-1}
        mu_t    = (1/p) sum_i a_ti,   sigma_t = sqrt((1/p) sum_i a_ti**2 - mu_t**2 + eps)
        h_t     = tanh(gamma / sigma_t * (a_t - mu_t) + beta)

    with learned gain ``gamma`` and bias ``beta`` (p = H). No b_h: subtracting mu_t would remove
    only its mean, and what is left would be divided by sigma_t; ``beta``, added after the
    normalization, is the cell's bias. ``eps`` (default 1e-6) only guards the 0/0 of a
    pre-activation whose units are all equal; ``eps=0`` is the chapter's formula verbatim.
    """

    kind = "layernorm"
    has_input_bias = False

    def __init__(self, input_size: int, hidden_size: int, *, eps: float = 1e-6, dtype: type = np.float64):
        super().__init__(input_size, hidden_size, dtype=dtype)
        self.eps = float(check_positive("eps", eps, allow_zero=True))

    def extra_param_shapes(self):
        return {"gamma": (self.hidden_size,), "beta": (self.hidden_size,)}

    def init_params(self, rng):
        params = super().init_params(rng)
        params["gamma"] = np.ones(self.hidden_size, self.dtype)
        return params

    def recur_forward(self, params, u, state):
        (h_prev,) = state
        a = h_prev @ params["W_hh"].T  # (N, H)
        a += u
        mu = a.mean(axis=-1, keepdims=True)
        centered = a - mu
        # (1/p) sum a**2 - mu**2 computed as (1/p) sum (a - mu)**2: equal, without the cancellation
        sigma = np.sqrt((centered * centered).mean(axis=-1, keepdims=True) + self.eps)
        z = centered / sigma
        h = np.tanh(params["gamma"] * z + params["beta"])
        return (h,), LayerNormCache(None, None, h_prev, a, mu, sigma, z, h)

    def recur_backward(self, params, dstate, cache, *, hh_grad=True):
        (dh,) = dstate
        ds = dh * (1.0 - cache.h * cache.h)  # through tanh
        grads = {"gamma": (ds * cache.z).sum(axis=0), "beta": ds.sum(axis=0)}
        dz = ds * params["gamma"]
        # d z / d a for z = (a - mu) / sigma, with mu and sigma functions of a:
        da = (dz - dz.mean(axis=-1, keepdims=True) - cache.z * (dz * cache.z).mean(axis=-1, keepdims=True)) / cache.sigma
        if hh_grad:
            grads["W_hh"] = da.T @ cache.h_prev
        return da, (da @ params["W_hh"],), grads


# =========================================================================== LSTM
class LSTMCache(NamedTuple):
    x: np.ndarray | None
    mask: np.ndarray | None
    h_prev: np.ndarray  # (N, H)
    c_prev: np.ndarray  # (N, H)
    i: np.ndarray  # (N, H) input gate
    f: np.ndarray  # (N, H) forget gate
    o: np.ndarray  # (N, H) output gate
    g: np.ndarray  # (N, H) candidate (the chapter's c-bar)
    c: np.ndarray  # (N, H) cell state
    tanh_c: np.ndarray  # (N, H)
    h: np.ndarray  # (N, H)


class LSTMCell(Cell):
    r"""Long short-term memory (Hochreiter & Schmidhuber, 1997), gate order :data:`LSTM_GATES`.

        [i; f; o; g] = [sigm; sigm; sigm; tanh](W_xh x_t + W_hh h_{t-1} + b_h)
        c_t = f * c_{t-1} + i * g
        h_t = o * tanh(c_t)

    The state is ``(h, c)``. The forget-gate bias starts at 1 so memory is kept early in training.
    """

    kind = "lstm"
    gates = 4
    state_names = ("h", "c")

    def init_params(self, rng):
        params = super().init_params(rng)
        H = self.hidden_size
        params["b_h"][H : 2 * H] = 1.0
        return params

    def recur_forward(self, params, u, state):
        h_prev, c_prev = state
        H = self.hidden_size
        z = h_prev @ params["W_hh"].T  # (N, 4H)
        z += u
        ifo = sigmoid(z[:, : 3 * H])
        i, f, o = ifo[:, :H], ifo[:, H : 2 * H], ifo[:, 2 * H :]
        g = np.tanh(z[:, 3 * H :])
        c = f * c_prev + i * g
        tanh_c = np.tanh(c)
        h = o * tanh_c
        return (h, c), LSTMCache(None, None, h_prev, c_prev, i, f, o, g, c, tanh_c, h)

    def recur_backward(self, params, dstate, cache, *, hh_grad=True):
        dh, dc = dstate
        k = cache
        dc = dc + dh * k.o * (1.0 - k.tanh_c * k.tanh_c)  # h = o tanh(c)
        dz = np.concatenate(
            [
                dc * k.g * k.i * (1.0 - k.i),  # di * sigm'
                dc * k.c_prev * k.f * (1.0 - k.f),  # df * sigm'
                dh * k.tanh_c * k.o * (1.0 - k.o),  # do * sigm'
                dc * k.i * (1.0 - k.g * k.g),  # dg * tanh'
            ],
            axis=1,
        )
        dh_prev = dz @ params["W_hh"]
        grads = {"W_hh": dz.T @ k.h_prev} if hh_grad else {}
        return dz, (dh_prev, dc * k.f), grads


# =========================================================================== GRU
class GRUCache(NamedTuple):
    x: np.ndarray | None
    mask: np.ndarray | None
    h_prev: np.ndarray  # (N, H)
    r: np.ndarray  # (N, H) reset gate
    z: np.ndarray  # (N, H) update gate
    n: np.ndarray  # (N, H) candidate
    hn: np.ndarray  # (N, H) r*h_{t-1} (original) or W_hn h_{t-1} + b_hn (reset-after)
    h: np.ndarray  # (N, H)


class GRUCell(Cell):
    r"""Gated recurrent unit (Cho et al., 2014), gate order :data:`GRU_GATES`.

    Original formulation (default): the reset gate acts on h_{t-1} *before* the product,

        r = sigm(W_xr x + W_hr h_{t-1} + b_r),   z = sigm(W_xz x + W_hz h_{t-1} + b_z)
        n = tanh(W_xn x + W_hn (r * h_{t-1}) + b_n)
        h_t = (1 - z) * n + z * h_{t-1}

    ``reset_after=True`` is the variant of PyTorch and cuDNN:
    n = tanh(W_xn x + b_n + r * (W_hn h_{t-1} + b_hn)), with its own recurrent bias ``b_hn``.
    """

    kind = "gru"
    gates = 3

    def __init__(self, input_size: int, hidden_size: int, *, reset_after: bool = False, dtype: type = np.float64):
        super().__init__(input_size, hidden_size, dtype=dtype)
        if not isinstance(reset_after, (bool, np.bool_)):
            raise TypeError(f"reset_after: expected True or False, got {reset_after!r}")
        self.reset_after = bool(reset_after)

    def extra_param_shapes(self):
        return {"b_hn": (self.hidden_size,)} if self.reset_after else {}

    def recur_forward(self, params, u, state):
        (h_prev,) = state
        H = self.hidden_size
        W = params["W_hh"]
        if self.reset_after:
            hW = h_prev @ W.T  # (N, 3H): W_hr h, W_hz h, W_hn h in one product
            rz = sigmoid(u[:, : 2 * H] + hW[:, : 2 * H])
            r, z = rz[:, :H], rz[:, H:]
            hn = hW[:, 2 * H :] + params["b_hn"]
            n = np.tanh(u[:, 2 * H :] + r * hn)
        else:
            rz = sigmoid(u[:, : 2 * H] + h_prev @ W[: 2 * H].T)
            r, z = rz[:, :H], rz[:, H:]
            hn = r * h_prev
            n = np.tanh(u[:, 2 * H :] + hn @ W[2 * H :].T)
        h = (1.0 - z) * n + z * h_prev
        return (h,), GRUCache(None, None, h_prev, r, z, n, hn, h)

    def recur_backward(self, params, dstate, cache, *, hh_grad=True):
        (dh,) = dstate
        k = cache
        H = self.hidden_size
        W = params["W_hh"]
        dn_pre = dh * (1.0 - k.z) * (1.0 - k.n * k.n)
        dz_pre = dh * (k.h_prev - k.n) * k.z * (1.0 - k.z)
        grads = {}
        if self.reset_after:
            dr_pre = dn_pre * k.hn * k.r * (1.0 - k.r)
            dhn = dn_pre * k.r  # gradient into W_hn h_{t-1} + b_hn
            dA = np.concatenate([dr_pre, dz_pre, dhn], axis=1)  # (N, 3H) gradient into W_hh h_{t-1}
            dh_prev = dh * k.z + dA @ W
            if hh_grad:
                grads["W_hh"] = dA.T @ k.h_prev
            grads["b_hn"] = dhn.sum(axis=0)
        else:
            drh = dn_pre @ W[2 * H :]  # gradient into r * h_{t-1}
            dr_pre = drh * k.h_prev * k.r * (1.0 - k.r)
            drz = np.concatenate([dr_pre, dz_pre], axis=1)  # (N, 2H)
            dh_prev = dh * k.z + drh * k.r + drz @ W[: 2 * H]
            if hh_grad:
                grads["W_hh"] = np.concatenate([drz.T @ k.h_prev, dn_pre.T @ k.hn], axis=0)
        du = np.concatenate([dr_pre, dz_pre, dn_pre], axis=1)  # (N, 3H)
        return du, (dh_prev,), grads

    def sequence_hh_grad(self, params, dU, caches):
        """sum_t dA_t^T B_t as products over all time-stamps at once.

        The r and z rows are du^T h_{t-1} as in the other cells; the candidate's rows differ:
        reset-after, W_hn h_{t-1} sits inside r * (W_hn h_{t-1} + b_hn), so dA = du_n * r;
        original, W_hn multiplies r * h_{t-1}, so B = r * h_{t-1}.
        """
        H = self.hidden_size
        H_prev = np.stack([c.h_prev for c in caches])  # (T, N, H)
        dW_rz = _sum_outer(dU[..., : 2 * H], H_prev)  # (2H, H)
        if self.reset_after:
            dHN = dU[..., 2 * H :] * np.stack([c.r for c in caches])  # (T, N, H) into W_hn h_{t-1} + b_hn
            dW_n = _sum_outer(dHN, H_prev)
        else:
            RH = np.stack([c.hn for c in caches])  # (T, N, H): r * h_{t-1}
            dW_n = _sum_outer(dU[..., 2 * H :], RH)
        return np.concatenate([dW_rz, dW_n], axis=0)

    def __repr__(self) -> str:
        return f"GRUCell({self.input_size}, {self.hidden_size}, reset_after={self.reset_after})"


#: Cell names accepted wherever a cell is chosen by name.
CELLS = {
    "vanilla": VanillaRNNCell,
    "layernorm": LayerNormRNNCell,
    "lstm": LSTMCell,
    "gru": GRUCell,
}


def make_cell(kind: str | Cell, input_size: int, hidden_size: int, **options) -> Cell:
    """Build a cell by name (``"vanilla"``, ``"layernorm"``, ``"lstm"``, ``"gru"``).

    ``options`` are passed to the cell (``activation=`` for vanilla, ``eps=`` for
    layernorm, ``reset_after=`` for GRU); an option the cell does not take is an error.
    """
    if isinstance(kind, Cell):
        return kind
    cls = CELLS[check_choice("cell", kind, tuple(CELLS))]
    import inspect

    accepted = set(inspect.signature(cls.__init__).parameters) - {"self", "input_size", "hidden_size"}
    unknown = set(options) - accepted
    if unknown:
        raise ValueError(
            f"cell {kind!r} does not take option(s) {', '.join(sorted(unknown))}; it takes {', '.join(sorted(accepted))}"
        )
    return cls(input_size, hidden_size, **options)
