"""Headless Debian Chromium, as the browser tests, benchmarks and deploy trials launch it.

Not part of the teaching library: one definition for ``tests/browser/harness.py``,
``benchmarks/bench_app.py`` and ``deploy/try_hub.py``, and :func:`chromium_page`, the page the
harness and the deploy trials open. Playwright drives the system's Chromium (``apt-get install
chromium``); never ``playwright install``.
"""

import contextlib
import os
import shutil
import tempfile
from pathlib import Path

CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
# no sandbox (root in a container), no GPU, no QUIC, and nothing that phones home or updates itself
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]


@contextlib.contextmanager
def chromium_page(viewport: tuple[int, int] = (1400, 1000)):
    """A Playwright page in headless :data:`CHROMIUM` with a fresh profile, removed afterwards."""
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
