"""Explored views: the PCA of a sentence's states (lesson math), its 3D figure, and lesson 2's TrajectoryApp."""

import json
from copy import deepcopy

import numpy as np
import plotly.graph_objects as go
import pytest

from rnnviz.lessonmath.projection import principal_components
from rnnviz.viz.live import EXPLORE_ESM, PLOTLY_JS_NAME, STATIC_ENV, figure_json, plotly_js
from rnnviz.widgets.explore import ExploreFigure


def _states(T=12, p=6, seed=0):
    rng = np.random.default_rng(seed)
    # a path with unequal spread along its directions, shifted away from the origin
    return np.tanh(rng.standard_normal((T, p)) * np.linspace(2.0, 0.2, p) + 0.5)


# ------------------------------------------------------------------------------------------ projection
def test_projection_is_the_centred_states_times_the_components():
    H = _states()
    pr = principal_components(H, 3)
    assert pr.components.shape == (3, 6) and pr.coords.shape == (12, 3)
    np.testing.assert_allclose(pr.mean, H.mean(axis=0))
    np.testing.assert_allclose(pr.coords, (H - H.mean(axis=0)) @ pr.components.T, atol=1e-12)
    np.testing.assert_allclose(pr.components @ pr.components.T, np.eye(3), atol=1e-12)  # orthonormal


def test_explained_variance_is_the_covariance_eigenvalues_in_order():
    H = _states()
    pr = principal_components(H, 3)
    eig, vec = np.linalg.eigh(np.cov(H, rowvar=False))  # ascending
    np.testing.assert_allclose(pr.variance, eig[::-1][:3], rtol=1e-10)
    np.testing.assert_allclose(pr.variance, pr.coords.var(axis=0, ddof=1), rtol=1e-10)
    np.testing.assert_allclose(pr.total_variance, np.trace(np.cov(H, rowvar=False)), rtol=1e-12)
    np.testing.assert_allclose(pr.ratio, pr.variance / pr.total_variance, rtol=1e-12)
    assert np.all(np.diff(pr.variance) <= 0) and 0 < pr.ratio.sum() < 1
    # each component is an eigenvector of the covariance (up to its sign, fixed below)
    for j in range(3):
        assert abs(abs(pr.components[j] @ vec[:, -1 - j]) - 1) < 1e-8
    # all p components carry all the variance
    np.testing.assert_allclose(principal_components(H, 6).ratio.sum(), 1.0)


def test_sign_convention_makes_the_picture_deterministic():
    H = _states()
    pr = principal_components(H, 3)
    for row in pr.components:  # the entry largest in absolute value is positive
        assert row[np.argmax(np.abs(row))] > 0
    # -H and a reordering of the time steps give LAPACK other signs; the components do not change
    flipped = principal_components(-H, 3)
    np.testing.assert_allclose(flipped.components, pr.components, atol=1e-12)
    np.testing.assert_allclose(flipped.coords, -pr.coords, atol=1e-12)
    order = np.random.default_rng(1).permutation(len(H))
    np.testing.assert_allclose(principal_components(H[order], 3).components, pr.components, atol=1e-10)
    assert np.array_equal(principal_components(H.copy(), 3).coords, pr.coords)  # same input, same bits


def test_fewer_directions_than_components_give_zero_coordinates():
    # two states: one direction of spread; the other two components carry nothing
    H = np.array([[0.0, 1.0, 0.0, 0.5], [1.0, 0.0, 0.0, 0.5]])
    pr = principal_components(H, 3)
    np.testing.assert_allclose(pr.ratio, [1.0, 0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(pr.coords[:, 1:], 0.0, atol=1e-12)
    np.testing.assert_allclose(np.abs(pr.coords[:, 0]), np.sqrt(2) / 2)
    # states that do not move: no spread at all, ratios 0 rather than 0/0
    still = principal_components(np.ones((4, 3)), 3)
    assert np.all(still.ratio == 0) and np.all(still.coords == 0) and still.total_variance == 0


@pytest.mark.parametrize("states, k, match", [
    (np.ones(5), 3, "T, p"), (np.ones((1, 5)), 3, "at least 2"), (np.ones((4, 2)), 3, "1 to p = 2"),
    (np.array([[0.0, np.nan], [1.0, 2.0]]), 1, "finite"),
])
def test_bad_states_are_refused_with_a_reason(states, k, match):
    with pytest.raises(ValueError, match=match):
        principal_components(states, k)


# ------------------------------------------------------------------------------------------ the figure widget
def _recording(fig):
    """Record every message the kernel sends to the browser's model of ``fig``."""
    sent = []
    fig._send = lambda msg, buffers=None: sent.append(deepcopy(msg))
    return sent


def test_explore_figure_each_message_carries_the_whole_figure():
    """The browser may apply only the last message it got (or a view may be created later): it draws the current figure."""
    figs = [go.Figure(go.Scatter3d(x=[k, 1], y=[2, k], z=[0, 1], text=[f"a{k}", "b"])) for k in range(3)]
    fig = ExploreFigure(figs[0])
    assert fig.plot.get_state()["_state_id"] == fig.model_id  # the plot finds the figure on its box by the box's id
    created_from = deepcopy(fig.get_state())  # what a view created now starts from
    sent, plot = _recording(fig), _recording(fig.plot)
    for f in figs[1:]:
        fig.show(f)
    updates = [m["state"] for m in sent if m["method"] == "update" and "figure" in m["state"]]
    assert len(updates) == 2 and fig.draws == 3 and not plot  # the anywidget model itself gets no message
    assert all(u["figure"] for u in updates), "the figure is never reset (a reset read by a busy browser loses the update)"
    browser = {**created_from, **updates[-1]}  # a browser that saw only the last message
    assert browser["figure"] == fig.figure == figure_json(figs[-1])
    assert fig.get_state()["figure"] == figure_json(figs[-1])  # a view created later starts current: no sync step
    assert fig.data[0]["text"] == ["a2", "b"] and fig.data[0]["type"] == "scatter3d"
    assert fig._model_module == "@jupyter-widgets/controls"  # a core model (a Box): not gated by anywidget's 2 s


def test_explore_figure_sends_plotly_js_apart_from_its_module(monkeypatch):
    """The module stays tiny (anywidget's 2 s): plotly.js travels in the state (JupyterLab) or as the app's file."""
    monkeypatch.delenv(STATIC_ENV, raising=False)
    inline = ExploreFigure().plot
    assert inline._esm == EXPLORE_ESM and inline._plotly_url == ""
    assert inline._plotly_js == plotly_js() and "window.Plotly" in inline._plotly_js  # JupyterLab: plotly.js in the state
    monkeypatch.setenv(STATIC_ENV, "1")
    served = ExploreFigure().plot
    assert served._plotly_js == "" and served._plotly_url == f"static/{PLOTLY_JS_NAME}"  # the app: a cached file
    assert len(json.dumps(served.get_state())) < 10_000


# ------------------------------------------------------------------------------------------ the figure
def test_trajectory_figure_labels_every_point_and_marks_both_ends():
    from rnnviz.viz.explore import point_label, trajectory_figure

    P = np.arange(12.0).reshape(4, 3)
    fig = trajectory_figure(P, ["A", " ", "b", "c"], np.array([0.5, 0.25, 0.125]))
    path, start, end = fig.data
    assert list(path.text) == ["A₁", "␣₂", "b₃", "c₄"] and point_label("x", 12) == "x₁₂"
    assert list(path.x) == [0, 3, 6, 9] and list(path.z) == [2, 5, 8, 11]
    assert (start.x, start.y, start.z) == ((0,), (1,), (2,)) and (end.x, end.y, end.z) == ((9,), (10,), (11,))
    assert start.name == "start: A₁" and end.name == "end: c₄"
    assert fig.layout.scene.xaxis.title.text == "PC1 (50 %)" and fig.layout.scene.zaxis.title.text == "PC3 (12 %)"
    assert fig.layout.scene.aspectmode == "data"  # distances in the picture are distances between projected states
    with pytest.raises(ValueError, match=r"\(3, 3\)"):
        trajectory_figure(P, ["a", "b", "c"], np.zeros(3))


# ------------------------------------------------------------------------------------------ the app
@pytest.fixture()
def app():
    from rnnviz.widgets.explore import TrajectoryApp

    a = TrajectoryApp()
    a.CLICK_GUARD = 0.0  # the tests click faster than a student
    return a


def _expected(text):
    """The trajectory computed here from the core, independently of the app."""
    from rnnviz.viz.explore import point_label
    from rnnviz.widgets.cellstep import load_pretrained

    model = load_pretrained()
    ids = model.vocab.encode(text)
    states = model.net.forward(model.params, ids[None]).hidden["layer0.fwd"][0]  # (T, p)
    pr = principal_components(states, 3)
    return states, pr, [point_label(c, t) for t, c in enumerate(text, 1)]


def _assert_draws(app, text):
    states, pr, labels = _expected(text)
    path, start, end = app.figure.data
    np.testing.assert_array_equal(app.states, states)
    for j, axis in enumerate("xyz"):
        np.testing.assert_allclose(path[axis], pr.coords[:, j], rtol=1e-12, atol=1e-12)
        assert start[axis] == [pr.coords[0, j]] and end[axis] == [pr.coords[-1, j]]
    assert path["text"] == labels
    assert app.figure.plot_layout["scene"]["xaxis"]["title"]["text"] == f"PC1 ({100 * pr.ratio[0]:.0f} %)"
    assert app.drawn == text and f"<b>{len(text)}</b> states" in app.summary.value


def test_the_button_draws_the_typed_sentence_from_the_core(app):
    from rnnviz.widgets.cellstep import DEFAULT_TEXT

    _assert_draws(app, DEFAULT_TEXT)
    draws = app.figure.draws
    app.sentence.value = "the cat sat"  # typing checks, draws nothing
    assert app.figure.draws == draws and app.drawn == DEFAULT_TEXT
    assert app.message.kind == "info" and "Draw trajectory" in app.message.text
    app.draw_button.click()
    assert app.figure.draws == draws + 1 and app.message.kind == ""
    _assert_draws(app, "the cat sat")


def test_enter_in_the_box_draws_and_other_messages_do_nothing(app):
    app.sentence.value = "Down the hole"
    app.sentence._handle_custom_msg({"event": "focus"}, [])
    app.sentence._handle_custom_msg("submit", [])
    assert app.drawn != "Down the hole"
    app.sentence._handle_custom_msg({"event": "submit"}, [])  # what the browser sends on Enter
    _assert_draws(app, "Down the hole")


def test_an_example_is_put_in_the_box_and_drawn(app):
    from rnnviz.widgets.explore import EXAMPLES

    text = EXAMPLES["one letter again and again"]
    app.examples.value = text
    _assert_draws(app, text)
    assert app.sentence.value == text and app.examples.value == ""  # ready to pick it again
    # the same input again and again: the state settles, the last steps barely move
    steps = np.linalg.norm(np.diff(app.states, axis=0), axis=1)
    assert steps[-1] < 0.01 * steps[0]


@pytest.mark.parametrize("bad, says", [("héllo", "'é'"), ("", "empty"), ("x", "one character"), ("a\tb", "'\\t'")])
def test_bad_text_gives_a_readable_message_and_the_app_keeps_working(app, bad, says):
    drawn, figure = app.drawn, deepcopy_json(app.figure.figure)
    app.sentence.value = bad
    assert app.message.kind == "error" and says in app.message.text and "Traceback" not in app.message.text
    app.draw_button.click()
    assert app.message.kind == "error" and says in app.message.text
    assert app.drawn == drawn and app.figure.figure == figure  # the view still shows the last good sentence
    app.sentence.value = "Alice"
    app.draw_button.click()
    assert app.message.kind == "" and not app.stale
    _assert_draws(app, "Alice")


def test_a_long_sentence_is_cut_with_a_warning(app):
    from rnnviz.widgets.cellstep import MAX_CHARS

    app.sentence.value = "a cat " * 30
    assert app.message.kind == "warning" and f"first {MAX_CHARS}" in app.message.text
    app.draw_button.click()
    assert app.message.kind == "warning" and len(app.figure.data[0]["text"]) == MAX_CHARS
    _assert_draws(app, ("a cat " * 30)[:MAX_CHARS])


def test_the_same_sentence_gives_the_same_picture():
    from rnnviz.widgets.explore import TrajectoryApp

    assert TrajectoryApp("Alice").figure.figure == TrajectoryApp("Alice").figure.figure


def test_the_app_declares_its_figure_for_the_ready_check(app):
    from rnnviz.widgets.base import VIEWS_PREFIX

    app._repr_mimebundle_()
    assert f"{VIEWS_PREFIX}1" in app._dom_classes and app.view_count() == 1
    assert app.figure in app.view_widgets()
    app.sentence.value = "héllo"  # bad text: the figure is marked stale until the next good draw
    assert app.stale and "rnnviz-stale" in app.figure._dom_classes
    app.sentence.value = "Alice"
    app.draw_button.click()
    assert not app.stale and "rnnviz-stale" not in app.figure._dom_classes


def deepcopy_json(obj):
    import json

    return json.loads(json.dumps(obj))


# ---------------------------------------------------------------------------- a long passage, zoomable
def _numbers(values):
    """A trace's numbers as the browser gets them (plotly sends arrays as base64 with a dtype)."""
    import base64

    if isinstance(values, dict) and "bdata" in values:
        return np.frombuffer(base64.b64decode(values["bdata"]), dtype=np.dtype(values["dtype"]))
    return np.asarray(values, dtype=float)


def test_passage_losses_are_the_cores_softmax_nll_and_the_unigram_baseline():
    from rnnviz.core.losses import softmax_nll
    from rnnviz.lessonmath.cellstep import heldout_text, load_pretrained, passage_losses

    model = load_pretrained()
    res = passage_losses(model, 300, 400)
    held = heldout_text(model)
    assert res.text == held[300:701] and res.start == 300 and res.step_loss.shape == (400,)
    ids = model.vocab.encode(res.text)
    Y = model.net.forward(model.params, ids[None, :-1]).Y
    np.testing.assert_allclose(res.step_loss, softmax_nll(Y, ids[None, 1:]).per_step[0], rtol=1e-12)
    np.testing.assert_allclose(res.unigram_loss, -np.log(model.lm.unigram[ids[1:]]), rtol=1e-12)
    assert res.mean < res.unigram_mean  # the trained model beats guessing by frequency on text it never saw
    with pytest.raises(ValueError, match="length: expected a whole number from 200 to 5000"):
        passage_losses(model, 0, 10)
    with pytest.raises(ValueError, match="start"):
        passage_losses(model, len(held) - 100, 400)


def test_the_loss_series_is_zoomable_and_draws_every_loss():
    from rnnviz.viz.explore import SMOOTH, loss_series_figure, running_mean

    np.testing.assert_allclose(running_mean(np.arange(5.0), 2), [0, 0.5, 1.5, 2.5, 3.5])
    loss = np.linspace(1, 3, 600)
    fig = loss_series_figure(loss, "a" * 601, np.full(600, 3.2), start=10)
    np.testing.assert_allclose(fig.data[0].y, loss)
    np.testing.assert_allclose(fig.data[1].y, running_mean(loss, SMOOTH))
    assert fig.data[2].y == (3.2, 3.2) and "3.20" in fig.data[2].name
    assert fig.layout.xaxis.rangeslider.visible and tuple(fig.layout.xaxis.range) == (0.5, 400.5)
    assert "character 11 of the held-out text" in fig.data[0].hovertext[0]
    with pytest.raises(ValueError, match="600 losses need 601 characters"):
        loss_series_figure(loss, "a" * 600, np.full(600, 3.2))


def test_passage_app_draws_on_the_button_only():
    from rnnviz.widgets.explore import PassageApp

    app = PassageApp(length=300)
    app.CLICK_GUARD = 0.0
    drawn = app.figure.draws
    np.testing.assert_allclose(_numbers(app.figure.data[0]["y"]), app.passage.step_loss)
    assert f"{app.passage.mean:.2f}" in app.summary.value and f"{app.passage.unigram_mean:.2f}" in app.summary.value
    app.start.value = 1000  # a slider alone draws nothing
    assert app.figure.draws == drawn and app.passage.start == 0 and "Draw the passage" in app.message.text
    app.draw_button.click()
    assert app.figure.draws == drawn + 1 and app.passage.start == 1000 and len(app.passage.step_loss) == 300
    np.testing.assert_allclose(_numbers(app.figure.data[0]["y"]), app.passage.step_loss)


def test_passage_app_refuses_a_passage_past_the_end_and_recovers():
    from rnnviz.widgets.explore import PassageApp

    app = PassageApp(length=300)
    app.CLICK_GUARD = 0.0
    app.start.value = app.start.max
    app.length.value = 5000
    assert app.message.kind == "error" and "held-out text has" in app.message.text and app.stale
    app.length.max = 10**7  # a browser can send a slider's max too
    app.length.value = 10**7
    app.draw_button.click()
    assert app.message.kind == "error" and "length: expected a whole number from 200 to 5000" in app.message.text
    app.length.value = 400
    app.start.value = 0
    app.draw_button.click()
    assert app.message.kind == "" and not app.stale and len(app.passage.step_loss) == 400
