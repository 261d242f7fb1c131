"""The one chart library of the lesson views: palette, charts, heatmaps, colour bars, legends, free drawings.

A view that moves with a slider is drawn as SVG in an ipywidgets ``HTML`` widget, which the browser
swaps in a few milliseconds (plotly's widget redraws a whole figure on every update; see
docs/CONTRIBUTING.md, "Figures"). Every lesson view module builds its markup from this module only:

* **palette** -- the Okabe–Ito colours for series (:data:`SERIES`, :data:`BLUE`, :data:`ORANGE`, ...), which
  stay apart for colour-blind students and on a washed-out projector, and dash patterns (:data:`DASHES`)
  so that two compared series never differ by colour alone; one diverging scale (:data:`DIVERGING`, red
  positive) for signed matrices and one sequential scale (:data:`SEQUENTIAL`) for magnitudes;
* :class:`Chart` -- a plotting area with linear or log axes (x and y), grid lines, bars, lines, points,
  reference lines (:meth:`Chart.hline`, :meth:`Chart.vline`) and text; a value off the chart (above or
  below the axis range, inf, NaN) is marked at the edge with its value instead of silently lost;
* :func:`heatmap` (and :func:`heatmap_chart` for overlays), :func:`colourbar`, :func:`legend`, :func:`panel`,
  :func:`view`;
* :class:`Canvas` -- a drawing in pixel coordinates (nodes, arrows, text) for pictures that are not charts;
* helpers for HTML tables: :func:`cell_colours`, :func:`tint`.

Conventions, relied on by the tests and the browser tests:

* the root of a view has the class :data:`VIEW_CLASS`;
* every data mark (bar, heatmap cell, point) carries ``data-v`` (its value) and a ``<title>`` (hover text);
  a marker of a value off the chart carries ``data-off`` instead (it is not a data mark);
* every chart is an ``<svg data-name="...">``; :func:`marks` and :func:`matrix` read the values back;
* every ``<svg>`` has its natural size as ``width``/``height``, a ``viewBox``, and the style
  ``max-width:100%; height:auto``: it scales down in a narrower page.

Text goes through :func:`esc` (plain text) or :func:`markup` (a little HTML: ``<sub>``, ``<sup>``,
``<b>``, ``<i>``), so a student's sentence can never inject markup.
"""

from __future__ import annotations

import functools
import html
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Mapping, Sequence
from typing import NamedTuple

import numpy as np
from plotly.colors import get_colorscale

__all__ = [
    "AXIS", "BLACK", "BLUE", "Canvas", "Chart", "DASH", "DASHDOT", "DASHES", "DIVERGING", "DOT", "FAINT",
    "FAINT_TEXT", "FONT", "GREEN",
    "GREY", "GRID", "Key", "LONGDASH", "MISSING", "MUTED", "ORANGE", "PALE", "PANEL_CSS", "PURPLE", "SEQUENTIAL",
    "SERIES", "SKY", "SOLID", "TEXT", "VEIL", "VERMILLION", "VIEW_CLASS", "WHITE", "YELLOW", "cell_colours", "colour_of",
    "colourbar", "esc", "fmt", "heatmap", "heatmap_chart", "html_markup", "label_room", "legend", "log_range",
    "log_ticks", "markup", "marks", "matrix", "nice_ticks", "panel", "parse_view", "scale_colour", "sequential_colour",
    "ink", "key_mark", "narrow", "off_marks", "path_data", "shade", "tick_label", "tint", "view",
]

#: CSS class of the root element of a view rnnviz draws itself (the browser tests look for it)
VIEW_CLASS = "rnnviz-view"
FONT = 13  # px, tick labels; titles are HTML (15 px)

# =========================================================================== palette
#: Okabe & Ito (2008), "Color Universal Design": told apart by colour-blind readers and on a projector
BLACK, ORANGE, SKY, GREEN = "#000000", "#e69f00", "#56b4e9", "#009e73"
YELLOW, BLUE, VERMILLION, PURPLE = "#f0e442", "#0072b2", "#d55e00", "#cc79a7"
#: the colours of series, in the order a chart should take them (yellow is left out: too light on white)
SERIES = (BLUE, ORANGE, GREEN, VERMILLION, SKY, PURPLE, BLACK)
#: dash patterns (``stroke-dasharray``): give two series that are compared different ones
SOLID, DASH, DOT, DASHDOT, LONGDASH = None, "7 4", "2 3", "9 3 2 3", "14 5"
DASHES = (SOLID, DASH, DOT, DASHDOT, LONGDASH)
#: neutral tones: text, secondary text, axes, grid lines, a neutral series, a pale fill, white
TEXT, MUTED, AXIS, GRID, GREY, PALE, WHITE = "#111827", "#4b5563", "#6b7280", "#e5e7eb", "#6b7280", "#d1d5db", "#ffffff"
#: what is out of focus: a faint fill and its text; a translucent grey laid over what is left out
FAINT, FAINT_TEXT, VEIL = "#f3f4f6", "#9ca3af", "rgba(110, 110, 110, 0.62)"
#: colour of a heatmap cell without a value (NaN or inf)
MISSING = PALE
#: the diverging scale of signed matrices (red positive, white 0, blue negative) and the sequential one of magnitudes
DIVERGING, SEQUENTIAL = "RdBu_r", "Viridis"

_TAG = re.compile(r"(</?(?:sub|sup|b|i)>|<br>)")
_SHIFT = {"sub": 0.28, "sup": -0.42}  # baseline shift of a sub/superscript, in em of the surrounding text
_SMALL = 0.78  # font size of a sub/superscript, relative


def _rgb(colour: str) -> tuple[float, float, float]:
    """(r, g, b), 0 to 255, of "#rrggbb", "#rgb" or "rgb(r, g, b)"."""
    if colour.startswith("#"):
        if len(colour) == 4:
            colour = "#" + "".join(c * 2 for c in colour[1:])
        return tuple(int(colour[k:k + 2], 16) for k in (1, 3, 5))
    return tuple(float(c) for c in re.findall(r"[\d.]+", colour)[:3])


def _mix(colour: str, other: tuple[float, float, float], amount: float) -> str:
    r, g, b = (round(c + (o - c) * float(amount)) for c, o in zip(_rgb(colour), other))
    return f"#{r:02x}{g:02x}{b:02x}"


def tint(colour: str, amount: float) -> str:
    """``colour`` mixed with white: 0 is the colour, 1 is white (a pale fill under dark text)."""
    return _mix(colour, (255, 255, 255), amount)


def shade(colour: str, amount: float) -> str:
    """``colour`` mixed with black: 0 is the colour, 1 is black (dark text in a colour)."""
    return _mix(colour, (0, 0, 0), amount)


def _luminance(colour: str) -> float:
    """Relative luminance (WCAG) of a colour, 0 (black) to 1 (white)."""
    def lin(c: float) -> float:
        c /= 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4
    r, g, b = (lin(c) for c in _rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


@functools.cache
def ink(colour: str) -> str:
    """``colour`` for text on white: a light one (orange, sky blue, yellow) darkened until it reads on a projector
    (contrast at least 4.5 : 1), a dark one as it is."""
    if not re.fullmatch(r"#[0-9a-fA-F]{3}|#[0-9a-fA-F]{6}|rgb\([\d., ]+\)", colour):
        return colour  # a named colour: as it is
    out, k = colour, 0.0
    while (1.05 / (_luminance(out) + 0.05)) < 4.5 and k < 1:
        k += 0.05
        out = shade(colour, k)
    return out


# =========================================================================== text
def esc(text: object) -> str:
    """Plain text, escaped for HTML and SVG."""
    return html.escape(str(text), quote=True)


def _em(v: float) -> str:
    return f"{v:.3g}em"


def markup(text: str) -> str:
    """``text`` as SVG text content: ``<sub>``, ``<sup>``, ``<b>``, ``<i>`` become ``<tspan>``s, the rest is escaped.

    Sub- and superscripts are shifted with ``dy`` (every browser draws it; ``baseline-shift`` is ignored by
    Firefox), and the text after them goes back to the baseline. Entities (``&amp;``) are kept as such;
    ``<br>`` becomes a space (an SVG text has one line).
    """
    out: list[str] = []
    shift = 0.0  # where the baseline is now, in em of the surrounding text (0: on it)
    inside = False  # in a sub/superscript
    for part in _TAG.split(text):
        if not part:
            continue
        if part in ("<sub>", "<sup>"):
            target = _SHIFT[part[1:-1]]
            out.append(f'<tspan dy="{_em((target - shift) / _SMALL)}" font-size="{_SMALL:.0%}">')
            shift, inside = target, True
        elif part in ("</sub>", "</sup>"):
            out.append("</tspan>")
            inside = False
        elif part == "<b>":
            out.append('<tspan font-weight="bold">')
        elif part == "<i>":
            out.append('<tspan font-style="italic">')
        elif part.startswith("</"):
            out.append("</tspan>")
        else:
            body = " " if part == "<br>" else html.escape(html.unescape(part), quote=False)
            if shift and not inside:  # back to the baseline
                out.append(f'<tspan dy="{_em(-shift)}">{body}</tspan>')
                shift = 0.0
            else:
                out.append(body)
    return "".join(out)


def html_markup(text: str) -> str:
    """``text`` for HTML (a legend, outside any SVG): ``<sub>``, ``<sup>``, ``<b>``, ``<i>``, ``<br>`` kept, the
    rest escaped. (:func:`markup` writes SVG ``<tspan>``s, which HTML shows as plain text.)"""
    return "".join(part.replace("<br>", "<br/>") if _TAG.fullmatch(part) else html.escape(html.unescape(part), quote=False)
                   for part in _TAG.split(text))


def fmt(v: float, digits: int = 3) -> str:
    """A number for a label: ``digits`` significant digits, a real minus sign; plain digits from 0.0001 to 999999
    (``1230``), else an exponent as ``4.6e43`` (never ``4.6e+43``); ``inf``, ``−inf`` and ``NaN`` by name."""
    v = float(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "\u2212inf"
    s = f"{v:.{digits}g}"
    if "e" in s and 1 <= abs(v) < 1e6:  # 1230, not 1.23e+03 (it is a whole number: digits < its own)
        s = f"{float(s):.0f}"
    if "e" in s:
        mantissa, exponent = s.split("e")
        s = f"{mantissa}e{int(exponent)}"
    s = s.replace("-", "\u2212")
    return "0" if s in ("\u22120", "\u22120.0") else s


def tick_label(v: float) -> str:
    """An axis tick (markup): plain digits from 0.0001 to 999999 (``1000``, ``2500``, ``0.25``), else a power of
    ten (``10<sup>43</sup>``, ``2.5×10<sup>−7</sup>``) -- never ``1e+03``."""
    v = float(v)
    if v == 0 or not math.isfinite(v):
        return fmt(v)
    if 1e-4 <= abs(v) < 1e6:
        return np.format_float_positional(float(f"{v:.6g}"), trim="-").replace("-", "\u2212")
    k = math.floor(math.log10(abs(v)))
    m = float(f"{v / 10.0 ** k:.3g}")
    if abs(m) >= 10:
        m, k = m / 10, k + 1
    power = f"10<sup>{k}</sup>".replace("-", "\u2212")
    return power if m == 1 else ("\u2212" + power if m == -1 else f"{fmt(m)}×{power}")


# =========================================================================== ticks and ranges
def nice_ticks(lo: float, hi: float, n: int = 5) -> list[float]:
    """About ``n`` round tick values (steps of 1, 2, 2.5 or 5 times a power of ten) inside [lo, hi]."""
    lo, hi = float(lo), float(hi)
    if not (math.isfinite(lo) and math.isfinite(hi)) or hi <= lo:
        return [lo] if math.isfinite(lo) else []
    if not math.isfinite(hi - lo):  # a range wider than the largest float (near -1e308 ... 1e308): halve it
        return [2 * t for t in nice_ticks(lo / 2, hi / 2, n)]
    raw = (hi - lo) / max(n, 1)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if (hi - lo) / (m * mag) <= n)
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + 1e-9 * step:
        ticks.append(round(k * step, 12) + 0.0)
        k += 1
    return ticks


def log_ticks(lo: float, hi: float, n: int = 6) -> tuple[list[float], list[str]]:
    """Powers of ten inside [lo, hi] (every k-th decade, at most ``n``) and their labels 10<sup>k</sup>."""
    if not (lo > 0 and hi >= lo and math.isfinite(hi)):
        return [], []
    a, b = math.ceil(math.log10(lo) - 1e-9), math.floor(math.log10(hi) + 1e-9)
    if b < a:
        return [], []
    step = max(1, math.ceil((b - a + 1) / n))
    step = next((m for m in (1, 2, 5, 10, 20, 25, 50, 100) if m >= step), step)
    ks = [k for k in range(a, b + 1) if k % step == 0]
    labels = ["1" if k == 0 else "10" if k == 1 else f"10<sup>{k}</sup>".replace("-", "\u2212") for k in ks]
    return [10.0 ** k for k in ks], labels


#: the largest decade a log axis reaches (10**308.25 is finite; the largest float is 1.8e308)
LOG_TOP = 308.25


def log_range(*arrays, pad: float = 0.3, floor: float = 1e-300) -> tuple[float, float]:
    """A log-axis range holding every positive finite value of ``arrays`` (up to the largest float), padded by
    ``pad`` decades each side."""
    vals = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays] or [np.ones(1)])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size == 0:
        return 0.1, 10.0
    lo, hi = math.log10(max(vals.min(), floor)), math.log10(vals.max())
    if hi - lo < 1:
        mid = (hi + lo) / 2
        lo, hi = mid - 0.5, mid + 0.5
    return 10 ** (lo - pad), 10 ** min(hi + pad, LOG_TOP)


# =========================================================================== colour scales
@functools.cache
def _colour_stops(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The positions (k,) and RGB values (k, 3) of a named plotly colour scale, resolved once."""
    scale = get_colorscale(name)
    pos = np.array([float(p) for p, _ in scale])
    rgb = np.array([_rgb(colour) for _, colour in scale], dtype=float)
    return pos, rgb


def scale_colour(u: float, name: str = DIVERGING) -> str:
    """The colour at ``u`` in [0, 1] of a named plotly colour scale, as ``sample_colorscale`` gives it."""
    pos, rgb = _colour_stops(name)
    u = float(np.clip(u, 0.0, 1.0))
    r, g, b = (round(float(np.interp(u, pos, rgb[:, i]))) for i in range(3))
    return f"rgb({r}, {g}, {b})"


@functools.cache
def _levels(name: str, levels: int) -> tuple[str, ...]:
    """A scale at ``levels`` evenly spaced points (for maps of thousands of cells redrawn on every move)."""
    return tuple(scale_colour(k / (levels - 1), name) for k in range(levels))


def _scale_colours(u: np.ndarray, name: str) -> np.ndarray:
    """The colours at the positions ``u`` (any shape, clipped to [0, 1]) of a named scale, as :func:`scale_colour`
    gives each one (an array of str)."""
    pos, rgb = _colour_stops(name)
    u = np.clip(np.asarray(u, dtype=float), 0.0, 1.0)
    chans = [np.round(np.interp(u, pos, rgb[:, i])).astype(int) for i in range(3)]
    out = np.empty(u.shape, dtype=object)
    for idx in np.ndindex(u.shape):
        out[idx] = f"rgb({chans[0][idx]}, {chans[1][idx]}, {chans[2][idx]})"
    return out


def sequential_colour(v: float, lo: float, hi: float, name: str = SEQUENTIAL) -> str:
    """The colour of ``v`` on a sequential scale from ``lo`` to ``hi``; :data:`MISSING` for NaN or inf."""
    if not math.isfinite(v):
        return MISSING
    return scale_colour(0.5 if hi <= lo else (v - lo) / (hi - lo), name)


def colour_of(v: float, vmax: float) -> str:
    """The colour of ``v`` on the diverging scale from -vmax (blue) through 0 (white) to +vmax (red)."""
    u = 0.0 if vmax <= 0 or not math.isfinite(v) else float(np.clip(v / vmax, -1.0, 1.0))
    return scale_colour((u + 1) / 2, DIVERGING)


def cell_colours(v: float, vmax: float) -> tuple[str, str]:
    """(background, text colour) of a value in an HTML table cell, on the diverging scale +-``vmax``."""
    u = 0.0 if vmax <= 0 or not math.isfinite(v) else float(np.clip(v / vmax, -1.0, 1.0))
    return scale_colour((u + 1) / 2, DIVERGING), (WHITE if abs(u) > 0.6 else TEXT)


# =========================================================================== SVG elements
def _num(v: float) -> str:
    """A coordinate: at most one decimal, no trailing ``.0``."""
    s = f"{v:.1f}"
    return s[:-2] if s[-1] == "0" and s[-2] == "." else s


def _attrs(attrs: Mapping[str, object] | None = None, data: Mapping[str, object] | None = None) -> str:
    """`` key="value"`` pairs (``stroke_width`` -> ``stroke-width``; ``data`` -> ``data-*``); None is left out."""
    out = []
    for k, v in (attrs or {}).items():
        if v is not None:
            out.append(f' {k.rstrip("_").replace("_", "-")}="{esc(f"{v:g}" if isinstance(v, float) else v)}"')
    for k, v in (data or {}).items():
        if v is not None:
            out.append(f' data-{k}="{esc(repr(float(v)) if isinstance(v, (float, np.floating)) else v)}"')
    return "".join(out)


def _title(tip: str | None) -> str:
    return f"<title>{esc(tip)}</title>" if tip is not None else ""


#: the style that makes an SVG scale down with its container (its width/height stay its natural size)
RESPONSIVE = "max-width:100%; height:auto"


def _svg(width: float, height: float, body: str, *, name: str | None = None, data: Mapping | None = None,
         style: str = "", font_size: int | None = FONT, attrs: Mapping | None = None) -> str:
    """An ``<svg>`` of natural size ``width`` x ``height``, with a ``viewBox`` and the responsive style."""
    w, h = _num(width), _num(height)
    extra = {"data-name": name, **{f"data-{k}": v for k, v in (data or {}).items()}, **(attrs or {})}
    head = "".join(f' {k}="{esc(v)}"' for k, v in extra.items() if v is not None)
    size = f' font-size="{font_size}"' if font_size else ""
    return (f'<svg{head} width="{w}" height="{h}" viewBox="0 0 {w} {h}"{size} '
            f'style="display:block; {RESPONSIVE}{"; " + style if style else ""}">{body}</svg>')


def _polygon(points: Sequence[tuple[float, float]], **attrs) -> str:
    return f'<polygon points="{" ".join(f"{_num(x)},{_num(y)}" for x, y in points)}"{_attrs(attrs)}/>'


def _marker_shape(shape: str, cx: float, cy: float, r: float, colour: str | None, *, opacity: float = 1.0,
                  stroke: str | None = None, extra: str = "", body: str = "") -> str:
    """A point mark centred on (cx, cy): circle, diamond, square, triangle, ring (open circle) or cross (an x)."""
    fill = f' fill="{colour}"' if colour else ""
    alpha = f' fill-opacity="{opacity}"' if opacity < 1 else ""
    line = f' stroke="{stroke}" stroke-width="1"' if stroke else ""
    x, y = _num(cx), _num(cy)
    if shape == "diamond":
        line = line or ' stroke="white" stroke-width="1"'
        d = f"M{x} {_num(cy - r)}L{_num(cx + r)} {y}L{x} {_num(cy + r)}L{_num(cx - r)} {y}Z"
        return f'<path d="{d}"{fill}{line}{alpha}{extra}>{body}</path>'
    if shape == "square":
        return (f'<rect x="{_num(cx - r)}" y="{_num(cy - r)}" width="{_num(2 * r)}" height="{_num(2 * r)}"'
                f'{fill}{line}{alpha}{extra}>{body}</rect>')
    if shape == "triangle":
        d = f"M{x} {_num(cy - r)}L{_num(cx + r)} {_num(cy + r * 0.8)}L{_num(cx - r)} {_num(cy + r * 0.8)}Z"
        return f'<path d="{d}"{fill}{line}{alpha}{extra}>{body}</path>'
    if shape == "ring":  # an open circle; an invisible fill keeps it hoverable inside
        return (f'<circle cx="{x}" cy="{y}" r="{_num(r)}" fill="white" fill-opacity="0.01" stroke="{colour}" '
                f'stroke-width="3"{extra}>{body}</circle>')
    if shape == "cross":
        d = (f"M{_num(cx - r)} {_num(cy - r)}L{_num(cx + r)} {_num(cy + r)}"
             f"M{_num(cx - r)} {_num(cy + r)}L{_num(cx + r)} {_num(cy - r)}")
        return f'<path d="{d}" stroke="{colour}" stroke-width="3" fill="none"{extra}>{body}</path>'
    return f'<circle cx="{x}" cy="{y}" r="{_num(r)}"{fill}{line}{alpha}{extra}>{body}</circle>'


def _text(x: float, y: float, content: str, *, anchor: str = "middle", colour: str = TEXT, size: float | None = None,
          bold: bool = False, halo: bool = False, rotate: float = 0, cls: str | None = None, attrs: Mapping | None = None,
          tip: str | None = None) -> str:
    """A ``<text>`` whose ``content`` is already markup (see :func:`markup`)."""
    a = {"class": cls, "x": _num(x), "y": _num(y), "text-anchor": anchor, "fill": colour,
         "font-size": None if size is None else _num(size), "font-weight": "bold" if bold else None}
    if halo:
        a.update({"stroke": "white", "stroke-width": "4", "paint-order": "stroke"})
    if rotate:
        a["transform"] = f"rotate({_num(rotate)} {_num(x)} {_num(y)})"
    a.update(attrs or {})
    head = "".join(f' {k}="{esc(v)}"' for k, v in a.items() if v is not None)
    return f"<text{head}>{_title(tip)}{content}</text>"


# =========================================================================== category labels
CHAR_PX = 7.6  # about the width of a character of a 13 px label


def label_room(labels: Sequence[str], step: float) -> tuple[int, int]:
    """How far category ``labels``, ``step`` px apart, must turn to read apart (0, 45 or 90 degrees), and the px
    they need below the axis."""
    longest = max((len(w) for w in labels), default=1)
    if step >= CHAR_PX * longest + 6:
        return 0, 18
    if step >= 20:  # slanted lines of 13 px type lie step * sin(45) >= 14 px apart
        return 45, int(0.72 * CHAR_PX * longest) + 14
    return 90, int(0.9 * CHAR_PX * longest) + 12


# =========================================================================== charts
class Chart:
    """One plotting area of ``width`` x ``height`` px mapping data (x range, y range) to pixels.

    Linear or log axes (``x_log``, ``y_log``); ``y_down`` puts the start of the y range at the top (rows of a
    matrix). Marks are added in drawing order (grid first); :meth:`svg` returns the ``<svg>``. Categorical x
    axes use positions 0 ... n-1 with the range (-0.5, n - 0.5). A value off the chart (outside the y range,
    inf, NaN) is not drawn as a point: :meth:`line` and :meth:`points` mark it at the edge with its value.
    """

    def __init__(self, width: int, height: int, x: tuple[float, float], y: tuple[float, float], *,
                 left: int = 46, right: int = 10, top: int = 12, bottom: int = 34, x_log: bool = False,
                 y_log: bool = False, y_down: bool = False):
        self.width, self.height = int(width), int(height)
        self.x_log, self.y_log, self.y_down = bool(x_log), bool(y_log), bool(y_down)
        for flag, rng, axis in ((self.x_log, x, "x"), (self.y_log, y, "y")):
            if flag and not (min(rng) > 0 and math.isfinite(max(rng))):
                raise ValueError(f"Chart: a log axis needs a positive, finite range, got {axis}={rng}")
        self.x0, self.x1 = (math.log10(v) if self.x_log else float(v) for v in x)
        self.y0, self.y1 = (math.log10(v) if self.y_log else float(v) for v in y)
        if not (self.x1 > self.x0 and self.y1 > self.y0):
            raise ValueError(f"Chart: empty range x={x}, y={y}")
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        self.parts: list[str] = []
        self._off_labels: list[tuple[int, float]] = []  # (edge, px) of the edge labels drawn, to keep them apart

    # ------------------------------------------------------------------ geometry
    def _axis_x(self, x: float) -> float:
        x = float(x)
        if self.x_log:
            return math.log10(x) if x > 0 and math.isfinite(x) else math.nan
        return x

    def _axis_y(self, y: float) -> float:
        """``y`` in axis units (log10 on a log axis); NaN for NaN; -inf for <= 0 on a log axis; +-inf kept."""
        y = float(y)
        if self.y_log:
            if math.isnan(y):
                return math.nan
            if y <= 0:
                return -math.inf
            return math.log10(y) if math.isfinite(y) else math.inf
        return y

    def px(self, x: float) -> float:
        """The pixel column of ``x`` (NaN for a value a log axis cannot show)."""
        return self.left + (self._axis_x(x) - self.x0) / (self.x1 - self.x0) * (self.width - self.left - self.right)

    def _py_axis(self, a: float) -> float:
        f = (a - self.y0) / (self.y1 - self.y0) * (self.height - self.top - self.bottom)
        return self.top + f if self.y_down else self.height - self.bottom - f

    def py(self, y: float) -> float:
        """The pixel row of ``y`` (clipped to the range); NaN for a value the axis cannot show (<= 0 on a log axis,
        inf, NaN)."""
        a = self._axis_y(y)
        if not math.isfinite(a):
            return math.nan
        return self._py_axis(min(max(a, self.y0), self.y1))

    def side(self, y: float) -> int | None:
        """0 when the chart shows ``y``; 1 above its range (or +inf), -1 below (or -inf, or <= 0 on a log axis);
        None for NaN."""
        a = self._axis_y(y)
        if math.isnan(a):
            return None
        if a > self.y1 + 1e-12 * max(1.0, abs(self.y1)):
            return 1
        if a < self.y0 - 1e-12 * max(1.0, abs(self.y0)):
            return -1
        return 0

    @property
    def plot_right(self) -> float:
        return self.width - self.right

    # ------------------------------------------------------------------ axes
    def y_grid(self, ticks: Sequence[float] | None = None, *, labels: Sequence[str] | None = None) -> Chart:
        """Horizontal grid lines with labels (markup) at the left; the zero line darker.

        On a log axis the default ticks are powers of ten (every k-th decade, at most 6), labelled 10<sup>k</sup>;
        on a linear one round numbers (:func:`nice_ticks`) labelled by :func:`tick_label`.
        """
        if ticks is None and self.y_log:
            ticks, default = log_ticks(10 ** self.y0, 10 ** self.y1)
            labels = default if labels is None else labels
        ticks = nice_ticks(self.y0, self.y1) if ticks is None else list(ticks)
        labels = [tick_label(t) for t in ticks] if labels is None else labels
        for t, label in zip(ticks, labels):
            y = self.py(t)
            if not math.isfinite(y) or self.side(t) != 0:
                continue
            colour = AXIS if t == 0 and not self.y_log else GRID
            self.parts.append(f'<line x1="{self.left}" x2="{self.plot_right}" y1="{_num(y)}" y2="{_num(y)}" '
                              f'stroke="{colour}"/>' + _text(self.left - 5, y + 4, markup(label), anchor="end",
                                                             colour=MUTED))
        return self

    def x_grid(self, ticks: Sequence[float] | None = None, *, labels: Sequence[str] | None = None) -> Chart:
        """Vertical grid lines with labels below: round numbers (:func:`tick_label`), or powers of ten on a log axis."""
        if ticks is None and self.x_log:
            ticks, default = log_ticks(10 ** self.x0, 10 ** self.x1)
            labels = default if labels is None else labels
        ticks = nice_ticks(self.x0, self.x1) if ticks is None else list(ticks)
        labels = [tick_label(t) for t in ticks] if labels is None else labels
        y0, y1 = self.top, self.height - self.bottom
        for t, label in zip(ticks, labels):
            x = self.px(t)
            if not math.isfinite(x):
                continue
            colour = AXIS if t == 0 and not self.x_log else GRID
            self.parts.append(f'<line x1="{_num(x)}" x2="{_num(x)}" y1="{y0}" y2="{y1}" stroke="{colour}"/>'
                              + _text(x, y1 + 15, markup(label), colour=MUTED))
        return self

    def x_labels(self, labels: Sequence[str], *, every: int = 1, size: int = FONT, bold: int | None = None,
                 angle: int = 0, cls: str | None = None, fit: bool = True, lines: int = 1,
                 ticks: Sequence[int] | None = None) -> Chart:
        """Category labels (plain text, escaped) under positions 0 ... n-1: every ``every``-th (or those at
        ``ticks``), position ``bold`` in bold. ``angle`` 45 or 90 turns them (see :func:`label_room`); level ones
        shrink to fit their column when ``fit``; ``lines=2`` breaks a long one (over 14 characters) in two."""
        y = self.height - self.bottom
        room = every * abs(self.px(1) - self.px(0))  # px between two shown labels
        shown = set(range(0, len(labels), every)) if ticks is None else set(ticks)
        for i, label in enumerate(labels):
            if i not in shown and i != bold:
                continue
            x = self.px(i)
            label = str(label)
            if angle:
                ax, ay = (x + 4, y + 9) if angle == 45 else (x + 4, y + 5)
                self.parts.append(_text(ax, ay, esc(label), anchor="end", bold=i == bold, rotate=-angle, cls=cls))
                continue
            if lines > 1 and len(label) > 14:
                words = label.split()
                rows = [" ".join(words[: (len(words) + 1) // 2]), " ".join(words[(len(words) + 1) // 2:])]
                spans = "".join(f'<tspan x="{_num(x)}" dy="{0 if k == 0 else 15}">{esc(s)}</tspan>'
                                for k, s in enumerate(r for r in rows if r))
                self.parts.append(_text(x, y + 16, spans, bold=i == bold, cls=cls))
                continue
            fitted = max(8, min(size, int(room / (0.62 * max(len(label), 1))))) if fit else size
            self.parts.append(_text(x, y + 15, esc(label), size=fitted, bold=i == bold, cls=cls))
        return self

    def y_labels(self, labels: Sequence[str], *, every: int = 1, size: int = FONT,
                 ticks: Sequence[int] | None = None) -> Chart:
        """Category labels (plain text) left of positions 0 ... n-1 of the y axis (the rows of a heatmap)."""
        shown = set(range(0, len(labels), every)) if ticks is None else set(ticks)
        for i, label in enumerate(labels):
            if i in shown:
                self.parts.append(_text(self.left - 4, self.py(i) + 4, esc(label), anchor="end", size=size))
        return self

    def x_title(self, text: str) -> Chart:
        x = (self.left + self.width - self.right) / 2
        self.parts.append(_text(x, self.height - 4, markup(text), colour=MUTED))
        return self

    def y_title(self, text: str) -> Chart:
        y = (self.top + self.height - self.bottom) / 2
        self.parts.append(_text(0, 0, markup(text), colour=MUTED,
                                attrs={"x": None, "y": None, "transform": f"translate(12 {_num(y)}) rotate(-90)"}))
        return self

    # ------------------------------------------------------------------ marks
    def group(self, name: str | None = None, *, cls: str | None = None, data: Mapping | None = None, **attrs) -> Chart:
        """Start a group of marks (``marks(view, name)`` reads a named one); :meth:`end` closes it."""
        self.parts.append(f"<g{_attrs({'class': cls, 'data-name': name, **attrs}, data)}>")
        return self

    def end(self) -> Chart:
        self.parts.append("</g>")
        return self

    def bar(self, x: float, y0: float, y1: float, colour: str, tip: str, value: float, *, width: float = 0.8,
            outline: str | None = None) -> Chart:
        """A bar at position ``x`` from ``y0`` to ``y1`` (data units), ``width`` of a category wide. A bar that
        leaves the range is cut at the edge, which marks its value."""
        a, b = self.px(x - width / 2), self.px(x + width / 2)
        if self.y_log:
            y0 = 10 ** self.y0 if not y0 > 0 else y0  # a bar from 0 starts at the bottom of a log axis
        side = self.side(y1)
        if side is None:
            return self._off_mark(x, 1, [y1], colour, tip)
        edge = self.y1 if side > 0 else self.y0
        end = y1 if side == 0 else (10 ** edge if self.y_log else edge)
        top, bottom = sorted((self.py(y0), self.py(end)))
        if not (math.isfinite(top) and math.isfinite(bottom)):
            return self
        stroke = f' stroke="{outline}" stroke-width="2"' if outline else ""
        self.parts.append(f'<rect x="{_num(min(a, b))}" y="{_num(top)}" width="{_num(max(abs(b - a), 1))}" '
                          f'height="{_num(max(bottom - top, 0.5))}" fill="{colour}"{stroke} '
                          f'data-v="{float(value)!r}"><title>{esc(tip)}</title></rect>')
        if side:
            self._off_mark(x, side, [y1], colour, tip)
        return self

    def rect(self, x0: float, x1: float, y0: float | None = None, y1: float | None = None, *, fill: str = "none",
             stroke: str | None = None, stroke_width: float | None = None, opacity: float | None = None,
             cls: str | None = None, data: Mapping | None = None, tip: str | None = None, value: float | None = None) -> Chart:
        """A rectangle in data units (``y0``/``y1`` None: the whole height of the plotting area); no data mark
        unless ``value`` is given."""
        xa, xb = sorted((self.px(x0), self.px(x1)))
        ya, yb = (self.top, self.height - self.bottom) if y0 is None else sorted((self.py(y0), self.py(y1)))
        a = {"class": cls, "x": _num(xa), "y": _num(ya), "width": _num(xb - xa), "height": _num(yb - ya),
             "fill": fill, "fill-opacity": opacity, "stroke": stroke, "stroke-width": stroke_width}
        d = dict(data or {})
        if value is not None:
            d["v"] = float(value)
        self.parts.append(f"<rect{_attrs(a, d)}>{_title(tip)}</rect>" if tip else f"<rect{_attrs(a, d)}/>")
        return self

    def _runs(self, xs, ys) -> tuple[list[list[tuple[float, float]]], list[tuple[int, list[int]]]]:
        """The polylines (pixels) through the points the chart shows, cut at the edges, and the runs of
        consecutive points off the chart as (edge, indices): 1 above (and inf, NaN), -1 below (and <= 0 on a log
        axis). A point with a NaN x breaks the line and marks nothing."""
        lines: list[list[tuple[float, float]]] = []
        offs: list[tuple[int, list[int]]] = []
        cur: list[tuple[float, float]] = []
        prev = None  # (axis x, axis y, side)

        def flush():
            nonlocal cur
            if cur:
                lines.append(cur)
            cur = []

        for i, (x, y) in enumerate(zip(xs, ys)):
            ax = self._axis_x(x) if x is not None else math.nan
            if math.isnan(ax):
                flush()
                prev = None
                continue
            ay = self._axis_y(y) if y is not None else math.nan
            side = self.side(y) if y is not None else None
            edge = 1 if side is None else side
            if side != 0:
                if offs and offs[-1][0] == edge and offs[-1][1][-1] == i - 1:
                    offs[-1][1].append(i)
                else:
                    offs.append((edge, [i]))
            if prev is not None and math.isfinite(ay) and math.isfinite(prev[1]) and (side == 0 or prev[2] == 0
                                                                                       or side != prev[2]):
                seg = self._clip(prev[0], prev[1], ax, ay)
                if seg is not None:
                    p, q = seg
                    if not (cur and prev[2] == 0):
                        flush()
                        cur = [p]
                    cur.append(q)
            elif side == 0:
                flush()
                cur = [self._pixel(ax, ay)]
            if side != 0:
                flush()
            prev = (ax, ay, side)
        flush()
        return lines, offs

    def _inside_runs(self, xs, ys):
        """:meth:`_runs` when every point with a finite x is on the chart (the common case), at numpy speed; None
        otherwise."""
        with np.errstate(divide="ignore", invalid="ignore"):
            x = np.array([np.nan if v is None else v for v in xs], dtype=float)
            y = np.array([np.nan if v is None else v for v in ys], dtype=float)
            if self.x_log:
                x = np.where(x > 0, np.log10(x), np.nan)
            keep = np.isfinite(x)
            if self.y_log:
                if np.any(keep & ~(y > 0)):
                    return None
                y = np.log10(np.where(keep, y, 1.0))
            yk = y[keep]
            if not (np.all(np.isfinite(yk)) and np.all(yk >= self.y0 - 1e-12 * max(1.0, abs(self.y0)))
                    and np.all(yk <= self.y1 + 1e-12 * max(1.0, abs(self.y1)))):
                return None
        px = self.left + (x - self.x0) / (self.x1 - self.x0) * (self.width - self.left - self.right)
        f = (np.clip(y, self.y0, self.y1) - self.y0) / (self.y1 - self.y0) * (self.height - self.top - self.bottom)
        py = self.top + f if self.y_down else self.height - self.bottom - f
        runs, cur = [], []
        for k, (a, b) in enumerate(zip(px.tolist(), py.tolist())):
            if keep[k]:
                cur.append((a, b))
            elif cur:
                runs.append(cur)
                cur = []
        if cur:
            runs.append(cur)
        return runs, []

    def _pixel(self, ax: float, ay: float) -> tuple[float, float]:
        return (self.left + (ax - self.x0) / (self.x1 - self.x0) * (self.width - self.left - self.right),
                self._py_axis(ay))

    def _clip(self, xa: float, ya: float, xb: float, yb: float):
        """The part of the segment (axis units) inside the y range, in pixels, or None."""
        t0, t1 = 0.0, 1.0
        dy = yb - ya
        for bound, sign in ((self.y0, 1), (self.y1, -1)):
            if dy == 0:
                if sign * (ya - bound) < 0:
                    return None
                continue
            t = (bound - ya) / dy
            if sign * dy > 0:
                t0 = max(t0, t)
            else:
                t1 = min(t1, t)
        if t0 > t1:
            return None
        return (self._pixel(xa + t0 * (xb - xa), ya + t0 * dy), self._pixel(xa + t1 * (xb - xa), ya + t1 * dy))

    def line(self, xs: Sequence[float], ys: Sequence[float], colour: str, *, width: float = 1.5,
             dash: str | None = None, off: bool = True, what: str = "") -> Chart:
        """A line through the points, cut where it leaves the y range. With ``off`` (the default) each run of
        values off the chart (above or below the range, inf, NaN) is marked at the edge with its value (hover:
        ``what`` and where); a NaN x breaks the line without a mark."""
        xs, ys = list(xs), list(ys)
        runs, offs = self._inside_runs(xs, ys) or self._runs(xs, ys)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        for run in runs:
            pts = " ".join(f"{_num(x)},{_num(y)}" for x, y in run)
            self.parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="{_num(width)}"'
                              f'{dashed}/>')
        if off:
            for edge, idx in offs:
                self._off_run(edge, [xs[i] for i in idx], [ys[i] for i in idx], colour, what)
        return self

    def _off_run(self, edge: int, xs: list, ys: list, colour: str, what: str) -> None:
        """One edge mark for a run of consecutive values off the chart, at its most extreme value."""
        vals = np.array([np.nan if y is None else float(y) for y in ys])
        finite = np.isfinite(vals)
        k = (int(np.argmax(np.where(finite, vals, -np.inf))) if edge > 0 else int(np.argmin(np.where(finite, vals, np.inf)))
             ) if finite.any() else 0
        where = f"x = {fmt(xs[0], 4)}" if len(xs) == 1 else f"x = {fmt(xs[0], 4)} … {fmt(xs[-1], 4)}"
        label = self._off_label(vals, edge)
        self._off_mark(xs[k], edge, vals, colour, f"{what + ': ' if what else ''}{label} at {where}, off the chart",
                       label=label, value=vals[k])

    @staticmethod
    def _off_label(vals: np.ndarray, edge: int) -> str:
        """What a run of values off the chart is: "↑ 4.6e43" (the largest above), "↓ 0" (the smallest below),
        "inf", "NaN", joined by "/"."""
        vals = np.asarray(vals, dtype=float)
        finite = vals[np.isfinite(vals)]
        names = [n for n, hit in (("inf", np.isposinf(vals).any()), ("\u2212inf", np.isneginf(vals).any()),
                                  ("NaN", np.isnan(vals).any())) if hit]
        if finite.size:
            names.insert(0, f"\u2191 {fmt(finite.max(), 2)}" if edge > 0 else f"\u2193 {fmt(finite.min(), 2)}")
        return "/".join(names)

    def _off_mark(self, x: float, edge: int, vals, colour: str, tip: str, *, label: str | None = None,
                  value: float | None = None) -> Chart:
        """A triangle on the edge ``edge`` (1 top, -1 bottom) at ``x`` pointing out, labelled with the value(s)
        (unless another label on that edge is too close); ``data-off`` carries the value."""
        vals = np.atleast_1d(np.asarray(vals, dtype=float))
        label = self._off_label(vals, edge) if label is None else label
        value = float(vals[0]) if value is None else float(value)
        cx = self.px(x)
        if not math.isfinite(cx):
            return self
        up = edge >= 0
        y = self.top if up else self.height - self.bottom
        s = 5.0
        tri = [(cx - s, y + s), (cx + s, y + s), (cx, y - 1)] if up else [(cx - s, y - s), (cx + s, y - s), (cx, y + 1)]
        text = ""
        if all(e != edge or abs(p - cx) > 56 for e, p in self._off_labels):
            right = cx > self.left + 0.6 * (self.width - self.left - self.right)
            text = _text(cx + (-7 if right else 7), y + s + 11 if up else y - s - 4, esc(label),
                         anchor="end" if right else "start", colour=ink(colour), size=11, bold=True, halo=True)
            self._off_labels.append((edge, cx))
        self.parts.append(f'<g class="rnnviz-off" data-off="{value!r}"><title>{esc(tip)}</title>'
                          + _polygon(tri, fill=colour, stroke="white", stroke_width="1") + text + "</g>")
        return self

    def point(self, x: float, y: float, colour: str, tip: str | None = None, value: float | None = None, *,
              r: float = 3.5, shape: str = "circle", opacity: float = 1.0, data_x: float | None = None) -> Chart:
        """A point (circle, diamond, square, triangle, ring, cross); a data mark (``data-v``) when ``value`` is
        given. Nothing is drawn for a value off the chart (see :meth:`points`, :meth:`line`)."""
        cx, cy = self.px(x), self.py(y)
        if self.side(y) != 0 or not (math.isfinite(cx) and math.isfinite(cy)):
            return self
        extra = (f' data-x="{float(data_x)!r}"' if data_x is not None else "") + (
            f' data-v="{float(value)!r}"' if value is not None else "")
        self.parts.append(_marker_shape(shape, cx, cy, r, colour, opacity=opacity, extra=extra, body=_title(tip)))
        return self

    def points(self, name: str, xs, ys, colour: str, tips: Sequence[str], *, r: float = 3.5, shape: str = "circle",
               opacity: float = 1.0, x_values=None, with_x: bool = True, off: bool = True, what: str = "") -> Chart:
        """A group ``name`` of point marks (``data-v`` = y, ``data-x`` = x or ``x_values``) with their hover texts;
        the colour is set once on the group. With ``off``, values off the chart are marked at the edge."""
        xs, ys = list(xs), list(ys)
        x_values = xs if x_values is None else list(x_values)
        alpha = f' fill-opacity="{opacity}"' if opacity < 1 else ""
        self.parts.append(f'<g data-name="{esc(name)}" fill="{colour}"{alpha}>')
        stroke = "white" if shape == "diamond" else None
        for x, y, xd, tip in zip(xs, ys, x_values, tips):
            cx, cy = self.px(x), self.py(y)
            if self.side(y) != 0 or not (math.isfinite(cx) and math.isfinite(cy)):
                continue
            extra = (f' data-x="{float(xd)!r}"' if with_x else "") + f' data-v="{float(y)!r}"'
            self.parts.append(_marker_shape(shape, cx, cy, r, colour if shape in ("ring", "cross") else None,
                                            stroke=stroke, extra=extra, body=_title(tip)))
        self.parts.append("</g>")
        if off:
            _, offs = self._inside_runs(xs, ys) or self._runs(xs, ys)
            for edge, idx in offs:
                self._off_run(edge, [xs[i] for i in idx], [ys[i] for i in idx], colour, what)
        return self

    def series(self, name: str, xs, ys, colour: str, tips: Sequence[str], *, dash: str | None = None,
               width: float = 2.0, r: float = 3.0, shape: str = "circle", opacity: float = 1.0, marks=None,
               x_values=None, with_x: bool = True, what: str = "") -> Chart:
        """A line through ``ys`` (cut at the edges, values off the chart marked there) and a group ``name`` of
        hover marks on it: at every point, or at the indices ``marks``."""
        xs, ys = np.asarray(xs, dtype=float), np.asarray(ys, dtype=float)
        self.line(xs, ys, colour, width=width, dash=dash, what=what)
        pick = np.arange(len(xs)) if marks is None else np.asarray(marks, dtype=int)
        xv = xs if x_values is None else np.asarray(x_values, dtype=float)
        tips = list(tips)
        return self.points(name, xs[pick], ys[pick], colour, [tips[i] for i in pick], r=r, shape=shape, opacity=opacity,
                           x_values=xv[pick], with_x=with_x, off=False)

    def hline(self, y: float, *, label: str = "", colour: str = GREY, dash: str | None = DASH, width: float = 1.5,
              name: str | None = None, tip: str | None = None, anchor: str = "end") -> Chart:
        """A horizontal reference line across the plotting area at ``y``, with a ``label`` (markup) at its right end
        (``anchor="start"``: the left). ``name``: a group whose one data mark (a hover strip) carries ``y``. A ``y``
        off the chart is marked at the edge instead."""
        side = self.side(y)
        if name:
            self.group(name)
        if side != 0:
            x = 10 ** self.x1 if self.x_log else self.x1
            self._off_mark(x, 1 if side is None else side, [y], colour, tip or markup(label), value=y)
        else:
            py = self.py(y)
            dashed = f' stroke-dasharray="{dash}"' if dash else ""
            self.parts.append(f'<line x1="{self.left}" x2="{self.plot_right}" y1="{_num(py)}" y2="{_num(py)}" '
                              f'stroke="{colour}" stroke-width="{_num(width)}"{dashed}/>')
            if name:
                self.parts.append(f'<rect x="{self.left}" y="{_num(py - 4)}" width="{self.plot_right - self.left}" '
                                  f'height="8" fill="{colour}" fill-opacity="0" data-v="{float(y)!r}">'
                                  f"{_title(tip or label)}</rect>")
            if label:
                x = self.plot_right - 4 if anchor == "end" else self.left + 4
                self.parts.append(_text(x, py - 5, markup(label), anchor=anchor, colour=ink(colour), halo=True))
        if name:
            self.end()
        return self

    def vline(self, x: float, *, label: str = "", colour: str = GREY, dash: str | None = DASH, width: float = 1.5,
              name: str | None = None, tip: str | None = None) -> Chart:
        """A vertical reference line over the plotting area at ``x``, with a ``label`` (markup) at its top."""
        px = self.px(x)
        if not math.isfinite(px) or not (self.left - 0.5 <= px <= self.plot_right + 0.5):
            return self
        if name:
            self.group(name)
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        self.parts.append(f'<line x1="{_num(px)}" x2="{_num(px)}" y1="{self.top}" y2="{self.height - self.bottom}" '
                          f'stroke="{colour}" stroke-width="{_num(width)}"{dashed}/>')
        if name:
            self.parts.append(f'<rect x="{_num(px - 4)}" y="{self.top}" width="8" '
                              f'height="{self.height - self.top - self.bottom}" fill="{colour}" fill-opacity="0" '
                              f'data-v="{float(x)!r}">{_title(tip or label)}</rect>')
        if label:
            right = px > self.left + 0.6 * (self.width - self.left - self.right)
            self.parts.append(_text(px + (-4 if right else 4), self.top + 12, markup(label),
                                    anchor="end" if right else "start", colour=ink(colour), halo=True))
        if name:
            self.end()
        return self

    def text(self, x: float, y: float, text: str, *, colour: str = TEXT, anchor: str = "middle", dy: float = 0,
             dx: float = 0, bold: bool = False, size: float | None = None, halo: bool = False) -> Chart:
        """``text`` (markup) at the data point (x, y), moved by (dx, dy) px, in ``colour`` made readable on white
        (:func:`ink`); ``halo``: a white outline keeps it readable over lines. Nothing for a point off the chart."""
        px, py = self.px(x), self.py(y)
        if math.isfinite(px) and math.isfinite(py):
            self.parts.append(_text(px + dx, py + dy, markup(text), anchor=anchor, colour=ink(colour), bold=bold,
                                    size=size, halo=halo))
        return self

    def polyline(self, xs, ys, colour: str, *, width: float = 1.5, dash: str | None = None) -> Chart:
        """A drawn path in data units (an outline), not a series: NaN breaks it, nothing is marked off the chart."""
        return self.line(xs, ys, colour, width=width, dash=dash, off=False)

    def svg(self, name: str, **data) -> str:
        """The chart as an ``<svg data-name=name>`` (``data``: more ``data-*`` attributes)."""
        return _svg(self.width, self.height, "".join(self.parts), name=name, data=data, style="overflow:visible")


# =========================================================================== heatmaps
def heatmap_chart(z: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str], vmax: float = 1.0, *,
                  what: str = "", tip: Callable[[int, int, float], str | None] | None = None,
                  fill: Callable[[int, int, float], str | None] | None = None, vrange: tuple[float, float] | None = None,
                  scale: str = SEQUENTIAL, levels: int | None = None, digits: int | None = None,
                  cell: tuple[int, int] | None = None, max_width: int = 230, max_height: int = 180,
                  left: int | None = None, right: int = 4, top: int | None = None, x_title: str = "",
                  y_title: str = "", caption: str = "",
                  col_size: int | None = None, row_size: int | None = None, row_ticks: Sequence[int] | None = None,
                  col_ticks: Sequence[int] | None = None, col_angle: int | str = 0, col_class: str | None = None,
                  frame_cols: int | None = None, column_boxes: str | None = None, outline_col: int | None = None,
                  outline_label: str = "", upper_tip: str | None = None, group: str | None = None) -> Chart:
    """A matrix as coloured cells (row 0 at the top) on a :class:`Chart` whose cell (i, j) is centred on (x=j, y=i),
    so that overlays can be drawn on it; :func:`heatmap` returns its SVG.

    Colours: the diverging scale +-``vmax``, or with ``vrange=(lo, hi)`` the sequential ``scale``, quantized to
    ``levels`` colours if given; a NaN or inf cell is :data:`MISSING`; ``fill(i, j, v)`` overrides a cell's colour.
    Hover: "``what``, row r, column c: value" (``digits`` significant digits; default 4 decimals), or
    ``tip(i, j, v)`` (None: no hover text for that cell). ``cell`` is (width, height) in px; by default as large as
    ``max_width`` x ``max_height`` allows, 9 to 24 px; ``left``, ``right``, ``top`` fix margins. Labels: every row
    and column when there is room (else every other), or those at ``row_ticks``/``col_ticks``; ``col_angle`` 0, 45, 90 or "auto" turns column labels (class
    ``col_class``). ``frame_cols``: the chart is that many columns wide (two maps on one time axis);
    ``outline_col`` is outlined and labelled ``outline_label`` above; ``column_boxes``: a CSS class, every column
    gets an outline of that class with ``data-col`` (1-based), for a style to show one. ``upper_tip``: one hover
    text over the cells above the diagonal (a square map), instead of one each. ``group``: the cells go into
    ``<g data-name=group>`` with ``data-rows``/``data-cols``.
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 2 or z.shape != (len(row_labels), len(col_labels)):
        raise ValueError(f"heatmap {group or what}: z has shape {z.shape}, labels {len(row_labels)} x {len(col_labels)}")
    rows, cols = z.shape
    span = max(cols, frame_cols or 0)
    cw, ch = cell or (int(np.clip(max_width // max(span, 1), 9, 24)), int(np.clip(max_height // max(rows, 1), 9, 24)))
    small = 11 if min(cw, ch) < 14 else FONT
    angle, room = label_room(col_labels, cw) if col_angle == "auto" else (int(col_angle), 20)
    if col_angle == "auto" and angle == 0:
        room = 20
    left = left if left is not None else 8 + 8 * max((len(str(s)) for s in row_labels), default=1) + (18 if y_title else 0)
    bottom = room + (18 if x_title else 0)
    top = top if top is not None else 26 if outline_label else 22 if caption else 4
    c = Chart(left + cw * span + right, top + ch * rows + bottom, (-0.5, span - 0.5), (-0.5, rows - 0.5), left=left,
              right=right, top=top, bottom=bottom, y_down=True)
    c.rows, c.cols = rows, cols
    if caption:
        c.parts.append(_text(left + cw * cols / 2, 14, markup(caption)))
    if group:
        c.group(group, data={"rows": rows, "cols": cols})
    # every cell's colour at once: a NaN or inf cell is MISSING
    finite = np.isfinite(z)
    safe = np.where(finite, z, 0.0)
    if vrange is not None:
        lo, hi = float(vrange[0]), float(vrange[1])
        u = np.clip((safe - lo) / (hi - lo), 0, 1) if hi > lo else np.full(z.shape, 0.5)
        if levels:
            table = np.array(_levels(scale, levels), dtype=object)
            colours = table[np.rint(u * (levels - 1)).astype(int)]
        else:
            colours = _scale_colours(u, scale)
    else:
        colours = _scale_colours((np.clip(safe / vmax, -1, 1) + 1) / 2 if vmax > 0 else np.full(z.shape, 0.5), DIVERGING)
    colours[~finite] = MISSING
    xs = [_num(left + j * cw) for j in range(cols)]
    for i in range(rows):
        y = _num(top + i * ch)
        for j in range(cols):
            v = z[i, j]
            colour = (fill(i, j, v) if fill is not None else None) or colours[i, j]
            if tip is not None:
                hover = tip(i, j, v)
            else:
                shown = "no value" if not finite[i, j] else f"{v:.4f}" if digits is None else fmt(v, digits)
                hover = f"{what}, row {row_labels[i]}, column {col_labels[j]}: {shown}"
            c.parts.append(f'<rect x="{xs[j]}" y="{y}" width="{cw}" height="{ch}" fill="{colour}" '
                           f'data-v="{float(v)!r}">{_title(hover)}</rect>')
    if group:
        c.end()
    if upper_tip and rows == cols and rows > 1:
        stairs = "".join(f"H{_num(left + k * cw)}V{_num(top + (k - 1) * ch)}" for k in range(cols - 1, 0, -1))
        c.parts.append(f'<path d="M{_num(left + cw)} {top}H{_num(left + cw * cols)}V{_num(top + ch * (rows - 1))}'
                       f'{stairs}Z" fill="#000" fill-opacity="0">{_title(upper_tip)}</path>')
    c.y_labels([str(s) for s in row_labels], every=1 if ch >= 12 else 2, size=row_size or small, ticks=row_ticks)
    c.x_labels([str(s) for s in col_labels], every=1 if cw >= 12 else 2, size=col_size or small, ticks=col_ticks,
               angle=angle, cls=col_class or "rnnviz-col", fit=True)
    c.parts.append(f'<rect x="{left}" y="{top}" width="{cw * cols}" height="{ch * rows}" fill="none" stroke="{GRID}"/>')
    if outline_col is not None and 0 <= outline_col < cols:
        x = left + outline_col * cw
        c.parts.append(f'<rect x="{_num(x - 1)}" y="{top - 1}" width="{cw + 2}" height="{ch * rows + 2}" fill="none" '
                       f'stroke="{TEXT}" stroke-width="2"/>')
        if outline_label:
            c.parts.append(_text(x + cw / 2, top - 12, markup(outline_label)))
    if column_boxes is not None:
        c.parts += [f'<rect class="{esc(column_boxes)}" data-col="{j + 1}" x="{_num(left + j * cw - 1)}" y="{top - 1}" '
                    f'width="{cw + 2}" height="{ch * rows + 2}" fill="none" stroke="{TEXT}" stroke-width="3"/>'
                    for j in range(cols)]
    if x_title:
        c.parts.append(_text(left + cw * span / 2, c.height - 3, markup(x_title), colour=MUTED))
    if y_title:
        c.parts.append(_text(0, 0, markup(y_title), colour=MUTED, attrs={
            "x": None, "y": None, "transform": f"translate(12 {_num(top + rows * ch / 2)}) rotate(-90)"}))
    return c


def heatmap(z: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str], vmax: float = 1.0, *, name: str,
            **options) -> str:
    """A matrix as coloured cells (rows top to bottom) in an ``<svg data-name=name data-rows data-cols>``; hover
    shows each value; :func:`matrix` reads it back. Options as :func:`heatmap_chart`."""
    c = heatmap_chart(z, row_labels, col_labels, vmax, **options)
    return c.svg(name, rows=c.rows, cols=c.cols)


def colourbar(vmax: float, *, title: str, height: int = 180, steps: int = 40,
              vrange: tuple[float, float] | None = None, scale: str = SEQUENTIAL) -> str:
    """A vertical colour bar for the diverging scale +-``vmax`` (or ``vrange`` on the sequential ``scale``, as
    :func:`heatmap` takes them), ticks on the right, ``title`` above."""
    bar_w, top = 14, 22
    lo, hi = vrange if vrange is not None else (-vmax, vmax)
    lo, hi = (float(lo), float(hi)) if hi > lo else (float(lo) - 1, float(lo) + 1)
    parts = [_text(0, 13, markup(title), anchor="start", colour=MUTED)]
    h = height / steps
    for k in range(steps):
        v = hi - (hi - lo) * (k + 0.5) / steps
        colour = sequential_colour(v, lo, hi, scale) if vrange is not None else colour_of(v, vmax)
        parts.append(f'<rect x="0" y="{top + k * h:.2f}" width="{bar_w}" height="{h + 0.6:.2f}" fill="{colour}"/>')
    parts.append(f'<rect x="0" y="{top}" width="{bar_w}" height="{height}" fill="none" stroke="{GRID}"/>')
    for t in nice_ticks(lo, hi, 4):
        y = top + (hi - t) / (hi - lo) * height
        parts.append(f'<line x1="{bar_w}" x2="{bar_w + 4}" y1="{_num(y)}" y2="{_num(y)}" stroke="{AXIS}"/>'
                     + _text(bar_w + 6, y + 4, esc(fmt(t, 2)), anchor="start", colour=MUTED, size=12))
    return _svg(64, top + height + 6, "".join(parts), name="colourbar")


# =========================================================================== legends
class Key(NamedTuple):
    """One entry of a :func:`legend`: ``label`` (markup), ``colour``, ``kind`` (see :func:`legend`), a ``dash``
    pattern for a line, an ``outline`` colour for a box or node."""

    label: str
    colour: str
    kind: str = "line"
    dash: str | None = None
    outline: str | None = None


_KIND_DASH = {"line": None, "dash": DASH, "dot": DOT, "dashdot": DASHDOT}


def key_mark(kind: str, colour: str, *, dash: str | None = None, outline: str | None = None) -> str:
    """The small SVG of a legend entry (22 x 16 px; an arrow is 34 px wide)."""
    if kind in _KIND_DASH:
        d = dash if dash is not None else _KIND_DASH[kind]
        dashed = f' stroke-dasharray="{d}"' if d else ""
        body = f'<line x1="1" x2="21" y1="8" y2="8" stroke="{colour}" stroke-width="2.5"{dashed}/>'
    elif kind in ("bar", "box"):
        line = f' stroke="{outline}" stroke-width="1.5"' if outline else ""
        body = f'<rect x="3" y="3" width="16" height="10" rx="{2 if kind == "box" else 0}" fill="{colour}"{line}/>'
    elif kind == "vdash":
        body = f'<line x1="11" x2="11" y1="1" y2="15" stroke="{colour}" stroke-width="3" stroke-dasharray="3 2"/>'
    elif kind == "node":
        body = f'<circle cx="11" cy="8" r="6.5" fill="{colour}" stroke="{outline or colour}" stroke-width="1.5"/>'
    elif kind == "arrow":
        body = (f'<line x1="2" x2="32" y1="7" y2="7" stroke="{colour}" stroke-width="3"/>'
                + _polygon([(15, 2), (25, 7), (15, 12)], fill=colour))
        return _svg(34, 14, body, font_size=None, attrs={"aria-hidden": "true"}, style="flex:none")
    else:  # point, circle, diamond, square, triangle, ring, cross
        shape = {"point": "circle"}.get(kind, kind)
        r = 4.5 if shape != "cross" else 4
        body = _marker_shape(shape, 11, 8, r, colour, stroke="white" if shape == "diamond" else None)
    return _svg(22, 16, body, font_size=None, attrs={"aria-hidden": "true"}, style="flex:none")


def legend(items: Sequence[Key | tuple], *, cls: str = "rnnviz-legend") -> str:
    """A legend (HTML, wraps): :class:`Key`s or tuples ``(label markup, colour, kind[, dash[, outline]])``. Kinds:
    "line", "dash", "dot", "dashdot" (a line; ``dash`` sets any pattern), "bar", "box", "point", "diamond",
    "square", "ring", "cross", "node" (a circle with an outline), "arrow", "vdash" (a vertical dashed line)."""
    out = []
    for item in items:
        k = Key(*item)
        out.append(f'<span class="rnnviz-key">{key_mark(k.kind, k.colour, dash=k.dash, outline=k.outline)}'
                   f"<span>{html_markup(k.label)}</span></span>")
    return f'<div class="{esc(cls)}">{"".join(out)}</div>'


# =========================================================================== panels and views
def narrow(html_text: str, width: float) -> str:
    """HTML (a note, a legend) no wider than ``width`` px (its chart): it wraps instead of widening the panel."""
    return f'<div style="max-width:{int(width)}px">{html_text}</div>' if html_text else ""


def panel(title: str, *svgs: str, note: str = "") -> str:
    """A titled panel: ``title`` (trusted HTML) above the SVGs side by side (wrapping when narrow), an optional
    ``note`` below."""
    body = "".join(svgs)
    foot = f'<div class="rnnviz-panel-note">{note}</div>' if note else ""
    return (f'<div class="rnnviz-panel"><div class="rnnviz-panel-title">{title}</div>'
            f'<div class="rnnviz-svgs">{body}</div>{foot}</div>')


#: Styles of the panels of a view (inside the view, so a view is self-contained in a notebook too)
PANEL_CSS = (
    "<style>.rnnviz-view{max-width:100%}"
    ".rnnviz-view .rnnviz-panels{display:flex; flex-wrap:wrap; gap:14px 30px; align-items:flex-start}"
    ".rnnviz-view .rnnviz-panel{min-width:0; max-width:100%}"
    ".rnnviz-view .rnnviz-svgs{display:flex; flex-wrap:wrap; align-items:flex-start; gap:4px}"
    ".rnnviz-view svg{min-width:0; max-width:100%; height:auto}"
    ".rnnviz-view .rnnviz-panel-title{text-align:center; font-size:15px; line-height:1.3; margin:0 0 4px 0;"
    " min-height:2.6em}"
    ".rnnviz-view .rnnviz-panel-note{font-size:13px; color:#374151; margin-top:4px; line-height:1.5}"
    ".rnnviz-view svg text{font-family:inherit}"
    ".rnnviz-view .rnnviz-legend{display:flex; flex-wrap:wrap; gap:2px 16px; font-size:13px; color:#374151;"
    " margin:2px 0}"
    ".rnnviz-view .rnnviz-key{display:inline-flex; align-items:center; gap:4px}"
    ".rnnviz-view .rnnviz-key svg{flex:none}</style>"
)


def view(*panels: str, name: str) -> str:
    """The root of a view: the panels side by side, wrapping in a narrow page."""
    return (f'<div class="{VIEW_CLASS}" data-name="{esc(name)}">{PANEL_CSS}'
            f'<div class="rnnviz-panels">{"".join(panels)}</div></div>')


# =========================================================================== free drawings
class Canvas:
    """A drawing in pixel coordinates (0, 0 top left) for pictures that are not charts: nodes, arrows, text.

    Elements are added in drawing order; :meth:`group` / :meth:`end` nest them; :meth:`svg` returns the
    ``<svg>``. Attributes are keyword arguments (``stroke_width=2`` -> ``stroke-width="2"``); ``data`` gives
    ``data-*`` attributes; ``tip`` a hover text.
    """

    def __init__(self, width: float, height: float):
        self.width, self.height = float(width), float(height)
        self.parts: list[str] = []
        self.defs: list[str] = []

    def group(self, name: str | None = None, *, data: Mapping | None = None, tip: str | None = None, **attrs) -> Canvas:
        self.parts.append(f"<g{_attrs({'data-name': name, **attrs}, data)}>{_title(tip)}")
        return self

    def end(self) -> Canvas:
        self.parts.append("</g>")
        return self

    def arrowhead(self, id_: str, colour: str, size: float) -> str:
        """Define an arrowhead of ``colour`` (``size`` px) once; returns the value for ``marker_mid``/``marker_end``."""
        self.defs.append(f'<marker id="{esc(id_)}" viewBox="0 0 10 10" refX="5" refY="5" markerWidth="{_num(size)}" '
                         f'markerHeight="{_num(size)}" markerUnits="userSpaceOnUse" orient="auto">'
                         f'<path d="M0 0L10 5L0 10z" fill="{colour}"/></marker>')
        return f"url(#{id_})"

    def path(self, d: str, *, tip: str | None = None, data: Mapping | None = None, **attrs) -> Canvas:
        """A path with the path data ``d`` (see :func:`path_data`)."""
        self.parts.append(f'<path d="{esc(d)}"{_attrs(attrs, data)}>{_title(tip)}</path>')
        return self

    def arrow(self, points: Sequence[tuple[float, float]], *, head: str, tip: str | None = None,
              data: Mapping | None = None, **attrs) -> Canvas:
        """A polyline through ``points`` with the arrowhead ``head`` (from :meth:`arrowhead`) at its middle point."""
        return self.path(path_data(points), tip=tip, data=data, marker_mid=head, **attrs)

    def circle(self, x: float, y: float, r: float, *, tip: str | None = None, data: Mapping | None = None,
               **attrs) -> Canvas:
        self.parts.append(f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}"{_attrs(attrs, data)}>{_title(tip)}'
                          "</circle>" if tip else f'<circle cx="{_num(x)}" cy="{_num(y)}" r="{_num(r)}"{_attrs(attrs, data)}/>')
        return self

    def rect(self, x: float, y: float, width: float, height: float, *, tip: str | None = None,
             data: Mapping | None = None, **attrs) -> Canvas:
        head = f'<rect x="{_num(x)}" y="{_num(y)}" width="{_num(width)}" height="{_num(height)}"{_attrs(attrs, data)}'
        self.parts.append(f"{head}>{_title(tip)}</rect>" if tip else f"{head}/>")
        return self

    def text(self, x: float, y: float, text: str, *, size: float | None = None, colour: str = TEXT,
             anchor: str = "start", tip: str | None = None, data: Mapping | None = None, rich: bool = True,
             **attrs) -> Canvas:
        """``text`` at (x, y): markup (``<sub>``, ``<sup>``...) when ``rich``, else plain text."""
        a = {k.replace("_", "-"): v for k, v in attrs.items()}
        a.update({f"data-{k}": v for k, v in (data or {}).items()})
        self.parts.append(_text(x, y, markup(text) if rich else esc(text), anchor=anchor, colour=colour, size=size,
                                attrs=a, tip=tip))
        return self

    def node(self, x: float, y: float, r: float, label: str, *, fill: str, stroke: str, width: float = 2,
             text_colour: str = TEXT, size: float = FONT, tip: str | None = None, data: Mapping | None = None) -> Canvas:
        """A circle with a ``label`` (markup) in it, in a group carrying ``data`` and the hover text ``tip``."""
        self.group(data=data, tip=tip)
        self.circle(x, y, r, fill=fill, stroke=stroke, stroke_width=width)
        self.text(x, y + 0.35 * size, label, size=size, colour=text_colour, anchor="middle")
        return self.end()

    def svg(self, *, name: str | None = None, label: str | None = None, min_scale: float | None = None) -> str:
        """The drawing as an ``<svg>``; ``label`` its accessible name. ``min_scale``: it fills its box, shrinking
        with it to that fraction of its natural width (then the box must scroll)."""
        body = (f"<defs>{''.join(self.defs)}</defs>" if self.defs else "") + "".join(self.parts)
        attrs = {"role": "img", "aria-label": label} if label else {}
        if min_scale is None:
            return _svg(self.width, self.height, body, name=name, attrs=attrs, font_size=None)
        w, h = _num(self.width), _num(self.height)
        head = "".join(f' {k}="{esc(v)}"' for k, v in {"data-name": name, **attrs}.items() if v is not None)
        return (f'<svg{head} viewBox="0 0 {w} {h}" width="{w}" height="{h}" style="width:100%; max-width:{w}px; '
                f'min-width:{min_scale * self.width:.0f}px; height:auto">{body}</svg>')


def path_data(points: Sequence[tuple[float, float]]) -> str:
    """The path data of a polyline through ``points`` (pixels)."""
    return "M" + "L".join(f"{_num(x)} {_num(y)}" for x, y in points)


# ---------------------------------------------------------------------------- reading back (tests)
def parse_view(text: str) -> ET.Element:
    """A view's HTML as an XML tree (it must be well-formed: the tests rely on it)."""
    return ET.fromstring(re.sub(r"<style>.*?</style>", "", text, flags=re.S))


def _named(text: str, name: str) -> ET.Element:
    found = [el for el in parse_view(text).iter() if el.get("data-name") == name]
    if not found:
        raise KeyError(f"no chart or group {name!r} in the view")
    return found[0]


def marks(text: str, name: str) -> np.ndarray:
    """The ``data-v`` values of the marks in the chart or group ``data-name=name`` of a view, in drawing order."""
    return np.array([float(el.get("data-v")) for el in _named(text, name).iter() if el.get("data-v") is not None])


def matrix(text: str, name: str) -> np.ndarray:
    """The values of the heatmap ``data-name=name`` of a view, as its (rows, cols) matrix."""
    el = _named(text, name)
    return marks(text, name).reshape(int(el.get("data-rows")), int(el.get("data-cols")))


def off_marks(text: str, name: str) -> np.ndarray:
    """The values marked at the edge of the chart ``name`` (off its axis range, inf, NaN), in drawing order."""
    return np.array([float(el.get("data-off")) for el in _named(text, name).iter() if el.get("data-off") is not None])

