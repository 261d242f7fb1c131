"""The classroom app: Voila serving the lessons, configured for a class.

``rnnviz app`` (see :mod:`rnnviz.cli`) runs :func:`serve`, which starts Voila on the
``notebooks/`` folder with:

* the index as the landing page (``/`` redirects to it) and no code cells shown;
* pre-started kernels (``preheat``) so a lesson page is ready in about a second;
* the 5 MB plotly.js widget bundle served once as a cacheable static file instead of
  inside every figure's widget state (see :data:`PLOTLY_LOADER`);
* an executor timeout, so a notebook that hangs becomes an error page;
* gzip-compressed responses (the plotly bundle shrinks from 5 MB to about 1.5 MB);
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

__all__ = ["MIN_CULL_AFTER", "NOTEBOOKS", "PLOTLY_LOADER", "STATIC_ENV", "serve", "voila_argv"]

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"
APP_STATIC = Path(__file__).resolve().parent / "app_static"  # served at voila/static/
APP_TEMPLATES = Path(__file__).resolve().parent / "app_templates"  # first on Voila's template path
FAVICON = "rnnviz-favicon.svg"
# Seconds. A kernel is culled once nobody is connected to it for ``cull_after`` seconds, and a page
# connects only once the browser has loaded it: 10-50 s on a busy 2-core machine, over 120 s with 30
# pages at once (benchmarks/README.md). Below a minute, loading pages lose their kernels.
MIN_CULL_AFTER = 60
from .widgets.base import PLOTLY_LOADER, STATIC_ENV, STATIC_NAME


def _static_dir() -> str:
    """A folder holding the plotly widget bundle under a fixed name, for Voila's static handler."""
    import plotly

    bundle = Path(plotly.__file__).parent / "package_data" / "widgetbundle.js"
    folder = Path(tempfile.gettempdir()) / f"rnnviz-static-{plotly.__version__}"
    folder.mkdir(exist_ok=True)
    target = folder / STATIC_NAME
    if target.is_symlink() or not target.exists() or target.stat().st_size != bundle.stat().st_size:
        # a real copy: the static handler refuses files that resolve outside its folder
        target.unlink(missing_ok=True)
        tmp = folder / (STATIC_NAME + f".{os.getpid()}.tmp")
        shutil.copyfile(bundle, tmp)
        tmp.replace(target)
    return str(folder)


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
        f"--VoilaExecutor.timeout={timeout}",
        f"--MappingKernelManager.cull_idle_timeout={cull_after}",
        f"--MappingKernelManager.cull_interval={max(min(cull_after // 2, 60), 1)}",
        "--MappingKernelManager.cull_connected=False",
    ]
    argv.append(f"--Voila.token={token}" if token else "--Voila.token=")
    return argv


def _restart_idle_clock_at_handout(kernel_manager) -> None:
    """Make a pre-heated kernel count as active from the moment it is handed to a page.

    A pooled kernel ran its notebook when the pool was filled and has been idle since, maybe for
    longer than ``cull_after``. Voila hands it to a page without touching its ``last_activity``,
    so the culler's next pass (every ``cull_interval``) shut it down before the browser had loaded
    the page and connected (seen: handed out, culled 17 s later "due to 119 seconds of
    inactivity"). Wraps ``get_rendered_notebook``, which returns ``(task, cells, kernel_id)``.
    """
    take = getattr(kernel_manager, "get_rendered_notebook", None)
    if take is None:  # no pre-heated kernels
        return

    async def get_rendered_notebook(*args, **kwargs):
        result = await take(*args, **kwargs)
        kernel_id = result[-1] if isinstance(result, tuple) else None
        if kernel_id in kernel_manager:
            kernel_manager.get_kernel(kernel_id).last_activity = datetime.now(timezone.utc)
        return result

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
            self.static_paths += [_static_dir(), str(APP_STATIC)]  # the plotly bundle and the favicon
            self.template_paths.insert(0, str(APP_TEMPLATES))  # the lab template with the favicon

        def init_settings(self):
            settings = super().init_settings()
            # gzip for text, JavaScript, CSS, JSON and SVG when the browser accepts it. Here, not in
            # Voila.tornado_settings: Voila applies those after tornado has built the Application, and
            # tornado reads compress_response only while building it (so that setting compresses nothing)
            settings["compress_response"] = True
            _restart_idle_clock_at_handout(self.kernel_manager)
            return settings

        def init_handlers(self):
            handlers = super().init_handlers()
            index = url_path_join(self.server_url, "voila/render/index.ipynb")
            icon = url_path_join(self.server_url, "voila/static", FAVICON)
            # the landing page is the index of lessons, not a file listing
            return [(url_path_join(self.server_url, r"/?"), RedirectHandler, {"url": index}),
                    (url_path_join(self.server_url, "/favicon.ico"), RedirectHandler, {"url": icon}), *handlers]

    os.environ[STATIC_ENV] = "1"
    RnnvizVoila.launch_instance(argv=argv)
