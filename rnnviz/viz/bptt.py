r"""Views of backpropagation through time: losses, dL/dy_t, dL/dh_t, per-time-stamp copies and their sum.

Drawn as SVG with :mod:`rnnviz.viz.svg`, so that a move of t redraws in a few milliseconds.
Three pure functions return the HTML of the three views:

* :func:`time_html` — **at time-stamp t**, left to right as the backward step computes it:
  dL/dy_t; dL/dh_t and its two terms; the copy dL/dW^(t); the running sum over s >= t beside
  the true gradient, on one colour scale (they become identical at t = 1).
* :func:`sequence_html` — **over the whole sequence**: the loss per time-stamp, the size of
  each copy, the relative gap of the running sum; the current t is marked in each.
* :func:`check_html` — the gradient check, analytic against numeric, one dot per weight entry.

Beside them, the read-outs of the app's control bar (:func:`strip_html`: the sentence with t and its
target marked; :func:`summary_html`: t, its loss, ||dL/dh_t|| and the gap) and the guides on how to
read the two views (:func:`time_guide`, :func:`sequence_guide`).

Every data mark carries its value (``data-v``) and a hover text; :func:`rnnviz.viz.svg.marks`
reads them back. The trace is any object with these attributes
(:class:`rnnviz.lessonmath.bptt.BackwardTrace` is one); index 0 is the chapter's t = 1, T time-stamps,
p hidden units, d tokens:

* ``tokens`` (d,) str, ``inputs`` / ``targets`` (T,) ids, ``loss_per_step`` (T,), ``loss``;
* ``dY`` (T, d) = dL/dy_t = p̂_t - onehot(j_t); ``dh``, ``dh_output``, ``dh_future`` (T, p);
* dicts keyed by ``"W_hh"``, ``"W_xh"``, ``"W_hy"``: ``copies`` and ``running``
  (T, ...), ``grads`` (...), ``gaps`` and ``copy_norms`` (T,).
"""

from __future__ import annotations

import numpy as np

from .svg import (
    BLUE, DASH, GREEN, GREY, MUTED, ORANGE, PALE, PURPLE, SKY, TEXT, VERMILLION, VIEW_CLASS, Chart, colourbar, esc,
    heatmap, html_markup, legend, narrow, nice_ticks, panel, tint, view,
)

__all__ = [
    "AXES", "NAMES", "WEIGHT_COLORS", "check_html", "dh_limit", "sequence_guide", "sequence_html", "strip_html",
    "summary_html", "time_guide", "time_html", "token_label", "unit_labels",
]

RED = VERMILLION  # the true next token j_t
#: the colour of each weight's dots in the gradient check
WEIGHT_COLORS = {"W_hh": BLUE, "W_xh": GREEN, "W_hy": PURPLE}

#: the heatmap rows and columns of each weight: (y labels, x labels, y title, x title)
AXES = {
    "W_hh": ("units", "units", "h<sub>t</sub> unit", "h<sub>t−1</sub> unit"),
    "W_xh": ("units", "tokens", "h<sub>t</sub> unit", "input x<sub>t</sub>"),
    "W_hy": ("tokens", "units", "output y<sub>t</sub>", "h<sub>t</sub> unit"),
}
NAMES = {"W_hh": "W<sub>hh</sub>", "W_xh": "W<sub>xh</sub>", "W_hy": "W<sub>hy</sub>"}
PLOT_HEIGHT = 250  # px, the bar charts at time-stamp t


def token_label(token: str) -> str:
    """A token as an axis label: the space as '␣', the unknown token as 'unk' (no angle brackets for HTML)."""
    return {" ": "␣", "<unk>": "unk"}.get(token, token)


def unit_labels(p: int) -> list[str]:
    return [f"h{i + 1}" for i in range(p)]


def _labels(kind: str, tokens, p: int) -> list[str]:
    return unit_labels(p) if kind == "units" else [token_label(t) for t in tokens]


def _sym(*arrays) -> float:
    m = max(float(np.max(np.abs(a))) if np.size(a) else 0.0 for a in arrays)
    return m if m > 0 and np.isfinite(m) else 1.0


def dh_limit(trace) -> float:
    """The y range (+-) of the dL/dh_t panel: one range for every t, so sizes compare across time-stamps."""
    return 1.1 * _sym(np.abs(trace.dh_output) + np.abs(trace.dh_future), trace.dh)


# =========================================================================== at time-stamp t
def time_html(trace, t: int, weight: str) -> str:
    """Everything that moves with the time-stamp ``t`` (1-based, as in the chapter), for ``weight``."""
    T = len(trace.inputs)
    if not 1 <= t <= T:
        raise ValueError(f"time-stamp t: expected 1 to {T}, got {t}")
    i = t - 1
    p = trace.dh.shape[1]
    labels = [token_label(tok) for tok in trace.tokens]
    d = len(labels)
    j = int(trace.targets[i])
    units = unit_labels(p)
    name = NAMES[weight]

    # 1. dL/dy_t: one bar per token, the true next one red
    c = Chart(max(250, 52 + 17 * d), PLOT_HEIGHT, (-0.5, d - 0.5), (-1.05, 1.05), bottom=40)
    c.y_grid([-1, -0.5, 0, 0.5, 1])
    for k, v in enumerate(trace.dY[i]):
        c.bar(k, 0, v, RED if k == j else PALE, f"token {labels[k]}: dL/dy = {v:.3f}", v)
    c.text(j, trace.dY[i, j], "j<sub>t</sub>", colour=RED, dy=16)
    c.x_labels(labels, size=13 if d <= 16 else 11, bold=j).x_title("token k (j<sub>t</sub>: the true next one)")
    dy_panel = panel(f"dL/dy<sub>t</sub> = p̂<sub>t</sub> − onehot(j<sub>t</sub>)<br/>at t = {t}: "
                     f"'{esc(labels[int(trace.inputs[i])])}' → '{esc(labels[j])}'", c.svg("dY"))

    # 2. dL/dh_t = the part from the output + the part from the future (stacked: positives up, negatives down)
    lim = dh_limit(trace)
    c = Chart(max(230, 52 + 22 * p), PLOT_HEIGHT, (-0.5, p - 0.5), (-lim, lim), bottom=40)
    c.y_grid(nice_ticks(-lim, lim, 4))
    out, future = trace.dh_output[i], trace.dh_future[i]
    # the output part from 0; the future part on top of it when both have the same sign, else from 0 the other way
    base = np.where(np.sign(future) == np.sign(out), out, 0.0)
    c.group("dh_output")
    for u in range(p):
        c.bar(u, 0, out[u], SKY, f"{units[u]}: {out[u]:.3f} from the output y_t", out[u], width=0.7)
    c.end().group("dh_future")
    for u in range(p):
        c.bar(u, base[u], base[u] + future[u], GREEN, f"{units[u]}: {future[u]:.3f} from t+1", future[u], width=0.7)
    c.end().group("dh_sum")
    for u in range(p):
        c.point(u, trace.dh[i, u], TEXT, f"{units[u]}: dL/dh_t = {trace.dh[i, u]:.3f}", trace.dh[i, u],
                r=6, shape="diamond")
    c.end()
    c.x_labels(units).x_title("hidden unit")
    keys = legend([("from y<sub>t</sub>: W<sub>hy</sub><sup>T</sup> dL/dy<sub>t</sub>", SKY, "bar"),
                   ("from t+1: W<sub>hh</sub><sup>T</sup>(Φ′ ⊙ dL/dh<sub>t+1</sub>)", GREEN, "bar"),
                   ("dL/dh<sub>t</sub>, their sum", TEXT, "diamond")])
    dh_panel = panel(f"dL/dh<sub>t</sub> at t = {t}<br/>" + ("(nothing from the future at t = T)" if t == T else
                                                               "&#8203;"), c.svg("dh"),
                     note=narrow(keys, c.width))

    # 3. the copy of this time-stamp, on its own scale (the same for every t)
    y_kind, x_kind, y_title, x_title = AXES[weight]
    ylab, xlab = _labels(y_kind, trace.tokens, p), _labels(x_kind, trace.tokens, p)
    copies, running, grad = trace.copies[weight], trace.running[weight], trace.grads[weight]
    c_lim, lim = _sym(copies), _sym(running, grad)
    zero = t == 1 and weight == "W_hh" and not np.any(copies[0])
    copy_panel = panel(f"copy dL/d{name}<sup>({t})</sup><br/>" + ("= 0, as h<sub>0</sub> = 0" if zero else "&#8203;"),
                       heatmap(copies[i], ylab, xlab, c_lim, name="copy", what="copy", x_title=x_title,
                               y_title=y_title, caption=f"time-stamp {t}"),
                       colourbar(c_lim, title="copy"))
    # 4. the running sum beside the true gradient, one scale: identical at t = 1
    sum_panel = panel(f"running sum Σ<sub>s={t}…{T}</sub> dL/d{name}<sup>(s)</sup><br/>and the true gradient dL/d{name}",
                      heatmap(running[i], ylab, xlab, lim, name="running", what="running sum", x_title=x_title,
                              caption="running sum"),
                      heatmap(grad, ylab, xlab, lim, name="grad", what="true gradient", x_title=x_title,
                              caption="true gradient"),
                      colourbar(lim, title="sum, true"))
    return view(dy_panel, dh_panel, copy_panel, sum_panel, name="time")


# =========================================================================== over the whole sequence
def sequence_html(trace, t: int, weight: str) -> str:
    """The loss of every time-stamp, the size of every copy of ``weight``, the gap of the running sum; t marked."""
    T = len(trace.inputs)
    if not 1 <= t <= T:
        raise ValueError(f"time-stamp t: expected 1 to {T}, got {t}")
    labels = [token_label(tok) for tok in trace.tokens]
    inputs = [labels[a] for a in trace.inputs]
    name = NAMES[weight]
    step = max(14, min(26, 560 // T))
    every = 1 if step >= 14 and T <= 40 else 2

    # 1. the loss per time-stamp, the current one orange
    loss = np.asarray(trace.loss_per_step, dtype=float)
    top = 1.15 * max(float(np.max(loss)), 1e-9)
    c = Chart(70 + step * T, 230, (-0.5, T - 0.5), (0, top), left=52, bottom=40)
    c.y_grid(nice_ticks(0, top, 4)).y_title("−log p̂<sub>t</sub>(j<sub>t</sub>)")
    for s in range(T):
        c.bar(s, 0, loss[s], ORANGE if s == t - 1 else SKY,
              f"t = {s + 1}: {inputs[s]} → {labels[trace.targets[s]]}, loss {loss[s]:.3f}", loss[s])
    c.x_labels(inputs, every=every, bold=t - 1).x_title("time-stamp t (tick: input x<sub>t</sub>)")
    loss_panel = panel(f"loss per time-stamp (total L = {trace.loss:.2f})<br/>&#8203;", c.svg("loss"))

    # 2. the size of each copy: orange now, green already summed, grey still to come
    norms = np.asarray(trace.copy_norms[weight], dtype=float)
    top = 1.15 * max(float(np.max(norms)), 1e-12)
    c = Chart(70 + step * T, 230, (-0.5, T - 0.5), (0, top), left=52, bottom=40)
    c.y_grid(nice_ticks(0, top, 4))
    for s in range(T):
        colour = ORANGE if s == t - 1 else GREEN if s > t - 1 else GREY
        c.bar(s, 0, norms[s], colour, f"s = {s + 1}: ‖copy‖ = {norms[s]:.4f}", norms[s])
    c.x_labels([str(s + 1) for s in range(T)], every=1 if step >= 20 else 2 if T < 60 else 5, bold=t - 1)
    c.x_title("time-stamp s")
    norm_panel = panel(f"size of each copy ‖dL/d{name}<sup>(s)</sup>‖<br/>green: in the running sum; grey: still to come",
                       c.svg("copy_norms"))

    # 3. the relative gap of the running sum, the current t marked
    gaps = np.asarray(trace.gaps[weight], dtype=float)
    top = max(float(np.max(gaps)), 1e-9)
    c = Chart(max(300, 70 + 10 * T), 230, (0.5, T + 0.5), (-0.05 * top, 1.25 * top), left=52, bottom=40)
    c.y_grid(nice_ticks(0, 1.2 * top, 4)).x_grid(nice_ticks(1, T, 6))
    ts = np.arange(1, T + 1)
    c.series("gap", ts, gaps, GREY, [f"t = {s + 1}: gap {gaps[s]:.3g}" for s in range(T)], width=1.5, r=2.5,
             with_x=False, what="gap")
    g = gaps[t - 1]
    gap_text = "gap = 0 ✓" if g < 1e-12 else f"gap = {g:.2f}"
    c.group("gap_now").point(t, g, ORANGE, f"t = {t}: gap {g:.3g}", g, r=6).end()
    c.text(t, g, gap_text, colour=ORANGE, anchor="start" if t <= T / 2 else "end", dx=8 if t <= T / 2 else -8, dy=-8,
           bold=True, halo=True)
    c.x_title("the backward pass has reached t")
    gap_panel = panel("relative gap of the running sum<br/>‖Σ<sub>s≥t</sub> − true‖ / ‖true‖"
                      + (" — 0 at t = 1" if t == 1 else ""), c.svg("gap_chart"))
    return view(loss_panel, norm_panel, gap_panel, name="sequence")


# =========================================================================== the gradient check
def check_html(result) -> str:
    """The gradient check (``.check`` a GradCheck, ``.analytic`` / ``.numeric`` dicts by weight), or a hint (None)."""
    if result is None:
        # still a view (the same place on the page before and after a check), marked empty: nothing drawn yet
        return (f'<div class="{VIEW_CLASS}" data-name="check" data-empty="1" style="color:{MUTED}; font-size:14px; '
                'padding:6px 0">Gradient check: press <b>Run gradient check</b> to compare BPTT with finite differences '
                "(one dot per weight entry).</div>")
    values = [np.ravel(v) for v in (*result.numeric.values(), *result.analytic.values())]
    lo, hi = min(float(v.min()) for v in values), max(float(v.max()) for v in values)
    pad = 0.05 * max(hi - lo, 1e-12)
    c = Chart(400, 330, (lo - pad, hi + pad), (lo - pad, hi + pad), left=58, bottom=40)
    c.y_grid(nice_ticks(lo, hi, 5)).x_grid(nice_ticks(lo, hi, 5))
    c.line([lo, hi], [lo, hi], GREY, width=1, dash=DASH)
    counts = []
    for name, colour in WEIGHT_COLORS.items():
        if name not in result.analytic:
            continue
        a, n = np.ravel(result.analytic[name]), np.ravel(result.numeric[name])
        counts.append((f"{NAMES[name]} ({a.size})", colour, "point"))
        # the analytic values; the numeric ones are the x positions (in the hover text)
        c.points(f"check_{name}", n, a, colour, [f"{name}: numeric {nv:.6f}, analytic {av:.6f}" for av, nv in zip(a, n)],
                 r=3, opacity=0.75, with_x=False, what=name)
    c.x_title("numeric (finite differences)").y_title("analytic (BPTT)")
    check = result.check
    verdict = (f"<span style='color:{GREEN}'>PASSED</span>" if check.passed
               else f"<span style='color:{RED}'>FAILED</span>")
    per = ", ".join(f"{NAMES[n]} {e:.1e}" for n, e in check.errors.items())
    note = ("one dot per weight entry, on the dashed diagonal when BPTT agrees with finite differences:"
            + legend(counts) + f"relative error per weight: {per}")
    return view(panel(f"gradient check {verdict}: max relative error {check.max_error:.1e}", c.svg("check"), note=note),
                name="check")


# =========================================================================== read-outs and guides
def strip_html(trace, sentence: str, t: int) -> str:
    """The sentence, one box per character: x_t orange (as the current bar), its target j_t outlined in the colour
    of the dL/dy_t panel's true token, the inputs of t+1 … T (gone through backwards) pale green."""
    T = len(trace.inputs)
    if not 1 <= t <= T:
        raise ValueError(f"time-stamp t: expected 1 to {T}, got {t}")
    cells = []
    for i, c in enumerate(sentence):
        style = "display:inline-block; min-width:1.1em; text-align:center; margin:1px; padding:0 2px; border-radius:3px;"
        if i == t - 1:
            style += f"background:{ORANGE}; color:{TEXT}; font-weight:bold;"
        elif t <= i < len(sentence) - 1:
            style += f"background:{tint(GREEN, 0.8)};"
        if i == t:
            style += f"outline:2px solid {RED}; font-weight:bold;"
        cells.append(f'<span style="{style}">{esc(token_label(c))}</span>')
    x, j = token_label(trace.tokens[trace.inputs[t - 1]]), token_label(trace.tokens[trace.targets[t - 1]])
    return (f'<div style="display:flex; flex-wrap:wrap; align-items:center; gap:0 14px">'
            f'<div style="font-family:monospace; font-size:17px">{"".join(cells)}</div>'
            f'<div style="color:{MUTED}; font-size:13.5px">input x<sub>t</sub> = <b style="color:{ORANGE}">{esc(x)}</b>, '
            f'target j<sub>t</sub> = <b style="color:{RED}">{esc(j)}</b></div></div>')


def summary_html(trace, t: int, weight: str) -> str:
    """One line: t, its loss, ||dL/dh_t|| and the relative gap of the running sum of ``weight``'s copies."""
    T = len(trace.inputs)
    if not 1 <= t <= T:
        raise ValueError(f"time-stamp t: expected 1 to {T}, got {t}")
    gap = float(trace.gaps[weight][t - 1])
    if t == 1:
        gap_text = (f"<b>{gap:.0e}</b>, rounding only: the sum of all copies <b>is</b> the true gradient"
                    if gap > 0 else "<b>0</b>: the sum of all copies <b>is</b> the true gradient")
    elif gap == 0 and weight == "W_hh":
        gap_text = ("<b>0</b> already: the copy still to come, at t = 1, multiplies h<sub>0</sub><sup>T</sup>, and "
                    "h<sub>0</sub> is 0")
    else:
        gap_text = f"<b>{gap:.3f}</b> (copies {t - 1} … 1 to come)"
    return (f"t = <b>{t}</b> of T = {T} &nbsp;·&nbsp; loss<sub>t</sub> = {trace.loss_per_step[t - 1]:.3f} "
            f"(L = {trace.loss:.2f}) &nbsp;·&nbsp; ‖dL/dh<sub>t</sub>‖ = {np.linalg.norm(trace.dh[t - 1]):.3f} "
            f"&nbsp;·&nbsp; relative gap of the running sum = {gap_text}")


def time_guide() -> str:
    """How to read :func:`time_html`."""
    return html_markup(
        "Everything here changes when t moves; read it left to right, in the order the backward step computes it. "
        "<b>dL/dy<sub>t</sub></b> = p̂<sub>t</sub> − onehot(j<sub>t</sub>), the gradient of the scores y<sub>t</sub>: "
        "positive for every wrong character, negative (p̂ − 1) for the true one, marked j<sub>t</sub>. "
        "<b>dL/dh<sub>t</sub></b> per hidden unit, as the sum (black ◆) of the part from this time-stamp's output, "
        "W<sub>hy</sub><sup>T</sup> dL/dy<sub>t</sub>, and the part from the future, "
        "W<sub>hh</sub><sup>T</sup>(Φ′<sub>t+1</sub> ⊙ dL/dh<sub>t+1</sub>), which is 0 at t = T. "
        "<b>The copy</b> of the gradient at this time-stamp, red positive, blue negative (its own colour scale, the "
        "same for every t, so you can compare copies); a W<sub>xh</sub> copy is non-zero only in the column of the "
        "input character x<sub>t</sub>. <b>The running sum</b> of the copies T … t, beside the true gradient "
        "on the same colour scale: the two become identical at t = 1. Hover over a bar or a cell for its value.")


def sequence_guide() -> str:
    """How to read :func:`sequence_html`."""
    items = [
        "The loss −log p̂<sub>t</sub>(j<sub>t</sub>) of each time-stamp; orange is the current t (in the sentence at "
        "the top, green marks the inputs of t+1 … T, which the backward pass has gone through).",
        "The size of each copy: green ones are already in the running sum, grey ones still to come.",
        "The relative gap between the running sum and the true gradient: 0 at t = 1 (for W<sub>hh</sub> already at "
        "t = 2: its copy at t = 1 multiplies h<sub>0</sub> = 0).",
    ]
    return ("<ul style='margin:0; padding-left:18px'>" + "".join(f"<li>{html_markup(i)}</li>" for i in items)
            + "</ul>")
