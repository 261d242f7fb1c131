"""Lesson 1 apps, driven without a browser: set a control, read back what is drawn.

The views are SVG drawn by rnnviz (rnnviz.viz.order); ``svg.marks`` / ``svg.matrix`` read the values of
their marks back, which are compared with the core's results (bag of words, the RNN's states, the
classifiers' probabilities).
"""

import re

import numpy as np
import pytest

from rnnviz.data import word_order
from rnnviz.lessonmath.order import accuracy
from rnnviz.viz import svg
from rnnviz.viz.order import compare_html, probe_html, slots_html, training_html
from rnnviz.widgets.order import (
    EXAMPLES,
    MAX_CHARS,
    MAX_WORDS,
    CompareApp,
    TrainProbeApp,
    final_states,
    lesson_vocabulary,
    parse_sentence,
    reference_bag_of_words,
)


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
