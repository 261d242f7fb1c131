"""Lesson 6: its math against the core, the chapter's clipping of each time-stamp's copy, the verdicts of its
training runs, and its exercises' usual wrong answers (each names the wrong term and gives nothing away)."""

import math
import numpy as np
import pytest
from rnnviz.core import Network, clip_by_norm, clip_by_value, tbptt_gradient
from rnnviz.core.clipping import clip_copies_by_value
from rnnviz.core.diagnostics import gradient_flow
from rnnviz.core.train import StepRecord
from rnnviz.exercises import taming as ex6
from rnnviz.lessonmath import taming as lm
import re
import warnings
from rnnviz.viz.svg import ORANGE, VIEW_CLASS, marks, off_marks, parse_view
from rnnviz.viz.taming import CLIP_COLORS, kept_by_truncation
from rnnviz.lessonmath.taming import cosine, relative_gap
from rnnviz.widgets import taming
from rnnviz.widgets.taming import ClippingApp, TruncationApp


@pytest.fixture
def lab(monkeypatch):
    monkeypatch.setenv("RNNVIZ_EXERCISES", "code")


@pytest.fixture(scope="module")
def setup():
    return lm.TruncationSetup.make()


@pytest.fixture(scope="module")
def clip_setup():
    return lm.ClipSetup.make()


# =========================================================================== truncated BPTT
def test_truncated_gradient_is_the_cores_tbptt_gradient_for_every_window(setup):
    net, p = setup.network(), setup.params(1.3)
    for k in range(1, setup.T + 3):
        _, want, _ = tbptt_gradient(net, p, setup.X, setup.targets, window=k)
        got = lm.truncated_gradient(setup, p, k)
        for key in want:
            np.testing.assert_allclose(got[key], want[key], rtol=1e-10, atol=1e-13, err_msg=f"k = {k}, {key}")


def test_truncation_state_gaps_and_flow_against_the_core(setup):
    state = lm.truncation_state(setup, 0.8)
    net, p = setup.network(), setup.params(0.8)
    exact = net.evaluate(p, setup.X, setup.targets).grads
    for k in (1, 4, 9, setup.T):
        _, g, _ = tbptt_gradient(net, p, setup.X, setup.targets, window=k)
        assert state.gap[k - 1] == pytest.approx(lm.relative_gap(g, exact), abs=1e-12)
        assert state.gap_whh[k - 1] == pytest.approx(lm.relative_gap(g, exact, ["layer0.fwd.W_hh"]), abs=1e-12)
    np.testing.assert_allclose(state.flow, gradient_flow(net, p, setup.X, setup.targets))
    assert state.gap[-1] == 0.0 and state.gap[0] > 0.1
    # W_hy does not reach back in time: truncation never changes its gradient
    _, g, _ = tbptt_gradient(net, p, setup.X, setup.targets, window=2)
    np.testing.assert_allclose(g["out.W_hy"], exact["out.W_hy"], rtol=1e-10)


def test_window_summary_counts_the_kept_paths(setup):
    state = lm.truncation_state(setup, 1.0)
    s = lm.window_summary(state, 2)
    assert (s.windows, s.kept, s.paths) == (12, 36, 300)  # 12 windows of 2: 3 kept (s, t) pairs each
    full = lm.window_summary(state, setup.T)
    assert (full.windows, full.kept, full.gap) == (1, 300, 0.0) and full.share == pytest.approx(1.0)
    kept = lm.kept_by_truncation(5, 2)
    assert kept.tolist()[4] == [False, False, False, False, True]  # the last time-stamp alone in its window
    assert lm.smallest_window(np.array([0.3, 0.04, 0.06, 0.0]), 0.05) == 2


# =========================================================================== the chapter's clipping: each copy
def _per_copy_loss(params, X, targets, W_hh_t):
    """The RNN's summed loss with a separate copy W_hh_t[t] of W_hh at every time-stamp (the chapter's view of BPTT)."""
    W_xh, b_h = params["layer0.fwd.W_xh"], params["layer0.fwd.b_h"]
    W_hy, b_y = params["out.W_hy"], params["out.b_y"]
    h = np.zeros(W_hh_t.shape[1])
    loss = 0.0
    for t, (x, j) in enumerate(zip(X[0], targets[0])):
        h = np.tanh(W_xh[:, x] + W_hh_t[t] @ h + b_h)
        y = W_hy @ h + b_y
        loss += float(np.log(np.exp(y - y.max()).sum()) + y.max() - y[j])
    return loss


def test_each_copy_is_the_derivative_through_that_time_stamps_copy_of_W_hh():
    """Finite differences through one time-stamp's copy of W_hh give the core's copy t: what clip_copies_by_value cuts."""
    rng = np.random.default_rng(3)
    net = Network(4, 3, 4)
    p = net.init_params(rng)
    X, targets = rng.integers(0, 4, (1, 5)), rng.integers(0, 4, (1, 5))
    ev = net.evaluate(p, X, targets, keep_copies=True)
    copies = ev.backward.copies["layer0.fwd.W_hh"]  # (T, p, p)
    W_t = np.repeat(p["layer0.fwd.W_hh"][None], 5, axis=0)
    assert _per_copy_loss(p, X, targets, W_t) == pytest.approx(ev.loss, rel=1e-12)
    eps = 1e-6
    for t in range(5):
        num = np.zeros((3, 3))
        for i in range(3):
            for j in range(3):
                plus, minus = W_t.copy(), W_t.copy()
                plus[t, i, j] += eps
                minus[t, i, j] -= eps
                num[i, j] = (_per_copy_loss(p, X, targets, plus) - _per_copy_loss(p, X, targets, minus)) / (2 * eps)
        err = np.linalg.norm(num - copies[t]) / max(np.linalg.norm(num) + np.linalg.norm(copies[t]), 1e-300)
        assert err < 1e-7, (t, err)
    # a threshold above every copy changes nothing: the sum of the copies is the gradient
    summed, report = clip_copies_by_value(ev.backward.copies, 1e9)
    for key, g in ev.grads.items():
        np.testing.assert_allclose(summed[key], g, rtol=1e-10, atol=1e-14)
    assert not report.clipped and report.kind == "copies"


def test_clipping_the_copies_is_the_sum_of_the_clipped_copies_and_not_the_clipped_sum(clip_setup):
    copies, grad = clip_setup.copies["W_hh"], clip_setup.grad["W_hh"]
    np.testing.assert_allclose(copies.sum(axis=0), grad, rtol=1e-10, atol=1e-14)
    c = clip_setup.start_threshold
    state = lm.clip_state(clip_setup, c)
    np.testing.assert_allclose(state.by_copies, np.clip(copies, -c, c).sum(axis=0), rtol=1e-12)
    np.testing.assert_allclose(state.by_value, clip_by_value(clip_setup.grad, c)[0]["W_hh"], rtol=1e-12)
    np.testing.assert_allclose(state.by_norm, clip_by_norm(clip_setup.grad, c)[0]["W_hh"], rtol=1e-12)
    # here every copy lies within c, so nothing is cut, while the sum has entries far beyond c: many moderate copies
    # add up to a large sum, which clipping the sum caps and clipping the copies does not
    assert state.largest_copy < c < state.largest["copies"] and state.largest["value"] == pytest.approx(c)
    np.testing.assert_allclose(state.by_copies, grad, rtol=1e-12)
    assert not np.allclose(state.by_copies, state.by_value)
    # one huge copy no longer dominates: a copy of 100 among small ones counts as c
    g = {"w": np.array([[0.5], [100.0], [0.5]])}
    out, report = clip_copies_by_value(g, 1.0)
    assert out["w"].tolist() == [2.0] and clip_by_value({"w": g["w"].sum(axis=0)}, 1.0)[0]["w"].tolist() == [1.0]
    assert report.fraction_clipped == pytest.approx(1 / 3) and report.norm_before == pytest.approx(101.0)
    with pytest.raises(ValueError, match="threshold"):
        clip_copies_by_value(g, -1.0)


# =========================================================================== training and its verdicts
def _run(losses, status="finished", kind="norm", c=1.0):
    history = [StepRecord(i + 1, float(v), 1.0, None, 0.0, 1) for i, v in enumerate(losses)]
    return lm.Run(kind, c, history, status, "the loss became NaN at step 5", {})


def test_learned_means_clearly_below_chance_and_the_verdict_says_so_with_the_numbers():
    chance = math.log(4)
    bar = lm.LEARNED_FRACTION * chance
    assert lm.learned_below(4) == pytest.approx(bar) and bar == pytest.approx(0.693, abs=1e-3)
    just_below, just_above = [1.48] + [bar - 0.01] * 20, [1.48] + [bar + 0.01] * 20
    assert lm.run_verdict(_run(just_below), 4).state == "learned"
    v = lm.run_verdict(_run(just_above), 4)
    assert v.state == "not learned" and "not learned yet" in v.text and "ln 4 = 1.39" in v.text and "0.69" in v.text
    # the slip: both runs at 1.32 against chance 1.39 were called learned
    lower = [1.48] + [1.32] * 20
    verdict = lm.training_verdict(_run(lower, kind=None, c=None), _run(lower), lr=0.003, symbols=4)
    assert verdict.kind == "info" and "learned" not in verdict.text.replace("not learned", "").replace(
        "has learned", "").replace("learned means", "")
    assert verdict.text.startswith("Neither run blew up, and neither has learned yet") and "1.32" in verdict.text
    assert "1.39" in verdict.text and "0.69" in verdict.text
    verdict = lm.training_verdict(_run(just_below, kind=None, c=None), _run(just_below), lr=0.01, symbols=4)
    assert verdict.text.startswith("Both runs learned") and f"{bar - 0.01:.3g}" in verdict.text


def test_verdicts_of_a_blow_up_and_of_a_loss_that_grew():
    blown = _run([1.48, 3.0, 40.0, 1e20], status="diverged", kind=None, c=None)
    fine = _run([1.48] + [0.2] * 20)
    v = lm.training_verdict(blown, fine, lr=0.1, symbols=4)
    assert v.kind == "warning" and v.text.startswith("Without clipping the training stopped: the loss became NaN")
    assert "learned: final loss 0.2" in v.text and "clipped by norm at 1" in v.text
    grew = _run([1.48] + [50.0] * 20, kind=None, c=None)
    v = lm.training_verdict(grew, _run([1.48] + [30.0] * 20, c=100.0), lr=0.03, symbols=4)
    assert v.kind == "warning" and "grew from 1.48 to 50" in v.text and "c = 100 is too large" in v.text
    v = lm.training_verdict(blown, _run([1.48] + [30.0] * 20, kind="copies", c=0.1), lr=0.3, symbols=4)
    assert "every copy stays within c = 0.1, yet the copies of all time-stamps add up to steps too large" in v.text


def test_training_runs_clip_as_asked_and_say_why_they_stopped_in_plain_words(clip_setup):
    plain = lm.train_run(clip_setup, 0.1, None)
    assert plain.diverged and len(plain.history) < len(clip_setup.batches)
    assert not any(code in plain.stopped_reason for code in ("clip=", "=(", "('", "')"))
    assert plain.stopped_reason.endswith("clipping, or a learning rate below 0.1, would prevent it")
    by_norm = lm.train_run(clip_setup, 0.1, ("norm", 1.0), steps=20)
    assert by_norm.history[0].clip.kind == "norm" and by_norm.history[0].grad_norm == plain.history[0].grad_norm
    copies = lm.train_run(clip_setup, 0.1, ("copies", 0.01), steps=3)
    first = copies.history[0]
    # step 1 starts where the unclipped run starts: its norm before clipping is the same, its clip is the copies'
    assert first.clip.kind == "copies" and first.grad_norm == pytest.approx(plain.history[0].grad_norm, rel=1e-12)
    assert first.clip.norm_after < first.grad_norm and copies.fraction_clipped == 1.0
    for bad, says in ((("bogus", 1.0), "clipping"), (("norm", 1e9), "training threshold c"),
                      (("value", float("nan")), "training threshold c")):
        with pytest.raises(ValueError, match=says):
            lm.train_run(clip_setup, 0.1, bad, steps=1)
    with pytest.raises(ValueError, match="learning rate"):
        lm.train_run(clip_setup, 0.5, None, steps=1)
    assert lm.clip_words("norm", 5.0) == "clipped by norm at 5" and lm.clip_words(None) == "without clipping"


# =========================================================================== exercises
def _norm_right(grads, max_norm):
    norm = np.sqrt(sum((g ** 2).sum() for g in grads.values()))
    scale = max_norm / norm if norm > max_norm else 1.0
    return {k: g * scale for k, g in grads.items()}


def _half_factor(grads, max_norm):
    """Rescales only above the threshold, in the right direction, but to half of max_norm."""
    norm = np.sqrt(sum((g ** 2).sum() for g in grads.values()))
    return {k: g * (0.5 * max_norm / norm if norm > max_norm else 1.0) for k, g in grads.items()}


def _secret(values):
    """The ways a right answer could be written out (a "not yet" must contain none of them)."""
    return [f"{v:g}" for v in np.ravel(values)] + [str(np.round(np.ravel(values), 3).tolist())]


def test_clip_by_norm_accepts_right_functions_and_the_typed_values(lab):
    e = ex6.clip_by_norm
    assert e.check(_norm_right).correct and e.check(clip_by_norm).correct  # the core's (dict, report) too
    assert e.check(["0.6", "-0.8", "2.4"]).correct and e.check([0.6, -0.8, 2.4]).correct
    assert e.reference_value().tolist() == pytest.approx([0.6, -0.8, 2.4])


@pytest.mark.parametrize("wrong, web, term", [
    (lambda grads, c: {k: g * c / np.sqrt(sum((v ** 2).sum() for v in grads.values())) for k, g in grads.items()},
     None, "threshold"),
    (lambda grads, c: {k: g * min(1.0, c / np.linalg.norm(g)) for k, g in grads.items()}, [1.56, -2.08, 2.6],
     "global norm"),
    (lambda grads, c: {k: np.clip(g, -c, c) for k, g in grads.items()}, [2.6, -2.6, 2.6], "by value"),
    (lambda grads, c: _norm_right(grads, c) if sum((g ** 2).sum() for g in grads.values()) <= c ** 2
     else {k: g * c / sum((v ** 2).sum() for v in grads.values()) for k, g in grads.items()},  # forgot the sqrt
     [0.0462, -0.0615, 0.1846], "sqrt"),
    (lambda grads, c: {k: g.copy() for k, g in grads.items()}, [3, -4, 12], "threshold"),
    (_half_factor, [0.3, -0.4, 1.2], "factor"),
    (lambda grads, c: {k: g * 0.5 for k, g in grads.items()}, None, "threshold"),
    (lambda grads, c: {k: g * c for k, g in grads.items()}, None, "threshold"),
    (lambda grads, c: [g * 0 for g in grads.values()], None, "return"),
    (lambda grads, c: {"W_hh": grads["W_hh"]}, None, "keys"),
])
def test_clip_by_norm_names_each_mistake_in_code_and_in_the_page(wrong, web, term, lab):
    e = ex6.clip_by_norm
    for answer in [wrong] + ([web] if web is not None else []):
        fb = e.check(answer)
        assert not fb.correct and fb.answered and fb.wrong == term, (answer, fb)
        for secret in _secret([0.6, -0.8, 2.4]):
            assert secret not in fb.text, (secret, fb.text)


def test_clip_by_norm_catches_in_place_changes_and_crashes(lab):
    def in_place(grads, c):
        norm = np.sqrt(sum((g ** 2).sum() for g in grads.values()))
        if norm > c:
            for g in grads.values():
                g *= c / norm
        return grads

    fb = ex6.clip_by_norm.check(in_place)
    assert fb.wrong == "in place" and "in place" in fb.text
    assert "ZeroDivisionError" in ex6.clip_by_norm.check(lambda grads, c: 1 / 0).text
    assert ex6.clip_by_norm.check(["1", "2"]).wrong == "shape"


def test_clip_by_value_accepts_right_answers_and_names_each_mistake(lab):
    e = ex6.clip_by_value
    assert e.check(lambda g, c: {k: np.maximum(-c, np.minimum(c, v)) for k, v in g.items()}).correct
    assert e.check(clip_by_value).correct and e.check(["1", "-0.5", "-1", "0.25"]).correct
    cases = {
        "lower bound": (lambda g, c: {k: np.minimum(v, c) for k, v in g.items()}, [1, -0.5, -2, 0.25]),
        "upper bound": (lambda g, c: {k: np.maximum(v, -c) for k, v in g.items()}, [3, -0.5, -1, 0.25]),
        "sign": (lambda g, c: {k: np.minimum(np.abs(v), c) for k, v in g.items()}, [1, 0.5, 1, 0.25]),
        "by norm": (_norm_right, None),
        "threshold": (lambda g, c: {k: v.copy() for k, v in g.items()}, [3, -0.5, -2, 0.25]),
        "inside": (lambda g, c: {k: np.clip(v, -c, c) * 0.5 for k, v in g.items()}, [0.5, -0.25, -0.5, 0.125]),
        "in place": (lambda g, c: {k: np.clip(v, -c, c, out=v) for k, v in g.items()}, None),
        "bound": (lambda g, c: {k: np.clip(v, -0.9 * c, 0.9 * c) for k, v in g.items()}, [0.9, -0.5, -0.9, 0.25]),
    }
    for term, (fn, web) in cases.items():
        for answer in [fn] + ([web] if web is not None else []):
            fb = e.check(answer)
            assert not fb.correct and fb.wrong == term, (term, answer, fb)
            assert "[1, -0.5, -1, 0.25]" not in fb.text and "np.clip" not in fb.text


def test_clipping_each_copy(lab):
    e = ex6.clip_each_copy
    assert e.check(0.8).correct and e.check("0.8").correct
    for answer, term in ((1, "sum"), (1.8, "clipping"), (2.8, "sign"), (-0.2, "")):
        fb = e.check(answer)
        assert not fb.correct and fb.answered and fb.wrong == term, (answer, fb)
        assert "0.8" not in fb.text
    assert "1.8" in e.check(1).text  # it names the sum it clipped


def test_window_is_judged_from_the_lesson_math_not_from_an_app(lab, setup):
    gap = lm.truncation_state(setup, 0.8).gap
    best = lm.smallest_window(gap, 0.05)
    assert 1 < best < setup.T and ex6.window.reference == best
    assert ex6.window.check(best).correct and ex6.window.check(str(best)).correct
    fb = ex6.window.check(best - 1)
    assert fb.wrong == "k" and "not below 0.05" in fb.text
    fb = ex6.window.check(setup.T)
    assert fb.wrong == "smallest" and "a smaller window is too" in fb.text
    at_start = lm.smallest_window(lm.truncation_state(setup, 1.0).gap, 0.05)
    assert at_start != best and ex6.window.check(at_start).wrong == "radius"
    assert ex6.window.check(0).wrong == "range" and "whole number" in ex6.window.check(2.5).text
    for k in range(1, setup.T + 1):
        fb = ex6.window.check(k)
        if not fb.correct:
            assert f"k = {best}" not in fb.text and f"is {best}" not in fb.text


# =========================================================================== the apps
def _app_text(app):
    """Every text the app shows a student: markup without its tags, labels, options, tooltips, the message."""
    import re

    import ipywidgets as W

    texts = []
    for w in [app, *app.descendants()]:
        if isinstance(w, W.HTML):
            texts.append(re.sub(r"<style>.*?</style>|<[^>]+>", " ", w.value, flags=re.S))
        for trait in ("description", "tooltip", "placeholder"):
            texts.append(str(getattr(w, trait, "") or ""))
        if hasattr(w, "_options_labels"):
            texts.extend(map(str, w._options_labels))
    return "\n".join(texts + [app.message.text])


CODE = ("clip=(", "=(", "('", "')", "max_norm", "None", "True", "False")


def test_clipping_each_copy_is_a_choice_in_the_app_drawn_from_the_cores_copies():
    from rnnviz.viz.svg import marks, parse_view
    from rnnviz.widgets.taming import ClippingApp

    app = ClippingApp(steps=30)
    s = app.setup
    app.threshold.value = 0.05
    c = app.threshold.value
    sum_view = app.clip_view.value
    np.testing.assert_allclose(marks(sum_view, "by_value"), np.clip(s.grad["W_hh"], -c, c).ravel(), rtol=1e-12)
    app.value_on.value = "copies"
    view = app.clip_view.value
    want = np.clip(s.copies["W_hh"], -c, c).sum(axis=0)
    np.testing.assert_allclose(marks(view, "by_copies"), want.ravel(), rtol=1e-12)
    assert np.abs(want).max() > c  # the sum of the clipped copies passes c: drawn, not lost off the chart
    assert "each time-stamp" in view and "by_value" not in [el.get("data-name") for el in parse_view(view).iter()]
    np.testing.assert_allclose(marks(view, "c_now"), [app.cosines["copies"], app.cosines["norm"]], rtol=1e-12)
    assert "By value, each copy" in app.clip_summary.value and "above c" in app.clip_summary.value
    assert app.message.kind == ""


def test_the_clipping_app_says_learned_only_below_half_of_chance_and_shows_no_code(monkeypatch):
    from rnnviz.widgets.taming import ClippingApp

    app = ClippingApp(lr=0.003, steps=300)
    app.train()
    plain, clipped = app.runs["plain"], app.runs["clipped"]
    assert plain.final_loss < math.log(4) and plain.final_loss > 0.5 * math.log(4)  # lower than chance, not learned
    assert app.message.kind == "info" and "Both runs learned" not in app.message.text
    assert "neither has learned yet" in app.message.text and f"{plain.final_loss:.3g}" in app.message.text
    assert "ln 4 = 1.39" in app.message.text and "0.69" in app.message.text
    assert "not learned yet" in app.training_summary.value
    app.set_quietly(app.lr, value=0.1)
    app.set_quietly(app.train_clip, value="copies")
    app.set_quietly(app.train_threshold, value=0.01)
    app.train()
    assert app.runs["plain"].diverged and app.message.kind == "warning"
    assert app.runs["clipped"].history[0].clip.kind == "copies"
    assert "learned: final loss" in app.message.text and "each time-stamp's copy clipped by value at 0.01" in \
        app.message.text
    from rnnviz.widgets.taming import TruncationApp

    for shown in (app, TruncationApp()):
        text = _app_text(shown)
        found = [code for code in CODE if code in text]
        assert not found, f"code in the text of {type(shown).__name__}: {found}"


def test_a_blow_up_is_marked_with_its_value_on_the_training_view():
    from rnnviz.viz.svg import marks, off_marks, parse_view
    from rnnviz.viz.taming import training_html

    huge = _run([1.4, 30.0, 4.6e43])
    over = _run([1.4, 2.0, math.inf], status="diverged", kind=None, c=None)
    view = training_html(over, huge, kind="norm", threshold=1.0, steps=3)
    # 4.6e43 is on the axis (not cut at 10^3); the inf is marked at the chart's edge with what it was
    assert 4.6e43 in marks(view, "loss_clipped").tolist()
    off = off_marks(view, "loss_chart")
    assert off.size == 1 and np.isinf(off[0])
    edge = [el for el in parse_view(view).iter() if el.get("data-off") is not None][0]
    assert "inf" in "".join(edge.itertext())


def test_the_two_runs_differ_by_dash_as_well_as_colour_for_every_kind_of_clipping():
    from rnnviz.viz.svg import parse_view
    from rnnviz.viz.taming import CLIP_COLORS, PLAIN, training_html

    for kind in lm.CLIP_KINDS:
        view = training_html(_run([1.4, 1.0], kind=None, c=None), _run([1.4, 0.5], kind=kind), kind=kind,
                             threshold=1.0, steps=2)
        lines = {el.get("stroke"): el.get("stroke-dasharray") for el in parse_view(view).iter() if el.tag == "polyline"}
        assert lines[PLAIN[0]] and not lines[CLIP_COLORS[kind]] and PLAIN[0] != CLIP_COLORS[kind]
    assert len(set(CLIP_COLORS.values())) == 3


def test_controls_are_checked_against_the_lessons_constants_not_the_widgets():
    """A browser can send a slider's max and then a value beyond the lesson's range: refused with a message."""
    from rnnviz.widgets.taming import ClippingApp, TruncationApp

    app = TruncationApp()
    good = app.window_view.value
    app.window.max = 100
    app.window.value = 60
    assert app.message.kind == "error" and "window k: expected a whole number from 1 to 24" in app.message.text
    assert app.window_view.value == good and app.stale
    app.window.value = 5
    assert app.message.kind == "" and not app.stale
    app.radius.max = 5.0
    app.radius.value = 4.0
    assert app.message.kind == "error" and "spectral radius: expected a number from 0.5 to 1.6" in app.message.text
    app.radius.value = 1.2
    assert app.message.kind == ""

    clip = ClippingApp(steps=20)
    clip.CLICK_GUARD = 0.0
    clip.value_on.options = [("the sum", "sum"), ("x", "bogus")]
    clip.value_on.value = "bogus"
    assert clip.message.kind == "error" and "by value on" in clip.message.text
    clip.value_on.options = [("the sum", "sum"), ("each time-stamp's copy", "copies")]
    clip.value_on.value = "copies"
    assert clip.message.kind == ""
    clip.lr.options = list(lm.LEARNING_RATES) + [50.0]
    clip.lr.value = 50.0
    clip.train_button.click()
    assert clip.message.kind == "error" and "learning rate: expected one of" in clip.message.text
    assert clip.runs["plain"] is None
    clip.train_threshold.max = 5  # a log slider's max is an exponent: 10**5, beyond the lesson's 100
    clip.train_threshold.value = 1e4
    clip.lr.value = 0.01
    clip.train_button.click()
    assert clip.message.kind == "error" and "training c: expected a number from 0.01 to 100" in clip.message.text


def test_the_training_view_draws_chance_and_the_learned_bar_it_judges_by():
    """'learned' is judged against chance: both lines are on the loss chart, at the values the verdict uses."""
    from rnnviz.lessonmath.taming import chance_loss, learned_below
    from rnnviz.viz.svg import marks
    from rnnviz.widgets.taming import ClippingApp

    app = ClippingApp(steps=20)
    app.train()
    view = app.training_view.value
    np.testing.assert_allclose(marks(view, "chance"), [math.log(4)], rtol=1e-12)
    np.testing.assert_allclose(marks(view, "learned"), [0.5 * math.log(4)], rtol=1e-12)
    assert chance_loss(4) == math.log(4) and learned_below(4) == 0.5 * math.log(4)
    assert "chance (guessing) 1.39" in view


# =========================================================================== the apps and their views
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
