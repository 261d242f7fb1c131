"""Start JupyterHub with the class set-up on this machine, log in as a student, and check what they get.

    python deploy/try_hub.py [--user student1] [--screenshots artifacts] [--keep-running]

Needs, in the Python that runs it: jupyterhub, jupyterhub-idle-culler, requests, rnnviz with its app
extras (``pip install -e '.[app]' jupyterhub jupyterhub-idle-culler``), and ``configurable-http-proxy``
on PATH (``npm install -g configurable-http-proxy``). Screenshots also need playwright and Debian's
/usr/bin/chromium (never ``playwright install``).

What it does, every wait bounded:

1. starts ``jupyterhub -f deploy/jupyterhub_config_local.py`` on free loopback ports, its state
   (database, cookie secret, user homes, log) in a fresh temporary folder;
2. logs in through the hub's login form with plain HTTP requests, follows the redirects to the
   student's new server and checks it lands on ``/user/<name>/voila/render/notebooks/index.ipynb``
   and that the page holds the lesson cards;
3. opens every lesson the index links to that exists, checks each renders without an error marker;
4. checks the user server got the classroom settings (kernel culling, executor timeout) and that
   the idle-culler service runs; reports the memory of the user's server and kernels;
5. with ``--screenshots DIR``: logs in again in headless Chromium and saves the index and one
   lesson as PNGs;
6. stops the hub (which stops the user servers and the proxy) and anything left in its process group.

Exit status 0 when every check passed.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import urljoin

from rnnviz._chromium import chromium_page
from rnnviz.app import free_port
from rnnviz.widgets.base import READY_JS

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
LANDING = "voila/render/notebooks/index.ipynb"
ERROR_MARKERS = ("Traceback", "There was an error when executing cell", "KernelError", "Error executing")


class Checks:
    def __init__(self):
        self.failed = 0

    def __call__(self, ok: bool, what: str, detail: str = "") -> bool:
        print(f"[{'ok' if ok else 'FAIL'}] {what}" + (f": {detail}" if detail else ""), flush=True)
        self.failed += not ok
        return ok


def wait_for(predicate, timeout: float, step: float = 0.5):
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(step)


def rss_mb(pid: int) -> float:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def descendants(pid: int) -> list[tuple[int, str]]:
    """(pid, command line) of every process below ``pid``."""
    out = subprocess.run(["ps", "-e", "-o", "pid=,ppid=,args="], capture_output=True, text=True).stdout
    children: dict[int, list[tuple[int, str]]] = {}
    for line in out.splitlines():
        parts = line.split(None, 2)
        if len(parts) >= 2:
            children.setdefault(int(parts[1]), []).append((int(parts[0]), parts[2] if len(parts) == 3 else ""))
    found, todo = [], [pid]
    while todo:
        for child in children.get(todo.pop(), []):
            found.append(child)
            todo.append(child[0])
    return found


def get(session, url: str, total: float):
    """GET ``url`` and read the whole body within ``total`` seconds (a streamed page can outlast any
    per-read timeout); raises TimeoutError past it."""
    deadline = time.monotonic() + total
    r = session.get(url, timeout=min(total, 60), stream=True)
    body = bytearray()
    for chunk in r.iter_content(64 * 1024):
        body += chunk
        if time.monotonic() > deadline:
            r.close()
            raise TimeoutError(f"GET {url}: no complete answer within {total:.0f} s")
    r._content = bytes(body)  # so r.text works as usual
    return r


def login(session, hub: str, user: str):
    """Log in through the hub's form and ask for the user's server; returns the login response."""
    page = session.get(f"{hub}/hub/login", timeout=30)
    xsrf = session.cookies.get("_xsrf") or ""
    m = re.search(r'name="_xsrf"\s+value="([^"]+)"', page.text)
    if m:
        xsrf = m.group(1)
    r = session.post(f"{hub}/hub/login?next=", data={"username": user, "password": "any", "_xsrf": xsrf},
                     timeout=60, allow_redirects=False)
    if r.status_code == 302:
        session.get(f"{hub}/hub/spawn", timeout=60, allow_redirects=False)  # starts the server, as the browser would
    return r


def browser():
    """A Playwright page in headless Debian Chromium with a fresh profile (never `playwright install`)."""
    return chromium_page((1400, 1000))


def look_at_index_and_lesson(page, out: Path, prefix: str, lesson: str | None, check: Checks) -> None:
    """On a loaded Voila index: check the cards and the typeset math, save a PNG; then open ``lesson``
    from its card, wait for its figures and save a PNG of the first one in view."""
    out.mkdir(parents=True, exist_ok=True)
    page.wait_for_selector(".rnnviz-card", timeout=120_000)
    cards = page.eval_on_selector_all("a.rnnviz-card", "els => els.map(e => e.getAttribute('href'))")
    check(len(cards) > 0, "browser: the index shows the lesson cards", ", ".join(cards))
    try:  # MathJax 3 output elements; bounded wait
        page.wait_for_function("document.querySelectorAll('mjx-container').length > 0", timeout=20_000)
        math = True
    except Exception:  # noqa: BLE001  (playwright's TimeoutError)
        math = False
    check(math, "browser: the index's formulas are typeset (MathJax, without a CDN)")
    index_png = out / f"{prefix}-index.png"
    page.screenshot(path=str(index_png))
    print(f"     screenshot {index_png}", flush=True)
    if not lesson:
        return
    page.click(f'a.rnnviz-card[href="{lesson}"]')
    page.wait_for_url(re.compile(".*" + re.escape(lesson) + ".*"), timeout=60_000)
    t0 = time.monotonic()
    # every app shows the figures and views it declares (rnnviz.widgets.base.READY_JS)
    page.wait_for_function(READY_JS, arg=1, timeout=180_000)
    page.wait_for_timeout(1000)  # let the last redraw settle
    bad = [m for m in ERROR_MARKERS if m in page.inner_text("body")]
    plots = page.eval_on_selector_all(".js-plotly-plot, .rnnviz-app .rnnviz-view", "els => els.length")
    check(not bad, f"browser: {lesson} opened from its card and drew {plots} figure(s)",
          f"{time.monotonic() - t0:.1f} s" + (f", error markers {bad}" if bad else ""))
    page.locator(".rnnviz-app .rnnviz-view, .js-plotly-plot").first.scroll_into_view_if_needed()
    lesson_png = out / f"{prefix}-{Path(lesson).stem}.png"
    page.screenshot(path=str(lesson_png))
    print(f"     screenshot {lesson_png}", flush=True)


def screenshots(hub: str, user: str, out: Path, lesson: str | None, check: Checks) -> None:
    """Log in as a new user in the browser, land on the index, open ``lesson``."""
    with browser() as page:
        t0 = time.monotonic()
        page.goto(f"{hub}/hub/login", timeout=60_000)
        page.fill("input[name=username]", user)
        page.fill("input[name=password]", "any")
        page.click("input[type=submit], button[type=submit]")
        page.wait_for_url(re.compile(r".*/voila/render/notebooks/index\.ipynb.*"), timeout=180_000)
        check(True, "browser: logged in, server started, landed on the Voila index",
              f"{page.url} after {time.monotonic() - t0:.1f} s")
        look_at_index_and_lesson(page, out, "hub", lesson, check)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--user", default="student1")
    ap.add_argument("--screenshots", type=Path, help="save PNGs of the index and a lesson here (needs playwright)")
    ap.add_argument("--keep-running", action="store_true", help="leave the hub running until Ctrl-C")
    ap.add_argument("--timeout", type=float, default=180, help="seconds to wait for the hub and for a server")
    args = ap.parse_args()

    import requests

    check = Checks()
    if not check(shutil.which("configurable-http-proxy") is not None, "configurable-http-proxy on PATH"):
        return 1
    state = Path(tempfile.mkdtemp(prefix="rnnviz-hub-"))
    port, hub_port, api_port = free_port(), free_port(), free_port()
    hub = f"http://127.0.0.1:{port}"
    env = dict(os.environ, RNNVIZ_TRY_HOMES=str(state / "homes"),
               PATH=str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", ""))
    cmd = [sys.executable, "-m", "jupyterhub", "-f", str(HERE / "jupyterhub_config_local.py"),
           f"--JupyterHub.bind_url={hub}", f"--JupyterHub.hub_port={hub_port}",
           f"--ConfigurableHTTPProxy.api_url=http://127.0.0.1:{api_port}"]
    log_path = state / "hub.log"
    print("$ " + " ".join(cmd) + f"   (in {state})", flush=True)
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, cwd=state, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    session = requests.Session()

    def stop(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop)  # so `timeout` or kill still runs the clean-up below
    try:
        def hub_up():
            if proc.poll() is not None:
                return "exited"
            try:
                return session.get(f"{hub}/hub/api", timeout=3).ok
            except requests.RequestException:
                return False

        up = wait_for(hub_up, args.timeout)
        if not check(up is True, "hub answers on " + hub, "" if up is True else log_path.read_text()[-3000:]):
            return 1

        t0 = time.monotonic()
        r = login(session, hub, args.user)
        if not check(r.status_code == 302, "login form accepted", f"{r.status_code} -> {r.headers.get('location')}"):
            return 1
        # the spawn may still be pending: ask for the user's server until it redirects to Voila
        want = f"/user/{args.user}/{LANDING}"

        def landed():
            nonlocal r
            time.sleep(1)
            r = get(session, f"{hub}/user/{args.user}/", 120)
            return want in r.url and r.status_code == 200

        ok = wait_for(landed, args.timeout, step=0)
        check(ok, "student logs in and their server lands on the Voila index",
              f"{r.url} ({r.status_code}) after {time.monotonic() - t0:.1f} s")
        if not ok:
            print(log_path.read_text()[-4000:])
            return 1
        # Voila sends the page's HTML with widget *views*; their state (the lesson cards) comes over
        # the kernel's websocket, so the cards themselves are checked in the browser below.
        check("recurrent neural networks, step by step" in r.text and "application/vnd.jupyter.widget-view+json" in r.text,
              "the index page is the rendered index notebook (title and a widget view)")
        check(not any(m in r.text for m in ERROR_MARKERS), "the index page shows no error")
        check('"fullMathjaxUrl": null' in r.text, "the page uses Voila's bundled MathJax, no CDN (config reached it)")
        (state / "index.html").write_text(r.text)

        from rnnviz.lessons import LESSONS

        links = [lesson.notebook for lesson in LESSONS]
        unwritten = [link for link in links if not (ROOT / "notebooks" / link).exists()]
        if unwritten:
            print(f"(lessons not yet written, not opened: {', '.join(unwritten)})", flush=True)
        links = [link for link in links if link not in unwritten] + re.findall(r'href="([\w.-]+\.ipynb)"', r.text)
        first_lesson = next((link for link in links if link in {lesson.notebook for lesson in LESSONS}), None)
        for link in links:
            url = urljoin(r.url, link)
            t1 = time.monotonic()
            lr = get(session, url, 180)
            bad = [m for m in ERROR_MARKERS if m in lr.text]
            is_app = link in {lesson.notebook for lesson in LESSONS}  # lessons are widget apps; core-tour is not
            check(lr.status_code == 200 and not bad and ("widget-view+json" in lr.text or not is_app),
                  f"{link} renders under the student's server at {lr.url.replace(hub, '')}",
                  f"{lr.status_code} in {time.monotonic() - t1:.1f} s" + (f", error markers {bad}" if bad else ""))

        log = log_path.read_text()
        check("Culling kernels with idle durations > 600 seconds" in log,
              "the user server culls kernels of closed pages after 600 s (deploy/jupyter-config reached it)")
        check(re.search(r"voila.*extension was successfully loaded|Loading voila|voila \| extension", log, re.I)
              is not None, "Voila loaded as a jupyter-server extension in the user server")
        culler = [(p, a) for p, a in descendants(proc.pid) if "jupyterhub_idle_culler" in a]
        check(bool(culler), "jupyterhub-idle-culler runs as a hub service", culler[0][1] if culler else "")
        servers = [(p, a) for p, a in descendants(proc.pid) if "jupyterhub-singleuser" in a]
        if check(len(servers) == 1, "one user server process", servers[0][1][:160] if servers else ""):
            spid = servers[0][0]
            kernels = [p for p, a in descendants(spid) if "ipykernel" in a]
            total = rss_mb(spid) + sum(rss_mb(k) for k in kernels)
            print(f"memory: user server {rss_mb(spid):.0f} MB; {len(kernels)} kernels "
                  f"{', '.join(f'{rss_mb(k):.0f}' for k in kernels)} MB; total {total:.0f} MB", flush=True)

        if args.screenshots:
            try:
                screenshots(hub, args.user + "-browser", args.screenshots, first_lesson, check)
            except Exception as e:  # noqa: BLE001  (report and go on to stop the hub)
                check(False, "browser screenshots", f"{type(e).__name__}: {e}")

        if args.keep_running:
            print(f"hub running at {hub} (state in {state}); Ctrl-C stops it", flush=True)
            try:
                proc.wait()
            except KeyboardInterrupt:
                pass
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the hub stops the user servers and the proxy it started
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(10)
        try:
            os.killpg(proc.pid, signal.SIGTERM)  # anything of its group left behind
        except ProcessLookupError:
            pass
        print(f"hub stopped (exit {proc.returncode}); log: {log_path}", flush=True)
    print(f"{'all checks passed' if not check.failed else f'{check.failed} check(s) failed'}")
    return 1 if check.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
