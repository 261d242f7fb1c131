"""Headless Debian Chromium, as the browser tests, benchmarks and deploy trials launch it.

Not part of the teaching library: one definition for ``tests/browser/harness.py``,
``benchmarks/bench_app.py`` and ``deploy/try_hub.py``. Playwright drives the system's Chromium
(``apt-get install chromium``); never ``playwright install``.
"""

import os

CHROMIUM = os.environ.get("RNNVIZ_CHROMIUM", "/usr/bin/chromium")
# no sandbox (root in a container), no GPU, no QUIC, and nothing that phones home or updates itself
CHROMIUM_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
