"""Lesson 6 apps and exercise checkers, driven without a browser: set a control, check the figure."""

import warnings

import numpy as np
import pytest

from rnnviz.core import clip_by_norm, clip_by_value, tbptt_gradient
from rnnviz.viz.taming import kept_by_truncation
from rnnviz.widgets.taming import (
    ClippingApp,
    TruncationApp,
    check_clip_by_norm,
    check_clip_by_value,
    check_window,
    relative_gap,
)


def _arr(values):
    return np.array(values, dtype=float)


@pytest.fixture(scope="module")
def trunc():
    return TruncationApp()


@pytest.fixture(scope="module")
def clip_app():
    return ClippingApp()


# =========================================================================== truncation
def test_window_slider_moves_the_grey_region_and_the_gap_marker(trunc):
    T = trunc.T
    trunc.window.value = 4
    dropped4 = np.isfinite(_arr(trunc.fig.data[1].z))
    marker4 = (trunc.fig.data[5].x[0], trunc.fig.data[5].y[0])
    lower = np.tri(T, dtype=bool)
    # k = 4: loss at s reaches h_t only inside its own window of 4 steps
    assert not dropped4[7, 4] and dropped4[8, 7] and not dropped4[3, 0]
    assert dropped4.sum() == lower.sum() - 6 * (4 * 5 // 2)  # 6 windows keep a triangle of 10 paths each
    trunc.window.value = 12
    dropped12 = np.isfinite(_arr(trunc.fig.data[1].z))
    assert dropped12.sum() < dropped4.sum() and not (dropped12 & ~dropped4).any()  # a longer window drops a subset
    assert trunc.fig.data[5].x[0] == 12 and trunc.fig.data[5].y[0] != marker4[1]
    assert trunc.fig.data[5].y[0] == pytest.approx(trunc.gap[11])
    assert "k = 12: 2 windows" in trunc.summary.value
    trunc.window.value = T  # the exact gradient: nothing dropped, no gap
    assert not np.isfinite(_arr(trunc.fig.data[1].z)).any()
    assert trunc.fig.data[5].y[0] == 0.0 and trunc.gap[-1] == 0.0


def test_grey_region_is_exactly_what_tbptt_drops():
    # the mask says: loss s reaches h_t iff t <= s in the same window; check a sum over kept paths
    kept = kept_by_truncation(7, 3)
    assert kept.tolist()[6] == [False] * 6 + [True]  # s = 6 starts the third window: only itself
    assert kept[5, 3] and not kept[5, 2] and kept_by_truncation(7, 7).sum() == 28


def test_gap_curve_is_tbptt_gradient_against_the_exact_one(trunc):
    trunc.radius.value = 1.2
    p = trunc.params()
    exact = trunc.net.evaluate(p, trunc.X, trunc.targets).grads
    for k in (1, 5, 9, 23, 24):
        _, g, _ = tbptt_gradient(trunc.net, p, trunc.X, trunc.targets, window=k)
        assert trunc.gap[k - 1] == pytest.approx(relative_gap(g, exact), abs=1e-12)
    assert trunc.gap[-1] == 0.0 and trunc.gap[0] > 0.1
    curve = _arr(trunc.fig.data[3].y)
    np.testing.assert_allclose(curve, trunc.gap)
    # W_hy is exact at every k: the gap of all parameters is smaller than that of W_hh alone
    assert np.all(trunc.gap[:-1] < trunc.gap_whh[:-1])


def test_radius_changes_what_truncation_costs(trunc):
    trunc.window.value = 4
    trunc.radius.value = 0.5
    small = trunc.gap[3]
    flow_small = np.nanmean(_arr(trunc.fig.data[0].z))
    trunc.radius.value = 1.5
    assert trunc.gap[3] > 2 * small  # long paths carry more when W_hh is large
    assert np.nanmean(_arr(trunc.fig.data[0].z)) > flow_small
    assert trunc.last_update_ms > 0 and trunc.message.kind == ""


def test_truncation_app_shows_a_broken_state_and_recovers():
    app = TruncationApp()
    good = _arr(app.fig.data[3].y).copy()
    app.base["layer0.fwd.W_hh"] = np.zeros((16, 16))  # radius 0 cannot be rescaled
    app.radius.value = 1.3
    assert app.message.kind == "error" and "spectral radius 0" in app.message.text
    app.window.value = 3  # the window still moves on the last good data
    app.base["layer0.fwd.W_hh"] = np.eye(16)
    app.radius.value = 0.9
    assert app.message.kind == "" and not np.allclose(_arr(app.fig.data[3].y), good)


# =========================================================================== clipping one gradient
def test_threshold_moves_the_clipped_entries_and_norm_keeps_direction(clip_app):
    g = clip_app.grad["W_hh"].ravel()
    clip_app.threshold.value = 0.5
    value_a, norm_a = _arr(clip_app.fig.data[0].y), _arr(clip_app.fig.data[1].y)
    assert np.max(np.abs(value_a)) == pytest.approx(0.5) and np.max(np.abs(norm_a)) < 0.5
    clip_app.threshold.value = 0.05
    value_b, norm_b = _arr(clip_app.fig.data[0].y), _arr(clip_app.fig.data[1].y)
    assert np.max(np.abs(value_b)) == pytest.approx(0.05)
    np.testing.assert_allclose(norm_b, g * 0.05 / np.linalg.norm(g))  # one factor for every entry
    np.testing.assert_allclose(value_b, np.clip(g, -0.05, 0.05))
    assert clip_app.fig.data[3].y[0] == pytest.approx(0.05)  # the threshold line moved
    assert clip_app.cosines["norm"] == pytest.approx(1.0)
    assert clip_app.cosines["value"] < 0.8  # value clipping turned the gradient
    assert list(clip_app.fig.data[6].y) == pytest.approx([clip_app.cosines["value"], 1.0])
    assert "cosine <b>1.000</b>" in clip_app.clip_summary.value
    # the cosine curve: norm clipping is 1 at every threshold, value clipping falls as c shrinks
    assert np.allclose(_arr(clip_app.fig.data[5].y), 1.0)
    cv = _arr(clip_app.fig.data[4].y)
    assert cv[0] < 0.7 and cv[-1] == pytest.approx(1.0) and np.all(np.diff(cv) >= -1e-12)


# =========================================================================== training
def test_unclipped_run_overflows_with_a_warning_and_the_clipped_run_finishes():
    app = ClippingApp()
    assert len(app.fig.data[7].x) == 0 and app.fig.layout.annotations[-1].visible  # nothing trained yet: a hint
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
    # the figure: the red curve stops where the run blew up, the x marks it, the clipped curve goes on
    assert len(app.fig.data[7].x) == len(plain.history) and len(app.fig.data[8].x) == app.steps
    assert list(app.fig.data[9].x) == [len(plain.history)] and not app.fig.layout.annotations[-1].visible
    assert app.fig.data[12].y[0] == pytest.approx(1.0)  # max_norm line
    # the blow-up leaves the top of the loss panel instead of flattening the clipped curve
    lo, hi = app.fig.layout.yaxis3.range
    assert hi < np.log10(clipped.losses[0]) + 3.5 and lo < np.log10(clipped.losses[-1])
    assert app.fig.data[9].y[0] <= 10 ** hi and "inf/NaN after step" in app.fig.data[9].text[0]
    assert app.progress.value == app.progress.max and not app.train_button.disabled
    # the app still works afterwards
    app.threshold.value = 0.2
    assert app.message.kind == "" and np.max(np.abs(_arr(app.fig.data[0].y))) == pytest.approx(0.2)
    app.train_clip.value = "value"
    app.train_threshold.value = 0.1
    app.train_button.click()
    assert app.runs["clipped"].status == "finished" and app.runs["clipped"].history[0].clip.kind == "value"
    assert app.fig.data[8].line.color == "#ea580c" and len(app.fig.data[12].x) == 0  # no max_norm line for value


def test_small_learning_rate_needs_no_clipping_and_large_c_does_not_help():
    app = ClippingApp(steps=120)
    app.lr.value = 0.01
    app.train()
    assert app.message.kind == "info" and not app.runs["plain"].diverged
    app.lr.value = 0.1
    app.train_threshold.value = 100.0
    app.train()
    assert app.message.kind == "warning" and "too large" in app.message.text


def test_bad_training_settings_are_a_message_not_a_crash():
    app = ClippingApp(steps=30)
    app.train_threshold.value = 1e9  # clamped to the slider's max on the kernel side
    assert app.train_threshold.value == 100.0
    app.train_clip.options = ["norm", "value", "bogus"]  # a value no real client can send
    app.train_clip.value = "bogus"
    app.train_button.click()
    assert app.message.kind == "error" and "expected 'norm' or 'value'" in app.message.text
    app.train_clip.value = "norm"
    app.train_button.click()
    assert app.message.kind in ("warning", "info") and app.runs["clipped"] is not None


# =========================================================================== exercise checkers
def _right_norm(grads, max_norm):
    norm = np.sqrt(sum((g ** 2).sum() for g in grads.values()))
    scale = max_norm / norm if norm > max_norm else 1.0
    return {k: g * scale for k, g in grads.items()}


def test_norm_checker_accepts_correct_solutions():
    assert check_clip_by_norm(_right_norm).startswith("correct")
    assert check_clip_by_norm(clip_by_norm).startswith("correct")  # the core's (dict, report) is fine too


@pytest.mark.parametrize("wrong, says", [
    (lambda grads, c: {k: g * c / np.sqrt(sum((v ** 2).sum() for v in grads.values())) for k, g in grads.items()},
     "you changed the gradient when its norm was below the threshold"),
    (lambda grads, c: {k: g * min(1.0, c / np.linalg.norm(g)) for k, g in grads.items()},
     "you clipped each array separately instead of the global norm"),
    (lambda grads, c: {k: np.clip(g, -c, c) for k, g in grads.items()}, "clipping by value and changes the direction"),
    (lambda grads, c: _right_norm(grads, c) if sum((g ** 2).sum() for g in grads.values()) <= c ** 2
     else {k: g * c / sum((v ** 2).sum() for v in grads.values()) for k, g in grads.items()},  # forgot the sqrt
     "the direction is right but the clipped norm"),
    (lambda grads, c: {k: g.copy() for k, g in grads.items()}, "you returned the gradient unchanged"),
    (lambda grads, c: [g * 0 for g in grads.values()], "return a dict"),
    (lambda grads, c: {"W_hh": grads["W_hh"]}, "return the same keys"),
    (lambda grads, c: 1 / 0, "ZeroDivisionError"),
])
def test_norm_checker_names_each_mistake(wrong, says):
    answer = check_clip_by_norm(wrong)
    assert answer.startswith("not yet") and says in answer


def test_norm_checker_catches_in_place_changes():
    def in_place(grads, c):
        norm = np.sqrt(sum((g ** 2).sum() for g in grads.values()))
        if norm > c:
            for g in grads.values():
                g *= c / norm
        return grads
    assert "in place" in check_clip_by_norm(in_place)


def test_value_checker_accepts_and_names_mistakes():
    assert check_clip_by_value(clip_by_value).startswith("correct")
    assert check_clip_by_value(lambda g, c: {k: np.maximum(-c, np.minimum(c, v)) for k, v in g.items()}).startswith("correct")
    cases = {
        "only cut the large positive": lambda g, c: {k: np.minimum(v, c) for k, v in g.items()},
        "only raised the entries below -c": lambda g, c: {k: np.maximum(v, -c) for k, v in g.items()},
        "lost the sign": lambda g, c: {k: np.minimum(np.abs(v), c) for k, v in g.items()},
        "that is clipping by norm": _right_norm,
        "you returned the gradient unchanged": lambda g, c: {k: v.copy() for k, v in g.items()},
        "already inside [-c, c]": lambda g, c: {k: np.clip(v, -c, c) * 0.5 for k, v in g.items()},
        "in place": lambda g, c: {k: np.clip(v, -c, c, out=v) for k, v in g.items()},
    }
    for says, wrong in cases.items():
        answer = check_clip_by_value(wrong)
        assert answer.startswith("not yet") and says in answer, (says, answer)


def test_window_checker(trunc):
    gap, _ = trunc.gaps(trunc.params(0.8))
    best = int(np.argmax(gap < 0.05)) + 1
    assert 1 < best < trunc.T
    assert check_window(best, trunc).startswith("correct")
    assert "not below" in check_window(best - 1, trunc)
    assert "a smaller window is too" in check_window(trunc.T, trunc)
    assert "whole number" in check_window(2.5, trunc) and "1 to T" in check_window(0, trunc)
