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
    # the load script waits cull_after + cull_interval for the culling: the two read the same function
    assert settings["MappingKernelManager.cull_interval"] == str(app.cull_interval(seconds))


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


class _Pools:
    """Voila 0.5's pre-heating kernel manager, as far as the app uses it.

    Per notebook a first-in first-out pool of tasks, filled with one ready kernel (idle for an hour). A
    handout takes the pool's first kernel, waiting for it if it is still being prepared, and schedules a
    refill after ``fill_delay`` s (``fill_if_needed``); a refill's ``_initialize`` starts a kernel
    (``start_s``) and returns while a task of its own runs the notebook (``run_s``).
    """

    def __init__(self, notebooks, *, fill_delay: float = 0.0, start_s: float = 0.02, run_s: float = 0.08):
        self.fill_delay, self.start_s, self.run_s = fill_delay, start_s, run_s
        self.kernels: dict[str, _Kernel] = {}
        self.started: list[str] = []  # notebooks of the refills, in the order their kernels started
        self.busy = self.most_busy = 0  # refills starting a kernel or running their notebook
        self.notebooks = notebooks

    def fill_ready(self):  # the pools as the server's start left them (inside a running loop)
        self._pools = {}
        for nb in self.notebooks:
            ready = asyncio.get_running_loop().create_future()
            ready.set_result({"task": None, "kernel_id": self._new_kernel(idle_s=3600)})
            self._pools[nb] = [ready]

    def _new_kernel(self, idle_s: float = 0) -> str:
        kernel_id = f"k{len(self.kernels) + 1}"
        self.kernels[kernel_id] = _Kernel(idle_s)
        return kernel_id

    def __contains__(self, kernel_id):
        return kernel_id in self.kernels

    def get_kernel(self, kernel_id):
        return self.kernels[kernel_id]

    async def _initialize(self, notebook_name, kernel_id=None, **kwargs):
        self.started.append(notebook_name)
        self.busy += 1
        self.most_busy = max(self.most_busy, self.busy)
        await asyncio.sleep(self.start_s)

        async def run_notebook():
            await asyncio.sleep(self.run_s)
            self.busy -= 1

        return {"task": asyncio.get_running_loop().create_task(run_notebook()), "kernel_id": self._new_kernel()}

    async def get_rendered_notebook(self, notebook_name, **kwargs):
        content = await self._pools[notebook_name].pop(0)

        async def wait_before(delay, aw):
            await asyncio.sleep(delay)
            return await aw

        refill = wait_before(self.fill_delay, self._initialize(notebook_name, None))
        self._pools[notebook_name].append(asyncio.get_running_loop().create_task(refill))
        return "render-task", ["cell"], content["kernel_id"]


def _hooked(notebooks, **kwargs) -> _Pools:
    km = _Pools(notebooks, **kwargs)
    app._hook_pool_handouts(km)
    return km


async def _settle(km: _Pools, timeout: float = 5.0) -> None:
    """Until every pool's refills have started their kernels and run their notebooks."""
    t_end = time.monotonic() + timeout
    while km.busy or not all(task.done() for pool in km._pools.values() for task in pool):
        assert time.monotonic() < t_end, f"refills still waiting or running after {timeout} s"
        await asyncio.sleep(0.02)


def test_a_pooled_kernel_counts_as_active_from_the_moment_a_page_takes_it():
    km = _hooked(["01.ipynb"])

    async def scenario():
        km.fill_ready()
        result = await km.get_rendered_notebook("01.ipynb")
        await _settle(km)
        return result

    render_task, cells, kernel_id = asyncio.run(scenario())
    assert (render_task, cells) == ("render-task", ["cell"])
    idle = datetime.now(timezone.utc) - km.kernels[kernel_id].last_activity
    assert idle < timedelta(seconds=5), "the culler would shut it down before the browser connects"


def test_without_pools_the_kernel_manager_is_left_alone():
    class Plain:
        pass

    km = Plain()
    app._hook_pool_handouts(km)
    assert not hasattr(km, "get_rendered_notebook") and not hasattr(km, "_initialize")


def test_a_pool_refill_waits_for_the_page_that_took_the_kernel_unless_a_page_waits_for_it():
    km = _hooked(["05.ipynb"], fill_delay=0.5)
    assert km.fill_delay == 0, "Voila's own delay would add to the app's"

    async def scenario():
        km.fill_ready()
        t0 = time.monotonic()
        await km.get_rendered_notebook("05.ipynb")
        await asyncio.sleep(0.2)
        assert km.started == [], "the refill started while the first page was still loading"
        await asyncio.sleep(0.5)
        assert km.started == ["05.ipynb"], "the refill never started"
        # a page for the same lesson while the next refill waits: it waits for it, and the refill starts at once
        await km.get_rendered_notebook("05.ipynb")  # takes the refilled kernel, schedules a refill
        await asyncio.sleep(0.05)
        t1 = time.monotonic()
        await km.get_rendered_notebook("05.ipynb")
        assert time.monotonic() - t1 < 0.3, "the waiting page waited for the refill delay"
        assert len(km.started) == 2
        assert time.monotonic() - t0 >= 0.7
        await _settle(km)

    asyncio.run(scenario())


def test_a_page_that_takes_a_ready_kernel_does_not_hurry_a_waiting_refill():
    km = _hooked(["05.ipynb"], fill_delay=0.4)

    async def scenario():
        km.fill_ready()
        ready = asyncio.get_running_loop().create_future()
        ready.set_result({"task": None, "kernel_id": km._new_kernel()})
        km._pools["05.ipynb"].append(ready)  # --pool-size 2
        await km.get_rendered_notebook("05.ipynb")
        await km.get_rendered_notebook("05.ipynb")  # the second ready kernel: nobody waits for a refill
        await asyncio.sleep(0.2)
        assert km.started == [], "a refill started while both pages were loading"
        await asyncio.sleep(0.4)
        assert km.started == ["05.ipynb", "05.ipynb"]
        await _settle(km)

    asyncio.run(scenario())


@pytest.mark.parametrize("bound", [1, 2])
def test_refills_run_at_most_the_bound_at_once_and_all_of_them_run(bound):
    """30 pages at once with --pool-size 5 started 30 refills together: 1 page of 30 became ready."""
    notebooks = [f"{i:02d}.ipynb" for i in range(6)]
    km = _Pools(notebooks)
    app._hook_pool_handouts(km, concurrency=bound)

    async def scenario():
        km.fill_ready()
        await asyncio.gather(*(km.get_rendered_notebook(nb) for nb in notebooks))  # 6 refills at once
        await asyncio.gather(*(km.get_rendered_notebook(nb) for nb in notebooks[:3]))  # 3 pages wait for theirs
        await _settle(km)

    asyncio.run(scenario())
    assert len(km.started) == 9, "a refill never ran"
    assert km.most_busy == bound


def test_a_refill_that_a_page_waits_for_goes_before_the_queued_ones():
    km = _hooked(["a", "b", "c", "d"])  # no delay: refills queue at once, one at a time

    async def scenario():
        km.fill_ready()
        for nb in "abcd":  # four pages take the four ready kernels: the refill of a runs, b, c, d queue
            await km.get_rendered_notebook(nb)
        await asyncio.sleep(0)
        t0 = time.monotonic()
        await km.get_rendered_notebook("d")  # a page waits for d's refill
        waited = time.monotonic() - t0
        await _settle(km)
        return waited

    waited = asyncio.run(scenario())
    assert km.started[:4] == ["a", "d", "b", "c"], "the page waited behind refills nobody waits for"
    # a's refill (start + run) then d's kernel start; behind b and c it would have been three refills more
    assert waited < 0.1 + 0.02 + 2 * 0.1


def test_a_restarted_kernel_does_not_queue_behind_refills():
    km = _hooked(["a", "b"])

    async def scenario():
        km.fill_ready()
        await km.get_rendered_notebook("a")
        await km.get_rendered_notebook("b")  # a's refill runs, b's waits
        await asyncio.sleep(0.01)
        started = list(km.started)
        await asyncio.wait_for(km._initialize("a", "k1"), 0.05)
        await _settle(km)
        return started

    started = asyncio.run(scenario())
    assert started == ["a"] and km.started[1] == "a", "the restart waited for a place"


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


def test_plotly_js_is_sent_gzip_compressed_to_browsers_that_accept_it(server):
    url = server + "/voila/static/" + app.PLOTLY_JS_NAME
    plain = _get(url, **{"Accept-Encoding": "identity"})
    packed = _get(url, **{"Accept-Encoding": "gzip, deflate, br"})
    assert plain.status == packed.status == 200
    assert plain.headers.get("Content-Encoding") is None, "a client that does not accept gzip gets it plain"
    assert packed.headers.get("Content-Encoding") == "gzip"
    assert "Accept-Encoding" in packed.headers.get("Vary", ""), "caches keep the two forms apart"
    assert gzip.decompress(packed.body) == plain.body
    assert len(plain.body) > 1_000_000 and len(packed.body) < len(plain.body) / 2  # 4.8 MB -> 1.5 MB


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


def test_no_page_loads_plotly_js_and_the_file_answers_an_explored_view_that_asks(server):
    """Live views are SVG: a page's head must not fetch plotly.js (1.5 MB). An explored view (lesson 2's 3D path)
    loads it when it first draws (rnnviz.viz.live.EXPLORE_ESM), as a cacheable script."""
    url = "/voila/static/" + app.PLOTLY_JS_NAME
    for name in ("index.ipynb", "05-vanishing-exploding.ipynb"):
        page = _get(server + "/voila/render/" + name).body.decode()
        assert page.count("<html") == 1 and "</html>" in page  # the page itself was rendered
        assert app.PLOTLY_JS_NAME not in page, f"{name} fetches plotly.js"
    bundle = _get(server + url, **{"Accept-Encoding": "gzip"})
    assert bundle.status == 200 and "javascript" in bundle.headers["Content-Type"]
    again = _get(server + url, **{"Accept-Encoding": "gzip", "If-None-Match": bundle.headers["Etag"]})
    assert again.status == 304, "a second visit downloads plotly.js again"
    assert _get(server + "/voila/static/rnnviz-plotly-widget.js").status in (403, 404)  # plotly's widget bundle: unused


def test_no_page_asks_the_internet_for_anything(server):
    """A classroom may have no internet: every stylesheet, script and icon a page names comes from the app.
    (Voila's lab template links Font Awesome from a CDN; voila-style.js carries it already.)"""
    for name in ("index.ipynb", "05-vanishing-exploding.ipynb"):
        page = _get(server + "/voila/render/" + name).body.decode()
        assert "voila-style.js" in page  # where the buttons' icons come from instead
        external = re.findall(r'<(?:link|script|img)\b[^>]*\b(?:href|src)="((?:https?:)?//[^"]*)"', page)
        assert not external, f"{name} asks the internet for {external}"
