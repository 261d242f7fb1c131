"""What every lesson app shares: explained controls, a message line, guarded callbacks, classroom CSS.

An app is one ``ipywidgets.VBox`` subclass that a notebook displays as its last
expression. Its controls are attributes; its handlers are registered with
:meth:`LessonApp.watch`, which wraps them so that bad input (a ``ValueError`` or
``TypeError`` from the core, whose messages name what was wrong) is shown as a
readable message in the view instead of a traceback, and the app keeps working.

Rules that keep Voila from hanging (see shared/JUPYTER-NOTES.md): messages go into an
``HTML`` widget, never an ``Output`` written with ``with out:`` while the notebook
first executes. Views are SVG/HTML markup from :mod:`rnnviz.viz` in ``HTML`` widgets; an
app declares how many it shows (:meth:`LessonApp.declare_views`) so that a page counts as
ready only when all are drawn. A plotly figure, if one is ever needed, is a
:class:`rnnviz.viz.live.LiveFigure` (docs/CONTRIBUTING.md, "Figures").
"""

from __future__ import annotations

import html
import os
import re
import time
from collections.abc import Callable, Iterator

import ipywidgets as W
from ipywidgets.widgets.widget_description import DescriptionWidget
import numpy as np
import plotly.graph_objects as go

from ..viz.live import LiveFigure
from ..viz.svg import VIEW_CLASS

__all__ = ["CSS", "FIXED_WIDTH", "PLOTLY_LOADER", "READY_JS", "STATIC_ENV", "VIEWS_PREFIX", "LessonApp", "Message",
           "count_views", "explained", "heading"]

#: Set in the environment by the classroom app (rnnviz.app): figures then load plotly.js from the
#: server's static files instead of carrying the 5 MB bundle in every figure's widget state.
STATIC_ENV = "RNNVIZ_PLOTLY_STATIC"
STATIC_NAME = "rnnviz-plotly-widget.js"
#: CSS class of a figure with a fixed ``layout.width`` (a box would stretch it to its own width, clipping the rest)
FIXED_WIDTH = "rnnviz-fixed-width"
#: A figure's ``_esm`` under the app: a tiny module that imports the bundle, resolved against the
#: page's own address (so it works behind any host name or base URL).
PLOTLY_LOADER = (
    "const base = (document.body && document.body.dataset.baseUrl) || '/voila/';\n"
    f"const mod = await import(new URL(base + 'static/{STATIC_NAME}', window.location.href).href);\n"
    "export default mod.default;\n"
)

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


#: Classroom styling: larger type that reads on a projector, help text beside each control.
CSS = """
<style>
.rnnviz-app { font-size: 15px; line-height: 1.45; max-width: 1200px; overflow-x: auto; }  /* wide figures scroll in a narrow notebook */
.rnnviz-app .rnnviz-fixed-width { align-self: flex-start; flex-shrink: 0; }  /* not stretched (and clipped) to the box */
.rnnviz-app h3 { margin: 0.4em 0 0.2em 0; }
.rnnviz-help { color: #555; font-size: 13.5px; padding-left: 10px; max-width: 640px; }
.rnnviz-control { align-items: center; margin: 2px 0; }
.rnnviz-control > :first-child { flex: 0 0 auto; }  /* help text never squeezes the control */
.rnnviz-control .widget-toggle-buttons > .widget-label { text-align: right; margin-right: 8px; }  /* as a slider's */
.rnnviz-message { min-height: 1.6em; }
.rnnviz-msg { padding: 6px 10px; border-radius: 4px; margin: 4px 0; }
.rnnviz-msg-info { background: #eef5ff; border-left: 4px solid #3b82f6; }
.rnnviz-msg-warning { background: #fff7e6; border-left: 4px solid #f59e0b; }
.rnnviz-msg-error { background: #fdecec; border-left: 4px solid #dc2626; }
.rnnviz-guide { background: #f7f7f7; border-left: 4px solid #9ca3af; padding: 6px 10px; font-size: 14px; }
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


class LessonApp(W.VBox):
    """Base class of the lesson apps.

    Subclasses build their controls and figures, then call ``self.watch(control, handler)``
    for each control and finally ``self.refresh()`` once to draw the first state.
    ``last_update_ms`` records how long the last recomputation took (for the benchmark).
    """

    title = "rnnviz"

    def __init__(self, children=(), **kwargs):
        self.message = Message()
        self.last_update_ms = 0.0
        super().__init__(children=[W.HTML(CSS), *children, self.message], **kwargs)
        self.add_class("rnnviz-app")

    def watch(self, control: W.Widget, handler: Callable[[], None], names: str = "value") -> None:
        """Call ``handler()`` (no arguments) when ``control``'s value changes, guarded."""
        control.observe(lambda change: self.run_guarded(handler), names=names)

    def run_guarded(self, handler: Callable[[], None]) -> bool:
        """Run ``handler``; a bad value becomes a readable message, never a traceback. True if it ran cleanly."""
        start = time.perf_counter()
        self.message.clear()
        try:
            with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
                handler()
        except (ValueError, TypeError) as exc:
            self.message.error(str(exc))
            return False
        except Exception as exc:  # the app must keep working whatever happens in one update
            self.message.error(f"Something went wrong ({type(exc).__name__}: {exc}). The view was left as it was.")
            return False
        finally:
            self.last_update_ms = (time.perf_counter() - start) * 1000.0
        self.sync_figures(unviewed_only=True)
        return True

    def descendants(self) -> Iterator[W.Widget]:
        """Every widget inside this app, through nested boxes, breadth first."""
        stack = list(self.children)
        while stack:
            w = stack.pop(0)
            yield w
            stack.extend(getattr(w, "children", ()))

    def figures(self) -> Iterator[LiveFigure]:
        """Every lesson figure inside this app (searched through nested boxes)."""
        for w in self.descendants():
            if isinstance(w, go.FigureWidget) and not isinstance(w, LiveFigure):
                raise TypeError(f"{type(self).__name__} holds a plain go.FigureWidget: wrap it as rnnviz.viz.live.LiveFigure")
            if isinstance(w, LiveFigure):
                yield w

    def sync_figures(self, *, unviewed_only: bool = False) -> None:
        """Make a browser view created later start from each figure as it is now.

        A FigureWidget syncs its full state only when it is displayed *itself*; inside a
        box a view created later (Voila connects after the notebook ran) would show the
        figure as first built (see :mod:`rnnviz.viz.live`). Called when the app is
        displayed, and after every update for the figures that no browser view shows yet.
        Under the classroom app, figures also load plotly.js from the server's static files. A figure of
        fixed width gets the class ``rnnviz-fixed-width``: it keeps its width and the app box scrolls.
        """
        static = os.environ.get(STATIC_ENV) == "1"
        for fig in self.figures():
            if fig.layout.width:  # a fixed width is kept in a narrower notebook: the app box scrolls (CSS)
                fig.add_class(FIXED_WIDTH)
            if static and fig._esm != PLOTLY_LOADER:
                fig._esm = PLOTLY_LOADER
            fig.sync_state(force=not unviewed_only)

    def view_count(self) -> int:
        """How many figures (plotly) and views rnnviz draws (``rnnviz-view`` elements in HTML widgets) this app shows."""
        return sum(1 if isinstance(w, LiveFigure) else count_views(w.value) if isinstance(w, W.HTML) else 0
                   for w in self.descendants())

    def declare_views(self) -> None:
        """Put :meth:`view_count` in the app's classes (``rnnviz-views-N``), for a browser to check it shows them all."""
        for cls in [c for c in self._dom_classes if c.startswith(VIEWS_PREFIX)]:
            self.remove_class(cls)
        self.add_class(f"{VIEWS_PREFIX}{self.view_count()}")

    def _repr_mimebundle_(self, **kwargs):
        self.sync_figures()
        self.declare_views()
        return super()._repr_mimebundle_(**kwargs)

    def refresh(self) -> None:
        """Recompute and redraw everything from the current control values."""
        self.run_guarded(self.update)

    def update(self) -> None:  # pragma: no cover - abstract
        raise NotImplementedError
