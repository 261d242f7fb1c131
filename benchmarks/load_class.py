"""A class opening the app at once: N concurrent browser sessions against one ``rnnviz app``.

Starts ``python -m rnnviz app --port <free> --pool-size 1 --cull-after 180`` on 127.0.0.1 (loopback
only), waits for the kernel pools, then opens ``--sessions`` (default 30) headless Chromium pages
at the same moment, spread over ``--browsers`` browser processes (default 3: 3 x 10 pages), each
page in its own browser context (an empty cache, like a student's browser), the lessons assigned
round-robin. Each session waits until its page is interactive (cells shown, every plotly figure
drawn). Reported: how many succeeded (and why any failed), time to ready median / p95 / max,
and the resident memory (``/proc`` RSS) of the server and its kernels, sampled every second, at
the peak. Then every page is closed and the number of kernels and their memory is polled until
the idle-kernel culler has brought it back near the baseline (the pooled kernels): the timeline
is printed.

Bounded: one global ``--timeout`` for the sessions and ``--reclaim-timeout`` for the culling; the
script stops by itself. The machine may be shared: the load average is printed.

    python benchmarks/load_class.py [--sessions 30] [--browsers 3] [--cull-after 180] [--json out.json]

``--cull-after`` must exceed the slowest page load, or the kernels of pages still loading are culled
(with 20, all 30 sessions were lost: benchmarks/README.md); the app refuses less than 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import threading
import time
from pathlib import Path

from bench_app import READY_JS, App, loadavg, memory, pct, wait_kernels_idle

from rnnviz._chromium import CHROMIUM, CHROMIUM_ARGS
from rnnviz.app import MIN_CULL_AFTER
from rnnviz.lessons import LESSONS

ERROR_MARKERS = ("Traceback", "Error executing", "There was an error when executing cell", "KernelError")


class Sampler(threading.Thread):
    """Memory of server + kernels every ``every`` seconds, in the background."""

    def __init__(self, pid: int, every: float = 1.0):
        super().__init__(daemon=True)
        self.pid, self.every, self.samples, self.stop = pid, every, [], threading.Event()
        self.t0 = time.monotonic()

    def run(self):
        while not self.stop.is_set():
            m = memory(self.pid)
            m["t"] = time.monotonic() - self.t0
            self.samples.append(m)
            self.stop.wait(self.every)


async def session(i: int, browser, url: str, deadline: float, results: list, pages: list):
    nb = LESSONS[i % len(LESSONS)].notebook
    res = {"session": i, "page": nb, "ok": False}
    results.append(res)
    t0 = time.monotonic()
    try:
        ctx = await browser.new_context(viewport={"width": 1400, "height": 1200})
        page = await ctx.new_page()
        pages.append(ctx)
        remaining_ms = max(1000, (deadline - time.monotonic()) * 1000)
        await page.goto(f"{url}/voila/render/{nb}", timeout=remaining_ms)
        remaining_ms = max(1000, (deadline - time.monotonic()) * 1000)
        await page.wait_for_function(READY_JS, arg=1, timeout=remaining_ms, polling=100)
        res["ready_s"] = time.monotonic() - t0
        text = await page.inner_text("body")
        bad = [m for m in ERROR_MARKERS if m in text]
        if bad:
            res["error"] = f"error text on the page: {bad}"
        else:
            res["ok"] = True
    except Exception as exc:  # noqa: BLE001  (reported, not raised: every failure is counted with its reason)
        res["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        res["after_s"] = time.monotonic() - t0


async def run_class(url: str, sessions: int, n_browsers: int, timeout: float):
    from playwright.async_api import async_playwright

    results: list[dict] = []
    contexts: list = []
    async with async_playwright() as pw:
        browsers = [await pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
                    for _ in range(n_browsers)]
        t_start = time.monotonic()
        deadline = t_start + timeout
        tasks = [session(i, browsers[i % n_browsers], url, deadline, results, contexts) for i in range(sessions)]
        try:
            await asyncio.wait_for(asyncio.gather(*tasks), timeout + 30)
        except asyncio.TimeoutError:
            pass
        t_all = time.monotonic() - t_start
        t_closed = time.monotonic()
        for b in browsers:  # closing the browsers closes every page: their websockets go away
            await b.close()
    return results, t_all, t_closed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=30, help="concurrent browser sessions (default 30)")
    ap.add_argument("--browsers", type=int, default=3, help="Chromium processes to spread them over (default 3)")
    ap.add_argument("--pool-size", type=int, default=1, help="rnnviz app --pool-size (default 1)")
    ap.add_argument("--cull-after", type=int, default=180,
                    help=f"rnnviz app --cull-after seconds (default 180, at least {MIN_CULL_AFTER}; above the "
                         "slowest page load seen under this load, ~125 s)")
    ap.add_argument("--timeout", type=float, default=600, help="global limit for all sessions to be ready (s)")
    ap.add_argument("--reclaim-timeout", type=float, default=300,
                    help="limit for the culling to finish after the pages close (s, default 300)")
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 100:
        raise SystemExit("--sessions: 1..100")
    if args.cull_after < MIN_CULL_AFTER:
        raise SystemExit(f"--cull-after: at least {MIN_CULL_AFTER} s (rnnviz app refuses less)")

    load0 = loadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}  load average at start: {load0}")
    with App(pool_size=args.pool_size, cull_after=args.cull_after) as app:
        t_fill = app.wait_filled(app.pools) + wait_kernels_idle(app.proc.pid)
        base = memory(app.proc.pid)
        print(f"server {' '.join(app.cmd[1:])}: pools filled and idle in {t_fill:.0f} s; baseline: server "
              f"{base['server_mb']:.0f} MB + {base['kernels']} kernels {base['kernels_mb']:.0f} MB = "
              f"{base['total_mb']:.0f} MB")
        sampler = Sampler(app.proc.pid)
        sampler.start()
        print(f"opening {args.sessions} sessions at once in {args.browsers} browsers ...", flush=True)
        results, t_all, t_closed = asyncio.run(run_class(app.url, args.sessions, args.browsers, args.timeout))
        t_closed -= sampler.t0
        load_peak = loadavg()
        during = [s for s in sampler.samples if s["t"] <= t_closed]
        peak = max(during, key=lambda s: s["total_mb"]) if during else memory(app.proc.pid)
        ok = [r for r in results if r["ok"]]
        ready = [r["ready_s"] for r in ok]
        print(f"\nsessions: {len(ok)}/{args.sessions} ready; all done in {t_all:.1f} s")
        if ready:
            print(f"time to ready: median {statistics.median(ready):.1f} s, p95 {pct(ready, 95):.1f} s, "
                  f"max {max(ready):.1f} s (min {min(ready):.1f} s)")
        per_page = {}
        for r in ok:
            per_page.setdefault(r["page"], []).append(r["ready_s"])
        for nb, xs in sorted(per_page.items()):
            print(f"  {nb:32s} n={len(xs):2d}  median {statistics.median(xs):5.1f} s  max {max(xs):5.1f} s")
        for r in results:
            if not r["ok"]:
                print(f"  FAILED session {r['session']} ({r['page']}): {r.get('error')}")
        print(f"peak memory while open: server {peak['server_mb']:.0f} MB + {peak['kernels']} kernels "
              f"{peak['kernels_mb']:.0f} MB = {peak['total_mb']:.0f} MB (at t={peak['t']:.0f} s); "
              f"max kernels {max((s['kernels'] for s in during), default=0)}")
        print(f"load average at the peak: {load_peak}")

        # the culling: poll until the kernels are back to the baseline (the pooled ones)
        print(f"\npages closed at t={t_closed:.0f} s; kernels with no connection are culled after "
              f"{args.cull_after} s idle:")
        print(f"{'t after close':>13s} {'kernels':>8s} {'kernels MB':>10s} {'server MB':>9s} {'total MB':>9s}")
        timeline = []
        t_end = time.monotonic() + args.reclaim_timeout
        last_print = -1e9
        reclaimed_at = None
        while time.monotonic() < t_end:
            m = memory(app.proc.pid)
            m["t"] = time.monotonic() - sampler.t0 - t_closed
            timeline.append(m)
            if m["t"] - last_print >= 5 or m["kernels"] <= base["kernels"]:
                print(f"{m['t']:12.0f}s {m['kernels']:8d} {m['kernels_mb']:10.0f} {m['server_mb']:9.0f} "
                      f"{m['total_mb']:9.0f}", flush=True)
                last_print = m["t"]
            if m["kernels"] <= base["kernels"]:
                reclaimed_at = m["t"]
                break
            time.sleep(1)
        sampler.stop.set()
        if reclaimed_at is not None:
            # a few more seconds: the pools refill after culling? the memory settles
            time.sleep(5)
            m = memory(app.proc.pid)
            m["t"] = time.monotonic() - sampler.t0 - t_closed
            timeline.append(m)
            print(f"{m['t']:12.0f}s {m['kernels']:8d} {m['kernels_mb']:10.0f} {m['server_mb']:9.0f} {m['total_mb']:9.0f}")
            print(f"kernels back to the baseline ({base['kernels']}) {reclaimed_at:.0f} s after the pages closed; "
                  f"total {m['total_mb']:.0f} MB vs {base['total_mb']:.0f} MB at the start "
                  f"(server {m['server_mb']:.0f} vs {base['server_mb']:.0f} MB)")
        else:
            print(f"NOT reclaimed within {args.reclaim_timeout:.0f} s: {timeline[-1]['kernels']} kernels "
                  f"(baseline {base['kernels']})")
        cmd = " ".join(app.cmd)
    load1 = loadavg()
    print(f"load average: start {load0}, at the peak {load_peak}, end {load1}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": cmd, "sessions": args.sessions,
            "browsers": args.browsers, "loadavg": [load0, load_peak, load1], "baseline": base, "results": results,
            "all_done_s": t_all, "peak": peak, "samples": sampler.samples, "timeline": timeline,
            "reclaimed_after_s": reclaimed_at}, indent=1))
    failed = len(results) - len(ok) + (args.sessions - len(results))
    return 1 if failed or reclaimed_at is None else 0


if __name__ == "__main__":
    raise SystemExit(main())
