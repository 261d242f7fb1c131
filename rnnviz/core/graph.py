r"""The computational graph of an unrolled recurrent network, as data.

Unrolling h_t = f(h_{t-1}, x_t) = tanh(W_xh x_t + W_hh h_{t-1} + b_h) over T time-stamps
gives a feed-forward graph with one layer per time-stamp (Chapter 7.2):

    h_t = f(f(... f(h_0, x_1) ...), x_t),        y_t = W_hy h_t + b_y,

whose edges all carry the *same* matrices W_xh, W_hh, W_hy. This module describes that
graph -- nodes x_t, h_t, y_t, and edges labelled by the parameter of a
:class:`~rnnviz.core.network.Network` they use -- for one layer, a bidirectional layer
(7.2.4) or stacked layers (7.2.5), and answers the questions of the lesson:

* :meth:`Graph.depends_on` -- everything a node is a function of (h_t: x_1..x_t, h_1..h_{t-1});
* :meth:`Graph.influences` -- everything a node feeds (x_t: h_t..h_T, y_t..y_T);
* :func:`parameter_terms` / :func:`parameter_count` -- the parameter count, read from a real
  ``Network``'s ``param_shapes`` and independent of T;
* :func:`numerical_dependence` -- the same dependency sets measured on a real network by
  perturbing one x_s at a time, so the drawing can be checked against the computation.

h_0 (zeros, not a parameter) is left out of the graph: it is the same constant for every sequence.

>>> g = unrolled_graph(4)
>>> [n.name for n in g.depends_on("h_3").nodes_of("x")]
['x_1', 'x_2', 'x_3']
>>> sorted({e.label for e in g.edges})
['W_hh', 'W_hy', 'W_xh']
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import cached_property
from typing import NamedTuple

import numpy as np

from .checks import as_float_array, check_positive
from .network import Network

__all__ = [
    "Edge",
    "Graph",
    "Node",
    "Reach",
    "Term",
    "folded_graph",
    "numerical_dependence",
    "parameter_count",
    "parameter_terms",
    "unrolled_graph",
]

ROLES = ("W_xh", "W_hh", "W_hy")


class Node(NamedTuple):
    """One node: ``kind`` is "x", "h" or "y"; ``t`` is 1..T (0 in the folded graph).

    ``layer`` is 1..L for hidden nodes (0 for x, L + 1 for y); ``direction`` is "fwd" or
    "bwd" for hidden nodes, "" otherwise. ``name`` is plain text ("h^f_3"), ``label`` is
    the same with HTML sub/superscripts for plots ("h<sub>3</sub><sup>f</sup>").
    """

    name: str
    kind: str
    t: int
    layer: int
    direction: str
    label: str


class Edge(NamedTuple):
    """``src`` -> ``dst`` (node names) through the matrix ``param`` (a Network key such as
    "layer0.fwd.W_hh"); ``role`` is "W_xh", "W_hh" or "W_hy"; ``label`` is "W_hh^f" and
    ``html`` the same for plots.

    In a bidirectional network an edge reads the columns of ``param`` that multiply its source:
    ``W_hy^f`` and ``W_hy^b`` are the two halves of the one d×2p ``out.W_hy``, and a second layer's
    ``W_xh`` is drawn once from h^f and once from h^b."""

    src: str
    dst: str
    param: str
    role: str
    label: str
    html: str


class Reach(NamedTuple):
    """The result of :meth:`Graph.depends_on` / :meth:`Graph.influences` (the node itself excluded)."""

    node: Node
    nodes: tuple[Node, ...]  # sorted by kind (x, h, y), layer, direction, t
    edges: tuple[Edge, ...]

    @property
    def names(self) -> frozenset[str]:
        return frozenset(n.name for n in self.nodes)

    def nodes_of(self, kind: str) -> list[Node]:
        return [n for n in self.nodes if n.kind == kind]


def _sup(layer: int, direction: str, num_layers: int, bidirectional: bool) -> str:
    """The superscript of a hidden node or weight: "", "f", "2", "2f"."""
    return (str(layer) if num_layers > 1 else "") + ((direction[0]) if bidirectional else "")


def _name(base: str, sub: str, sup: str) -> str:
    return base + (f"^{sup}" if sup else "") + (f"_{sub}" if sub else "")


def _html(base: str, sub: str, sup: str) -> str:
    return base + (f"<sub>{sub}</sub>" if sub else "") + (f"<sup>{sup}</sup>" if sup else "")


def _weight_html(role: str, sup: str) -> str:
    return _html("W", role[2:], sup)


_KIND_ORDER = {"x": 0, "h": 1, "y": 2}


def _sort_key(n: Node):
    return (_KIND_ORDER[n.kind], n.layer, n.direction != "fwd", n.t)


class Graph:
    """Nodes and edges of one recurrent architecture, unrolled (T >= 1) or folded (T = 0)."""

    def __init__(self, T: int, num_layers: int, bidirectional: bool, nodes: Sequence[Node], edges: Sequence[Edge]):
        self.T, self.num_layers, self.bidirectional = T, num_layers, bidirectional
        self.nodes: tuple[Node, ...] = tuple(nodes)
        self.edges: tuple[Edge, ...] = tuple(edges)
        self.index = {n.name: n for n in self.nodes}
        self._in: dict[str, list[Edge]] = {n.name: [] for n in self.nodes}
        self._out: dict[str, list[Edge]] = {n.name: [] for n in self.nodes}
        for e in self.edges:
            self._out[e.src].append(e)
            self._in[e.dst].append(e)

    def __repr__(self) -> str:
        arch = ("bidirectional " if self.bidirectional else "") + f"{self.num_layers} layer(s)"
        return f"Graph(T={self.T}, {arch}: {len(self.nodes)} nodes, {len(self.edges)} edges)"

    @property
    def directions(self) -> tuple[str, ...]:
        return ("fwd", "bwd") if self.bidirectional else ("fwd",)

    def node(self, name: str) -> Node:
        if not isinstance(name, str):
            raise TypeError(f"node: expected a node name such as 'h_3', got {type(name).__name__}")
        if name not in self.index:
            some = ", ".join(n.name for n in self.nodes[:4])
            raise ValueError(f"node: no node {name!r} in this graph (T = {self.T}); nodes are named like {some}, ...")
        return self.index[name]

    def hidden(self, t: int, layer: int = 1, direction: str = "fwd") -> Node:
        """The hidden node h_t of ``layer`` (1-based) and ``direction``."""
        sup = _sup(layer, direction, self.num_layers, self.bidirectional)
        return self.node(_name("h", str(t) if self.T else "", sup))

    def nodes_of(self, kind: str) -> list[Node]:
        return [n for n in self.nodes if n.kind == kind]

    def _walk(self, name: str, links: Mapping[str, list[Edge]], far: str) -> Reach:
        start = self.node(name)
        seen: set[str] = set()
        edges: set[Edge] = set()
        stack = [start.name]
        while stack:
            for e in links[stack.pop()]:
                edges.add(e)
                other = getattr(e, far)
                if other not in seen:
                    seen.add(other)
                    stack.append(other)
        seen.discard(start.name)  # a folded self-loop would otherwise put a node in its own set
        order = {e: i for i, e in enumerate(self.edges)}
        return Reach(start, tuple(sorted((self.index[s] for s in seen), key=_sort_key)),
                     tuple(sorted(edges, key=order.__getitem__)))

    def depends_on(self, name: str) -> Reach:
        """Every node ``name`` is a function of, and every edge on a path into it."""
        return self._walk(name, self._in, "src")

    def influences(self, name: str) -> Reach:
        """Every node that ``name`` feeds into, and every edge on a path out of it."""
        return self._walk(name, self._out, "dst")

    def match(self, node: Node | None) -> Node | None:
        """The node of this graph that best corresponds to ``node`` of another graph.

        Same kind, t clipped to 1..T, layer clipped to 1..L, the same direction when there is
        one: used to keep a selection when the length or the architecture changes.
        """
        if node is None:
            return None
        t = min(max(node.t, 1), self.T) if self.T else 0
        candidates = [n for n in self.nodes if n.kind == node.kind and n.t == t]
        if node.kind == "h":
            layer = min(max(node.layer, 1), self.num_layers)
            same_layer = [n for n in candidates if n.layer == layer]
            candidates = [n for n in same_layer if n.direction == node.direction] or same_layer
        return candidates[0] if candidates else None

    def fold(self, node: Node) -> str:
        """The name of the folded-graph node that ``node`` is a time-stamp copy of ("h_3" -> "h")."""
        if node.kind == "h":
            return _name("h", "", _sup(node.layer, node.direction, self.num_layers, self.bidirectional))
        return node.kind

    def count(self, param: str) -> int:
        """On how many edges the matrix ``param`` (a Network key) is used (both halves of a bidirectional W_hy)."""
        return sum(e.param == param for e in self.edges)

    @cached_property
    def longest_path(self) -> int:
        """The number of edges on the longest path from an input to an output (the depth of the graph)."""
        memo: dict[str, int] = {}

        def longest_from(name: str) -> int:  # the graph is acyclic once unrolled
            if name not in memo:
                memo[name] = max((1 + longest_from(e.dst) for e in self._out[name]), default=0)
            return memo[name]

        if self.T == 0:
            raise ValueError("longest_path: the folded graph has a loop; unroll it first")
        return max(longest_from(n.name) for n in self.nodes_of("x"))


def _check_architecture(num_layers, bidirectional):
    num_layers = int(check_positive("num_layers", num_layers, integer=True))
    if not isinstance(bidirectional, (bool, np.bool_)):
        raise TypeError(f"bidirectional: expected True or False, got {bidirectional!r}")
    return num_layers, bool(bidirectional)


def _build(T: int, num_layers: int, bidirectional: bool) -> Graph:
    """T >= 1: the unrolled graph; T == 0: the folded one (one copy of each node, self-loops on h)."""
    L, dirs = num_layers, (("fwd", "bwd") if bidirectional else ("fwd",))
    times = range(1, T + 1) if T else (0,)
    sub = (lambda t: str(t)) if T else (lambda t: "")
    nodes: list[Node] = []
    edges: list[Edge] = []

    def hname(t, k, dr):
        return _name("h", sub(t), _sup(k, dr, L, bidirectional))

    for t in times:
        nodes.append(Node(_name("x", sub(t), ""), "x", t, 0, "", _html("x", sub(t), "")))
    for k in range(1, L + 1):
        for dr in dirs:
            sup = _sup(k, dr, L, bidirectional)
            for t in times:
                nodes.append(Node(hname(t, k, dr), "h", t, k, dr, _html("h", sub(t), sup)))
    for t in times:
        nodes.append(Node(_name("y", sub(t), ""), "y", t, L + 1, "", _html("y", sub(t), "")))

    def edge(src, dst, k, dr, role):
        sup = _sup(k, dr, L, bidirectional) if role != "W_hy" else (dr[0] if bidirectional else "")
        param = f"layer{k - 1}.{dr}.{role}" if role != "W_hy" else "out.W_hy"
        edges.append(Edge(src, dst, param, role, role + (f"^{sup}" if sup else ""), _weight_html(role, sup)))

    for k in range(1, L + 1):
        for dr in dirs:
            for t in times:  # the input of layer k at time t: x_t, or every direction of layer k - 1
                sources = [_name("x", sub(t), "")] if k == 1 else [hname(t, k - 1, d) for d in dirs]
                for s in sources:
                    edge(s, hname(t, k, dr), k, dr, "W_xh")
            if T == 0:
                edge(hname(0, k, dr), hname(0, k, dr), k, dr, "W_hh")  # the loop of the folded picture
            else:
                steps = range(1, T) if dr == "fwd" else range(T, 1, -1)
                step = 1 if dr == "fwd" else -1
                for t in steps:
                    edge(hname(t, k, dr), hname(t + step, k, dr), k, dr, "W_hh")
    for t in times:
        for dr in dirs:
            edge(hname(t, L, dr), _name("y", sub(t), ""), L, dr, "W_hy")
    return Graph(T, L, bidirectional, nodes, edges)


def unrolled_graph(T: int, *, num_layers: int = 1, bidirectional: bool = False) -> Graph:
    """The computational graph of a recurrent network unrolled over ``T`` time-stamps.

    One layer: nodes x_t, h_t, y_t; edges x_t -> h_t (W_xh), h_{t-1} -> h_t (W_hh),
    h_t -> y_t (W_hy). Bidirectional: h^f_t and h^b_t, the backward states running
    h^b_{t+1} -> h^b_t, both feeding y_t. Stacked: layer k reads h^{k-1}_t through its own W_xh^k.
    """
    T = int(check_positive("T", T, integer=True))
    return _build(T, *_check_architecture(num_layers, bidirectional))


def folded_graph(*, num_layers: int = 1, bidirectional: bool = False) -> Graph:
    """The folded picture: one x, one h per layer and direction with a W_hh self-loop, one y."""
    return _build(0, *_check_architecture(num_layers, bidirectional))


# =========================================================================== parameters
class Term(NamedTuple):
    """One parameter array: its Network key, its shape in letters ("p·d") and in numbers, and its size."""

    key: str
    symbol: str
    shape: tuple[int, ...]
    count: int


def _symbolic_shapes(num_layers: int, bidirectional: bool) -> dict[str, tuple[str, ...]]:
    """The shapes of a vanilla ``Network(d, p, d)`` in the chapter's letters (p hidden, d vocabulary)."""
    dirs = ("fwd", "bwd") if bidirectional else ("fwd",)
    top = "2p" if bidirectional else "p"
    shapes: dict[str, tuple[str, ...]] = {}
    for k in range(num_layers):
        for dr in dirs:
            shapes[f"layer{k}.{dr}.W_xh"] = ("p", "d" if k == 0 else top)
            shapes[f"layer{k}.{dr}.W_hh"] = ("p", "p")
            shapes[f"layer{k}.{dr}.b_h"] = ("p",)
    shapes["out.W_hy"] = ("d", top)
    shapes["out.b_y"] = ("d",)
    return shapes


def parameter_terms(hidden_size: int, vocab_size: int, *, num_layers: int = 1, bidirectional: bool = False) -> list[Term]:
    """The parameters of a vanilla ``Network(vocab_size, hidden_size, vocab_size)``, one :class:`Term` each.

    The numbers come from the network's own ``param_shapes``; the letters (p = hidden_size,
    d = vocab_size) are the chapter's. None of them involves T: unrolling copies edges, not weights.
    """
    p = int(check_positive("hidden_size", hidden_size, integer=True))
    d = int(check_positive("vocab_size", vocab_size, integer=True))
    num_layers, bidirectional = _check_architecture(num_layers, bidirectional)
    net = Network(d, p, d, num_layers=num_layers, bidirectional=bidirectional)
    letters = _symbolic_shapes(num_layers, bidirectional)
    terms = []
    for key, shape in net.param_shapes().items():
        symbol = "·".join(letters[key])
        terms.append(Term(key, symbol, tuple(shape), int(np.prod(shape))))
    return terms


def parameter_count(net: Network) -> int:
    """The number of trainable numbers of ``net``: the sum over its param_shapes."""
    if not isinstance(net, Network):
        raise TypeError(f"net: expected an rnnviz Network, got {type(net).__name__}")
    return int(sum(int(np.prod(s)) for s in net.param_shapes().values()))


# =========================================================================== measured on a network
class Dependence(NamedTuple):
    """``hidden[key][t, s]`` / ``y[t, s]``: does the state / output at time t+1 change when x_{s+1} moves?"""

    hidden: dict  # "layer0.fwd" -> (T, T) bool
    y: np.ndarray  # (T, T) bool


def numerical_dependence(net: Network, params: Mapping[str, np.ndarray], X: np.ndarray, *, eps: float = 1e-3) -> Dependence:
    """Perturb each input x_s of one sequence ``X`` (1, T, D) in turn and record which h_t and y_t change.

    An entry is True when the value changed at all (exact comparison): in floating point a state
    that does not depend on x_s is computed from exactly the same numbers and stays bit-identical.
    """
    if not isinstance(net, Network):
        raise TypeError(f"net: expected an rnnviz Network, got {type(net).__name__}")
    X = as_float_array("X", X, (1, "T", net.input_size), dtype=net.dtype)
    eps = float(check_positive("eps", eps))
    base = net.forward(params, X)
    T = X.shape[1]
    hidden = {key: np.zeros((T, T), bool) for key in base.hidden}
    y = np.zeros((T, T), bool)
    for s in range(T):
        Xs = X.copy()
        Xs[0, s] += eps  # (1, T, D): move every component of x_s
        f = net.forward(params, Xs)
        for key in hidden:
            hidden[key][:, s] = np.any(f.hidden[key][0] != base.hidden[key][0], axis=-1)
        y[:, s] = np.any(f.Y[0] != base.Y[0], axis=-1)
    return Dependence(hidden, y)
