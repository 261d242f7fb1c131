"""Lesson 6 apps, driven without a browser: set a control, read the views back (the exercises: test_lesson_taming.py).

The views are SVG drawn by rnnviz (rnnviz.viz.taming); ``marks``/``matrix`` read the values each mark carries,
``_xy`` also the x each point of a curve carries (``data-x``). The expected numbers come from the core
(gradient_flow, tbptt_gradient, clip_by_value, clip_by_norm, the Trainer's history), not from the app.
"""

import re
import warnings

import numpy as np
import pytest

from rnnviz.core import clip_by_norm, clip_by_value, tbptt_gradient
from rnnviz.core.diagnostics import gradient_flow
from rnnviz.viz.svg import ORANGE, VIEW_CLASS, marks, off_marks, parse_view
from rnnviz.viz.taming import CLIP_COLORS, kept_by_truncation
from rnnviz.lessonmath.taming import cosine, relative_gap
from rnnviz.widgets import taming
from rnnviz.widgets.taming import ClippingApp, TruncationApp


def _group(view, name):
    found = [el for el in parse_view(view).iter() if el.get("data-name") == name]
    assert found, f"no group {name!r} in the view"
    return found[0]


def _xy(view, name):
    """The (data-x, data-v) of the point marks of a group."""
    pts = [el for el in _group(view, name).iter() if el.get("data-v") is not None]
    return np.array([float(p.get("data-x")) for p in pts]), np.array([float(p.get("data-v")) for p in pts])


def _has(view, name):
    return any(el.get("data-name") == name for el in parse_view(view).iter())


def _shown_window(app):
    """The k whose dropped entries the page shows: the style the window view carries, for this app's flow view."""
    style = re.findall(r'\.rnnviz-flow\[data-view="([^"]+)"\] \.rnnviz-window\[data-k="(\d+)"\]\{display:inline\}',
                       app.window_view.value)
    assert len(style) == 1, "the window view must show exactly one window's entries"
    view_id, k = style[0]
    assert f'data-view="{view_id}"' in app.flow_view.value  # the style is for this app's map, not another one's
    return int(k)


def _sends(widget):
    """A list that records every new value of ``widget`` (what the kernel would send to the browser)."""
    sent = []
    widget.observe(lambda change: sent.append(change["new"]), names="value")
    return sent


@pytest.fixture(scope="module")
def trunc():
    return TruncationApp()


@pytest.fixture(scope="module")
def clip_app():
    return ClippingApp()


# =========================================================================== truncation
def test_truncation_app_shows_two_views_and_no_plotly(trunc):
    assert list(trunc.figures()) == [] and trunc.view_count() == 2
    for view in (trunc.flow_view.value, trunc.window_view.value):
        assert VIEW_CLASS in view and 'data-empty="1"' not in view


def test_flow_map_is_the_gradient_flow_of_the_core(trunc):
    trunc.radius.value = 1.0
    flow = gradient_flow(trunc.net, trunc.params(), trunc.X, trunc.targets)
    T = trunc.T
    drawn = marks(trunc.flow_view.value, "log_flow").reshape(T, T)
    lower = np.tri(T, dtype=bool)
    np.testing.assert_allclose(drawn[lower], np.log10(flow[lower]), rtol=1e-12)
    assert np.isnan(drawn[~lower]).all()  # above the diagonal: no path, drawn blank (white), no number
    cells = [el for el in _group(trunc.flow_view.value, "log_flow").iter() if el.get("data-v") is not None]
    fills = np.array([el.get("fill") for el in cells]).reshape(T, T)
    assert set(fills[~lower]) == {"#ffffff"} and "#ffffff" not in set(fills[lower])
    assert "log10 ||dL_s/dh_t|| = " in cells[T * 3 + 1].find("title").text  # hover: s = 4, t = 2


def test_window_slider_shows_what_that_window_drops(trunc):
    T = trunc.T
    lower = np.tri(T, dtype=bool)
    flow_sent, window_sent = _sends(trunc.flow_view), _sends(trunc.window_view)
    for k in (4, 12, T):
        trunc.window.value = k
        assert _shown_window(trunc) == k
        # one grey mark per row s, over the sources t = 1 ... a it drops: exactly what truncation leaves out
        rows = marks(trunc.flow_view.value, f"window_k{k}")
        dropped = lower & ~kept_by_truncation(T, k)
        counts = dropped.sum(axis=1)
        np.testing.assert_array_equal(rows, counts[counts > 0])
        for s in range(T):
            assert not dropped[s, counts[s]:].any()  # the dropped sources are the first ones of the row
        assert marks(trunc.window_view.value, "window_now").tolist() == [pytest.approx(trunc.gap[k - 1])]
        ring = next(el for el in _group(trunc.window_view.value, "window_now").iter() if el.get("data-v"))
        point = [el for el in _group(trunc.window_view.value, "gap").iter() if el.get("data-v")][k - 1]
        assert (ring.get("cx"), ring.get("cy")) == (point.get("cx"), point.get("cy"))  # drawn on the curve at k
        n = -(-T // k)
        assert f"k = {k}: {n} window{'s' if n > 1 else ''};" in trunc.summary.value
    assert marks(trunc.flow_view.value, f"window_k{T}").size == 0 and trunc.gap[-1] == 0.0  # exact: nothing dropped
    assert marks(trunc.window_view.value, "window_now").tolist() == [0.0]
    # a grey mark hides the cells under it, so its hover names the largest entry it drops, and where
    log_flow = np.log10(trunc.flow, where=trunc.flow > 0, out=np.full_like(trunc.flow, np.nan))
    tips = [el.findtext("title") for el in _group(trunc.flow_view.value, "window_k4").iter() if el.get("data-v")]
    assert len(tips) == T - 4
    for s_, tip in zip(range(4, T), tips):  # rows s = 5 ... T (0-based 4 ...) drop t = 1 ... a
        a = (s_ // 4) * 4
        t = int(np.nanargmax(log_flow[s_, :a]))
        assert tip.endswith(f"at t = {t + 1}: log10 ||dL_s/dh_t|| = {log_flow[s_, t]:.2f}"), tip
    # k = 4 drops 6 windows' worth of triangles fewer than all: 300 - 6 * 10 terms
    assert marks(trunc.flow_view.value, "window_k4").sum() == lower.sum() - 6 * 10
    # a move of k sends the small window view only; the flow map (every k's overlay is in it) is not sent again
    assert len(window_sent) == 3 and flow_sent == []
    assert len(trunc.window_view.value) < 20_000 < len(trunc.flow_view.value)


def test_gap_curves_are_tbptt_gradient_against_the_exact_one(trunc):
    trunc.radius.value = 1.2
    p = trunc.params()
    exact = trunc.net.evaluate(p, trunc.X, trunc.targets).grads
    ks, gap = _xy(trunc.window_view.value, "gap")
    ks_whh, gap_whh = _xy(trunc.window_view.value, "gap_whh")
    np.testing.assert_array_equal(ks, np.arange(1, trunc.T + 1))
    np.testing.assert_array_equal(ks_whh, ks)
    for k in (1, 5, 9, 23, 24):
        _, g, _ = tbptt_gradient(trunc.net, p, trunc.X, trunc.targets, window=k)
        assert gap[k - 1] == pytest.approx(relative_gap(g, exact), abs=1e-12)
        assert gap_whh[k - 1] == pytest.approx(relative_gap(g, exact, ["layer0.fwd.W_hh"]), abs=1e-12)
    assert gap[-1] == 0.0 and gap[0] > 0.1
    # W_hy is exact at every k: the gap of all parameters is smaller than that of W_hh alone
    assert np.all(gap[:-1] < gap_whh[:-1])


def test_radius_changes_the_map_and_what_truncation_costs(trunc):
    trunc.window.value = 4
    trunc.radius.value = 0.5
    small_gap = marks(trunc.window_view.value, "window_now")[0]
    small_flow = np.nanmean(marks(trunc.flow_view.value, "log_flow"))
    trunc.radius.value = 1.5
    assert marks(trunc.window_view.value, "window_now")[0] > 2 * small_gap  # long paths carry more when W_hh is large
    assert np.nanmean(marks(trunc.flow_view.value, "log_flow")) > small_flow
    assert _shown_window(trunc) == 4  # the new map still shows the current window
    assert trunc.last_update_ms > 0 and trunc.message.kind == ""


def test_truncation_app_shows_a_broken_state_and_recovers():
    app = TruncationApp()
    flow, good = app.flow_view.value, marks(app.window_view.value, "gap")
    app.base["layer0.fwd.W_hh"] = np.zeros((16, 16))  # radius 0 cannot be rescaled
    app.radius.value = 1.3
    assert app.message.kind == "error" and "spectral radius 0" in app.message.text
    assert app.flow_view.value == flow  # the last good picture stays
    app.window.value = 3  # the window still moves on the last good data
    assert _shown_window(app) == 3 and marks(app.window_view.value, "window_now")[0] == pytest.approx(good[2])
    app.base["layer0.fwd.W_hh"] = np.eye(16)
    app.radius.value = 0.9
    assert app.message.kind == "" and not np.allclose(marks(app.window_view.value, "gap"), good)
    assert app.flow_view.value != flow


# =========================================================================== clipping one gradient
def test_clipping_app_shows_two_views_and_no_plotly(clip_app):
    assert list(clip_app.figures()) == [] and clip_app.view_count() == 2


def test_threshold_moves_the_clipped_entries_and_norm_keeps_direction(clip_app):
    grad = clip_app.grad
    g = grad["W_hh"].ravel()
    training_sent = _sends(clip_app.training_view)
    for c in (0.5, 0.05, 3.0):
        clip_app.threshold.value = c
        c = clip_app.threshold.value  # on the slider's grid
        view = clip_app.clip_view.value
        np.testing.assert_allclose(marks(view, "by_value"), clip_by_value(grad, c)[0]["W_hh"].ravel(), rtol=1e-12)
        np.testing.assert_allclose(marks(view, "by_norm"), clip_by_norm(grad, c)[0]["W_hh"].ravel(), rtol=1e-12)
        want = (cosine(clip_by_value(grad, c)[0], grad), cosine(clip_by_norm(grad, c)[0], grad))
        np.testing.assert_allclose(marks(view, "c_now"), want, rtol=1e-12)
        assert f"c = {c:.3g}" in view
    # c = 3 is above every entry: nothing cut, the +-c lines are off the chart (and said so)
    assert np.array_equal(marks(view, "by_value"), g) and "off the chart" in view
    clip_app.threshold.value = 0.05
    c = clip_app.threshold.value
    view = clip_app.clip_view.value
    assert np.max(np.abs(marks(view, "by_value"))) == pytest.approx(c) and "threshold +c and −c" in view
    np.testing.assert_allclose(marks(view, "by_norm"), g * c / np.linalg.norm(g))  # one factor for every entry
    assert clip_app.cosines["norm"] == pytest.approx(1.0) and clip_app.cosines["value"] < 0.8
    assert "cosine <b>1.000</b>" in clip_app.clip_summary.value
    # the cosine curves: clipping by norm is 1 at every threshold, by value it falls as c shrinks
    th, cv = _xy(view, "cos_value")
    th_n, cn = _xy(view, "cos_norm")
    np.testing.assert_allclose(th, clip_app.thresholds[::4])
    np.testing.assert_allclose(th_n, th)
    np.testing.assert_allclose(cv, [cosine(clip_by_value(grad, t)[0], grad) for t in th], rtol=1e-12)
    assert np.allclose(cn, 1.0) and cv[0] < 0.7 and cv[-1] == pytest.approx(1.0) and np.all(np.diff(cv) >= -1e-12)
    assert training_sent == []  # the threshold of part 1 does not touch the training view


# =========================================================================== training
def test_unclipped_run_overflows_draws_and_warns_and_the_clipped_run_finishes(monkeypatch):
    app = ClippingApp()
    app.CLICK_GUARD = 0.0  # the test clicks again at once; a student's second click within 0.3 s is dropped
    empty = app.training_view.value
    assert 'data-empty="1"' in empty and VIEW_CLASS in empty and "train both" in empty  # nothing trained yet: a hint
    monkeypatch.setattr(taming, "LIVE_EVERY", 0.0)  # draw after every step, so the test sees the live drawings
    sent = _sends(app.training_view)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no numpy overflow warnings reach the student
        app.train_button.click()
    plain, clipped = app.runs["plain"], app.runs["clipped"]
    assert plain.diverged and ("NaN" in plain.stopped_reason or "inf" in plain.stopped_reason)
    assert len(plain.history) < app.steps
    assert app.message.kind == "warning"
    assert plain.stopped_reason in app.message.text and "clipping" in app.message.text
    assert "Why:" in app.message.text and "inf" in app.message.text
    assert clipped.status == "finished" and len(clipped.history) == app.steps
    assert np.all(np.isfinite(clipped.losses)) and np.mean(clipped.losses[-10:]) < 0.1 * clipped.losses[0]
    assert 0 < app.fraction_clipped() < 1
    assert f"{100 * app.fraction_clipped():.0f}% of its steps were clipped" in app.training_summary.value
    # drawn live: the plain run growing, then the clipped one, then the final picture
    assert app.live_draws == len(sent) - 1 > 10 and "training …" in sent[0] and "training …" not in sent[-1]
    assert len(_xy(sent[0], "loss_plain")[0]) < len(_xy(sent[-1], "loss_plain")[0])
    assert not _has(sent[0], "loss_clipped") and _has(sent[-1], "loss_clipped")
    view = app.training_view.value
    assert 'data-empty="1"' not in view
    # the curves are the runs' losses and gradient norms, step by step (hover marks every few steps)
    for what, attr in (("loss", "losses"), ("norm", "grad_norms")):
        steps, v = _xy(view, f"{what}_clipped")
        assert steps[0] == 1 and steps[-1] == app.steps and len(steps) <= 101
        np.testing.assert_array_equal(v, getattr(clipped, attr)[steps.astype(int) - 1])
        steps, v = _xy(view, f"{what}_plain")
        np.testing.assert_array_equal(v, getattr(plain, attr)[steps.astype(int) - 1])
        assert np.all(np.isfinite(v)) and steps[-1] <= len(plain.history)
    # the blow-up: the axis holds every finite loss, however large (the last one too: nothing left the chart unseen);
    # an x marks the step where the run stopped
    steps, v = _xy(view, "loss_plain")
    assert plain.losses[-1] > 1e6 and steps[-1] == len(plain.history) and v[-1] == plain.losses[-1]
    assert off_marks(view, "loss_chart").size == 0
    assert marks(view, "blowup").tolist() == [len(plain.history)]
    assert f"inf/NaN after step {len(plain.history)}" in view and "became inf/NaN here" in view
    assert marks(view, "max_norm").tolist() == [1.0] and "c of the run clipped by norm" in view
    for el in parse_view(view).iter():  # no inf or NaN drawn as a number
        if el.get("data-v") is not None:
            assert np.isfinite(float(el.get("data-v")))
    assert app.progress.value == app.progress.max and not app.train_button.disabled
    # the app still works afterwards
    app.threshold.value = 0.2
    assert app.message.kind == "" and np.max(np.abs(marks(app.clip_view.value, "by_value"))) == pytest.approx(0.2)
    app.train_clip.value = "value"
    app.train_threshold.value = 0.1
    app.train_button.click()
    assert app.runs["clipped"].status == "finished" and app.runs["clipped"].history[0].clip.kind == "value"
    view = app.training_view.value
    assert _group(view, "loss_clipped").get("fill") == CLIP_COLORS["value"] == ORANGE
    assert "clipping the sum by value (c = 0.1)" in view and not _has(view, "max_norm")  # no norm threshold line


def test_small_learning_rate_needs_no_clipping_and_large_c_does_not_help():
    app = ClippingApp(steps=120)
    app.lr.value = 0.01
    app.train()
    assert app.message.kind == "info" and not app.runs["plain"].diverged
    # neither run is clearly better than chance after 120 steps at this rate: the message says so, with the numbers
    plain, clipped = app.runs["plain"], app.runs["clipped"]
    assert min(plain.final_loss, clipped.final_loss) > 0.5 * np.log(4)
    assert "neither has learned yet" in app.message.text and f"{plain.final_loss:.3g}" in app.message.text
    assert marks(app.training_view.value, "blowup").size == 0 and "inf/NaN" not in app.training_view.value
    steps, losses = _xy(app.training_view.value, "loss_plain")
    assert steps[-1] == 120 and np.array_equal(losses, app.runs["plain"].losses[steps.astype(int) - 1])
    app.lr.value = 0.1
    app.train_threshold.value = 100.0
    app.train()
    assert app.message.kind == "warning" and "too large" in app.message.text


def test_bad_training_settings_are_a_message_not_a_crash():
    app = ClippingApp(steps=30)
    app.CLICK_GUARD = 0.0  # the test clicks again at once
    app.train_threshold.value = 1e9  # clamped to the slider's max on the kernel side
    assert app.train_threshold.value == 100.0
    before = app.training_view.value
    app.train_clip.options = ["norm", "value", "bogus"]  # a value no real client can send
    app.train_clip.value = "bogus"
    app.train_button.click()
    assert app.message.kind == "error" and "clip: expected by norm, the sum by value or each copy by value" in \
        app.message.text
    assert app.training_view.value == before and not app.train_button.disabled
    app.threshold.value = float("nan")  # the threshold of part 1 as a client could send it
    assert app.message.kind == "error" and "threshold c" in app.message.text
    app.train_clip.value = "norm"
    app.train_button.click()
    assert app.message.kind in ("warning", "info") and app.runs["clipped"] is not None
    assert marks(app.training_view.value, "loss_clipped").size == 30
