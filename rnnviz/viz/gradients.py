r"""Views of gradient magnitudes (lesson 5): the one-unit chain, norms over time, singular values, gradient flow.

Drawn as SVG by rnnviz (:mod:`rnnviz.viz.svg`), not plotly: plotly's FigureWidgets run on anywidget,
whose browser side gives a model 2 s to initialise (in a classroom load test 3-5 of 30 slow browsers
logged "[anywidget] Failed to initialize model." and the figure stayed dead), and plotly redraws a
whole figure on every update. Two pure functions return the HTML of the two views:

* :func:`chain_html` — one unit: |dL/dh_t| on a log axis beside the reference |w|^(T-t), and h_t;
* :func:`spectral_html` — a full network: ||dL_T/dh_t|| and the Jacobian norm ||dh_T/dh_t|| on a
  log axis, the singular values of W_hh against 1/gamma, the gradient-flow map log10 ||dL_s/dh_t||.

Index 0 of every array is the chapter's t = 1. Every data mark carries its value (``data-v``) and a
hover text; :func:`rnnviz.viz.svg.marks` / :func:`rnnviz.viz.svg.matrix` read them back. Overflow
(inf or NaN, the exploding regime) and values a log axis cannot show (0) are left out: gaps in the
lines, grey cells in the map, and a note under the panel says how many.

``BLUE, GREY, ORANGE, RED`` and :func:`for_log_axis` are shared with lesson 6 (:mod:`rnnviz.viz.taming`).
"""

from __future__ import annotations

import functools
import math

import numpy as np

from .svg import (FONT, GRID, MISSING, MUTED, TEXT, Chart, colourbar, esc, fmt, legend, log_range, markup, nice_ticks, panel,
                  scale_colour, view)

__all__ = ["BLUE", "GREY", "ORANGE", "RED", "chain_html", "flow_map", "for_log_axis", "log_flow", "spectral_html",
           "time_ticks"]

BLUE, ORANGE, GREY, RED = "#2563eb", "#ea580c", "#6b7280", "#dc2626"
HEIGHT = 300  # px, every chart of the lesson


def for_log_axis(values: np.ndarray) -> np.ndarray:
    """Values for a log axis: zeros and non-finite entries become NaN (drawn as gaps)."""
    v = np.asarray(values, dtype=float).copy()
    v[~np.isfinite(v) | (v <= 0)] = np.nan
    return v


def log_flow(flow: np.ndarray) -> np.ndarray:
    """log10 of the gradient-flow map; NaN where there is no value (0 above the diagonal, inf or NaN on overflow)."""
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        out = np.log10(for_log_axis(flow))
    out[~np.isfinite(out)] = np.nan
    return out


def time_ticks(T: int, n: int = 6) -> list[int]:
    """Whole time-stamps 1 ... T to label an axis: about ``n`` round ones."""
    if T <= n:
        return list(range(1, T + 1))
    return [int(t) for t in nice_ticks(1, T, n) if float(t).is_integer() and t >= 1]


def _missing_note(what: str, values: np.ndarray, *, log: bool = True) -> str:
    """A line saying how many values are not drawn (overflowed, or 0 on a log axis); '' when all are."""
    v = np.asarray(values, dtype=float)
    over = int(np.sum(~np.isfinite(v)))
    zero = int(np.sum(np.isfinite(v) & (v <= 0))) if log else 0
    parts = ([f"{over} overflowed to inf (the exploding regime)"] if over else []) + (
        [f"{zero} exactly 0 (a log axis has no 0)"] if zero else [])
    return f'<div style="color:{RED}">{what}: {" and ".join(parts)}; left out as gaps.</div>' if parts else ""


def _fit(width: int, note: str) -> str:
    """A panel's note no wider than its chart: a long legend or note wraps instead of widening the panel
    (a panel is as wide as its widest line; three must sit side by side in the 1200 px app)."""
    return f'<div style="max-width:{int(width)}px">{note}</div>' if note else ""


def _log_chart(T: int, *arrays, width: int) -> Chart:
    """A chart of time-stamps 1 ... T against a log axis holding every positive finite value of ``arrays`` (and 1)."""
    c = Chart(width, HEIGHT, (0.5, T + 0.5), log_range(*arrays, np.ones(1), pad=0.4), y_log=True, left=58, bottom=40)
    return c.y_grid().x_grid(time_ticks(T))


def _curve(c: Chart, name: str, ts: np.ndarray, values: np.ndarray, colour: str, tip: str, *, r: float,
           dash: str | None = None) -> None:
    """A line through ``values`` (broken where the axis cannot show them) and a group of points ``name`` on it."""
    c.line(ts, values, colour, width=2 if dash is None else 1.8, dash=dash)
    c.group(name)
    for t, v in zip(ts, values):
        c.point(t, v, colour, f"t = {t}: {tip} = {fmt(v, 4)}", v, r=r)
    c.end()


@functools.cache
def _viridis(levels: int = 256) -> tuple[str, ...]:
    """Viridis at ``levels`` evenly spaced points, as :func:`rnnviz.viz.svg.scale_colour` gives them (once)."""
    return tuple(scale_colour(k / (levels - 1), "Viridis") for k in range(levels))


def flow_map(z: np.ndarray, vrange: tuple[float, float], *, cell: tuple[int, int]) -> tuple[str, int]:
    """The gradient-flow map as an SVG (and its width): row s (loss time) down, column t (source time) across.

    What :func:`rnnviz.viz.svg.heatmap` draws with ``vrange`` on Viridis, in the same markup (``data-name="flow"``,
    ``data-rows``/``data-cols``, one ``rect`` with ``data-v`` per cell, row by row, so
    :func:`rnnviz.viz.svg.matrix` reads it), made for a (T, T) map redrawn on every move of a slider: colours
    from a table (256 levels), short hover texts, time labels every 5th step, and the cells without a value
    above the diagonal (t > s, structurally 0) hovered through one triangle instead of a ``<title>`` each. The
    browser builds this view in about half the time of the general heatmap's (1600 titles, 270 kB).
    """
    z = np.asarray(z, dtype=float)
    T = z.shape[0]
    if z.shape != (T, T):
        raise ValueError(f"flow_map: expected a square (T, T) map, got shape {z.shape}")
    cw, ch = cell
    lo, hi = float(vrange[0]), float(vrange[1])
    left, top, bottom = 44, 22, 38
    width, height = left + cw * T + 4, top + ch * T + bottom
    colours = _viridis()
    with np.errstate(invalid="ignore"):
        level = np.rint(np.clip((z - lo) / (hi - lo if hi > lo else 1.0), 0, 1) * (len(colours) - 1))
    parts = [f'<text x="{left + cw * T / 2:.1f}" y="14" text-anchor="middle" fill="{TEXT}">row s, column t</text>']
    for i in range(T):
        y = top + i * ch
        for j in range(T):
            v = z[i, j]
            x = left + j * cw
            if math.isfinite(v):
                parts.append(f'<rect x="{x}" y="{y}" width="{cw}" height="{ch}" fill="{colours[int(level[i, j])]}" '
                             f'data-v="{float(v)!r}"><title>loss s = {i + 1}, h_{j + 1}: log10 = {fmt(v, 3)}'
                             "</title></rect>")
            else:
                hover = "" if j > i else f"<title>loss s = {i + 1}, h_{j + 1}: no value (overflow)</title>"
                parts.append(f'<rect x="{x}" y="{y}" width="{cw}" height="{ch}" fill="{MISSING}" '
                             f'data-v="{float(v)!r}">{hover}</rect>')
    upper = [(i, j) for i in range(T) for j in range(i + 1, T)]
    if upper and all(not math.isfinite(z[i, j]) for i, j in upper):
        stairs = "".join(f"H{left + k * cw}V{top + (k - 1) * ch}" for k in range(T - 1, 0, -1))  # along the diagonal
        parts.append(f'<path d="M{left + cw} {top}H{left + cw * T}V{top + ch * (T - 1)}{stairs}Z" fill="#000" '
                     'fill-opacity="0">'
                     "<title>t > s: the loss at s does not depend on the later state h_t (no value)</title></path>")
    for k in [1] + list(range(5, T + 1, 5)):
        parts.append(f'<text x="{left - 4}" y="{top + (k - 1) * ch + ch / 2 + 4:.1f}" text-anchor="end" font-size="11" '
                     f'fill="{TEXT}">{k}</text>'
                     f'<text x="{left + (k - 1) * cw + cw / 2:.1f}" y="{top + T * ch + 14}" text-anchor="middle" '
                     f'font-size="11" fill="{TEXT}">{k}</text>')
    parts.append(f'<rect x="{left}" y="{top}" width="{cw * T}" height="{ch * T}" fill="none" stroke="{GRID}"/>'
                 f'<text x="{left + cw * T / 2:.1f}" y="{height - 3}" text-anchor="middle" fill="{MUTED}">'
                 f'{markup("source time t")}</text>'
                 f'<text transform="translate(12 {top + T * ch / 2:.1f}) rotate(-90)" text-anchor="middle" '
                 f'fill="{MUTED}">{markup("loss time s")}</text>')
    return (f'<svg data-name="flow" data-rows="{T}" data-cols="{T}" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-size="{FONT}" style="display:block">' + "".join(parts) + "</svg>",
            width)


# =========================================================================== one unit
def chain_html(h: np.ndarray, grad: np.ndarray, w: float) -> str:
    """One unit, L = h_T: |dL/dh_t| (log axis) with the reference |w|^(T-t) (Phi' = 1), and the states h_t.

    ``h``, ``grad``: (T,) as :func:`rnnviz.core.diagnostics.scalar_chain` returns them. Groups read back by
    :func:`rnnviz.viz.svg.marks`: ``grad`` (|dL/dh_t|), ``bound`` (|w|^(T-t)), ``h`` (h_t); a value the axis
    cannot show (inf, NaN, 0 on the log axis) has no mark.
    """
    h, grad = np.asarray(h, dtype=float), np.asarray(grad, dtype=float)
    if h.ndim != 1 or h.shape != grad.shape or h.size == 0:
        raise ValueError(f"chain_html: h and grad must be two (T,) arrays, got shapes {h.shape} and {grad.shape}")
    T = h.size
    ts = np.arange(1, T + 1)
    with np.errstate(over="ignore"):
        bound = abs(float(w)) ** (T - ts).astype(float)  # (T,)
    g = np.abs(grad)

    c = _log_chart(T, for_log_axis(g), for_log_axis(bound), width=520)
    _curve(c, "bound", ts, bound, GREY, "|w|^(T−t)", r=2, dash="6 4")
    _curve(c, "grad", ts, g, BLUE, "|dL/dh_t|", r=3)
    c.x_title("time-stamp t").y_title("|dL/dh<sub>t</sub>|")
    keys = legend([("|dL/dh<sub>t</sub>| (BPTT)", BLUE, "line"),
                   ("|w|<sup>T−t</sup>, what it would be if Φ′ = 1", GREY, "dash")])
    grad_panel = panel("|dL/dh<sub>t</sub>| for L = h<sub>T</sub> (log scale)", c.svg("grad_chart"),
                       note=_fit(c.width, keys + _missing_note("|dL/dh<sub>t</sub>|", g)
                                 + _missing_note("|w|<sup>T−t</sup>", bound)))

    finite = h[np.isfinite(h)]
    # tanh keeps h in [-1, 1]; identity or relu states can grow: the axis grows with them (capped: 2 * top stays finite)
    top = min(max(1.05, 1.05 * float(np.max(np.abs(finite)))), 1e307) if finite.size else 1.05
    c = Chart(520, HEIGHT, (0.5, T + 0.5), (-top, top), left=58, bottom=40)
    c.y_grid([-1, -0.5, 0, 0.5, 1] if top == 1.05 else nice_ticks(-top, top, 4)).x_grid(time_ticks(T))
    c.line(ts, h, ORANGE, width=2).group("h")
    for t, v in zip(ts, h):
        c.point(t, v, ORANGE, f"t = {t}: h_t = {fmt(v, 4)}", v, r=3)
    c.end().x_title("time-stamp t").y_title("h<sub>t</sub>")
    note = ("" if top == 1.05 else "the states left [−1, 1] (no tanh to bound them): the axis grows with them")
    h_panel = panel("hidden state h<sub>t</sub>", c.svg("h_chart"),
                    note=_fit(c.width, note + _missing_note("h<sub>t</sub>", h, log=False)))
    return view(grad_panel, h_panel, name="chain")


# =========================================================================== a full network
def spectral_html(grad_norms: np.ndarray, jac_norms: np.ndarray, singular_values: np.ndarray, threshold: float,
                  flow: np.ndarray) -> str:
    """A full network: gradient and Jacobian norms over t, singular values against 1/gamma, the gradient flow.

    ``grad_norms`` ||dL_T/dh_t|| and ``jac_norms`` ||dh_T/dh_t||: (T,); ``singular_values`` of W_hh,
    descending; ``threshold`` 1/gamma; ``flow`` (T, T), row s and column t ||dL_s/dh_t||. Read back:
    groups ``grad_norms``, ``jac_norms``, ``singular_values``, ``threshold`` (one mark) and the heatmap
    ``flow`` (log10, NaN where there is no value) by :func:`rnnviz.viz.svg.matrix`.
    """
    grad_norms, jac_norms = np.asarray(grad_norms, dtype=float), np.asarray(jac_norms, dtype=float)
    sv, flow = np.asarray(singular_values, dtype=float), np.asarray(flow, dtype=float)
    T = grad_norms.size
    if grad_norms.ndim != 1 or jac_norms.shape != (T,) or flow.shape != (T, T) or T == 0:
        raise ValueError(f"spectral_html: expected norms (T,), (T,) and flow (T, T), got {grad_norms.shape}, "
                         f"{jac_norms.shape}, {flow.shape}")
    ts = np.arange(1, T + 1)
    threshold = float(threshold)

    # 1. the gradient reaching h_t and the Jacobian norm, log axis
    c = _log_chart(T, for_log_axis(grad_norms), for_log_axis(jac_norms), width=340)
    _curve(c, "jac_norms", ts, jac_norms, ORANGE, "‖dh_T/dh_t‖", r=2, dash="2 3")
    _curve(c, "grad_norms", ts, grad_norms, BLUE, "‖dL_T/dh_t‖", r=2.5)
    c.x_title("source time t").y_title("norm")
    keys = legend([("‖dL<sub>T</sub>/dh<sub>t</sub>‖", BLUE, "line"),
                   ("‖dh<sub>T</sub>/dh<sub>t</sub>‖ (Jacobian)", ORANGE, "dot")])
    norms_panel = panel("gradient reaching h<sub>t</sub> (log scale)", c.svg("norms_chart"),
                        note=_fit(c.width, keys + _missing_note("‖dL<sub>T</sub>/dh<sub>t</sub>‖", grad_norms)
                                  + _missing_note("‖dh<sub>T</sub>/dh<sub>t</sub>‖", jac_norms)))

    # 2. singular values of W_hh, bars, with the bound 1/gamma
    k = len(sv)
    finite = sv[np.isfinite(sv)]
    top = 1.15 * max(float(finite.max()) if finite.size else 0.0, threshold if math.isfinite(threshold) else 0.0, 1e-12)
    c = Chart(max(240, 60 + 6 * k), HEIGHT, (0.5, k + 0.5), (0, top), left=46, bottom=40)
    c.y_grid(nice_ticks(0, top, 5)).x_grid(time_ticks(k))
    c.group("singular_values")
    for i, s in enumerate(sv):
        above = math.isfinite(threshold) and s > threshold
        c.bar(i + 1, 0, s, RED if above else GREY, f"σ{i + 1} = {fmt(s, 4)}" + (" > 1/γ" if above else ""), s, width=0.75)
    c.end()
    if math.isfinite(threshold) and 0 < threshold < top:
        y = c.py(threshold)
        c.parts.append(f'<g data-name="threshold"><line x1="{c.left}" x2="{c.width - c.right}" y1="{y:.1f}" '
                       f'y2="{y:.1f}" stroke="{RED}" stroke-width="2" stroke-dasharray="6 4" data-v="{threshold!r}">'
                       f'<title>1/γ = {esc(fmt(threshold, 4))}: the bound of Pascanu et al. (2013)</title></line>'
                       f'<text x="{c.width - c.right - 4}" y="{y - 5:.1f}" text-anchor="end" fill="{RED}">'
                       f"1/γ = {esc(fmt(threshold, 3))}</text></g>")
    c.x_title("index k (largest first)")
    keys = legend([("σ<sub>k</sub>(W<sub>hh</sub>)", GREY, "bar"), ("σ<sub>k</sub> > 1/γ", RED, "bar"),
                   ("1/γ (Pascanu bound)", RED, "dash")])
    sv_panel = panel("singular values of W<sub>hh</sub>", c.svg("sv_chart"), note=_fit(c.width, keys))

    # 3. the gradient flow, log10, loss time s down, source time t across
    z = log_flow(flow)
    shown = z[np.isfinite(z)]
    lo, hi = (float(shown.min()), float(shown.max())) if shown.size else (-1.0, 0.0)
    lo, hi = (lo - 0.5, hi + 0.5) if hi - lo < 1e-9 else (lo, hi)
    cw, ch = int(np.clip(360 // T, 4, 24)), int(np.clip(240 // T, 4, 24))
    flow_svg, width = flow_map(z, (lo, hi), cell=(cw, ch))
    bar = colourbar(1.0, title="log10", height=ch * T, vrange=(lo, hi), scale="Viridis")
    width += 64 + 4  # the colour bar and the gap before it
    over = int(np.sum(~np.isfinite(flow)))
    note = ("bright: much of the loss at s reaches h<sub>t</sub>; dark: little. Grey: no value "
            "(t > s: the loss at s does not depend on later states)"
            + (f'; <span style="color:{RED}">{over} entries overflowed to inf or NaN</span>' if over else "") + ".")
    flow_panel = panel("gradient flow log<sub>10</sub> ‖dL<sub>s</sub>/dh<sub>t</sub>‖", flow_svg, bar,
                       note=_fit(width, note))
    return view(norms_panel, sv_panel, flow_panel, name="spectral")
