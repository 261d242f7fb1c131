"""Lesson 1 apps and exercise checkers, driven without a browser: set a control, check the figure."""

import re

import numpy as np
import pytest

from rnnviz.data import word_order
from rnnviz.widgets.order import (
    EXAMPLES,
    MAX_WORDS,
    CompareApp,
    TrainProbeApp,
    check_bag_of_words,
    check_final_state,
    lesson_vocabulary,
    parse_sentence,
)


def _y(trace):
    return np.array(trace.y, dtype=float)


# =========================================================================== two sentences
def test_reordering_keeps_the_bag_of_words_bars_and_changes_the_rnn_bars():
    app = CompareApp("the dog bit the man", "the man bit the dog")
    counts_a, counts_b = _y(app.fig.data[0]), _y(app.fig.data[1])
    assert list(app.fig.data[0].x) == ["the", "dog", "bit", "man"]
    assert counts_a.tolist() == [2, 1, 1, 1] and np.array_equal(counts_a, counts_b)
    h_a, h_b = _y(app.fig.data[2]), _y(app.fig.data[3])
    assert len(h_a) == 8 and np.linalg.norm(h_a - h_b) > 0.1
    assert app.same_bag and "identical" in app.fig.layout.annotations[0].text
    assert "Same bag of words" in app.summary.value
    # the bars show h_T: the last column of each unrolled heatmap
    assert np.allclose(np.array(app.fig.data[4].z, float)[:, -1], h_a)

    app.text_b.value = "the dog bit the man"  # the same sentence: the same state
    assert np.allclose(_y(app.fig.data[3]), h_a) and app.state_distance == 0

    app.text_b.value = "the dog bit the woman"  # other words: the bags differ
    assert not app.same_bag and not np.array_equal(_y(app.fig.data[0]), _y(app.fig.data[1]))
    assert "differ" in app.fig.layout.annotations[0].text


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
    assert np.array(app.fig.data[5].z).shape == (8, 9) and list(app.fig.layout.xaxis4.ticktext)[-1] == "man"
    assert np.array(app.fig.data[4].z).shape == (8, 5)  # the RNN just runs fewer steps on A
    assert list(app.fig.layout.xaxis3.range) == list(app.fig.layout.xaxis4.range) == [0.5, 9.5]  # one time axis
    app.slots.value = 10  # now both fit, with empty slots
    a, b = _slots(app)
    assert _kinds(a) == ["filled"] * 5 + ["empty"] * 5 and _kinds(b) == ["filled"] * 9 + ["empty"]
    assert "10 input slots" in app.slots_view.value and "lost" not in app.summary.value
    app.slots.value = 2  # both too long
    assert [len(r) for r in _slots(app)] == [5, 9] and _kinds(_slots(app)[1]).count("lost") == 7
    app.text_a.value = "the man bit the dog"  # typing takes the dropdown off the example
    assert app.example.value == "(your own sentences)"


def test_moving_the_slots_changes_only_the_html_not_the_figure():
    """A slider move must not touch the plotly figure: the browser would replot all of it (viz.live, "Redraw cost")."""
    app = CompareApp(*EXAMPLES["different lengths"], slots=6)
    app.fig._view_count = 1  # as with a browser view: only real changes reach the figure's traits
    changes = []
    app.fig.observe(lambda change: changes.append(change["name"]))
    before = app.fig.to_dict()
    view, summary = app.slots_view.value, app.summary.value
    for slots in (7, 12, 3, 6):
        app.slots.value = slots
        assert app.message.kind == ""
    app.slots.value = 9
    assert changes == [] and app.fig.to_dict() == before
    assert app.slots_view.value != view and app.summary.value != summary
    assert _kinds(_slots(app)[0]).count("empty") == 4 and _kinds(_slots(app)[1]).count("lost") == 0
    app.text_a.value = "the man bit the dog"  # text changes still redraw the figure
    assert "_py2js_update" in changes


def test_the_slots_view_escapes_the_words_and_scrolls_instead_of_overflowing():
    from rnnviz.viz.order import slots_html
    hostile = ["<script>alert(1)</script>", '"onmouseover="x', "it's"]
    page = slots_html(hostile, ["the"] * 30, 12)
    assert "<script>" not in page and "onmouseover=\"" not in page and "&lt;script&gt;" in page
    assert "it&#x27;s" in page
    assert 'class="rnnviz-slots-scroll"' in page and "overflow-x:auto" in page
    assert page.count("rnnviz-slot-lost") == 18 + 1 and page.count("rnnviz-slot-empty") == 9 + 1  # + CSS rules


@pytest.mark.parametrize("text, words", [
    ("the dog bit the astronaut", ["'astronaut'"]),
    ("the zebra bit the unicorn", ["'zebra'", "'unicorn'"]),
    ("the dog bit the <unk>", ["'unk'"]),
])
def test_unknown_words_are_named_and_the_app_recovers(text, words):
    app = CompareApp()
    good = _y(app.fig.data[2]).copy()
    app.text_a.value = text
    assert app.message.kind == "error" and "sentence A" in app.message.text
    assert all(w in app.message.text for w in words) and "vocabulary" in app.message.text
    assert np.allclose(_y(app.fig.data[2]), good)  # the view was left as it was
    app.text_a.value = "the hungry dog bit the man."  # punctuation is fine
    assert app.message.kind == "" and app.words[0] == ["the", "hungry", "dog", "bit", "the", "man"]
    assert not np.allclose(_y(app.fig.data[2]), good)


def test_empty_and_huge_sentences_are_refused_readably():
    app = CompareApp()
    app.text_b.value = "   "
    assert app.message.kind == "error" and "sentence B" in app.message.text and "empty" in app.message.text
    app.text_b.value = "the dog " * 1000
    assert app.message.kind == "error" and "too long" in app.message.text
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
    run = app.train()
    return app, run


def test_training_rnn_learns_order_bag_of_words_stays_at_chance(trained):
    app, run = trained
    assert run.rnn >= 0.9, run.curves
    assert run.bow <= 0.65
    acc_bow, acc_rnn = _y(app.fig.data[0]), _y(app.fig.data[1])
    assert acc_rnn[-1] == run.rnn and acc_bow[-1] == run.bow
    assert acc_rnn[0] < 0.75 and acc_rnn.max() >= 0.9  # it learned, during the run
    assert np.all(acc_bow == 0.5)  # held-out mirror pairs: exactly one of each pair right
    assert app.fig.data[0].x[-1] == 160
    assert app.progress.value == app.progress.max == 2 * 160
    assert "RNN" in app.status.value and not app.train_button.disabled


def test_training_is_reproducible_and_the_button_trains():
    settings = dict(train_size=200, steps=40, hidden_size=4, seed=3)
    a, b = TrainProbeApp(**settings), TrainProbeApp(**settings)
    a.train()
    b.train_button.click()
    assert b.message.kind == "" and b.progress.value == b.progress.max
    assert np.array_equal(_y(a.fig.data[1]), _y(b.fig.data[1]))
    assert all(np.array_equal(a.rnn.params[k], b.rnn.params[k]) for k in a.rnn.params)


def test_shuffling_never_moves_the_bag_of_words_but_moves_the_rnn(trained):
    app, _ = trained
    app.restore()
    original = app.probe_text.value
    p_bow, p_rnn = app.p_bow.copy(), app.p_rnn.copy()
    rnn_seen = [p_rnn]
    for _ in range(6):
        app.shuffle_button.click()
        assert app.message.kind == ""
        assert sorted(app.probe_text.value.split()) == sorted(original.split())
        assert np.array_equal(app.p_bow, p_bow)
        assert np.array_equal(_y(app.fig.data[3]), p_bow)
        rnn_seen.append(app.p_rnn.copy())
    assert np.ptp([p[1] for p in rnn_seen]) > 0.3  # the RNN's prediction moved
    history_bow, history_rnn = _y(app.fig.data[5]), _y(app.fig.data[6])
    assert len(history_bow) == 7 and np.ptp(history_bow) == 0 and np.ptp(history_rnn) > 0.3
    app.restore_button.click()
    assert app.probe_text.value == original and np.allclose(app.p_rnn, p_rnn)
    app.next_button.click()  # a new sentence starts a new history
    assert app.probe_text.value != original and len(app.fig.data[5].y) == 1
    app.select_sentence(0)
    assert app.probe_text.value == app.test.sentences[0] and len(app.fig.data[6].y) == 1


def test_probe_bad_input_then_recovery(trained):
    app, _ = trained
    app.probe_text.value = "the dog bit the dragon"
    assert app.message.kind == "error" and "'dragon'" in app.message.text
    app.shuffle_button.click()  # shuffling a bad sentence is a message too
    assert app.message.kind == "error"
    app.probe_text.value = "the dog bit the man"
    assert app.message.kind == "" and app.p_rnn.shape == (2,)
    assert "your own sentence" in app.probe_info.value


def test_out_of_range_settings_from_the_websocket_are_refused():
    app = TrainProbeApp(train_size=200, steps=20)
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


# =========================================================================== exercise checkers
def good_bow(words, vocab):
    c = np.zeros(len(vocab))
    for w in words:
        c[vocab.id_of(w)] += 1
    return c


def positions(words, vocab):
    c = np.zeros(len(vocab))
    for t, _ in enumerate(words):
        c[t] += 1
    return c


def presence(words, vocab):
    return (good_bow(words, vocab) > 0).astype(float)


def strict_lookup(words, vocab):
    c = np.zeros(len(vocab))
    for w in words:
        c[vocab.tokens.index(w)] += 1
    return c


def skips_unknown(words, vocab):
    c = np.zeros(len(vocab))
    for w in words:
        if w in vocab:
            c[vocab.id_of(w)] += 1
    return c


def per_position_list(words, vocab):
    return [vocab.id_of(w) for w in words]


def frequencies(words, vocab):
    c = good_bow(words, vocab)
    return c / max(c.sum(), 1)


def order_sensitive(words, vocab):
    c = np.zeros(len(vocab))
    for t, w in enumerate(words):
        c[vocab.id_of(w)] += t + 1  # weighted by position
    return c


@pytest.mark.parametrize("fn, expected", [
    (good_bow, "correct"),
    (positions, "you counted positions, not words"),
    (per_position_list, "you counted positions, not words"),
    (presence, "count how often"),
    (strict_lookup, "unknown words must map to <unk>"),
    (skips_unknown, "you skipped the unknown word"),
    (frequencies, "divided by the sentence length"),
    (order_sensitive, "must not depend on the order"),
    (lambda words, vocab: np.zeros(3), "length V"),
    (lambda words, vocab: 1 / 0, "ZeroDivisionError"),
])
def test_bag_of_words_checker_names_the_mistake(fn, expected):
    msg = check_bag_of_words(fn)
    assert expected in msg, msg
    assert msg.startswith("correct") == (expected == "correct")


def _cell(recur=True, bias=True, transpose=False, act=np.tanh, stop=None):
    def fn(ids, p):
        h = np.zeros(p["W_hh"].shape[0])
        for x in ids[:stop]:
            W = p["W_hh"].T if transpose else p["W_hh"]
            h = act(p["W_xh"][:, x] + (W @ h if recur else 0) + (p["b_h"] if bias else 0))
        return h
    return fn


@pytest.mark.parametrize("fn, expected", [
    (_cell(), "correct"),
    (_cell(recur=False), "check the W_hh term: your h_T depends on the last word only"),
    (_cell(transpose=True), "not W_hh.T"),
    (_cell(bias=False), "check the bias"),
    (_cell(act=lambda a: a), "apply the activation"),
    (_cell(stop=-1), "one word early"),
    (_cell(act=lambda a: 1 / (1 + np.exp(-a))), "not the sigmoid"),
    (lambda ids, p: p["W_xh"][ids[-1]], "W_xh[:, x_t]"),
    (lambda ids, p: np.zeros(3), "H = 6"),
    (lambda ids, p: np.zeros(6) + 0.3, "differs from the RNN's"),
])
def test_final_state_checker_names_the_term(fn, expected):
    msg = check_final_state(fn)
    assert expected in msg, msg
    assert msg.startswith("correct") == (expected == "correct")


def test_the_task_really_needs_order():
    """The premise of the lesson: mirror pairs have equal bags and different classes."""
    task = word_order(20, rng=np.random.default_rng(0))
    vocab = task.vocab
    bags = {}
    for s, y in zip(task.sentences, task.y):
        key = tuple(good_bow(s.split(), vocab))
        bags.setdefault(key, set()).add(int(y))
    assert all(labels == {0, 1} for labels in bags.values())
