"""Serve notebooks with Voila or ``rnnviz app`` and look at them in headless Debian Chromium (Playwright).

Used by the browser tests, ``tests/test_app.py`` (the app's server, no browser) and
``scripts/screenshot.py``. Never runs ``playwright install``: it drives the system's
/usr/bin/chromium with the flags of :mod:`rnnviz._chromium`.
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

from rnnviz._chromium import CHROMIUM, chromium_page  # noqa: F401  (CHROMIUM: for the browser tests)
from rnnviz.app import free_port

ROOT = Path(__file__).resolve().parents[2]
ERROR_MARKERS = ("Traceback", "Error executing", "There was an error when executing cell", "KernelError")


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def _answers(url: str) -> bool:
    """True once the server answers ``url`` with any HTTP status (redirects are not followed)."""
    try:
        urllib.request.build_opener(_NoRedirect).open(url, timeout=2).read()
    except urllib.error.HTTPError:
        pass
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _serving(cmd: list[str], url: str, ready, *, cwd: Path, timeout: float, log_path: Path | None = None):
    """Run ``cmd`` (a server), wait until ``ready(log_text)`` is true, yield ``url``; then stop it.

    Its output goes to ``log_path`` (kept) or to a temporary file (removed); the end of it is in the
    error when the server exits or is not ready within ``timeout`` seconds.
    """
    if log_path is None:
        with tempfile.NamedTemporaryFile("w", suffix=".log", delete=False) as tmp:
            log_path = Path(tmp.name)
        keep = False
    else:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        keep = True
    name = " ".join(cmd[1:4])  # -m rnnviz app, -m voila <dir>
    with open(log_path, "w") as log:
        proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=cwd)
    try:
        deadline = time.monotonic() + timeout
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{name} exited with {proc.returncode}: {log_path.read_text()[-3000:]}")
            if ready(log_path.read_text(errors="replace")):
                break
            if time.monotonic() > deadline:
                raise RuntimeError(f"{name} not ready within {timeout} s: {log_path.read_text()[-3000:]}")
            time.sleep(0.3)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(10)
        if not keep:
            log_path.unlink(missing_ok=True)


def voila_server(notebook_dir: Path = ROOT / "notebooks", *, port: int | None = None, extra: list[str] | None = None,
                 timeout: float = 60.0):
    """Start plain ``voila`` on ``notebook_dir`` (tree mode) on 127.0.0.1; a context manager yielding its base URL."""
    port = port or free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "voila", str(notebook_dir), "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--Voila.port_retries=0", "--ExecutePreprocessor.timeout=120", *(extra or [])]
    return _serving(cmd, url, lambda log: _answers(url + "/"), cwd=notebook_dir, timeout=timeout)


def app_server(*args: str, timeout: float = 180.0, log_path: Path | None = None):
    """``python -m rnnviz app ARGS`` on a free 127.0.0.1 port; a context manager yielding its base URL.

    Ready once it answers HTTP and, unless ``--pool-size 0`` is among ``args``, once the kernel pool
    of every notebook is filled (the log says "is filled with" once per notebook), so that tests
    and measurements start from what a student meets.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    cmd = [sys.executable, "-m", "rnnviz", "app", "--port", str(port), *args]
    pool_size = int(args[args.index("--pool-size") + 1]) if "--pool-size" in args else 1
    pools = len(list((ROOT / "notebooks").glob("*.ipynb"))) if pool_size > 0 else 0

    def ready(log: str) -> bool:
        return log.count("is filled with") >= pools and _answers(url + "/login")

    return _serving(cmd, url, ready, cwd=ROOT, timeout=timeout, log_path=log_path)


def browser_page(viewport=(1400, 1000)):
    """A Playwright page in a fresh headless Chromium profile (:func:`rnnviz._chromium.chromium_page`)."""
    return chromium_page(viewport)


def open_lesson(page, url: str, *, plots: int = 1, timeout_ms: int = 120_000) -> float:
    """Load a Voila page and wait until it is ready: every app shows the figures and views it declares, at least
    ``plots`` in all (``rnnviz.widgets.base.READY_JS``). Returns seconds to ready."""
    from rnnviz.widgets.base import READY_JS

    start = time.monotonic()
    page.goto(url, timeout=timeout_ms)
    page.wait_for_function(READY_JS, arg=plots, timeout=timeout_ms)
    page.wait_for_timeout(500)  # let the last redraw settle
    return time.monotonic() - start


def page_errors(page) -> list[str]:
    text = page.inner_text("body")
    return [m for m in ERROR_MARKERS if m in text]
