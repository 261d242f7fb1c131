"""The project's set-up files agree with each other and with the README."""

import ast
import fnmatch
import re
import tomllib
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def _pyproject():
    return tomllib.loads((ROOT / "pyproject.toml").read_text())


def _split(req: str) -> tuple[str, str]:
    m = re.match(r"^\s*([A-Za-z0-9_.\-]+)(\[[^\]]*\])?\s*(.*)$", req)
    assert m, req
    return m.group(1).lower().replace("_", "-"), m.group(3).replace(" ", "")


def _pyproject_requirements() -> dict[str, str]:
    proj = _pyproject()["project"]
    reqs = list(proj["dependencies"])
    for extra in proj["optional-dependencies"].values():
        reqs += [r for r in extra if not r.startswith("rnnviz")]
    return dict(_split(r) for r in reqs)


def _conda_requirements() -> tuple[dict[str, str], list]:
    env = yaml.safe_load((ROOT / "environment.yml").read_text())
    conda, pip = {}, []
    for dep in env["dependencies"]:
        if isinstance(dep, dict):
            pip += dep.get("pip", [])
        else:
            name, spec = _split(dep)
            conda[name] = spec
    return conda, pip


def test_environment_yml_lists_exactly_the_pyproject_dependencies():
    py = _pyproject_requirements()
    conda, pip = _conda_requirements()
    conda.pop("pip", None)
    assert "python" in conda and conda.pop("python") == ">=" + _pyproject()["project"]["requires-python"].lstrip(">=")
    assert conda == py, "environment.yml and pyproject.toml disagree: " + str(
        {k: (conda.get(k), py.get(k)) for k in set(conda) | set(py) if conda.get(k) != py.get(k)}
    )
    assert pip == ["-e ."], "environment.yml installs rnnviz itself with pip: -e ."


def test_core_depends_on_numpy_alone():
    assert [_split(r)[0] for r in _pyproject()["project"]["dependencies"]] == ["numpy"]
    # and the core imports nothing else
    allowed = {"numpy", "__future__", "collections", "typing", "math", "dataclasses", "inspect", "time", "warnings",
               "functools", "itertools", "pathlib", "os", "re", "json", "enum", "numbers", "abc", "importlib"}
    for path in (ROOT / "rnnviz" / "core").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [node.module]
            else:
                continue
            for name in names:
                assert name.split(".")[0] in allowed, f"{path.name} imports {name}"


def test_plotly_widgets_have_anywidget_declared():
    py = _pyproject_requirements()
    assert "plotly" in py and "anywidget" in py


def test_ci_runs_exactly_the_readme_test_command():
    readme = (ROOT / "README.md").read_text()
    ci = (ROOT / ".ci" / "run").read_text()
    m = re.search(r"<!-- test-command -->\s*```(?:bash|sh)?\n(.+?)\n```", readme, re.S)
    assert m, "README marks its test command with <!-- test-command -->"
    command = m.group(1).strip()
    ci_lines = [l for l in ci.splitlines() if l.strip() and not l.startswith("#") and not l.startswith("set ")
                and not l.startswith("cd ")]
    assert ci_lines == [command]


def test_readme_file_map_names_existing_paths():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("## File map", 1)[1]
    paths = re.findall(r"^\s*[-|]\s*`([^`]+)`", section, re.M)
    assert len(paths) >= 8
    for p in paths:
        assert (ROOT / p.rstrip("/")).exists(), f"README file map names {p}, which does not exist"


def test_the_apps_files_are_package_data():
    """What the package reads at run time (texts, the pretrained model, the app's favicon and template)
    is in package-data: a non-editable install has exactly these."""
    patterns = _pyproject()["tool"]["setuptools"]["package-data"]["rnnviz"]
    package = ROOT / "rnnviz"
    files = [p for folder in ("data", "app_static", "app_templates") for p in (package / folder).rglob("*")
             if p.is_file() and p.suffix != ".py" and "__pycache__" not in p.parts]
    assert any(p.parent.name == "app_static" for p in files) and any(p.parent.name == "app_templates" for p in files)
    missing = [str(p.relative_to(package)) for p in files
               if not any(fnmatch.fnmatch(str(p.relative_to(package)), pat) for pat in patterns)]
    assert not missing, f"not in [tool.setuptools.package-data] of pyproject.toml: {missing}"
