"""Every lesson app, every control moved through its range: each view stays current, well formed and counted.

* an explored view's figure (``ExploreFigure``): every message carries the whole figure, which must stay valid
  JSON for plotly (its traces non-empty);
* a view rnnviz draws (an HTML widget holding ``rnnviz-view`` elements): every message carries the whole view,
  so none can be lost; what must hold is that the markup stays well formed with its data values numbers, and
  that the app keeps showing the number of views it declared on display (``LessonApp.declare_views``): the
  browser tests and the benchmarks wait for that many;
* a move within a control's range never ends in an error message.

And every view is drawn through ``rnnviz.viz.svg`` alone, in its palette, and fits a 1024 px projector; the
rendering slips once seen in lessons 1, 2 and 6 have a test each.
"""

import importlib
import json
import re
from pathlib import Path

import ipywidgets as W
import numpy as np
import pytest

from rnnviz.viz import cellstep, order, svg, taming
from rnnviz.viz.svg import VIEW_CLASS, parse_view
from rnnviz.widgets.base import count_views
from test_widgets_security import _apps, _controls, _kind


def _moves(control):
    kind = _kind(control)
    if kind == "number" and hasattr(control, "max") and not isinstance(control, W.IntRangeSlider):
        lo, hi = control.min, control.max
        return [hi, lo + (hi - lo) / 2 if isinstance(control.value, float) else (lo + hi) // 2, lo]
    if kind == "choice":
        return list(control._options_values)[::-1][:3]
    if kind == "bool":
        return [not control.value, control.value]
    return []


def _html_views(app):
    return [w for w in app.descendants() if isinstance(w, W.HTML) and count_views(w.value)]


def _assert_well_formed(widget, where):
    root = parse_view(widget.value)  # raises on broken markup
    roots = [el for el in root.iter() if VIEW_CLASS in (el.get("class") or "").split()]
    assert roots, f"{where}: no {VIEW_CLASS} element"
    for el in root.iter():
        if el.get("data-v") is not None:
            float(el.get("data-v"))  # a number (nan and inf included), never markup or an empty string


@pytest.mark.parametrize("cls", _apps())
def test_every_view_stays_current_well_formed_and_counted_as_every_control_moves(cls):
    app = cls()
    app._repr_mimebundle_()  # displayed: the app declares its views
    declared = app.view_count()
    assert declared >= 1, f"{cls.__name__} shows no figure or view"
    figs = list(app.figures())
    moved = 0
    for attr, control in _controls(app):
        for value in _moves(control):
            if isinstance(control, W.Play):
                continue  # plays the time slider, moved on its own
            control.value = value
            moved += 1
            where = f"{cls.__name__}.{attr} = {value!r}"
            assert app.message.kind != "error", f"{where}: {app.message.text}"
            for k, fig in enumerate(figs):
                assert fig.figure.get("data"), f"{where}: figure {k} has no traces"
                json.dumps(fig.figure)  # what the browser receives: plain JSON
            for widget in _html_views(app):
                _assert_well_formed(widget, where)
            assert app.view_count() == declared, f"{where}: shows {app.view_count()} views, declared {declared}"
    assert moved, f"{cls.__name__}: no control was moved"


# =========================================================================== one chart library, one projector
VIEW_MODULES = sorted(p for p in (Path(__file__).resolve().parents[1] / "rnnviz" / "viz").glob("*.py")
                      if p.name not in ("__init__.py", "svg.py", "live.py"))
RAW_SVG = re.compile(r"<(svg|rect|line|circle|path|polyline|polygon|text|tspan|title|g|marker|defs)[\s>/]")
PROJECTOR = 980  # px: the widest view that fits a 1024 px window (Voila's app box is 994 px wide there)


def test_lesson_view_modules_draw_through_svg_py_only():
    assert len(VIEW_MODULES) >= 7
    for path in VIEW_MODULES:
        found = [(n, m.group(0)) for n, line in enumerate(path.read_text().splitlines(), 1)
                 for m in RAW_SVG.finditer(line)]
        assert not found, f"{path.name} writes SVG markup itself (use rnnviz.viz.svg): {found[:5]}"


def test_lesson_view_modules_take_their_colours_from_the_palette():
    for path in VIEW_MODULES:
        if path.name == "explore.py":  # plotly figures (explored views), not drawn by svg.py
            continue
        found = re.findall(r"(?<!&)#[0-9a-fA-F]{3}(?:[0-9a-fA-F]{3})?\b|rgba?\(", path.read_text())
        assert not found, f"{path.name} hard-codes colours {found[:5]}: use the names of rnnviz.viz.svg's palette"


def _px(style, prop):
    """A length in px from an inline style (for ``gap``: the column gap, its second value when there are two)."""
    m = re.search(rf"(?:^|[;\s]){prop}:\s*([\d.]+)px(?:\s+([\d.]+)px)?", style or "")
    return None if not m else float(m.group(2) if m.group(2) and prop == "gap" else m.group(1))


_WRAPPING = {"rnnviz-panels", "rnnviz-svgs", "rnnviz-legend", "rnnviz-unroll-legend"}


def natural_width(el) -> float:
    """The px a view's element needs before anything in it must scale down: an SVG's own width, a fixed width,
    the sum of what sits side by side in a row that does not wrap (flex, grid columns, a table row), else the
    widest child."""
    tag = el.tag.rsplit("}", 1)[-1]
    style = el.get("style") or ""
    if tag == "svg":
        return float(el.get("width"))
    fixed = _px(style, "width")
    kids = [natural_width(k) for k in el]
    if fixed is not None and not kids:
        return fixed
    classes = set((el.get("class") or "").split())
    gap = _px(style, "gap") or 0.0
    if "display:grid" in style.replace(" ", ""):
        columns = int(re.search(r"repeat\((\d+)", style).group(1))
        widths, col = [0.0] * columns, 0
        for k, w in zip(el, kids):
            span = k.get("style") or ""
            n = columns if "1 / -1" in span else int(re.search(r"span (\d+)", span).group(1)) if "span" in span else 1
            if col + n > columns:
                col = 0
            if n == 1:
                widths[col] = max(widths[col], w)
            col = (col + n) % columns
        inner = sum(widths) + gap * (columns - 1)
    elif tag == "tr" or ("display:flex" in style.replace(" ", "") and "wrap" not in style
                         and not classes & _WRAPPING):
        inner = sum(kids) + gap * max(len(kids) - 1, 0)
    else:
        inner = max(kids, default=0.0)
    cap = _px(style, "max-width")
    inner = max(inner, fixed or 0.0)
    return min(inner, cap) if cap is not None else inner


def _views(app):
    return [(w, parse_view(w.value)) for w in app.descendants() if isinstance(w, W.HTML) and count_views(w.value)]


@pytest.mark.parametrize("cls", _apps())
def test_every_view_fits_a_1024_px_projector_and_scales_down_below_it(cls):
    """At its defaults every view of every app is at most 980 px wide where nothing wraps, and every SVG in it scales
    down with its box (a viewBox, max-width, height auto) instead of being cut off or scrolling sideways."""
    app = cls()
    for widget, root in _views(app):
        where = f"{cls.__name__} view {root.get('data-name')!r}"
        for el in root.iter():
            tag = el.tag.rsplit("}", 1)[-1]
            style = (el.get("style") or "").replace(" ", "")
            if tag == "svg":
                assert el.get("viewBox") == f"0 0 {el.get('width')} {el.get('height')}", f"{where}: an SVG without viewBox"
                assert "max-width:" in style and "height:auto" in style, f"{where}: an SVG that does not scale: {style}"
                assert float(el.get("width")) <= PROJECTOR or "min-width" in style, f"{where}: SVG {el.get('width')} px"
            for prop in ("width", "min-width"):
                w = _px(el.get("style"), prop)
                assert w is None or w <= PROJECTOR, f"{where}: a {tag} of {prop} {w} px"
        assert natural_width(root) <= PROJECTOR, f"{where}: {natural_width(root):.0f} px wide"


ONE_ROW = [("vanishing", "OneUnitApp", "chain"), ("vanishing", "SpectralRadiusApp", "spectral"),
           ("layernorm", "LayerNormSequenceApp", "sequence"), ("taming", "ClippingApp", "clip")]


@pytest.mark.parametrize("module, app, name", ONE_ROW)
def test_panels_compared_side_by_side_share_one_row_on_a_projector(module, app, name):
    """These views' panels are read together (one regime, three norms): at 1024 px they sit in one row."""
    cls = getattr(importlib.import_module(f"rnnviz.widgets.{module}"), app)
    root = next(r for _, r in _views(cls()) if r.get("data-name") == name)
    row = next(el for el in root.iter() if el.get("class") == "rnnviz-panels")
    widths = [natural_width(panel) for panel in row]
    assert len(widths) >= 2 and sum(widths) + 30 * (len(widths) - 1) <= PROJECTOR, widths


@pytest.mark.parametrize("layers, bidirectional", [(1, False), (2, False), (1, True), (2, True)])
def test_lesson_3s_widest_picture_scales_into_a_1024_px_projector_without_scrolling(layers, bidirectional):
    from rnnviz.core.graph import folded_graph, unrolled_graph
    from rnnviz.lessonmath.unrolling import MAX_T as T  # the lesson's largest
    from rnnviz.viz.unrolling import unrolling_svg

    html = unrolling_svg(unrolled_graph(T, num_layers=layers, bidirectional=bidirectional),
                         folded_graph(num_layers=layers, bidirectional=bidirectional))
    picture = next(el for el in parse_view(html).iter() if el.tag.rsplit("}", 1)[-1] == "svg" and el.get("role"))
    width, least = float(picture.get("width")), _px(picture.get("style"), "min-width")
    assert width <= PROJECTOR or least <= PROJECTOR, f"{width:.0f} px, shrinking to {least:.0f} px at most"


def test_the_natural_width_counts_what_sits_side_by_side():
    row = parse_view('<div style="display:flex; gap:10px"><svg width="500" height="1"/><svg width="600" height="1"/></div>')
    assert natural_width(row) == 1110  # the view that did not fit: the test sees it
    wraps = parse_view('<div class="rnnviz-panels"><svg width="500" height="1"/><svg width="600" height="1"/></div>')
    assert natural_width(wraps) == 600
    grid = parse_view('<div style="display:grid; grid-template-columns:repeat(3, auto); gap:4px 10px">'
                      '<div style="grid-column:1 / -1">title</div><svg width="100" height="1"/>'
                      '<div style="grid-column: span 2">x</div><svg width="100" height="1"/><svg width="150" height="1"/>'
                      '<svg width="120" height="1"/></div>')
    assert natural_width(grid) == 100 + 150 + 120 + 20


# =========================================================================== rendering slips, each caught here
def _texts(html, chart):
    el = next(e for e in parse_view(html).iter() if e.get("data-name") == chart)
    return ["".join(t.itertext()) for t in el.iter("text")]


def test_lesson_1_training_ticks_read_1000_not_1e_03():
    html = order.training_html([0, 250, 500, 750, 1000], [0.5] * 5, [0.5, 0.6, 0.8, 0.9, 1.0], total=1000)
    ticks = _texts(html, "accuracy")
    assert "1000" in ticks and "200" in ticks
    assert not [t for t in ticks if re.search(r"\de[+\-\u2212]?\d", t)], ticks
    assert svg.tick_label(1000) == "1000" and svg.tick_label(4.6e43) == "4.6×10<sup>43</sup>"


def test_lesson_2_shows_the_unknown_token_as_unk():
    assert cellstep.display_char("<unk>") == "unk"
    tokens = ["<unk>", " ", "a", "b"]
    terms = {name: np.zeros(3) for name in cellstep.COLUMNS}
    html = cellstep.step_html(1, np.eye(4)[0], terms, np.full(4, 0.25), tokens, 0, top_k_shown=4, x_char="<unk>")
    strip = next(el for el in parse_view(html).iter() if el.get("class") == "rnnviz-onehot")
    labels = [td.text for td in list(strip)[1]]
    assert labels[0] == "unk" and "\u2047" not in html
    assert _px(list(list(strip)[0])[0].get("style"), "width") >= 20  # its column holds three letters


class _Run:
    def __init__(self, losses, grad_norms, diverged=False):
        self.losses, self.grad_norms, self.diverged = np.asarray(losses, float), np.asarray(grad_norms, float), diverged


@pytest.mark.parametrize("kind", ["norm", "value"])
def test_lesson_6_runs_differ_by_more_than_colour(kind):
    plain, clipped = _Run([1.4, 1.3, 1.2], [2.0, 3.0, 4.0]), _Run([1.4, 0.9, 0.5], [2.0, 1.0, 0.8])
    html = taming.training_html(plain, clipped, kind=kind, threshold=1.0, steps=3)
    for chart in ("loss_chart", "norm_chart"):
        el = next(e for e in parse_view(html).iter() if e.get("data-name") == chart)
        lines = {(p.get("stroke"), p.get("stroke-dasharray")) for p in el.iter("polyline")}
        plain_style = {s for s in lines if s[0] == taming.PLAIN[0]}
        clip_style = {s for s in lines if s[0] == taming.CLIP_COLORS[kind]}
        assert plain_style and clip_style and plain_style.isdisjoint(clip_style)
        assert {d for _, d in plain_style} != {d for _, d in clip_style}, "the two runs differ by colour alone"
    assert taming.PLAIN[0] in svg.SERIES and taming.CLIP_COLORS[kind] in svg.SERIES  # the Okabe-Ito palette


def test_lesson_6_loss_far_above_the_others_stays_on_its_axis_and_inf_is_marked_at_the_edge():
    plain = _Run([1.4, 30.0, 4.6e43, np.inf], [2.0, 40.0, 1e40, np.nan], diverged=True)
    clipped = _Run([1.4, 0.9, 0.5, 0.3], [2.0, 1.0, 0.8, 0.7])
    html = taming.training_html(plain, clipped, kind="norm", threshold=1.0, steps=4)
    assert svg.marks(html, "loss_plain").tolist() == [1.4, 30.0, 4.6e43]  # the huge loss is drawn, on the axis
    ticks = [t for t in _texts(html, "loss_chart") if t.startswith("10")]
    assert max(int(t[2:].replace("\u2212", "-")) for t in ticks if len(t) > 2) >= 40  # the axis reaches it
    assert svg.off_marks(html, "loss_chart").size == 1 and np.isposinf(svg.off_marks(html, "loss_chart")[0])
    assert "inf" in _texts(html, "loss_chart")  # the inf loss: a marker at the top edge saying so
    assert np.isnan(svg.off_marks(html, "norm_chart")[0]) and "NaN" in _texts(html, "norm_chart")


@pytest.mark.parametrize("cls", _apps())
def test_no_slider_reads_out_in_e_notation(cls):
    """A student reads 0.003, not 3.0e-3 (d3-format's 'e' in a slider's readout)."""
    app = cls()
    for attr, control in _controls(app):
        fmt = getattr(control, "readout_format", "")
        assert "e" not in fmt, f"{cls.__name__}.{attr} reads out as {fmt!r}"
