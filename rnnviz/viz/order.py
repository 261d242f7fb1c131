"""Views of lesson 1: what a bag of words and an RNN see in a sentence, and how each learns word order.

Drawn as SVG/HTML with :mod:`rnnviz.viz.svg`. Pure functions from the results of
:mod:`rnnviz.lessonmath.order` to the markup of a view; an app puts it in an ``ipywidgets.HTML``'s ``value``.

* :func:`compare_html` — two sentences: the bag-of-words counts of both (panel 1), the RNN's final
  states h_T (panel 2), and the RNN unrolled over A and over B (panels 3 and 4: h_t after each word,
  one column per word, the same column width for both, so the longer sentence has more columns).
  Groups and charts (:func:`rnnviz.viz.svg.marks`, :func:`~rnnviz.viz.svg.matrix`): ``counts_a``,
  ``counts_b`` (one bar per shown word), ``h_T_a``, ``h_T_b`` (one bar per unit), heatmaps
  ``states_a`` (H, T_A) and ``states_b`` (H, T_B).
* :func:`slots_html` — what a fixed-input network does with each sentence
  (:func:`rnnviz.lessonmath.order.slot_layout`); it moves with the "input slots" slider, so it is a view of
  its own (a move redraws nothing else).
* :func:`training_html` — held-out accuracy of both models during training (groups ``acc_bow``,
  ``acc_rnn``: one point per evaluation, ``data-x`` = the step; ``chance``).
* :func:`probe_html` — the probe: both models' class probabilities of the current sentence (groups
  ``probs_bow``, ``probs_rnn``) and P(class 1) after each shuffle so far (``history_bow``, ``history_rnn``,
  ``data-x`` = the shuffle).

Every data mark carries its value (``data-v``) and a hover text; every word a student typed is escaped.
"""

from __future__ import annotations

import html
import math
from collections.abc import Sequence

import numpy as np

from ..lessonmath.order import SLOT_DROPPED, SLOT_EMPTY, SLOT_FILLED, slot_layout
from .svg import (
    BLUE, DASH, DOT, GREEN, GREY, GRID, MUTED, ORANGE, PANEL_CSS, PURPLE, SKY, TEXT, VERMILLION, VIEW_CLASS, Chart,
    colourbar, esc, heatmap, label_room, legend, narrow, nice_ticks, panel, shade, tint, view,
)

__all__ = [
    "SLOTS_VIEW_CLASS",
    "compare_html",
    "probe_html",
    "slot_layout",
    "slots_html",
    "training_html",
]

A_COLOR, B_COLOR = PURPLE, GREEN  # sentence A, sentence B
BOW_COLOR, RNN_COLOR = ORANGE, BLUE  # the bag of words (dashed lines, diamonds), the RNN (solid lines, circles)
#: colours of the fixed-input slots: empty (missing input), filled, a word with no slot (lost)
SLOT_COLOR = {SLOT_EMPTY: GRID, SLOT_FILLED: tint(SKY, 0.55), SLOT_DROPPED: tint(VERMILLION, 0.6)}
_SLOT_NAMES = {SLOT_EMPTY: "empty", SLOT_FILLED: "filled", SLOT_DROPPED: "lost"}  # CSS classes rnnviz-slot-*
PLOT_HEIGHT = 260  # px, the bar and line charts


# =========================================================================== two sentences
def _count_chart(shown: Sequence[str], counts_a: np.ndarray, counts_b: np.ndarray) -> str:
    n = len(shown)
    step = float(np.clip(360 / max(n, 1), 22, 48))
    angle, room = label_room(shown, step)
    top = max(2.0, float(max(counts_a.max(initial=0), counts_b.max(initial=0))))
    c = Chart(int(58 + step * n + 12), PLOT_HEIGHT - 18 + room, (-0.5, n - 0.5), (0, top * 1.12), left=50, right=12,
              bottom=room + 18)
    every = max(1, math.ceil(top / 6))
    c.y_grid(list(range(0, int(top) + 1, every)))
    for name, who, colour, counts, dx in (("counts_a", "A", A_COLOR, counts_a, -0.2),
                                           ("counts_b", "B", B_COLOR, counts_b, 0.2)):
        c.group(name)
        for i, (w, v) in enumerate(zip(shown, counts)):
            c.bar(i + dx, 0, v, colour, f"sentence {who}: '{w}' occurs {v:g} time{'s' if v != 1 else ''}", v,
                  width=0.38)
        c.end()
    c.x_labels(shown, angle=angle, cls="rnnviz-word", fit=False)
    c.x_title("word").y_title("count c<sub>v</sub>")
    return c.svg("counts")


def _state_chart(h_a: np.ndarray, h_b: np.ndarray) -> str:
    H = len(h_a)
    step = float(np.clip(240 / max(H, 1), 16, 34))
    c = Chart(int(58 + step * H + 12), PLOT_HEIGHT, (-0.5, H - 0.5), (-1.05, 1.05), left=50, right=12, bottom=36)
    c.y_grid([-1, -0.5, 0, 0.5, 1])
    for name, who, colour, h, dx in (("h_T_a", "A", A_COLOR, h_a, -0.2), ("h_T_b", "B", B_COLOR, h_b, 0.2)):
        c.group(name)
        for u, v in enumerate(h):
            c.bar(u + dx, 0, v, colour, f"sentence {who}: h_T, unit {u + 1} = {v:.3f}", v, width=0.38)
        c.end()
    c.x_labels([str(u + 1) for u in range(H)], every=1 if step >= 18 else 2)
    c.x_title("hidden unit").y_title("h<sub>T</sub>")
    return c.svg("h_T")


def _unrolled_map(states: np.ndarray, words: Sequence[str], who: str, *, name: str, cell: tuple[int, int],
                  columns: int) -> str:
    """h_t after each word as coloured cells (units top to bottom, words left to right), on +-1 (tanh's range).

    The chart is ``columns`` cells wide whatever the sentence's length, so two maps share one time axis;
    the last column, h_T, is outlined. ``data-rows``/``data-cols`` let :func:`rnnviz.viz.svg.matrix` read it back.
    """
    z = np.asarray(states, dtype=float).T  # (H, T)
    H, T = z.shape
    return heatmap(z, [str(i + 1) for i in range(H)], list(words), 1.0, name=name, cell=cell, left=46, right=10,
                   frame_cols=columns, col_angle="auto", col_class="rnnviz-word", row_size=13,
                   outline_col=T - 1, outline_label="h<sub>T</sub>", y_title="unit",
                   x_title="time-stamp t: the word read",
                   tip=lambda i, j, v: f"sentence {who}, after '{words[j]}' (t = {j + 1}): unit {i + 1} = {v:.3f}")


def compare_html(words_a: Sequence[str], words_b: Sequence[str], shown_words: Sequence[str], counts_a, counts_b,
                 states_a, states_b) -> str:
    """Bag-of-words counts and RNN final states of two sentences (first row); below, the RNN unrolled over A and over
    B (one column per word, the same column width for both, so the longer sentence just has more columns).

    shown_words: the words on the bag-of-words axis; counts_a/b: their counts (len(shown_words),);
    states_a (T_A, H), states_b (T_B, H): the RNN's h_t after each word (the last row is h_T).
    The fixed-input network's slots are :func:`slots_html`, a view of its own (it moves with a slider).
    """
    counts_a, counts_b = np.asarray(counts_a, float), np.asarray(counts_b, float)
    states_a, states_b = np.asarray(states_a, float), np.asarray(states_b, float)
    if len(shown_words) != len(counts_a) or len(counts_a) != len(counts_b):
        raise ValueError(f"compare_html: {len(shown_words)} words, {len(counts_a)} and {len(counts_b)} counts")
    if states_a.shape[0] != len(words_a) or states_b.shape[0] != len(words_b):
        raise ValueError(f"compare_html: states {states_a.shape}, {states_b.shape} for {len(words_a)} and "
                         f"{len(words_b)} words")
    same = bool(np.array_equal(counts_a, counts_b))
    distance = float(np.linalg.norm(states_a[-1] - states_b[-1]))
    keys = legend([("sentence A", A_COLOR, "bar"), ("sentence B", B_COLOR, "bar")])
    counts_svg, state_svg = _count_chart(shown_words, counts_a, counts_b), _state_chart(states_a[-1], states_b[-1])
    bag = panel("1. bag of words: count of each word<br/>"
                + ("the count vectors are <b>identical</b>" if same else "the count vectors differ"),
                counts_svg, note=keys)
    final = panel("2. RNN: final hidden state h<sub>T</sub><br/>"
                  f"‖h<sub>T</sub>(A) − h<sub>T</sub>(B)‖ = {distance:.2f}", state_svg, note=keys)
    T_max = max(len(words_a), len(words_b))
    cell = (int(np.clip(300 // max(T_max, 1), 16, 36)), 18)
    maps = []
    for k, (who, words, states) in enumerate((("A", words_a, states_a), ("B", words_b, states_b))):
        svgs = [_unrolled_map(states, words, who, name=f"states_{who.lower()}", cell=cell, columns=T_max)]
        if who == ("A" if len(words_a) > len(words_b) else "B"):  # beside the map that fills its width
            svgs.append(colourbar(1.0, title="h<sub>t</sub>", height=cell[1] * states.shape[1]))
        n = len(words)
        maps.append(panel(f"{3 + k}. RNN unrolled over {who}: {n} time-stamp{'s' if n != 1 else ''}<br/>"
                          "h<sub>t</sub> after each word (red +, blue −)", *svgs))
    row = '<div class="rnnviz-panels" style="flex-basis:100%">{}</div>'
    return view(row.format(bag + final), row.format("".join(maps)), name="compare")


_END = VERMILLION  # the end of the input layer
#: CSS class of the ``ipywidgets.HTML`` that shows :func:`slots_html`: its content then keeps the widget's width
#: (an HTML widget's content is as wide as its text by default) and a long row scrolls inside its own box
SLOTS_VIEW_CLASS = "rnnviz-slots-view"
#: the slots view's style: one rule per kind of box (the classes rnnviz-slot-filled/-empty/-lost)
_SLOTS_CSS = (
    "<style>"
    f".{SLOTS_VIEW_CLASS} > .widget-html-content{{flex:1 1 auto; min-width:0}}"
    f".rnnviz-slots{{font-size:15px; line-height:1.4; border:1px solid {GRID}; border-radius:6px; padding:6px 10px;"
    " margin:6px 0}"
    ".rnnviz-slots-title{font-size:16px}"
    ".rnnviz-slots .rnnviz-legend{font-size:14px; margin:2px 0 4px 0}"
    ".rnnviz-slots-scroll{overflow-x:auto; max-width:100%}"
    ".rnnviz-slots table{border-collapse:separate; border-spacing:4px; font-size:15px}"
    f".rnnviz-slots th{{font-weight:normal; color:{MUTED}; white-space:nowrap}}"
    ".rnnviz-slots th.rnnviz-nos{color:" + _END + "}"
    ".rnnviz-slots th.rnnviz-row{text-align:left; padding-right:10px}"
    ".rnnviz-slot span{display:block; padding:5px 9px; border-radius:5px; text-align:center; white-space:nowrap;"
    " min-width:2.6em}"
    f".rnnviz-slot-filled span{{background:{SLOT_COLOR[SLOT_FILLED]}; color:{TEXT}}}"
    f".rnnviz-slot-empty span{{background:{SLOT_COLOR[SLOT_EMPTY]}; color:{MUTED}; font-style:italic}}"
    f".rnnviz-slot-lost span{{background:{SLOT_COLOR[SLOT_DROPPED]}; color:{shade(VERMILLION, 0.55)}; "
    "text-decoration:line-through}"
    f".rnnviz-slot-end{{border-left:3px dashed {_END}; padding:0; width:0}}"
    "</style>"
)


def _slot_cell(name: str, j: int, words: Sequence[str], state: float) -> str:
    """One position of one sentence: a word in a slot, an empty slot, a word with no slot, or nothing."""
    if state == SLOT_FILLED:
        word = html.escape(words[j])
        title, text = f"{name}, slot {j + 1}: '{word}' is fed in", word
    elif state == SLOT_EMPTY:
        title, text = f"{name}, slot {j + 1}: no word, a missing input", "empty"
    elif state == SLOT_DROPPED:
        word = html.escape(words[j])
        title, text = f"{name}, word {j + 1} '{word}': no input slot, lost", word
    else:
        return "<td></td>"
    return (f'<td class="rnnviz-slot rnnviz-slot-{_SLOT_NAMES[int(state)]}" data-v="{int(state)}" title="{title}">'
            f"<span>{text}</span></td>")


def slots_html(words_a: Sequence[str], words_b: Sequence[str], slots: int) -> str:
    """What a fixed-input network with ``slots`` word inputs does with sentences A and B, as HTML.

    One row per sentence, one box per position (see :func:`slot_layout`): a word in a slot (blue),
    an empty slot (grey: a missing input), a word with no slot (red: lost); a red dashed line where
    the input layer ends. Every word is escaped (students type them). Wide rows scroll inside the box
    when the widget showing it has the class :data:`SLOTS_VIEW_CLASS`.

    Like the other views rnnviz draws itself, the view has the class ``rnnviz-view`` and every box
    carries its state in ``data-v`` (SLOT_EMPTY 0, SLOT_FILLED 1, SLOT_DROPPED 2): the browser tests
    and ``benchmarks/bench_app.py`` treat it as a figure (drawn with data, changed by the slider).
    """
    slots = int(slots)
    grid = slot_layout([len(words_a), len(words_b)], slots)
    P = grid.shape[1]
    end = (f'<td rowspan="3" class="rnnviz-slot-end" title="end of the input layer: the network has {slots} '
           'inputs; words past this line cannot be fed in"></td>')
    head = ["<th></th>"]
    for j in range(P):
        if j == slots:
            head.append(end)
        head.append(f"<th>slot {j + 1}</th>" if j < slots else '<th class="rnnviz-nos">no slot</th>')
    if P == slots:
        head.append(end)
    rows = ["<tr>" + "".join(head) + "</tr>"]
    for i, (name, words, color) in enumerate((("A", words_a, A_COLOR), ("B", words_b, B_COLOR))):
        n = len(words)
        status = f"{n - slots} lost" if n > slots else f"{slots - n} empty" if n < slots else "fits"
        label = (f'<th class="rnnviz-row"><b style="color:{color}">{name}</b> '
                 f'{n} word{"s" if n != 1 else ""}: {status}</th>')
        rows.append("<tr>" + label + "".join(_slot_cell(name, j, words, grid[i, j]) for j in range(P)) + "</tr>")
    keys = legend([("word in a slot", SLOT_COLOR[SLOT_FILLED], "box"), ("empty slot: a missing input",
                                                                         SLOT_COLOR[SLOT_EMPTY], "box"),
                   ("word with no slot: lost", SLOT_COLOR[SLOT_DROPPED], "box"), ("end of the input layer", _END, "vdash")])
    return (_SLOTS_CSS + f'<div class="rnnviz-slots {VIEW_CLASS}" data-name="slots">{PANEL_CSS}'
            f'<div class="rnnviz-slots-title"><b>A conventional network with {slots} input slots</b>: one word per '
            "slot, a fixed number of inputs whatever the sentence's length</div>"
            f"{keys}"
            '<div class="rnnviz-slots-scroll"><table>' + "".join(rows) + "</table></div></div>")


# =========================================================================== training and probing
def _percent_axis(c: Chart) -> None:
    ticks = [0, 0.25, 0.5, 0.75, 1.0]
    c.y_grid(ticks, labels=[f"{t:.0%}" for t in ticks])


def training_html(steps: Sequence[float], acc_bow: Sequence[float], acc_rnn: Sequence[float], *,
                  total: int | None = None, running: bool = False) -> str:
    """Held-out accuracy of both models at the training steps ``steps`` (one point per evaluation).

    ``total``: the length of the run (the x axis; default the last step), so a run draws from left to right;
    ``running``: drawn during training (the title says how far it is). Before any run: the points at step 0.
    """
    xs = np.asarray(steps, dtype=float)
    bow, rnn = np.asarray(acc_bow, dtype=float), np.asarray(acc_rnn, dtype=float)
    if not (len(xs) == len(bow) == len(rnn)):
        raise ValueError(f"training_html: {len(xs)} steps, {len(bow)} and {len(rnn)} accuracies")
    right = float(max(total or 0, xs.max(initial=0), 1))
    c = Chart(400, PLOT_HEIGHT + 20, (-0.03 * right, 1.03 * right), (0, 1.05), left=56, right=14, bottom=40)
    _percent_axis(c)
    c.x_grid([t for t in nice_ticks(0, right, 6) if t <= right])
    c.hline(0.5, colour=GREY, dash=DOT, name="chance",
            tip="chance: 50% (each held-out pair has one sentence of each class)")
    c.series("acc_bow", xs, bow, BOW_COLOR, [f"bag of words, step {int(s)}: held-out accuracy {a:.1%}"
                                             for s, a in zip(xs, bow)], shape="diamond", r=5.5, dash=DASH,
             what="bag of words")
    c.series("acc_rnn", xs, rnn, RNN_COLOR, [f"RNN, step {int(s)}: held-out accuracy {a:.1%}" for s, a in zip(xs, rnn)],
             r=3.5, what="RNN")
    c.x_title("training step").y_title("held-out accuracy")
    done = int(xs.max(initial=0))
    state = (f"training … step {done} of {int(right)}" if running else
             "untrained: the points at step 0" if done == 0 else f"after {done} steps")
    keys = legend([("bag of words", BOW_COLOR, "dash"), ("RNN", RNN_COLOR, "line"), ("chance (50%)", GREY, "dot")])
    return view(panel(f"1. held-out accuracy during training<br/>{state}", c.svg("accuracy"),
                      note=narrow(keys, c.width)), name="training")


def probe_html(class_names: Sequence[str], p_bow, p_rnn, history_texts: Sequence[str], history_bow,
               history_rnn) -> str:
    """The probe: both models' class probabilities (K,) of the current sentence, and P(class 1) of every sentence
    probed since the last new one (``history_texts``: the sentences, shuffles of one another; 0 = the first)."""
    p_bow, p_rnn = np.asarray(p_bow, dtype=float), np.asarray(p_rnn, dtype=float)
    hb, hr = np.asarray(history_bow, dtype=float), np.asarray(history_rnn, dtype=float)
    K = len(class_names)
    if p_bow.shape != (K,) or p_rnn.shape != (K,):
        raise ValueError(f"probe_html: {K} classes, probabilities of shapes {p_bow.shape} and {p_rnn.shape}")
    if not (len(history_texts) == len(hb) == len(hr)):
        raise ValueError(f"probe_html: {len(history_texts)} sentences, {len(hb)} and {len(hr)} probabilities")
    # class probabilities
    c = Chart(68 + 96 * K, PLOT_HEIGHT + 20, (-0.5, K - 0.5), (0, 1.15), left=58, right=12, bottom=56)
    c.y_grid([0, 0.25, 0.5, 0.75, 1.0])
    for name, who, colour, p, dx in (("probs_bow", "bag of words", BOW_COLOR, p_bow, -0.19),
                                     ("probs_rnn", "RNN", RNN_COLOR, p_rnn, 0.19)):
        c.group(name)
        for k, v in enumerate(p):
            c.bar(k + dx, 0, v, colour, f"{who}: P({class_names[k]}) = {v:.3f}", v, width=0.36)
        c.end()
        for k, v in enumerate(p):
            c.text(k + dx, v, f"{v:.2f}", colour=colour, dy=-5)
    c.x_labels(list(class_names), lines=2, fit=False)
    c.y_title("probability")
    keys = legend([("bag of words", BOW_COLOR, "bar"), ("RNN", RNN_COLOR, "bar")])
    probs = panel("2. probe: each model's class probabilities<br/>of the sentence in the box", c.svg("probs"),
                  note=narrow(keys, c.width))
    # P(class 1) after each shuffle
    n = len(history_texts)
    c = Chart(376, PLOT_HEIGHT + 20, (-0.4, max(n - 1, 1) + 0.4), (-0.04, 1.04), left=58, right=14, bottom=40)
    c.y_grid([0, 0.25, 0.5, 0.75, 1.0])
    every = max(1, math.ceil(n / 12))
    c.x_grid(list(range(0, max(n, 2), every)))
    xs = np.arange(n, dtype=float)
    for name, who, colour, values, shape, r, dash in (("history_bow", "bag of words", BOW_COLOR, hb, "diamond", 6.0, DASH),
                                                      ("history_rnn", "RNN", RNN_COLOR, hr, "circle", 4.0, None)):
        c.series(name, xs, values, colour, [f"{who}, shuffle {k}: “{t}”: P({class_names[1]}) = {v:.3f}"
                                            for k, (t, v) in enumerate(zip(history_texts, values))],
                 shape=shape, r=r, dash=dash, what=who)
    c.x_title("shuffle (0 = the sentence as first probed)").y_title(f"P({esc(class_names[1])})")
    keys = legend([("bag of words", BOW_COLOR, "dash"), ("RNN", RNN_COLOR, "line")])
    history = panel(f"3. probe: P({esc(class_names[1])})<br/>after each shuffle", c.svg("history"),
                    note=narrow(keys, c.width))
    return view(probs, history, name="probe")
