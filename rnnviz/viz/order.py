"""Views of lesson 1: what a bag of words and an RNN see in a sentence, and how each learns word order.

Pure functions: ``*_figure()`` builds an empty ``go.FigureWidget`` with named traces
(one FigureWidget per app, panels via ``make_subplots``); ``update_*`` fills it from
arrays computed by the core, inside one ``batch_update``. :func:`slots_html` draws what a
fixed-input network does with each sentence as HTML: it moves with the "input slots" slider,
and an HTML widget redraws in a few ms where plotly replots the whole figure (see
:mod:`rnnviz.viz.live`, "Redraw cost"), so the slider never touches the figure.

Trace order of :func:`compare_figure` (see ``COMPARE_TRACES``), 2 x 2 panels:
0 counts of A, 1 counts of B (bars over words, top left), 2 h_T of A, 3 h_T of B (bars over
units, top right), 4 h_t of A (bottom left) and 5 h_t of B (bottom right) over time
(heatmaps, units x words).

Trace order of :func:`training_figure` (see ``TRAINING_TRACES``):
0 bag-of-words accuracy, 1 RNN accuracy, 2 chance, 3 bag-of-words probabilities,
4 RNN probabilities (bars over the classes), 5 bag-of-words and 6 RNN probability of
class 1 after each shuffle.
"""

from __future__ import annotations

import html
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .live import LiveFigure

__all__ = [
    "COMPARE_TRACES",
    "SLOTS_VIEW_CLASS",
    "TRAINING_TRACES",
    "compare_figure",
    "slot_layout",
    "slots_html",
    "training_figure",
    "update_compare_figure",
    "update_probe",
    "update_training_curves",
]

A_COLOR, B_COLOR = "#7c3aed", "#0d9488"  # sentence A, sentence B
BOW_COLOR, RNN_COLOR, GREY = "#ea580c", "#2563eb", "#6b7280"
SLOT_EMPTY, SLOT_FILLED, SLOT_DROPPED = 0, 1, 2
#: colours of the fixed-input slots: empty (missing input), filled, a word with no slot (lost)
SLOT_COLOR = {SLOT_EMPTY: "#e5e7eb", SLOT_FILLED: "#bfdbfe", SLOT_DROPPED: "#fca5a5"}
_SLOT_NAMES = {SLOT_EMPTY: "empty", SLOT_FILLED: "filled", SLOT_DROPPED: "lost"}  # CSS classes rnnviz-slot-*

COMPARE_TRACES = ("counts A", "counts B", "h_T A", "h_T B", "h_t A", "h_t B")
TRAINING_TRACES = ("accuracy bow", "accuracy rnn", "chance", "probs bow", "probs rnn", "history bow", "history rnn")


# =========================================================================== two sentences
def compare_figure(hidden_size: int) -> go.FigureWidget:
    """Bag-of-words counts and RNN final states of two sentences (top); below, the RNN unrolled over A and over B
    (one column per word, on the same time axis, so the longer sentence has more columns).

    The fixed-input network's slots are not in this figure: they move with a slider, so they are HTML
    (:func:`slots_html`), which the browser redraws in a few ms instead of replotting the whole figure.
    """
    fig = make_subplots(
        rows=2, cols=2, row_heights=[0.5, 0.5], horizontal_spacing=0.1, vertical_spacing=0.2,
        subplot_titles=("bag of words: count of each word", "RNN: final hidden state h_T",
                        "RNN unrolled over A", "RNN unrolled over B"),
    )
    fig.add_bar(name="sentence A", marker_color=A_COLOR, legendgroup="A", row=1, col=1)
    fig.add_bar(name="sentence B", marker_color=B_COLOR, legendgroup="B", row=1, col=1)
    fig.add_bar(name="sentence A", marker_color=A_COLOR, legendgroup="A", showlegend=False, row=1, col=2)
    fig.add_bar(name="sentence B", marker_color=B_COLOR, legendgroup="B", showlegend=False, row=1, col=2)
    for col, name in ((1, "A"), (2, "B")):
        fig.add_heatmap(name=f"h_t of {name}", colorscale="RdBu", reversescale=True, zmin=-1, zmax=1, xgap=1, ygap=1,
                        showscale=col == 2,
                        colorbar=dict(len=0.4, y=0.2, thickness=12,
                                      tickvals=[-1, -0.5, 0, 0.5, 1]),
                        hovertemplate="after '%{customdata}'<br>unit %{y}: %{z:.3f}<extra></extra>",
                        row=2, col=col)
    fig.update_yaxes(title_text="count", dtick=1, rangemode="tozero", row=1, col=1)
    fig.update_xaxes(title_text="hidden unit", dtick=1, row=1, col=2)
    fig.update_yaxes(range=[-1.05, 1.05], row=1, col=2)
    for col in (1, 2):
        fig.update_xaxes(title_text="time-stamp t (word)", row=2, col=col)
        fig.update_yaxes(title_text="unit", autorange="reversed", row=2, col=col)
    fig.update_layout(height=640, margin=dict(l=60, r=30, t=60, b=50), template="plotly_white", barmode="group",
                      legend=dict(orientation="h", x=0.0, y=1.1))
    return LiveFigure(fig)


def slot_layout(lengths: Sequence[int], slots: int) -> np.ndarray:
    """What a fixed-input network with ``slots`` word inputs does with sentences of these lengths.

    Returns (S, P) with P = max(slots, longest): SLOT_FILLED where a word sits in a slot,
    SLOT_EMPTY where a slot has no word (a missing input), SLOT_DROPPED where a word
    has no slot (it cannot be fed in), NaN where there is neither.
    """
    P = max(int(slots), *map(int, lengths))
    pos = np.arange(P)
    out = np.full((len(lengths), P), np.nan)
    for i, n in enumerate(lengths):
        out[i, (pos < slots) & (pos < n)] = SLOT_FILLED
        out[i, (pos < slots) & (pos >= n)] = SLOT_EMPTY
        out[i, (pos >= slots) & (pos < n)] = SLOT_DROPPED
    return out


_END = "#dc2626"  # the end of the input layer
VIEW_CLASS = "rnnviz-view"  # a view rnnviz draws itself (browser tests and bench_app look for it)
#: CSS class of the ``ipywidgets.HTML`` that shows :func:`slots_html`: its content then keeps the widget's width
#: (an HTML widget's content is as wide as its text by default) and a long row scrolls inside its own box
SLOTS_VIEW_CLASS = "rnnviz-slots-view"
#: the slots view's style: one rule per kind of box (the classes rnnviz-slot-filled/-empty/-lost)
_SLOTS_CSS = (
    "<style>"
    f".{SLOTS_VIEW_CLASS} > .widget-html-content{{flex:1 1 auto; min-width:0}}"
    ".rnnviz-slots{font-size:15px; line-height:1.4; border:1px solid #e5e7eb; border-radius:6px; padding:6px 10px;"
    " margin:6px 0}"
    ".rnnviz-slots-title{font-size:16px}"
    ".rnnviz-slots-legend{font-size:14px; margin:2px 0 4px 0}"
    ".rnnviz-slots-legend i{display:inline-block; width:1.1em; height:1.1em; vertical-align:-0.2em; border-radius:3px;"
    " margin:0 4px 0 14px}"
    ".rnnviz-slots-legend i:first-child{margin-left:0}"
    ".rnnviz-slots-scroll{overflow-x:auto; max-width:100%}"
    ".rnnviz-slots table{border-collapse:separate; border-spacing:4px; font-size:15px}"
    ".rnnviz-slots th{font-weight:normal; color:#374151; white-space:nowrap}"
    ".rnnviz-slots th.rnnviz-nos{color:" + _END + "}"
    ".rnnviz-slots th.rnnviz-row{text-align:left; padding-right:10px}"
    ".rnnviz-slot span{display:block; padding:5px 9px; border-radius:5px; text-align:center; white-space:nowrap;"
    " min-width:2.6em}"
    f".rnnviz-slot-filled span{{background:{SLOT_COLOR[SLOT_FILLED]}; color:#111827}}"
    f".rnnviz-slot-empty span{{background:{SLOT_COLOR[SLOT_EMPTY]}; color:#4b5563; font-style:italic}}"
    f".rnnviz-slot-lost span{{background:{SLOT_COLOR[SLOT_DROPPED]}; color:#7f1d1d; text-decoration:line-through}}"
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
    legend = (f'<i style="background:{SLOT_COLOR[SLOT_FILLED]}"></i>word in a slot'
              f'<i style="background:{SLOT_COLOR[SLOT_EMPTY]}"></i>empty slot: a missing input'
              f'<i style="background:{SLOT_COLOR[SLOT_DROPPED]}"></i>word with no slot: lost'
              f'<i style="width:0; border-left:3px dashed {_END}; border-radius:0"></i>end of the input layer')
    return (_SLOTS_CSS + f'<div class="rnnviz-slots {VIEW_CLASS}" data-name="slots">'
            f'<div class="rnnviz-slots-title"><b>A conventional network with {slots} input slots</b>: one word per '
            "slot, a fixed number of inputs whatever the sentence's length</div>"
            f'<div class="rnnviz-slots-legend">{legend}</div>'
            '<div class="rnnviz-slots-scroll"><table>' + "".join(rows) + "</table></div></div>")


def update_compare_figure(fig: go.FigureWidget, words_a: Sequence[str], words_b: Sequence[str],
                          shown_words: Sequence[str], counts_a, counts_b, states_a, states_b,
                          titles: Sequence[str] | None = None) -> None:
    """Redraw everything for two sentences.

    shown_words: the words on the bag-of-words axis; counts_a/b: their counts (len(shown_words),);
    states_a (T_A, H), states_b (T_B, H): the RNN's h_t after each word (the last row is h_T).
    titles: optional new texts for the four subplot titles.
    """
    states_a, states_b = np.asarray(states_a, float), np.asarray(states_b, float)
    H = states_a.shape[1]
    units = np.arange(1, H + 1)
    T_max = max(len(words_a), len(words_b))
    with fig.batch_update():
        d = fig.data
        d[0].x, d[0].y = list(shown_words), np.asarray(counts_a, float)
        d[1].x, d[1].y = list(shown_words), np.asarray(counts_b, float)
        d[2].x, d[2].y = units, states_a[-1]
        d[3].x, d[3].y = units, states_b[-1]
        for trace, words, states in ((d[4], words_a, states_a), (d[5], words_b, states_b)):
            T = len(words)
            trace.x, trace.y, trace.z = np.arange(1, T + 1), units, states.T  # (H, T)
            trace.customdata = np.broadcast_to(np.array(words, dtype=object), (H, T)).tolist()
        for axis, words in ((fig.layout.xaxis3, words_a), (fig.layout.xaxis4, words_b)):
            axis.range = [0.5, T_max + 0.5]  # the same time axis: a longer sentence just has more columns
            axis.tickvals = list(range(1, len(words) + 1))
            axis.ticktext = list(words)
        fig.layout.yaxis3.dtick = fig.layout.yaxis4.dtick = max(1, H // 8)
        if titles is not None:
            for annotation, title in zip(fig.layout.annotations, titles):
                annotation.text = title


# =========================================================================== training and probing
def training_figure(class_names: Sequence[str]) -> go.FigureWidget:
    """Held-out accuracy over training for both models, and the probe: probabilities under shuffling."""
    fig = make_subplots(
        rows=2, cols=2, specs=[[{"colspan": 2}, None], [{}, {}]], row_heights=[0.5, 0.5],
        vertical_spacing=0.17, horizontal_spacing=0.12,
        subplot_titles=("held-out accuracy during training", "probe: each model's class probabilities",
                        f"probe: P({class_names[1]}) after each shuffle"),
    )
    fig.add_scatter(name="bag of words", mode="lines+markers", line=dict(color=BOW_COLOR), marker=dict(size=5),
                    legendgroup="bow", row=1, col=1)
    fig.add_scatter(name="RNN", mode="lines+markers", line=dict(color=RNN_COLOR), marker=dict(size=5),
                    legendgroup="rnn", row=1, col=1)
    fig.add_scatter(name="chance (50%)", mode="lines", line=dict(color=GREY, dash="dash"), row=1, col=1)
    fig.add_bar(name="bag of words", marker_color=BOW_COLOR, legendgroup="bow", showlegend=False, x=list(class_names),
                texttemplate="%{y:.2f}", textposition="outside", row=2, col=1)
    fig.add_bar(name="RNN", marker_color=RNN_COLOR, legendgroup="rnn", showlegend=False, x=list(class_names),
                texttemplate="%{y:.2f}", textposition="outside", row=2, col=1)
    for name, color, group in (("bag of words", BOW_COLOR, "bow"), ("RNN", RNN_COLOR, "rnn")):
        fig.add_scatter(name=name, mode="lines+markers", line=dict(color=color), marker=dict(size=8),
                        legendgroup=group, showlegend=False, hovertemplate="%{customdata}<br>P = %{y:.3f}<extra>" + name + "</extra>",
                        row=2, col=2)
    fig.update_xaxes(title_text="training step", row=1, col=1)
    fig.update_yaxes(title_text="accuracy", range=[0, 1.05], tickformat=".0%", row=1, col=1)
    fig.update_yaxes(title_text="probability", range=[0, 1.15], row=2, col=1)
    fig.update_xaxes(title_text="shuffle (0 = as written)", dtick=1, rangemode="tozero", row=2, col=2)
    fig.update_yaxes(title_text="probability", range=[-0.05, 1.05], row=2, col=2)
    fig.update_layout(height=640, margin=dict(l=60, r=30, t=60, b=50), template="plotly_white", barmode="group",
                      legend=dict(orientation="h", x=0.0, y=1.1))
    return LiveFigure(fig)


def update_training_curves(fig: go.FigureWidget, steps, acc_bow, acc_rnn) -> None:
    """Held-out accuracy at the given training steps."""
    steps = np.asarray(steps, float)
    with fig.batch_update():
        fig.data[0].x, fig.data[0].y = steps, np.asarray(acc_bow, float)
        fig.data[1].x, fig.data[1].y = steps, np.asarray(acc_rnn, float)
        right = max(float(steps.max()) if steps.size else 1.0, 1.0)
        fig.data[2].x, fig.data[2].y = [0, right], [0.5, 0.5]
        fig.layout.xaxis.range = [-0.02 * right, 1.02 * right]


def update_probe(fig: go.FigureWidget, p_bow, p_rnn, history_texts: Sequence[str], history_bow, history_rnn) -> None:
    """The probe: class probabilities of the current sentence (K,), and P(class 1) over the shuffles so far."""
    n = len(history_texts)
    with fig.batch_update():
        fig.data[3].y = np.asarray(p_bow, float)
        fig.data[4].y = np.asarray(p_rnn, float)
        for trace, values in ((fig.data[5], history_bow), (fig.data[6], history_rnn)):
            trace.x, trace.y = np.arange(n), np.asarray(values, float)
            trace.customdata = list(history_texts)
        fig.layout.xaxis3.range = [-0.3, max(n - 1, 1) + 0.3]
