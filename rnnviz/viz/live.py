"""Plotly in the browser: the drawing side of explored views.

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
"""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

import plotly
import plotly.graph_objects as go
import plotly.io as pio

__all__ = ["EXPLORE_CLASS", "EXPLORE_ESM", "PLOTLY_JS_NAME", "STATIC_ENV", "figure_json", "plotly_js"]

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
