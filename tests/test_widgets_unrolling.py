"""Lesson 3 app, driven without a browser: set a control, check the figure."""

from types import SimpleNamespace

import numpy as np
import pytest

from rnnviz.core.network import Network
from rnnviz.viz.unrolling import COLOURS, TRACES, node_colours, positions, trace
from rnnviz.core.graph import unrolled_graph
from rnnviz.widgets.unrolling import ARCHITECTURES, MAX_T, UnrollingApp


def _nodes(app):
    """name -> fill colour of the unrolled nodes, as drawn."""
    tr = trace(app.fig, "nodes")
    return dict(zip(tr.customdata, tr.marker.color))


def _edges(app, name):
    """The (start, end) points of the edges drawn in one edge trace."""
    tr = trace(app.fig, name)
    xs, ys = list(tr.x), list(tr.y)
    out, i = [], 0
    while i < len(xs):
        out.append(((xs[i], ys[i]), (xs[i + 2], ys[i + 2])))
        i += 4
    return out


def _by_colour(app, colour):
    return {name for name, c in _nodes(app).items() if c == colour}


def test_the_sentence_becomes_the_inputs():
    app = UnrollingApp(sentence="the cat sat on the mat", select=None)
    assert app.length.value == 6 and app.message.kind == ""
    assert list(trace(app.fig, "words").text) == ["“the”", "“cat”", "“sat”", "“on”", "“the”", "“mat”"]
    assert len(trace(app.fig, "nodes").x) == 18  # x_t, h_t, y_t for 6 words
    assert len(_edges(app, "W_hh")) == 5 and len(_edges(app, "W_xh")) == 6 and len(_edges(app, "W_hy")) == 6
    assert set(_nodes(app).values()) == {COLOURS["x"], COLOURS["h"], COLOURS["y"]}  # nothing highlighted


def test_changing_the_length_changes_the_number_of_nodes_and_columns():
    app = UnrollingApp(sentence="the cat sat on the mat")
    app.length.value = 9
    assert len(trace(app.fig, "nodes").x) == 27
    assert len(_edges(app, "W_hh")) == 8
    assert app.fig.layout.xaxis2.range[1] == pytest.approx(9.55)
    assert len(trace(app.fig, "folded nodes").x) == 3  # the folded picture does not grow
    assert app.message.kind == "info" and "x_7 … x_9" in app.message.text  # no words for them
    app.length.value = 2
    assert len(trace(app.fig, "nodes").x) == 6 and len(trace(app.fig, "words").text) == 2


@pytest.mark.parametrize("t", [1, 3, 6])
def test_selecting_h_t_highlights_exactly_what_it_depends_on(t):
    app = UnrollingApp(sentence="the cat sat on the mat", select=None)
    app.node.value = f"h_{t}"
    assert _by_colour(app, COLOURS["selected"]) == {f"h_{t}"}
    assert _by_colour(app, COLOURS["reach"]) == {f"x_{s}" for s in range(1, t + 1)} | {f"h_{s}" for s in range(1, t)}
    # the highlighted edges: t inputs and t - 1 recurrent steps, nothing to an output
    assert len(_edges(app, "W_xh selected")) == t and len(_edges(app, "W_hh selected")) == t - 1
    assert _edges(app, "W_hy selected") == []
    assert trace(app.fig, "W_hh").opacity < 1  # the rest fades
    assert f"h<sub>{t}</sub>" in app.selection.value


def test_selecting_x_t_highlights_what_it_influences_and_the_toggle_turns_it_round():
    app = UnrollingApp(sentence="a b c d e", select="x_2")
    assert _by_colour(app, COLOURS["reach"]) == {f"h_{t}" for t in range(2, 6)} | {f"y_{t}" for t in range(2, 6)}
    assert len(_edges(app, "W_hy selected")) == 4 and "influences" in app.selection.value
    app.node.value = "h_3"
    app.show.value = "influences"
    assert _by_colour(app, COLOURS["reach"]) == {"h_4", "h_5", "y_3", "y_4", "y_5"}
    app.show.value = "depends on"
    assert _by_colour(app, COLOURS["reach"]) == {"x_1", "x_2", "x_3", "h_1", "h_2"}
    app.node.value = ""
    assert _by_colour(app, COLOURS["selected"]) == set() and _edges(app, "W_xh selected") == []
    assert trace(app.fig, "W_hh").opacity == 1


def test_the_folded_picture_marks_the_cells_the_selection_copies():
    app = UnrollingApp(sentence="a b c d", select="h_3")
    folded = dict(zip(trace(app.fig, "folded nodes").text, trace(app.fig, "folded nodes").marker.color))
    assert folded == {"x": COLOURS["reach"], "h": COLOURS["selected"], "y": COLOURS["faded"]}
    assert trace(app.fig, "folded W_hh").opacity == 1 and trace(app.fig, "folded W_hy").opacity < 1


def test_parameter_count_is_invariant_to_the_length_and_follows_p_and_d():
    app = UnrollingApp(hidden_size=8, vocab_size=20)
    counts, depths = set(), []
    for T in (1, 4, 12):
        app.length.value = T
        counts.add(app.param_count)
        depths.append(app.depth)
    assert counts == {8 * 20 + 8 * 8 + 8 + 20 * 8 + 20} == {412}
    assert depths == [2, 5, 13]
    assert "<b>412</b>" in app.readout.value and "p·d + p·p + p + d·p + d" in app.readout.value
    app.hidden_size.value = 16
    assert app.param_count == 16 * 20 + 16 * 16 + 16 + 20 * 16 + 20
    app.vocab_size.value = 27
    assert app.param_count == sum(int(np.prod(s)) for s in Network(27, 16, 27).param_shapes().values())


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_architectures_grow_the_graph_and_count_the_network_s_parameters(arch):
    L, bi = ARCHITECTURES[arch]
    app = UnrollingApp(sentence="one two three four five", select="h_3")
    app.architecture.value = arch
    per_t = 2 + L * (2 if bi else 1)
    assert len(trace(app.fig, "nodes").x) == 5 * per_t
    assert len(trace(app.fig, "folded nodes").x) == per_t
    net = Network(20, 8, 20, num_layers=L, bidirectional=bi)
    assert app.param_count == sum(int(np.prod(s)) for s in net.param_shapes().values())
    assert app.node.value == app.graph.match(unrolled_graph(5).node("h_3")).name  # the selection carried over
    assert app.message.kind == ""


def test_bidirectional_outputs_depend_on_the_whole_sentence():
    app = UnrollingApp(sentence="one two three four five", architecture="bidirectional", select="y_2")
    assert {n for n in _by_colour(app, COLOURS["reach"]) if n.startswith("x")} == {f"x_{t}" for t in range(1, 6)}


def test_selection_follows_a_shorter_sentence():
    app = UnrollingApp(sentence="a b c d e f g", select="h_7")
    app.sentence.value = "a b c"
    assert app.node.value == "h_3" and _by_colour(app, COLOURS["selected"]) == {"h_3"}


def test_clicking_a_node_selects_it():
    app = UnrollingApp(sentence="a b c d", select=None)
    names = list(trace(app.fig, "nodes").customdata)
    app._clicked(SimpleNamespace(point_inds=[names.index("x_2")]))
    assert app.node.value == "x_2" and _by_colour(app, COLOURS["selected"]) == {"x_2"}


def test_bad_sentences_show_a_message_and_the_app_recovers():
    app = UnrollingApp(sentence="the cat sat")
    before = list(trace(app.fig, "nodes").x)
    app.sentence.value = "   "
    assert app.message.kind == "error" and "empty" in app.message.text
    assert list(trace(app.fig, "nodes").x) == before  # the view was left as it was
    app.sentence.value = " ".join(["word"] * 40)
    assert app.message.kind == "error" and "40 words" in app.message.text and str(MAX_T) in app.message.text
    assert list(trace(app.fig, "nodes").x) == before
    app.sentence.value = "x" * 200_000  # one enormous word: refused, not drawn as a label
    assert app.message.kind == "error" and "too long" in app.message.text
    assert list(trace(app.fig, "nodes").x) == before
    app.sentence.value = "now it works again"
    assert app.message.kind == "" and app.length.value == 4 and len(trace(app.fig, "nodes").x) == 12


def test_values_from_the_websocket_are_clamped_or_escaped():
    app = UnrollingApp()
    app.length.value = 10_000  # a slider clamps to its max on the kernel side
    assert app.length.value == MAX_T and len(trace(app.fig, "nodes").x) == 3 * MAX_T
    app.hidden_size.value = -5
    assert app.hidden_size.value == 1 and app.param_count == 20 + 1 + 1 + 20 + 20
    app.sentence.value = "<img src=x onerror=alert(1)> hi"
    assert "<img" not in "".join(trace(app.fig, "words").text)


def test_update_time_is_recorded_and_the_display_syncs_the_figure():
    app = UnrollingApp(sentence="a b c d e")
    app.length.value = 8
    assert app.last_update_ms > 0
    app._repr_mimebundle_()
    synced = app.fig._widget_data[TRACES.index("nodes")]
    assert len(synced["x"]) == 24


def test_views_are_pure_functions_of_the_graph():
    g = unrolled_graph(4, bidirectional=True)
    pos = positions(g)
    assert pos["h^f_2"][0] < 2 < pos["h^b_2"][0] and pos["h^b_2"][1] > pos["h^f_2"][1] > pos["x_2"][1]
    assert pos["y_1"][1] > pos["h^b_1"][1]
    fill, _, text = node_colours(g, "h^b_2", g.depends_on("h^b_2"))
    names = [n.name for n in g.nodes]
    assert fill[names.index("h^b_2")] == COLOURS["selected"] and text[names.index("h^b_2")] == "white"
    assert fill[names.index("x_1")] == COLOURS["faded"] and fill[names.index("x_4")] == COLOURS["reach"]


def test_edge_labels_thin_out_as_the_picture_grows():
    from rnnviz.core.graph import folded_graph
    from rnnviz.viz.unrolling import labelled_edges

    plain = unrolled_graph(6)
    assert labelled_edges(plain) == list(plain.edges)  # every copy says which matrix it is
    bi = unrolled_graph(6, bidirectional=True)
    first = labelled_edges(bi)
    assert first and all(1 in (bi.index[e.src].t, bi.index[e.dst].t) for e in first)
    assert {e.label for e in first} == {e.label for e in bi.edges}  # still every matrix named once
    assert labelled_edges(unrolled_graph(6, num_layers=2, bidirectional=True)) == []
    folded = folded_graph(num_layers=2, bidirectional=True)
    assert {e.role for e in labelled_edges(folded)} == {"W_xh", "W_hh", "W_hy"}
