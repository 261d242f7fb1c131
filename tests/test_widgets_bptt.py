"""Lesson 4 app (backpropagation through time), driven without a browser: set a control, read the views back.

The views are SVG drawn by rnnviz (rnnviz.viz.bptt); ``marks``/``matrix`` read the values each mark carries.
"""

import numpy as np
import pytest

from rnnviz.core.gradcheck import check_gradients
from rnnviz.core.losses import softmax_nll
from rnnviz.viz.svg import VIEW_CLASS, marks, matrix, parse_view
from rnnviz.widgets.bptt import (
    MAX_CHARS,
    WEIGHTS,
    BPTTApp,
    gradient_check,
    lesson_params,
    make_problem,
)


@pytest.fixture(scope="module")
def app():
    app = BPTTApp()
    app.CLICK_GUARD = 0.0  # the tests click faster than a person; a click within the guard would be dropped
    return app


_VIEWS = {"dY": "time", "dh_output": "time", "dh_future": "time", "dh_sum": "time", "copy": "time", "running": "time",
          "grad": "time", "loss": "sequence", "copy_norms": "sequence", "gap": "sequence", "gap_now": "sequence"}


def _html(app, name):
    return {"time": app.time_view, "sequence": app.sequence_view, "check": app.check_view}[_VIEWS.get(name, "check")].value


def _z(app, name):
    """A heatmap of the views as its matrix."""
    return matrix(_html(app, name), name)


def _y(app, name):
    """The values of a bar chart or a group of marks."""
    return marks(_html(app, name), name)


def _colours(app, name):
    """The fill colour of each mark of a chart."""
    root = parse_view(_html(app, name))
    chart = next(el for el in root.iter() if el.get("data-name") == name)
    return [el.get("fill") for el in chart.iter() if el.get("data-v") is not None]


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
        assert f"<sup>({t})</sup>" in app.time_view.value
        shown.append(z)
    assert not np.allclose(shown[0], shown[1])  # a different time-stamp, a different copy


def test_output_and_hidden_gradients_follow_t(app):
    _reset(app)
    problem, params, ev = _reference()
    app.t.value = 6
    j = problem.targets[0, 5]
    onehot = np.eye(len(problem.vocab))[j]
    np.testing.assert_allclose(_y(app, "dY"), ev.loss_result.probs[0, 5] - onehot, atol=1e-12)
    colours = _colours(app, "dY")
    assert colours.count(colours[j]) == 1 and _y(app, "dY")[j] < 0  # the true token is marked, p - 1 < 0
    dh = ev.backward.dh["layer0.fwd"][0]
    np.testing.assert_allclose(_y(app, "dh_sum"), dh[5], atol=1e-12)
    np.testing.assert_allclose(_y(app, "dh_output") + _y(app, "dh_future"), dh[5], atol=1e-12)
    h, W_hh = ev.forward.hidden["layer0.fwd"][0], params["layer0.fwd.W_hh"]
    np.testing.assert_allclose(_y(app, "dh_future"), W_hh.T @ ((1 - h[6] ** 2) * dh[6]), atol=1e-12)
    bar_colors = _colours(app, "loss")
    assert bar_colors[5] != bar_colors[0] and bar_colors.count(bar_colors[5]) == 1  # the current time-stamp stands out
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
    assert not np.any(app.trace.copies["W_hh"][0]) and "= 0, as h<sub>0</sub> = 0" in app.time_view.value
    app.t.value = 2
    assert app.gap == 0.0 and "h<sub>0</sub> is 0" in app.summary.value


def test_step_buttons_and_play_move_t(app):
    _reset(app)
    T = app.problem.T
    app.stepper.back.click()
    app.stepper.back.click()
    assert app.t.value == T - 2
    app.stepper.forward.click()
    assert app.t.value == T - 1
    app.stepper.forward.click()
    app.stepper.forward.click()
    assert app.t.value == T  # clamped
    app.play.value = True  # play walks backwards, as BPTT does: one tick of the kernel's timer is one step
    for _ in range(5):
        app.stepper.tick()
    assert app.t.value == T - 5
    np.testing.assert_allclose(_z(app, "copy"), app.trace.copies["W_hh"][T - 6], rtol=1e-12, atol=1e-15)
    app.play.value = False  # pause keeps t where it is
    app.stepper.tick()
    assert app.t.value == T - 5
    np.testing.assert_allclose(_z(app, "copy"), app.trace.copies["W_hh"][T - 6], rtol=1e-12, atol=1e-15)


# --------------------------------------------------------------------------- the weight selector
def test_choosing_W_xh_and_W_hy_switches_the_heatmaps(app):
    _reset(app)
    problem, params, ev = _reference()
    p, d = 8, len(problem.vocab)
    app.t.value = 4
    app.weight.value = "W_xh"
    z = _z(app, "copy")
    assert z.shape == (p, d)
    np.testing.assert_allclose(z, ev.backward.copies["layer0.fwd.W_xh"][3], rtol=1e-12, atol=1e-15)
    assert list(np.flatnonzero(np.abs(z).sum(axis=0))) == [problem.X[0, 3]]  # one-hot input: one column
    assert "input x<tspan" in app.time_view.value  # the columns are the input characters (axis title)
    assert "copy dL/dW<sub>xh</sub>" in app.time_view.value
    app.weight.value = "W_hy"
    z = _z(app, "copy")
    assert z.shape == (d, p)
    np.testing.assert_allclose(z, ev.backward.copies["out.W_hy"][3], rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(_z(app, "grad"), ev.grads["out.W_hy"], rtol=1e-12, atol=1e-15)
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
    assert "gradient check" in app.check_view.value and "PASSED" in app.check_view.value
    for name in WEIGHTS:
        drawn = _y(app, f"check_{name}")  # one dot per entry, at (numeric, analytic)
        assert drawn.size == app.params[WEIGHTS[name]].size
        np.testing.assert_allclose(drawn, np.ravel(app.check_result.analytic[name]), rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(drawn, np.ravel(app.check_result.numeric[name]), atol=1e-6)  # on the diagonal
    # the same verdict as the package's check_gradients
    net, X, Y = app.problem.net, app.problem.X, app.problem.targets
    ref = check_gradients(lambda p: softmax_nll(net.forward(p, X).Y, Y).loss, app.params,
                          net.evaluate(app.params, X, Y).grads, list(WEIGHTS.values()))
    assert ref.passed and ref.max_error == pytest.approx(check.max_error, rel=1e-6)
    # new weights: the old check no longer applies and is cleared
    app.train_steps.value = 15
    assert app.check_result is None and "check_W_hh" not in app.check_view.value
    assert "press <b>Run gradient check</b>" in app.check_view.value


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
    assert "FAILED" in app.check_view.value


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
    ("x" * (MAX_CHARS + 1), f"{MAX_CHARS + 1} characters; at most {MAX_CHARS}"),
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
    assert len(_y(app, "loss")) == 11
    app.stepper.back.click()
    np.testing.assert_allclose(_z(app, "copy"), app.trace.copies["W_hh"][9])


def test_a_longest_sentence_works_and_a_short_one_shrinks_the_slider(app):
    _reset(app)
    app.sentence.value = "a bc" * 10
    assert app.message.kind == "info" and app.t.max == MAX_CHARS - 1 == app.t.value
    app.t.value = 1
    assert app.gap < 1e-12
    app.sentence.value = "abc"
    assert app.t.max == 2 and app.t.value == 2 and app.stepper.T == 2


def test_the_views_are_well_formed_svg_with_their_data_and_escape_the_sentence(app):
    """Each view is one rnnviz-view element (the browser test finds it), well-formed, with values on its marks."""
    _reset(app)
    app.sentence.value = "it's a <b>cat"  # '<' and '>' are refused by the lesson: the message says so
    assert app.message.kind == "error" and "'<'" in app.message.text
    app.sentence.value = "it's o'clock"
    assert app.message.kind == "info"
    p, d = app.trace.dh.shape[1], len(app.trace.tokens)
    for view in (app.time_view, app.sequence_view):
        root = parse_view(view.value)
        assert VIEW_CLASS in root.get("class").split()
        assert "it's" not in view.value and "&#x27;" in view.value  # the quote is escaped wherever it is shown
    counts = {name: _y(app, name).size for name in ("dY", "dh_output", "dh_future", "dh_sum", "copy", "running",
                                                     "grad", "loss", "copy_norms", "gap", "gap_now")}
    T = app.problem.T
    assert counts == {"dY": d, "dh_output": p, "dh_future": p, "dh_sum": p, "copy": p * p, "running": p * p,
                      "grad": p * p, "loss": T, "copy_norms": T, "gap": T, "gap_now": 1}
    _reset(app)


# --------------------------------------------------------------------------- views and messages
def test_running_sum_and_true_gradient_share_one_scale_side_by_side(app):
    _reset(app)
    for name in WEIGHTS:
        app.weight.value = name
        panel = app.time_view.value.split("running sum", 1)[1]
        scales = [el for el in parse_view(app.time_view.value).iter() if el.get("data-name") == "colourbar"]
        assert len(scales) == 2  # the copy's own scale, and one for the running sum and the true gradient
        assert panel.index('data-name="running"') < panel.index('data-name="grad"') < panel.index('data-name="colourbar"')
        app.t.value = 2
        assert _colours(app, "running") != _colours(app, "grad") or name == "W_hh"  # (W_hh: its copy at t = 1 is 0)
        app.t.value = 1  # the sum of all copies is the true gradient: the same matrix, the same colours
        assert _colours(app, "running") == _colours(app, "grad")
        app.t.value = app.problem.T


def test_a_move_of_t_sends_the_time_stamp_view_first(app):
    """The panels that change with t are one message, sent before the sequence view's and the read-outs."""
    _reset(app)
    sent = []
    watchers = [(app.time_view, "time"), (app.sequence_view, "sequence"), (app.check_view, "check"),
                (app.strip, "strip"), (app.summary, "summary")]
    handlers = []
    for widget, label in watchers:
        handlers.append((widget, lambda change, label=label: sent.append(label)))
        widget.observe(handlers[-1][1], names="value")
    try:
        app.t.value = 7
        assert sent == ["time", "sequence", "strip", "summary"]
        for control, value in ((app.weight, "W_xh"), (app.train_steps, 20)):  # the strip may stay as it was
            sent.clear()
            control.value = value
            assert sent == ["time", "sequence", "summary"]
        app.check_button.click()
        sent.clear()
        app.train_steps.value = 10  # new weights: the check no longer applies and is cleared
        assert sent == ["time", "sequence", "check", "summary"]
    finally:
        for widget, handler in handlers:
            widget.unobserve(handler, names="value")


def test_a_move_of_t_changes_only_the_highlights_over_the_whole_sequence(app):
    _reset(app)
    before = {name: _y(app, name) for name in ("loss", "copy_norms", "gap")}
    colours = {name: _colours(app, name) for name in ("loss", "copy_norms")}
    app.t.value = 9
    for name, values in before.items():
        np.testing.assert_array_equal(_y(app, name), values)  # the same data
    for name in ("loss", "copy_norms"):
        now = _colours(app, name)
        assert now != colours[name] and now[8] != colours[name][8]  # the highlight moved to t = 9
    assert _y(app, "gap_now")[0] == pytest.approx(app.gap, rel=1e-12)
