"""Bag-of-words baselines: counts, gradient checks, the shared data API, and the RNN reading order they cannot."""

import numpy as np
import pytest

import rnnviz as rv
from rnnviz.core.bow import (
    BagOfWordsLogistic,
    BagOfWordsMLP,
    SequenceClassifier,
    bag_of_words,
    bow_classifier,
    rnn_classifier,
)
from rnnviz.core.optim import Adam
from rnnviz.core.train import classification_batch, train

TOL = 1e-7


def order_task(n, rng, T=7, V=6):
    """Each sentence holds token 1 once and token 2 once, among fillers 3..V-1, then padding (0).

    Label 1 when 1 comes before 2. Both classes have exactly the same word counts
    distribution, so only the order tells them apart.
    """
    lengths = rng.integers(3, T + 1, n)
    X = np.zeros((n, T), dtype=np.int64)
    mask = np.zeros((n, T), dtype=bool)
    y = rng.integers(0, 2, n)
    for i, L in enumerate(lengths):
        X[i, :L] = rng.integers(3, V, L)
        a, b = rng.choice(L, 2, replace=False)
        first, second = min(a, b), max(a, b)
        X[i, first], X[i, second] = (1, 2) if y[i] else (2, 1)
        mask[i, :L] = True
    return X, mask, y


def test_bag_of_words_counts_present_tokens_only():
    X = np.array([[1, 2, 1, 0], [3, 3, 3, 3]])
    mask = np.array([[1, 1, 1, 0], [1, 1, 0, 0]], dtype=bool)
    np.testing.assert_array_equal(bag_of_words(X, mask, vocab_size=4), [[0, 2, 1, 0], [0, 0, 0, 2]])
    np.testing.assert_array_equal(bag_of_words(X, vocab_size=4), [[1, 2, 1, 0], [0, 0, 0, 4]])
    # the order is gone: a sentence and its reverse have the same counts
    np.testing.assert_array_equal(bag_of_words(X[:, ::-1], mask[:, ::-1], vocab_size=4), bag_of_words(X, mask, vocab_size=4))
    with pytest.raises(ValueError, match="token id 4"):
        bag_of_words(X + 1, vocab_size=4)
    with pytest.raises(ValueError, match="mask"):
        bag_of_words(X, mask[:, :2], vocab_size=4)


@pytest.mark.parametrize(
    "model",
    [BagOfWordsLogistic(7, 3), BagOfWordsMLP(7, 3, 5), BagOfWordsMLP(7, 3, 5, activation="relu")],
    ids=["logistic", "mlp-tanh", "mlp-relu"],
)
def test_bag_of_words_gradients_match_finite_differences(model, rng):
    params = {k: v + 0.5 * rng.standard_normal(v.shape) for k, v in model.init_params(rng).items()}
    X = rng.integers(0, 7, (6, 5))
    mask = rng.random((6, 5)) < 0.8
    labels = rng.integers(0, 3, 6)

    def loss(p):
        return rv.softmax_nll(model.forward(p, X, input_mask=mask).Y, labels).loss

    fwd = model.forward(params, X, input_mask=mask)
    grads = model.backward(params, rv.softmax_nll(fwd.Y, labels).dY, fwd.cache).grads
    assert set(grads) == set(params)
    report = rv.check_gradients(loss, params, grads)
    assert report.max_error < TOL, str(report)


def test_a_wrong_backward_fails_the_check(rng):
    model = BagOfWordsMLP(5, 2, 3)
    params = {k: v + 0.5 * rng.standard_normal(v.shape) for k, v in model.init_params(rng).items()}
    X, labels = rng.integers(0, 5, (4, 3)), rng.integers(0, 2, 4)
    fwd = model.forward(params, X)
    grads = model.backward(params, rv.softmax_nll(fwd.Y, labels).dY, fwd.cache).grads
    grads["W_xh"] = grads["W_xh"] * 1.01
    report = rv.check_gradients(lambda p: rv.softmax_nll(model.forward(p, X).Y, labels).loss, params, grads)
    assert not report.passed and report.worst() == "W_xh"


def test_same_training_loop_trains_bag_of_words_and_rnn(rng):
    """train() takes a Network and a bag-of-words model alike, with the same data."""
    X, mask, y = order_task(64, rng)
    for model in (BagOfWordsMLP(6, 2, 8), rv.Network(6, 8, 2)):
        params = model.init_params(rng)
        result = train(model, params, Adam(lr=0.01), classification_batch(model, X, y, mask), steps=30)
        assert result.status == "finished"
        assert result.losses[-1] < result.losses[0]


def test_rnn_reads_word_order_that_bag_of_words_cannot(rng):
    X, mask, y = order_task(512, rng)
    Xt, mt, yt = order_task(400, np.random.default_rng(77))
    rnn = rnn_classifier(6, 2, hidden_size=16, rng=np.random.default_rng(0))
    rnn.fit(X, mask, y, steps=300, rng=np.random.default_rng(1), optimizer=Adam(lr=0.02))
    assert rnn.accuracy(Xt, mt, yt) >= 0.95
    for bow in (bow_classifier(6, 2, rng=np.random.default_rng(0)), bow_classifier(6, 2, 16, rng=np.random.default_rng(0))):
        result = bow.fit(X, mask, y, steps=300, rng=np.random.default_rng(1))
        assert result.status == "finished"
        assert abs(bow.accuracy(Xt, mt, yt) - 0.5) < 0.1  # chance: the counts say nothing about the label


def test_classifier_interface(rng):
    X, mask, y = order_task(40, rng)
    for clf in (rnn_classifier(6, 2, 4, cell="gru", rng=rng), bow_classifier(6, 2, rng=rng)):
        p = clf.predict_proba(X, mask)
        assert p.shape == (40, 2) and np.allclose(p.sum(axis=1), 1.0)
        np.testing.assert_array_equal(clf.predict(X, mask), p.argmax(axis=1))
        assert clf.accuracy(X, mask, y) == np.mean(p.argmax(axis=1) == y)
        seen = []
        clf.fit(X, mask, y, steps=3, batch_size=8, rng=rng,
                callbacks=lambda r: seen.append(clf.predict_proba(X, mask)))  # params follow the training
        assert len(seen) == 3 and len(clf.history) == 3
        assert not np.allclose(seen[0], p) and not np.allclose(seen[1], seen[0])
        np.testing.assert_array_equal(seen[-1], clf.predict_proba(X, mask))
        with pytest.raises(ValueError, match="labels"):
            clf.fit(X, mask, y[:5], steps=1, rng=rng)
        with pytest.raises(ValueError, match="labels"):
            clf.accuracy(X, mask, y + 2)
    with pytest.raises(ValueError, match="unidirectional"):
        SequenceClassifier(rv.Network(6, 4, 2, bidirectional=True), rng=rng)
    assert repr(bow_classifier(6, 2, 3, rng=rng)) == "SequenceClassifier(BagOfWordsMLP(V=6, H=3, K=2, tanh))"


def test_fit_is_reproducible(rng):
    X, mask, y = order_task(64, rng)
    a = rnn_classifier(6, 2, 6, rng=np.random.default_rng(0))
    b = rnn_classifier(6, 2, 6, rng=np.random.default_rng(0))
    ra = a.fit(X, mask, y, steps=10, rng=np.random.default_rng(3))
    rb = b.fit(X, mask, y, steps=10, rng=np.random.default_rng(3))
    np.testing.assert_array_equal(ra.losses, rb.losses)
    np.testing.assert_array_equal(a.predict_proba(X, mask), b.predict_proba(X, mask))


def test_with_the_shipped_word_order_task(rng):
    data = pytest.importorskip("rnnviz.data")
    task = data.word_order(40, rng=rng)
    V = len(task.vocab)
    # the task's own targets at the last word are what classification_batch builds
    b = classification_batch(rv.Network(V, 4, 2), task.X, task.y, task.mask)
    np.testing.assert_array_equal(b.target_mask, task.target_mask)
    np.testing.assert_array_equal(np.where(b.target_mask, b.targets, 0), np.where(task.target_mask, task.targets, 0))
    # every sentence has a mirror image with the same bag of words and the other label
    counts = bag_of_words(task.X, task.mask, vocab_size=V)
    for i in range(len(counts)):
        twins = np.flatnonzero((counts == counts[i]).all(axis=1))
        assert set(task.y[twins]) == {0, 1}
