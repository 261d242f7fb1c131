"""Serve the checkout the way Binder does, without Docker, and open the README's Binder link in it.

    python deploy/try_binder.py [--screenshots artifacts]

Binder builds an image from binder/ and starts a Jupyter server in the repository folder through
binder/start, then sends the browser to the link's ``urlpath``. This does the last two steps here:
``bash binder/start python -m jupyter_server`` in the repository root on a free loopback port, then
GET ``/<urlpath>`` taken from the README's Binder badge, and (with ``--screenshots``) the same in
headless Chromium, opening a lesson from its card. It cannot build the image (no Docker here); run
``jupyter-repo2docker --no-build --debug .`` to see the Dockerfile that Binder would build.

Needs, in the Python that runs it: rnnviz with its app extras, requests; playwright and Debian's
/usr/bin/chromium for screenshots. Exit status 0 when every check passed.
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

from try_hub import ERROR_MARKERS, Checks, browser, free_port, get, look_at_index_and_lesson, wait_for

ROOT = Path(__file__).resolve().parent.parent


def readme_urlpath() -> str:
    """The ``urlpath`` of the mybinder.org link in the README's deploy section."""
    text = (ROOT / "README.md").read_text()
    section = text.split("<!-- deploy -->", 1)[1].split("<!-- /deploy -->", 1)[0]
    link = re.search(r"https://mybinder\.org/v2/[^\s)\]\"']+", section).group(0)
    return unquote(parse_qs(urlparse(link).query)["urlpath"][0])


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--screenshots", type=Path, help="save PNGs of the index and a lesson here (needs playwright)")
    args = ap.parse_args()

    import requests

    check = Checks()
    urlpath = readme_urlpath()
    print(f"README's Binder link opens urlpath={urlpath}", flush=True)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    cmd = ["bash", str(ROOT / "binder" / "start"), sys.executable, "-m", "jupyter_server", "--no-browser",
           "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
           "--IdentityProvider.token=", f"--ServerApp.root_dir={ROOT}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    log = tempfile.NamedTemporaryFile("w+", prefix="rnnviz-binder-", suffix=".log", delete=False)
    print("$ " + " ".join(cmd) + f"   (in {ROOT}, log {log.name})", flush=True)
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
    session = requests.Session()

    def stop(signum, frame):
        raise SystemExit(f"stopped by signal {signum}")

    signal.signal(signal.SIGTERM, stop)
    try:
        def up():
            if proc.poll() is not None:
                return "exited"
            try:
                return session.get(f"{base}/api/status", timeout=3).ok
            except requests.RequestException:
                return False

        ok = wait_for(up, 120)
        if not check(ok is True, "jupyter server started through binder/start", "" if ok is True else
                     Path(log.name).read_text()[-3000:]):
            return 1
        t0 = time.monotonic()
        r = get(session, f"{base}/{urlpath}", 180)
        check(r.status_code == 200 and "recurrent neural networks, step by step" in r.text,
              f"/{urlpath} renders the index with Voila's server extension",
              f"{r.status_code} in {time.monotonic() - t0:.1f} s")
        check(not any(m in r.text for m in ERROR_MARKERS), "the index page shows no error")
        check('"fullMathjaxUrl": null' in r.text, "binder/start's settings reached the server (bundled MathJax)")
        text = Path(log.name).read_text()
        check("Culling kernels with idle durations > 600 seconds" in text,
              "kernels of closed pages are culled after 600 s")
        if args.screenshots:
            try:
                with browser() as page:
                    page.goto(f"{base}/{urlpath}", timeout=180_000)
                    look_at_index_and_lesson(page, args.screenshots, "binder", "05-vanishing-exploding.ipynb", check)
            except Exception as e:  # noqa: BLE001  (report and go on to stop the server)
                check(False, "browser screenshots", f"{type(e).__name__}: {e}")
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGTERM)  # the server and its kernels (same process group)
            try:
                proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait(10)
        print(f"server stopped (exit {proc.returncode}); log: {log.name}", flush=True)
    print(f"{'all checks passed' if not check.failed else f'{check.failed} check(s) failed'}")
    return 1 if check.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
