"""Small public-domain English texts shipped with the package, for language models in class.

Two texts, both well under 200 KB so a character-level model sees the whole of one
in a few seconds of NumPy (provenance and why each is public domain:
``rnnviz/data/SOURCES.md``):

==================  ==========================================================  =========
name                text                                                        size
==================  ==========================================================  =========
``"alice"``         Lewis Carroll, *Alice's Adventures in Wonderland* (1865),   ~143 KB
                    complete (Project Gutenberg's Millennium Fulcrum Edition)
``"paradise_lost"`` John Milton, *Paradise Lost* (1674), Book I only (verse)    ~34 KB
==================  ==========================================================  =========

>>> text = load_corpus("alice")
>>> text[:32]
"ALICE'S ADVENTURES IN WONDERLAND"
>>> sorted(corpora())
['alice', 'paradise_lost']

Nothing is downloaded: the texts are files inside the package. :func:`clean_text`
is the light cleaning they went through, reusable on any text a teacher brings.
"""

from __future__ import annotations

import re
from functools import lru_cache
from importlib import resources

__all__ = ["clean_text", "corpora", "load_corpus"]

_CORPORA = {
    "alice": "Lewis Carroll, Alice's Adventures in Wonderland (1865), complete; prose with dialogue",
    "paradise_lost": "John Milton, Paradise Lost (1674), Book I; blank verse, one line of verse per line",
}

# Typographic quotes and the backtick used as an opening quote in early
# Project Gutenberg texts, folded to plain ASCII quotes.
_QUOTES = str.maketrans({"`": "'", "\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\t": " "})


def corpora() -> dict[str, str]:
    """The shipped texts: name -> one-line description (iterate it for the names)."""
    return dict(_CORPORA)


@lru_cache(maxsize=None)
def _read(name: str) -> str:
    return resources.files(__package__).joinpath(f"{name}.txt").read_text(encoding="utf-8")


def load_corpus(name: str = "alice") -> str:
    """The text of a shipped corpus as one string (``\\n`` line ends, paragraphs split by one blank line).

    ``name`` is one of :func:`corpora`; see the module docstring for what each is.
    """
    if not isinstance(name, str) or name not in _CORPORA:
        raise ValueError(f"name: unknown corpus {name!r}; expected one of {', '.join(map(repr, _CORPORA))}")
    return _read(name)


def clean_text(text: str) -> str:
    """Light cleaning for a plain-text book: what the shipped corpora went through.

    * line ends normalized to ``\\n``; the DOS end-of-file mark (``\\x1a``) removed;
    * tabs become spaces; typographic quotes and the backtick opening quote become
      ``'`` and ``"``;
    * each line stripped of leading and trailing spaces, runs of spaces inside a
      line collapsed to one (old e-texts put two after a full stop);
    * runs of blank lines collapsed to one blank line; the text ends with one ``\\n``.

    Words, spelling and punctuation are left as they are.

    >>> clean_text("  `Oh dear!  Oh dear!'\\r\\n\\r\\n\\r\\n  I shall be late!\\r\\n")
    "'Oh dear! Oh dear!'\\n\\nI shall be late!\\n"
    """
    if not isinstance(text, str):
        raise TypeError(f"text: expected a str, got {type(text).__name__}")
    text = text.replace("\r\n", "\n").replace("\r", "\n").replace("\x1a", "").translate(_QUOTES)
    lines = [re.sub(r" {2,}", " ", line.strip(" ")) for line in text.split("\n")]
    text = "\n".join(lines).strip("\n")
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text + "\n" if text else ""
