r"""Views of lesson 7: layer normalization (Ba, Kiros & Hinton, 2016), in the chapter's notation.

    a_t = W_xh x_t + W_hh h_{t-1},   u_t = (1/p) sum_i a_ti,   sigma_t = sqrt((1/p) sum_i a_ti**2 - u_t**2)
    h_t = tanh(gamma / sigma_t * (a_t - u_t) + beta)

Drawn as SVG by rnnviz (:mod:`rnnviz.viz.svg`). Pure functions return the HTML of the views:

* :func:`step_html` -- **one step, stage by stage**: the same pre-activation a_t of p units goes
  through a vanilla cell (straight into tanh) and through a layer-normalized one (a_t - u_t, divided
  by sigma_t, gain and bias, then tanh); tanh'(.) = 1 - h_t**2 under each, and a table of every number.
* :func:`sequence_html` -- **a whole sequence**: for a vanilla and a layer-norm network on the same
  weights and inputs, the norm of what enters tanh, ||h_t|| and ||dL_T/dh_t|| over t, on log axes.
* :func:`training_html` -- **training**: the loss and the gradient norm of every step of both networks
  trained from the same start (empty, with a hint, before the first run).

The numbers (:class:`StepNumbers`, :class:`SequenceTrace`) come from :mod:`rnnviz.lessonmath.layernorm`,
which reads them from the core's cells; this module only draws them. Every bar and point carries its value
in ``data-v`` and a hover text;
:func:`rnnviz.viz.svg.marks` reads them back by the group names listed in each function.
"""

from __future__ import annotations

import math

import numpy as np

from ..lessonmath.layernorm import SATURATED, SequenceTrace, StepNumbers
from .gradients import _curve, _fit, _missing_note, for_log_axis, time_ticks
from .svg import (
    BLUE, DASH, DOT, GREY, GRID, MUTED, ORANGE, PALE, PANEL_CSS, VERMILLION, VIEW_CLASS, Chart, colour_of, esc, fmt,
    ink, legend, log_range, narrow, nice_ticks, panel, view,
)

__all__ = ["SATURATED", "SequenceTrace", "StepNumbers", "sequence_html", "step_html", "training_html"]

STEP_W, STEP_H = 150, 190  # px, each stage's chart: six in a row fit a 1024 px projector
SEQ_W, SEQ_H = 300, 290  # px, each chart of the sequence view: three in a row fit a 1024 px projector
#: the colour of each network in the sequence view (and of each row's title in the step view)
CELL_COLOURS = {"vanilla": BLUE, "layernorm": ORANGE}


def _symmetric(*arrays, least: float = 1.0) -> float:
    """A symmetric axis limit holding every finite value of ``arrays`` (at least ``least``), 5 % headroom."""
    vals = np.concatenate([np.ravel(np.asarray(a, dtype=float)) for a in arrays])
    vals = vals[np.isfinite(vals)]
    return max(least, 1.05 * float(np.max(np.abs(vals)))) if vals.size else least


def _stage(values: np.ndarray, name: str, what: str, top: float, *, guides: tuple[float, ...] = (),
           line: float | None = None, line_label: str = "", colour=None) -> str:
    """One stage: p bars (unit 1 ... p) on the axis +-top, with dashed ``guides`` and an optional line at ``line``."""
    p = values.size
    c = Chart(STEP_W, STEP_H, (-0.5, p - 0.5), (-top, top), left=42, bottom=36, top=10)
    c.y_grid(nice_ticks(-top, top, 4))
    for g in guides:
        c.hline(g, colour=GREY, dash=DOT, width=1)
    c.group(name)
    for i, v in enumerate(values):
        fill = colour(v) if colour is not None else colour_of(v, top)
        c.bar(i, 0, v, fill, f"unit {i + 1}: {what} = {fmt(v, 4)}", v, width=0.7, outline=PALE)
    c.end()
    if line is not None:
        c.hline(line, colour=VERMILLION, dash=DASH, width=2, name=f"{name}_line", tip=f"{line_label} = {fmt(line, 4)}")
    c.x_labels([str(i + 1) for i in range(p)], every=1 if p <= 12 else 2).x_title("unit i")
    return c.svg(f"{name}_chart")


def _slope_colour(v: float) -> str:
    return VERMILLION if v < SATURATED else GREY


def _stage_panel(title: str, svg: str) -> str:
    return (f'<div class="rnnviz-panel"><div class="rnnviz-panel-title" style="min-height:2.6em">{title}</div>'
            f"{svg}</div>")


def _arrow(text: str) -> str:
    return (f'<div class="rnnviz-panel" style="grid-column: span 3; align-self:center; text-align:center; '
            f'color:{MUTED}; font-size:14px">{text}</div>')


def step_html(n: StepNumbers, gamma: np.ndarray, beta: np.ndarray) -> str:
    """One step of a vanilla and a layer-normalized cell on the same a_t, stage by stage, and their numbers.

    Groups read back by :func:`rnnviz.viz.svg.marks` (p values each, unit 1 first): ``a`` (a_t),
    ``h_vanilla``, ``dphi_vanilla`` (1 - h**2), ``centered`` (a_t - u_t), ``z`` ((a_t - u_t) / sigma_t),
    ``s`` (gamma z + beta), ``h_layernorm``, ``dphi_layernorm``; one value each: ``a_line`` (u_t drawn on
    a_t), ``mu`` and ``sigma`` (in the text above the table).
    """
    a, hv, z, s, hl = (np.asarray(v, dtype=float).ravel() for v in (n.a, n.h_vanilla, n.z, n.s, n.h_layernorm))
    p = a.size
    if not all(v.shape == (p,) for v in (hv, z, s, hl)) or p == 0:
        raise ValueError(f"step_html: a, h and z must be (p,) arrays of one size, got {[v.shape for v in (a, hv, z, s, hl)]}")
    mu, sigma = float(n.mu), float(n.sigma)
    centered = a - mu
    dv, dl = 1.0 - hv * hv, 1.0 - hl * hl
    gamma, beta = np.broadcast_to(np.asarray(gamma, float), (p,)), np.broadcast_to(np.asarray(beta, float), (p,))

    top_a = _symmetric(a, centered)
    top_z = _symmetric(z, least=math.sqrt(p - 1) if p > 1 else 1.0)  # |z_i| <= sqrt(p - 1) always
    top_s = _symmetric(s, least=top_z)
    tanh_top = 1.15

    def h_stage(values, name):
        return _stage(values, name, "h_t", tanh_top, guides=(-1.0, 1.0))

    def d_stage(values, name):
        c = Chart(STEP_W, STEP_H, (-0.5, p - 0.5), (0, 1.1), left=42, bottom=36, top=10)
        c.y_grid([0, 0.5, 1])
        c.group(name)
        for i, v in enumerate(values):
            c.bar(i, 0, v, _slope_colour(v), f"unit {i + 1}: tanh′ = 1 − h² = {fmt(v, 4)}"
                  + (" (saturated)" if v < SATURATED else ""), v, width=0.7)
        c.end()
        for i, v in enumerate(values):  # a saturated unit's bar is too short to see: a red dot at its foot
            if v < SATURATED:
                c.point(i, 0.05, VERMILLION, r=4)
        c.x_labels([str(i + 1) for i in range(p)], every=1 if p <= 12 else 2).x_title("unit i")
        return c.svg(f"{name}_chart")

    vanilla = [
        _stage_panel("a<sub>t</sub> = W<sub>xh</sub>x<sub>t</sub> + W<sub>hh</sub>h<sub>t−1</sub>",
                     _stage(a, "a_vanilla", "a_t", top_a)),
        _arrow("no normalization:<br/>a<sub>t</sub> goes straight into tanh &#8594;"),
        _stage_panel("h<sub>t</sub> = tanh(a<sub>t</sub>)", h_stage(hv, "h_vanilla")),
        _stage_panel(f"tanh′ = 1 − h<sub>t</sub><sup>2</sup> <span style='color:{VERMILLION}'>(red: saturated)</span>",
                     d_stage(dv, "dphi_vanilla")),
    ]
    normed = [
        _stage_panel("a<sub>t</sub>, and its mean u<sub>t</sub> (red)",
                     _stage(a, "a", "a_t", top_a, line=mu, line_label="u_t")),
        _stage_panel("a<sub>t</sub> − u<sub>t</sub>", _stage(centered, "centered", "a_t − u_t", top_a)),
        _stage_panel("z = (a<sub>t</sub> − u<sub>t</sub>) / σ<sub>t</sub>", _stage(z, "z", "z", top_z)),
        _stage_panel("γ ⊙ z + β", _stage(s, "s", "γ z + β", top_s)),
        _stage_panel("h<sub>t</sub> = tanh(γ ⊙ z + β)", h_stage(hl, "h_layernorm")),
        _stage_panel("tanh′ = 1 − h<sub>t</sub><sup>2</sup>", d_stage(dl, "dphi_layernorm")),
    ]

    def row(title, colour, panels):  # a title across the six columns, then the row's stages
        return (f'<div style="grid-column:1 / -1; font-weight:600; color:{ink(colour)}; margin:6px 0 0 0">{title}</div>'
                + "".join(panels))

    sat_v, sat_l = int(np.sum(dv < SATURATED)), int(np.sum(dl < SATURATED))
    stats = (f'<div style="margin:8px 0 4px 0; font-size:14px">u<sub>t</sub> = (1/p) Σ<sub>i</sub> a<sub>ti</sub> = '
             f'<b data-name="mu" data-v="{mu!r}">{esc(fmt(mu, 4))}</b>, &#160; σ<sub>t</sub> = '
             f'√((1/p) Σ<sub>i</sub> a<sub>ti</sub><sup>2</sup> − u<sub>t</sub><sup>2</sup>) = '
             f'<b data-name="sigma" data-v="{sigma!r}">{esc(fmt(sigma, 4))}</b> &#160; (p = {p}). '
             f"Saturated units (tanh′ &lt; {SATURATED}): vanilla <b>{sat_v}</b> of {p}, layer norm <b>{sat_l}</b> of {p}.</div>")
    head = "".join(f"<th>{h}</th>" for h in (
        "unit i", "a<sub>ti</sub>", "a<sub>ti</sub> − u<sub>t</sub>", "z<sub>i</sub>", "γ<sub>i</sub>", "β<sub>i</sub>",
        "γ<sub>i</sub> z<sub>i</sub> + β<sub>i</sub>", "h<sub>ti</sub> layer norm", "tanh′ layer norm",
        "h<sub>ti</sub> vanilla", "tanh′ vanilla"))
    body = "".join(
        "<tr>" + f"<td>{i + 1}</td>" + "".join(f"<td>{esc(fmt(v, 4))}</td>" for v in (
            a[i], centered[i], z[i], gamma[i], beta[i], s[i], hl[i], dl[i], hv[i], dv[i])) + "</tr>" for i in range(p))
    table = ('<table class="rnnviz-numbers" style="border-collapse:collapse; font-size:13.5px; '
             'font-variant-numeric:tabular-nums"><thead><tr>' + head + "</tr></thead><tbody>" + body + "</tbody></table>")
    css = ("<style>.rnnviz-view .rnnviz-numbers td, .rnnviz-view .rnnviz-numbers th{padding:2px 8px; "
           f"text-align:right; border-bottom:1px solid {GRID}}}</style>")
    return (f'<div class="{VIEW_CLASS}" data-name="step">{PANEL_CSS}{css}'
            # one grid for both rows: h_t and tanh' of the two cells sit in the same columns
            + '<div style="display:grid; grid-template-columns:repeat(6, auto); gap:4px 10px; justify-content:start; '
              'align-items:start">'
            + row("Vanilla cell: h<sub>t</sub> = tanh(a<sub>t</sub>)", BLUE, vanilla)
            + row("Layer-normalized cell: h<sub>t</sub> = tanh(γ/σ<sub>t</sub> ⊙ (a<sub>t</sub> − u<sub>t</sub>) + β)",
                  ORANGE, normed)
            + "</div>" + stats + table + "</div>")


# =========================================================================== a sequence
#: how each network is named in hover texts and notes, and how its curve is dashed
LABELS = {"vanilla": "vanilla", "layernorm": "layer norm"}
DASHES = {"vanilla": DASH, "layernorm": None}


def _log_panel(title: str, name: str, series: dict[str, np.ndarray], tip: str, y_title: str, note: str = "", *,
               x_title: str = "time-stamp t", width: int = SEQ_W, pad: float = 0.3, r: float = 2.5,
               chance: float | None = None) -> str:
    """One log-axis panel: a curve per network of ``series`` (kind -> values at t = 1, 2, ...), group
    ``{name}_{kind}``, and a note on the values a log axis cannot show. ``chance``: a reference line (group
    ``chance``) at the loss of guessing."""
    T = max(np.size(v) for v in series.values())
    arrays = {kind: np.asarray(v, dtype=float) for kind, v in series.items()}
    refs = [chance] if chance is not None else []
    c = Chart(width, SEQ_H, (0.5, T + 0.5), log_range(*[for_log_axis(v) for v in arrays.values()], refs, pad=pad),
              y_log=True, left=58, bottom=40)
    c.y_grid().x_grid(time_ticks(T))
    if chance is not None:
        c.hline(chance, label=f"chance (guessing) {fmt(chance, 3)}", colour=GREY, dash=DOT, name="chance",
                tip=f"the loss of guessing every symbol at random: {fmt(chance, 4)}", anchor="start")
    missing = ""
    for kind, values in arrays.items():
        _curve(c, f"{name}_{kind}", np.arange(1, values.size + 1), values, CELL_COLOURS[kind], tip, r=r,
               dash=DASHES[kind])
        missing += _missing_note(f"{LABELS[kind]} {y_title}", values)
    c.x_title(x_title).y_title(y_title)
    # the title wraps within the chart's width: a long one would widen the panel and push the next onto a new row
    return panel(narrow(title, c.width), c.svg(f"{name}_chart"), note=_fit(c.width, note + missing))


def sequence_html(vanilla: SequenceTrace, layernorm: SequenceTrace) -> str:
    """A vanilla and a layer-norm network on the same weights and inputs: three norms over t, log axes.

    Groups read back by :func:`rnnviz.viz.svg.marks`, one value per time-stamp (those a log axis cannot
    show -- 0, inf, NaN -- have no mark): ``pre_vanilla``, ``pre_layernorm`` (||what enters tanh||),
    ``h_vanilla``, ``h_layernorm`` (||h_t||), ``grad_vanilla``, ``grad_layernorm`` (||dL_T/dh_t||).
    """
    traces = {"vanilla": vanilla, "layernorm": layernorm}
    T = vanilla.pre.size
    for kind, tr in traces.items():
        if T == 0 or any(np.shape(v) != (T,) for v in tr):
            raise ValueError(f"sequence_html: every norm must be a (T,) array with T = {T} >= 1; {kind} has "
                             f"{[np.shape(v) for v in tr]}")
    keys = legend([("vanilla", BLUE, "dash"), ("layer norm", ORANGE, "line")])
    def series(field):
        return {kind: getattr(tr, field) for kind, tr in traces.items()}

    p1 = _log_panel("what enters tanh: ‖a<sub>t</sub>‖ (vanilla),<br/>‖γ&#160;⊙&#160;z<sub>t</sub>&#160;+&#160;β‖ (layer norm)", "pre",
                    series("pre"), "‖input of tanh‖", "‖input of tanh‖", keys)
    p2 = _log_panel("the state ‖h<sub>t</sub>‖", "h", series("h"), "‖h_t‖", "‖h<sub>t</sub>‖", keys)
    p3 = _log_panel("gradient reaching h<sub>t</sub>: ‖dL<sub>T</sub>/dh<sub>t</sub>‖", "grad", series("grad"),
                    "‖dL_T/dh_t‖", "‖dL<sub>T</sub>/dh<sub>t</sub>‖", keys)
    return view(p1, p2, p3, name="sequence")


# =========================================================================== training
def training_html(vanilla, layernorm, *, chance: float | None = None) -> str:
    """The loss and the gradient norm of every training step of both networks, log axes.

    ``vanilla`` / ``layernorm``: a :class:`~rnnviz.core.train.TrainResult` (or anything with ``losses`` and
    ``grad_norms``, arrays over the steps taken), or None (not trained yet). With neither, a view marked empty
    (``data-empty="1"``) says how to train. Groups read back by :func:`rnnviz.viz.svg.marks`, one value per step
    (those a log axis cannot show have no mark): ``loss_vanilla``, ``loss_layernorm``, ``gnorm_vanilla``,
    ``gnorm_layernorm``. ``chance``: the loss of guessing, a reference line (group ``chance``) on the loss panel.
    """
    runs = {kind: r for kind, r in (("vanilla", vanilla), ("layernorm", layernorm)) if r is not None and len(r.losses)}
    if not runs:
        return (f'<div class="{VIEW_CLASS}" data-name="training" data-empty="1" style="color:{MUTED}; font-size:15px; '
                'padding:10px 0">The loss and the gradient norm of every step: press <b>train both</b> above to '
                "draw them.</div>")
    keys = legend([(LABELS[kind], CELL_COLOURS[kind], "dash" if DASHES[kind] else "line") for kind in runs])
    panels = [_log_panel(title, name, {kind: getattr(r, field) for kind, r in runs.items()}, tip, tip, keys,
                         x_title="training step", width=SEQ_W + 60, pad=0.2, r=1.6,
                         chance=chance if name == "loss" else None)
              for field, name, title, tip in (("losses", "loss", "loss of each step (log scale)", "loss"),
                                              ("grad_norms", "gnorm", "gradient norm ‖g‖ of each step (log scale)",
                                               "‖g‖"))]
    return view(*panels, name="training")
