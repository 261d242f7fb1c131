"""What every lesson app shares: explained controls, a message line, guarded callbacks, classroom CSS.

An app is one ``ipywidgets.VBox`` subclass that a notebook displays as its last
expression. Its controls are attributes; its handlers are registered with
:meth:`LessonApp.watch`, which wraps them so that bad input (a ``ValueError`` or
``TypeError`` from the core, whose messages name what was wrong) is shown as a
readable message in the view instead of a traceback, and the app keeps working.

Rules that keep Voila from hanging (see shared/JUPYTER-NOTES.md): messages go into an
``HTML`` widget, never an ``Output`` written with ``with out:`` while the notebook
first executes. Views are SVG/HTML markup from :mod:`rnnviz.viz` in ``HTML`` widgets, or, for a
view that is explored (rotated, zoomed), a :class:`rnnviz.widgets.explore.ExploreFigure`; an
app declares how many it shows (:meth:`LessonApp.declare_views`) so that a page counts as
ready only when all are drawn. Why: docs/DECISIONS.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import re
import time
from collections.abc import Callable, Iterator

import ipywidgets as W
from ipywidgets.widgets.widget_description import DescriptionWidget
import numpy as np
import plotly.graph_objects as go

from ..viz.svg import VIEW_CLASS

__all__ = ["CSS", "READY_JS", "VIEWS_PREFIX", "LessonApp", "Message",
           "SentenceBox", "TimeStepper", "count_views", "explained", "heading"]

#: CSS class prefix by which a displayed app says how many figures and views it shows (``rnnviz-views-3``):
#: the browser tests and the benchmarks call a page ready only when every app shows all of them.
VIEWS_PREFIX = "rnnviz-views-"
#: JavaScript for a browser (Playwright's ``wait_for_function``, argument: how many figures at least): true once
#: the page is interactive, its cells shown and every app showing every figure and view it declares.
READY_JS = """(minPlots = 0) => {
    const prefix = '@PREFIX@';
    const r = document.querySelector('#rendered_cells');
    if (!r || getComputedStyle(r).display === 'none') return false;
    const boxes = document.querySelectorAll('.rnnviz-app, .rnnviz-index');
    const plots = document.querySelectorAll('.js-plotly-plot');
    const drawn = document.querySelectorAll('.js-plotly-plot .main-svg');
    const views = document.querySelectorAll('.rnnviz-app .rnnviz-view');
    // each app says how many figures and views it shows (class rnnviz-views-N, rnnviz.widgets.base): all of them
    for (const app of document.querySelectorAll('.rnnviz-app.widget-box')) {  // a LessonApp (VBox)
        const declared = Array.from(app.classList).find(c => c.startsWith(prefix));
        const shown = app.querySelectorAll('.rnnviz-view').length
            + Array.from(app.querySelectorAll('.js-plotly-plot')).filter(p => p.querySelector('.main-svg')).length;
        if (!declared || shown < Number(declared.slice(prefix.length))) return false;
    }
    return boxes.length > 0 && plots.length + views.length >= minPlots && plots.length <= drawn.length; }""".replace("@PREFIX@", VIEWS_PREFIX)

_VIEW_ROOT = re.compile(r'class="(?:[^"]*\s)?' + re.escape(VIEW_CLASS) + r'(?:\s[^"]*)?"')


def count_views(markup: str) -> int:
    """How many elements of ``markup`` carry the class ``rnnviz-view`` (the roots of views rnnviz draws)."""
    return len(_VIEW_ROOT.findall(markup or ""))


#: Classroom styling: larger type that reads on a projector, help text beside each control, a control bar that
#: stays in view while the views below it scroll, views that never push the page sideways.
CSS = """
<style>
.rnnviz-app { font-size: 15px; line-height: 1.45; max-width: 1200px; min-width: 0; }
.rnnviz-app h3 { margin: 0.4em 0 0.2em 0; }
.rnnviz-help { color: #555; font-size: 13.5px; padding-left: 10px; max-width: 640px; }
.rnnviz-control { align-items: center; margin: 2px 0; flex-wrap: wrap; }
.rnnviz-control > :first-child { flex: 0 0 auto; }  /* help text never squeezes the control */
.rnnviz-control > .widget-html { flex: 1 1 260px; min-width: 0; }
.rnnviz-control .widget-toggle-buttons > .widget-label { text-align: right; margin-right: 8px; }  /* as a slider's */
.rnnviz-controls { position: sticky; top: 0; z-index: 20; background: #ffffff; border-bottom: 1px solid #e5e7eb;
  padding: 2px 0 4px 0; box-shadow: 0 3px 4px -3px rgba(0, 0, 0, 0.15); }
.rnnviz-stepper { align-items: center; gap: 4px; flex-wrap: wrap; }
.rnnviz-stepper .widget-button, .rnnviz-stepper .widget-toggle-button { width: auto; padding: 0 10px; }
.rnnviz-message { min-height: 0; }
.rnnviz-msg { padding: 6px 10px; border-radius: 4px; margin: 4px 0; }
.rnnviz-msg-info { background: #eef5ff; border-left: 4px solid #0072B2; }
.rnnviz-msg-warning { background: #fff7e6; border-left: 4px solid #E69F00; }
.rnnviz-msg-error { background: #fdecec; border-left: 4px solid #D55E00; }
.rnnviz-guide { background: #f7f7f7; border-left: 4px solid #9ca3af; padding: 6px 10px; font-size: 14px; }
.rnnviz-app sub, .rnnviz-app sup, .rnnviz-exercise-box sub, .rnnviz-exercise-box sup { line-height: 0; }  /* even lines */
.rnnviz-app .widget-html, .rnnviz-app .widget-html-content { max-width: 100%; min-width: 0; }
.rnnviz-stale { opacity: 0.4; filter: grayscale(70%); outline: 2px dashed #D55E00; outline-offset: 2px; }
/* no box between the control bar and the page's scroll container may scroll itself, or the bar cannot stay in view
   (ipywidgets' boxes and JupyterLab's output areas are overflow: auto) */
.rnnviz-app, .rnnviz-app .widget-box:has(.rnnviz-controls), .jp-OutputArea:has(.rnnviz-controls),
.jp-OutputArea-output:has(.rnnviz-controls), .jp-OutputArea-child:has(.rnnviz-controls) { overflow: visible; }
</style>
"""


def explained(control: W.Widget, text: str, *, width: str | None = None) -> W.HBox:
    """A control with its one-line explanation (what it does, what to expect) beside it."""
    if width is not None:
        control.layout.width = width
    if isinstance(control, DescriptionWidget):  # a tooltip on a Box breaks its rendering in the browser
        control.tooltip = text
    if isinstance(control, W.ToggleButtons):  # otherwise its description wraps onto a line above the buttons
        control.layout.display, control.layout.flex_flow = "flex", "row nowrap"
    box = W.HBox([control, W.HTML(f'<span class="rnnviz-help">{html.escape(text)}</span>')])
    box.add_class("rnnviz-control")
    return box


def heading(text: str, guide: str | None = None) -> W.HTML:
    """A section title, with optional guidance on how to read the view below it."""
    body = f"<h3>{html.escape(text)}</h3>"
    if guide:
        body += f'<div class="rnnviz-guide">{guide}</div>'
    return W.HTML(body)


class Message(W.HTML):
    """One line of feedback: info, warning or error, or nothing."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.add_class("rnnviz-message")
        self.kind = ""
        self.text = ""

    def show(self, kind: str, text: str) -> None:
        self.kind, self.text = kind, text
        self.value = f'<div class="rnnviz-msg rnnviz-msg-{kind}">{html.escape(text)}</div>'

    def info(self, text: str) -> None:
        self.show("info", text)

    def warning(self, text: str) -> None:
        self.show("warning", text)

    def error(self, text: str) -> None:
        self.show("error", text)

    def clear(self) -> None:
        self.kind, self.text, self.value = "", "", ""


class _Quiet(contextlib.AbstractContextManager):
    def __init__(self, app: LessonApp):
        self.app = app

    def __enter__(self):
        self.app._quiet_depth += 1
        return self.app

    def __exit__(self, *exc):
        self.app._quiet_depth -= 1
        return False


class LessonApp(W.VBox):
    """Base class of the lesson apps.

    Subclasses build their controls and views, register handlers with ``self.watch(control, handler)``
    (or make buttons with :meth:`button`), put the main controls in :meth:`control_bar` and finally call
    ``self.refresh()`` once to draw the first state. What they get:

    * **guarded handlers**: a ``ValueError``/``TypeError`` (a bad value: its message names what was wrong)
      becomes a readable message, never a traceback, and the app keeps working;
    * **the message beside its cause**: it appears right under the row of the control that caused it, and the
      views that could not be redrawn are marked stale until the next good update;
    * **quiet changes**: inside ``with self.quiet():`` the app sets its own controls without running handlers;
    * **buttons that do not queue**: a click that arrives while its handler runs, or just after, is dropped;
    * ``last_update_ms``: how long the last handler took (for the benchmark).
    """

    title = "rnnviz"
    #: seconds after a button's handler ends during which further clicks of it are dropped (they were queued)
    CLICK_GUARD = 0.3

    def __init__(self, children=(), **kwargs):
        self.message = Message()
        self.last_update_ms = 0.0
        self._quiet_depth = 0
        self._busy = False
        self._stale = False
        #: widgets that describe what the views draw (a summary line): marked stale with the views
        self.stale_with: list[W.Widget] = getattr(self, "stale_with", [])
        super().__init__(children=[W.HTML(CSS), *children, self.message], **kwargs)
        self.add_class("rnnviz-app")

    # ------------------------------------------------------------------ handlers
    def quiet(self) -> contextlib.AbstractContextManager:
        """``with self.quiet():`` change controls without their handlers (registered by :meth:`watch`) running."""
        return _Quiet(self)

    @property
    def is_quiet(self) -> bool:
        return self._quiet_depth > 0

    def set_quietly(self, control: W.Widget, **traits) -> None:
        """Set traits of a control (``value=``, ``max=``, ``options=``...) without running its handlers."""
        with self.quiet():
            for name, value in traits.items():
                setattr(control, name, value)

    def watch(self, control: W.Widget, handler: Callable[[], None], names: str = "value") -> None:
        """Call ``handler()`` (no arguments) when ``control``'s value changes, guarded; not while :meth:`quiet`."""
        def observer(change):
            if not self.is_quiet:
                self.run_guarded(handler, source=control)

        control.observe(observer, names=names)

    def button(self, description: str, handler: Callable[[], None], *, icon: str = "", style: str = "",
               width: str | None = None, busy: bool = False) -> W.Button:
        """A button whose clicks run ``handler()`` guarded. A click that arrives while the handler runs, or within
        :data:`CLICK_GUARD` s after it ended, is dropped (queued clicks do not repeat the work). ``busy``: the
        button is disabled while the handler runs (for long work such as training)."""
        b = W.Button(description=description, icon=icon, button_style=style,
                     layout=W.Layout(width=width) if width else W.Layout(width="auto"))
        state = {"until": 0.0}

        def clicked(_):
            if self._busy or b.disabled or time.monotonic() < state["until"]:
                return
            self._busy = True
            if busy:
                b.disabled = True
            try:
                self.run_guarded(handler, source=b)
            finally:
                self._busy = False
                if busy:
                    b.disabled = False
                state["until"] = time.monotonic() + self.CLICK_GUARD

        b.on_click(clicked)
        return b

    def run_guarded(self, handler: Callable[[], None], *, source: W.Widget | None = None) -> bool:
        """Run ``handler``; a bad value becomes a readable message beside ``source``, never a traceback.

        True if it ran cleanly. After a failure the views are marked stale (they still show the last good
        input) until a handler runs cleanly again.
        """
        start = time.perf_counter()
        self.message.clear()
        ok = False
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                handler()
            ok = True
        except (ValueError, TypeError) as exc:
            self.message.error(str(exc) + (" The views still show the last good input." if self._has_views() else ""))
        except Exception as exc:  # the app must keep working whatever happens in one update
            self.message.error(f"Something went wrong ({type(exc).__name__}: {exc}). The view was left as it was.")
        finally:
            self.last_update_ms = (time.perf_counter() - start) * 1000.0
        if self.message.kind:
            self.place_message(source)
        if ok != (not self._stale):
            self._mark_stale(not ok)
        return ok

    # ------------------------------------------------------------------ messages and stale views
    def place_message(self, source: W.Widget | None) -> None:
        """Move the message line right under the row that holds ``source`` (a control), if it is not there yet."""
        parents = self._parents()
        row = source
        while row is not None and row is not self and not (isinstance(row, W.Box) and "rnnviz-control" in row._dom_classes):
            row = parents.get(id(row))
        if row is None or row is self:  # not in a row: under the top-level child that holds it
            row = source
            while row is not None and parents.get(id(row)) is not self:
                row = parents.get(id(row))
        if row is None:
            return
        box = parents.get(id(row))
        if box is None:
            return
        kids = list(box.children)
        at = kids.index(row) + 1
        if at < len(kids) and kids[at] is self.message:
            return
        old = parents.get(id(self.message))
        if old is not None:
            old.children = tuple(c for c in old.children if c is not self.message)
            if old is box:
                kids = list(box.children)
                at = kids.index(row) + 1
        kids.insert(at, self.message)
        box.children = tuple(kids)

    def _parents(self) -> dict[int, W.Box]:
        parents: dict[int, W.Box] = {}
        stack: list[W.Widget] = [self]
        while stack:
            w = stack.pop()
            for c in getattr(w, "children", ()):
                parents[id(c)] = w
                stack.append(c)
        return parents

    @staticmethod
    def _shows_figure(w: W.Widget) -> bool:
        """An explored view's plotly figure (:class:`rnnviz.widgets.explore.ExploreFigure`)."""
        from .explore import ExploreFigure  # that module imports this one: import here, not at the top

        return isinstance(w, ExploreFigure)

    def view_widgets(self) -> list[W.Widget]:
        """The widgets that show views (HTML holding ``rnnviz-view`` markup, and explored figures)."""
        return [w for w in self.descendants()
                if self._shows_figure(w) or (isinstance(w, W.HTML) and count_views(w.value))]

    def _has_views(self) -> bool:
        return bool(self.view_widgets())

    def _mark_stale(self, stale: bool) -> None:
        self._stale = stale
        for w in [*self.view_widgets(), *self.stale_with]:
            (w.add_class if stale else w.remove_class)("rnnviz-stale")

    @property
    def stale(self) -> bool:
        """True while the views show an older input than the controls (the last update failed)."""
        return self._stale

    # ------------------------------------------------------------------ layout
    def control_bar(self, *rows: W.Widget) -> W.VBox:
        """The app's main controls in a bar that stays in view at the top while the views below scroll."""
        bar = W.VBox(list(rows))
        bar.add_class("rnnviz-controls")
        return bar

    def descendants(self) -> Iterator[W.Widget]:
        """Every widget inside this app, through nested boxes, breadth first."""
        stack = list(self.children)
        while stack:
            w = stack.pop(0)
            yield w
            stack.extend(getattr(w, "children", ()))

    def figures(self) -> list[W.Widget]:
        """The explored views' figures inside this app. A plotly ``FigureWidget`` is refused: it redraws the whole
        figure on every update and can miss anywidget's 2 s to start (docs/DECISIONS.md); use ExploreFigure."""
        found = []
        for w in self.descendants():
            if isinstance(w, go.FigureWidget):
                raise TypeError(f"{type(self).__name__} holds a plotly FigureWidget: show the figure with "
                                "rnnviz.widgets.explore.ExploreFigure")
            if self._shows_figure(w):
                found.append(w)
        return found

    def view_count(self) -> int:
        """How many explored figures and views rnnviz draws (``rnnviz-view`` elements in HTML widgets) this app shows."""
        return sum(1 if self._shows_figure(w) else count_views(w.value) if isinstance(w, W.HTML) else 0
                   for w in self.descendants())

    def declare_views(self) -> None:
        """Put :meth:`view_count` in the app's classes (``rnnviz-views-N``), for a browser to check it shows them all."""
        for cls in [c for c in self._dom_classes if c.startswith(VIEWS_PREFIX)]:
            self.remove_class(cls)
        self.add_class(f"{VIEWS_PREFIX}{self.view_count()}")

    def _repr_mimebundle_(self, **kwargs):
        self.figures()  # refuses a plotly FigureWidget
        self.declare_views()
        return super()._repr_mimebundle_(**kwargs)

    def refresh(self) -> None:
        """Recompute and redraw everything from the current control values."""
        self.run_guarded(self.update)

    def update(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError


# =========================================================================== shared sub-widgets
class TimeStepper(W.HBox):
    """A time-stamp control: a slider, one step back and forward, and play/pause run by the kernel.

    ``slider`` is the control to :meth:`LessonApp.watch`; ``value`` reads and sets it. ``direction`` +1 plays
    from 1 to T, -1 from T down to 1 (backpropagation). Play runs in the kernel (one step every ``interval``
    seconds), so every step reaches the app in order with the other controls' changes; pause keeps t where
    it is, and play at the end starts again from the start.
    """

    def __init__(self, T: int, *, value: int | None = None, description: str = "time-stamp t", direction: int = 1,
                 interval: float = 0.9, width: str = "330px", description_width: str = "100px"):
        if direction not in (1, -1):
            raise ValueError(f"TimeStepper: direction must be 1 or -1, got {direction!r}")
        T = int(T)
        self.direction, self.interval = direction, float(interval)
        start = (1 if direction > 0 else T) if value is None else min(max(int(value), 1), T)
        self.slider = W.IntSlider(value=start, min=1, max=max(T, 1), description=description,
                                  style={"description_width": description_width}, layout=W.Layout(width=width))
        self.back = W.Button(description="\u25c0 t\u22121", tooltip="one time-stamp back (t - 1)")
        self.forward = W.Button(description="t+1 \u25b6", tooltip="one time-stamp on (t + 1)")
        self.play = W.ToggleButton(value=False, description="\u25b6 play", tooltip="play: one step every "
                                   f"{self.interval:g} s; press again to pause")
        self.back.on_click(lambda _: self.step(-1))
        self.forward.on_click(lambda _: self.step(+1))
        self.play.observe(self._on_play, names="value")
        self._timer: asyncio.TimerHandle | None = None
        super().__init__([self.slider, self.back, self.forward, self.play])  # t-1 left of t+1, whichever way play goes
        self.add_class("rnnviz-stepper")

    @property
    def value(self) -> int:
        return int(self.slider.value)

    @value.setter
    def value(self, t: int) -> None:
        self.slider.value = min(max(int(t), self.slider.min), self.slider.max)

    @property
    def T(self) -> int:
        return int(self.slider.max)

    def set_length(self, T: int) -> None:
        """A new sequence length: t is kept if it still exists, else moved to T (handlers run if it moves)."""
        T = max(int(T), 1)
        if T >= self.slider.max:
            self.slider.max = T
        else:
            if self.slider.value > T:
                self.slider.value = T
            self.slider.max = T

    def step(self, delta: int) -> bool:
        """Move t by ``delta`` within 1..T; False when it could not move (at an end)."""
        t = min(max(self.value + int(delta), 1), self.T)
        if t == self.value:
            return False
        self.slider.value = t
        return True

    def _at_end(self) -> bool:
        return self.value == (self.T if self.direction > 0 else 1)

    def _on_play(self, change) -> None:
        self.play.description = "\u23f8 pause" if change["new"] else "\u25b6 play"
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        if change["new"]:
            if self._at_end():  # play at the end starts again from the start
                self.slider.value = 1 if self.direction > 0 else self.T
            self._schedule()

    def _schedule(self) -> None:
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            try:
                loop = asyncio.get_event_loop()
            except RuntimeError:
                return
        if loop.is_running():
            self._timer = loop.call_later(self.interval, self.tick)

    def tick(self) -> None:
        """One step of play (the kernel's timer calls it); pauses at the end."""
        self._timer = None
        if not self.play.value:
            return
        if not self.step(self.direction) or self._at_end():
            self.play.value = False
            return
        self._schedule()


class SentenceBox(W.Text):
    """A text box for a sentence: sent on Enter (or when it loses focus), at most ``max_chars`` characters.

    :meth:`text` returns the typed text, or raises ValueError saying what is wrong (not text, empty, too long),
    so that a handler registered with :meth:`LessonApp.watch` shows it beside the box.
    """

    def __init__(self, value: str = "", *, description: str = "sentence", max_chars: int = 200, width: str = "520px",
                 description_width: str = "100px", placeholder: str = "type a sentence and press Enter"):
        self.max_chars = int(max_chars)
        super().__init__(value=value, description=description, continuous_update=False, placeholder=placeholder,
                         style={"description_width": description_width}, layout=W.Layout(width=width))

    def text(self) -> str:
        value = self.value
        if not isinstance(value, str):
            raise TypeError(f"{self.description}: expected text, got {type(value).__name__}")
        if not value.strip():
            raise ValueError(f"The {self.description} is empty: type at least one word.")
        if len(value.strip()) > self.max_chars:  # spaces around it do not count
            raise ValueError(f"The {self.description} has {len(value.strip())} characters; at most {self.max_chars} fit "
                             "this lesson's pictures. Shorten it.")
        return value
