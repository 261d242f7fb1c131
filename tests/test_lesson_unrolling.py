"""Lesson 3, unrolling in time: its math against the core, its exercises' wrong answers, the slips a class found."""

import re
import xml.etree.ElementTree as ET
from collections import Counter
import numpy as np
import pytest
from rnnviz.core.graph import parameter_count, unrolled_graph
from rnnviz.core.network import Network
from rnnviz.exercises import Feedback, NotYet, Unanswered
from rnnviz.exercises.unrolling import bidirectional_inputs, judge_inputs, parameter_count as count_exercise
from rnnviz.lessonmath.unrolling import (
    ARCHITECTURES, MAX_T, highlight, longest_path, matrix_uses, path_text, runs, span_text, unrolling,
)
from rnnviz.viz.unrolling import UNROLLED_MAX, column_width
from rnnviz.widgets.unrolling import UnrollingApp
from rnnviz.core.graph import folded_graph
from rnnviz.viz.svg import VIEW_CLASS
from rnnviz.viz.unrolling import COLOURS, labelled_edges, node_colours, positions, unrolling_svg
from rnnviz.widgets.unrolling import ARCHITECTURES, MAX_T


def _all_paths(graph):
    """Every path from an input to an output, node names in order (brute force: depth-first over the edges)."""
    out = {n.name: [e.dst for e in graph.edges if e.src == n.name] for n in graph.nodes}
    paths = []

    def walk(path):
        if graph.index[path[-1]].kind == "y":
            paths.append(path)
            return
        for nxt in out[path[-1]]:
            walk(path + [nxt])

    for x in graph.nodes_of("x"):
        walk([x.name])
    return paths


CASES = [(arch, T) for arch in ARCHITECTURES for T in (1, 2, 3, 6)]


# ---------------------------------------------------------------------------- the lesson math against the core
@pytest.mark.parametrize("arch,T", CASES)
def test_the_longest_path_is_the_longest_of_all_paths_and_a_path_of_the_graph(arch, T):
    graph = unrolling(T, arch, 8, 20).graph
    path = longest_path(graph)
    every = _all_paths(graph)
    longest = max(len(p) - 1 for p in every)
    assert path.edges == longest == graph.longest_path
    names = [n.name for n in path.nodes]
    assert names in every  # a real path: input to output along the graph's edges
    assert path.src.kind == "x" and path.dst.kind == "y"


def test_two_layers_bidirectional_the_longest_path_goes_forward_then_back():
    """The slip: the readout said the longest path x_1 -> y_6 crosses 13 edges; that path has 8, 13 ends at y_1."""
    graph = unrolling(6, "2 layers, bidir.", 8, 20).graph
    path = longest_path(graph)
    assert (path.src.name, path.dst.name, path.edges) == ("x_1", "y_1", 13)
    every = _all_paths(graph)
    assert max(len(p) - 1 for p in every if (p[0], p[-1]) == ("x_1", "y_6")) == 8
    assert path_text(path) == ("x<sub>1</sub> → h<sub>1</sub><sup>1f</sup> … h<sub>6</sub><sup>1f</sup> → "
                               "h<sub>6</sub><sup>2b</sup> … h<sub>1</sub><sup>2b</sup> → y<sub>1</sub>")


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_parameters_come_from_the_network_and_do_not_depend_on_T(arch):
    L, bi = ARCHITECTURES[arch]
    counts = {unrolling(T, arch, 7, 11).param_count for T in (1, 5, MAX_T)}
    assert counts == {parameter_count(Network(11, 7, 11, num_layers=L, bidirectional=bi))}
    depths = [unrolling(T, arch, 7, 11).depth for T in (1, 5, MAX_T)]
    assert depths == sorted(depths) and depths[0] < depths[-1]  # deeper, not bigger


@pytest.mark.parametrize("arch,T", CASES)
def test_matrix_uses_count_every_edge_once_by_its_label(arch, T):
    graph = unrolling(T, arch, 8, 20).graph
    uses = matrix_uses(graph)
    assert sum(u.count for u in uses) == len(graph.edges)
    for u in uses:
        assert u.count == sum(e.label == u.label for e in graph.edges)
        assert all(e.param == u.param for e in graph.edges if e.label == u.label)


def test_bidirectional_w_hy_is_drawn_as_two_halves():
    uses = {u.label: u for u in matrix_uses(unrolled_graph(6, bidirectional=True))}
    assert uses["W_hy^f"].count == uses["W_hy^b"].count == 6
    assert uses["W_hy^f"].param == uses["W_hy^b"].param == "out.W_hy"
    shape = Network(20, 8, 20, bidirectional=True).param_shapes()["out.W_hy"]
    assert tuple(shape) == (20, 16)  # one d×2p matrix: W_hy^f is its first p columns, W_hy^b the rest


def test_highlight_auto_shows_what_an_input_influences_and_what_a_state_depends_on():
    g = unrolled_graph(5)
    x = highlight(g, g.node("x_2"), "auto")
    assert x.direction == "influences" and x.reach == g.influences("x_2")
    h = highlight(g, g.node("h_3"), "auto")
    assert h.direction == "depends on" and {n.name for n in h.reach.nodes_of("x")} == {"x_1", "x_2", "x_3"}
    assert highlight(g, g.node("h_3"), "influences").reach == g.influences("h_3")
    assert highlight(g, None, "auto").reach is None
    with pytest.raises(ValueError, match="show"):
        highlight(g, None, "sideways")


def test_runs_and_spans_shorten_consecutive_time_stamps():
    g = unrolled_graph(6)
    assert [len(r) for r in runs(longest_path(g).nodes)] == [1, 6, 1]
    assert span_text(g.nodes_of("x")[2:]) == "x<sub>3</sub> … x<sub>6</sub>"
    assert span_text([g.node("x_1"), g.node("x_4")]) == "x<sub>1</sub>, x<sub>4</sub>"


def test_bad_settings_name_what_is_wrong():
    with pytest.raises(ValueError, match="architecture"):
        unrolling(3, "three layers", 8, 20)
    with pytest.raises(ValueError, match="hidden_size"):
        unrolling(3, "one layer", 0, 20)
    with pytest.raises(ValueError, match="T"):
        unrolling(0, "one layer", 8, 20)


# ---------------------------------------------------------------------------- the app: the slips
def _readout_depth(app):
    m = re.search(r"the longest path from an input to an output, (.*?), crosses <b>(\d+)</b> edges", app.readout.value)
    assert m, app.readout.value
    return m.group(1), int(m.group(2))


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_the_readout_names_the_longest_path_and_its_true_length(arch):
    app = UnrollingApp(sentence="one two three four five six", architecture=arch)
    named, n = _readout_depth(app)
    every = _all_paths(app.graph)
    assert n == max(len(p) - 1 for p in every)  # the longest path of all, by brute force
    ends = re.findall(r"([xy])<sub>(\d+)</sub>", named)
    src, dst = f"{ends[0][0]}_{ends[0][1]}", f"{ends[-1][0]}_{ends[-1][1]}"
    assert max(len(p) - 1 for p in every if (p[0], p[-1]) == (src, dst)) == n  # the path it names has that length
    assert f"<b>{n}</b> edges" in app.summary.value


def _drawn_edges_per_label(app):
    """label -> how many edges the picture's unrolled panel draws with it, and the copies each one's hover text says."""
    root = ET.fromstring(re.sub(r"<style>.*?</style>", "", app.view.value, flags=re.S))
    panel = next(el for el in root.iter() if el.get("data-name") == "unrolled")
    drawn, said = Counter(), {}
    for e in panel.iter():
        if e.get("data-label"):
            drawn[e.get("data-label")] += 1
            said.setdefault(e.get("data-label"), set()).add(
                int(re.search(r"one of its (\d+) copies", e.find("{*}title").text).group(1)))
    return drawn, said


def _readout_counts(app):
    """label -> the count the readout gives it ("W<sub>hy</sub><sup>f</sup> on 6" -> {"W_hy^f": 6})."""
    part = re.search(r"Edges per matrix, as drawn: (.*?) —", app.readout.value).group(1)
    out = {}
    for m in re.finditer(r"W<sub>(\w+)</sub>(?:<sup>(\w+)</sup>)? on (\d+)", part):
        out["W_" + m.group(1) + (f"^{m.group(2)}" if m.group(2) else "")] = int(m.group(3))
    return out


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
@pytest.mark.parametrize("T", [1, 6, MAX_T])
def test_readout_counts_each_matrix_on_the_edges_the_picture_draws_with_its_label(arch, T):
    app = UnrollingApp(sentence=" ".join(["w"] * T), architecture=arch)
    drawn, said = _drawn_edges_per_label(app)
    assert _readout_counts(app) == dict(drawn)
    assert all(said[label] == {n} for label, n in drawn.items())  # each edge's hover text says the same count


def test_bidirectional_readout_counts_w_hy_f_and_w_hy_b_apart():
    """The slip: "W_hy^f on 12" beside a picture drawing W_hy^f and W_hy^b, 6 each."""
    app = UnrollingApp(sentence="one two three four five six", architecture="bidirectional")
    assert _readout_counts(app)["W_hy^f"] == _readout_counts(app)["W_hy^b"] == 6
    assert "on 12" not in app.readout.value
    assert "two halves of the one d×2p" in app.readout.value


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_at_the_largest_T_the_columns_narrow_so_the_picture_reads_at_a_projector_s_width(arch):
    app = UnrollingApp(sentence=" ".join(["w"] * MAX_T), architecture=arch)
    root = ET.fromstring(re.sub(r"<style>.*?</style>", "", app.view.value, flags=re.S))
    svg = next(el for el in root if el.tag.endswith("svg"))
    min_width = float(re.search(r"min-width:\s*([\d.]+)px", svg.get("style")).group(1))
    assert min_width <= 980  # it scales down into a 1024 px window's 994 px box: nothing scrolls there
    assert column_width(MAX_T) * MAX_T == UNROLLED_MAX and column_width(6) == 100
    assert float(svg.get("width")) <= 994 / 0.78  # at a 1024 px window it shows at 0.78 of its size or more


def _row_of(app, control):
    """The box that holds ``control``'s row (explained(...)) and the index of that row in it."""
    for box in [app, *app.descendants()]:
        for i, child in enumerate(getattr(box, "children", ())):
            if control in getattr(child, "children", ()):
                return box, i
    raise AssertionError("control not found")


def test_a_message_appears_right_under_the_control_that_caused_it():
    app = UnrollingApp(sentence="the cat sat")
    app.sentence.value = "   "
    box, i = _row_of(app, app.sentence)
    assert app.message.kind == "error" and box.children[i + 1] is app.message
    assert "rnnviz-controls" in box._dom_classes  # in the control bar: in view with the picture
    app.sentence.value = "a b c"
    assert app.message.kind == "" and not app.stale
    app.length.value = 5  # longer than the sentence: a note under the slider
    box, i = _row_of(app, app.length)
    assert app.message.kind == "info" and "x_4, x_5" in app.message.text and box.children[i + 1] is app.message


def test_a_browser_that_raises_a_control_s_max_is_refused_by_the_lesson_s_own_range():
    app = UnrollingApp(sentence="a b c d")
    app.length.set_state({"max": 500})
    app.length.set_state({"value": 400})
    assert app.message.kind == "error" and f"from 1 to {MAX_T}" in app.message.text and app.stale
    assert len(app.graph.nodes) == 12  # the picture still shows T = 4
    app.length.value = 4
    assert app.message.kind == "" and not app.stale
    app.hidden_size.set_state({"max": 10**9})
    app.hidden_size.set_state({"value": 10**8})
    assert app.message.kind == "error" and "p (hidden)" in app.message.text and app.param_count == 412
    app.hidden_size.value = 8
    assert app.message.kind == "" and not app.stale and app.param_count == 412


# ---------------------------------------------------------------------------- exercises
P, D, T = 16, 27, 10
TOTAL = P * D + P * P + P + D * P + D


def _not_yet(exercise, answer) -> Feedback:
    fb = exercise.judge(answer)
    assert fb.answered and not fb.correct, (answer, fb)
    return fb


def test_parameter_count_is_right_for_the_network_s_own_count():
    assert count_exercise.reference == TOTAL == parameter_count(Network(D, P, D))
    assert count_exercise.judge(TOTAL).correct and count_exercise.judge(str(TOTAL)).correct


@pytest.mark.parametrize("answer,wrong", [
    (T * TOTAL, "T"),
    (T * (TOTAL - P - D), "T"),
    (TOTAL + (T - 2) * P * P, "W_hh"),
    (TOTAL + (T - 1) * P * P, "W_hh"),
    (TOTAL + (T - 1) * 2 * P * D, "W_xh, W_hy"),
    (TOTAL - P - D, "bias"),
    (TOTAL - P, "b_h"),
    (TOTAL - D, "b_y"),
    (TOTAL - P * P, "W_hh"),
    (TOTAL - P * P + P, "W_hh"),
    (TOTAL - P * D, "W_xh, W_hy"),
    (TOTAL + 1, "count"),
    (0, "count"),
])
def test_parameter_count_names_the_wrong_term_and_never_the_answer(answer, wrong):
    fb = _not_yet(count_exercise, answer)
    assert fb.wrong == wrong, fb
    assert str(TOTAL) not in fb.text and f"{TOTAL:,}" not in fb.text


def test_parameter_count_reads_only_whole_numbers():
    assert "whole number" in _not_yet(count_exercise, 1163.5).text
    assert "not a number" in _not_yet(count_exercise, "eleven hundred").text
    for placeholder in (None, ..., ""):
        assert not count_exercise.judge(placeholder).answered


@pytest.mark.parametrize("answer,wrong", [
    ([1, 2], "h^b"),  # forgot the backward states
    ([2, 3, 4, 5], "h^f"),  # forgot the forward ones
    ([2], "h^f"),
    ([1, 3, 4, 5], "W_xh"),  # forgot the input read at t = 2 itself
])
def test_bidirectional_inputs_name_the_state_the_missing_inputs_come_through(answer, wrong):
    fb = _not_yet(bidirectional_inputs, answer)
    assert fb.wrong == wrong, fb
    assert "x<sub>" not in fb.text and "1, 2" not in fb.text  # names no input: the answer stays to be found


def test_bidirectional_inputs_reference_and_placeholders():
    assert bidirectional_inputs.judge(bidirectional_inputs.reference).correct
    assert bidirectional_inputs.judge({5, 4, 3, 2, 1}).correct
    assert not bidirectional_inputs.judge([]).answered  # nothing clicked yet
    assert "not a time-stamp" in _not_yet(bidirectional_inputs, [6]).text


def test_judge_inputs_in_a_one_way_network_names_extra_and_missing_inputs():
    g = unrolled_graph(5)
    assert "no path" in pytest.raises(NotYet, judge_inputs, [1, 2, 3, 4], g, "h_3").value.text
    assert pytest.raises(NotYet, judge_inputs, [1, 2], g, "h_3").value.wrong == "W_xh"
    assert pytest.raises(NotYet, judge_inputs, [2, 3], g, "h_3").value.wrong == "W_hh"
    with pytest.raises(Unanswered):
        judge_inputs([], g, "h_3")
    assert judge_inputs([1, 2, 3], g, "h_3").startswith("h<sub>3</sub> depends on")
    assert np.all([judge_inputs(list(range(1, t + 1)), g, f"y_{t}") for t in range(1, 6)])


# =========================================================================== the apps and their views
def _root(html_text):
    """The picture's HTML as an XML tree (it must be well-formed), without its style sheet."""
    return ET.fromstring(re.sub(r"<style>.*?</style>", "", html_text, flags=re.S))


def _tag(el):
    return el.tag.rsplit("}", 1)[-1]


def _panel(app, name="unrolled"):
    root = _root(app.view.value)
    return next(el for el in root.iter() if el.get("data-name") == name)


def _nodes(app, panel="unrolled"):
    """name -> fill colour of the node circles of a panel, as drawn."""
    out = {}
    for g in _panel(app, panel).iter():
        if g.get("data-node") is not None:
            circles = [c for c in g if _tag(c) == "circle"]
            assert len(circles) == 1
            out[g.get("data-node")] = circles[0].get("fill")
    return out


def _edges(app, role, hot=None, panel="unrolled"):
    """(src, dst) of the edges of one role drawn in a panel; hot=True / False: only those (not) on the highlighted paths."""
    return [(e.get("data-src"), e.get("data-dst")) for e in _panel(app, panel).iter()
            if e.get("data-role") == role and (hot is None or (e.get("data-hot") == "1") == hot)]


def _faded(app, role):
    """The opacity of the group that holds the edges of ``role`` off the highlighted paths (1 when not faded)."""
    for g in _panel(app).iter():
        kids = [e for e in g if e.get("data-role") == role and e.get("data-hot") is None]
        if kids:
            return float(g.get("opacity", 1))
    return None


def _words(app):
    """The words written under the inputs (each text is a <title> with the whole word, then the word shown)."""
    return [t[0].tail for t in _panel(app).iter() if t.get("data-word")]


def _by_colour(app, colour, panel="unrolled"):
    return {name for name, c in _nodes(app, panel).items() if c == colour}


def test_the_sentence_becomes_the_inputs():
    app = UnrollingApp(sentence="the cat sat on the mat", select=None)
    assert app.length.value == 6 and app.message.kind == ""
    assert _words(app) == ["“the”", "“cat”", "“sat”", "“on”", "“the”", "“mat”"]
    assert len(_nodes(app)) == 18  # x_t, h_t, y_t for 6 words
    assert len(_edges(app, "W_hh")) == 5 and len(_edges(app, "W_xh")) == 6 and len(_edges(app, "W_hy")) == 6
    assert set(_nodes(app).values()) == {COLOURS["x"], COLOURS["h"], COLOURS["y"]}  # nothing highlighted
    assert _edges(app, "W_hh") == [(f"h_{t}", f"h_{t + 1}") for t in range(1, 6)]  # forward in time


def test_the_picture_is_a_view_of_its_own_with_every_node_and_edge():
    app = UnrollingApp(sentence="the cat sat on the mat", select="h_3")
    root = _root(app.view.value)
    assert VIEW_CLASS in root.get("class").split()  # what the browser tests and bench_app look for
    svg = next(el for el in root if _tag(el) == "svg")
    names = [n.name for n in app.graph.nodes]
    assert list(_nodes(app)) == names and len(_nodes(app, "folded")) == 3
    assert all(g.get("data-v") == str(app.graph.index[g.get("data-node")].t)  # a data mark: its time-stamp
               for g in _panel(app).iter() if g.get("data-node"))
    edges = [e for e in _panel(app).iter() if _tag(e) == "path" and e.get("data-role")]
    assert sorted((e.get("data-src"), e.get("data-dst")) for e in edges) == sorted((e.src, e.dst) for e in app.graph.edges)
    markers = {m.get("id") for m in svg.iter() if _tag(m) == "marker"}
    for e in edges:  # every edge carries an arrowhead of its own colour that the picture defines
        ref = re.fullmatch(r"url\(#(.+)\)", e.get("marker-mid")).group(1)
        assert ref in markers and e.get("data-role") in ref
    # hovering tells what a node is, and how to select it
    tips = {g.get("data-node"): g.find("{*}title").text for g in _panel(app).iter() if g.get("data-node")}
    assert tips["h_4"].startswith("h₄ depends on x₁ … x₄") and "select" in tips["h_4"]
    assert "“cat”" in tips["x_2"] and "influences 10 later node(s)" in tips["x_2"]
    # the edge labels: one per labelled edge, in its role's colour
    labels = [t for t in _panel(app).iter() if _tag(t) == "text" and t.get("font-size") == "14"]
    assert len(labels) == len(labelled_edges(app.graph)) == 17


def test_the_legend_names_the_roles_and_the_selection():
    app = UnrollingApp(sentence="a b c d", select=None)
    legend = app.view.value.split('class="rnnviz-unroll-legend"', 1)[1]
    for role in ("xh", "hh", "hy"):
        assert f"W<sub>{role}</sub>" in legend
    assert "selected" not in legend
    app.node.value = "x_2"
    legend = app.view.value.split('class="rnnviz-unroll-legend"', 1)[1]
    assert "x<sub>2</sub> selected" in legend and "what it influences" in legend
    app.show.value = "depends on"
    assert "what it depends on" in app.view.value


def test_changing_the_length_changes_the_number_of_nodes_and_columns():
    app = UnrollingApp(sentence="the cat sat on the mat")
    width = float(_root(app.view.value).find("{*}svg").get("width"))
    app.length.value = 9
    assert len(_nodes(app)) == 27
    assert len(_edges(app, "W_hh")) == 8
    assert float(_root(app.view.value).find("{*}svg").get("width")) == pytest.approx(width + 300)  # 3 more columns
    assert len(_nodes(app, "folded")) == 3  # the folded picture does not grow
    assert app.message.kind == "info" and "x_7 … x_9" in app.message.text  # no words for them
    assert len(_words(app)) == 6
    app.length.value = 2
    assert len(_nodes(app)) == 6 and len(_words(app)) == 2
    assert "T = 2 time-stamps" in app.view.value
    app.length.value = 1
    assert "T = 1 time-stamp<" in app.view.value


@pytest.mark.parametrize("t", [1, 3, 6])
def test_selecting_h_t_highlights_exactly_what_it_depends_on(t):
    app = UnrollingApp(sentence="the cat sat on the mat", select=None)
    app.node.value = f"h_{t}"
    assert _by_colour(app, COLOURS["selected"]) == {f"h_{t}"}
    assert _by_colour(app, COLOURS["reach"]) == {f"x_{s}" for s in range(1, t + 1)} | {f"h_{s}" for s in range(1, t)}
    # the highlighted edges: t inputs and t - 1 recurrent steps, nothing to an output
    assert len(_edges(app, "W_xh", hot=True)) == t and len(_edges(app, "W_hh", hot=True)) == t - 1
    assert _edges(app, "W_hy", hot=True) == []
    assert _faded(app, "W_hy") < 1  # the rest fades
    assert f"h<sub>{t}</sub>" in app.selection.value


def test_selecting_x_t_highlights_what_it_influences_and_the_toggle_turns_it_round():
    app = UnrollingApp(sentence="a b c d e", select="x_2")
    assert _by_colour(app, COLOURS["reach"]) == {f"h_{t}" for t in range(2, 6)} | {f"y_{t}" for t in range(2, 6)}
    assert len(_edges(app, "W_hy", hot=True)) == 4 and "influences" in app.selection.value
    app.node.value = "h_3"
    app.show.value = "influences"
    assert _by_colour(app, COLOURS["reach"]) == {"h_4", "h_5", "y_3", "y_4", "y_5"}
    app.show.value = "depends on"
    assert _by_colour(app, COLOURS["reach"]) == {"x_1", "x_2", "x_3", "h_1", "h_2"}
    app.node.value = ""
    assert _by_colour(app, COLOURS["selected"]) == set() and _edges(app, "W_xh", hot=True) == []
    assert _faded(app, "W_hh") == 1
    assert "pick one under <b>select</b>" in app.selection.value


def test_the_words_under_the_inputs_fade_with_the_inputs():
    app = UnrollingApp(sentence="a b c d e", select="h_2")
    fills = [t.get("fill") for t in _panel(app).iter() if t.get("data-word")]
    assert fills == [COLOURS["text"]] * 2 + [COLOURS["faded_text"]] * 3


def test_the_folded_picture_marks_the_cells_the_selection_copies():
    app = UnrollingApp(sentence="a b c d", select="h_3")
    assert _nodes(app, "folded") == {"x": COLOURS["reach"], "h": COLOURS["selected"], "y": COLOURS["faded"]}
    assert _edges(app, "W_hh", hot=True, panel="folded") == [("h", "h")]  # the loop is on the path
    assert _edges(app, "W_hy", hot=False, panel="folded") == [("h", "y")]  # h_3 does not depend on an output


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
    assert len(_nodes(app)) == 5 * per_t
    assert len(_nodes(app, "folded")) == per_t
    assert sum(len(_edges(app, role)) for role in ("W_xh", "W_hh", "W_hy")) == len(app.graph.edges)
    net = Network(20, 8, 20, num_layers=L, bidirectional=bi)
    assert app.param_count == sum(int(np.prod(s)) for s in net.param_shapes().values())
    assert app.node.value == app.graph.match(unrolled_graph(5).node("h_3")).name  # the selection carried over
    assert _by_colour(app, COLOURS["selected"]) == {app.node.value}
    assert app.message.kind == ""


@pytest.mark.parametrize("arch", list(ARCHITECTURES))
def test_the_picture_holds_every_node_at_the_largest_T_and_fits_a_projector_scaled_down(arch):
    L, bi = ARCHITECTURES[arch]
    app = UnrollingApp(sentence=" ".join(["word"] * MAX_T), architecture=arch)
    svg = _root(app.view.value).find("{*}svg")
    x0, y0, w, h = (float(v) for v in svg.get("viewBox").split())
    style = svg.get("style").replace(" ", "")
    assert (x0, y0) == (0, 0) and style.startswith("width:100%") and "height:auto" in style  # scales with its box
    assert float(re.search(r"min-width:([\d.]+)px", style).group(1)) <= 980  # scales into a 1024 px window's box
    assert 994 / w >= 0.78  # in a 1024 px window (a 994 px app box) it shows at 0.78 of its natural size or more
    for c in svg.iter():
        if _tag(c) == "circle":
            cx, cy, r = (float(c.get(a)) for a in ("cx", "cy", "r"))
            assert r <= cx <= w - r and r <= cy <= h - r
    assert len(_nodes(app)) == MAX_T * (2 + L * (2 if bi else 1))


def test_bidirectional_outputs_depend_on_the_whole_sentence():
    app = UnrollingApp(sentence="one two three four five", architecture="bidirectional", select="y_2")
    assert {n for n in _by_colour(app, COLOURS["reach"]) if n.startswith("x")} == {f"x_{t}" for t in range(1, 6)}


def test_selection_follows_a_shorter_sentence():
    app = UnrollingApp(sentence="a b c d e f g", select="h_7")
    app.sentence.value = "a b c"
    assert app.node.value == "h_3" and _by_colour(app, COLOURS["selected"]) == {"h_3"}


def test_a_node_is_picked_in_the_list_not_clicked():
    app = UnrollingApp(sentence="a b c d", select=None)
    guide = app.children[1].value
    assert "Pick a node" in guide and "click" not in guide.lower()
    assert "click" not in app.view.value.lower() and "click" not in app.selection.value.lower()
    assert [v for _, v in app.node.options] == [""] + list(_nodes(app))  # every node of the picture can be picked
    app.node.value = "x_2"
    assert _by_colour(app, COLOURS["selected"]) == {"x_2"}


def test_bad_sentences_show_a_message_and_the_app_recovers():
    app = UnrollingApp(sentence="the cat sat")
    before = app.view.value
    app.sentence.value = "   "
    assert app.message.kind == "error" and "empty" in app.message.text
    assert app.view.value == before  # the view was left as it was
    app.sentence.value = " ".join(["word"] * 40)
    assert app.message.kind == "error" and "40 words" in app.message.text and str(MAX_T) in app.message.text
    assert app.view.value == before
    app.sentence.value = "x" * 200_000  # one enormous word: refused, not drawn as a label
    assert app.message.kind == "error" and "200000 characters" in app.message.text and "Shorten" in app.message.text
    assert app.view.value == before
    app.sentence.value = "now it works again"
    assert app.message.kind == "" and app.length.value == 4 and len(_nodes(app)) == 12


def test_values_from_the_websocket_are_clamped_or_escaped():
    app = UnrollingApp()
    app.length.value = 10_000  # a slider clamps to its max on the kernel side
    assert app.length.value == MAX_T and len(_nodes(app)) == 3 * MAX_T
    app.hidden_size.value = -5
    assert app.hidden_size.value == 1 and app.param_count == 20 + 1 + 1 + 20 + 20
    app.sentence.value = '<img src=x onerror=alert(1)> "quoted" & </svg>'
    assert "<img" not in app.view.value and "&lt;/svg&gt;" in app.view.value
    words = _words(app)  # still well-formed, and the words read as typed
    assert words[0] == "“<img”" and words[3] == "“\"quoted\"”" and words[5] == "“</svg>”"
    tips = [t[0].text for t in _panel(app).iter() if t.get("data-word")]
    assert tips[2] == "x_3 = “onerror=alert(1)>”"  # the whole word on hover, escaped too
    assert _words(app)[2] == "“onerror=…”"  # a long word is shortened under its input


def test_update_time_is_recorded_and_the_display_syncs_the_picture():
    app = UnrollingApp(sentence="a b c d e")
    app.length.value = 8
    assert app.last_update_ms > 0
    app._repr_mimebundle_()
    synced = _root(app.view.get_state()["value"])  # what a browser view receives
    assert sum(1 for g in synced.iter() if g.get("data-node")) == 24 + 3
    assert list(app.figures()) == []  # no plotly figure: nothing is redrawn whole


def test_views_are_pure_functions_of_the_graph():
    g = unrolled_graph(4, bidirectional=True)
    pos = positions(g)
    assert pos["h^f_2"][0] < 2 < pos["h^b_2"][0] and pos["h^b_2"][1] > pos["h^f_2"][1] > pos["x_2"][1]
    assert pos["y_1"][1] > pos["h^b_1"][1]
    fill, _, text = node_colours(g, "h^b_2", g.depends_on("h^b_2"))
    names = [n.name for n in g.nodes]
    assert fill[names.index("h^b_2")] == COLOURS["selected"] and text[names.index("h^b_2")] == "white"
    assert fill[names.index("x_1")] == COLOURS["faded"] and fill[names.index("x_4")] == COLOURS["reach"]
    folded = folded_graph(bidirectional=True)
    once = unrolling_svg(g, folded, words=["a", "b"], selected="h^b_2", reach=g.depends_on("h^b_2"))
    assert once == unrolling_svg(g, folded, words=["a", "b"], selected="h^b_2", reach=g.depends_on("h^b_2"))
    with pytest.raises(ValueError, match="no node"):
        unrolling_svg(g, folded, selected="h_9")


def test_edge_labels_thin_out_as_the_picture_grows():
    plain = unrolled_graph(6)
    assert labelled_edges(plain) == list(plain.edges)  # every copy says which matrix it is
    bi = unrolled_graph(6, bidirectional=True)
    first = labelled_edges(bi)
    assert first and all(1 in (bi.index[e.src].t, bi.index[e.dst].t) for e in first)
    assert {e.label for e in first} == {e.label for e in bi.edges}  # still every matrix named once
    assert labelled_edges(unrolled_graph(6, num_layers=2, bidirectional=True)) == []
    folded = folded_graph(num_layers=2, bidirectional=True)
    assert {e.role for e in labelled_edges(folded)} == {"W_xh", "W_hh", "W_hy"}
