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
