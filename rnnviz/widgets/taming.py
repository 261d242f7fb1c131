"""Lesson 6: taming the gradients -- truncated BPTT and gradient clipping.

* :class:`TruncationApp` -- which terms of the exact gradient a truncation window k drops
  (on the gradient-flow map) and how far the truncated gradient is from the exact one.
* :class:`ClippingApp` -- clipping one exploding gradient by value and by norm (before/after
  and the cosine to the original), then training with and without clipping: the unclipped
  run overflows to inf/NaN, the Trainer stops cleanly and says why, the clipped run finishes.
* Exercise checkers -- :func:`check_clip_by_norm`, :func:`check_clip_by_value`,
  :func:`check_window`: they run the student's function on small cases chosen so that each
  typical mistake gives itself away, and name it.
"""

from __future__ import annotations

import html
import time
import uuid
from collections.abc import Callable, Mapping

import ipywidgets as W
import numpy as np

from ..core.clipping import clip_by_norm, clip_by_value, global_norm
from ..core.diagnostics import gradient_flow, with_spectral_radius
from ..core.network import Network
from ..core.optim import SGD
from ..core.train import Batch, Trainer
from ..data import echo_task
from ..viz.taming import CLIP_COLORS, clip_html, flow_html, kept_by_truncation, training_html, window_html
from .base import LessonApp, explained, heading

__all__ = ["ClippingApp", "TruncationApp", "check_clip_by_norm", "check_clip_by_value", "check_window", "cosine",
           "relative_gap"]

#: every control gets this width, so the help text beside it cannot squeeze a slider to a stub
WIDE = "400px"
#: seconds between two drawings of the training view while a run is going
LIVE_EVERY = 0.25


def _row(control: W.Widget, text: str) -> W.HBox:
    """:func:`explained` with a fixed-width control that does not shrink."""
    control.layout.flex = "0 0 auto"
    return explained(control, text, width=None if isinstance(control, W.Button) else WIDE)


def _side_by_side(*views: W.Widget) -> W.HBox:
    """Views next to each other in a wide page, one under the other in a narrow one."""
    for v in views:
        v.layout.flex = "0 1 auto"
    views[0].layout.margin = "0 30px 0 0"
    return W.HBox(list(views), layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))


def relative_gap(approx: Mapping[str, np.ndarray], exact: Mapping[str, np.ndarray], keys=None) -> float:
    """||approx - exact|| / ||exact|| over the given keys (all by default), both as one long vector."""
    keys = list(exact) if keys is None else list(keys)
    diff = global_norm({k: approx[k] - exact[k] for k in keys})
    ref = global_norm({k: exact[k] for k in keys})
    return diff / ref if ref > 0 else 0.0


def cosine(a: Mapping[str, np.ndarray], b: Mapping[str, np.ndarray]) -> float:
    """cos of the angle between two gradients (dicts with the same keys), each as one long vector."""
    dot = sum(float(np.vdot(a[k], b[k])) for k in b)
    na, nb = global_norm(a), global_norm(b)
    return dot / (na * nb) if na > 0 and nb > 0 else 0.0


# =========================================================================== truncated BPTT
class TruncationApp(LessonApp):
    """A tanh RNN on one random sequence: the window k of truncated BPTT against the exact gradient."""

    title = "Truncated BPTT: what a window of k steps leaves out"

    def __init__(self, *, window: int = 6, radius: float = 1.0, T: int = 24, hidden_size: int = 16, vocab: int = 8,
                 seed: int = 0):
        rng = np.random.default_rng(seed)
        self.T = T
        self.net = Network(vocab, hidden_size, vocab, cell="vanilla")
        self.base = self.net.init_params(rng)
        self.base["layer0.fwd.W_hh"] = rng.standard_normal((hidden_size, hidden_size)) / np.sqrt(hidden_size)
        self.base["layer0.fwd.W_xh"] = rng.standard_normal((hidden_size, vocab))
        self.X = rng.integers(0, vocab, (1, T))
        self.targets = rng.integers(0, vocab, (1, T))
        self.windows = np.arange(1, T + 1)
        style = {"description_width": "130px"}
        self.window = W.IntSlider(value=window, min=1, max=T, description="window k", style=style,
                                  continuous_update=True)
        self.radius = W.FloatSlider(value=radius, min=0.5, max=1.6, step=0.05, description="spectral radius",
                                    style=style, continuous_update=False)
        # the views, drawn as SVG by rnnviz (rnnviz.viz.taming): the flow map with what every k drops (sent when the
        # radius changes), and the gap curves with the style that shows k's dropped entries (all a move of k sends)
        self._view_id = uuid.uuid4().hex[:12]
        self.flow_view = W.HTML()
        self.window_view = W.HTML()
        self.summary = W.HTML()
        super().__init__([
            heading(self.title,
                    "<b>Left</b>: row s, column t is how much of the loss at time s reaches the hidden state h_t (log10, "
                    "as in lesson 5). Truncated BPTT cuts the sequence into windows of k steps; the backward pass of a "
                    "window stops at its first time-stamp, so the loss at s only reaches states t in its own window. "
                    "<b>Grey</b> entries are the terms it drops; the white outlines are the windows. "
                    "<b>Right</b> (below in a narrow page): how far the truncated gradient g_k is from the exact one g, "
                    "for every k (blue: all parameters together, orange: W_hh alone); the red circle is your k. At "
                    f"k = T = {T} nothing is dropped and the gap is 0. Bright entries in grey mean a large gap; "
                    "if the dropped entries are dark (the gradient vanished anyway), truncation costs little. "
                    "Hover over a cell or a point for its value."),
            _row(self.window, "length k of each truncation window; small k drops every path longer than the "
                              "window, k = T is the exact BPTT"),
            _row(self.radius, "rescales W_hh to this spectral radius: small, and far-back terms vanish so truncation "
                              "is harmless; large, and the dropped terms matter (recomputes every k)"),
            self.summary,
            _side_by_side(self.flow_view, self.window_view),
        ])
        self.watch(self.window, self.update_window)
        self.watch(self.radius, self.update)
        self.refresh()

    def params(self, radius: float | None = None) -> dict:
        p = dict(self.base)
        r = self.radius.value if radius is None else radius
        p["layer0.fwd.W_hh"] = with_spectral_radius(self.base["layer0.fwd.W_hh"], r)
        return p

    def truncated_gradient(self, params: Mapping[str, np.ndarray], window: int, hidden: np.ndarray | None = None) -> dict:
        """The gradient of :func:`~rnnviz.core.tbptt_gradient` with windows of ``window`` steps, in one batch.

        tbptt_gradient evaluates the windows one after the other (about 1 ms each, ~100 for all k at
        T = 24). The windows only share the state carried forward, which the full forward pass
        already knows: window [a, a+k) is one row of a batch starting from h_{a-1}, padded at its end
        with absent targets (padding after the last target sends no gradient back). Same sum, one call.
        """
        T, k = self.T, int(window)
        if k >= T:
            return self.net.evaluate(params, self.X, self.targets).grads
        if hidden is None:
            hidden = self.net.forward(params, self.X).hidden["layer0.fwd"][0]  # (T, H)
        starts = np.arange(0, T, k)
        idx = starts[:, None] + np.arange(k)[None, :]  # (windows, k) time-stamps, past T at the end
        present = idx < T
        idx = np.minimum(idx, T - 1)
        h0 = np.zeros((len(starts), hidden.shape[1]))
        h0[1:] = hidden[starts[1:] - 1]  # each window starts from the state the previous one ended in
        ev = self.net.evaluate(params, self.X[0][idx], self.targets[0][idx], target_mask=present,
                               state0={"layer0.fwd": (h0,)})
        return ev.grads

    def gaps(self, params: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """Relative error of the truncated gradient for every window k = 1..T: (all parameters, W_hh alone)."""
        exact = self.net.evaluate(params, self.X, self.targets).grads
        hidden = self.net.forward(params, self.X).hidden["layer0.fwd"][0]
        total, whh = np.empty(self.T), np.empty(self.T)
        for i, k in enumerate(self.windows):
            g = self.truncated_gradient(params, int(k), hidden)
            total[i] = relative_gap(g, exact)
            whh[i] = relative_gap(g, exact, ["layer0.fwd.W_hh"])
        return total, whh

    def update(self) -> None:
        p = self.params()
        self.flow = gradient_flow(self.net, p, self.X, self.targets)
        self.gap, self.gap_whh = self.gaps(p)
        self.flow_view.value = flow_html(self.flow, view_id=self._view_id, windows=self.windows)
        self.update_window()

    def update_window(self) -> None:
        """A move of k: the gap curves with k marked, and the style that shows k's dropped entries (the flow map stays)."""
        k = self.window.value
        if not (isinstance(k, (int, np.integer)) and 1 <= k <= self.T):
            raise ValueError(f"window k: expected 1 to {self.T}, got {k!r}")
        self.window_view.value = window_html(self.windows, self.gap, self.gap_whh, int(k), view_id=self._view_id)
        self._describe()

    def _describe(self) -> None:
        k, T = int(self.window.value), self.T
        kept = kept_by_truncation(T, k)
        paths = T * (T + 1) // 2
        flow2 = np.nan_to_num(self.flow, nan=0.0, posinf=0.0) ** 2
        share = float(flow2[kept].sum() / flow2.sum()) if flow2.sum() > 0 else 1.0
        n_windows = -(-T // k)
        self.summary.value = (
            f"k = {k}: {n_windows} window{'s' if n_windows > 1 else ''}; the truncated gradient keeps "
            f"<b>{int(kept.sum())}</b> of the {paths} (s, t) paths, carrying {100 * share:.0f}% of the squared "
            f"gradient flow. Relative error <b>{self.gap[k - 1]:.3g}</b> (W_hh: {self.gap_whh[k - 1]:.3g}). "
            "W_hy and b_y are exact for every k: they do not reach back in time."
        )


# =========================================================================== clipping
class _Running:
    """The steps a run has taken so far, as the training view reads a finished run (``losses``, ``grad_norms``)."""

    diverged = False

    def __init__(self, records: list):
        self.history = list(records)

    @property
    def losses(self) -> np.ndarray:
        return np.array([r.loss for r in self.history], dtype=float)

    @property
    def grad_norms(self) -> np.ndarray:
        return np.array([r.grad_norm for r in self.history], dtype=float)


def _echo_batches(n_batches: int, batch_size: int, T: int, lag: int, symbols: int, rng) -> list[Batch]:
    d = echo_task(n_batches * batch_size, T, lag, num_symbols=symbols, rng=rng)
    return [Batch(d.X[i * batch_size:(i + 1) * batch_size], d.y[i * batch_size:(i + 1) * batch_size],
                  d.target_mask[i * batch_size:(i + 1) * batch_size]) for i in range(n_batches)]


class ClippingApp(LessonApp):
    """A linear RNN (identity activation) whose W_hh starts at spectral radius > 1: an exploding gradient.

    Part 1 clips its first gradient by value and by norm; part 2 trains it on the echo task
    (repeat the symbol seen ``lag`` steps ago) with plain SGD, without and with clipping,
    from the same seeded start on the same batches.
    """

    title = "Clipping: by value against by norm"

    def __init__(self, *, threshold: float | None = None, radius: float = 1.2, hidden_size: int = 16, T: int = 20,
                 lag: int = 3, symbols: int = 4, lr: float = 0.1, steps: int = 300, batch_size: int = 16,
                 train_clip: str = "norm", train_threshold: float = 1.0, seed: int = 0):
        rng = np.random.default_rng(seed)
        self.steps = steps
        self.net = Network(symbols, hidden_size, symbols, cell="vanilla", cell_options={"activation": "identity"})
        params = self.net.init_params(rng)
        W_hh = rng.standard_normal((hidden_size, hidden_size)) / np.sqrt(hidden_size)
        params["layer0.fwd.W_hh"] = with_spectral_radius(W_hh, radius)
        self.init_params = params
        self.batches = _echo_batches(steps, batch_size, T, lag, symbols, rng)
        first = self.batches[0]
        ev = self.net.evaluate(params, first.X, first.targets, target_mask=first.target_mask, reduction="mean")
        self.grad = {"W_hh": ev.grads["layer0.fwd.W_hh"]}  # the gradient of training step 1
        g = self.grad["W_hh"]
        gmax, gnorm = float(np.max(np.abs(g))), global_norm(self.grad)
        lo, hi = np.floor(np.log10(gmax)) - 2, np.ceil(np.log10(gnorm) + 0.3)
        self.thresholds = np.logspace(lo, hi, 161)
        self.cos_value = np.array([cosine(clip_by_value(self.grad, c)[0], self.grad) for c in self.thresholds])
        self.cos_norm = np.array([cosine(clip_by_norm(self.grad, c)[0], self.grad) for c in self.thresholds])
        if threshold is None:
            threshold = float(10 ** np.round(np.log10(gmax / 10), 1))
        style = {"description_width": "130px"}
        self.threshold = W.FloatLogSlider(value=threshold, base=10, min=lo, max=hi, step=0.05, description="threshold c",
                                          style=style, readout_format=".3g", continuous_update=True)
        self.clip_summary = W.HTML()
        self.train_clip = W.ToggleButtons(options=["norm", "value"], value=train_clip, description="clip by",
                                          style={"button_width": "90px", "description_width": "130px"})
        self.train_threshold = W.FloatLogSlider(value=train_threshold, base=10, min=-2, max=2, step=0.25,
                                                description="training c", style=style, readout_format=".3g",
                                                continuous_update=False)
        self.lr = W.SelectionSlider(options=[0.003, 0.01, 0.03, 0.1, 0.3], value=lr, description="learning rate",
                                    style=style, continuous_update=False)
        self.train_button = W.Button(description=f"train both ({steps} steps each)", icon="play",
                                     button_style="primary", layout=W.Layout(width=WIDE))
        self.train_button.on_click(lambda _: self.run_guarded(self.train))
        self.progress = W.IntProgress(value=0, min=0, max=2 * steps, description="progress",
                                      style={"description_width": "130px"}, layout=W.Layout(width=WIDE))
        self.training_summary = W.HTML()
        self.runs: dict = {"plain": None, "clipped": None}
        self.train_seconds = 0.0
        # the views, drawn as SVG by rnnviz (rnnviz.viz.taming): part 1 moves with the threshold, part 2 changes
        # when a run trains (drawn live while it does)
        self.clip_view = W.HTML()
        self.training_view = W.HTML()
        self.live_draws = 0  # how often the training view was drawn during the last training (for the tests)
        n = g.size
        super().__init__([
            heading("1. " + self.title,
                    f"One gradient: dL/dW_hh ({n} entries) of a linear RNN whose W_hh has spectral radius {radius:g} "
                    "(exploding regime), on its first training batch. "
                    "<b>1a</b>: each dot is one entry, x before and y after clipping. <span style='color:#ea580c'>"
                    "By value</span> cuts every entry to [-c, c]: a bent line, flat beyond &plusmn;c, so big and small "
                    "entries end up closer in size and the gradient <b>points elsewhere</b>. <span style='color:#2563eb'>"
                    "By norm</span> multiplies every entry by the same c/||g|| when ||g|| &gt; c: a straight line "
                    "through 0, the <b>same direction</b>, only shorter. "
                    "<b>1b</b>: the cosine between the clipped and the original gradient (1 = same direction) for "
                    "every c; the circles are your c. By norm it is always 1. Hover over a dot or a curve for its "
                    "value."),
            _row(self.threshold, "the clipping threshold c; move it left and more entries are cut (by value) or "
                                 "the whole gradient shrinks more (by norm)"),
            self.clip_summary,
            self.clip_view,
            heading("2. Training with and without clipping",
                    f"Both runs start from the same weights (spectral radius {radius:g}) and see the same "
                    f"batches of the echo task (output the symbol seen {lag} steps ago, sequences of {T}), with plain "
                    "SGD. <b>2a</b>: the loss of each step. <span style='color:#dc2626'>Red</span>, no clipping: a "
                    "large gradient makes a large step, W_hh grows, the next gradient is larger still, until the "
                    "numbers overflow; the x marks the last finite step. The clipped run has the colour of its kind. "
                    "<b>2b</b>: the gradient norm before clipping at each step; the dashed line is max_norm: every "
                    "step above it was clipped. The panels fill while the runs train."),
            _row(self.train_clip, "how the second run clips: by the global norm of all gradients, or every "
                                  "entry by value"),
            _row(self.train_threshold, "max_norm (by norm) or c (by value) of the second run: too large and it "
                                       "clips too late, very small and training crawls"),
            _row(self.lr, "SGD step size of both runs: a smaller one can also avoid the blow-up, but learns "
                          "more slowly"),
            _row(self.train_button, "train a model without clipping, then the same model with clipping "
                                    "(a second or two)"),
            self.progress,
            self.training_summary,
            self.training_view,
        ])
        self.watch(self.threshold, self.update)
        self.run_guarded(self.clear_training)
        self.refresh()

    # ------------------------------------------------------------------ part 1: one gradient
    def update(self) -> None:
        c = float(self.threshold.value)
        if not (np.isfinite(c) and c > 0):
            raise ValueError(f"threshold c: expected a positive number, got {c!r}")
        by_value, rv = clip_by_value(self.grad, c)
        by_norm, rn = clip_by_norm(self.grad, c)
        self.clipped = {"value": by_value["W_hh"], "norm": by_norm["W_hh"]}
        self.cosines = {"value": cosine(by_value, self.grad), "norm": cosine(by_norm, self.grad)}
        self.reports = {"value": rv, "norm": rn}
        self.clip_view.value = clip_html(self.grad["W_hh"], by_value["W_hh"], by_norm["W_hh"], c, self.thresholds,
                                         self.cos_value, self.cos_norm, (self.cosines["value"], self.cosines["norm"]))
        norm_note = ("||g|| &le; c: unchanged" if not rn.clipped
                     else f"||g|| {rn.norm_before:.3g} &rarr; {rn.norm_after:.3g}")
        self.clip_summary.value = (
            f"c = {c:.3g}. <span style='color:#ea580c'><b>By value</b></span>: {100 * rv.fraction_clipped:.0f}% of the "
            f"entries cut, ||g|| {rv.norm_before:.3g} &rarr; {rv.norm_after:.3g}, cosine to the original "
            f"<b>{self.cosines['value']:.3f}</b>. &nbsp; <span style='color:#2563eb'><b>By norm</b></span>: "
            f"{norm_note}, cosine <b>{self.cosines['norm']:.3f}</b>."
        )

    # ------------------------------------------------------------------ part 2: training
    def clear_training(self) -> None:
        """Forget both runs (the training view becomes empty: a hint to train)."""
        self.runs = {"plain": None, "clipped": None}
        self.progress.value = 0
        self.training_summary.value = "Press <b>train both</b> to train the two models."
        self.training_view.value = training_html(None, None, kind="norm", threshold=1.0, steps=self.steps)

    def _trainer(self, clip) -> Trainer:
        return Trainer(self.net, self.init_params, SGD(lr=float(self.lr.value)), clip=clip)

    def train(self) -> None:
        """Train the model without clipping, then with clipping, from the same start on the same batches."""
        kind, c = self.train_clip.value, float(self.train_threshold.value)
        if kind not in CLIP_COLORS or not (np.isfinite(c) and c > 0):
            raise ValueError(f"clipping: expected 'norm' or 'value' and a positive threshold, got {kind!r} and {c!r}")
        self.train_button.disabled = True
        self.progress.value = 0
        offset = {"plain": 0, "clipped": self.steps}
        start = time.perf_counter()
        self.runs = {"plain": None, "clipped": None}
        self.live_draws = 0
        last_draw = [start]

        def draw(running: bool) -> None:
            self.training_view.value = training_html(self.runs["plain"], self.runs["clipped"], kind=kind, threshold=c,
                                                     steps=self.steps, running=running)

        try:
            for name, clip in (("plain", None), ("clipped", (kind, c))):
                so_far: list = []

                def progress(record, base=offset[name], so_far=so_far, name=name):
                    so_far.append(record)
                    if record.step % 10 == 0:
                        self.progress.value = base + record.step
                    now = time.perf_counter()
                    if now - last_draw[0] >= LIVE_EVERY:  # the runs so far, a few times a second
                        self.runs[name] = _Running(so_far)
                        draw(running=True)
                        self.live_draws += 1
                        last_draw[0] = time.perf_counter()

                self.runs[name] = self._trainer(clip).run(self.batches, self.steps, callbacks=[progress])
                self.progress.value = offset[name] + self.steps
        finally:
            self.train_button.disabled = False
            self.train_seconds = time.perf_counter() - start
        draw(running=False)
        self._report(kind, c)

    def fraction_clipped(self, name: str = "clipped") -> float:
        """Share of the run's steps whose gradient was clipped."""
        run = self.runs[name]
        if run is None or not run.history:
            return 0.0
        return float(np.mean([r.clip is not None and r.clip.clipped for r in run.history]))

    @staticmethod
    def _grew(run) -> bool:
        """Did a run that did not overflow still blow up (its loss ended above where it started)?"""
        return (not run.diverged and len(run.history) > 10
                and not np.mean(run.losses[-10:]) < run.losses[0])

    def _describe_run(self, run) -> str:
        if run.diverged:
            return f"stopped after {len(run.history)} steps: the loss became inf/NaN"
        text = f"{len(run.history)} steps, final loss {np.mean(run.losses[-10:]):.3g} (mean of the last 10)"
        return text + (f", above the first step's {run.losses[0]:.3g}" if self._grew(run) else "")

    def _report(self, kind: str, c: float) -> None:
        plain, clipped = self.runs["plain"], self.runs["clipped"]
        frac = self.fraction_clipped()
        self.training_summary.value = (
            f"<span style='color:#dc2626'><b>without clipping</b></span>: {html.escape(self._describe_run(plain))}. "
            f"&nbsp; <b>with clipping by {kind}, c = {c:g}</b>: {html.escape(self._describe_run(clipped))}; "
            f"{100 * frac:.0f}% of its steps were clipped. ({self.train_seconds:.1f} s for both)"
        )
        why = ("Why: W_hh has a spectral radius above 1, so the gradient grows by about that factor for every step "
               "back in time; one SGD step of size lr*g then makes W_hh larger, which makes the next gradient larger "
               "still")
        cure = (f"The cure is clipping: the second run, from the same start on the same batches but clipping by "
                f"{kind} at c = {c:g}, ")
        if clipped.diverged:
            cure += (f"blew up as well ({clipped.stopped_reason}). Lower the training c or the learning rate and "
                     "train again.")
        elif self._grew(clipped):
            cure += (f"did not overflow, but its loss grew too ({np.mean(clipped.losses[-10:]):.3g}): c = {c:g} is "
                     "too large to bound the steps. Lower the training c and train again.")
        else:
            cure += (f"finished all {len(clipped.history)} steps at loss {np.mean(clipped.losses[-10:]):.3g}; "
                     f"{100 * frac:.0f}% of its steps were clipped.")
        if plain.diverged:
            self.message.warning(
                f"Without clipping the training stopped: {plain.stopped_reason}. {why}, until the numbers overflow "
                f"to inf (and inf - inf gives NaN). The Trainer stopped cleanly and kept the last finite weights. {cure}"
            )
        elif self._grew(plain):
            self.message.warning(
                f"Without clipping the loss grew from {plain.losses[0]:.3g} to {np.mean(plain.losses[-10:]):.3g}: the "
                f"gradients exploded, though the numbers did not yet overflow in {len(plain.history)} steps. {why}. "
                f"{cure}"
            )
        elif clipped.diverged or self._grew(clipped):
            self.message.warning(f"The run without clipping learned, the clipped one did not. {cure}")
        else:
            self.message.info(f"Both runs learned: at learning rate {self.lr.value:g} the steps stayed small "
                              "enough. Raise the learning rate to see the unclipped run blow up.")


# =========================================================================== exercise checkers
class _WrongResult(Exception):
    """The student's function returned something that is not a gradient dict like its input."""


def _call(fn: Callable, grads: dict, c: float):
    """The student's result as a dict (a (dict, report) pair like the core's is accepted too)."""
    out = fn({k: v.copy() for k, v in grads.items()}, c)
    if isinstance(out, tuple) and len(out) == 2 and isinstance(out[0], Mapping):
        out = out[0]
    if not isinstance(out, Mapping):
        raise _WrongResult(f"your function returned {type(out).__name__}; return a dict like grads (name -> array)")
    if set(out) != set(grads):
        raise _WrongResult(f"your function returned keys {sorted(out)}; return the same keys as grads: {sorted(grads)}")
    for k, v in grads.items():
        if np.shape(out[k]) != v.shape:
            raise _WrongResult(f"your {k!r} has shape {np.shape(out[k])}; it must keep the shape {v.shape} of grads[{k!r}]")
    return {k: np.asarray(out[k], dtype=float) for k in grads}


def _same(a: Mapping, b: Mapping) -> bool:
    return all(np.allclose(a[k], b[k], rtol=1e-9, atol=1e-12) for k in b)


def _modifies_input(fn: Callable, grads: dict, c: float) -> bool:
    given = {k: v.copy() for k, v in grads.items()}
    fn(given, c)
    return not _same(given, grads)


def check_clip_by_norm(fn: Callable) -> str:
    """Check a student's ``clip_by_norm(grads, max_norm) -> dict`` and name the mistake.

    Cases: a gradient below the threshold (must come back unchanged); two arrays of norms 3 and 4
    (global norm 5) with max_norm 3.5 -- above one array's norm, below the other's and below the
    global one, so clipping each array separately gives itself away; one array with an entry
    beyond max_norm, so clipping by value does too.
    """
    small = {"W_hh": np.array([[0.6, -0.8], [0.0, 1.2]]), "b_h": np.array([0.9, -0.3])}  # ||g|| = 1.83
    two = {"W_xh": np.array([[3.0, 0.0], [0.0, 0.0]]), "W_hh": np.array([[0.0, 2.4], [-3.2, 0.0]])}  # 3 and 4: 5
    big = {"W_hh": np.array([[6.0, 0.5], [0.0, -2.0]])}  # ||g|| = 6.34, one entry beyond 3
    c_small, c_two, c_big = 2.5, 3.5, 3.0
    try:
        if _modifies_input(fn, two, c_two):
            return ("not yet: you modified the input gradients in place (g *= ... or g[...] = ...); return new arrays "
                    "(g * scale) and leave grads as it was")
        out_small, out_two, out_big = _call(fn, small, c_small), _call(fn, two, c_two), _call(fn, big, c_big)
    except _WrongResult as exc:
        return f"not yet: {exc}"
    except Exception as exc:  # the student's code: any error is feedback
        return f"not yet: your function raised {type(exc).__name__}: {exc}"
    if not _same(out_small, small):
        return (f"not yet: you changed the gradient when its norm was below the threshold (||g|| = "
                f"{global_norm(small):.3g} <= max_norm = {c_small}, yours came back with norm "
                f"{global_norm(out_small):.3g}); rescale only when ||g|| > max_norm")
    if _same(out_big, {k: np.clip(v, -c_big, c_big) for k, v in big.items()}):
        return ("not yet: you clipped each entry to [-max_norm, max_norm], which is clipping by value and changes the "
                "direction; clipping by norm multiplies every entry by the same factor max_norm / ||g||")
    if _same(out_two, two):
        return (f"not yet: you returned the gradient unchanged although its global norm ||g|| = 5 is above max_norm = "
                f"{c_two}; then every array must be multiplied by max_norm / ||g||")
    per_array = {k: v * min(1.0, c_two / np.linalg.norm(v)) for k, v in two.items()}
    if _same(out_two, per_array):
        return ("not yet: you clipped each array separately instead of the global norm; ||g|| is the norm of all "
                "entries of all arrays together, sqrt(sum over the arrays of sum(g**2)) = 5 here, and every array is "
                "scaled by the same max_norm / ||g||")
    for case, out in ((two, out_two), (big, out_big)):
        cos = cosine(out, case)
        if not cos > 1 - 1e-9:
            return (f"not yet: the clipped gradient points in another direction (cosine {cos:.4f} to the original, it "
                    "must be 1); multiply every entry of every array by the same factor max_norm / ||g||")
    norm = global_norm(out_two)
    if not np.isclose(norm, c_two, rtol=1e-9):
        return (f"not yet: the direction is right but the clipped norm is {norm:.4g}, not max_norm = {c_two} "
                "(for ||g|| = 5); the factor is max_norm / ||g||, with ||g|| the square root of the sum of squares")
    return ("correct: below the threshold the gradient is untouched; above it every array is scaled by "
            "max_norm / ||g|| with the global norm, so the direction is kept (cosine 1) and the norm becomes max_norm")


def check_clip_by_value(fn: Callable) -> str:
    """Check a student's ``clip_by_value(grads, c) -> dict`` (every entry cut to [-c, c]) and name the mistake."""
    grads = {"W_hh": np.array([[2.0, -0.5], [-3.0, 0.25]]), "b_h": np.array([-1.5, 0.75])}
    c = 1.0
    try:
        if _modifies_input(fn, grads, c):
            return "not yet: you modified the input gradients in place; return new arrays (np.clip(g, -c, c))"
        out = _call(fn, grads, c)
    except _WrongResult as exc:
        return f"not yet: {exc}"
    except Exception as exc:  # the student's code: any error is feedback
        return f"not yet: your function raised {type(exc).__name__}: {exc}"
    want = {k: np.clip(v, -c, c) for k, v in grads.items()}
    if _same(out, want):
        return ("correct: every entry is cut to [-c, c]; entries already inside are untouched, so the direction "
                f"changes (cosine {cosine(want, grads):.3f} here)")
    if _same(out, grads):
        return "not yet: you returned the gradient unchanged; the entries 2, -3 and -1.5 lie beyond c = 1 and must be cut"
    if _same(out, {k: np.minimum(v, c) for k, v in grads.items()}):
        return "not yet: you only cut the large positive entries; entries below -c must become -c too"
    if _same(out, {k: np.maximum(v, -c) for k, v in grads.items()}):
        return "not yet: you only raised the entries below -c; entries above c must become c too"
    if _same(out, {k: np.minimum(np.abs(v), c) for k, v in grads.items()}):
        return "not yet: you lost the sign of the entries; -3 must become -c, not +c"
    if cosine(out, grads) > 1 - 1e-9:
        return ("not yet: you rescaled the whole gradient (that is clipping by norm); clipping by value cuts each "
                "entry separately: max(-c, min(c, g))")
    inside = {k: np.abs(v) <= c for k, v in grads.items()}
    if not all(np.allclose(out[k][inside[k]], grads[k][inside[k]]) for k in grads):
        return "not yet: you changed entries that were already inside [-c, c]; those must stay as they are"
    return "not yet: some entries beyond c are not cut to exactly c (or -c); use max(-c, min(c, g)) on every entry"


def check_window(answer, app: TruncationApp, *, radius: float = 0.8, tol: float = 0.05) -> str:
    """Exercise: the smallest window k whose truncated gradient is within ``tol`` of the exact one."""
    if isinstance(answer, bool) or not isinstance(answer, (int, np.integer)):
        return f"not yet: expected a whole number of time-stamps k, got {answer!r}"
    if not 1 <= answer <= app.T:
        return f"not yet: a window has 1 to T = {app.T} time-stamps, got {answer}"
    gap, _ = app.gaps(app.params(radius))
    best = int(np.argmax(gap < tol)) + 1  # gap[T-1] == 0, so some k qualifies
    if answer == best:
        return (f"correct: at spectral radius {radius:g}, k = {best} gives a relative error of {gap[best - 1]:.3g} < {tol:g}; "
                f"k = {best - 1} gives {gap[best - 2]:.3g}" if best > 1 else f"correct: even k = 1 is within {tol:g}")
    if gap[answer - 1] >= tol:
        return (f"not yet: with k = {answer} the relative error is {gap[answer - 1]:.3g}, not below {tol:g}; "
                "set the radius slider to the exercise's value and read the blue curve")
    return (f"not yet: k = {answer} is within {tol:g} (error {gap[answer - 1]:.3g}), but a smaller window is too; "
            "look for the first k where the blue curve drops below the tolerance")
