"""Serve notebooks with Voila and look at them in headless Debian Chromium (Playwright).

Used by the browser tests and by ``scripts/screenshot.py``. Never runs ``playwright
install``: it drives the system's /usr/bin/chromium with the flags this machine needs.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
ERROR_MARKERS = ("Traceback", "Error executing", "There was an error when executing cell", "KernelError")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def voila_server(notebook_dir: Path = ROOT / "notebooks", *, port: int | None = None, extra: list[str] | None = None,
                 timeout: float = 60.0):
    """Start ``voila`` on ``notebook_dir`` (tree mode) on 127.0.0.1 and yield its base URL."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "voila", str(notebook_dir), "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--ExecutePreprocessor.timeout=120", *(extra or [])]
    log = tempfile.NamedTemporaryFile("w+", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=notebook_dir)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"voila exited with {proc.returncode}: {Path(log.name).read_text()[-2000:]}")
            try:
                urllib.request.urlopen(url + "/", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError(f"voila did not answer within {timeout} s: {Path(log.name).read_text()[-2000:]}")
                time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
        os.unlink(log.name)


@contextlib.contextmanager
def browser_page(viewport=(1400, 1000)):
    """A Playwright page in a fresh headless Chromium profile."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} not found: apt-get install -y chromium")
    profile = tempfile.mkdtemp(prefix="rnnviz-chromium-")
    try:
        with sync_playwright() as pw:
            ctx = pw.chromium.launch_persistent_context(
                profile, executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS,
                viewport={"width": viewport[0], "height": viewport[1]},
            )
            try:
                yield ctx.pages[0] if ctx.pages else ctx.new_page()
            finally:
                ctx.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def open_lesson(page, url: str, *, plots: int = 1, timeout_ms: int = 120_000) -> float:
    """Load a Voila page and wait until ``plots`` plotly graphs have drawn. Returns seconds to ready."""
    start = time.monotonic()
    page.goto(url, timeout=timeout_ms)
    page.wait_for_function(
        "n => document.querySelectorAll('.js-plotly-plot .main-svg').length >= n", arg=plots, timeout=timeout_ms
    )
    page.wait_for_timeout(500)  # let the last redraw settle
    return time.monotonic() - start


def page_errors(page) -> list[str]:
    text = page.inner_text("body")
    return [m for m in ERROR_MARKERS if m in text]
