"""PyTorch-layout weights: round trips, the layout itself, refusals; and real torch modules when torch is there."""

import numpy as np
import pytest

import rnnviz as rv
from rnnviz.core import torch_weights

TORCH_CELLS = [
    ("vanilla", {"activation": "tanh"}),
    ("vanilla", {"activation": "relu"}),
    ("lstm", {}),
    ("gru", {"reset_after": True}),
]
TORCH_IDS = ["rnn-tanh", "rnn-relu", "lstm", "gru"]


def _net(kind, options, *, layers=2, bidirectional=True, output=3):
    return rv.Network(5, 4, output, cell=kind, cell_options=options, num_layers=layers, bidirectional=bidirectional)


def _random_params(net, rng):
    return {k: rng.standard_normal(v.shape) for k, v in net.init_params(rng).items()}


def _load_kwargs(kind, options):
    kw = {"cell": kind, "linear_prefix": "fc."}
    if kind == "vanilla":
        kw["activation"] = options["activation"]
    return kw


def test_module_never_imports_torch():
    """torch stays optional: the converter is plain NumPy."""
    import ast
    import inspect

    tree = ast.parse(inspect.getsource(torch_weights))
    imported = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    imported |= {n.module.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    assert "torch" not in imported


@pytest.mark.parametrize("layers,bidirectional", [(1, False), (2, True), (3, False)])
@pytest.mark.parametrize("kind,options", TORCH_CELLS, ids=TORCH_IDS)
def test_export_then_import_gives_the_same_network(kind, options, layers, bidirectional, rng):
    net = _net(kind, options, layers=layers, bidirectional=bidirectional)
    params = _random_params(net, rng)
    sd = rv.to_torch_state_dict(net, params)
    dirs = 2 if bidirectional else 1
    assert len(sd) == 4 * layers * dirs + 2
    net2, params2 = rv.from_torch_state_dict(sd, **_load_kwargs(kind, options))
    assert repr(net2) == repr(net)
    assert params2.keys() == params.keys()
    for key in params:
        np.testing.assert_array_equal(params2[key], params[key], err_msg=key)
    X = rng.integers(0, 5, (2, 6))
    np.testing.assert_array_equal(net2.forward(params2, X).Y, net.forward(params, X).Y)


def test_lstm_gate_blocks_are_reordered(rng):
    """PyTorch (i, f, g, o) <-> rnnviz (i, f, o, g): the last two H-row blocks swap."""
    net = rv.Network(2, 3, cell="lstm")
    params = _random_params(net, rng)
    sd = rv.to_torch_state_dict(net, params)
    W, H = params["layer0.fwd.W_hh"], 3
    blocks = dict(zip(rv.LSTM_GATES, np.split(W, 4)))
    np.testing.assert_array_equal(sd["weight_hh_l0"], np.concatenate([blocks[g] for g in ("i", "f", "g", "o")]))
    assert sd["weight_hh_l0"].shape == (4 * H, H)
    assert "fc.weight" not in sd  # no output layer, no Linear


def test_biases_are_summed_on_import_and_split_on_export(rng):
    net = rv.Network(2, 3, cell="gru", cell_options={"reset_after": True})
    params = _random_params(net, rng)
    sd = rv.to_torch_state_dict(net, params)
    np.testing.assert_array_equal(sd["bias_ih_l0"], params["layer0.fwd.b_h"])
    np.testing.assert_array_equal(sd["bias_hh_l0"][:6], 0.0)
    np.testing.assert_array_equal(sd["bias_hh_l0"][6:], params["layer0.fwd.b_hn"])
    # two nonzero biases, as a trained PyTorch GRU has: r and z add up, n stays apart
    sd["bias_hh_l0"] = rng.standard_normal(9)
    _, p = rv.from_torch_state_dict(sd, cell="gru")
    np.testing.assert_allclose(p["layer0.fwd.b_h"][:6], sd["bias_ih_l0"][:6] + sd["bias_hh_l0"][:6])
    np.testing.assert_array_equal(p["layer0.fwd.b_h"][6:], sd["bias_ih_l0"][6:])
    np.testing.assert_array_equal(p["layer0.fwd.b_hn"], sd["bias_hh_l0"][6:])

    lstm = rv.Network(2, 3, cell="lstm")
    sd = rv.to_torch_state_dict(lstm, _random_params(lstm, rng))
    sd["bias_hh_l0"] = rng.standard_normal(12)
    _, p = rv.from_torch_state_dict(sd, cell="lstm")
    total = sd["bias_ih_l0"] + sd["bias_hh_l0"]  # torch order
    np.testing.assert_allclose(p["layer0.fwd.b_h"], np.concatenate([total[:6], total[9:], total[6:9]]))


def test_sizes_layers_and_directions_are_read_off_the_keys(rng):
    net = rv.Network(7, 5, 11, cell="gru", cell_options={"reset_after": True}, num_layers=3, bidirectional=True)
    sd = rv.to_torch_state_dict(net, _random_params(net, rng), prefix="rnn.", linear_prefix="head.")
    assert "rnn.weight_ih_l2_reverse" in sd and "head.bias" in sd
    sd = {k: v.astype(np.float32) for k, v in sd.items()}  # torch's default dtype
    net2, params2 = rv.from_torch_state_dict(sd, cell="gru", prefix="rnn.", linear_prefix="head.")
    assert (net2.input_size, net2.num_layers, net2.bidirectional, net2.output_size) == (7, 3, True, 11)
    assert net2.layers[1]["bwd"].input_size == 10 and net2.layers[0]["fwd"].hidden_size == 5
    assert all(v.dtype == np.float64 for v in params2.values())


def test_a_module_without_biases_gets_zero_biases(rng):
    net = rv.Network(3, 4, cell="vanilla")
    sd = rv.to_torch_state_dict(net, _random_params(net, rng))
    sd = {k: v for k, v in sd.items() if k.startswith("weight")}  # nn.RNN(..., bias=False)
    _, params = rv.from_torch_state_dict(sd, cell="vanilla")
    np.testing.assert_array_equal(params["layer0.fwd.b_h"], 0.0)


# ----------------------------------------------------------------------------- refusals
def _lstm_sd(rng, **kw):
    net = rv.Network(3, 4, 2, cell="lstm", **kw)
    return rv.to_torch_state_dict(net, _random_params(net, rng))


def test_missing_keys_are_named(rng):
    sd = _lstm_sd(rng, num_layers=2)
    del sd["weight_hh_l1"], sd["bias_ih_l0"]
    with pytest.raises(ValueError, match=r"missing key\(s\) .*bias_ih_l0.*weight_hh_l1"):
        rv.from_torch_state_dict(sd, cell="lstm", linear_prefix="fc.")
    sd = _lstm_sd(rng, bidirectional=True)
    del sd["weight_ih_l0_reverse"]
    with pytest.raises(ValueError, match="missing key.*weight_ih_l0_reverse"):
        rv.from_torch_state_dict(sd, cell="lstm", linear_prefix="fc.")
    sd = _lstm_sd(rng)
    del sd["fc.bias"]
    with pytest.raises(ValueError, match="missing key.*fc.bias"):
        rv.from_torch_state_dict(sd, cell="lstm", linear_prefix="fc.")
    with pytest.raises(ValueError, match="no recurrent weights"):
        rv.from_torch_state_dict({}, cell="lstm")


def test_unexpected_keys_are_named_with_a_hint(rng):
    sd = _lstm_sd(rng)
    with pytest.raises(ValueError, match=r"unexpected key\(s\) fc.weight, fc.bias.*linear_prefix="):
        rv.from_torch_state_dict(sd, cell="lstm")
    sd["embedding.weight"] = np.zeros((3, 3))
    with pytest.raises(ValueError, match="unexpected key.*embedding.weight"):
        rv.from_torch_state_dict(sd, cell="lstm", linear_prefix="fc.")
    sd = _lstm_sd(rng)
    sd["weight_hr_l0"] = np.zeros((2, 4))
    with pytest.raises(ValueError, match="proj_size"):
        rv.from_torch_state_dict(sd, cell="lstm", linear_prefix="fc.")


def test_inconsistent_shapes_are_refused(rng):
    sd = _lstm_sd(rng, num_layers=2)
    with pytest.raises(ValueError, match="gru has 3 gate block.*looks like cell='lstm'"):
        rv.from_torch_state_dict(sd, cell="gru", linear_prefix="fc.")
    bad = dict(sd, weight_hh_l1=np.zeros((16, 5)))
    with pytest.raises(ValueError, match=r"weight_hh_l1.*\(16, 4\)"):
        rv.from_torch_state_dict(bad, cell="lstm", linear_prefix="fc.")
    bad = dict(sd, weight_ih_l1=np.zeros((16, 3)))  # layer 1 reads layer 0's 4 states, not 3 inputs
    with pytest.raises(ValueError, match=r"weight_ih_l1.*\(16, 4\)"):
        rv.from_torch_state_dict(bad, cell="lstm", linear_prefix="fc.")
    bad = dict(sd, bias_hh_l0=np.zeros(15))
    with pytest.raises(ValueError, match=r"bias_hh_l0.*\(16,\)"):
        rv.from_torch_state_dict(bad, cell="lstm", linear_prefix="fc.")
    bad = dict(sd, **{"fc.weight": np.zeros((2, 5))})
    with pytest.raises(ValueError, match=r"fc.weight.*\(2, 4\)"):
        rv.from_torch_state_dict(bad, cell="lstm", linear_prefix="fc.")
    with pytest.raises(ValueError, match="cell"):
        rv.from_torch_state_dict(sd, cell="layernorm", linear_prefix="fc.")


@pytest.mark.parametrize(
    "kind,options,message",
    [
        ("gru", {"reset_after": False}, "reset_after=True"),
        ("layernorm", {}, "layer-norm"),
        ("vanilla", {"activation": "identity"}, "tanh or relu"),
    ],
)
def test_export_refuses_what_pytorch_cannot_compute(kind, options, message, rng):
    net = rv.Network(3, 4, 2, cell=kind, cell_options=options)
    with pytest.raises(ValueError, match=message):
        rv.to_torch_state_dict(net, net.init_params(rng))


def test_export_refuses_mixed_layers(rng):
    net = rv.Network(3, [4, 4], 2, cell=["lstm", "gru"], num_layers=2, cell_options=[{}, {"reset_after": True}])
    with pytest.raises(ValueError, match="same cell"):
        rv.to_torch_state_dict(net, net.init_params(rng))
    net = rv.Network(3, [4, 5], 2, cell="lstm", num_layers=2)
    with pytest.raises(ValueError, match="same hidden size"):
        rv.to_torch_state_dict(net, net.init_params(rng))


def test_export_checks_the_params(rng):
    net = rv.Network(3, 4, 2, cell="lstm")
    params = net.init_params(rng)
    del params["out.b_y"]
    with pytest.raises(ValueError, match="missing out.b_y"):
        rv.to_torch_state_dict(net, params)


# ----------------------------------------------------------------------------- with torch
@pytest.mark.parametrize("bidirectional", [False, True])
def test_a_real_torch_lstm_state_dict_gives_the_same_outputs(bidirectional, rng):
    torch = pytest.importorskip("torch")
    torch.manual_seed(0)
    lstm = torch.nn.LSTM(5, 6, num_layers=2, batch_first=True, bidirectional=bidirectional).double()
    fc = torch.nn.Linear(12 if bidirectional else 6, 4).double()
    with torch.no_grad():  # the default biases are small; make both biases matter
        for name, p in lstm.named_parameters():
            if name.startswith("bias"):
                p.uniform_(-1, 1)
    sd = {f"rnn.{k}": v.numpy() for k, v in lstm.state_dict().items()}
    sd.update({f"fc.{k}": v.numpy() for k, v in fc.state_dict().items()})
    net, params = rv.from_torch_state_dict(sd, cell="lstm", prefix="rnn.", linear_prefix="fc.")
    X = rng.standard_normal((3, 7, 5))
    with torch.no_grad():
        out, (h_n, c_n) = lstm(torch.from_numpy(X))
        Y = fc(out).numpy()
    fwd = net.forward(params, X)
    np.testing.assert_allclose(fwd.Y, Y, rtol=1e-12, atol=1e-12)
    np.testing.assert_allclose(fwd.final_state["layer1.fwd"][1], c_n.numpy()[2 if bidirectional else 1], rtol=1e-12, atol=1e-12)

    # and back: the exported dict loads into torch and computes the same
    back = rv.to_torch_state_dict(net, params, prefix="rnn.")
    lstm2 = torch.nn.LSTM(5, 6, num_layers=2, batch_first=True, bidirectional=bidirectional).double()
    lstm2.load_state_dict({k[4:]: torch.from_numpy(v) for k, v in back.items() if k.startswith("rnn.")})
    with torch.no_grad():
        out2, _ = lstm2(torch.from_numpy(X))
    np.testing.assert_allclose(out2.numpy(), out.numpy(), rtol=1e-12, atol=1e-12)


def test_a_real_torch_state_dict_can_be_passed_without_numpy_conversion(rng):
    """Tensors that do not require grad convert through np.asarray, so .numpy() is optional."""
    torch = pytest.importorskip("torch")
    gru = torch.nn.GRU(3, 4, batch_first=True)  # float32, as torch makes it
    net, params = rv.from_torch_state_dict(gru.state_dict(), cell="gru")
    X = rng.standard_normal((2, 5, 3))
    with torch.no_grad():
        out, _ = gru.double()(torch.from_numpy(X))
    np.testing.assert_allclose(net.forward(params, X).Y, out.numpy(), rtol=1e-10, atol=1e-12)
