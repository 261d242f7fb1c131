"""The one chart library of the lesson views (rnnviz.viz.svg): palette, axes, values off the chart, heatmaps,
legends, the canvas, escaping, responsive SVGs, reading values back."""

import math

import numpy as np
import pytest

from rnnviz.viz import svg
from rnnviz.viz.cellstep import scale_colour
from rnnviz.viz.svg import (
    MISSING, VIEW_CLASS, Chart, colour_of, colourbar, heatmap, heatmap_chart, legend, log_range, log_ticks, markup, marks,
    matrix, nice_ticks, panel, parse_view, sequential_colour, view,
)


@pytest.mark.parametrize("lo, hi, n", [(0, 1, 5), (-1.05, 1.05, 4), (0, 23.7, 4), (-0.0031, 0.0047, 5), (1, 40, 6),
                                       (-250, 1e4, 5)])
def test_nice_ticks_are_round_evenly_spaced_and_inside(lo, hi, n):
    ticks = nice_ticks(lo, hi, n)
    assert 2 <= len(ticks) <= n + 1
    assert all(lo - 1e-12 <= t <= hi + 1e-12 for t in ticks)
    steps = np.diff(ticks)
    assert np.allclose(steps, steps[0])
    mantissa = steps[0] / 10 ** math.floor(math.log10(steps[0]))
    assert any(math.isclose(mantissa, m) for m in (1, 2, 2.5, 5))
    if lo < 0 < hi:
        assert 0.0 in ticks  # the zero line gets a tick


def test_nice_ticks_of_a_range_wider_than_the_largest_float():
    # an exploding run's values reach +-1e308; hi - lo is then inf, which once raised OverflowError
    ticks = nice_ticks(-1.5e308, 1.5e308)
    assert ticks == sorted(ticks) and 3 <= len(ticks) <= 7
    assert all(-1.5e308 <= t <= 1.5e308 for t in ticks) and 0.0 in ticks
    steps = {round(b - a, -300) for a, b in zip(ticks, ticks[1:])}
    assert len(steps) == 1


def test_nice_ticks_of_an_empty_or_bad_range():
    assert nice_ticks(3, 3) == [3.0]
    assert nice_ticks(float("nan"), 1) == []


def test_markup_keeps_sub_and_sup_and_escapes_everything_else():
    out = markup("dL/dh<sub>t</sub> <script>alert(1)</script> W<sup>T</sup> a &amp; b")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert "a &amp; b" in out  # an entity stays one character, not "&amp;amp;"
    text = parse_view(f"<svg><text>{out}</text></svg>").find("text")  # well-formed
    spans = list(text.iter("tspan"))
    small = [el for el in spans if el.get("font-size")]
    assert [el.text for el in small] == ["t", "T"] and all(el.get("font-size") == "78%" for el in small)
    # shifted with dy (Firefox ignores baseline-shift): t down, T up, and the text after each back on the baseline
    assert float(small[0].get("dy")[:-2]) > 0 > float(small[1].get("dy")[:-2])
    shift = 0.0
    for el in spans:
        shift += float(el.get("dy")[:-2]) * (0.78 if el.get("font-size") else 1.0)
    assert abs(shift) < 1e-3 and spans[-1].text == " a & b"


def test_colours_follow_the_diverging_scale():
    assert colour_of(0.0, 2.0) == scale_colour(0.5, "RdBu_r")  # white-ish middle
    assert colour_of(5.0, 2.0) == colour_of(2.0, 2.0) == scale_colour(1.0, "RdBu_r")  # clipped at +vmax: red
    assert colour_of(-2.0, 2.0) == scale_colour(0.0, "RdBu_r")
    assert colour_of(float("nan"), 1.0) == colour_of(0.0, 1.0)  # a NaN is drawn neutral, not as an error


def test_a_chart_maps_data_to_pixels_and_carries_values():
    c = Chart(200, 100, (-0.5, 3.5), (-1, 1), left=0, right=0, top=0, bottom=0)
    assert c.px(-0.5) == 0 and c.px(3.5) == 200
    assert c.py(1) == 0 and c.py(-1) == 100 and c.py(5) == 0  # clipped to the plotting area
    c.y_grid().group("bars")
    for k, v in enumerate([0.5, -0.25, 1.0, 0.0]):
        c.bar(k, 0, v, "#000", f"bar {k} <&>", v)
    c.end()
    svg = c.svg("demo")
    np.testing.assert_array_equal(marks(svg, "bars"), [0.5, -0.25, 1.0, 0.0])
    root = parse_view(svg)
    rects = [el for el in root.iter() if el.tag == "rect"]
    first = rects[0]
    assert float(first.get("y")) == pytest.approx(25) and float(first.get("height")) == pytest.approx(25)
    assert float(rects[1].get("y")) == 50  # a negative bar hangs from the zero line
    assert "bar 0 <&>" == rects[0].find("title").text  # hover text, escaped in the markup, intact when read
    with pytest.raises(ValueError, match="empty range"):
        Chart(10, 10, (1, 1), (0, 1))


def test_values_keep_full_precision():
    v = 0.1 + 0.2
    svg = Chart(10, 10, (0, 1), (0, 1)).group("g").point(0.5, 0.5, "#000", "p", v).end().svg("s")
    assert marks(svg, "g")[0] == v


def test_heatmap_reads_back_as_its_matrix_and_checks_labels():
    z = np.arange(12, dtype=float).reshape(3, 4) - 5
    svg = heatmap(z, ["a", "b", "c"], ["w", "x", "y", "z"], 6.0, name="m", what="demo", x_title="x<sub>t</sub>")
    np.testing.assert_array_equal(matrix(svg, "m"), z)
    cells = [el for el in parse_view(svg).iter() if el.get("data-v") is not None]
    assert cells[0].get("fill") == colour_of(-5, 6) and cells[-1].get("fill") == colour_of(6, 6)
    assert "demo, row b, column x: 0.0000" in svg and "demo, row c, column z: 6.0000" in svg  # the hover texts
    with pytest.raises(ValueError, match="shape"):
        heatmap(z, ["a", "b"], ["w", "x", "y", "z"], 1.0, name="m", what="demo")


def test_labels_and_titles_cannot_inject_markup():
    z = np.zeros((1, 2))
    svg = heatmap(z, ["<b>"], ["'", '"'], 1.0, name="m", what="<img src=x>")
    assert "<img" not in svg and "<b>" not in svg
    parse_view(svg)


def test_a_view_is_one_element_with_the_view_class():
    html = view(panel("a <b>title</b>", colourbar(2.0, title="copy")), name="demo")
    root = parse_view(html)
    assert root.get("class") == VIEW_CLASS and root.get("data-name") == "demo"
    with pytest.raises(KeyError):
        marks(html, "nothing")


def test_a_log_axis_maps_decades_evenly_and_breaks_lines_at_values_it_cannot_show():
    c = Chart(100, 100, (0, 4), (1e-3, 1e1), left=0, right=0, top=0, bottom=0, y_log=True)
    assert [c.py(v) for v in (1e1, 1e-1, 1e-3)] == [0, 50, 100]  # 4 decades over 100 px
    assert all(math.isnan(c.py(v)) for v in (0.0, -1.0, math.inf, math.nan))
    c.y_grid().group("pts")
    ys = [1.0, 0.1, 0.0, math.nan, 0.01]
    for k, y in enumerate(ys):
        c.point(k, y, "#000", "p", y)
    c.end().line(range(5), ys, "#000")
    svg = c.svg("log")
    np.testing.assert_array_equal(marks(svg, "pts"), [1.0, 0.1, 0.01])  # no mark for 0 or NaN
    lines = [el for el in parse_view(svg).iter() if el.tag == "polyline"]
    assert [len(el.get("points").split()) for el in lines] == [2, 1]  # the gap splits the line in two
    assert "10<tspan" in svg and "\u22123" in svg  # tick labels 10^-3 ... 10^1 as superscripts
    with pytest.raises(ValueError, match="positive"):
        Chart(10, 10, (0, 1), (0, 1), y_log=True)


@pytest.mark.parametrize("lo, hi", [(1e-3, 10), (1e-300, 1e300), (0.5, 0.9), (1, 1)])
def test_log_ticks_are_powers_of_ten_inside_the_range_at_most_six(lo, hi):
    ticks, labels = log_ticks(lo, hi)
    assert len(ticks) == len(labels) <= 6
    assert all(lo <= t <= hi * (1 + 1e-12) for t in ticks)
    assert all(math.log10(t) == round(math.log10(t)) for t in ticks)
    if hi / lo >= 10:
        assert ticks


def test_log_range_holds_every_positive_finite_value():
    lo, hi = log_range([1e-5, 0.0, np.nan, 3.0], [np.inf, 20.0])
    assert lo < 1e-5 and hi > 20.0
    assert log_range([0.0, np.nan]) == (0.1, 10.0)  # nothing to show: a default decade span
    lo, hi = log_range([2.0, 2.0])
    assert lo < 2.0 < hi and math.log10(hi / lo) >= 1


def test_a_sequential_heatmap_greys_missing_cells_and_its_colourbar_spans_the_range():
    z = np.array([[0.0, 1.0], [np.nan, 2.0]])
    svg = heatmap(z, ["a", "b"], ["x", "y"], 0.0, name="m", what="flow", vrange=(0.0, 2.0), digits=3)
    cells = [el for el in parse_view(svg).iter() if el.get("data-v") is not None]
    assert [el.get("fill") for el in cells] == [scale_colour(0.0, "Viridis"), scale_colour(0.5, "Viridis"),
                                                 MISSING, scale_colour(1.0, "Viridis")]
    assert "row b, column x: no value" in svg and "row b, column y: 2" in svg
    bar = colourbar(0.0, title="log10", vrange=(0.0, 2.0))
    fills = [el.get("fill") for el in parse_view(bar).iter() if el.tag == "rect" and el.get("fill") != "none"]
    assert fills[0] == sequential_colour(2.0 - 2.0 / 80, 0.0, 2.0) and fills[-1] == sequential_colour(1 / 40, 0.0, 2.0)


def test_a_legend_names_each_line_and_escapes_its_labels():
    html = view(legend([("|dL/dh<sub>t</sub>|", "#2563eb", "line"), ("<img src=x>", "#000", "dash"),
                        ("bound", "#f00", "bar")]), name="l")
    root = parse_view(html)
    keys = [el for el in root.iter() if el.get("class") == "rnnviz-key"]
    assert len(keys) == 3 and "<img" not in html and "stroke-dasharray" in html


# =========================================================================== palette
def test_the_palette_is_okabe_ito_with_dashes_to_tell_series_apart():
    assert svg.SERIES == ("#0072b2", "#e69f00", "#009e73", "#d55e00", "#56b4e9", "#cc79a7", "#000000")
    assert len(set(svg.SERIES)) == len(svg.SERIES) and len(set(svg.DASHES)) == len(svg.DASHES)
    assert svg.DIVERGING == "RdBu_r" and svg.SEQUENTIAL == "Viridis"
    assert colour_of(1.0, 1.0) == scale_colour(1.0, "RdBu_r")  # red positive
    assert svg.tint(svg.BLUE, 0) == svg.BLUE and svg.tint(svg.BLUE, 1) == "#ffffff" and svg.shade(svg.BLUE, 1) == "#000000"


def test_ink_makes_light_colours_readable_as_text_and_leaves_dark_ones():
    def contrast(c):
        return 1.05 / (svg._luminance(c) + 0.05)
    assert contrast(svg.ORANGE) < 4.5 <= contrast(svg.ink(svg.ORANGE))  # orange text on white: darkened
    assert svg.ink(svg.BLUE) == svg.BLUE and svg.ink(svg.TEXT) == svg.TEXT and svg.ink("white") == "white"


# =========================================================================== numbers and ticks
@pytest.mark.parametrize("v, tick", [(1000, "1000"), (2500, "2500"), (0.25, "0.25"), (-0.5, "\u22120.5"), (0, "0"),
                                     (1e6, "10<sup>6</sup>"), (4.6e43, "4.6×10<sup>43</sup>"),
                                     (2.5e-7, "2.5×10<sup>\u22127</sup>")])
def test_ticks_print_digits_or_powers_of_ten_never_an_exponent(v, tick):
    assert svg.tick_label(v) == tick


def test_numbers_for_labels_have_no_plus_in_their_exponent():
    assert [svg.fmt(v) for v in (1234.5, 4.6e43, 1e-7, -0.0, math.inf, -math.inf, math.nan)] == [
        "1230", "4.6e43", "1e\u22127", "0", "inf", "\u2212inf", "NaN"]


def test_a_linear_axis_labels_1000_as_1000():
    c = Chart(300, 100, (0, 1000), (0, 1)).x_grid().y_grid()
    texts = ["".join(t.itertext()) for t in parse_view(c.svg("c")).iter("text")]
    assert "1000" in texts and not any("e+" in t or "e3" in t for t in texts)


# =========================================================================== axes and reference lines
def test_a_log_x_axis_maps_decades_evenly_and_ticks_them():
    c = Chart(100, 50, (1e-2, 1e2), (0, 1), left=0, right=0, top=0, bottom=0, x_log=True)
    assert [c.px(v) for v in (1e-2, 1, 1e2)] == [0, 50, 100] and math.isnan(c.px(0.0))
    c.x_grid().series("s", [0.01, 0.1, 1, 10], [0.1, 0.2, 0.3, 0.4], svg.BLUE, ["a", "b", "c", "d"])
    html = c.svg("log_x")
    assert [el.get("data-x") for el in parse_view(html).iter() if el.get("data-v")] == ["0.01", "0.1", "1.0", "10.0"]
    assert "10<tspan" in html and "\u22122" in html  # 10^-2 ... 10^2
    with pytest.raises(ValueError, match="positive"):
        Chart(10, 10, (0, 1), (0, 1), x_log=True)


def test_reference_lines_carry_their_value_and_label():
    c = Chart(200, 100, (0, 10), (0, 2))
    c.hline(math.log(4), label="chance ln 4 = 1.39", colour=svg.GREY, name="chance", tip="chance")
    c.vline(5, label="c", colour=svg.VERMILLION, name="now")
    html = c.svg("ref")
    assert marks(html, "chance").tolist() == [math.log(4)] and marks(html, "now").tolist() == [5.0]
    texts = ["".join(t.itertext()) for t in parse_view(html).iter("text")]
    assert "chance ln 4 = 1.39" in texts and "c" in texts
    lines = [el for el in parse_view(html).iter("line") if el.get("stroke-dasharray")]
    assert len(lines) == 2  # dashed by default: a reference, not a series


# =========================================================================== values off the chart
def test_values_above_the_range_or_not_finite_are_marked_at_the_edge_with_their_value():
    c = Chart(300, 200, (0, 6), (1e-1, 1e3), y_log=True, left=40, right=10, top=10, bottom=30)
    ys = [1.0, 10.0, 4.6e43, math.inf, 5.0, math.nan, 0.0, 2.0]
    c.series("loss", range(8), ys, svg.VERMILLION, [str(y) for y in ys], what="loss")
    html = c.svg("off")
    assert marks(html, "loss").tolist() == [1.0, 10.0, 5.0, 2.0]  # the points the axis shows
    off = svg.off_marks(html, "off")
    assert off[0] == 4.6e43 and np.isnan(off[1]) and off[2] == 0.0  # one mark per run: 4.6e43 and inf, NaN, 0
    texts = ["".join(t.itertext()) for t in parse_view(html).iter("text")]
    assert "\u2191 4.6e43/inf" in texts and "NaN" in texts and "\u2193 0" in texts
    tips = [el.find("title").text for el in parse_view(html).iter() if el.get("data-off")]
    assert tips[0] == "loss: \u2191 4.6e43/inf at x = 2 … 3, off the chart"
    # the line runs to the edge where it leaves the chart, and breaks there
    lines = [el.get("points").split() for el in parse_view(html).iter("polyline")]
    assert len(lines) == 3 and float(lines[0][-1].split(",")[1]) == 10  # up to the top edge (y = 10 px)


def test_a_linear_axis_cuts_a_line_at_its_edge_instead_of_pinning_points_there():
    c = Chart(100, 100, (0, 2), (0, 1), left=0, right=0, top=0, bottom=0)
    c.series("s", [0, 1, 2], [0.5, 3.0, 0.5], svg.BLUE, ["a", "b", "c"])
    html = c.svg("cut")
    assert marks(html, "s").tolist() == [0.5, 0.5] and svg.off_marks(html, "cut").tolist() == [3.0]
    (line,) = [el.get("points").split() for el in parse_view(html).iter("polyline")][:1]
    assert line == ["0,50", "10,0"]  # from the first point to where it crosses the top (x = 0.2)


def test_a_bar_beyond_the_range_is_cut_at_the_edge_and_marked():
    c = Chart(100, 100, (-0.5, 1.5), (0, 1), left=0, right=0, top=0, bottom=0).group("b")
    c.bar(0, 0, 0.5, svg.BLUE, "a", 0.5).bar(1, 0, 7.0, svg.BLUE, "b", 7.0).end()
    html = c.svg("bars")
    assert marks(html, "b").tolist() == [0.5, 7.0] and svg.off_marks(html, "bars").tolist() == [7.0]
    tall = [el for el in parse_view(html).iter("rect") if el.get("data-v") == "7.0"][0]
    assert float(tall.get("y")) == 0 and float(tall.get("height")) == 100


# =========================================================================== one heatmap, one legend, a canvas
def test_a_heatmap_chart_takes_overlays_in_cell_coordinates():
    z = np.arange(6, dtype=float).reshape(2, 3)
    c = heatmap_chart(z, ["r1", "r2"], ["a", "b", "c"], 5.0, cell=(10, 10), left=20, group="cells", frame_cols=5,
                      outline_col=2, outline_label="h<sub>T</sub>", tip=lambda i, j, v: f"({i}, {j}) = {v:g}")
    c.rect(-0.5, 0.5, 0.5, 1.5, stroke=svg.TEXT, value=9.0)  # cell (1, 0)
    html = c.svg("map", rows=2, cols=3)
    np.testing.assert_array_equal(marks(html, "cells").reshape(2, 3), z)
    assert matrix(html, "cells").shape == (2, 3) and "(1, 2) = 5" in html
    root = parse_view(html)
    assert root.get("width") == str(20 + 10 * 5 + 4)  # five columns wide: two maps can share a time axis
    overlay = [el for el in root.iter("rect") if el.get("data-v") == "9.0"][0]
    assert (float(overlay.get("x")), float(overlay.get("y")), float(overlay.get("width"))) == (20, 26 + 10, 10)


def test_heatmap_labels_turn_when_columns_are_narrow():
    words = ["elephant", "giraffe", "hippopotamus"]
    html = heatmap(np.zeros((2, 3)), ["1", "2"], words, 1.0, name="m", cell=(16, 16), col_angle="auto",
                   col_class="rnnviz-word")
    labels = [el for el in parse_view(html).iter("text") if el.get("class") == "rnnviz-word"]
    assert [el.text for el in labels] == words and all("rotate(-90" in el.get("transform") for el in labels)


@pytest.mark.parametrize("kind", ["line", "dash", "dot", "bar", "box", "point", "diamond", "ring", "cross", "node",
                                  "arrow", "vdash"])
def test_every_legend_kind_draws_a_small_responsive_mark(kind):
    html = view(legend([svg.Key("a", svg.BLUE, kind, outline=svg.TEXT)]), name="l")
    (mark,) = [el for el in parse_view(html).iter("svg")]
    assert mark.get("viewBox") and "max-width:100%" in mark.get("style") and len(list(mark)) >= 1


def test_a_canvas_draws_nodes_arrows_and_text_in_pixels():
    c = svg.Canvas(200, 100)
    head = c.arrowhead("demo-head", svg.ORANGE, 12)
    c.group("g", stroke=svg.ORANGE, fill="none").arrow([(10, 10), (50, 10), (90, 10)], head=head, tip="W<hh>",
                                                       data={"src": "a", "dst": "b"}).end()
    c.node(30, 50, 20, "h<sub>1</sub>", fill=svg.tint(svg.GREEN, 0.8), stroke=svg.GREEN, tip="h_1", data={"node": "h_1"})
    c.text(100, 90, "“<script>”", rich=False, tip="x", data={"word": 1})
    html = c.svg(label="demo", min_scale=0.5)
    root = parse_view(html)
    assert root.get("viewBox") == "0 0 200 100" and root.get("style").startswith("width:100%")
    assert "min-width:100px" in root.get("style") and root.get("aria-label") == "demo"
    path = next(el for el in root.iter("path") if el.get("data-src"))
    assert path.get("d") == "M10 10L50 10L90 10" and path.get("marker-mid") == "url(#demo-head)"
    assert path.find("title").text == "W<hh>" and "<script>" not in html
    node = next(el for el in root.iter("g") if el.get("data-node"))
    assert [el.tag for el in node] == ["title", "circle", "text"] and "tspan" in svg.markup("h<sub>1</sub>")


def test_every_svg_scales_down_with_its_box():
    pieces = [Chart(300, 100, (0, 1), (0, 1)).svg("c"), heatmap(np.eye(2), ["a", "b"], ["c", "d"], 1.0, name="h"),
              colourbar(1.0, title="x"), svg.Canvas(50, 50).svg()]
    for piece in pieces:
        root = parse_view(piece)
        w, h = root.get("width"), root.get("height")
        assert root.get("viewBox") == f"0 0 {w} {h}" and "max-width:100%" in root.get("style")
        assert "height:auto" in root.get("style")
