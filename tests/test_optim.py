"""Optimizers: first steps against the formulas by hand, convergence on a quadratic, purity, bad input."""

import numpy as np
import pytest

from rnnviz.core.optim import SGD, Adagrad, Adam, RMSProp, make_optimizer

ALL = [
    lambda: SGD(lr=0.1),
    lambda: SGD(lr=0.05, momentum=0.9),
    lambda: SGD(lr=0.05, momentum=0.9, nesterov=True),
    lambda: Adagrad(lr=0.5),
    lambda: RMSProp(lr=0.005),  # constant-lr RMSProp hovers within ~lr of the minimum
    lambda: Adam(lr=0.05),
]
IDS = ["sgd", "momentum", "nesterov", "adagrad", "rmsprop", "adam"]


def _params():
    return {"W": np.array([[1.0, -2.0], [0.5, 3.0]]), "b": np.array([0.25, -0.5])}


def _grads():
    return {"W": np.array([[0.2, -0.4], [1.0, 0.0]]), "b": np.array([-3.0, 0.5])}


def _two_steps(opt):
    p0, g1 = _params(), _grads()
    g2 = {k: -0.5 * v + 0.1 for k, v in g1.items()}
    s = opt.init(p0)
    p1, s = opt.step(p0, g1, s)
    p2, s = opt.step(p1, g2, s)
    return p0, g1, g2, p1, p2, s


def test_sgd_is_w_minus_lr_g():
    p0, g1, g2, p1, p2, s = _two_steps(SGD(lr=0.1))
    for k in p0:
        np.testing.assert_allclose(p1[k], p0[k] - 0.1 * g1[k])
        np.testing.assert_allclose(p2[k], p1[k] - 0.1 * g2[k])
    assert s["t"] == 2


def test_momentum_accumulates_velocity():
    beta, lr = 0.9, 0.05
    p0, g1, g2, p1, p2, s = _two_steps(SGD(lr=lr, momentum=beta))
    for k in p0:
        v1 = -lr * g1[k]
        v2 = beta * v1 - lr * g2[k]
        np.testing.assert_allclose(p1[k], p0[k] + v1)
        np.testing.assert_allclose(p2[k], p1[k] + v2)
        np.testing.assert_allclose(s["V"][k], v2)


def test_nesterov_takes_the_look_ahead_step():
    beta, lr = 0.9, 0.05
    p0, g1, g2, p1, p2, s = _two_steps(SGD(lr=lr, momentum=beta, nesterov=True))
    for k in p0:
        v1 = -lr * g1[k]
        v2 = beta * v1 - lr * g2[k]
        np.testing.assert_allclose(p1[k], p0[k] + beta * v1 - lr * g1[k])
        np.testing.assert_allclose(p2[k], p1[k] + beta * v2 - lr * g2[k])


def test_adagrad_divides_by_root_of_summed_squares():
    lr, eps = 0.5, 1e-8
    p0, g1, g2, p1, p2, s = _two_steps(Adagrad(lr=lr, eps=eps))
    for k in p0:
        A1 = g1[k] ** 2
        A2 = A1 + g2[k] ** 2
        np.testing.assert_allclose(p1[k], p0[k] - lr * g1[k] / (np.sqrt(A1) + eps))
        np.testing.assert_allclose(p2[k], p1[k] - lr * g2[k] / (np.sqrt(A2) + eps))
        np.testing.assert_allclose(s["A"][k], A2)


def test_rmsprop_uses_a_decaying_average():
    lr, rho, eps = 0.02, 0.9, 1e-8
    p0, g1, g2, p1, p2, s = _two_steps(RMSProp(lr=lr, rho=rho, eps=eps))
    for k in p0:
        A1 = (1 - rho) * g1[k] ** 2
        A2 = rho * A1 + (1 - rho) * g2[k] ** 2
        np.testing.assert_allclose(p1[k], p0[k] - lr * g1[k] / (np.sqrt(A1) + eps))
        np.testing.assert_allclose(p2[k], p1[k] - lr * g2[k] / (np.sqrt(A2) + eps))


def test_adam_first_steps_with_bias_correction():
    lr, b1, b2, eps = 0.05, 0.9, 0.999, 1e-8
    p0, g1, g2, p1, p2, s = _two_steps(Adam(lr=lr, beta1=b1, beta2=b2, eps=eps))
    for k in p0:
        F1, A1 = (1 - b1) * g1[k], (1 - b2) * g1[k] ** 2
        F2, A2 = b1 * F1 + (1 - b1) * g2[k], b2 * A1 + (1 - b2) * g2[k] ** 2
        np.testing.assert_allclose(p1[k], p0[k] - lr * (F1 / (1 - b1)) / (np.sqrt(A1 / (1 - b2)) + eps))
        np.testing.assert_allclose(p2[k], p1[k] - lr * (F2 / (1 - b1**2)) / (np.sqrt(A2 / (1 - b2**2)) + eps))
        np.testing.assert_allclose(s["F"][k], F2)
        np.testing.assert_allclose(s["A"][k], A2)


def test_adam_bias_correction_makes_the_first_step_about_lr_per_entry():
    """Without the correction the first step would be (1-b1)/sqrt(1-b2) ~ 3.2x lr; with it, ~lr whatever |g|."""
    opt = Adam(lr=0.01)
    p = {"w": np.zeros(4)}
    g = {"w": np.array([1e-3, -0.5, 20.0, -1e4])}
    p1, _ = opt.step(p, g, opt.init(p))
    np.testing.assert_allclose(p1["w"], -0.01 * np.sign(g["w"]), rtol=1e-4)


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_each_optimizer_minimizes_a_convex_quadratic(make):
    """f(w) = 1/2 (w - c)^T Q (w - c) with an ill-conditioned Q: every optimizer gets close to c."""
    Q = np.array([[3.0, 0.5], [0.5, 1.0]])
    c = np.array([1.5, -2.0])
    opt = make()
    params = {"w": np.zeros(2)}
    state = opt.init(params)
    f0 = 0.5 * c @ Q @ c
    for _ in range(2000):
        g = {"w": Q @ (params["w"] - c)}
        params, state = opt.step(params, g, state)
    d = params["w"] - c
    assert 0.5 * d @ Q @ d < 1e-4 * f0
    assert np.linalg.norm(d) < 1e-2


@pytest.mark.parametrize("make", ALL, ids=IDS)
def test_step_returns_new_arrays_and_leaves_inputs_alone(make):
    opt = make()
    params, grads = _params(), _grads()
    state = opt.init(params)
    before = {k: v.copy() for k, v in params.items()}
    state_before = {k: ({kk: vv.copy() for kk, vv in v.items()} if isinstance(v, dict) else v) for k, v in state.items()}
    new, new_state = opt.step(params, grads, state)
    for k in params:
        np.testing.assert_array_equal(params[k], before[k])
        assert new[k] is not params[k] and not np.shares_memory(new[k], params[k])
        assert not np.array_equal(new[k], params[k])
    for k, v in state.items():
        if isinstance(v, dict):
            for kk in v:
                np.testing.assert_array_equal(v[kk], state_before[k][kk])
    assert state["t"] == 0 and new_state["t"] == 1


@pytest.mark.parametrize(
    "make,match",
    [
        (lambda: SGD(lr=0.0), "lr"),
        (lambda: SGD(lr=-1.0), "lr"),
        (lambda: Adam(lr=float("nan")), "lr"),
        (lambda: SGD(lr=0.1, momentum=1.0), "momentum"),
        (lambda: SGD(lr=0.1, momentum=-0.1), "momentum"),
        (lambda: SGD(lr=0.1, nesterov=True), "nesterov"),
        (lambda: RMSProp(rho=1.5), "rho"),
        (lambda: Adam(beta1=1.0), "beta1"),
        (lambda: Adam(beta2=-0.1), "beta2"),
        (lambda: Adagrad(eps=0.0), "eps"),
    ],
)
def test_bad_hyperparameters_are_named(make, match):
    with pytest.raises(ValueError, match=match):
        make()


def test_lr_must_be_a_number():
    with pytest.raises(TypeError, match="lr"):
        Adam(lr="0.1")


def test_mismatched_gradient_keys_and_shapes_are_named():
    opt = Adam()
    params = _params()
    state = opt.init(params)
    with pytest.raises(ValueError, match="no gradient for b"):
        opt.step(params, {"W": _grads()["W"]}, state)
    with pytest.raises(ValueError, match="unknown parameters extra"):
        opt.step(params, {**_grads(), "extra": np.zeros(1)}, state)
    with pytest.raises(ValueError, match=r"grads\['b'\]: expected shape"):
        opt.step(params, {"W": _grads()["W"], "b": np.zeros(3)}, state)
    with pytest.raises(TypeError, match="grads"):
        opt.step(params, [1, 2], state)


def test_state_from_other_params_is_refused():
    opt = RMSProp()
    state = opt.init({"W": np.zeros((2, 2))})
    with pytest.raises(ValueError, match="state"):
        opt.step(_params(), _grads(), state)
    with pytest.raises(TypeError, match="state"):
        opt.step(_params(), _grads(), None)


def test_make_optimizer_by_name():
    assert isinstance(make_optimizer("adam", lr=0.01), Adam)
    m = make_optimizer("nesterov", lr=0.1)
    assert isinstance(m, SGD) and m.momentum == 0.9 and m.nesterov
    assert repr(make_optimizer("rmsprop")) == "RMSProp(lr=0.001, rho=0.9, eps=1e-08)"
    with pytest.raises(ValueError, match="unknown optimizer 'adamw'"):
        make_optimizer("adamw")
