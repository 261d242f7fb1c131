"""Plotly view of a recurrent network folded (one cell with a loop) and unrolled in time.

Pure functions over the graph description of :mod:`rnnviz.core.graph`:
:func:`unrolling_figure` builds the empty two-panel ``go.FigureWidget`` with named traces,
:func:`update_unrolling_figure` draws a graph (and a highlighted selection) into it inside one
``batch_update``. :func:`positions` and :func:`node_colours` are the geometry and the colouring,
kept separate so they can be tested without a figure.

Edges are drawn in the colour of their *role* (W_xh, W_hh, W_hy): every copy of a shared
matrix looks the same. An arrowhead in the middle of each edge shows its direction.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from ..core.graph import Edge, Graph, Node, Reach
from .live import LiveFigure

__all__ = [
    "COLOURS",
    "TRACES",
    "edge_path",
    "labelled_edges",
    "node_colours",
    "positions",
    "trace",
    "unrolling_figure",
    "update_unrolling_figure",
]

#: Role colours of the edges; node fills by kind; the selection.
COLOURS = {
    "W_xh": "#0284c7", "W_hh": "#ea580c", "W_hy": "#7c3aed",
    "x": "#dbeafe", "h": "#ccfbf1", "y": "#ede9fe",
    "x_line": "#2563eb", "h_line": "#0f766e", "y_line": "#7c3aed",
    "selected": "#dc2626", "reach": "#fcd34d", "reach_line": "#b45309",
    "faded": "#f3f4f6", "faded_line": "#d1d5db", "faded_text": "#9ca3af", "text": "#111827",
}
ROLES = ("W_xh", "W_hh", "W_hy")
ROLE_NAMES = {"W_xh": "W_xh: input → hidden", "W_hh": "W_hh: hidden → hidden", "W_hy": "W_hy: hidden → output"}

#: The traces of the figure, in order (``trace(fig, name)`` finds one).
TRACES = (
    "folded W_xh", "folded W_hh", "folded W_hy", "folded nodes", "folded labels",
    "W_xh", "W_hh", "W_hy", "W_xh selected", "W_hh selected", "W_hy selected", "nodes", "edge labels", "words",
    "legend W_xh", "legend W_hh", "legend W_hy",
)

ROW_GAP, DIRECTION_GAP = 1.0, 0.7
DIRECTION_SHIFT = {"unrolled": 0.2, "folded": 0.38}  # h^f left of h^b, so x -> h^b does not run through h^f
WORD_Y = -0.62
NODE_SIZE = 36
ARROW, ARROW_SIZE = "triangle-up", 13  # rotated along each edge (angleref="previous")
ARROW_AT = 0.6  # the arrowhead sits this far along an edge


def trace(fig: go.Figure, name: str):
    """The trace called ``name`` (one of :data:`TRACES`)."""
    return fig.data[TRACES.index(name)]


def positions(graph: Graph) -> dict[str, tuple[float, float]]:
    """(x, y) of every node: column t (0 when folded), rows x < h (layer by layer) < y.

    The two directions of a bidirectional layer sit on two rows, shifted left and right,
    so the edges from x_t to h^f_t and h^b_t do not run through each other.
    """
    rows: dict[tuple[int, str], float] = {}
    y = 0.0
    for k in range(1, graph.num_layers + 1):
        y += ROW_GAP
        rows[(k, "fwd")] = y
        if graph.bidirectional:
            y += DIRECTION_GAP
            rows[(k, "bwd")] = y
    top = y + ROW_GAP
    pos = {}
    for n in graph.nodes:
        if n.kind == "x":
            pos[n.name] = (float(n.t), 0.0)
        elif n.kind == "y":
            pos[n.name] = (float(n.t), top)
        else:
            d = DIRECTION_SHIFT["folded" if graph.T == 0 else "unrolled"]
            shift = 0.0 if not graph.bidirectional else (-d if n.direction == "fwd" else d)
            pos[n.name] = (n.t + shift, rows[(n.layer, n.direction)])
    return pos


def _top(graph: Graph) -> float:
    return graph.num_layers * (ROW_GAP + (DIRECTION_GAP if graph.bidirectional else 0.0)) + ROW_GAP


def edge_path(edge: Edge, pos: dict, loop_side: int = 1) -> tuple[list, list, list, tuple[float, float, str]]:
    """xs, ys, marker sizes (an arrowhead at one point) and the label's (x, y, text position) of one edge.

    A self-loop (the folded W_hh) is drawn beside its node, on the right (``loop_side=1``) or the left (-1).
    """
    (x0, y0), (x1, y1) = pos[edge.src], pos[edge.dst]
    if edge.src == edge.dst:  # out of the node at the top, round the side, back in below
        cx, cy, rx, ry = x0 + 0.42 * loop_side, y0, 0.3, 0.28
        a0 = 0.85 * math.pi
        angles = [a0 - i * 2 * a0 / 24 for i in range(25)]  # clockwise over the top, round the right side
        xs = [cx + loop_side * rx * math.cos(a) for a in angles]
        ys = [cy + ry * math.sin(a) for a in angles]
        sizes = [0] * len(xs)
        sizes[12] = ARROW_SIZE  # on the far side, pointing down: the state goes back into h
        if loop_side > 0 and ".bwd." not in edge.param:  # one direction: beside the loop
            label = (cx + rx + 0.04, cy, "middle right")
        elif ".fwd." in edge.param:  # two directions: h^f's loop is on the left, its label above it
            label = (cx, cy + ry + 0.02, "top center")
        else:  # and h^b's on the right, labelled below it, clear of the edge from h^b to y
            label = (cx, cy - ry - 0.02, "bottom center")
        return xs + [None], ys + [None], sizes + [0], label
    xm, ym = x0 + ARROW_AT * (x1 - x0), y0 + ARROW_AT * (y1 - y0)
    if abs(y1 - y0) < 1e-9:  # horizontal: W_hh, label above the middle
        label = ((x0 + x1) / 2, y0 + 0.17, "top center")
    else:  # upward: label beside the lower part, on the outer side of its column (right when centred)
        f, mid = 0.38, (x0 + x1) / 2
        side = -1 if mid < round(mid) - 1e-9 else 1
        label = (x0 + f * (x1 - x0) + 0.05 * side, y0 + f * (y1 - y0), "middle right" if side > 0 else "middle left")
    return [x0, xm, x1, None], [y0, ym, y1, None], [0, ARROW_SIZE, 0, 0], label


def labelled_edges(graph: Graph) -> list[Edge]:
    """The edges that get a text label, so that labels do not pile up.

    All of them for one plain layer. Unrolled, with two layers or two directions: only those at the first
    time-stamp (the other columns repeat the same matrices); with both: none (the folded picture names them).
    Folded: all but the crossing inputs of a second bidirectional layer.
    """
    if graph.num_layers == 1 and not graph.bidirectional:
        return list(graph.edges)
    if graph.T == 0:  # folded: all but the crossing inputs of a second bidirectional layer
        return [e for e in graph.edges if not (graph.bidirectional and e.role == "W_xh" and not e.param.startswith("layer0"))]
    if graph.num_layers > 1 and graph.bidirectional:
        return []
    return [e for e in graph.edges if graph.index[e.src].t == 1 or graph.index[e.dst].t == 1]


def _loop_side(graph: Graph, edge: Edge) -> int:
    return -1 if graph.bidirectional and ".fwd." in edge.param else 1


def node_colours(graph: Graph, selected: str | None = None, reach: Reach | None = None,
                 names: Sequence[str] | None = None) -> tuple[list[str], list[str], list[str]]:
    """(fill, outline, text) colour of every node of ``graph`` (or of ``names``, folded node names).

    Nothing selected: by kind. A selection: the selected node red, its reach amber, the rest faded.
    """
    names = [n.name for n in graph.nodes] if names is None else list(names)
    kinds = {n.name: n.kind for n in graph.nodes}
    fill, line, text = [], [], []
    reached = reach.names if reach is not None else frozenset()
    for name in names:
        kind = kinds[name]
        if selected is None:
            fill.append(COLOURS[kind]), line.append(COLOURS[kind + "_line"]), text.append(COLOURS["text"])
        elif name == selected:
            fill.append(COLOURS["selected"]), line.append(COLOURS["selected"]), text.append("white")
        elif name in reached:
            fill.append(COLOURS["reach"]), line.append(COLOURS["reach_line"]), text.append(COLOURS["text"])
        else:
            fill.append(COLOURS["faded"]), line.append(COLOURS["faded_line"]), text.append(COLOURS["faded_text"])
    return fill, line, text


def unrolling_figure() -> go.FigureWidget:
    """The empty two-panel figure: folded on the left, unrolled on the right."""
    fig = make_subplots(rows=1, cols=2, column_widths=[0.2, 0.8], horizontal_spacing=0.03,
                        subplot_titles=("folded: one cell, one loop", "unrolled in time"))
    for col, prefix in ((1, "folded "), (2, "")):
        for role in ROLES:
            fig.add_scatter(name=prefix + role, mode="lines+markers", line=dict(color=COLOURS[role], width=2),
                            marker=dict(symbol=ARROW, angleref="previous", color=COLOURS[role], size=0),
                            hoverinfo="skip", showlegend=False, row=1, col=col)
        if prefix:
            fig.add_scatter(name="folded nodes", mode="markers+text", textfont=dict(size=16), hoverinfo="text",
                            marker=dict(size=NODE_SIZE + 4, line=dict(width=2)), showlegend=False, row=1, col=col)
            fig.add_scatter(name="folded labels", mode="text", textfont=dict(size=13), hoverinfo="skip",
                            showlegend=False, row=1, col=col)
    for role in ROLES:
        fig.add_scatter(name=role + " selected", mode="lines+markers", line=dict(color=COLOURS[role], width=4.5),
                        marker=dict(symbol=ARROW, angleref="previous", color=COLOURS[role], size=0),
                        hoverinfo="skip", showlegend=False, row=1, col=2)
    fig.add_scatter(name="nodes", mode="markers+text", textfont=dict(size=14), hoverinfo="text",
                    marker=dict(size=NODE_SIZE, line=dict(width=2)), showlegend=False, row=1, col=2)
    fig.add_scatter(name="edge labels", mode="text", textfont=dict(size=12.5), hoverinfo="skip", showlegend=False,
                    row=1, col=2)
    fig.add_scatter(name="words", mode="text", textfont=dict(size=14, color="#374151"), hoverinfo="skip",
                    showlegend=False, row=1, col=2)
    for role in ROLES:  # legend entries only: the edge traces themselves fade when a node is selected
        fig.add_scatter(name=ROLE_NAMES[role], x=[None], y=[None], mode="lines", line=dict(color=COLOURS[role], width=3),
                        hoverinfo="skip", row=1, col=2)
    assert len(fig.data) == len(TRACES)
    for i, name in enumerate(TRACES):  # the legend shows long names; meta keeps the short one of TRACES
        fig.data[i].meta = name
    fig.update_xaxes(visible=False, fixedrange=True)
    fig.update_yaxes(visible=False, fixedrange=True)
    fig.update_layout(height=440, margin=dict(l=10, r=10, t=40, b=50), template="plotly_white", dragmode=False,
                      legend=dict(orientation="h", x=0.6, y=0.0, yanchor="top", xanchor="center",
                                  font=dict(size=13), bgcolor="rgba(255,255,255,0)"),
                      hoverlabel=dict(font_size=13), clickmode="event")
    fig.layout.annotations[0].update(x=0.0, xanchor="left", font=dict(size=14))
    fig.layout.annotations[1].update(x=1.0, xanchor="right", font=dict(size=14))
    return LiveFigure(fig)


def _edges_xy(edges: Sequence[Edge], pos: dict, scale: float = 1.0, graph: Graph | None = None) -> dict[str, list]:
    xs, ys, sizes = [], [], []
    for e in edges:
        x, y, s, _ = edge_path(e, pos, _loop_side(graph, e) if graph is not None else 1)
        xs += x
        ys += y
        sizes += [v * scale for v in s]
    return {"x": xs, "y": ys, "marker.size": sizes}


def _hover(graph: Graph, node: Node) -> str:
    if node.kind == "x":
        n = len(graph.influences(node.name).nodes)
        return f"{node.label}: input; it influences {n} later node(s). Click to see which."
    dep = graph.depends_on(node.name).nodes_of("x")
    span = f"x<sub>{dep[0].t}</sub> … x<sub>{dep[-1].t}</sub>" if len(dep) > 1 else dep[0].label
    return f"{node.label} depends on {span}. Click to see the paths."


def update_unrolling_figure(
    fig: go.FigureWidget, graph: Graph, folded: Graph, *, words: Sequence[str] = (), selected: str | None = None,
    reach: Reach | None = None,
) -> None:
    """Draw ``graph`` (unrolled) and ``folded`` into ``fig``; highlight ``selected`` and its ``reach``."""
    pos, fpos = positions(graph), positions(folded)
    top = _top(graph)
    active = selected is not None
    reached_edges = set(reach.edges) if reach is not None else set()
    fill, line, text = node_colours(graph, selected, reach)
    # the folded picture: highlight the copies the selection touches
    if active:
        sel_node = graph.node(selected)
        fold_reach = Reach(folded.node(graph.fold(sel_node)),
                           tuple(folded.node(graph.fold(n)) for n in (reach.nodes if reach else ())), ())
        ffill, fline, ftext = node_colours(folded, fold_reach.node.name, fold_reach)
        fold_edges = {(graph.fold(graph.node(e.src)), graph.fold(graph.node(e.dst)), e.param) for e in reached_edges}
    else:
        ffill, fline, ftext = node_colours(folded)
        fold_edges = set()
    lab_x, lab_y, lab_pos, lab_text, lab_col = [], [], [], [], []
    for e in labelled_edges(graph):
        lx, ly, lp = edge_path(e, pos)[3]
        lab_x.append(lx), lab_y.append(ly), lab_pos.append(lp), lab_text.append(e.html)
        lab_col.append(COLOURS[e.role] if (not active or e in reached_edges) else COLOURS["faded_line"])
    flabelled = labelled_edges(folded)
    flab = [edge_path(e, fpos, _loop_side(folded, e))[3] for e in flabelled]
    with fig.batch_update():
        for role in ROLES:
            mine = [e for e in folded.edges if e.role == role]
            ft = trace(fig, "folded " + role)
            hot = [e for e in mine if (e.src, e.dst, e.param) in fold_edges]
            ft.update(_edges_xy(mine, fpos, scale=1.3 if hot else 1.0, graph=folded))
            ft.line.width = 4.5 if hot else 2
            ft.opacity = 1.0 if (not active or hot) else 0.3
            t_all = trace(fig, role)
            t_all.update(_edges_xy([e for e in graph.edges if e.role == role], pos))
            t_all.opacity = 0.25 if active else 1.0
            hot_edges = [e for e in reach.edges if e.role == role] if reach else []
            trace(fig, role + " selected").update(_edges_xy(hot_edges, pos, scale=1.3))
        fn = trace(fig, "folded nodes")
        fn.x, fn.y = [fpos[n.name][0] for n in folded.nodes], [fpos[n.name][1] for n in folded.nodes]
        fn.text = [n.label for n in folded.nodes]
        fn.hovertext = [f"{n.label}: every {n.label}<sub>t</sub> of the unrolled graph is this one node" if n.kind == "h"
                        else f"{n.label}: the input/output slot, reused at every time-stamp" for n in folded.nodes]
        fn.marker.color, fn.marker.line.color, fn.textfont.color = ffill, fline, ftext
        fl = trace(fig, "folded labels")
        fl.x, fl.y = [p[0] for p in flab], [p[1] for p in flab]
        fl.textposition = [p[2] for p in flab]
        fl.text = [e.html for e in flabelled]
        fl.textfont.color = [COLOURS[e.role] for e in flabelled]
        nodes = trace(fig, "nodes")
        nodes.x, nodes.y = [pos[n.name][0] for n in graph.nodes], [pos[n.name][1] for n in graph.nodes]
        nodes.text = [n.label for n in graph.nodes]
        nodes.customdata = [n.name for n in graph.nodes]
        nodes.hovertext = [_hover(graph, n) for n in graph.nodes]
        nodes.marker.color, nodes.marker.line.color, nodes.textfont.color = fill, line, text
        el = trace(fig, "edge labels")
        el.x, el.y, el.textposition, el.text = lab_x, lab_y, lab_pos, lab_text
        el.textfont.color = lab_col
        wt = trace(fig, "words")
        shown = [w for w in words[: graph.T]]
        wt.x, wt.y = list(range(1, len(shown) + 1)), [WORD_Y] * len(shown)
        wt.text = [f"“{html.escape(_short(w))}”" for w in shown]
        reached = reach.names if reach is not None else frozenset()
        wt.textfont.color = [COLOURS["text"] if (not active or f"x_{t}" in reached or f"x_{t}" == selected)
                             else COLOURS["faded_text"] for t in range(1, len(shown) + 1)]
        y_range = [WORD_Y - 0.3, top + 0.4]
        fig.layout.xaxis.range = [-1.45, 1.45] if graph.bidirectional else [-0.55, 1.25]
        fig.layout.yaxis.range = y_range
        fig.layout.xaxis2.range = [0.45, graph.T + 0.55]
        fig.layout.yaxis2.range = y_range
        fig.layout.height = int(150 + 82 * (y_range[1] - y_range[0]))
        arch = ", ".join(([f"{graph.num_layers} stacked layers"] if graph.num_layers > 1 else [])
                         + (["bidirectional"] if graph.bidirectional else []))
        note = ("" if graph.num_layers == 1 and not graph.bidirectional
                else ": matrices named on the left" if graph.num_layers > 1 and graph.bidirectional
                else ": labels on the first column, the others repeat them")
        fig.layout.annotations[1].text = f"unrolled over T = {graph.T} time-stamps" + (f" ({arch})" if arch else "") + note


def _short(word: str, limit: int = 9) -> str:
    return word if len(word) <= limit else word[: limit - 1] + "…"
