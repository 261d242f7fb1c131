"""Lesson 1 (slug ``order``): its math against the core, its exercises' usual wrong answers, and the slips a class found.

Its apps' drawn values are read back at the end of this file; above them: rnnviz.lessonmath.order against
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
from rnnviz.lessonmath.order import accuracy
from rnnviz.viz.order import slots_html
from rnnviz.widgets.order import (
    EXAMPLES,
    MAX_CHARS,
    MAX_WORDS,
    final_states,
    lesson_vocabulary,
    parse_sentence,
    reference_bag_of_words,
)

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


# =========================================================================== the apps and their views
def _group(view, name):
    return next(el for el in svg.parse_view(view).iter() if el.get("data-name") == name)


def _xs(view, name):
    """The ``data-x`` of the marks of a group (where each point sits on the x axis)."""
    return np.array([float(el.get("data-x")) for el in _group(view, name).iter() if el.get("data-v") is not None])


def _tips(view, name):
    """The hover texts of the marks of a group, in drawing order."""
    return [el.find("title").text for el in _group(view, name).iter() if el.get("data-v") is not None]


def _labels(view, chart):
    """The category labels written under a chart (the words of the bag-of-words axis, of an unrolled map)."""
    return [el.text for el in _group(view, chart).iter("text") if el.get("class") == "rnnviz-word"]


# =========================================================================== two sentences
def test_the_drawn_bags_and_states_are_the_cores():
    app = CompareApp("the dog bit the man", "the man bit the dog")
    view = app.compare_view.value
    assert list(app.figures()) == [] and app.view_count() == 2  # no plotly: the slots view and this one
    words = ["the", "dog", "bit", "man"]
    assert _labels(view, "counts")[:4] == words
    ids = [app.vocab.id_of(w) for w in words]
    for name, text in (("counts_a", "the dog bit the man"), ("counts_b", "the man bit the dog")):
        assert np.array_equal(svg.marks(view, name), reference_bag_of_words(text.split(), app.vocab)[ids])
    assert svg.marks(view, "counts_a").tolist() == [2, 1, 1, 1]
    assert "'the' occurs 2 times" in _tips(view, "counts_a")[0]
    states_a = final_states(app.net, app.params, "the dog bit the man".split(), app.vocab)  # (T, H)
    states_b = final_states(app.net, app.params, "the man bit the dog".split(), app.vocab)
    assert np.allclose(svg.marks(view, "h_T_a"), states_a[-1]) and np.allclose(svg.marks(view, "h_T_b"), states_b[-1])
    assert np.allclose(svg.matrix(view, "states_a"), states_a.T) and np.allclose(svg.matrix(view, "states_b"), states_b.T)
    assert np.linalg.norm(svg.marks(view, "h_T_a") - svg.marks(view, "h_T_b")) > 0.1  # order: other states
    assert np.allclose(svg.matrix(view, "states_a")[:, 0], svg.matrix(view, "states_b")[:, 0])  # both start with 'the'
    assert "<b>identical</b>" in view and app.same_bag and "Same bag of words" in app.summary.value
    assert f"= {app.state_distance:.2f}" in view
    assert "after 'dog' (t = 2): unit 3 = " in " ".join(_tips(view, "states_a"))


def test_typing_a_sentence_redraws_the_view():
    app = CompareApp("the dog bit the man", "the man bit the dog")
    h_a = svg.marks(app.compare_view.value, "h_T_a")
    app.text_b.value = "the dog bit the man"  # the same sentence: the same state
    view = app.compare_view.value
    assert np.allclose(svg.marks(view, "h_T_b"), h_a) and app.state_distance == 0
    app.text_b.value = "the dog bit the woman"  # other words: the bags differ, a new word on the axis
    view = app.compare_view.value
    assert not app.same_bag and "the count vectors differ" in view and "<b>identical</b>" not in view
    assert _labels(view, "counts")[:5] == ["the", "dog", "bit", "man", "woman"]
    assert svg.marks(view, "counts_a").tolist() == [2, 1, 1, 1, 0] and svg.marks(view, "counts_b").tolist() == [2, 1, 1, 0, 1]


def _slots(app):
    """The slots view as a student reads it: per sentence row, the kind and text of each box."""
    rows = re.findall(r"<tr><th class=\"rnnviz-row\">(.*?)</tr>", app.slots_view.value)
    return [re.findall(r'<td class="rnnviz-slot rnnviz-slot-(\w+)" data-v="\d" title="[^"]*"><span>(.*?)</span></td>',
                       row) for row in rows]


def _kinds(row):
    return [kind for kind, _ in row]


def test_examples_and_slots_show_the_length_problem():
    app = CompareApp(slots=6)
    app.example.value = "different lengths"
    assert (app.text_a.value, app.text_b.value) == EXAMPLES["different lengths"]
    a, b = _slots(app)  # A (5 words), B (9 words)
    assert _kinds(a) == ["filled"] * 5 + ["empty"]  # one empty slot
    assert _kinds(b) == ["filled"] * 6 + ["lost"] * 3  # three words without a slot
    assert [text for _, text in b[6:]] == ["the", "old", "man"] and a[-1][1] == "empty"
    assert app.slots_view.value.count('class="rnnviz-slot-end"') == 1  # one end of the input layer
    assert re.findall(r'data-v="(\d)"', app.slots_view.value) == ["1"] * 5 + ["0"] + ["1"] * 6 + ["2"] * 3
    assert 'class="rnnviz-slots rnnviz-view"' in app.slots_view.value  # a view the browser tests time
    assert "6 input slots" in app.slots_view.value and "3 lost" in app.slots_view.value
    assert "the old man" in app.summary.value and "5 and 9 time-stamps" in app.summary.value
    view = app.compare_view.value
    assert svg.matrix(view, "states_b").shape == (8, 9) and _labels(view, "states_b")[-1] == "man"
    assert svg.matrix(view, "states_a").shape == (8, 5)  # the RNN just runs fewer steps on A
    # one time axis: both maps are as wide as the longer sentence, with columns of the same width
    assert _group(view, "states_a").get("width") == _group(view, "states_b").get("width")
    assert "over A: 5 time-stamps" in view and "over B: 9 time-stamps" in view
    app.slots.value = 10  # now both fit, with empty slots
    a, b = _slots(app)
    assert _kinds(a) == ["filled"] * 5 + ["empty"] * 5 and _kinds(b) == ["filled"] * 9 + ["empty"]
    assert "10 input slots" in app.slots_view.value and "lost" not in app.summary.value
    app.slots.value = 2  # both too long
    assert [len(r) for r in _slots(app)] == [5, 9] and _kinds(_slots(app)[1]).count("lost") == 7
    app.text_a.value = "the man bit the dog"  # typing takes the dropdown off the example
    assert app.example.value == "(your own sentences)"


def test_moving_the_slots_changes_only_the_slots_view():
    """A slider move sends the slots view and the summary, never the bigger view of the states."""
    app = CompareApp(*EXAMPLES["different lengths"], slots=6)
    sent = []
    app.compare_view.observe(lambda change: sent.append(change["new"]), names="value")
    view, summary = app.slots_view.value, app.summary.value
    for slots in (7, 12, 3, 6):
        app.slots.value = slots
        assert app.message.kind == ""
    app.slots.value = 9
    assert sent == []
    assert app.slots_view.value != view and app.summary.value != summary
    assert _kinds(_slots(app)[0]).count("empty") == 4 and _kinds(_slots(app)[1]).count("lost") == 0
    app.text_a.value = "the man bit the dog"  # text changes still redraw the states
    assert len(sent) == 1 and svg.matrix(sent[0], "states_a").shape == (8, 5)


def test_words_under_narrow_columns_turn_so_they_do_not_overlap():
    long_a = "the big angry dog was bitten by the old sleepy man " * 2  # 22 words
    app = CompareApp(long_a, "the dog bit the man")
    view = app.compare_view.value
    turns = lambda chart: {el.get("transform", "level").split(" ")[0] for el in _group(view, chart).iter("text")
                           if el.get("class") == "rnnviz-word"}  # noqa: E731
    assert turns("states_a") == turns("states_b") == {"rotate(-90"}  # 16 px columns (one time axis): upright
    assert turns("counts") == {"rotate(-45"}  # 12 different words
    assert _labels(view, "states_a") == long_a.split()
    # the colour bar sits beside the map that fills its panel, here A's
    assert view.index('data-name="colourbar"') < view.index('data-name="states_b"')


def test_the_slots_view_escapes_the_words_and_scrolls_instead_of_overflowing():
    hostile = ["<script>alert(1)</script>", '"onmouseover="x', "it's"]
    page = slots_html(hostile, ["the"] * 30, 12)
    assert "<script>" not in page and "onmouseover=\"" not in page and "&lt;script&gt;" in page
    assert "it&#x27;s" in page
    assert 'class="rnnviz-slots-scroll"' in page and "overflow-x:auto" in page
    assert page.count("rnnviz-slot-lost") == 18 + 1 and page.count("rnnviz-slot-empty") == 9 + 1  # + CSS rules


def test_the_views_escape_every_word_they_draw():
    """The views are built for words of the vocabulary, but whatever reaches them is text, never markup."""
    hostile = ["<script>alert(1)</script>", '"><img src=x onerror=alert(1)>', "it's"]
    H = 3
    view = compare_html(hostile, hostile[:2], hostile, [1, 1, 1], [1, 1, 0], np.zeros((3, H)), np.ones((2, H)) / 2)
    probe = probe_html(["<b>x</b>", "<i>y</i>"], [0.3, 0.7], [0.6, 0.4], hostile, [0.7, 0.7, 0.7], [0.4, 0.2, 0.9])
    for page in (view, probe):
        svg.parse_view(page)  # well formed: nothing broke out of its element
        assert "<script>" not in page and "<img" not in page and "&lt;script&gt;" in page
    assert _labels(view, "counts")[:3] == hostile and _labels(view, "states_a") == hostile  # shown as text
    assert "“it's”" in _tips(probe, "history_rnn")[2] and "P(<i>y</i>) = 0.900" in _tips(probe, "history_rnn")[2]
    assert "<i>y</i>" not in probe and "<b>x</b>" not in probe


@pytest.mark.parametrize("text, words", [
    ("the dog bit the astronaut", ["'astronaut'"]),
    ("the zebra bit the unicorn", ["'zebra'", "'unicorn'"]),
    ("the dog bit the <unk>", ["'unk'"]),
])
def test_unknown_words_are_named_and_the_app_recovers(text, words):
    app = CompareApp()
    good = app.compare_view.value
    app.text_a.value = text
    assert app.message.kind == "error" and "sentence A" in app.message.text
    assert all(w in app.message.text for w in words) and "vocabulary" in app.message.text
    assert app.compare_view.value == good  # the view was left as it was
    app.text_a.value = "the hungry dog bit the man."  # punctuation is fine
    assert app.message.kind == "" and app.words[0] == ["the", "hungry", "dog", "bit", "the", "man"]
    assert svg.matrix(app.compare_view.value, "states_a").shape == (8, 6)
    assert not np.allclose(svg.marks(app.compare_view.value, "h_T_a"), svg.marks(good, "h_T_a"))


def test_empty_and_huge_sentences_are_refused_readably():
    app = CompareApp()
    app.text_b.value = "   "
    assert app.message.kind == "error" and "sentence B" in app.message.text and "empty" in app.message.text
    app.text_b.value = "the dog " * 1000
    assert app.message.kind == "error" and f"at most {MAX_CHARS}" in app.message.text
    app.text_b.value = " ".join(["the"] * (MAX_WORDS + 1))
    assert app.message.kind == "error" and f"at most {MAX_WORDS}" in app.message.text
    app.text_b.value = "the man bit the dog"
    assert app.message.kind == "" and app.same_bag


def test_parse_sentence_rejects_non_text():
    with pytest.raises(TypeError, match="sentence"):
        parse_sentence(["the", "dog"], lesson_vocabulary())


# =========================================================================== training and probing
@pytest.fixture(scope="module")
def trained():
    app = TrainProbeApp(train_size=400, steps=160, hidden_size=16, lr=1e-2, seed=0)
    sent = []
    app.training_view.observe(lambda change: sent.append(change["new"]), names="value")
    run = app.train()
    return app, run, sent


def test_before_training_the_view_shows_both_models_guessing():
    app = TrainProbeApp(train_size=200, steps=40)
    view = app.training_view.value
    assert list(app.figures()) == [] and app.view_count() == 2  # no plotly: the training view and the probe
    assert 'data-empty' not in view  # not empty: the points at step 0
    assert _xs(view, "acc_rnn").tolist() == [0] and svg.marks(view, "acc_rnn")[0] == accuracy(app.rnn, app.test)
    assert svg.marks(view, "acc_bow")[0] == accuracy(app.bow, app.test) and svg.marks(view, "chance").tolist() == [0.5]
    assert "untrained" in view and "training step" in view and "held-out accuracy" in view


def test_training_rnn_learns_order_bag_of_words_stays_at_chance(trained):
    app, run, _ = trained
    assert run.rnn >= 0.9, run.curves
    assert run.bow <= 0.65
    view = app.training_view.value
    acc_bow, acc_rnn = svg.marks(view, "acc_bow"), svg.marks(view, "acc_rnn")
    assert np.array_equal(acc_rnn, run.curves["rnn"]) and np.array_equal(acc_bow, run.curves["bow"])
    assert acc_rnn[-1] == run.rnn == accuracy(app.rnn, app.test) and acc_bow[-1] == run.bow
    assert acc_rnn[0] < 0.75 and acc_rnn.max() >= 0.9  # it learned, during the run
    assert np.all(acc_bow == 0.5)  # held-out mirror pairs: exactly one of each pair right
    assert _xs(view, "acc_rnn")[-1] == 160 and np.array_equal(_xs(view, "acc_bow"), run.curves["step"])
    assert "RNN, step 160: held-out accuracy" in _tips(view, "acc_rnn")[-1] and "training …" not in view
    assert app.progress.value == app.progress.max == 2 * 160
    assert "RNN" in app.status.value and not app.train_button.disabled


def test_the_training_view_is_drawn_live_a_bounded_number_of_times(trained):
    app, run, sent = trained
    assert 5 <= len(sent) <= 42 and app.live_draws == len(run.curves["step"]) - 1 <= 40
    counts = [len(svg.marks(v, "acc_rnn")) for v in sent]
    assert counts[0] == 1 and counts == sorted(counts) and counts[-1] == len(run.curves["step"])  # it grew
    assert "training … step" in sent[len(sent) // 2] and "training …" not in sent[-1]


def test_progress_messages_stay_bounded_for_long_runs():
    app = TrainProbeApp(train_size=200, steps=1000, hidden_size=4)
    values = []
    app.progress.observe(lambda change: values.append(change["new"]), names="value")
    app.train()
    assert app.progress.value == app.progress.max == 2000 and len(values) <= 110
    assert app.live_draws <= 40


def test_training_is_reproducible_and_the_button_trains():
    settings = dict(train_size=200, steps=40, hidden_size=4, seed=3)
    a, b = TrainProbeApp(**settings), TrainProbeApp(**settings)
    a.train()
    b.train_button.click()
    assert b.message.kind == "" and b.progress.value == b.progress.max
    assert np.array_equal(svg.marks(a.training_view.value, "acc_rnn"), svg.marks(b.training_view.value, "acc_rnn"))
    assert all(np.array_equal(a.rnn.params[k], b.rnn.params[k]) for k in a.rnn.params)


def test_shuffling_never_moves_the_bag_of_words_but_moves_the_rnn(trained):
    app, _, _ = trained
    app.CLICK_GUARD = 0  # clicks one after another, not queued while a handler runs
    app.restore()
    original = app.probe_text.value
    p_bow, p_rnn = app.p_bow.copy(), app.p_rnn.copy()
    ids = app.vocab.encode(original.split())[None]
    assert np.allclose(svg.marks(app.probe_view.value, "probs_rnn"), app.rnn.predict_proba(ids)[0])
    assert np.allclose(svg.marks(app.probe_view.value, "probs_bow"), app.bow.predict_proba(ids)[0])
    rnn_seen = [p_rnn]
    for _ in range(6):
        app.shuffle_button.click()
        assert app.message.kind == ""
        assert sorted(app.probe_text.value.split()) == sorted(original.split())
        assert np.array_equal(app.p_bow, p_bow)
        view = app.probe_view.value
        assert np.array_equal(svg.marks(view, "probs_bow"), p_bow)
        assert np.array_equal(svg.marks(view, "probs_rnn"), app.p_rnn)
        rnn_seen.append(app.p_rnn.copy())
    assert np.ptp([p[1] for p in rnn_seen]) > 0.3  # the RNN's prediction moved
    view = app.probe_view.value
    history_bow, history_rnn = svg.marks(view, "history_bow"), svg.marks(view, "history_rnn")
    assert len(history_bow) == 7 and np.ptp(history_bow) == 0 and np.ptp(history_rnn) > 0.3
    assert np.allclose(history_rnn, [p[1] for p in rnn_seen]) and _xs(view, "history_rnn").tolist() == list(range(7))
    assert f"shuffle 6: “{app.probe_text.value}”" in _tips(view, "history_rnn")[-1]  # hover: which sentence
    app.restore_button.click()
    assert app.probe_text.value == original and np.allclose(app.p_rnn, p_rnn)
    app.next_button.click()  # a new sentence starts a new history
    assert app.probe_text.value != original and len(svg.marks(app.probe_view.value, "history_bow")) == 1
    app.select_sentence(0)
    assert app.probe_text.value == app.test.sentences[0] and len(svg.marks(app.probe_view.value, "history_rnn")) == 1


def test_probe_bad_input_then_recovery(trained):
    app, _, _ = trained
    app.probe_text.value = "the dog bit the man"
    good = app.probe_view.value
    app.probe_text.value = "the dog bit the dragon"
    assert app.message.kind == "error" and "'dragon'" in app.message.text
    assert app.probe_view.value == good  # left as it was
    app.shuffle_button.click()  # shuffling a bad sentence is a message too
    assert app.message.kind == "error"
    app.probe_text.value = "the man bit the dog"
    assert app.message.kind == "" and app.p_rnn.shape == (2,)
    assert "your own sentence" in app.probe_info.value
    assert np.array_equal(svg.marks(app.probe_view.value, "probs_rnn"), app.p_rnn)
    assert not np.allclose(svg.marks(app.probe_view.value, "probs_rnn"), svg.marks(good, "probs_rnn"))


def test_training_view_checks_its_input():
    with pytest.raises(ValueError, match="steps"):
        training_html([0, 10], [0.5], [0.5, 0.6])
    live = training_html([0, 10], [0.5, 0.5], [0.5, 0.7], total=100, running=True)
    assert "training … step 10 of 100" in live and _xs(live, "acc_rnn").tolist() == [0, 10]


def test_out_of_range_settings_from_the_websocket_are_refused():
    app = TrainProbeApp(train_size=200, steps=20, pace=0)
    app.CLICK_GUARD = 0  # clicks one after another, not queued while a handler runs
    app.bow_model.set_trait("value", "logistic")
    app.steps.set_trait("value", 20)
    app.lr._trait_values["value"] = 10.0  # a value the slider would never hold
    app.train_button.click()
    assert app.message.kind == "error" and "learning rate" in app.message.text
    assert not app.train_button.disabled
    app.lr.value = 1e-2
    assert "press <b>Train both</b>" in app.status.value  # a setting changed: nothing retrains by itself
    app.train_button.click()
    assert app.message.kind == "" and app.run.steps == 20
    assert type(app.bow.model).__name__ == "BagOfWordsLogistic" and app.run.bow == 0.5


# =========================================================================== the task
def good_bow(words, vocab):
    c = np.zeros(len(vocab))
    for w in words:
        c[vocab.id_of(w)] += 1
    return c


def test_the_task_really_needs_order():
    """The premise of the lesson: mirror pairs have equal bags and different classes."""
    task = word_order(20, rng=np.random.default_rng(0))
    vocab = task.vocab
    bags = {}
    for s, y in zip(task.sentences, task.y):
        key = tuple(good_bow(s.split(), vocab))
        bags.setdefault(key, set()).add(int(y))
    assert all(labels == {0, 1} for labels in bags.values())
