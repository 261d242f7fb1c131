"""Shipped corpora and vocabularies: what is in the files, where it came from, tokens <-> ids."""

import hashlib
import re
from collections import Counter
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

import rnnviz as rv
from rnnviz.data import UNK, Vocabulary, clean_text, corpora, load_corpus, tokenize_words

NAMES = ["alice", "paradise_lost"]
SOURCES = Path(rv.__file__).parent / "data" / "SOURCES.md"


# =========================================================================== corpora
def test_corpora_lists_the_shipped_texts_with_a_description():
    listing = corpora()
    assert sorted(listing) == NAMES
    assert all(isinstance(d, str) and d for d in listing.values())
    assert load_corpus() == load_corpus("alice")


@pytest.mark.parametrize("name", NAMES)
def test_corpus_is_clean_plain_text(name):
    text = load_corpus(name)
    assert isinstance(text, str) and len(text) > 30_000
    assert text.isascii()
    assert "\r" not in text and "\t" not in text and "\x1a" not in text and "`" not in text
    assert "\n\n\n" not in text  # runs of blank lines collapsed
    assert not re.search(r" \n|\n | {2}", text)  # no trailing, leading or doubled spaces
    assert text.endswith("\n") and not text.endswith("\n\n")
    assert clean_text(text) == text  # cleaning is already done (and idempotent)


def test_corpora_are_small_with_a_small_character_set():
    texts = [load_corpus(name) for name in NAMES]
    total = sum(len(t.encode("utf-8")) for t in texts)
    assert 100_000 <= total <= 300_000
    assert len(set("".join(texts))) <= 80


def test_corpora_carry_no_project_gutenberg_licence_text():
    for name in NAMES:
        text = load_corpus(name).lower()
        for word in ("gutenberg", "etext", "e-text", "copyright", "licen[cs]e"):
            assert not re.search(rf"\b{word}\b", text), word


def test_alice_is_the_whole_book_and_paradise_lost_is_book_one():
    alice = load_corpus("alice")
    assert alice.startswith("ALICE'S ADVENTURES IN WONDERLAND\n\nLewis Carroll\n")
    assert alice.rstrip().endswith("THE END")
    assert len(re.findall(r"^CHAPTER [IVX]+$", alice, flags=re.M)) == 12
    pl = load_corpus("paradise_lost")
    assert pl.startswith("Paradise Lost\n\nBook I\n\nOf Man's first disobedience, and the fruit\n")
    assert "Book II" not in pl
    assert pl.rstrip().endswith("And summons read, the great consult began.")


@pytest.mark.parametrize("name", NAMES)
def test_sources_md_records_the_hash_of_each_shipped_file(name):
    """If a file is edited, its recorded provenance (SOURCES.md) must be updated too."""
    sources = SOURCES.read_text(encoding="utf-8")
    data = resources.files("rnnviz.data").joinpath(f"{name}.txt").read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    assert re.search(rf"`{digest}` \(`{name}\.txt`\)", sources)
    assert f"{len(data):,} bytes" in sources


def test_unknown_corpus_name_is_refused_with_the_choices():
    with pytest.raises(ValueError, match=r"name: unknown corpus 'bible'.*'alice'"):
        load_corpus("bible")
    with pytest.raises(ValueError, match="name"):
        load_corpus(3)


def test_clean_text_normalizes_lines_quotes_and_blank_runs():
    raw = "  `Oh dear!  Oh dear!'\r\n\r\n\r\n\r\n\tI shall be late!  \r\n\x1a"
    assert clean_text(raw) == "'Oh dear! Oh dear!'\n\nI shall be late!\n"
    assert clean_text("\u201cHi,\u201d she said. \u2018Yes\u2019") == "\"Hi,\" she said. 'Yes'\n"
    assert clean_text("\n\n  \n") == ""
    with pytest.raises(TypeError, match="text"):
        clean_text(b"bytes")


# =========================================================================== tokenizer
def test_word_tokenizer_lowercases_and_splits_off_punctuation():
    assert tokenize_words("'Oh dear! I shan't be late,' said the White Rabbit.") == [
        "'", "oh", "dear", "!", "i", "shan't", "be", "late", ",", "'", "said", "the", "white", "rabbit", ".",
    ]
    assert tokenize_words("Rabbit-hole--(ALICE'S)\n_I_ 42") == [
        "rabbit", "-", "hole", "-", "-", "(", "alice's", ")", "_", "i", "_", "42",
    ]
    assert tokenize_words("  \n ") == []


# =========================================================================== Vocabulary
def test_char_vocabulary_round_trips_the_whole_corpus():
    text = load_corpus("alice")
    vocab = Vocabulary.from_text(text, level="char")
    assert len(vocab) == len(set(text)) + 1
    assert vocab.tokens[0] == UNK and vocab.unknown_id == 0 and vocab.id_of(UNK) == 0
    assert list(vocab.tokens[1:]) == sorted(set(text))  # characters in code-point order
    ids = vocab.encode(text)
    assert ids.dtype == np.int64 and ids.shape == (len(text),)
    assert ids.min() >= 1  # nothing unknown in its own text
    assert vocab.decode(ids) == text
    assert vocab.counts["e"] == text.count("e")


def test_word_vocabulary_numbers_words_by_frequency():
    text = load_corpus("alice")
    vocab = Vocabulary.from_text(text, level="word")
    counts = [vocab.counts[t] for t in vocab.tokens[1:]]
    assert counts == sorted(counts, reverse=True)
    assert vocab.tokens[1:4] == (",", "'", "the")
    words = tokenize_words(text)
    assert len(vocab) == len(set(words)) + 1
    assert vocab.decode(vocab.encode(text)) == " ".join(words)


def test_max_size_and_min_count_keep_the_frequent_tokens():
    text = "the cat and the dog and the bird"
    vocab = Vocabulary.from_text(text, level="word", max_size=3)
    assert vocab.tokens == (UNK, "the", "and")
    assert vocab.encode("the bird and the cat").tolist() == [1, 0, 2, 1, 0]
    vocab = Vocabulary.from_text(text, level="word", min_count=2)
    assert set(vocab.tokens) == {UNK, "the", "and"}
    ties = Vocabulary.from_text("b a c", level="word", max_size=3)  # ties broken by sort order, not hash order
    assert ties.tokens == (UNK, "a", "b")


def test_unknown_tokens_map_to_unk_or_are_named_when_strict():
    vocab = Vocabulary.from_text("the cat sat on the mat", level="char")
    ids = vocab.encode("the rat!")
    assert ids.tolist().count(vocab.unknown_id) == 2
    assert vocab.decode(ids) == "the <unk>at<unk>"
    with pytest.raises(ValueError, match=r"text: 2 character\(s\) not in the vocabulary: 'r', '!'"):
        vocab.encode("the rat!", strict=True)
    words = Vocabulary.from_text("the cat sat", level="word")
    with pytest.raises(ValueError, match=r"1 word\(s\) not in the vocabulary: 'dog'"):
        words.encode("The dog sat", strict=True)
    assert words.id_of("dog") == 0
    with pytest.raises(ValueError, match="'dog' is not in the vocabulary"):
        words.id_of("dog", strict=True)
    assert "cat" in words and "dog" not in words


def test_encode_accepts_pre_split_tokens_and_empty_text():
    vocab = Vocabulary.from_text("the dog bit the man", level="word")
    assert vocab.encode(["the", "man", "bit"]).tolist() == vocab.encode("the man bit").tolist()
    assert vocab.encode("").shape == (0,)
    assert vocab.decode([]) == "" and vocab.decode(np.zeros(0, np.int64)) == ""


def test_empty_corpus_is_refused_naming_the_argument():
    with pytest.raises(ValueError, match="text: is empty"):
        Vocabulary.from_text("", level="char")
    with pytest.raises(ValueError, match="text: is empty"):
        Vocabulary.from_text(" \n ", level="word")
    with pytest.raises(TypeError, match="text"):
        Vocabulary.from_text(None)
    with pytest.raises(ValueError, match="level"):
        Vocabulary.from_text("abc", level="sentence")
    with pytest.raises(ValueError, match="max_size"):
        Vocabulary.from_text("abc", max_size=1)
    with pytest.raises(ValueError, match="min_count"):
        Vocabulary.from_text("abc", min_count=2)


def test_decode_refuses_ids_out_of_range():
    vocab = Vocabulary.from_text("abc")
    with pytest.raises(ValueError, match=r"ids: token id 4 is out of range; ids must lie in \[0, 4\)"):
        vocab.decode([1, 4])
    with pytest.raises(ValueError, match="ids: token id -1"):
        vocab.decode(np.array([-1]))
    with pytest.raises(TypeError, match="ids"):
        vocab.decode([0.5])
    with pytest.raises(ValueError, match="ids"):
        vocab.decode([[1, 2]])


def test_vocabulary_from_a_token_list():
    vocab = Vocabulary(["the", "dog", "bit"], level="word")
    assert vocab.tokens == (UNK, "the", "dog", "bit")
    assert Vocabulary([UNK, "the"], level="word").tokens == (UNK, "the")
    assert vocab == Vocabulary(["the", "dog", "bit"], level="word") != Vocabulary(["the", "dog"], level="word")
    with pytest.raises(ValueError, match="repeated"):
        Vocabulary(["a", "b", "a"])
    with pytest.raises(ValueError, match="<unk>"):
        Vocabulary(["a", UNK])
    with pytest.raises(ValueError, match="single characters"):
        Vocabulary(["ab"], level="char")
    with pytest.raises(TypeError, match="tokens"):
        Vocabulary("abc")


def test_encoded_corpus_feeds_a_character_language_model():
    """Ids from the vocabulary go straight into a Network; at initialization the loss is near log V."""
    vocab = Vocabulary.from_text(load_corpus("paradise_lost"), level="char")
    ids = vocab.encode(load_corpus("paradise_lost"))
    X, targets = next(rv.stream_windows(ids, batch_size=4, window=25))
    net = rv.Network(input_size=len(vocab), hidden_size=16, output_size=len(vocab))
    params = net.init_params(np.random.default_rng(0))
    ev = net.evaluate(params, X, targets, reduction="mean")
    assert abs(ev.loss - np.log(len(vocab))) < 0.5
    assert Counter(vocab.decode(X[0]))  # the window decodes back to text


@pytest.mark.parametrize("module", ["rnnviz.data", "rnnviz.data.corpus", "rnnviz.data.vocab", "rnnviz.data.tasks"])
def test_docstring_examples_hold(module):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(module), optionflags=doctest.NORMALIZE_WHITESPACE)
    assert result.failed == 0
