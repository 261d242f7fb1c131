"""Lesson 4 app (backpropagation through time), driven without a browser: set a control, check the figures."""

import numpy as np
import pytest

from rnnviz.core.gradcheck import check_gradients
from rnnviz.core.losses import softmax_nll
from rnnviz.viz.bptt import TITLES, TRACES
from rnnviz.widgets.bptt import (
    MAX_CHARS,
    WEIGHTS,
    BPTTApp,
    check_backward_recursion,
    check_W_xh_copy,
    exercise_data,
    gradient_check,
    lesson_params,
    make_problem,
)


@pytest.fixture(scope="module")
def app():
    return BPTTApp()


def _z(app, name):
    return np.array(app.figs.data(name).z, dtype=float)


def _y(app, name):
    return np.array(app.figs.data(name).y, dtype=float)


def _reference(sentence="the cat chased the mouse", steps=10):
    """The package's own numbers, computed here independently of the app."""
    problem = make_problem(sentence)
    params = lesson_params(problem, steps)
    return problem, params, problem.net.evaluate(params, problem.X, problem.targets, keep_copies=True)


def _reset(app):
    app.sentence.value = "the cat chased the mouse"
    app.train_steps.value = 10
    app.weight.value = "W_hh"
    app.t.value = app.problem.T


# --------------------------------------------------------------------------- stepping through time
def test_stepping_t_shows_that_time_stamps_copy(app):
    _reset(app)
    problem, params, ev = _reference()
    copies = ev.backward.copies["layer0.fwd.W_hh"]
    T = problem.T
    assert app.t.value == T and app.t.max == T
    shown = []
    for t in (T, 7, 1):
        app.t.value = t
        z = _z(app, "copy")
        np.testing.assert_allclose(z, copies[t - 1], rtol=1e-12, atol=1e-15)
        assert f"({t})" in app.figs.title("copy").text
        shown.append(z)
    assert not np.allclose(shown[0], shown[1])  # a different time-stamp, a different copy


def test_output_and_hidden_gradients_follow_t(app):
    _reset(app)
    problem, params, ev = _reference()
    app.t.value = 6
    j = problem.targets[0, 5]
    onehot = np.eye(len(problem.vocab))[j]
    np.testing.assert_allclose(_y(app, "dY"), ev.loss_result.probs[0, 5] - onehot, atol=1e-12)
    assert app.figs.data("dY").text[j] != "" and _y(app, "dY")[j] < 0  # the true token is marked, p - 1 < 0
    dh = ev.backward.dh["layer0.fwd"][0]
    np.testing.assert_allclose(_y(app, "dh"), dh[5], atol=1e-12)
    np.testing.assert_allclose(_y(app, "dh_output") + _y(app, "dh_future"), dh[5], atol=1e-12)
    h, W_hh = ev.forward.hidden["layer0.fwd"][0], params["layer0.fwd.W_hh"]
    np.testing.assert_allclose(_y(app, "dh_future"), W_hh.T @ ((1 - h[6] ** 2) * dh[6]), atol=1e-12)
    bar_colors = app.figs.data("loss").marker.color
    assert bar_colors[5] != bar_colors[0]  # the current time-stamp stands out
    app.t.value = problem.T
    np.testing.assert_allclose(_y(app, "dh_future"), 0, atol=1e-12)  # nothing comes from after T


def test_running_sum_equals_the_true_gradient_exactly_at_t_1(app):
    _reset(app)
    problem, params, ev = _reference()
    for name, key in WEIGHTS.items():
        app.weight.value = name
        last = 3 if name == "W_hh" else 2  # the W_hh copy at t = 1 is (...) h_0^T = 0: h_0 = 0
        app.t.value = last
        assert app.gap > 1e-3
        assert not np.allclose(_z(app, "running"), ev.grads[key])
        app.t.value = 1
        np.testing.assert_allclose(_z(app, "running"), ev.grads[key], rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(_z(app, "grad"), ev.grads[key], rtol=1e-12, atol=1e-15)
        assert app.gap < 1e-12
        assert "is</b> the true gradient" in app.summary.value
        gaps = _y(app, "gap")
        assert gaps[0] < 1e-12 and np.all(gaps[last - 1:] > 1e-6)  # 0 at t = 1 and not before the last copy
    assert app.trace.gaps["W_hh"][0] == 0.0  # summed in BPTT's order, W_hh matches to the last bit
    app.weight.value = "W_hh"
    assert not np.any(app.trace.copies["W_hh"][0]) and "h<sub>0</sub> = 0" in app.figs.title("copy").text
    app.t.value = 2
    assert app.gap == 0.0 and "h<sub>0</sub> is 0" in app.summary.value


def test_step_buttons_and_play_move_t(app):
    _reset(app)
    T = app.problem.T
    app.back_button.click()
    app.back_button.click()
    assert app.t.value == T - 2
    app.forward_button.click()
    assert app.t.value == T - 1
    app.forward_button.click()
    app.forward_button.click()
    assert app.t.value == T  # clamped
    app.play.value = 5
    assert app.t.value == T - 5
    np.testing.assert_allclose(_z(app, "copy"), app.trace.copies["W_hh"][T - 6])


# --------------------------------------------------------------------------- the weight selector
def test_choosing_W_xh_and_W_hy_switches_the_heatmaps(app):
    _reset(app)
    problem, params, ev = _reference()
    p, d = 8, len(problem.vocab)
    app.t.value = 4
    app.weight.value = "W_xh"
    z = _z(app, "copy")
    assert z.shape == (p, d)
    np.testing.assert_allclose(z, ev.backward.copies["layer0.fwd.W_xh"][3], atol=1e-15)
    assert list(np.flatnonzero(np.abs(z).sum(axis=0))) == [problem.X[0, 3]]  # one-hot input: one column
    assert len(app.figs.data("copy").x) == d and "x<sub>t</sub>" in app.figs.time.layout.xaxis3.title.text
    assert "W<sub>xh</sub>" in app.figs.title("copy").text
    app.weight.value = "W_hy"
    z = _z(app, "copy")
    assert z.shape == (d, p)
    np.testing.assert_allclose(z, ev.backward.copies["out.W_hy"][3], atol=1e-15)
    np.testing.assert_allclose(_z(app, "grad"), ev.grads["out.W_hy"], atol=1e-15)
    assert len(app.figs.data("copy").y) == d
    app.weight.value = "W_hh"
    assert _z(app, "copy").shape == (p, p)


def test_training_steps_lower_the_loss_and_change_the_gradient(app):
    _reset(app)
    app.train_steps.value = 0
    loss0, grad0 = _y(app, "loss").sum(), _z(app, "grad")
    app.train_steps.value = 30
    loss30 = _y(app, "loss").sum()
    assert loss30 < 0.5 * loss0
    assert not np.allclose(_z(app, "grad"), grad0)
    _, _, ev = _reference(steps=30)
    assert loss30 == pytest.approx(ev.loss)


# --------------------------------------------------------------------------- gradient check
def test_gradient_check_button_passes_and_draws_analytic_against_numeric(app):
    _reset(app)
    app.check_button.click()
    assert app.message.kind == "info" and "PASSED" in app.message.text
    check = app.check_result.check
    assert check.passed and check.max_error < 1e-7 and set(check.errors) == set(WEIGHTS)
    assert "PASSED" in app.figs.title("check").text
    for name in WEIGHTS:
        tr = app.figs.data(f"check_{name}")
        x, y = np.array(tr.x, float), np.array(tr.y, float)
        assert x.size == app.params[WEIGHTS[name]].size
        np.testing.assert_allclose(y, x, atol=1e-6)  # on the diagonal
    # the same verdict as the package's check_gradients
    net, X, Y = app.problem.net, app.problem.X, app.problem.targets
    ref = check_gradients(lambda p: softmax_nll(net.forward(p, X).Y, Y).loss, app.params,
                          net.evaluate(app.params, X, Y).grads, list(WEIGHTS.values()))
    assert ref.passed and ref.max_error == pytest.approx(check.max_error, rel=1e-6)
    # new weights: the old check no longer applies and is cleared
    app.train_steps.value = 15
    assert app.check_result is None and len(app.figs.data("check_W_hh").x) == 0
    assert "press" in app.figs.title("check_hint").text


def test_gradient_check_fails_on_a_wrong_gradient(monkeypatch):
    app = BPTTApp()
    real = app.problem.net.evaluate

    def wrong(*args, **kwargs):  # BPTT that forgot a little of W_hh's gradient
        ev = real(*args, **kwargs)
        ev.grads["layer0.fwd.W_hh"] = ev.grads["layer0.fwd.W_hh"] * 0.9
        return ev

    monkeypatch.setattr(app.problem.net, "evaluate", wrong)
    app.check_button.click()
    assert app.message.kind == "error" and "FAILED" in app.message.text and "W_hh" in app.message.text
    assert app.check_result.check.errors["W_hh"] > 1e-3
    assert "FAILED" in app.figs.title("check").text


def test_gradient_check_refuses_unknown_weights():
    problem = make_problem()
    with pytest.raises(ValueError, match="W_zz"):
        gradient_check(problem, lesson_params(problem, 0), names=("W_zz",))


# --------------------------------------------------------------------------- bad input
@pytest.mark.parametrize("text, words", [
    ("", "empty"),
    ("   ", "empty"),
    ("héllo wörld", "'é' 'ö'"),
    ("price: 3$", "'$' '3'"),
    ("ab", "too short"),
    ("x" * (MAX_CHARS + 1), "too long"),
])
def test_bad_sentences_give_a_message_and_the_app_keeps_working(app, text, words):
    _reset(app)
    app.t.value = 5
    before = _z(app, "copy").copy()
    app.sentence.value = text
    assert app.message.kind == "error" and words in app.message.text
    assert "Traceback" not in app.message.text
    np.testing.assert_array_equal(_z(app, "copy"), before)  # the view was left as it was
    assert app.t.value == 5 and app.problem.sentence == "the cat chased the mouse"
    app.sentence.value = "Hello World!"
    assert app.message.kind == "info" and "T = 11" in app.message.text and "lower case" in app.message.text
    assert app.problem.sentence == "hello world!" and app.t.value == 11 == app.t.max
    assert len(app.figs.data("loss").y) == 11
    app.back_button.click()
    np.testing.assert_allclose(_z(app, "copy"), app.trace.copies["W_hh"][9])


def test_a_longest_sentence_works_and_a_short_one_shrinks_the_slider(app):
    _reset(app)
    app.sentence.value = "a bc" * 10
    assert app.message.kind == "info" and app.t.max == MAX_CHARS - 1 == app.t.value
    app.t.value = 1
    assert app.gap < 1e-12
    app.sentence.value = "abc"
    assert app.t.max == 2 and app.t.value == 2 and app.play.max == 1


def test_a_late_view_starts_from_the_current_figures(app):
    """Voila connects after the cells ran: the synced snapshots must hold the current figures, not the first draw."""
    _reset(app)
    app.t.value = 3
    time, seq = app.figs
    assert time._view_count == 0 and seq._view_count == 0
    titles = [a["text"] for a in time._widget_layout["annotations"]]
    assert "(3)" in titles[TITLES["time"]["copy"]]
    np.testing.assert_allclose(np.array(time._widget_data[TRACES["time"]["copy"]]["z"], float),
                               app.trace.copies["W_hh"][2])
    colors = seq._widget_data[TRACES["sequence"]["loss"]]["marker"]["color"]
    assert colors[2] != colors[0]  # the current bar, t = 3


# --------------------------------------------------------------------------- two figures
def test_the_app_shows_both_figures_and_every_trace_is_named_in_one_of_them(app):
    assert list(app.figures()) == [app.figs.time, app.figs.sequence]
    for which, fig in zip(("time", "sequence"), app.figs):
        assert len(fig.data) == len(TRACES[which])
        assert fig.layout.width and fig.layout.height  # fixed sizes: a narrow notebook scrolls, nothing squeezes
    assert not set(TRACES["time"]) & set(TRACES["sequence"])  # a name says which figure it lives in
    assert app.figs.data("copy") is app.figs.time.data[TRACES["time"]["copy"]]
    assert app.figs.data("grad") is app.figs.sequence.data[TRACES["sequence"]["grad"]]
    assert app.figs.title("check") is app.figs.sequence.layout.annotations[TITLES["sequence"]["check"]]


def test_running_sum_and_true_gradient_share_one_scale_and_one_place(app):
    _reset(app)
    time, seq = app.figs
    for name in WEIGHTS:
        app.weight.value = name
        assert (time.layout.coloraxis.cmin, time.layout.coloraxis.cmax) == \
            (seq.layout.coloraxis.cmin, seq.layout.coloraxis.cmax)
        lim = max(np.abs(app.trace.running[name]).max(), np.abs(app.trace.grads[name]).max())
        assert seq.layout.coloraxis.cmax == pytest.approx(lim)
    # the true gradient sits right under the running sum: same width, margins and x domain
    assert time.layout.width == seq.layout.width
    assert (time.layout.margin.l, time.layout.margin.r) == (seq.layout.margin.l, seq.layout.margin.r)
    assert time.layout.xaxis4.domain == seq.layout.xaxis2.domain


def test_a_move_of_t_sends_the_time_stamp_figure_first(app):
    """The panels that change with t are one message, sent before the sequence figure's and the read-outs."""
    _reset(app)
    sent = []
    watchers = [(app.figs.time, "_py2js_update", "time"), (app.figs.sequence, "_py2js_update", "sequence"),
                (app.strip, "value", "strip"), (app.summary, "value", "summary")]
    handlers = []
    for widget, trait, label in watchers:
        handlers.append((widget, trait, lambda change, label=label: sent.append(label)))
        widget.observe(handlers[-1][2], names=trait)
    try:
        app.t.value = 7
        assert sent == ["time", "sequence", "strip", "summary"]
        for control, value in ((app.weight, "W_xh"), (app.train_steps, 20)):  # the strip may stay as it was
            sent.clear()
            control.value = value  # new weights clear the gradient check: in the sequence figure's one message
            assert sent == ["time", "sequence", "summary"]
    finally:
        for widget, trait, handler in handlers:
            widget.unobserve(handler, names=trait)


def test_a_move_of_t_changes_only_the_highlights_over_the_whole_sequence(app):
    _reset(app)
    seq = app.figs.sequence
    before = seq.to_dict()
    app.t.value = 9
    after = seq.to_dict()
    changed = {tr["name"] for tr, old in zip(after["data"], before["data"]) if tr != old}
    assert changed == {"loss", "‖copy‖", "gap now"}
    for tr, old in zip(after["data"], before["data"]):
        if tr["name"] in ("loss", "‖copy‖"):
            assert {k: v for k, v in tr.items() if k != "marker"} == {k: v for k, v in old.items() if k != "marker"}
    titles = [a["text"] for a in after["layout"]["annotations"]], [a["text"] for a in before["layout"]["annotations"]]
    assert [i for i, (a, b) in enumerate(zip(*titles)) if a != b] in ([], [TITLES["sequence"]["gap"]])
    assert {k: v for k, v in after["layout"].items() if k != "annotations"} == \
        {k: v for k, v in before["layout"].items() if k != "annotations"}


# --------------------------------------------------------------------------- exercises
def _backward(out=True, rec=True, phi="next", transpose=True, phi_outside=False, last=True):
    def fn(dY, h, W_hh, W_hy):
        T, p = h.shape
        dh = np.zeros((T, p))
        dh[T - 1] = W_hy.T @ dY[T - 1] if last else 0
        for t in range(T - 2, -1, -1):
            slope = {"next": 1 - h[t + 1] ** 2, "this": 1 - h[t] ** 2, "none": 1.0}[phi]
            W = W_hh.T if transpose else W_hh
            r = slope * (W @ dh[t + 1]) if phi_outside else W @ (slope * dh[t + 1])
            dh[t] = (W_hy.T @ dY[t] if out else 0) + (r if rec else 0)
        return dh
    return fn


@pytest.fixture(scope="module")
def data():
    return exercise_data()


def test_exercise_data_is_the_package_answer(data):
    assert check_backward_recursion(lambda dY, h, W_hh, W_hy: data.dh.copy(), data).ok


@pytest.mark.parametrize("fn, expected", [
    (_backward(), "correct"),
    (_backward(rec=False), "check the W_hh term"),
    (_backward(out=False), "check the W_hy term"),
    (_backward(phi="none"), "you forgot Φ′"),
    (_backward(phi="this"), "h_{t+1}"),
    (_backward(transpose=False), "transpose"),
    (_backward(phi_outside=True), "Φ′ multiplies dL/dh_{t+1} first"),
    (_backward(last=False), "check the W_hy term: at t = T"),
    (lambda dY, h, W_hh, W_hy: np.zeros(3), "shape (23, 8)"),
    (lambda dY, h, W_hh, W_hy: W_hy @ dY[0], "raised ValueError"),
])
def test_backward_recursion_check_names_the_wrong_term(data, fn, expected):
    fb = check_backward_recursion(fn, data)
    assert expected in fb.message
    assert fb.ok == (expected == "correct")


def test_W_xh_copy_check(data):
    def right(dh_t, h_t, x_id, d):
        c = np.zeros((len(h_t), d))
        c[:, x_id] = (1 - h_t ** 2) * dh_t
        return c

    def no_slope(dh_t, h_t, x_id, d):
        c = np.zeros((len(h_t), d))
        c[:, x_id] = dh_t
        return c

    def every_column(dh_t, h_t, x_id, d):
        return np.outer((1 - h_t ** 2) * dh_t, np.ones(d))

    assert check_W_xh_copy(right, data).ok
    assert "you forgot Φ′" in check_W_xh_copy(no_slope, data).message
    assert "only one column" in check_W_xh_copy(every_column, data).message
    assert "shape" in check_W_xh_copy(lambda dh_t, h_t, x_id, d: np.zeros((d, len(h_t))), data).message
    assert not check_W_xh_copy(lambda dh_t, h_t, x_id, d: np.zeros((len(h_t), d)), data).ok
