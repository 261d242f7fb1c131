"""Plotly views of lesson 1: what a bag of words and an RNN see in a sentence, and how each learns word order.

Pure functions: ``*_figure()`` builds an empty ``go.FigureWidget`` with named traces
(one FigureWidget per app, panels via ``make_subplots``); ``update_*`` fills it from
arrays computed by the core, inside one ``batch_update``.

Trace order of :func:`compare_figure` (see ``COMPARE_TRACES``):
0 counts of A, 1 counts of B (bars over words), 2 h_T of A, 3 h_T of B (bars over units),
4 A's and 5 B's fixed-input slots (one-row heatmaps), 6 and 7 the end of the input layer
(lines), 8 h_t of A and 9 h_t of B over time (heatmaps, units x words).

Trace order of :func:`training_figure` (see ``TRAINING_TRACES``):
0 bag-of-words accuracy, 1 RNN accuracy, 2 chance, 3 bag-of-words probabilities,
4 RNN probabilities (bars over the classes), 5 bag-of-words and 6 RNN probability of
class 1 after each shuffle.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .live import LiveFigure

__all__ = [
    "COMPARE_TRACES",
    "TRAINING_TRACES",
    "compare_figure",
    "slot_layout",
    "training_figure",
    "update_compare_figure",
    "update_probe",
    "update_training_curves",
]

A_COLOR, B_COLOR = "#7c3aed", "#0d9488"  # sentence A, sentence B
BOW_COLOR, RNN_COLOR, GREY = "#ea580c", "#2563eb", "#6b7280"
SLOT_EMPTY, SLOT_FILLED, SLOT_DROPPED = 0, 1, 2
#: discrete colours of the fixed-input slots: empty (missing input), filled, a word with no slot
SLOT_COLORS = ((SLOT_EMPTY, "#e5e7eb"), (SLOT_FILLED, "#bfdbfe"), (SLOT_DROPPED, "#fca5a5"))

COMPARE_TRACES = ("counts A", "counts B", "h_T A", "h_T B", "slots A", "slots B", "input end A", "input end B",
                  "h_t A", "h_t B")
TRAINING_TRACES = ("accuracy bow", "accuracy rnn", "chance", "probs bow", "probs rnn", "history bow", "history rnn")


def _discrete_scale(pairs, zmax):
    scale = []
    for value, color in pairs:
        lo, hi = (value - 0.5) / zmax, (value + 0.5) / zmax
        scale += [[max(lo, 0.0), color], [min(hi, 1.0), color]]
    return scale


# =========================================================================== two sentences
def compare_figure(hidden_size: int) -> go.FigureWidget:
    """Bag-of-words counts and RNN states of two sentences; below, one row per sentence: what a fixed-input
    network does with its length (left) and the RNN unrolled over it (right)."""
    fig = make_subplots(
        rows=3, cols=2, row_heights=[0.44, 0.28, 0.28], horizontal_spacing=0.1, vertical_spacing=0.12,
        subplot_titles=("bag of words: count of each word", "RNN: final hidden state h_T",
                        "A in a fixed-input network", "RNN unrolled over A",
                        "B in a fixed-input network", "RNN unrolled over B"),
    )
    fig.add_bar(name="sentence A", marker_color=A_COLOR, legendgroup="A", row=1, col=1)
    fig.add_bar(name="sentence B", marker_color=B_COLOR, legendgroup="B", row=1, col=1)
    fig.add_bar(name="sentence A", marker_color=A_COLOR, legendgroup="A", showlegend=False, row=1, col=2)
    fig.add_bar(name="sentence B", marker_color=B_COLOR, legendgroup="B", showlegend=False, row=1, col=2)
    for row, name in ((2, "A"), (3, "B")):
        fig.add_heatmap(name=f"slots of {name}", zmin=-0.5, zmax=2.5, showscale=False, xgap=3,
                        colorscale=_discrete_scale([(v + 0.5, c) for v, c in SLOT_COLORS], 3.0),
                        texttemplate="%{text}", textfont=dict(size=12), hovertemplate="%{customdata}<extra></extra>",
                        row=row, col=1)
    for row in (2, 3):
        fig.add_scatter(name="end of the input layer", mode="lines", line=dict(color="#dc2626", width=3, dash="dash"),
                        showlegend=False, hoverinfo="name", row=row, col=1)
    for row, name in ((2, "A"), (3, "B")):
        fig.add_heatmap(name=f"h_t of {name}", colorscale="RdBu", reversescale=True, zmin=-1, zmax=1, xgap=1, ygap=1,
                        showscale=row == 2,
                        colorbar=dict(len=0.45, y=0.25, thickness=12,
                                      tickvals=[-1, -0.5, 0, 0.5, 1]),
                        hovertemplate="after '%{customdata}'<br>unit %{y}: %{z:.3f}<extra></extra>",
                        row=row, col=2)
    fig.update_yaxes(title_text="count", dtick=1, rangemode="tozero", row=1, col=1)
    fig.update_xaxes(title_text="hidden unit", dtick=1, row=1, col=2)
    fig.update_yaxes(range=[-1.05, 1.05], row=1, col=2)
    for row in (2, 3):
        fig.update_yaxes(showticklabels=False, row=row, col=1)
        fig.update_xaxes(dtick=1, row=row, col=1)
        fig.update_yaxes(title_text="unit", autorange="reversed", row=row, col=2)
    fig.update_xaxes(title_text="input slot", row=3, col=1)
    fig.update_layout(height=820, margin=dict(l=60, r=30, t=60, b=40), template="plotly_white", barmode="group",
                      legend=dict(orientation="h", x=0.0, y=1.07))
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


def _slot_texts(words: Sequence[str], row: np.ndarray, slots: int) -> tuple[list[str], list[str]]:
    text, hover = [], []
    for j in range(len(row)):
        if j < len(words):
            text.append(words[j])
            hover.append(f"word {j + 1} '{words[j]}': " + ("in slot" if row[j] == SLOT_FILLED else "no slot: lost"))
        elif j < slots:
            text.append("(empty)")
            hover.append(f"slot {j + 1}: no word, a missing input")
        else:
            text.append("")
            hover.append("")
    return text, hover


def update_compare_figure(fig: go.FigureWidget, words_a: Sequence[str], words_b: Sequence[str],
                          shown_words: Sequence[str], counts_a, counts_b, states_a, states_b, slots: int,
                          titles: Sequence[str] | None = None) -> None:
    """Redraw everything for two sentences.

    shown_words: the words on the bag-of-words axis; counts_a/b: their counts (len(shown_words),);
    states_a (T_A, H), states_b (T_B, H): the RNN's h_t after each word (the last row is h_T).
    titles: optional new texts for the six subplot titles.
    """
    states_a, states_b = np.asarray(states_a, float), np.asarray(states_b, float)
    H = states_a.shape[1]
    units = np.arange(1, H + 1)
    grid = slot_layout([len(words_a), len(words_b)], slots)
    P = grid.shape[1]
    T_max = max(len(words_a), len(words_b))
    with fig.batch_update():
        d = fig.data
        d[0].x, d[0].y = list(shown_words), np.asarray(counts_a, float)
        d[1].x, d[1].y = list(shown_words), np.asarray(counts_b, float)
        d[2].x, d[2].y = units, states_a[-1]
        d[3].x, d[3].y = units, states_b[-1]
        for i, words in enumerate((words_a, words_b)):
            text, hover = _slot_texts(words, grid[i], slots)
            d[4 + i].x, d[4 + i].y, d[4 + i].z = np.arange(1, P + 1), [0], grid[i : i + 1]
            d[4 + i].text, d[4 + i].customdata = [text], [hover]
            d[6 + i].x, d[6 + i].y = [slots + 0.5, slots + 0.5], [-0.5, 0.5]
        for trace, words, states in ((d[8], words_a, states_a), (d[9], words_b, states_b)):
            T = len(words)
            trace.x, trace.y, trace.z = np.arange(1, T + 1), units, states.T  # (H, T)
            trace.customdata = np.broadcast_to(np.array(words, dtype=object), (H, T)).tolist()
        for axis in (fig.layout.xaxis3, fig.layout.xaxis5):
            axis.range = [0.5, P + 0.5]
        for axis, words in ((fig.layout.xaxis4, words_a), (fig.layout.xaxis6, words_b)):
            axis.range = [0.5, T_max + 0.5]
            axis.tickvals = list(range(1, len(words) + 1))
            axis.ticktext = list(words)
        fig.layout.yaxis4.dtick = fig.layout.yaxis6.dtick = max(1, H // 8)
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
