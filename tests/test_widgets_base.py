"""The shared lesson-app machinery."""

import ipywidgets as W
import plotly.graph_objects as go
import pytest

from rnnviz.widgets.base import LessonApp, explained


class _App(LessonApp):
    def __init__(self):
        self.n = W.IntText(value=3)
        self.view = W.HTML()
        super().__init__([explained(self.n, "how many points"), W.VBox([self.view])])
        self.watch(self.n, self.update)
        self.refresh()

    def update(self):
        if self.n.value < 1:
            raise ValueError(f"n: expected at least one point, got {self.n.value}")
        if self.n.value == 13:
            raise RuntimeError("unlucky")
        self.view.value = f'<div class="rnnviz-view" data-name="v">{" ".join(["o"] * self.n.value)}</div>'


def test_bad_values_become_messages_and_the_app_recovers():
    app = _App()
    shown = app.view.value
    app.n.value = 0
    assert app.message.kind == "error" and "at least one point" in app.message.text
    assert app.view.value == shown  # the view was left as it was
    app.n.value = 13
    assert app.message.kind == "error" and "Something went wrong" in app.message.text and "unlucky" in app.message.text
    app.n.value = 5
    assert app.message.kind == "" and app.view.value.count("o") == 5


def test_message_text_is_escaped():
    app = _App()
    app.message.error("<script>alert(1)</script>")
    assert "<script>" not in app.message.value and "&lt;script&gt;" in app.message.value


def test_a_plotly_figurewidget_in_an_app_is_refused():
    """A FigureWidget redraws its whole figure per update and can miss anywidget's 2 s: explored views use
    ExploreFigure (docs/DECISIONS.md)."""

    class Plain(LessonApp):
        def update(self):
            pass

    app = Plain([W.VBox([go.FigureWidget()])])
    with pytest.raises(TypeError, match="ExploreFigure"):
        app._repr_mimebundle_()


def test_the_app_box_never_scrolls_sideways():
    from rnnviz.widgets.base import CSS

    assert "overflow-x: auto" not in CSS  # a projector shows no scroll bar: views fit, scaled down, or wrap


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
    from rnnviz.widgets.explore import ExploreFigure

    class Views(LessonApp):
        def __init__(self):
            self.fig = ExploreFigure(go.Figure(go.Scatter(y=[1, 2])))
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


# ---------------------------------------------------------------------------- the lesson kit
class _Kit(LessonApp):
    """A small app: a slider in the control bar, a text box further down, one view."""

    def __init__(self):
        from rnnviz.widgets.base import SentenceBox, TimeStepper

        self.x = W.IntSlider(value=1, min=0, max=5, description="x")
        self.stepper = TimeStepper(6)
        self.sentence = SentenceBox("a b c", max_chars=20)
        self.view = W.HTML()
        self.calls = []
        self.go = self.button("go", self._go)
        super().__init__([self.control_bar(explained(self.x, "a number"), self.stepper),
                          self.view, explained(self.sentence, "a sentence"), self.go])
        self.watch(self.x, self.update)
        self.watch(self.stepper.slider, self.update)
        self.watch(self.sentence, self.update)
        self.refresh()

    def _go(self):
        self.calls.append("go")

    def update(self):
        words = self.sentence.text().split()
        if self.x.value == 3:
            raise ValueError("x = 3 is not allowed here")
        self.calls.append((self.x.value, self.stepper.value, len(words)))
        self.view.value = f'<div class="rnnviz-view" data-name="v">{self.x.value} {self.stepper.value}</div>'


def _row_after(app, widget):
    """The widget that follows the row holding ``widget`` in its parent box."""
    for box in [app, *app.descendants()]:
        kids = list(getattr(box, "children", ()))
        for i, row in enumerate(kids):
            if row is widget or widget in getattr(row, "children", ()):
                return kids[i + 1] if i + 1 < len(kids) else None
    return None


def test_a_bad_value_shows_its_message_under_the_control_that_caused_it_and_marks_the_views_stale():
    app = _Kit()
    app.sentence.value = ""
    assert app.message.kind == "error" and "empty" in app.message.text
    assert _row_after(app, app.sentence) is app.message  # beside the text box, not at the bottom of the app
    assert app.stale and "rnnviz-stale" in app.view._dom_classes
    assert "last good input" in app.message.text
    app.sentence.value = "one two"
    assert not app.stale and "rnnviz-stale" not in app.view._dom_classes and app.message.kind == ""
    app.x.value = 3
    assert _row_after(app, app.x) is app.message  # moved up, under the slider in the control bar
    assert sum(1 for w in app.descendants() if w is app.message) == 1  # one message line, never two


def test_quiet_changes_run_no_handler():
    app = _Kit()
    before = len(app.calls)
    with app.quiet():
        app.x.value = 4
        app.stepper.value = 5
    assert len(app.calls) == before
    app.set_quietly(app.x, value=2, max=4)
    assert len(app.calls) == before and app.x.max == 4
    app.x.value = 1
    assert app.calls[-1] == (1, 5, 3)


def test_a_button_drops_clicks_that_queued_while_it_ran():
    app = _Kit()
    app.go.click()
    app.go.click()  # arrives right after the first ended: a queued click, dropped
    assert app.calls.count("go") == 1
    import time

    time.sleep(app.CLICK_GUARD + 0.05)
    app.go.click()
    assert app.calls.count("go") == 2


def test_time_stepper_steps_pauses_in_place_and_plays_again_from_the_start():
    app = _Kit()
    s = app.stepper
    assert s.value == 1
    s.forward.click()
    s.forward.click()
    assert s.value == 3 and app.calls[-1][1] == 3
    s.back.click()
    assert s.value == 2
    s.play.value = True
    assert s.play.description.endswith("pause")
    s.tick()
    assert s.value == 3
    s.play.value = False  # pause: t stays where it is (a stop that resets would send it back to 1)
    s.tick()
    assert s.value == 3 and s.play.description.endswith("play")
    s.value = 6
    s.play.value = True  # at the end: play starts again from the start
    assert s.value == 1
    for _ in range(10):
        s.tick()
    assert s.value == 6 and s.play.value is False  # stopped by itself at the end
    s.set_length(4)
    assert s.value == 4 and s.slider.max == 4


def test_time_stepper_backwards_plays_from_T_down_to_1():
    from rnnviz.widgets.base import TimeStepper

    s = TimeStepper(5, direction=-1)
    assert s.value == 5
    s.play.value = True
    s.tick()
    assert s.value == 4
    with pytest.raises(ValueError, match="direction"):
        TimeStepper(5, direction=2)


def test_sentence_box_says_what_is_wrong():
    from rnnviz.widgets.base import SentenceBox

    box = SentenceBox("ok", max_chars=10)
    assert box.text() == "ok"
    box.value = "  0123456789  "  # ten characters with spaces around them: they fit
    assert box.text() == "  0123456789  "
    for bad, words in (("", "empty"), ("   ", "empty"), ("x" * 11, "11 characters; at most 10")):
        box.value = bad
        with pytest.raises(ValueError, match=words):
            box.text()
