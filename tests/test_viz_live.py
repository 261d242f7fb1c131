"""LiveFigure: a browser that reads only the latest update message still draws the current figure.

plotly's FigureWidget can lose an update in the browser (its message trait is set and reset
at once; a busy browser reads the reset). A LiveFigure sends cumulative messages instead.
These tests play the browser: start from the state a view was created from, apply *only the
last* message the kernel sent, and compare with the figure the kernel holds. Every lesson app's
figures are checked that way as its controls move in ``tests/test_lesson_views.py``.

The browser side of explored views (``EXPLORE_ESM``) is run by Node with a fake page, model and Plotly: it
loads nothing at import, loads plotly.js once per page, and ends on the latest figure when changes arrive
while it draws. (The widget itself: ``tests/test_explore.py``.)
"""

import json
import os
import shutil
import subprocess
import textwrap
from copy import deepcopy

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import pytest
from plotly.basedatatypes import BaseFigure, Undefined

from rnnviz.viz.live import EXPLORE_ESM, LiveFigure, plotly_js


def _set_path(obj, path, value):
    keys = BaseFigure._str_to_dict_path(path)
    for key in keys[:-1]:
        obj = obj[key] if isinstance(key, int) else obj.setdefault(key, {})
    if value is None:
        obj.pop(keys[-1], None) if isinstance(obj, dict) else None
    else:
        obj[keys[-1]] = deepcopy(value)


def _apply_last_message(fig):
    """What a browser view created before the updates shows after reading only the latest message."""
    data, layout = deepcopy(fig._live_view_data), deepcopy(fig._live_view_layout)
    msg = fig._py2js_update
    if msg:
        for prop, values in msg["style_data"].items():
            for i, v in zip(msg["style_traces"], values):
                if v is not Undefined:
                    _set_path(data[i], prop, v)
        for path, v in msg["layout_data"].items():
            _set_path(layout, path, v)
    return data, layout


def _same(a, b):
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple, np.ndarray)) or isinstance(b, (list, tuple, np.ndarray)):
        try:
            return np.array_equal(np.asarray(a, dtype=float), np.asarray(b, dtype=float), equal_nan=True)
        except (TypeError, ValueError):  # text, or ragged lists
            return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b or (a != a and b != b)  # NaN equals NaN here


def _open_view(fig):
    """Pretend a browser view exists from now on: remember the state it was created from."""
    fig.sync_state()
    fig._live_view_data, fig._live_view_layout = deepcopy(fig._widget_data), deepcopy(fig._widget_layout)
    fig._view_count = 1


def _assert_view_is_current(fig, where):
    data, layout = _apply_last_message(fig)
    for i, (shown, held) in enumerate(zip(data, fig._data)):
        assert _same(shown, held), f"{where}: trace {i} ({held.get('name')}) differs from the kernel's figure"
    assert _same(layout, fig._layout), f"{where}: the layout differs from the kernel's figure"


def test_the_last_message_carries_every_change_so_far():
    fig = LiveFigure(go.Figure([go.Scatter(y=[1, 2]), go.Heatmap(z=[[1]])], layout=dict(annotations=[dict(text="a")])))
    _open_view(fig)
    with fig.batch_update():
        fig.data[0].y = [3, 4]
        fig.layout.annotations[0].text = "b"
    fig.data[1].z = np.ones((2, 2))  # a restyle outside a batch
    fig.layout.xaxis.range = [0, 5]  # a relayout
    fig.update_layout(shapes=[dict(type="line", x0=0, x1=1, y0=0, y1=1)])
    fig.layout.shapes[0].x0 = 0.5  # inside a list sent whole before: sent once, whole
    msg = fig._py2js_update
    assert set(msg["layout_data"]) == {"shapes", "xaxis.range", "annotations.0.text"}
    assert msg["style_traces"] == [0, 1] and msg["trace_edit_id"] == fig._last_trace_edit_id
    _assert_view_is_current(fig, "hand-made figure")


def test_a_view_that_missed_messages_is_wrong_with_a_stock_figurewidget():
    """The failure LiveFigure exists for: plotly's own message is reset to None at once."""
    fig = go.FigureWidget(go.Figure(go.Scatter(y=[1, 2])))
    fig.data[0].y = [3, 4]
    assert fig._py2js_restyle is None  # a browser reading the trait now sees nothing to draw


def test_tick_labels_are_not_measured_after_every_redraw_unless_a_figure_asks():
    """plotly's default overflow check measures every tick label on each redraw (~40 % of lesson 2's)."""
    base = go.Figure(go.Scatter(y=[1]), layout=dict(yaxis=dict(ticklabeloverflow="hide past domain")))
    fig = LiveFigure(base)
    assert fig.layout.xaxis.ticklabeloverflow == "allow"
    assert fig.layout.yaxis.ticklabeloverflow == "hide past domain"  # a figure's own choice stays
    assert fig._widget_layout["xaxis"]["ticklabeloverflow"] == "allow"  # a view starts with it
    assert fig._py2js_update is None  # and it is part of the figure as built, not a change to send
    fig._view_count = 1
    fig.data[0].y = [2]
    assert list(fig._py2js_update["layout_data"]) == []


def test_traces_are_fixed():
    fig = LiveFigure(go.Figure(go.Scatter(y=[1])))
    with pytest.raises(NotImplementedError, match="fixed set of traces"):
        fig.add_scatter(y=[2])


def test_sync_state_only_while_no_view_is_live():
    fig = LiveFigure(go.Figure(go.Scatter(y=[1])))
    fig.data[0].y = [2]
    assert fig.sync_state() and list(fig._widget_data[0]["y"]) == [2]
    fig._view_count = 1
    fig.data[0].y = [3]
    assert not fig.sync_state() and list(fig._widget_data[0]["y"]) == [2]
    assert fig.sync_state(force=True) and list(fig._widget_data[0]["y"]) == [3]


# ------------------------------------------------------------------------------------------ explored views' browser side
def test_explore_module_is_tiny_and_imports_nothing():
    """anywidget gives a model 2 s to import its module and initialise: the module must be small and import nothing."""
    assert len(EXPLORE_ESM) < 4000 and "import" not in EXPLORE_ESM and "initialize" not in EXPLORE_ESM
    assert "window.Plotly" in plotly_js()  # plotly.min.js: sets window.Plotly when run as a script


# The browser side, run by Node with a fake page, model and Plotly: what runs at import, once per page, and which
# figure a draw shows when changes arrive while plotly is still drawing.
_NODE_DRIVER = textwrap.dedent("""
    const appended = [];
    const element = tag => ({ tag, children: [], style: {}, classList: { add() {} }, appendChild(c) { this.children.push(c); } });
    globalThis.window = globalThis;
    globalThis.location = { href: "http://localhost/voila/render/02-recurrent-cell.ipynb" };
    globalThis.document = { head: { appendChild: el => appended.push(el) }, body: { dataset: { baseUrl: "/voila/" } },
                            createElement: element };
    const mod = (await import(process.argv[2])).default;
    const out = { atImport: appended.length, exports: Object.keys(mod) };

    function fakeFigure(ys, id) {  // the widget's own model, and the core model holding its figure
      const on = {};
      const state = { attrs: { figure: { data: [{ y: ys }], layout: {} } },
        get(k) { return this.attrs[k]; }, on(ev, fn) { (on[ev] ||= []).push(fn); }, off() {},
        set(fig, fire = true) { this.attrs = { figure: fig }; if (fire) (on["change:figure"] || []).forEach(f => f()); } };
      const model = { get: k => ({ _state_id: id, _plotly_url: "static/p.js", _plotly_js: "" })[k] };
      const host = { getModel: async ref => { if (ref !== "anywidget:" + id) throw new Error("bad ref " + ref); return state; } };
      return { model, box: state, host };
    }
    const drawn = [];
    const plotly = { react: (div, data) => { drawn.push(data[0].y[0]); return new Promise(r => setTimeout(r, 30)); },
                     purge() {}, Plots: { resize() {} } };

    // two figures on a page before plotly.js is there: one script for both, from the app's static files
    const a = fakeFigure([1], "a1"), b = fakeFigure([10], "b2");
    const ra = mod.render({ ...a, el: element("div") }), rb = mod.render({ ...b, el: element("div") });
    await new Promise(r => setTimeout(r, 10));
    out.scripts = appended.map(s => s.src);
    window.Plotly = plotly;
    appended[0].onload();
    await Promise.all([ra, rb]);
    // three changes while the first is drawn, one of them without its own change event: the last figure is drawn
    a.box.set({ data: [{ y: [2] }], layout: {} });
    a.box.set({ data: [{ y: [3] }], layout: {} }, false);
    a.box.set({ data: [{ y: [4] }], layout: {} });
    await new Promise(r => setTimeout(r, 300));
    out.drawn = drawn;
    console.log(JSON.stringify(out));
""")


def test_explore_figure_browser_side_draws_the_current_figure(tmp_path):
    node = shutil.which("node")
    if node is None:
        pytest.skip("node is not installed")
    (tmp_path / "explore.mjs").write_text(EXPLORE_ESM)
    (tmp_path / "driver.mjs").write_text(_NODE_DRIVER)
    run = subprocess.run([node, str(tmp_path / "driver.mjs"), (tmp_path / "explore.mjs").as_uri()],
                         capture_output=True, text=True, timeout=60, env={**os.environ, "NODE_OPTIONS": ""})
    assert run.returncode == 0, run.stderr
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert out["atImport"] == 0, "importing the module loads nothing (it must fit in anywidget's 2 s)"
    assert out["exports"] == ["render"], "no initialize: nothing to wait for when the model is created"
    assert out["scripts"] == ["http://localhost/voila/static/p.js"], "plotly.js once per page, from the app"
    assert out["drawn"][:2] == [1, 10]  # both figures drawn once plotly.js is there
    assert out["drawn"][-1] == 4 and len(out["drawn"]) <= 4, f"changes during a draw end on the latest: {out['drawn']}"
