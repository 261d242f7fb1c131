"""Lesson 5: vanishing and exploding gradients.

* :class:`OneUnitApp` — the chapter's one-unit analysis dL/dh_t = Phi'(a_{t+1}) w dL/dh_{t+1}.
* :class:`SpectralRadiusApp` — a full network: the gradient over t as the spectral
  radius of W_hh moves, its singular values against the bound of Pascanu et al. (2013),
  and the gradient-flow map (loss time x source time).

The views are SVG drawn by rnnviz (:mod:`rnnviz.viz.gradients`) in ``HTML`` widgets whose ``value``
is set on every update: ``OneUnitApp.chain_view`` and ``SpectralRadiusApp.spectral_view``.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..core.diagnostics import gradient_flow, pascanu_bounds, scalar_chain, with_spectral_radius
from ..core.network import Network
from ..viz.gradients import chain_html, spectral_html
from .base import LessonApp, explained, heading

__all__ = ["OneUnitApp", "SpectralRadiusApp"]


class OneUnitApp(LessonApp):
    """One hidden unit, h_t = Phi(x_t + w h_{t-1}), loss L = h_T: watch |dL/dh_t| shrink or grow with T - t."""

    title = "One unit: a product of T - t factors"

    def __init__(self, *, w: float = 0.9, input_scale: float = 0.5, T: int = 50, activation: str = "tanh", seed: int = 0):
        self.seed = seed
        style = {"description_width": "110px"}
        self.w = W.FloatSlider(value=w, min=0.0, max=2.5, step=0.05, description="weight w", style=style,
                               continuous_update=True)
        self.input_scale = W.FloatSlider(value=input_scale, min=0.0, max=3.0, step=0.1, description="input scale",
                                         style=style)
        self.T = W.IntSlider(value=T, min=2, max=100, description="length T", style=style)
        self.activation = W.ToggleButtons(options=["tanh", "identity", "relu"], value=activation,
                                          description="Phi", style={"button_width": "80px", **style})
        self.new_inputs = W.Button(description="new random inputs", icon="refresh")
        self.new_inputs.on_click(lambda _: self.run_guarded(self._reseed))
        self.chain_view = W.HTML()  # |dL/dh_t| (log) with |w|^(T-t), and h_t
        self.summary = W.HTML()
        super().__init__([
            heading(self.title, "Blue: the gradient of L = h_T reaching each earlier state, on a <b>log</b> scale. "
                    "Each step back multiplies it by w&middot;Phi'(a_t); grey dashed: |w|<sup>T-t</sup>, what it would be if "
                    "Phi' were 1. A straight falling line is exponential <b>vanishing</b>; a rising one is <b>exploding</b>. "
                    "Right: the states h_t themselves. Hover over a point to read its value."),
            explained(self.w, "the recurrent weight; below 1 the gradient shrinks each step back, above 1 it can grow"),
            explained(self.input_scale, "size of the inputs x_t; large inputs saturate tanh, Phi' -> 0, and the gradient vanishes even for w > 1"),
            explained(self.T, "sequence length: how many factors the gradient at h_1 multiplies"),
            explained(self.activation, "tanh (Phi' <= 1), identity (Phi' = 1: pure |w|^(T-t)), relu (Phi' is 0 or 1)"),
            explained(self.new_inputs, "draw another input sequence with the same scale"),
            self.summary,
            self.chain_view,
        ])
        for control in (self.w, self.input_scale, self.T, self.activation):
            self.watch(control, self.update)
        self.refresh()

    def _reseed(self):
        self.seed += 1
        self.update()

    def update(self) -> None:
        res = scalar_chain(self.w.value, self.input_scale.value, self.T.value, activation=self.activation.value,
                           rng=np.random.default_rng(self.seed))
        self.result = res
        self.chain_view.value = chain_html(res.h, res.grad, self.w.value)
        g = np.abs(res.grad)
        ratio = g[0] / g[-1] if g[-1] > 0 else np.nan
        mean_factor = float(np.exp(np.mean(np.log(np.abs(res.factors) + 1e-300))))
        kind = "vanishing" if ratio < 1e-2 else "exploding" if ratio > 1e2 else "roughly stable"
        self.summary.value = (
            f"|dL/dh_1| / |dL/dh_T| = <b>{ratio:.3g}</b> &nbsp; (typical factor |w Phi'| = {mean_factor:.3f}, "
            f"so about {mean_factor:.3f}<sup>{self.T.value - 1}</sup>): <b>{kind}</b>."
        )
        if not np.all(np.isfinite(res.grad)) or not np.all(np.isfinite(res.h)):
            self.message.warning("The numbers overflowed to inf: this is what exploding looks like in floating point.")


class SpectralRadiusApp(LessonApp):
    """A vanilla RNN whose W_hh is rescaled to a chosen spectral radius."""

    title = "A full network: the spectral radius of W_hh"

    def __init__(self, *, radius: float = 1.0, hidden_size: int = 32, T: int = 40, vocab: int = 10,
                 activation: str = "tanh", input_scale: float = 1.0, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.sizes = (vocab, hidden_size)
        self.net = Network(vocab, hidden_size, vocab, cell="vanilla", cell_options={"activation": activation})
        self.base = self.net.init_params(rng)
        self.base["layer0.fwd.W_hh"] = rng.standard_normal((hidden_size, hidden_size)) / np.sqrt(hidden_size)
        self.base["layer0.fwd.W_xh"] = rng.standard_normal((hidden_size, vocab))
        self.X = rng.integers(0, vocab, (1, T))
        self.targets = rng.integers(0, vocab, (1, T))
        self.last_only = np.zeros((1, T), bool)
        self.last_only[0, -1] = True
        style = {"description_width": "130px"}
        self.radius = W.FloatSlider(value=radius, min=0.1, max=2.0, step=0.05, description="spectral radius",
                                    style=style, continuous_update=False)
        self.input_scale = W.FloatSlider(value=input_scale, min=0.0, max=3.0, step=0.1, description="input scale",
                                         style=style, continuous_update=False)
        self.activation = W.ToggleButtons(options=["tanh", "identity"], value=activation, description="Phi",
                                          style={"button_width": "80px", **style})
        self.spectral_view = W.HTML()  # norms over t, singular values, gradient flow
        self.summary = W.HTML()
        super().__init__([
            heading(self.title,
                    "<b>Gradient reaching h_t</b>: the gradient of the loss at the last time-stamp reaching each h_t (blue) and the norm of "
                    "the Jacobian dh_T/dh_t (orange), on a log scale: read the slope as the rate of vanishing or exploding. "
                    "<b>Singular values</b> of W_hh: if the largest is below the red dashed line 1/&gamma; "
                    "(&gamma; = max |Phi'|) the gradient must vanish (Pascanu et al., 2013); above it, exploding becomes possible. "
                    "<b>Gradient flow</b>: row s, column t is how much of the loss at time s reaches h_t (log10); "
                    "bright near the diagonal and dark far left means long-range gradients vanish. "
                    "Hover over a point, bar or cell to read its value."),
            explained(self.radius, "rescales W_hh so its largest |eigenvalue| is this; below 1 memories fade, above 1 they can blow up"),
            explained(self.input_scale, "scales W_xh; bigger inputs saturate tanh and damp the gradient"),
            explained(self.activation, "tanh saturates and keeps the states bounded; identity (a linear RNN) shows the pure effect of W_hh"),
            self.summary,
            self.spectral_view,
        ])
        self.watch(self.radius, self.update)
        self.watch(self.input_scale, self.update)
        self.watch(self.activation, self.update)
        self.refresh()

    def params(self) -> dict:
        p = dict(self.base)
        p["layer0.fwd.W_hh"] = with_spectral_radius(self.base["layer0.fwd.W_hh"], self.radius.value)
        p["layer0.fwd.W_xh"] = self.base["layer0.fwd.W_xh"] * self.input_scale.value
        return p

    def update(self) -> None:
        if self.net.layers[0]["fwd"].activation != self.activation.value:
            self.net = Network(self.sizes[0], self.sizes[1], self.sizes[0], cell="vanilla",
                               cell_options={"activation": self.activation.value})
        p = self.params()
        ev = self.net.evaluate(p, self.X, self.targets, target_mask=self.last_only)
        grad_norms = ev.backward.dh_norms()["layer0.fwd"]
        jac = self.net.jacobian_norms(p, ev.forward.cache)  # inf where the product overflowed
        bounds = pascanu_bounds(p["layer0.fwd.W_hh"], self.activation.value)
        flow = gradient_flow(self.net, p, self.X, self.targets)
        self.grad_norms, self.jac_norms, self.bounds, self.flow = grad_norms, jac, bounds, flow
        self.spectral_view.value = spectral_html(grad_norms, jac, bounds.singular_values, bounds.threshold, flow)
        ratio = grad_norms[0] / grad_norms[-1] if grad_norms[-1] > 0 else np.nan
        self.summary.value = (f"||dL_T/dh_1|| / ||dL_T/dh_T|| = <b>{ratio:.3g}</b>. {bounds.verdict().capitalize()}.")
        if not (np.all(np.isfinite(grad_norms)) and np.all(np.isfinite(flow))):
            self.message.warning("Some gradients overflowed to inf: the exploding regime. Clipping (lesson 6) is the cure.")
