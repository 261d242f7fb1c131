"""Latency of the recomputation behind one control change, per lesson app (kernel side, no browser).

Builds every LessonApp found in rnnviz.widgets with its default sizes, moves each slider,
toggle and dropdown through a few values, and reports the median and max of
``app.last_update_ms`` (the time of the guarded handler: core math + figure update).
Goal (issue: the lessons): under 50 ms at the default sizes.

    python benchmarks/bench_widgets.py [--repeats 5] [--json out.json]
"""

from __future__ import annotations

import argparse
import importlib
import inspect
import json
import pkgutil
import statistics

import ipywidgets as W

import rnnviz.widgets
from rnnviz.widgets.base import LessonApp

CONTROLS = (W.IntSlider, W.FloatSlider, W.ToggleButtons, W.Dropdown, W.Checkbox, W.RadioButtons)


def apps():
    for info in pkgutil.iter_modules(rnnviz.widgets.__path__):
        mod = importlib.import_module(f"rnnviz.widgets.{info.name}")
        for name, cls in inspect.getmembers(mod, inspect.isclass):
            if (issubclass(cls, LessonApp) and cls is not LessonApp and cls.__module__ == mod.__name__
                    and not name.startswith("_")):
                yield f"{info.name}.{name}", cls


def candidates(control):
    if isinstance(control, (W.IntSlider, W.FloatSlider)):
        lo, hi = control.min, control.max
        return [lo + (hi - lo) * f for f in (0.25, 0.5, 0.75)]
    if isinstance(control, W.Checkbox):
        return [not control.value, control.value]
    return [o[1] if isinstance(o, tuple) else o for o in control.options]


def measure(cls, repeats: int):
    app = cls()
    times = {}
    for attr, control in vars(app).items():
        if not isinstance(control, CONTROLS) or control.disabled:
            continue
        samples = []
        original = control.value
        for _ in range(repeats):
            for value in candidates(control):
                if isinstance(control, W.IntSlider):
                    value = int(round(value))
                if value == control.value:
                    continue
                control.value = value
                samples.append(app.last_update_ms)
        control.value = original
        if samples:
            times[attr] = samples
    return times


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--json")
    args = ap.parse_args()
    rows = []
    print(f"{'app':<40} {'control':<18} {'median ms':>10} {'max ms':>8}  goal < 50 ms")
    for name, cls in apps():
        try:
            times = measure(cls, args.repeats)
        except Exception as exc:  # report, keep going
            print(f"{name:<40} could not be measured: {type(exc).__name__}: {exc}")
            continue
        for control, samples in times.items():
            med, worst = statistics.median(samples), max(samples)
            rows.append({"app": name, "control": control, "median_ms": med, "max_ms": worst, "n": len(samples)})
            print(f"{name:<40} {control:<18} {med:>10.1f} {worst:>8.1f}  {'ok' if med < 50 else 'SLOW'}")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(rows, f, indent=1)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
