"""Lesson 3's exercises: the parameter count of an unrolled network, and what an output of a bidirectional one reads."""

from __future__ import annotations

from ..core.graph import Graph, parameter_terms, unrolled_graph
from . import Exercise, NotYet, Number, TimeSet, Unanswered, as_number, as_time_set

__all__ = ["EXERCISES", "bidirectional_inputs", "judge_inputs", "parameter_count"]

# =========================================================================== 1. the parameter count
P, D, T = 16, 27, 10


def _sizes() -> dict[str, int]:
    """The size of each array of Network(D, P, D): W_xh, W_hh, b_h, W_hy, b_y."""
    return {t.key.rsplit(".", 1)[1]: t.count for t in parameter_terms(P, D)}


def _judge_count(answer: object) -> str:
    n = as_number(answer, "my_count", integer=True)
    s = _sizes()
    total = sum(s.values())
    if n == total:
        return (f"p·d + p·p + p + d·p + d = {P * D} + {P * P} + {P} + {D * P} + {D} = {total}, whatever T is: "
                f"unrolling over T = {T} copies the edges, and every copy uses the same W<sub>xh</sub>, "
                "W<sub>hh</sub>, W<sub>hy</sub>.")
    mistakes = {
        T * total: ("you counted one set of parameters per time-stamp. The unrolled network has T layers, but they "
                    "all share the same matrices: T does not multiply the count.", "T"),
        T * (total - s["b_h"] - s["b_y"]): ("you counted one set of weights per time-stamp, and no biases. The T "
                                           "layers share their matrices; and the question counts biases too.", "T"),
        total + (T - 2) * s["W_hh"]: ("W<sub>hh</sub> is drawn on T − 1 edges, but every one of them is the same "
                                      "p×p matrix: count it once.", "W_hh"),
        total + (T - 1) * s["W_hh"]: ("W<sub>hh</sub> is used at every time-stamp, but it is one p×p matrix: count "
                                      "it once.", "W_hh"),
        total + (T - 1) * (s["W_xh"] + s["W_hy"]): ("W<sub>xh</sub> and W<sub>hy</sub> are used at every "
                                                    "time-stamp, but each is one matrix: count each once.",
                                                    "W_xh, W_hy"),
        total - s["b_h"] - s["b_y"]: ("the weights are right; the question asks for the biases b<sub>h</sub> and "
                                      "b<sub>y</sub> too (rnnviz's Network has both).", "bias"),
        total - s["b_h"]: ("check the hidden bias b<sub>h</sub>: one number per hidden unit.", "b_h"),
        total - s["b_y"]: ("check the output bias b<sub>y</sub>: one number per output score.", "b_y"),
        total - s["W_hh"]: ("the recurrent matrix W<sub>hh</sub> is missing: it maps h<sub>t−1</sub> (p numbers) "
                            "to p numbers.", "W_hh"),
        total - s["W_hh"] + P: ("W<sub>hh</sub> is a p×p matrix, not a vector of p numbers.", "W_hh"),
        total - s["W_xh"]: ("one of the two p×d-sized matrices is missing: W<sub>xh</sub> (p×d) reads x<sub>t</sub>, "
                            "W<sub>hy</sub> (d×p) writes y<sub>t</sub>; the network has both.", "W_xh, W_hy"),
    }
    if n in mistakes:
        text, wrong = mistakes[n]
        raise NotYet(text, wrong)
    way = "fewer" if n > total else "more"
    raise NotYet(f"{n:g} is not the count: the network has {way} parameters than that. List the arrays one "
                 "time-stamp uses, with their shapes; does unrolling add any?", "count")


parameter_count = Exercise(
    "03.parameter-count", "Parameters of an unrolled network",
    f"A one-layer network with p = {P} hidden units reads a vocabulary of d = {D} characters (x<sub>t</sub> one-hot, "
    f"y<sub>t</sub> one score per character), like <code>Network({D}, {P}, {D})</code>. How many parameters, "
    f"weights and biases, does it have when it is unrolled over T = {T} time-stamps?",
    Number(integer=True, placeholder="a whole number", unit="parameters"), _judge_count,
    code="my_count = ...   # your answer: a whole number\nex3.parameter_count.check(my_count)",
    hint="Count the arrays of one time-stamp: W<sub>xh</sub> (p×d), W<sub>hh</sub> (p×p), b<sub>h</sub> (p), "
         "W<sub>hy</sub> (d×p), b<sub>y</sub> (d). Then ask what unrolling over T copies: the edges, or the "
         "matrices on them?",
    solution=f"p·d + p·p + p + d·p + d = {P * D} + {P * P} + {P} + {D * P} + {D} = "
             f"<b>{sum(_sizes().values())}</b>. T does not appear: the {T} layers of the unrolled network share "
             f"the same matrices (without sharing, {T} copies would need {T * sum(_sizes().values())}).",
    reference=sum(_sizes().values()),
)


# =========================================================================== 2. what y_2 of a bidirectional network reads
BI_T, TARGET = 5, "y_2"


def judge_inputs(answer: object, graph: Graph, name: str, what: str = "my_inputs") -> str:
    """Judge a set of time-stamps t, the inputs x_t that node ``name`` of ``graph`` depends on.

    A "not yet" names the node through which the missing inputs reach ``name`` (``h^b_2``: they come through the
    backward state) or says that an input given has no path to it, without listing the right time-stamps.
    """
    given = as_time_set(answer, range(1, graph.T + 1), what)
    if not given:
        raise Unanswered("pick the inputs, then check")
    target = graph.node(name)
    truth = {n.t for n in graph.depends_on(name).nodes_of("x")}
    if given == truth:
        via = " and ".join(dict.fromkeys(graph.index[e.src].label for e in graph.edges if e.dst == name))
        return (f"{target.label} depends on x<sub>t</sub> for t in {{{', '.join(map(str, sorted(truth)))}}}: "
                f"a path of edges leads from each of them to it, through {via}.")
    missing, extra = truth - given, given - truth
    if extra:
        ts = ", ".join(f"x<sub>{t}</sub>" for t in sorted(extra))
        raise NotYet(f"no path of edges leads from {ts} to {target.label}: follow the arrows from "
                     f"{'it' if len(extra) == 1 else 'them'} and see where they go.", "extra")
    # through which of the target's predecessors does each missing input reach it?
    preds = [(e, graph.index[e.src]) for e in graph.edges if e.dst == name]
    carriers = {t: [(e, src) for e, src in preds
                    if t in ({src.t} if src.kind == "x" else {n.t for n in graph.depends_on(src.name).nodes_of("x")})]
                for t in sorted(missing)}
    single = [t for t in carriers if len(carriers[t]) == 1]
    if not single:  # every missing input comes through several of them: the one they all read
        names = " and ".join(src.label for _, src in carriers[min(carriers)])
        raise NotYet(f"an input is missing that reaches {target.label} through each of {names}: which input do "
                     "they all read?", "W_xh")
    e, src = carriers[single[0]][0]
    if src.kind == "x":
        raise NotYet(f"an input is missing that reaches {target.label} along one edge, {e.html}.", e.label)
    recurrent = [x for x in graph.edges if x.dst == src.name and x.role == "W_hh"]
    along = ""
    if recurrent:
        way = "from later time-stamps to earlier ones" if src.direction == "bwd" else "forward in time"
        along = f", along the {recurrent[0].html} edges, which run {way}"
    wrong = e.label if e.role == "W_hh" else src.name.rsplit("_", 1)[0]
    raise NotYet(f"some inputs are missing that reach {target.label} through {src.label}: follow the paths into "
                 f"{src.label}{along}.", wrong)


def _judge_bidirectional(answer: object) -> str:
    return judge_inputs(answer, unrolled_graph(BI_T, bidirectional=True), TARGET)


bidirectional_inputs = Exercise(
    "03.bidirectional-inputs", "What an output of a bidirectional network reads",
    f"A bidirectional network (one forward and one backward layer, 7.2.4) is unrolled over T = {BI_T} time-stamps. "
    "Which inputs x<sub>t</sub> does the output y<sub>2</sub> depend on? Pick all of them.",
    TimeSet(tuple(f"x<sub>{t}</sub>" for t in range(1, BI_T + 1)), tuple(range(1, BI_T + 1))),
    _judge_bidirectional,
    code="my_inputs = ...   # the time-stamps t of those x_t, e.g. {1, 2}\n"
         "ex3.bidirectional_inputs.check(my_inputs)",
    hint="y<sub>2</sub> reads two states, h<sup>f</sup><sub>2</sub> and h<sup>b</sup><sub>2</sub>. Which inputs has "
         "the forward layer read by t = 2, and which has the backward layer, which starts at t = T?",
    solution=f"All of them: x<sub>1</sub> … x<sub>{BI_T}</sub>. h<sup>f</sup><sub>2</sub> has read x<sub>1</sub>, "
             f"x<sub>2</sub>; h<sup>b</sup><sub>2</sub> has read x<sub>{BI_T}</sub> down to x<sub>2</sub>. In the app, "
             "pick <b>bidirectional</b> and select y<sub>2</sub>.",
    reference=frozenset(range(1, BI_T + 1)),
)

EXERCISES = (parameter_count, bidirectional_inputs)
