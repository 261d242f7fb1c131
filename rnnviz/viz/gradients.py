r"""Views of gradient magnitudes (lesson 5): the one-unit chain, norms over time, singular values, gradient flow.

Drawn as SVG through :mod:`rnnviz.viz.svg` (why not plotly: docs/DECISIONS.md). Two pure functions return the
HTML of the two views:

* :func:`chain_html` — one unit: |dL/dh_t| on a log axis beside the reference |w|^(T-t), and h_t;
* :func:`spectral_html` — a full network: ||dL_T/dh_t|| and the Jacobian norm ||dh_T/dh_t|| on a
  log axis, the singular values of W_hh against 1/gamma, the gradient-flow map log10 ||dL_s/dh_t||.

Index 0 of every array is the chapter's t = 1. Every data mark carries its value (``data-v``) and a
hover text; :func:`rnnviz.viz.svg.marks` / :func:`rnnviz.viz.svg.matrix` read them back. Overflow
(inf or NaN, the exploding regime) and values a log axis cannot show (0) have no mark: the lines are cut
there and a marker at the chart's edge gives the value (grey cells in the map), and a note under the
panel says how many.

:func:`for_log_axis`, :func:`log_flow` and the panel helpers are shared with lessons 6 and 7.
"""

from __future__ import annotations

import math

import numpy as np

from .svg import (
    BLUE, DASH, DOT, GREY, ORANGE, SEQUENTIAL, VERMILLION, Chart, colourbar, fmt, heatmap, legend, log_range, narrow,
    nice_ticks, panel, view,
)

__all__ = ["chain_html", "flow_map", "for_log_axis", "log_flow", "spectral_html", "time_ticks"]

HEIGHT = 300  # px, every chart of the lesson
CHAIN_W = 470  # px, each chart of the one-unit view: two side by side fit a 1024 px projector
#: px, the norms chart, the singular values (at least) and the flow map (at most) of the spectral view: the three
#: panels side by side fit a 1024 px projector at T = 40
NORMS_W, SV_W, FLOW_W = 290, 220, 290


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
    return (f'<div style="color:{VERMILLION}">{what}: {" and ".join(parts)}; the line breaks there, a marker at the '
            "chart's edge gives the value.</div>" if parts else "")


def _fit(width: int, note: str) -> str:
    """A panel's note no wider than its chart: a long legend or note wraps instead of widening the panel."""
    return narrow(note, width)


def _log_chart(T: int, *arrays, width: int) -> Chart:
    """A chart of time-stamps 1 ... T against a log axis holding every positive finite value of ``arrays`` (and 1)."""
    c = Chart(width, HEIGHT, (0.5, T + 0.5), log_range(*arrays, np.ones(1), pad=0.4), y_log=True, left=58, bottom=40)
    return c.y_grid().x_grid(time_ticks(T))


def _curve(c: Chart, name: str, ts: np.ndarray, values: np.ndarray, colour: str, tip: str, *, r: float,
           dash: str | None = None) -> None:
    """A line through ``values`` (cut where the axis cannot show them, which a marker at the edge gives) and a group
    of points ``name`` on it."""
    c.series(name, ts, values, colour, [f"t = {t}: {tip} = {fmt(v, 4)}" for t, v in zip(ts, values)], r=r,
             width=2 if dash is None else 1.8, dash=dash, with_x=False, what=tip)


def flow_map(z: np.ndarray, vrange: tuple[float, float], *, cell: tuple[int, int]) -> tuple[str, int]:
    """The gradient-flow map as an SVG (and its width): row s (loss time) down, column t (source time) across.

    :func:`rnnviz.viz.svg.heatmap` with ``vrange`` on Viridis (``data-name="flow"``, read back by
    :func:`rnnviz.viz.svg.matrix`), made for a (T, T) map redrawn on every move of a slider: colours from a
    table (256 levels), short hover texts, time labels every 5th step, and the cells without a value above
    the diagonal (t > s, structurally 0) hovered through one triangle instead of a hover text each.
    """
    z = np.asarray(z, dtype=float)
    T = z.shape[0]
    if z.shape != (T, T):
        raise ValueError(f"flow_map: expected a square (T, T) map, got shape {z.shape}")
    upper = [(i, j) for i in range(T) for j in range(i + 1, T)]
    blank_upper = bool(upper) and all(not math.isfinite(z[i, j]) for i, j in upper)

    def tip(i: int, j: int, v: float) -> str | None:
        if math.isfinite(v):
            return f"loss s = {i + 1}, h_{j + 1}: log10 = {fmt(v, 3)}"
        return None if j > i else f"loss s = {i + 1}, h_{j + 1}: no value (overflow)"

    ticks = [0] + list(range(4, T, 5))
    labels = [str(k + 1) for k in range(T)]
    svg = heatmap(z, labels, labels, name="flow", vrange=vrange, scale=SEQUENTIAL, levels=256, cell=cell, left=44,
                  caption="row s, column t", tip=tip, row_ticks=ticks, col_ticks=ticks, row_size=11, col_size=11,
                  x_title="source time t", y_title="loss time s",
                  upper_tip="t > s: the loss at s does not depend on the later state h_t (no value)" if blank_upper else None)
    return svg, 44 + cell[0] * T + 4


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

    c = _log_chart(T, for_log_axis(g), for_log_axis(bound), width=CHAIN_W)
    _curve(c, "bound", ts, bound, GREY, "|w|^(T−t)", r=2, dash=DASH)
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
    c = Chart(CHAIN_W, HEIGHT, (0.5, T + 0.5), (-top, top), left=58, bottom=40)
    c.y_grid([-1, -0.5, 0, 0.5, 1] if top == 1.05 else nice_ticks(-top, top, 4)).x_grid(time_ticks(T))
    c.series("h", ts, h, ORANGE, [f"t = {t}: h_t = {fmt(v, 4)}" for t, v in zip(ts, h)], r=3, with_x=False,
             what="h_t")
    c.x_title("time-stamp t").y_title("h<sub>t</sub>")
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
    c = _log_chart(T, for_log_axis(grad_norms), for_log_axis(jac_norms), width=NORMS_W)
    _curve(c, "jac_norms", ts, jac_norms, ORANGE, "‖dh_T/dh_t‖", r=2, dash=DOT)
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
    c = Chart(max(SV_W, 56 + 5 * k), HEIGHT, (0.5, k + 0.5), (0, top), left=46, bottom=40)
    c.y_grid(nice_ticks(0, top, 5)).x_grid(time_ticks(k))
    c.group("singular_values")
    for i, s in enumerate(sv):
        above = math.isfinite(threshold) and s > threshold
        c.bar(i + 1, 0, s, VERMILLION if above else GREY, f"σ{i + 1} = {fmt(s, 4)}" + (" > 1/γ" if above else ""), s, width=0.75)
    c.end()
    if math.isfinite(threshold) and 0 < threshold < top:
        c.hline(threshold, label=f"1/γ = {fmt(threshold, 3)}", colour=VERMILLION, dash=DASH, width=2, name="threshold",
                tip=f"1/γ = {fmt(threshold, 4)}: the bound of Pascanu et al. (2013)")
    c.x_title("index k (largest first)")
    keys = legend([("σ<sub>k</sub>(W<sub>hh</sub>)", GREY, "bar"), ("σ<sub>k</sub> > 1/γ", VERMILLION, "bar"),
                   ("1/γ (Pascanu bound)", VERMILLION, "dash")])
    sv_panel = panel("singular values of W<sub>hh</sub>", c.svg("sv_chart"), note=_fit(c.width, keys))

    # 3. the gradient flow, log10, loss time s down, source time t across
    z = log_flow(flow)
    shown = z[np.isfinite(z)]
    lo, hi = (float(shown.min()), float(shown.max())) if shown.size else (-1.0, 0.0)
    lo, hi = (lo - 0.5, hi + 0.5) if hi - lo < 1e-9 else (lo, hi)
    cw, ch = int(np.clip(FLOW_W // T, 4, 24)), int(np.clip(240 // T, 4, 24))
    flow_svg, width = flow_map(z, (lo, hi), cell=(cw, ch))
    bar = colourbar(1.0, title="log10", height=ch * T, vrange=(lo, hi), scale="Viridis")
    width += 64 + 4  # the colour bar and the gap before it
    over = int(np.sum(~np.isfinite(flow)))
    note = ("bright: much of the loss at s reaches h<sub>t</sub>; dark: little. Grey: no value "
            "(t > s: the loss at s does not depend on later states)"
            + (f'; <span style="color:{VERMILLION}">{over} entries overflowed to inf or NaN</span>' if over else "") + ".")
    flow_panel = panel("gradient flow log<sub>10</sub> ‖dL<sub>s</sub>/dh<sub>t</sub>‖", flow_svg, bar,
                       note=_fit(width, note))
    return view(norms_panel, sv_panel, flow_panel, name="spectral")
