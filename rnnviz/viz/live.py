"""Plotly in the browser: the drawing side of explored views, and :class:`LiveFigure`.

**Explored views** (a figure the student rotates or zooms, redrawn when asked: a button, Enter) are
shown by :class:`rnnviz.widgets.explore.ExploreFigure`, a core ipywidgets box that holds the figure
as JSON (:func:`figure_json`) around a small anywidget that draws it. This module holds what that
drawing needs: the anywidget's browser module :data:`EXPLORE_ESM`, and plotly.js itself
(:func:`plotly_js`; under the classroom app, where :data:`STATIC_ENV` is set, the static file
:data:`PLOTLY_JS_NAME`). :data:`EXPLORE_ESM` draws the box's ``figure`` with ``Plotly.react`` when the
view is created and on every change, coalescing changes that arrive while it draws:

* **No update is lost.** Each change message carries the whole figure and the trait is never
  reset, so a browser that applies only the last message still draws the current figure; a view
  created later starts from the current state (no sync step).
* **Nothing waits for anywidget's 2 s.** anywidget gives a model 2 s, from its creation, to import
  its ``_esm`` and run ``initialize``; when the timer fires first it rejects the model ("[anywidget]
  Failed to initialize model.") and drops every later message to it, so a figure whose updates go to
  that model stays as first drawn. The timer and the module's import both wait for the page's busy
  main thread, so even a tiny module can lose that race on a slow machine. Hence the module is a few
  lines with no ``initialize`` and no import (a plotly ``FigureWidget``'s is the 5 MB plotly.js
  bundle), and the figure's updates go to the box, a core model that anywidget does not gate
  (``host.getModel`` in the view). plotly.js is loaded by ``render``, once per page (``window.Plotly``,
  or the promise ``window.rnnvizPlotly`` if the page started it), from the app's static files
  (``_plotly_url``) or, elsewhere (JupyterLab), from the widget's state (``_plotly_js``).

**LiveFigure** is a ``go.FigureWidget`` that sends cumulative update messages (plotly's own
message is set and reset at once, and a busy browser can read the reset) and copies its state for
views created later. No lesson uses it; :mod:`rnnviz.widgets.base` still finds and counts it. Its
2 s problem is the one above: its ``_esm`` is the plotly.js bundle. plotly's widget redraws the whole
figure on every update message; a LiveFigure sets ``ticklabeloverflow="allow"`` on axes that do not
choose (plotly otherwise measures every tick label after each redraw). Its set of traces is fixed once built.
"""

from __future__ import annotations

import json
from copy import deepcopy
from functools import lru_cache
from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io as pio
from plotly.basedatatypes import BaseFigure, Undefined

__all__ = ["EXPLORE_CLASS", "EXPLORE_ESM", "PLOTLY_JS_NAME", "STATIC_ENV", "LiveFigure", "figure_json", "plotly_js"]

#: Set in the environment by the classroom app (rnnviz.app): figures load plotly.js from its static files.
STATIC_ENV = "RNNVIZ_PLOTLY_STATIC"
#: plotly.js (``plotly.min.js`` of the installed plotly package) under the app: ``voila/static/PLOTLY_JS_NAME``.
PLOTLY_JS_NAME = "rnnviz-plotly.min.js"
#: The class of an ExploreFigure's element (the element holding the plot).
EXPLORE_CLASS = "rnnviz-explore"

#: The browser side of an ExploreFigure: nothing runs at import or initialisation; the figure is read from the
#: box whose model id is ``_state_id`` (see the module doc).
EXPLORE_ESM = r"""
function loadPlotly(model) {
  if (window.Plotly) return Promise.resolve(window.Plotly);
  if (!window.rnnvizPlotly) {
    window.rnnvizPlotly = new Promise((resolve, reject) => {
      const script = document.createElement("script");
      const url = model.get("_plotly_url");
      const base = (document.body && document.body.dataset.baseUrl) || "/voila/";
      script.src = url ? new URL(base + url, window.location.href).href
        : URL.createObjectURL(new Blob([model.get("_plotly_js")], { type: "text/javascript" }));
      script.onload = () => (window.Plotly ? resolve(window.Plotly) : reject(new Error("no window.Plotly")));
      script.onerror = () => { window.rnnvizPlotly = null; reject(new Error("plotly.js did not load")); };
      document.head.appendChild(script);
    });
  }
  return window.rnnvizPlotly;
}

async function render({ model, el, host }) {
  el.classList.add("@CLASS@");
  const plot = document.createElement("div");
  el.appendChild(plot);
  let Plotly, box;
  try {  // the figure lives on the box, a core model: its updates do not wait for this model's initialisation
    const id = model.get("_state_id");
    [Plotly, box] = await Promise.all([loadPlotly(model),
      host ? host.getModel("anywidget:" + id) : model.widget_manager.get_model(id)]);
  } catch (err) {
    plot.textContent = "The figure could not be drawn: " + err.message;
    return;
  }
  let busy = false, again = false, gone = false, draws = 0;
  const draw = async () => {  // always the figure as it is now; changes during a draw: one more draw
    if (busy) { again = true; return; }
    busy = true;
    try {
      do {
        again = false;
        const fig = JSON.parse(JSON.stringify(box.get("figure") || {}));
        draws += 1;  // new trace ids: plotly.js rebuilds the traces (a reused 3D trace kept its old text scale)
        (fig.data || []).forEach((trace, k) => { trace.uid = "rnnviz-" + draws + "-" + k; });
        if (!gone) await Plotly.react(plot, fig.data || [], fig.layout || {}, { responsive: true, displaylogo: false });
      } while (again && !gone);
    } finally { busy = false; }
  };
  box.on("change:figure", draw);
  const resized = typeof ResizeObserver === "undefined" ? null
    : new ResizeObserver(() => { if (!gone && plot.data) Plotly.Plots.resize(plot); });
  if (resized) resized.observe(el);
  await draw();
  return () => { gone = true; box.off("change:figure", draw); if (resized) resized.disconnect(); Plotly.purge(plot); };
}

export default { render };
""".replace("@CLASS@", EXPLORE_CLASS)


@lru_cache(maxsize=1)
def plotly_js() -> str:
    """The source of plotly.js shipped with the installed plotly package (``package_data/plotly.min.js``)."""
    return (Path(plotly.__file__).parent / "package_data" / "plotly.min.js").read_text(encoding="utf-8")


def figure_json(figure: go.Figure | dict) -> dict:
    """A figure as plain JSON (lists, numbers, text): what the ``figure`` trait holds and the browser draws."""
    fig = figure if isinstance(figure, go.Figure) else go.Figure(figure)
    return json.loads(pio.to_json(fig, validate=False, engine="json"))


def _value_at(obj, path: str):
    """The value at a plotly property path (``"marker.color"``, ``"annotations.1.text"``), or None if unset."""
    for key in BaseFigure._str_to_dict_path(path):
        if isinstance(key, int):
            if not isinstance(obj, (list, tuple)) or key >= len(obj):
                return None
            obj = obj[key]
        elif isinstance(obj, dict) and key in obj:
            obj = obj[key]
        else:
            return None
    return obj


def _outermost(paths: set[str]) -> list[str]:
    """``paths`` without those inside another one (``shapes.0.x0`` goes when ``shapes`` is there)."""
    parts = {p: BaseFigure._str_to_dict_path(p) for p in paths}
    keep = []
    for p, key in parts.items():
        if not any(len(other) < len(key) and key[: len(other)] == other for other in parts.values()):
            keep.append(p)
    return sorted(keep, key=lambda p: len(parts[p]))


class LiveFigure(go.FigureWidget):
    """A ``go.FigureWidget`` that sends cumulative update messages and can sync its state for new views.

    Use it exactly like a FigureWidget (``LiveFigure(fig)`` wraps a built ``go.Figure``);
    change it inside ``with fig.batch_update():`` so one control change is one message.
    """

    def __init__(self, *args, **kwargs):
        self._live_trace_props: dict[int, set[str]] = {}
        self._live_layout_props: set[str] = set()
        super().__init__(*args, **kwargs)
        # tick labels are not measured after every redraw (see the module doc, "Redraw cost")
        unset = {"selector": lambda axis: axis.ticklabeloverflow is None}
        self.update_xaxes(ticklabeloverflow="allow", **unset)
        self.update_yaxes(ticklabeloverflow="allow", **unset)
        self._live_trace_props.clear()  # part of the figure as built, not a change to send
        self._live_layout_props.clear()
        self._py2js_update = None
        self.sync_state()

    # -- what has changed since the figure was built -------------------------------------------------
    def _track(self, restyle_data, relayout_data, trace_indexes) -> None:
        traces = self._normalize_trace_indexes(trace_indexes)
        for prop, values in (restyle_data or {}).items():
            values = values if isinstance(values, list) else [values]
            for k, i in enumerate(traces):
                if values and values[k % len(values)] is not Undefined:
                    self._live_trace_props.setdefault(i, set()).add(prop)
        self._live_layout_props.update((relayout_data or {}).keys())

    def _cumulative_message(self, source_view_id) -> dict:
        traces = sorted(self._live_trace_props)
        props = sorted(set().union(*self._live_trace_props.values())) if traces else []
        style = {
            prop: [_value_at(self._data[i], prop) if prop in self._live_trace_props[i] else Undefined for i in traces]
            for prop in props
        }
        layout = {p: _value_at(self._layout, p) for p in _outermost(self._live_layout_props)}
        self._last_trace_edit_id += 1
        self._trace_edit_in_process = True
        self._last_layout_edit_id += 1
        self._layout_edit_in_process = True
        return {
            "style_data": style,
            "layout_data": layout,
            "style_traces": traces,
            "trace_edit_id": self._last_trace_edit_id,
            "layout_edit_id": self._last_layout_edit_id,
            "source_view_id": source_view_id,
        }

    def _send_cumulative(self, restyle_data, relayout_data, trace_indexes, source_view_id) -> None:
        self._track(restyle_data, relayout_data, trace_indexes)
        self._py2js_update = self._cumulative_message(source_view_id)  # never reset to None: see the module doc

    # -- plotly's three ways of sending a change all become one cumulative update --------------------
    def _send_update_msg(self, restyle_data, relayout_data, trace_indexes=None, source_view_id=None):
        self._send_cumulative(restyle_data, relayout_data, trace_indexes, source_view_id)

    def _send_restyle_msg(self, restyle_data, trace_indexes=None, source_view_id=None):
        self._send_cumulative(restyle_data, {}, trace_indexes, source_view_id)

    def _send_relayout_msg(self, layout_data, source_view_id=None):
        self._send_cumulative({}, layout_data, None, source_view_id)

    def _fixed_traces(self, *_args, **_kwargs):
        raise NotImplementedError(
            "a LiveFigure has a fixed set of traces: build every trace before wrapping the figure, "
            "then change their properties (hide one with visible=False)"
        )

    _send_addTraces_msg = _send_deleteTraces_msg = _send_moveTraces_msg = _fixed_traces

    # -- new views ------------------------------------------------------------------------------------
    @property
    def viewed(self) -> bool:
        """True when a browser view shows this figure now (ipywidgets counts views)."""
        return bool(self._view_count)

    def sync_state(self, *, force: bool = False) -> bool:
        """Copy the current figure into the state a view created later starts from.

        Does nothing while a browser view is live (it gets the updates) unless ``force``.
        Returns True when the state was copied.
        """
        if self.viewed and not force:
            return False
        self._widget_layout = deepcopy(self._layout_obj._props)
        self._widget_data = deepcopy(self._data)
        return True
