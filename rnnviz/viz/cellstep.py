"""Plotly view of one step of a vanilla RNN language model: the terms of the update, the softmax, all states.

One ``go.FigureWidget`` with four panels (``make_subplots``):

1. **x_t**: the one-hot input over the vocabulary (d = V characters), a strip with a single 1;
2. left, **the update** as column vectors with their numbers printed:
   h_{t-1} | W_xh x_t | + W_hh h_{t-1} | + b_h | = a_t | tanh -> h_t  (one row per hidden unit);
   right, **the softmax** p_t = softmax(y_t): the top-k next characters, the true one in green;
3. **all hidden states** h_1 ... h_T (p x T heatmap), a box around the current time-stamp;
4. **the loss of each step** l_t = -log p_t(true next); grey bars are absent targets (not counted).

Pure functions: :func:`cellstep_figure` builds it empty with named traces,
:func:`update_sequence` draws what depends on the whole sentence (panels 3, 4) and
:func:`update_step` what depends on the time-stamp (panels 1, 2, the boxes).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .live import LiveFigure

__all__ = ["COLUMNS", "cellstep_figure", "display_char", "update_sequence", "update_step"]

BLUE, GREEN, GREY, LIGHT, ORANGE, DARK = "#2563eb", "#16a34a", "#6b7280", "#d1d5db", "#ea580c", "#111827"

#: The column vectors of the update panel, in order: trace name -> tick label.
COLUMNS = {
    "h_{t-1}": "h<sub>t-1</sub>",
    "W_xh x_t": "W<sub>xh</sub> x<sub>t</sub>",
    "W_hh h_{t-1}": "+ W<sub>hh</sub> h<sub>t-1</sub>",
    "b_h": "+ b<sub>h</sub>",
    "a_t": "= a<sub>t</sub>",
    "h_t": "tanh &#8594; h<sub>t</sub>",
}
#: Colour range of the update panel (numbers are printed; beyond +-2 tanh is saturated anyway).
TERM_RANGE = 2.0

_SHOWN = {" ": "\u2423", "\n": "\u21b5", "<unk>": "\u2047"}  # open box, return arrow, double question mark


def display_char(token: str) -> str:
    """A character as a label a student can see: space -> '␣', newline -> '↵'."""
    return _SHOWN.get(token, token)


def _idx(fig: go.FigureWidget, name: str) -> int:
    for i, trace in enumerate(fig.data):
        if trace.name == name:
            return i
    raise KeyError(name)


def cellstep_figure(hidden_size: int, tokens: Sequence[str], *, height: int = 1500) -> go.FigureWidget:
    """The empty figure for a model with ``hidden_size`` units over the vocabulary ``tokens``."""
    p, V = int(hidden_size), len(tokens)
    fig = make_subplots(
        rows=4, cols=2, column_widths=[0.6, 0.4], row_heights=[0.05, 0.5, 0.28, 0.17],
        specs=[[{"colspan": 2}, None], [{}, {}], [{"colspan": 2}, None], [{"colspan": 2}, None]],
        horizontal_spacing=0.09, vertical_spacing=0.075,
        subplot_titles=("x_t", "the update, one row per hidden unit", "softmax", "all hidden states", "loss per step"),
    )
    units = np.arange(1, p + 1)
    # 1. one-hot input
    fig.add_heatmap(name="x_t", z=np.zeros((1, V)), x=np.arange(V), y=[0], colorscale=[[0, "#f3f4f6"], [1, DARK]],
                    zmin=0, zmax=1, showscale=False, xgap=1, hovertemplate="%{customdata}: %{z:.0f}<extra></extra>",
                    customdata=[[display_char(t) for t in tokens]], row=1, col=1)
    fig.update_xaxes(tickvals=list(range(V)), ticktext=[display_char(t) for t in tokens], tickangle=0,
                     tickfont=dict(size=10), showgrid=False, row=1, col=1)
    fig.update_yaxes(visible=False, row=1, col=1)
    # 2a. the update as column vectors
    for k, name in enumerate(COLUMNS):
        fig.add_heatmap(name=name, x=[k], y=units, z=np.zeros((p, 1)), coloraxis="coloraxis", xgap=4, ygap=1,
                        texttemplate="%{z:.2f}", textfont=dict(size=10),
                        hovertemplate=f"{name}, unit %{{y}}: %{{z:.4f}}<extra></extra>", row=2, col=1)
    fig.update_xaxes(tickvals=list(range(len(COLUMNS))), ticktext=list(COLUMNS.values()), tickangle=0, side="top",
                     showgrid=False, zeroline=False, tickfont=dict(size=13), row=2, col=1)
    fig.update_yaxes(title_text="unit", autorange="reversed", tickvals=units, tickfont=dict(size=9), showgrid=False,
                     row=2, col=1)
    fig.add_shape(type="rect", xref="x2", yref="y2", x0=-0.5, x1=len(COLUMNS) - 0.5, y0=0.5, y1=1.5,
                  line=dict(color=DARK, width=2.5), name="unit")
    # 2b. softmax
    fig.add_bar(name="p_t", orientation="h", x=[], y=[], textposition="outside", cliponaxis=False,
                texttemplate="%{x:.2f}", row=2, col=2)
    fig.update_yaxes(type="category", autorange="reversed", tickfont=dict(size=14), row=2, col=2)
    fig.update_xaxes(title_text="probability of the next character", range=[0, 1.12], row=2, col=2)
    # 3. all hidden states
    fig.add_heatmap(name="h (all t)", z=np.zeros((p, 1)), coloraxis="coloraxis2", row=3, col=1,
                    hovertemplate="t = %{x}, unit %{y}: %{z:.3f}<extra></extra>")
    fig.update_yaxes(title_text="unit", autorange="reversed", showgrid=False, row=3, col=1)
    fig.update_xaxes(tickangle=0, tickfont=dict(size=11), showgrid=False, row=3, col=1)
    fig.add_shape(type="rect", xref="x4", yref="y4", x0=0.5, x1=1.5, y0=0.5, y1=p + 0.5,
                  line=dict(color=DARK, width=3), name="now (states)")
    # 4. loss per step
    fig.add_bar(name="loss l_t", x=[], y=[], row=4, col=1,
                hovertemplate="t = %{x}: l_t = %{y:.3f}<extra></extra>")
    fig.update_yaxes(title_text="l_t (nats)", row=4, col=1)
    fig.update_xaxes(tickangle=0, tickfont=dict(size=11), showgrid=False, row=4, col=1)
    fig.add_shape(type="rect", xref="x5", yref="y5 domain", x0=0.5, x1=1.5, y0=0, y1=1,
                  fillcolor="rgba(17,24,39,0.08)", line=dict(color=DARK, width=1.5), name="now (loss)")
    lo_hi = fig.layout.yaxis4.domain  # the colour bar of the states sits beside their heatmap
    fig.update_layout(
        height=height, template="plotly_white", showlegend=False, margin=dict(l=60, r=40, t=60, b=40),
        coloraxis=dict(colorscale="RdBu", reversescale=True, cmin=-TERM_RANGE, cmax=TERM_RANGE, showscale=False),
        coloraxis2=dict(colorscale="RdBu", reversescale=True, cmin=-1, cmax=1,
                        colorbar=dict(title="h<sub>t</sub>", len=lo_hi[1] - lo_hi[0], y=sum(lo_hi) / 2, yanchor="middle",
                                      thickness=14)),
    )
    fig.layout.annotations[1].yshift = 26  # above the column headers of the update panel
    return LiveFigure(fig)


def update_sequence(fig: go.FigureWidget, H: np.ndarray, inputs: Sequence[str], targets: Sequence[str],
                    step_loss: np.ndarray, input_present: np.ndarray, target_present: np.ndarray,
                    total_loss: float) -> None:
    """Panels 3 and 4 for a whole sentence.

    H: (T, p) states h_1..h_T; inputs / targets: the T characters read and the T true next ones;
    step_loss: (T,) l_t for every t (also where the target is absent, drawn grey);
    input_present / target_present: (T,) bool masks; total_loss: the sum over present targets.
    """
    H = np.asarray(H, dtype=float)
    T, p = H.shape
    t = np.arange(1, T + 1)
    x_labels = [display_char(c) if ok else "\u2205" for c, ok in zip(inputs, input_present)]
    y_labels = [display_char(c) for c in targets]
    n_present = int(np.sum(target_present))
    with fig.batch_update():
        hm = fig.data[_idx(fig, "h (all t)")]
        hm.z, hm.x, hm.y = H.T, t, np.arange(1, p + 1)
        bars = fig.data[_idx(fig, "loss l_t")]
        bars.x, bars.y = t, np.asarray(step_loss, dtype=float)
        bars.marker.color = [BLUE if ok else LIGHT for ok in target_present]
        bars.marker.line = dict(color=[BLUE if ok else GREY for ok in target_present], width=1)
        dense = T > 60
        fig.layout.xaxis4.update(tickvals=t, ticktext=x_labels, range=[0.5, T + 0.5],
                                 tickfont=dict(size=9 if dense else 11))
        fig.layout.xaxis5.update(tickvals=t, ticktext=y_labels, range=[0.5, T + 0.5],
                                 tickfont=dict(size=9 if dense else 11))
        absent = T - int(np.sum(input_present))
        fig.layout.annotations[3].text = (
            f"all hidden states h<sub>1</sub> \u2026 h<sub>{T}</sub> (column t = h<sub>t</sub>, under it the character "
            f"x<sub>t</sub> read; box: now)" + (f"; \u2205 = x<sub>t</sub> absent ({absent})" if absent else ""))
        fig.layout.annotations[4].text = (
            f"loss per step l<sub>t</sub> = \u2212log p\u0302<sub>t</sub>(true next), under it the true next character; "
            f"total L = <b>{total_loss:.2f}</b> nats over {n_present} of {T} targets"
            + ("; grey = target absent, not counted" if n_present < T else ""))


def update_step(fig: go.FigureWidget, t: int, x: np.ndarray, terms: Mapping[str, np.ndarray], probs: np.ndarray,
                tokens: Sequence[str], true_id: int, *, unit: int = 1, top_k: int = 10, x_char: str = "",
                input_present: bool = True, target_present: bool = True, y: np.ndarray | None = None) -> None:
    """Panels 1 and 2 at time-stamp ``t`` (1-based) and the boxes marking it.

    x: (V,) the input vector (one-hot, or zeros when absent); terms: name -> (p,) vector for
    every name of :data:`COLUMNS`; probs: (V,) p_t; true_id: the id of the true next character;
    unit: the highlighted unit (1-based); y: (V,) scores y_t shown on hover.
    """
    probs = np.asarray(probs, dtype=float)
    order = [int(i) for i in np.argsort(-probs, kind="stable")[:top_k]]
    rank = int(np.sum(probs > probs[true_id])) + 1
    extra = true_id not in order
    if extra:
        order.append(int(true_id))
    labels = [display_char(tokens[i]) for i in order]
    if extra:
        labels[-1] = f"{labels[-1]} (rank {rank})"
    colors = [GREEN if i == true_id else (ORANGE if k == 0 else BLUE) for k, i in enumerate(order)]
    scores = np.zeros(len(probs)) if y is None else np.asarray(y, dtype=float)
    with fig.batch_update():
        fig.data[_idx(fig, "x_t")].z = np.asarray(x, dtype=float)[None, :]
        for name in COLUMNS:
            fig.data[_idx(fig, name)].z = np.asarray(terms[name], dtype=float)[:, None]
        bars = fig.data[_idx(fig, "p_t")]
        bars.x, bars.y = probs[order], labels
        bars.marker.color = colors
        bars.customdata = scores[order]
        bars.hovertemplate = "%{y}: p = %{x:.4f}, y_t = %{customdata:.3f}<extra></extra>"
        shapes = {s.name: s for s in fig.layout.shapes}
        shapes["unit"].update(y0=unit - 0.5, y1=unit + 0.5)
        shapes["now (states)"].update(x0=t - 0.5, x1=t + 0.5)
        shapes["now (loss)"].update(x0=t - 0.5, x1=t + 0.5)
        j = int(np.argmax(x)) if np.any(x) else None
        fig.layout.annotations[0].text = (
            f"x<sub>{t}</sub> = one-hot of '{display_char(x_char)}' (d = {len(x)}): it selects column {j + 1} of "
            f"W<sub>xh</sub>" if input_present and j is not None else
            f"x<sub>{t}</sub> is <b>absent</b>: x<sub>{t}</sub> = 0, so W<sub>xh</sub> x<sub>{t}</sub> = 0")
        fig.layout.annotations[1].text = (f"the update at t = {t}, one row per hidden unit "
                                          f"(unit {unit} boxed)")
        fig.layout.annotations[2].text = (
            f"p\u0302<sub>{t}</sub> = softmax(y<sub>{t}</sub>): top {top_k} next characters<br>"
            f"<span style='color:{GREEN}'>green</span> = the true next '{display_char(tokens[true_id])}' "
            f"(p = {probs[true_id]:.2f})" + ("" if target_present else " \u2014 target absent"))
