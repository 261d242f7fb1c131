r"""Vocabularies: tokens <-> integer ids, at the level of characters or of words.

A language model (the chapter's 7.2.1) reads one token per time-stamp as a one-hot
vector x_t in R^V and predicts the next token with a softmax over the same V ids.
:class:`Vocabulary` fixes that numbering. Id 0 is always the unknown token
``"<unk>"``, which stands for anything the vocabulary does not hold (a rare word cut
by ``max_size``/``min_count``, or a character never seen in the training text).

>>> vocab = Vocabulary.from_text("the cat sat on the mat", level="char")
>>> len(vocab), vocab.tokens[:4]
(11, ('<unk>', ' ', 'a', 'c'))
>>> ids = vocab.encode("the rat")       # 'r' was never seen: it becomes <unk>
>>> ids.tolist()
[10, 5, 4, 1, 0, 2, 10]
>>> vocab.decode(ids)
'the <unk>at'

Words are found by :func:`tokenize_words` (lowercase; words and single punctuation
marks): ``"Alice's cat, the Cheshire-Cat."`` -> ``alice's cat , the cheshire - cat .``
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from ..core.checks import as_index_array, check_choice, check_positive

__all__ = ["LEVELS", "UNK", "Vocabulary", "tokenize_words"]

UNK = "<unk>"
LEVELS = ("char", "word")

# A word is letters/digits, possibly joined by inner apostrophes (don't, alice's, o'er);
# every other visible character is a token of its own. Whitespace only separates.
_WORD = re.compile(r"[^\W_]+(?:'[^\W_]+)*|[^\w\s]|_")


def tokenize_words(text: str) -> list[str]:
    """Split ``text`` into lowercase word and punctuation tokens.

    * everything is lowercased;
    * a word is a run of letters or digits, apostrophes inside a word included
      (``don't``, ``alice's``; a quote mark at a word's edge is punctuation);
    * each other character that is not a space is a token of its own
      (``,`` ``.`` ``'`` ``-`` ``(`` ...), so ``rabbit-hole`` is ``rabbit - hole``;
    * spaces and line breaks only separate tokens and are dropped.

    >>> tokenize_words("'Oh dear! I shan't be late,' said the White Rabbit.")
    ["'", 'oh', 'dear', '!', 'i', "shan't", 'be', 'late', ',', "'", 'said', 'the', 'white', 'rabbit', '.']
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    return _WORD.findall(text.lower())


def _check_text(name: str, text: object) -> str:
    if not isinstance(text, str):
        raise TypeError(f"{name}: expected a str, got {type(text).__name__}")
    return text


class Vocabulary:
    """A numbering of tokens: ids ``0 .. V-1``, id 0 the unknown token ``"<unk>"``.

    Build one with :meth:`from_text`, or directly from a list of tokens
    (``Vocabulary(["the", "dog", "bit"], level="word")``; ``"<unk>"`` is put first
    when absent). ``level`` says how :meth:`encode` splits a string: ``"char"``
    into characters, ``"word"`` with :func:`tokenize_words`.

    Attributes: ``tokens`` (tuple, index = id), ``level``, ``unknown_id`` (0),
    ``counts`` (token -> count in the text it was built from, or None).
    """

    def __init__(self, tokens: Iterable[str], level: str = "char", *, counts: Mapping[str, int] | None = None):
        self.level = check_choice("level", level, LEVELS)
        if isinstance(tokens, str):
            raise TypeError("tokens: expected a list of token strings, got one str (use Vocabulary.from_text for text)")
        toks = list(tokens)
        bad = [t for t in toks if not isinstance(t, str) or t == ""]
        if bad:
            raise TypeError(f"tokens: every token must be a non-empty str, got {bad[0]!r}")
        if UNK in toks[1:]:
            raise ValueError(f"tokens: {UNK!r} may only come first (it is id 0)")
        if not toks or toks[0] != UNK:
            toks.insert(0, UNK)
        dup = [t for t, c in Counter(toks).items() if c > 1]
        if dup:
            raise ValueError(f"tokens: repeated token(s) {', '.join(map(repr, dup[:5]))}")
        if level == "char":
            long = [t for t in toks[1:] if len(t) != 1]
            if long:
                raise ValueError(f"tokens: a char-level vocabulary holds single characters, got {long[0]!r}")
        self._tokens = tuple(toks)
        self._ids = {t: i for i, t in enumerate(self._tokens)}
        self.counts = None if counts is None else dict(counts)

    # ------------------------------------------------------------------ building
    @classmethod
    def from_text(
        cls, text: str, level: str = "char", max_size: int | None = None, min_count: int = 1
    ) -> Vocabulary:
        """The vocabulary of ``text``: every token seen at least ``min_count`` times.

        max_size: at most this many ids in all, ``"<unk>"`` included (the
        ``max_size - 1`` most frequent tokens are kept; ties go to the token that
        sorts first, so the result never depends on hash order).
        Ids: 0 is ``"<unk>"``; then characters in code-point order (a one-hot
        axis reads like the alphabet), or words from the most to the least
        frequent (a word's id is its frequency rank).
        """
        text = _check_text("text", text)
        check_choice("level", level, LEVELS)
        min_count = int(check_positive("min_count", min_count, integer=True))
        if max_size is not None:
            max_size = int(check_positive("max_size", max_size, integer=True))
            if max_size < 2:
                raise ValueError(f"max_size: must be >= 2 (the unknown token and at least one other), got {max_size}")
        toks = list(text) if level == "char" else tokenize_words(text)
        if not toks:
            what = "no characters" if level == "char" else "no words or punctuation"
            raise ValueError(f"text: is empty ({what}); a vocabulary needs some text to count tokens in")
        counts = Counter(toks)
        counts.pop(UNK, None)
        kept = sorted((t for t, c in counts.items() if c >= min_count), key=lambda t: (-counts[t], t))
        if max_size is not None:
            kept = kept[: max_size - 1]
        if not kept:
            raise ValueError(f"min_count: no token occurs {min_count} times or more in text")
        if level == "char":
            kept.sort()
        return cls(kept, level, counts=counts)

    # ------------------------------------------------------------------ looking up
    @property
    def tokens(self) -> tuple[str, ...]:
        return self._tokens

    @property
    def unknown_id(self) -> int:
        return 0

    def __len__(self) -> int:
        return len(self._tokens)

    def __contains__(self, token: object) -> bool:
        return token in self._ids

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Vocabulary) and self.level == other.level and self._tokens == other._tokens

    def __hash__(self) -> int:
        return hash((self.level, self._tokens))

    def __repr__(self) -> str:
        shown = ", ".join(map(repr, self._tokens[:8])) + (", ..." if len(self) > 8 else "")
        return f"Vocabulary(level={self.level!r}, size={len(self)}, tokens=[{shown}])"

    def id_of(self, token: str, *, strict: bool = False) -> int:
        """The id of ``token``; ``unknown_id`` if absent (``strict=True``: ValueError)."""
        if not isinstance(token, str):
            raise TypeError(f"token: expected a str, got {type(token).__name__}")
        if token in self._ids:
            return self._ids[token]
        if strict:
            raise ValueError(f"token: {token!r} is not in the vocabulary ({len(self)} {self.level} tokens)")
        return 0

    def split(self, text: str) -> list[str]:
        """``text`` as this vocabulary's tokens: characters, or :func:`tokenize_words`."""
        text = _check_text("text", text)
        return list(text) if self.level == "char" else tokenize_words(text)

    # ------------------------------------------------------------------ encode / decode
    def encode(self, text: str | Sequence[str], *, strict: bool = False) -> np.ndarray:
        """Token ids (T,) int64 of ``text`` (a str, or a list of tokens already split).

        Tokens not in the vocabulary become ``unknown_id``; with ``strict=True``
        they raise a ValueError that lists them instead.
        """
        toks = self.split(text) if isinstance(text, str) else list(text)
        if not isinstance(text, str) and any(not isinstance(t, str) for t in toks):
            raise TypeError("text: expected a str or a list of str tokens")
        get = self._ids.get
        ids = np.fromiter((get(t, -1) for t in toks), dtype=np.int64, count=len(toks))
        missing = ids < 0
        if missing.any():
            if strict:
                unseen = list(dict.fromkeys(t for t, m in zip(toks, missing) if m))
                kind = "character" if self.level == "char" else "word"
                listed = ", ".join(map(repr, unseen[:10])) + (f" and {len(unseen) - 10} more" if len(unseen) > 10 else "")
                raise ValueError(
                    f"text: {len(unseen)} {kind}(s) not in the vocabulary: {listed} "
                    f"(strict=False maps them to {UNK!r})"
                )
            ids[missing] = 0
        return ids

    def decode(self, ids: object) -> str:
        """The text of token ids (T,): characters joined as they are, words with one space between."""
        if isinstance(ids, (list, tuple)) and not ids:
            return ""
        arr = as_index_array("ids", ids, ("T",), high=len(self), allow_empty=True)
        toks = [self._tokens[i] for i in arr.tolist()]
        return "".join(toks) if self.level == "char" else " ".join(toks)
