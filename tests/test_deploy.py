"""The multi-user set-ups (Binder, JupyterHub) point at files that exist and agree with the app.

No network, no JupyterHub needed: the JupyterHub config files are executed with a stand-in for
the ``c`` config object; the checks that need jupyterhub or voila installed skip without them.
"""

import importlib.util
import json
import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlparse

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
BINDER = ROOT / "binder"
HUB_CONFIG = DEPLOY / "jupyterhub_config.py"
HUB_CONFIG_LOCAL = DEPLOY / "jupyterhub_config_local.py"
SERVER_CONFIG = DEPLOY / "jupyter-config" / "jupyter_server_config.json"
MYBINDER = re.compile(r"https://mybinder\.org/v2/[^\s)\]\"']+")


def _deploy_section() -> str:
    text = (ROOT / "README.md").read_text()
    assert text.count("<!-- deploy -->") == 1 and text.count("<!-- /deploy -->") == 1
    return text.split("<!-- deploy -->", 1)[1].split("<!-- /deploy -->", 1)[0]


# -- README -----------------------------------------------------------------------------------------

def test_readme_section_sits_under_its_heading_before_the_file_map():
    text = (ROOT / "README.md").read_text()
    heading = text.index("## Running it for a larger class")
    assert heading < text.index("<!-- deploy -->") < text.index("<!-- /deploy -->") < text.index("## File map")


def test_binder_link_opens_voila_on_a_notebook_that_exists():
    section = _deploy_section()
    links = MYBINDER.findall(section)
    assert links, "the README's deploy section has a mybinder.org link"
    for link in links:
        url = urlparse(link)
        provider, *repo = url.path.split("/")[2:]  # /v2/gh/<OWNER>/<REPO>/<ref>
        assert provider in {"gh", "gl", "git", "gist", "zenodo"} and len(repo) >= 2, link
        if any("<" in part for part in repo):
            # placeholders must be called placeholders, with the way to fill them in
            assert "placeholder" in section and "<OWNER>" in section and "<REPO>" in section
        urlpath = unquote(parse_qs(url.query)["urlpath"][0]).lstrip("/")
        assert urlpath.startswith("voila/render/"), f"{link} opens Voila, not {urlpath}"
        notebook = ROOT / urlpath.removeprefix("voila/render/")
        assert notebook.suffix == ".ipynb" and notebook.is_file(), f"{link} points at a missing {notebook}"


@pytest.mark.parametrize("doc", ["README.md", "deploy/README.md"])
def test_every_voila_address_in_the_docs_names_an_existing_notebook(doc):
    text = unquote((ROOT / doc).read_text())
    paths = set(re.findall(r"voila/render/([\w./-]+\.ipynb)", text))
    assert paths, f"{doc} shows where Voila renders the lessons"
    missing = [p for p in paths if not (ROOT / p).is_file()]
    assert not missing, f"{doc} names notebooks that do not exist: {missing}"


# -- Binder -----------------------------------------------------------------------------------------

def _env(path: Path) -> tuple[dict[str, str], list]:
    deps, pip = {}, []
    for dep in yaml.safe_load(path.read_text())["dependencies"]:
        if isinstance(dep, dict):
            pip += dep.get("pip", [])
            continue
        m = re.match(r"^([A-Za-z0-9_.\-]+)\s*(.*)$", dep)
        deps[m.group(1).lower()] = m.group(2).replace(" ", "")
    return deps, pip


def test_binder_environment_has_what_the_lessons_need_with_an_exact_python_and_no_local_install():
    binder, binder_pip = _env(BINDER / "environment.yml")
    root, _ = _env(ROOT / "environment.yml")
    # repo2docker chooses its base image from python=X.Y; it reads a range as "unspecified"
    m = re.fullmatch(r"=(\d+)\.(\d+)", binder.pop("python"))
    assert m, "binder/environment.yml pins python=X.Y"
    minimum = re.search(r"(\d+)\.(\d+)", root.pop("python"))
    assert (int(m[1]), int(m[2])) >= (int(minimum[1]), int(minimum[2]))
    # the versions are the root file's ...
    assert {k: v for k, v in binder.items() if v != root.get(k)} == {}, "binder/environment.yml and environment.yml disagree"
    # ... and nothing the lessons import is missing: numpy and the app extras of pyproject.toml
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    needed = {re.match(r"[A-Za-z0-9_.\-]+", r)[0].lower() for r in project["dependencies"] + project["optional-dependencies"]["app"]}
    assert needed <= set(binder), f"binder/environment.yml lacks {needed - set(binder)}"
    # rnnviz itself is installed by postBuild, after repo2docker has copied the repository
    assert not binder_pip


def test_binder_scripts_are_executable_bash_and_name_files_that_exist():
    for name in ("postBuild", "start"):
        script = BINDER / name
        text = script.read_text()
        assert text.startswith("#!/bin/bash\n"), name
        tracked = subprocess.run(["git", "ls-files", "-s", str(script)], cwd=ROOT, capture_output=True, text=True)
        mode = tracked.stdout.split()[0] if tracked.returncode == 0 and tracked.stdout else None
        assert mode == "100755" if mode else os.access(script, os.X_OK), f"binder/{name} is executable"
        for ref in re.findall(r"\b((?:deploy|binder|notebooks)/[\w./-]*\w)", text):
            assert (ROOT / ref).exists(), f"binder/{name} names {ref}, which does not exist"
    assert re.search(r"pip install .*-e \.\s*$", (BINDER / "postBuild").read_text(), re.M)
    assert (BINDER / "start").read_text().rstrip().endswith('exec "$@"'), "start must hand over to the server"


def test_binder_start_puts_the_classroom_settings_first_on_the_config_path():
    env = {k: v for k, v in os.environ.items() if k != "JUPYTER_CONFIG_PATH"}
    out = subprocess.run(["bash", str(BINDER / "start"), "printenv", "JUPYTER_CONFIG_PATH"], env=env,
                         capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    assert Path(out) == SERVER_CONFIG.parent and (Path(out) / SERVER_CONFIG.name).is_file()
    env["JUPYTER_CONFIG_PATH"] = "/elsewhere"
    out = subprocess.run(["bash", str(BINDER / "start"), "printenv", "JUPYTER_CONFIG_PATH"], env=env,
                         capture_output=True, text=True, timeout=30, check=True).stdout.strip()
    assert out.split(os.pathsep) == [str(SERVER_CONFIG.parent), "/elsewhere"]


# -- The user servers' settings (Binder and JupyterHub) ---------------------------------------------

def test_server_settings_match_the_classroom_app():
    pytest.importorskip("ipywidgets")
    from rnnviz.app import voila_argv

    settings = json.loads(SERVER_CONFIG.read_text())
    app = {}
    for arg in voila_argv():
        m = re.fullmatch(r"--(\w+)\.(\w+)=(.*)", arg)
        if m:
            app[(m[1], m[2])] = m[3]
    compared = 0
    for cls in ("VoilaConfiguration", "VoilaExecutor", "MappingKernelManager"):
        for name, value in settings[cls].items():
            assert (cls, name) in app, f"{cls}.{name} is not a setting of the app"
            value = ",".join(value) if isinstance(value, list) else str(value)  # a list is comma-separated on the command line
            assert value == app[(cls, name)], f"{cls}.{name}: {value} here, {app[(cls, name)]} in the app"
            compared += 1
    assert compared >= 6
    # the two settings a class of 30 needed (benchmarks/README.md): outputs waited for, no unused 4.8 MB extension
    assert settings["VoilaExecutor"]["iopub_timeout"] == 120
    assert settings["VoilaConfiguration"]["extension_denylist"] == ["jupyterlab-plotly"]
    assert settings["ServerApp"]["jpserver_extensions"] == {"voila": True}
    # MathJax from Voila's own bundle (as in the app), not from a CDN a classroom may not reach
    assert settings["ServerApp"]["tornado_settings"] == {"mathjax_url": None, "mathjax_config": None}


def test_server_settings_name_real_traits():
    pytest.importorskip("voila")
    from jupyter_server.serverapp import ServerApp
    from jupyter_server.services.kernels.kernelmanager import MappingKernelManager
    from voila.configuration import VoilaConfiguration
    from voila.execute import VoilaExecutor

    classes = {c.__name__: c for c in (ServerApp, MappingKernelManager, VoilaConfiguration, VoilaExecutor)}
    for cls, traits in json.loads(SERVER_CONFIG.read_text()).items():
        for name in traits:
            assert name in classes[cls].class_trait_names(config=True), f"{cls}.{name}"


# -- JupyterHub -------------------------------------------------------------------------------------

class _Section(dict):
    def __getattr__(self, name):
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None

    def __setattr__(self, name, value):
        self[name] = value


class _Config(dict):
    """Enough of traitlets' Config for a config file: ``c.Section.trait = value``."""

    def __getattr__(self, name):
        return self.setdefault(name, _Section())


def _run_config(path: Path, c: _Config | None = None) -> _Config:
    c = _Config() if c is None else c

    def load_subconfig(fname, path=None):
        _run_config(Path(fname), c)

    namespace = {"c": c, "get_config": lambda: c, "load_subconfig": load_subconfig, "__file__": str(path)}
    exec(compile(path.read_text(), str(path), "exec"), namespace)
    return c


@pytest.fixture
def clean_env(monkeypatch):
    for key in list(os.environ):
        if key.startswith("RNNVIZ_"):
            monkeypatch.delenv(key)


def test_hub_config_lands_every_student_on_the_voila_index(clean_env):
    c = _run_config(HUB_CONFIG)
    root = Path(c.Spawner.notebook_dir)
    assert root == ROOT
    url = c.Spawner.default_url
    assert url.startswith("/voila/render/")
    assert (root / url.removeprefix("/voila/render/")).is_file(), f"default_url {url} names a missing notebook"
    config_path = Path(c.Spawner.environment["JUPYTER_CONFIG_PATH"])
    assert config_path == SERVER_CONFIG.parent and (config_path / SERVER_CONFIG.name).is_file()
    assert urlparse(c.JupyterHub.bind_url).hostname == "127.0.0.1", "loopback unless the site says otherwise"
    assert re.fullmatch(r"\d+(\.\d+)?[KMGT]", c.Spawner.mem_limit)


def test_hub_config_follows_rnnviz_root(clean_env, monkeypatch, tmp_path):
    monkeypatch.setenv("RNNVIZ_ROOT", str(tmp_path))
    c = _run_config(HUB_CONFIG)
    assert c.Spawner.notebook_dir == str(tmp_path)
    assert c.Spawner.environment["JUPYTER_CONFIG_PATH"] == str(tmp_path / "deploy" / "jupyter-config")


@pytest.mark.parametrize("installed", [True, False])
def test_hub_config_culls_idle_servers_when_the_culler_is_installed(clean_env, monkeypatch, installed):
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: (object() if installed else None) if name == "jupyterhub_idle_culler"
                        else real(name, *a))
    c = _run_config(HUB_CONFIG)
    if not installed:
        assert "services" not in c.JupyterHub  # a service whose module is missing would fail at start-up
        return
    (service,) = c.JupyterHub.services
    assert service["command"][1:3] == ["-m", "jupyterhub_idle_culler"]
    assert "--timeout=3600" in service["command"]
    (role,) = c.JupyterHub.load_roles
    assert role["services"] == [service["name"]]
    assert {"list:users", "read:users:activity", "read:servers", "delete:servers"} <= set(role["scopes"])


def test_local_trial_config_is_loopback_only_and_keeps_the_class_settings(clean_env):
    c = _run_config(HUB_CONFIG_LOCAL)
    assert c.Spawner.default_url == _run_config(HUB_CONFIG).Spawner.default_url
    assert urlparse(c.JupyterHub.bind_url).hostname == "127.0.0.1" and c.JupyterHub.hub_ip == "127.0.0.1"
    assert c.JupyterHub.authenticator_class == "dummy" and c.JupyterHub.spawner_class == "simple"
    assert Path(c.Spawner.cmd[0]).name == "jupyterhub-singleuser"
    assert ("--allow-root" in c.Spawner.get("args", [])) == (hasattr(os, "geteuid") and os.geteuid() == 0)


def test_hub_configs_load_in_jupyterhub_and_set_only_real_traits(clean_env):
    pytest.importorskip("jupyterhub")
    from jupyterhub.app import JupyterHub
    from jupyterhub.auth import DummyAuthenticator
    from jupyterhub.proxy import ConfigurableHTTPProxy
    from jupyterhub.spawner import SimpleLocalProcessSpawner

    app = JupyterHub()
    app.load_config_file(str(HUB_CONFIG_LOCAL))
    assert app.config.Spawner.default_url == "/voila/render/notebooks/index.ipynb"
    classes = {"JupyterHub": JupyterHub, "Spawner": SimpleLocalProcessSpawner,
               "SimpleLocalProcessSpawner": SimpleLocalProcessSpawner, "Authenticator": DummyAuthenticator,
               "ConfigurableHTTPProxy": ConfigurableHTTPProxy}
    for section, traits in app.config.items():
        for name in traits:
            assert name in classes[section].class_trait_names(config=True), f"{section}.{name}"


# -- The trial scripts ------------------------------------------------------------------------------

def test_trial_scripts_read_the_readme_link(monkeypatch):
    monkeypatch.syspath_prepend(str(DEPLOY))
    sys.modules.pop("try_hub", None)
    sys.modules.pop("try_binder", None)
    import try_binder

    urlpath = try_binder.readme_urlpath()
    assert (ROOT / urlpath.lstrip("/").removeprefix("voila/render/")).is_file()
