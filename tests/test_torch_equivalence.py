"""rnnviz against PyTorch's autograd, in float64: states, outputs, loss and every gradient agree to ~1e-10.

* vanilla (tanh, relu), LSTM and the reset-after GRU against ``torch.nn.RNN/LSTM/GRU``,
  whose weights are loaded into rnnviz with :func:`rnnviz.from_torch_state_dict`;
* the original GRU (reset before the product) and the layer-norm cell, which torch.nn does
  not have, against a few lines of torch written from the formulas in ``cells.py``.
"""

import numpy as np
import pytest

import rnnviz as rv

torch = pytest.importorskip("torch")
F = torch.nn.functional

TOL = 1e-10
D, H, V, N, T = 4, 5, 6, 3, 7

MODULES = [
    ("vanilla", {"activation": "tanh"}),
    ("vanilla", {"activation": "relu"}),
    ("lstm", {}),
    ("gru", {"reset_after": True}),
]
MODULE_IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]
ARCHS = [(1, False), (2, False), (1, True), (2, True)]
ARCH_IDS = ["1layer", "2layers", "1layer-bidir", "2layers-bidir"]


def close(a, b, what):
    a, b = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    assert a.shape == b.shape, f"{what}: shapes {a.shape} vs {b.shape}"
    err = rv.relative_error(a, b)
    assert err < TOL, f"{what}: relative error {err:.2e}"


def _torch_module(kind, options, layers, bidirectional, input_size=D):
    torch.manual_seed(7)
    if kind == "vanilla":
        m = torch.nn.RNN(input_size, H, layers, nonlinearity=options["activation"], batch_first=True,
                         bidirectional=bidirectional)
    else:
        m = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](input_size, H, layers, batch_first=True,
                                                             bidirectional=bidirectional)
    m = m.double()
    with torch.no_grad():  # larger than torch's default init, both biases nonzero: every term matters
        for p in m.parameters():
            p.uniform_(-0.8, 0.8)
    return m


def _rows_to_rnnviz(kind, a):
    """PyTorch gate blocks -> rnnviz's (LSTM: i, f, g, o -> i, f, o, g)."""
    if kind != "lstm":
        return a
    i, f, g, o = np.split(a, 4)
    return np.concatenate([i, f, o, g])


def _torch_grads_in_rnnviz_layout(kind, module, fc, layers, dirs):
    """dL/dW of the torch module under rnnviz's names; b_ih and b_hh get the same gradient
    wherever they enter one sum, so rnnviz's single b_h has that gradient too."""
    grads = {"out.W_hy": fc.weight.grad.numpy(), "out.b_y": fc.bias.grad.numpy()}
    for k in range(layers):
        for dr in dirs:
            end = f"_l{k}" + ("_reverse" if dr == "bwd" else "")
            g = {name: getattr(module, name + end).grad.numpy() for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")}
            key = f"layer{k}.{dr}"
            grads[f"{key}.W_xh"] = _rows_to_rnnviz(kind, g["weight_ih"])
            grads[f"{key}.W_hh"] = _rows_to_rnnviz(kind, g["weight_hh"])
            grads[f"{key}.b_h"] = _rows_to_rnnviz(kind, g["bias_ih"])
            if kind == "gru":
                close(g["bias_hh"][: 2 * H], g["bias_ih"][: 2 * H], "torch's b_hr, b_hz grads equal b_ir, b_iz grads")
                grads[f"{key}.b_hn"] = g["bias_hh"][2 * H :]
            else:
                close(g["bias_hh"], g["bias_ih"], "torch's bias_hh grad equals bias_ih grad")
    return grads


def _state0_torch(kind, layers, dirs, rng):
    n = 2 if kind == "lstm" else 1
    return tuple(torch.tensor(rng.standard_normal((layers * len(dirs), N, H)), requires_grad=True) for _ in range(n))


def _state0_rnnviz(states, layers, dirs):
    return {f"layer{k}.{dr}": tuple(s.detach().numpy()[k * len(dirs) + d] for s in states)
            for k in range(layers) for d, dr in enumerate(dirs)}


@pytest.mark.parametrize("layers,bidirectional", ARCHS, ids=ARCH_IDS)
@pytest.mark.parametrize("kind,options", MODULES, ids=MODULE_IDS)
def test_torch_nn_modules(kind, options, layers, bidirectional, rng):
    dirs = ("fwd", "bwd") if bidirectional else ("fwd",)
    module = _torch_module(kind, options, layers, bidirectional)
    fc = torch.nn.Linear(H * len(dirs), V).double()
    X = rng.standard_normal((N, T, D))
    targets = rng.integers(0, V, (N, T))

    # ---- torch: forward, summed cross-entropy, autograd
    Xt = torch.tensor(X, requires_grad=True)
    s0 = _state0_torch(kind, layers, dirs, rng)
    out, final = module(Xt, s0 if kind == "lstm" else s0[0])
    Y = fc(out)
    loss = F.cross_entropy(Y.reshape(-1, V), torch.from_numpy(targets).reshape(-1), reduction="sum")
    loss.backward()

    # ---- rnnviz with the same weights
    sd = {k: v.numpy() for k, v in module.state_dict().items()}
    sd.update({f"fc.{k}": v.numpy() for k, v in fc.state_dict().items()})
    kw = {"activation": options["activation"]} if kind == "vanilla" else {}
    net, params = rv.from_torch_state_dict(sd, cell=kind, linear_prefix="fc.", **kw)
    ev = net.evaluate(params, X, targets, state0=_state0_rnnviz(s0, layers, dirs))

    # states: the top layer at every t, and every layer's final state(s)
    top = np.concatenate([ev.forward.hidden[f"layer{layers - 1}.{dr}"] for dr in dirs], axis=-1)
    close(top, out.detach().numpy(), "top-layer states h_t")
    finals = final if kind == "lstm" else (final,)
    for k in range(layers):
        for d, dr in enumerate(dirs):
            for i, s in enumerate(finals):
                close(ev.forward.final_state[f"layer{k}.{dr}"][i], s.detach().numpy()[k * len(dirs) + d],
                      f"final state {i} of layer{k}.{dr}")
    if layers == 2:  # the lower layer's states at every t: a one-layer module with the same first-layer weights
        lower = _torch_module(kind, options, 1, bidirectional)
        lower.load_state_dict({k: v for k, v in module.state_dict().items() if "_l0" in k})
        with torch.no_grad():
            out0, _ = lower(Xt.detach(), tuple(s.detach()[: len(dirs)] for s in s0) if kind == "lstm"
                            else s0[0].detach()[: len(dirs)])
        close(np.concatenate([ev.forward.hidden[f"layer0.{dr}"] for dr in dirs], -1), out0.numpy(), "layer-0 states")

    close(ev.forward.Y, Y.detach().numpy(), "outputs y_t")
    assert abs(ev.loss - loss.item()) <= TOL * abs(loss.item())

    expected = _torch_grads_in_rnnviz_layout(kind, module, fc, layers, dirs)
    assert set(expected) == set(ev.grads)
    for key in ev.grads:
        close(ev.grads[key], expected[key], f"dL/d{key}")
    # BPTT's other path, one gradient copy per time-stamp (W_hh's copies summed one by one)
    copies = net.evaluate(params, X, targets, state0=_state0_rnnviz(s0, layers, dirs), keep_copies=True).backward.copies
    for key in ev.grads:
        close(copies[key].sum(axis=0), expected[key], f"sum of the per-time-stamp copies of dL/d{key}")
    close(ev.backward.dX, Xt.grad.numpy(), "dL/dX")
    for k in range(layers):
        for d, dr in enumerate(dirs):
            for i, s in enumerate(s0):
                close(ev.backward.dstate0[f"layer{k}.{dr}"][i], s.grad.numpy()[k * len(dirs) + d],
                      f"dL/dstate0 {i} of layer{k}.{dr}")


@pytest.mark.parametrize("kind,options", MODULES, ids=MODULE_IDS)
def test_token_ids_with_absent_inputs_and_targets(kind, options, rng):
    """Ids in rnnviz, one-hot rows in torch (zero where the input is absent); absent targets
    are torch's ignore_index; mean reduction over the present targets."""
    module = _torch_module(kind, options, 1, False, input_size=V)
    fc = torch.nn.Linear(H, V).double()
    ids = rng.integers(0, V, (N, T))
    targets = rng.integers(0, V, (N, T))
    input_mask = rng.random((N, T)) > 0.3
    target_mask = rng.random((N, T)) > 0.3

    onehot = F.one_hot(torch.from_numpy(ids), V).double() * torch.from_numpy(input_mask)[..., None]
    out, _ = module(onehot)
    Y = fc(out)
    t = torch.from_numpy(np.where(target_mask, targets, -100))
    loss = F.cross_entropy(Y.reshape(-1, V), t.reshape(-1), ignore_index=-100, reduction="mean")
    loss.backward()

    sd = {k: v.numpy() for k, v in module.state_dict().items()}
    sd.update({f"fc.{k}": v.numpy() for k, v in fc.state_dict().items()})
    kw = {"activation": options["activation"]} if kind == "vanilla" else {}
    net, params = rv.from_torch_state_dict(sd, cell=kind, linear_prefix="fc.", **kw)
    ev = net.evaluate(params, ids, np.where(target_mask, targets, -1), input_mask=input_mask,
                      target_mask=target_mask, reduction="mean")
    close(ev.forward.Y, Y.detach().numpy(), "outputs y_t")
    assert abs(ev.loss - loss.item()) <= TOL * abs(loss.item())
    expected = _torch_grads_in_rnnviz_layout(kind, module, fc, 1, ("fwd",))
    for key in ev.grads:
        close(ev.grads[key], expected[key], f"dL/d{key}")


# =========================================================================== cells torch.nn does not have
def _gru_original_step(p, x, state):
    """cells.py's original GRU, written from its docstring:
    r = sigm(W_xr x + W_hr h + b_r), z = sigm(W_xz x + W_hz h + b_z),
    n = tanh(W_xn x + W_hn (r * h) + b_n), h_t = (1 - z) * n + z * h."""
    (h,) = state
    W_xr, W_xz, W_xn = p["W_xh"].split(H)
    W_hr, W_hz, W_hn = p["W_hh"].split(H)
    b_r, b_z, b_n = p["b_h"].split(H)
    r = torch.sigmoid(x @ W_xr.T + h @ W_hr.T + b_r)
    z = torch.sigmoid(x @ W_xz.T + h @ W_hz.T + b_z)
    n = torch.tanh(x @ W_xn.T + (r * h) @ W_hn.T + b_n)
    return ((1 - z) * n + z * h,)


def _layernorm_step(p, x, state, eps=1e-6):
    """cells.py's layer-norm cell, written from its docstring (the chapter's formula):
    a = W_xh x + W_hh h, mu = mean(a), sigma = sqrt(mean(a**2) - mu**2 + eps),
    h_t = tanh(gamma / sigma * (a - mu) + beta)."""
    (h,) = state
    a = x @ p["W_xh"].T + h @ p["W_hh"].T
    mu = a.mean(dim=-1, keepdim=True)
    sigma = torch.sqrt((a**2).mean(dim=-1, keepdim=True) - mu**2 + eps)
    return (torch.tanh(p["gamma"] / sigma * (a - mu) + p["beta"]),)


def _torch_network(step, net, tparams, X, state0):
    """Layers, directions and the output layer, the way network.py's docstring describes them."""
    inp = X
    for k, layer in enumerate(net.layers):
        outs = []
        for dr in layer:
            key = f"layer{k}.{dr}"
            p = {name[len(key) + 1 :]: v for name, v in tparams.items() if name.startswith(key + ".")}
            state, hs = state0[key], [None] * inp.shape[1]
            for t in (reversed(range(inp.shape[1])) if dr == "bwd" else range(inp.shape[1])):
                state = step(p, inp[:, t], state)
                hs[t] = state[0]
            outs.append(torch.stack(hs, dim=1))
        inp = torch.cat(outs, dim=-1)
    return inp @ tparams["out.W_hy"].T + tparams["out.b_y"]


@pytest.mark.parametrize("layers,bidirectional", ARCHS, ids=ARCH_IDS)
@pytest.mark.parametrize(
    "kind,options,step",
    [("gru", {"reset_after": False}, _gru_original_step), ("layernorm", {}, _layernorm_step)],
    ids=["gru-original", "layernorm"],
)
def test_cells_against_their_formulas_in_torch(kind, options, step, layers, bidirectional, rng):
    net = rv.Network(D, H, V, cell=kind, cell_options=options, num_layers=layers, bidirectional=bidirectional)
    params = {k: v + 0.5 * rng.standard_normal(v.shape) for k, v in net.init_params(rng).items()}
    X = rng.standard_normal((N, T, D))
    targets = rng.integers(0, V, (N, T))
    state0 = {k: tuple(rng.standard_normal(s.shape) for s in v) for k, v in net.init_state(N).items()}

    tparams = {k: torch.tensor(v, requires_grad=True) for k, v in params.items()}
    tstate0 = {k: tuple(torch.tensor(s, requires_grad=True) for s in v) for k, v in state0.items()}
    Xt = torch.tensor(X, requires_grad=True)
    Y = _torch_network(step, net, tparams, Xt, tstate0)
    loss = F.cross_entropy(Y.reshape(-1, V), torch.from_numpy(targets).reshape(-1), reduction="sum")
    loss.backward()

    ev = net.evaluate(params, X, targets, state0=state0)
    close(ev.forward.Y, Y.detach().numpy(), "outputs y_t")
    assert abs(ev.loss - loss.item()) <= TOL * abs(loss.item())
    copies = net.evaluate(params, X, targets, state0=state0, keep_copies=True).backward.copies
    for key in params:
        close(ev.grads[key], tparams[key].grad.numpy(), f"dL/d{key}")
        close(copies[key].sum(axis=0), tparams[key].grad.numpy(), f"sum of the copies of dL/d{key}")
    close(ev.backward.dX, Xt.grad.numpy(), "dL/dX")
    for key, states in tstate0.items():
        close(ev.backward.dstate0[key][0], states[0].grad.numpy(), f"dL/dstate0 of {key}")
