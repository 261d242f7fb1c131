"""JupyterHub configuration for a class using rnnviz.

Every student logs in and gets their own Jupyter server that opens on the Voila-rendered index of
lessons (``/user/<name>/voila/render/notebooks/index.ipynb``); the lesson cards link to the lessons
with relative links, so they stay under the student's own server.

    jupyterhub -f deploy/jupyterhub_config.py

Read ``deploy/README.md`` first. What this file sets:

* ``Spawner.notebook_dir`` = the rnnviz checkout **as the user servers see it** and
  ``Spawner.default_url`` = Voila's page of ``notebooks/index.ipynb`` in it;
* the Voila/kernel settings of the classroom app (executor timeout, kernel culling, hidden
  sources and tracebacks, MathJax from Voila's own bundle rather than a CDN), by pointing the
  user servers' ``JUPYTER_CONFIG_PATH`` at ``deploy/jupyter-config/`` in the checkout: the same
  ``jupyter_server_config.json`` that Binder uses;
* jupyterhub-idle-culler as a hub-managed service that stops user servers idle for an hour
  (when it is installed in the hub's environment);
* memory/CPU limits for spawners that enforce them (Docker, Kubernetes, systemd spawners; the
  default LocalProcessSpawner ignores them).

Site choices stay with the site: the authenticator, the spawner, TLS and the public address.
Set them in a file of your own that starts with ``load_subconfig("<path to this file>")``, as
``jupyterhub_config_local.py`` beside this one does for a trial on one machine.

Environment variables (all optional):

RNNVIZ_ROOT                   the checkout as the user servers see it (default: the folder above
                              this file); in a container image, where the image holds it
RNNVIZ_HUB_BIND_URL           where the hub's proxy listens (default http://127.0.0.1:8000)
RNNVIZ_CULL_SERVERS_AFTER     seconds of inactivity before a user server is stopped (default 3600)
RNNVIZ_MEM_LIMIT              per-user memory limit (default 2G), where the spawner enforces it
RNNVIZ_CPU_LIMIT              per-user CPU limit in cores (default 1), where the spawner enforces it
"""

import importlib.util
import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (provided by JupyterHub when it loads this file)

HERE = Path(__file__).resolve().parent
RNNVIZ_ROOT = os.environ.get("RNNVIZ_ROOT", str(HERE.parent))
#: The landing page, relative to RNNVIZ_ROOT. Voila renders it at /voila/render/<this path>.
LANDING = "notebooks/index.ipynb"
#: The user servers' Voila and kernel settings: jupyter-server reads jupyter_server_config.json from
#: every folder on JUPYTER_CONFIG_PATH (binder/start points Binder at the same folder).
JUPYTER_CONFIG = "deploy/jupyter-config"


# -- What every student's server runs -------------------------------------------------------------
c.Spawner.notebook_dir = RNNVIZ_ROOT
c.Spawner.default_url = "/voila/render/" + LANDING
c.Spawner.environment = {"JUPYTER_CONFIG_PATH": os.path.join(RNNVIZ_ROOT, JUPYTER_CONFIG)}
# A first start on a busy machine imports the whole Jupyter stack: give it time.
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 60

# -- Resources --------------------------------------------------------------------------------------
# Measured (deploy/README.md): the user's server ~250-270 MB, a lesson's kernel ~135 MB, the
# index's ~65 MB; a student with two lessons open uses ~0.6 GB, with all six and the core tour open
# (kernels of closed pages live 10 more minutes) 1.2 GB. A spawner that enforces the limit kills the
# whole server past it, hence 2 GB. Enforced only by spawners that can (see deploy/README.md).
c.Spawner.mem_limit = os.environ.get("RNNVIZ_MEM_LIMIT", "2G")
c.Spawner.cpu_limit = float(os.environ.get("RNNVIZ_CPU_LIMIT", "1"))

# -- The hub itself -------------------------------------------------------------------------------
c.JupyterHub.bind_url = os.environ.get("RNNVIZ_HUB_BIND_URL", "http://127.0.0.1:8000")
# Start no more than this many servers at once, so a class logging in together does not starve the
# machine (a start imports the whole Jupyter stack); later students wait in the spawn queue instead.
c.JupyterHub.concurrent_spawn_limit = 20

# -- Stop servers nobody uses -----------------------------------------------------------------------
# Kernels of closed pages are culled inside each server after 10 minutes (jupyter-config); whole
# servers idle for RNNVIZ_CULL_SERVERS_AFTER seconds are stopped by jupyterhub-idle-culler.
# An hour lets a lesson run with students listening rather than clicking.
CULL_AFTER = int(os.environ.get("RNNVIZ_CULL_SERVERS_AFTER", "3600"))
if importlib.util.find_spec("jupyterhub_idle_culler") is not None:
    c.JupyterHub.load_roles = [
        {
            "name": "jupyterhub-idle-culler-role",
            "scopes": ["list:users", "read:users:activity", "read:servers", "delete:servers"],
            "services": ["jupyterhub-idle-culler-service"],
        }
    ]
    c.JupyterHub.services = [
        {
            "name": "jupyterhub-idle-culler-service",
            "command": [sys.executable, "-m", "jupyterhub_idle_culler", f"--timeout={CULL_AFTER}",
                        "--cull-every=300", "--concurrency=5"],
        }
    ]
else:
    print("rnnviz jupyterhub_config: jupyterhub-idle-culler is not installed in the hub's environment; "
          "idle user servers will not be stopped (pip install jupyterhub-idle-culler)", file=sys.stderr)
