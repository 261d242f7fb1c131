"""The lesson notebooks as files: titles, navigation, outputs kept out of git."""

import json
from pathlib import Path

import pytest

from rnnviz.lessons import LESSONS, nav_markdown, readme_table

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.name for p in NOTEBOOKS])
def test_notebook_has_a_title_and_only_checked_outputs(path):
    nb = json.loads(path.read_text())
    assert nb["metadata"].get("title"), "set by scripts/refresh_notebooks.py: Voila uses it as the page title"
    assert "widgets" not in nb["metadata"], "widget state saved in the notebook (run scripts/refresh_notebooks.py)"
    assert path.stat().st_size < 200_000
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code":
            continue
        checked = "nbval-check-output" in cell.get("metadata", {}).get("tags", [])
        if not checked:
            assert cell["outputs"] == [], f"cell {i} keeps outputs in git (run scripts/refresh_notebooks.py)"
        for out in cell["outputs"]:
            assert out["output_type"] in ("stream", "execute_result"), f"cell {i}: only text outputs are compared"


@pytest.mark.parametrize("lesson", [ls for ls in LESSONS if (ROOT / "notebooks" / ls.notebook).exists()],
                         ids=lambda ls: ls.notebook)
def test_lesson_links_to_index_and_neighbours(lesson):
    nb = json.loads((ROOT / "notebooks" / lesson.notebook).read_text())
    first = "".join(nb["cells"][0]["source"]) + "".join(nb["cells"][1]["source"])
    assert nav_markdown(lesson) in first.split("\n"), "run python scripts/refresh_notebooks.py --links"
    assert "(index.ipynb)" in first
    if lesson.number < len(LESSONS):
        assert f"({LESSONS[lesson.number].notebook})" in first
    if lesson.number > 1:
        assert f"({LESSONS[lesson.number - 2].notebook})" in first


def test_every_lesson_exists_and_the_readme_lists_it():
    readme = (ROOT / "README.md").read_text()
    assert f"<!-- lessons -->\n{readme_table()}\n<!-- /lessons -->" in readme, "run python scripts/refresh_notebooks.py --links"
    for lesson in LESSONS:
        assert (ROOT / "notebooks" / lesson.notebook).exists(), f"notebooks/{lesson.notebook} is missing"
        assert f"(notebooks/{lesson.notebook})" in readme, f"README's lesson table lacks {lesson.notebook}"
