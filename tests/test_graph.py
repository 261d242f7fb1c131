"""The unrolled computational graph: dependency sets, parameter counts, and agreement with a real Network."""

import doctest

import numpy as np
import pytest

import rnnviz.core.graph as graph_module
from rnnviz.core.graph import (
    folded_graph,
    numerical_dependence,
    parameter_count,
    parameter_terms,
    unrolled_graph,
)
from rnnviz.core.network import Network

ARCHITECTURES = [(1, False), (1, True), (2, False), (2, True)]


def test_doctests():
    assert doctest.testmod(graph_module).failed == 0


@pytest.mark.parametrize("T", [1, 2, 5, 12])
def test_h_t_depends_on_exactly_the_inputs_up_to_t(T):
    g = unrolled_graph(T)
    for t in range(1, T + 1):
        reach = g.depends_on(f"h_{t}")
        assert [n.name for n in reach.nodes_of("x")] == [f"x_{s}" for s in range(1, t + 1)]
        assert [n.name for n in reach.nodes_of("h")] == [f"h_{s}" for s in range(1, t)]
        assert reach.nodes_of("y") == []
        # the edges are exactly the t inputs and the t - 1 recurrent steps
        assert sorted((e.src, e.dst) for e in reach.edges) == sorted(
            [(f"x_{s}", f"h_{s}") for s in range(1, t + 1)] + [(f"h_{s}", f"h_{s + 1}") for s in range(1, t)]
        )


def test_x_t_influences_the_later_states_and_outputs_only():
    g = unrolled_graph(7)
    reach = g.influences("x_4")
    assert reach.names == {f"h_{t}" for t in range(4, 8)} | {f"y_{t}" for t in range(4, 8)}
    assert {e.role for e in reach.edges} == {"W_xh", "W_hh", "W_hy"}
    assert g.influences("y_3").nodes == () and g.depends_on("x_3").nodes == ()


def test_bidirectional_backward_states_depend_on_the_future():
    g = unrolled_graph(6, bidirectional=True)
    assert [n.t for n in g.depends_on("h^b_4").nodes_of("x")] == [4, 5, 6]
    assert [n.t for n in g.depends_on("h^f_4").nodes_of("x")] == [1, 2, 3, 4]
    assert [n.t for n in g.depends_on("y_2").nodes_of("x")] == [1, 2, 3, 4, 5, 6]  # y_t sees the whole sentence


def test_every_edge_names_a_matrix_of_the_network_and_each_matrix_is_reused():
    for L, bi in ARCHITECTURES:
        g = unrolled_graph(5, num_layers=L, bidirectional=bi)
        shapes = Network(4, 3, 4, num_layers=L, bidirectional=bi).param_shapes()
        used = {e.param for e in g.edges}
        assert used == {k for k in shapes if ".W_" in k}, (L, bi)
        for key in used:
            if key.endswith("W_hh"):
                assert g.count(key) == 4  # T - 1 recurrent steps, one matrix
        assert len(g.nodes) == 5 * (2 + L * (2 if bi else 1))


def test_depth_grows_with_T_while_the_parameter_count_does_not():
    counts = {parameter_count(Network(20, 8, 20)) for _ in range(3)}
    assert counts == {8 * 20 + 8 * 8 + 8 + 20 * 8 + 20}
    assert [unrolled_graph(T).longest_path for T in (1, 4, 9)] == [2, 5, 10]  # x_1 -> h_1 ... h_T -> y_T
    assert unrolled_graph(4, num_layers=2).longest_path == 6


@pytest.mark.parametrize("L,bi", ARCHITECTURES)
def test_parameter_terms_agree_with_the_network_and_their_letters(L, bi):
    p, d = 7, 11
    terms = parameter_terms(p, d, num_layers=L, bidirectional=bi)
    net = Network(d, p, d, num_layers=L, bidirectional=bi)
    assert [t.key for t in terms] == list(net.param_shapes())
    assert sum(t.count for t in terms) == parameter_count(net)
    for term in terms:  # the letters evaluate to the real size
        value = 1
        for factor in term.symbol.split("·"):
            value *= {"p": p, "d": d, "2p": 2 * p}[factor]
        assert value == term.count, term


@pytest.mark.parametrize("L,bi", ARCHITECTURES)
def test_the_graph_matches_which_states_a_real_network_changes(L, bi, rng):
    """Perturb x_s in a real Network: exactly the nodes the graph says x_s influences change."""
    T, D = 6, 3
    net = Network(D, 4, 2, num_layers=L, bidirectional=bi)
    params = net.init_params(rng)
    dep = numerical_dependence(net, params, rng.standard_normal((1, T, D)))
    g = unrolled_graph(T, num_layers=L, bidirectional=bi)
    for key, changed in dep.hidden.items():
        layer, direction = int(key[5]) + 1, key.split(".")[1]
        for t in range(1, T + 1):
            node = g.hidden(t, layer, direction)
            want = [n.t for n in g.depends_on(node.name).nodes_of("x")]
            assert list(np.flatnonzero(changed[t - 1]) + 1) == want, (key, t)
    for t in range(1, T + 1):
        want = [n.t for n in g.depends_on(f"y_{t}").nodes_of("x")]
        assert list(np.flatnonzero(dep.y[t - 1]) + 1) == want


def test_folded_graph_has_one_node_per_role_and_a_loop_per_recurrent_matrix():
    f = folded_graph()
    assert [n.name for n in f.nodes] == ["x", "h", "y"]
    assert [(e.src, e.dst, e.label) for e in f.edges] == [("x", "h", "W_xh"), ("h", "h", "W_hh"), ("h", "y", "W_hy")]
    fb = folded_graph(num_layers=2, bidirectional=True)
    assert sum(e.src == e.dst for e in fb.edges) == 4
    g = unrolled_graph(5, num_layers=2, bidirectional=True)
    assert {g.fold(n) for n in g.nodes} == {n.name for n in fb.nodes}
    with pytest.raises(ValueError, match="loop"):
        fb.longest_path


def test_match_keeps_a_selection_across_lengths_and_architectures():
    g5, g3 = unrolled_graph(5), unrolled_graph(3)
    assert g3.match(g5.node("h_5")).name == "h_3"
    assert g3.match(g5.node("x_2")).name == "x_2"
    gb = unrolled_graph(3, num_layers=2, bidirectional=True)
    assert gb.match(g5.node("h_2")).name == "h^1f_2"
    assert g3.match(gb.node("h^2b_3")).name == "h_3"
    assert g3.match(None) is None


def test_bad_input_names_the_argument():
    with pytest.raises(ValueError, match="T"):
        unrolled_graph(0)
    with pytest.raises(ValueError, match="no node 'h_9'"):
        unrolled_graph(4).depends_on("h_9")
    with pytest.raises(TypeError, match="bidirectional"):
        unrolled_graph(3, bidirectional="yes")
    with pytest.raises(ValueError, match="hidden_size"):
        parameter_terms(0, 5)
    with pytest.raises(TypeError, match="net"):
        parameter_count("net")

