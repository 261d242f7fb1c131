"""The classroom app (``rnnviz app``) seen from a student's browser, page by page.

Starts ``python -m rnnviz app --port <free> --pool-size 1`` on 127.0.0.1, waits until every
notebook's kernel pool is filled, then for each page (the index and the lessons of
``rnnviz.lessons.LESSONS``), in headless Debian Chromium (never ``playwright install``):

* **ready**: seconds from the request to an interactive page (cells shown, every plotly
  figure drawn, or a view rnnviz draws: class ``rnnviz-view``), first visit with an empty cache (``cold``) and a second visit in the same
  browser context (``warm``: plotly bundle cached), each served from a refilled kernel pool;
* **latency**: browser-side time from a key press on the first slider (``.noUi-handle``; ``--slider N`` for another,
  ArrowRight; ArrowLeft once the end is reached) to the first ``plotly_afterplot`` or to a
  change of a figure's data or of a view rnnviz draws itself (class ``rnnviz-view``, SVG/HTML),
  whichever comes first: median and p95 over ``--moves`` moves; and
  ``all p95``: to the *last* change of any figure or HTML read-out of the app within 1.5 s (lesson 2
  shows its step as an HTML table: the first redraw alone would not time it);
* **bytes** per session: HTTP bytes received (CDP ``encodedDataLength``, headers included)
  plus websocket frames received, cold and warm;
* **explored views** (a page with a "Draw trajectory" button): ``--moves`` draws, two sentences in turn,
  from the click to the figure showing the new sentence, median and p95;
* **RSS** (``/proc``): the server process, and the kernel of the page just visited (found by
  the kernel id in the page's websocket URL, matched to ``ipykernel_launcher -f kernel-<id>.json``
  among the server's descendants); its peak (``VmHWM``) too.

Goals printed beside the figures: page interactive < 5 s, interaction p95 < 150 ms, kernel < 200 MB.
The machine may be shared: the load average is printed at the start and the end.

    python benchmarks/bench_app.py [--pages index 01 04] [--moves 15] [--json out.json]
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from rnnviz._chromium import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from rnnviz.app import free_port  # noqa: E402
from rnnviz.lessons import LESSONS  # noqa: E402
from rnnviz.widgets.base import READY_JS  # noqa: E402,F401  (load_class imports it from here)

PAGES = ["index.ipynb"] + [ls.notebook for ls in LESSONS]
GOAL_READY_S = 5.0
GOAL_P95_MS = 150.0
GOAL_KERNEL_MB = 200.0
FILLED = "is filled with"

# ---------------------------------------------------------------------------- processes (/proc)


def _children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            stat = Path(f"/proc/{d}/stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        kids.setdefault(ppid, []).append(int(d))
    return kids


def descendants(pid: int) -> list[int]:
    kids, out, todo = _children_map(), [], [pid]
    while todo:
        p = todo.pop()
        for c in kids.get(p, []):
            out.append(c)
            todo.append(c)
    return out


def cmdline(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace").split("\0")
    except OSError:
        return []


def status_mb(pid: int, field: str = "VmRSS") -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(field + ":"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def kernels(server_pid: int) -> dict[str, int]:
    """Kernel id -> pid for every ``ipykernel_launcher`` below the server."""
    out = {}
    for pid in descendants(server_pid):
        cmd = cmdline(pid)
        if any("ipykernel_launcher" in c for c in cmd):
            m = re.search(r"kernel-([0-9a-f-]+)\.json", " ".join(cmd))
            out[m.group(1) if m else str(pid)] = pid
    return out


def memory(server_pid: int) -> dict:
    ks = kernels(server_pid)
    k_mb = [status_mb(p) for p in ks.values()]
    server = status_mb(server_pid)
    return {"server_mb": server, "kernels": len(ks), "kernels_mb": sum(k_mb), "total_mb": server + sum(k_mb)}


def cpu_s(pid: int) -> float:
    try:
        f = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(f[11]) + int(f[12])) / os.sysconf("SC_CLK_TCK")
    except OSError:
        return 0.0


def wait_kernels_idle(server_pid: int, *, quiet_s: float = 3.0, timeout: float = 300.0) -> float:
    """Wait until no kernel below the server used more than 0.1 CPU-s in ``quiet_s`` (pooled kernels
    run their notebook after the "is filled with" line); returns the seconds waited."""
    t0 = time.monotonic()
    while time.monotonic() - t0 < timeout:
        ks = kernels(server_pid).values()
        before = {p: cpu_s(p) for p in ks}
        time.sleep(quiet_s)
        if all(cpu_s(p) - c < 0.1 for p, c in before.items()):
            break
    return time.monotonic() - t0


def loadavg() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# ---------------------------------------------------------------------------- the server


class App:
    """``python -m rnnviz app`` on a free loopback port; ``wait_filled`` follows its kernel pools."""

    def __init__(self, *, pool_size: int = 1, cull_after: int | None = None, log_path: Path | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        cmd = [sys.executable, "-m", "rnnviz", "app", "--port", str(self.port), "--pool-size", str(pool_size)]
        if cull_after is not None:
            cmd += ["--cull-after", str(cull_after)]
        self.cmd = cmd
        self.log_path = log_path or Path(tempfile.mkstemp(prefix="rnnviz-app-", suffix=".log")[1])
        self.log = open(self.log_path, "w")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(cmd, stdout=self.log, stderr=subprocess.STDOUT, cwd=ROOT)
        self.pools = len(list((ROOT / "notebooks").glob("*.ipynb"))) if pool_size > 0 else 0

    def text(self) -> str:
        return self.log_path.read_text(errors="replace")

    def filled(self) -> int:
        return self.text().count(FILLED)

    def wait_filled(self, count: int, timeout: float = 300.0) -> float:
        """Wait until the log has ``count`` "is filled with" lines; returns the seconds waited."""
        t0 = time.monotonic()
        while self.filled() < count:
            if self.proc.poll() is not None:
                raise RuntimeError(f"rnnviz app exited with {self.proc.returncode}: {self.text()[-3000:]}")
            if time.monotonic() - t0 > timeout:
                raise RuntimeError(f"kernel pools: {self.filled()}/{count} fills in {timeout} s: {self.text()[-3000:]}")
            time.sleep(0.25)
        return time.monotonic() - t0

    def close(self):
        self.proc.terminate()
        try:
            self.proc.wait(20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()


# ---------------------------------------------------------------------------- the browser side

# a listener on every figure: the time of each plotly_afterplot, and of each key press
LISTEN_JS = """() => {
    window.__rv = {after: [], keys: []};
    document.addEventListener('keydown', () => window.__rv.keys.push(performance.now()), true);
    for (const el of document.querySelectorAll('.js-plotly-plot')) {
        if (el.on) el.on('plotly_afterplot', () => window.__rv.after.push(performance.now()));
    }
    window.__rvsig = () => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el =>
        JSON.stringify((el.data || []).map(t => [t.x, t.y, t.z, t.marker && t.marker.color, t.text]))
            .slice(0, 50000) + JSON.stringify(el.layout || {}).slice(0, 20000)).join('|')
        // the views rnnviz draws itself (SVG/HTML, class rnnviz-view) are figures too
        + Array.from(document.querySelectorAll('.rnnviz-app .rnnviz-view')).map(e => e.innerHTML).join('|');
    // what the app shows outside its figures: HTML read-outs (lesson 2's step table, summaries)
    window.__rvhtml = () => Array.from(document.querySelectorAll('.rnnviz-app .widget-html-content'))
        .map(e => e.innerHTML).join('|');
    return document.querySelectorAll('.js-plotly-plot').length; }"""

# start watching for a data change (polled every animation frame) after the next key press
ARM_JS = """settleMs => {
    const rv = window.__rv; rv.changed = null; rv.last = null; rv.sig0 = window.__rvsig();
    let sig = rv.sig0, html = window.__rvhtml();
    const nkeys = rv.keys.length;
    const poll = () => {
        if (rv.keys.length > nkeys) {
            const now = performance.now();
            if (now - rv.keys[nkeys] > settleMs) { rv.settled = true; return; }
            const s = window.__rvsig(), h = window.__rvhtml();
            if (rv.changed === null && s !== rv.sig0) rv.changed = now;
            if (s !== sig || h !== html) { rv.last = now; sig = s; html = h; }
        }
        rv.raf = requestAnimationFrame(poll);
    };
    rv.settled = false;
    rv.raf = requestAnimationFrame(poll);
    return nkeys; }"""

# the time from the key press to the last change of any figure or HTML read-out (null: nothing changed)
SETTLED_JS = """nkeys => { const rv = window.__rv;
    return rv.settled ? (rv.last === null ? -1 : rv.last - rv.keys[nkeys]) : null; }"""
#: how long after a key press changes are watched for the "all views updated" time (ms)
SETTLE_MS = 1500

RESULT_JS = """nkeys => {
    const rv = window.__rv;
    if (rv.keys.length <= nkeys) return null;
    const t0 = rv.keys[nkeys];
    const after = rv.after.filter(t => t > t0);
    const first = after.length ? after[0] : null;
    const cands = [first, rv.changed].filter(t => t !== null);
    return cands.length ? Math.min(...cands) - t0 : null; }"""


DIAG_JS = """() => ({keys: window.__rv.keys.length, afterplots: window.__rv.after.length,
    changed: window.__rv.changed, focused: (document.activeElement || {}).className,
    value: (document.querySelector('.widget-readout') || {}).textContent})"""


def launch(pw, *, headless: bool = True):
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} not found: apt-get install -y chromium")
    return pw.chromium.launch(executable_path=CHROMIUM, headless=headless, args=CHROMIUM_ARGS)


class Traffic:
    """Bytes received by one page: HTTP (CDP encodedDataLength) and websocket frames, and the kernel id."""

    def __init__(self, context, page):
        self.http = 0
        self.ws = 0
        self.ws_sent = 0
        self.kernel_ids: list[str] = []
        self.urls: dict[str, str] = {}
        self.sizes: dict[str, int] = {}
        self.cdp = context.new_cdp_session(page)
        self.cdp.send("Network.enable")
        self.cdp.on("Network.loadingFinished", self._finished)
        self.cdp.on("Network.webSocketFrameReceived", self._frame)
        self.cdp.on("Network.webSocketFrameSent", self._sent)
        self.cdp.on("Network.webSocketCreated", self._ws)
        self.cdp.on("Network.requestWillBeSent", self._req)

    def _req(self, ev):
        self.urls[ev["requestId"]] = ev["request"]["url"].split("?")[0]

    @staticmethod
    def _size(resp) -> int:
        data = resp.get("payloadData", "")
        return len(base64.b64decode(data)) if resp.get("opcode") == 2 else len(data.encode())

    def _finished(self, ev):
        n = int(ev.get("encodedDataLength", 0))
        self.http += n
        url = self.urls.get(ev["requestId"], "?")
        self.sizes[url] = self.sizes.get(url, 0) + n

    def largest(self, n: int = 4) -> list[tuple[str, int]]:
        return sorted(self.sizes.items(), key=lambda kv: -kv[1])[:n]

    def _frame(self, ev):
        self.ws += self._size(ev["response"])

    def _sent(self, ev):
        self.ws_sent += self._size(ev["response"])

    def _ws(self, ev):
        m = re.search(r"/api/kernels/([0-9a-f-]+)/channels", ev.get("url", ""))
        if m and m.group(1) not in self.kernel_ids:
            self.kernel_ids.append(m.group(1))

    def total(self) -> int:
        return self.http + self.ws


def open_page(context, url: str, timeout_s: float = 180.0):
    """A new page of ``context`` loading ``url``; returns (page, traffic, seconds to interactive)."""
    page = context.new_page()
    traffic = Traffic(context, page)
    t0 = time.monotonic()
    page.goto(url, timeout=timeout_s * 1000)
    # a lesson page is interactive once its figure exists and is drawn (without the minimum, the
    # check passed before the figure widget was created: seen 2026-11-26)
    min_plots = 0 if url.endswith("index.ipynb") else 1
    page.wait_for_function(READY_JS, arg=min_plots, timeout=timeout_s * 1000, polling=50)
    ready = time.monotonic() - t0
    page.wait_for_timeout(1000)  # late frames (comm messages after the first draw) still count as the session's
    return page, traffic, ready


def _direction(handle, key: str) -> str:
    """The arrow key that moves the slider: turn back at either end (read from the handle's aria values)."""
    try:
        now, low, high = (float(handle.get_attribute(a)) for a in ("aria-valuenow", "aria-valuemin", "aria-valuemax"))
    except (TypeError, ValueError):  # no aria values: keep the key, a miss turns it
        return key
    if now >= high:
        return "ArrowLeft"
    if now <= low:
        return "ArrowRight"
    return key


def interaction(page, moves: int, timeout_ms: int = 10_000, slider: int = 0) -> dict:
    """Move the first slider ``moves`` times; latency (ms) from each key press to the first redraw."""
    if page.locator(".noUi-handle").count() <= slider:
        return {"moves": 0, "latencies_ms": [], "all_views_ms": [], "missed": 0, "diagnosis": []}
    page.evaluate(LISTEN_JS)
    handle = page.locator(".noUi-handle").nth(slider)
    handle.focus()
    key, lat, allv, missed, turned, diag = "ArrowRight", [], [], 0, False, []
    for _ in range(moves):
        key = _direction(handle, key)
        nkeys = page.evaluate(ARM_JS, SETTLE_MS)
        handle.press(key)
        try:
            page.wait_for_function(RESULT_JS, arg=nkeys, timeout=timeout_ms, polling=20)
            lat.append(page.evaluate(RESULT_JS, nkeys))
            page.wait_for_function(SETTLED_JS, arg=nkeys, timeout=timeout_ms, polling=50)
            allv.append(max(page.evaluate(SETTLED_JS, nkeys), lat[-1]))
        except Exception:  # no redraw: the slider is at its end (or the page did not react)
            missed += 1
            diag.append(page.evaluate(DIAG_JS))
            if not turned:
                key, turned = "ArrowLeft", True
            if missed >= 3 and not lat:  # the page does not react: say why instead of waiting on
                break
        page.wait_for_timeout(250)  # let the other figures of this change finish, and the kernel go idle
    return {"moves": moves, "latencies_ms": lat, "all_views_ms": allv, "missed": missed, "diagnosis": diag[:3]}


#: an explored view (lesson 2's trajectory): its sentence box, its button, and the labels its plotly figure draws
EXPLORE_SENTENCES = ("the cat sat on the mat", "Down the hole")
EXPLORE_LABELS_JS = """() => { const el = document.querySelector('.rnnviz-app .js-plotly-plot');
    return el && el.data && el.data[0] ? Array.from(el.data[0].text || []).length : null; }"""


def explore(page, draws: int, timeout_ms: int = 10_000) -> list[float]:
    """On a page with an explored view: type a sentence and press its button ``draws`` times (two sentences in turn);
    milliseconds from the click to the figure showing the new sentence (its number of points), browser-side."""
    button = page.locator(".rnnviz-app button", has_text="Draw trajectory")
    if button.count() == 0:
        return []
    box = page.locator(".rnnviz-app:has(.js-plotly-plot) .widget-text input").first
    times = []
    for k in range(draws):
        text = EXPLORE_SENTENCES[k % 2]
        box.fill(text)
        page.wait_for_timeout(300)  # the typed text reaches the kernel before the click (as a student's would)
        t0 = page.evaluate("() => performance.now()")
        button.first.click()
        try:
            page.wait_for_function(f"() => ({EXPLORE_LABELS_JS})() === {len(text)}", timeout=timeout_ms, polling=10)
            times.append(page.evaluate("() => performance.now()") - t0)
        except Exception:  # noqa: BLE001  (a draw that never shows counts as missing)
            pass
        page.wait_for_timeout(400)  # the button drops clicks within 0.3 s of its last draw
    return times


def pct(xs, q):
    if not xs:
        return float("nan")
    xs = sorted(xs)
    return xs[min(len(xs) - 1, int(round(q / 100 * (len(xs) - 1))))]


def bench_page(app: App, browser, notebook: str, moves: int, slider: int = 0) -> dict:
    url = f"{app.url}/voila/render/{notebook}"
    context = browser.new_context(viewport={"width": 1400, "height": 1600})
    res = {"page": notebook}
    try:
        fills = app.filled()
        page, cold, res["ready_cold_s"] = open_page(context, url)
        res["errors"] = [m for m in ("Traceback", "Error executing", "KernelError") if m in page.inner_text("body")]
        res["refill_wait_s"] = app.wait_filled(fills + 1)  # the pool refills before anything is measured
        res["refill_wait_s"] += wait_kernels_idle(app.proc.pid)
        inter = interaction(page, moves, slider=slider)
        res.update(moves=inter["moves"], missed=inter["missed"], diagnosis=inter.get("diagnosis"), latencies_ms=[round(x, 1) for x in inter["latencies_ms"]])
        res["latency_median_ms"] = statistics.median(inter["latencies_ms"]) if inter["latencies_ms"] else None
        res["latency_p95_ms"] = pct(inter["latencies_ms"], 95) if inter["latencies_ms"] else None
        res["all_views_ms"] = [round(x, 1) for x in inter["all_views_ms"]]
        res["all_views_p95_ms"] = pct(inter["all_views_ms"], 95) if inter["all_views_ms"] else None
        drawn = explore(page, moves)
        if drawn:  # an explored view: click to redrawn, and how many draws never showed
            res["explore_draw_ms"] = [round(x, 1) for x in drawn]
            res["explore_missed"] = moves - len(drawn)
        res["bytes_cold"] = cold.total()
        res["bytes_cold_http"], res["bytes_cold_ws"] = cold.http, cold.ws
        res["largest_cold"] = [(re.sub(r"^https?://[^/]+", "", u), b) for u, b in cold.largest()]
        ks = kernels(app.proc.pid)
        kid = next((k for k in cold.kernel_ids if k in ks), None)
        res["kernel_id"] = kid
        res["kernel_rss_mb"] = status_mb(ks[kid]) if kid else None
        res["kernel_peak_mb"] = status_mb(ks[kid], "VmHWM") if kid else None
        res["server_rss_mb"] = status_mb(app.proc.pid)
        page.close()
        fills = app.filled()
        wait_kernels_idle(app.proc.pid)
        page, warm, res["ready_warm_s"] = open_page(context, url)
        res["bytes_warm"] = warm.total()
        res["bytes_warm_http"], res["bytes_warm_ws"] = warm.http, warm.ws
        page.close()
        app.wait_filled(fills + 1)
        wait_kernels_idle(app.proc.pid)
    finally:
        context.close()
    return res


def fmt(x, spec=".1f", none="-"):
    return none if x is None or x != x else format(x, spec)


def table(rows: list[dict]) -> str:
    head = (f"{'page':32s} {'ready cold':>10s} {'warm':>6s} {'lat med':>8s} {'p95':>6s} {'all p95':>7s} {'n':>3s} "
            f"{'MB cold':>8s} {'warm':>6s} {'kernel MB':>9s} {'peak':>6s} {'server MB':>9s}  misses goal")
    out = [head, "-" * len(head)]
    for r in rows:
        miss = []
        if r["ready_cold_s"] > GOAL_READY_S:
            miss.append("ready")
        if max(r.get("latency_p95_ms") or 0, r.get("all_views_p95_ms") or 0) > GOAL_P95_MS:
            miss.append("latency")
        if r.get("kernel_rss_mb") and r["kernel_rss_mb"] > GOAL_KERNEL_MB:
            miss.append("kernel")
        out.append(
            f"{r['page']:32s} {fmt(r['ready_cold_s'], '.2f'):>10s} {fmt(r['ready_warm_s'], '.2f'):>6s} "
            f"{fmt(r.get('latency_median_ms'), '.0f'):>8s} {fmt(r.get('latency_p95_ms'), '.0f'):>6s} "
            f"{fmt(r.get('all_views_p95_ms'), '.0f'):>7s} {len(r.get('latencies_ms', [])):>3d} {r['bytes_cold'] / 1e6:8.2f} {r['bytes_warm'] / 1e6:6.2f} "
            f"{fmt(r.get('kernel_rss_mb'), '.0f'):>9s} {fmt(r.get('kernel_peak_mb'), '.0f'):>6s} "
            f"{r['server_rss_mb']:9.0f}  {', '.join(miss) or 'ok'}"
            + (f"  ERRORS {r['errors']}" if r.get("errors") else "")
        )
    return "\n".join(out)


def pick_pages(names: list[str] | None) -> list[str]:
    if not names:
        return PAGES
    out = []
    for n in names:
        hits = [p for p in PAGES if p == n or p.startswith(n) or Path(p).stem == n]
        if not hits:
            raise SystemExit(f"--pages: no page matches {n!r}; pages: {', '.join(PAGES)}")
        out += [h for h in hits if h not in out]
    return out


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--pages", nargs="+", help="pages to measure: index, 01, 02-recurrent-cell, ... (default: all)")
    ap.add_argument("--moves", type=int, default=15, help="slider moves per page (default 15)")
    ap.add_argument("--slider", type=int, default=0,
                    help="which slider of the page to move, 0 = the first (lesson 4: 0 = training steps, 1 = t)")
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)
    pages = pick_pages(args.pages)

    from playwright.sync_api import sync_playwright

    load0 = loadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}  load average at start: {load0}  ({os.cpu_count()} cores)")
    with App(pool_size=1) as app:
        t_fill = app.wait_filled(app.pools)
        t_fill += wait_kernels_idle(app.proc.pid)
        base = memory(app.proc.pid)
        print(f"server {' '.join(app.cmd[1:])}: {app.pools} kernel pools filled and idle in {t_fill:.0f} s; "
              f"server {base['server_mb']:.0f} MB, {base['kernels']} pooled kernels {base['kernels_mb']:.0f} MB")
        rows = []
        with sync_playwright() as pw:
            browser = launch(pw)
            try:
                for nb in pages:
                    r = bench_page(app, browser, nb, args.moves, args.slider)
                    r["loadavg"] = loadavg()
                    rows.append(r)
                    print(f"  {nb}: ready {r['ready_cold_s']:.2f} s cold / {r['ready_warm_s']:.2f} s warm, "
                          f"latency median {fmt(r.get('latency_median_ms'), '.0f')} ms p95 "
                          f"{fmt(r.get('latency_p95_ms'), '.0f')} ms ({len(r['latencies_ms'])}/{r['moves']} moves), "
                          f"load {r['loadavg']}", flush=True)
                    if r.get("diagnosis") and not r["latencies_ms"]:
                        print(f"    no redraw seen after a key press: {r['diagnosis'][0]}")
                    print("    largest cold downloads: " + ", ".join(f"{u} {b / 1e6:.2f} MB" for u, b in r["largest_cold"]))
            finally:
                browser.close()
        end = memory(app.proc.pid)
    load1 = loadavg()
    print()
    print(table(rows))
    for r in rows:
        if r.get("explore_draw_ms"):
            d = r["explore_draw_ms"]
            print(f"{r['page']}: explored view, button to redrawn {statistics.median(d):.0f} ms median, "
                  f"{pct(d, 95):.0f} ms p95 over {len(d)} draws ({r['explore_missed']} never shown)")
    print(f"\ngoals: page interactive < {GOAL_READY_S:.0f} s (cold), interaction p95 < {GOAL_P95_MS:.0f} ms, "
          f"kernel < {GOAL_KERNEL_MB:.0f} MB RSS.  MB = 10^6 bytes received (HTTP incl. headers + websocket frames).")
    print(f"server at the end: {end['server_mb']:.0f} MB RSS, {end['kernels']} kernels {end['kernels_mb']:.0f} MB")
    print(f"load average: start {load0}, end {load1}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": " ".join(app.cmd), "loadavg_start": load0,
            "loadavg_end": load1, "pools_filled_s": t_fill, "baseline": base, "end": end, "pages": rows,
            "goals": {"ready_s": GOAL_READY_S, "p95_ms": GOAL_P95_MS, "kernel_mb": GOAL_KERNEL_MB}}, indent=1))
    return 1 if any(r.get("errors") for r in rows) else 0


if __name__ == "__main__":
    raise SystemExit(main())
