r"""Plotly views of backpropagation through time: losses, dL/dy_t, dL/dh_t, per-time-stamp copies and their sum.

Pure functions. :func:`bptt_figures` builds lesson 4's two ``LiveFigure``\ s with named
traces (:class:`BPTTFigures`); :func:`update_bptt_figures` fills them for one time-stamp t
and one weight from a *trace* object; :func:`show_gradient_check` draws a gradient check.

Two figures, because plotly redraws a whole figure for every widget update: a move of t
should redraw only the panels that change with t.

* ``time`` — **at time-stamp t**, one row, left to right as the backward step computes it:
  dL/dy_t; dL/dh_t and its two terms; the copy dL/dW^(t); the running sum over s >= t.
* ``sequence`` — **over the whole sequence**: top, the loss per time-stamp and the true
  gradient (right under the running sum, at the same place, size and colour scale);
  bottom, the size of each copy, the relative gap of the running sum, the gradient check
  (analytic against numeric). A move of t changes only its highlights here.

The trace is any object with these attributes (``rnnviz.widgets.bptt.BackwardTrace``
is one); index 0 is the chapter's t = 1, T time-stamps, p hidden units, d tokens:

* ``tokens`` (d,) str, ``inputs`` / ``targets`` (T,) ids, ``loss_per_step`` (T,);
* ``dY`` (T, d) = p_t - onehot(j_t); ``dh``, ``dh_output``, ``dh_future`` (T, p);
* dicts keyed by ``"W_hh"``, ``"W_xh"``, ``"W_hy"``: ``copies`` and ``running``
  (T, ...), ``grads`` (...), ``gaps`` and ``copy_norms`` (T,).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import NamedTuple

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .live import LiveFigure

__all__ = [
    "BPTTFigures", "TITLES", "TRACES", "bptt_figures", "draw_sequence", "draw_time", "draw_weight",
    "show_gradient_check", "token_label", "unit_labels", "update_bptt_figures",
]

BLUE, ORANGE, GREEN, GREY, RED, LIGHT = "#2563eb", "#ea580c", "#16a34a", "#9ca3af", "#dc2626", "#93c5fd"
WEIGHT_COLORS = {"W_hh": BLUE, "W_xh": GREEN, "W_hy": "#9333ea"}


def _index(names: list[str]) -> dict[str, int]:
    return {name: i for i, name in enumerate(names)}


#: Trace indices by figure ("time": at time-stamp t, "sequence": over the whole sequence) and name,
#: in the order :func:`bptt_figures` adds them. ``BPTTFigures.data(name)`` finds a trace by name alone.
TRACES = {
    "time": _index(["dY", "dh_output", "dh_future", "dh", "copy", "running"]),
    "sequence": _index(["loss", "grad", "copy_norms", "gap", "gap_now",
                        "check_W_hh", "check_W_xh", "check_W_hy", "diagonal"]),
}
#: Index in each figure's ``layout.annotations`` of its panels' titles (then the gradient-check placeholder).
TITLES = {
    "time": _index(["dY", "dh", "copy", "running"]),
    "sequence": _index(["loss", "grad", "copy_norms", "gap", "check", "check_hint"]),
}

_AXES = {  # the heatmap rows and columns of each weight: (y labels, x labels, y title, x title)
    "W_hh": ("units", "units", "h<sub>t</sub> unit", "h<sub>t−1</sub> unit"),
    "W_xh": ("units", "tokens", "h<sub>t</sub> unit", "input x<sub>t</sub>"),
    "W_hy": ("tokens", "units", "output y<sub>t</sub>", "h<sub>t</sub> unit"),
}
_NAMES = {"W_hh": "W<sub>hh</sub>", "W_xh": "W<sub>xh</sub>", "W_hy": "W<sub>hy</sub>"}

# Both figures: one fixed width that fits the app (a narrower notebook scrolls the app box instead of
# squeezing titles, legends and colour bars into each other), the same side margins, so that the true
# gradient sits exactly under the running sum. Panel x domains are fractions of the plotting width.
WIDTH = 1150
_MARGIN = dict(l=60, r=80)
_TIME_X = {"dY": (0.0, 0.22), "dh": (0.275, 0.43), "copy": (0.515, 0.71), "running": (0.805, 1.0)}
_SEQUENCE_X = {"loss": (0.0, 0.71), "grad": _TIME_X["running"],
               "copy_norms": (0.0, 0.27), "gap": (0.355, 0.625), "check": (0.72, 1.0)}


class BPTTFigures(NamedTuple):
    """Lesson 4's two figures: what a move of t redraws, and what it only highlights."""

    time: LiveFigure  # at time-stamp t: dL/dy_t, dL/dh_t, the copy, the running sum
    sequence: LiveFigure  # over the whole sequence: losses, true gradient, copy sizes, gaps, gradient check

    @staticmethod
    def figure_of(name: str) -> str:
        """``"time"`` or ``"sequence"``: the figure that holds the trace or title ``name``."""
        for which in ("time", "sequence"):
            if name in TRACES[which] or name in TITLES[which]:
                return which
        raise KeyError(name)

    def data(self, name: str):
        """The trace called ``name`` (a key of ``TRACES["time"]`` or ``TRACES["sequence"]``), in its figure."""
        which = self.figure_of(name)
        return getattr(self, which).data[TRACES[which][name]]

    def title(self, name: str):
        """The title annotation called ``name`` (a key of ``TITLES["time"]`` or ``TITLES["sequence"]``)."""
        which = self.figure_of(name)
        return getattr(self, which).layout.annotations[TITLES[which][name]]

    @contextmanager
    def batch_update(self) -> Iterator[None]:
        """Batch both figures: one message each, the ``time`` figure's first (it leaves when its batch closes,
        the inner one), so the student sees the panels of t change first."""
        with self.sequence.batch_update(), self.time.batch_update():
            yield


def token_label(token: str) -> str:
    """A token as an axis label: the space as '␣', the unknown token as 'unk' (no angle brackets for HTML)."""
    return {" ": "␣", "<unk>": "unk"}.get(token, token)


def unit_labels(p: int) -> list[str]:
    return [f"h{i + 1}" for i in range(p)]


def _place(fig: go.Figure, domains: dict[str, tuple[float, float]]) -> None:
    """Move each panel (in the order make_subplots made them) to its x domain, its title above it."""
    for i, (x0, x1) in enumerate(domains.values()):
        axis = fig.layout["xaxis" if i == 0 else f"xaxis{i + 1}"]
        axis.domain = (x0, x1)
        fig.layout.annotations[i].x = (x0 + x1) / 2


def _colorbar(x: float, y: tuple[float, float], title: str, thickness: int = 12) -> dict:
    return dict(x=x, y=(y[0] + y[1]) / 2, len=y[1] - y[0], thickness=thickness, title=dict(text=title))


def _time_figure() -> LiveFigure:
    """One row, as the backward step at t computes it: dL/dy_t, dL/dh_t, the copy, the running sum."""
    fig = make_subplots(rows=1, cols=4, subplot_titles=("dL/dŷ<sub>t</sub>", "dL/dh<sub>t</sub>", "copy", "running sum"))
    fig.add_bar(name="dL/dŷ", showlegend=False, row=1, col=1, textposition="outside", cliponaxis=False,
                hovertemplate="token %{x}: %{y:.3f}<extra></extra>")
    fig.add_bar(name="from y<sub>t</sub>: W<sub>hy</sub><sup>T</sup>dL/dy<sub>t</sub>", marker_color=LIGHT, row=1, col=2,
                hovertemplate="%{x}: %{y:.3f}<extra>from the output</extra>")
    fig.add_bar(name="from t+1: W<sub>hh</sub><sup>T</sup>(Φ′⊙dL/dh<sub>t+1</sub>)", marker_color=GREEN, row=1, col=2,
                hovertemplate="%{x}: %{y:.3f}<extra>from t+1</extra>")
    fig.add_scatter(name="dL/dh<sub>t</sub>", mode="markers", marker=dict(symbol="diamond", size=9, color="black"),
                    row=1, col=2, hovertemplate="%{x}: %{y:.3f}<extra>dL/dh_t</extra>")
    fig.add_heatmap(name="copy", coloraxis="coloraxis2", row=1, col=3, hoverongaps=False,
                    hovertemplate="row %{y}, column %{x}: %{z:.4f}<extra>copy</extra>")
    fig.add_heatmap(name="running sum", coloraxis="coloraxis", row=1, col=4, hoverongaps=False,
                    hovertemplate="row %{y}, column %{x}: %{z:.4f}<extra>running sum</extra>")
    fig.update_annotations(font_size=13)
    _place(fig, _TIME_X)
    y = fig.layout.yaxis.domain
    fig.update_layout(
        width=WIDTH, height=440, margin=dict(**_MARGIN, t=62, b=105), template="plotly_white", barmode="relative",
        bargap=0.15,
        # the copy has its own scale, beside it; the running sum the true gradient's (the same limits, set together)
        coloraxis=dict(colorscale="RdBu_r", cmid=0, colorbar=_colorbar(1.01, y, "sum,<br>true")),
        coloraxis2=dict(colorscale="RdBu_r", cmid=0, colorbar=_colorbar(_TIME_X["copy"][1] + 0.008, y, "copy", 10)),
        legend=dict(orientation="v", x=sum(_TIME_X["dh"]) / 2, y=-0.1, xanchor="center", yanchor="top",
                    font=dict(size=11)),
        hoverlabel=dict(font_size=12),
    )
    # every category labelled (dtick=1): plotly would skip every other token of a long sentence, x_t among them;
    # upright (tickangle=0): single characters turned on their side read worse than touching ones
    fig.update_xaxes(type="category", dtick=1, tickangle=0, col=1)
    fig.update_xaxes(type="category", col=2)
    fig.update_xaxes(title_text="token k (j<sub>t</sub>: the true next one)", col=1)
    fig.update_yaxes(range=[-1.05, 1.05], col=1)
    for col in (3, 4):
        fig.update_xaxes(type="category", dtick=1, tickangle=0, col=col)
        fig.update_yaxes(type="category", dtick=1, autorange="reversed", col=col)
    return LiveFigure(fig)


def _sequence_figure() -> LiveFigure:
    """Top: the loss per time-stamp, the true gradient; bottom: copy sizes, the gap, the gradient check."""
    fig = make_subplots(
        rows=2, cols=3, specs=[[{"colspan": 2}, None, {}], [{}, {}, {}]], vertical_spacing=0.19,
        row_heights=[0.53, 0.47],
        subplot_titles=("loss per time-stamp", "true gradient",
                        "size of each copy", "gap to the true gradient", "gradient check"),
    )
    fig.add_bar(name="loss", showlegend=False, row=1, col=1,
                hovertemplate="t = %{x}: %{customdata}<br>loss %{y:.3f}<extra></extra>")
    fig.add_heatmap(name="true gradient", coloraxis="coloraxis", row=1, col=3, hoverongaps=False,
                    hovertemplate="row %{y}, column %{x}: %{z:.4f}<extra>true gradient</extra>")
    fig.add_bar(name="‖copy‖", showlegend=False, row=2, col=1,
                hovertemplate="t = %{x}: ‖copy‖ = %{y:.4f}<extra></extra>")
    fig.add_scatter(name="gap", mode="lines+markers", showlegend=False, line=dict(color=GREY), marker=dict(size=4),
                    row=2, col=2, hovertemplate="t = %{x}: gap %{y:.3g}<extra></extra>")
    fig.add_scatter(name="gap now", mode="markers+text", showlegend=False, textposition="top right",
                    marker=dict(size=11, color=ORANGE), textfont=dict(color=ORANGE), cliponaxis=False, row=2, col=2,
                    hovertemplate="t = %{x}: gap %{y:.3g}<extra></extra>")
    for name, color in WEIGHT_COLORS.items():
        fig.add_scatter(name=name, mode="markers", marker=dict(size=6, color=color, opacity=0.75), row=2, col=3,
                        hovertemplate="numeric %{x:.6f}<br>analytic %{y:.6f}<extra>" + name + "</extra>")
    fig.add_scatter(name="analytic = numeric", mode="lines", line=dict(color=GREY, dash="dash", width=1), row=2, col=3,
                    hoverinfo="skip")
    fig.add_annotation(text="press <b>Run gradient check</b>", showarrow=False, xref="x5 domain", yref="y5 domain",
                       x=0.5, y=0.5, font=dict(color=GREY, size=14))
    fig.update_annotations(font_size=13)
    _place(fig, _SEQUENCE_X)
    fig.update_layout(
        width=WIDTH, height=690, margin=dict(**_MARGIN, t=40, b=55), template="plotly_white", bargap=0.15,
        coloraxis=dict(colorscale="RdBu_r", cmid=0, colorbar=_colorbar(1.01, fig.layout.yaxis2.domain, "sum,<br>true")),
        legend=dict(x=_SEQUENCE_X["check"][0] + 0.01, y=fig.layout.yaxis5.domain[1] - 0.005, xanchor="left",
                    yanchor="top", bgcolor="rgba(255,255,255,0.75)", font=dict(size=11)),
        hoverlabel=dict(font_size=12),
    )
    fig.update_xaxes(title_text="time-stamp t (tick: input x<sub>t</sub>)", row=1, col=1)
    fig.update_yaxes(title_text="−log p̂<sub>t</sub>(j<sub>t</sub>)", row=1, col=1)
    fig.update_xaxes(type="category", dtick=1, tickangle=0, row=1, col=3)
    fig.update_yaxes(type="category", dtick=1, autorange="reversed", row=1, col=3)
    fig.update_xaxes(title_text="time-stamp s", row=2, col=1)
    fig.update_xaxes(title_text="the backward pass has reached t", row=2, col=2)
    fig.update_yaxes(title_text="‖Σ<sub>s≥t</sub> − true‖ / ‖true‖", row=2, col=2)
    fig.update_xaxes(title_text="numeric (finite differences)", row=2, col=3)
    fig.update_yaxes(title_text="analytic (BPTT)", row=2, col=3)
    return LiveFigure(fig)


def bptt_figures() -> BPTTFigures:
    """The two empty figures; fill them with :func:`update_bptt_figures`."""
    return BPTTFigures(_time_figure(), _sequence_figure())


def _labels(kind: str, tokens, p: int) -> list[str]:
    return unit_labels(p) if kind == "units" else [token_label(t) for t in tokens]


def _sym(*arrays) -> float:
    m = max(float(np.max(np.abs(a))) if np.size(a) else 0.0 for a in arrays)
    return m if m > 0 else 1.0


def _token_font(d: int) -> dict:
    """Tick labels for d tokens, one per token, in a ~200 px wide panel."""
    return dict(size=11 if d <= 16 else 9)


def update_bptt_figures(figs: BPTTFigures, trace, t: int, weight: str) -> None:
    """Everything: the sequence, the copies of ``weight`` and time-stamp ``t`` (1-based, as in the chapter)."""
    with figs.batch_update():
        draw_sequence(figs, trace)
        draw_weight(figs, trace, weight)
        draw_time(figs, trace, t, weight)


def draw_sequence(figs: BPTTFigures, trace) -> None:
    """What depends on the sentence and the weights only: the loss bars, the fixed ranges."""
    T = len(trace.inputs)
    labels = [token_label(tok) for tok in trace.tokens]
    ts = np.arange(1, T + 1)
    seq = figs.sequence
    dh_lim = 1.1 * _sym(np.abs(trace.dh_output) + np.abs(trace.dh_future), trace.dh)
    with figs.batch_update():
        loss = figs.data("loss")
        loss.x, loss.y = ts, trace.loss_per_step
        loss.customdata = [f"{labels[a]} → {labels[b]}" for a, b in zip(trace.inputs, trace.targets)]
        seq.layout.xaxis.update(tickmode="array", tickvals=ts, ticktext=[labels[a] for a in trace.inputs],
                                tickfont=dict(size=11 if T <= 25 else 9), range=[0.5, T + 0.5])
        seq.layout.yaxis.range = [0, 1.15 * max(float(trace.loss_per_step.max()), 1e-9)]
        figs.time.layout.xaxis.tickfont = _token_font(len(labels))  # dL/dy_t: one bar per token
        figs.time.layout.yaxis2.range = [-dh_lim, dh_lim]  # dL/dh_t: one range for every t
        for axis in ("xaxis3", "xaxis4"):  # size of each copy, gap
            seq.layout[axis].range = [0.5, T + 0.5]
        figs.title("loss").text = f"loss per time-stamp (total L = {trace.loss:.2f})"


def draw_weight(figs: BPTTFigures, trace, weight: str) -> None:
    """What depends on the chosen weight but not on t: heatmap axes and scales, the true gradient, the curves over t."""
    p = trace.dh.shape[1]
    tokens = list(trace.tokens)
    T = len(trace.inputs)
    ts = np.arange(1, T + 1)
    y_kind, x_kind, y_title, x_title = _AXES[weight]
    ylab, xlab = _labels(y_kind, tokens, p), _labels(x_kind, tokens, p)
    copies, running, grad = trace.copies[weight], trace.running[weight], trace.grads[weight]
    gaps = trace.gaps[weight]
    name = _NAMES[weight]
    time, seq = figs
    with figs.batch_update():
        for key in ("copy", "running", "grad"):
            figs.data(key).x, figs.data(key).y = xlab, ylab
        figs.data("grad").z = grad
        c_lim, lim = _sym(copies), _sym(running, grad)
        time.layout.coloraxis2.update(cmin=-c_lim, cmax=c_lim)
        # the running sum and the true gradient: two figures, one colour scale
        time.layout.coloraxis.update(cmin=-lim, cmax=lim)
        seq.layout.coloraxis.update(cmin=-lim, cmax=lim)
        for axis in ("xaxis3", "xaxis4"):  # the copy, the running sum
            time.layout[axis].title.text = x_title
        time.layout.yaxis3.title.text = y_title
        seq.layout.xaxis2.title.text = x_title
        seq.layout.yaxis2.title.text = y_title
        fonts = {"units": dict(size=11), "tokens": _token_font(len(tokens))}
        for fig, xs, ys in ((time, ("xaxis3", "xaxis4"), ("yaxis3", "yaxis4")), (seq, ("xaxis2",), ("yaxis2",))):
            for axis in xs:
                fig.layout[axis].tickfont = fonts[x_kind]
            for axis in ys:
                fig.layout[axis].tickfont = fonts[y_kind]
        figs.data("copy_norms").x, figs.data("copy_norms").y = ts, trace.copy_norms[weight]
        figs.data("gap").x, figs.data("gap").y = ts, gaps
        top = max(float(gaps.max()), 1e-9)
        seq.layout.yaxis4.range = [-0.05 * top, 1.25 * top]
        figs.title("grad").text = f"true gradient dL/d{name} (evaluate().grads)"
        figs.title("copy_norms").text = f"size of each copy ‖dL/d{name}<sup>(s)</sup>‖ (green: summed)"


def draw_time(figs: BPTTFigures, trace, t: int, weight: str) -> None:
    """What moves with the time-stamp t (1-based): dL/dy_t, dL/dh_t, the copy and the running sum (the ``time``
    figure); the current bars and the gap marker (the ``sequence`` figure)."""
    T = len(trace.inputs)
    i = t - 1
    p = trace.dh.shape[1]
    labels = [token_label(tok) for tok in trace.tokens]
    ts = np.arange(1, T + 1)
    j = int(trace.targets[i])
    gaps = trace.gaps[weight]
    name = _NAMES[weight]
    units = unit_labels(p)
    D = figs.data
    with figs.batch_update():
        # at time-stamp t
        D("dY").x, D("dY").y = labels, trace.dY[i]
        D("dY").marker.color = [RED if v == j else GREY for v in range(len(labels))]
        D("dY").text = ["j<sub>t</sub>" if v == j else "" for v in range(len(labels))]
        D("dh_output").x, D("dh_output").y = units, trace.dh_output[i]
        D("dh_future").x, D("dh_future").y = units, trace.dh_future[i]
        D("dh").x, D("dh").y = units, trace.dh[i]
        D("copy").z = trace.copies[weight][i]
        D("running").z = trace.running[weight][i]
        figs.title("dY").text = (f"dL/dŷ<sub>t</sub> = p̂<sub>t</sub> − onehot(j<sub>t</sub>)<br>at t = {t}: "
                                 f"'{labels[int(trace.inputs[i])]}' → '{labels[j]}'")
        figs.title("dh").text = f"dL/dh<sub>t</sub> at t = {t}" + ("<br>(nothing from the future at t = T)"
                                                                   if t == T else "")
        zero = t == 1 and weight == "W_hh" and not np.any(trace.copies[weight][0])
        figs.title("copy").text = f"copy dL/d{name}<sup>({t})</sup>" + ("<br>= 0, as h<sub>0</sub> = 0" if zero else "")
        figs.title("running").text = f"running sum<br>Σ<sub>s={t}…{T}</sub> dL/d{name}<sup>(s)</sup>"
        # over the whole sequence: the highlights only
        D("loss").marker.color = [ORANGE if s == t else LIGHT for s in ts]
        D("copy_norms").marker.color = [ORANGE if s == t else GREEN if s > t else GREY for s in ts]
        gap_text = "gap = 0 ✓" if gaps[i] < 1e-12 else f"gap = {gaps[i]:.2f}"
        D("gap_now").x, D("gap_now").y, D("gap_now").text = [t], [gaps[i]], [gap_text]
        D("gap_now").textposition = "top right" if t <= T / 2 else "top left"
        figs.title("gap").text = "relative gap of the running sum" + (" — 0 at t = 1" if t == 1 else "")


def show_gradient_check(figs: BPTTFigures, result) -> None:
    """Draw a gradient check (``.check`` a GradCheck, ``.analytic`` / ``.numeric`` dicts by weight), or clear it (None).

    Only the ``sequence`` figure changes.
    """
    with figs.sequence.batch_update():
        for name in WEIGHT_COLORS:
            tr = figs.data(f"check_{name}")
            if result is None or name not in result.analytic:
                tr.x, tr.y = [], []
            else:
                tr.x, tr.y = np.ravel(result.numeric[name]), np.ravel(result.analytic[name])
        diag = figs.data("diagonal")
        if result is None:
            diag.x, diag.y = [], []
            figs.title("check").text = "gradient check"
            figs.title("check_hint").text = "press <b>Run gradient check</b>"
            return
        values = [np.ravel(v) for v in (*result.numeric.values(), *result.analytic.values())]
        lo, hi = min(float(v.min()) for v in values), max(float(v.max()) for v in values)
        diag.x, diag.y = [lo, hi], [lo, hi]
        c = result.check
        verdict = f"<span style='color:{GREEN}'>PASSED</span>" if c.passed else f"<span style='color:{RED}'>FAILED</span>"
        figs.title("check").text = f"gradient check {verdict}: max rel. error {c.max_error:.1e}"
        figs.title("check_hint").text = ""
