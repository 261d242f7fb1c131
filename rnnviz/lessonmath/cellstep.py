r"""Lesson 2: what the recurrent-cell views show, computed from the core.

A small trained character language model (the chapter's vanilla RNN with p = 32 units, shipped as
``rnnviz/data/pretrained_char_rnn.npz``, made by ``scripts/make_pretrained.py``) reads a sentence one
character per time-stamp:

    a_t = W_xh x_t + W_hh h_{t-1} + b_h,   h_t = tanh(a_t),   y_t = W_hy h_t + b_y,   p_t = softmax(y_t)

* :class:`PretrainedCharRNN` / :func:`load_pretrained` — the shipped model, its weights under the chapter's names;
* :func:`sentence_ids` — a typed sentence checked against the model's vocabulary;
* :func:`run_sentence` — the forward pass over a sentence with some inputs and targets marked absent
  (:class:`SentenceRun`: every state, score, probability and loss);
* :func:`step_at` — one time-stamp of it, term by term (:class:`Step`, built on :func:`step_terms`);
* :func:`unit_arithmetic` — the numbers of one hidden unit's update, written out in the app's equation line.

Time-stamps are counted from 1, as in the chapter: ``t`` runs over 1..T, and the absent sets hold such t.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import numpy as np

from ..core.lm import LanguageModel
from ..core.losses import softmax_nll
from ..core.network import Network
from ..core.checks import within
from ..data import Vocabulary, load_corpus
from ..data.vocab import UNK

__all__ = [
    "DEFAULT_TEXT", "MAX_CHARS", "MIN_CHARS", "PRETRAINED", "PretrainedCharRNN", "SentenceRun", "Step", "UnitArithmetic",
    "known_characters", "load_pretrained", "run_sentence", "sentence_ids", "step_at", "step_terms", "unit_arithmetic",
    "PASSAGE_LENGTHS", "PassageLoss", "heldout_text", "passage_losses",
]

PRETRAINED = "pretrained_char_rnn.npz"
DEFAULT_TEXT = "Alice was beginning to get very tired"
#: Longer sentences are cut here: beyond it the labels under the heatmap become unreadable.
MAX_CHARS = 80
#: A sentence needs one character to read and one to predict.
MIN_CHARS = 2


# =========================================================================== the model
class PretrainedCharRNN:
    """The shipped character model of lesson 2.

    Attributes: ``vocab`` (:class:`~rnnviz.data.Vocabulary`: d = ``len(vocab)`` entries, the characters of the
    book and ``<unk>``), ``net`` (:class:`~rnnviz.core.Network`), ``params`` (the Network's dotted keys),
    ``weights`` (the same arrays under the chapter's names ``W_xh`` (p x d), ``W_hh`` (p x p), ``b_h``,
    ``W_hy`` (d x p), ``b_y``), ``lm`` (a :class:`~rnnviz.core.LanguageModel` over them, for sampling and
    perplexity), and ``info`` (how it was made and its losses in nats per character: ``train_loss``,
    ``heldout_loss``, ``unigram_train``, ``unigram_heldout``).
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


# =========================================================================== a typed sentence
def known_characters(vocab: Vocabulary) -> tuple[str, ...]:
    """The characters a sentence may hold: every entry of the vocabulary but ``<unk>`` (d - 1 of them)."""
    return tuple(t for t in vocab.tokens if t != UNK)


def _show(c: str) -> str:
    return repr(c) if (not c.isprintable() or c.isspace()) and c != " " else f"'{c}'"


def _listed(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def sentence_ids(vocab: Vocabulary, text: object, max_chars: int = MAX_CHARS) -> tuple[np.ndarray, str, str]:
    """Check a sentence typed by a student: ``(ids, text used, note)``.

    TypeError for anything but text; ValueError (readable, naming the problem) for a sentence shorter than
    :data:`MIN_CHARS` or holding characters the model never saw; a sentence longer than ``max_chars`` is cut,
    and ``note`` says so.
    """
    if not isinstance(text, str):
        raise TypeError(f"sentence: expected text, got {type(text).__name__}")
    if text == "":
        raise ValueError("The sentence is empty: type at least two characters (the model reads one and predicts the next).")
    if len(text) < MIN_CHARS:
        raise ValueError(f"The sentence {text!r} has one character: type at least two (one to read, one to predict).")
    unknown = [c for c in dict.fromkeys(text) if c not in vocab]
    if unknown:
        shown = ", ".join(_show(c) for c in unknown[:12]) + (f" and {len(unknown) - 12} more" if len(unknown) > 12 else "")
        chars = known_characters(vocab)
        digits = [c for c in chars if c.isdigit()]
        signs = "".join(c for c in chars if not c.isalnum() and c not in " \n")
        kinds = ["letters"] + ([f"the digit{'s' if len(digits) > 1 else ''} {_listed(digits)}"] if digits else []) \
            + ["space"] + (["the line break"] if "\n" in chars else []) + ([signs] if signs else [])
        raise ValueError(
            f"The model has never seen {shown}. Its vocabulary has d = {len(vocab)} entries: the {len(chars)} "
            f"characters of Alice's Adventures in Wonderland ({_listed(kinds)}) and {UNK}, the unknown token. "
            f"Replace or remove {'it' if len(unknown) == 1 else 'them'}.")
    note = ""
    if len(text) > max_chars:
        note = (f"Only the first {max_chars} of the {len(text)} characters are used, so that the labels under the "
                "pictures stay readable.")
        text = text[:max_chars]
    return vocab.encode(text), text, note


# =========================================================================== the forward pass
class SentenceRun(NamedTuple):
    """The model over one sentence, with some inputs and targets absent (T time-stamps, V = d scores, p units)."""

    text: str  # the sentence: T + 1 characters, x_1 .. x_T read, x_2 .. x_{T+1} predicted
    inputs: np.ndarray  # (T,) ids of x_1 .. x_T
    targets: np.ndarray  # (T,) ids of the true next characters x_2 .. x_{T+1}
    input_present: np.ndarray  # (T,) bool
    target_present: np.ndarray  # (T,) bool
    hidden: np.ndarray  # (T, p) h_1 .. h_T
    steps: tuple  # the cell's cache of each step (h_prev, a, h; batch of one)
    Y: np.ndarray  # (T, V) scores y_t
    probs: np.ndarray  # (T, V) p_t = softmax(y_t)
    step_loss: np.ndarray  # (T,) l_t = -log p_t(true next), for every t (absent targets too)
    total_loss: float  # L: the sum of l_t over the present targets
    counted: int  # how many targets are present
    total_loss_all_present: float  # L with every input present (same targets)

    @property
    def T(self) -> int:
        return len(self.inputs)


def _time_stamps(name: str, ts: Iterable[int], T: int) -> np.ndarray:
    """(T,) bool, True where t (1-based) is present; ValueError for a time-stamp outside 1..T."""
    present = np.ones(T, bool)
    for t in ts:
        if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 1 <= t <= T:
            raise ValueError(f"{name}: time-stamps run from 1 to {T}, got {t!r}")
        present[int(t) - 1] = False
    return present


def run_sentence(model: PretrainedCharRNN, ids: np.ndarray, *, input_absent: Iterable[int] = (),
                 target_absent: Iterable[int] = ()) -> SentenceRun:
    """Read the sentence of token ``ids`` (T + 1 of them) from h_0 = 0: a forward pass, no training.

    input_absent: the time-stamps t whose x_t is absent (then W_xh x_t = 0); target_absent: those whose
    target is absent (l_t is computed, but not counted in L).
    """
    ids = np.asarray(ids)
    if ids.ndim != 1 or len(ids) < MIN_CHARS:
        raise ValueError(f"ids: expected at least {MIN_CHARS} token ids in a row, got shape {ids.shape}")
    inputs, targets = ids[:-1], ids[1:]  # read x_1..x_T, predict x_2..x_{T+1}
    T = len(inputs)
    inp = _time_stamps("input absent", input_absent, T)
    tgt = _time_stamps("target absent", target_absent, T)
    net, params = model.net, model.params
    X, Yt = inputs[None], targets[None]
    fwd = net.forward(params, X, input_mask=inp[None])
    every = softmax_nll(fwd.Y, Yt)  # l_t at every t, absent targets too (drawn grey)
    counted = softmax_nll(fwd.Y, Yt, tgt[None])  # L: present targets only
    if inp.all():
        all_present = every.loss
    else:
        all_present = softmax_nll(net.forward(params, X).Y, Yt).loss
    text = model.vocab.decode(ids) if model.vocab.level == "char" else ""
    return SentenceRun(text, inputs, targets, inp, tgt, fwd.hidden["layer0.fwd"][0], tuple(fwd.cache.layers[0]["fwd"].steps),
                       fwd.Y[0], every.probs[0], every.per_step[0], float(counted.loss), int(tgt.sum()), float(all_present))


# =========================================================================== one step, term by term
def step_terms(weights: dict, cache, x_id: int, present: bool = True) -> dict[str, np.ndarray]:
    """The terms of a_t = W_xh x_t + W_hh h_{t-1} + b_h at one time-stamp, read from the forward cache.

    weights: chapter names (``W_xh`` p x d, ``W_hh`` p x p, ``b_h``); cache: the cell's step cache
    (``SentenceRun.steps[t - 1]``, batch of one); x_id: the id of x_t (the one-hot x_t selects column
    x_id of W_xh); present: False when x_t is absent (then W_xh x_t = 0).
    Returns (p,) vectors named ``h_{t-1}``, ``W_xh x_t``, ``W_hh h_{t-1}``, ``b_h``, ``a_t``, ``h_t``.
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


class Step(NamedTuple):
    """Time-stamp t of a :class:`SentenceRun`: what the step view and the equation line show."""

    t: int  # 1-based
    x_id: int  # the character read (its id), also when x_t is absent
    target_id: int  # the true next character
    x: np.ndarray  # (d,) the input vector: one-hot, or zeros when absent
    input_present: bool
    target_present: bool
    terms: dict  # name -> (p,) vector, see step_terms
    y: np.ndarray  # (d,) scores y_t
    probs: np.ndarray  # (d,) p_t
    loss: float  # l_t


def step_at(model: PretrainedCharRNN, run: SentenceRun, t: int) -> Step:
    """Time-stamp ``t`` (1..T) of ``run``, term by term; ValueError for a t outside 1..T."""
    if isinstance(t, bool) or not isinstance(t, (int, np.integer)) or not 1 <= t <= run.T:
        raise ValueError(f"time-stamp t: expected a whole number from 1 to {run.T}, got {t!r}")
    s = int(t) - 1
    j, k = int(run.inputs[s]), int(run.targets[s])
    present = bool(run.input_present[s])
    x = np.zeros(model.input_size)
    if present:
        x[j] = 1.0
    return Step(int(t), j, k, x, present, bool(run.target_present[s]), step_terms(model.weights, run.steps[s], j, present),
                run.Y[s], run.probs[s], float(run.step_loss[s]))


class UnitArithmetic(NamedTuple):
    """The update of one hidden unit i at one step, with the numbers that make it (unit counted from 1)."""

    unit: int
    input_weight: float  # W_xh[i, j] = (W_xh x_t)[i]; 0 when x_t is absent
    column: int  # j + 1: the column of W_xh that x_t picks
    largest: np.ndarray  # (k,) indices m (from 1) of the largest |W_hh[i, m] h_{t-1}[m]|, largest first
    weights: np.ndarray  # (k,) W_hh[i, m] for those m
    states: np.ndarray  # (k,) h_{t-1}[m] for those m
    recurrent: float  # (W_hh h_{t-1})[i], the sum over every m
    bias: float  # b_h[i]
    a: float  # a_t[i]
    h: float  # h_t[i]
    n_products: int  # p: how many products the recurrent sum has


def unit_arithmetic(model: PretrainedCharRNN, step: Step, unit: int, largest: int = 3) -> UnitArithmetic:
    """Unit ``unit`` (1..p) of ``step``; ValueError for a unit outside 1..p."""
    p = model.hidden_size
    if isinstance(unit, bool) or not isinstance(unit, (int, np.integer)) or not 1 <= unit <= p:
        raise ValueError(f"unit i: expected a whole number from 1 to {p}, got {unit!r}")
    i = int(unit) - 1
    terms = step.terms
    h_prev = terms["h_{t-1}"]
    row = model.weights["W_hh"][i]
    order = np.argsort(-np.abs(row * h_prev), kind="stable")[:largest]
    return UnitArithmetic(int(unit), float(terms["W_xh x_t"][i]), step.x_id + 1, order + 1, row[order], h_prev[order],
                          float(terms["W_hh h_{t-1}"][i]), float(terms["b_h"][i]), float(terms["a_t"][i]),
                          float(terms["h_t"][i]), p)


# =========================================================================== a long passage, for the explored view
#: the shortest and longest passage of held-out text the explored loss view reads at once (characters)
PASSAGE_LENGTHS = (200, 5000)


class PassageLoss(NamedTuple):
    """The model reading a passage of the held-out text from h_0 = 0 (N characters predicted)."""

    text: str  # the passage: N + 1 characters, x_1 .. x_N read, x_2 .. x_{N+1} predicted
    start: int  # where it starts in the held-out text (0-based character offset)
    step_loss: np.ndarray  # (N,) l_t = -log p_t(true next character)
    unigram_loss: np.ndarray  # (N,) -log of the next character's frequency in the training text (the baseline)

    @property
    def mean(self) -> float:
        """Mean loss per character, nats."""
        return float(self.step_loss.mean())

    @property
    def unigram_mean(self) -> float:
        return float(self.unigram_loss.mean())


@lru_cache(maxsize=1)
def _heldout(corpus: str, split: int) -> str:
    return load_corpus(corpus)[split:]


def heldout_text(model: PretrainedCharRNN) -> str:
    """The part of the book the shipped model was not trained on (after ``model.info["split"]``)."""
    return _heldout(str(model.info["corpus"]), int(model.info["split"]))


def passage_losses(model: PretrainedCharRNN, start: int, length: int) -> PassageLoss:
    """The loss of every character of ``length`` characters of held-out text from ``start``, and the unigram
    baseline's. ValueError naming the setting when ``length`` or ``start`` is out of range."""
    text = heldout_text(model)
    length = within(length, PASSAGE_LENGTHS, "length", integer=True)
    start = within(start, (0, len(text) - length - 1), "start", integer=True)
    passage = text[start:start + length + 1]
    ids = model.vocab.encode(passage)
    run = run_sentence(model, ids)
    freq = np.maximum(model.lm.unigram[ids[1:]], 1e-12)  # a character never seen in training: a huge but finite loss
    return PassageLoss(passage, start, run.step_loss.copy(), -np.log(freq))
