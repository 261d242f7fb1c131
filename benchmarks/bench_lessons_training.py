"""How long does the live training behind a lesson's "Train" button take, and what does it reach?

Lesson 1 (``rnnviz.widgets.order.TrainProbeApp``): a bag-of-words classifier and an RNN
trained side by side on ``rnnviz.data.word_order``, held-out accuracy recorded during the run.
Targets: at the default settings both models train in a few seconds (the button must feel
live: the app starts untrained and a class watches the run), the RNN reaches >= 90 % held-out
accuracy for every seed, and the bag of words stays at 50 % (the held-out set is made of
mirror pairs). Also measured: the settings the widget tests use.

    python benchmarks/bench_lessons_training.py [--seeds 5] [--json out.json]

Timings depend on what else runs on the machine: the load average is printed beside them.
Exits 1 if a target was missed.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys

from rnnviz.widgets.order import TrainProbeApp

SETTINGS = {
    "defaults": {},
    "widget tests": {"train_size": 400, "steps": 160, "hidden_size": 16, "lr": 1e-2},
}
SECONDS = 5.0  # "a few seconds" for both models together


def bench_order(seeds: int) -> list[dict]:
    rows = []
    for label, kwargs in SETTINGS.items():
        runs = []
        for seed in range(seeds):
            app = TrainProbeApp(seed=seed, **kwargs)
            run = app.train()
            runs.append({"seed": seed, "seconds": round(run.seconds, 3), "rnn": run.rnn, "bow": run.bow,
                         "rnn_90_at_step": next((s for s, a in zip(run.curves["step"], run.curves["rnn"]) if a >= 0.9), None)})
        app = TrainProbeApp(**kwargs)
        row = {
            "settings": label,
            "train_size": app.train_size.value, "steps": app.steps.value, "hidden": app.hidden.value, "lr": app.lr.value,
            "median_seconds": round(statistics.median(r["seconds"] for r in runs), 3),
            "max_seconds": max(r["seconds"] for r in runs),
            "min_rnn": min(r["rnn"] for r in runs), "max_bow": max(r["bow"] for r in runs), "runs": runs,
        }
        row["passed"] = row["max_seconds"] <= SECONDS and row["min_rnn"] >= 0.9 and row["max_bow"] <= 0.65
        rows.append(row)
        print(f"lesson 1, {label} (N={row['train_size']}, {row['steps']} steps, p={row['hidden']}, lr={row['lr']:g}): "
              f"median {row['median_seconds']:.2f} s, max {row['max_seconds']:.2f} s over {seeds} seeds; "
              f"RNN held-out >= {row['min_rnn']:.3f}, bag of words <= {row['max_bow']:.3f} -> "
              f"{'PASS' if row['passed'] else 'MISSED'}")
        print("   RNN reached 90 % at steps:", [r["rnn_90_at_step"] for r in runs])
    return rows


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=5)
    ap.add_argument("--json")
    args = ap.parse_args(argv)
    load = [round(x, 2) for x in os.getloadavg()] if hasattr(os, "getloadavg") else None
    print(f"cpus {os.cpu_count()}, load average {load}")
    info = {"load_average": load, "lesson1": bench_order(args.seeds)}
    info["load_average_after"] = [round(x, 2) for x in os.getloadavg()] if load else None
    if args.json:
        with open(args.json, "w") as f:
            json.dump(info, f, indent=2)
    return 0 if all(r["passed"] for r in info["lesson1"]) else 1


if __name__ == "__main__":
    sys.exit(main())
