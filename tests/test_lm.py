"""Language models: learning a text, exact chunked evaluation, sampling, temperature, baselines, bad input."""

import numpy as np
import pytest

import rnnviz as rv
from rnnviz.core.lm import LanguageModel, unigram_cross_entropy
from rnnviz.core.optim import Adam


class CharVocab:
    """The smallest vocabulary the language model accepts: encode, decode, len. Unknown characters raise."""

    def __init__(self, chars):
        self.chars = sorted(set(chars))
        self.index = {c: i for i, c in enumerate(self.chars)}

    def encode(self, text):
        return np.array([self.index[c] for c in text], dtype=np.int64)  # KeyError for an unknown character

    def decode(self, ids):
        return "".join(self.chars[i] for i in ids)

    def __len__(self):
        return len(self.chars)


TEXT = "abcd" * 60  # perfectly predictable after one character


@pytest.fixture
def trained():
    lm = LanguageModel(CharVocab("abcd"), 16, rng=np.random.default_rng(0))
    result = lm.fit(TEXT, steps=120, batch_size=4, window=10, optimizer=Adam(lr=0.03))
    return lm, result


def test_fit_learns_a_periodic_text_far_below_the_unigram_baseline(trained):
    lm, result = trained
    assert result.status == "finished" and len(lm.history) == 120
    baseline = lm.unigram_baseline(TEXT)
    assert baseline == pytest.approx(np.log(4), abs=0.01)
    assert result.losses[:3].mean() > 1.2
    assert lm.loss(TEXT) < 0.05 * baseline
    assert lm.perplexity(TEXT) < 1.1


def test_sampling_continues_the_pattern_and_is_reproducible(trained):
    lm, _ = trained
    s = lm.sample(12, prefix="ab", temperature=0.5, rng=np.random.default_rng(3))
    assert s == "cdabcdabcdab"
    assert lm.sample(30, rng=np.random.default_rng(4)) == lm.sample(30, rng=np.random.default_rng(4))
    assert lm.sample(0, prefix="a", rng=np.random.default_rng(4)) == ""
    first = lm.sample(1, rng=np.random.default_rng(5))  # no prefix: drawn from the text's unigram
    assert first in "abcd" and len(first) == 1


def test_next_token_probs_is_a_distribution(trained):
    lm, _ = trained
    p = lm.next_token_probs("abc")
    assert p.shape == (4,) and p.sum() == pytest.approx(1.0) and p.argmax() == 3  # 'd' follows 'c'
    np.testing.assert_allclose(lm.next_token_probs(""), [0.25] * 4)  # unigram of the fitted text
    np.testing.assert_allclose(lm.next_token_probs(np.array([0, 1])), lm.next_token_probs("ab"))


def test_temperature_sharpens_and_flattens(rng):
    lm = LanguageModel(CharVocab("abcde"), 8, rng=rng)
    lm.params = {k: 3 * v for k, v in lm.params.items()}
    lm.params["out.b_y"] = np.array([2.0, 1.0, 0.0, -1.0, -2.0])
    cold = lm.sample(30, prefix="a", temperature=0.01, rng=np.random.default_rng(0))
    for i, c in enumerate(cold):  # nearly greedy: always the likeliest next token
        assert c == "abcde"[lm.next_token_probs("a" + cold[:i]).argmax()]
    hot = lm.sample(400, prefix="a", temperature=50.0, rng=np.random.default_rng(0))
    shares = np.array([hot.count(c) for c in "abcde"]) / 400
    assert np.all(np.abs(shares - 0.2) < 0.07)  # close to uniform
    warm = lm.sample(400, prefix="a", temperature=1.0, rng=np.random.default_rng(0))
    assert len(set(warm)) > 1


def test_loss_in_chunks_equals_one_long_forward(rng):
    text = "the cat sat on the mat and the rat ate the hat " * 3
    vocab = CharVocab(text)
    lm = LanguageModel(vocab, 6, cell="gru", rng=rng)
    lm.eval_chunk = 7  # many pieces, state carried between them
    ids = vocab.encode(text)
    nll = rv.softmax_nll(lm.net.forward(lm.params, ids[None, :-1]).Y, ids[None, 1:], reduction="mean").loss
    assert lm.loss(text) == pytest.approx(nll, rel=1e-12)
    assert lm.perplexity(text) == pytest.approx(np.exp(nll), rel=1e-12)
    p = np.exp(rv.log_softmax(lm.net.forward(lm.params, ids[None, :20]).Y[0, -1]))
    np.testing.assert_allclose(lm.next_token_probs(text[:20]), p, rtol=1e-12)


def test_untrained_model_is_near_uniform_perplexity(rng):
    vocab = CharVocab("abcdefgh")
    lm = LanguageModel(vocab, 8, rng=rng)
    assert lm.perplexity("abcdefghhgfedcba") == pytest.approx(8, rel=0.2)


def test_unigram_cross_entropy():
    ids = np.array([0, 0, 1, 1])
    assert unigram_cross_entropy(ids, 3) == pytest.approx(np.log(2))
    # from a reference with add-one smoothing: q = (3, 1, 1) / 5
    assert unigram_cross_entropy(np.array([0, 1]), 3, np.array([0, 0])) == pytest.approx(-(np.log(0.6) + np.log(0.2)) / 2)
    lm = LanguageModel(CharVocab("ab"), 4, rng=np.random.default_rng(0))
    assert lm.unigram_baseline("aab") == pytest.approx(np.log(2))  # scores the predicted tokens 'a', 'b'


def test_bad_input_is_named(rng):
    lm = LanguageModel(CharVocab("abc"), 4, rng=rng)
    with pytest.raises(ValueError, match="text: is empty"):
        lm.perplexity("")
    with pytest.raises(ValueError, match="data: is empty"):
        lm.fit("", steps=1)
    with pytest.raises(ValueError, match="at least 2 tokens"):
        lm.loss("a")
    with pytest.raises(ValueError, match="text: the vocabulary cannot encode it"):
        lm.perplexity("abz")
    with pytest.raises(ValueError, match="temperature"):
        lm.sample(5, prefix="a", temperature=0.0, rng=rng)
    with pytest.raises(ValueError, match="temperature"):
        lm.sample(5, prefix="a", temperature=-1.0, rng=rng)
    with pytest.raises(TypeError, match="rng"):
        lm.sample(5, prefix="a", rng=5)
    with pytest.raises(ValueError, match="batch_size"):
        lm.fit("abcabc", steps=1, batch_size=10)
    with pytest.raises(ValueError, match="token id 7"):
        lm.loss(np.array([0, 7]))
    with pytest.raises(TypeError, match="vocab"):
        LanguageModel("abc", 4, rng=rng)


def test_divergence_during_fit_keeps_the_last_good_params(rng):
    lm = LanguageModel(CharVocab("abcd"), 8, cell_options={"activation": "identity"}, rng=rng)
    result = lm.fit(TEXT, steps=50, batch_size=4, window=20, optimizer=rv.SGD(lr=100.0), clip=None)
    assert result.diverged and "at step" in result.stopped_reason
    assert all(np.all(np.isfinite(v)) for v in lm.params.values())


def test_with_the_shipped_vocabulary_unknown_characters_become_unk(rng):
    data = pytest.importorskip("rnnviz.data")
    vocab = data.Vocabulary.from_text("hello world", level="char")
    lm = LanguageModel(vocab, 8, rng=rng)
    assert np.isfinite(lm.perplexity("hello zzz"))  # 'z' is <unk>, id 0
    assert isinstance(lm.sample(5, prefix="he", rng=rng), str)


def test_callbacks_see_the_model_as_it_trains(rng):
    lm = LanguageModel(CharVocab("abcd"), 8, rng=rng)
    losses = []
    lm.fit(TEXT, steps=4, batch_size=4, window=10, callbacks=lambda r: losses.append(lm.loss(TEXT)))
    assert len(set(losses)) == 4 and losses[-1] == lm.loss(TEXT)
