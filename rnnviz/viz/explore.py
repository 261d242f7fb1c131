"""Figures for views a student explores (rotates, zooms) rather than scrubs: plotly figures.

Each builder is a pure function from results to a ``go.Figure``; an app shows it in a
:class:`rnnviz.viz.live.ExploreFigure` and replaces it when the student asks for another one
(a button, Enter), never on every tick of a slider.

* :func:`trajectory_figure` — a sequence of hidden states as a path in 3D, on its first three
  principal components (:mod:`rnnviz.lessonmath.projection`).
* :func:`loss_series_figure` — the loss of every character of a long passage, zoomable, against the
  unigram baseline (:func:`rnnviz.lessonmath.cellstep.passage_losses`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .cellstep import display_char

__all__ = ["SMOOTH", "SUBSCRIPT", "loss_series_figure", "point_label", "running_mean", "trajectory_figure"]

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
START, END, PATH = "#16a34a", "#dc2626", "Viridis"
#: characters in the running mean of the loss series
SMOOTH = 50


def point_label(char: str, t: int) -> str:
    """The label of h_t in the picture: the character read at t, with t as a subscript (``'a', 12 -> 'a₁₂'``)."""
    return f"{display_char(char)}{str(int(t)).translate(SUBSCRIPT)}"


def trajectory_figure(coords: np.ndarray, chars: Sequence[str], ratio: np.ndarray, *, height: int = 620) -> go.Figure:
    """The path h_1 -> ... -> h_T on three principal components, one labelled point per time-stamp.

    coords: (T, 3) coordinates of the states (``Projection.coords``); chars: the T characters read
    (x_1 ... x_T); ratio: (3,) share of the variance each component carries (axis titles).
    Traces: ``path`` (line and points, coloured by t, each labelled :func:`point_label`), ``start``
    (h_1) and ``end`` (h_T). The scene keeps the components' true proportions (``aspectmode="data"``):
    distances in the picture are distances between the projected states.
    """
    P = np.asarray(coords, dtype=np.float64)
    T = len(chars)
    if P.shape != (T, 3):
        raise ValueError(f"coords: expected ({T}, 3) for {T} characters, got {P.shape}")
    t = np.arange(1, T + 1)
    labels = [point_label(c, k) for c, k in zip(chars, t)]
    shown = [repr(c) if c != " " else "' ' (space)" for c in chars]
    hover = [f"h<sub>{k}</sub> after reading x<sub>{k}</sub> = {s}" for k, s in zip(t, shown)]
    x, y, z = (P[:, j].tolist() for j in range(3))
    colour = dict(color=t.tolist(), colorscale=PATH, cmin=1, cmax=max(T, 2))
    path = go.Scatter3d(
        name="h<sub>t</sub>, t = 1 … T", x=x, y=y, z=z, mode="lines+markers+text", text=labels, hovertext=hover,
        textposition="top center", textfont=dict(size=12, color="#111827"),
        marker=dict(size=4, **colour, colorbar=dict(title=dict(text="t"), thickness=12, len=0.6, x=1.0)),
        line=dict(width=4, **colour),
        hovertemplate="%{hovertext}<br>PC1 %{x:.3f}, PC2 %{y:.3f}, PC3 %{z:.3f}<extra></extra>",
    )
    ends = []
    for name, k, colour_, symbol in (("start", 0, START, "diamond"), ("end", T - 1, END, "square")):
        ends.append(go.Scatter3d(
            name=f"{name}: {labels[k]}", x=[x[k]], y=[y[k]], z=[z[k]], mode="markers", hovertext=[hover[k]],
            marker=dict(size=9, color=colour_, symbol=symbol, line=dict(color="#111827", width=1)),
            hovertemplate=f"{name}: %{{hovertext}}<extra></extra>",
        ))
    axis = [dict(title=dict(text=f"PC{j + 1} ({100 * float(ratio[j]):.0f} %)"), showspikes=False)
            for j in range(3)]
    return go.Figure(
        [path, *ends],
        layout=dict(
            height=height, autosize=True, margin=dict(l=0, r=0, t=10, b=0),
            scene=dict(xaxis=axis[0], yaxis=axis[1], zaxis=axis[2], aspectmode="data",
                       camera=dict(eye=dict(x=1.45, y=1.45, z=0.85), center=dict(x=0, y=0, z=-0.12))),
            legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"),
            font=dict(size=13), paper_bgcolor="white",
        ),
    )


def running_mean(values: np.ndarray, width: int = SMOOTH) -> np.ndarray:
    """The mean of the last ``width`` values at each position (fewer at the start), (N,)."""
    v = np.asarray(values, dtype=np.float64)
    c = np.concatenate([[0.0], np.cumsum(v)])
    n = np.arange(1, len(v) + 1)
    lo = np.maximum(n - width, 0)
    return (c[n] - c[lo]) / (n - lo)


def loss_series_figure(step_loss: np.ndarray, text: str, unigram_loss: np.ndarray, *, start: int = 0,
                       shown: int = 400, height: int = 430) -> go.Figure:
    """The loss l_t of every character of a passage, zoomable: drag on the chart or on the range slider under it.

    step_loss, unigram_loss: (N,) losses of the model and of the unigram baseline; text: the N + 1 characters
    (x_1 .. x_N read, x_2 .. x_{N+1} predicted); start: the passage's offset in the held-out text (hover texts);
    shown: how many characters the first view shows. Traces: ``loss`` (l_t), ``mean`` (its running mean over
    :data:`SMOOTH` characters), ``unigram`` (the baseline's mean, a dashed line).
    """
    loss = np.asarray(step_loss, dtype=np.float64)
    N = loss.size
    if len(text) != N + 1 or np.shape(unigram_loss) != (N,):
        raise ValueError(f"loss_series_figure: {N} losses need {N + 1} characters and {N} baseline losses, got "
                         f"{len(text)} and {np.shape(unigram_loss)}")
    t = np.arange(1, N + 1)
    context = [text[max(0, k - 12):k + 1].replace("\n", "↵") for k in range(N)]
    hover = [f"t = {k} (character {start + k} of the held-out text)<br>read …{c!r}, next {display_char(text[k])!r}"
             for k, c in zip(t, context)]
    baseline = float(np.mean(unigram_loss))
    return go.Figure(
        [go.Scatter(name="l<sub>t</sub>, each character", x=t, y=loss, mode="lines", line=dict(width=1, color="#56B4E9"),
                    hovertext=hover, hovertemplate="%{hovertext}<br>l<sub>t</sub> = %{y:.2f} nats<extra></extra>"),
         go.Scatter(name=f"running mean over {SMOOTH} characters", x=t, y=running_mean(loss), mode="lines",
                    line=dict(width=3, color="#0072B2"), hovertemplate="mean %{y:.2f} nats<extra></extra>"),
         go.Scatter(name=f"unigram baseline, mean {baseline:.2f}", x=[1, N], y=[baseline, baseline], mode="lines",
                    line=dict(width=2, color="#D55E00", dash="dash"), hoverinfo="skip")],
        layout=dict(
            height=height, autosize=True, margin=dict(l=60, r=10, t=10, b=10), font=dict(size=13),
            xaxis=dict(title=dict(text="time-stamp t (character read)"), range=[0.5, min(N, shown) + 0.5],
                       rangeslider=dict(visible=True, thickness=0.12)),
            yaxis=dict(title=dict(text="loss l<sub>t</sub> (nats)"), rangemode="tozero", fixedrange=False),
            legend=dict(orientation="h", x=0, y=1.0, yanchor="bottom"), paper_bgcolor="white", hovermode="closest",
        ),
    )
