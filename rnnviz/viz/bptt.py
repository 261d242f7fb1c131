r"""Plotly views of backpropagation through time: losses, dL/dy_t, dL/dh_t, per-time-stamp copies and their sum.

Pure functions. :func:`bptt_figure` builds one ``go.FigureWidget`` of 3 x 3 panels
with named traces; :func:`update_bptt_figure` fills it for one time-stamp t and one
weight from a *trace* object; :func:`show_gradient_check` draws a gradient check.

The trace is any object with these attributes (``rnnviz.widgets.bptt.BackwardTrace``
is one); index 0 is the chapter's t = 1, T time-stamps, p hidden units, d tokens:

* ``tokens`` (d,) str, ``inputs`` / ``targets`` (T,) ids, ``loss_per_step`` (T,);
* ``dY`` (T, d) = p_t - onehot(j_t); ``dh``, ``dh_output``, ``dh_future`` (T, p);
* dicts keyed by ``"W_hh"``, ``"W_xh"``, ``"W_hy"``: ``copies`` and ``running``
  (T, ...), ``grads`` (...), ``gaps`` and ``copy_norms`` (T,).

Panels (row, col): (1,1) loss per time-stamp, (1,2) dL/dy_t, (1,3) dL/dh_t and its two
terms; (2,1) the copy dL/dW^(t), (2,2) the running sum over s >= t, (2,3) the true
gradient; (3,1) size of each copy, (3,2) relative gap of the running sum, (3,3)
gradient check (analytic against numeric).
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from .live import LiveFigure

__all__ = [
    "TRACES", "bptt_figure", "draw_sequence", "draw_time", "draw_weight",
    "show_gradient_check", "token_label", "unit_labels",
    "update_bptt_figure",
]

BLUE, ORANGE, GREEN, GREY, RED, LIGHT = "#2563eb", "#ea580c", "#16a34a", "#9ca3af", "#dc2626", "#93c5fd"
WEIGHT_COLORS = {"W_hh": BLUE, "W_xh": GREEN, "W_hy": "#9333ea"}

#: Trace indices by name, in the order :func:`bptt_figure` adds them.
TRACES = {name: i for i, name in enumerate([
    "loss", "dY", "dh_output", "dh_future", "dh", "copy", "running", "grad", "copy_norms", "gap", "gap_now",
    "check_W_hh", "check_W_xh", "check_W_hy", "diagonal",
])}
#: Index in ``layout.annotations`` of each panel's title, then of the gradient-check placeholder.
TITLES = {name: i for i, name in enumerate(
    ["loss", "dY", "dh", "copy", "running", "grad", "copy_norms", "gap", "check", "check_hint"])}

_AXES = {  # the heatmap rows and columns of each weight: (y labels, x labels, y title, x title)
    "W_hh": ("units", "units", "h<sub>t</sub> unit", "h<sub>t−1</sub> unit"),
    "W_xh": ("units", "tokens", "h<sub>t</sub> unit", "input x<sub>t</sub>"),
    "W_hy": ("tokens", "units", "output y<sub>t</sub>", "h<sub>t</sub> unit"),
}
_NAMES = {"W_hh": "W<sub>hh</sub>", "W_xh": "W<sub>xh</sub>", "W_hy": "W<sub>hy</sub>"}


def token_label(token: str) -> str:
    """A token as an axis label: the space as '␣', the unknown token as 'unk' (no angle brackets for HTML)."""
    return {" ": "␣", "<unk>": "unk"}.get(token, token)


def unit_labels(p: int) -> list[str]:
    return [f"h{i + 1}" for i in range(p)]


def bptt_figure() -> go.FigureWidget:
    """The empty 3 x 3 figure; fill it with :func:`update_bptt_figure`."""
    fig = make_subplots(
        rows=3, cols=3, horizontal_spacing=0.1, vertical_spacing=0.13, row_heights=[0.3, 0.4, 0.3],
        subplot_titles=("loss per time-stamp", "dL/dŷ<sub>t</sub>", "dL/dh<sub>t</sub>",
                        "copy", "running sum", "true gradient",
                        "size of each copy", "gap to the true gradient", "gradient check"),
    )
    fig.add_bar(name="loss", showlegend=False, row=1, col=1,
                hovertemplate="t = %{x}: %{customdata}<br>loss %{y:.3f}<extra></extra>")
    fig.add_bar(name="dL/dŷ", showlegend=False, row=1, col=2, textposition="outside", cliponaxis=False,
                hovertemplate="token %{x}: %{y:.3f}<extra></extra>")
    fig.add_bar(name="from y<sub>t</sub>: W<sub>hy</sub><sup>T</sup>dL/dy<sub>t</sub>", marker_color=LIGHT, row=1, col=3,
                hovertemplate="%{x}: %{y:.3f}<extra>from the output</extra>")
    fig.add_bar(name="from t+1: W<sub>hh</sub><sup>T</sup>(Φ′⊙dL/dh<sub>t+1</sub>)", marker_color=GREEN, row=1, col=3,
                hovertemplate="%{x}: %{y:.3f}<extra>from t+1</extra>")
    fig.add_scatter(name="dL/dh<sub>t</sub>", mode="markers", marker=dict(symbol="diamond", size=9, color="black"),
                    row=1, col=3, hovertemplate="%{x}: %{y:.3f}<extra>dL/dh_t</extra>")
    fig.add_heatmap(name="copy", coloraxis="coloraxis2", row=2, col=1, hoverongaps=False,
                    hovertemplate="row %{y}, column %{x}: %{z:.4f}<extra>copy</extra>")
    fig.add_heatmap(name="running sum", coloraxis="coloraxis", row=2, col=2, hoverongaps=False,
                    hovertemplate="row %{y}, column %{x}: %{z:.4f}<extra>running sum</extra>")
    fig.add_heatmap(name="true gradient", coloraxis="coloraxis", row=2, col=3, hoverongaps=False,
                    hovertemplate="row %{y}, column %{x}: %{z:.4f}<extra>true gradient</extra>")
    fig.add_bar(name="‖copy‖", showlegend=False, row=3, col=1,
                hovertemplate="t = %{x}: ‖copy‖ = %{y:.4f}<extra></extra>")
    fig.add_scatter(name="gap", mode="lines+markers", showlegend=False, line=dict(color=GREY), marker=dict(size=4),
                    row=3, col=2, hovertemplate="t = %{x}: gap %{y:.3g}<extra></extra>")
    fig.add_scatter(name="gap now", mode="markers+text", showlegend=False, textposition="top right",
                    marker=dict(size=11, color=ORANGE), textfont=dict(color=ORANGE), cliponaxis=False, row=3, col=2,
                    hovertemplate="t = %{x}: gap %{y:.3g}<extra></extra>")
    for name, color in WEIGHT_COLORS.items():
        fig.add_scatter(name=name, mode="markers", marker=dict(size=6, color=color, opacity=0.75), row=3, col=3,
                        legend="legend2",
                        hovertemplate="numeric %{x:.6f}<br>analytic %{y:.6f}<extra>" + name + "</extra>")
    fig.add_scatter(name="analytic = numeric", mode="lines", line=dict(color=GREY, dash="dash", width=1), row=3, col=3,
                    legend="legend2", hoverinfo="skip")
    fig.add_annotation(text="press <b>Run gradient check</b>", showarrow=False, xref="x9 domain", yref="y9 domain",
                       x=0.5, y=0.5, font=dict(color=GREY, size=14))
    fig.update_annotations(font_size=13)

    x4 = fig.layout.xaxis4.domain
    y4 = fig.layout.yaxis4.domain
    fig.update_layout(
        # nine panels, their titles and two colour bars need ~1150 px: at a fixed width a narrower notebook
        # (JupyterLab beside its file browser, ~880 px) scrolls instead of overlapping titles and bars
        width=1150, height=1000, margin=dict(l=70, r=70, t=40, b=50), template="plotly_white", barmode="relative",
        bargap=0.15,
        coloraxis=dict(colorscale="RdBu_r", cmid=0, colorbar=dict(x=1.01, y=(y4[0] + y4[1]) / 2, len=y4[1] - y4[0],
                                                                  thickness=12, title=dict(text="sum,<br>true"))),
        coloraxis2=dict(colorscale="RdBu_r", cmid=0, colorbar=dict(x=x4[1] + 0.008, y=(y4[0] + y4[1]) / 2,
                                                                   len=y4[1] - y4[0], thickness=10,
                                                                   title=dict(text="copy"))),
        legend=dict(orientation="h", x=(fig.layout.xaxis3.domain[0] + fig.layout.xaxis3.domain[1]) / 2,
                    y=fig.layout.yaxis3.domain[0] - 0.035, xanchor="center", yanchor="top", font=dict(size=11)),
        legend2=dict(x=fig.layout.xaxis9.domain[0] + 0.01, y=fig.layout.yaxis9.domain[1] - 0.005, xanchor="left",
                     yanchor="top", bgcolor="rgba(255,255,255,0.75)", font=dict(size=11)),
        hoverlabel=dict(font_size=12),
    )
    fig.update_xaxes(type="category", row=1, col=2)
    fig.update_xaxes(type="category", row=1, col=3)
    fig.update_xaxes(title_text="time-stamp t (tick: input x<sub>t</sub>)", row=1, col=1)
    fig.update_xaxes(title_text="token k (j<sub>t</sub>: the true next one)", row=1, col=2)
    for col in (1, 2, 3):
        fig.update_xaxes(type="category", row=2, col=col)
        fig.update_yaxes(type="category", autorange="reversed", row=2, col=col)
    fig.update_xaxes(title_text="time-stamp s", row=3, col=1)
    fig.update_xaxes(title_text="the backward pass has reached t", row=3, col=2)
    fig.update_yaxes(title_text="‖Σ<sub>s≥t</sub> − true‖ / ‖true‖", row=3, col=2)
    fig.update_xaxes(title_text="numeric (finite differences)", row=3, col=3)
    fig.update_yaxes(title_text="analytic (BPTT)", row=3, col=3)
    fig.update_yaxes(title_text="−log p̂<sub>t</sub>(j<sub>t</sub>)", row=1, col=1)
    fig.update_yaxes(range=[-1.05, 1.05], row=1, col=2)
    return LiveFigure(fig)


def _labels(kind: str, tokens, p: int) -> list[str]:
    return unit_labels(p) if kind == "units" else [token_label(t) for t in tokens]


def _sym(*arrays) -> float:
    m = max(float(np.max(np.abs(a))) if np.size(a) else 0.0 for a in arrays)
    return m if m > 0 else 1.0


def update_bptt_figure(fig: go.FigureWidget, trace, t: int, weight: str) -> None:
    """Everything: the sequence, the copies of ``weight`` and time-stamp ``t`` (1-based, as in the chapter)."""
    with fig.batch_update():
        draw_sequence(fig, trace)
        draw_weight(fig, trace, weight)
        draw_time(fig, trace, t, weight)


def draw_sequence(fig: go.FigureWidget, trace) -> None:
    """What depends on the sentence and the weights only: the loss bars, the fixed ranges."""
    T = len(trace.inputs)
    labels = [token_label(tok) for tok in trace.tokens]
    ts = np.arange(1, T + 1)
    D, k = fig.data, TRACES
    dh_lim = 1.1 * _sym(np.abs(trace.dh_output) + np.abs(trace.dh_future), trace.dh)
    with fig.batch_update():
        D[k["loss"]].x, D[k["loss"]].y = ts, trace.loss_per_step
        D[k["loss"]].customdata = [f"{labels[a]} → {labels[b]}" for a, b in zip(trace.inputs, trace.targets)]
        fig.layout.xaxis.update(tickmode="array", tickvals=ts, ticktext=[labels[a] for a in trace.inputs],
                                tickfont=dict(size=11 if T <= 25 else 9), range=[0.5, T + 0.5])
        fig.layout.yaxis.range = [0, 1.15 * max(float(trace.loss_per_step.max()), 1e-9)]
        fig.layout.yaxis3.range = [-dh_lim, dh_lim]
        for axis in ("xaxis7", "xaxis8"):
            fig.layout[axis].range = [0.5, T + 0.5]
        fig.layout.annotations[TITLES["loss"]].text = f"loss per time-stamp (total L = {trace.loss:.2f})"


def draw_weight(fig: go.FigureWidget, trace, weight: str) -> None:
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
    D, k, a = fig.data, TRACES, fig.layout.annotations
    with fig.batch_update():
        for key in ("copy", "running", "grad"):
            D[k[key]].x, D[k[key]].y = xlab, ylab
        D[k["grad"]].z = grad
        c_lim, lim = _sym(copies), _sym(running, grad)
        fig.layout.coloraxis2.update(cmin=-c_lim, cmax=c_lim)
        fig.layout.coloraxis.update(cmin=-lim, cmax=lim)
        for axis in ("xaxis4", "xaxis5", "xaxis6"):
            fig.layout[axis].title.text = x_title
        fig.layout.yaxis4.title.text = y_title
        D[k["copy_norms"]].x, D[k["copy_norms"]].y = ts, trace.copy_norms[weight]
        D[k["gap"]].x, D[k["gap"]].y = ts, gaps
        top = max(float(gaps.max()), 1e-9)
        fig.layout.yaxis8.range = [-0.05 * top, 1.25 * top]
        a[TITLES["grad"]].text = f"true gradient dL/d{name} (evaluate().grads)"
        a[TITLES["copy_norms"]].text = f"size of each copy ‖dL/d{name}<sup>(s)</sup>‖ (green: summed)"


def draw_time(fig: go.FigureWidget, trace, t: int, weight: str) -> None:
    """What moves with the time-stamp t (1-based): the current bars, dL/dy_t, dL/dh_t, the copy and the running sum."""
    T = len(trace.inputs)
    i = t - 1
    p = trace.dh.shape[1]
    labels = [token_label(tok) for tok in trace.tokens]
    ts = np.arange(1, T + 1)
    j = int(trace.targets[i])
    D, k, a = fig.data, TRACES, fig.layout.annotations
    gaps = trace.gaps[weight]
    name = _NAMES[weight]
    units = unit_labels(p)
    with fig.batch_update():
        D[k["loss"]].marker.color = [ORANGE if s == t else LIGHT for s in ts]
        D[k["dY"]].x, D[k["dY"]].y = labels, trace.dY[i]
        D[k["dY"]].marker.color = [RED if v == j else GREY for v in range(len(labels))]
        D[k["dY"]].text = ["j<sub>t</sub>" if v == j else "" for v in range(len(labels))]
        D[k["dh_output"]].x, D[k["dh_output"]].y = units, trace.dh_output[i]
        D[k["dh_future"]].x, D[k["dh_future"]].y = units, trace.dh_future[i]
        D[k["dh"]].x, D[k["dh"]].y = units, trace.dh[i]
        D[k["copy"]].z = trace.copies[weight][i]
        D[k["running"]].z = trace.running[weight][i]
        D[k["copy_norms"]].marker.color = [ORANGE if s == t else GREEN if s > t else GREY for s in ts]
        gap_text = "gap = 0 ✓" if gaps[i] < 1e-12 else f"gap = {gaps[i]:.2f}"
        D[k["gap_now"]].x, D[k["gap_now"]].y, D[k["gap_now"]].text = [t], [gaps[i]], [gap_text]
        D[k["gap_now"]].textposition = "top right" if t <= T / 2 else "top left"
        a[TITLES["dY"]].text = (f"dL/dŷ<sub>t</sub> = p̂<sub>t</sub> − onehot(j<sub>t</sub>) at t = {t}: "
                                f"'{labels[int(trace.inputs[i])]}' → '{labels[j]}'")
        a[TITLES["dh"]].text = f"dL/dh<sub>t</sub> at t = {t}" + (" (nothing from the future at t = T)" if t == T else "")
        zero = t == 1 and weight == "W_hh" and not np.any(trace.copies[weight][0])
        a[TITLES["copy"]].text = f"copy dL/d{name}<sup>({t})</sup>" + (" = 0, as h<sub>0</sub> = 0" if zero else "")
        a[TITLES["running"]].text = f"running sum Σ<sub>s={t}…{T}</sub> dL/d{name}<sup>(s)</sup>"
        a[TITLES["gap"]].text = "relative gap of the running sum" + (" — 0 at t = 1" if t == 1 else "")


def show_gradient_check(fig: go.FigureWidget, result) -> None:
    """Draw a gradient check (``.check`` a GradCheck, ``.analytic`` / ``.numeric`` dicts by weight), or clear it (None)."""
    a = fig.layout.annotations
    with fig.batch_update():
        for name in WEIGHT_COLORS:
            tr = fig.data[TRACES[f"check_{name}"]]
            if result is None or name not in result.analytic:
                tr.x, tr.y = [], []
            else:
                tr.x, tr.y = np.ravel(result.numeric[name]), np.ravel(result.analytic[name])
        diag = fig.data[TRACES["diagonal"]]
        if result is None:
            diag.x, diag.y = [], []
            a[TITLES["check"]].text = "gradient check"
            a[TITLES["check_hint"]].text = "press <b>Run gradient check</b>"
            return
        values = [np.ravel(v) for v in (*result.numeric.values(), *result.analytic.values())]
        lo, hi = min(float(v.min()) for v in values), max(float(v.max()) for v in values)
        diag.x, diag.y = [lo, hi], [lo, hi]
        c = result.check
        verdict = f"<span style='color:{GREEN}'>PASSED</span>" if c.passed else f"<span style='color:{RED}'>FAILED</span>"
        a[TITLES["check"]].text = f"gradient check {verdict}: max rel. error {c.max_error:.1e}"
        a[TITLES["check_hint"]].text = ""
