"""Lesson 5 apps, driven without a browser: set a control, check the figure."""

import numpy as np
import pytest

from rnnviz.widgets.vanishing import OneUnitApp, SpectralRadiusApp


def _y(trace):
    return np.array(trace.y, dtype=float)


def test_one_unit_weight_moves_the_gradient_curve():
    app = OneUnitApp(w=0.5, activation="identity", T=20)
    grad = _y(app.fig.data[0])
    assert grad[0] == pytest.approx(0.5 ** 19)  # identity: |dL/dh_1| = w^(T-1)
    assert "vanishing" in app.summary.value
    app.w.value = 1.5
    grad2 = _y(app.fig.data[0])
    assert grad2[0] == pytest.approx(1.5 ** 19)
    assert "exploding" in app.summary.value
    app.T.value = 30
    assert len(app.fig.data[0].x) == 30


def test_one_unit_saturation_vanishes_even_with_large_w():
    app = OneUnitApp(w=1.5, input_scale=0.0, activation="tanh", T=40)
    small_inputs = _y(app.fig.data[0])[0]
    app.input_scale.value = 3.0
    assert _y(app.fig.data[0])[0] < small_inputs * 1e-3
    assert "vanishing" in app.summary.value


def test_one_unit_overflow_is_a_lesson_not_a_crash():
    app = OneUnitApp(w=2.5, activation="identity", T=100, input_scale=3.0)
    app.w.value = 2.5
    assert app.message.kind in ("", "warning")
    app.T.value = 100
    assert app.summary.value  # still drawn


def test_spectral_radius_slider_changes_all_three_panels():
    app = SpectralRadiusApp(radius=0.5, activation="identity")
    before = [_y(app.fig.data[0]).copy(), _y(app.fig.data[2]).copy(), np.array(app.fig.data[4].z, dtype=float)]
    assert app.bounds.vanishing_guaranteed
    app.radius.value = 1.5
    after = [_y(app.fig.data[0]), _y(app.fig.data[2]), np.array(app.fig.data[4].z, dtype=float)]
    assert after[1][0] == pytest.approx(before[1][0] * 3)  # singular values scale with the radius
    assert after[0][0] / after[0][-1] > 1e3 > 1e-3 > before[0][0] / before[0][-1]  # exploding vs vanishing
    assert np.nanmean(after[2]) > np.nanmean(before[2])
    assert not app.bounds.vanishing_guaranteed and "possible" in app.summary.value


def test_spectral_app_rejects_values_sent_over_the_websocket():
    app = SpectralRadiusApp()
    good = _y(app.fig.data[0]).copy()
    app.input_scale.value = 1e9  # clamped by the slider's max on the kernel side
    assert app.input_scale.value == app.input_scale.max
    app.base["layer0.fwd.W_hh"] = np.zeros((32, 32))  # a broken state: radius 0 cannot be rescaled
    app.radius.value = 1.2
    assert app.message.kind == "error" and "spectral radius 0" in app.message.text
    app.base["layer0.fwd.W_hh"] = np.eye(32)
    app.radius.value = 0.9
    assert app.message.kind == "" and not np.allclose(_y(app.fig.data[0]), good)

