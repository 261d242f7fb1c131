"""Lesson 7: layer normalization (Ba, Kiros & Hinton, 2016), as the chapter writes it — the apps.

* :class:`LayerNormStepApp` -- one step of a vanilla and a layer-normalized cell on the same
  pre-activation a_t, stage by stage; a slider multiplies the weights by k: the vanilla a_t grows
  with k and tanh saturates, the normalized one does not move (layer norm is invariant to rescaling a_t).
* :class:`LayerNormSequenceApp` -- a vanilla and a layer-norm network on the same weights and inputs
  over a sequence: the norms of what enters tanh, of h_t and of dL_T/dh_t as the spectral radius of
  W_hh moves.
* :class:`LayerNormTrainingApp` -- both networks trained with Adam from the same start on the same batches of
  the echo task: with a large W_hh the vanilla one barely learns, the layer-norm one does.

What they compute is in :mod:`rnnviz.lessonmath.layernorm` (re-exported here: :func:`step_numbers`,
:func:`sequence_trace`); the views in :mod:`rnnviz.viz.layernorm`; the exercises in
:mod:`rnnviz.exercises.layernorm`.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..core.checks import within as _within
from ..lessonmath.layernorm import (
    BIAS_RANGE,
    GAIN_RANGE,
    INPUT_SCALE_RANGE,
    KINDS,
    LEARNING_RATES,
    RADIUS_RANGE,
    SATURATED,
    SCALE_RANGE,
    SCALINGS,
    TRAIN_RADIUS_RANGE,
    SequenceSetup,
    StepSetup,
    TrainingSetup,
    saturated_units,
    sequence_state,
    sequence_trace,
    step_numbers,
    train_both,
)
from ..viz.layernorm import sequence_html, step_html, training_html
from .base import LessonApp, explained, heading

__all__ = ["LayerNormSequenceApp", "LayerNormStepApp", "LayerNormTrainingApp", "sequence_trace", "step_numbers"]

WIDE = "400px"  # every slider: the help text beside it cannot squeeze it


def _one_of(value: object, options: tuple, name: str):
    """``value`` if it is one of ``options`` (the lesson's constants); a ValueError naming the control."""
    if isinstance(value, bool) or value not in options:
        raise ValueError(f"{name}: expected one of {', '.join(map(str, options))}, got {value!r}")
    return value


# =========================================================================== one step
class LayerNormStepApp(LessonApp):
    """One step, p units: the vanilla cell against the layer-normalized cell as the weights are scaled by k."""

    title = "One step: a_t through a vanilla and a layer-normalized cell"

    def __init__(self, *, scale: float = 1.0, gain: float = 1.0, bias: float = 0.0, hidden_size: int = 6,
                 input_size: int = 3, seed: int = 0):
        self.setup = StepSetup.make(hidden_size=hidden_size, input_size=input_size, seed=seed)
        self.base, self.x, self.h_prev = self.setup.base, self.setup.x, self.setup.h_prev
        style = {"description_width": "120px"}
        self.scale = W.FloatSlider(value=scale, min=SCALE_RANGE[0], max=SCALE_RANGE[1], step=0.1,
                                   description="weight scale k", style=style, continuous_update=True)
        self.scaled = W.ToggleButtons(options=list(SCALINGS), value=SCALINGS[0], description="scale",
                                      style={"button_width": "120px", "description_width": "120px"})
        self.gain = W.FloatSlider(value=gain, min=GAIN_RANGE[0], max=GAIN_RANGE[1], step=0.05, description="gain γ",
                                  style=style)
        self.bias = W.FloatSlider(value=bias, min=BIAS_RANGE[0], max=BIAS_RANGE[1], step=0.05, description="bias β",
                                  style=style)
        self.step_view = W.HTML()
        self.summary = W.HTML()
        super().__init__([
            heading(self.title,
                    "Top row (blue): the vanilla cell puts a<sub>t</sub> straight into tanh. Bottom row (orange): the "
                    "layer-normalized cell first subtracts the mean u<sub>t</sub> of the p units (red line), divides by "
                    "their standard deviation σ<sub>t</sub>, then applies the gain γ and bias β. Right of each "
                    "h<sub>t</sub>: tanh′ = 1 − h<sub>t</sub><sup>2</sup>, the factor every gradient through this unit "
                    "is multiplied by; red bars (and red dots) are saturated units (tanh′ &lt; 0.05) that pass almost no "
                    "gradient back. Watch the axis labels of a<sub>t</sub> grow with k while z stays put. Hover over a "
                    "bar to read its value; every number is in the table."),
            self.control_bar(
                explained(self.scale, "multiplies the weights: a_t becomes k a_t; the vanilla h_t saturates at ±1, "
                          "the normalized one does not change", width=WIDE),
                explained(self.scaled, "scale both weight matrices (a_t scales exactly) or W_hh alone (a_t changes "
                          "direction too)"),
                explained(self.gain, "γ, the same for every unit here: the spread of what enters tanh after "
                          "normalization", width=WIDE),
                explained(self.bias, "β, the same for every unit here: shifts what enters tanh after normalization",
                          width=WIDE),
                self.summary),
            self.step_view,
        ])
        for control in (self.scale, self.scaled, self.gain, self.bias):
            self.watch(control, self.update)
        self.refresh()

    def params(self) -> dict[str, np.ndarray]:
        """The layer-norm cell's parameters at the current controls (the vanilla cell uses W_xh, W_hh and b_h = 0)."""
        return self.setup.params(_within(self.scale.value, SCALE_RANGE, "weight scale k"),
                                 _one_of(self.scaled.value, SCALINGS, "scale"),
                                 _within(self.gain.value, GAIN_RANGE, "gain γ"),
                                 _within(self.bias.value, BIAS_RANGE, "bias β"))

    def update(self) -> None:
        params = self.params()
        n = step_numbers(params, self.x, self.h_prev)
        self.numbers = n
        self.step_view.value = step_html(n, params["gamma"], params["beta"])
        p = n.a.size
        self.summary.value = (
            f"max |a<sub>t</sub>| = <b>{np.max(np.abs(n.a)):.3g}</b>, σ<sub>t</sub> = <b>{n.sigma:.3g}</b>, "
            f"max |z| = <b>{np.max(np.abs(n.z)):.3g}</b>. Saturated units (tanh′ &lt; {SATURATED}): "
            f"vanilla <b>{saturated_units(n.h_vanilla)}</b> of {p}, layer norm "
            f"<b>{saturated_units(n.h_layernorm)}</b> of {p}.")


# =========================================================================== a sequence
class LayerNormSequenceApp(LessonApp):
    """A vanilla and a layer-norm RNN with the same W_xh, W_hh and inputs; W_hh rescaled to a chosen spectral radius."""

    title = "A sequence: states and gradients with and without layer norm"
    KINDS = KINDS

    def __init__(self, *, radius: float = 1.0, input_scale: float = 0.5, hidden_size: int = 32, T: int = 40,
                 input_size: int = 4, seed: int = 1):
        self.setup = SequenceSetup.make(hidden_size=hidden_size, T=T, input_size=input_size, seed=seed)
        self.nets, self.base = self.setup.nets, self.setup.base
        self.X, self.targets, self.last_only = self.setup.X, self.setup.targets, self.setup.last_only
        style = {"description_width": "140px"}
        self.radius = W.FloatSlider(value=radius, min=RADIUS_RANGE[0], max=RADIUS_RANGE[1], step=0.25,
                                    description="spectral radius", style=style, continuous_update=False)
        self.input_scale = W.FloatSlider(value=input_scale, min=INPUT_SCALE_RANGE[0], max=INPUT_SCALE_RANGE[1],
                                         step=0.1, description="input scale", style=style, continuous_update=False)
        self.sequence_view = W.HTML()
        self.summary = W.HTML()
        super().__init__([
            heading(self.title,
                    "Blue dashed: a vanilla tanh RNN; orange: the same weights and inputs with layer norm. Left: the size "
                    "of what enters tanh at each time-stamp; middle: the state ‖h<sub>t</sub>‖ (at most √p when every "
                    "unit is at ±1); right: the gradient of the loss at the last time-stamp reaching each h<sub>t</sub>. "
                    "All on <b>log</b> scales: a straight falling line to the left is vanishing, a rising one exploding. "
                    "Hover over a point to read its value."),
            self.control_bar(
                explained(self.radius, "rescales W_hh to this spectral radius: the vanilla pre-activations grow with "
                          "it and tanh saturates; layer norm divides the growth away", width=WIDE),
                explained(self.input_scale, "scales W_xh: how much of a_t comes from the input rather than from "
                          "the previous state", width=WIDE),
                self.summary),
            self.sequence_view,
        ])
        self.watch(self.radius, self.update)
        self.watch(self.input_scale, self.update)
        self.refresh()

    def _controls(self) -> tuple[float, float]:
        return (_within(self.radius.value, RADIUS_RANGE, "spectral radius"),
                _within(self.input_scale.value, INPUT_SCALE_RANGE, "input scale"))

    def params(self, kind: str) -> dict[str, np.ndarray]:
        """The parameters of the ``kind`` network at the current sliders (the same W_xh, W_hh and W_hy for both)."""
        return self.setup.params(kind, *self._controls())

    def update(self) -> None:
        state = sequence_state(self.setup, *self._controls())
        self.state, self.traces, self.mean_slopes = state, state.traces, state.mean_slopes
        self.sequence_view.value = sequence_html(state.traces["vanilla"], state.traces["layernorm"])
        r, slopes = state.ratios, state.mean_slopes
        self.summary.value = (
            f"‖dL<sub>T</sub>/dh<sub>1</sub>‖ / ‖dL<sub>T</sub>/dh<sub>T</sub>‖: vanilla <b>{r['vanilla']:.3g}</b>, "
            f"layer norm <b>{r['layernorm']:.3g}</b>. Mean tanh′ over units and time: vanilla "
            f"<b>{slopes['vanilla']:.2f}</b>, layer norm <b>{slopes['layernorm']:.2f}</b> (near 0: saturated).")
        if not state.finite:
            self.message.warning("Some norms overflowed to inf: the exploding regime.")


# =========================================================================== training
class LayerNormTrainingApp(LessonApp):
    """A vanilla and a layer-norm RNN trained from the same weights (W_hh at a chosen spectral radius) on the same batches."""

    title = "Training from the same start, with and without layer norm"
    KINDS = KINDS

    def __init__(self, *, radius: float = 4.0, lr: float = 0.01, steps: int = 200, hidden_size: int = 24, T: int = 20,
                 lag: int = 3, symbols: int = 4, batch_size: int = 32, seed: int = 0):
        self.setup = TrainingSetup.make(steps=steps, hidden_size=hidden_size, T=T, lag=lag, symbols=symbols,
                                        batch_size=batch_size, seed=seed)
        self.nets, self.base, self.batches = self.setup.nets, self.setup.base, self.setup.batches
        self.steps, self.lag, self.T = steps, lag, T
        style = {"description_width": "140px"}
        self.radius = W.FloatSlider(value=radius, min=TRAIN_RADIUS_RANGE[0], max=TRAIN_RADIUS_RANGE[1], step=0.5,
                                    description="spectral radius", style=style, continuous_update=False)
        self.lr = W.SelectionSlider(options=list(LEARNING_RATES), value=lr, description="learning rate", style=style,
                                    continuous_update=False, layout=W.Layout(width=WIDE))
        self.train_button = self.button(f"train both ({steps} steps each)", self.train, icon="play", style="primary",
                                        width="260px", busy=True)
        self.runs: dict = {kind: None for kind in KINDS}
        self.training_summary = W.HTML()
        self.training_view = W.HTML()
        super().__init__([
            heading(self.title,
                    f"Both networks start from the same W<sub>xh</sub>, W<sub>hh</sub> (rescaled to the spectral radius "
                    f"you choose) and output layer, and see the same batches of the echo task (output the symbol seen "
                    f"{lag} steps ago, sequences of {T}), trained with Adam. Left: the loss of each step; right: the "
                    "gradient norm. Blue dashed: vanilla; orange: layer norm. Log scales; hover over a point to read it."),
            self.control_bar(
                explained(self.radius, "the spectral radius of W_hh at the start: above about 2 the vanilla network "
                          "starts saturated", width=WIDE),
                explained(self.lr, "Adam's step size, the same for both runs"),
                explained(self.train_button, "train the vanilla network, then the layer-norm one (a second or two)"),
                self.training_summary),
            self.training_view,
        ])
        self.watch(self.radius, self.update)
        self.watch(self.lr, self.update)
        self.refresh()

    def _radius(self) -> float:
        return _within(self.radius.value, TRAIN_RADIUS_RANGE, "spectral radius")

    def _lr(self) -> float:
        return float(_one_of(self.lr.value, LEARNING_RATES, "learning rate"))

    def params(self, kind: str) -> dict[str, np.ndarray]:
        """The starting parameters of the ``kind`` network (the same W_xh, W_hh and W_hy for both)."""
        return self.setup.params(kind, self._radius())

    def update(self) -> None:
        """A new start (radius or learning rate moved): forget the runs."""
        radius, _ = self._radius(), self._lr()
        self.runs = {kind: None for kind in KINDS}
        self.training_summary.value = (f"Press <b>train both</b> to train the two networks from spectral radius "
                                       f"{radius:g}.")
        self.training_view.value = training_html(None, None)

    def train(self) -> None:
        result = train_both(self.setup, self._radius(), self._lr())
        self.runs = dict(result.runs)
        self.training_view.value = training_html(self.runs["vanilla"], self.runs["layernorm"], chance=self.setup.chance)
        v, ln = self.runs["vanilla"], self.runs["layernorm"]
        self.training_summary.value = (
            f"Final loss (mean of the last 10 steps): vanilla <b>{result.final['vanilla']:.3g}</b>, layer norm "
            f"<b>{result.final['layernorm']:.3g}</b> (guessing among {self.setup.symbols} symbols: "
            f"{self.setup.chance:.3g}; 0 is a perfect echo).")
        if v.diverged or ln.diverged:
            self.message.warning(f"A run stopped: vanilla {v.stopped_reason}; layer norm {ln.stopped_reason}.")
