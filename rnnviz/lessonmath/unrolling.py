r"""Lesson 3: what the unrolling app shows, computed from the core's graph and network.

* :func:`unrolling` — for a length T, an architecture and the sizes p, d: the unrolled and the folded graph
  (:mod:`rnnviz.core.graph`), the parameters of the matching ``Network`` (one :class:`~rnnviz.core.graph.Term`
  per array, independent of T), the longest path from an input to an output (the depth) and on how many edges
  each matrix is drawn.
* :func:`longest_path` — that path itself, node by node, so that a text can name its ends.
* :func:`matrix_uses` — the edges per matrix as the picture labels them (W_hy^f and W_hy^b apart: the two
  halves of the one d×2p W_hy of a bidirectional network).
* :func:`highlight` — what a selected node depends on or influences.
* :func:`runs` / :func:`path_text` — nodes grouped into runs of consecutive time-stamps, for the texts.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

from ..core.graph import Edge, Graph, Node, Reach, Term, folded_graph, parameter_terms, unrolled_graph

__all__ = [
    "ARCHITECTURES", "HIDDEN_RANGE", "MAX_CHARS", "MAX_T", "SHOW", "VOCAB_RANGE", "Highlight", "MatrixUse", "Path",
    "Unrolling", "highlight", "longest_path", "matrix_uses", "path_text", "runs", "span_text", "unrolling",
]

#: The architectures of the lesson: name -> (num_layers, bidirectional).
ARCHITECTURES = {
    "one layer": (1, False),
    "bidirectional": (1, True),
    "2 layers": (2, False),
    "2 layers, bidir.": (2, True),
}
#: The longest sentence the picture shows (one column per word).
MAX_T = 12
#: The longest sentence, in characters.
MAX_CHARS = 200
#: Hidden units p and vocabulary size d the parameter count accepts (inclusive).
HIDDEN_RANGE = (1, 4096)
VOCAB_RANGE = (2, 1_000_000)
#: What a selected node lights up: "auto" is "influences" for an input, "depends on" otherwise.
SHOW = ("auto", "depends on", "influences")


class Path(NamedTuple):
    """A path of the graph, node by node (``nodes[0]`` an input, ``nodes[-1]`` an output)."""

    nodes: tuple[Node, ...]

    @property
    def edges(self) -> int:
        return len(self.nodes) - 1

    @property
    def src(self) -> Node:
        return self.nodes[0]

    @property
    def dst(self) -> Node:
        return self.nodes[-1]


class MatrixUse(NamedTuple):
    """On how many edges of the unrolled graph one matrix is drawn (labelled as the picture labels it)."""

    label: str  # "W_hy^f"
    html: str  # "W<sub>hy</sub><sup>f</sup>"
    param: str  # the Network key it is, or is part of: "out.W_hy"
    count: int


class Unrolling(NamedTuple):
    """Everything the readout and the picture need for one setting of the controls."""

    graph: Graph  # unrolled over T
    folded: Graph  # one cell per layer and direction, with its loop
    terms: tuple[Term, ...]  # the parameters of Network(d, p, d, ...): none depends on T
    param_count: int
    longest: Path  # the longest path from an input to an output
    uses: tuple[MatrixUse, ...]  # edges per matrix, in the order the graph lists them

    @property
    def depth(self) -> int:
        """The number of edges on the longest path (the depth of the unrolled network)."""
        return self.longest.edges


class Highlight(NamedTuple):
    """A selected node, whether its reach is what it ``depends on`` or what it ``influences``, and that reach."""

    node: Node | None
    direction: str  # "depends on", "influences"; "" when nothing is selected
    reach: Reach | None


def longest_path(graph: Graph) -> Path:
    """The longest path from an input x_t to an output y_s of the unrolled ``graph``.

    Among paths of the same length the first is taken: the earliest input, then the edges in the order the
    graph lists them. Its length is ``graph.longest_path``.
    """
    if graph.T == 0:
        raise ValueError("longest_path: the folded graph has a loop; unroll it first")
    out: dict[str, list[Edge]] = {n.name: [] for n in graph.nodes}
    for e in graph.edges:
        out[e.src].append(e)
    best: dict[str, tuple[int, str | None]] = {}  # node -> (edges to the end of the longest path from it, next node)

    def from_(name: str) -> int:  # the unrolled graph is acyclic; depth <= 2T + 1, so recursion stays shallow
        if name not in best:
            length, nxt = 0, None
            for e in out[name]:
                if 1 + from_(e.dst) > length:
                    length, nxt = 1 + from_(e.dst), e.dst
            best[name] = (length, nxt)
        return best[name][0]

    start = max(graph.nodes_of("x"), key=lambda n: (from_(n.name), -n.t))
    nodes, name = [start], best[start.name][1]
    while name is not None:
        nodes.append(graph.index[name])
        name = best[name][1]
    return Path(tuple(nodes))


def matrix_uses(graph: Graph) -> tuple[MatrixUse, ...]:
    """The edges of ``graph`` per matrix label, as the picture draws and names them."""
    uses: dict[str, list[Edge]] = {}
    for e in graph.edges:
        uses.setdefault(e.label, []).append(e)
    return tuple(MatrixUse(label, es[0].html, es[0].param, len(es)) for label, es in uses.items())


def unrolling(T: int, architecture: str, hidden_size: int, vocab_size: int) -> Unrolling:
    """The graphs, parameters, depth and edges per matrix of ``architecture`` unrolled over ``T`` time-stamps."""
    if architecture not in ARCHITECTURES:
        raise ValueError(f"architecture: expected one of {', '.join(ARCHITECTURES)}, got {architecture!r}")
    L, bi = ARCHITECTURES[architecture]
    terms = tuple(parameter_terms(hidden_size, vocab_size, num_layers=L, bidirectional=bi))  # checks p and d
    graph = unrolled_graph(T, num_layers=L, bidirectional=bi)  # checks T
    return Unrolling(graph, folded_graph(num_layers=L, bidirectional=bi), terms, sum(t.count for t in terms),
                     longest_path(graph), matrix_uses(graph))


def highlight(graph: Graph, node: Node | None, show: str) -> Highlight:
    """What ``node`` (of ``graph``) lights up: "auto" shows what an input influences and what a state or an
    output depends on; "depends on" and "influences" force one direction."""
    if show not in SHOW:
        raise ValueError(f"show: expected one of {', '.join(SHOW)}, got {show!r}")
    if node is None:
        return Highlight(None, "", None)
    direction = ("influences" if node.kind == "x" else "depends on") if show == "auto" else show
    reach = graph.influences(node.name) if direction == "influences" else graph.depends_on(node.name)
    return Highlight(node, direction, reach)


def runs(nodes: Sequence[Node]) -> list[list[Node]]:
    """``nodes`` cut into runs of one kind, layer and direction whose time-stamps step by one (up or down)."""
    out: list[list[Node]] = []
    for n in nodes:
        if out:
            run = out[-1]
            last = run[-1]
            same = (last.kind, last.layer, last.direction) == (n.kind, n.layer, n.direction)
            step = n.t - last.t
            if same and abs(step) == 1 and (len(run) == 1 or run[1].t - run[0].t == step):
                run.append(n)
                continue
        out.append([n])
    return out


def _run_html(run: list[Node]) -> str:
    if len(run) > 2:
        return f"{run[0].label} … {run[-1].label}"
    return " → ".join(n.label for n in run)


def path_text(path: Path) -> str:
    """The path as markup, its straight runs shortened: "x<sub>1</sub> → h<sub>1</sub> … h<sub>6</sub> → y<sub>6</sub>"."""
    return " → ".join(_run_html(r) for r in runs(path.nodes))


def span_text(nodes: Sequence[Node]) -> str:
    """A set of nodes as markup: each group of one kind, layer and direction as "a … b" when its time-stamps
    are consecutive and more than two, listed otherwise."""
    groups: dict[tuple, list[Node]] = {}
    for n in nodes:
        groups.setdefault((n.kind, n.layer, n.direction), []).append(n)
    parts = []
    for group in groups.values():
        group = sorted(group, key=lambda n: n.t)
        ts = [n.t for n in group]
        if len(group) > 2 and ts == list(range(ts[0], ts[-1] + 1)):
            parts.append(f"{group[0].label} … {group[-1].label}")
        else:
            parts.append(", ".join(n.label for n in group))
    return ", ".join(parts)
