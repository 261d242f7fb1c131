"""The classroom app (``rnnviz app``): its command line, and what its server sends, without a browser."""

from __future__ import annotations

import asyncio
import gzip
import re
import time
import urllib.error
import urllib.request
from datetime import datetime, timedelta, timezone
from typing import NamedTuple

import pytest

pytest.importorskip("ipywidgets")

from browser.harness import app_server  # noqa: E402  (tests/browser/harness.py)

from rnnviz import app, cli  # noqa: E402


def _dry_run(capsys, *args: str) -> dict[str, str]:
    """``rnnviz app --dry-run ARGS``: the Voila settings it would start with, as {"Class.trait": value}."""
    assert cli.main(["app", "--dry-run", *args]) == 0
    command = capsys.readouterr().out.splitlines()[-1]
    assert command.startswith("voila ")
    return dict(m.groups() for m in re.finditer(r"--(\w+\.\w+)=(\S*)", command))


# -- idle-kernel culling ----------------------------------------------------------------------------

def test_kernels_of_closed_pages_are_culled_after_ten_minutes_by_default(capsys):
    settings = _dry_run(capsys)
    assert settings["MappingKernelManager.cull_idle_timeout"] == "600"
    assert settings["MappingKernelManager.cull_connected"] == "False"  # an open page keeps its kernel


def test_the_executor_waits_for_late_cell_outputs_instead_of_dropping_them(capsys):
    """nbclient's default 4 s dropped the app's display output of 24 of 30 pages opened at once."""
    from voila.execute import VoilaExecutor

    settings = _dry_run(capsys)
    assert int(settings["VoilaExecutor.iopub_timeout"]) >= 60 > VoilaExecutor.iopub_timeout.default_value
    assert int(settings["VoilaExecutor.timeout"]) >= 60  # and no cell runs for ever


@pytest.mark.parametrize("seconds", [app.MIN_CULL_AFTER, 3600])
def test_cull_after_at_or_above_the_minimum_is_passed_on(capsys, seconds):
    settings = _dry_run(capsys, "--cull-after", str(seconds))
    assert settings["MappingKernelManager.cull_idle_timeout"] == str(seconds)
    assert 1 <= int(settings["MappingKernelManager.cull_interval"]) <= seconds // 2


@pytest.mark.parametrize("value", ["20", "0", "-5", str(app.MIN_CULL_AFTER - 1), "ten"])
def test_a_short_or_malformed_cull_after_is_refused_with_the_option_and_the_minimum(capsys, value):
    # a 30-session load test with --cull-after 20 lost every session: kernels were culled while pages loaded
    with pytest.raises(SystemExit) as exit_:
        cli.main(["app", "--cull-after", value, "--dry-run"])
    assert exit_.value.code == 2
    captured = capsys.readouterr()
    assert "voila " not in captured.out, "nothing is started or printed as a command"
    assert "argument --cull-after" in captured.err
    if value != "ten":
        assert f"at least {app.MIN_CULL_AFTER} s" in captured.err


def test_the_help_states_the_default_and_the_minimum(capsys):
    with pytest.raises(SystemExit):
        cli.main(["app", "--help"])
    text = " ".join(capsys.readouterr().out.split())
    assert "--cull-after SECONDS" in text and f"default 600, at least {app.MIN_CULL_AFTER}" in text


def test_the_command_line_and_the_app_agree_on_the_minimum():
    assert cli.MIN_CULL_AFTER == app.MIN_CULL_AFTER
    with pytest.raises(ValueError, match="at least"):
        app.voila_argv(cull_after=app.MIN_CULL_AFTER - 1)


class _Kernel:
    def __init__(self, idle_s: float):
        self.last_activity = datetime.now(timezone.utc) - timedelta(seconds=idle_s)


class _PoolManager:
    """Voila's pre-heating kernel manager, as far as the app uses it."""

    def __init__(self):
        self.kernels = {"k1": _Kernel(idle_s=3600)}  # filled an hour before the first student came

    def __contains__(self, kernel_id):
        return kernel_id in self.kernels

    def get_kernel(self, kernel_id):
        return self.kernels[kernel_id]

    async def get_rendered_notebook(self, notebook_name, **kwargs):
        return "render-task", ["cell"], "k1"


def test_a_pooled_kernel_counts_as_active_from_the_moment_a_page_takes_it():
    km = _PoolManager()
    app._restart_idle_clock_at_handout(km)
    result = asyncio.run(km.get_rendered_notebook("01-bag-of-words-vs-rnn.ipynb"))
    assert result == ("render-task", ["cell"], "k1")
    idle = datetime.now(timezone.utc) - km.kernels["k1"].last_activity
    assert idle < timedelta(seconds=5), "the culler would shut it down before the browser connects"


def test_without_pools_the_kernel_manager_is_left_alone():
    class Plain:
        pass

    km = Plain()
    app._restart_idle_clock_at_handout(km)
    assert not hasattr(km, "get_rendered_notebook")


class _RefillingPool:
    """Voila's pre-heating kernel manager as far as pool refills go: a handout schedules ``_initialize``."""

    def __init__(self, fill_delay: float):
        self.fill_delay = fill_delay
        self.started: list[tuple[str, float]] = []

    async def _initialize(self, notebook_name, *args, **kwargs):
        self.started.append((notebook_name, time.monotonic()))

    async def get_rendered_notebook(self, notebook_name, **kwargs):
        asyncio.get_running_loop().create_task(self._initialize(notebook_name))  # Voila's fill_if_needed
        return "render-task", ["cell"], "k1"


def test_a_pool_refill_waits_for_the_page_that_took_the_kernel_unless_another_page_asks():
    km = _RefillingPool(fill_delay=0.5)
    app._defer_refill(km)
    assert km.fill_delay == 0, "Voila's own delay would add to the app's"

    async def scenario():
        t0 = time.monotonic()
        await km.get_rendered_notebook("05.ipynb")
        await asyncio.sleep(0.2)
        assert km.started == [], "the refill started while the first page was still loading"
        await asyncio.sleep(0.5)
        assert [name for name, _ in km.started] == ["05.ipynb"], "the refill never started"
        assert km.started[0][1] - t0 >= 0.45
        # a second page for the same lesson while its refill waits: the refill starts at once
        t1 = time.monotonic()
        await km.get_rendered_notebook("05.ipynb")
        await asyncio.sleep(0.05)
        await km.get_rendered_notebook("05.ipynb")
        await asyncio.sleep(0.05)
        assert len(km.started) == 2 and km.started[1][1] - t1 < 0.3, "the waiting page waited for the delay"

    asyncio.run(scenario())


# -- the server ---------------------------------------------------------------------------------------

class _Response(NamedTuple):
    status: int
    headers: dict
    body: bytes


def _get(url: str, **headers: str) -> _Response:
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers), timeout=120) as r:
            return _Response(r.status, r.headers, r.read())
    except urllib.error.HTTPError as e:
        return _Response(e.code, e.headers, e.read())


@pytest.fixture(scope="module")
def server():
    """``rnnviz app`` without kernel pools: starts in a few seconds, and starts no kernel until a page is asked for."""
    pytest.importorskip("voila")
    with app_server("--pool-size", "0", timeout=120) as url:
        yield url


def test_the_plotly_bundle_is_sent_gzip_compressed_to_browsers_that_accept_it(server):
    url = server + "/voila/static/rnnviz-plotly-widget.js"
    plain = _get(url, **{"Accept-Encoding": "identity"})
    packed = _get(url, **{"Accept-Encoding": "gzip, deflate, br"})
    assert plain.status == packed.status == 200
    assert plain.headers.get("Content-Encoding") is None, "a client that does not accept gzip gets it plain"
    assert packed.headers.get("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in packed.headers.get("Vary", ""), "caches keep the two forms apart"
    assert gzip.decompress(packed.body) == plain.body
    assert len(plain.body) > 1_000_000 and len(packed.body) < len(plain.body) / 2  # 5.0 MB -> 1.5 MB


def test_a_lesson_page_links_the_apps_favicon_and_the_favicon_is_served(server):
    page = _get(server + "/voila/render/05-vanishing-exploding.ipynb").body.decode()
    icons = re.findall(r"<link[^>]*\brel=\"(?:shortcut )?icon\"[^>]*>", page)
    assert len(icons) == 1, f"one icon, not the lab template's empty one as well: {icons}"
    href = re.search(r'href="([^"]+)"', icons[0])[1]
    assert href.endswith("/" + app.FAVICON)
    icon = _get(server + href)
    assert icon.status == 200 and icon.headers["Content-Type"] == "image/svg+xml"
    assert icon.body == (app.APP_STATIC / app.FAVICON).read_bytes() and icon.body.lstrip().startswith(b"<svg")
    # pages that link no icon (the file tree, error pages): the browser asks for /favicon.ico
    fallback = _get(server + "/favicon.ico")
    assert fallback.status == 200 and fallback.body == icon.body


def test_a_lesson_page_fetches_plotly_from_its_head_and_the_bundle_answers_that_url(server):
    page = _get(server + "/voila/render/05-vanishing-exploding.ipynb").body.decode()
    head = page.split("<body", 1)[0]
    url = "/voila/static/" + app.STATIC_NAME
    assert f'<link rel="modulepreload" href="{url}">' in head, "the figures would wait for the kernel to ask for plotly"
    assert f'import("{url}")' in head
    bundle = _get(server + url, **{"Accept-Encoding": "gzip"})
    assert bundle.status == 200 and "javascript" in bundle.headers["Content-Type"]  # a module needs a JS type
    again = _get(server + url, **{"Accept-Encoding": "gzip", "If-None-Match": bundle.headers["Etag"]})
    assert again.status == 304, "a second visit downloads the bundle again"
