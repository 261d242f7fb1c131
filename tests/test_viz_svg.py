"""The SVG charts rnnviz draws itself (rnnviz.viz.svg): geometry, colours, escaping, reading values back."""

import math

import numpy as np
import pytest

from rnnviz.viz.cellstep import scale_colour
from rnnviz.viz.svg import (
    MISSING, VIEW_CLASS, Chart, colour_of, colourbar, heatmap, legend, log_range, log_ticks, markup, marks, matrix,
    nice_ticks, panel, parse_view, sequential_colour, view,
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
