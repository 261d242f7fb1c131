"""Execute the lesson notebooks and keep only the outputs nbval checks; write what the lesson list decides.

Notebooks live in git without outputs, except the cells tagged ``nbval-check-output``:
those keep their text output, which ``pytest --nbval-lax`` compares on every run.
Run after editing a notebook:  python scripts/refresh_notebooks.py [notebooks/x.ipynb ...]

``--links`` executes nothing: it writes each lesson's navigation line (index, previous, next) and README's
lesson table from ``rnnviz.lessons.LESSONS``. Run it after adding a lesson there.
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rnnviz.lessons import LESSONS, nav_markdown, readme_table  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
CHECK = "nbval-check-output"
TITLES = {lesson.notebook: f"{lesson.number}. {lesson.title} — rnnviz" for lesson in LESSONS}
TITLES.update({"index.ipynb": "rnnviz — recurrent neural networks, step by step",
               "core-tour.ipynb": "A tour of the core — rnnviz"})


def refresh(path: Path) -> None:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3", resources={"metadata": {"path": str(path.parent)}}).execute()
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        cell.metadata.pop("execution", None)  # timestamps: noise in git
        if CHECK in cell.metadata.get("tags", []):
            # nbval compares these; it needs the execution count to know the cell was run
            cell.outputs = [o for o in cell.outputs if o.output_type == "stream"
                            or (o.output_type == "execute_result" and set(o.data) == {"text/plain"})]
        else:
            cell.execution_count = None
            cell.outputs = []
    nb.metadata.pop("widgets", None)  # widget state (megabytes of plotly.js): never in git
    nb.metadata["title"] = TITLES.get(path.name, path.stem)  # the page title under Voila
    nbformat.write(nb, path)
    print("refreshed", path.relative_to(ROOT))


NAV_PREFIX = "[\u2190 Index](index.ipynb)"
README_START, README_END = "<!-- lessons -->", "<!-- /lessons -->"


def write_links() -> None:
    """Each lesson's navigation line and README's lesson table, from the lesson list."""
    for lesson in LESSONS:
        path = ROOT / "notebooks" / lesson.notebook
        if not path.exists():
            continue
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells[:2]:
            lines = cell.source.split("\n")
            hits = [i for i, line in enumerate(lines) if line.startswith(NAV_PREFIX)]
            if hits:
                lines[hits[0]] = nav_markdown(lesson)
                new = "\n".join(lines)
                if new != cell.source:
                    cell.source = new
                    nbformat.write(nb, path)
                    print("navigation line written:", path.relative_to(ROOT))
                break
        else:
            raise SystemExit(f"{path.name}: no line starting with {NAV_PREFIX!r} in its first two cells")
    readme = ROOT / "README.md"
    text = readme.read_text()
    a, b = text.index(README_START) + len(README_START), text.index(README_END)
    new = text[:a] + "\n" + readme_table() + "\n" + text[b:]
    if new != text:
        readme.write_text(new)
        print("README's lesson table written")


if __name__ == "__main__":
    if sys.argv[1:] == ["--links"]:
        write_links()
        raise SystemExit(0)
    paths = [Path(p).resolve() for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for p in paths:
        refresh(p)
