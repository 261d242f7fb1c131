"""A class opening the app at once: N concurrent sessions against one ``rnnviz app``.

Starts ``python -m rnnviz app --port <free> --pool-size 1 --cull-after 180`` on 127.0.0.1 (loopback
only), waits for the kernel pools, then opens ``--sessions`` (default 30) pages at the same moment,
the lessons assigned round-robin, with one of two clients:

* ``--client ws`` (default): a light client in this process, no browser, so that the server and its
  kernels have the machine's cores (30 Chromium pages on the same 2 cores measured the browsers). Each
  session asks the server what a cold browser asks (see :func:`ws_session`): the lesson page, streamed;
  the resources the page names, gzip accepted (styles, voila.js, the favicon), each
  federated extension's remoteEntry and the kernel's model; then the kernel websocket in the v1 protocol
  the browser uses: ``kernel_info_request``, and the ipywidgets 8 manager's ``request_states`` on a
  ``jupyter.widget.control`` comm. Ready = everything answered, and the ``update_states`` reply holds the
  widgets the page's outputs display, with every view the apps declare (class ``rnnviz-views-N``; lesson 6's
  training view is empty until a run) and at least one with data; a page without its app output, or with
  an error output, is a failure. Not done: the ~90 webpack chunks voila.js and the extensions load at run
  time (a browser's cold lesson page receives 2.0-3.5 MB, this client ~0.5 MB), drawing, and the messages
  the views send back.
* ``--client browser``: headless Chromium pages spread over ``--browsers`` processes (default 3: 3 x 10
  pages), each in its own browser context (an empty cache and its own 6 connections to the server, like
  a student's browser). Ready = the page is interactive (``READY_JS``: cells shown, each app showing every
  view it declares) with no uncaught error in the page (``pageerror``: e.g. a widget model that failed to
  initialize, its figure missing). The browsers run under ``SCHED_IDLE`` (``--browser-priority idle``, the default: ``chrt
  --idle 0``; Chromium resets its own nice values, not the policy), so that they take only the CPU the
  server and its kernels leave, as if they ran on the students' machines. With ``normal``, 30 pages on
  2 cores left the single-threaded server ~4% of a core (~1 CPU-s per 25 s, 20-50 s waiting on the run
  queue); each request then took 10-50 s, a page's ~46 webpack chunks queued behind its 6 connections,
  and voila.js gave up on a chunk after webpack's 120 s ("Loading chunk N failed"): the page never
  opened its kernel's websocket (benchmarks/README.md, 2026-11-26 16:00-16:55).

``--lessons 02`` opens only lesson 2 (any lessons, round-robin); ``--throttle N`` slows every browser page's
scripts N times (CDP CPU throttling: a slow laptop). On a page with an explored view (a "Draw trajectory"
button and its plotly figure), each browser session then types a new sentence, presses the button and
waits up to 60 s for the figure to show it: an update lost in the browser is reported per page.

Reported: how many succeeded (and why any failed), time to ready median / p95 / max, and the resident
memory (``/proc`` RSS) of the server and its kernels, sampled every second, at the peak. Then every
page is closed (its websocket goes away) and the number of kernels and their memory is polled until
the idle-kernel culler has brought it back to the baseline (the pooled kernels) and none of the pages'
kernels is left (the light client reads them from the page, the browser from the page's websocket): the
timeline is printed.

Bounded: one global ``--timeout`` for the sessions and ``--reclaim-timeout`` for the culling; the
script stops by itself. The machine may be shared: the load average is printed. Runs take minutes: on a
shared machine, run it under the benchmark lock (``flock /tmp/rnnviz-bench.lock python ...``).

    python benchmarks/load_class.py [--sessions 30] [--client ws|browser] [--pool-size 1] [--cull-after 180]
                                    [--browsers 3] [--browser-priority idle|normal] [--lessons 02 ...]
                                    [--throttle N] [--json out.json]

``--cull-after`` must exceed the slowest page load, or the kernels of pages still loading are culled
(with 20, all 30 sessions were lost: benchmarks/README.md); the app refuses less than 60 s.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shlex
import shutil
import statistics
import tempfile
import threading
import time
import uuid
import zlib
from pathlib import Path

from bench_app import READY_JS, App, kernels, loadavg, memory, pct, wait_kernels_idle

from rnnviz._chromium import CHROMIUM, CHROMIUM_ARGS
from rnnviz.app import MIN_CULL_AFTER, cull_interval
from rnnviz.lessons import LESSONS
from rnnviz.viz.live import PLOTLY_JS_NAME
from rnnviz.widgets.base import VIEW_CLASS, VIEWS_PREFIX, count_views

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


def idle_chromium(folder: Path) -> str:
    """An executable in ``folder`` that runs Chromium under ``SCHED_IDLE`` (inherited by every process and
    thread it starts; Chromium changes its nice values, not the policy)."""
    chrt = shutil.which("chrt")
    if chrt is None:
        raise SystemExit("chrt (util-linux) not found: install it, or use --browser-priority normal")
    wrapper = folder / "chromium-idle"
    wrapper.write_text(f'#!/bin/sh\nexec {shlex.quote(chrt)} --idle 0 {shlex.quote(CHROMIUM)} "$@"\n')
    wrapper.chmod(0o755)
    return str(wrapper)


def chromium_policies() -> dict[str, int]:
    """Scheduling policies of the threads of the Chromium processes this script started: {"idle": n, "other": n}."""
    from bench_app import cmdline, descendants

    counts = {"idle": 0, "other": 0}
    for pid in descendants(os.getpid()):
        if "chromium" not in (cmdline(pid) or [""])[0]:
            continue
        try:
            tids = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for tid in tids:
            try:
                policy = int(Path(f"/proc/{pid}/task/{tid}/stat").read_text().rsplit(")", 1)[1].split()[38])
            except (OSError, IndexError, ValueError):
                continue
            counts["idle" if policy == os.SCHED_IDLE else "other"] += 1
    return counts


FIGURES_JS = """() => ({plotly: document.querySelectorAll('.js-plotly-plot').length,
    views: document.querySelectorAll('.rnnviz-app .rnnviz-view').length})"""

# an explored view (lesson 2's trajectory): a sentence box, a "Draw trajectory" button and a plotly figure
UPDATE_SENTENCE = "the cat sat"
EXPLORE_LABELS_JS = """() => { const el = document.querySelector('.rnnviz-app .js-plotly-plot');
    return el && el.data && el.data[0] ? Array.from(el.data[0].text || []).join('|') : null; }"""


def lesson_notebooks(chosen: list[str] | None) -> list[str]:
    """The notebooks the sessions open, round-robin: every lesson, or those whose number or name starts with one of
    ``chosen`` (``02``, ``2``, ``02-recurrent-cell.ipynb``)."""
    every = [ls.notebook for ls in LESSONS]
    if not chosen:
        return every
    picked = [nb for nb in every if any(nb.startswith(c.zfill(2)) or nb == c for c in chosen)]
    if not picked:
        raise SystemExit(f"--lessons {' '.join(chosen)}: no such lesson (have {', '.join(every)})")
    return picked


async def try_update(page, res: dict, deadline: float) -> None:
    """On a page with an explored view: type a new sentence, press the button, and time until the figure shows it
    (``update_s``), or say that it did not (``update_error``): a model that failed to initialize drops every update."""
    from rnnviz.viz.explore import point_label

    button = page.locator(".rnnviz-app button", has_text="Draw trajectory")
    if await button.count() == 0:
        return
    expected = "|".join(point_label(c, t) for t, c in enumerate(UPDATE_SENTENCE, 1))
    box = page.locator(".rnnviz-app:has(.js-plotly-plot) .widget-text input").first
    t1 = time.monotonic()
    try:
        await box.fill(UPDATE_SENTENCE)
        await button.first.click()
        await page.wait_for_function(f"() => ({EXPLORE_LABELS_JS})() === {json.dumps(expected)}",
                                     timeout=max(1000, min(60.0, deadline - time.monotonic()) * 1000), polling=100)
        res["update_s"] = time.monotonic() - t1
    except Exception as exc:  # noqa: BLE001  (reported)
        shown = await page.evaluate(EXPLORE_LABELS_JS)
        res["update_error"] = (f"{type(exc).__name__} after {time.monotonic() - t1:.1f} s; the figure shows "
                               f"{(shown or '')[:60]!r}")


async def browser_session(i: int, browser, url: str, deadline: float, results: list, pages: list,
                          notebooks: list[str], throttle: float = 1.0):
    nb = notebooks[i % len(notebooks)]
    res = {"session": i, "page": nb, "ok": False, "page_errors": []}
    results.append(res)
    t0 = time.monotonic()
    try:
        ctx = await browser.new_context(viewport={"width": 1400, "height": 1200})
        page = await ctx.new_page()
        pages.append(ctx)
        if throttle > 1:  # a slow laptop: Chromium runs this page's scripts `throttle` times slower
            cdp = await ctx.new_cdp_session(page)
            await cdp.send("Emulation.setCPUThrottlingRate", {"rate": throttle})
        # uncaught errors (voila.js giving up on a chunk, a widget model that failed to initialize) and the
        # moment the page opens its kernel's websocket: where a page that never gets ready stopped
        page.on("pageerror", lambda exc: res["page_errors"].append(
            f"{time.monotonic() - t0:.1f} s: {(str(exc).splitlines() or [''])[0][:200]}"))
        def on_websocket(ws):
            kernel = re.search(r"/api/kernels/([0-9a-f-]+)/channels", ws.url)
            if kernel and "websocket_s" not in res:
                res["websocket_s"], res["kernel_id"] = time.monotonic() - t0, kernel.group(1)

        page.on("websocket", on_websocket)
        remaining_ms = max(1000, (deadline - time.monotonic()) * 1000)
        await page.goto(f"{url}/voila/render/{nb}", timeout=remaining_ms)
        res["loaded_s"] = time.monotonic() - t0
        remaining_ms = max(1000, (deadline - time.monotonic()) * 1000)
        await page.wait_for_function(READY_JS, arg=1, timeout=remaining_ms, polling=100)
        res["ready_s"] = time.monotonic() - t0
        res["figures"] = await page.evaluate(FIGURES_JS)
        await try_update(page, res, deadline)
        text = await page.inner_text("body")
        bad = [m for m in ERROR_MARKERS if m in text]
        if bad:
            res["error"] = f"error text on the page: {bad}"
        elif res["page_errors"]:
            res["error"] = f"ready, but with errors in the page: {res['page_errors'][:2]}"
        else:
            res["ok"] = True
    except Exception as exc:  # noqa: BLE001  (reported, not raised: every failure is counted with its reason)
        res["error"] = f"{type(exc).__name__}: {str(exc).splitlines()[0][:300]}"
        if res["page_errors"]:
            res["error"] += f"; errors in the page: {res['page_errors'][:2]}"
        if "websocket_s" not in res:
            res["error"] += "; the page never opened its kernel's websocket"
        res["after_s"] = time.monotonic() - t0


async def run_class_browser(url: str, sessions: int, n_browsers: int, timeout: float, priority: str = "idle",
                            notebooks: list[str] | None = None, throttle: float = 1.0):
    from playwright.async_api import async_playwright

    results: list[dict] = []
    contexts: list = []
    with tempfile.TemporaryDirectory(prefix="rnnviz-load-") as tmp:
        executable = idle_chromium(Path(tmp)) if priority == "idle" else CHROMIUM
        async with async_playwright() as pw:
            browsers = [await pw.chromium.launch(executable_path=executable, headless=True, args=CHROMIUM_ARGS)
                        for _ in range(n_browsers)]
            policies = chromium_policies()
            print(f"  Chromium threads: {policies['idle']} SCHED_IDLE, {policies['other']} other "
                  f"(--browser-priority {priority})", flush=True)
            if priority == "idle" and (policies["other"] or not policies["idle"]):
                raise SystemExit("the browsers are not all under SCHED_IDLE")
            t_start = time.monotonic()
            deadline = t_start + timeout
            tasks = [browser_session(i, browsers[i % n_browsers], url, deadline, results, contexts,
                                     notebooks or lesson_notebooks(None), throttle) for i in range(sessions)]
            try:
                await asyncio.wait_for(asyncio.gather(*tasks), timeout + 30)
            except asyncio.TimeoutError:
                pass
            t_all = time.monotonic() - t_start
            t_closed = time.monotonic()
            for b in browsers:  # closing the browsers closes every page: their websockets go away
                await b.close()
    return results, t_all, t_closed


# ---------------------------------------------------------------------------- the light client (--client ws)

WS_PROTOCOL = "v1.kernel.websocket.jupyter.org"  # what JupyterLab's services (Voila's page) ask for
# same-origin resources a page names: stylesheets, module preloads, icons, scripts, dynamic imports
RESOURCE_RE = re.compile(r'<(?:link|script)\b[^>]*?\b(?:href|src)="(/[^/"][^"]*)"|\bimport\("(/[^/"][^"]*)"\)')
CONFIG_RE = re.compile(r'<script id="jupyter-config-data" type="application/json">(.*?)</script>', re.S)
OUTPUT_RE = re.compile(r'<script type="application/vnd.voila.cell-output\+json">(.*?)</script>', re.S)
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def ws_frame(channel: str, msg_type: str, session: str, content: dict,
             metadata: dict | None = None) -> tuple[str, bytes]:
    """A kernel message in the v1 websocket protocol (jupyter_server's ``serialize_msg_to_ws_v1``):
    8-byte little-endian offsets, then the channel name and the JSON parts. Returns (msg_id, frame)."""
    msg_id = uuid.uuid4().hex
    header = {"msg_id": msg_id, "msg_type": msg_type, "session": session, "username": "", "version": "5.3",
              "date": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    parts = [json.dumps(x).encode() for x in (header, {}, metadata or {}, content)]
    offsets = [8 * (len(parts) + 3), 8 * (len(parts) + 3) + len(channel)]
    for part in parts:
        offsets.append(offsets[-1] + len(part))
    head = b"".join(n.to_bytes(8, "little") for n in [len(offsets), *offsets])
    return msg_id, head + channel.encode() + b"".join(parts)


def ws_parse(frame: bytes) -> tuple[str, dict, dict, dict, list[bytes]]:
    """(channel, header, parent_header, content, buffers) of a v1 frame."""
    n = int.from_bytes(frame[:8], "little")
    offsets = [int.from_bytes(frame[8 * (i + 1):8 * (i + 2)], "little") for i in range(n)]
    channel = frame[offsets[0]:offsets[1]].decode()
    parts = [frame[offsets[i]:offsets[i + 1]] for i in range(1, n - 1)]
    header, parent, _metadata, content = (json.loads(x) for x in parts[:4])
    return channel, header, parent, content, parts[4:]


def app_figures(views: list[str], states: dict) -> tuple[list[str], int, int, int]:
    """The widget models the page's outputs display that are missing from ``states``, the figures
    reachable from those views (children, or any ``IPY_MODEL_`` reference: plotly figures, explored views whose
    figure is held by the model their ``_state_id`` names, and the views rnnviz draws itself as HTML, class
    ``rnnviz-view``), how many of them have data, and how many views the
    apps declare (class ``rnnviz-views-N``, as the browser's ``READY_JS`` reads it):
    (missing, figures, with data, declared)."""
    missing = [v for v in views if v not in states]
    seen, todo = set(), [v for v in views if v in states]
    while todo:
        model = todo.pop()
        if model in seen:
            continue
        seen.add(model)
        refs = re.findall(r'"IPY_MODEL_([^"]+)"', json.dumps(states[model].get("state", {})))
        todo += [r for r in refs if r in states]
    seen_states = [states[m].get("state", {}) for m in seen]
    figures = [st for st in seen_states if "_widget_data" in st]  # plotly FigureWidgets (no lesson has one)
    # explored views (ExploreFigure): the figure is held by the core model named in _state_id
    explored = [states.get(st["_state_id"], {}).get("state", {}).get("figure", {}) for st in seen_states
                if st.get("_state_id")]
    # views rnnviz draws itself (HTML widgets holding rnnviz-view elements; their data marks carry data-v)
    markups = [str(st.get("value", "")) for st in seen_states if VIEW_CLASS in str(st.get("value", ""))]
    declared = sum(int(c[len(VIEWS_PREFIX):]) for st in seen_states for c in st.get("_dom_classes", [])
                   if c.startswith(VIEWS_PREFIX) and c[len(VIEWS_PREFIX):].isdigit())
    return (missing, len(figures) + len(explored) + sum(count_views(m) for m in markups),
            sum(1 for f in figures if f["_widget_data"]) + sum(1 for f in explored if f.get("data"))
            + sum(count_views(m) for m in markups if "data-v=" in m),
            declared)


async def ws_session(i: int, http, url: str, deadline: float, results: list, sockets: list, notebooks: list[str]):
    """One student's page without a browser: what the browser asks of the server, in the same order.

    GET the lesson page (Voila streams it while the notebook runs); once its head has arrived, GET what the
    head names (styles, scripts, the icon), gzip accepted; once the
    page is complete, GET the rest it names (voila.js), each federated extension's remoteEntry and the
    kernel's model, and open the kernel's websocket (``kernelId`` from the page's ``jupyter-config-data``):
    kernel_info_request, then the ipywidgets 8 manager's ``request_states`` on a ``jupyter.widget.control``
    comm. Ready: every GET answered and the ``update_states`` reply holds the widgets that the page's
    outputs display, with every view the apps declare, at least one with data. The websocket stays open (an
    open page) until the caller closes it.
    """
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    nb = notebooks[i % len(notebooks)]
    res = {"session": i, "page": nb, "ok": False, "http_bytes": 0, "ws_bytes": 0, "requests": 0}
    results.append(res)
    t0 = time.monotonic()
    fetched: dict[str, asyncio.Task] = {}

    def left() -> float:
        return max(1.0, deadline - time.monotonic())

    async def get(path: str):
        response = await http.fetch(url + path, raise_error=False, decompress_response=False,
                                    headers={"Accept-Encoding": "gzip, deflate"},
                                    connect_timeout=left(), request_timeout=left())
        res["requests"] += 1
        res["http_bytes"] += len(response.body or b"")
        if path.endswith(PLOTLY_JS_NAME):
            res["plotly_bytes"] = len(response.body or b"")
        if response.code != 200:
            raise RuntimeError(f"GET {path}: HTTP {response.code}")

    def fetch_named(html: str):
        for m in RESOURCE_RE.finditer(html):
            path = m.group(1) or m.group(2)
            if path not in fetched:
                fetched[path] = asyncio.ensure_future(get(path))

    try:
        # the page, streamed: the head's resources are asked for as soon as the head is there
        raw, text, gunzip = [], [], None

        def on_chunk(chunk: bytes):
            nonlocal gunzip
            raw.append(chunk)
            if gunzip is None:
                gunzip = zlib.decompressobj(16 + zlib.MAX_WBITS) if chunk[:2] == b"\x1f\x8b" else False
            text.append((gunzip.decompress(chunk) if gunzip else chunk).decode("utf-8", "replace"))
            if "head" not in res and "</head>" in text[-1]:
                res["head"] = time.monotonic() - t0
                fetch_named("".join(text).split("</head>", 1)[0])

        page = await http.fetch(HTTPRequest(f"{url}/voila/render/{nb}", headers={"Accept-Encoding": "gzip, deflate"},
                                            decompress_response=False, streaming_callback=on_chunk,
                                            connect_timeout=left(), request_timeout=left()), raise_error=False)
        res["page_s"] = time.monotonic() - t0
        res["http_bytes"] += sum(map(len, raw))
        res["requests"] += 1
        html = "".join(text)
        if page.code != 200:
            raise RuntimeError(f"lesson page: HTTP {page.code}")
        outputs = [json.loads(o) for o in OUTPUT_RE.findall(html)]
        bad = [m for m in ERROR_MARKERS if any(m in json.dumps(o) for o in outputs)]
        bad += ["an error output"] * any(o.get("output_type") == "error" for o in outputs)
        if bad:
            raise RuntimeError(f"error text on the page: {bad}")
        views = [o["data"][WIDGET_VIEW]["model_id"] for o in outputs if WIDGET_VIEW in o.get("data", {})]
        if not views:
            raise RuntimeError(f"no widget output on the page (the app was not displayed; {len(outputs)} outputs)")
        config = json.loads(CONFIG_RE.search(html).group(1))
        kernel_id = res["kernel_id"] = config["kernelId"]
        fetch_named(html)
        for ext in config.get("federated_extensions", []):
            fetch_named(f'<script src="{config["fullLabextensionsUrl"]}/{ext["name"]}/{ext["load"]}">')
        fetched[f"/api/kernels/{kernel_id}"] = asyncio.ensure_future(get(f"/api/kernels/{kernel_id}"))

        # the kernel's websocket, as the page's widget manager uses it
        session = uuid.uuid4().hex
        ws_url = url.replace("http://", "ws://") + f"/api/kernels/{kernel_id}/channels?session_id={session}"
        ws = await asyncio.wait_for(websocket_connect(HTTPRequest(ws_url, connect_timeout=left()),
                                                      subprotocols=[WS_PROTOCOL], max_message_size=1 << 28), left())
        sockets.append(ws)
        if ws.selected_subprotocol != WS_PROTOCOL:
            raise RuntimeError(f"websocket protocol {ws.selected_subprotocol!r}, expected {WS_PROTOCOL}")

        async def receive(until) -> tuple:
            while True:
                frame = await asyncio.wait_for(ws.read_message(), left())
                if frame is None:
                    raise RuntimeError(f"websocket closed by the server ({ws.close_code} {ws.close_reason})")
                res["ws_bytes"] += len(frame)
                msg = ws_parse(frame)
                if until(*msg):
                    return msg

        async def send(msg_type: str, content: dict, metadata: dict | None = None) -> str:
            msg_id, frame = ws_frame("shell", msg_type, session, content, metadata)
            await ws.write_message(frame, binary=True)
            return msg_id

        info_id = await send("kernel_info_request", {})
        await receive(lambda ch, h, parent, c, b: parent.get("msg_id") == info_id
                      and h["msg_type"] == "kernel_info_reply")
        comm_id = uuid.uuid4().hex
        await send("comm_open", {"comm_id": comm_id, "target_name": "jupyter.widget.control", "data": {}},
                   {"version": "1.0.0"})
        await send("comm_msg", {"comm_id": comm_id, "data": {"method": "request_states"}})
        _, _, _, content, _ = await receive(
            lambda ch, h, parent, c, b: h["msg_type"] == "comm_msg" and c.get("comm_id") == comm_id
            and c.get("data", {}).get("method") == "update_states")
        res["states_s"] = time.monotonic() - t0
        await send("comm_close", {"comm_id": comm_id, "data": {}})  # as the widget manager does
        missing, figures, drawn, declared = app_figures(views, content["data"]["states"])
        res["figures"] = drawn
        if missing or not declared or figures < declared or not drawn:  # as READY_JS: all shown, and data
            raise RuntimeError(f"widget states without the app: {len(missing)} of {len(views)} displayed models "
                               f"missing, {drawn} of {figures} figures with data, {declared} declared by the apps")
        await asyncio.wait_for(asyncio.gather(*fetched.values()), left())
        res["ready_s"] = time.monotonic() - t0
        res["ok"] = True
    except Exception as exc:  # noqa: BLE001  (reported, not raised: every failure is counted with its reason)
        res["error"] = f"{type(exc).__name__}: {(str(exc).splitlines() or [''])[0][:300]}"
        res["after_s"] = time.monotonic() - t0
    finally:
        for task in fetched.values():
            task.cancel()


async def run_class_ws(url: str, sessions: int, timeout: float, notebooks: list[str] | None = None):
    from tornado.httpclient import AsyncHTTPClient

    http = AsyncHTTPClient(force_instance=True, max_clients=8 * sessions)
    results: list[dict] = []
    sockets: list = []
    t_start = time.monotonic()
    deadline = t_start + timeout
    try:
        await asyncio.wait_for(asyncio.gather(*(ws_session(i, http, url, deadline, results, sockets,
                                                           notebooks or lesson_notebooks(None))
                                                for i in range(sessions))), timeout + 30)
    except asyncio.TimeoutError:
        pass
    t_all = time.monotonic() - t_start
    t_closed = time.monotonic()
    for ws in sockets:  # every page closes: its websocket goes away
        ws.close()
    await asyncio.sleep(0.5)
    http.close()
    return results, t_all, t_closed


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sessions", type=int, default=30, help="concurrent sessions (default 30)")
    ap.add_argument("--client", choices=["ws", "browser"], default="ws",
                    help="ws: a light client that asks the server what a browser asks (default); "
                         "browser: headless Chromium pages")
    ap.add_argument("--browsers", type=int, default=3,
                    help="--client browser: Chromium processes to spread the pages over (default 3)")
    ap.add_argument("--browser-priority", choices=["idle", "normal"], default="idle",
                    help="--client browser: run Chromium under SCHED_IDLE, so that the server and its kernels keep "
                         "the CPU as if the browsers ran on other machines (default), or at normal priority")
    ap.add_argument("--lessons", nargs="+", metavar="N",
                    help="open only these lessons, round-robin (numbers such as 02, or notebook names; default: all)")
    ap.add_argument("--throttle", type=float, default=1.0,
                    help="--client browser: slow every page's scripts down this many times (CDP CPU throttling; "
                         "default 1: none)")
    ap.add_argument("--pool-size", type=int, default=1, help="rnnviz app --pool-size (default 1)")
    ap.add_argument("--cull-after", type=int, default=180,
                    help=f"rnnviz app --cull-after seconds (default 180, at least {MIN_CULL_AFTER}; above the "
                         "slowest page load seen before 2026-11-26 16:00, ~125 s; real browsers on the same 2 cores opened "
                         "their kernel's websocket up to ~195 s after the start: use 300 or more with --client browser)")
    ap.add_argument("--timeout", type=float, default=600, help="global limit for all sessions to be ready (s)")
    ap.add_argument("--reclaim-timeout", type=float, default=None,
                    help="limit for the culling to finish after the pages close (s, default: --cull-after plus "
                         "the culler's interval plus 120 s, since an idle kernel is shut down only at the first "
                         "culler pass after --cull-after seconds)")
    ap.add_argument("--json", help="write the results to this file")
    args = ap.parse_args(argv)
    if not 1 <= args.sessions <= 100:
        raise SystemExit("--sessions: 1..100")
    if args.cull_after < MIN_CULL_AFTER:
        raise SystemExit(f"--cull-after: at least {MIN_CULL_AFTER} s (rnnviz app refuses less)")
    notebooks = lesson_notebooks(args.lessons)
    if args.reclaim_timeout is None:
        args.reclaim_timeout = args.cull_after + cull_interval(args.cull_after) + 120

    load0 = loadavg()
    print(f"{time.strftime('%Y-%m-%d %H:%M:%S %Z')}  load average at start: {load0}")
    with App(pool_size=args.pool_size, cull_after=args.cull_after) as app:
        t_fill = app.wait_filled(app.pools) + wait_kernels_idle(app.proc.pid)
        base = memory(app.proc.pid)
        print(f"server {' '.join(app.cmd[1:])}: pools filled and idle in {t_fill:.0f} s; baseline: server "
              f"{base['server_mb']:.0f} MB + {base['kernels']} kernels {base['kernels_mb']:.0f} MB = "
              f"{base['total_mb']:.0f} MB; server log {app.log_path}")
        sampler = Sampler(app.proc.pid)
        sampler.start()
        if args.client == "browser":
            print(f"opening {args.sessions} sessions at once in {args.browsers} browsers ...", flush=True)
            results, t_all, t_closed = asyncio.run(
                run_class_browser(app.url, args.sessions, args.browsers, args.timeout, args.browser_priority,
                                  notebooks, args.throttle))
        else:
            print(f"opening {args.sessions} sessions at once with the light client (no browser) ...", flush=True)
            results, t_all, t_closed = asyncio.run(run_class_ws(app.url, args.sessions, args.timeout, notebooks))
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
        if args.client == "ws" and ok:
            stages = "  ".join(f"{name} {statistics.median(r[key] for r in ok):.1f} s" for name, key in
                               [("head", "head"), ("page complete", "page_s"), ("widget states", "states_s")])
            plotly_mb = statistics.median(r.get("plotly_bytes", 0) for r in ok) / 1e6
            plotly = f" (plotly bundle {plotly_mb:.2f} MB)" if plotly_mb else ""  # no page asks for it since fa5960c
            print(f"  medians of the ready sessions: {stages}; per session "
                  f"{statistics.median(r['requests'] for r in ok):.0f} GETs, "
                  f"{statistics.median(r['http_bytes'] for r in ok) / 1e6:.2f} MB HTTP{plotly} + "
                  f"{statistics.median(r['ws_bytes'] for r in ok) / 1e6:.2f} MB websocket")
        if args.client == "browser" and results:
            opened = [r["websocket_s"] for r in results if "websocket_s" in r]
            stages = [f"page loaded (load event) {statistics.median(r['loaded_s'] for r in results if 'loaded_s' in r):.1f} s"
                      ] if any("loaded_s" in r for r in results) else []
            if opened:
                stages.append(f"kernel websocket opened {statistics.median(opened):.1f} s")
            print(f"  medians: {', '.join(stages) or '-'}; {len(opened)}/{len(results)} pages opened their kernel's "
                  f"websocket; {sum(1 for r in results if r['page_errors'])} with errors in the page")
            counts: dict[str, dict] = {}
            for r in results:
                if "figures" in r:
                    f = r["figures"]
                    seen = counts.setdefault(r["page"], {})
                    key = (f["plotly"], f["views"])
                    seen[key] = seen.get(key, 0) + 1
            for nb, seen in sorted(counts.items()):  # pages of one lesson that differ: a figure missing
                print(f"  {nb:32s} figures when ready (plotly, rnnviz views) x pages: "
                      + ", ".join(f"{k} x{n}" for k, n in sorted(seen.items())))
            tried = [r for r in results if "update_s" in r or "update_error" in r]
            if tried:  # pages with an explored view: did a new sentence reach the figure after ready?
                done = [r["update_s"] for r in tried if "update_s" in r]
                print(f"  explored view updated after ready (new sentence, button): {len(done)}/{len(tried)} pages"
                      + (f", median {statistics.median(done):.1f} s, max {max(done):.1f} s" if done else ""))
                for r in tried:
                    if "update_error" in r:
                        print(f"    NOT updated: session {r['session']}: {r['update_error']}"
                              f"{'; page errors: ' + str(r['page_errors'][:1]) if r['page_errors'] else ''}")
        for r in results:
            if not r["ok"]:
                print(f"  FAILED session {r['session']} ({r['page']}): {r.get('error')}")
        print(f"peak memory while open: server {peak['server_mb']:.0f} MB + {peak['kernels']} kernels "
              f"{peak['kernels_mb']:.0f} MB = {peak['total_mb']:.0f} MB (at t={peak['t']:.0f} s); "
              f"max kernels {max((s['kernels'] for s in during), default=0)}")
        fewest = min((s["kernels"] for s in during), default=base["kernels"])
        if fewest < base["kernels"]:
            print(f"  kernels fell to {fewest} while the pages were open, below the {base['kernels']} pooled at the "
                  "start: the culler shut down kernels of open pages (see the server log)")
        print(f"load average at the peak: {load_peak}")

        # the culling: poll until the kernels are back to the baseline (the pooled ones) and none of the
        # sessions' kernels is left (the light client reads them from the page, the browser from its websocket)
        pages_kernels = {r["kernel_id"] for r in results if "kernel_id" in r}
        print(f"\npages closed at t={t_closed:.0f} s; kernels with no connection are culled after "
              f"{args.cull_after} s idle:")
        print(f"{'t after close':>13s} {'kernels':>8s} {'kernels MB':>10s} {'server MB':>9s} {'total MB':>9s} "
              f"{'pages kernels':>13s}")
        timeline = []
        t_end = time.monotonic() + args.reclaim_timeout
        last_print = -1e9
        reclaimed_at = None
        while time.monotonic() < t_end:
            m = memory(app.proc.pid)
            m["t"] = time.monotonic() - sampler.t0 - t_closed
            m["pages_kernels"] = len(pages_kernels & set(kernels(app.proc.pid)))
            timeline.append(m)
            done = m["kernels"] <= base["kernels"] and not m["pages_kernels"]
            if m["t"] - last_print >= 5 or done:
                print(f"{m['t']:12.0f}s {m['kernels']:8d} {m['kernels_mb']:10.0f} {m['server_mb']:9.0f} "
                      f"{m['total_mb']:9.0f} {m['pages_kernels'] if pages_kernels else '-':>13}", flush=True)
                last_print = m["t"]
            if done:
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
            print(f"kernels back to the baseline ({base['kernels']}"
                  f"{f', none of the {len(pages_kernels)} pages kernels' if pages_kernels else ''}) "
                  f"{reclaimed_at:.0f} s after the pages closed; "
                  f"total {m['total_mb']:.0f} MB vs {base['total_mb']:.0f} MB at the start "
                  f"(server {m['server_mb']:.0f} vs {base['server_mb']:.0f} MB)")
        else:
            print(f"NOT reclaimed within {args.reclaim_timeout:.0f} s: {timeline[-1]['kernels']} kernels "
                  f"(baseline {base['kernels']}), {timeline[-1]['pages_kernels']} of the pages' kernels")
        cmd = " ".join(app.cmd)
    load1 = loadavg()
    print(f"load average: start {load0}, at the peak {load_peak}, end {load1}")
    if args.json:
        Path(args.json).write_text(json.dumps({
            "date": time.strftime("%Y-%m-%dT%H:%M:%S%z"), "command": cmd, "sessions": args.sessions,
            "client": args.client, "browsers": args.browsers if args.client == "browser" else 0,
            "browser_priority": args.browser_priority if args.client == "browser" else None,
            "loadavg": [load0, load_peak, load1], "baseline": base, "results": results,
            "all_done_s": t_all, "peak": peak, "samples": sampler.samples, "timeline": timeline,
            "reclaimed_after_s": reclaimed_at}, indent=1))
    failed = len(results) - len(ok) + (args.sessions - len(results))
    return 1 if failed or reclaimed_at is None else 0


if __name__ == "__main__":
    raise SystemExit(main())
