"""Imports point down only: core → data → lesson math → exercises → views → apps → server (docs/DECISIONS.md)."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parent.parent / "rnnviz"
# each layer and the layers (and third-party packages) it may import
LAYERS = {
    "core": ({"core"}, {"numpy"}),
    "data": ({"core", "data"}, {"numpy"}),
    "lessonmath": ({"core", "data", "lessonmath"}, {"numpy"}),
    "exercises": ({"core", "data", "lessonmath", "exercises"}, {"numpy", "ipywidgets"}),
    "viz": ({"core", "data", "lessonmath", "viz"}, {"numpy", "plotly"}),
    "widgets": ({"core", "data", "lessonmath", "exercises", "viz", "widgets", "lessons"},
                {"numpy", "plotly", "ipywidgets", "traitlets", "anywidget"}),
}
STDLIB_OK = {"__future__", "collections", "contextlib", "dataclasses", "functools", "html", "importlib", "itertools",
             "math", "os", "re", "typing", "uuid", "xml", "asyncio", "time", "copy", "hashlib", "json", "pathlib",
             "string", "textwrap", "warnings", "numbers", "operator", "statistics", "abc", "enum", "pkgutil", "inspect",
             "random", "sys", "io", "heapq", "bisect", "struct", "zlib", "base64", "array", "weakref", "fractions", "types"}


def _imports(path: Path, layer: str):
    """(rnnviz layer, third-party package) names imported by a module of ``layer``."""
    tree = ast.parse(path.read_text())
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            if node.level >= 1:  # relative: from .x / from ..x
                parts = node.module.split(".") if node.module else []
                if node.level == 1:
                    yield "rnnviz", layer if path.parent.name == layer else (parts[0] if parts else "")
                else:
                    yield "rnnviz", parts[0] if parts else ""
            elif node.module.split(".")[0] == "rnnviz":
                yield "rnnviz", node.module.split(".")[1] if "." in node.module else ""
            else:
                yield "ext", node.module.split(".")[0]
        elif isinstance(node, ast.Import):
            for alias in node.names:
                top = alias.name.split(".")[0]
                yield ("rnnviz", alias.name.split(".")[1]) if top == "rnnviz" else ("ext", top)


@pytest.mark.parametrize("layer", list(LAYERS))
def test_a_layer_imports_only_the_layers_below_it(layer):
    allowed, packages = LAYERS[layer]
    modules = sorted((PKG / layer).glob("*.py"))
    assert modules, f"rnnviz/{layer}/ has no modules"
    for path in modules:
        for kind, name in _imports(path, layer):
            where = f"rnnviz/{layer}/{path.name}"
            if kind == "rnnviz":
                assert name in allowed, f"{where} imports rnnviz.{name}: {layer} may import only {sorted(allowed)}"
            else:
                assert name in packages or name in STDLIB_OK, f"{where} imports {name}"


def test_the_lesson_math_imports_no_widgets_and_no_plotting():
    for path in sorted((PKG / "lessonmath").glob("*.py")):
        text = path.read_text()
        assert "ipywidgets" not in text and "plotly" not in text, path.name
