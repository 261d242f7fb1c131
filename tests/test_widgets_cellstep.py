"""Lesson 2 app, driven without a browser: set a control, check what the student sees.

Its exercises are tested in tests/test_lesson_cellstep.py."""

import html
import re

import numpy as np
import pytest

from rnnviz.core.losses import softmax_nll
from rnnviz.viz.cellstep import COLUMNS, display_char, scale_colour
from rnnviz.viz.svg import GREEN, matrix, parse_view
from rnnviz.widgets.cellstep import (
    MAX_CHARS,
    CellStepApp,
    load_pretrained,
    sentence_ids,
)


@pytest.fixture(scope="module")
def model():
    return load_pretrained()


@pytest.fixture
def app(model):
    return CellStepApp(model=model)


def _named(view, name):
    return next(el for el in parse_view(view).iter() if el.get("data-name") == name)


def _col_labels(app):
    """The characters under the columns of the states heatmap (x_t read; the absent ones drawn as \u2205)."""
    return [el.text for el in _named(app.sentence_view.value, "states").iter() if el.get("class") == "rnnviz-col"]


# what the student sees of the step: the HTML view (each number also in a cell's hover title, 4 decimals)
def _column(app, name):
    """The column ``name`` of the update table, as shown, checked against the 2-decimal numbers printed."""
    cells = re.findall(rf'title="{re.escape(html.escape(name))}, unit (\d+): (-?[0-9.]+)"[^>]*>(-?[0-9.]+)</td>',
                       app.step_view.value)
    assert [int(u) for u, _, _ in cells] == list(range(1, app.model.hidden_size + 1))
    shown = np.array([float(v) for _, v, _ in cells])
    np.testing.assert_allclose([float(p) for _, _, p in cells], shown, atol=0.0051)
    np.testing.assert_allclose(shown, app.terms[name], atol=5.1e-5)  # the kernel's numbers, as printed
    return app.terms[name]


def _onehot(app):
    return np.array([float(v) for v in re.findall(r'<td title="[^"]*: ([01])" style="background', app.step_view.value)])


def _softmax(app):
    """(labels, colours, probabilities) of the softmax bars, top to bottom."""
    rows = re.findall(r'<tr title="p = ([0-9.]+), y_t = [^"]*"><td[^>]*>([^<]*)</td><td[^>]*><div style="background:'
                      r'(#[0-9a-f]{6})', app.step_view.value)
    return [html.unescape(lab) for _, lab, _ in rows], [c for _, _, c in rows], np.array([float(p) for p, _, _ in rows])


# ----------------------------------------------------------------------------- the shipped model
def test_shipped_model_predicts_far_better_than_the_unigram_baseline(model):
    from rnnviz.data import load_corpus

    text = load_corpus(model.info["corpus"])
    held = text[int(model.info["split"]):]
    loss = model.lm.loss(held)
    assert loss == pytest.approx(model.info["heldout_loss"], rel=1e-9)  # the file's figures are its weights'
    assert loss < 0.7 * model.lm.unigram_baseline(held, reference=text[: int(model.info["split"])])
    assert model.weights["W_xh"].shape == (model.hidden_size, len(model.vocab))  # W_xh is p x d
    assert 16 <= model.hidden_size <= 32


def test_each_load_is_a_fresh_copy(model):
    other = load_pretrained()
    other.weights["W_hh"][:] = 0.0
    assert np.any(load_pretrained().weights["W_hh"]) and np.any(model.weights["W_hh"])


# ----------------------------------------------------------------------------- the time slider
def test_time_slider_shows_exactly_the_cache_of_that_step(app, model):
    W = model.weights
    for t in (1, 2, 7, len(app.inputs)):
        app.t.value = t
        step = app.steps[t - 1]
        j = int(app.inputs[t - 1])
        assert np.array_equal(_column(app, "h_{t-1}"), step.h_prev[0])
        assert np.array_equal(_column(app, "W_xh x_t"), W["W_xh"][:, j])  # the one-hot picks column j
        assert np.array_equal(_column(app, "W_hh h_{t-1}"), W["W_hh"] @ step.h_prev[0])
        assert np.array_equal(_column(app, "b_h"), W["b_h"])
        assert np.array_equal(_column(app, "a_t"), step.a[0])
        assert np.array_equal(_column(app, "h_t"), step.h[0])
        x = _onehot(app)
        assert len(x) == len(app.tokens) and x.sum() == 1.0 and x[j] == 1.0
        assert np.array_equal(app.x, x)
        # the three terms add up to a_t, and h_t = tanh(a_t)
        terms = sum(_column(app, n) for n in ("W_xh x_t", "W_hh h_{t-1}", "b_h"))
        np.testing.assert_allclose(terms, step.a[0], rtol=1e-12, atol=1e-12)
    assert app.last_update_ms < 1000  # generous: speed is measured in benchmarks/


def test_first_step_starts_from_the_zero_state(app):
    app.t.value = 1
    assert not np.any(_column(app, "h_{t-1}")) and not np.any(_column(app, "W_hh h_{t-1}"))
    assert "nothing to remember" in app.equation.value


def test_play_runs_in_the_kernel_and_pause_keeps_t(app):
    stepper = app.stepper
    assert stepper.slider is app.t and app.t.max == len(app.inputs)
    stepper.play.value = True  # play (the kernel's timer calls tick)
    stepper.tick()
    stepper.tick()
    assert app.t.value == 3 and "x<sub>3</sub>" in app.step_view.value
    stepper.play.value = False  # pause: t stays where it is (W.Play's stop went back to t = 1)
    assert app.t.value == 3 and "x<sub>3</sub>" in app.step_view.value
    stepper.tick()  # a tick after the pause does nothing
    assert app.t.value == 3
    app.text.value = "Oh my ears and whiskers"
    assert app.t.max == len("Oh my ears and whiskers") - 1


def test_every_view_message_carries_the_whole_current_view(app):
    # a browser that skips a message (it reads only the latest) still draws the current state
    app.t.value = 3
    app.absent_y.value = True
    app.t.value = 9
    np.testing.assert_array_equal(matrix(app.sentence_view.value, "states"), app.hidden.T)  # every state, exactly
    fills = [el.get("fill") for el in _named(app.sentence_view.value, "loss").iter() if el.get("data-v")]
    assert fills[2] != fills[3]  # the absent target at t = 3 is still grey
    assert 'data-col="9"' in app.now.value  # the boxes mark t = 9
    assert "x<sub>9</sub>" in app.step_view.value  # the step itself is HTML, sent whole


def test_a_move_of_t_sends_a_style_not_the_sentence(app):
    """The sentence (p x T states, losses) is sent when it changes; a move of t only changes which box shows."""
    sent = []
    for w, label in ((app.sentence_view, "sentence"), (app.now, "now"), (app.step_view, "step")):
        w.observe(lambda change, label=label: sent.append(label), names="value")
    before = app.sentence_view.value
    app.t.value = 5
    assert "sentence" not in sent and {"now", "step"} <= set(sent)
    assert app.sentence_view.value == before and len(app.now.value) < 200
    # the style shows exactly the boxes of column 5 of this app's view (two: the states and the loss)
    root = parse_view(app.sentence_view.value)
    view_id = root.get("data-view")
    assert f'[data-view="{view_id}"]' in app.now.value and '[data-col="5"]' in app.now.value
    boxes = [el for el in root.iter() if el.get("class") == "rnnviz-now" and el.get("data-col") == "5"]
    assert len(boxes) == 2
    other = CellStepApp(model=app.model)
    assert parse_view(other.sentence_view.value).get("data-view") != view_id  # two apps on a page do not mix


def test_true_next_character_is_marked_in_the_softmax(app, model):
    text = app.sentence
    for t in (1, 3, 10):
        app.t.value = t
        labels, colors, shown = _softmax(app)
        green = [i for i, c in enumerate(colors) if c == GREEN]
        assert len(green) == 1
        label = labels[green[0]]
        assert label.split(" ")[0] == display_char(text[t])  # the character that really comes next
        probs = app.probs[t - 1]
        assert shown[green[0]] == pytest.approx(probs[model.vocab.id_of(text[t])], abs=5e-5)
        # the bars are the top 10 in order (plus the true one when it is not among them)
        top = np.sort(probs)[::-1][:10]
        np.testing.assert_allclose(shown[:10], top, atol=5e-5)


def test_true_character_outside_the_top_ten_is_added_with_its_rank(model):
    app = CellStepApp("Alice zq", model=model)
    for t in range(1, len(app.inputs) + 1):
        app.t.value = t
        labels, colors, _ = _softmax(app)
        if len(labels) == 11:
            assert "rank" in labels[-1] and colors[-1] == GREEN
            break
    else:  # pragma: no cover - the model would have to expect 'z' and 'q'
        pytest.fail("expected an unlikely character outside the top 10")


# ----------------------------------------------------------------------------- absent input / target
def test_absent_input_zeroes_the_input_term_and_changes_h(app, model):
    app.t.value = 6
    h_before = _column(app, "h_t").copy()
    later_before = app.hidden[8].copy()
    earlier_before = app.hidden[3].copy()
    app.absent_x.value = True
    assert not np.any(_column(app, "W_xh x_t"))
    assert not np.any(_onehot(app)) and "absent" in app.step_view.value
    step = app.steps[5]
    np.testing.assert_allclose(_column(app, "a_t"), model.weights["W_hh"] @ step.h_prev[0] + model.weights["b_h"],
                               rtol=1e-12, atol=1e-12)  # the state evolves from W_hh h_{t-1} (+ b_h) alone
    assert not np.allclose(_column(app, "h_t"), h_before)
    assert not np.allclose(app.hidden[8], later_before)  # and every later state too
    assert np.array_equal(app.hidden[3], earlier_before)  # but not the past
    assert "\u2205" in _col_labels(app)[5]
    # moving away and back keeps the absence, and the checkbox follows the time-stamp
    app.t.value = 2
    assert app.absent_x.value is False
    app.t.value = 6
    assert app.absent_x.value is True
    app.absent_x.value = False
    np.testing.assert_array_equal(_column(app, "h_t"), h_before)


def test_absent_target_changes_the_loss_by_exactly_that_steps_loss(app):
    app.t.value = 4
    before = app.total_loss
    hidden_before = app.hidden.copy()
    ell = app.step_loss[3]
    full = softmax_nll(app.run.Y[None], app.targets[None]).loss
    assert before == pytest.approx(full)
    app.absent_y.value = True
    assert before - app.total_loss == pytest.approx(ell, rel=1e-12)
    assert np.array_equal(app.hidden, hidden_before)  # targets do not enter the forward pass
    assert "not counted" in app.status.value and f"{before:.3f}" in app.status.value
    fills = [el.get("fill") for el in _named(app.sentence_view.value, "loss").iter() if el.get("data-v")]
    assert fills[3] != fills[2]  # drawn grey
    assert f"total L = <b>{app.total_loss:.2f}</b>" in app.sentence_view.value
    app.all_present.click()
    assert app.total_loss == pytest.approx(before) and app.absent_y.value is False


def test_unit_slider_writes_out_that_units_arithmetic(app, model):
    app.t.value = 5
    app.unit.value = 7
    a = app.steps[4].a[0][6]
    assert "unit 7</b> in full" in app.equation.value
    assert f"{a:.3f}".replace("-", "\u2212") in app.equation.value
    rows = re.findall(r"<tr( style=\"outline[^\"]*\")?><td[^>]*>(\d+)</td>", app.step_view.value)
    assert [int(u) for style, u in rows if style] == [7]  # unit 7 is boxed in the update table
    assert "unit 7 boxed" in app.step_view.value


# ----------------------------------------------------------------------------- the sentence box
def test_bad_sentences_give_a_readable_message_and_the_app_recovers(app):
    good = _column(app, "h_t").copy()
    app.text.value = "Caf\u00e9 \u20ac5"
    assert app.message.kind == "error"
    assert "'\u00e9'" in app.message.text and "'\u20ac'" in app.message.text and "'5'" in app.message.text
    np.testing.assert_array_equal(_column(app, "h_t"), good)  # the view was left as it was
    app.t.value = 4  # the bad sentence's message stays under the sentence box while the student moves on (or plays)
    assert app.sentence_note.kind == "error" and "'\u00e9'" in app.sentence_note.text
    app.text.value = ""
    assert app.message.kind == "error" and "empty" in app.message.text
    app.text.value = "A"
    assert app.message.kind == "error" and "two" in app.message.text
    app.text.value = "The Queen said"
    assert app.message.kind == "" and app.sentence_note.kind == ""
    assert app.sentence == "The Queen said" and app.t.max == 13
    assert _col_labels(app) == [display_char(c) for c in "The Queen sai"]


def test_long_sentence_is_cut_with_a_note(app):
    app.t.value = 10
    app.text.value = "said the Hatter, " * 10
    assert app.message.kind == "warning" and str(MAX_CHARS) in app.message.text
    assert len(app.sentence) == MAX_CHARS and app.t.max == MAX_CHARS - 1
    assert app.t.value == 10  # the time-stamp is kept when it still exists
    app.t.value = 12
    assert app.sentence_note.kind == "warning"  # the note stays with the sentence, under the sentence box
    assert str(MAX_CHARS) in app.sentence_note.text
    app.text.value = "Oh dear!"
    assert app.t.value == 7 and app.message.kind == "" and app.sentence_note.kind == ""


def test_sentence_ids_names_every_unknown_character(model):
    with pytest.raises(ValueError, match="never seen '\u00e9', '\\\\t'"):
        sentence_ids(model.vocab, "caf\u00e9\tau lait")
    with pytest.raises(TypeError):
        sentence_ids(model.vocab, 3)


def test_new_sentence_clears_the_absences(app):
    app.t.value = 3
    app.absent_x.value = True
    app.text.value = "Alice was beginning to get very tired of sitting"
    assert app.input_absent == set() and app.absent_x.value is False
    assert np.any(_column(app, "W_xh x_t"))


def test_columns_of_the_view_are_the_terms_of_the_update():
    assert list(COLUMNS) == ["h_{t-1}", "W_xh x_t", "W_hh h_{t-1}", "b_h", "a_t", "h_t"]


def test_step_table_colours_match_plotlys_colour_scale():
    """The table's own interpolation (fast) gives the colours plotly's heatmap scale gives (slow)."""
    from plotly.colors import sample_colorscale

    def rgb(colour):
        return np.array([float(v) for v in re.findall(r"[\d.]+", colour)])

    for u in np.linspace(0.0, 1.0, 401):
        expected = rgb(sample_colorscale("RdBu_r", [float(u)])[0])
        assert np.max(np.abs(rgb(scale_colour(float(u))) - expected)) <= 1.0, u
    assert scale_colour(-3.0) == scale_colour(0.0) and scale_colour(7.0) == scale_colour(1.0)  # clipped to the scale
