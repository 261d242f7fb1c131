"""Lesson 5: vanishing and exploding gradients — the apps.

* :class:`OneUnitApp` — the chapter's one-unit analysis dL/dh_t = Phi'(a_{t+1}) w dL/dh_{t+1}.
* :class:`SpectralRadiusApp` — a full network whose W_hh is rescaled to a spectral radius: the gradient
  over t, the singular values of W_hh against the bound of Pascanu et al. (2013), the gradient-flow map.

What they compute is in :mod:`rnnviz.lessonmath.vanishing`; the views in :mod:`rnnviz.viz.gradients`.
"""

from __future__ import annotations

import ipywidgets as W

from ..core.checks import within as _within
from ..lessonmath.vanishing import ACTIVATIONS, SpectralSetup, one_unit, spectral_state
from ..viz.gradients import chain_html, spectral_html
from .base import LessonApp, explained, heading

__all__ = ["OneUnitApp", "SpectralRadiusApp"]

#: the ranges of the controls: a value sent from a browser outside them is refused with a message
W_RANGE, SCALE_RANGE, T_RANGE, RADIUS_RANGE = (0.0, 2.5), (0.0, 3.0), (2, 100), (0.1, 2.0)


class OneUnitApp(LessonApp):
    """One hidden unit, h_t = Phi(x_t + w h_{t-1}), loss L = h_T: watch |dL/dh_t| shrink or grow with T - t."""

    title = "One unit: a product of T - t factors"

    def __init__(self, *, w: float = 0.9, input_scale: float = 0.5, T: int = 50, activation: str = "tanh", seed: int = 0):
        self.seed = seed
        style = {"description_width": "110px"}
        self.w = W.FloatSlider(value=w, min=W_RANGE[0], max=W_RANGE[1], step=0.05, description="weight w", style=style,
                               continuous_update=True)
        self.input_scale = W.FloatSlider(value=input_scale, min=SCALE_RANGE[0], max=SCALE_RANGE[1], step=0.1,
                                         description="input scale", style=style)
        self.T = W.IntSlider(value=T, min=T_RANGE[0], max=T_RANGE[1], description="length T", style=style)
        self.activation = W.ToggleButtons(options=list(ACTIVATIONS), value=activation,
                                          description="Phi", style={"button_width": "80px", **style})
        self.new_inputs = self.button("new random inputs", self._reseed, icon="refresh")
        self.chain_view = W.HTML()  # |dL/dh_t| (log) with |w|^(T-t), and h_t
        self.summary = W.HTML()
        super().__init__([
            heading(self.title, "Blue: the gradient of L = h_T reaching each earlier state, on a <b>log</b> scale. "
                    "Each step back multiplies it by w&middot;Phi'(a_t); grey dashed: |w|<sup>T-t</sup>, what it would be if "
                    "Phi' were 1. A straight falling line is exponential <b>vanishing</b>; a rising one is <b>exploding</b>. "
                    "Right: the states h_t themselves. Hover over a point to read its value."),
            self.control_bar(
                explained(self.w, "the recurrent weight; |w| below 1 shrinks the gradient each step back, above 1 it can grow"),
                self.summary),
            explained(self.input_scale, "size of the inputs x_t; large inputs saturate tanh, Phi' -> 0, and the gradient vanishes even for w > 1"),
            explained(self.T, "sequence length: how many factors the gradient at h_1 multiplies"),
            explained(self.activation, "tanh (Phi' <= 1), identity (Phi' = 1: pure |w|^(T-t)), relu (Phi' is 0 or 1)"),
            explained(self.new_inputs, "draw another input sequence with the same scale"),
            self.chain_view,
        ])
        for control in (self.w, self.input_scale, self.T, self.activation):
            self.watch(control, self.update)
        self.refresh()

    def _reseed(self):
        self.seed += 1
        self.update()

    def update(self) -> None:
        w = _within(self.w.value, W_RANGE, "weight w")
        scale = _within(self.input_scale.value, SCALE_RANGE, "input scale")
        T = _within(self.T.value, T_RANGE, "length T", integer=True)
        unit = one_unit(w, scale, T, self.activation.value, self.seed)
        self.unit, self.result = unit, unit.chain
        self.chain_view.value = chain_html(unit.chain.h, unit.chain.grad, w)
        self.summary.value = (
            f"|dL/dh_1| / |dL/dh_T| = <b>{unit.ratio:.3g}</b> &nbsp; (typical factor |w Phi'| = {unit.mean_factor:.3f}, "
            f"so about {unit.mean_factor:.3f}<sup>{T - 1}</sup>): <b>{unit.regime}</b>."
        )
        if not unit.finite:
            self.message.warning("The numbers overflowed to inf: this is what exploding looks like in floating point.")


class SpectralRadiusApp(LessonApp):
    """A vanilla RNN whose W_hh is rescaled to a chosen spectral radius."""

    title = "A full network: the spectral radius of W_hh"

    def __init__(self, *, radius: float = 1.0, hidden_size: int = 32, T: int = 40, vocab: int = 10,
                 activation: str = "tanh", input_scale: float = 1.0, seed: int = 0):
        self.setup = SpectralSetup.make(hidden_size=hidden_size, T=T, vocab=vocab, seed=seed)
        self.X, self.targets, self.last_only = self.setup.X, self.setup.targets, self.setup.last_only
        style = {"description_width": "130px"}
        self.radius = W.FloatSlider(value=radius, min=RADIUS_RANGE[0], max=RADIUS_RANGE[1], step=0.05,
                                    description="spectral radius", style=style, continuous_update=False)
        self.input_scale = W.FloatSlider(value=input_scale, min=SCALE_RANGE[0], max=SCALE_RANGE[1], step=0.1,
                                         description="input scale", style=style, continuous_update=False)
        self.activation = W.ToggleButtons(options=list(ACTIVATIONS[:2]), value=activation, description="Phi",
                                          style={"button_width": "80px", **style})
        self.spectral_view = W.HTML()  # norms over t, singular values, gradient flow
        self.summary = W.HTML()
        super().__init__([
            heading(self.title,
                    "<b>Gradient reaching h_t</b>: the gradient of the loss at the last time-stamp reaching each h_t (blue) and the norm of "
                    "the Jacobian dh_T/dh_t (orange), on a log scale: read the slope as the rate of vanishing or exploding. "
                    "<b>Singular values</b> of W_hh: if the largest is below the dashed line 1/&gamma; "
                    "(&gamma; = max |Phi'|) the gradient must vanish (Pascanu et al., 2013); above it, exploding becomes possible. "
                    "<b>Gradient flow</b>: row s, column t is how much of the loss at time s reaches h_t (log10); "
                    "bright near the diagonal and dark far left means long-range gradients vanish. "
                    "<b>Grey cells</b> have no value: above the diagonal a loss cannot reach a later state, and in the "
                    "exploding regime a grey cell below it is a gradient that overflowed to inf. "
                    "Hover over a point, bar or cell to read its value."),
            self.control_bar(
                explained(self.radius, "rescales W_hh so its largest |eigenvalue| is this; below 1 memories fade, above 1 they can blow up"),
                self.summary),
            explained(self.input_scale, "scales W_xh; bigger inputs saturate tanh and damp the gradient"),
            explained(self.activation, "tanh saturates and keeps the states bounded; identity (a linear RNN) shows the pure effect of W_hh"),
            self.spectral_view,
        ])
        self.watch(self.radius, self.update)
        self.watch(self.input_scale, self.update)
        self.watch(self.activation, self.update)
        self.refresh()

    @property
    def net(self):
        return self.setup.network(self.activation.value)

    def params(self) -> dict:
        return self.setup.params(_within(self.radius.value, RADIUS_RANGE, "spectral radius"),
                                 _within(self.input_scale.value, SCALE_RANGE, "input scale"))

    def update(self) -> None:
        radius = _within(self.radius.value, RADIUS_RANGE, "spectral radius")
        scale = _within(self.input_scale.value, SCALE_RANGE, "input scale")
        state = spectral_state(self.setup, radius, scale, self.activation.value)
        self.state = state
        self.grad_norms, self.jac_norms, self.bounds, self.flow = state.grad_norms, state.jac_norms, state.bounds, state.flow
        self.spectral_view.value = spectral_html(state.grad_norms, state.jac_norms, state.bounds.singular_values,
                                                 state.bounds.threshold, state.flow)
        self.summary.value = (f"||dL_T/dh_1|| / ||dL_T/dh_T|| = <b>{state.ratio:.3g}</b>. "
                              f"{state.bounds.verdict().capitalize()}.")
        if not state.finite:
            self.message.warning("Some gradients overflowed to inf: the exploding regime. Clipping (lesson 6) is the cure.")
