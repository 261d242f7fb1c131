"""Plotly views of gradient magnitudes: the one-unit chain, norms over time, singular values, gradient flow.

Pure functions: ``*_figure()`` builds an empty ``go.FigureWidget`` with named traces,
``update_*`` fills it from core results inside one ``batch_update``.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .live import LiveFigure

__all__ = ["chain_figure", "for_log_axis", "spectral_figure", "update_chain_figure", "update_spectral_figure"]

BLUE, ORANGE, GREY, RED = "#2563eb", "#ea580c", "#6b7280", "#dc2626"


def for_log_axis(values: np.ndarray) -> np.ndarray:
    """Values for a log axis: zeros and non-finite entries become NaN (drawn as gaps)."""
    v = np.asarray(values, dtype=float).copy()
    v[~np.isfinite(v) | (v <= 0)] = np.nan
    return v


def chain_figure() -> go.FigureWidget:
    fig = make_subplots(rows=1, cols=2, horizontal_spacing=0.12,
                        subplot_titles=("|dL/dh_t| for L = h_T (log scale)", "hidden state h_t"))
    fig.add_scatter(name="|dL/dh_t| (BPTT)", mode="lines+markers", line=dict(color=BLUE), marker=dict(size=5), row=1, col=1)
    fig.add_scatter(name="|w|^(T-t)  (Phi' = 1)", mode="lines", line=dict(color=GREY, dash="dash"), row=1, col=1)
    fig.add_scatter(name="h_t", mode="lines+markers", line=dict(color=ORANGE), marker=dict(size=5), row=1, col=2)
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=1)
    fig.update_yaxes(range=[-1.05, 1.05], row=1, col=2)
    fig.update_xaxes(title_text="time-stamp t")
    fig.update_layout(height=380, margin=dict(l=60, r=20, t=50, b=50), legend=dict(orientation="h", y=-0.22),
                      template="plotly_white")
    return LiveFigure(fig)


def update_chain_figure(fig: go.FigureWidget, h: np.ndarray, grad: np.ndarray, w: float) -> None:
    T = len(h)
    t = np.arange(1, T + 1)
    with np.errstate(over="ignore"):
        bound = np.abs(w) ** (T - t).astype(float)
    with fig.batch_update():
        fig.data[0].x, fig.data[0].y = t, for_log_axis(np.abs(grad))
        fig.data[1].x, fig.data[1].y = t, for_log_axis(bound)
        fig.data[2].x, fig.data[2].y = t, h
        lo = np.nanmin(np.r_[for_log_axis(np.abs(grad)), for_log_axis(bound), 1.0])
        hi = np.nanmax(np.r_[for_log_axis(np.abs(grad)), for_log_axis(bound), 1.0])
        lo, hi = (1e-300, 1e300) if not np.isfinite(lo * hi) else (lo, hi)
        fig.layout.yaxis.range = [np.log10(lo) - 0.5, np.log10(hi) + 0.5]


def spectral_figure() -> go.FigureWidget:
    fig = make_subplots(
        rows=1, cols=3, horizontal_spacing=0.09, column_widths=[0.36, 0.28, 0.36],
        subplot_titles=("gradient reaching h_t (log scale)", "singular values of W_hh", "gradient flow log10 ||dL_s/dh_t||"),
    )
    fig.add_scatter(name="||dL_T/dh_t||", mode="lines+markers", line=dict(color=BLUE), marker=dict(size=4), row=1, col=1)
    fig.add_scatter(name="||dh_T/dh_t|| (Jacobian)", mode="lines", line=dict(color=ORANGE, dash="dot"), row=1, col=1)
    fig.add_bar(name="singular values", marker_color=GREY, row=1, col=2)
    fig.add_scatter(name="1/gamma (Pascanu bound)", mode="lines", line=dict(color=RED, dash="dash"), row=1, col=2)
    fig.add_heatmap(name="flow", colorscale="Viridis", colorbar=dict(title="log10", x=1.0, len=0.9), row=1, col=3)
    fig.update_yaxes(type="log", exponentformat="power", row=1, col=1)
    fig.update_xaxes(title_text="source time t", row=1, col=1)
    fig.update_xaxes(title_text="index", row=1, col=2)
    fig.update_xaxes(title_text="source time t", row=1, col=3)
    fig.update_yaxes(title_text="loss time s", autorange="reversed", row=1, col=3)
    fig.update_layout(height=420, margin=dict(l=60, r=30, t=50, b=50), legend=dict(orientation="h", y=-0.2),
                      template="plotly_white")
    return LiveFigure(fig)


def update_spectral_figure(fig: go.FigureWidget, grad_norms, jac_norms, singular_values, threshold, flow) -> None:
    T = len(grad_norms)
    t = np.arange(1, T + 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_flow = np.log10(np.where(flow > 0, flow, np.nan))
    log_flow[~np.isfinite(log_flow)] = np.nan
    k = np.arange(1, len(singular_values) + 1)
    with fig.batch_update():
        fig.data[0].x, fig.data[0].y = t, for_log_axis(grad_norms)
        fig.data[1].x, fig.data[1].y = t, for_log_axis(jac_norms)
        fig.data[2].x, fig.data[2].y = k, singular_values
        fig.data[3].x, fig.data[3].y = [0.5, len(k) + 0.5], [threshold, threshold]
        fig.data[4].x, fig.data[4].y, fig.data[4].z = t, t, log_flow
