"""Small SVG charts that rnnviz draws itself: bars, lines, points, heatmaps and colour bars.

Why not plotly here: plotly's widget redraws a *whole* figure on every update (a full
``layoutReplot``, 50-120 ms for a lesson's figure in the Voila page, measured 2026-11-26, see
:mod:`rnnviz.viz.live`). A view that moves with a slider is therefore drawn as SVG in an
ipywidgets ``HTML`` widget, which the browser swaps in a few milliseconds. Hovering a mark
shows its value (an SVG ``<title>``).

Conventions, relied on by the tests and the browser tests:

* the root of a view has the class :data:`VIEW_CLASS`;
* every data mark (bar, heatmap cell, point) carries ``data-v`` (its value) and a ``<title>``;
* every chart is an ``<svg data-name="...">``; :func:`marks` reads the values back.

Text goes through :func:`esc` (plain text) or :func:`markup` (a little HTML: ``<sub>``,
``<sup>``, ``<b>``, ``<i>``), so a student's sentence can never inject markup.
"""

from __future__ import annotations

import functools
import html
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence

import numpy as np
from plotly.colors import get_colorscale

__all__ = [
    "MISSING", "PANEL_CSS", "VIEW_CLASS", "Chart", "colour_of", "colourbar", "esc", "fmt", "heatmap", "legend",
    "log_range", "log_ticks", "markup", "marks", "matrix", "nice_ticks", "panel", "parse_view", "scale_colour",
    "sequential_colour", "view",
]

#: CSS class of the root element of a view rnnviz draws itself (the browser tests look for it)
VIEW_CLASS = "rnnviz-view"
FONT = 13  # px, tick labels; titles are HTML (16 px in the app's CSS)
AXIS, GRID, TEXT, MUTED = "#6b7280", "#e5e7eb", "#111827", "#4b5563"
SCALE = "RdBu_r"  # diverging, red positive, as the plotly heatmaps of the other lessons
_TAG = re.compile(r"(</?(?:sub|sup|b|i)>|<br>)")
_OPEN = {"<sub>": '<tspan baseline-shift="sub" font-size="78%">', "<sup>": '<tspan baseline-shift="super" font-size="78%">',
         "<b>": '<tspan font-weight="bold">', "<i>": '<tspan font-style="italic">'}


def esc(text: object) -> str:
    """Plain text, escaped for HTML and SVG."""
    return html.escape(str(text), quote=True)


def markup(text: str) -> str:
    """``text`` with ``<sub>``, ``<sup>``, ``<b>``, ``<i>`` as SVG ``<tspan>``s; everything else escaped.

    Entities (``&amp;``) are kept as such; ``<br>`` becomes a space (an SVG text has one line).
    """
    out = []
    for part in _TAG.split(text):
        if part in _OPEN:
            out.append(_OPEN[part])
        elif part.startswith("</"):
            out.append("</tspan>")
        elif part == "<br>":
            out.append(" ")
        else:
            out.append(html.escape(html.unescape(part), quote=False))
    return "".join(out)


def html_markup(text: str) -> str:
    """``text`` for HTML (a legend, outside any SVG): ``<sub>``, ``<sup>``, ``<b>``, ``<i>``, ``<br>`` kept, the
    rest escaped. (:func:`markup` writes SVG ``<tspan>``s, which HTML shows as plain text.)"""
    return "".join(part.replace("<br>", "<br/>") if _TAG.fullmatch(part) else html.escape(html.unescape(part), quote=False)
                   for part in _TAG.split(text))


def fmt(v: float, digits: int = 3) -> str:
    """A number for a label: ``digits`` significant digits, a real minus sign."""
    s = f"{float(v):.{digits}g}"
    return s.replace("-", "\u2212") if s not in ("-0", "-0.0") else "0"


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


def log_range(*arrays, pad: float = 0.3, floor: float = 1e-300) -> tuple[float, float]:
    """A log-axis range holding every positive finite value of ``arrays``, padded by ``pad`` decades each side."""
    vals = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays] or [np.ones(1)])
    vals = vals[np.isfinite(vals) & (vals > 0)]
    if vals.size == 0:
        return 0.1, 10.0
    lo, hi = math.log10(max(vals.min(), floor)), math.log10(vals.max())
    if hi - lo < 1:
        mid = (hi + lo) / 2
        lo, hi = mid - 0.5, mid + 0.5
    return 10 ** (lo - pad), 10 ** min(hi + pad, 307.0)


@functools.cache
def _colour_stops(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The positions (k,) and RGB values (k, 3) of a named plotly colour scale, resolved once.

    plotly's ``sample_colorscale`` resolves the name on every call (about 0.5 ms); the step table
    colours 192 cells per move of t.
    """
    scale = get_colorscale(name)
    pos = np.array([float(p) for p, _ in scale])
    rgb = np.array([[int(colour[k:k + 2], 16) for k in (1, 3, 5)] if colour.startswith("#")
                    else [float(c) for c in re.findall(r"[\d.]+", colour)[:3]] for _, colour in scale], dtype=float)
    return pos, rgb


def scale_colour(u: float, name: str = "RdBu_r") -> str:
    """The colour at ``u`` in [0, 1] of a named plotly colour scale, as ``sample_colorscale`` gives it."""
    pos, rgb = _colour_stops(name)
    u = float(np.clip(u, 0.0, 1.0))
    r, g, b = (round(float(np.interp(u, pos, rgb[:, i]))) for i in range(3))
    return f"rgb({r}, {g}, {b})"


#: colour of a heatmap cell without a value (NaN or inf)
MISSING = "#d1d5db"


def sequential_colour(v: float, lo: float, hi: float, name: str = "Viridis") -> str:
    """The colour of ``v`` on a sequential scale from ``lo`` to ``hi``; :data:`MISSING` for NaN or inf."""
    if not math.isfinite(v):
        return MISSING
    return scale_colour(0.5 if hi <= lo else (v - lo) / (hi - lo), name)


def colour_of(v: float, vmax: float) -> str:
    """The colour of ``v`` on the diverging scale from -vmax (blue) through 0 (white) to +vmax (red)."""
    u = 0.0 if vmax <= 0 or not math.isfinite(v) else float(np.clip(v / vmax, -1.0, 1.0))
    return scale_colour((u + 1) / 2, SCALE)


class Chart:
    """One plotting area of ``width`` x ``height`` px mapping data (x range, y range) to pixels.

    Marks are added in drawing order (grid first); :meth:`svg` returns the ``<svg>``. Categorical
    x axes use positions 0 ... n-1 with the range (-0.5, n - 0.5).
    """

    def __init__(self, width: int, height: int, x: tuple[float, float], y: tuple[float, float], *,
                 left: int = 46, right: int = 10, top: int = 12, bottom: int = 34, y_log: bool = False):
        self.width, self.height = int(width), int(height)
        self.x0, self.x1 = (float(v) for v in x)
        self.y_log = bool(y_log)
        if self.y_log and not (min(y) > 0 and math.isfinite(max(y))):
            raise ValueError(f"Chart: a log axis needs a positive, finite range, got y={y}")
        self.y0, self.y1 = (math.log10(v) if self.y_log else float(v) for v in y)
        if not (self.x1 > self.x0 and self.y1 > self.y0):
            raise ValueError(f"Chart: empty range x={x}, y={y}")
        self.left, self.right, self.top, self.bottom = left, right, top, bottom
        self.parts: list[str] = []

    # ------------------------------------------------------------------ geometry
    def px(self, x: float) -> float:
        return self.left + (float(x) - self.x0) / (self.x1 - self.x0) * (self.width - self.left - self.right)

    def py(self, y: float) -> float:
        """The pixel row of ``y`` (clipped to the range); NaN for a value a log axis cannot show (<= 0, inf, NaN)."""
        y = float(y)
        if self.y_log:
            if not (y > 0 and math.isfinite(y)):
                return math.nan
            y = math.log10(y)
        elif not math.isfinite(y):
            return math.nan
        y = float(np.clip(y, self.y0, self.y1))
        return self.height - self.bottom - (y - self.y0) / (self.y1 - self.y0) * (self.height - self.top - self.bottom)

    # ------------------------------------------------------------------ axes
    def y_grid(self, ticks: Sequence[float] | None = None, *, labels: Sequence[str] | None = None) -> Chart:
        """Horizontal grid lines with labels (markup) at the left; the zero line darker.

        On a log axis the default ticks are powers of ten (every k-th decade, at most 6), labelled 10<sup>k</sup>.
        """
        if ticks is None and self.y_log:
            ticks, default = log_ticks(10 ** self.y0, 10 ** self.y1)
            labels = default if labels is None else labels
        ticks = nice_ticks(self.y0, self.y1) if ticks is None else list(ticks)
        labels = [fmt(t) for t in ticks] if labels is None else labels
        x0, x1 = self.left, self.width - self.right
        for t, label in zip(ticks, labels):
            y = self.py(t)
            if not math.isfinite(y):
                continue
            colour = AXIS if t == 0 and not self.y_log else GRID
            self.parts.append(f'<line x1="{x0}" x2="{x1}" y1="{y:.1f}" y2="{y:.1f}" stroke="{colour}"/>'
                              f'<text x="{x0 - 5}" y="{y + 4:.1f}" text-anchor="end" fill="{MUTED}">{markup(label)}</text>')
        return self

    def x_grid(self, ticks: Sequence[float] | None = None) -> Chart:
        """Vertical grid lines with numeric labels below."""
        ticks = nice_ticks(self.x0, self.x1) if ticks is None else list(ticks)
        y0, y1 = self.top, self.height - self.bottom
        for t in ticks:
            x = self.px(t)
            self.parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1}" stroke="{AXIS if t == 0 else GRID}"/>'
                              f'<text x="{x:.1f}" y="{y1 + 15}" text-anchor="middle" fill="{MUTED}">{fmt(t)}</text>')
        return self

    def x_labels(self, labels: Sequence[str], *, every: int = 1, size: int = FONT, bold: int | None = None) -> Chart:
        """Category labels under positions 0 ... n-1 (every ``every``-th; position ``bold`` in bold)."""
        y = self.height - self.bottom + 15
        room = every * (self.px(1) - self.px(0))  # px between two shown labels
        for i, label in enumerate(labels):
            if i % every and i != bold:
                continue
            weight = ' font-weight="bold"' if i == bold else ""
            fit = max(8, min(size, int(room / (0.62 * max(len(label), 1)))))  # a long label ("unk") shrinks to fit
            self.parts.append(f'<text x="{self.px(i):.1f}" y="{y}" text-anchor="middle" font-size="{fit}"'
                              f'{weight} fill="{TEXT}">{esc(label)}</text>')
        return self

    def x_title(self, text: str) -> Chart:
        x = (self.left + self.width - self.right) / 2
        self.parts.append(f'<text x="{x:.1f}" y="{self.height - 4}" text-anchor="middle" fill="{MUTED}">'
                          f"{markup(text)}</text>")
        return self

    def y_title(self, text: str) -> Chart:
        y = (self.top + self.height - self.bottom) / 2
        self.parts.append(f'<text transform="translate(12 {y:.1f}) rotate(-90)" text-anchor="middle" fill="{MUTED}">'
                          f"{markup(text)}</text>")
        return self

    # ------------------------------------------------------------------ marks
    def group(self, name: str) -> Chart:
        """Start a named group of marks (``marks(view, name)`` reads it); :meth:`end` closes it."""
        self.parts.append(f'<g data-name="{esc(name)}">')
        return self

    def end(self) -> Chart:
        self.parts.append("</g>")
        return self

    def bar(self, x: float, y0: float, y1: float, colour: str, tip: str, value: float, *, width: float = 0.8,
            outline: str | None = None) -> Chart:
        """A bar at position ``x`` from ``y0`` to ``y1`` (data units), ``width`` of a category wide."""
        a, b = self.px(x - width / 2), self.px(x + width / 2)
        if self.y_log:
            y0 = 10 ** self.y0 if not y0 > 0 else y0  # a bar from 0 starts at the bottom of a log axis
        top, bottom = sorted((self.py(y0), self.py(y1)))
        if not (math.isfinite(top) and math.isfinite(bottom)):
            return self
        stroke = f' stroke="{outline}" stroke-width="2"' if outline else ""
        self.parts.append(f'<rect x="{a:.1f}" y="{top:.1f}" width="{max(b - a, 1):.1f}" height="{max(bottom - top, 0.5):.1f}" '
                          f'fill="{colour}"{stroke} data-v="{float(value)!r}"><title>{esc(tip)}</title></rect>')
        return self

    def line(self, xs: Sequence[float], ys: Sequence[float], colour: str, *, width: float = 1.5,
             dash: str | None = None) -> Chart:
        """A line through the points; a value the axis cannot show (NaN, inf, <= 0 on a log axis) breaks it."""
        dashed = f' stroke-dasharray="{dash}"' if dash else ""
        runs: list[list[str]] = [[]]
        for x, y in zip(xs, ys):
            py = self.py(y)
            if math.isfinite(py) and math.isfinite(float(x)):
                runs[-1].append(f"{self.px(x):.1f},{py:.1f}")
            elif runs[-1]:
                runs.append([])
        for run in runs:
            if run:
                self.parts.append(f'<polyline points="{" ".join(run)}" fill="none" stroke="{colour}" '
                                  f'stroke-width="{width}"{dashed}/>')
        return self

    def point(self, x: float, y: float, colour: str, tip: str, value: float, *, r: float = 3.5,
              shape: str = "circle", opacity: float = 1.0) -> Chart:
        """A point; ``shape`` "circle" or "diamond". Nothing is drawn for a value the axis cannot show."""
        cx, cy = self.px(x), self.py(y)
        if not math.isfinite(cy):
            return self
        alpha = f' fill-opacity="{opacity}"' if opacity < 1 else ""
        title = f'data-v="{float(value)!r}"><title>{esc(tip)}</title>'
        if shape == "diamond":
            self.parts.append(f'<path d="M{cx:.1f} {cy - r:.1f}L{cx + r:.1f} {cy:.1f}L{cx:.1f} {cy + r:.1f}'
                              f'L{cx - r:.1f} {cy:.1f}Z" fill="{colour}" stroke="white" stroke-width="1"{alpha} {title}</path>')
        else:
            self.parts.append(f'<circle cx="{cx:.1f}" cy="{cy:.1f}" r="{r}" fill="{colour}"{alpha} {title}</circle>')
        return self

    def text(self, x: float, y: float, text: str, *, colour: str = TEXT, anchor: str = "middle", dy: float = 0,
             dx: float = 0, bold: bool = False) -> Chart:
        weight = ' font-weight="bold"' if bold else ""
        self.parts.append(f'<text x="{self.px(x) + dx:.1f}" y="{self.py(y) + dy:.1f}" text-anchor="{anchor}" '
                          f'fill="{colour}"{weight}>{markup(text)}</text>')
        return self

    def svg(self, name: str) -> str:
        return (f'<svg data-name="{esc(name)}" width="{self.width}" height="{self.height}" '
                f'viewBox="0 0 {self.width} {self.height}" font-size="{FONT}" style="display:block; overflow:visible">'
                + "".join(self.parts) + "</svg>")


def heatmap(z: np.ndarray, row_labels: Sequence[str], col_labels: Sequence[str], vmax: float, *, name: str,
            what: str, x_title: str = "", y_title: str = "", caption: str = "", cell: tuple[int, int] | None = None,
            max_width: int = 230, left: int | None = None, col_size: int | None = None,
            column_boxes: str | None = None, vrange: tuple[float, float] | None = None, scale: str = "Viridis",
            digits: int | None = None) -> str:
    """A matrix as coloured cells (rows top to bottom) on the scale +-``vmax``; hover shows each value.

    ``cell`` is (width, height) in px; by default as wide as ``max_width`` allows, 9 to 24 px.
    ``caption`` (markup) is written above the cells; ``left`` fixes the left margin (to align columns with a
    chart below); ``col_size`` sets the font size of the column labels. ``column_boxes``: a CSS class; every
    column gets an outline of that class with ``data-col`` (1-based), for a style to show one (lesson 2's
    current time-stamp: :func:`rnnviz.viz.cellstep.now_style`). ``vrange=(lo, hi)`` colours on the sequential
    ``scale`` instead of the diverging +-``vmax`` one; a NaN or inf cell is grey (:data:`MISSING`), its hover
    says "no value". ``digits``: significant digits in the hover text (default: 4 decimals).
    """
    z = np.asarray(z, dtype=float)
    if z.ndim != 2 or z.shape != (len(row_labels), len(col_labels)):
        raise ValueError(f"heatmap {name}: z has shape {z.shape}, labels {len(row_labels)} x {len(col_labels)}")
    rows, cols = z.shape
    cw, ch = cell or (int(np.clip(max_width // max(cols, 1), 9, 24)), int(np.clip(180 // max(rows, 1), 9, 24)))
    left = left if left is not None else 8 + 8 * max(len(s) for s in row_labels) + (18 if y_title else 0)
    bottom = 20 + (18 if x_title else 0)
    top = 22 if caption else 4
    width, height = left + cw * cols + 4, top + ch * rows + bottom
    parts = [f'<text x="{left + cw * cols / 2:.1f}" y="14" text-anchor="middle" fill="{TEXT}">{markup(caption)}</text>'
             if caption else ""]
    for i in range(rows):
        for j in range(cols):
            v = z[i, j]
            colour = sequential_colour(v, *vrange, scale) if vrange is not None else (
                colour_of(v, vmax) if math.isfinite(v) else MISSING)
            shown = "no value" if not math.isfinite(v) else f"{v:.4f}" if digits is None else fmt(v, digits)
            parts.append(f'<rect x="{left + j * cw}" y="{top + i * ch}" width="{cw}" height="{ch}" '
                         f'fill="{colour}" data-v="{float(v)!r}"><title>{esc(what)}, row {esc(row_labels[i])}, '
                         f'column {esc(col_labels[j])}: {shown}</title></rect>')
    small = 11 if min(cw, ch) < 14 else FONT
    row_every = 1 if ch >= 12 else 2
    for i, label in enumerate(row_labels):
        if i % row_every:
            continue
        parts.append(f'<text x="{left - 4}" y="{top + i * ch + ch / 2 + 4:.1f}" text-anchor="end" font-size="{small}" '
                     f'fill="{TEXT}">{esc(label)}</text>')
    every = 1 if cw >= 12 else 2
    for j, label in enumerate(col_labels):
        if j % every == 0:
            size = col_size if col_size is not None else small
            parts.append(f'<text class="rnnviz-col" x="{left + j * cw + cw / 2:.1f}" y="{top + rows * ch + 14}" '
                         f'text-anchor="middle" font-size="{size}" fill="{TEXT}">{esc(label)}</text>')
    parts.append(f'<rect x="{left}" y="{top}" width="{cw * cols}" height="{ch * rows}" fill="none" stroke="{GRID}"/>')
    if column_boxes is not None:
        parts += [f'<rect class="{esc(column_boxes)}" data-col="{j + 1}" x="{left + j * cw - 1}" y="{top - 1}" '
                  f'width="{cw + 2}" height="{ch * rows + 2}" fill="none" stroke="{TEXT}" stroke-width="3"/>'
                  for j in range(cols)]
    if x_title:
        parts.append(f'<text x="{left + cw * cols / 2:.1f}" y="{height - 3}" text-anchor="middle" fill="{MUTED}">'
                     f"{markup(x_title)}</text>")
    if y_title:
        parts.append(f'<text transform="translate(12 {top + rows * ch / 2:.1f}) rotate(-90)" text-anchor="middle" '
                     f'fill="{MUTED}">{markup(y_title)}</text>')
    return (f'<svg data-name="{esc(name)}" data-rows="{rows}" data-cols="{cols}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-size="{FONT}" style="display:block">' + "".join(parts) + "</svg>")


def colourbar(vmax: float, *, title: str, height: int = 180, steps: int = 40,
              vrange: tuple[float, float] | None = None, scale: str = "Viridis") -> str:
    """A vertical colour bar for the diverging scale +-``vmax`` (or ``vrange`` on the sequential ``scale``, as
    :func:`heatmap` takes them), ticks on the right, ``title`` above."""
    bar_w, top = 14, 22
    lo, hi = vrange if vrange is not None else (-vmax, vmax)
    lo, hi = (float(lo), float(hi)) if hi > lo else (float(lo) - 1, float(lo) + 1)
    parts = [f'<text x="0" y="13" fill="{MUTED}">{markup(title)}</text>']
    h = height / steps
    for k in range(steps):
        v = hi - (hi - lo) * (k + 0.5) / steps
        colour = sequential_colour(v, lo, hi, scale) if vrange is not None else colour_of(v, vmax)
        parts.append(f'<rect x="0" y="{top + k * h:.2f}" width="{bar_w}" height="{h + 0.6:.2f}" fill="{colour}"/>')
    parts.append(f'<rect x="0" y="{top}" width="{bar_w}" height="{height}" fill="none" stroke="{GRID}"/>')
    for t in nice_ticks(lo, hi, 4):
        y = top + (hi - t) / (hi - lo) * height
        parts.append(f'<line x1="{bar_w}" x2="{bar_w + 4}" y1="{y:.1f}" y2="{y:.1f}" stroke="{AXIS}"/>'
                     f'<text x="{bar_w + 6}" y="{y + 4:.1f}" fill="{MUTED}" font-size="12">{fmt(t, 2)}</text>')
    width = 64
    return (f'<svg data-name="colourbar" width="{width}" height="{top + height + 6}" '
            f'viewBox="0 0 {width} {top + height + 6}" font-size="{FONT}" style="display:block">' + "".join(parts) + "</svg>")


def panel(title: str, *svgs: str, note: str = "") -> str:
    """A titled panel: ``title`` (trusted HTML) above the SVGs side by side, an optional ``note`` below."""
    body = "".join(svgs)
    foot = f'<div class="rnnviz-panel-note">{note}</div>' if note else ""
    return (f'<div class="rnnviz-panel"><div class="rnnviz-panel-title">{title}</div>'
            f'<div style="display:flex; align-items:flex-start; gap:4px">{body}</div>{foot}</div>')


def legend(items: Sequence[tuple[str, str, str]]) -> str:
    """A one-line legend (HTML): ``(label markup, colour, kind)`` with kind "line", "dash", "dot", "bar" or "point"."""
    out = []
    for label, colour, kind in items:
        if kind == "bar":
            mark = f'<rect x="3" y="3" width="16" height="10" fill="{colour}"/>'
        elif kind == "point":
            mark = f'<circle cx="11" cy="8" r="4" fill="{colour}"/>'
        else:
            dash = {"dash": ' stroke-dasharray="6 3"', "dot": ' stroke-dasharray="2 3"'}.get(kind, "")
            mark = f'<line x1="1" x2="21" y1="8" y2="8" stroke="{colour}" stroke-width="2"{dash}/>'
        out.append(f'<span class="rnnviz-key"><svg width="22" height="16" viewBox="0 0 22 16">{mark}</svg>'
                   f"<span>{html_markup(label)}</span></span>")
    return f'<div class="rnnviz-legend">{"".join(out)}</div>'


#: Styles of the panels of a view (inside the view, so a view is self-contained in a notebook too)
PANEL_CSS = (
    "<style>.rnnviz-view .rnnviz-panels{display:flex; flex-wrap:wrap; gap:14px 30px; align-items:flex-start}"
    ".rnnviz-view .rnnviz-panel-title{text-align:center; font-size:15px; line-height:1.3; margin:0 0 4px 0;"
    " min-height:2.6em}"
    ".rnnviz-view .rnnviz-panel-note{font-size:13px; color:#374151; margin-top:4px; line-height:1.5}"
    ".rnnviz-view svg text{font-family:inherit}"
    ".rnnviz-view .rnnviz-legend{display:flex; flex-wrap:wrap; gap:2px 16px; font-size:13px; color:#374151;"
    " margin:2px 0}"
    ".rnnviz-view .rnnviz-key{display:inline-flex; align-items:center; gap:4px}</style>"
)


def view(*panels: str, name: str) -> str:
    """The root of a view: the panels side by side, wrapping in a narrow page."""
    return (f'<div class="{VIEW_CLASS}" data-name="{esc(name)}">{PANEL_CSS}'
            f'<div class="rnnviz-panels">{"".join(panels)}</div></div>')


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
