r"""Lesson 2: the recurrent cell, step by step.

A small trained character language model (the chapter's vanilla RNN with p = 32 units,
shipped as ``rnnviz/data/pretrained_char_rnn.npz``, made by ``scripts/make_pretrained.py``)
reads a sentence one character at a time. :class:`CellStepApp` shows one time-stamp t:

    a_t = W_xh x_t + W_hh h_{t-1} + b_h,   h_t = tanh(a_t),   y_t = W_hy h_t + b_y,   p_t = softmax(y_t)

with the actual numbers, every hidden state of the sentence, and the loss of every step;
the input or the target of a time-stamp can be marked absent.

The exercise checkers :func:`check_step` (one step of the cell) and :func:`check_step_loss`
(the loss of one step) run a student's function on a few cases and say which term is wrong.
"""

from __future__ import annotations

import contextlib
import html
import itertools
import uuid
from collections.abc import Callable
from functools import lru_cache
from importlib import resources

import ipywidgets as W
import numpy as np

from ..core.lm import LanguageModel
from ..core.losses import softmax_nll
from ..core.network import Network
from ..data import Vocabulary
from ..viz.cellstep import display_char, now_style, sentence_html, step_html
from .base import LessonApp, explained, heading

__all__ = [
    "DEFAULT_TEXT",
    "MAX_CHARS",
    "CellStepApp",
    "PretrainedCharRNN",
    "StepCheck",
    "check_step",
    "check_step_loss",
    "load_pretrained",
    "sentence_ids",
    "step_terms",
]

PRETRAINED = "pretrained_char_rnn.npz"
DEFAULT_TEXT = "Alice was beginning to get very tired"
#: Longer sentences are cut here: beyond it the labels under the heatmap become unreadable.
MAX_CHARS = 80


# =========================================================================== the model
class PretrainedCharRNN:
    """The shipped character model of lesson 2.

    Attributes: ``vocab`` (:class:`~rnnviz.data.Vocabulary`), ``net`` (:class:`~rnnviz.core.Network`),
    ``params`` (the Network's dotted keys), ``weights`` (the same arrays under the chapter's names
    ``W_xh`` (p x d), ``W_hh`` (p x p), ``b_h``, ``W_hy`` (d x p), ``b_y``), ``lm``
    (a :class:`~rnnviz.core.LanguageModel` over them, for sampling and perplexity), and ``info``
    (how it was made and its losses in nats per character: ``train_loss``, ``heldout_loss``,
    ``unigram_train``, ``unigram_heldout``).
    """

    def __init__(self, arrays: dict):
        self.vocab = Vocabulary([str(t) for t in arrays["tokens"]], level="char")
        self.weights = {k: np.array(arrays[k], dtype=np.float64) for k in ("W_xh", "W_hh", "b_h", "W_hy", "b_y")}
        self.hidden_size, self.input_size = self.weights["W_xh"].shape
        self.params = {f"layer0.fwd.{k}": v for k, v in self.weights.items() if k in ("W_xh", "W_hh", "b_h")}
        self.params.update({"out.W_hy": self.weights["W_hy"], "out.b_y": self.weights["b_y"]})
        self.lm = LanguageModel(self.vocab, self.hidden_size, rng=np.random.default_rng(0))
        self.lm.params = self.params
        self.lm.unigram = np.array(arrays["unigram"], dtype=np.float64)
        self.net: Network = self.lm.net
        self.net.check_params(self.params)
        self.info = {k: arrays[k].item() for k in arrays if arrays[k].ndim == 0}

    def __repr__(self) -> str:
        return (f"PretrainedCharRNN(p={self.hidden_size}, d={self.input_size}, trained on {self.info.get('corpus')!r}: "
                f"held-out loss {self.info.get('heldout_loss', float('nan')):.3f} nats/char vs unigram "
                f"{self.info.get('unigram_heldout', float('nan')):.3f})")


@lru_cache(maxsize=1)
def _arrays() -> dict:
    with resources.files("rnnviz.data").joinpath(PRETRAINED).open("rb") as f, np.load(f, allow_pickle=False) as z:
        return {k: z[k] for k in z.files}


def load_pretrained() -> PretrainedCharRNN:
    """The shipped model (a fresh copy each call: changing its weights changes nothing else)."""
    return PretrainedCharRNN({k: v.copy() for k, v in _arrays().items()})


# =========================================================================== one step, term by term
def step_terms(weights: dict, cache, x_id: int, present: bool = True) -> dict[str, np.ndarray]:
    """The terms of a_t = W_xh x_t + W_hh h_{t-1} + b_h at one time-stamp, read from the forward cache.

    weights: chapter names (``W_xh`` p x d, ``W_hh`` p x p, ``b_h``); cache: the cell's step cache
    (``Forward.cache.layers[0]["fwd"].steps[t]``, batch of one); x_id: the id of x_t (the one-hot x_t
    selects column x_id of W_xh); present: False when x_t is absent (then W_xh x_t = 0).
    Returns (p,) vectors named as in :data:`rnnviz.viz.cellstep.COLUMNS`.
    """
    h_prev = cache.h_prev[0]
    return {
        "h_{t-1}": h_prev,
        "W_xh x_t": weights["W_xh"][:, x_id].copy() if present else np.zeros(weights["W_xh"].shape[0]),
        "W_hh h_{t-1}": weights["W_hh"] @ h_prev,
        "b_h": weights["b_h"],
        "a_t": cache.a[0],
        "h_t": cache.h[0],
    }


def _show(c: str) -> str:
    return repr(c) if (not c.isprintable() or c.isspace()) and c != " " else f"'{c}'"


def sentence_ids(vocab: Vocabulary, text: object, max_chars: int = MAX_CHARS) -> tuple[np.ndarray, str, str]:
    """Check a sentence typed by a student: ``(ids, text used, note)``.

    ValueError (readable, naming the problem) for an empty or one-character sentence or for
    characters the model never saw; a sentence longer than ``max_chars`` is cut, and ``note`` says so.
    """
    if not isinstance(text, str):
        raise TypeError(f"sentence: expected text, got {type(text).__name__}")
    if text == "":
        raise ValueError("The sentence is empty: type at least two characters (the model reads one and predicts the next).")
    if len(text) < 2:
        raise ValueError(f"The sentence {text!r} has one character: type at least two (one to read, one to predict).")
    unknown = [c for c in dict.fromkeys(text) if c not in vocab]
    if unknown:
        shown = ", ".join(_show(c) for c in unknown[:12]) + (f" and {len(unknown) - 12} more" if len(unknown) > 12 else "")
        known = "".join(t for t in vocab.tokens[1:] if not t.isalnum() and t not in " \n")
        raise ValueError(
            f"The model has never seen {shown}: it knows only the {len(vocab) - 1} characters of Alice's Adventures "
            f"in Wonderland (letters, the digits 2 and 9, space and {known}). Replace or remove "
            f"{'it' if len(unknown) == 1 else 'them'}; the view still shows the last good sentence.")
    note = ""
    if len(text) > max_chars:
        note = (f"Only the first {max_chars} of the {len(text)} characters are used, so that the labels under the "
                "pictures stay readable.")
        text = text[:max_chars]
    return vocab.encode(text), text, note


# =========================================================================== the app
def _f(v: float, digits: int = 2) -> str:
    """A number for the equation line: minus sign, parentheses when negative inside a sum."""
    s = f"{v:.{digits}f}"
    return s.replace("-", "\u2212")


def _p(v: float, digits: int = 2) -> str:
    return f"({_f(v, digits)})" if v < 0 else _f(v, digits)


class CellStepApp(LessonApp):
    """Step a trained character RNN through a sentence, one time-stamp at a time."""

    title = "The recurrent cell, step by step"

    def __init__(self, text: str = DEFAULT_TEXT, *, t: int = 1, unit: int = 1, top_k: int = 10,
                 model: PretrainedCharRNN | None = None):
        self.model = model or load_pretrained()
        self.top_k = int(top_k)
        self.tokens = self.model.vocab.tokens
        p = self.model.hidden_size
        ids, used, _ = sentence_ids(self.model.vocab, text)
        self._set_sentence(ids, used)
        self._quiet = False
        self._sentence_note: tuple[str, str] | None = None
        T = len(self.inputs)
        style = {"description_width": "100px"}
        self.text = W.Text(value=text, description="sentence", style=style, continuous_update=False,
                           layout=W.Layout(width="560px"))
        self.t = W.IntSlider(value=min(max(int(t), 1), T), min=1, max=T, description="time-stamp t", style=style,
                             layout=W.Layout(width="400px"))
        self.play = W.Play(value=self.t.value, min=1, max=T, step=1, interval=900, show_repeat=False,
                           description="play", tooltip="step through the sentence")
        self.play_link = W.jslink((self.play, "value"), (self.t, "value"))  # in the browser: smooth, no round trip
        self.absent_x = W.Checkbox(value=False, description="x_t absent", indent=False, layout=W.Layout(width="150px"))
        self.absent_y = W.Checkbox(value=False, description="target absent", indent=False,
                                   layout=W.Layout(width="150px"))
        self.all_present = W.Button(description="all present again", icon="undo", layout=W.Layout(width="180px"))
        self.all_present.on_click(lambda _: self.run_guarded(self._reset_absent))
        self.unit = W.IntSlider(value=min(max(int(unit), 1), p), min=1, max=p, description="unit i", style=style,
                                layout=W.Layout(width="430px"))
        self.status = W.HTML()
        self.equation = W.HTML()
        self.step_view = W.HTML()  # what changes with t: HTML, so a move redraws no large figure (viz.cellstep)
        # the whole sentence (SVG, sent when the sentence changes) and the style that boxes the current t in it
        self._view_id = uuid.uuid4().hex[:12]
        self.sentence_view = W.HTML()
        self.now = W.HTML()
        self._sentence_row = explained(
            self.text, f"type a sentence, press Enter: read from h_0 = 0 (up to {MAX_CHARS} characters of the book)")
        super().__init__([
            heading(self.title,
                    f"A character model (a vanilla RNN with p = {p} hidden units, trained on <i>Alice's Adventures in "
                    "Wonderland</i>) reads your sentence one character per time-stamp. <b>Top strip</b>: the one-hot "
                    "x<sub>t</sub>. <b>Middle left</b>: the update as column vectors, one row per hidden unit, red "
                    "positive, blue negative, the number in each cell: the three terms add up to a<sub>t</sub>, and "
                    "tanh squashes it into h<sub>t</sub> in (&minus;1, 1). <b>Middle right</b>: the model's guess for "
                    "the next character; green is the one that really comes next. <b>Below</b>: every h<sub>t</sub> "
                    "of the sentence side by side, and how surprised the model was at each step (the loss "
                    "l<sub>t</sub>; tall bars are bad guesses)."),
            self._sentence_row,
            self._time_row(),
            explained(self.absent_x, "no input at this time-stamp: W_xh x_t becomes 0, h_t is built from W_hh h_{t-1} "
                                     "+ b_h alone, and every later state changes too"),
            explained(self.absent_y, "no target at this time-stamp: the states do not change, but this step's loss "
                                     "l_t is no longer counted in L (watch the total)"),
            explained(self.all_present, "clear every absent input and target of the sentence"),
            explained(self.unit, "the hidden unit whose arithmetic is written out below (boxed in the picture)"),
            self.status,
            self.equation,
            self.step_view,
            self.now,
            self.sentence_view,
        ])
        kids = list(self.children)  # the message line goes under the sentence box, where bad text is typed
        kids.remove(self.message)
        kids.insert(kids.index(self._sentence_row) + 1, self.message)
        self.children = tuple(kids)
        self.watch(self.text, self._on_text)
        self.watch(self.t, self._on_t)
        self.watch(self.absent_x, self._on_absent_x)
        self.watch(self.absent_y, self._on_absent_y)
        self.watch(self.unit, self._draw_step)
        self.refresh()

    def _time_row(self) -> W.HBox:
        row = explained(W.HBox([self.play, self.t]),
                        "play steps every 0.9 s; step t reads x_t and predicts x_{t+1}")
        row.children[0].tooltip = None  # a Box view with a tooltip fails to render (ipywidgets 8.1)
        return row

    # ------------------------------------------------------------------ state
    def _set_sentence(self, ids: np.ndarray, text: str) -> None:
        self.sentence = text
        self.inputs, self.targets = ids[:-1], ids[1:]  # read x_1..x_T, predict x_2..x_{T+1}
        self.input_absent: set[int] = set()  # 0-based time-stamps
        self.target_absent: set[int] = set()

    @contextlib.contextmanager
    def _holding(self):
        """Change controls without their handlers running."""
        old, self._quiet = self._quiet, True
        try:
            yield
        finally:
            self._quiet = old

    def masks(self) -> tuple[np.ndarray, np.ndarray]:
        """(input present, target present), each (T,) bool."""
        T = len(self.inputs)
        inp, tgt = np.ones(T, bool), np.ones(T, bool)
        inp[sorted(self.input_absent)] = False
        tgt[sorted(self.target_absent)] = False
        return inp, tgt

    def _forward(self) -> None:
        """Run the model over the sentence with the current absences (no training: a forward pass)."""
        inp, tgt = self.masks()
        net, params = self.model.net, self.model.params
        X, Y = self.inputs[None], self.targets[None]
        self.forward = net.forward(params, X, input_mask=inp[None])
        self.steps = self.forward.cache.layers[0]["fwd"].steps  # cell caches: h_prev, a, h at each t
        every = softmax_nll(self.forward.Y, Y)  # l_t at every t, absent targets too (drawn grey)
        self.probs, self.step_loss = every.probs[0], every.per_step[0]
        self.total_loss = softmax_nll(self.forward.Y, Y, tgt[None]).loss  # L: present targets only
        self.hidden = self.forward.hidden["layer0.fwd"][0]  # (T, p)
        if self.input_absent:
            full = net.forward(params, X)
            self.total_loss_all_present = softmax_nll(full.Y, Y).loss
        else:
            self.total_loss_all_present = every.loss

    # ------------------------------------------------------------------ handlers
    def update(self) -> None:
        self._forward()
        self._draw_sequence()
        self._draw_step()

    def _on_text(self) -> None:
        try:
            ids, used, note = sentence_ids(self.model.vocab, self.text.value)
        except (TypeError, ValueError) as exc:  # bad text: the message stays until the next sentence, view unchanged
            self._sentence_note = ("error", str(exc))
            raise
        self._sentence_note = ("warning", note) if note else None
        self._set_sentence(ids, used)
        T = len(self.inputs)
        with self._holding():
            if T > self.t.max:
                self.t.max = self.play.max = T
            self.t.value = min(self.t.value, T)
            self.t.max = self.play.max = T
            self.absent_x.value = self.absent_y.value = False
        self.update()

    def _on_t(self) -> None:
        if self._quiet:
            return
        t = self.t.value - 1
        with self._holding():
            self.absent_x.value = t in self.input_absent
            self.absent_y.value = t in self.target_absent
        self._draw_step()

    def _toggle(self, where: set, absent: bool) -> None:
        t = self.t.value - 1
        (where.add if absent else where.discard)(t)
        self.update()

    def _on_absent_x(self) -> None:
        if not self._quiet:
            self._toggle(self.input_absent, bool(self.absent_x.value))

    def _on_absent_y(self) -> None:
        if not self._quiet:
            self._toggle(self.target_absent, bool(self.absent_y.value))

    def _reset_absent(self) -> None:
        self.input_absent.clear()
        self.target_absent.clear()
        with self._holding():
            self.absent_x.value = self.absent_y.value = False
        self.update()

    # ------------------------------------------------------------------ drawing
    def _draw_sequence(self) -> None:
        inp, tgt = self.masks()
        chars = [self.tokens[i] for i in self.inputs]
        nexts = [self.tokens[i] for i in self.targets]
        self.sentence_view.value = sentence_html(self.hidden, chars, nexts, self.step_loss, inp, tgt, self.total_loss,
                                                 view_id=self._view_id)

    def _draw_step(self) -> None:
        t = self.t.value - 1
        j, k = int(self.inputs[t]), int(self.targets[t])
        present = t not in self.input_absent
        x = np.zeros(len(self.tokens))
        if present:
            x[j] = 1.0
        self.x = x
        self.terms = step_terms(self.model.weights, self.steps[t], j, present)
        unit = min(max(int(self.unit.value), 1), self.model.hidden_size)
        self.now.value = now_style(self._view_id, t + 1)
        self.step_view.value = step_html(
            t + 1, x, self.terms, self.probs[t], self.tokens, k, unit=unit, top_k_shown=self.top_k,
            x_char=self.tokens[j], input_present=present, target_present=t not in self.target_absent,
            y=self.forward.Y[0, t])
        self.equation.value = self._equation_html(t, j, k, unit - 1, present)
        self.status.value = self._status_html(t)
        if self._sentence_note:  # every handler clears the message line; a note on the sentence outlives them
            self.message.show(*self._sentence_note)

    def _status_html(self, t: int) -> str:
        T = len(self.inputs)
        inp, tgt = self.masks()
        n = int(tgt.sum())
        lt = float(self.step_loss[t])
        shown = html.escape(self.sentence).replace("\n", "\u21b5")
        parts = [f"Reading <b>\u201c{shown}\u201d</b>: T = {T} time-stamps (the last character is only predicted). "
                 f"Total loss <b>L = {self.total_loss:.3f}</b> nats over {n} of {T} targets "
                 f"({self.total_loss / max(n, 1):.2f} per character; the unigram baseline, which ignores the "
                 f"context, is about {self.model.info.get('unigram_heldout', float('nan')):.2f})."]
        if t in self.target_absent:
            parts.append(f"The target at t = {t + 1} is <b>absent</b>: its l<sub>t</sub> = {lt:.3f} is not counted; "
                         f"with it L would be {self.total_loss + lt:.3f}.")
        else:
            parts.append(f"At t = {t + 1}, l<sub>t</sub> = {lt:.3f} is counted: marking the target absent lowers L by "
                         f"exactly {lt:.3f}.")
        if self.input_absent:
            missing = ", ".join(str(s + 1) for s in sorted(self.input_absent))
            parts.append(f"Inputs absent at t = {missing}: with every input present L would be "
                         f"{self.total_loss_all_present:.3f} (same targets).")
        return '<div class="rnnviz-guide">' + " ".join(parts) + "</div>"

    def _equation_html(self, t: int, j: int, k: int, i: int, present: bool) -> str:
        Wt = self.model.weights
        terms = self.terms
        s = t + 1
        sub = f"<sub>{s}</sub>"
        rows = []
        for u in range(min(3, self.model.hidden_size)):
            rows.append(
                f"h{sub}[{u + 1}] = tanh({_p(terms['W_xh x_t'][u])} + {_p(terms['W_hh h_{t-1}'][u])} + "
                f"{_p(terms['b_h'][u])}) = tanh({_f(terms['a_t'][u])}) = <b>{_f(terms['h_t'][u], 3)}</b>")
        h_prev = terms["h_{t-1}"]
        prods = Wt["W_hh"][i] * h_prev
        big = np.argsort(-np.abs(prods), kind="stable")[:3]
        if np.any(h_prev):
            sum_txt = (" + ".join(f"{_p(Wt['W_hh'][i, m])}&middot;{_p(h_prev[m])}" for m in big)
                       + f" + &hellip; (the 3 largest of {len(h_prev)} products)")
        else:
            sum_txt = "0 (h<sub>0</sub> = 0: nothing to remember yet)"
        x_txt = (f"W<sub>xh</sub>[{i + 1}, {j + 1}] = {_f(terms['W_xh x_t'][i])} (x{sub} = '{display_char(self.tokens[j])}' "
                 f"picks column {j + 1})" if present else "0 (x" + sub + " absent)")
        y = self.forward.Y[0, t]
        pk = float(self.probs[t][k])
        nxt = display_char(self.tokens[k])
        counted = "counted" if t not in self.target_absent else "<b>not counted</b> (target absent)"
        return (
            '<div class="rnnviz-guide" style="font-family: monospace; font-size: 13.5px; line-height: 1.6">'
            f"<b>t = {s}</b>: read x{sub} = '{display_char(self.tokens[j])}'"
            f"{'' if present else ' (<b>absent</b>)'}, predict x<sub>{s + 1}</sub> = '{nxt}'.<br>"
            f"h{sub} = tanh(W<sub>xh</sub> x{sub} + W<sub>hh</sub> h<sub>{s - 1}</sub> + b<sub>h</sub>), "
            f"units 1&ndash;3:<br>&nbsp;&nbsp;" + "<br>&nbsp;&nbsp;".join(rows) + "<br>"
            f"<b>unit {i + 1}</b> in full: W<sub>xh</sub> x{sub} &rarr; {x_txt};<br>"
            f"&nbsp;&nbsp;W<sub>hh</sub> h<sub>{s - 1}</sub> &rarr; &Sigma;<sub>k</sub> W<sub>hh</sub>[{i + 1},k] "
            f"h<sub>{s - 1}</sub>[k] = {sum_txt} = {_f(terms['W_hh h_{t-1}'][i])};<br>"
            f"&nbsp;&nbsp;+ b<sub>h</sub>[{i + 1}] = {_f(terms['b_h'][i])} &nbsp;&rArr;&nbsp; a{sub}[{i + 1}] = "
            f"{_f(terms['a_t'][i], 3)}, &nbsp;h{sub}[{i + 1}] = tanh({_f(terms['a_t'][i], 3)}) = "
            f"<b>{_f(terms['h_t'][i], 3)}</b><br>"
            f"y{sub} = W<sub>hy</sub> h{sub} + b<sub>y</sub> ({len(y)} scores); for '{nxt}': y{sub}['{nxt}'] = "
            f"{_f(y[k])}, p&#770;{sub}('{nxt}') = e<sup>{_f(y[k])}</sup> / &Sigma;<sub>c</sub> e<sup>y[c]</sup> = "
            f"{pk:.3f}, l{sub} = &minus;log {pk:.3f} = {self.step_loss[t]:.3f}, {counted}."
            "</div>"
        )


# =========================================================================== exercise checkers
class StepCheck:
    """What a checker found: ``ok``, the ``problems`` (short codes) and a ``message`` for the student."""

    def __init__(self, ok: bool, message: str, problems: tuple[str, ...] = ()):
        self.ok, self.message, self.problems = bool(ok), message, tuple(problems)

    def __str__(self) -> str:
        return self.message

    __repr__ = __str__

    def __bool__(self) -> bool:
        return self.ok


def _sigmoid(a):
    return 1.0 / (1.0 + np.exp(-a))


def _call(fn: Callable, args: tuple, name: str, shape: tuple[int, ...], shapes_hint: str):
    """Run the student's function; a StepCheck when it cannot even be compared, else the (possibly raveled) result."""
    try:
        with np.errstate(all="ignore"):
            out = fn(*(a.copy() if isinstance(a, np.ndarray) else a for a in args))
    except (ValueError, TypeError) as exc:
        text = str(exc)
        if any(w in text for w in ("matmul", "shape", "broadcast", "aligned", "dimension")):
            return StepCheck(False, f"shapes: {shapes_hint} (numpy said: {text})", ("shapes",))
        return StepCheck(False, f"{name} raised {type(exc).__name__}: {text}", ("error",))
    except Exception as exc:  # the student's code may raise anything
        return StepCheck(False, f"{name} raised {type(exc).__name__}: {exc}", ("error",))
    if out is None:
        return StepCheck(False, f"{name} returned nothing: end it with a return statement.", ("none",))
    try:
        arr = np.asarray(out, dtype=float)
    except (TypeError, ValueError):
        return StepCheck(False, f"{name} returned a {type(out).__name__}, not numbers.", ("type",))
    if arr.shape != shape:
        if arr.size == int(np.prod(shape)):
            return arr.reshape(shape), f"shapes: return shape {shape}, yours is {arr.shape} (the numbers are checked anyway). "
        return StepCheck(False, f"shapes: the result should have shape {shape}, yours has shape {arr.shape}. {shapes_hint}",
                         ("shapes",))
    if not np.all(np.isfinite(arr)):
        return StepCheck(False, f"{name} returned inf or NaN.", ("nonfinite",))
    return arr, ""


def _diagnose(outs, cases, evaluate, variants, messages, ok_text, formula) -> StepCheck:
    """Find the variant of the formula that the student's outputs match on every case, fewest slips first.

    variants: part -> its choices, the right one first; evaluate(choice, case) computes one variant.
    """
    keys = list(variants)
    right = {k: v[0] for k, v in variants.items()}
    combos = sorted(itertools.product(*variants.values()),
                    key=lambda c: sum(v != right[k] for k, v in zip(keys, c)))
    for combo in combos:
        choice = dict(zip(keys, combo))
        if all(np.allclose(out, evaluate(choice, case), rtol=1e-7, atol=1e-9) for out, case in zip(outs, cases)):
            wrong = tuple(f"{k}:{v}" for k, v in choice.items() if v != right[k])
            if not wrong:
                return StepCheck(True, ok_text)
            return StepCheck(False, "not yet: " + "; ".join(messages[w] for w in wrong) + ".", wrong)
    worst = max(float(np.max(np.abs(out - evaluate(right, case)))) for out, case in zip(outs, cases))
    return StepCheck(False, f"not yet: your result differs from {formula} by up to {worst:.3g}, and it is not one of "
                            "the usual slips. Check each term on its own, printing its shape and first values.",
                     ("other",))


def _eval_step(choice, case):
    W, x, h = case
    a = 0.0
    if choice["input"] == "ok":
        a = a + W["W_xh"] @ x
    if choice["recurrent"] == "ok":
        a = a + W["W_hh"] @ h
    elif choice["recurrent"] == "transposed":
        a = a + W["W_hh"].T @ h
    if choice["bias"] == "ok":
        a = a + W["b_h"]
    act = {"tanh": np.tanh, "none": lambda v: v, "sigmoid": _sigmoid, "relu": lambda v: np.maximum(v, 0.0)}
    out = act[choice["activation"]](a + np.zeros(W["W_hh"].shape[0]))
    if choice["bias"] == "outside":
        out = out + W["b_h"]
    return out


def _eval_loss(choice, case):
    W, h, j = case
    y = W["W_hy"] @ h + (W["b_y"] if choice["bias"] == "ok" else 0.0)
    if choice["softmax"] == "ok":
        z = y - y.max()
        p = np.exp(z[j]) / np.exp(z).sum()
        v = np.log(p) if choice["log"] == "ok" else p
    else:
        v = y[j]
    return -v if choice["sign"] == "ok" else v


STEP_VARIANTS = {
    "input": ("ok", "missing"),
    "recurrent": ("ok", "missing", "transposed"),
    "bias": ("ok", "missing", "outside"),
    "activation": ("tanh", "none", "sigmoid", "relu"),
}
STEP_MESSAGES = {
    "input:missing": "check the W_xh term: the input must enter as W_xh @ x (the one-hot x picks one column of W_xh); "
                     "your h_t does not depend on x",
    "recurrent:missing": "check the W_hh term: the previous state must enter as W_hh @ h_prev; your h_t does not "
                         "depend on h_prev",
    "recurrent:transposed": "check the W_hh term: it is W_hh @ h_prev, not W_hh.T @ h_prev or h_prev @ W_hh "
                            "(row i of W_hh holds the weights into unit i)",
    "bias:missing": "you forgot the bias: add b_h inside the tanh",
    "bias:outside": "the bias b_h goes inside the tanh: tanh(W_xh @ x + W_hh @ h_prev + b_h), not tanh(...) + b_h",
    "activation:none": "apply tanh: you returned the pre-activation a_t, and h_t = tanh(a_t)",
    "activation:sigmoid": "apply tanh, not the sigmoid: the chapter's cell uses tanh, with values in (-1, 1)",
    "activation:relu": "apply tanh, not ReLU: the chapter's cell uses tanh, with values in (-1, 1)",
}
LOSS_VARIANTS = {
    "sign": ("ok", "missing"),
    "log": ("ok", "missing"),
    "softmax": ("ok", "missing"),
    "bias": ("ok", "missing"),
}
LOSS_MESSAGES = {
    "sign:missing": "check the sign: the loss is -log p, a positive number (the log of a probability is negative)",
    "log:missing": "take the log: you returned the probability p itself, and the loss is -log p",
    "softmax:missing": "apply the softmax before the log: p = exp(y) / exp(y).sum(); you used the score y[j] itself",
    "bias:missing": "you forgot the bias: y_t = W_hy @ h + b_y",
}


def _weights(model) -> dict:
    if model is None:
        return load_pretrained().weights
    if isinstance(model, PretrainedCharRNN):
        return model.weights
    return dict(model)


def check_step(fn: Callable, model: PretrainedCharRNN | dict | None = None, *, trials: int = 3) -> StepCheck:
    """Check a student's ``fn(x, h_prev) -> h_t`` against h_t = tanh(W_xh x + W_hh h_prev + b_h).

    ``fn`` reads the weights itself (from the notebook); ``model`` gives the same weights to the
    checker (the shipped model by default, or a dict with ``W_xh``, ``W_hh``, ``b_h``). It is called on
    ``trials`` cases (x a one-hot vector of d entries, h_prev a random state of p entries) and the result
    says which term is wrong when it is one of the usual slips: "check the W_hh term", "you forgot the
    bias", "apply tanh", "shapes: W_xh is p x d"...
    """
    if not callable(fn):
        raise TypeError(f"fn: expected your function (my_step), got {type(fn).__name__}")
    W = _weights(model)
    p, d = W["W_xh"].shape
    rng = np.random.default_rng(7)
    hint = (f"W_xh is p x d = {p} x {d} and x has d = {d} entries, so the input term is W_xh @ x; W_hh is p x p = "
            f"{p} x {p} and h_prev has p = {p} entries, so the recurrent term is W_hh @ h_prev; use @ (matrix times "
            "vector), not * (entry by entry). h_t has p entries.")
    cases, outs, notes = [], [], ""
    for _ in range(trials):
        x = np.zeros(d)
        x[rng.integers(1, d)] = 1.0
        h_prev = rng.uniform(-0.9, 0.9, p)
        got = _call(fn, (x, h_prev), "my_step", (p,), hint)
        if isinstance(got, StepCheck):
            return got
        outs.append(got[0])
        notes = notes or got[1]
        cases.append((W, x, h_prev))
    res = _diagnose(outs, cases, _eval_step, STEP_VARIANTS, STEP_MESSAGES,
                    f"correct: your my_step gives h_t = tanh(W_xh x + W_hh h_prev + b_h) on {trials} random cases.",
                    "tanh(W_xh @ x + W_hh @ h_prev + b_h)")
    if notes:
        return StepCheck(False, notes + res.message, ("shapes",) + res.problems)
    return res


def check_step_loss(fn: Callable, model: PretrainedCharRNN | dict | None = None, *, trials: int = 3) -> StepCheck:
    """Check a student's ``fn(h, j) -> l`` against l = -log softmax(W_hy h + b_y)[j], naming the slip."""
    if not callable(fn):
        raise TypeError(f"fn: expected your function (my_step_loss), got {type(fn).__name__}")
    W = _weights(model)
    V, p = W["W_hy"].shape
    rng = np.random.default_rng(11)
    hint = (f"W_hy is V x p = {V} x {p} and h has p = {p} entries, so y = W_hy @ h + b_y has V = {V} scores; "
            "the loss of one step is one number.")
    cases, outs, notes = [], [], ""
    for _ in range(trials):
        h = rng.uniform(-0.95, 0.95, p)
        j = int(rng.integers(1, V))
        got = _call(fn, (h, j), "my_step_loss", (), hint)
        if isinstance(got, StepCheck):
            return got
        outs.append(got[0])
        notes = notes or got[1]
        cases.append((W, h, j))
    res = _diagnose(outs, cases, _eval_loss, LOSS_VARIANTS, LOSS_MESSAGES,
                    f"correct: your my_step_loss gives -log softmax(W_hy h + b_y)[j] on {trials} random cases.",
                    "-log softmax(W_hy @ h + b_y)[j]")
    if notes:
        return StepCheck(False, notes + res.message, ("shapes",) + res.problems)
    return res
