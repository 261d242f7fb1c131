"""Lesson 7 apps (layer normalization), driven without a browser: set a control, read the view back.

The expected numbers are computed here from the core (the cells and the network, called directly with the
app's weights and inputs) or from the chapter's formula, never taken from the app's own results.
"""

import numpy as np
import pytest

from rnnviz.core.cells import LayerNormRNNCell, VanillaRNNCell
from rnnviz.core.network import Network
from rnnviz.core.optim import Adam
from rnnviz.core.train import Trainer
from rnnviz.viz.svg import VIEW_CLASS, marks
from rnnviz.widgets.layernorm import LayerNormSequenceApp, LayerNormStepApp, LayerNormTrainingApp


# --------------------------------------------------------------------------- one step
def _core_step(app):
    """Both cells on the app's x_t and h_{t-1}, with its weights scaled as the controls say."""
    k, p = app.scale.value, app.base["W_hh"].shape[0]
    W_xh = app.base["W_xh"] * (k if app.scaled.value == "W_xh and W_hh" else 1.0)
    W_hh = app.base["W_hh"] * k
    d = W_xh.shape[1]
    params = {"W_xh": W_xh, "W_hh": W_hh, "gamma": np.full(p, app.gain.value), "beta": np.full(p, app.bias.value)}
    (h_ln,), c = LayerNormRNNCell(d, p).step_forward(params, app.x, (app.h_prev,))
    (h_v,), _ = VanillaRNNCell(d, p).step_forward({"W_xh": W_xh, "W_hh": W_hh, "b_h": np.zeros(p)}, app.x, (app.h_prev,))
    a = app.x @ W_xh.T + app.h_prev @ W_hh.T  # the chapter's a_t, written out
    return a[0], c, h_ln[0], h_v[0]


def test_step_view_draws_the_cores_numbers():
    app = LayerNormStepApp(gain=1.5, bias=0.2)
    html = app.step_view.value
    a, c, h_ln, h_v = _core_step(app)
    assert VIEW_CLASS in html and app.view_count() == 1 and list(app.figures()) == []
    np.testing.assert_allclose(marks(html, "a"), a, rtol=1e-12)
    assert marks(html, "mu")[0] == pytest.approx(a.mean(), rel=1e-12)
    assert marks(html, "sigma")[0] == pytest.approx(np.sqrt(a.var() + 1e-6), rel=1e-12)
    np.testing.assert_array_equal(marks(html, "z"), c.z[0])
    np.testing.assert_allclose(marks(html, "s"), 1.5 * c.z[0] + 0.2, rtol=1e-12)
    np.testing.assert_array_equal(marks(html, "h_layernorm"), h_ln)
    np.testing.assert_array_equal(marks(html, "h_vanilla"), h_v)


def test_the_scale_slider_saturates_the_vanilla_cell_and_leaves_layer_norm_unchanged():
    app = LayerNormStepApp()
    before = {name: marks(app.step_view.value, name) for name in ("a", "z", "h_layernorm", "h_vanilla", "dphi_vanilla")}
    assert "vanilla <b>0</b>" in app.summary.value  # k = 1: no unit saturated
    app.scale.value = 20.0
    html = app.step_view.value
    np.testing.assert_allclose(marks(html, "a"), 20.0 * before["a"], rtol=1e-12)  # a_t -> 20 a_t
    np.testing.assert_allclose(marks(html, "a"), _core_step(app)[0], rtol=1e-12)
    np.testing.assert_allclose(marks(html, "z"), before["z"], atol=2e-6)  # invariant (but for the core's eps)
    np.testing.assert_allclose(marks(html, "h_layernorm"), before["h_layernorm"], atol=2e-6)
    h_v = marks(html, "h_vanilla")
    np.testing.assert_array_equal(h_v, _core_step(app)[3])
    saturated = int(np.sum(1 - h_v ** 2 < 0.05))
    assert saturated >= 4 and np.all(np.abs(h_v) >= np.abs(before["h_vanilla"]))
    assert f"vanilla <b>{saturated}</b> of 6, layer norm <b>0</b> of 6" in app.summary.value


def test_scaling_w_hh_alone_is_not_a_pure_rescaling():
    app = LayerNormStepApp()
    app.scaled.value = "W_hh only"
    z1 = marks(app.step_view.value, "z")
    app.scale.value = 10.0
    html = app.step_view.value
    a, c, h_ln, _ = _core_step(app)
    np.testing.assert_allclose(marks(html, "a"), a, rtol=1e-12)
    np.testing.assert_array_equal(marks(html, "z"), c.z[0])
    assert np.max(np.abs(marks(html, "z") - z1)) > 0.05  # the direction of a_t changed, so z did
    assert np.max(np.abs(marks(html, "z"))) <= np.sqrt(5) + 1e-9  # still normalized: |z_i| <= sqrt(p - 1)


def test_gain_and_bias_move_what_enters_tanh():
    app = LayerNormStepApp()
    z = marks(app.step_view.value, "z")
    app.gain.value = 2.5
    app.bias.value = -0.5
    np.testing.assert_allclose(marks(app.step_view.value, "s"), 2.5 * z - 0.5, rtol=1e-12)
    np.testing.assert_allclose(marks(app.step_view.value, "h_layernorm"), np.tanh(2.5 * z - 0.5), rtol=1e-12)
    np.testing.assert_array_equal(marks(app.step_view.value, "z"), z)  # normalization does not depend on gamma, beta


def test_step_app_shows_a_readable_message_for_bad_values_and_recovers():
    app = LayerNormStepApp()
    shown = app.step_view.value
    app.scale.set_state({"value": float("nan")})  # what a comm message from a browser can do
    assert app.message.kind == "error" and "weight scale k" in app.message.text and "nan" in app.message.text
    assert app.step_view.value == shown, "the view was left as it was"
    app.scale.value = 5.0
    assert app.message.kind == "" and app.step_view.value != shown


# --------------------------------------------------------------------------- a sequence
def _core_sequence(app, kind):
    """||what enters tanh||, ||h_t||, ||dL_T/dh_t|| of the app's sequence, from a Network built here."""
    H, D = app.base["W_hh"].shape[0], app.base["W_xh"].shape[1]
    net = Network(D, H, D, cell=kind)
    params = app.params(kind)
    ev = net.evaluate(params, app.X, app.targets, target_mask=app.last_only)
    h = ev.forward.hidden["layer0.fwd"][0]
    steps = ev.forward.cache.layers[0]["fwd"].steps
    if kind == "layernorm":
        pre = np.array([np.linalg.norm(params["layer0.fwd.gamma"] * s.z[0] + params["layer0.fwd.beta"]) for s in steps])
    else:
        pre = np.linalg.norm(app.X[0] @ params["layer0.fwd.W_xh"].T
                             + np.vstack([np.zeros(H), h[:-1]]) @ params["layer0.fwd.W_hh"].T, axis=1)  # ||a_t||
    return pre, np.linalg.norm(h, axis=1), ev.backward.dh_norms()["layer0.fwd"]


def test_sequence_view_draws_the_cores_norms():
    app = LayerNormSequenceApp()
    html = app.sequence_view.value
    assert VIEW_CLASS in html and app.view_count() == 1
    for kind in ("vanilla", "layernorm"):
        pre, h, grad = _core_sequence(app, kind)
        np.testing.assert_allclose(marks(html, f"pre_{kind}"), pre, rtol=1e-12)
        np.testing.assert_allclose(marks(html, f"h_{kind}"), h, rtol=1e-12)
        np.testing.assert_allclose(marks(html, f"grad_{kind}"), grad, rtol=1e-12)


def test_a_large_w_hh_saturates_and_explodes_the_vanilla_network_but_not_the_layer_norm_one():
    app = LayerNormSequenceApp(radius=1.0)
    ln_h1 = marks(app.sequence_view.value, "h_layernorm")
    app.radius.value = 20.0
    html = app.sequence_view.value
    p = app.base["W_hh"].shape[0]
    # with gamma = 1 and beta = 0 what enters tanh is z_t, whose norm is sqrt(p) whatever the scale of a_t
    np.testing.assert_allclose(marks(html, "pre_layernorm"), np.sqrt(p), rtol=1e-5)
    assert np.min(marks(html, "pre_vanilla")[1:]) > 5 * np.sqrt(p)  # vanilla: a_t grows with W_hh
    assert app.mean_slopes["vanilla"] < 0.15 < 0.5 < app.mean_slopes["layernorm"]  # vanilla saturated
    grad_v, grad_ln = marks(html, "grad_vanilla"), marks(html, "grad_layernorm")
    assert grad_v[0] / grad_v[-1] > 1e6  # exploding
    assert 1e-2 < grad_ln[0] / grad_ln[-1] < 10  # in range
    # the layer-norm states keep their size
    np.testing.assert_allclose(np.mean(marks(html, "h_layernorm")), np.mean(ln_h1), rtol=0.1)
    np.testing.assert_allclose(marks(html, "grad_layernorm"), _core_sequence(app, "layernorm")[2], rtol=1e-12)


def test_sequence_app_refuses_a_bad_value_and_recovers():
    app = LayerNormSequenceApp()
    shown = app.sequence_view.value
    app.input_scale.set_state({"value": float("nan")})
    assert app.message.kind == "error" and "input scale" in app.message.text
    assert app.sequence_view.value == shown
    app.input_scale.value = 1.5
    assert app.message.kind == "" and app.sequence_view.value != shown


# --------------------------------------------------------------------------- training
def test_training_from_a_large_w_hh_the_layer_norm_network_learns_and_the_vanilla_one_does_not():
    app = LayerNormTrainingApp(radius=4.0, steps=150)
    assert 'data-empty="1"' in app.training_view.value and "train both" in app.training_summary.value
    app.train_button.click()
    html = app.training_view.value
    # the same runs, from the core's Trainer on the app's starting weights and batches
    for kind in ("vanilla", "layernorm"):
        ref = Trainer(app.nets[kind], app.params(kind), Adam(lr=0.01)).run(app.batches, 150)
        np.testing.assert_allclose(marks(html, f"loss_{kind}"), ref.losses, rtol=1e-12)
        np.testing.assert_allclose(marks(html, f"gnorm_{kind}"), ref.grad_norms, rtol=1e-12)
    loss_v, loss_ln = marks(html, "loss_vanilla"), marks(html, "loss_layernorm")
    assert np.mean(loss_ln[-10:]) < 0.05 < 0.8 < np.mean(loss_v[-10:])  # chance level is log 4 = 1.39
    assert f"layer norm <b>{np.mean(loss_ln[-10:]):.3g}</b>" in app.training_summary.value
    app.radius.value = 1.0  # a new start forgets the runs
    assert 'data-empty="1"' in app.training_view.value and app.runs["vanilla"] is None


def test_training_app_refuses_a_bad_value_and_recovers():
    app = LayerNormTrainingApp(steps=5)
    app.CLICK_GUARD = 0.0  # clicks here come faster than a person's: none may be dropped as a queued repeat
    app.radius.set_state({"value": float("nan")})
    assert app.message.kind == "error" and "spectral radius" in app.message.text
    app.train_button.click()  # training from a bad start is refused too, readably
    assert app.message.kind == "error" and app.runs["vanilla"] is None
    app.radius.value = 2.0
    app.train_button.click()
    assert app.message.kind == "" and len(marks(app.training_view.value, "loss_layernorm")) == 5
