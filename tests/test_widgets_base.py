"""The shared lesson-app machinery."""

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from rnnviz.viz.live import LiveFigure
from rnnviz.widgets.base import LessonApp, explained


class _App(LessonApp):
    def __init__(self):
        self.n = W.IntText(value=3)
        self.fig = LiveFigure(go.Figure(go.Scatter()))
        super().__init__([explained(self.n, "how many points"), W.VBox([self.fig])])
        self.watch(self.n, self.update)
        self.refresh()

    def update(self):
        if self.n.value < 1:
            raise ValueError(f"n: expected at least one point, got {self.n.value}")
        if self.n.value == 13:
            raise RuntimeError("unlucky")
        with self.fig.batch_update():
            self.fig.data[0].y = np.arange(self.n.value)


def test_figures_inside_boxes_are_synced_when_the_app_is_displayed():
    """A FigureWidget inside a box shows its construction-time state unless synced on display."""
    app = _App()
    assert list(app.figures()) == [app.fig]
    app._repr_mimebundle_()
    assert list(app.fig._widget_data[0]["y"]) == [0, 1, 2]


def test_bad_values_become_messages_and_the_app_recovers():
    app = _App()
    app.n.value = 0
    assert app.message.kind == "error" and "at least one point" in app.message.text
    assert list(app.fig.data[0].y) == [0, 1, 2]  # the view was left as it was
    app.n.value = 13
    assert app.message.kind == "error" and "Something went wrong" in app.message.text and "unlucky" in app.message.text
    app.n.value = 5
    assert app.message.kind == "" and list(app.fig.data[0].y) == [0, 1, 2, 3, 4]


def test_message_text_is_escaped():
    app = _App()
    app.message.error("<script>alert(1)</script>")
    assert "<script>" not in app.message.value and "&lt;script&gt;" in app.message.value


def test_a_plain_figurewidget_in_an_app_is_refused():
    """Only LiveFigures survive the browser's dropped updates; a plain FigureWidget is a developer's mistake."""
    import ipywidgets as W
    import pytest

    class Plain(LessonApp):
        def update(self):
            pass

    app = Plain([W.VBox([go.FigureWidget()])])
    with pytest.raises(TypeError, match="LiveFigure"):
        list(app.figures())


def test_a_figure_of_fixed_width_keeps_it_and_the_app_scrolls():
    """In a box a figure is stretched to the box's width: a fixed-width one was clipped in a narrow notebook."""
    import ipywidgets as W

    from rnnviz.widgets.base import CSS, FIXED_WIDTH

    class Two(LessonApp):
        def __init__(self):
            self.wide = LiveFigure(go.Figure(go.Scatter(), layout=dict(width=1150)))
            self.free = LiveFigure(go.Figure(go.Scatter()))
            super().__init__([W.VBox([self.wide]), self.free])
            self.refresh()

        def update(self):
            pass

    app = Two()
    assert FIXED_WIDTH in app.wide._dom_classes and FIXED_WIDTH not in app.free._dom_classes
    assert f".{FIXED_WIDTH} {{ align-self: flex-start; flex-shrink: 0; }}" in CSS


def test_count_views_counts_elements_with_the_view_class_only():
    from rnnviz.widgets.base import count_views

    assert count_views('<div class="rnnviz-view" data-name="a"><svg/></div>') == 1
    assert count_views('<div class="rnnviz-slots rnnviz-view x"></div><div class="rnnviz-view"></div>') == 2
    assert count_views('<div class="rnnviz-views-2 rnnviz-viewer">rnnviz-view</div>') == 0
    assert count_views("") == count_views(None) == 0


def test_an_app_declares_how_many_figures_and_views_it_shows():
    """The browser tests and benchmarks wait until each app shows what it declares (READY_JS)."""
    import ipywidgets as W

    from rnnviz.viz.svg import view
    from rnnviz.widgets.base import READY_JS, VIEWS_PREFIX

    class Views(LessonApp):
        def __init__(self):
            self.fig = LiveFigure(go.Figure(go.Scatter()))
            self.a, self.b = W.HTML(view(name="a")), W.HTML("<p>not a view</p>")
            super().__init__([W.VBox([self.a, W.HBox([self.b])]), self.fig])

        def update(self):
            pass

    app = Views()
    app._repr_mimebundle_()
    assert [c for c in app._dom_classes if c.startswith(VIEWS_PREFIX)] == [f"{VIEWS_PREFIX}2"]
    app.b.value = view(name="b")
    app._repr_mimebundle_()  # displayed again: the count is replaced, not added to
    assert [c for c in app._dom_classes if c.startswith(VIEWS_PREFIX)] == [f"{VIEWS_PREFIX}3"]
    assert f"'{VIEWS_PREFIX}'" in READY_JS and "@PREFIX@" not in READY_JS


def test_explained_keeps_a_toggle_buttons_description_on_the_buttons_line():
    # ipywidgets lays a ToggleButtons' label out as a block, on a line of its own above the buttons
    toggle = W.ToggleButtons(options=["tanh", "identity"], description="Phi")
    row = explained(toggle, "the activation")
    assert row.children[0] is toggle
    assert (toggle.layout.display, toggle.layout.flex_flow) == ("flex", "row nowrap")
    assert toggle.tooltip == "the activation"
