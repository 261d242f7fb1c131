r"""Views of lesson 6: what truncated BPTT drops, and what clipping does to a gradient and to training.

Drawn as SVG by rnnviz (:mod:`rnnviz.viz.svg`), not plotly: plotly's widget redraws a whole
figure on every update, and its browser side (anywidget) gives a model 2 s to start, which slow
classroom browsers missed (a dead figure). With plotly the page was ready in 4.57 s, a move of k
took 74 ms (p95 97 ms); drawn here 2.35 s, k 31 ms (p95 42 ms), c 38 ms (p95 46 ms) (benchmarks/bench_app.py,
20 moves, 2026-11-26). Pure functions return the HTML of each view:

* :func:`flow_html` -- **truncated BPTT, per spectral radius**: the gradient-flow map
  log10 ||dL_s/dh_t|| (row s, column t; blank above the diagonal, grey "no value" for a zero) with,
  for *every* window k, the entries it drops (grey, one mark per row) and the outlines of its
  windows, all hidden; :func:`window_style` shows those of one k. A move of k therefore sends
  :func:`window_html` only: the gap curves (all parameters, W_hh alone) with the current k marked,
  and that one-line style.
* :func:`clip_html` -- **clipping one gradient at threshold c**: each entry before (x) and after (y)
  clipping by value and by norm, with y = x and +-c; the cosine to the original gradient for every
  threshold, with c marked.
* :func:`training_html` -- **training with and without clipping**: the loss and the gradient norm
  of every step (log scales), where a run blew up (an x), the max_norm line. Drawn during a run
  too (the runs so far); before any run a view marked empty (``data-empty="1"``) with a hint.

Every data mark carries ``data-v`` (its value) and a hover ``<title>``; the marks of a line also
carry ``data-x`` (the x of the point: the step, or the threshold c). inf and NaN are never drawn
as numbers: lines break there (a run that leaves the top of a panel is cut at the edge).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from .gradients import BLUE, GREY, ORANGE, RED, log_flow
from .svg import (
    PANEL_CSS, VIEW_CLASS, Chart, colourbar, esc, fmt, legend, log_ticks, markup, nice_ticks, panel,
    sequential_colour, view,
)

__all__ = [
    "CLIP_COLORS",
    "DROPPED",
    "clip_html",
    "flow_html",
    "kept_by_truncation",
    "log_x_grid",
    "training_html",
    "window_html",
    "window_outlines",
    "window_style",
]

DROPPED = "rgba(110, 110, 110, 0.62)"
OUTLINE = "#f8fafc"
ABOVE = "#ffffff"  # t > s: the loss at s does not depend on later states
#: the colour of each clipping kind, the same in every panel (and for the run trained with it)
CLIP_COLORS = {"value": ORANGE, "norm": BLUE}
MAX_MARKS = 100  # hover marks per training curve (the line itself has every step)


# =========================================================================== shared helpers
def log_x_grid(c: Chart, lo: float, hi: float) -> Chart:
    """Vertical grid lines at the powers of ten in [lo, hi], labelled 10<sup>k</sup>, on a chart whose x axis is
    in log10 units (``Chart`` has a log y axis only). Generic: a candidate for :mod:`rnnviz.viz.svg`."""
    ticks, labels = log_ticks(lo, hi)
    y0, y1 = c.top, c.height - c.bottom
    for t, label in zip(ticks, labels):
        x = c.px(math.log10(t))
        c.parts.append(f'<line x1="{x:.1f}" x2="{x:.1f}" y1="{y0}" y2="{y1}" stroke="#e5e7eb"/>'
                       f'<text x="{x:.1f}" y="{y1 + 16}" text-anchor="middle" fill="#4b5563">{markup(label)}</text>')
    return c


def _hover(c: Chart, name: str, xs, ys, colour: str, tips: Sequence[str], *, r: float = 4.5,
           opacity: float = 0.0, xs_data=None, with_x: bool = True) -> Chart:
    """A group ``name`` of point marks (``data-v`` = y, ``data-x`` = x unless ``with_x`` is False) at the points the
    chart can show, invisible by default: the line through them is drawn by :meth:`Chart.line`; these give it hover
    values and make it readable back. Colour and opacity are set once on the group (hundreds of points per move)."""
    c.parts.append(f'<g data-name="{esc(name)}" fill="{colour}" fill-opacity="{opacity}">')
    xs_data = xs if xs_data is None else xs_data
    for x, y, xd, tip in zip(xs, ys, xs_data, tips):
        cy = c.py(y)
        if not math.isfinite(cy):
            continue
        at = f' data-x="{float(xd)!r}"' if with_x else ""
        c.parts.append(f'<circle cx="{c.px(x):.1f}" cy="{cy:.1f}" r="{r}"{at} data-v="{float(y)!r}">'
                       f"<title>{esc(tip)}</title></circle>")
    return c.end()


def _ring(c: Chart, x: float, y: float, colour: str, tip: str, value: float, *, r: float = 7) -> Chart:
    """An open circle (the current window or threshold) with its value."""
    cy = c.py(y)
    if math.isfinite(cy):
        c.parts.append(f'<circle cx="{c.px(x):.1f}" cy="{cy:.1f}" r="{r}" fill="white" fill-opacity="0.01" '
                       f'stroke="{colour}" stroke-width="3" data-v="{float(value)!r}"><title>{esc(tip)}</title></circle>')
    return c


def _label(c: Chart, x: float, y: float, text: str, colour: str, *, right: bool = False, dy: float = -10) -> Chart:
    """A bold label beside a point, with a white halo so that it stays readable over the curves under it."""
    cx, cy = c.px(x) + (-11 if right else 11), c.py(y)
    if math.isfinite(cy):
        c.parts.append(f'<text x="{cx:.1f}" y="{cy + dy:.1f}" text-anchor="{"end" if right else "start"}" fill="{colour}" '
                       f'font-weight="bold" stroke="white" stroke-width="4" paint-order="stroke">{markup(text)}</text>')
    return c


# =========================================================================== truncated BPTT
def kept_by_truncation(T: int, window: int) -> np.ndarray:
    """(T, T) booleans: entry [s, t] (0-based) is True when truncated BPTT with windows of ``window``
    time-stamps still carries the loss at time s back to the state at time t.

    Windows are [0, k), [k, 2k), ...: the loss at s reaches h_t only when t <= s and both lie in
    the same window (s // k == t // k). With k >= T nothing is dropped.
    """
    idx = np.arange(T)
    same = (idx[:, None] // window) == (idx[None, :] // window)
    return same & (idx[None, :] <= idx[:, None])


def window_outlines(T: int, window: int) -> tuple[list, list]:
    """x, y of the outline of each window's kept cells (1-based time-stamps, None-separated).

    Cell (t, s) covers [t - 1/2, t + 1/2] x [s - 1/2, s + 1/2]; a window's kept cells (t <= s) form a
    staircase triangle: down its left edge, along its bottom, then up the steps of the diagonal.
    """
    xs: list = []
    ys: list = []
    for a in range(0, T, window):
        b = min(a + window, T)
        lo, hi = a + 0.5, b + 0.5
        px, py = [lo, lo, hi], [lo, hi, hi]
        for edge in np.arange(hi, lo, -1.0):  # one step per row, from the bottom row up
            px += [edge, edge - 1]
            py += [edge - 1, edge - 1]
        xs += [float(v) for v in px] + [None]
        ys += [float(v) for v in py] + [None]
    return xs, ys


def _dropped_sizes(z_row: np.ndarray) -> str:
    """What the grey mark of one row hides: the largest log10 entry it drops and where (the cells under it
    cannot be hovered)."""
    finite = np.isfinite(z_row)
    if not finite.any():
        return "; none of them has a value"
    t = int(np.argmax(np.where(finite, z_row, -np.inf)))  # no NaN left to skip
    return f"; the largest of them, at t = {t + 1}: log10 ||dL_s/dh_t|| = {z_row[t]:.2f}"


def window_style(view_id: str, k: int) -> str:
    """The CSS that shows window ``k``'s dropped entries and outlines in the flow view ``view_id``."""
    return (f'<style>.rnnviz-flow[data-view="{esc(view_id)}"] .rnnviz-window[data-k="{int(k)}"]'
            "{display:inline}</style>")


def flow_html(flow: np.ndarray, *, view_id: str, windows: Sequence[int] | None = None) -> str:
    """The gradient-flow map with what each window k drops (hidden until :func:`window_style` shows one).

    flow: (T, T), row s, column t (0-based) = ||dL_s/dh_t|| (``rnnviz.core.diagnostics.gradient_flow``); 0 above
    the diagonal. Cells: data-v = log10 of the entry (NaN where there is none), row by row (group ``log_flow``). For each k of
    ``windows`` (default 1 ... T) a group ``window_k{k}`` (class ``rnnviz-window``, ``data-k``): one grey mark per
    row s with dropped entries, covering t = 1 ... a (data-v = a, the number of dropped terms), and the windows'
    outlines.
    """
    z = log_flow(flow)
    T = z.shape[0]
    if z.shape != (T, T):
        raise ValueError(f"flow_html: expected a (T, T) flow map, got shape {z.shape}")
    windows = range(1, T + 1) if windows is None else [int(k) for k in windows]
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    cs = int(np.clip(380 // max(T, 1), 8, 18))  # px per cell
    # top = 22: the cells start level with the colour bar's (colourbar draws its title above them)
    c = Chart(52 + cs * T + 6, 22 + cs * T + 40, (0.5, T + 0.5), (0.5, T + 0.5), left=52, right=6, top=22, bottom=40)

    def row(s: float) -> float:  # loss time s (1-based) -> y of the chart, s = 1 at the top
        return T + 1 - s

    c.group("log_flow")
    for s in range(1, T + 1):
        for t in range(1, T + 1):
            v = z[s - 1, t - 1]
            if t > s:
                colour, tip = ABOVE, f"s = {s}, t = {t}: no path (t > s)"
            else:
                colour = sequential_colour(v, lo, hi, "Viridis")
                shown = f"{v:.2f}" if math.isfinite(v) else "no value (0)"
                tip = f"s = {s}, t = {t}: log10 ||dL_s/dh_t|| = {shown}"
            c.bar(t, row(s) - 0.5, row(s) + 0.5, colour, tip, v, width=1.0)
    c.end()
    # labels: rows every time-stamp if the cells are tall enough; columns every other one once they have two digits
    small = 11 if cs < 16 else 12
    rows_every = 1 if cs >= 13 else 2
    cols_every = 1 if cs >= 20 or T < 10 else 2
    for s in range(1, T + 1):
        if (s - 1) % rows_every == 0:
            c.parts.append(f'<text x="{c.left - 4}" y="{c.py(row(s)) + 4:.1f}" text-anchor="end" font-size="{small}" '
                           f'fill="#111827">{s}</text>')
        if (s - 1) % cols_every == 0:
            c.parts.append(f'<text x="{c.px(s):.1f}" y="{c.height - c.bottom + 14}" text-anchor="middle" '
                           f'font-size="{small}" fill="#111827">{s}</text>')
    for k in windows:
        c.parts.append(f'<g class="rnnviz-window" data-k="{k}" data-name="window_k{k}">')
        for s in range(1, T + 1):
            a = ((s - 1) // k) * k  # sources t = 1 ... a are in earlier windows: dropped
            if a == 0:
                continue
            c.bar((a + 1) / 2, row(s) - 0.5, row(s) + 0.5, DROPPED,
                  f"k = {k}, s = {s}: h_1 ... h_{a} dropped (crosses a window boundary){_dropped_sizes(z[s - 1, :a])}",
                  a, width=float(a))
        xs, ys = window_outlines(T, k)
        c.line([math.nan if x is None else x for x in xs], [math.nan if y is None else row(y) for y in ys], OUTLINE,
               width=2)
        c.parts.append("</g>")
    c.parts.append(f'<rect x="{c.left}" y="{c.top}" width="{cs * T}" height="{cs * T}" fill="none" stroke="#e5e7eb"/>')
    c.x_title("source time t").y_title("loss time s")
    bar = colourbar(0, title="log<sub>10</sub>", vrange=(lo, hi), height=cs * T)
    note = legend([("dropped by your window k", DROPPED, "bar"), ("no value: ||dL_s/dh_t|| = 0", "#d1d5db", "bar")])
    body = panel("gradient flow log<sub>10</sub> ‖dL<sub>s</sub>/dh<sub>t</sub>‖ (row s, column t)<br/>"
                 "grey: dropped by your window; white outlines: the windows", c.svg("flow_map"), bar,
                 note=_narrow(note, c.width + 64))
    return (f'<div class="{VIEW_CLASS} rnnviz-flow" data-name="flow" data-view="{esc(view_id)}">{PANEL_CSS}'
            '<style>.rnnviz-flow .rnnviz-window{display:none}</style>'
            f'<div class="rnnviz-panels">{body}</div></div>')


def window_html(windows: Sequence[int], gap: np.ndarray, gap_whh: np.ndarray, window: int, *, view_id: str) -> str:
    """The gap to the exact gradient for every window k (all parameters, W_hh alone), the current k marked,
    and the style that shows k's dropped entries in the flow view ``view_id`` (:func:`window_style`)."""
    ks = np.asarray(windows, dtype=float)
    gap, gap_whh = np.asarray(gap, dtype=float), np.asarray(gap_whh, dtype=float)
    k = int(window)
    if k not in set(int(v) for v in ks):
        raise ValueError(f"window k: expected one of {int(ks[0])} ... {int(ks[-1])}, got {window!r}")
    g_now = float(gap[list(ks.astype(int)).index(k)])
    vals = np.r_[gap, gap_whh]
    top = float(np.max(vals[np.isfinite(vals)], initial=1e-3))
    top = max(top, 1e-3)
    c = Chart(470, 300, (0.5, ks[-1] + 0.5), (-0.03 * top, 1.1 * top), left=60, right=14, top=14, bottom=42)
    c.y_grid(nice_ticks(0, 1.05 * top, 5)).x_grid(nice_ticks(1, ks[-1], 6))
    c.line(ks, gap_whh, ORANGE, width=2, dash="6 4").line(ks, gap, BLUE, width=2)
    _hover(c, "gap_whh", ks, gap_whh, ORANGE, [f"k = {int(x)}: W_hh only, relative error {y:.3g}" for x, y in zip(ks, gap_whh)])
    _hover(c, "gap", ks, gap, BLUE, [f"k = {int(x)}: all parameters, relative error {y:.3g}" for x, y in zip(ks, gap)],
           r=2.8, opacity=1.0)
    c.group("window_now")
    _ring(c, k, g_now, RED, f"your window k = {k}: relative error {g_now:.3g}", g_now)
    c.end()
    right = k > 0.6 * ks[-1]
    _label(c, k, g_now, f"k = {k}: {g_now:.3g}", RED, right=right)
    c.x_title("window length k").y_title("‖g<sub>k</sub> − g‖ / ‖g‖")
    note = legend([("all parameters", BLUE, "line"), ("W<sub>hh</sub> only", ORANGE, "dash"),
                   ("your window k", RED, "point")])
    return (view(panel("gap to the exact gradient g, for every window k<br/>"
                       f"relative error ‖g<sub>k</sub> − g‖ / ‖g‖; 0 at k = {int(ks[-1])}", c.svg("gap_chart"),
                       note=_narrow(note, c.width)),
                 name="window")
            + window_style(view_id, k))


# =========================================================================== clipping one gradient
def clip_html(g: np.ndarray, by_value: np.ndarray, by_norm: np.ndarray, c: float, thresholds: np.ndarray,
              cos_value: np.ndarray, cos_norm: np.ndarray, cosines: tuple[float, float]) -> str:
    """1a: every entry of the gradient ``g`` before (x) and after clipping at ``c`` by value and by norm (groups
    ``by_value``, ``by_norm``; data-v = after, data-x = before), y = x and +-c; 1b: the cosine between the clipped
    and the original gradient for every threshold (groups ``cos_value``, ``cos_norm``, every 4th threshold; data-x =
    the threshold) with ``c`` marked (group ``c_now``: the two cosines at c)."""
    x = np.ravel(np.asarray(g, dtype=float))
    yv, yn = np.ravel(by_value), np.ravel(by_norm)
    c = float(c)
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"threshold c: expected a positive number, got {c!r}")
    lim = float(np.max(np.abs(x))) * 1.05 if x.size and np.max(np.abs(x)) > 0 else 1.0
    yl = min(c, lim) * 1.15
    shape = np.shape(g)
    cols = shape[-1] if len(shape) == 2 else max(x.size, 1)

    a = Chart(400, 340, (-lim, lim), (-yl, yl), left=60, right=12, top=12, bottom=42)  # 1a and 1b fit a 900 px page
    a.y_grid(nice_ticks(-yl, yl, 5)).x_grid(nice_ticks(-lim, lim, 5))
    m = min(lim, yl)
    a.line([-m, m], [-m, m], GREY, width=1.5, dash="2 3")
    if c < yl:
        for sign in (1, -1):
            a.line([-lim, lim], [sign * c, sign * c], RED, width=1, dash="6 4")
    for name, ys, colour in (("by_value", yv, ORANGE), ("by_norm", yn, BLUE)):
        kind = name.replace("_", " ")
        tips = [f"W_hh[{i // cols},{i % cols}] {kind}: {xv:.3g} → {y:.3g}" for i, (xv, y) in enumerate(zip(x, ys))]
        _hover(a, name, x, ys, colour, tips, r=3, opacity=0.75, with_x=False)
    a.x_title("entry before clipping").y_title("entry after clipping")
    note_a = legend([("clipped by value", ORANGE, "point"), ("clipped by norm", BLUE, "point"),
                     ("unchanged (y = x)", GREY, "dot"), ("threshold +c and −c" if c < yl else "±c: off the chart",
                                                           RED, "dash")])
    panel_a = panel(f"1a. each entry of the W<sub>hh</sub> gradient ({x.size}):<br/>before (x) and after (y) "
                    f"clipping at c = {fmt(c)}", a.svg("scatter"), note=_narrow(note_a, a.width))

    th = np.asarray(thresholds, dtype=float)
    lx = np.log10(th)
    b = Chart(400, 340, (lx[0], lx[-1]), (0, 1.05), left=52, right=14, top=12, bottom=42)
    b.y_grid([0, 0.2, 0.4, 0.6, 0.8, 1.0])
    log_x_grid(b, th[0], th[-1])
    b.line(lx, cos_value, ORANGE, width=2).line(lx, cos_norm, BLUE, width=3)
    pick = np.unique(np.r_[np.arange(0, len(th), 4), len(th) - 1])
    for name, ys, colour, kind in (("cos_value", cos_value, ORANGE, "by value"), ("cos_norm", cos_norm, BLUE, "by norm")):
        ys = np.asarray(ys, dtype=float)[pick]
        _hover(b, name, lx[pick], ys, colour, [f"c = {t:.3g}: cosine {kind} {y:.4f}" for t, y in zip(th[pick], ys)],
               xs_data=th[pick])
    lc = math.log10(c)
    if lx[0] <= lc <= lx[-1]:
        b.line([lc, lc], [0, 1.05], GREY, width=1, dash="4 3")
        b.group("c_now")
        _ring(b, lc, cosines[0], ORANGE, f"your c = {c:.3g}: cosine by value {cosines[0]:.4f}", cosines[0], r=6)
        _ring(b, lc, cosines[1], BLUE, f"your c = {c:.3g}: cosine by norm {cosines[1]:.4f}", cosines[1], r=6)
        b.end()
    b.x_title("threshold c (log scale)").y_title("cosine(clipped, original)")
    note_b = legend([("by value", ORANGE, "line"), ("by norm (always 1)", BLUE, "line"), ("your c", GREY, "dash")])
    panel_b = panel("1b. cosine(clipped, original) against the threshold c<br/>"
                    f"at c = {fmt(c)}: by value {cosines[0]:.3f}, by norm {cosines[1]:.3f}", b.svg("cosine"),
                    note=_narrow(note_b, b.width))
    return view(panel_a, panel_b, name="clip")


# =========================================================================== training
def _finite(values) -> np.ndarray:
    v = np.asarray(values, dtype=float)
    return v[np.isfinite(v) & (v > 0)]


def _log_range(runs_values: list, start: float, decades: float = 3.0) -> tuple[float, float] | None:
    """(lo, hi) covering the positive finite values, but at most ``decades`` above ``start``: a run that blows
    up leaves the top of the panel instead of squashing the others to a flat line."""
    vals = np.concatenate([_finite(v) for v in runs_values]) if runs_values else np.array([])
    if vals.size == 0:
        return None
    lo = math.log10(vals.min())
    hi = math.log10(vals.max())
    if math.isfinite(start) and start > 0:
        hi = min(hi, math.log10(start) + decades)
    hi = max(hi, lo + 1)
    return 10 ** (lo - 0.3), 10 ** (hi + 0.3)


def _leave_at_top(xs: np.ndarray, ys: np.ndarray, top: float) -> tuple[list, list]:
    """The line through (xs, ys) on a log axis, cut where it leaves the top ``top`` (a point on the edge, then a
    break) instead of running along the edge; inf/NaN/<= 0 are breaks."""
    out_x: list = []
    out_y: list = []
    lt = math.log10(top)
    prev = None
    for x, y in zip(xs, ys):
        ok = y > 0 and math.isfinite(y)
        if ok and y <= top:
            if prev is not None and prev[1] > top:  # coming back in from above
                u = (math.log10(prev[1]) - lt) / (math.log10(prev[1]) - math.log10(y))
                out_x += [math.nan, prev[0] + u * (x - prev[0])]
                out_y += [math.nan, top]
            out_x.append(x)
            out_y.append(y)
        elif ok:  # above the top
            if prev is not None and 0 < prev[1] <= top:
                u = (lt - math.log10(prev[1])) / (math.log10(y) - math.log10(prev[1]))
                out_x.append(prev[0] + u * (x - prev[0]))
                out_y.append(top)
            out_x.append(math.nan)
            out_y.append(math.nan)
        else:
            out_x.append(math.nan)
            out_y.append(math.nan)
        prev = (x, y) if ok else None
    return out_x, out_y


def _sample(n: int) -> np.ndarray:
    """Indices of the hover marks of a curve of n steps: at most about MAX_MARKS, always the last step."""
    stride = max(1, math.ceil(n / MAX_MARKS))
    return np.unique(np.r_[np.arange(0, n, stride), n - 1]).astype(int) if n else np.zeros(0, dtype=int)


def _x_mark(c: Chart, x: float, y: float, colour: str, tip: str, value: float, label: str) -> Chart:
    cx, cy = c.px(x), c.py(y)
    if not math.isfinite(cy):
        return c
    d = 6
    c.parts.append(f'<path d="M{cx - d:.1f} {cy - d:.1f}L{cx + d:.1f} {cy + d:.1f}M{cx - d:.1f} {cy + d:.1f}'
                   f'L{cx + d:.1f} {cy - d:.1f}" stroke="{colour}" stroke-width="3" fill="none" data-v="{float(value)!r}">'
                   f"<title>{esc(tip)}</title></path>")
    return _label(c, x, y, label, colour, right=cx > c.width * 0.6, dy=14 if cy < c.top + 20 else -8)


def _x_key(colour: str, label: str) -> str:
    """A legend entry (as :func:`rnnviz.viz.svg.legend` draws them) for the x that marks a blow-up."""
    return (f'<span class="rnnviz-key"><svg width="22" height="16" viewBox="0 0 22 16"><path d="M6 3L16 13M6 13L16 3" '
            f'stroke="{colour}" stroke-width="2.5"/></svg>{markup(label)}</span>')


def _narrow(html_text: str, width: int) -> str:
    """A panel note no wider than its chart: a long legend wraps instead of widening the panel."""
    return f'<div style="max-width:{int(width)}px">{html_text}</div>'


def training_html(plain, clipped, *, kind: str, threshold: float, steps: int, running: bool = False) -> str:
    """2a: the loss of every step of the run without clipping (``plain``) and with it (``clipped``), log scale;
    2b: the gradient norm before clipping of every step, log scale, with max_norm when the run clips by norm.

    ``plain`` / ``clipped``: a :class:`~rnnviz.core.train.TrainResult` or anything with ``losses``,
    ``grad_norms`` (arrays over the steps taken) and ``diverged`` (the run stopped at inf/NaN), or None (not
    trained yet). ``steps``: the length of a full run (the x axis). ``running``: drawn during training.
    Groups: ``loss_plain``, ``loss_clipped``, ``norm_plain``, ``norm_clipped`` (hover marks, data-x = step),
    ``blowup`` (an x per run that became inf/NaN, data-v = the steps it took), ``max_norm``.
    """
    if kind not in CLIP_COLORS:
        raise ValueError(f"clipping: expected 'norm' or 'value', got {kind!r}")
    runs = {name: r for name, r in (("plain", plain), ("clipped", clipped)) if r is not None and len(r.losses)}
    if not runs:
        return (f'<div class="{VIEW_CLASS}" data-name="training" data-empty="1" style="color:#6b7280; font-size:15px; '
                'padding:10px 0">Panels 2a and 2b (the loss and the gradient norm of every step): press '
                '<b>train both</b> above to draw them.</div>')
    colours = {"plain": RED, "clipped": CLIP_COLORS[kind]}
    label = {"plain": "without clipping", "clipped": f"with clipping by {kind} (c = {threshold:g})"}
    first = next(iter(runs.values()))
    loss_range = _log_range([r.losses for r in runs.values()], float(first.losses[0]))
    norm_start = float(np.median(_finite(first.grad_norms[:10]))) if _finite(first.grad_norms[:10]).size else math.nan
    norms = [r.grad_norms for r in runs.values()] + ([[threshold]] if kind == "norm" and clipped is not None else [])
    norm_range = _log_range(norms, norm_start)
    x_max = max([steps] + [len(r.losses) for r in runs.values()])
    panels = []
    for what, rng, title in (("loss", loss_range, "2a. training loss (log scale)"),
                             ("norm", norm_range, "2b. gradient norm ‖g‖ before clipping (log scale)")):
        if rng is None:  # every value inf/NaN: nothing a log axis can show
            rng = (0.1, 10.0)
        ch = Chart(500, 300, (0, x_max + 1), rng, left=60, right=16, top=14, bottom=42, y_log=True)
        ch.y_grid().x_grid(nice_ticks(0, x_max, 6))
        top = rng[1]
        if what == "norm" and kind == "norm" and clipped is not None and rng[0] < threshold < top:
            ch.group("max_norm")
            ch.line([0, x_max + 1], [threshold, threshold], GREY, width=1.5, dash="6 4")
            ch.parts.append(f'<rect x="{ch.left}" y="{ch.py(threshold) - 4:.1f}" width="{ch.width - ch.left - ch.right}" '
                            f'height="8" fill="{GREY}" fill-opacity="0" data-v="{float(threshold)!r}">'
                            f"<title>max_norm of the clipped run: {threshold:g}</title></rect>")
            ch.end()
        for name, r in runs.items():
            ys = np.asarray(r.losses if what == "loss" else r.grad_norms, dtype=float)
            xs = np.arange(1, len(ys) + 1, dtype=float)
            lx, ly = _leave_at_top(xs, ys, top)
            ch.line(lx, ly, colours[name], width=2)
            pick = _sample(len(ys))
            shown = np.array([y if (y > 0 and math.isfinite(y) and y <= top) else math.nan for y in ys[pick]])
            noun = "loss" if what == "loss" else "||g||"
            _hover(ch, f"{what}_{name}", xs[pick], shown, colours[name],
                   [f"{label[name]}, step {int(s)}: {noun} {y:.4g}" for s, y in zip(xs[pick], shown)])
        if what == "loss":
            ch.group("blowup")
            for name, r in runs.items():
                if r.diverged:
                    n = len(r.losses)
                    last = float(r.losses[-1])
                    y = min(last, top / 10 ** 0.3) if math.isfinite(last) and last > 0 else top / 10 ** 0.3
                    _x_mark(ch, n, y, colours[name],
                            f"{label[name]}: the loss became inf/NaN after step {n} (last finite loss {last:.3g})",
                            n, f"inf/NaN after step {n}")
            ch.end()
        ch.x_title("training step").y_title("loss" if what == "loss" else "‖g‖")
        items = [("training " + label[name], colours[name], "line") for name in runs]
        if what == "norm" and kind == "norm" and clipped is not None:
            items.append(("max_norm of the clipped run", GREY, "dash"))
        keys = legend(items)
        if what == "loss" and any(r.diverged for r in runs.values()):
            keys = keys[: -len("</div>")] + _x_key(RED, "became inf/NaN here") + "</div>"
        panels.append(panel(title + ("<br/>training …" if running else "<br/>&#8203;"), ch.svg(f"{what}_chart"),
                            note=_narrow(keys, ch.width)))
    return view(*panels, name="training")
