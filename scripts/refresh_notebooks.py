"""Execute the lesson notebooks and keep only the outputs nbval checks.

Notebooks live in git without outputs, except the cells tagged ``nbval-check-output``:
those keep their text output, which ``pytest --nbval-lax`` compares on every run.
Run after editing a notebook:  python scripts/refresh_notebooks.py [notebooks/x.ipynb ...]
"""

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from rnnviz.lessons import LESSONS  # noqa: E402

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


if __name__ == "__main__":
    paths = [Path(p).resolve() for p in sys.argv[1:]] or sorted((ROOT / "notebooks").glob("*.ipynb"))
    for p in paths:
        refresh(p)
