"""Lesson 6: taming the gradients — the apps.

* :class:`TruncationApp` — which terms of the exact gradient a truncation window k drops (on the gradient-flow
  map) and how far the truncated gradient is from the exact one.
* :class:`ClippingApp` — one exploding gradient clipped by value (the summed gradient, or each time-stamp's copy
  before the copies are added, as the chapter does) and by norm; then training without and with clipping: the
  unclipped run overflows to inf/NaN, the training stops cleanly and says why, the clipped run finishes.

What they compute is in :mod:`rnnviz.lessonmath.taming`, the views in :mod:`rnnviz.viz.taming`, the exercises in
:mod:`rnnviz.exercises.taming`.
"""

from __future__ import annotations

import time
import uuid

import ipywidgets as W
import numpy as np

from ..core.checks import within as _within
from ..lessonmath.taming import (
    CLIP_KINDS,
    LEARNING_RATES,
    RADIUS_RANGE,
    TRAIN_C_RANGE,
    VALUE_ON,
    ClipSetup,
    Run,
    TruncationSetup,
    chance_loss,
    clip_state,
    clip_words,
    learned_below,
    train_run,
    training_verdict,
    truncation_state,
    window_summary,
)
from ..viz.svg import BLUE, esc
from ..viz.taming import (
    CLIP_COLORS,
    PLAIN,
    clip_html,
    flow_html,
    training_html,
    window_html,
)
from .base import LessonApp, explained, heading

__all__ = ["ClippingApp", "TruncationApp"]

#: every slider gets this width, so the help text beside it cannot squeeze it to a stub
WIDE = "400px"
#: seconds between two drawings of the training view while a run is going
LIVE_EVERY = 0.25


def _row(control: W.Widget, text: str) -> W.HBox:
    """:func:`explained` with a control that keeps its width."""
    control.layout.flex = "0 0 auto"
    sized = isinstance(control, (W.Button, W.ToggleButtons))
    return explained(control, text, width=None if sized else WIDE)


def _side_by_side(*views: W.Widget) -> W.HBox:
    """Views next to each other in a wide page, one under the other in a narrow one."""
    for v in views:
        v.layout.flex = "0 1 auto"
    views[0].layout.margin = "0 24px 0 0"
    return W.HBox(list(views), layout=W.Layout(flex_flow="row wrap", align_items="flex-start"))


def _coloured(text: str, colour: str) -> str:
    return f"<span style='color:{colour}'><b>{text}</b></span>"


# =========================================================================== truncated BPTT
class TruncationApp(LessonApp):
    """A tanh RNN on one random sequence: the window k of truncated BPTT against the exact gradient."""

    title = "Truncated BPTT: what a window of k steps leaves out"

    def __init__(self, *, window: int = 6, radius: float = 1.0, T: int = 24, hidden_size: int = 16, vocab: int = 8,
                 seed: int = 0):
        self.setup = TruncationSetup.make(T=T, hidden_size=hidden_size, vocab=vocab, seed=seed)
        self.T, self.net, self.base = self.setup.T, self.setup.network(), self.setup.base
        self.X, self.targets, self.windows = self.setup.X, self.setup.targets, self.setup.windows
        style = {"description_width": "120px"}
        self.window = W.IntSlider(value=window, min=1, max=self.T, description="window k", style=style,
                                  continuous_update=True)
        self.radius = W.FloatSlider(value=radius, min=RADIUS_RANGE[0], max=RADIUS_RANGE[1], step=0.05,
                                    description="spectral radius", style=style, continuous_update=False)
        # the flow map holds what every k drops (sent when the radius changes); a move of k sends the gap curves and
        # the style that shows k's dropped entries
        self._view_id = uuid.uuid4().hex[:12]
        self.flow_view = W.HTML()
        self.window_view = W.HTML()
        self.summary = W.HTML()
        super().__init__([
            heading(self.title,
                    "<b>Left</b>: row s, column t is how much of the loss at time s reaches the hidden state h_t "
                    "(log10, as in lesson 5). Truncated BPTT cuts the sequence into windows of k steps; the backward "
                    "pass of a window stops at its first time-stamp, so the loss at s only reaches states t in its own "
                    "window. <b>Grey</b> entries are the terms it drops; the white outlines are the windows. "
                    "<b>Right</b> (below in a narrow page): how far the truncated gradient g_k is from the exact one "
                    "g, for every k (solid: all parameters together, dashed: W_hh alone); the ring is your k. At "
                    f"k = T = {self.T} nothing is dropped and the gap is 0. Bright entries under the grey mean a "
                    "large gap; if the dropped entries are dark (the gradient vanished anyway), truncation costs "
                    "little. Hover over a cell or a point for its value."),
            self.control_bar(
                _row(self.window, "the length of each window: small k drops every longer path, k = T is exact"),
                _row(self.radius, "of W_hh: small, far-back terms vanish anyway; large, the dropped ones matter"),
                self.summary),
            _side_by_side(self.flow_view, self.window_view),
        ])
        self.watch(self.window, self.update_window)
        self.watch(self.radius, self.update)
        self.refresh()

    def params(self, radius: float | None = None) -> dict:
        """The network's parameters at ``radius`` (the slider's, checked, by default)."""
        r = _within(self.radius.value, RADIUS_RANGE, "spectral radius") if radius is None else radius
        return self.setup.params(r)

    def update(self) -> None:
        radius = _within(self.radius.value, RADIUS_RANGE, "spectral radius")
        state = truncation_state(self.setup, radius)
        self.state, self.flow, self.gap, self.gap_whh = state, state.flow, state.gap, state.gap_whh
        self.flow_view.value = flow_html(state.flow, view_id=self._view_id, windows=self.windows)
        self.update_window()

    def update_window(self) -> None:
        """A move of k: the gap curves with k marked, the style that shows k's dropped entries, the summary line."""
        k = _within(self.window.value, (1, self.T), "window k", integer=True)
        self.window_view.value = window_html(self.windows, self.gap, self.gap_whh, k, view_id=self._view_id)
        s = window_summary(self.state, k)
        self.summary.value = (
            f"k = {k}: {s.windows} window{'s' if s.windows > 1 else ''}; the truncated gradient keeps "
            f"<b>{s.kept}</b> of the {s.paths} (s, t) paths, carrying {100 * s.share:.0f}% of the squared gradient "
            f"flow. Relative error <b>{s.gap:.3g}</b> (W_hh: {s.gap_whh:.3g}). W_hy and b_y are exact for every k: "
            "they do not reach back in time."
        )


# =========================================================================== clipping
class ClippingApp(LessonApp):
    """A linear RNN (identity activation) whose W_hh starts at spectral radius > 1: an exploding gradient.

    Part 1 clips its first gradient by value and by norm; part 2 trains it on the echo task (repeat the symbol
    seen ``lag`` steps ago) with plain SGD, without and with clipping, from the same seeded start on the same
    batches.
    """

    title = "Clipping: by value against by norm"

    def __init__(self, *, threshold: float | None = None, radius: float = 1.2, hidden_size: int = 16, T: int = 20,
                 lag: int = 3, symbols: int = 4, lr: float = 0.1, steps: int = 300, batch_size: int = 16,
                 train_clip: str = "norm", train_threshold: float = 1.0, value_on: str = "sum", seed: int = 0):
        self.setup = ClipSetup.make(radius=radius, hidden_size=hidden_size, T=T, lag=lag, symbols=symbols,
                                    steps=steps, batch_size=batch_size, seed=seed)
        s = self.setup
        self.steps, self.net, self.init_params, self.batches = steps, s.net, s.params, s.batches
        self.grad, self.thresholds = s.grad, s.thresholds
        lo, hi = np.log10(s.c_range)
        style = {"description_width": "120px"}
        self.threshold = W.FloatLogSlider(value=s.start_threshold if threshold is None else threshold, base=10, min=lo,
                                          max=hi, step=0.05, description="threshold c", style=style,
                                          readout_format=".3g", continuous_update=True)
        self.value_on = W.ToggleButtons(options=[("the sum", "sum"), ("each time-stamp's copy", "copies")],
                                        value=value_on, description="by value on",
                                        style={"button_width": "170px", **style})
        self.clip_summary = W.HTML()
        self.train_clip = W.ToggleButtons(options=[("by norm", "norm"), ("the sum by value", "value"),
                                                   ("each copy by value", "copies")], value=train_clip,
                                          description="clip", style={"button_width": "135px", **style})
        self.train_threshold = W.FloatLogSlider(value=train_threshold, base=10, min=np.log10(TRAIN_C_RANGE[0]),
                                                max=np.log10(TRAIN_C_RANGE[1]), step=0.25, description="training c",
                                                style=style, readout_format=".3g", continuous_update=False)
        self.lr = W.SelectionSlider(options=list(LEARNING_RATES), value=lr, description="learning rate", style=style,
                                    continuous_update=False)
        self.train_button = self.button(f"train both ({steps} steps each)", self.train, icon="play", style="primary",
                                        width=WIDE, busy=True)
        self.progress = W.IntProgress(value=0, min=0, max=2 * steps, description="progress", style=style,
                                      layout=W.Layout(width=WIDE))
        self.training_summary = W.HTML()
        self.runs: dict = {"plain": None, "clipped": None}
        self.train_seconds = 0.0
        self.clip_view = W.HTML()  # part 1: moves with the threshold
        self.training_view = W.HTML()  # part 2: changes when a run trains (drawn live while it does)
        self.live_draws = 0  # how often the training view was drawn during the last training (for the tests)
        n, copies = s.grad["W_hh"].size, s.copies["W_hh"].shape[0]
        chance, bar = chance_loss(symbols), learned_below(symbols)
        part1 = W.VBox([
            heading("1. " + self.title,
                    f"One gradient: dL/dW_hh ({n} entries) of a linear RNN whose W_hh has spectral radius {radius:g} "
                    "(exploding regime), on its first training batch. <b>1a</b>: each dot is one entry, x before and "
                    f"y after clipping. {_coloured('By value', CLIP_COLORS['value'])} cuts every entry of the summed "
                    "gradient to [-c, c]: a bent line, flat beyond &plusmn;c, so big and small entries end up closer "
                    "in size and the gradient <b>points elsewhere</b>. The chapter clips by value "
                    f"{_coloured('each time-stamp&#39;s copy', CLIP_COLORS['copies'])} before adding the "
                    f"{copies} copies: that caps each time-stamp's share, not the total, so many moderate copies can "
                    "still add up to an entry beyond c, and one huge copy no longer dominates. "
                    f"{_coloured('By norm', CLIP_COLORS['norm'])} multiplies every entry by the same c/||g|| when "
                    "||g|| &gt; c: a straight line through 0, the <b>same direction</b>, only shorter. <b>1b</b>: the "
                    "cosine between the clipped and the original gradient (1 = same direction) for every c; the "
                    "rings are your c. By norm it is always 1. Hover over a dot or a curve for its value."),
            self.control_bar(
                _row(self.threshold, "move it left: more entries are cut (by value), the gradient gets shorter "
                                     "(by norm)"),
                _row(self.value_on, "the summed gradient, or each copy before adding them (the chapter)"),
                self.clip_summary),
            self.clip_view,
        ])
        part2 = W.VBox([
            heading("2. Training with and without clipping",
                    f"Both runs start from the same weights (spectral radius {radius:g}) and see the same batches of "
                    f"the echo task (output the symbol seen {lag} steps ago, sequences of {T}), with plain SGD. "
                    f"<b>2a</b>: the loss of each step. {_coloured('Dashed', PLAIN[0])}, no clipping: a large "
                    "gradient makes a large step, W_hh grows, the next gradient is larger still, until the numbers "
                    "overflow; the x marks the last finite step. The clipped run is solid, in the colour of its kind. "
                    f"Guessing the {symbols} symbols at random gives a loss of ln {symbols} = {chance:.2f}: a run has "
                    f"<b>learned</b> when its final loss is below half of that, {bar:.2f}. <b>2b</b>: the gradient "
                    "norm before clipping at each step; the dotted line is the threshold c of a run clipped by norm: "
                    "every step above it was clipped. The panels fill while the runs train."),
            self.control_bar(
                _row(self.train_clip, "how the second run clips (each copy: the chapter's way)"),
                _row(self.train_threshold, "the second run's c: too large clips too late, tiny makes it crawl"),
                _row(self.lr, "SGD step of both runs: smaller can avoid the blow-up, but learns slowly")),
            # the button's row is under the bar, not in it: what a run reports appears under the button and scrolls
            # with the views instead of growing the bar that stays in view
            _row(self.train_button, "trains without clipping, then with it (a second or two)"),
            self.progress,
            self.training_summary,
            self.training_view,
        ])
        super().__init__([part1, part2])
        self.watch(self.threshold, self.update)
        self.watch(self.value_on, self.update)
        self.run_guarded(self.clear_training)
        self.refresh()

    # ------------------------------------------------------------------ part 1: one gradient
    def update(self) -> None:
        c = _within(self.threshold.value, self.setup.c_range, "threshold c")
        on = self.value_on.value
        if on not in VALUE_ON:
            raise ValueError(f"by value on: expected the sum or each time-stamp's copy, got {on!r}")
        st = clip_state(self.setup, c)
        self.state = st
        self.clipped = {"value": st.by_value, "copies": st.by_copies, "norm": st.by_norm}
        self.cosines, self.reports = st.cosines, st.reports
        by_value, cos_value = (st.by_copies, self.setup.cos_copies) if on == "copies" else (st.by_value,
                                                                                             self.setup.cos_value)
        self.clip_view.value = clip_html(self.grad["W_hh"], by_value, st.by_norm, c, self.thresholds, cos_value,
                                         self.setup.cos_norm, (st.cosines[on if on == "copies" else "value"],
                                                               st.cosines["norm"]), value_on=on)
        rn = st.reports["norm"]
        norm_note = ("||g|| &le; c: unchanged" if not rn.clipped
                     else f"||g|| {rn.norm_before:.3g} &rarr; {rn.norm_after:.3g}")
        if on == "copies":
            rc = st.reports["copies"]
            beyond = ("above c: the copies, each within c, add up to more" if st.largest["copies"] > c * (1 + 1e-9)
                      else "within c")
            value_note = (f"{_coloured('By value, each copy', CLIP_COLORS['copies'])}: {100 * rc.fraction_clipped:.0f}% "
                          f"of the copies' entries cut (their largest is {st.largest_copy:.3g}); the largest entry of "
                          f"the sum is {st.largest['copies']:.3g}, {beyond}; ||g|| {rc.norm_before:.3g} &rarr; "
                          f"{rc.norm_after:.3g}, cosine to the original <b>{st.cosines['copies']:.3f}</b>.")
        else:
            rv = st.reports["value"]
            value_note = (f"{_coloured('By value, the sum', CLIP_COLORS['value'])}: {100 * rv.fraction_clipped:.0f}% "
                          f"of the entries cut, ||g|| {rv.norm_before:.3g} &rarr; {rv.norm_after:.3g}, cosine to the "
                          f"original <b>{st.cosines['value']:.3f}</b>.")
        self.clip_summary.value = (f"c = {c:.3g}. {value_note} &nbsp; {_coloured('By norm', BLUE)}: {norm_note}, "
                                   f"cosine <b>{st.cosines['norm']:.3f}</b>.")

    # ------------------------------------------------------------------ part 2: training
    def clear_training(self) -> None:
        """Forget both runs (the training view becomes empty: a hint to train)."""
        self.runs = {"plain": None, "clipped": None}
        self.progress.value = 0
        self.training_summary.value = ""  # the empty training view says what to press
        self.training_view.value = training_html(None, None, kind="norm", threshold=1.0, steps=self.steps)

    def train(self) -> None:
        """Train the model without clipping, then with clipping, from the same start on the same batches."""
        kind = self.train_clip.value
        if kind not in CLIP_KINDS:
            raise ValueError(f"clip: expected by norm, the sum by value or each copy by value, got {kind!r}")
        c = _within(self.train_threshold.value, TRAIN_C_RANGE, "training c")
        lr = self.lr.value
        if lr not in LEARNING_RATES:
            raise ValueError(f"learning rate: expected one of {', '.join(f'{v:g}' for v in LEARNING_RATES)}, "
                             f"got {lr!r}")
        self.progress.value = 0
        offset = {"plain": 0, "clipped": self.steps}
        start = time.perf_counter()
        self.runs = {"plain": None, "clipped": None}
        self.live_draws = 0
        last_draw = [start]

        def draw(running: bool) -> None:
            self.training_view.value = training_html(self.runs["plain"], self.runs["clipped"], kind=kind, threshold=c,
                                                     steps=self.steps, running=running,
                                                     chance=chance_loss(self.setup.symbols),
                                                     learned=learned_below(self.setup.symbols))

        for name, clip in (("plain", None), ("clipped", (kind, c))):
            def on_step(records, base=offset[name], name=name, clip=clip):
                if records[-1].step % 10 == 0:
                    self.progress.value = base + records[-1].step
                if time.perf_counter() - last_draw[0] >= LIVE_EVERY:  # the runs so far, a few times a second
                    self.runs[name] = Run(*(clip or (None, None)), list(records), "running", "", {})
                    draw(running=True)
                    self.live_draws += 1
                    last_draw[0] = time.perf_counter()

            self.runs[name] = train_run(self.setup, lr, clip, on_step=on_step)
            self.progress.value = offset[name] + self.steps
        self.train_seconds = time.perf_counter() - start
        draw(running=False)
        self._report(lr)

    def fraction_clipped(self, name: str = "clipped") -> float:
        """Share of the run's steps whose gradient was clipped."""
        run = self.runs[name]
        return 0.0 if run is None else run.fraction_clipped

    def _report(self, lr: float) -> None:
        plain, clipped = self.runs["plain"], self.runs["clipped"]
        verdict = training_verdict(plain, clipped, lr=lr, symbols=self.setup.symbols)
        how = clip_words(clipped.kind, clipped.threshold)
        self.training_summary.value = (
            f"{_coloured('without clipping', PLAIN[0])}: {esc(verdict.plain.text)}. &nbsp; "
            f"{_coloured(esc(how), CLIP_COLORS[clipped.kind])}: {esc(verdict.clipped.text)}; "
            f"{100 * clipped.fraction_clipped:.0f}% of its steps were clipped. ({self.train_seconds:.1f} s for both)"
        )
        (self.message.warning if verdict.kind == "warning" else self.message.info)(verdict.text)
