"""Behaviour of the core beyond gradient checks: fixed values, BPTT bookkeeping, diagnostics, clipping."""

import math
import re

import numpy as np
import pytest

import rnnviz as rv


def _perturbed(params, rng, scale=0.3):
    return {k: v + scale * rng.standard_normal(v.shape) for k, v in params.items()}


# ----------------------------------------------------------------------------- fixed values
def test_vanilla_forward_by_hand():
    """One unit, the chapter's recurrence computed with math.tanh."""
    cell = rv.VanillaRNNCell(1, 1)
    p = {"W_xh": np.array([[0.5]]), "W_hh": np.array([[0.8]]), "b_h": np.array([0.1])}
    net = rv.Network(1, 1, cell="vanilla")
    params = {f"layer0.fwd.{k}": v for k, v in p.items()}
    X = np.array([[[1.0], [0.0], [-1.0]]])
    h = net.forward(params, X).hidden["layer0.fwd"][0, :, 0]
    h1 = math.tanh(0.5 + 0.1)
    h2 = math.tanh(0.8 * h1 + 0.1)
    h3 = math.tanh(-0.5 + 0.8 * h2 + 0.1)
    assert h == pytest.approx([h1, h2, h3], abs=1e-15)
    state, cache = cell.step_forward(p, np.array([[1.0]]), (np.zeros((1, 1)),))
    assert state[0][0, 0] == pytest.approx(h1) and cache.h is state[0]


def test_softmax_nll_by_hand():
    Y = np.array([[[1.0, 2.0, 0.5]]])
    res = rv.softmax_nll(Y, np.array([[1]]))
    p = np.exp(Y[0, 0]) / np.exp(Y[0, 0]).sum()
    assert res.loss == pytest.approx(-math.log(p[1]))
    assert res.dY[0, 0] == pytest.approx(p - np.array([0, 1, 0]))  # dL/dy = p - onehot


# Values pinned on 2026-11-26 from this implementation; the LSTM, reset-after GRU and vanilla
# values are independently confirmed by tests/test_torch_equivalence.py when torch is installed.
PINNED = [
    ("vanilla", {}, 16.118847641017, [-0.59160023319, -0.925620482566, 0.802614916606]),
    ("vanilla", {"activation": "relu"}, 16.514890866032, [0.0, 0.0, 0.89706477317]),
    ("layernorm", {}, 17.339791920639, [-0.834403302564, 0.709299238654, 0.662900363266]),
    ("lstm", {}, 15.351301589646, [0.042982743082, -0.073903859014, 0.05447343707]),
    ("gru", {}, 13.710073826331, [0.674686075109, 0.605620104781, -0.403827702692]),
    ("gru", {"reset_after": True}, 13.807647319094, [0.079025596939, 0.819287229975, -0.002361421995]),
]


@pytest.mark.parametrize("kind,options,loss,h_last", PINNED, ids=[f"{p[0]}{p[1]}" for p in PINNED])
def test_pinned_forward_values(kind, options, loss, h_last):
    rng = np.random.default_rng(2024)
    net = rv.Network(4, 3, 4, cell=kind, cell_options=options)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.standard_normal((2, 5, 4))
    targets = rng.integers(0, 4, (2, 5))
    ev = net.evaluate(params, X, targets)
    assert ev.loss == pytest.approx(loss, abs=1e-10)
    assert ev.forward.hidden["layer0.fwd"][1, -1] == pytest.approx(h_last, abs=1e-10)


# ----------------------------------------------------------------------------- BPTT bookkeeping
@pytest.mark.parametrize("kind", ["vanilla", "layernorm", "lstm", "gru"])
def test_per_timestamp_copies_sum_to_the_gradient(kind, rng):
    """The chapter's step 2-3: a gradient per time-stamp copy, and the true gradient is their sum."""
    net = rv.Network(3, 4, 3, cell=kind, num_layers=2, bidirectional=True)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.integers(0, 3, (2, 6))
    ev = net.evaluate(params, X, X, keep_copies=True)
    copies = ev.backward.copies
    assert set(copies) == set(params)
    for key, g in ev.grads.items():
        assert copies[key].shape == (6,) + g.shape
        assert np.allclose(copies[key].sum(axis=0), g, atol=1e-12), key
    # the copy at t uses only time-stamp t: for the first layer's W_xh and token ids, the copy at t is
    # nonzero only in the column of the token x_t
    c = copies["layer0.fwd.W_xh"]
    for t in range(6):
        unused = sorted(set(range(3)) - set(X[:, t].tolist()))
        assert np.all(c[t][:, unused] == 0)


def test_dh_is_total_gradient_of_each_hidden_state(rng):
    """dh[t] = dL/dh_t, checked by perturbing h_t through the initial state of a shortened run."""
    net = rv.Network(3, 4, 3)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.standard_normal((1, 5, 3))
    t = rng.integers(0, 3, (1, 5))
    ev = net.evaluate(params, X, t)
    h = ev.forward.hidden["layer0.fwd"]
    k = 2  # dL/dh_k: loss of steps 0..k-1 doesn't depend on h_k
    def f(d):
        head = net.evaluate(params, X[:, :k + 1], t[:, :k + 1]).loss_result.per_step[0, :k].sum()
        y_k = d["h"] @ params["out.W_hy"].T + params["out.b_y"]
        lk = rv.softmax_nll(y_k, t[:, k]).loss
        tail = net.evaluate(params, X[:, k + 1:], t[:, k + 1:], state0={"layer0.fwd": (d["h"],)}).loss
        return head + lk + tail
    num = rv.numerical_gradient(f, {"h": h[:, k].copy()})["h"]
    assert rv.relative_error(ev.backward.dh["layer0.fwd"][:, k], num) < 1e-7
    norms = ev.backward.dh_norms()["layer0.fwd"]
    assert norms.shape == (5,) and norms[k] == pytest.approx(np.linalg.norm(num))


def test_jacobian_norms_identity_activation_are_powers_of_W_hh(rng):
    net = rv.Network(2, 3, cell="vanilla", cell_options={"activation": "identity"})
    params = net.init_params(rng)
    fwd = net.forward(params, rng.standard_normal((2, 6, 2)))
    norms = net.jacobian_norms(params, fwd.cache, sample=1)
    W = params["layer0.fwd.W_hh"]
    expected = [np.linalg.norm(np.linalg.matrix_power(W, 5 - t), 2) for t in range(6)]
    assert norms == pytest.approx(expected, rel=1e-12)


def test_jacobian_norms_are_inf_once_the_product_overflows(rng, capfd):
    # identity activation, W_hh = 1e100 I: ||dh_T/dh_t|| = 1e100^(T-t), beyond the largest float from T-t = 4 on
    net = rv.Network(2, 3, cell="vanilla", cell_options={"activation": "identity"})
    params = net.init_params(rng)
    params["layer0.fwd.W_hh"] = 1e100 * np.eye(3)
    fwd = net.forward(params, rng.standard_normal((1, 6, 2)) * 1e-300)
    with np.errstate(over="ignore", invalid="ignore"):
        norms = net.jacobian_norms(params, fwd.cache)
    T = 6
    assert norms[T - 4:] == pytest.approx([1e300, 1e200, 1e100, 1.0], rel=1e-12)
    assert np.all(np.isposinf(norms[:T - 4]))
    assert "DLASCL" not in capfd.readouterr().err  # LAPACK was not handed the inf matrix


@pytest.mark.parametrize("kind,direction", [("vanilla", "fwd"), ("lstm", "fwd"), ("gru", "bwd")])
def test_jacobian_norms_match_finite_differences(kind, direction, rng):
    net = rv.Network(2, 3, cell=kind, bidirectional=direction == "bwd")
    params = _perturbed(net.init_params(rng), rng)
    X = rng.standard_normal((2, 5, 2))
    fwd = net.forward(params, X)
    norms = net.jacobian_norms(params, fwd.cache, direction=direction, sample=1, ord="fro")
    key = f"layer0.{direction}"
    cell = net.layers[0][direction]
    p = net.sub(params, key)
    t = 2
    # state after time-stamp t for sample 1, then the remaining steps by hand
    state = cell.init_state(1)
    order = range(5) if direction == "fwd" else range(4, -1, -1)
    seq = list(order)
    for s in seq[: seq.index(t) + 1]:
        state, _ = cell.step_forward(p, X[1:2, s], state)
    def h_last(st):
        for s in seq[seq.index(t) + 1:]:
            st, _ = cell.step_forward(p, X[1:2, s], st)
        return st[0][0]
    J = []
    for i in range(len(state)):
        cols = []
        for j in range(3):
            plus = [s.copy() for s in state]
            minus = [s.copy() for s in state]
            plus[i][0, j] += 1e-6
            minus[i][0, j] -= 1e-6
            cols.append((h_last(tuple(plus)) - h_last(tuple(minus))) / 2e-6)
        J.append(np.stack(cols, axis=1))
    assert norms[t] == pytest.approx(np.linalg.norm(np.concatenate(J, axis=1)), rel=1e-6)


def test_stacked_weights_reproduce_the_layer(rng):
    """h_t^k = tanh(W^k [h_t^{k-1}; h_{t-1}^k] + b) with the chapter's stacked W^k."""
    net = rv.Network(3, [4, 5], cell="vanilla", num_layers=2)
    params = net.init_params(rng)
    fwd = net.forward(params, rng.standard_normal((2, 4, 3)))
    W2 = rv.stacked_weights(params, 1)
    assert W2.shape == (5, 4 + 5)
    below, h = fwd.hidden["layer0.fwd"], fwd.hidden["layer1.fwd"]
    h_prev = np.zeros((2, 5))
    for t in range(4):
        expected = np.tanh(np.concatenate([below[:, t], h_prev], axis=1) @ W2.T + params["layer1.fwd.b_h"])
        assert np.allclose(h[:, t], expected)
        h_prev = h[:, t]
    with pytest.raises(ValueError, match="no layer"):
        rv.stacked_weights(params, 2)


def test_bidirectional_states_and_output_split(rng):
    net = rv.Network(2, 3, 4, bidirectional=True)
    params = net.init_params(rng)
    X = rng.standard_normal((1, 5, 2))
    fwd = net.forward(params, X)
    Wf, Wb = rv.split_output_weights(params)
    hf, hb = fwd.hidden["layer0.fwd"], fwd.hidden["layer0.bwd"]
    assert np.allclose(fwd.Y, hf @ Wf.T + hb @ Wb.T + params["out.b_y"])  # y_t = W^f h^f + W^b h^b
    X2 = X.copy()
    X2[0, 0] += 1.0  # change x_1: forward states all change, backward states after t=1 don't
    fwd2 = net.forward(params, X2)
    assert np.allclose(fwd2.hidden["layer0.bwd"][:, 1:], hb[:, 1:])
    assert not np.allclose(fwd2.hidden["layer0.bwd"][:, 0], hb[:, 0])
    assert not np.allclose(fwd2.hidden["layer0.fwd"][:, -1], hf[:, -1])


def test_absent_inputs_equal_zero_inputs_and_absent_targets_add_nothing(rng):
    net = rv.Network(3, 4, 3)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.standard_normal((2, 5, 3))
    mask = np.ones((2, 5), bool)
    mask[0, 2] = False
    X_nan = X.copy()
    X_nan[0, 2] = np.nan  # an absent input may hold anything, even NaN
    X0 = X.copy()
    X0[0, 2] = 0.0
    a = net.forward(params, X_nan, input_mask=mask).Y
    b = net.forward(params, X0).Y
    assert np.allclose(a, b)
    t = rng.integers(0, 3, (2, 5))
    g_nan = net.evaluate(params, X_nan, t, input_mask=mask).grads
    g_zero = net.evaluate(params, X0, t).grads
    assert all(np.allclose(g_nan[k], g_zero[k]) for k in g_zero)
    t = rng.integers(0, 3, (2, 5))
    tmask = np.ones((2, 5), bool)
    tmask[1, 3] = False
    full = net.evaluate(params, X, t).loss_result.per_step
    part = net.evaluate(params, X, t, target_mask=tmask)
    assert part.loss == pytest.approx(full.sum() - full[1, 3])
    assert np.all(part.backward.grads["out.W_hy"] != net.evaluate(params, X, t).grads["out.W_hy"])


def test_stream_windows_continue_each_stream():
    tokens = np.arange(23)
    wins = list(rv.stream_windows(tokens, batch_size=2, window=4))
    X = np.concatenate([w[0] for w in wins], axis=1)
    Y = np.concatenate([w[1] for w in wins], axis=1)
    assert X.tolist() == [list(range(0, 11)), list(range(11, 22))]
    assert np.all(Y == X + 1)
    assert [w[0].shape[1] for w in wins] == [4, 4, 3]


# ----------------------------------------------------------------------------- clipping
def test_clip_by_value_and_norm_report_what_they_did():
    g = {"a": np.array([3.0, -0.5]), "b": np.array([[4.0]])}
    out, rep = rv.clip_by_value(g, 1.0)
    assert out["a"].tolist() == [1.0, -0.5] and out["b"].tolist() == [[1.0]]
    assert rep.clipped and rep.fraction_clipped == pytest.approx(2 / 3) and rep.norm_before == pytest.approx(np.sqrt(25.25))
    assert g["a"][0] == 3.0  # the input is untouched
    out, rep = rv.clip_by_norm(g, 1.0)
    assert rv.global_norm(out) == pytest.approx(1.0) and rep.clipped
    assert out["a"][0] / out["b"][0, 0] == pytest.approx(3 / 4)  # direction kept
    out, rep = rv.clip_by_norm(g, 100.0)
    assert not rep.clipped and np.array_equal(out["a"], g["a"])
    with pytest.raises(ValueError, match="inf or NaN"):
        rv.clip_by_norm({"a": np.array([np.inf])}, 1.0)
    with pytest.raises(ValueError, match="threshold"):
        rv.clip_by_value(g, -1)


# ----------------------------------------------------------------------------- bad input
def test_bad_inputs_say_what_was_wrong(rng):
    net = rv.Network(4, 3, 4)
    params = net.init_params(rng)
    cases = [
        (lambda: net.forward(params, np.zeros((2, 5, 3))), ValueError, r"X: expected shape \(N, T, 4\).*axis 2 should be 4"),
        (lambda: net.forward(params, np.zeros((2, 5))), ValueError, "3-D array"),  # float 2-D is not ids
        (lambda: net.forward(params, np.zeros((2, 0, 4))), ValueError, "empty"),
        (lambda: net.forward(params, np.full((1, 2, 4), np.nan)), ValueError, "NaN"),
        (lambda: net.forward(params, np.array([[0, 9]])), ValueError, r"token id 9 is out of range.*\[0, 4\)"),
        (lambda: net.forward(params, np.array([["a", "b"]])), TypeError, "dtype"),
        (lambda: net.forward(params, np.zeros((1, 2, 4)), input_mask=np.ones((1, 3), bool)), ValueError, "input_mask"),
        (lambda: net.forward({**params, "layer0.fwd.W_hh": np.zeros((3, 2))}, np.zeros((1, 2, 4))), ValueError,
         r"params\['layer0.fwd.W_hh'\]: expected shape \(3, 3\)"),
        (lambda: net.forward({k: v for k, v in params.items() if k != "out.b_y"}, np.zeros((1, 2, 4))), ValueError,
         "missing out.b_y"),
        (lambda: net.forward(params, np.zeros((1, 2, 4)), outputs="first"), ValueError, "outputs"),
        (lambda: net.forward(params, np.zeros((1, 2, 4)), state0={"layer9.fwd": (np.zeros((1, 3)),)}), ValueError,
         "unknown key"),
        (lambda: net.evaluate(params, np.zeros((1, 2, 4)), np.array([[0, 4]])), ValueError, "targets: token id 4"),
        (lambda: net.evaluate(params, np.zeros((1, 2, 4)), np.array([[0]])), ValueError, "targets"),
        (lambda: net.evaluate(params, np.zeros((1, 2, 4)), np.array([[0, 1]]), loss="hinge"), ValueError, "loss"),
        (lambda: rv.Network(4, 3, cell="transformer"), ValueError, "cell: unknown value 'transformer'"),
        (lambda: rv.Network(4, 3, cell="lstm", cell_options={"activation": "relu"}), ValueError,
         "does not take option.*activation"),
        (lambda: rv.Network(4, 3, cell_options={"activation": "sigmoid"}), ValueError, "activation"),
        (lambda: rv.Network(4, 0), ValueError, "hidden_size: must be > 0"),
        (lambda: rv.Network(4, [3, 3], num_layers=3), ValueError, "one per layer"),
        (lambda: net.init_params(42), TypeError, "Generator"),
        (lambda: net.backward(params, np.zeros((1, 2, 4)), cache=None), TypeError, "cache"),
        (lambda: list(rv.truncated_bptt(rv.Network(4, 3, 4, bidirectional=True), params, np.zeros((1, 2, 4)),
                                        np.zeros((1, 2), int), 2)), ValueError, "unidirectional"),
        (lambda: list(rv.truncated_bptt(net, params, np.zeros((1, 2, 4)), np.zeros((1, 2), int), 0)), ValueError,
         "window"),
    ]
    for call, exc, pattern in cases:
        with pytest.raises(exc, match=pattern):
            call()


def test_dtype_float32_is_kept_when_asked(rng):
    net = rv.Network(3, 2, 3, cell="gru", dtype=np.float32)
    params = net.init_params(rng)
    assert all(v.dtype == np.float32 for v in params.values())
    assert net.forward(params, np.zeros((1, 2, 3))).Y.dtype == np.float32
    default = rv.Network(3, 2, 3)
    assert all(v.dtype == np.float64 for v in default.init_params(rng).values())


def test_within_checks_a_value_against_a_range_and_names_it():
    from rnnviz.core.checks import within

    assert within(0.5, (0.0, 1.0), "w") == 0.5 and within(3, (2, 100), "T", integer=True) == 3
    assert within(1.0 + 1e-12, (0.0, 1.0), "w") == 1.0 + 1e-12  # a slider's float at its end, to round-off
    for bad, words in ((1.5, "w: expected a number from 0 to 1, got 1.5"), (float("nan"), "got nan"),
                       (True, "got True"), ("0.5", "got '0.5'"), (None, "got None")):
        with pytest.raises(ValueError, match=re.escape(words)):
            within(bad, (0.0, 1.0), "w")
    with pytest.raises(ValueError, match="a whole number from 2 to 100"):
        within(2.5, (2, 100), "T", integer=True)
    with pytest.raises(ValueError, match=re.escape("from 0.00001 to 5000, got")):  # as a student reads numbers
        within(1e9, (1e-5, 5000.0), "lr")
