"""Lesson 1's exercises: a bag of words, an RNN's final state, and why no bag of words can read order.

* :data:`bag_of_words` -- ``my_bag_of_words(words, vocab)`` returns the count vector c (web: c of one sentence
  over a 4-word vocabulary);
* :data:`final_state` -- ``my_final_state(ids, params)`` returns h_T (web: h_2 of a 2-unit RNN over 3 words);
* :data:`why_bag_fails` -- a choice: why no bag-of-words model can tell a sentence from its reordering.

The judges compare with the core (:func:`rnnviz.lessonmath.order.bag_of_words`, the first layer of a
:class:`rnnviz.core.network.Network`) and name the usual slips.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import NamedTuple

import numpy as np

from ..core.network import Network
from ..data import UNK, Vocabulary
from ..lessonmath import order as lm
from . import Choice, Exercise, FunctionExercise, NotYet, Vector, as_array, as_choice, call

__all__ = ["EXERCISES", "bag_of_words", "final_state", "why_bag_fails"]


class _InOrder(FunctionExercise):
    """Runs the student's function on the cases in order. When it fails on one, the cases before it are judged
    first (a wrong value there names the slip better than the error), then :meth:`annotate` adds what the lesson
    knows about such an error."""

    def annotate(self, exc: NotYet, case) -> NotYet:
        return exc

    def _judge_any(self, answer: object) -> str:
        if not callable(answer):
            return super()._judge_any(answer)
        outs = []
        for i, case in enumerate(self.cases):
            try:
                out = call(answer, *self.args(case), what=self.signature)
            except NotYet as exc:
                if outs:
                    self.judge_values(outs, self.cases[:i])
                raise self.annotate(exc, case) from None
            outs.append(self.value(out, case))
        return self.judge_values(outs, self.cases)


# =========================================================================== 1. the bag of words
class BagCase(NamedTuple):
    words: tuple[str, ...]
    vocab: Vocabulary
    label: str  # how the feedback names the case


_LESSON_VOCAB = lm.lesson_vocabulary()
#: the web page's case: a vocabulary of 4 words, a sentence with one word it does not hold ('bit')
WEB_VOCAB = Vocabulary([UNK, "the", "dog", "man"], level="word")
WEB_WORDS = ("the", "dog", "bit", "the", "man")
_A, _B = ("the", "dog", "bit", "the", "man"), ("the", "man", "bit", "the", "dog")
_UNKNOWN = ("the", "dog", "bit", "the", "astronaut")
BAG_CASES = (
    BagCase(_A, _LESSON_VOCAB, "'the dog bit the man'"),
    BagCase(_B, _LESSON_VOCAB, "'the man bit the dog'"),
    BagCase(_UNKNOWN, _LESSON_VOCAB, "'the dog bit the astronaut' ('astronaut' is not in the vocabulary)"),
    BagCase(WEB_WORDS, WEB_VOCAB, "'the dog bit the man' over the 4-word vocabulary (<unk>, the, dog, man)"),
    BagCase((), _LESSON_VOCAB, "the empty sentence []"),
)


def _bag_value(out: object, case: BagCase) -> np.ndarray:
    V, T = len(case.vocab), len(case.words)
    if T != V and not isinstance(out, str) and np.shape(out) == (T,) and T > 0:
        raise NotYet(f"for {case.label} you returned {T} numbers, one per word of the sentence: you counted "
                     f"positions, not words. A bag of words has one count per word of the vocabulary, V = {V} "
                     "numbers.", "index")
    return as_array(out, (V,), "c")


def _bag_diagnosis(c: np.ndarray, case: BagCase, ref: np.ndarray, others: list[tuple[np.ndarray, BagCase]]) -> NotYet:
    V, T = len(case.vocab), len(case.words)
    if T == 0:
        return NotYet("for the empty sentence your c is not all zeros: no words, no counts.", "empty")
    positions = np.zeros(V)
    positions[:min(T, V)] = 1
    unknown = [w for w in case.words if w not in case.vocab]
    if T <= V and np.allclose(c, positions) and not np.allclose(ref, positions):
        return NotYet(f"for {case.label} you counted positions, not words (1 at entry t for the t-th word): a bag of "
                      "words counts each word at the entry of its id.", "index")
    if np.allclose(c, (ref > 0).astype(float)):
        return NotYet(f"for {case.label} you marked which words occur (0 or 1); a bag of words counts how often each "
                      "occurs: a word that comes twice counts 2.", "count")
    if np.allclose(c, ref / ref.sum()):
        return NotYet(f"for {case.label} you divided by the sentence length; the chapter's bag of words is the plain "
                      "count of each word.", "count")
    if unknown and np.allclose(c, ref - np.eye(V)[0] * ref[0]):
        return NotYet(f"for {case.label} you skipped {', '.join(map(repr, dict.fromkeys(unknown)))}: a word the "
                      "vocabulary does not hold still counts, as <unk> (id 0).", "<unk>")
    if np.allclose(np.roll(c, -1), ref) or np.allclose(np.roll(c, 1), ref):
        return NotYet(f"for {case.label} the counts sit one place off: word w belongs at entry vocab.id_of(w) "
                      "(id 0 is <unk>).", "index")
    for c_other, other in others:
        if other.vocab is case.vocab and lm.same_bag(other.words, case.words) and not np.allclose(c, c_other):
            return NotYet(f"your c for {case.label} differs from the one for {other.label}: they use the same words, "
                          "and a bag of words only counts them, so it must not depend on the order.", "order")
    v = int(np.flatnonzero(~np.isclose(c, ref))[0])
    more = int(np.sum(~np.isclose(c, ref))) - 1
    return NotYet(f"for {case.label} the count of {case.vocab.tokens[v]!r} (entry {v}) is not right"
                  + (f", nor are {more} other entries" if more else "") + ".", f"c[{case.vocab.tokens[v]}]")


def _judge_bags(values: list, cases: list) -> str:
    for c, case in zip(values, cases):
        ref = lm.bag_of_words(case.words, case.vocab)
        if not np.allclose(c, ref, rtol=0, atol=1e-9):
            others = [(c2, case2) for c2, case2 in zip(values, cases) if case2 is not case]
            raise _bag_diagnosis(c, case, ref, others)
    if len(cases) == 1:
        counts = ", ".join(f"{v:g}" for v in lm.bag_of_words(cases[0].words, cases[0].vocab))
        return (f"c = ({counts}): 'bit' is not in this vocabulary, so it counts as <unk>; 'the' occurs twice. "
                "'the man bit the dog' has the same c.")
    return ("your counts match on every sentence: 'the man bit the dog' gets the same c as 'the dog bit the man' (a bag "
            "of words cannot see order), and a word the vocabulary does not hold counts as <unk>.")


class _BagExercise(_InOrder):
    def annotate(self, exc: NotYet, case: BagCase) -> NotYet:
        unknown = [w for w in case.words if w not in case.vocab]
        if not unknown:
            return exc
        return NotYet(f"{exc.text} (on {case.label}): a word the vocabulary does not hold counts as <unk>, id 0.",
                      "<unk>")


def _reference_bag(words, vocab):
    c = np.zeros(len(vocab))
    for w in words:
        c[vocab.id_of(w)] += 1
    return c


bag_of_words = _BagExercise(
    "01.bag-of-words", "The bag of words",
    "Write <code>my_bag_of_words(words, vocab)</code>: for a list of words it returns the vector c of length "
    "V = <code>len(vocab)</code> with c<sub>v</sub> = how often word v occurs. A word the vocabulary does not hold "
    "counts as <unk> (id 0); <code>vocab.id_of(w)</code> gives a word's id.",
    Vector(("c<sub>0</sub> (<unk>)", "c<sub>1</sub> (the)", "c<sub>2</sub> (dog)", "c<sub>3</sub> (man)")),
    question_web="A vocabulary of V = 4 words: <unk> (id 0: any word it does not hold), <i>the</i> (id 1), <i>dog</i> "
                 "(id 2), <i>man</i> (id 3). What is the bag of words c of <i>the dog bit the man</i>? "
                 "(c<sub>v</sub> = how often word v occurs.)",
    cases=BAG_CASES, web_case=BAG_CASES[3], args=lambda case: (list(case.words), case.vocab), value=_bag_value,
    judge_values=_judge_bags, signature="my_bag_of_words(words, vocab)",
    code="def my_bag_of_words(words, vocab):\n    ...   # return c: len(vocab) counts\n\n"
         "ex1.bag_of_words.check(my_bag_of_words)",
    hint="One entry per word of the vocabulary, all 0 to start; each word of the sentence adds 1 at its own id. A word "
         "the vocabulary does not hold adds 1 at id 0, <unk>. In code: <code>np.zeros(len(vocab))</code> and "
         "<code>vocab.id_of(w)</code>.",
    solution="c = (1, 2, 1, 1): <i>bit</i> is not in the 4-word vocabulary, so it counts as <unk>; <i>the</i> occurs "
             "twice, <i>dog</i> and <i>man</i> once. In code:<br><code>def my_bag_of_words(words, vocab):</code><br>"
             "<code>    c = np.zeros(len(vocab))</code><br><code>    for w in words:</code><br>"
             "<code>        c[vocab.id_of(w)] += 1</code><br><code>    return c</code>",
    reference=_reference_bag,
)


# =========================================================================== 2. the RNN's final state
class StateCase(NamedTuple):
    net: Network
    params: dict  # the network's parameters ("layer0.fwd.W_xh", ...)
    ids: np.ndarray  # (T,) word ids
    label: str
    tol: float  # how close h_T must be (typed numbers are rounded)

    def cell(self) -> dict:
        """W_xh (p, V), W_hh (p, p), b_h (p,): what the student's function gets."""
        return {k: v.copy() for k, v in Network.sub(self.params, "layer0.fwd").items()}


def _lesson_state_case(words: Sequence[str], *, hidden: int = 6, seed: int = 0) -> StateCase:
    net = Network(len(_LESSON_VOCAB), hidden, 2)
    params = net.init_params(np.random.default_rng(seed))
    params["layer0.fwd.b_h"] = np.random.default_rng(seed + 1).uniform(-0.5, 0.5, hidden)  # a bias one can see
    return StateCase(net, params, _LESSON_VOCAB.encode(list(words)), f"'{' '.join(words)}'", 1e-8)


#: the web page's case: p = 2 units, V = 3 words, T = 2
WEB_W_XH = np.array([[0.5, -1.0, 0.8], [0.2, 0.6, -0.4]])
WEB_W_HH = np.array([[0.5, -0.7], [0.9, 0.3]])
WEB_B_H = np.array([0.1, -0.2])
WEB_IDS = np.array([1, 2])


def _web_state_case() -> StateCase:
    net = Network(3, 2, 2)
    params = net.init_params(np.random.default_rng(0))
    params.update({"layer0.fwd.W_xh": WEB_W_XH.copy(), "layer0.fwd.W_hh": WEB_W_HH.copy(),
                   "layer0.fwd.b_h": WEB_B_H.copy()})
    return StateCase(net, params, WEB_IDS.copy(), "the small case (p = 2, V = 3, ids 1, 2)", 5e-3)


STATE_CASES = (_lesson_state_case(_A), _lesson_state_case(_B), _web_state_case())


def _final_state(case: StateCase) -> np.ndarray:
    """h_T from the core's network."""
    return case.net.forward(case.params, case.ids[None]).hidden["layer0.fwd"][0, -1]


def _slips(case: StateCase) -> dict[str, np.ndarray]:
    """h_T under the usual slips, to name the one a student made."""
    p = case.cell()

    def run(step, ids=case.ids):
        h = np.zeros(p["W_hh"].shape[0])
        for x in ids:
            h = step(h, x)
        return h

    good = lambda h, x: np.tanh(p["W_xh"][:, x] + p["W_hh"] @ h + p["b_h"])  # noqa: E731
    return {
        "no_recurrence": run(lambda h, x: np.tanh(p["W_xh"][:, x] + p["b_h"])),
        "transposed": run(lambda h, x: np.tanh(p["W_xh"][:, x] + p["W_hh"].T @ h + p["b_h"])),
        "no_bias": run(lambda h, x: np.tanh(p["W_xh"][:, x] + p["W_hh"] @ h)),
        "no_tanh": run(lambda h, x: p["W_xh"][:, x] + p["W_hh"] @ h + p["b_h"]),
        "early": run(good, case.ids[:-1]),
        "reversed": run(good, case.ids[::-1]),
        "sigmoid": run(lambda h, x: 1 / (1 + np.exp(-(p["W_xh"][:, x] + p["W_hh"] @ h + p["b_h"])))),
    }


SLIPS = {
    "no_recurrence": ("check the W_hh term: your h_T depends on the last word only; each step must also feed "
                      "h<sub>t−1</sub> back through W<sub>hh</sub>.", "W_hh"),
    "transposed": ("check the W_hh term: it is W<sub>hh</sub> h<sub>t−1</sub> (<code>W_hh @ h</code>), not "
                   "<code>W_hh.T @ h</code>.", "W_hh"),
    "no_bias": ("check the bias: a<sub>t</sub> = W<sub>xh</sub> x<sub>t</sub> + W<sub>hh</sub> h<sub>t−1</sub> + "
                "b<sub>h</sub>.", "b_h"),
    "no_tanh": ("apply the activation: h<sub>t</sub> = tanh(a<sub>t</sub>), at every step.", "tanh"),
    "early": ("you stopped one word early: h<sub>T</sub> is the state after the last word.", "T"),
    "reversed": ("you read the words from last to first: h<sub>1</sub> reads x<sub>1</sub>, the first word.", "order"),
    "sigmoid": ("the chapter's cell uses tanh, not the sigmoid.", "tanh"),
}


def _state_value(out: object, case: StateCase) -> np.ndarray:
    H, V = case.params["layer0.fwd.W_hh"].shape[0], case.params["layer0.fwd.W_xh"].shape[1]
    if V != H and not isinstance(out, str) and np.shape(out) == (V,):
        raise NotYet(f"your h_T has V = {V} numbers, one per word: with a one-hot x<sub>t</sub>, W<sub>xh</sub> "
                     f"x<sub>t</sub> is the column <code>W_xh[:, x_t]</code> (p = {H} numbers), not a row.", "W_xh")
    return as_array(out, (H,), "h_T")


def _judge_states(values: list, cases: list) -> str:
    for h, case in zip(values, cases):
        ref = _final_state(case)
        if np.allclose(h, ref, rtol=0, atol=case.tol):
            continue
        for name, slip in _slips(case).items():
            if np.allclose(h, slip, rtol=0, atol=case.tol):
                text, term = SLIPS[name]
                raise NotYet(text, term)
        off = [str(i + 1) for i in np.flatnonzero(~np.isclose(h, ref, rtol=0, atol=case.tol))]
        where = (f"entr{'y' if len(off) == 1 else 'ies'} {', '.join(off)} of your h<sub>T</sub> "
                 f"{'is' if len(off) == 1 else 'are'} not right" if case.tol > 1e-6 else  # typed: no size given away
                 f"your h<sub>T</sub> differs from the network's by up to {np.max(np.abs(h - ref)):.2g}")
        raise NotYet(f"on {case.label} {where}: start from h<sub>0</sub> = 0 and apply h<sub>t</sub> = "
                     "tanh(W<sub>xh</sub> x<sub>t</sub> + W<sub>hh</sub> h<sub>t−1</sub> + b<sub>h</sub>) once per "
                     "word, in order.")
    if len(cases) == 1:
        h = _final_state(cases[0])
        return (f"h<sub>2</sub> = ({h[0]:.3f}, {h[1]:.3f}): h<sub>1</sub> = tanh(W<sub>xh</sub>[:, 1] + b<sub>h</sub>) "
                "first, then h<sub>1</sub> enters the second step through W<sub>hh</sub>.")
    distance = float(np.linalg.norm(values[0] - values[1]))
    return (f"your h<sub>T</sub> matches the network's, and it differs between the two orders (distance "
            f"{distance:.2f}): the recurrence sees the order.")


class _StateExercise(_InOrder):
    def annotate(self, exc: NotYet, case: StateCase) -> NotYet:
        if exc.wrong == "shape" or "IndexError" in exc.text:
            return NotYet(f"{exc.text}. With a one-hot x<sub>t</sub>, W<sub>xh</sub> x<sub>t</sub> is the column of "
                          "word x<sub>t</sub>, <code>W_xh[:, x_t]</code>: p numbers.", "W_xh")
        return exc


def _reference_state(ids, params):
    h = np.zeros(params["W_hh"].shape[0])  # h_0 = 0
    for x in ids:
        h = np.tanh(params["W_xh"][:, x] + params["W_hh"] @ h + params["b_h"])  # W_xh x_t: the column of word x_t
    return h


def _matrix(m: np.ndarray) -> str:
    return "[" + ", ".join("[" + ", ".join(f"{v:g}" for v in row) + "]" for row in m) + "]"


final_state = _StateExercise(
    "01.final-state", "The final state of the RNN",
    "Write <code>my_final_state(ids, params)</code>: the RNN's state h<sub>T</sub> after reading the word ids "
    "<code>ids</code> = x<sub>1</sub> … x<sub>T</sub>, from h<sub>0</sub> = 0, with h<sub>t</sub> = "
    "tanh(W<sub>xh</sub> x<sub>t</sub> + W<sub>hh</sub> h<sub>t−1</sub> + b<sub>h</sub>). <code>params</code> holds "
    "<code>W_xh</code> (p × V), <code>W_hh</code> (p × p) and <code>b_h</code> (p,). With a one-hot x<sub>t</sub>, "
    "W<sub>xh</sub> x<sub>t</sub> is the column of word x<sub>t</sub>: <code>W_xh[:, x_t]</code>.",
    Vector(("h<sub>2</sub>[1]", "h<sub>2</sub>[2]")),
    question_web="An RNN with p = 2 hidden units over V = 3 words reads the word ids x<sub>1</sub> = 1, x<sub>2</sub> "
                 "= 2, from h<sub>0</sub> = 0, with h<sub>t</sub> = tanh(W<sub>xh</sub> x<sub>t</sub> + W<sub>hh</sub> "
                 f"h<sub>t−1</sub> + b<sub>h</sub>), where W<sub>xh</sub> = {_matrix(WEB_W_XH)} (column j for word j = "
                 f"0, 1, 2), W<sub>hh</sub> = {_matrix(WEB_W_HH)} and b<sub>h</sub> = ({WEB_B_H[0]:g}, {WEB_B_H[1]:g}). "
                 "What is h<sub>2</sub>? (3 decimals.)",
    cases=STATE_CASES, web_case=STATE_CASES[-1], args=lambda case: (case.ids.copy(), case.cell()),
    value=_state_value, judge_values=_judge_states, signature="my_final_state(ids, params)",
    code="def my_final_state(ids, params):\n    ...   # return h_T: from h_0 = 0, one step per word id\n\n"
         "ex1.final_state.check(my_final_state)",
    hint="Two steps. h<sub>1</sub> = tanh(W<sub>xh</sub>[:, x<sub>1</sub>] + b<sub>h</sub>) since h<sub>0</sub> = 0; "
         "then h<sub>2</sub> = tanh(W<sub>xh</sub>[:, x<sub>2</sub>] + W<sub>hh</sub> h<sub>1</sub> + b<sub>h</sub>). "
         "In code: a loop over <code>ids</code> that replaces <code>h</code> at each step.",
    solution="h<sub>1</sub> = tanh((−1, 0.6) + (0.1, −0.2)) = tanh(−0.9, 0.4) ≈ (−0.716, 0.380); h<sub>2</sub> = "
             "tanh((0.8, −0.4) + W<sub>hh</sub> h<sub>1</sub> + (0.1, −0.2)) ≈ (0.269, −0.811). In code:<br>"
             "<code>def my_final_state(ids, params):</code><br>"
             "<code>    h = np.zeros(params[\"W_hh\"].shape[0])</code><br><code>    for x in ids:</code><br>"
             "<code>        h = np.tanh(params[\"W_xh\"][:, x] + params[\"W_hh\"] @ h + params[\"b_h\"])</code><br>"
             "<code>    return h</code>",
    reference=_reference_state,
)


# =========================================================================== 3. why no bag of words reads order
WHY_OPTIONS = ("same counts", "too few weights", "too little training", "unknown words")


def _judge_why(answer: object) -> str:
    choice = as_choice(answer, WHY_OPTIONS, "my_answer")
    if choice == "same counts":
        return ("a sentence and its reordering have the same count vector c, and a bag-of-words model reads nothing "
                "but c: whatever its weights and size, it gives both the same probabilities. Its held-out accuracy "
                "on mirror pairs is therefore exactly 50%, while the RNN, which reads the words in order, can reach "
                "100%.")
    if choice == "too few weights":
        raise NotYet("the MLP in the training app (16 hidden units) stays at 50% just as logistic regression does, "
                     "and more weights would not help either: compare what the model receives as input for the two "
                     "sentences.", "weights")
    if choice == "too little training":
        raise NotYet("the bag of words' curve in panel 1 stays at 50% however many steps it trains: no training can "
                     "fix it. Compare what the model receives as input for the two sentences.", "training")
    raise NotYet("both sentences use only words of the vocabulary (the app refuses others), and the same ones: "
                 "compare what the model receives as input for the two sentences.", "vocabulary")


why_bag_fails = Exercise(
    "01.why-bag-fails", "Why no bag of words reads order",
    "In the training app, the RNN can classify <i>the dog bit the man</i> as <i>animal acts on person</i> and "
    "<i>the man bit the dog</i> as <i>person acts on animal</i>. Why can no bag-of-words model, whatever its weights, "
    "do the same? <b>same counts</b>: the two sentences give it the same input; <b>too few weights</b>: it is too "
    "small to learn the order; <b>too little training</b>: it has not trained long enough; <b>unknown words</b>: it "
    "does not know some of the words. (To see it, type a sentence in the probe box and shuffle it.)",
    Choice(WHY_OPTIONS), _judge_why,
    code='my_answer = ...   # "same counts", "too few weights", "too little training" or "unknown words"\n'
         "ex1.why_bag_fails.check(my_answer)",
    hint="Write both sentences as bags of words, c<sub>v</sub> = how often word v occurs. What does a bag-of-words "
         "model receive for each?",
    solution="Same counts. Both sentences have c<sub>the</sub> = 2 and c<sub>dog</sub> = c<sub>bit</sub> = "
             "c<sub>man</sub> = 1: the same vector c, so every bag-of-words model, logistic regression or MLP of any "
             "size, trained for any time, gives both the same answer. It is right on exactly one sentence of each "
             "mirror pair: 50%.",
    reference="same counts",
)

EXERCISES = (bag_of_words, final_state, why_bag_fails)
