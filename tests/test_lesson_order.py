"""Lesson 1 (slug ``order``): its math against the core, its exercises' usual wrong answers, and the slips a class found.

The apps' drawn values are read back in tests/test_widgets_order.py; here: rnnviz.lessonmath.order against
rnnviz.core, rnnviz.exercises.order (each usual mistake names its term, no "not yet" gives the answer away), and
one test per slip: a bad sentence's message under its box with the views marked stale, no stray printed line in
the notebook, models untrained at load and trained visibly by the button, no "1e+03" on an axis.
"""

import json
import re
import time
from pathlib import Path

import ipywidgets as W
import numpy as np
import pytest

from rnnviz.core.bow import bag_of_words as core_bag_of_words
from rnnviz.core.network import Network
from rnnviz.data import word_order
from rnnviz.exercises import order as ex1
from rnnviz.lessonmath import order as lm
from rnnviz.viz import svg
from rnnviz.viz.order import compare_html, probe_html, training_html
from rnnviz.widgets.order import CompareApp, TrainProbeApp

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOK = ROOT / "notebooks" / "01-bag-of-words-vs-rnn.ipynb"


@pytest.fixture
def lab(monkeypatch):
    monkeypatch.setenv("RNNVIZ_EXERCISES", "code")


@pytest.fixture
def web(monkeypatch):
    monkeypatch.setenv("RNNVIZ_EXERCISES", "web")


# =========================================================================== lesson math against the core
def test_the_bag_of_words_is_the_cores_count_vector():
    vocab = lm.lesson_vocabulary()
    V = len(vocab)
    for words in (["the", "dog", "bit", "the", "man"], ["the", "man", "bit", "the", "dog"], ["the", "astronaut"]):
        c = lm.bag_of_words(words, vocab)
        assert c.shape == (V,) and np.array_equal(c, core_bag_of_words(vocab.encode(words)[None], vocab_size=V)[0])
    assert lm.bag_of_words(["the", "dog", "bit", "the", "man"], vocab)[vocab.id_of("the")] == 2
    assert lm.bag_of_words(["the", "astronaut"], vocab)[0] == 1  # an unknown word counts as <unk>, id 0
    assert not lm.bag_of_words([], vocab).any() and lm.bag_of_words([], vocab).shape == (V,)
    assert lm.same_bag("the dog bit the man".split(), "the man bit the dog".split())
    assert not lm.same_bag("the dog bit the man".split(), "the dog bit the woman".split())


def test_hidden_states_are_the_recurrence_run_by_hand():
    vocab = lm.lesson_vocabulary()
    net = Network(len(vocab), 5, 2)
    params = net.init_params(np.random.default_rng(3))
    params["layer0.fwd.b_h"] = np.linspace(-0.3, 0.3, 5)
    words = "the hungry dog bit the man".split()
    states = lm.hidden_states(net, params, words, vocab)
    p = Network.sub(params, "layer0.fwd")
    h, by_hand = np.zeros(5), []
    for x in vocab.encode(words):
        h = np.tanh(p["W_xh"][:, x] + p["W_hh"] @ h + p["b_h"])  # h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h)
        by_hand.append(h)
    assert states.shape == (6, 5) and np.allclose(states, by_hand, atol=1e-12)


def test_compare_two_sentences():
    vocab = lm.lesson_vocabulary()
    net = Network(len(vocab), 8, 2)
    params = net.init_params(np.random.default_rng(0))
    cmp = lm.compare("the dog bit the man".split(), "the man bit the dog".split(), net, params, vocab)
    assert cmp.shown == ["the", "dog", "bit", "man"] and cmp.counts_a.tolist() == cmp.counts_b.tolist() == [2, 1, 1, 1]
    assert cmp.same_bag and cmp.states_a.shape == cmp.states_b.shape == (5, 8)
    assert np.allclose(cmp.states_a[0], cmp.states_b[0])  # both start with 'the'
    assert cmp.distance == pytest.approx(np.linalg.norm(cmp.states_a[-1] - cmp.states_b[-1])) and cmp.distance > 0.1
    other = lm.compare("the dog bit the man".split(), "the dog bit the woman".split(), net, params, vocab)
    assert not other.same_bag and other.shown[-1] == "woman" and other.counts_a.tolist() == [2, 1, 1, 1, 0]


def test_slots_of_a_fixed_input_network():
    grid = lm.slot_layout([5, 9], 6)
    assert grid.shape == (2, 9)
    assert grid[0, :6].tolist() == [lm.SLOT_FILLED] * 5 + [lm.SLOT_EMPTY] and np.isnan(grid[0, 6:]).all()
    assert grid[1].tolist() == [lm.SLOT_FILLED] * 6 + [lm.SLOT_DROPPED] * 3
    words = "the hungry dog was bitten by the old man".split()
    assert lm.slot_fit(words, 6) == lm.SlotFit(9, 6, ("the", "old", "man"), 0)
    assert lm.slot_fit(words[:5], 6) == lm.SlotFit(5, 6, (), 1)


def test_settings_are_checked_against_the_lessons_ranges():
    good = dict(train_size=601, steps=300, hidden=16, lr=3e-3, bow_model="MLP", seed=0)
    s = lm.check_settings(**good)
    assert s.train_size == 600 and s.steps == 300 and s.bow_model == "MLP"  # mirror pairs: an even number
    for name, bad, words in (("lr", 10.0, "learning rate"), ("lr", float("nan"), "learning rate"),
                             ("steps", 10 ** 7, "training steps"), ("hidden", True, "hidden units"),
                             ("train_size", 50, "training sentences"), ("seed", -1, "seed"),
                             ("bow_model", "svm", "bag of words"), ("steps", 20.5, "whole number")):
        with pytest.raises(ValueError, match=words):
            lm.check_settings(**{**good, name: bad})


def test_training_both_mirror_pairs_keep_the_bag_of_words_at_chance():
    settings = lm.check_settings(train_size=400, steps=160, hidden=16, lr=1e-2, bow_model="logistic", seed=0)
    test = word_order(200, rng=np.random.default_rng(7))
    models = lm.make_models(len(test.vocab), 2, settings)
    fresh = lm.accuracy(models.rnn, test)
    steps = []
    points = list(lm.train_both(models, settings, test, evaluations=10, on_step=lambda: steps.append(1)))
    assert points[0] == (0, 0.5, fresh) and len(points) == 11 and points[-1].step == 160
    assert [p.step for p in points] == sorted(p.step for p in points)
    assert all(p.bow == 0.5 for p in points)  # each held-out pair has the same counts and both classes
    assert points[-1].rnn >= 0.9 and points[-1].rnn == lm.accuracy(models.rnn, test)
    assert len(steps) == 2 * 160  # one call per optimizer step of each model
    again = lm.make_models(len(test.vocab), 2, settings)
    assert list(lm.train_both(again, settings, test, evaluations=10)) == points  # seeded: the same run


def test_a_shuffle_changes_the_order_never_the_words():
    rng = np.random.default_rng(0)
    words = "the the dog".split()
    for _ in range(20):
        out = lm.shuffled(words, rng)
        assert out != words and sorted(out) == sorted(words)
    with pytest.raises(ValueError, match="two different words"):
        lm.shuffled(["the", "the"], rng)


# =========================================================================== exercises
def bow_good(words, vocab):
    c = np.zeros(len(vocab))
    for w in words:
        c[vocab.id_of(w)] += 1
    return c


def bow_positions(words, vocab):
    c = np.zeros(len(vocab))
    for t, _ in enumerate(words):
        c[t] += 1
    return c


def bow_presence(words, vocab):
    return (bow_good(words, vocab) > 0).astype(float)


def bow_frequencies(words, vocab):
    c = bow_good(words, vocab)
    return c / max(c.sum(), 1)


def bow_strict(words, vocab):
    c = np.zeros(len(vocab))
    for w in words:
        c[vocab.tokens.index(w)] += 1  # raises on a word the vocabulary does not hold
    return c


def bow_skips_unknown(words, vocab):
    c = np.zeros(len(vocab))
    for w in words:
        if w in vocab:
            c[vocab.id_of(w)] += 1
    return c


def bow_weighted(words, vocab):
    c = np.zeros(len(vocab))
    for t, w in enumerate(words):
        c[vocab.id_of(w)] += t + 1
    return c


def bow_shifted(words, vocab):
    return np.roll(bow_good(words, vocab), 1)


@pytest.mark.parametrize("fn, term, words", [
    (bow_positions, "index", "positions, not words"),
    (lambda words, vocab: [vocab.id_of(w) for w in words], "index", "positions, not words"),
    (bow_presence, "count", "how often"),
    (bow_frequencies, "count", "divided by the sentence length"),
    (bow_strict, "<unk>", "<unk>"),
    (bow_skips_unknown, "<unk>", "skipped 'astronaut'"),
    (bow_weighted, "order", "must not depend on the order"),
    (bow_shifted, "index", "one place off"),
    (lambda words, vocab: np.zeros(3), "shape", "shape"),
])
def test_bag_of_words_in_code_names_the_mistake(fn, term, words, lab):
    fb = ex1.bag_of_words.check(fn)
    assert not fb.correct and fb.answered and fb.wrong == term, fb
    assert words in fb.text, fb.text
    assert ex1.bag_of_words.check(bow_good).correct


@pytest.mark.parametrize("typed, term", [
    (["1", "1", "1", "1"], "count"),        # which words occur, not how often
    (["0", "2", "1", "1"], "<unk>"),        # 'bit' skipped
    (["0.2", "0.4", "0.2", "0.2"], "count"),  # divided by the length
    (["2", "1", "1", "1"], "index"),        # one place off
    (["1", "2", "2", "1"], "c[dog]"),
])
def test_bag_of_words_typed_in_the_page_names_the_mistake(typed, term, web):
    fb = ex1.bag_of_words.judge(typed)
    assert not fb.correct and fb.wrong == term, fb
    assert ex1.bag_of_words.judge(["1", "2", "1", "1"]).correct
    assert ex1.bag_of_words.judge(["1", "2", "1", ""]).kind == "not yet"  # one box left empty: fill in every entry


def _state_fn(recur=True, bias=True, transpose=False, act=np.tanh, stop=None, reverse=False):
    def fn(ids, params):
        h = np.zeros(params["W_hh"].shape[0])
        for x in (ids[::-1] if reverse else ids)[:stop]:
            W = params["W_hh"].T if transpose else params["W_hh"]
            h = act(params["W_xh"][:, x] + (W @ h if recur else 0) + (params["b_h"] if bias else 0))
        return h
    return fn


@pytest.mark.parametrize("fn, term", [
    (_state_fn(recur=False), "W_hh"),
    (_state_fn(transpose=True), "W_hh"),
    (_state_fn(bias=False), "b_h"),
    (_state_fn(act=lambda a: a), "tanh"),
    (_state_fn(act=lambda a: 1 / (1 + np.exp(-a))), "tanh"),
    (_state_fn(stop=-1), "T"),
    (_state_fn(reverse=True), "order"),
    (lambda ids, params: params["W_xh"][ids[-1]], "W_xh"),  # a row, one number per word
    (lambda ids, params: np.zeros(3), "shape"),
])
def test_final_state_in_code_names_the_term(fn, term, lab):
    fb = ex1.final_state.check(fn)
    assert not fb.correct and fb.answered and fb.wrong == term, fb
    assert ex1.final_state.check(_state_fn()).correct


def _slip_value(name):
    return ex1._slips(ex1.STATE_CASES[-1])[name]


@pytest.mark.parametrize("slip, term", [("no_recurrence", "W_hh"), ("transposed", "W_hh"), ("no_bias", "b_h"),
                                        ("no_tanh", "tanh"), ("early", "T"), ("reversed", "order")])
def test_final_state_typed_in_the_page_names_the_term(slip, term, web):
    typed = [f"{v:.3f}" for v in _slip_value(slip)]
    fb = ex1.final_state.judge(typed)
    assert not fb.correct and fb.wrong == term, (typed, fb)


def test_final_state_typed_with_three_or_two_decimals_is_right(web):
    h = ex1.final_state.reference_value()
    assert ex1.final_state.judge([f"{v:.3f}" for v in h]).correct
    assert ex1.final_state.judge([f"{v:.2f}" for v in h]).correct
    assert not ex1.final_state.judge([f"{v + 0.05:.3f}" for v in h]).correct


@pytest.mark.parametrize("option, term", [("too few weights", "weights"), ("too little training", "training"),
                                          ("unknown words", "vocabulary")])
def test_why_a_bag_of_words_fails_names_the_wrong_reason(option, term, lab):
    fb = ex1.why_bag_fails.check(option)
    assert not fb.correct and fb.wrong == term
    assert ex1.why_bag_fails.check("same counts").correct


def _answers_given_away(e):
    """Texts a "not yet" must not contain: the web answer, written as a student would read it."""
    if e is ex1.bag_of_words:
        return ["1, 2, 1, 1", "(1, 2, 1, 1)", "c = ("]
    if e is ex1.final_state:
        h = ex1.final_state.reference_value()
        return [f"{v:.3f}" for v in h] + [f"{v:.2f}" for v in h] + [f"{abs(v):.2f}" for v in h]
    return ["same counts", "same count vector", "same input"]


def _wrong_answers(e):
    if e is ex1.bag_of_words:
        return [bow_positions, bow_presence, bow_frequencies, bow_strict, bow_skips_unknown, bow_weighted, bow_shifted,
                ["1", "1", "1", "1"], ["0", "2", "1", "1"], ["0.2", "0.4", "0.2", "0.2"], ["2", "1", "1", "1"],
                ["0", "0", "0", "0"], ["9", "9", "9", "9"]]
    if e is ex1.final_state:
        slips = [[f"{v:.3f}" for v in _slip_value(name)] for name in ex1.SLIPS]
        return slips + [["0", "0"], ["1", "1"], ["-1", "-1"], _state_fn(recur=False), _state_fn(bias=False),
                        lambda ids, params: np.zeros(params["W_hh"].shape[0])]
    return ["too few weights", "too little training", "unknown words"]


@pytest.mark.parametrize("e", ex1.EXERCISES, ids=lambda e: e.key)
def test_no_not_yet_gives_the_answer_away(e, lab):
    for answer in _wrong_answers(e):
        fb = e.judge(answer)
        assert not fb.correct, (answer, fb)
        for secret in _answers_given_away(e):
            assert secret not in fb.text, f"{e.key}: 'not yet' for {answer!r} says {secret!r}: {fb.text}"


def test_the_old_checkers_are_gone():
    import rnnviz.widgets.order as widgets

    assert not hasattr(widgets, "check_bag_of_words") and not hasattr(widgets, "check_final_state")
    assert [e.key for e in ex1.EXERCISES] == ["01.bag-of-words", "01.final-state", "01.why-bag-fails"]


# =========================================================================== slip: the message far from its box
def _parent(app, widget):
    return next(w for w in app.descendants() if widget in getattr(w, "children", ()))


def _row_of(app, control):
    row = control
    while not (isinstance(row, W.Box) and "rnnviz-control" in row._dom_classes):
        row = _parent(app, row)
    return row


@pytest.mark.parametrize("box", ["text_a", "text_b"])
def test_a_bad_sentence_shows_its_message_under_its_box_and_greys_the_views(box):
    app = CompareApp()
    views = app.view_widgets()
    assert len(views) == 2 and not app.stale
    good = app.compare_view.value
    getattr(app, box).value = "the dog bit the astronaut"
    assert app.message.kind == "error" and "'astronaut'" in app.message.text
    row = _row_of(app, getattr(app, box))
    holder = _parent(app, row)
    kids = list(holder.children)
    assert kids[kids.index(row) + 1] is app.message  # right under the sentence's row ...
    assert "rnnviz-controls" in holder._dom_classes  # ... inside the control bar, which stays in view
    assert app.stale and all("rnnviz-stale" in w._dom_classes for w in views)  # the old pair, marked stale
    assert "rnnviz-stale" in app.summary._dom_classes  # and the text that describes it
    assert app.compare_view.value == good and "man'. The views" in app.message.text  # sentences, not run together
    getattr(app, box).value = "the man bit the dog"
    assert app.message.kind == "" and not app.stale and not any("rnnviz-stale" in w._dom_classes for w in views)
    assert "rnnviz-stale" not in app.summary._dom_classes


def test_a_bad_probe_sentence_shows_its_message_under_the_probe_box():
    app = TrainProbeApp(train_size=200, steps=20, pace=0)
    app.probe_text.value = "the dog bit the dragon"
    row = _row_of(app, app.probe_text)
    kids = list(_parent(app, row).children)
    assert app.message.kind == "error" and kids[kids.index(row) + 1] is app.message
    assert app.stale and "rnnviz-stale" in app.probe_view._dom_classes and "rnnviz-stale" in app.probe_info._dom_classes
    app.probe_text.value = "the man bit the dog"
    assert app.message.kind == "" and not app.stale and "rnnviz-stale" not in app.probe_info._dom_classes


def test_the_main_controls_are_in_the_control_bar():
    compare = CompareApp()
    bar = next(w for w in compare.descendants() if "rnnviz-controls" in getattr(w, "_dom_classes", ()))
    inside = set(map(id, (w for w in bar.children for w in [w, *getattr(w, "children", ())])))
    assert {id(compare.text_a), id(compare.text_b), id(compare.slots), id(compare.example)} <= inside
    train = TrainProbeApp(pace=0)
    bar = next(w for w in train.descendants() if "rnnviz-controls" in getattr(w, "_dom_classes", ()))
    inside = set(map(id, (w for w in bar.children for w in [w, *getattr(w, "children", ())])))
    assert {id(train.train_button), id(train.progress), id(train.probe_text), id(train.shuffle_button)} <= inside


# =========================================================================== slip: a stray printed line
def test_the_notebook_prints_only_checked_labelled_lines_and_trains_nothing_at_load():
    nb = json.loads(NOTEBOOK.read_text())
    code = [("".join(c["source"]), c.get("metadata", {}).get("tags", [])) for c in nb["cells"]
            if c["cell_type"] == "code"]
    for source, tags in code:
        if "print(" in source:
            assert "nbval-check-output" in tags, f"an unchecked cell prints: {source[:80]!r}"
        assert ".train(" not in source and "train_button.click" not in source, "a cell trains the app at load"
        assert "check_bag_of_words" not in source and "check_final_state" not in source
    for cell in nb["cells"]:
        for out in cell.get("outputs", []):
            for line in "".join(out.get("text", "")).splitlines():
                assert not re.fullmatch(r"RNN \d+%, bag of words \d+%", line.strip()), line
    assert any("ex1.why_bag_fails.check(my_answer)" in s for s, _ in code)


# =========================================================================== slip: trained at load
def test_the_training_app_starts_untrained_at_chance_and_says_so():
    app = TrainProbeApp()
    assert app.run is None and not app.trained
    assert app.curves["step"] == [0] and app.curves["bow"] == [0.5] and abs(app.curves["rnn"][0] - 0.5) < 0.1
    assert "Untrained" in app.status.value and "chance" in app.status.value
    assert f"RNN {app.curves['rnn'][0]:.0%}" in app.status.value  # the number drawn at step 0
    assert "untrained" in app.training_view.value and "untrained: both guess" in app.probe_info.value
    assert svg.marks(app.training_view.value, "acc_rnn").tolist() == app.curves["rnn"]


def test_train_both_trains_visibly_within_a_few_seconds():
    app = TrainProbeApp()  # the default settings and the button's pace, as in class
    disabled, draws, progress = [], [], []
    app.train_button.observe(lambda c: disabled.append(c["new"]), names="disabled")
    app.training_view.observe(lambda c: draws.append((time.perf_counter(), c["new"])), names="value")
    app.progress.observe(lambda c: progress.append(c["new"]), names="value")
    start = time.perf_counter()
    app.train_button.click()
    seconds = time.perf_counter() - start
    assert app.message.kind == "" and disabled == [True, False]  # busy while it trains
    assert app.run is not None and app.run.rnn >= 0.9 and app.run.bow == 0.5
    assert "Trained 300 steps" in app.status.value and "RNN 100%" in app.status.value
    counts = [len(svg.marks(v, "acc_rnn")) for _, v in draws]
    assert len(draws) >= 20 and counts == sorted(counts) and counts[-1] == len(app.run.curves["step"])  # they grow
    assert "training … step" in draws[len(draws) // 2][1]
    spread = draws[-1][0] - draws[1][0]
    assert spread >= 0.9 * app.pace * (len(draws) - 2)  # drawn over time, not all at once
    assert progress == sorted(progress) and progress[-1] == 600 and len(progress) >= 20
    assert seconds < 10, f"Train both took {seconds:.1f} s"
    assert "(untrained" not in app.probe_info.value


# =========================================================================== slip: "1e+03" on an axis
def _texts(markup):
    """Every text an SVG of the view writes (tick labels, titles of axes, values)."""
    return ["".join(el.itertext()) for el in svg.parse_view(markup).iter() if el.tag.split("}")[-1] == "text"]


def test_no_axis_reads_in_e_notation():
    long_run = training_html([0, 500, 1000, 1500, 2000], [0.5] * 5, [0.5, 0.7, 0.9, 1.0, 1.0], total=2000)
    app = TrainProbeApp(steps=2000, pace=0)
    many = [f"s{k}" for k in range(40)]
    probe = probe_html(["a", "b"], [0.5, 0.5], [0.2, 0.8], many, np.full(40, 0.5), np.linspace(0, 1, 40))
    counts = compare_html(["the"] * 30, ["dog"], ["the", "dog"], [30, 0], [0, 1], np.zeros((30, 3)), np.zeros((1, 3)))
    for markup in (long_run, app.training_view.value, probe, counts):
        texts = _texts(markup)
        assert texts and not [t for t in texts if re.search(r"\de[+-]?\d", t)], [t for t in texts if "e+" in t]
    assert {"1000", "2000"} <= set(_texts(long_run))
