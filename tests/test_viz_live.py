"""The browser side of explored views, without a browser.

The browser side of explored views (``EXPLORE_ESM``) is run by Node with a fake page, model and Plotly: it
loads nothing at import, loads plotly.js once per page, and ends on the latest figure when changes arrive
while it draws. (The widget itself: ``tests/test_explore.py``.)
"""

import json
import os
import shutil
import subprocess
import textwrap

import pytest

from rnnviz.viz.live import EXPLORE_ESM, plotly_js


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
