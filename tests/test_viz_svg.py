"""The SVG charts rnnviz draws itself (rnnviz.viz.svg): geometry, colours, escaping, reading values back."""

import math

import numpy as np
import pytest

from rnnviz.viz.cellstep import scale_colour
from rnnviz.viz.svg import (
    VIEW_CLASS, Chart, colour_of, colourbar, heatmap, markup, marks, matrix, nice_ticks, panel, parse_view, view,
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


def test_nice_ticks_of_an_empty_or_bad_range():
    assert nice_ticks(3, 3) == [3.0]
    assert nice_ticks(float("nan"), 1) == []


def test_markup_keeps_sub_and_sup_and_escapes_everything_else():
    out = markup("dL/dh<sub>t</sub> <script>alert(1)</script> W<sup>T</sup> a &amp; b")
    assert "<script>" not in out and "&lt;script&gt;" in out
    assert out.count("<tspan") == 2 and out.count("</tspan>") == 2
    assert "a &amp; b" in out  # an entity stays one character, not "&amp;amp;"
    parse_view(f"<svg><text>{out}</text></svg>")  # well-formed


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
    assert rects[1].get("y") == "50.0"  # a negative bar hangs from the zero line
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
