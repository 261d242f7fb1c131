r"""Views of lesson 6: what truncated BPTT drops, and what clipping does to a gradient and to training.

Drawn as SVG through :mod:`rnnviz.viz.svg`. Pure functions return the HTML of each view:

* :func:`flow_html` -- **truncated BPTT, per spectral radius**: the gradient-flow map
  log10 ||dL_s/dh_t|| (row s, column t; blank above the diagonal, grey "no value" for a zero) with,
  for *every* window k, the entries it drops (grey, one mark per row) and the outlines of its
  windows, all hidden; :func:`window_style` shows those of one k. A move of k therefore sends
  :func:`window_html` only: the gap curves (all parameters, W_hh alone) with the current k marked,
  and that one-line style.
* :func:`clip_html` -- **clipping one gradient at threshold c**: each entry before (x) and after (y)
  clipping by value (the summed gradient, or each time-stamp's copy before the copies are added) and by
  norm, with y = x and +-c; the cosine to the original gradient for every threshold, with c marked.
* :func:`training_html` -- **training with and without clipping**: the loss and the gradient norm
  of every step (log scales that hold every finite value, however large), where a run blew up (an x),
  the threshold of a run clipped by norm. The run without clipping is dashed, so the two runs never differ by colour alone.
  Drawn during a run too (the runs so far); before any run a view marked empty (``data-empty="1"``)
  with a hint.

Every data mark carries ``data-v`` (its value) and a hover text; the marks of a line also
carry ``data-x`` (the x of the point: the step, or the threshold c). inf and NaN are never drawn
as numbers: lines break there and a marker at the chart's edge says what the value was.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from ..lessonmath.taming import kept_by_truncation
from .gradients import log_flow
from .svg import (
    BLUE, DASH, DASHDOT, DOT, GREEN, GREY, MISSING, MUTED, ORANGE, PANEL_CSS, SEQUENTIAL, VEIL, VERMILLION, VIEW_CLASS, WHITE, Chart,
    colourbar, esc, fmt, heatmap_chart, legend, log_range, narrow, nice_ticks, panel, view,
)

__all__ = [
    "CLIP_COLORS",
    "CLIP_WORDS",
    "DROPPED",
    "PLAIN",
    "clip_html",
    "flow_html",
    "kept_by_truncation",
    "training_html",
    "window_html",
    "window_outlines",
    "window_style",
]

DROPPED = VEIL  # over the terms a window drops
OUTLINE = WHITE  # the windows
ABOVE = WHITE  # t > s: the loss at s does not depend on later states
#: the colour of each clipping kind, the same in every panel (and for the run trained with it)
CLIP_COLORS = {"value": ORANGE, "copies": GREEN, "norm": BLUE}
#: what each clipping kind does, in words (the legends and hover texts)
CLIP_WORDS = {"value": "clipping the sum by value", "copies": "clipping each copy by value", "norm": "clipping by norm"}
#: the run without clipping: its colour and its dash (the clipped run is solid: they differ by more than colour)
PLAIN = (VERMILLION, DASH)
MAX_MARKS = 100  # hover marks per training curve (the line itself has every step)
TRAIN_W = 470  # px, each training chart: the two fit side by side on a 1024 px projector


# =========================================================================== shared helpers
def _label(c: Chart, x: float, y: float, text: str, colour: str, *, right: bool = False, dy: float = -10) -> Chart:
    """A bold label beside a point, with a white halo so that it stays readable over the curves under it."""
    return c.text(x, y, text, colour=colour, anchor="end" if right else "start", dx=-11 if right else 11, dy=dy,
                  bold=True, halo=True)


# =========================================================================== truncated BPTT
def window_outlines(T: int, window: int) -> tuple[list, list]:
    """x, y of the outline of each window's kept cells (1-based time-stamps, None-separated).

    Cell (t, s) covers [t - 1/2, t + 1/2] x [s - 1/2, s + 1/2]; a window's kept cells (t <= s) form a
    staircase triangle: down its left edge, along its bottom, then up the steps of the diagonal.
    """
    xs: list = []
    ys: list = []
    for a in range(0, T, window):
        b = min(a + window, T)
        lo, hi = a + 0.5, b + 0.5
        px, py = [lo, lo, hi], [lo, hi, hi]
        for edge in np.arange(hi, lo, -1.0):  # one step per row, from the bottom row up
            px += [edge, edge - 1]
            py += [edge - 1, edge - 1]
        xs += [float(v) for v in px] + [None]
        ys += [float(v) for v in py] + [None]
    return xs, ys


def _dropped_sizes(z_row: np.ndarray) -> str:
    """What the grey mark of one row hides: the largest log10 entry it drops and where (the cells under it
    cannot be hovered)."""
    finite = np.isfinite(z_row)
    if not finite.any():
        return "; none of them has a value"
    t = int(np.argmax(np.where(finite, z_row, -np.inf)))  # no NaN left to skip
    return f"; the largest of them, at t = {t + 1}: log10 ||dL_s/dh_t|| = {z_row[t]:.2f}"


def window_style(view_id: str, k: int) -> str:
    """The CSS that shows window ``k``'s dropped entries and outlines in the flow view ``view_id``."""
    return (f'<style>.rnnviz-flow[data-view="{esc(view_id)}"] .rnnviz-window[data-k="{int(k)}"]'
            "{display:inline}</style>")


def flow_html(flow: np.ndarray, *, view_id: str, windows: Sequence[int] | None = None) -> str:
    """The gradient-flow map with what each window k drops (hidden until :func:`window_style` shows one).

    flow: (T, T), row s, column t (0-based) = ||dL_s/dh_t|| (``rnnviz.core.diagnostics.gradient_flow``); 0 above
    the diagonal. Cells: data-v = log10 of the entry (NaN where there is none), row by row (group ``log_flow``). For each k of
    ``windows`` (default 1 ... T) a group ``window_k{k}`` (class ``rnnviz-window``, ``data-k``): one grey mark per
    row s with dropped entries, covering t = 1 ... a (data-v = a, the number of dropped terms), and the windows'
    outlines.
    """
    z = log_flow(flow)
    T = z.shape[0]
    if z.shape != (T, T):
        raise ValueError(f"flow_html: expected a (T, T) flow map, got shape {z.shape}")
    windows = range(1, T + 1) if windows is None else [int(k) for k in windows]
    finite = z[np.isfinite(z)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    if hi <= lo:
        lo, hi = lo - 0.5, hi + 0.5
    cs = int(np.clip(380 // max(T, 1), 8, 18))  # px per cell
    small = 11 if cs < 16 else 12
    labels = [str(s) for s in range(1, T + 1)]

    def tip(i: int, j: int, v: float) -> str:
        if j > i:
            return f"s = {i + 1}, t = {j + 1}: no path (t > s)"
        shown = f"{v:.2f}" if math.isfinite(v) else "no value (0)"
        return f"s = {i + 1}, t = {j + 1}: log10 ||dL_s/dh_t|| = {shown}"

    # rows every time-stamp if the cells are tall enough; columns every other one once they have two digits; top = 22:
    # the cells start level with the colour bar's (colourbar draws its title above them)
    c = heatmap_chart(z, labels, labels, vrange=(lo, hi), scale=SEQUENTIAL, cell=(cs, cs), left=52, right=6,
                      group="log_flow", tip=tip, fill=lambda i, j, v: ABOVE if j > i else None,
                      row_ticks=range(0, T, 1 if cs >= 13 else 2), col_ticks=range(0, T, 1 if cs >= 20 or T < 10 else 2),
                      row_size=small, col_size=small, x_title="source time t", y_title="loss time s", top=22)
    # cell (s, t), 1-based, is centred on (t - 1, s - 1)
    for k in windows:
        c.group(f"window_k{k}", cls="rnnviz-window", data={"k": k})
        for s in range(1, T + 1):
            a = ((s - 1) // k) * k  # sources t = 1 ... a are in earlier windows: dropped
            if a == 0:
                continue
            c.bar((a - 1) / 2, s - 1.5, s - 0.5, DROPPED,
                  f"k = {k}, s = {s}: h_1 ... h_{a} dropped (crosses a window boundary){_dropped_sizes(z[s - 1, :a])}",
                  a, width=float(a))
        xs, ys = window_outlines(T, k)
        c.polyline([math.nan if x is None else x - 1 for x in xs], [math.nan if y is None else y - 1 for y in ys],
                   OUTLINE, width=2)
        c.end()
    bar = colourbar(0, title="log<sub>10</sub>", vrange=(lo, hi), height=cs * T)
    note = legend([("dropped by your window k", DROPPED, "bar"), ("no value: ||dL_s/dh_t|| = 0", MISSING, "bar")])
    body = panel("gradient flow log<sub>10</sub> ‖dL<sub>s</sub>/dh<sub>t</sub>‖ (row s, column t)<br/>"
                 "grey: dropped by your window; white outlines: the windows", c.svg("flow_map"), bar,
                 note=narrow(note, c.width + 64))
    return (f'<div class="{VIEW_CLASS} rnnviz-flow" data-name="flow" data-view="{esc(view_id)}">{PANEL_CSS}'
            '<style>.rnnviz-flow .rnnviz-window{display:none}</style>'
            f'<div class="rnnviz-panels">{body}</div></div>')


def window_html(windows: Sequence[int], gap: np.ndarray, gap_whh: np.ndarray, window: int, *, view_id: str) -> str:
    """The gap to the exact gradient for every window k (all parameters, W_hh alone), the current k marked,
    and the style that shows k's dropped entries in the flow view ``view_id`` (:func:`window_style`)."""
    ks = np.asarray(windows, dtype=float)
    gap, gap_whh = np.asarray(gap, dtype=float), np.asarray(gap_whh, dtype=float)
    k = int(window)
    if k not in set(int(v) for v in ks):
        raise ValueError(f"window k: expected one of {int(ks[0])} ... {int(ks[-1])}, got {window!r}")
    g_now = float(gap[list(ks.astype(int)).index(k)])
    vals = np.r_[gap, gap_whh]
    top = float(np.max(vals[np.isfinite(vals)], initial=1e-3))
    top = max(top, 1e-3)
    c = Chart(470, 300, (0.5, ks[-1] + 0.5), (-0.03 * top, 1.1 * top), left=60, right=14, top=14, bottom=42)
    c.y_grid(nice_ticks(0, 1.05 * top, 5)).x_grid(nice_ticks(1, ks[-1], 6))
    c.series("gap_whh", ks, gap_whh, ORANGE, [f"k = {int(x)}: W_hh only, relative error {y:.3g}"
                                              for x, y in zip(ks, gap_whh)], dash=DASH, r=4.5, opacity=0.0,
             what="W_hh only")
    c.series("gap", ks, gap, BLUE, [f"k = {int(x)}: all parameters, relative error {y:.3g}" for x, y in zip(ks, gap)],
             r=2.8, what="all parameters")
    c.group("window_now")
    c.point(k, g_now, VERMILLION, f"your window k = {k}: relative error {g_now:.3g}", g_now, r=7, shape="ring")
    c.end()
    right = k > 0.6 * ks[-1]
    _label(c, k, g_now, f"k = {k}: {g_now:.3g}", VERMILLION, right=right)
    c.x_title("window length k").y_title("‖g<sub>k</sub> − g‖ / ‖g‖")
    note = legend([("all parameters", BLUE, "line"), ("W<sub>hh</sub> only", ORANGE, "dash"),
                   ("your window k", VERMILLION, "ring")])
    return (view(panel("gap to the exact gradient g, for every window k<br/>"
                       f"relative error ‖g<sub>k</sub> − g‖ / ‖g‖; 0 at k = {int(ks[-1])}", c.svg("gap_chart"),
                       note=narrow(note, c.width)),
                 name="window")
            + window_style(view_id, k))


# =========================================================================== clipping one gradient
def clip_html(g: np.ndarray, by_value: np.ndarray, by_norm: np.ndarray, c: float, thresholds: np.ndarray,
              cos_value: np.ndarray, cos_norm: np.ndarray, cosines: tuple[float, float], *, value_on: str = "sum") -> str:
    """1a: every entry of the gradient ``g`` before (x) and after clipping at ``c`` by value and by norm (groups
    ``by_value``, ``by_norm``; data-v = after, data-x = before), y = x and +-c; 1b: the cosine between the clipped
    and the original gradient for every threshold (groups ``cos_value``, ``cos_norm``, every 4th threshold; data-x =
    the threshold) with ``c`` marked (group ``c_now``: the two cosines at c).

    ``value_on="copies"``: ``by_value`` and ``cos_value`` are those of each time-stamp's copy clipped by value before
    the copies are added (groups ``by_copies``, ``cos_copies``); the y axis then holds entries beyond c."""
    x = np.ravel(np.asarray(g, dtype=float))
    yv, yn = np.ravel(by_value), np.ravel(by_norm)
    c = float(c)
    if not (math.isfinite(c) and c > 0):
        raise ValueError(f"threshold c: expected a positive number, got {c!r}")
    if value_on not in ("sum", "copies"):
        raise ValueError(f"value_on: expected 'sum' or 'copies', got {value_on!r}")
    kind = "value" if value_on == "sum" else "copies"
    colour_v, words_v = CLIP_COLORS[kind], "by value" if kind == "value" else "each copy by value"
    lim = float(np.max(np.abs(x))) * 1.05 if x.size and np.max(np.abs(x)) > 0 else 1.0
    shown = np.abs(np.r_[yv, yn])
    shown = shown[np.isfinite(shown)]
    yl = max(min(c, lim), float(shown.max()) if shown.size else 0.0) * 1.15  # every entry after clipping is on it
    shape = np.shape(g)
    cols = shape[-1] if len(shape) == 2 else max(x.size, 1)

    a = Chart(400, 340, (-lim, lim), (-yl, yl), left=60, right=12, top=12, bottom=42)  # 1a and 1b fit a 900 px page
    a.y_grid(nice_ticks(-yl, yl, 5)).x_grid(nice_ticks(-lim, lim, 5))
    m = min(lim, yl)
    a.line([-m, m], [-m, m], GREY, width=1.5, dash=DOT)
    if c < yl:
        for sign in (1, -1):
            a.hline(sign * c, colour=VERMILLION, dash=DASH, width=1)
    for name, ys, colour, shape, words in ((f"by_{'value' if kind == 'value' else 'copies'}", yv, colour_v, "circle",
                                            words_v), ("by_norm", yn, BLUE, "diamond", "by norm")):
        tips = [f"W_hh[{i // cols},{i % cols}] {words}: {xv:.3g} → {y:.3g}" for i, (xv, y) in enumerate(zip(x, ys))]
        a.points(name, x, ys, colour, tips, r=3 if shape == "circle" else 3.6, shape=shape, opacity=0.75,
                 with_x=False, what=words)
    a.x_title("entry before clipping").y_title("entry after clipping")
    value_key = ("clipped by value" if kind == "value"
                 else "each time-stamp's copy clipped by value, then added")
    note_a = legend([(value_key, colour_v, "point"), ("clipped by norm", BLUE, "diamond"),
                     ("unchanged (y = x)", GREY, "dot"), ("threshold +c and −c" if c < yl else "±c: off the chart",
                                                           VERMILLION, "dash")])
    panel_a = panel(f"1a. each entry of the W<sub>hh</sub> gradient ({x.size}):<br/>before (x) and after (y) "
                    f"clipping at c = {fmt(c)}", a.svg("scatter"), note=narrow(note_a, a.width))

    th = np.asarray(thresholds, dtype=float)
    b = Chart(400, 340, (th[0], th[-1]), (0, 1.05), left=52, right=14, top=12, bottom=42, x_log=True)
    b.y_grid([0, 0.2, 0.4, 0.6, 0.8, 1.0]).x_grid()
    pick = np.unique(np.r_[np.arange(0, len(th), 4), len(th) - 1])
    for name, ys, colour, words, dash, width in ((f"cos_{kind}", cos_value, colour_v, words_v, None, 2),
                                                 ("cos_norm", cos_norm, BLUE, "by norm", DASH, 3)):
        ys = np.asarray(ys, dtype=float)
        b.series(name, th, ys, colour, [f"c = {t:.3g}: cosine {words} {y:.4f}" for t, y in zip(th, ys)], dash=dash,
                 width=width, r=4.5, opacity=0.0, marks=pick, what=f"cosine {words}")
    if th[0] <= c <= th[-1]:
        b.vline(c, colour=GREY, dash=DOT, width=1)
        b.group("c_now")
        b.point(c, cosines[0], colour_v, f"your c = {c:.3g}: cosine {words_v} {cosines[0]:.4f}", cosines[0], r=6,
                shape="ring")
        b.point(c, cosines[1], BLUE, f"your c = {c:.3g}: cosine by norm {cosines[1]:.4f}", cosines[1], r=6,
                shape="ring")
        b.end()
    b.x_title("threshold c (log scale)").y_title("cosine(clipped, original)")
    note_b = legend([(words_v, colour_v, "line"), ("by norm (always 1)", BLUE, "dash"), ("your c", GREY, "dot")])
    panel_b = panel("1b. cosine(clipped, original) against the threshold c<br/>"
                    f"at c = {fmt(c)}: {words_v} {cosines[0]:.3f}, by norm {cosines[1]:.3f}", b.svg("cosine"),
                    note=narrow(note_b, b.width))
    return view(panel_a, panel_b, name="clip")


# =========================================================================== training
def _sample(n: int) -> np.ndarray:
    """Indices of the hover marks of a curve of n steps: at most about MAX_MARKS, always the last step."""
    stride = max(1, math.ceil(n / MAX_MARKS))
    return np.unique(np.r_[np.arange(0, n, stride), n - 1]).astype(int) if n else np.zeros(0, dtype=int)


def training_html(plain, clipped, *, kind: str, threshold: float, steps: int, running: bool = False,
                  chance: float | None = None, learned: float | None = None) -> str:
    """2a: the loss of every step of the run without clipping (``plain``) and with it (``clipped``), log scale;
    2b: the gradient norm before clipping of every step, log scale, with the threshold when the run clips by norm.

    ``plain`` / ``clipped``: a :class:`~rnnviz.core.train.TrainResult` or anything with ``losses``,
    ``grad_norms`` (arrays over the steps taken) and ``diverged`` (the run stopped at inf/NaN), or None (not
    trained yet). ``steps``: the length of a full run (the x axis). ``running``: drawn during training.
    Groups: ``loss_plain``, ``loss_clipped``, ``norm_plain``, ``norm_clipped`` (hover marks, data-x = step),
    ``blowup`` (an x per run that became inf/NaN, data-v = the steps it took), ``max_norm`` (the threshold of a run
    clipped by norm). ``kind``: how the clipped run clips, one of :data:`CLIP_COLORS`. ``chance``: the loss of
    guessing (group ``chance``), ``learned``: the loss below which a run counts as learned (group ``learned``),
    both drawn as reference lines on the loss panel.
    """
    if kind not in CLIP_COLORS:
        raise ValueError(f"clipping: expected one of {', '.join(map(repr, CLIP_COLORS))}, got {kind!r}")
    runs = {name: r for name, r in (("plain", plain), ("clipped", clipped)) if r is not None and len(r.losses)}
    if not runs:
        return (f'<div class="{VIEW_CLASS}" data-name="training" data-empty="1" style="color:{MUTED}; font-size:15px; '
                'padding:10px 0">Panels 2a and 2b (the loss and the gradient norm of every step): press '
                '<b>train both</b> above to draw them.</div>')
    colours = {"plain": PLAIN[0], "clipped": CLIP_COLORS[kind]}
    dashes = {"plain": PLAIN[1], "clipped": None}
    label = {"plain": "without clipping", "clipped": f"with {CLIP_WORDS[kind]} (c = {threshold:g})"}
    max_norm = kind == "norm" and clipped is not None
    # the axes hold every finite value, however far a run blew up (values off them would be lost to the student)
    refs = [v for v in (chance, learned) if v is not None]
    loss_range = log_range(*[r.losses for r in runs.values()], refs, pad=0.3)
    norm_range = log_range(*[r.grad_norms for r in runs.values()], [threshold] if max_norm else [], pad=0.3)
    x_max = max([steps] + [len(r.losses) for r in runs.values()])
    panels = []
    for what, rng, title in (("loss", loss_range, "2a. training loss (log scale)"),
                             ("norm", norm_range, "2b. gradient norm ‖g‖ before clipping (log scale)")):
        ch = Chart(TRAIN_W, 300, (0, x_max + 1), rng, left=60, right=16, top=14, bottom=42, y_log=True)
        ch.y_grid().x_grid(nice_ticks(0, x_max, 6))
        if what == "loss" and chance is not None:
            ch.hline(chance, label=f"chance (guessing) {fmt(chance, 3)}", colour=GREY, dash=DOT, name="chance",
                     tip=f"the loss of guessing every symbol at random: {fmt(chance, 4)}", anchor="start")
        if what == "loss" and learned is not None:
            ch.hline(learned, label=f"learned: below {fmt(learned, 3)}", colour=GREY, dash=DASHDOT, name="learned",
                     tip=f"a run has learned when its final loss is below {fmt(learned, 4)}", anchor="start")
        if what == "norm" and max_norm:
            ch.hline(threshold, colour=GREY, dash=DOT, name="max_norm",
                     tip=f"the threshold c of the run clipped by norm: {threshold:g}")
        for name, r in runs.items():
            ys = np.asarray(r.losses if what == "loss" else r.grad_norms, dtype=float)
            xs = np.arange(1, len(ys) + 1, dtype=float)
            noun = "loss" if what == "loss" else "||g||"
            ch.series(f"{what}_{name}", xs, ys, colours[name],
                      [f"{label[name]}, step {int(s)}: {noun} {fmt(y, 4)}" for s, y in zip(xs, ys)], dash=dashes[name],
                      r=4.5, opacity=0.0, marks=_sample(len(ys)), what=f"{label[name]}, {noun}")
        if what == "loss":
            ch.group("blowup")
            for name, r in runs.items():
                if r.diverged:
                    n = len(r.losses)
                    last = float(r.losses[-1])
                    y = last if math.isfinite(last) and last > 0 else 10 ** ch.y1
                    ch.point(n, y, colours[name], f"{label[name]}: the loss became inf/NaN after step {n} "
                             f"(last finite loss {fmt(last)})", n, r=6, shape="cross")
                    _label(ch, n, y, f"inf/NaN after step {n}", colours[name], right=ch.px(n) > ch.width * 0.6,
                           dy=14 if ch.py(y) < ch.top + 20 else -8)
            ch.end()
        ch.x_title("training step").y_title("loss" if what == "loss" else "‖g‖")
        items = [("training " + label[name], colours[name], "dash" if dashes[name] else "line") for name in runs]
        if what == "norm" and max_norm:
            items.append(("c of the run clipped by norm", GREY, "dot"))
        if what == "loss" and any(r.diverged for r in runs.values()):
            items.append(("became inf/NaN here", PLAIN[0], "cross"))
        panels.append(panel(title + ("<br/>training …" if running else "<br/>&#8203;"), ch.svg(f"{what}_chart"),
                            note=narrow(legend(items), ch.width)))
    return view(*panels, name="training")
