"""Lesson 3: unrolling in time.

:class:`UnrollingApp` draws the folded network (one cell with a W_hh loop) beside its unrolled
computational graph for the words of a sentence, highlights what a selected node depends on or
influences, and reads out the depth (which grows with T) next to the parameter count (which does
not), computed from a real ``Network``'s ``param_shapes``.

What it computes is in :mod:`rnnviz.lessonmath.unrolling`; the picture is drawn by
:func:`rnnviz.viz.unrolling.unrolling_svg`. A node is selected with the ``select`` list (the picture,
an HTML widget, sends no clicks back).
"""

from __future__ import annotations

import html
import re

import ipywidgets as W
import numpy as np

from ..core.graph import Graph, Node, unrolled_graph
from ..lessonmath.unrolling import (
    ARCHITECTURES, HIDDEN_RANGE, MAX_CHARS, MAX_T, SHOW, VOCAB_RANGE, Highlight, Unrolling, highlight, path_text,
    span_text, unrolling,
)
from ..viz.unrolling import unrolling_svg
from .base import LessonApp, SentenceBox, explained, heading

__all__ = ["ARCHITECTURES", "MAX_T", "UnrollingApp"]

GUIDE = (
    "<b>Left</b>: the network as it is written, one cell h with a loop: W<sub>hh</sub> feeds h back into itself. "
    "<b>Right</b>: the same network unrolled over the sentence, one column per word. Every edge of one colour is "
    "<b>the same matrix</b> (W<sub>xh</sub> blue, W<sub>hh</sub> orange, W<sub>hy</sub> purple): unrolling adds "
    "layers, not parameters. <b>Pick a node</b> under <i>select</i>: it turns red, everything it depends on "
    "(or, for an input, everything it influences) turns amber along with the edges of those paths; the rest fades. "
    "Hover over a node or an edge to read what it is."
)


def _whole(value: object, bounds: tuple[int, int], name: str) -> int:
    """``value`` if it is a whole number inside ``bounds`` (the lesson's own range); a ValueError naming the control."""
    lo, hi = bounds
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, (int, np.integer)) or not lo <= value <= hi:
        raise ValueError(f"{name}: expected a whole number from {lo:,} to {hi:,}, got {value!r}")
    return int(value)


def _words(text: str) -> list[str]:
    """The words of a sentence the picture can show (1 to MAX_T); a ValueError saying what is wrong otherwise."""
    words = text.split()
    if not words:
        raise ValueError("The sentence is empty: type at least one word -- each word becomes one input x_t.")
    if len(words) > MAX_T:
        raise ValueError(f"The sentence has {len(words)} words, more than the {MAX_T} time-stamps this picture can "
                         "show; shorten it (the network itself takes any length, the graph just gets wider).")
    return words


def _plain(label_html: str) -> str:
    """Markup as plain text for a message: h<sub>3</sub> -> h_3, <sup>f</sup> -> ^f."""
    text = label_html.replace("<sub>", "_").replace("</sub>", "").replace("<sup>", "^").replace("</sup>", "")
    return html.unescape(re.sub(r"<[^>]+>", "", text))


class UnrollingApp(LessonApp):
    """The folded and the unrolled network side by side, with dependency highlighting and a parameter count."""

    title = "Unrolling in time"

    def __init__(self, *, sentence: str = "the cat sat on the mat", hidden_size: int = 8, vocab_size: int = 20,
                 architecture: str = "one layer", select: str | None = "h_3"):
        if architecture not in ARCHITECTURES:
            raise ValueError(f"architecture: expected one of {', '.join(ARCHITECTURES)}, got {architecture!r}")
        wide = {"description_width": "80px"}
        self.sentence = SentenceBox(sentence, description="sentence", max_chars=MAX_CHARS, width="400px",
                                    description_width="80px")
        self.words = _words(self.sentence.text())
        self.length = W.IntSlider(value=len(self.words), min=1, max=MAX_T, description="length T", style=wide,
                                  continuous_update=False, layout=W.Layout(width="400px"))
        self.architecture = W.ToggleButtons(options=list(ARCHITECTURES), value=architecture,
                                            style={"button_width": "112px"}, layout=W.Layout(flex="0 0 auto"))
        self.hidden_size = W.BoundedIntText(value=hidden_size, min=HIDDEN_RANGE[0], max=HIDDEN_RANGE[1],
                                            description="p (hidden)", style=wide, layout=W.Layout(width="190px"))
        self.vocab_size = W.BoundedIntText(value=vocab_size, min=VOCAB_RANGE[0], max=VOCAB_RANGE[1],
                                           description="d (vocab.)", style=wide, layout=W.Layout(width="190px"))
        self.node = W.Dropdown(options=[("(none)", "")], value="", description="select", style=wide,
                               layout=W.Layout(width="190px"))
        self.show = W.ToggleButtons(options=SHOW, value="auto", style={"button_width": "95px"},
                                    layout=W.Layout(flex="0 0 auto"))
        self.summary = W.HTML()  # depth and parameter count, in the control bar
        self.readout = W.HTML()  # the same in full: the longest path, edges per matrix, the parameter terms
        self.selection = W.HTML()
        self.view = W.HTML()  # the picture (rnnviz.viz.unrolling)
        self.state: Unrolling | None = None
        self.lit: Highlight | None = None
        self._selected: Node | None = None
        super().__init__([
            heading(self.title, GUIDE),
            self.control_bar(
                explained(self.sentence, f"press Enter: each word becomes one input x_t (1 to {MAX_T} words)"),
                explained(self.length, "T, the number of time-stamps: one column (one layer) per step"),
                explained(self.architecture, "7.2.4 adds states running backwards, 7.2.5 stacks a second layer"),
                self.summary,
            ),
            explained(self.node, "a node to inspect: it turns red in the picture, and what it depends on (or "
                                 "influences) amber"),
            explained(self.show, "auto: an input shows what it influences; h_t and y_t show what they depend on"),
            self.selection,
            self.view,
            explained(W.HBox([self.hidden_size, self.vocab_size]),
                      "p hidden units, d words (x_t in, y_t out): both change the parameter count, T does not"),
            self.readout,
        ])
        self.watch(self.sentence, self._sentence_changed)
        self.watch(self.length, self._length_changed)
        for control in (self.architecture, self.hidden_size, self.vocab_size, self.show):
            self.watch(control, self.update)
        self.watch(self.node, self._node_changed)
        if select:
            L, bi = ARCHITECTURES[architecture]
            first = unrolled_graph(len(self.words), num_layers=L, bidirectional=bi)
            self._selected = first.index.get(select)
        self.refresh()

    # ------------------------------------------------------------------ handlers
    def _sentence_changed(self) -> None:
        self.words = _words(self.sentence.text())
        self.set_quietly(self.length, value=len(self.words))
        self.update()

    def _length_changed(self) -> None:
        self.update()
        if self.graph.T > len(self.words):  # a note under the slider that made T longer than the sentence
            missing = self.graph.nodes_of("x")[len(self.words):]
            self.message.info(f"The sentence has {len(self.words)} word(s): {_plain(span_text(missing))} have no "
                              "word (the network does not mind; the inputs would be whatever you feed it).")

    def _node_changed(self) -> None:
        name = self.node.value
        self._selected = self.graph.node(name) if name else None  # a name not in the graph: a ValueError
        self.update()

    # ------------------------------------------------------------------ recomputation
    def update(self) -> None:
        T = _whole(self.length.value, (1, MAX_T), "length T")
        p = _whole(self.hidden_size.value, HIDDEN_RANGE, "p (hidden)")
        d = _whole(self.vocab_size.value, VOCAB_RANGE, "d (vocab.)")
        state = unrolling(T, self.architecture.value, p, d)
        graph = state.graph
        lit = highlight(graph, graph.match(self._selected), self.show.value)
        selected = lit.node.name if lit.node is not None else None
        # the picture first: its message then leaves the kernel, and is drawn, before the other widgets' updates
        self.view.value = unrolling_svg(graph, state.folded, words=self.words, selected=selected, reach=lit.reach,
                                        direction=lit.direction or "depends on")
        options = [("(none)", "")] + [(n.name, n.name) for n in graph.nodes]
        if list(self.node.options) != options or self.node.value != (selected or ""):
            self.set_quietly(self.node, options=options, value=selected or "")
        self.state, self.lit, self._selected = state, lit, lit.node
        self.summary.value = self._summary(state)
        self.readout.value = self._readout(state, p, d)
        self.selection.value = self._describe(graph, lit)

    # what the notebook and the tests read
    @property
    def graph(self) -> Graph:
        return self.state.graph

    @property
    def folded(self) -> Graph:
        return self.state.folded

    @property
    def reach(self):
        return self.lit.reach

    @property
    def terms(self):
        return self.state.terms

    @property
    def param_count(self) -> int:
        return self.state.param_count

    @property
    def depth(self) -> int:
        return self.state.depth

    # ------------------------------------------------------------------ text
    @staticmethod
    def _summary(state: Unrolling) -> str:
        return (f'<div class="rnnviz-unroll-summary">depth <b>{state.depth}</b> edges (the longest path from an input '
                f"to an output) · parameters <b>{state.param_count:,}</b>, the same for every T</div>")

    @staticmethod
    def _readout(state: Unrolling, p: int, d: int) -> str:
        graph = state.graph
        T, L = graph.T, graph.num_layers
        layers = f"{T} time-stamps" + (f" × {L} layers" if L > 1 else "") + (" × 2 directions" if graph.bidirectional else "")
        uses = ", ".join(f"{u.html} on {u.count}" for u in state.uses)
        notes = []
        halves = {}
        for u in state.uses:
            halves.setdefault(u.param, []).append(u)
        for param, us in halves.items():
            if len(us) > 1 and param == "out.W_hy":
                notes.append(f"{' and '.join(u.html for u in us)} are the two halves of the one d×2p "
                             "W<sub>hy</sub>")
        doubled = [u for u in state.uses if u.label.startswith("W_xh") and u.count == 2 * T]
        if doubled:
            notes.append(f"{' and '.join(u.html for u in doubled)} are p×2p: each reads both directions of the "
                         "layer below, one edge from each")
        note = f" ({'; '.join(notes)})" if notes else ""
        terms = state.terms
        letters = " + ".join(t.symbol for t in terms)
        numbers = " + ".join(f"{t.count:,}" for t in terms)
        total = state.param_count
        return (
            f'<div class="rnnviz-guide" style="background:#fff">'
            f"<b>Depth grows with T:</b> {layers}; the longest path from an input to an output, "
            f"{path_text(state.longest)}, crosses <b>{state.depth}</b> edges. "
            f"Edges per matrix, as drawn: {uses} — every copy is the same matrix{note}.<br>"
            f"<b>Parameters stay fixed</b> (p = {p}, d = {d}, from <code>Network({d}, {p}, {d}"
            f"{', num_layers=2' if L > 1 else ''}{', bidirectional=True' if graph.bidirectional else ''})"
            f".param_shapes()</code>): {letters} = {numbers} = <b>{total:,}</b> for every T "
            f"(without sharing, {T} separate copies would need {T * total:,}).</div>"
        )

    def _describe(self, graph: Graph, lit: Highlight) -> str:
        node, reach, verb = lit.node, lit.reach, lit.direction
        if node is None:
            return "<i>No node selected: pick one under <b>select</b> above.</i>"
        word = ""
        if node.kind == "x" and node.t <= len(self.words):
            word = f" (“{html.escape(self.words[node.t - 1])}”)"
        if not reach.nodes:
            what = "depends on nothing: it is an input" if node.kind == "x" else "feeds nothing further: it is an output"
            return f"<b>{node.label}</b>{word} {what}. Switch the toggle above to see the other direction."
        parts = [s for s in (span_text(reach.nodes_of(k)) for k in "xhy") if s]
        text = f"<b>{node.label}</b>{word} {verb} " + "; ".join(parts) + f" — {len(reach.edges)} edges."
        if verb == "depends on" and node.kind == "h" and not graph.bidirectional and node.t < graph.T:
            text += f" It cannot see x<sub>{node.t + 1}</sub> … x<sub>{graph.T}</sub>: no edge runs backwards in time."
        return text
