"""Lesson 7: layer normalization (Ba, Kiros & Hinton, 2016), as the chapter writes it.

* :class:`LayerNormStepApp` -- one step of a vanilla and a layer-normalized cell on the same
  pre-activation a_t, stage by stage; a slider multiplies the weights by k: the vanilla a_t grows
  with k and tanh saturates, the normalized one does not move (layer norm is invariant to rescaling a_t).
* :class:`LayerNormSequenceApp` -- a vanilla and a layer-norm network on the same weights and inputs
  over a sequence: the norms of what enters tanh, of h_t and of dL_T/dh_t as the spectral radius of
  W_hh moves.
* :class:`LayerNormTrainingApp` -- both networks trained with Adam from the same start on the same batches of
  the echo task: with a large W_hh the vanilla one barely learns, the layer-norm one does.
* :func:`step_numbers`, :func:`sequence_trace` -- what the views draw, read from the core's cells and
  networks (their caches); :func:`check_layer_norm` -- the exercise's checker.

The numbers are the core's: :class:`rnnviz.core.cells.LayerNormRNNCell` and
:class:`rnnviz.core.cells.VanillaRNNCell` one step at a time, :class:`rnnviz.core.network.Network` over
a sequence. The views are :mod:`rnnviz.viz.layernorm`.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping

import ipywidgets as W
import numpy as np

from ..core.cells import LayerNormCache, LayerNormRNNCell, VanillaRNNCell
from ..core.diagnostics import with_spectral_radius
from ..core.network import Network
from ..core.optim import Adam
from ..core.train import Batch, Trainer
from ..data import echo_task
from ..viz.layernorm import SATURATED, SequenceTrace, StepNumbers, sequence_html, step_html, training_html
from .base import LessonApp, explained, heading

__all__ = ["LayerNormSequenceApp", "LayerNormStepApp", "LayerNormTrainingApp", "check_layer_norm", "sequence_trace",
           "step_numbers"]

WIDE = "400px"  # every slider: the help text beside it cannot squeeze it


def _in_range(control: W.FloatSlider, name: str) -> float:
    """The control's value, refused with a readable message when it is not a number inside the slider's range."""
    v = control.value
    if isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v) or not control.min <= v <= control.max:
        raise ValueError(f"{name}: expected a number from {control.min:g} to {control.max:g}, got {v!r}")
    return float(v)


# =========================================================================== one step
def step_numbers(params: Mapping[str, np.ndarray], x: np.ndarray, h_prev: np.ndarray) -> StepNumbers:
    """One step of a vanilla (b_h = 0) and a layer-norm cell with the same W_xh, W_hh, from the same x_t, h_{t-1}.

    ``params`` are the layer-norm cell's (``W_xh`` p x d, ``W_hh`` p x p, ``gamma``, ``beta``); ``x`` (1, d),
    ``h_prev`` (1, p). Both cells compute a_t = W_xh x_t + W_hh h_{t-1}; the numbers are read from their caches.
    """
    W_xh, W_hh = params["W_xh"], params["W_hh"]
    p, d = W_xh.shape
    ln, vanilla = LayerNormRNNCell(d, p), VanillaRNNCell(d, p)
    (h_ln,), c = ln.step_forward(params, x, (h_prev,))
    (h_v,), cv = vanilla.step_forward({"W_xh": W_xh, "W_hh": W_hh, "b_h": np.zeros(p)}, x, (h_prev,))
    s = params["gamma"] * c.z[0] + params["beta"]  # what enters tanh: h_t = tanh(s)
    return StepNumbers(cv.a[0], h_v[0], float(c.mu[0, 0]), float(c.sigma[0, 0]), c.z[0], s, h_ln[0])


class LayerNormStepApp(LessonApp):
    """One step, p units: the vanilla cell against the layer-normalized cell as the weights are scaled by k."""

    title = "One step: a_t through a vanilla and a layer-normalized cell"

    def __init__(self, *, scale: float = 1.0, gain: float = 1.0, bias: float = 0.0, hidden_size: int = 6,
                 input_size: int = 3, seed: int = 0):
        rng = np.random.default_rng(seed)
        p, d = hidden_size, input_size
        # weights of the usual size (entries ~ 1/sqrt(fan-in)), one input x_t and a previous state h_{t-1}
        self.base = {"W_xh": rng.standard_normal((p, d)) / np.sqrt(d), "W_hh": rng.standard_normal((p, p)) / np.sqrt(p)}
        self.x = rng.standard_normal((1, d))
        self.h_prev = np.tanh(rng.standard_normal((1, p)))
        style = {"description_width": "120px"}
        self.scale = W.FloatSlider(value=scale, min=0.1, max=20.0, step=0.1, description="weight scale k",
                                   style=style, continuous_update=True)
        self.scaled = W.ToggleButtons(options=["W_xh and W_hh", "W_hh only"], value="W_xh and W_hh",
                                      description="scale", style={"button_width": "120px", "description_width": "120px"})
        self.gain = W.FloatSlider(value=gain, min=0.1, max=3.0, step=0.05, description="gain γ", style=style)
        self.bias = W.FloatSlider(value=bias, min=-1.5, max=1.5, step=0.05, description="bias β", style=style)
        self.step_view = W.HTML()
        self.summary = W.HTML()
        super().__init__([
            heading(self.title,
                    "Top row (blue): the vanilla cell puts a<sub>t</sub> straight into tanh. Bottom row (orange): the "
                    "layer-normalized cell first subtracts the mean u<sub>t</sub> of the p units (red line), divides by "
                    "their standard deviation σ<sub>t</sub>, then applies the gain γ and bias β. Under each h<sub>t</sub>: "
                    "tanh′ = 1 − h<sub>t</sub><sup>2</sup>, the factor every gradient through this unit is multiplied by; "
                    "red bars are saturated units (tanh′ &lt; 0.05) that pass almost no gradient back. Watch the axis "
                    "labels of a<sub>t</sub> grow with k while z stays put. Hover over a bar to read its value; every "
                    "number is in the table."),
            explained(self.scale, "multiplies the weights: a_t becomes k a_t; the vanilla h_t saturates at ±1, the normalized one does not change", width=WIDE),
            explained(self.scaled, "scale both weight matrices (a_t scales exactly) or W_hh alone (a_t changes direction too)"),
            explained(self.gain, "γ, the same for every unit here: the spread of what enters tanh after normalization", width=WIDE),
            explained(self.bias, "β, the same for every unit here: shifts what enters tanh after normalization", width=WIDE),
            self.summary,
            self.step_view,
        ])
        for control in (self.scale, self.scaled, self.gain, self.bias):
            self.watch(control, self.update)
        self.refresh()

    def params(self) -> dict[str, np.ndarray]:
        """The layer-norm cell's parameters at the current controls (the vanilla cell uses W_xh, W_hh and b_h = 0)."""
        k = _in_range(self.scale, "weight scale k")
        gain, bias = _in_range(self.gain, "gain γ"), _in_range(self.bias, "bias β")
        if self.scaled.value not in self.scaled.options:
            raise ValueError(f"scale: expected one of {', '.join(self.scaled.options)}, got {self.scaled.value!r}")
        p = self.base["W_hh"].shape[0]
        return {"W_xh": self.base["W_xh"] * (k if self.scaled.value == "W_xh and W_hh" else 1.0),
                "W_hh": self.base["W_hh"] * k, "gamma": np.full(p, gain), "beta": np.full(p, bias)}

    def update(self) -> None:
        params = self.params()
        n = step_numbers(params, self.x, self.h_prev)
        self.numbers = n
        self.step_view.value = step_html(n, params["gamma"], params["beta"])
        sat_v = int(np.sum(1 - n.h_vanilla ** 2 < SATURATED))
        sat_l = int(np.sum(1 - n.h_layernorm ** 2 < SATURATED))
        p = n.a.size
        self.summary.value = (
            f"max |a<sub>t</sub>| = <b>{np.max(np.abs(n.a)):.3g}</b>, σ<sub>t</sub> = <b>{n.sigma:.3g}</b>, "
            f"max |z| = <b>{np.max(np.abs(n.z)):.3g}</b>. Saturated units (tanh′ &lt; {SATURATED}): "
            f"vanilla <b>{sat_v}</b> of {p}, layer norm <b>{sat_l}</b> of {p}.")


# =========================================================================== a sequence
def _network_params(base: Mapping[str, np.ndarray], kind: str, *, radius: float,
                    input_scale: float = 1.0) -> dict[str, np.ndarray]:
    """The one-layer ``kind`` network's parameters from the weights both networks share (``base``: W_hh at
    spectral radius 1, W_xh, the layer-norm cell's gamma and beta, the output layer): W_hh times ``radius``,
    W_xh times ``input_scale``; the vanilla cell gets b_h = 0, the layer-norm cell gamma and beta."""
    p = {"layer0.fwd.W_hh": base["W_hh"] * radius, "layer0.fwd.W_xh": base["W_xh"] * input_scale,
         "out.W_hy": base["out.W_hy"], "out.b_y": base["out.b_y"]}
    if kind == "layernorm":
        p["layer0.fwd.gamma"], p["layer0.fwd.beta"] = base["gamma"], base["beta"]
    else:
        p["layer0.fwd.b_h"] = np.zeros(base["W_hh"].shape[0])
    return p


def sequence_trace(net: Network, params: Mapping[str, np.ndarray], X: np.ndarray, targets: np.ndarray,
                   target_mask: np.ndarray | None = None) -> tuple[SequenceTrace, float]:
    """Norms over t of one sequence (the first of the batch) through a one-layer ``net``, and the mean tanh'.

    ``pre``: ||a_t|| for a vanilla cell, ||gamma * z_t + beta|| for a layer-norm one (what enters tanh), read
    from the cell caches of ``net.evaluate``; ``h``: ||h_t||; ``grad``: ||dL/dh_t|| (BPTT). The float is the
    mean of tanh'(.) = 1 - h**2 over every unit and time-stamp (near 0: saturated).
    """
    ev = net.evaluate(params, X, targets, target_mask=target_mask)
    steps = ev.forward.cache.layers[0]["fwd"].steps
    key = "layer0.fwd"
    if isinstance(steps[0], LayerNormCache):
        gamma, beta = params[f"{key}.gamma"], params[f"{key}.beta"]
        pre = np.array([np.linalg.norm(gamma * c.z[0] + beta) for c in steps])
    else:
        pre = np.array([np.linalg.norm(c.a[0]) for c in steps])
    h = ev.forward.hidden[key][0]  # (T, H)
    dh = ev.backward.dh[key][0]  # (T, H)
    return SequenceTrace(pre, np.linalg.norm(h, axis=1), np.linalg.norm(dh, axis=1)), float(np.mean(1 - h * h))


class LayerNormSequenceApp(LessonApp):
    """A vanilla and a layer-norm RNN with the same W_xh, W_hh and inputs; W_hh rescaled to a chosen spectral radius."""

    title = "A sequence: states and gradients with and without layer norm"
    KINDS = ("vanilla", "layernorm")

    def __init__(self, *, radius: float = 1.0, input_scale: float = 0.5, hidden_size: int = 32, T: int = 40,
                 input_size: int = 4, seed: int = 1):
        rng = np.random.default_rng(seed)
        H, D = hidden_size, input_size
        self.nets = {kind: Network(D, H, D, cell=kind) for kind in self.KINDS}
        base = self.nets["layernorm"].init_params(rng)  # gamma = 1, beta = 0, and the output layer
        W_hh = rng.standard_normal((H, H)) / np.sqrt(H)
        self.base = {"W_hh": with_spectral_radius(W_hh, 1.0), "W_xh": rng.standard_normal((H, D)) / np.sqrt(D),
                     "gamma": base["layer0.fwd.gamma"], "beta": base["layer0.fwd.beta"],
                     "out.W_hy": base["out.W_hy"], "out.b_y": base["out.b_y"]}
        self.X = rng.standard_normal((1, T, D))
        self.targets = rng.integers(0, D, (1, T))
        self.last_only = np.zeros((1, T), bool)
        self.last_only[0, -1] = True  # the loss at the last time-stamp: its gradient reaching every h_t
        style = {"description_width": "140px"}
        self.radius = W.FloatSlider(value=radius, min=0.25, max=20.0, step=0.25, description="spectral radius",
                                    style=style, continuous_update=False)
        self.input_scale = W.FloatSlider(value=input_scale, min=0.0, max=3.0, step=0.1, description="input scale",
                                         style=style, continuous_update=False)
        self.sequence_view = W.HTML()
        self.summary = W.HTML()
        super().__init__([
            heading(self.title,
                    "Blue dashed: a vanilla tanh RNN; orange: the same weights and inputs with layer norm. Left: the size "
                    "of what enters tanh at each time-stamp; middle: the state ‖h<sub>t</sub>‖ (at most √p when every "
                    "unit is at ±1); right: the gradient of the loss at the last time-stamp reaching each h<sub>t</sub>. "
                    "All on <b>log</b> scales: a straight falling line to the left is vanishing, a rising one exploding. "
                    "Hover over a point to read its value."),
            explained(self.radius, "rescales W_hh to this spectral radius: the vanilla pre-activations grow with it and tanh saturates; layer norm divides the growth away", width=WIDE),
            explained(self.input_scale, "scales W_xh: how much of a_t comes from the input rather than from h_{t-1}", width=WIDE),
            self.summary,
            self.sequence_view,
        ])
        self.watch(self.radius, self.update)
        self.watch(self.input_scale, self.update)
        self.refresh()

    def params(self, kind: str) -> dict[str, np.ndarray]:
        """The parameters of the ``kind`` network at the current sliders (the same W_xh, W_hh and W_hy for both)."""
        return _network_params(self.base, kind, radius=_in_range(self.radius, "spectral radius"),
                               input_scale=_in_range(self.input_scale, "input scale"))

    def update(self) -> None:
        traces, slopes = {}, {}
        for kind in self.KINDS:
            traces[kind], slopes[kind] = sequence_trace(self.nets[kind], self.params(kind), self.X, self.targets,
                                                        self.last_only)
        self.traces, self.mean_slopes = traces, slopes
        self.sequence_view.value = sequence_html(traces["vanilla"], traces["layernorm"])

        def ratio(g):
            return g[0] / g[-1] if g[-1] > 0 else float("nan")

        v, ln = traces["vanilla"], traces["layernorm"]
        self.summary.value = (
            f"‖dL<sub>T</sub>/dh<sub>1</sub>‖ / ‖dL<sub>T</sub>/dh<sub>T</sub>‖: vanilla <b>{ratio(v.grad):.3g}</b>, "
            f"layer norm <b>{ratio(ln.grad):.3g}</b>. Mean tanh′ over units and time: vanilla <b>{slopes['vanilla']:.2f}</b>, "
            f"layer norm <b>{slopes['layernorm']:.2f}</b> (near 0: saturated).")
        if not all(np.all(np.isfinite(np.concatenate(tr))) for tr in traces.values()):
            self.message.warning("Some norms overflowed to inf: the exploding regime.")


# =========================================================================== training
class LayerNormTrainingApp(LessonApp):
    """A vanilla and a layer-norm RNN trained from the same weights (W_hh at a chosen spectral radius) on the same batches."""

    title = "Training from the same start, with and without layer norm"
    KINDS = ("vanilla", "layernorm")

    def __init__(self, *, radius: float = 4.0, lr: float = 0.01, steps: int = 200, hidden_size: int = 24, T: int = 20,
                 lag: int = 3, symbols: int = 4, batch_size: int = 32, seed: int = 0):
        rng = np.random.default_rng(seed)
        H, V = hidden_size, symbols
        self.steps, self.lag, self.T = steps, lag, T
        self.nets = {kind: Network(V, H, V, cell=kind) for kind in self.KINDS}
        base = self.nets["layernorm"].init_params(rng)
        self.base = {"W_hh": with_spectral_radius(rng.standard_normal((H, H)) / np.sqrt(H), 1.0),
                     "W_xh": rng.standard_normal((H, V)), "gamma": base["layer0.fwd.gamma"],
                     "beta": base["layer0.fwd.beta"], "out.W_hy": base["out.W_hy"], "out.b_y": base["out.b_y"]}
        d = echo_task(steps * batch_size, T, lag, num_symbols=V, rng=rng)
        self.batches = [Batch(d.X[i * batch_size:(i + 1) * batch_size], d.y[i * batch_size:(i + 1) * batch_size],
                              d.target_mask[i * batch_size:(i + 1) * batch_size]) for i in range(steps)]
        style = {"description_width": "140px"}
        self.radius = W.FloatSlider(value=radius, min=0.5, max=8.0, step=0.5, description="spectral radius",
                                    style=style, continuous_update=False)
        self.lr = W.SelectionSlider(options=[0.003, 0.01, 0.03], value=lr, description="learning rate", style=style,
                                    continuous_update=False)
        self.train_button = W.Button(description=f"train both ({steps} steps each)", icon="play",
                                     button_style="primary", layout=W.Layout(width="260px"))
        self.train_button.on_click(lambda _: self.run_guarded(self.train))
        self.runs: dict = {kind: None for kind in self.KINDS}
        self.training_summary = W.HTML()
        self.training_view = W.HTML()
        super().__init__([
            heading(self.title,
                    f"Both networks start from the same W<sub>xh</sub>, W<sub>hh</sub> (rescaled to the spectral radius "
                    f"you choose) and output layer, and see the same batches of the echo task (output the symbol seen "
                    f"{lag} steps ago, sequences of {T}), trained with Adam. Left: the loss of each step; right: the "
                    "gradient norm. Blue dashed: vanilla; orange: layer norm. Log scales; hover over a point to read it."),
            explained(self.radius, "the spectral radius of W_hh at the start: above about 2 the vanilla network starts saturated", width=WIDE),
            explained(self.lr, "Adam's step size, the same for both runs"),
            explained(self.train_button, "train the vanilla network, then the layer-norm one (a second or two)"),
            self.training_summary,
            self.training_view,
        ])
        self.watch(self.radius, self.update)
        self.watch(self.lr, self.update)
        self.refresh()

    def params(self, kind: str) -> dict[str, np.ndarray]:
        """The starting parameters of the ``kind`` network (the same W_xh, W_hh and W_hy for both)."""
        return _network_params(self.base, kind, radius=_in_range(self.radius, "spectral radius"))

    def _lr(self) -> float:
        lr = self.lr.value
        if lr not in self.lr.options:
            raise ValueError(f"learning rate: expected one of {', '.join(map(str, self.lr.options))}, got {lr!r}")
        return float(lr)

    def update(self) -> None:
        """A new start (radius or learning rate moved): forget the runs."""
        self.params("vanilla")  # validates the radius
        self._lr()
        self.runs = {kind: None for kind in self.KINDS}
        self.training_summary.value = f"Press <b>train both</b> to train the two networks from spectral radius {self.radius.value:g}."
        self.training_view.value = training_html(None, None)

    def train(self) -> None:
        lr = self._lr()
        starts = {kind: self.params(kind) for kind in self.KINDS}
        self.train_button.disabled = True
        try:
            for kind in self.KINDS:
                self.runs[kind] = Trainer(self.nets[kind], starts[kind], Adam(lr=lr)).run(self.batches, self.steps)
        finally:
            self.train_button.disabled = False
        self.training_view.value = training_html(self.runs["vanilla"], self.runs["layernorm"])

        def final(run):
            return float(np.mean(run.losses[-10:])) if len(run.losses) else float("nan")

        v, ln = self.runs["vanilla"], self.runs["layernorm"]
        chance = np.log(len(self.base["out.b_y"]))
        self.training_summary.value = (
            f"Final loss (mean of the last 10 steps): vanilla <b>{final(v):.3g}</b>, layer norm <b>{final(ln):.3g}</b> "
            f"(guessing among {len(self.base['out.b_y'])} symbols: {chance:.3g}; 0 is a perfect echo).")
        if v.diverged or ln.diverged:
            self.message.warning(f"A run stopped: vanilla {v.stopped_reason}; layer norm {ln.stopped_reason}.")


# =========================================================================== the exercise
def check_layer_norm(fn: Callable) -> str:
    """Check a student's ``layer_norm(a, gamma, beta) -> h`` (one time-stamp, a of shape (p,)) and name the mistake.

    The reference is the core's :class:`LayerNormRNNCell` with eps = 0 (the chapter's formula verbatim), fed
    a_t directly (W_hh = 0, W_xh = I, x_t = a_t). The case has a mean far from 0, so a missing mean subtraction
    shows, and p = 4 units, so the sample standard deviation (1/(p-1)) differs clearly from the chapter's (1/p).
    """
    a = np.array([3.0, 5.0, 4.0, 8.0])
    gamma, beta = np.array([1.5, 0.5, 1.0, 2.0]), np.array([0.1, -0.2, 0.3, 0.0])
    p = a.size
    cell = LayerNormRNNCell(p, p, eps=0.0)
    params = {"W_xh": np.eye(p), "W_hh": np.zeros((p, p)), "gamma": gamma, "beta": beta}
    (want,), _ = cell.step_forward(params, a[None, :], (np.zeros((1, p)),))
    want = want[0]
    try:
        got = np.asarray(fn(a.copy(), gamma.copy(), beta.copy()), dtype=float)
    except Exception as exc:  # the student's code: any error is feedback
        return f"not yet: your function raised {type(exc).__name__}: {exc}"
    if got.shape != (p,):
        return f"not yet: expected h_t of shape ({p},), one value per unit, got shape {got.shape}"
    if np.allclose(got, want, rtol=1e-9, atol=1e-12):
        return f"correct: h_t = {np.round(want, 4)} (u_t = {a.mean():g}, σ_t = {a.std():.4f})"
    mu, var = a.mean(), a.var()

    def h(center, spread, g=gamma, b=beta, squash=True):
        s = g * (a - center) / spread + b
        return np.tanh(s) if squash else s

    mistakes = [
        (h(mu, np.sqrt(a.var(ddof=1))), "check σ_t: the chapter divides by p, not p − 1 (np.std(a), not ddof=1)"),
        (h(0.0, np.sqrt(np.mean(a * a))), "check the mean term: subtract u_t = mean(a) before dividing"),
        (h(0.0, np.sqrt(var)), "check the mean term: subtract u_t = mean(a) before dividing"),
        (h(mu, np.sqrt(np.mean(a * a))), "check σ_t: it is sqrt(mean(a²) − u_t²), the spread around the mean"),
        (h(mu, var), "check σ_t: divide by the standard deviation (the square root of the variance), not the variance"),
        (h(mu, 1.0), "check σ_t: after subtracting u_t, divide by σ_t"),
        (h(mu, np.sqrt(var), squash=False), "check the last step: h_t = tanh(γ/σ_t ⊙ (a_t − u_t) + β)"),
        (h(mu, np.sqrt(var), g=1.0), "check the gain: multiply each unit by its γ_i"),
        (h(mu, np.sqrt(var), b=0.0), "check the bias: add β_i after the gain, inside tanh"),
        (np.tanh(gamma * (a - mu + beta) / np.sqrt(var)), "check the bias: add β after dividing by σ_t, not before"),
        (np.tanh(gamma * (a - mu) / np.sqrt(var)) + beta, "check the bias: β goes inside tanh"),
    ]
    for wrong, hint in mistakes:
        if np.allclose(got, wrong, rtol=1e-9, atol=1e-12):
            return f"not yet: {hint}"
    return (f"not yet: for a = {a.tolist()} the cell gives h_t = {np.round(want, 4)}, yours {np.round(got, 4)}; compute "
            "u_t, then σ_t, then tanh(γ ⊙ (a − u_t) / σ_t + β)")
