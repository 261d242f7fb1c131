"""Lesson 2's views: one step of a vanilla RNN language model (the terms of the update, the softmax) and all states.

Drawn as HTML and SVG (through :mod:`rnnviz.viz.svg`); a move of the time-stamp sends only what changes with t:

* **the step** (HTML, :func:`step_html`), everything that changes with t:
  the one-hot x_t over the vocabulary (a strip with a single 1);
  the update as column vectors with their numbers, one row per hidden unit:
  h_{t-1} | W_xh x_t | + W_hh h_{t-1} | + b_h | = a_t | tanh -> h_t, coloured red (+) / blue (-);
  the softmax p_t = softmax(y_t): the top-k next characters, the true one in green;
* **the sentence** (SVG, :func:`sentence_html`): all hidden states h_1 ... h_T (p x T heatmap) and
  the loss of each step l_t = -log p_t(true next), grey bars for absent targets (not counted). It is
  sent again only when the sentence changes; a box marks the current time-stamp in both, shown by a
  one-line style (:func:`now_style`) that is all a move of t sends for this view;
* **the words** (HTML): the update written out with its numbers (:func:`equation_html`), the sentence and its
  total loss (:func:`status_html`), and the one-line read-out of the control bar (:func:`summary_html`).
"""

from __future__ import annotations

import html
from collections.abc import Mapping, Sequence

import numpy as np

from ..data.vocab import UNK
from ..lessonmath.cellstep import SentenceRun, Step, UnitArithmetic
from .svg import (
    BLUE, GREEN, GREY, GRID, MUTED, ORANGE, PALE, PANEL_CSS, TEXT, VIEW_CLASS, WHITE, Chart, cell_colours, colourbar,
    esc, heatmap, nice_ticks, scale_colour,
)

__all__ = ["COLUMNS", "display_char", "equation_html", "now_style", "scale_colour", "sentence_html", "status_html",
           "step_html", "summary_html"]

#: the largest width of the sentence view at its default sizes (it fits a 1024 px projector)
SENTENCE_WIDTH = 960

#: The column vectors of the update panel, in order: name -> column header.
COLUMNS = {
    "h_{t-1}": "h<sub>t-1</sub>",
    "W_xh x_t": "W<sub>xh</sub> x<sub>t</sub>",
    "W_hh h_{t-1}": "+ W<sub>hh</sub> h<sub>t-1</sub>",
    "b_h": "+ b<sub>h</sub>",
    "a_t": "= a<sub>t</sub>",
    "h_t": "tanh &#8594; h<sub>t</sub>",
}
#: Colour range of the update panel (numbers are printed; beyond +-2 tanh is saturated anyway).
TERM_RANGE = 2.0

_SHOWN = {" ": "\u2423", "\n": "\u21b5", "<unk>": "unk"}  # open box, return arrow; the unknown token in letters


def display_char(token: str) -> str:
    """A character as a label a student can see: space -> '␣', newline -> '↵', the unknown token -> 'unk'."""
    return _SHOWN.get(token, token)


def sentence_html(H: np.ndarray, inputs: Sequence[str], targets: Sequence[str], step_loss: np.ndarray,
                  input_present: np.ndarray, target_present: np.ndarray, total_loss: float, *, view_id: str) -> str:
    """The whole sentence as SVG: all hidden states h_1 ... h_T (p x T heatmap) over the loss of each step.

    H: (T, p) states; inputs / targets: the T characters read and the T true next ones; step_loss: (T,)
    l_t for every t (also where the target is absent, drawn grey); input_present / target_present: (T,)
    bool masks; total_loss: the sum over present targets. Every column has a "now" box, hidden: the
    style from :func:`now_style` (``view_id`` ties the two together) shows the one of the current t, so a
    move of t sends a few bytes instead of the whole picture.
    """
    H = np.asarray(H, dtype=float)
    T, p = H.shape
    if len(inputs) != T or len(targets) != T or len(step_loss) != T:
        raise ValueError(f"sentence_html: {T} states but {len(inputs)} inputs, {len(targets)} targets, "
                         f"{len(step_loss)} losses")
    x_labels = [display_char(c) if ok else "\u2205" for c, ok in zip(inputs, input_present)]
    y_labels = [display_char(c) for c in targets]
    size = 9 if T > 60 else 11
    left = 52
    # the states, their colour bar beside them, fit SENTENCE_WIDTH (a longer sentence has narrower columns)
    cw = int(np.clip((SENTENCE_WIDTH - left - 4 - 6 - 64) // max(T, 1), 9, 28))
    # with a "now" box per column, hidden until now_style shows one
    states = heatmap(H.T, [str(u + 1) for u in range(p)], x_labels, 1.0, name="states", what="h_t", cell=(cw, 9),
                     left=left, y_title="unit", col_size=size, column_boxes="rnnviz-now")
    # the loss of each step, its columns under the states' columns
    loss = np.asarray(step_loss, dtype=float)
    ymax = 1.12 * max(float(np.max(loss)) if T else 0.0, 1e-9)
    c = Chart(left + cw * T + 4, 190, (-0.5, T - 0.5), (0, ymax), left=left, right=4, bottom=36)
    c.y_grid(nice_ticks(0, ymax, 4)).y_title("l<sub>t</sub> (nats)")
    for t in range(T):
        c.rect(t - 0.5, t + 0.5, fill=TEXT, opacity=0.08, stroke=TEXT, stroke_width=1.5, cls="rnnviz-now",
               data={"col": t + 1})
    c.group("loss")
    for t in range(T):
        ok = bool(target_present[t])
        c.bar(t, 0, loss[t], BLUE if ok else PALE, f"t = {t + 1}: l_t = {loss[t]:.3f}" + ("" if ok else " (not counted)"),
              loss[t], outline=None if ok else GREY)
    c.end().x_labels(y_labels, size=size)
    n_present = int(np.sum(target_present))
    absent = T - int(np.sum(input_present))
    states_title = (f"all hidden states h<sub>1</sub> \u2026 h<sub>{T}</sub> (column t = h<sub>t</sub>, under it the "
                    f"character x<sub>t</sub> read; box: now)" + (f"; \u2205 = x<sub>t</sub> absent ({absent})" if absent else ""))
    loss_title = (f"loss per step l<sub>t</sub> = \u2212log p&#770;<sub>t</sub>(true next), under it the true next "
                  f"character; total L = <b>{total_loss:.2f}</b> nats over {n_present} of {T} targets"
                  + ("; grey = target absent, not counted" if n_present < T else ""))
    return (f'<div class="{VIEW_CLASS} rnnviz-sentence" data-name="sentence" data-view="{esc(view_id)}">{PANEL_CSS}'
            f'<style>.rnnviz-sentence .rnnviz-now{{visibility:hidden}}</style>'
            f'<div class="rnnviz-panel-title" style="text-align:left; min-height:0">{states_title}</div>'
            f'<div class="rnnviz-svgs" style="gap:6px">{states}{colourbar(1.0, title="h<sub>t</sub>", height=9 * p)}</div>'
            f'<div class="rnnviz-panel-title" style="text-align:left; min-height:0; margin-top:10px">{loss_title}</div>'
            f"{c.svg('loss_chart')}</div>")


def now_style(view_id: str, t: int) -> str:
    """The CSS that shows the "now" boxes of time-stamp ``t`` (1-based) in the sentence view ``view_id``."""
    return (f'<style>.rnnviz-sentence[data-view="{esc(view_id)}"] .rnnviz-now[data-col="{int(t)}"]'
            "{visibility:visible}</style>")


def top_k(probs: np.ndarray, true_id: int, k: int = 10) -> list[int]:
    """The ids of the k most probable next characters, then the true one if it is not among them."""
    probs = np.asarray(probs, dtype=float)
    order = [int(i) for i in np.argsort(-probs, kind="stable")[:k]]
    if int(true_id) not in order:
        order.append(int(true_id))
    return order


def step_html(t: int, x: np.ndarray, terms: Mapping[str, np.ndarray], probs: np.ndarray, tokens: Sequence[str],
              true_id: int, *, unit: int = 1, top_k_shown: int = 10, x_char: str = "", input_present: bool = True,
              target_present: bool = True, y: np.ndarray | None = None) -> str:
    """The step at time-stamp ``t`` (1-based) as HTML: the one-hot x_t, the update with its numbers, the softmax.

    x: (V,) the input vector (one-hot, or zeros when absent); terms: name -> (p,) vector for
    every name of :data:`COLUMNS`; probs: (V,) p_t; true_id: the id of the true next character;
    unit: the boxed unit (1-based); y: (V,) scores y_t, shown on hover over the softmax bars.
    """
    x = np.asarray(x, dtype=float)
    probs = np.asarray(probs, dtype=float)
    scores = np.zeros(len(probs)) if y is None else np.asarray(y, dtype=float)
    esc = html.escape
    # 1. the one-hot input
    j = int(np.argmax(x)) if np.any(x) else None
    title = (f"x<sub>{t}</sub> = one-hot of '{esc(display_char(x_char))}' (d = {len(x)}): it selects column {j + 1} of "
             f"W<sub>xh</sub>" if input_present and j is not None else
             f"x<sub>{t}</sub> is <b>absent</b>: x<sub>{t}</sub> = 0, so W<sub>xh</sub> x<sub>{t}</sub> = 0")

    def col_width(c: str) -> int:  # px: a column holds its label ('unk' needs three letters)
        return 11 if len(display_char(c)) == 1 else 6 * len(display_char(c)) + 2

    strip = "".join(
        f'<td title="{esc(display_char(c))}: {x[i]:.0f}" style="background:{TEXT if x[i] else GRID}; '
        f'width:{col_width(c)}px; height:22px; padding:0; border:1px solid {WHITE}"></td>' for i, c in enumerate(tokens))
    chars = "".join(
        f'<td style="padding:0; text-align:center; font-size:10px; overflow:hidden; '
        f'{"font-weight:bold" if i == j else f"color:{MUTED}"}">{esc(display_char(c))}</td>' for i, c in enumerate(tokens))
    onehot = (f'<div class="rnnviz-step-title">{title}</div><table class="rnnviz-onehot" '
              f'style="border-collapse:collapse; table-layout:fixed"><tr>{strip}</tr><tr>{chars}</tr></table>')
    # 2. the update, one row per hidden unit
    p = len(terms["h_t"])
    head = "".join(f'<th style="padding:2px 8px; font-weight:normal">{h}</th>' for h in COLUMNS.values())
    rows = []
    for u in range(p):
        boxed = u + 1 == unit
        cells = []
        for name in COLUMNS:
            v = float(terms[name][u])
            bg, fg = cell_colours(v, TERM_RANGE)
            cells.append(f'<td title="{esc(name)}, unit {u + 1}: {v:.4f}" data-v="{v!r}" style="background:{bg}; color:{fg}; '
                         f'padding:0 8px; text-align:right; border:1px solid {WHITE}">{v:.2f}</td>')
        style = f' style="outline:2.5px solid {TEXT}; outline-offset:-1px"' if boxed else ""
        rows.append(f'<tr{style}><td style="padding:0 6px; color:{MUTED}; text-align:right">{u + 1}</td>'
                    + "".join(cells) + "</tr>")
    update = (f'<div class="rnnviz-step-title">the update at t = {t}, one row per hidden unit (unit {unit} boxed)</div>'
              '<table class="rnnviz-update" style="border-collapse:collapse; font-size:12px; line-height:1.25; '
              f'font-variant-numeric:tabular-nums"><tr><th style="font-weight:normal; color:{MUTED}">unit</th>{head}</tr>'
              + "".join(rows) + "</table>")
    # 3. the softmax: the top k, the true next character in green
    order = top_k(probs, true_id, top_k_shown)
    rank = int(np.sum(probs > probs[true_id])) + 1
    bars = []
    for k, i in enumerate(order):
        colour = GREEN if i == true_id else (ORANGE if k == 0 else BLUE)
        label = esc(display_char(tokens[i])) + (f" (rank {rank})" if i == true_id and k >= top_k_shown else "")
        bars.append(
            f'<tr title="p = {probs[i]:.4f}, y_t = {scores[i]:.3f}"><td style="text-align:right; padding:1px 6px; '
            f'font-size:15px; white-space:nowrap">{label}</td><td style="width:260px; padding:1px 0">'
            f'<div style="background:{colour}; width:{max(probs[i], 0.004) * 100:.1f}%; height:18px; '
            f'display:inline-block; vertical-align:middle"></div> <span style="font-size:12px">{probs[i]:.2f}</span>'
            "</td></tr>")
    softmax = (f'<div class="rnnviz-step-title">p&#770;<sub>{t}</sub> = softmax(y<sub>{t}</sub>): top {top_k_shown} '
               f"next characters<br/><span style='color:{GREEN}'>green</span> = the true next "
               f"'{esc(display_char(tokens[true_id]))}' (p = {probs[true_id]:.2f})"
               + ("" if target_present else " &#8212; target absent") + "</div>"
               '<table class="rnnviz-softmax" style="border-collapse:collapse">' + "".join(bars) + "</table>")
    return (f'<div class="rnnviz-step {VIEW_CLASS}" data-name="step" style="font-size:14px">'
            '<style>.rnnviz-step-title{text-align:center; margin:8px 0 4px 0; font-size:15px}</style>'
            f'<div style="overflow-x:auto">{onehot}</div>'
            f'<div style="display:flex; gap:48px; align-items:flex-start; flex-wrap:wrap">'
            f"<div>{update}</div><div>{softmax}</div></div></div>")


# =========================================================================== the words
def _f(v: float, digits: int = 2) -> str:
    """A number for the equation line, with a true minus sign."""
    return f"{v:.{digits}f}".replace("-", "\u2212")


def _p(v: float, digits: int = 2) -> str:
    """A number inside a sum: in parentheses when negative."""
    return f"({_f(v, digits)})" if v < 0 else _f(v, digits)


def char_text(token: str) -> str:
    """A token in a sentence of the app: a character in quotes ('␣' for a space), or <unk> spelled out (markup)."""
    if token == UNK:
        return "&lt;unk&gt; (the unknown token)"
    return f"'{html.escape(display_char(token))}'"


def equation_html(step: Step, unit: UnitArithmetic, tokens: Sequence[str]) -> str:
    """The update of step t written out: units 1-3, then unit ``unit`` in full, then y_t, p_t and l_t of the target."""
    terms = step.terms
    s = step.t
    sub = f"<sub>{s}</sub>"
    rows = [f"h{sub}[{u + 1}] = tanh({_p(terms['W_xh x_t'][u])} + {_p(terms['W_hh h_{t-1}'][u])} + "
            f"{_p(terms['b_h'][u])}) = tanh({_f(terms['a_t'][u])}) = <b>{_f(terms['h_t'][u], 3)}</b>"
            for u in range(min(3, len(terms["h_t"])))]
    i = unit.unit
    if np.any(terms["h_{t-1}"]):
        sum_txt = (" + ".join(f"{_p(w)}&middot;{_p(h)}" for w, h in zip(unit.weights, unit.states))
                   + f" + &hellip; (the {len(unit.weights)} largest of {unit.n_products} products)")
    else:
        sum_txt = f"0 (h<sub>{s - 1}</sub> = 0: nothing to remember yet)"
    x_txt = (f"W<sub>xh</sub>[{i}, {unit.column}] = {_f(unit.input_weight)} (x{sub} = {char_text(tokens[step.x_id])} "
             f"picks column {unit.column})" if step.input_present else f"0 (x{sub} absent)")
    nxt = char_text(tokens[step.target_id])
    k = step.target_id
    pk = float(step.probs[k])
    counted = "counted" if step.target_present else "<b>not counted</b> (target absent)"
    return (
        '<div class="rnnviz-guide" style="font-family: monospace; font-size: 13.5px; line-height: 1.6; '
        'overflow-wrap: anywhere">'
        f"<b>t = {s}</b>: read x{sub} = {char_text(tokens[step.x_id])}"
        f"{'' if step.input_present else ' (<b>absent</b>)'}, predict x<sub>{s + 1}</sub> = {nxt}.<br>"
        f"h{sub} = tanh(W<sub>xh</sub> x{sub} + W<sub>hh</sub> h<sub>{s - 1}</sub> + b<sub>h</sub>), "
        f"units 1&ndash;3:<br>&nbsp;&nbsp;" + "<br>&nbsp;&nbsp;".join(rows) + "<br>"
        f"<b>unit {i}</b> in full: W<sub>xh</sub> x{sub} &rarr; {x_txt};<br>"
        f"&nbsp;&nbsp;W<sub>hh</sub> h<sub>{s - 1}</sub> &rarr; &Sigma;<sub>k</sub> W<sub>hh</sub>[{i},k] "
        f"h<sub>{s - 1}</sub>[k] = {sum_txt} = {_f(unit.recurrent)};<br>"
        f"&nbsp;&nbsp;+ b<sub>h</sub>[{i}] = {_f(unit.bias)} &nbsp;&rArr;&nbsp; a{sub}[{i}] = {_f(unit.a, 3)}, "
        f"&nbsp;h{sub}[{i}] = tanh({_f(unit.a, 3)}) = <b>{_f(unit.h, 3)}</b><br>"
        f"y{sub} = W<sub>hy</sub> h{sub} + b<sub>y</sub> ({len(step.y)} scores); for {nxt}: y{sub}[{nxt}] = "
        f"{_f(step.y[k])}, p&#770;{sub}({nxt}) = e<sup>{_f(step.y[k])}</sup> / &Sigma;<sub>c</sub> e<sup>y[c]</sup> = "
        f"{pk:.3f}, l{sub} = &minus;log {pk:.3f} = {step.loss:.3f}, {counted}."
        "</div>"
    )


def status_html(run: SentenceRun, step: Step, unigram: float) -> str:
    """The sentence read, the total loss L, and what marking this step's target (or the inputs) absent does to L."""
    shown = html.escape(run.text).replace("\n", "\u21b5")
    t, lt = step.t, step.loss
    parts = [f"Reading <b>\u201c{shown}\u201d</b>: T = {run.T} time-stamps (the last character is only predicted). "
             f"Total loss <b>L = {run.total_loss:.3f}</b> nats over {run.counted} of {run.T} targets "
             f"({run.total_loss / max(run.counted, 1):.2f} per character; the unigram baseline, which ignores the "
             f"context, is about {unigram:.2f})."]
    if not step.target_present:
        parts.append(f"The target at t = {t} is <b>absent</b>: its l<sub>t</sub> = {lt:.3f} is not counted; "
                     f"with it L would be {run.total_loss + lt:.3f}.")
    else:
        parts.append(f"At t = {t}, l<sub>t</sub> = {lt:.3f} is counted: marking the target absent lowers L by "
                     f"exactly {lt:.3f}.")
    if not run.input_present.all():
        missing = ", ".join(str(s + 1) for s in np.flatnonzero(~run.input_present))
        parts.append(f"Inputs absent at t = {missing}: with every input present L would be "
                     f"{run.total_loss_all_present:.3f} (same targets).")
    return '<div class="rnnviz-guide">' + " ".join(parts) + "</div>"


def summary_html(run: SentenceRun, step: Step, tokens: Sequence[str]) -> str:
    """One line for the control bar: t, the character read, l_t and the total L."""
    t = step.t
    return (f"<b>t = {t}</b> of {run.T}: read {char_text(tokens[step.x_id])}"
            f"{'' if step.input_present else ' (absent)'}, l<sub>{t}</sub> = {step.loss:.3f}"
            f"{'' if step.target_present else ' (not counted)'}; total <b>L = {run.total_loss:.3f}</b> over "
            f"{run.counted} of {run.T} targets")
