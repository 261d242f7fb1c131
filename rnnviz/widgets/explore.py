"""Views a student explores: the widget that shows a plotly figure, and lesson 2's hidden-state trajectory in 3D.

:class:`ExploreFigure` shows one plotly figure that the student rotates or zooms; an app replaces it whole
(:meth:`ExploreFigure.show`) when the student asks, never on every tick of a slider. It is a core ipywidgets
box holding the figure as JSON, around a small anywidget that draws it with plotly.js
(:data:`rnnviz.viz.live.EXPLORE_ESM`; why it is built so: :mod:`rnnviz.viz.live`).

:class:`TrajectoryApp` runs lesson 2's character model (:func:`rnnviz.widgets.cellstep.load_pretrained`)
over a sentence the student types and shows the states h_1 ... h_T as a path on their first three
principal components (:func:`rnnviz.lessonmath.projection.principal_components`), drawn by
:func:`rnnviz.viz.explore.trajectory_figure` in an :class:`rnnviz.viz.live.ExploreFigure`. The figure is
recomputed only when the student asks (the button, Enter in the sentence box, or an example picked
from the list); typing only checks the text.
"""

from __future__ import annotations

import os

import anywidget
import ipywidgets as W
import numpy as np
import plotly.graph_objects as go
import traitlets as t

from ..lessonmath.cellstep import PASSAGE_LENGTHS, PassageLoss, heldout_text, passage_losses
from ..lessonmath.projection import Projection, principal_components
from ..viz.explore import SMOOTH, loss_series_figure, trajectory_figure
from ..viz.live import EXPLORE_CLASS, EXPLORE_ESM, PLOTLY_JS_NAME, STATIC_ENV, figure_json, plotly_js
from .base import LessonApp, explained, heading
from .cellstep import DEFAULT_TEXT, MAX_CHARS, PretrainedCharRNN, load_pretrained, sentence_ids

__all__ = ["EXAMPLES", "ExploreFigure", "PassageApp", "TrajectoryApp"]


# =========================================================================== the figure widget
class _Plot(anywidget.AnyWidget):
    """The browser side of an :class:`ExploreFigure`: draws the figure the box named by ``_state_id`` holds."""

    _esm = EXPLORE_ESM
    _css = f".{EXPLORE_CLASS} {{ width: 100%; min-width: 0; }}"
    _state_id = t.Unicode("").tag(sync=True)
    _plotly_url = t.Unicode("").tag(sync=True)
    _plotly_js = t.Unicode("").tag(sync=True)


class ExploreFigure(W.Box):
    """One plotly figure a student explores (rotates, zooms); replaced whole by :meth:`show`.

    ``ExploreFigure(go.Figure(...))``; ``fig.show(new_figure)`` sends the new figure in one message.
    ``fig.figure`` is the figure the browser draws (``fig.data``: its traces, ``fig.plot_layout``: its layout).
    The box is a core ipywidgets model, so the browser applies its updates (the figure, its classes) even when
    anywidget has given up on the model of the plot inside it (``fig.plot``, which only draws).
    """

    figure = t.Dict().tag(sync=True)

    def __init__(self, figure: go.Figure | dict | None = None, **kwargs):
        kwargs.setdefault("layout", W.Layout(width="100%"))
        super().__init__(**kwargs)
        self.add_class("rnnviz-explore-figure")
        static = os.environ.get(STATIC_ENV) == "1"
        # under the classroom app plotly.js is one cached file; elsewhere (JupyterLab) it travels in the state once
        self.plot = _Plot(_state_id=self.model_id, _plotly_url=f"static/{PLOTLY_JS_NAME}" if static else "",
                          _plotly_js="" if static else plotly_js())
        self.children = (self.plot,)
        self.draws = 0
        if figure is not None:
            self.show(figure)

    def show(self, figure: go.Figure | dict) -> None:
        """Draw ``figure`` instead of the current one (one message carrying the whole figure)."""
        self.figure = figure_json(figure)
        self.draws += 1

    def close(self) -> None:
        self.plot.close()
        super().close()

    @property
    def data(self) -> list[dict]:
        return self.figure.get("data", [])

    @property
    def plot_layout(self) -> dict:
        return self.figure.get("layout", {})


# =========================================================================== lesson 2
#: Sentences worth comparing (every character is in the model's vocabulary).
EXAMPLES = {
    "Alice's sentence": DEFAULT_TEXT,
    "one letter again and again": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "a word repeated": "down, down, down, down, down, down",
    "two sentences": "The Queen said to the Cat. The Cat said to the Queen.",
}


class TrajectoryApp(LessonApp):
    """The path of h_t through the state space for a typed sentence, rotatable in 3D.

    After a draw: ``drawn`` (the sentence shown), ``states`` ((T, p) h_1 ... h_T from the core's forward
    pass), ``projection`` (their :class:`~rnnviz.lessonmath.projection.Projection`) and ``figure`` (the
    :class:`~rnnviz.viz.live.ExploreFigure`: ``figure.data[0]`` is the path).
    """

    title = "Explore: the path of h_t in 3D"

    def __init__(self, text: str = DEFAULT_TEXT, *, model: PretrainedCharRNN | None = None):
        self.model = model or load_pretrained()
        p = self.model.hidden_size
        self.sentence = W.Text(value=text, description="sentence", style={"description_width": "70px"},
                               continuous_update=True, placeholder="type a sentence, then press Enter",
                               layout=W.Layout(width="440px"))
        self.draw_button = self.button("Draw trajectory", self.update, icon="cube", style="primary", width="170px")
        self.examples = W.Dropdown(options=[("pick an example…", "")] + list(EXAMPLES.items()), value="",
                                   description="or try", style={"description_width": "70px"},
                                   layout=W.Layout(width="330px"))
        self.summary = W.HTML()
        self.figure = ExploreFigure()
        self.drawn: str | None = None
        self.states: np.ndarray | None = None
        self.projection: Projection | None = None
        sentence_row = explained(W.HBox([self.sentence, self.draw_button]),
                                 f"up to {MAX_CHARS} characters of the book; the button or Enter draws it")
        sentence_row.children[0].tooltip = None  # a Box view with a tooltip fails to render (ipywidgets 8.1)
        super().__init__([
            heading(self.title,
                    f"Each point is one hidden state h<sub>t</sub> (p = {p} numbers) after reading x<sub>t</sub>, "
                    "labelled by that character with t as a subscript, placed by the states' first three principal "
                    "components. <b>Drag to rotate</b>, scroll to zoom, hover for numbers. Nearby points are similar "
                    "states; the colour runs from t = 1 (dark) to T (yellow); &#9670; start, &#9632; end. Each axis "
                    "says how much of the states' spread it shows."),
            self.control_bar(sentence_row, explained(self.examples, "puts an example into the box and draws it")),
            self.summary,
            self.figure,
        ])
        self.sentence.on_msg(self._on_sentence_msg)  # Enter in the box sends {"event": "submit"}
        self.watch(self.sentence, self._check)
        self.watch(self.examples, self._on_example)
        self.refresh()

    # ------------------------------------------------------------------ handlers
    def _on_sentence_msg(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("event") == "submit":
            self.run_guarded(self.update, source=self.sentence)

    def _check(self) -> None:
        """Typing: say at once what is wrong with the text (or that it is not drawn yet); draw nothing."""
        _, used, note = sentence_ids(self.model.vocab, self.sentence.value)
        if note:
            self.message.warning(note)
        elif used != self.drawn:
            self.message.info("Press “Draw trajectory” (or Enter) to draw this sentence.")

    def _on_example(self) -> None:
        chosen = self.examples.value
        if chosen:
            with self.quiet():
                self.sentence.value = chosen
                self.examples.value = ""  # back to "pick an example…": the same one can be picked again
            self.update()

    def update(self) -> None:
        """Run the model over the sentence in the box and draw its path (the view is unchanged on bad text)."""
        ids, used, note = sentence_ids(self.model.vocab, self.sentence.value)
        forward = self.model.net.forward(self.model.params, ids[None])
        states = forward.hidden["layer0.fwd"][0]  # (T, p): h_1 ... h_T
        projection = principal_components(states, 3)
        chars = [self.model.vocab.tokens[i] for i in ids]
        self.figure.show(trajectory_figure(projection.coords, chars, projection.ratio))
        self.drawn, self.states, self.projection = used, states, projection
        shares = ", ".join(f"{100 * r:.0f} %" for r in projection.ratio)
        self.summary.value = (f"<b>{len(chars)}</b> states h<sub>1</sub> … h<sub>{len(chars)}</sub>, one per character "
                              f"read (the last one too), of p = {states.shape[1]} numbers each; the three directions "
                              f"shown carry {shares} of their spread (together <b>{100 * projection.ratio.sum():.0f} %"
                              "</b>).")
        if note:
            self.message.warning(note)



class PassageApp(LessonApp):
    """The model's loss at every character of a long passage it was not trained on, zoomable.

    After a draw: ``passage`` (the :class:`~rnnviz.lessonmath.cellstep.PassageLoss` shown) and ``figure`` (the
    :class:`ExploreFigure`: ``figure.data[0]`` holds l_t).
    """

    title = "Explore: the loss over a long passage"

    def __init__(self, *, start: int = 0, length: int = 2000, model: PretrainedCharRNN | None = None):
        self.model = model or load_pretrained()
        room = len(heldout_text(self.model))
        style = {"description_width": "80px"}
        self.length = W.IntSlider(value=length, min=PASSAGE_LENGTHS[0], max=PASSAGE_LENGTHS[1], step=100,
                                  description="length", style=style, continuous_update=False,
                                  layout=W.Layout(width="330px"))
        self.start = W.IntSlider(value=start, min=0, max=room - PASSAGE_LENGTHS[0] - 1, step=100, description="from",
                                 style=style, continuous_update=False, layout=W.Layout(width="330px"))
        self.draw_button = self.button("Draw the passage", self.update, icon="line-chart", style="primary",
                                       width="190px", busy=True)
        self.summary = W.HTML()
        self.figure = ExploreFigure()
        self.passage: PassageLoss | None = None
        self.stale_with = [self.summary]
        super().__init__([
            heading(self.title,
                    "The model reads the passage from h<sub>0</sub> = 0, one character per time-stamp, and pays "
                    "l<sub>t</sub> = &minus;log p&#770;<sub>t</sub>(the true next character) at each (thin line; thick: "
                    f"its mean over the last {SMOOTH} characters). Dashed: the unigram baseline, which guesses every "
                    "character by its frequency alone. <b>Drag</b> across the chart (or the slider under it) to zoom "
                    "into a stretch, double-click to zoom out, hover for the characters: low losses inside words, "
                    "peaks at the start of a word or a name."),
            self.control_bar(explained(self.length, "how many characters to read (up to 5000)"),
                             explained(self.start, "where in the held-out text (the last tenth of the book) to start"),
                             explained(self.draw_button, "reads the passage and draws it; the sliders alone draw "
                                                         "nothing")),
            self.summary,
            self.figure,
        ])
        self.watch(self.length, self._moved)
        self.watch(self.start, self._moved)
        self.refresh()

    def _moved(self) -> None:
        """A slider moved: the chart still shows the last passage drawn; say so (cheap: no reading yet)."""
        room = len(heldout_text(self.model))
        if self.start.value + self.length.value + 1 > room:
            raise ValueError(f"from + length: the held-out text has {room} characters; start earlier or read fewer")
        if self.passage is not None and (self.start.value, self.length.value) != (self.passage.start,
                                                                                   len(self.passage.step_loss)):
            self.message.info("Press “Draw the passage” to read these characters.")

    def update(self) -> None:
        res = passage_losses(self.model, self.start.value, self.length.value)
        self.figure.show(loss_series_figure(res.step_loss, res.text, res.unigram_loss, start=res.start))
        self.passage = res
        better = res.unigram_mean - res.mean
        self.summary.value = (f"<b>{len(res.step_loss)}</b> characters from character {res.start} of the held-out "
                              f"text: mean loss <b>{res.mean:.2f}</b> nats per character against "
                              f"<b>{res.unigram_mean:.2f}</b> for the unigram baseline ("
                              f"{'lower by' if better > 0 else 'higher by'} {abs(better):.2f}).")
