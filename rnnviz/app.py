"""The classroom app: Voila serving the lessons, configured for a class.

``rnnviz app`` (see :mod:`rnnviz.cli`) runs :func:`serve`, which starts Voila on the
``notebooks/`` folder with:

* the index as the landing page (``/`` redirects to it) and no code cells shown;
* pre-started kernels (``preheat``) so a lesson page is ready in about a second; the kernel that
  refills a pool starts :data:`REFILL_DELAY` seconds after a page took one (its start and its run of
  the notebook would otherwise compete with that page's loading for the CPU), or at once when a page
  waits for it; refills run :data:`REFILL_CONCURRENCY` at a time, those a page waits for first (see
  :func:`_hook_pool_handouts`);
* plotly.js (``plotly.min.js``, 4.8 MB) served once as a cacheable static file for the explored views
  (:class:`rnnviz.widgets.explore.ExploreFigure`, which loads it when it first draws), instead of inside
  every figure's widget state;
* an executor timeout, so a notebook that hangs becomes an error page;
* gzip-compressed responses (plotly.js shrinks from 4.8 MB to about 1.5 MB, compressed once
  at start rather than on every request);
* a favicon (``app_static/``), linked from every lesson page by a small override of the lab
  template (``app_templates/``) and served at ``/favicon.ico`` for the pages that link none;
* culling of idle kernels: Voila does not shut a kernel down when its page closes,
  so kernels nobody is connected to are reclaimed after ``cull_after`` seconds (at least
  :data:`MIN_CULL_AFTER`: a page's kernel has no connection until the browser has loaded the
  page, so a short time culls the kernels of pages that are still loading); a pooled kernel's
  idle time starts when it is handed to a page, not when it finished its notebook;
* binding to 127.0.0.1 unless told otherwise, and an optional token.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from datetime import datetime, timezone
from pathlib import Path

__all__ = ["MIN_CULL_AFTER", "NOTEBOOKS", "PLOTLY_JS_NAME", "REFILL_CONCURRENCY", "REFILL_DELAY",
           "STATIC_ENV", "serve", "voila_argv"]

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
APP_STATIC = Path(__file__).resolve().parent / "app_static"  # served at voila/static/
APP_TEMPLATES = Path(__file__).resolve().parent / "app_templates"  # first on Voila's template path
FAVICON = "rnnviz-favicon.svg"
# Seconds. A kernel is culled once nobody is connected to it for ``cull_after`` seconds, and a page
# connects only once the browser has loaded it: 10-50 s on a busy 2-core machine, over 120 s with 30
# pages at once (benchmarks/README.md). Below a minute, loading pages lose their kernels.
MIN_CULL_AFTER = 60
# Seconds between a page taking a pre-heated kernel and the start of the kernel that refills the pool.
# Starting a kernel and running a lesson takes 3-5 CPU-seconds, and the page taking the kernel needs the
# same 2 cores for about 5 s: lesson 5 cold was ready in 8.7 s with Voila's 1 s delay, 5.1 s with 30 s
# (load 5, 2026-11-26). A page that waits for the refill starts it at once.
REFILL_DELAY = 10
# Pool refills that start a kernel and run their lesson at the same time. With no bound, 30 pages opened at
# once with --pool-size 5 started 30 refills together on 2 cores, and 1 page of 30 became ready.
REFILL_CONCURRENCY = 1
# Seconds the executor waits for a finished cell's outputs before going on without them (see voila_argv).
IOPUB_TIMEOUT = 120
from .viz.live import PLOTLY_JS_NAME, STATIC_ENV


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (for the tests', benchmarks' and deploy checks' own servers)."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def cull_interval(cull_after: int) -> int:
    """Seconds between two passes of the kernel culler for ``--cull-after`` seconds: an idle kernel is
    shut down at the first pass after it has been idle ``cull_after`` seconds, so at most
    ``cull_after + cull_interval(cull_after)`` seconds after its page closed."""
    return max(min(cull_after // 2, 60), 1)


def _static_files() -> dict[str, Path]:
    """The files served from the app's static folder under fixed names: plotly.js for explored views
    (:class:`rnnviz.widgets.explore.ExploreFigure`)."""
    import plotly

    data = Path(plotly.__file__).parent / "package_data"
    return {PLOTLY_JS_NAME: data / "plotly.min.js"}


def _static_dir() -> str:
    """A folder holding :func:`_static_files` under their fixed names, for Voila's static handler, and each
    gzip-compressed once (``NAME.gz``) for :func:`_precompressed_bundle_handler`."""
    import gzip

    import plotly

    folder = Path(tempfile.gettempdir()) / f"rnnviz-static-{plotly.__version__}"
    folder.mkdir(exist_ok=True)
    wanted = {name for name in _static_files()} | {name + ".gz" for name in _static_files()}
    for old in folder.iterdir():  # files an older rnnviz served from here (plotly's widget bundle) are not served now
        if old.name not in wanted and not old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)
    for name, source in _static_files().items():
        target = folder / name
        packed = folder / (name + ".gz")
        if target.is_symlink() or not target.exists() or target.stat().st_size != source.stat().st_size:
            # a real copy: the static handler refuses files that resolve outside its folder
            target.unlink(missing_ok=True)
            tmp = folder / (name + f".{os.getpid()}.tmp")
            shutil.copyfile(source, tmp)
            tmp.replace(target)
        if not packed.exists() or packed.stat().st_mtime < target.stat().st_mtime:
            tmp = folder / (name + f".gz.{os.getpid()}.tmp")
            tmp.write_bytes(gzip.compress(target.read_bytes(), compresslevel=9, mtime=0))
            tmp.replace(packed)
    return str(folder)


def _precompressed_bundle_handler():
    """A static file handler for the plotly files that sends ``NAME.gz`` (made once by :func:`_static_dir`)
    to browsers that accept gzip, instead of compressing 5 MB on every request: tornado's
    ``compress_response`` took 0.3 s of the server's single thread for each cold visit, and every
    other request of every page waited meanwhile (Voila's own scripts came 0.8 s later)."""
    from tornado.web import StaticFileHandler

    class PrecompressedBundle(StaticFileHandler):
        gzipped = False

        def get_absolute_path(self, root, path):
            absolute = super().get_absolute_path(root, path)
            accepts = "gzip" in self.request.headers.get("Accept-Encoding", "")
            self.gzipped = accepts and os.path.isfile(absolute + ".gz")
            return absolute + ".gz" if self.gzipped else absolute

        def get_content_type(self):
            return "text/javascript" if self.gzipped else super().get_content_type()

        def set_extra_headers(self, path):
            if self.gzipped:  # compress_response leaves a response that names its encoding alone
                self.set_header("Content-Encoding", "gzip")
            # and adds "Vary: Accept-Encoding" to every response

    return PrecompressedBundle


def voila_argv(
    *, notebooks: Path = NOTEBOOKS, host: str = "127.0.0.1", port: int = 8866, token: str | None = None,
    pool_size: int = 1, cull_after: int = 600, timeout: int = 120,
) -> list[str]:
    """The Voila command-line configuration of the app (also printed by ``rnnviz app --dry-run``)."""
    if cull_after < MIN_CULL_AFTER:
        raise ValueError(f"cull_after={cull_after}: kernels of pages still loading would be culled; "
                         f"use at least {MIN_CULL_AFTER} seconds")
    argv = [
        str(notebooks),
        "--no-browser",
        f"--Voila.ip={host}",
        f"--Voila.port={port}",
        "--Voila.port_retries=0",
        "--VoilaConfiguration.template=lab",
        "--VoilaConfiguration.theme=light",
        "--VoilaConfiguration.strip_sources=True",
        "--VoilaConfiguration.show_tracebacks=False",
        # the lessons' figures are widgets (anywidget): the jupyterlab-plotly mimetype renderer is never
        # used, and loading it cost every page 4.8 MB
        "--VoilaConfiguration.extension_denylist=jupyterlab-plotly",
        f"--VoilaConfiguration.preheat_kernel={pool_size > 0}",
        f"--VoilaConfiguration.default_pool_size={max(pool_size, 0)}",
        # read by _hook_pool_handouts: a refill waits this long unless a page waits for it
        f"--VoilaKernelManager.fill_delay={REFILL_DELAY}",
        f"--VoilaExecutor.timeout={timeout}",
        # nbclient waits 4 s (its default) for a cell's outputs after the cell finished, then goes on
        # WITHOUT them: with a class opening pages at once on 2 cores, 24 of 30 pages lost the output
        # that displays the app and stayed without figures ("Timeout waiting for IOPub output")
        f"--VoilaExecutor.iopub_timeout={IOPUB_TIMEOUT}",
        f"--MappingKernelManager.cull_idle_timeout={cull_after}",
        f"--MappingKernelManager.cull_interval={cull_interval(cull_after)}",
        "--MappingKernelManager.cull_connected=False",
    ]
    argv.append(f"--Voila.token={token}" if token else "--Voila.token=")
    return argv


class _RefillQueue:
    """Places for pool refills: at most ``limit`` at a time, and a refill a page waits for goes first.

    ``acquire(wanted)`` waits for a place; when one frees, the oldest waiting refill whose ``wanted``
    event is set gets it, else the oldest waiting refill. ``release()`` gives the place back.
    """

    def __init__(self, limit: int):
        self.limit, self.running = limit, 0
        self.waiting: list = []  # [(wanted, future)], oldest first

    async def acquire(self, wanted) -> None:
        import asyncio

        place = asyncio.get_running_loop().create_future()
        self.waiting.append((wanted, place))
        self._hand_on()
        try:
            await place
        except asyncio.CancelledError:
            if place.cancelled():
                self.waiting.remove((wanted, place))
            else:  # given a place while being cancelled
                self.release()
            raise

    def release(self) -> None:
        self.running -= 1
        self._hand_on()

    def _hand_on(self) -> None:
        while self.running < self.limit and self.waiting:
            first = next((w for w in self.waiting if w[0].is_set()), self.waiting[0])
            self.waiting.remove(first)
            self.running += 1
            first[1].set_result(None)


def _hook_pool_handouts(kernel_manager, *, concurrency: int = REFILL_CONCURRENCY) -> None:
    """What the app changes in Voila's pre-heated kernel pools: when refills run, and a kernel's idle clock.

    Voila 0.5 hands a page the first kernel of the lesson's pool (waiting for it if it is still being
    prepared) and schedules a refill: ``_initialize`` starts a kernel, and a task of its own runs the
    notebook in it (3-5 CPU-seconds). Wraps ``get_rendered_notebook`` and ``_initialize`` so that:

    * **a refill waits** up to ``fill_delay`` seconds (Voila's own delay is set to 0): started at once, it
      competes for the CPU with the page that took the kernel. It starts at once when a page waits for it
      (that page took the pool's first kernel while it was still being prepared).
    * **refills run** ``concurrency`` at a time (:class:`_RefillQueue`): a refill holds its place from the
      start of its kernel until its notebook has run, or until a page takes it mid-run (the rest of the run
      is then that page's load; a hung cell holds it until the executor's timeout). A refill a page waits
      for goes before the others. With no bound and ``--pool-size 5``, 30 pages opened at once started 30
      refills together on 2 cores, and 1 page of 30 became ready (benchmarks/README.md).
    * **a handed-out kernel's idle time starts at the handout**: a pooled kernel may have been idle
      longer than ``cull_after`` since it ran its notebook, and Voila hands it out without touching its
      ``last_activity``, so the culler shut it down before the browser had loaded the page (seen: handed
      out, culled 17 s later "due to 119 seconds of inactivity").

    The first filling of the pools at the server's start is Voila's own (it starts before this hook) and
    is neither delayed nor queued; a restarted kernel (``_initialize`` with a kernel id) is not a refill.
    """
    take = getattr(kernel_manager, "get_rendered_notebook", None)
    init = getattr(kernel_manager, "_initialize", None)
    if take is None or init is None:  # no pre-heated kernels
        return
    import asyncio

    delay = float(getattr(kernel_manager, "fill_delay", 0) or 0)
    kernel_manager.fill_delay = 0
    queue = _RefillQueue(concurrency)
    preparing: dict[str, list[asyncio.Event]] = {}  # notebook -> `wanted` of its refills not ready yet, oldest first

    def _initialize(notebook_name, kernel_id=None, **kwargs):
        if kernel_id is not None:  # a restart
            return init(notebook_name, kernel_id, **kwargs)
        wanted = asyncio.Event()  # set when a page waits for this refill
        preparing.setdefault(notebook_name, []).append(wanted)

        async def refill():
            try:
                if delay > 0:
                    try:
                        await asyncio.wait_for(wanted.wait(), delay)
                    except asyncio.TimeoutError:
                        pass
                await queue.acquire(wanted)
                try:
                    content = await init(notebook_name, None, **kwargs)
                except BaseException:
                    queue.release()
                    raise
            finally:
                preparing[notebook_name].remove(wanted)
            run = content.get("task") if isinstance(content, dict) else None
            if isinstance(run, asyncio.Future):
                run.add_done_callback(lambda _: queue.release())  # the notebook has run, or a page took it
            else:
                queue.release()
            return content

        return refill()

    async def get_rendered_notebook(notebook_name, *args, **kwargs):
        pool = getattr(kernel_manager, "_pools", {}).get(notebook_name) or []
        if pool and not pool[0].done():
            # this page will wait for the pool's first kernel: the oldest refill not ready yet (Voila's
            # pools are first in, first out; the refills taken earlier are already wanted)
            waiting = [w for w in preparing.get(notebook_name, []) if not w.is_set()]
            if waiting:
                waiting[0].set()
        result = await take(notebook_name, *args, **kwargs)
        kernel_id = result[-1] if isinstance(result, tuple) else None
        if kernel_id in kernel_manager:
            kernel_manager.get_kernel(kernel_id).last_activity = datetime.now(timezone.utc)
        return result

    kernel_manager._initialize = _initialize
    kernel_manager.get_rendered_notebook = get_rendered_notebook


def serve(argv: list[str]) -> None:
    """Start the Voila app with ``argv`` (from :func:`voila_argv`); returns when the server stops."""
    from tornado.web import RedirectHandler
    from voila.app import Voila
    from voila.utils import url_path_join  # noqa: F401  (present in voila 0.5)

    class RnnvizVoila(Voila):
        name = "rnnviz-app"

        def setup_template_dirs(self):
            super().setup_template_dirs()
            self.rnnviz_static = _static_dir()
            self.static_paths += [self.rnnviz_static, str(APP_STATIC)]  # the plotly bundle and the favicon
            self.template_paths.insert(0, str(APP_TEMPLATES))  # the lab template with the favicon

        def init_settings(self):
            settings = super().init_settings()
            # gzip for text, JavaScript, CSS, JSON and SVG when the browser accepts it. Here, not in
            # Voila.tornado_settings: Voila applies those after tornado has built the Application, and
            # tornado reads compress_response only while building it (so that setting compresses nothing)
            settings["compress_response"] = True
            _hook_pool_handouts(self.kernel_manager)
            return settings

        def init_handlers(self):
            handlers = super().init_handlers()
            index = url_path_join(self.server_url, "voila/render/index.ipynb")
            icon = url_path_join(self.server_url, "voila/static", FAVICON)
            names = "|".join(name.replace(".", r"\.") for name in _static_files())
            bundle = url_path_join(self.server_url, "voila/static", "(" + names + ")")
            # the landing page is the index of lessons, not a file listing
            return [(url_path_join(self.server_url, r"/?"), RedirectHandler, {"url": index}),
                    (url_path_join(self.server_url, "/favicon.ico"), RedirectHandler, {"url": icon}),
                    (bundle, _precompressed_bundle_handler(), {"path": self.rnnviz_static}), *handlers]

    os.environ[STATIC_ENV] = "1"
    RnnvizVoila.launch_instance(argv=argv)
