r"""Weights in PyTorch's layout: load a ``torch.nn.RNN/LSTM/GRU`` state dict, or export one.

PyTorch names a recurrent module's weights per layer ``k`` (and ``_reverse`` for the
backward direction of a bidirectional module)::

    weight_ih_l{k}   (G*H, D_k)   here W_xh      D_0 = D, D_k = H * directions above
    weight_hh_l{k}   (G*H, H)     here W_hh
    bias_ih_l{k}     (G*H,)       }  here one b_h (and b_hn for the GRU)
    bias_hh_l{k}     (G*H,)       }

with G = 1 (RNN), 4 (LSTM) or 3 (GRU) stacked gate blocks. Three things differ from rnnviz:

* **gate order** -- PyTorch's LSTM stacks (i, f, g, o); rnnviz's :data:`LSTM_GATES` is
  (i, f, o, g), so the last two H-row blocks swap. The GRU's (r, z, n) is the same.
* **two biases** -- PyTorch adds b_ih + b_hh. Where both enter the same sum
  (RNN, LSTM, the GRU's r and z) rnnviz has their sum b_h. The GRU's candidate is
  n = tanh(W_in x + b_in + r * (W_hn h + b_hn)): b_hn sits inside the product with r,
  so it stays separate -- rnnviz's ``b_hn`` of a ``reset_after=True`` GRU.
* **the output layer** is another module in PyTorch (``nn.Linear``); pass its key
  prefix, e.g. ``linear_prefix="fc."`` for ``fc.weight`` (K, H*directions) and ``fc.bias`` (K,).

The arrays are NumPy (``{k: v.numpy() for k, v in module.state_dict().items()}``);
this module never imports torch.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import numpy as np

from .cells import GRUCell, LayerNormRNNCell, LSTMCell, VanillaRNNCell
from .checks import as_float_array, check_choice
from .network import Network

__all__ = ["from_torch_state_dict", "to_torch_state_dict"]

#: PyTorch's modules and how many H-row gate blocks their stacked weights have.
TORCH_GATES = {"vanilla": 1, "lstm": 4, "gru": 3}

#: Block i of rnnviz's LSTM weights is block LSTM_FROM_TORCH[i] of PyTorch's:
#: rnnviz (i, f, o, g) <- PyTorch (i, f, g, o).
LSTM_FROM_TORCH = (0, 1, 3, 2)

_KEY = re.compile(r"^(weight_ih|weight_hh|bias_ih|bias_hh)_l(\d+)(_reverse)?$")


def _reorder(kind: str, a: np.ndarray, H: int) -> np.ndarray:
    """Swap the g and o blocks of LSTM weights (the swap is its own inverse); others unchanged."""
    if kind != "lstm":
        return a
    return np.concatenate([a[j * H : (j + 1) * H] for j in LSTM_FROM_TORCH], axis=0)


# =========================================================================== import
def from_torch_state_dict(
    state_dict: Mapping[str, object],
    *,
    cell: str,
    activation: str = "tanh",
    prefix: str = "",
    linear_prefix: str | None = None,
    dtype: type = np.float64,
) -> tuple[Network, dict[str, np.ndarray]]:
    """Build the rnnviz :class:`Network` of a PyTorch recurrent module and its parameters.

    state_dict : the module's state dict as NumPy arrays (any array-like works).
    cell : ``"vanilla"`` (``nn.RNN``), ``"lstm"`` (``nn.LSTM``) or ``"gru"`` (``nn.GRU``,
        which becomes a ``reset_after=True`` GRU).
    activation : ``nn.RNN``'s ``nonlinearity``, ``"tanh"`` or ``"relu"`` (the state dict does not record it).
    prefix : the recurrent module's key prefix in a bigger model's state dict, e.g. ``"rnn."``.
    linear_prefix : the output ``nn.Linear``'s prefix (``"fc."`` reads ``fc.weight``, ``fc.bias``)
        into ``out.W_hy``, ``out.b_y``; None for a network without an output layer.

    Sizes, the number of layers and bidirectionality are read off the keys and shapes. A
    module built with ``bias=False`` (no bias keys at all) gets zero biases. Every key must
    be used: a missing or unexpected key, or a shape that does not fit, is a ValueError.
    """
    kind = check_choice("cell", cell, tuple(TORCH_GATES))
    if kind == "vanilla":
        check_choice("activation", activation, ("tanh", "relu"))
    if not isinstance(state_dict, Mapping):
        raise TypeError(f"state_dict: expected a dict of arrays, got {type(state_dict).__name__}")
    if not isinstance(prefix, str) or (linear_prefix is not None and not isinstance(linear_prefix, str)):
        raise TypeError("prefix, linear_prefix: expected strings (linear_prefix may be None)")

    # --- sort the keys: recurrent ones, the output layer's, and the rest
    found: dict[tuple[str, int, str], str] = {}  # (name, layer, direction) -> full key
    linear: dict[str, str] = {}
    unexpected = []
    for key in state_dict:
        if linear_prefix is not None and key in (linear_prefix + "weight", linear_prefix + "bias"):
            linear[key[len(linear_prefix) :]] = key
            continue
        m = _KEY.match(key[len(prefix) :]) if key.startswith(prefix) else None
        if m is None:
            unexpected.append(key)
        else:
            found[(m.group(1), int(m.group(2)), "bwd" if m.group(3) else "fwd")] = key
    if unexpected:
        hint = ""
        if linear_prefix is None and any(k.endswith(("weight", "bias")) and not k.startswith(prefix + "weight_")
                                         for k in unexpected):
            hint = " (an output nn.Linear? pass linear_prefix=, e.g. linear_prefix='fc.')"
        if any(k[len(prefix):].startswith("weight_hr_l") for k in unexpected):
            hint = " (weight_hr_l*: an LSTM with proj_size > 0 has no rnnviz counterpart)"
        raise ValueError(f"state_dict: unexpected key(s) {', '.join(unexpected)}{hint}")
    if not found:
        raise ValueError(f"state_dict: no recurrent weights found (expected keys like {prefix}weight_ih_l0)")

    num_layers = max(k for _, k, _ in found) + 1
    directions = ("fwd", "bwd") if any(dr == "bwd" for *_, dr in found) else ("fwd",)
    has_bias = any(name.startswith("bias") for name, *_ in found)
    names = ("weight_ih", "weight_hh") + (("bias_ih", "bias_hh") if has_bias else ())
    missing = [
        f"{prefix}{name}_l{k}{'_reverse' if dr == 'bwd' else ''}"
        for k in range(num_layers) for dr in directions for name in names if (name, k, dr) not in found
    ]
    if linear_prefix is not None:
        missing += [linear_prefix + n for n in ("weight", "bias") if n not in linear]
    if missing:
        raise ValueError(f"state_dict: missing key(s) {', '.join(missing)}")

    def get(name, k, dr, shape):
        key = found[(name, k, dr)]
        return as_float_array(f"state_dict[{key!r}]", state_dict[key], shape, dtype=dtype)

    # --- sizes from layer 0's forward weights
    W_hh0 = np.asarray(state_dict[found[("weight_hh", 0, "fwd")]])
    W_ih0 = np.asarray(state_dict[found[("weight_ih", 0, "fwd")]])
    if W_hh0.ndim != 2 or W_ih0.ndim != 2:
        raise ValueError(f"state_dict: {prefix}weight_ih_l0 and {prefix}weight_hh_l0 must be 2-D matrices")
    H = W_hh0.shape[1]
    G = TORCH_GATES[kind]
    if W_hh0.shape[0] != G * H:
        rows = W_hh0.shape[0] // H if H and W_hh0.shape[0] % H == 0 else None
        other = {g: name for name, g in TORCH_GATES.items()}.get(rows)
        guess = f"; it looks like cell={other!r}" if other else ""
        raise ValueError(
            f"state_dict[{prefix + 'weight_hh_l0'!r}]: a {kind} has {G} gate block(s), so shape ({G * H}, {H}) "
            f"is expected, got {W_hh0.shape}{guess}"
        )
    D = W_ih0.shape[1]

    net = Network(
        D, H, None if linear_prefix is None else _linear_rows(state_dict, linear, linear_prefix),
        cell=kind, num_layers=num_layers, bidirectional=len(directions) == 2, dtype=dtype,
        cell_options={"activation": activation} if kind == "vanilla" else {"reset_after": True} if kind == "gru" else {},
    )
    params: dict[str, np.ndarray] = {}
    for k in range(num_layers):
        D_k = D if k == 0 else H * len(directions)
        for dr in directions:
            key = f"layer{k}.{dr}"
            params[f"{key}.W_xh"] = _reorder(kind, get("weight_ih", k, dr, (G * H, D_k)), H)
            params[f"{key}.W_hh"] = _reorder(kind, get("weight_hh", k, dr, (G * H, H)), H)
            if has_bias:
                b_ih = _reorder(kind, get("bias_ih", k, dr, (G * H,)), H)
                b_hh = _reorder(kind, get("bias_hh", k, dr, (G * H,)), H)
            else:
                b_ih = b_hh = np.zeros(G * H, dtype)
            if kind == "gru":
                # r, z: b_ir + b_hr, b_iz + b_hz; n: b_in here, b_hn inside r * (W_hn h + b_hn)
                params[f"{key}.b_h"] = np.concatenate([b_ih[: 2 * H] + b_hh[: 2 * H], b_ih[2 * H :]])
                params[f"{key}.b_hn"] = b_hh[2 * H :].copy()
            else:
                params[f"{key}.b_h"] = b_ih + b_hh
    if linear_prefix is not None:
        K, top = net.output_size, net.top_size
        params["out.W_hy"] = as_float_array(f"state_dict[{linear['weight']!r}]", state_dict[linear["weight"]], (K, top),
                                            dtype=dtype).copy()
        params["out.b_y"] = as_float_array(f"state_dict[{linear['bias']!r}]", state_dict[linear["bias"]], (K,),
                                           dtype=dtype).copy()
    net.check_params(params)
    return net, params


def _linear_rows(state_dict, linear, linear_prefix) -> int:
    W = np.asarray(state_dict[linear["weight"]])
    if W.ndim != 2:
        raise ValueError(f"state_dict[{linear_prefix + 'weight'!r}]: expected a 2-D (K, H) matrix, got shape {W.shape}")
    return W.shape[0]


# =========================================================================== export
def to_torch_state_dict(
    net: Network, params: Mapping[str, np.ndarray], *, prefix: str = "", linear_prefix: str = "fc."
) -> dict[str, np.ndarray]:
    """The state dict of the PyTorch module computing what ``net`` computes, as NumPy arrays.

    Every layer must be the same cell with the same size and options, as in one
    ``nn.RNN`` / ``nn.LSTM`` / ``nn.GRU``: a vanilla cell with tanh or relu, an LSTM, or a
    GRU with ``reset_after=True`` (PyTorch has no reset-before GRU and no layer-norm cell).
    b_h goes whole into ``bias_ih`` and ``bias_hh`` is zero, except the GRU's n-block of
    ``bias_hh``, which is b_hn. The output layer, if any, is ``{linear_prefix}weight`` and
    ``{linear_prefix}bias``. Load with ``module.load_state_dict({k: torch.from_numpy(v) ...})``.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net: expected an rnnviz Network, got {type(net).__name__}")
    net.check_params(params)
    cells = [cell for layer in net.layers for cell in layer.values()]
    for c in cells:
        if isinstance(c, LayerNormRNNCell):
            raise ValueError("net: a layer-norm cell has no PyTorch counterpart (torch.nn has no layer-normalized RNN)")
        if isinstance(c, GRUCell) and not c.reset_after:
            raise ValueError(
                "net: PyTorch's GRU is the reset_after=True variant; a GRU with reset_after=False "
                "(the reset gate before the product) cannot be exported"
            )
        if isinstance(c, VanillaRNNCell) and c.activation not in ("tanh", "relu"):
            raise ValueError(f"net: nn.RNN has tanh or relu, not activation={c.activation!r}")

    def signature(c):
        return type(c), c.hidden_size, getattr(c, "activation", None)

    first = cells[0]
    if any(signature(c) != signature(first) for c in cells):
        raise ValueError("net: every layer must be the same cell with the same hidden size and activation "
                         "to be one PyTorch module")
    kind = {VanillaRNNCell: "vanilla", LSTMCell: "lstm", GRUCell: "gru"}[type(first)]
    H = first.hidden_size
    out: dict[str, np.ndarray] = {}
    for k, layer in enumerate(net.layers):
        for dr in layer:
            sub = Network.sub(params, f"layer{k}.{dr}")
            end = f"_l{k}" + ("_reverse" if dr == "bwd" else "")
            out[f"{prefix}weight_ih{end}"] = _reorder(kind, sub["W_xh"], H).copy()
            out[f"{prefix}weight_hh{end}"] = _reorder(kind, sub["W_hh"], H).copy()
            out[f"{prefix}bias_ih{end}"] = _reorder(kind, sub["b_h"], H).copy()
            b_hh = np.zeros_like(sub["b_h"])
            if kind == "gru":
                b_hh[2 * H :] = sub["b_hn"]
            out[f"{prefix}bias_hh{end}"] = b_hh
    if net.output_size is not None:
        out[f"{linear_prefix}weight"] = np.array(params["out.W_hy"])
        out[f"{linear_prefix}bias"] = np.array(params["out.b_y"])
    return out
