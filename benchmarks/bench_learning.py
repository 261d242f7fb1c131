"""How fast does rnnviz *learn*? The two learning targets, measured on this machine.

1. **Character language model** on the shipped corpus (``load_corpus("alice")``):
   H = 128 hidden units, windows of T = 50 characters, N = 32 parallel streams
   (stateful truncated BPTT, Adam, norm clipping at 5). Target: within 30 s of
   training, a loss *clearly* below the unigram baseline -- the entropy of the
   training text's characters, the best any model that ignores context can do.
   "Clearly" is taken as at least 15 % below (baseline 3.16 nats -> 2.69). Reported:
   when the smoothed training loss crossed the baseline and the target, and the
   loss on held-out text (the last 10 % of the book, never trained on) at the end.
2. **Word order** (``rnnviz.data.word_order``): "the dog bit the man" vs "the man
   bit the dog", classes with the same bags of words. Target: the RNN reaches
   >= 95 % on held-out sentences in under 20 s, while bag-of-words logistic
   regression and an MLP, trained as long, stay within a few points of 50 %.
   Training stops as soon as a *validation* set (separate from the test set) is
   at >= 95 %; validation time counts in the 20 s.

Usage::

    python benchmarks/bench_learning.py                 # both parts
    python benchmarks/bench_learning.py --part lm --cell gru
    python benchmarks/bench_learning.py --json out.json

Timings depend on what else runs on the machine: the script prints the load
average and the steps per second beside each figure. It exits 1 if a target was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time

import numpy as np

import rnnviz as rv
from rnnviz.core.train import stop_when

try:
    from rnnviz.data import Vocabulary, load_corpus, word_order
except ImportError:  # pragma: no cover - rnnviz.data is part of the package now
    sys.exit("bench_learning needs rnnviz.data (load_corpus, Vocabulary, word_order)")


def machine() -> dict:
    load = os.getloadavg() if hasattr(os, "getloadavg") else (float("nan"),) * 3
    threads = {k: os.environ[k] for k in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS") if k in os.environ}
    return {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in load], "python": platform.python_version(),
            "numpy": np.__version__, "threads_env": threads}


# =========================================================================== 1. character language model
def bench_lm(seconds: float, cell: str, lr: float, hidden: int = 128, window: int = 50, batch: int = 32) -> dict:
    text = load_corpus("alice")
    split = int(0.9 * len(text))
    train_text, held_text = text[:split], text[split : split + 5000]
    vocab = Vocabulary.from_text(text, level="char")
    lm = rv.LanguageModel(vocab, hidden, cell=cell, rng=np.random.default_rng(0))
    baseline = lm.unigram_baseline(train_text)
    held_baseline = lm.unigram_baseline(held_text, reference=train_text)
    target = 0.85 * baseline
    crossed: dict = {}
    recent: list[float] = []

    def watch(record):
        recent.append(record.loss)
        del recent[:-20]
        smooth = float(np.mean(recent))
        if smooth < baseline and "baseline" not in crossed:
            crossed["baseline"] = (record.step, record.elapsed)
        if smooth < target and "target" not in crossed:
            crossed["target"] = (record.step, record.elapsed)

    print(f"\n== character LM: {cell}, H={hidden}, T={window}, N={batch}, Adam(lr={lr}), {seconds:g} s budget ==")
    print(f"corpus 'alice': {len(text)} chars, V={len(vocab)}; training on the first 90 %, held-out = next 5000 chars")
    result = lm.fit(train_text, steps=10**7, batch_size=batch, window=window, optimizer=rv.Adam(lr=lr),
                    clip=("norm", 5.0), callbacks=[watch, stop_when(seconds=seconds), rv.print_progress(every=100)])
    steps = len(result.history)
    elapsed = result.history[-1].elapsed if steps else 0.0
    train_loss = float(result.losses[-20:].mean()) if steps else float("nan")
    held = lm.loss(held_text)
    sample = lm.sample(240, prefix="Alice ", temperature=0.7, rng=np.random.default_rng(1))
    out = {
        "cell": cell, "lr": lr, "steps": steps, "seconds": round(elapsed, 2), "steps_per_second": round(steps / max(elapsed, 1e-9), 2),
        "unigram_baseline": round(baseline, 4), "target": round(target, 4),
        "train_loss_last20": round(train_loss, 4), "held_out_loss": round(held, 4),
        "held_out_unigram": round(held_baseline, 4), "held_out_perplexity": round(float(np.exp(held)), 3),
        "baseline_crossed_at": crossed.get("baseline"), "target_reached_at": crossed.get("target"),
        "stopped_reason": result.stopped_reason,
        "passed": bool(held < target and "target" in crossed and crossed["target"][1] <= seconds),
    }
    print(f"unigram baseline (training text entropy) {baseline:.3f} nats/char; target (15 % below) {target:.3f}")
    for key, label in (("baseline", "below the baseline"), ("target", "below the target")):
        at = crossed.get(key)
        print(f"  smoothed training loss {label}: " + (f"step {at[0]} after {at[1]:.1f} s" if at else "never"))
    print(f"after {steps} steps in {elapsed:.1f} s ({out['steps_per_second']} steps/s): training loss {train_loss:.3f}, "
          f"held-out loss {held:.3f} (perplexity {np.exp(held):.2f}; held-out unigram {held_baseline:.3f})")
    print(f"sample (temperature 0.7): {'Alice ' + sample!r}")
    print("PASS" if out["passed"] else "MISSED", "- character LM clearly below the unigram baseline within", seconds, "s")
    return out


# =========================================================================== 2. word order
def bench_word_order(seconds: float, cell: str, hidden: int, lr: float, check_every: int = 25) -> dict:
    train_task = word_order(2000, rng=np.random.default_rng(1))
    val_task = word_order(500, rng=np.random.default_rng(2))
    test_task = word_order(2000, rng=np.random.default_rng(3))
    V = len(train_task.vocab)
    print(f"\n== word order: V={V}, 2000 training / 500 validation / 2000 test sentences, {seconds:g} s budget ==")
    print("   e.g.", "; ".join(f"{s!r} -> {c}" for s, c in zip(train_task.sentences[:3], train_task.y[:3])))

    rnn = rv.rnn_classifier(V, 2, hidden, cell=cell, rng=np.random.default_rng(0))
    trace: list[tuple] = []

    def validate(record):
        if record.step % check_every == 0:
            acc = rnn.accuracy(val_task.X, val_task.mask, val_task.y)
            trace.append((record.step, round(record.elapsed, 2), acc))
            if acc >= 0.95:
                return f"validation accuracy {acc:.3f} >= 0.95 at step {record.step}"
        return None

    t0 = time.perf_counter()
    result = rnn.fit(train_task.X, train_task.mask, train_task.y, steps=10**7, batch_size=32, rng=np.random.default_rng(4),
                     optimizer=rv.Adam(lr=lr), callbacks=[validate, stop_when(seconds=seconds)])
    rnn_time = time.perf_counter() - t0
    rnn_steps = len(result.history)
    rnn_acc = rnn.accuracy(test_task.X, test_task.mask, test_task.y)
    print(f"RNN ({cell}, H={hidden}, Adam lr={lr}): {rnn_steps} steps in {rnn_time:.1f} s -> test accuracy {rnn_acc:.3f}")
    print("   validation trace (step, s, accuracy):", trace[-6:])
    print("  ", result.stopped_reason)

    bows = {}
    for name, kw in (("logistic", {}), ("mlp", {"hidden_size": 32})):
        bow = rv.bow_classifier(V, 2, rng=np.random.default_rng(0), **kw)
        t0 = time.perf_counter()
        r = bow.fit(train_task.X, train_task.mask, train_task.y, steps=max(rnn_steps, 200), batch_size=32,
                    rng=np.random.default_rng(4), optimizer=rv.Adam(lr=1e-2))
        acc_train = bow.accuracy(train_task.X, train_task.mask, train_task.y)
        acc = bow.accuracy(test_task.X, test_task.mask, test_task.y)
        bows[name] = {"steps": len(r.history), "seconds": round(time.perf_counter() - t0, 2), "train_accuracy": round(acc_train, 4),
                      "test_accuracy": round(acc, 4)}
        print(f"bag of words, {name}: {len(r.history)} steps -> train accuracy {acc_train:.3f}, test accuracy {acc:.3f} "
              f"(chance 0.5)")
    passed = rnn_acc >= 0.95 and rnn_time <= seconds and all(abs(b["test_accuracy"] - 0.5) <= 0.05 for b in bows.values())
    print("PASS" if passed else "MISSED", f"- RNN >= 95 % in under {seconds:g} s, bag of words within 5 points of chance")
    return {"cell": cell, "hidden": hidden, "lr": lr, "rnn_steps": rnn_steps, "rnn_seconds": round(rnn_time, 2),
            "rnn_test_accuracy": round(rnn_acc, 4), "validation_trace": trace, "bag_of_words": bows, "passed": bool(passed)}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--part", choices=("lm", "order", "all"), default="all")
    ap.add_argument("--cell", default="vanilla", help="cell of the character model (default vanilla)")
    ap.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate of the character model")
    ap.add_argument("--lm-seconds", type=float, default=30.0)
    ap.add_argument("--order-cell", default="vanilla")
    ap.add_argument("--order-hidden", type=int, default=32)
    ap.add_argument("--order-lr", type=float, default=1e-2)
    ap.add_argument("--order-seconds", type=float, default=20.0)
    ap.add_argument("--json", help="also write the figures to this file")
    args = ap.parse_args(argv)
    info = {"machine": machine()}
    print("machine:", info["machine"])
    if args.part in ("lm", "all"):
        info["lm"] = bench_lm(args.lm_seconds, args.cell, args.lr)
    if args.part in ("order", "all"):
        info["word_order"] = bench_word_order(args.order_seconds, args.order_cell, args.order_hidden, args.order_lr)
    info["machine_after"] = machine()["load_average"]
    if args.json:
        with open(args.json, "w") as f:
            json.dump(info, f, indent=2)
    ok = all(part["passed"] for key, part in info.items() if key in ("lm", "word_order"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
