"""Lesson 5 (vanishing and exploding gradients): its lesson math against the core, its exercises' wrong answers.

Below them, the apps and their views driven without a browser: set a control, read the drawn values back.
"""

import numpy as np
import pytest
from rnnviz.core.diagnostics import gradient_flow, pascanu_bounds, scalar_chain
from rnnviz.viz.gradients import chain_html, spectral_html
from rnnviz.viz.svg import MISSING, VERMILLION, VIEW_CLASS, marks, matrix, parse_view, scale_colour
from rnnviz.widgets.vanishing import OneUnitApp, SpectralRadiusApp


@pytest.fixture
def lab(monkeypatch):
    monkeypatch.setenv("RNNVIZ_EXERCISES", "code")


def test_lesson_math_matches_the_core():
    from rnnviz.lessonmath.vanishing import SpectralSetup, one_unit, regime, spectral_state

    u = one_unit(0.5, 1.0, 20, "identity")
    assert u.ratio == pytest.approx(0.5 ** 19) and u.regime == "vanishing" and u.finite
    assert u.mean_factor == pytest.approx(0.5)
    assert one_unit(1.5, 0.0, 20, "identity").regime == "exploding"
    assert regime(float("inf")) == "exploding" and regime(float("nan")) == "overflowed" and regime(1.0) == "roughly stable"
    with pytest.raises(ValueError, match="activation"):
        one_unit(0.5, 1.0, 20, "softsign")
    setup = SpectralSetup.make(hidden_size=8, T=12, vocab=5)
    st = spectral_state(setup, 0.5, 1.0, "identity")
    assert st.flow.shape == (12, 12) and np.all(st.flow[np.triu_indices(12, 1)] == 0)
    assert st.ratio == pytest.approx(st.grad_norms[0] / st.grad_norms[-1]) and st.bounds.vanishing_guaranteed


def test_lesson5_w_for_gradient_names_the_mistake(lab):
    from rnnviz.exercises.vanishing import w_for_gradient as e

    assert e.check(0.695).correct and e.check("0.6952").correct and e.check(-0.695).correct
    fb = e.check(10 ** (-3 / 20))  # twenty factors instead of nineteen
    assert fb.wrong == "exponent" and "19 steps" in fb.text
    fb = e.check(1e-3)
    assert fb.wrong == "w" and "not the weight" in fb.text
    fb = e.check(0.9)
    assert not fb.correct and "closer to 0" in fb.text and "10**(-3/19)" not in fb.text and "0.695" not in fb.text
    assert "closer to 1" in e.check(0.5).text
    assert "not a number" in e.check("zero point seven").text


def test_lesson5_saturation(lab):
    from rnnviz.exercises.vanishing import saturation as e

    assert e.check("larger").correct
    fb = e.check("smaller")
    assert fb.wrong == "Phi'" and "Larger" not in fb.text
    assert "one of" in e.check("bigger").text


# =========================================================================== the apps and their views
def _chain(w, input_scale, T, activation, seed=0):
    with np.errstate(over="ignore", invalid="ignore"):  # the exploding regime overflows on purpose
        return scalar_chain(w, input_scale, T, activation=activation, rng=np.random.default_rng(seed))


def _finite(values):
    v = np.asarray(values, dtype=float)
    return v[np.isfinite(v) & (v > 0)]


def _chart(html, name):
    return next(el for el in parse_view(html).iter() if el.get("data-name") == name)


def _point_rows(html, group):
    """The pixel rows (cy) of the points of a group, in drawing order."""
    return np.array([float(el.get("cy")) for el in _chart(html, group).iter() if el.get("cy") is not None])


def _reference_network(app):
    """What the spectral app should show, from the core, with the app's parameters and data."""
    p = app.params()
    ev = app.net.evaluate(p, app.X, app.targets, target_mask=app.last_only)
    return (ev.backward.dh_norms()["layer0.fwd"], app.net.jacobian_norms(p, ev.forward.cache),
            pascanu_bounds(p["layer0.fwd.W_hh"], app.activation.value), gradient_flow(app.net, p, app.X, app.targets))


# --------------------------------------------------------------------------- one unit
def test_one_unit_view_draws_the_core_gradient_its_reference_and_the_states():
    app = OneUnitApp(w=0.5, activation="identity", T=20)
    html = app.chain_view.value
    ref = _chain(0.5, 0.5, 20, "identity")
    assert VIEW_CLASS in html and app.view_count() == 1 and list(app.figures()) == []  # no plotly left
    np.testing.assert_array_equal(marks(html, "grad"), np.abs(ref.grad))
    np.testing.assert_array_equal(marks(html, "h"), ref.h)
    np.testing.assert_allclose(marks(html, "bound"), 0.5 ** np.arange(19, -1, -1), rtol=1e-15)
    assert marks(html, "grad")[0] == pytest.approx(0.5 ** 19)  # identity: |dL/dh_1| = w^(T-1)
    assert "vanishing" in app.summary.value


def test_one_unit_gradient_is_drawn_on_a_log_axis():
    # identity: |dL/dh_t| = w^(T-t) is exponential in t, a straight line on a log axis (and not on a linear one)
    app = OneUnitApp(w=0.5, activation="identity", T=20)
    rows = _point_rows(app.chain_view.value, "grad")
    assert len(rows) == 20
    np.testing.assert_allclose(np.diff(rows), np.diff(rows)[0], atol=0.15)  # equal steps (to the 0.1 px drawn)
    assert rows[0] > rows[-1] + 100  # h_1's gradient far below h_T's


def test_moving_the_weight_and_the_length_redraws_the_view():
    app = OneUnitApp(w=0.5, activation="identity", T=20)
    before = app.chain_view.value
    app.w.value = 1.5
    assert app.chain_view.value != before
    np.testing.assert_array_equal(marks(app.chain_view.value, "grad"), np.abs(_chain(1.5, 0.5, 20, "identity").grad))
    assert marks(app.chain_view.value, "grad")[0] == pytest.approx(1.5 ** 19)
    assert "exploding" in app.summary.value
    app.T.value = 30
    assert len(marks(app.chain_view.value, "grad")) == len(marks(app.chain_view.value, "h")) == 30
    np.testing.assert_array_equal(marks(app.chain_view.value, "h"), _chain(1.5, 0.5, 30, "identity").h)


def test_one_unit_saturation_vanishes_even_with_large_w():
    app = OneUnitApp(w=1.5, input_scale=0.0, activation="tanh", T=40)
    small_inputs = marks(app.chain_view.value, "grad")[0]
    app.input_scale.value = 3.0
    shown = marks(app.chain_view.value, "grad")
    np.testing.assert_array_equal(shown, _finite(np.abs(_chain(1.5, 3.0, 40, "tanh").grad)))
    assert shown[0] < small_inputs * 1e-3
    assert "vanishing" in app.summary.value


def test_one_unit_states_keep_the_tanh_axis_and_grow_it_only_for_unbounded_states():
    app = OneUnitApp(w=0.9, activation="tanh", T=30)
    labels = [el.text for el in _chart(app.chain_view.value, "h_chart").iter("text")]
    assert "1" in labels and "\u22121" in labels and "axis grows" not in app.chain_view.value
    app.activation.value = "identity"
    app.w.value = 1.5  # |h| grows far beyond 1: the axis follows (no point pinned at the edge)
    h = marks(app.chain_view.value, "h")
    assert np.max(np.abs(h)) > 10 and "axis grows" in app.chain_view.value
    rows = _point_rows(app.chain_view.value, "h")
    assert len(set(np.round(rows[np.argsort(np.abs(h))[-3:]], 1))) == 3, "the largest states are pinned at the edge"


def test_one_unit_overflow_draws_gaps_and_warns(monkeypatch):
    import rnnviz.widgets.vanishing as lesson

    app = OneUnitApp(w=2.5, activation="identity", T=100, input_scale=3.0)
    assert app.message.kind == ""  # 2.5^99 is large but finite
    monkeypatch.setattr(lesson, "T_RANGE", (2, 1000))  # a lesson that allowed longer sequences: 2.5^999 overflows
    app.T.max = 1000
    app.T.value = 1000
    ref = _chain(2.5, 3.0, 1000, "identity")
    assert not np.all(np.isfinite(ref.grad))
    assert app.message.kind == "warning" and "overflowed" in app.message.text
    html = app.chain_view.value
    np.testing.assert_array_equal(marks(html, "grad"), _finite(np.abs(ref.grad)))  # the overflowed ones left out
    assert 0 < len(marks(html, "grad")) < 1000
    assert "overflowed to inf" in html
    assert app.summary.value and "exploding" in app.summary.value


def test_one_unit_zero_gradients_leave_gaps_on_the_log_axis():
    app = OneUnitApp(w=0.9, input_scale=1.0, activation="relu", T=50)
    ref = _chain(0.9, 1.0, 50, "relu")
    zeros = int(np.sum(ref.grad == 0))
    assert zeros > 0, "relu with these inputs should switch the gradient off somewhere"
    assert len(marks(app.chain_view.value, "grad")) == 50 - zeros
    assert f"{zeros} exactly 0" in app.chain_view.value and app.message.kind == ""


def test_chain_html_refuses_mismatched_arrays():
    with pytest.raises(ValueError, match="h and grad"):
        chain_html(np.zeros(5), np.zeros(4), 0.5)


# --------------------------------------------------------------------------- a full network
def test_spectral_view_draws_the_core_norms_singular_values_and_flow():
    app = SpectralRadiusApp(radius=0.5, activation="identity")
    html = app.spectral_view.value
    grad_norms, jac, bounds, flow = _reference_network(app)
    assert VIEW_CLASS in html and app.view_count() == 1 and list(app.figures()) == []  # no plotly left
    np.testing.assert_array_equal(marks(html, "grad_norms"), grad_norms)
    np.testing.assert_array_equal(marks(html, "jac_norms"), jac)
    np.testing.assert_array_equal(marks(html, "singular_values"), bounds.singular_values)
    assert marks(html, "threshold").tolist() == [1.0]
    z = matrix(html, "flow")
    assert z.shape == (40, 40)
    upper = np.triu(np.ones((40, 40), bool), 1)
    assert np.all(np.isnan(z[upper])), "t > s: the loss at s does not reach later states, no value"
    np.testing.assert_allclose(z[~upper], np.log10(flow[~upper]), rtol=1e-12)
    np.testing.assert_array_equal(app.grad_norms, grad_norms)
    np.testing.assert_array_equal(app.flow, flow)


def test_spectral_flow_map_is_viridis_with_grey_cells_without_value():
    app = SpectralRadiusApp(radius=1.0, activation="tanh")
    cells = [el for el in _chart(app.spectral_view.value, "flow").iter("rect") if el.get("data-v") is not None]
    values = np.array([float(el.get("data-v")) for el in cells])
    fills = [el.get("fill") for el in cells]
    assert all(f == MISSING for f, v in zip(fills, values) if np.isnan(v))
    assert fills[int(np.nanargmax(values))] == scale_colour(1.0, "Viridis")  # brightest: yellow
    assert fills[int(np.nanargmin(values))] == scale_colour(0.0, "Viridis")  # darkest: purple
    # hover: each cell with a value says it; the cells without one above the diagonal share one triangle's text
    assert all("log10" in el.find("title").text for el, v in zip(cells, values) if np.isfinite(v))
    covers = [el.find("title").text for el in _chart(app.spectral_view.value, "flow").iter("path")]
    assert len(covers) == 1 and "no value" in covers[0]
    upper = np.triu(np.ones((40, 40), bool), 1).ravel()
    assert np.all(np.isnan(values[upper])) and np.all(np.isfinite(values[~upper]))


def test_spectral_radius_slider_changes_all_three_panels():
    app = SpectralRadiusApp(radius=0.5, activation="identity")
    html = app.spectral_view.value
    before = [marks(html, "grad_norms"), marks(html, "singular_values"), matrix(html, "flow")]
    assert app.bounds.vanishing_guaranteed
    app.radius.value = 1.5
    html = app.spectral_view.value
    after = [marks(html, "grad_norms"), marks(html, "singular_values"), matrix(html, "flow")]
    np.testing.assert_allclose(after[1], before[1] * 3, rtol=1e-12)  # singular values scale with the radius
    assert after[0][0] / after[0][-1] > 1e3 > 1e-3 > before[0][0] / before[0][-1]  # exploding vs vanishing
    assert np.nanmean(after[2]) > np.nanmean(before[2])
    assert not app.bounds.vanishing_guaranteed and "possible" in app.summary.value
    # the bars above 1/gamma are red; none was before
    red = [el for el in _chart(html, "singular_values").iter("rect") if el.get("fill") == VERMILLION]
    assert len(red) == int(np.sum(after[1] > 1.0)) > 0


def test_spectral_overflow_draws_gaps_and_grey_and_warns(monkeypatch):
    import rnnviz.widgets.vanishing as lesson

    app = SpectralRadiusApp(radius=1.0, activation="identity", input_scale=0.0)
    monkeypatch.setattr(lesson, "RADIUS_RANGE", (0.1, 1e12))  # far beyond the slider: (1e10)^39 overflows float64
    app.radius.max = 1e12
    app.radius.value = 1e10
    assert app.message.kind == "warning" and "overflowed" in app.message.text
    html = app.spectral_view.value
    assert not np.all(np.isfinite(app.grad_norms))
    np.testing.assert_array_equal(marks(html, "grad_norms"), _finite(app.grad_norms))
    # the Jacobian norms near T are still finite and drawn; only those past the overflow are left out
    assert np.isposinf(app.jac_norms[0]) and np.isfinite(app.jac_norms[-1])
    np.testing.assert_array_equal(marks(html, "jac_norms"), _finite(app.jac_norms))
    z = matrix(html, "flow")
    assert np.all(np.isnan(z[~np.isfinite(app.flow)])) and np.any(np.isfinite(z))
    assert "overflowed to inf" in html
    app.radius.max = 2.0  # back in range: the warning goes, every point is drawn again
    app.radius.value = 1.0
    assert app.message.kind == "" and len(marks(app.spectral_view.value, "grad_norms")) == 40


def test_spectral_html_draws_a_map_without_any_value():
    T = 5
    html = spectral_html(np.full(T, np.inf), np.full(T, np.nan), np.array([2.0, 1.0]), 1.0, np.full((T, T), np.inf))
    assert np.all(np.isnan(matrix(html, "flow"))) and len(marks(html, "grad_norms")) == 0
    with pytest.raises(ValueError, match="flow"):
        spectral_html(np.ones(T), np.ones(T), np.ones(2), 1.0, np.ones((T, T + 1)))


def test_spectral_app_rejects_values_sent_over_the_websocket():
    app = SpectralRadiusApp()
    good = marks(app.spectral_view.value, "grad_norms")
    app.input_scale.value = 1e9  # clamped by the slider's max on the kernel side
    assert app.input_scale.value == app.input_scale.max
    app.setup.base["layer0.fwd.W_hh"] = np.zeros((32, 32))  # a broken state: radius 0 cannot be rescaled
    shown = app.spectral_view.value
    app.radius.value = 1.2
    assert app.message.kind == "error" and "spectral radius 0" in app.message.text
    assert app.spectral_view.value == shown, "the view was left as it was"
    app.setup.base["layer0.fwd.W_hh"] = np.eye(32)
    app.radius.value = 0.9
    assert app.message.kind == "" and not np.allclose(marks(app.spectral_view.value, "grad_norms"), good)


# --------------------------------------------------------------------------- layout
@pytest.mark.parametrize("make, attr, n", [(OneUnitApp, "chain_view", 2), (SpectralRadiusApp, "spectral_view", 3)])
def test_panels_sit_side_by_side_in_the_app_and_wrap_in_a_900_px_page(make, attr, n):
    html = getattr(make(), attr).value
    widths = [sum(int(s.get("width")) for s in p.iter() if s.tag == "svg" and s.get("data-name"))
              for p in parse_view(html).iter("div") if p.get("class") == "rnnviz-panel"]
    assert len(widths) == n
    gaps = 30 * (n - 1) + 4 * n  # .rnnviz-panels gap, the gap between a panel's SVGs
    assert sum(widths) + gaps <= 1160, f"{widths}: the panels do not fit side by side in the 1200 px app"
    assert max(widths) <= 540 and sum(widths) + gaps > 850, f"{widths}: the panels would not wrap at 900 px"


def test_values_outside_the_lesson_ranges_are_refused_even_when_the_slider_allows_them():
    """A browser can send a slider's max too: the app checks its own ranges, not the widget's."""
    app = OneUnitApp()
    shown = app.chain_view.value
    app.T.max = 10**7
    app.T.value = 10**7
    assert app.message.kind == "error" and "length T: expected a whole number from 2 to 100" in app.message.text
    assert app.chain_view.value == shown and app.stale
    app.T.value = 30
    assert app.message.kind == "" and not app.stale and len(marks(app.chain_view.value, "h")) == 30


def test_the_flow_map_explains_its_grey_cells():
    app = SpectralRadiusApp()
    guide = app.children[1].value
    assert "Grey cells" in guide and "overflowed" in guide and "above the diagonal" in guide
