"""Echo-state networks: the reservoir as specified, the ridge readout, prediction, generation, forgetting."""

import numpy as np
import pytest

import rnnviz as rv
from rnnviz.core.esn import EchoStateNetwork, nrmse, sparse_reservoir


def mackey_glass(n, *, tau=17, substeps=10, x0=1.2, discard=500):
    """dx/dt = 0.2 x(t - tau) / (1 + x(t - tau)^10) - 0.1 x(t), Euler with dt = 1/substeps, sampled every 1."""
    dt, lag = 1.0 / substeps, tau * substeps
    buf = [x0] * (lag + 1)
    out = []
    for i in range((n + discard) * substeps):
        x, xd = buf[-1], buf[-1 - lag]
        buf.append(x + dt * (0.2 * xd / (1.0 + xd**10) - 0.1 * x))
        if (i + 1) % substeps == 0:
            out.append(buf[-1])
    return np.array(out[discard:])


@pytest.fixture(scope="module")
def mg_series():
    """Mackey-Glass squashed as tanh(x - 1) (Jaeger & Haas, 2004), 2200 samples, std about 0.22."""
    return np.tanh(mackey_glass(2200) - 1.0)


@pytest.fixture(scope="module")
def mg_model(mg_series):
    """A 200-unit ESN trained for one-step-ahead prediction s_t -> s_{t+1} on the first 2000 samples."""
    esn = EchoStateNetwork(1, 200, 1, ridge=1e-8, rng=np.random.default_rng(0))
    fit = esn.fit(mg_series[:2000], mg_series[1:2001], washout=100)
    return esn, fit


# =========================================================================== the reservoir
@pytest.mark.parametrize("size,density,radius", [(50, 0.1, 0.9), (100, 0.05, 1.5), (20, 1.0, 0.5), (3, 0.3, 1.2)])
def test_spectral_radius_is_exactly_the_requested_one(size, density, radius):
    esn = EchoStateNetwork(2, size, 1, spectral_radius=radius, density=density, rng=np.random.default_rng(7))
    eig = np.linalg.eigvals(esn.params["W_hh"])
    assert abs(np.max(np.abs(eig)) - radius) < 1e-12 * max(radius, 1)
    assert esn.spectral_radius() == pytest.approx(radius, rel=1e-12)


def test_reservoir_has_the_requested_density_and_only_its_scale_depends_on_the_radius():
    W_a = EchoStateNetwork(1, 40, 1, spectral_radius=0.5, density=0.1, rng=np.random.default_rng(3)).params
    W_b = EchoStateNetwork(1, 40, 1, spectral_radius=1.5, density=0.1, rng=np.random.default_rng(3)).params
    assert np.count_nonzero(W_a["W_hh"]) == round(0.1 * 40 * 40)
    np.testing.assert_allclose(W_b["W_hh"], 3.0 * W_a["W_hh"], rtol=1e-12)
    np.testing.assert_array_equal(W_a["W_xh"], W_b["W_xh"])  # the same seed, the same input weights


def test_same_seed_gives_the_same_network_in_float64():
    a = EchoStateNetwork(2, 30, 1, bias_scaling=0.3, feedback=True, rng=np.random.default_rng(11))
    b = EchoStateNetwork(2, 30, 1, bias_scaling=0.3, feedback=True, rng=np.random.default_rng(11))
    assert sorted(a.params) == ["W_hh", "W_xh", "W_yh", "b_h"]
    for key in a.params:
        np.testing.assert_array_equal(a.params[key], b.params[key])
        assert a.params[key].dtype == np.float64
    X = np.random.default_rng(0).standard_normal((4, 10, 2))
    assert a.run(X, teacher=np.zeros((4, 10, 1))).dtype == np.float64


def test_input_and_bias_scaling_bound_the_weights():
    esn = EchoStateNetwork(3, 50, 1, input_scaling=0.2, rng=np.random.default_rng(0))
    assert np.abs(esn.params["W_xh"]).max() <= 0.2 and np.abs(esn.params["W_xh"]).max() > 0.1
    assert not np.any(esn.params["b_h"])  # bias_scaling=0 by default: no bias
    esn = EchoStateNetwork(3, 50, 1, bias_scaling=0.5, rng=np.random.default_rng(0))
    assert 0.25 < np.abs(esn.params["b_h"]).max() <= 0.5


def test_sparse_reservoir_alone_matches_the_network_draw():
    W = sparse_reservoir(25, density=0.2, spectral_radius=0.8, rng=np.random.default_rng(4))
    esn = EchoStateNetwork(1, 25, 1, density=0.2, spectral_radius=0.8, rng=np.random.default_rng(4))
    np.testing.assert_array_equal(W, esn.params["W_hh"])


# =========================================================================== the leaky update
def test_leaky_update_is_the_chapter_formula(rng):
    a = 0.3
    esn = EchoStateNetwork(2, 6, 1, leak_rate=a, bias_scaling=0.5, density=0.5, rng=rng)
    p = esn.params
    X = rng.standard_normal((3, 2))
    h0 = rng.standard_normal(6)
    states = esn.run(X, h0=h0)
    h = h0
    for t in range(3):
        h = (1 - a) * h + a * np.tanh(p["W_xh"] @ X[t] + p["W_hh"] @ h + p["b_h"])
        np.testing.assert_allclose(states[t], h, rtol=1e-13, atol=1e-15)


def test_small_leak_rate_makes_a_slow_reservoir():
    X = np.random.default_rng(1).uniform(-1, 1, (200, 1))  # a fast, jumpy input
    steps = {}
    for a in (1.0, 0.05):
        esn = EchoStateNetwork(1, 50, 1, leak_rate=a, rng=np.random.default_rng(2))
        S = esn.run(X)
        steps[a] = np.abs(np.diff(S, axis=0)).max()
    assert steps[0.05] <= 2 * 0.05  # |h_t - h_{t-1}| = a |tanh(...) - h_{t-1}| <= 2a
    assert steps[1.0] > 5 * steps[0.05]


def test_effective_spectral_radius_of_a_leaky_reservoir():
    a, rho = 0.2, 0.9
    esn = EchoStateNetwork(1, 40, 1, leak_rate=a, spectral_radius=rho, rng=np.random.default_rng(0))
    J = (1 - a) * np.eye(40) + a * esn.params["W_hh"]
    eff = esn.spectral_radius(effective=True)
    assert eff == pytest.approx(np.max(np.abs(np.linalg.eigvals(J))), rel=1e-12)
    assert eff <= (1 - a) + a * rho + 1e-12


# =========================================================================== shapes
def test_run_accepts_a_batch_one_series_or_a_1d_series(rng):
    esn = EchoStateNetwork(1, 12, 2, rng=rng)
    X = rng.standard_normal((3, 20, 1))
    S = esn.run(X, washout=5)
    assert S.shape == (3, 15, 12)
    # (T, D) is one series of the batch (equal up to the order of BLAS sums)
    np.testing.assert_allclose(esn.run(X[1]), esn.run(X)[1], rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(esn.run(X[1, :, 0]), esn.run(X[1]))  # (T,) when D = 1
    h0 = rng.standard_normal((3, 12))
    S0 = esn.run(X, h0=h0)
    np.testing.assert_allclose(S0[2], esn.run(X[2], h0=h0[2]), rtol=1e-12, atol=1e-14)  # one h0 per sequence
    assert not np.allclose(S0[:, 0], esn.run(X)[:, 0])


def test_predict_shapes_follow_the_input_layout(rng):
    X = rng.standard_normal((2, 30, 1))
    esn = EchoStateNetwork(1, 10, 1, rng=rng)
    esn.fit(X, np.roll(X, 1, axis=1))
    assert esn.predict(X).shape == (2, 30, 1)
    assert esn.predict(X[0], washout=4).shape == (26, 1)
    assert esn.predict(X[0, :, 0]).shape == (30,)  # 1-D in, K = 1: 1-D out


def test_feedback_reads_the_previous_teacher_output(rng):
    esn = EchoStateNetwork(2, 15, 1, feedback=True, rng=rng)
    X = rng.standard_normal((2, 12, 2))
    teacher = rng.standard_normal((2, 12, 1))
    S = esn.run(X, teacher=teacher)
    assert S.shape == (2, 12, 15) and esn.params["W_yh"].shape == (15, 1)
    changed = teacher.copy()
    changed[:, 6] += 1.0
    S2 = esn.run(X, teacher=changed)
    np.testing.assert_array_equal(S2[:, :7], S[:, :7])  # y_6 enters h_7 first
    assert np.abs(S2[:, 7] - S[:, 7]).min() > 0
    y0 = np.ones(1)
    assert not np.allclose(esn.run(X, teacher=teacher, y0=y0)[:, 0], S[:, 0])  # y0 is read at t = 0


# =========================================================================== the readout
def test_ridge_readout_equals_lstsq_on_the_augmented_system(rng):
    esn = EchoStateNetwork(2, 8, 3, density=0.5, rng=rng)
    X = rng.standard_normal((2, 25, 2))
    Y = rng.standard_normal((2, 25, 3))
    lam, washout = 0.1, 5
    fit = esn.fit(X, Y, washout=washout, ridge=lam)
    S = esn.run(X, washout=washout).reshape(-1, 8)
    Z = np.hstack([S, np.ones((len(S), 1))])
    penalty = np.sqrt(lam) * np.hstack([np.eye(8), np.zeros((8, 1))])  # the bias is not penalized
    W = np.linalg.lstsq(np.vstack([Z, penalty]), np.vstack([Y[:, washout:].reshape(-1, 3), np.zeros((8, 3))]), rcond=None)[0]
    np.testing.assert_allclose(esn.params["W_hy"], W[:8].T, rtol=1e-8, atol=1e-10)
    np.testing.assert_allclose(esn.params["b_y"], W[8], rtol=1e-8, atol=1e-10)
    assert fit.n_samples == 40
    # lambda = 0 is ordinary least squares
    esn.fit(X, Y, washout=washout, ridge=0.0)
    W0 = np.linalg.lstsq(Z, Y[:, washout:].reshape(-1, 3), rcond=None)[0]
    np.testing.assert_allclose(esn.params["W_hy"], W0[:8].T, rtol=1e-6, atol=1e-8)


def test_huge_ridge_predicts_the_mean_target(rng):
    esn = EchoStateNetwork(1, 10, 1, rng=rng)
    X, Y = rng.standard_normal((50, 1)), rng.standard_normal((50, 1)) + 3.0
    fit = esn.fit(X, Y, ridge=1e12)
    assert np.abs(fit.W_hy).max() < 1e-8
    assert fit.b_y[0] == pytest.approx(Y.mean(), rel=1e-6)
    assert fit.nrmse == pytest.approx(1.0, rel=1e-6)


def test_fit_reports_the_training_error_of_its_readout(rng):
    esn = EchoStateNetwork(1, 20, 1, rng=rng)
    t = np.arange(300) * 0.2
    X, Y = np.sin(t), np.sin(t) ** 2
    fit = esn.fit(X, Y, washout=30)
    Y_hat = esn.predict(X, washout=30)
    np.testing.assert_allclose(fit.Y_fit, Y_hat, rtol=1e-10, atol=1e-12)
    assert fit.mse == pytest.approx(np.mean((Y_hat - Y[30:]) ** 2))
    assert fit.nrmse == pytest.approx(nrmse(Y[30:], Y_hat))
    np.testing.assert_allclose(esn.readout(esn.run(X, washout=30)), Y_hat[:, None], rtol=1e-12)


def test_sine_to_shifted_sine_beats_copying_the_input():
    t = np.arange(1200) * 0.1
    X, Y = np.sin(t), np.sin(t + 1.0)  # the output leads the input by 1 rad
    esn = EchoStateNetwork(1, 50, 1, rng=np.random.default_rng(0))
    esn.fit(X[:800], Y[:800], washout=100)
    err = nrmse(Y[800:], esn.predict(X)[800:])
    assert err < 0.01 < nrmse(Y[800:], X[800:])  # copying the input scores about 0.96


def test_mackey_glass_one_step_prediction_beats_persistence(mg_series, mg_model):
    esn, fit = mg_model
    s = mg_series
    pred = esn.predict(s[:2199])[2000:]  # one step ahead on unseen data, the reservoir warmed up on the past
    test_err = nrmse(s[2001:], pred)
    persistence = nrmse(s[2001:], s[2000:2199])  # predict s_{t+1} = s_t: about 0.15
    assert fit.nrmse < 1e-3 and test_err < 1e-3
    assert test_err < persistence / 50


def test_mackey_glass_free_run_stays_close_to_the_true_series(mg_series, mg_model):
    esn, _ = mg_model
    s = mg_series
    run = esn.generate(100, warmup_inputs=s[1800:2000])  # then each output becomes the next input
    assert run.Y.shape == (100,) and run.states.shape == (100, 200)
    err = np.abs(run.Y - s[2000:2100])
    hold = np.abs(s[1999] - s[2000:2100])  # the trivial free run: repeat the last known value
    assert err.max() < 0.1 < hold.max()
    assert err[:20].max() < 0.02


def test_mackey_glass_from_rnnviz_data_is_predicted_too():
    """The same one-step task on the package's own series (skipped until rnnviz.data exports it)."""
    try:
        from rnnviz.data import mackey_glass as package_mackey_glass
    except ImportError:
        pytest.skip("rnnviz.data.mackey_glass is not exported yet")
    s = np.tanh(np.asarray(package_mackey_glass(1200, discard=300), dtype=float) - 1.0)
    esn = EchoStateNetwork(1, 100, 1, ridge=1e-8, rng=np.random.default_rng(0))
    esn.fit(s[:1000], s[1:1001], washout=100)
    pred = esn.predict(s[:-1])[1000:]
    assert nrmse(s[1001:], pred) < nrmse(s[1001:], s[1000:-1]) / 50  # about 3e-4 against 0.15


def test_feedback_network_learns_to_generate_a_sine_by_teacher_forcing():
    t = np.arange(1300)
    y = 0.5 * np.sin(t / 4)
    ones = np.ones((1000, 1))  # a constant input: the reservoir's only drive is the fed-back output
    esn = EchoStateNetwork(1, 100, 1, feedback=True, input_scaling=0.0, bias_scaling=0.2,
                           rng=np.random.default_rng(0))
    fit = esn.fit(ones, y[:1000], washout=100)  # teacher forced: y_{t-1} = y[t-1] is fed back
    np.testing.assert_allclose(esn.predict(ones, teacher=y[:1000], washout=100), fit.Y_fit, rtol=1e-10, atol=1e-12)
    run = esn.generate(300, warmup_inputs=ones, warmup_targets=y[:1000], inputs=np.ones((300, 1)))
    assert run.Y.shape == (300, 1)
    assert np.abs(run.Y[:, 0] - y[1000:]).max() < 0.01  # 12 periods later still on the sine
    closed = esn.predict(np.ones((60, 1)), y0=np.zeros(1))  # closed loop from a zero start
    assert np.all(np.isfinite(closed))


# =========================================================================== the echo-state property
def test_echo_state_property_holds_below_radius_one_and_fails_above():
    final = {}
    for rho in (0.9, 1.5):
        esn = EchoStateNetwork(1, 100, 1, spectral_radius=rho, rng=np.random.default_rng(0))
        f = esn.forgetting(n_steps=300, rng=np.random.default_rng(5))  # zero input
        assert f.distance.shape == (301,) and f.states.shape == (2, 300, 100)
        final[rho] = f.distance[-1] / f.distance[0]
    assert final[0.9] < 1e-8  # forgotten: both runs end in the same state
    assert final[1.5] > 0.1  # with rho = 1.5 and no input the two runs never meet


def test_a_driving_input_makes_the_reservoir_forget_faster():
    esn = EchoStateNetwork(1, 100, 1, spectral_radius=0.9, rng=np.random.default_rng(0))
    h0 = np.random.default_rng(5).uniform(-1, 1, (2, 100))
    quiet = esn.forgetting(n_steps=100, h0=h0).distance
    driven = esn.forgetting(np.sin(np.arange(100) / 5), h0=h0).distance
    assert driven[50] < quiet[50] / 100  # the input pushes units into tanh's flat parts


# =========================================================================== bad input
@pytest.mark.parametrize(
    "kwargs,error,match",
    [
        ({"spectral_radius": 0.0}, ValueError, "spectral_radius"),
        ({"spectral_radius": -1.0}, ValueError, "spectral_radius"),
        ({"leak_rate": 0.0}, ValueError, "leak_rate"),
        ({"leak_rate": 1.5}, ValueError, r"leak_rate: must lie in \(0, 1\]"),
        ({"density": 0.0}, ValueError, "density"),
        ({"density": 1.2}, ValueError, "density"),
        ({"reservoir_size": 0}, ValueError, "reservoir_size"),
        ({"reservoir_size": 2.5}, ValueError, "reservoir_size"),
        ({"input_size": 0}, ValueError, "input_size"),
        ({"ridge": -1e-3}, ValueError, "ridge"),
        ({"input_scaling": "big"}, TypeError, "input_scaling"),
        ({"feedback": 1}, TypeError, "feedback"),
        ({"rng": 0}, TypeError, "rng"),
    ],
)
def test_bad_construction_arguments_are_named(kwargs, error, match):
    args = {"input_size": 1, "reservoir_size": 10, "output_size": 1, "rng": np.random.default_rng(0)}
    args.update(kwargs)
    with pytest.raises(error, match=match):
        EchoStateNetwork(**args)


def test_bad_sequences_are_named(rng):
    esn = EchoStateNetwork(2, 10, 1, rng=rng)
    with pytest.raises(ValueError, match="X: expected shape"):
        esn.run(np.zeros((5, 3)))  # D = 3, the network has 2 inputs
    with pytest.raises(ValueError, match="X: expected batch-first sequences"):
        esn.run(np.zeros(5))  # 1-D only when D = 1
    with pytest.raises(ValueError, match="X: contains 1 NaN"):
        esn.run(np.array([[0.0, np.nan], [1.0, 2.0]]))
    with pytest.raises(TypeError, match="X"):
        esn.run("abc")
    with pytest.raises(ValueError, match="washout: must be smaller"):
        esn.run(np.zeros((5, 2)), washout=5)
    with pytest.raises(ValueError, match="h0"):
        esn.run(np.zeros((5, 2)), h0=np.zeros(3))
    with pytest.raises(ValueError, match="Y: has 1 sequence"):
        esn.fit(np.zeros((5, 2)), np.zeros(6))
    with pytest.raises(ValueError, match="teacher: outputs are only fed back"):
        esn.run(np.zeros((5, 2)), teacher=np.zeros(5))


def test_using_the_readout_before_fit_is_refused(rng):
    esn = EchoStateNetwork(1, 10, 1, rng=rng)
    with pytest.raises(ValueError, match="predict: the readout W_hy is not trained yet; call fit"):
        esn.predict(np.zeros(5))
    with pytest.raises(ValueError, match="generate: the readout W_hy is not trained"):
        esn.generate(5, warmup_inputs=np.zeros(5))


def test_generation_needs_what_its_mode_feeds_back(rng):
    esn = EchoStateNetwork(2, 10, 1, rng=rng)
    esn.fit(np.zeros((20, 2)) + np.arange(20)[:, None], np.arange(20.0))
    with pytest.raises(ValueError, match="output_size == input_size"):
        esn.generate(5, warmup_inputs=np.zeros((5, 2)))
    fb = EchoStateNetwork(1, 10, 1, feedback=True, rng=rng)
    with pytest.raises(ValueError, match="teacher: with feedback=True"):
        fb.run(np.zeros(5))
    fb.fit(np.ones(20), np.sin(np.arange(20.0)))
    with pytest.raises(ValueError, match="warmup_targets"):
        fb.generate(5, warmup_inputs=np.ones(10))
    with pytest.raises(ValueError, match="inputs: with feedback=True"):
        fb.generate(5, warmup_inputs=np.ones(10), warmup_targets=np.zeros(10))
    with pytest.raises(ValueError, match="n_steps"):
        fb.forgetting()


def test_exported_from_the_package():
    assert rv.EchoStateNetwork is EchoStateNetwork and rv.nrmse is nrmse
