"""Plotly views for lesson 6: what truncated BPTT drops, and what clipping does to a gradient and to training.

Pure functions: ``*_figure()`` builds an empty ``go.FigureWidget`` with named traces,
``update_*`` / ``set_*`` fill it from core results inside one ``batch_update``.

Trace order of :func:`truncation_figure`:
0 flow heatmap, 1 dropped-entries overlay, 2 window outlines, 3 gap (all parameters),
4 gap (W_hh), 5 current window marker.

Trace order of :func:`clipping_figure`:
0 after clipping by value, 1 after clipping by norm, 2 unchanged (y = x), 3 threshold +-c,
4 cosine by value, 5 cosine by norm, 6 current threshold markers,
7 loss without clipping, 8 loss with clipping, 9 where the unclipped run blew up,
10 gradient norm without clipping, 11 gradient norm with clipping, 12 norm threshold.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .gradients import BLUE, GREY, ORANGE, RED, for_log_axis
from .live import LiveFigure

__all__ = [
    "CLIP_COLORS",
    "clipping_figure",
    "kept_by_truncation",
    "set_clip_threshold",
    "set_window",
    "truncation_figure",
    "update_clip_curves",
    "update_training_figure",
    "update_truncation_figure",
    "window_outlines",
]

DROPPED = "rgba(110, 110, 110, 0.62)"
OUTLINE = "#f8fafc"
#: the colour of each clipping kind, the same in every panel (and for the run trained with it)
CLIP_COLORS = {"value": ORANGE, "norm": BLUE}


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


def truncation_figure() -> go.FigureWidget:
    spacing = 0.11
    widths = [0.52, 0.48]
    fig = make_subplots(
        rows=1, cols=2, horizontal_spacing=spacing, column_widths=widths,
        subplot_titles=("gradient flow log10 ||dL_s/dh_t||, grey = dropped", "gap to the exact gradient"),
    )
    edge = (1 - spacing) * widths[0]
    # the colour bar lies under the map: beside it, it collides with the right panel's axis in a narrow notebook
    fig.add_heatmap(name="flow", colorscale="Viridis",
                    colorbar=dict(title=dict(text="log10 ||dL_s/dh_t||", side="right"), orientation="h",
                                  x=edge / 2, xanchor="center", len=edge * 0.8, y=-0.3, yanchor="top", thickness=10),
                    hovertemplate="loss time s=%{y}, source t=%{x}<br>log10 ||dL_s/dh_t|| = %{z:.2f}<extra>kept</extra>",
                    row=1, col=1)
    fig.add_heatmap(name="dropped", colorscale=[[0, DROPPED], [1, DROPPED]], showscale=False, zmin=0, zmax=1,
                    hovertemplate="loss time s=%{y}, source t=%{x}<br>dropped: the path crosses a window boundary"
                                  "<extra></extra>", row=1, col=1)
    fig.add_scatter(name="window (kept region)", mode="lines", line=dict(color=OUTLINE, width=2), hoverinfo="skip",
                    showlegend=False, row=1, col=1)
    fig.add_scatter(name="all parameters", mode="lines+markers", line=dict(color=BLUE), marker=dict(size=5), row=1, col=2)
    fig.add_scatter(name="W_hh only", mode="lines", line=dict(color=ORANGE, dash="dash"), row=1, col=2)
    fig.add_scatter(name="your window k", mode="markers", marker=dict(color=RED, size=14, symbol="circle-open",
                                                                      line=dict(width=3)), row=1, col=2)
    fig.update_xaxes(title_text="source time t", row=1, col=1)
    fig.update_yaxes(title_text="loss time s", autorange="reversed", row=1, col=1)
    fig.update_xaxes(title_text="window length k", row=1, col=2)
    fig.update_yaxes(title_text="relative error ||g_k - g|| / ||g||", rangemode="tozero", row=1, col=2)
    fig.update_layout(height=480, margin=dict(l=60, r=20, t=50, b=100), template="plotly_white",
                      legend=dict(orientation="h", x=1.0, xanchor="right", y=-0.18), plot_bgcolor="white")
    return LiveFigure(fig)


def set_window(fig: go.FigureWidget, T: int, window: int, gap_at_window: float) -> None:
    """Grey out the (s, t) entries window ``window`` drops, outline the windows, mark k on the gap curve."""
    kept = kept_by_truncation(T, window)
    lower = np.tri(T, dtype=bool)  # t <= s: the only entries a forward RNN has
    dropped = np.where(lower & ~kept, 1.0, np.nan)
    t = np.arange(1, T + 1)
    xs, ys = window_outlines(T, window)
    with fig.batch_update():
        fig.data[1].x, fig.data[1].y, fig.data[1].z = t, t, dropped
        fig.data[2].x, fig.data[2].y = xs, ys
        fig.data[5].x, fig.data[5].y = [window], [gap_at_window]


def update_truncation_figure(fig: go.FigureWidget, flow: np.ndarray, windows: np.ndarray, gap: np.ndarray,
                             gap_whh: np.ndarray, window: int) -> None:
    """Draw the flow map and the gap curves, then the current window (:func:`set_window`)."""
    T = flow.shape[0]
    t = np.arange(1, T + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_flow = np.log10(np.where(flow > 0, flow, np.nan))
    log_flow[~np.isfinite(log_flow)] = np.nan
    with fig.batch_update():
        fig.data[0].x, fig.data[0].y, fig.data[0].z = t, t, log_flow
        fig.data[3].x, fig.data[3].y = windows, gap
        fig.data[4].x, fig.data[4].y = windows, gap_whh
        top = float(np.nanmax(np.r_[gap, gap_whh, 1e-3]))
        fig.layout.yaxis2.range = [-0.03 * top, 1.08 * top]
        fig.layout.xaxis2.range = [0.5, windows[-1] + 0.5]
        set_window(fig, T, window, float(gap[list(windows).index(window)]))


# =========================================================================== clipping
def clipping_figure() -> go.FigureWidget:
    fig = make_subplots(
        rows=2, cols=2, horizontal_spacing=0.1, vertical_spacing=0.2,
        subplot_titles=("1a. each entry of the W_hh gradient: before (x) and after (y)",
                        "1b. cosine(clipped, original) against the threshold c",
                        "2a. training loss (log scale)", "2b. gradient norm ||g|| before clipping (log scale)"),
    )
    fig.add_scatter(name="clipped by value", mode="markers", marker=dict(color=ORANGE, size=6, opacity=0.8),
                    legendgroup="value", row=1, col=1)
    fig.add_scatter(name="clipped by norm", mode="markers", marker=dict(color=BLUE, size=6, opacity=0.8),
                    legendgroup="norm", row=1, col=1)
    fig.add_scatter(name="unchanged (y = x)", mode="lines", line=dict(color=GREY, dash="dot"), row=1, col=1)
    fig.add_scatter(name="threshold +c and -c", mode="lines", line=dict(color=RED, dash="dash", width=1), row=1, col=1)
    fig.add_scatter(name="cosine, by value", mode="lines", line=dict(color=ORANGE), legendgroup="value",
                    showlegend=False, row=1, col=2)
    fig.add_scatter(name="cosine, by norm", mode="lines", line=dict(color=BLUE, width=3), legendgroup="norm",
                    showlegend=False, row=1, col=2)
    fig.add_scatter(name="your threshold c", mode="markers", marker=dict(color=[ORANGE, BLUE], size=12,
                    symbol="circle-open", line=dict(width=3)), showlegend=False, row=1, col=2)
    fig.add_scatter(name="training without clipping", mode="lines", line=dict(color=RED), row=2, col=1)
    fig.add_scatter(name="training with clipping", mode="lines", line=dict(color=BLUE), row=2, col=1)
    fig.add_scatter(name="became inf/NaN here", mode="markers+text", marker=dict(color=RED, size=14, symbol="x"),
                    text=[], textposition="middle right", textfont=dict(color=RED), cliponaxis=False, row=2, col=1)
    fig.add_scatter(name="||g|| without clipping", mode="lines", line=dict(color=RED), showlegend=False, row=2, col=2)
    fig.add_scatter(name="||g|| with clipping", mode="lines", line=dict(color=BLUE), showlegend=False, row=2, col=2)
    fig.add_scatter(name="max_norm of the clipped run", mode="lines", line=dict(color=GREY, dash="dash"), row=2, col=2)
    fig.update_xaxes(title_text="entry before clipping", row=1, col=1)
    fig.update_yaxes(title_text="entry after clipping", row=1, col=1)
    fig.update_xaxes(title_text="threshold c (log scale)", type="log", exponentformat="power", row=1, col=2)
    fig.update_yaxes(title_text="cosine", range=[0, 1.05], row=1, col=2)
    fig.update_xaxes(title_text="training step", row=2, col=1)
    fig.update_xaxes(title_text="training step", row=2, col=2)
    fig.update_yaxes(type="log", exponentformat="power", row=2, col=1)
    fig.update_yaxes(type="log", exponentformat="power", row=2, col=2)
    fig.update_layout(height=760, margin=dict(l=60, r=20, t=50, b=40), template="plotly_white",
                      legend=dict(orientation="h", y=-0.08))
    fig.add_annotation(name="not trained", text="press <b>train both</b> above to fill panels 2a and 2b",
                       xref="paper", yref="paper", x=0.5, y=0.2, showarrow=False, font=dict(size=15, color=GREY),
                       bgcolor="rgba(255,255,255,0.85)")
    return LiveFigure(fig)


def update_clip_curves(fig: go.FigureWidget, thresholds: np.ndarray, cos_value: np.ndarray, cos_norm: np.ndarray,
                       g: np.ndarray) -> None:
    """The cosine curves over all thresholds (computed once per gradient) and the y = x reference."""
    lim = float(np.max(np.abs(g))) * 1.05
    with fig.batch_update():
        fig.data[4].x, fig.data[4].y = thresholds, cos_value
        fig.data[5].x, fig.data[5].y = thresholds, cos_norm
        fig.data[2].x, fig.data[2].y = [-lim, lim], [-lim, lim]
        fig.layout.xaxis.range = [-lim, lim]


def set_clip_threshold(fig: go.FigureWidget, g: np.ndarray, by_value: np.ndarray, by_norm: np.ndarray, c: float,
                       cosines: tuple[float, float]) -> None:
    """Entries after each clipping at threshold c, the +-c lines, and c marked on the cosine curves."""
    x = np.ravel(g)
    lim = float(np.max(np.abs(x))) * 1.05
    yl = min(c, lim) * 1.15
    with fig.batch_update():
        fig.data[0].x, fig.data[0].y = x, np.ravel(by_value)
        fig.data[1].x, fig.data[1].y = x, np.ravel(by_norm)
        fig.data[3].x = [-lim, lim, None, -lim, lim]
        fig.data[3].y = [c, c, None, -c, -c]
        fig.data[6].x, fig.data[6].y = [c, c], list(cosines)
        fig.layout.yaxis.range = [-yl, yl]


def _log_range(runs_values: list, start: float, decades: float = 3.0) -> list | None:
    """[lo, hi] in log10 units covering the finite values, but at most ``decades`` above ``start``:
    a run that blows up leaves the top of the panel instead of squashing the others to a flat line."""
    vals = np.concatenate([for_log_axis(v) for v in runs_values]) if runs_values else np.array([])
    vals = vals[np.isfinite(vals)]
    if vals.size == 0 or not np.isfinite(start) or start <= 0:
        return None
    lo = np.log10(vals.min())
    hi = min(np.log10(vals.max()), np.log10(start) + decades)
    return [lo - 0.3, max(hi, lo + 1) + 0.3]


def update_training_figure(fig: go.FigureWidget, plain, clipped, *, kind: str, threshold: float) -> None:
    """Loss and gradient norm per step of the run without clipping (``plain``) and with it (``clipped``).

    ``plain`` and ``clipped`` are :class:`~rnnviz.core.train.TrainResult` (or None: not trained yet).
    A diverged run ends where its last finite step was; an x marks that spot (at the top edge when
    the curve has left the panel).
    """
    color = CLIP_COLORS[kind]
    runs = [r for r in (plain, clipped) if r is not None and len(r.history)]
    loss_range = _log_range([r.losses for r in runs], runs[0].losses[0]) if runs else None
    norm_range = _log_range([r.grad_norms for r in runs], float(np.median(runs[0].grad_norms[:10]))) if runs else None
    with fig.batch_update():
        for trace, run in ((7, plain), (8, clipped)):
            steps = np.arange(1, len(run.history) + 1) if run is not None else []
            fig.data[trace].x = steps
            fig.data[trace].y = for_log_axis(run.losses) if run is not None else []
        for trace, run in ((10, plain), (11, clipped)):
            steps = np.arange(1, len(run.history) + 1) if run is not None else []
            fig.data[trace].x = steps
            fig.data[trace].y = for_log_axis(run.grad_norms) if run is not None else []
        fig.data[8].line.color = color
        fig.data[11].line.color = color
        fig.data[8].name = f"training with clipping by {kind} (c = {threshold:g})"
        bad = [r for r in runs if r.diverged]
        top = 10 ** (loss_range[1] - 0.3) if loss_range else np.inf
        fig.data[9].x = [len(r.history) for r in bad]
        fig.data[9].y = [min(float(r.losses[-1]), top) for r in bad]
        fig.data[9].text = [f"inf/NaN after step {len(r.history)}" for r in bad]
        for axis, rng in ((fig.layout.yaxis3, loss_range), (fig.layout.yaxis4, norm_range)):
            if rng is None:
                axis.range, axis.autorange = None, True
            else:
                axis.range = rng
        fig.layout.annotations[-1].visible = not runs  # the "press train both" hint
        n = max([len(r.history) for r in runs] + [1])
        if kind == "norm" and clipped is not None:
            fig.data[12].x, fig.data[12].y = [1, n], [threshold, threshold]
        else:
            fig.data[12].x, fig.data[12].y = [], []
