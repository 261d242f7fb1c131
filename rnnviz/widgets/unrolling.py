"""Lesson 3: unrolling in time.

:class:`UnrollingApp` draws the folded network (one cell with a W_hh loop) beside its unrolled
computational graph for the words of a sentence, highlights what a selected node depends on or
influences, and reads out the depth (which grows with T) next to the parameter count (which does
not), computed from a real ``Network``'s ``param_shapes``.

The picture is SVG written by :func:`rnnviz.viz.unrolling.unrolling_svg` into an ``HTML`` widget
(``view``): the browser swaps it in a few milliseconds, where a plotly figure was redrawn whole on
every move of T. A node is selected with the ``select`` list (an HTML widget sends no clicks back).
"""

from __future__ import annotations

import html

import ipywidgets as W

from ..core.graph import Graph, Node, Reach, folded_graph, parameter_terms, unrolled_graph
from ..viz.unrolling import unrolling_svg
from .base import LessonApp, explained, heading

__all__ = ["ARCHITECTURES", "UnrollingApp"]

#: The architectures the student can switch between: (num_layers, bidirectional).
ARCHITECTURES = {
    "one layer": (1, False),
    "bidirectional": (1, True),
    "2 layers": (2, False),
    "2 layers, bidir.": (2, True),
}
MAX_T = 12
SHOW = ("auto", "depends on", "influences")
GUIDE = (
    "<b>Left</b>: the network as it is written, one cell h with a loop: W<sub>hh</sub> feeds h back into itself. "
    "<b>Right</b>: the same network unrolled over the sentence, one column per word. Every edge of one colour is "
    "<b>the same matrix</b> (W<sub>xh</sub> blue, W<sub>hh</sub> orange, W<sub>hy</sub> purple): unrolling adds "
    "layers, not parameters. <b>Pick a node</b> under <i>select</i>: it turns red, everything it depends on "
    "(or, for an input, everything it influences) turns amber along with the edges of those paths; the rest fades. "
    "Hover over a node or an edge to read what it is."
)


def _span(nodes: list[Node]) -> str:
    """'x<sub>1</sub> … x<sub>4</sub>' for a run of one kind, layer and direction; comma-separated otherwise."""
    groups: dict[tuple, list[Node]] = {}
    for n in nodes:
        groups.setdefault((n.kind, n.layer, n.direction), []).append(n)
    parts = []
    for run in groups.values():
        run.sort(key=lambda n: n.t)
        ts = [n.t for n in run]
        if len(run) > 2 and ts == list(range(ts[0], ts[-1] + 1)):
            parts.append(f"{run[0].label} … {run[-1].label}")
        else:
            parts.append(", ".join(n.label for n in run))
    return ", ".join(parts)


class UnrollingApp(LessonApp):
    """The folded and the unrolled network side by side, with dependency highlighting and a parameter count."""

    title = "Unrolling in time"

    def __init__(self, *, sentence: str = "the cat sat on the mat", hidden_size: int = 8, vocab_size: int = 20,
                 architecture: str = "one layer", select: str | None = "h_3"):
        self._quiet = False
        self.words: list[str] = []
        wide = {"description_width": "90px"}
        self.sentence = W.Text(value="", description="sentence", continuous_update=False, style=wide,
                               layout=W.Layout(width="380px"))
        self.length = W.IntSlider(value=1, min=1, max=MAX_T, description="length T", style=wide,
                                  continuous_update=False, layout=W.Layout(width="380px"))
        self.architecture = W.ToggleButtons(options=list(ARCHITECTURES), value=architecture,
                                            style={"button_width": "112px"}, layout=W.Layout(flex="0 0 auto"))
        self.hidden_size = W.BoundedIntText(value=hidden_size, min=1, max=4096, description="p (hidden)", style=wide,
                                            layout=W.Layout(width="200px"))
        self.vocab_size = W.BoundedIntText(value=vocab_size, min=2, max=1_000_000, description="d (vocab.)",
                                           style=wide, layout=W.Layout(width="200px"))
        self.node = W.Dropdown(options=[("(none)", "")], value="", description="select", style=wide,
                               layout=W.Layout(width="200px"))
        self.show = W.ToggleButtons(options=SHOW, value="auto", style={"button_width": "95px"},
                                    layout=W.Layout(flex="0 0 auto"))
        self.readout = W.HTML()
        self.selection = W.HTML()
        # the picture: SVG in an HTML widget (rnnviz.viz.unrolling), swapped whole by the browser on every change
        self.view = W.HTML()
        self.graph: Graph | None = None
        self.reach: Reach | None = None
        self._selected: Node | None = None
        super().__init__([
            heading(self.title, GUIDE),
            explained(self.sentence, f"type a sentence and press Enter: each word becomes one input x_t "
                                     f"(1 to {MAX_T} words)"),
            explained(self.length, "T, the number of time-stamps: one column (one layer) per step of the sentence"),
            explained(self.architecture, "7.2; 7.2.4 adds states running backwards; 7.2.5 stacks a second "
                                         "layer on the first"),
            W.HBox([explained(self.hidden_size, "hidden units"),
                    explained(self.vocab_size, "words (one-hot x_t in, scores y_t out): both change the parameter "
                                               "count, T does not")]),
            self.readout,
            explained(self.node, "a node to inspect: it turns red in the picture, and what it depends on (or "
                                 "influences) amber"),
            explained(self.show, "auto: an input shows what it influences; h_t and y_t show what they depend on"),
            self.selection,
            self.view,
        ])
        kids = [c for c in self.children if c is not self.message]
        kids.insert(4, self.message)  # under the sentence and the length, where the typing happens
        self.children = kids
        self.watch(self.sentence, self._sentence_changed)
        self.watch(self.length, self._when_idle(self.update))
        self.watch(self.architecture, self.update)
        self.watch(self.hidden_size, self.update)
        self.watch(self.vocab_size, self.update)
        self.watch(self.node, self._when_idle(self._node_changed))
        self.watch(self.show, self.update)
        self.sentence.value = sentence  # draws the first state (through _sentence_changed)
        if self.message.kind == "error":  # a bad sentence at construction: still draw something
            self.refresh()
        if select:
            self.node.value = select if select in self.graph.index else ""

    # ------------------------------------------------------------------ handlers
    def _when_idle(self, handler):
        """A handler that does nothing while the app itself is setting controls."""
        return lambda: None if self._quiet else handler()

    def _set_quietly(self, control: W.Widget, **values) -> None:
        self._quiet = True
        try:
            for name, value in values.items():
                setattr(control, name, value)
        finally:
            self._quiet = False

    def _sentence_changed(self) -> None:
        text = self.sentence.value
        if not isinstance(text, str):
            raise TypeError("sentence: expected text")
        if len(text) > 2000:
            raise ValueError(f"sentence: {len(text)} characters is far too long for this picture; "
                             "type a short sentence (at most a dozen words)")
        words = text.split()
        if not words:
            raise ValueError("sentence: it is empty; type at least one word -- each word becomes one input x_t")
        if len(words) > MAX_T:
            raise ValueError(f"sentence: {len(words)} words are more than the {MAX_T} time-stamps this picture can "
                             f"show; shorten it (the network itself takes any length, the graph just gets wider)")
        self.words = words
        if self.length.value != len(words):
            self._set_quietly(self.length, value=len(words))
        self.update()

    def _node_changed(self) -> None:
        name = self.node.value
        self._selected = self.graph.node(name) if name else None
        self.update()

    # ------------------------------------------------------------------ recomputation
    def direction_of(self, node: Node) -> str:
        """"depends on" or "influences": what the highlight of ``node`` shows."""
        mode = self.show.value
        if mode not in SHOW:
            raise ValueError(f"show: expected one of {', '.join(SHOW)}, got {mode!r}")
        if mode == "auto":
            return "influences" if node.kind == "x" else "depends on"
        return mode

    def update(self) -> None:
        T = self.length.value
        if not (isinstance(T, int) and 1 <= T <= MAX_T):
            raise ValueError(f"length T: expected a whole number from 1 to {MAX_T}, got {T!r}")
        if self.architecture.value not in ARCHITECTURES:
            raise ValueError(f"architecture: expected one of {', '.join(ARCHITECTURES)}, got {self.architecture.value!r}")
        L, bi = ARCHITECTURES[self.architecture.value]
        p, d = self.hidden_size.value, self.vocab_size.value
        terms = parameter_terms(p, d, num_layers=L, bidirectional=bi)  # checks p and d
        graph = unrolled_graph(T, num_layers=L, bidirectional=bi)
        folded = folded_graph(num_layers=L, bidirectional=bi)
        selected = graph.match(self._selected)
        verb = self.direction_of(selected) if selected is not None else ""
        reach = None
        if selected is not None:
            reach = graph.influences(selected.name) if verb == "influences" else graph.depends_on(selected.name)
        # the picture first: its message then leaves the kernel, and is drawn, before the other widgets' updates
        self.view.value = unrolling_svg(graph, folded, words=self.words, selected=selected.name if selected else None,
                                        reach=reach, direction=verb or "depends on")
        options = [("(none)", "")] + [(n.name, n.name) for n in graph.nodes]
        if list(self.node.options) != options or self.node.value != (selected.name if selected else ""):
            self._set_quietly(self.node, options=options, value=selected.name if selected else "")
        self.graph, self.folded, self.reach, self._selected, self.terms = graph, folded, reach, selected, terms
        self.param_count = sum(t.count for t in terms)
        self.depth = graph.longest_path
        self.readout.value = self._readout(graph, terms, p, d)
        self.selection.value = self._describe(graph, selected, reach, verb)
        if T > len(self.words):
            missing = graph.nodes_of("x")[len(self.words):]
            self.message.info(f"The sentence has {len(self.words)} word(s): {_plain(_span(missing))} have no word "
                              f"(the network does not mind; the inputs would be whatever you feed it).")

    # ------------------------------------------------------------------ text
    def _readout(self, graph: Graph, terms, p: int, d: int) -> str:
        T, L = graph.T, graph.num_layers
        layers = f"{T} time-stamps" + (f" × {L} layers" if L > 1 else "") + (" × 2 directions" if graph.bidirectional else "")
        labels = {e.param: e.html for e in reversed(graph.edges)}  # one label per matrix
        uses = ", ".join(f"{labels[k]} on {graph.count(k)}" for k in dict.fromkeys(e.param for e in graph.edges))
        total = sum(t.count for t in terms)
        letters = " + ".join(t.symbol for t in terms)
        numbers = " + ".join(f"{t.count:,}" for t in terms)
        return (
            f'<div class="rnnviz-guide" style="background:#fff">'
            f"<b>Depth grows with T:</b> {layers}; the longest path x<sub>1</sub> → y<sub>{T}</sub> crosses "
            f"<b>{graph.longest_path}</b> edges. Edges per matrix: {uses} — each copy is the same matrix.<br>"
            f"<b>Parameters stay fixed</b> (p = {p}, d = {d}, from <code>Network({d}, {p}, {d}"
            f"{', num_layers=2' if L > 1 else ''}{', bidirectional=True' if graph.bidirectional else ''})"
            f".param_shapes()</code>): {letters} = {numbers} = <b>{total:,}</b> for every T "
            f"(without sharing, {T} separate copies would need {T * total:,}).</div>"
        )

    def _describe(self, graph: Graph, node: Node | None, reach: Reach | None, verb: str) -> str:
        if node is None:
            return "<i>No node selected: pick one under <b>select</b> above.</i>"
        word = ""
        if node.kind == "x" and node.t <= len(self.words):
            word = f" (“{html.escape(self.words[node.t - 1])}”)"
        if not reach.nodes:
            what = "depends on nothing: it is an input" if node.kind == "x" else "feeds nothing further: it is an output"
            return f"<b>{node.label}</b>{word} {what}. Switch the toggle above to see the other direction."
        xs, hs, ys = reach.nodes_of("x"), reach.nodes_of("h"), reach.nodes_of("y")
        parts = [p for p in (_span(xs), _span(hs), _span(ys)) if p]
        text = f"<b>{node.label}</b>{word} {verb} " + "; ".join(parts) + f" — {len(reach.edges)} edges."
        if verb == "depends on" and node.kind == "h" and not graph.bidirectional and node.t < graph.T:
            text += f" It cannot see x<sub>{node.t + 1}</sub> … x<sub>{graph.T}</sub>: no edge runs backwards in time."
        return text


def _plain(label_html: str) -> str:
    return label_html.replace("<sub>", "_").replace("</sub>", "").replace("<sup>", "^").replace("</sup>", "")

