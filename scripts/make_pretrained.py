"""Train the small character model of lesson 2 and save it as rnnviz/data/pretrained_char_rnn.npz.

    python scripts/make_pretrained.py            # a few minutes on one core

Deterministic: a fixed seed, the shipped corpus, one BLAS thread (set before NumPy is
imported, so the sums are done in the same order every run). The model is the chapter's
vanilla RNN, h_t = tanh(W_xh x_t + W_hh h_{t-1} + b_h), y_t = W_hy h_t + b_y, with p = 32
hidden units over the V characters of *Alice's Adventures in Wonderland*: small enough
that a student can read every number of a step, trained enough to predict well above
the unigram baseline. Training uses the first 90 % of the book; the last 10 % is held out.

The lesson reads a short sentence from h_0 = 0, so the model is trained the same way:
each example is a window of ``WINDOW`` characters at a random place in the text, read from
the zero state (a model trained only on carried states, as ``LanguageModel.fit`` does, is
lost for its first few characters after h_0 = 0: after "A" it expected capitals, not "l").

The file holds the vocabulary (``tokens``), the parameters under their chapter names
(``W_xh`` p x V, ``W_hh`` p x p, ``b_h`` p, ``W_hy`` V x p, ``b_y`` V), the unigram of the
training text, and the figures of the run (losses in nats per character).
"""

from __future__ import annotations

import hashlib
import os
import sys
import time
from pathlib import Path

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[_var] = "1"

import numpy as np  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import rnnviz as rv  # noqa: E402
from rnnviz.core.train import Trainer  # noqa: E402
from rnnviz.data import Vocabulary, load_corpus  # noqa: E402

OUT = ROOT / "rnnviz" / "data" / "pretrained_char_rnn.npz"
CORPUS = "alice"
HIDDEN = 32
SEED = 0
#: (optimizer steps, Adam learning rate): a fast phase, then a slower one to settle (about 4 minutes on one core)
SCHEDULE = ((3000, 1e-2), (1500, 3e-3))
BATCH, WINDOW, CLIP = 32, 64, 5.0


def random_windows(ids: np.ndarray, rng: np.random.Generator):
    """Batches of BATCH windows (inputs, next characters) at random places, forever."""
    while True:
        starts = rng.integers(0, ids.size - WINDOW - 1, BATCH)
        yield (np.stack([ids[s : s + WINDOW] for s in starts]), np.stack([ids[s + 1 : s + WINDOW + 1] for s in starts]))


def zero_start_loss(lm: rv.LanguageModel, text: str, length: int = 80) -> float:
    """Loss per character when the text is read in pieces of ``length`` characters, each from h_0 = 0 (as the app does)."""
    ids = lm.vocab.encode(text)
    total = count = 0
    for s in range(0, ids.size - length, length):
        piece = ids[s : s + length]
        fwd = lm.net.forward(lm.params, piece[None, :-1])
        total += rv.softmax_nll(fwd.Y, piece[None, 1:]).loss
        count += length - 1
    return total / count


def main() -> int:
    text = load_corpus(CORPUS)
    split = int(0.9 * len(text))
    train_text, held_text = text[:split], text[split:]
    vocab = Vocabulary.from_text(text, level="char")
    lm = rv.LanguageModel(vocab, HIDDEN, rng=np.random.default_rng(SEED))
    ids = vocab.encode(train_text)
    batches = random_windows(ids, np.random.default_rng(SEED + 1))
    start = time.perf_counter()
    params = lm.params
    for steps, lr in SCHEDULE:
        trainer = Trainer(lm.net, params, rv.Adam(lr=lr), clip=("norm", CLIP))  # mean loss per character
        params = trainer.run(batches, steps, callbacks=[rv.print_progress(every=500)]).params
    seconds = time.perf_counter() - start
    lm.params = params
    lm.unigram = np.bincount(ids, minlength=len(vocab)) / ids.size
    figures = {
        "train_loss": lm.loss(train_text),
        "heldout_loss": lm.loss(held_text),
        "unigram_train": lm.unigram_baseline(train_text),
        "unigram_heldout": lm.unigram_baseline(held_text, reference=train_text),
        "heldout_zero_start_loss": zero_start_loss(lm, held_text),
    }
    p = lm.params
    np.savez_compressed(
        OUT,
        tokens=np.array(vocab.tokens),
        W_xh=p["layer0.fwd.W_xh"], W_hh=p["layer0.fwd.W_hh"], b_h=p["layer0.fwd.b_h"],
        W_hy=p["out.W_hy"], b_y=p["out.b_y"],
        unigram=lm.unigram,
        corpus=np.array(CORPUS),
        corpus_sha256=np.array(hashlib.sha256(text.encode("utf-8")).hexdigest()),
        split=np.array(split),
        seed=np.array(SEED),
        window=np.array(WINDOW),
        schedule=np.array(SCHEDULE, dtype=float),
        **{k: np.array(v) for k, v in figures.items()},
    )
    print(f"trained in {seconds:.0f} s; " + ", ".join(f"{k} {v:.4f}" for k, v in figures.items()))
    print("sample:", repr(lm.sample(120, prefix="Alice ", temperature=0.7, rng=np.random.default_rng(1))))
    print(f"wrote {OUT.relative_to(ROOT)} ({OUT.stat().st_size / 1024:.0f} KB)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
