"""The folded and the unrolled recurrent network, drawn as one SVG (lesson 3).

Pure functions over the graph description of :mod:`rnnviz.core.graph`: :func:`unrolling_svg`
returns the whole picture as HTML (an SVG drawn on a :class:`rnnviz.viz.svg.Canvas`, which scales
down with its box, and its legend), which the app shows in an ``ipywidgets.HTML`` and replaces whole
on every change. :func:`positions`, :func:`edge_path`, :func:`labelled_edges`, :func:`column_width`
and :func:`node_colours` are the geometry and the colouring, kept separate so they can be
tested without a picture. Hovering a node or an edge shows what it is (an SVG title); a node is
selected with the app's "select" list, not by clicking.

Edges are drawn in the colour of their *role* (W_xh, W_hh, W_hy): every copy of a shared
matrix looks the same. An arrowhead (an SVG marker) part-way along each edge shows its
direction.

Conventions the tests and the browser tests rely on: the root has the class ``rnnviz-view``
(:data:`rnnviz.viz.svg.VIEW_CLASS`); the markup is well-formed XML (``xml.etree`` reads it back);
every node is a group with ``data-node`` (its name) and ``data-v`` (its time-stamp t, 0 in the
folded picture) holding a circle; every edge is a path with ``data-src``, ``data-dst``,
``data-role``, ``data-label`` (the matrix it is drawn as, "W_hy^f") and, on a highlighted path,
``data-hot="1"``; the two panels are the groups
``data-name="folded"`` and ``data-name="unrolled"``. Text from the student (the words)
is escaped.
"""

from __future__ import annotations

import html
import math
import re
from collections.abc import Sequence

from ..core.graph import Edge, Graph, Node, Reach
from .svg import (
    BLUE, FAINT, FAINT_TEXT, GREEN, MUTED, ORANGE, PALE, PANEL_CSS, PURPLE, SKY, TEXT, VERMILLION, VIEW_CLASS, Canvas,
    esc, legend, path_data, shade, tint,
)

__all__ = [
    "COLOURS",
    "column_width",
    "edge_path",
    "labelled_edges",
    "node_colours",
    "positions",
    "unrolling_svg",
]

#: Role colours of the edges (blue, orange, purple); node fills by kind; the selection (red) and its reach (amber).
COLOURS = {
    "W_xh": BLUE, "W_hh": ORANGE, "W_hy": PURPLE,
    "x": tint(SKY, 0.75), "h": tint(GREEN, 0.8), "y": tint(PURPLE, 0.75),
    "x_line": BLUE, "h_line": shade(GREEN, 0.2), "y_line": shade(PURPLE, 0.2),
    "selected": VERMILLION, "reach": tint(ORANGE, 0.45), "reach_line": shade(ORANGE, 0.3),
    "faded": FAINT, "faded_line": PALE, "faded_text": FAINT_TEXT, "text": TEXT,
}
ROLES = ("W_xh", "W_hh", "W_hy")
ROLE_NAMES = {"W_xh": "W<sub>xh</sub>: input → hidden", "W_hh": "W<sub>hh</sub>: hidden → hidden",
              "W_hy": "W<sub>hy</sub>: hidden → output"}

ROW_GAP, DIRECTION_GAP = 1.0, 0.7
DIRECTION_SHIFT = {"unrolled": 0.2, "folded": 0.38}  # h^f left of h^b, so x -> h^b does not run through h^f
WORD_Y = -0.62
ARROW_AT = 0.6  # the arrowhead sits this far along an edge
ARROW_SIZE = 13  # edge_path's marker size at the arrowhead (0 elsewhere): where the arrow sits


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
    else:  # upward: label beside the edge, on the outer side of its column (right when centred); an edge into
        # y is labelled above its arrow, clear of the label of W_hh over the row of h below it
        f, mid = (0.62 if edge.role == "W_hy" else 0.38), (x0 + x1) / 2
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


# ---------------------------------------------------------------------------- the SVG
#: Scale of the drawing in SVG units (px at natural size): one time-stamp column, one row step, a node
COLUMN, ROW, RADIUS = 100.0, 92.0, 20.0
#: Margins: the side padding, the gap between the panels, the band of the titles above the nodes
PAD, GAP, TITLE_BAND = 14.0, 44.0, 62.0
FOLDED_MIN, UNROLLED_MIN = 230.0, 520.0  # panel widths that leave room for their titles
#: The unrolled panel is at most this wide (SVG units): beyond it the columns narrow (T = 12: 75 each), so that the
#: widest picture (1262 px) shows at about 0.8 of its natural size in a 1024 px window's 994 px app box
UNROLLED_MAX = 900.0
#: The picture shrinks with its box down to this fraction of its natural size (at most 757 px wide: far below a
#: 1024 px window's box), and only in a narrower box does it scroll
MIN_SCALE = 0.6
FONT = {"node": 17, "edge": 14, "word": 15, "title": 15, "note": 13}
EDGE_WIDTH, HOT_WIDTH, FADED_OPACITY = 2.0, 4.5, 0.25
WORD_LIMIT = 9  # characters of a word shown under its x_t in a full column (the whole word on hover)
_TAG = re.compile(r"<(sub|sup)>(.*?)</\1>")
_SUB = str.maketrans("0123456789", "₀₁₂₃₄₅₆₇₈₉")
_SUP = str.maketrans("0123456789fb", "⁰¹²³⁴⁵⁶⁷⁸⁹ᶠᵇ")


def _plain(label_html: str) -> str:
    """A label as plain text for a hover: digits and f/b as Unicode sub/superscripts (h₃²ᶠ), else _ and ^."""
    def one(m: re.Match) -> str:
        body = html.unescape(m.group(2))
        table, mark = (_SUB, "_") if m.group(1) == "sub" else (_SUP, "^")
        shown = body.translate(table)
        return shown if shown != body or not body else mark + body

    return html.unescape(_TAG.sub(one, label_html))


def _span_of(nodes: list[Node]) -> str:
    return f"{_plain(nodes[0].label)} … {_plain(nodes[-1].label)}" if len(nodes) > 1 else _plain(nodes[0].label)


def _node_tip(graph: Graph, node: Node, word: str | None) -> str:
    if graph.T == 0:
        if node.kind == "h":
            name = _plain(node.label)
            return f"{name}: every {name} at a time-stamp t of the unrolled graph is this one node"
        return f"{node.kind}: the input/output slot, reused at every time-stamp"
    name = _plain(node.label)
    if node.kind == "x":
        n = len(graph.influences(node.name).nodes)
        said = f" (“{word}”)" if word else ""
        return (f"{name}{said}: input; it influences {n} later node(s). "
                f"Pick {node.name} under “select” to see which.")
    return (f"{name} depends on {_span_of(graph.depends_on(node.name).nodes_of('x'))}. "
            f"Pick {node.name} under “select” to see the paths.")


def _marker_id(role: str, hot: bool) -> str:
    return f"rnnviz-unroll-arrow-{role}" + ("-hot" if hot else "")


def _arrowheads(canvas: Canvas) -> dict[tuple[str, bool], str]:
    """The arrowhead of every role, plain and bold (on a highlighted path)."""
    return {(role, hot): canvas.arrowhead(_marker_id(role, hot), COLOURS[role], 17 if hot else 12)
            for role in ROLES for hot in (False, True)}


def column_width(T: int) -> float:
    """The width of one time-stamp's column of the unrolled panel: COLUMN, narrower when T columns would make the
    panel wider than UNROLLED_MAX."""
    return min(COLUMN, UNROLLED_MAX / max(T, 1))


class _Frame:
    """Graph coordinates (x: time, y: rows upwards) to SVG units for one panel (``column`` units per time-stamp)."""

    def __init__(self, x0: float, g0: float, top: float, column: float = COLUMN):
        self.x0, self.g0, self.top, self.column = x0, g0, top, column

    def x(self, gx: float) -> float:
        return self.x0 + (gx - self.g0) * self.column

    def y(self, gy: float) -> float:
        return TITLE_BAND + RADIUS + (self.top - gy) * ROW


def _edge_d(edge: Edge, pos: dict, frame: _Frame, *, loop_side: int) -> str:
    """The path data of one edge through its arrow point (where the arrowhead, the path's one mid marker, sits)."""
    xs, ys, sizes, _ = edge_path(edge, pos, loop_side)
    k = max(range(len(sizes)), key=lambda i: sizes[i])  # the arrow point
    pts = [(frame.x(x), frame.y(y)) for x, y in zip(xs, ys) if x is not None]
    if edge.src == edge.dst:  # the folded loop: two elliptical arcs that meet at the arrow point
        (ax, ay), (bx, by), (cx, cy) = pts[0], pts[k], pts[-1]
        rx, ry = 0.3 * frame.column, 0.28 * ROW
        sweep = 1 if loop_side > 0 else 0
        return (f"M{ax:.1f} {ay:.1f}A{rx:g} {ry:g} 0 0 {sweep} {bx:.1f} {by:.1f}"
                f"A{rx:g} {ry:g} 0 0 {sweep} {cx:.1f} {cy:.1f}")
    return path_data([pts[0], pts[k], pts[-1]])


def _edge_tip(graph: Graph, edge: Edge, copies: int) -> str:
    """What an edge is: its matrix (as labelled), the Network key it is or is part of, its ends, its copies."""
    src, dst = graph.index[edge.src], graph.index[edge.dst]
    halves = len({e.label for e in graph.edges if e.param == edge.param}) > 1  # W_hy^f, W_hy^b: halves of one W_hy
    key = f"the {re.sub('[₀-₉]', '', _plain(src.label))} half of {edge.param}" if halves else edge.param
    where = "" if graph.T == 0 else f", one of its {copies} copies"
    return f"{_plain(edge.html)} ({key}): {_plain(src.label)} → {_plain(dst.label)}{where}"


_ANCHOR = {"middle right": ("start", 5, 0.35), "middle left": ("end", -5, 0.35),
           "top center": ("middle", 0, -0.45), "bottom center": ("middle", 0, 1.0)}


def _label(canvas: Canvas, edge: Edge, pos: dict, frame: _Frame, loop_side: int, colour: str) -> None:
    lx, ly, where = edge_path(edge, pos, loop_side)[3]
    anchor, dx, dy = _ANCHOR[where]
    size = FONT["edge"]
    canvas.text(frame.x(lx) + dx, frame.y(ly) + dy * size, edge.html, size=size, colour=colour, anchor=anchor)


def _node(canvas: Canvas, node: Node, xy: tuple[float, float], colours: tuple[str, str, str], tip: str,
          selected: bool) -> None:
    fill, line, text = colours
    chars = len(re.sub(r"<[^>]+>", "", node.label))  # h, 10, 2b: 5 characters to fit in the circle
    size = FONT["node"] - 2 * max(0, min(chars - 3, 2))
    canvas.node(*xy, RADIUS + (2 if selected else 0), node.label, fill=fill, stroke=line, width=3 if selected else 2,
                text_colour=text, size=size, tip=tip, data={"node": node.name, "v": node.t})


def _edges(canvas: Canvas, heads: dict, graph: Graph, pos: dict, frame: _Frame, hot: set, active: bool) -> None:
    """All edges: those off the highlighted paths first (faded when something is selected), then the hot ones.

    Each edge carries ``data-label``, the matrix it is drawn as (``W_hy^f``), and says on hover how many edges are
    drawn with that label: the readout's edges per matrix count the same."""
    copies: dict[str, int] = {}
    for e in graph.edges:
        copies[e.label] = copies.get(e.label, 0) + 1
    for warm in (False, True):
        for role in ROLES:
            edges = [e for e in graph.edges if e.role == role and (e in hot) == warm]
            if not edges:
                continue
            if warm:
                canvas.group(stroke=COLOURS[role], fill="none")
            else:
                canvas.group(stroke=COLOURS[role], stroke_width=f"{EDGE_WIDTH:g}", fill="none",
                             opacity=f"{FADED_OPACITY:g}" if active else None)
            for e in edges:
                canvas.path(_edge_d(e, pos, frame, loop_side=_loop_side(graph, e)),
                            tip=_edge_tip(graph, e, copies[e.label]),
                            data={"src": e.src, "dst": e.dst, "role": e.role, "label": e.label,
                                  "hot": "1" if warm else None},
                            stroke_width=f"{HOT_WIDTH:g}" if warm else None, marker_mid=heads[(role, warm)])
            canvas.end()


def _legend(active: bool, direction: str, selected_label: str) -> str:
    """The legend under the picture (HTML, so it wraps and keeps its size when the picture shrinks)."""
    items = [(ROLE_NAMES[role], COLOURS[role], "arrow") for role in ROLES]
    if active:
        what = "what it influences" if direction == "influences" else "what it depends on"
        items += [(f"{selected_label} selected", COLOURS["selected"], "node", None, COLOURS["selected"]),
                  (what, COLOURS["reach"], "node", None, COLOURS["reach_line"]),
                  ("not on those paths", COLOURS["faded"], "node", None, COLOURS["faded_line"])]
    return legend(items, cls="rnnviz-unroll-legend")


_CSS = (
    # contain: the picture's min-width never widens the boxes around it (in a box narrower than it, it scrolls here)
    "<style>.rnnviz-unroll{overflow-x:auto; max-width:100%; contain:inline-size}"
    ".rnnviz-unroll svg{display:block; height:auto}"
    ".rnnviz-unroll svg text{font-family:inherit}"
    ".rnnviz-unroll g[data-node]:hover circle{stroke-width:4}"
    ".rnnviz-unroll-legend{display:flex; flex-wrap:wrap; gap:4px 22px; justify-content:center; font-size:14px;"
    " margin:2px 0 0 0}"
    ".rnnviz-unroll-legend .rnnviz-key{gap:6px; white-space:nowrap}</style>"
)


def unrolling_svg(graph: Graph, folded: Graph, *, words: Sequence[str] = (), selected: str | None = None,
                  reach: Reach | None = None, direction: str = "depends on") -> str:
    """The folded (left) and the unrolled (right) network as HTML: one SVG picture, then a legend.

    ``selected`` (a node name of ``graph``) is drawn red and its ``reach`` amber, with the edges of
    those paths bold; the rest fades. ``direction`` ("depends on" or "influences") names the
    reach in the legend. ``words[t - 1]`` is written under x_t. The folded picture marks the
    cells the selection's nodes are copies of. The picture scales down with its box (to :data:`MIN_SCALE` of its
    size, below any 1024 px window's box); beyond :data:`UNROLLED_MAX` the unrolled panel's columns narrow
    (:func:`column_width`).
    """
    if selected is not None and selected not in graph.index:
        raise ValueError(f"selected: no node {selected!r} in the graph")
    active = selected is not None
    hot = set(reach.edges) if reach is not None else set()
    reached = reach.names if reach is not None else frozenset()
    top = _top(graph)
    # the folded picture: the cells the selection touches
    if active:
        fold_reach = Reach(folded.node(graph.fold(graph.node(selected))),
                           tuple(folded.node(graph.fold(n)) for n in (reach.nodes if reach else ())), ())
        fsel = fold_reach.node.name
        fold_edges = {(graph.fold(graph.node(e.src)), graph.fold(graph.node(e.dst)), e.param) for e in hot}
        fhot = {e for e in folded.edges if (e.src, e.dst, e.param) in fold_edges}
    else:
        fold_reach, fsel, fhot = None, None, set()
    # the panels side by side
    g0, g1 = (-1.45, 1.45) if graph.bidirectional else (-0.55, 1.25)
    fw = max((g1 - g0) * COLUMN, FOLDED_MIN)
    ffr = _Frame(PAD + (fw - (g1 - g0) * COLUMN) / 2, g0, top)
    ux = PAD + fw + GAP
    col = column_width(graph.T)
    uw = max(graph.T * col, UNROLLED_MIN)
    ufr = _Frame(ux + (uw - graph.T * col) / 2, 0.5, top, col)
    width = ux + uw + PAD
    word_y = ufr.y(WORD_Y) + 0.35 * FONT["word"]
    height = word_y + 14
    canvas = Canvas(width, height)
    heads = _arrowheads(canvas)

    # -- folded
    fpos = positions(folded)
    ffill, fline, ftext = node_colours(folded, fsel, fold_reach)
    canvas.group("folded")
    canvas.text(PAD, 24, "folded: one cell, one loop", size=FONT["title"], colour=COLOURS["text"], rich=False)
    _edges(canvas, heads, folded, fpos, ffr, fhot, active)
    for e in labelled_edges(folded):
        colour = COLOURS[e.role] if (not active or e in fhot) else COLOURS["faded_line"]
        _label(canvas, e, fpos, ffr, _loop_side(folded, e), colour)
    for n, colours in zip(folded.nodes, zip(ffill, fline, ftext)):
        xy = (ffr.x(fpos[n.name][0]), ffr.y(fpos[n.name][1]))
        _node(canvas, n, xy, colours, _node_tip(folded, n, None), n.name == fsel)
    canvas.end()

    # -- unrolled
    pos = positions(graph)
    fill, line, text = node_colours(graph, selected, reach)
    T = graph.T
    arch = ", ".join(([f"{graph.num_layers} stacked layers"] if graph.num_layers > 1 else [])
                     + (["bidirectional"] if graph.bidirectional else []))
    title = f"unrolled over T = {T} time-stamp{'s' if T != 1 else ''}" + (f" ({arch})" if arch else "")
    note = ("every column is one time-stamp, every edge of a colour the same matrix"
            if graph.num_layers == 1 and not graph.bidirectional
            else "matrices named on the left: every column repeats them" if graph.num_layers > 1 and graph.bidirectional
            else "matrices named on the first column: the others repeat them")
    canvas.group("unrolled")
    canvas.text(ux, 24, title, size=FONT["title"], colour=COLOURS["text"], rich=False)
    canvas.text(ux, 43, note, size=FONT["note"], colour=MUTED, rich=False)
    _edges(canvas, heads, graph, pos, ufr, hot, active)
    for e in labelled_edges(graph):
        colour = COLOURS[e.role] if (not active or e in hot) else COLOURS["faded_line"]
        _label(canvas, e, pos, ufr, 1, colour)
    shown = list(words[:T])
    for n, colours in zip(graph.nodes, zip(fill, line, text)):
        xy = (ufr.x(pos[n.name][0]), ufr.y(pos[n.name][1]))
        word = shown[n.t - 1] if n.kind == "x" and n.t <= len(shown) else None
        _node(canvas, n, xy, colours, _node_tip(graph, n, word), n.name == selected)
    for t, w in enumerate(shown, start=1):
        lit = not active or f"x_{t}" in reached or f"x_{t}" == selected
        limit = round(WORD_LIMIT * col / COLUMN)
        short = w if len(w) <= limit else w[: limit - 1] + "…"
        canvas.text(ufr.x(t), word_y, f"“{short}”", size=FONT["word"], anchor="middle", rich=False,
                    colour=COLOURS["text"] if lit else COLOURS["faded_text"], tip=f"x_{t} = “{w}”", data={"word": t})
    canvas.end()

    label = f"The network folded, and unrolled over T = {T} time-stamps" + (f" ({arch})" if arch else "")
    svg = canvas.svg(label=label, min_scale=MIN_SCALE)
    selected_label = _rich_html(graph.node(selected).label) if active else ""
    return (f'<div class="{VIEW_CLASS} rnnviz-unroll" data-name="unrolling">{PANEL_CSS}{_CSS}{svg}'
            f"{_legend(active, direction, selected_label)}</div>")


def _rich_html(label_html: str) -> str:
    """A core label (``<sub>``/``<sup>`` only) for HTML: the tags kept, the text escaped."""
    out, pos = [], 0
    for m in _TAG.finditer(label_html):
        out.append(esc(html.unescape(label_html[pos:m.start()])))
        out.append(f"<{m.group(1)}>{esc(html.unescape(m.group(2)))}</{m.group(1)}>")
        pos = m.end()
    out.append(esc(html.unescape(label_html[pos:])))
    return "".join(out)
