"""View of one step of a vanilla RNN language model: the terms of the update, the softmax, all states.

Two parts, so that moving the time-stamp redraws little in the browser (plotly's widget redraws
a whole figure on every update, see :mod:`rnnviz.viz.live`; measured 2026-11-26):

* **the step** (HTML, :func:`step_html`), everything that changes with t:
  the one-hot x_t over the vocabulary (a strip with a single 1);
  the update as column vectors with their numbers, one row per hidden unit:
  h_{t-1} | W_xh x_t | + W_hh h_{t-1} | + b_h | = a_t | tanh -> h_t, coloured red (+) / blue (-);
  the softmax p_t = softmax(y_t): the top-k next characters, the true one in green;
* **the sentence** (a ``LiveFigure``): all hidden states h_1 ... h_T (p x T heatmap) and the
  loss of each step l_t = -log p_t(true next), grey bars for absent targets (not counted); a
  box marks the current time-stamp in both.

Pure functions: :func:`cellstep_figure` builds the figure empty with named traces,
:func:`update_sequence` draws the whole sentence, :func:`update_step` moves the boxes to t,
and :func:`step_html` writes the step.
"""

from __future__ import annotations

import functools
import html
import re
from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale
from plotly.subplots import make_subplots

from .live import LiveFigure

__all__ = ["COLUMNS", "cellstep_figure", "display_char", "scale_colour", "step_html", "update_sequence", "update_step"]

BLUE, GREEN, GREY, LIGHT, ORANGE, DARK = "#2563eb", "#16a34a", "#6b7280", "#d1d5db", "#ea580c", "#111827"

#: The column vectors of the update panel, in order: name -> column header.
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


def cellstep_figure(hidden_size: int, *, height: int = 620) -> go.FigureWidget:
    """The empty sentence figure for a model with ``hidden_size`` units."""
    p = int(hidden_size)
    fig = make_subplots(rows=2, cols=1, row_heights=[0.62, 0.38], vertical_spacing=0.16,
                        subplot_titles=("all hidden states", "loss per step"))
    # 1. all hidden states
    fig.add_heatmap(name="h (all t)", z=np.zeros((p, 1)), coloraxis="coloraxis", row=1, col=1,
                    hovertemplate="t = %{x}, unit %{y}: %{z:.3f}<extra></extra>")
    fig.update_yaxes(title_text="unit", autorange="reversed", showgrid=False, row=1, col=1)
    fig.update_xaxes(tickangle=0, tickfont=dict(size=11), showgrid=False, row=1, col=1)
    fig.add_shape(type="rect", xref="x", yref="y", x0=0.5, x1=1.5, y0=0.5, y1=p + 0.5,
                  line=dict(color=DARK, width=3), name="now (states)")
    # 2. loss per step
    fig.add_bar(name="loss l_t", x=[], y=[], row=2, col=1,
                hovertemplate="t = %{x}: l_t = %{y:.3f}<extra></extra>")
    fig.update_yaxes(title_text="l_t (nats)", row=2, col=1)
    fig.update_xaxes(tickangle=0, tickfont=dict(size=11), showgrid=False, row=2, col=1)
    fig.add_shape(type="rect", xref="x2", yref="y2 domain", x0=0.5, x1=1.5, y0=0, y1=1,
                  fillcolor="rgba(17,24,39,0.08)", line=dict(color=DARK, width=1.5), name="now (loss)")
    lo_hi = fig.layout.yaxis.domain  # the colour bar of the states sits beside their heatmap
    fig.update_layout(
        height=height, template="plotly_white", showlegend=False, margin=dict(l=60, r=40, t=50, b=40),
        coloraxis=dict(colorscale="RdBu", reversescale=True, cmin=-1, cmax=1,
                       colorbar=dict(title="h<sub>t</sub>", len=lo_hi[1] - lo_hi[0], y=sum(lo_hi) / 2, yanchor="middle",
                                     thickness=14)),
    )
    return LiveFigure(fig)


def update_sequence(fig: go.FigureWidget, H: np.ndarray, inputs: Sequence[str], targets: Sequence[str],
                    step_loss: np.ndarray, input_present: np.ndarray, target_present: np.ndarray,
                    total_loss: float) -> None:
    """The sentence figure for a whole sentence.

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
        fig.layout.xaxis.update(tickvals=t, ticktext=x_labels, range=[0.5, T + 0.5],
                                tickfont=dict(size=9 if dense else 11))
        fig.layout.xaxis2.update(tickvals=t, ticktext=y_labels, range=[0.5, T + 0.5],
                                 tickfont=dict(size=9 if dense else 11))
        absent = T - int(np.sum(input_present))
        fig.layout.annotations[0].text = (
            f"all hidden states h<sub>1</sub> \u2026 h<sub>{T}</sub> (column t = h<sub>t</sub>, under it the character "
            f"x<sub>t</sub> read; box: now)" + (f"; \u2205 = x<sub>t</sub> absent ({absent})" if absent else ""))
        fig.layout.annotations[1].text = (
            f"loss per step l<sub>t</sub> = \u2212log p\u0302<sub>t</sub>(true next), under it the true next character; "
            f"total L = <b>{total_loss:.2f}</b> nats over {n_present} of {T} targets"
            + ("; grey = target absent, not counted" if n_present < T else ""))


def update_step(fig: go.FigureWidget, t: int) -> None:
    """Move the boxes of the sentence figure to time-stamp ``t`` (1-based)."""
    with fig.batch_update():
        shapes = {s.name: s for s in fig.layout.shapes}
        shapes["now (states)"].update(x0=t - 0.5, x1=t + 0.5)
        shapes["now (loss)"].update(x0=t - 0.5, x1=t + 0.5)


@functools.cache
def _colour_stops(name: str) -> tuple[np.ndarray, np.ndarray]:
    """The positions (k,) and RGB values (k, 3) of a named plotly colour scale, resolved once.

    plotly's ``sample_colorscale`` resolves the name on every call (about 0.5 ms); the step table
    colours 192 cells per move of t.
    """
    scale = get_colorscale(name)
    pos = np.array([float(p) for p, _ in scale])
    rgb = np.array([[float(c) for c in re.findall(r"[\d.]+", colour)[:3]] for _, colour in scale])
    return pos, rgb


def scale_colour(u: float, name: str = "RdBu_r") -> str:
    """The colour at ``u`` in [0, 1] of a named plotly colour scale, as ``sample_colorscale`` gives it."""
    pos, rgb = _colour_stops(name)
    u = float(np.clip(u, 0.0, 1.0))
    r, g, b = (round(float(np.interp(u, pos, rgb[:, i]))) for i in range(3))
    return f"rgb({r}, {g}, {b})"


def _cell_colour(v: float, vmax: float) -> tuple[str, str]:
    """(background, text colour) of a value on the RdBu scale (red positive), as the heatmap draws it."""
    u = float(np.clip(v / vmax, -1.0, 1.0))
    return scale_colour((u + 1) / 2), ("#ffffff" if abs(u) > 0.6 else DARK)


def top_k(probs: np.ndarray, true_id: int, k: int = 10) -> list[int]:
    """The ids of the k most probable next characters, then the true one if it is not among them."""
    probs = np.asarray(probs, dtype=float)
    order = [int(i) for i in np.argsort(-probs, kind="stable")[:k]]
    if int(true_id) not in order:
        order.append(int(true_id))
    return order


def step_html(t: int, x: np.ndarray, terms: Mapping[str, np.ndarray], probs: np.ndarray, tokens: Sequence[str],
              true_id: int, *, unit: int = 1, top_k_shown: int = 10, x_char: str = "", input_present: bool = True,
              target_present: bool = True, y: np.ndarray | None = None) -> str:
    """The step at time-stamp ``t`` (1-based) as HTML: the one-hot x_t, the update with its numbers, the softmax.

    x: (V,) the input vector (one-hot, or zeros when absent); terms: name -> (p,) vector for
    every name of :data:`COLUMNS`; probs: (V,) p_t; true_id: the id of the true next character;
    unit: the boxed unit (1-based); y: (V,) scores y_t, shown on hover over the softmax bars.
    """
    x = np.asarray(x, dtype=float)
    probs = np.asarray(probs, dtype=float)
    scores = np.zeros(len(probs)) if y is None else np.asarray(y, dtype=float)
    esc = html.escape
    # 1. the one-hot input
    j = int(np.argmax(x)) if np.any(x) else None
    title = (f"x<sub>{t}</sub> = one-hot of '{esc(display_char(x_char))}' (d = {len(x)}): it selects column {j + 1} of "
             f"W<sub>xh</sub>" if input_present and j is not None else
             f"x<sub>{t}</sub> is <b>absent</b>: x<sub>{t}</sub> = 0, so W<sub>xh</sub> x<sub>{t}</sub> = 0")
    strip = "".join(
        f'<td title="{esc(display_char(c))}: {x[i]:.0f}" style="background:{DARK if x[i] else "#f3f4f6"}; '
        f'width:11px; height:22px; padding:0; border:1px solid #fff"></td>' for i, c in enumerate(tokens))
    chars = "".join(
        f'<td style="padding:0; text-align:center; font-size:10px; {"font-weight:bold" if i == j else "color:#555"}">'
        f"{esc(display_char(c))}</td>" for i, c in enumerate(tokens))
    onehot = (f'<div class="rnnviz-step-title">{title}</div><table class="rnnviz-onehot" '
              f'style="border-collapse:collapse; table-layout:fixed"><tr>{strip}</tr><tr>{chars}</tr></table>')
    # 2. the update, one row per hidden unit
    p = len(terms["h_t"])
    head = "".join(f'<th style="padding:2px 8px; font-weight:normal">{h}</th>' for h in COLUMNS.values())
    rows = []
    for u in range(p):
        boxed = u + 1 == unit
        cells = []
        for name in COLUMNS:
            v = float(terms[name][u])
            bg, fg = _cell_colour(v, TERM_RANGE)
            cells.append(f'<td title="{esc(name)}, unit {u + 1}: {v:.4f}" style="background:{bg}; color:{fg}; '
                         f'padding:0 8px; text-align:right; border:1px solid #fff">{v:.2f}</td>')
        style = ' style="outline:2.5px solid #111827; outline-offset:-1px"' if boxed else ""
        rows.append(f'<tr{style}><td style="padding:0 6px; color:#555; text-align:right">{u + 1}</td>'
                    + "".join(cells) + "</tr>")
    update = (f'<div class="rnnviz-step-title">the update at t = {t}, one row per hidden unit (unit {unit} boxed)</div>'
              '<table class="rnnviz-update" style="border-collapse:collapse; font-size:12px; line-height:1.25; '
              f'font-variant-numeric:tabular-nums"><tr><th style="font-weight:normal; color:#555">unit</th>{head}</tr>'
              + "".join(rows) + "</table>")
    # 3. the softmax: the top k, the true next character in green
    order = top_k(probs, true_id, top_k_shown)
    rank = int(np.sum(probs > probs[true_id])) + 1
    bars = []
    for k, i in enumerate(order):
        colour = GREEN if i == true_id else (ORANGE if k == 0 else BLUE)
        label = esc(display_char(tokens[i])) + (f" (rank {rank})" if i == true_id and k >= top_k_shown else "")
        bars.append(
            f'<tr title="p = {probs[i]:.4f}, y_t = {scores[i]:.3f}"><td style="text-align:right; padding:1px 6px; '
            f'font-size:15px; white-space:nowrap">{label}</td><td style="width:260px; padding:1px 0">'
            f'<div style="background:{colour}; width:{max(probs[i], 0.004) * 100:.1f}%; height:18px; '
            f'display:inline-block; vertical-align:middle"></div> <span style="font-size:12px">{probs[i]:.2f}</span>'
            "</td></tr>")
    softmax = (f'<div class="rnnviz-step-title">p&#770;<sub>{t}</sub> = softmax(y<sub>{t}</sub>): top {top_k_shown} '
               f"next characters<br><span style='color:{GREEN}'>green</span> = the true next "
               f"'{esc(display_char(tokens[true_id]))}' (p = {probs[true_id]:.2f})"
               + ("" if target_present else " &mdash; target absent") + "</div>"
               '<table class="rnnviz-softmax" style="border-collapse:collapse">' + "".join(bars) + "</table>")
    return ('<div class="rnnviz-step" style="font-size:14px">'
            '<style>.rnnviz-step-title{text-align:center; margin:8px 0 4px 0; font-size:15px}</style>'
            f'<div style="overflow-x:auto">{onehot}</div>'
            f'<div style="display:flex; gap:48px; align-items:flex-start; flex-wrap:wrap">'
            f"<div>{update}</div><div>{softmax}</div></div></div>")
