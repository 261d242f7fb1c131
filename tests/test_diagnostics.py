"""Gradient diagnostics behind the vanishing/exploding lesson."""

import numpy as np
import pytest

import rnnviz as rv


def test_scalar_chain_is_the_chapters_product(rng):
    """dL/dh_t = Phi'(a_{t+1}) w dL/dh_{t+1}, with L = h_T."""
    res = rv.scalar_chain(0.8, 0.5, 20, rng=rng)
    h = res.h
    expected = np.empty(20)
    expected[-1] = 1.0
    for t in range(18, -1, -1):
        expected[t] = (1 - h[t + 1] ** 2) * 0.8 * expected[t + 1]
    assert res.grad == pytest.approx(expected, rel=1e-12)
    assert res.factors[1:] == pytest.approx((1 - h[1:] ** 2) * 0.8)


def test_scalar_chain_identity_is_a_pure_power():
    res = rv.scalar_chain(1.3, 1.0, 15, activation="identity", rng=np.random.default_rng(0))
    assert res.grad == pytest.approx(1.3 ** np.arange(14, -1, -1.0), rel=1e-12)


def test_spectral_radius_rescaling_and_pascanu_bounds(rng):
    W = rng.standard_normal((6, 6))
    W2 = rv.with_spectral_radius(W, 0.7)
    assert rv.spectral_radius(W2) == pytest.approx(0.7)
    b = rv.pascanu_bounds(W2)
    assert b.singular_values[0] == pytest.approx(np.linalg.norm(W2, 2))
    assert b.vanishing_guaranteed == (b.singular_values[0] < 1)
    assert b.exploding_possible == (not b.vanishing_guaranteed)
    assert rv.pascanu_bounds(np.eye(3) * 3.0, "sigmoid").threshold == 4.0
    with pytest.raises(ValueError, match="square"):
        rv.spectral_radius(np.zeros((2, 3)))
    with pytest.raises(ValueError, match="spectral radius 0"):
        rv.with_spectral_radius(np.zeros((2, 2)), 1.0)


def test_vanishing_is_guaranteed_below_the_bound(rng):
    """When sigma_max(W_hh) < 1, ||dh_T/dh_t|| <= sigma_max**(T-t) (tanh, gamma = 1)."""
    net = rv.Network(3, 5, 3)
    p = net.init_params(rng)
    p["layer0.fwd.W_hh"] = rng.standard_normal((5, 5))
    p["layer0.fwd.W_hh"] *= 0.9 / np.linalg.norm(p["layer0.fwd.W_hh"], 2)
    fwd = net.forward(p, rng.integers(0, 3, (1, 12)))
    norms = net.jacobian_norms(p, fwd.cache)
    assert np.all(norms <= 0.9 ** np.arange(11, -1, -1.0) + 1e-12)


def test_gradient_flow_matches_single_loss_backprop(rng):
    net = rv.Network(4, 3, 4, cell="gru")
    p = net.init_params(rng)
    X = rng.integers(0, 4, (2, 6))
    t = rng.integers(0, 4, (2, 6))
    M = rv.gradient_flow(net, p, X, t, sample=1)
    assert M.shape == (6, 6)
    assert np.all(np.triu(M, 1) == 0)  # the loss at s does not reach states after s
    for s in (0, 3, 5):
        mask = np.zeros((1, 6), bool)
        mask[0, s] = True
        dh = net.evaluate(p, X[1:2], t[1:2], target_mask=mask).backward.dh["layer0.fwd"][0]
        assert M[s] == pytest.approx(np.linalg.norm(dh, axis=-1), rel=1e-10)
    with pytest.raises(ValueError, match="sample"):
        rv.gradient_flow(net, p, X, t, sample=2)
