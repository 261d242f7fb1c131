"""Finite-difference gradient checks, float64, for every cell, activation and architecture."""

import numpy as np
import pytest

import rnnviz as rv

TOL = 1e-7

CELL_CONFIGS = [
    ("vanilla", {"activation": "tanh"}),
    ("vanilla", {"activation": "relu"}),
    ("vanilla", {"activation": "identity"}),
    ("layernorm", {}),
    ("lstm", {}),
    ("gru", {"reset_after": False}),
    ("gru", {"reset_after": True}),
]
CELL_IDS = [f"{k}-{'-'.join(f'{a}={b}' for a, b in o.items())}".rstrip("-") for k, o in CELL_CONFIGS]


def _perturbed(params, rng, scale=0.5):
    """Move every parameter (biases, gamma included) off its initial value, so no term is trivially zero."""
    return {k: v + scale * rng.standard_normal(v.shape) for k, v in params.items()}


def _check_full(net, params, X, targets, **kw):
    ev = net.evaluate(params, X, targets, **kw)
    report = rv.check_gradients(lambda p: net.evaluate(p, X, targets, **kw).loss, params, ev.grads)
    assert report.max_error < TOL, str(report)
    return ev


@pytest.mark.parametrize("kind,options", CELL_CONFIGS, ids=CELL_IDS)
def test_single_step_backward_matches_finite_differences(kind, options, rng):
    """step_backward of one time-stamp, including dx and dstate_prev."""
    cell = rv.make_cell(kind, 3, 4, **options)
    params = _perturbed(cell.init_params(rng), rng)
    x = rng.standard_normal((2, 3))
    state = tuple(rng.standard_normal((2, 4)) for _ in cell.state_names)
    douts = tuple(rng.standard_normal((2, 4)) for _ in cell.state_names)

    def f(p, x=x, state=state):
        new, _ = cell.step_forward(p, x, state)
        return sum(float((s * d).sum()) for s, d in zip(new, douts))

    _, cache = cell.step_forward(params, x, state)
    dx, dstate_prev, grads = cell.step_backward(params, douts, cache)
    assert set(grads) == set(params)
    report = rv.check_gradients(f, params, grads)
    assert report.max_error < TOL, str(report)
    num_dx = rv.numerical_gradient(lambda d: f(params, x=d["x"]), {"x": x})["x"]
    assert rv.relative_error(dx, num_dx) < TOL
    for i in range(len(state)):
        def fs(d, i=i):
            s = list(state)
            s[i] = d["s"]
            return f(params, state=tuple(s))

        num = rv.numerical_gradient(fs, {"s": state[i]})["s"]
        assert rv.relative_error(dstate_prev[i], num) < TOL, f"dstate_prev[{i}] of {kind}"


@pytest.mark.parametrize("kind,options", CELL_CONFIGS, ids=CELL_IDS)
def test_one_layer_sequence_softmax(kind, options, rng):
    net = rv.Network(4, 3, 4, cell=kind, cell_options=options)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.standard_normal((2, 5, 4))
    targets = rng.integers(0, 4, (2, 5))
    _check_full(net, params, X, targets)


@pytest.mark.parametrize("kind,options", CELL_CONFIGS, ids=CELL_IDS)
def test_bidirectional_two_layers(kind, options, rng):
    net = rv.Network(3, 3, 2, cell=kind, cell_options=options, num_layers=2, bidirectional=True)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.standard_normal((2, 4, 3))
    _check_full(net, params, X, rng.integers(0, 2, (2, 4)))


def test_three_stacked_layers_mixing_cells(rng):
    # (a layer-normalized layer of 2 units is degenerate: z = +-1 whatever a is, so nothing
    # below it gets a gradient and the relative error measures round-off; use 3)
    net = rv.Network(3, [4, 3, 3], 3, cell=["lstm", "gru", "layernorm"], num_layers=3,
                     cell_options=[{}, {"reset_after": True}, {}])
    params = _perturbed(net.init_params(rng), rng)
    X = rng.standard_normal((2, 5, 3))
    _check_full(net, params, X, rng.integers(0, 3, (2, 5)))


def test_bidirectional_mixed_cells_last_output_classification(rng):
    net = rv.Network(3, 3, 2, cell=["vanilla", "lstm"], num_layers=2, bidirectional=True)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.standard_normal((3, 4, 3))
    _check_full(net, params, X, rng.integers(0, 2, 3), outputs="last")


@pytest.mark.parametrize("kind", ["vanilla", "lstm", "gru"])
def test_token_id_inputs_and_masks(kind, rng):
    """Token ids as inputs, some inputs and some targets absent."""
    net = rv.Network(6, 4, 6, cell=kind)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.integers(0, 6, (3, 7))
    targets = rng.integers(0, 6, (3, 7))
    input_mask = rng.random((3, 7)) > 0.3
    target_mask = rng.random((3, 7)) > 0.4
    targets[~target_mask] = -1  # absent targets may hold anything
    ev = _check_full(net, params, X, targets, input_mask=input_mask, target_mask=target_mask)
    assert ev.loss_result.count == target_mask.sum()


@pytest.mark.parametrize("kind", ["vanilla", "layernorm", "lstm", "gru"])
def test_squared_error_head_and_input_gradient(kind, rng):
    net = rv.Network(2, 3, 1, cell=kind)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.standard_normal((2, 6, 2))
    Y = rng.standard_normal((2, 6, 1))
    ev = _check_full(net, params, X, Y, loss="squared_error", reduction="mean")
    num = rv.numerical_gradient(lambda d: net.evaluate(params, d["X"], Y, loss="squared_error", reduction="mean").loss,
                                {"X": X})["X"]
    assert rv.relative_error(ev.backward.dX, num) < TOL


@pytest.mark.parametrize("kind", ["vanilla", "lstm"])
def test_initial_state_gradient(kind, rng):
    net = rv.Network(2, 3, 2, cell=kind, num_layers=2)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.standard_normal((2, 4, 2))
    t = rng.integers(0, 2, (2, 4))
    state0 = {k: tuple(rng.standard_normal(s.shape) for s in v) for k, v in net.init_state(2).items()}
    ev = net.evaluate(params, X, t, state0=state0)
    for key, states in state0.items():
        for i, s in enumerate(states):
            def f(d, key=key, i=i):
                st = dict(state0)
                st[key] = tuple(d["s"] if j == i else x for j, x in enumerate(state0[key]))
                return net.evaluate(params, X, t, state0=st).loss

            num = rv.numerical_gradient(f, {"s": s})["s"]
            assert rv.relative_error(ev.backward.dstate0[key][i], num) < TOL, key


@pytest.mark.parametrize("kind", ["vanilla", "gru"])
def test_truncated_bptt_gradient_is_exact_for_the_truncated_objective(kind, rng):
    """Each window's gradient is the exact gradient of that window's loss with the
    carried-in state held constant; summed, they differ from the full gradient."""
    net = rv.Network(3, 4, 3, cell=kind)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.integers(0, 3, (2, 9))
    t = rng.integers(0, 3, (2, 9))
    windows = list(rv.truncated_bptt(net, params, X, t, 4))
    assert [(w.start, w.stop) for w in windows] == [(0, 4), (4, 8), (8, 9)]
    state = None
    for w in windows:
        s0 = state

        def f(p, w=w, s0=s0):
            return net.evaluate(p, X[:, w.start:w.stop], t[:, w.start:w.stop], state0=s0).loss

        report = rv.check_gradients(f, params, w.grads)
        assert report.max_error < TOL, str(report)
        state = w.state
    _, g_trunc, _ = rv.tbptt_gradient(net, params, X, t, 4)
    _, g_full, _ = rv.tbptt_gradient(net, params, X, t, 9)
    exact = net.evaluate(params, X, t).grads
    assert all(np.allclose(g_full[k], exact[k]) for k in exact)
    assert rv.relative_error(g_trunc["layer0.fwd.W_hh"], exact["layer0.fwd.W_hh"]) > 1e-3
    # the output layer sees no recurrence: truncation leaves its gradient exact
    assert np.allclose(g_trunc["out.W_hy"], exact["out.W_hy"])


@pytest.mark.parametrize("kind,options", CELL_CONFIGS, ids=CELL_IDS)
def test_random_direction_check_on_long_sequences(kind, options, rng):
    net = rv.Network(5, 8, 5, cell=kind, cell_options=options, num_layers=2)
    params = net.init_params(rng)
    X = rng.integers(0, 5, (4, 30))
    ev = net.evaluate(params, X, X)
    errs = rv.directional_check(lambda p: net.evaluate(p, X, X).loss, params, ev.grads, rng, directions=3)
    assert max(errs) < 1e-6


def test_gradient_check_catches_a_wrong_gradient(rng):
    net = rv.Network(3, 3, 3)
    params = _perturbed(net.init_params(rng), rng)
    X = rng.integers(0, 3, (2, 4))
    ev = net.evaluate(params, X, X)
    wrong = dict(ev.grads)
    wrong["layer0.fwd.W_hh"] = wrong["layer0.fwd.W_hh"] * 1.01
    report = rv.check_gradients(lambda p: net.evaluate(p, X, X).loss, params, wrong)
    assert not report.passed and report.worst() == "layer0.fwd.W_hh"
    assert "FAILED" in str(report)
    errs = rv.directional_check(lambda p: net.evaluate(p, X, X).loss, params, wrong, rng)
    assert max(errs) > 1e-6
