"""Shipped data and task generators (NumPy only): corpora, vocabularies, long-dependency tasks.

* :func:`load_corpus` / :func:`corpora`: small public-domain English texts for
  character- and word-level language models (provenance in ``SOURCES.md``);
* :class:`Vocabulary`: tokens <-> ids at the character or word level;
* task generators, each deterministic given an ``np.random.Generator``:
  :func:`word_order`, :func:`adding_problem` (+ :func:`adding_accuracy`),
  :func:`temporal_order`, :func:`latch_problem`, :func:`echo_task`, and the
  Mackey-Glass series :func:`mackey_glass` (+ :func:`next_step_pairs`).

>>> import numpy as np
>>> from rnnviz.data import adding_problem
>>> task = adding_problem(4, 20, rng=np.random.default_rng(0))
>>> task.X.shape[0], task.X.shape[2], task.y.shape
(4, 2, (4, 1))
"""

from .corpus import clean_text, corpora, load_corpus
from .tasks import (
    TEMPORAL_CLASSES,
    TEMPORAL_SYMBOLS,
    WORD_ORDER_CLASSES,
    AddingTask,
    EchoTask,
    LatchTask,
    SeriesTask,
    TemporalOrderTask,
    WordOrderTask,
    adding_accuracy,
    adding_problem,
    echo_task,
    latch_problem,
    mackey_glass,
    next_step_pairs,
    temporal_order,
    word_order,
)
from .vocab import UNK, Vocabulary, tokenize_words

__all__ = [name for name in dir() if not name.startswith("_") and name not in ("corpus", "tasks", "vocab")]
