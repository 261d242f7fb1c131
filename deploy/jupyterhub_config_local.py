"""Try the class set-up on one machine: any user name logs in, servers run as local processes.

    jupyterhub -f deploy/jupyterhub_config_local.py      # then open http://127.0.0.1:8000

For a trial only (``deploy/try_hub.py`` runs it and checks the result). DummyAuthenticator lets
anyone in under any name, and SimpleLocalProcessSpawner runs every "user" as the account that
started the hub, with no isolation: it listens on 127.0.0.1 only and must never face a network.
"""

import os
import sys
from pathlib import Path

c = get_config()  # noqa: F821  (provided by JupyterHub)

# Everything the class set-up sets (an absolute path: load_subconfig skips a missing file silently).
load_subconfig(str(Path(__file__).resolve().with_name("jupyterhub_config.py")))  # noqa: F821
if "default_url" not in c.Spawner:
    raise RuntimeError("deploy/jupyterhub_config.py was not loaded")

c.JupyterHub.bind_url = os.environ.get("RNNVIZ_HUB_BIND_URL", "http://127.0.0.1:8000")
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.authenticator_class = "dummy"
c.JupyterHub.spawner_class = "simple"
c.SimpleLocalProcessSpawner.home_dir_template = os.environ.get("RNNVIZ_TRY_HOMES", "/tmp/rnnviz-hub-users") + "/{username}"
# The user servers run in the hub's own environment: start the jupyterhub-singleuser beside its Python.
c.Spawner.cmd = [str(Path(sys.executable).with_name("jupyterhub-singleuser"))]
if hasattr(os, "geteuid") and os.geteuid() == 0:
    # jupyter-server refuses to run as root without it
    c.Spawner.args = [*(c.Spawner.args if "args" in c.Spawner else []), "--allow-root"]
