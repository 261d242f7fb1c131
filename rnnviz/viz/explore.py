"""Figures for views a student explores (rotates, zooms) rather than scrubs: plotly figures.

Each builder is a pure function from results to a ``go.Figure``; an app shows it in a
:class:`rnnviz.viz.live.ExploreFigure` and replaces it when the student asks for another one
(a button, Enter), never on every tick of a slider.

* :func:`trajectory_figure` — a sequence of hidden states as a path in 3D, on its first three
  principal components (:mod:`rnnviz.lessonmath.projection`).
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from .cellstep import display_char

__all__ = ["SUBSCRIPT", "point_label", "trajectory_figure"]

SUBSCRIPT = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
START, END, PATH = "#16a34a", "#dc2626", "Viridis"


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
