"""Views a student explores: lesson 2's hidden-state trajectory in 3D.

:class:`TrajectoryApp` runs lesson 2's character model (:func:`rnnviz.widgets.cellstep.load_pretrained`)
over a sentence the student types and shows the states h_1 ... h_T as a path on their first three
principal components (:func:`rnnviz.lessonmath.projection.principal_components`), drawn by
:func:`rnnviz.viz.explore.trajectory_figure`. The figure is recomputed only when the student asks
(the button, Enter in the sentence box, or an example picked from the list); typing only checks the text.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np
import plotly.graph_objects as go

from ..lessonmath.projection import Projection, principal_components
from ..viz.explore import trajectory_figure
from ..viz.live import LiveFigure
from .base import LessonApp, explained, heading
from .cellstep import DEFAULT_TEXT, MAX_CHARS, PretrainedCharRNN, load_pretrained, sentence_ids

__all__ = ["EXAMPLES", "TrajectoryApp"]

#: Sentences worth comparing (every character is in the model's vocabulary).
EXAMPLES = {
    "Alice's sentence": DEFAULT_TEXT,
    "one letter again and again": "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
    "a word repeated": "down, down, down, down, down, down",
    "two sentences": "The Queen said to the Cat. The Cat said to the Queen.",
}


class TrajectoryApp(LessonApp):
    """The path of h_t through the state space for a typed sentence, rotatable in 3D."""

    title = "Explore: the path of h_t in 3D"

    def __init__(self, text: str = DEFAULT_TEXT, *, model: PretrainedCharRNN | None = None):
        self.model = model or load_pretrained()
        p = self.model.hidden_size
        self.sentence = W.Text(value=text, description="sentence", style={"description_width": "80px"},
                               continuous_update=True, layout=W.Layout(width="460px"))
        self.draw_button = W.Button(description="Draw trajectory", icon="cube", button_style="primary",
                                    layout=W.Layout(width="180px"))
        self.examples = W.Dropdown(options=[("pick an example…", "")] + [(k, v) for k, v in EXAMPLES.items()],
                                   value="", description="or try", style={"description_width": "80px"},
                                   layout=W.Layout(width="360px"))
        self.summary = W.HTML()
        self.figure = LiveFigure(trajectory_figure(np.zeros((2, 3)), ["a", "b"], np.zeros(3)))
        self.figure.layout.autosize = True
        self.drawn: str | None = None  # the sentence the figure shows
        self.states: np.ndarray | None = None  # (T, p) its hidden states h_1 ... h_T
        self.projection: Projection | None = None
        self._sentence_row = explained(
            W.HBox([self.sentence, self.draw_button]),
            f"type up to {MAX_CHARS} characters of the book, then press the button or Enter")
        self._sentence_row.children[0].tooltip = None  # a Box view with a tooltip fails to render (ipywidgets 8.1)
        super().__init__([
            heading(self.title,
                    f"Each point is one hidden state h<sub>t</sub> (p = {p} numbers) after reading x<sub>t</sub>, "
                    "labelled by its character with t as a subscript, placed by its first three principal "
                    "components. <b>Drag to rotate</b>, scroll to zoom, hover for numbers. Nearby points are "
                    "similar states; the colour runs from t = 1 (dark) to T (yellow), &#9670; marks the start, "
                    "&#9632; the end. The axes say how much of the states' spread each direction shows."),
            self._sentence_row,
            explained(self.examples, "puts an example into the box and draws it"),
            self.summary,
            self.figure,
        ])
        kids = list(self.children)  # the message line goes under the sentence box, where bad text is typed
        kids.remove(self.message)
        kids.insert(kids.index(self._sentence_row) + 1, self.message)
        self.children = tuple(kids)
        self.draw_button.on_click(lambda _: self.run_guarded(self.update))
        self.sentence.on_msg(self._on_sentence_msg)  # Enter in the box sends {"event": "submit"}
        self.watch(self.sentence, self._check)
        self.watch(self.examples, self._on_example)
        self.refresh()

    # ------------------------------------------------------------------ handlers
    def _on_sentence_msg(self, _widget, content, _buffers) -> None:
        if isinstance(content, dict) and content.get("event") == "submit":
            self.run_guarded(self.update)

    def _check(self) -> None:
        """Typing: say at once what is wrong with the text; draw nothing."""
        _, used, note = sentence_ids(self.model.vocab, self.sentence.value)
        if note:
            self.message.warning(note)
        elif used != self.drawn:
            self.message.info("Press “Draw trajectory” (or Enter) to draw this sentence.")

    def _on_example(self) -> None:
        chosen = self.examples.value
        if chosen:
            self.sentence.value = chosen
            self.update()
            self.examples.value = ""  # back to "pick an example…": the same one can be picked again

    def update(self) -> None:
        """Run the model over the sentence in the box and draw its path (the view is unchanged on bad text)."""
        ids, used, note = sentence_ids(self.model.vocab, self.sentence.value)
        forward = self.model.net.forward(self.model.params, ids[None])
        states = forward.hidden["layer0.fwd"][0]  # (T, p): h_1 ... h_T
        projection = principal_components(states, 3)
        chars = [self.model.vocab.tokens[i] for i in ids]
        self._show(trajectory_figure(projection.coords, chars, projection.ratio))
        self.drawn, self.states, self.projection = used, states, projection
        shares = ", ".join(f"{100 * r:.0f} %" for r in projection.ratio)
        self.summary.value = (f"<b>{len(chars)}</b> states of p = {states.shape[1]} numbers; the three directions "
                              f"shown carry {shares} of their spread (together <b>{100 * projection.ratio.sum():.0f} %</b>).")
        if note:
            self.message.warning(note)
        else:  # "press Draw" from the text box is answered
            self.message.clear()

    def _show(self, fig: go.Figure) -> None:
        with self.figure.batch_update():
            for shown, new in zip(self.figure.data, fig.data):
                shown.update(x=new.x, y=new.y, z=new.z, text=new.text, hovertext=new.hovertext, name=new.name,
                             marker=new.marker, line=new.line if new.line else None)
            self.figure.layout.scene = fig.layout.scene
