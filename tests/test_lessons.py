"""Every lesson is built the one way (docs/LESSONS.md): a module of its slug in each layer, its exercises shown
and checkable in its notebook, its own test file."""

import importlib
import json
from pathlib import Path

import pytest

from rnnviz.lessons import LESSONS, lesson
from rnnviz.widgets.base import LessonApp

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.parametrize("ls", LESSONS, ids=lambda ls: ls.slug)
def test_a_lesson_has_one_module_per_layer_and_its_own_tests(ls):
    for module in (f"rnnviz.lessonmath.{ls.slug}", f"rnnviz.exercises.{ls.slug}", ls.views_module,
                   f"rnnviz.widgets.{ls.slug}"):
        importlib.import_module(module)
    assert (ROOT / "tests" / f"test_lesson_{ls.slug}.py").exists(), f"tests/test_lesson_{ls.slug}.py is missing"
    apps = ls.app_classes()
    assert apps and all(issubclass(cls, LessonApp) for cls in apps)


@pytest.mark.parametrize("ls", LESSONS, ids=lambda ls: ls.slug)
def test_the_notebook_shows_every_exercise_and_checks_it_with_a_placeholder(ls):
    exercises = ls.exercises()
    assert exercises, f"lesson {ls.number} has no exercises in rnnviz.exercises.{ls.slug}"
    assert all(e.key.startswith(f"{ls.number:02d}.") for e in exercises)
    nb = json.loads((ROOT / "notebooks" / ls.notebook).read_text())
    code = ["".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code"]
    module = importlib.import_module(f"rnnviz.exercises.{ls.slug}")
    names = {id(v): k for k, v in vars(module).items()}
    for e in exercises:
        attr = names[id(e)]
        shown = [c for c in code if c.strip().splitlines()[-1].strip().endswith(f".{attr}")]
        checked = [c for c in code if f".{attr}.check(" in c]
        assert shown, f"{ls.notebook} never displays exercise {e.key} (a cell ending with ex.{attr})"
        assert checked, f"{ls.notebook} never calls {attr}.check(...)"
        assert e.code.split("\n")[-1].strip() in "\n".join(checked), f"{e.key}: its code line differs from the notebook's"


def test_lessons_are_numbered_in_order_with_unique_slugs():
    assert [ls.number for ls in LESSONS] == list(range(1, len(LESSONS) + 1))
    assert len({ls.slug for ls in LESSONS}) == len(LESSONS)
    assert lesson(5).slug == "vanishing" and lesson("taming").number == 6
    with pytest.raises(KeyError, match="no lesson"):
        lesson("lstm")
