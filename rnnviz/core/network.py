r"""Sequences: unrolling any cell in time, backpropagation through time, and networks.

A :class:`Network` stacks layers of cells (any cell in any layer), each layer
optionally bidirectional, under an output layer y_t = W_hy h_t + b_y:

* **multilayer** (the chapter's 7.2.5): layer k reads the states of layer k-1,
  h_t^k = tanh(W^k [h_t^{k-1}; h_{t-1}^k]) with W^k = [W_xh^k, W_hh^k] (p x (d+p)
  for k = 1, p x (p+p) above). Stored as two arrays; :func:`stacked_weights` gives W^k.
* **bidirectional** (7.2.4): independent forward and backward states
  h_t^f = tanh(W_xh^f x_t + W_hh^f h_{t-1}^f), h_t^b = tanh(W_xh^b x_t + W_hh^b h_{t+1}^b),
  y_t = W_hy^f h_t^f + W_hy^b h_t^b. ``out.W_hy`` is [W_hy^f, W_hy^b] side by side,
  so W_hy [h^f; h^b] is exactly that sum; :func:`split_output_weights` separates them.

Parameters are one flat dict with dotted keys, ``"layer0.fwd.W_hh"``,
``"layer1.bwd.b_h"``, ``"out.W_hy"``; gradients come back with the same keys.

BPTT is done the chapter's way: each time-stamp's copy of the shared weights gets
its own gradient (``Backward.copies`` when asked for) and the true gradient is their
sum. The input half W_xh x_t of all time-stamps is done in one product, which is the
same sum written as one matrix multiply.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from typing import NamedTuple

import numpy as np

from .cells import Cell, State, make_cell
from .checks import as_float_array, as_index_array, as_mask, check_choice, check_params, check_positive
from .losses import LossResult, softmax_nll, squared_error

__all__ = [
    "Backward",
    "Evaluation",
    "Forward",
    "Network",
    "Window",
    "stacked_weights",
    "split_output_weights",
    "stream_windows",
    "tbptt_gradient",
    "truncated_bptt",
    "unroll",
    "unroll_backward",
]

LOSSES = {"softmax_nll": softmax_nll, "squared_error": squared_error}
DIRECTIONS = ("fwd", "bwd")


# =========================================================================== one layer in time
class LayerCache(NamedTuple):
    x: np.ndarray  # (T, N, D) inputs of this layer, or (T, N) ids
    mask: np.ndarray | None  # (T, N) input present
    steps: list  # per time-stamp cache of the cell (index = time-stamp)
    reverse: bool  # True for the backward direction (t = T ... 1)


def _order(T: int, reverse: bool) -> range:
    return range(T - 1, -1, -1) if reverse else range(T)


def unroll(
    cell: Cell, params: Mapping[str, np.ndarray], X: np.ndarray, state0: State, *, reverse: bool = False,
    mask: np.ndarray | None = None,
) -> tuple[np.ndarray, State, LayerCache]:
    """Run ``cell`` over time-major inputs ``X`` (T, N, D) (or ids (T, N)) from ``state0``.

    Returns the states h_t (T, N, H) (index t is time-stamp t whatever the
    direction), the last state, and the cache for :func:`unroll_backward`.
    """
    T, N = X.shape[0], X.shape[1]
    U = cell.project(params, X, mask)  # (T, N, G): W_xh x_t + b_h for every t at once
    hs = np.empty((T, N, cell.hidden_size), dtype=U.dtype)
    steps: list = [None] * T
    state = state0
    for t in _order(T, reverse):
        state, steps[t] = cell.recur_forward(params, U[t], state)
        hs[t] = state[0]
    return hs, state, LayerCache(X, mask, steps, reverse)


def unroll_backward(
    cell: Cell, params: Mapping[str, np.ndarray], dhs: np.ndarray, cache: LayerCache, *,
    dstate_last: State | None = None, keep_copies: bool = False,
):
    """BPTT through one layer.

    ``dhs`` (T, N, H) is the gradient reaching each h_t from above (the output
    layer or the next layer). Walking back in time, dL/dh_t = (from above) +
    (from h_{t+1} through the recurrence). Returns ``(dX, dstate0, grads, dh, copies)``:
    ``dh`` (T, N, H) holds the total dL/dh_t; ``copies`` maps each parameter to a
    (T, ...) array of its per-time-stamp gradient copies (or is None).
    """
    T, N = dhs.shape[0], dhs.shape[1]
    steps = cache.steps
    dstate = dstate_last if dstate_last is not None else tuple(np.zeros_like(s) for s in cell.init_state(N))
    G = cell.gates * cell.hidden_size
    dU = np.empty((T, N, G), dtype=dhs.dtype)
    dh = np.empty_like(dhs)
    grads: dict[str, np.ndarray] = {}
    rec_copies: dict[str, list] = {}
    for t in reversed(_order(T, cache.reverse)):
        dstate = (dstate[0] + dhs[t],) + tuple(dstate[1:])
        dh[t] = dstate[0]
        # each step's W_hh copy is only formed when asked for; otherwise their sum is one product below
        dU[t], dstate, g = cell.recur_backward(params, dstate, steps[t], hh_grad=keep_copies)
        for key, val in g.items():
            grads[key] = grads[key] + val if key in grads else val
            if keep_copies:
                rec_copies.setdefault(key, [None] * T)[t] = val
    if not keep_copies:
        grads["W_hh"] = cell.sequence_hh_grad(params, dU, steps)  # sum_t dA_t^T h_{t-1}
    dX, in_grads = cell.project_backward(params, cache.x, dU, cache.mask)
    grads.update(in_grads)
    copies = None
    if keep_copies:
        copies = {key: np.stack(vals) for key, vals in rec_copies.items()}
        per_t = [cell.project_backward(params, cache.x[t], dU[t], None if cache.mask is None else cache.mask[t])[1]
                 for t in range(T)]
        for key in in_grads:
            copies[key] = np.stack([g[key] for g in per_t])
    return dX, dstate, grads, dh, copies


# =========================================================================== results
class Forward(NamedTuple):
    Y: np.ndarray  # (N, T, K) outputs y_t, or (N, K) with outputs="last"
    hidden: dict  # "layer0.fwd" -> (N, T, H) states h_t
    final_state: dict  # "layer0.fwd" -> state tuple after the last step of that direction
    cache: object  # for Network.backward


class Backward(NamedTuple):
    grads: dict  # same keys as params
    dX: np.ndarray | None  # (N, T, D) gradient of the inputs (None for token ids)
    dstate0: dict  # "layer0.fwd" -> gradient of the initial state tuple
    dh: dict  # "layer0.fwd" -> (N, T, H) total dL/dh_t
    copies: dict | None  # param key -> (T, ...) per-time-stamp copies (keep_copies=True)

    def dh_norms(self) -> dict:
        """||dL/dh_t|| (over batch and units) for every t, layer and direction: key -> (T,)."""
        return {k: np.sqrt((v * v).sum(axis=(0, 2))) for k, v in self.dh.items()}


class Evaluation(NamedTuple):
    loss: float
    grads: dict
    forward: Forward
    backward: Backward
    loss_result: LossResult


class _NetCache(NamedTuple):
    layers: list  # per layer: {"fwd": LayerCache, "bwd": LayerCache}
    top: np.ndarray  # (T, N, Htop) states fed to the output layer
    outputs: str
    N: int
    T: int
    ids: bool


# =========================================================================== the network
class Network:
    """A recurrent network: ``num_layers`` layers of cells, optionally bidirectional, and an output layer.

    Parameters
    ----------
    input_size : D, the size of x_t -- or the vocabulary size V when inputs are token ids.
    hidden_size : H (p in the chapter), one int or one per layer.
    output_size : K of y_t = W_hy h_t + b_y; None for no output layer (Y is then the top states).
    cell : ``"vanilla"``, ``"layernorm"``, ``"lstm"``, ``"gru"``, or one name per layer.
    cell_options : options of the cell (``activation="relu"``, ``reset_after=True``...), one dict or one per layer.

    >>> net = Network(input_size=5, hidden_size=3, output_size=5)
    >>> params = net.init_params(np.random.default_rng(0))
    >>> sorted(params)
    ['layer0.fwd.W_hh', 'layer0.fwd.W_xh', 'layer0.fwd.b_h', 'out.W_hy', 'out.b_y']
    """

    def __init__(
        self,
        input_size: int,
        hidden_size: int | Sequence[int],
        output_size: int | None = None,
        *,
        cell: str | Sequence[str] = "vanilla",
        num_layers: int = 1,
        bidirectional: bool = False,
        cell_options: Mapping | Sequence[Mapping] | None = None,
        dtype: type = np.float64,
    ):
        self.num_layers = int(check_positive("num_layers", num_layers, integer=True))
        L = self.num_layers
        self.input_size = int(check_positive("input_size", input_size, integer=True))
        self.output_size = None if output_size is None else int(check_positive("output_size", output_size, integer=True))
        if not isinstance(bidirectional, (bool, np.bool_)):
            raise TypeError(f"bidirectional: expected True or False, got {bidirectional!r}")
        self.bidirectional = bool(bidirectional)
        self.dtype = np.dtype(dtype)
        sizes = self._per_layer("hidden_size", hidden_size, int)
        kinds = self._per_layer("cell", cell, str)
        if cell_options is None or isinstance(cell_options, Mapping):
            options = [dict(cell_options or {})] * L
        else:
            options = self._per_layer("cell_options", cell_options, Mapping)
        self.directions = DIRECTIONS if self.bidirectional else DIRECTIONS[:1]
        self.layers: list[dict[str, Cell]] = []
        d_in = self.input_size
        for k in range(L):
            self.layers.append(
                {dr: make_cell(kinds[k], d_in, sizes[k], dtype=self.dtype, **options[k]) for dr in self.directions}
            )
            d_in = sizes[k] * len(self.directions)
        self.top_size = d_in
        self._shapes = self.param_shapes()

    def _per_layer(self, name, value, kind):
        if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
            return [value] * self.num_layers
        if isinstance(value, (list, tuple)) and len(value) == self.num_layers and all(isinstance(v, kind) for v in value):
            return list(value)
        raise ValueError(f"{name}: expected one {kind.__name__} or a list of {self.num_layers} (one per layer), got {value!r}")

    # ------------------------------------------------------------------ params
    def param_shapes(self) -> dict[str, tuple[int, ...]]:
        shapes = {}
        for k, layer in enumerate(self.layers):
            for dr, cell in layer.items():
                for name, shape in cell.param_shapes().items():
                    shapes[f"layer{k}.{dr}.{name}"] = shape
        if self.output_size is not None:
            shapes["out.W_hy"] = (self.output_size, self.top_size)
            shapes["out.b_y"] = (self.output_size,)
        return shapes

    def init_params(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        if not isinstance(rng, np.random.Generator):
            raise TypeError(f"rng: expected a numpy.random.Generator (np.random.default_rng(seed)), got {type(rng).__name__}")
        params = {}
        for k, layer in enumerate(self.layers):
            for dr, cell in layer.items():
                for name, value in cell.init_params(rng).items():
                    params[f"layer{k}.{dr}.{name}"] = value
        if self.output_size is not None:
            s = 1.0 / np.sqrt(self.top_size)
            params["out.W_hy"] = rng.uniform(-s, s, (self.output_size, self.top_size)).astype(self.dtype)
            params["out.b_y"] = np.zeros(self.output_size, self.dtype)
        return params

    def check_params(self, params: Mapping[str, np.ndarray]) -> None:
        check_params("params", params, self._shapes)

    @staticmethod
    def sub(params: Mapping[str, np.ndarray], prefix: str) -> dict[str, np.ndarray]:
        """The parameters under ``prefix`` with the prefix removed: sub(p, "layer0.fwd")["W_hh"]."""
        n = len(prefix) + 1
        return {k[n:]: v for k, v in params.items() if k.startswith(prefix + ".")}

    def init_state(self, batch_size: int) -> dict[str, State]:
        return {f"layer{k}.{dr}": cell.init_state(batch_size) for k, layer in enumerate(self.layers) for dr, cell in layer.items()}

    def __repr__(self) -> str:
        cells = ", ".join(repr(layer["fwd"]) for layer in self.layers)
        bi = ", bidirectional" if self.bidirectional else ""
        return f"Network([{cells}]{bi}, output_size={self.output_size})"

    # ------------------------------------------------------------------ checks
    def _check_inputs(self, X, input_mask):
        arr = np.asarray(X) if not isinstance(X, np.ndarray) else X
        if arr.dtype.kind in "iu":
            ids = as_index_array("X", arr, ("N", "T"), high=self.input_size)
            mask = as_mask("input_mask", input_mask, ids.shape)
            return ids, mask, True
        mask_shape = arr.shape[:2] if arr.ndim == 3 else None
        mask = as_mask("input_mask", input_mask, mask_shape) if (input_mask is not None and mask_shape) else None
        Xf = as_float_array("X", arr, ("N", "T", self.input_size), dtype=self.dtype,
                            finite_where=None if mask is None else mask[..., None])
        if input_mask is not None and mask is None:
            as_mask("input_mask", input_mask, Xf.shape[:2])
        return Xf, mask, False

    def _check_state0(self, state0, N):
        if state0 is None:
            return self.init_state(N)
        if not isinstance(state0, Mapping):
            raise TypeError("state0: expected a dict like net.init_state(N) (key -> tuple of (N, H) arrays)")
        full = self.init_state(N)
        for key, value in state0.items():
            if key not in full:
                raise ValueError(f"state0: unknown key {key!r}; expected keys {', '.join(full)}")
            if not isinstance(value, tuple) or len(value) != len(full[key]):
                raise ValueError(f"state0[{key!r}]: expected a tuple of {len(full[key])} array(s)")
            full[key] = tuple(
                as_float_array(f"state0[{key!r}][{i}]", v, (N, ref.shape[1]), dtype=self.dtype)
                for i, (v, ref) in enumerate(zip(value, full[key]))
            )
        return full

    # ------------------------------------------------------------------ forward / backward
    def forward(self, params, X, *, state0=None, input_mask=None, outputs: str = "all") -> Forward:
        """Run the network over a batch.

        X: (N, T, D) floats, or (N, T) token ids in [0, input_size).
        input_mask: (N, T), False where x_t is absent (it then contributes nothing).
        state0: initial states, a dict like ``init_state(N)``; zeros when omitted.
        outputs: ``"all"`` gives y_t for every t, (N, T, K); ``"last"`` one y per
        sequence from the final states (h_T^f, and h_1^b when bidirectional), (N, K).
        """
        self.check_params(params)
        check_choice("outputs", outputs, ("all", "last"))
        X, mask, ids = self._check_inputs(X, input_mask)
        N, T = X.shape[0], X.shape[1]
        state0 = self._check_state0(state0, N)
        inp = np.ascontiguousarray(X.swapaxes(0, 1))  # (T, N, D) or (T, N): time-major inside
        mask_t = None if mask is None else np.ascontiguousarray(mask.T)
        layer_caches, hidden, final = [], {}, {}
        for k, layer in enumerate(self.layers):
            outs, caches = [], {}
            for dr, cell in layer.items():
                key = f"layer{k}.{dr}"
                hs, final[key], caches[dr] = unroll(
                    cell, self.sub(params, key), inp, state0[key], reverse=dr == "bwd", mask=mask_t if k == 0 else None
                )
                hidden[key] = hs.swapaxes(0, 1)
                outs.append(hs)
            layer_caches.append(caches)
            inp = outs[0] if len(outs) == 1 else np.concatenate(outs, axis=-1)  # (T, N, H) or (T, N, 2H)
        top = inp
        if outputs == "last":
            top_out = self._last(top)
        else:
            top_out = top.swapaxes(0, 1)  # (N, T, Htop)
        if self.output_size is None:
            Y = np.ascontiguousarray(top_out)
        else:
            Y = top_out @ params["out.W_hy"].T + params["out.b_y"]  # y_t = W_hy h_t + b_y
        return Forward(Y, hidden, final, _NetCache(layer_caches, top, outputs, N, T, ids))

    def _last(self, top):
        """Final states of each direction: h_T^f (and h_1^b): (N, Htop)."""
        if not self.bidirectional:
            return top[-1]
        H = top.shape[-1] // 2
        return np.concatenate([top[-1, :, :H], top[0, :, H:]], axis=-1)

    def backward(self, params, dY, cache, *, dfinal_state=None, keep_copies: bool = False) -> Backward:
        """BPTT: gradients of all parameters given dL/dY (same shape as ``Forward.Y``).

        dfinal_state: optional gradients reaching the final states (dict like ``final_state``).
        keep_copies: also return each time-stamp's copy of every gradient.
        """
        if not isinstance(cache, _NetCache):
            raise TypeError("cache: expected the cache of Network.forward (forward(...).cache)")
        N, T = cache.N, cache.T
        want = (N, self.top_size if self.output_size is None else self.output_size)
        if cache.outputs == "all":
            want = (N, T, want[1])
        dY = as_float_array("dY", dY, want, dtype=self.dtype)
        grads: dict[str, np.ndarray] = {}
        copies: dict[str, np.ndarray] | None = {} if keep_copies else None
        top = cache.top  # (T, N, Htop)
        if cache.outputs == "last":
            top_last = self._last(top)
            if self.output_size is not None:
                grads["out.W_hy"] = dY.T @ top_last
                grads["out.b_y"] = dY.sum(axis=0)
                d_last = dY @ params["out.W_hy"]
            else:
                d_last = dY
            dtop = np.zeros_like(top)
            if self.bidirectional:
                H = top.shape[-1] // 2
                dtop[-1, :, :H] = d_last[:, :H]
                dtop[0, :, H:] = d_last[:, H:]
            else:
                dtop[-1] = d_last
        else:
            dYt = dY.swapaxes(0, 1)  # (T, N, K)
            if self.output_size is not None:
                K = dYt.shape[-1]
                grads["out.W_hy"] = dYt.reshape(-1, K).T @ top.reshape(-1, top.shape[-1])  # sum_t dy_t^T h_t
                grads["out.b_y"] = dYt.reshape(-1, K).sum(axis=0)
                dtop = dYt @ params["out.W_hy"]  # (T, N, Htop)
                if keep_copies:
                    copies["out.W_hy"] = np.einsum("tnk,tnh->tkh", dYt, top)
                    copies["out.b_y"] = dYt.sum(axis=1)
            else:
                dtop = np.ascontiguousarray(dYt)
        dstate0, dh = {}, {}
        dfinal_state = dfinal_state or {}
        dX = None
        for k in range(self.num_layers - 1, -1, -1):
            layer = self.layers[k]
            dX = None
            offset = 0
            for dr, cell in layer.items():
                key = f"layer{k}.{dr}"
                H = cell.hidden_size
                dx, dstate0[key], g, dh_k, cp = unroll_backward(
                    cell, self.sub(params, key), np.ascontiguousarray(dtop[..., offset : offset + H]),
                    cache.layers[k][dr], dstate_last=dfinal_state.get(key), keep_copies=keep_copies,
                )
                offset += H
                dh[key] = dh_k.swapaxes(0, 1)
                for name, val in g.items():
                    grads[f"{key}.{name}"] = val
                if keep_copies:
                    for name, val in cp.items():
                        copies[f"{key}.{name}"] = val
                if dx is not None:
                    dX = dx if dX is None else dX + dx
            dtop = dX
        return Backward(
            {key: grads[key] for key in self._shapes}, None if dX is None else dX.swapaxes(0, 1), dstate0, dh, copies
        )

    def evaluate(
        self, params, X, targets, *, loss: str = "softmax_nll", target_mask=None, input_mask=None, state0=None,
        outputs: str = "all", reduction: str = "sum", keep_copies: bool = False,
    ) -> Evaluation:
        """Forward, loss and BPTT in one call: ``Evaluation(loss, grads, forward, backward, loss_result)``.

        loss: ``"softmax_nll"`` (targets are ids) or ``"squared_error"`` (targets like Y).
        target_mask: False where a target is absent (that time-stamp adds no loss).
        """
        fn = LOSSES[check_choice("loss", loss, tuple(LOSSES))]
        fwd = self.forward(params, X, state0=state0, input_mask=input_mask, outputs=outputs)
        res = fn(fwd.Y, targets, target_mask, reduction=reduction)
        bwd = self.backward(params, res.dY, fwd.cache, keep_copies=keep_copies)
        return Evaluation(res.loss, bwd.grads, fwd, bwd, res)

    # ------------------------------------------------------------------ diagnostics
    def jacobian_norms(self, params, cache, *, layer: int = 0, direction: str = "fwd", sample: int = 0,
                       ord: int | str = 2) -> np.ndarray:
        r"""||dh_T / dh_t|| for every t (T,), for one sequence of the batch.

        The Jacobian of the last state of that direction with respect to each earlier
        state, the product of the step Jacobians dh_{s}/dh_{s-1} (Pascanu et al., 2013).
        ``ord=2`` is the spectral norm, ``"fro"`` the Frobenius norm. For the LSTM the state
        is (h, c) and the norm is that of dh_T / d(h_t, c_t). Once the product overflows (the
        exploding regime), the norm of every earlier t is ``inf``: it has no finite value.
        """
        if not isinstance(cache, _NetCache):
            raise TypeError("cache: expected the cache of Network.forward (forward(...).cache)")
        if not (isinstance(layer, (int, np.integer)) and 0 <= layer < self.num_layers):
            raise ValueError(f"layer: expected 0 <= layer < {self.num_layers}, got {layer!r}")
        check_choice("direction", direction, self.directions)
        if not (isinstance(sample, (int, np.integer)) and 0 <= sample < cache.N):
            raise ValueError(f"sample: expected 0 <= sample < {cache.N}, got {sample!r}")
        cell = self.layers[layer][direction]
        p = self.sub(params, f"layer{layer}.{direction}")
        lc = cache.layers[layer][direction]
        H, T = cell.hidden_size, cache.T

        def one_sample(step_cache):
            return type(step_cache)(*[
                f if not isinstance(f, np.ndarray) or f.ndim == 0 else np.repeat(f[sample : sample + 1], H, axis=0)
                for f in step_cache
            ])

        dstate = (np.eye(H, dtype=self.dtype),) + tuple(np.zeros((H, H), self.dtype) for _ in cell.state_names[1:])
        norms = np.empty(T)
        order = list(reversed(_order(T, lc.reverse)))  # from the last state back
        for idx, t in enumerate(order):
            J = np.concatenate(dstate, axis=1) if len(dstate) > 1 else dstate[0]
            # LAPACK's SVD fails on inf/NaN entries (and writes to stderr): an overflowed product is inf
            norms[t] = np.linalg.norm(J, ord) if np.isfinite(J).all() else np.inf
            if idx + 1 < len(order):
                _, dstate, _ = cell.recur_backward(p, dstate, one_sample(lc.steps[t]))
        return norms


# =========================================================================== helpers on params
def stacked_weights(params: Mapping[str, np.ndarray], layer: int, direction: str = "fwd") -> np.ndarray:
    """The chapter's W^k = [W_xh^k, W_hh^k] of a layer: p x (d + p), so h_t^k = tanh(W^k [x; h_{t-1}] + b)."""
    key = f"layer{layer}.{direction}"
    if f"{key}.W_xh" not in params:
        raise ValueError(f"params: no layer {key!r}")
    return np.concatenate([params[f"{key}.W_xh"], params[f"{key}.W_hh"]], axis=1)


def split_output_weights(params: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """(W_hy^f, W_hy^b) of a bidirectional network, so y_t = W_hy^f h_t^f + W_hy^b h_t^b + b_y."""
    W = params["out.W_hy"]
    if W.shape[1] % 2:
        raise ValueError("params: out.W_hy has an odd number of columns; is this network bidirectional?")
    half = W.shape[1] // 2
    return W[:, :half], W[:, half:]


# =========================================================================== truncated BPTT
class Window(NamedTuple):
    start: int
    stop: int
    loss: float
    grads: dict
    state: dict  # final state of the window, carried into the next


def truncated_bptt(
    net: Network, params, X, targets, window: int, *, state0=None, loss: str = "softmax_nll", target_mask=None,
    input_mask=None, reduction: str = "sum",
) -> Iterator[Window]:
    """Truncated BPTT: cut the sequence into windows of ``window`` time-stamps.

    Each window starts from the state the previous one ended in (the state is
    carried forward) but its gradient stops at the window's start (no backward
    through earlier windows). Yields one :class:`Window` per window; a training loop
    takes a step after each, a gradient lesson sums them (:func:`tbptt_gradient`).
    """
    window = int(check_positive("window", window, integer=True))
    if net.bidirectional:
        raise ValueError("truncated BPTT carries the state forward in time; it needs a unidirectional network")
    Xa = np.asarray(X)
    if Xa.ndim < 2 or Xa.shape[1] == 0:
        raise ValueError(f"X: expected (N, T, ...) with T >= 1, got shape {Xa.shape}")
    T = Xa.shape[1]
    tg = np.asarray(targets)
    tm = None if target_mask is None else np.asarray(target_mask)
    im = None if input_mask is None else np.asarray(input_mask)
    state = state0
    for start in range(0, T, window):
        stop = min(start + window, T)
        ev = net.evaluate(
            params, Xa[:, start:stop], tg[:, start:stop], loss=loss, state0=state, reduction=reduction,
            target_mask=None if tm is None else tm[:, start:stop], input_mask=None if im is None else im[:, start:stop],
        )
        state = ev.forward.final_state
        yield Window(start, stop, ev.loss, ev.grads, state)


def tbptt_gradient(net: Network, params, X, targets, window: int, **kwargs) -> tuple[float, dict, dict]:
    """Sum of the windows' losses and gradients: ``(loss, grads, final_state)``.

    With ``window >= T`` this is the exact gradient; smaller windows drop the terms
    that would cross a window boundary.
    """
    total, grads, state = 0.0, None, None
    for w in truncated_bptt(net, params, X, targets, window, **kwargs):
        total += w.loss
        grads = w.grads if grads is None else {k: grads[k] + w.grads[k] for k in grads}
        state = w.state
    return total, grads, state


def stream_windows(tokens, batch_size: int, window: int) -> Iterator[tuple[np.ndarray, np.ndarray]]:
    """Cut one long token stream into ``batch_size`` parallel streams and yield windows.

    Yields ``(X, targets)`` of shape (N, window), the targets being the next
    tokens; stream n continues across windows, so a stateful model carries its
    state from one window to the next (the usual stateful language-model training).
    """
    batch_size = int(check_positive("batch_size", batch_size, integer=True))
    window = int(check_positive("window", window, integer=True))
    tokens = np.asarray(tokens)
    if tokens.ndim != 1 or tokens.dtype.kind not in "iu":
        raise TypeError(f"tokens: expected a 1-D array of integer ids, got dtype {tokens.dtype} and shape {tokens.shape}")
    per = (tokens.size - 1) // batch_size
    if per < 1:
        raise ValueError(f"tokens: {tokens.size} tokens are too few for {batch_size} streams")
    streams = tokens[: per * batch_size + 1]
    X = streams[:-1].reshape(batch_size, per)
    Y = streams[1:].reshape(batch_size, per)
    for start in range(0, per, window):
        yield X[:, start : start + window], Y[:, start : start + window]
