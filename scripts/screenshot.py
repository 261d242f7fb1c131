"""Serve a notebook with Voila and save a screenshot of it, as a student would see it.

    python scripts/screenshot.py notebooks/05-vanishing-exploding.ipynb [--out artifacts/shot.png] [--plots 2]
                                     [--width 1024] [--web | --code]

The whole page is captured (the window is made as tall as the page); ``--width 1024`` is a classroom projector.
Exercises show as answer boxes, as under the app; ``--code`` shows them as JupyterLab does.
"""

import argparse
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests" / "browser"))

from harness import browser_page, open_lesson, page_errors, voila_server  # noqa: E402


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("notebook", type=Path)
    ap.add_argument("--out", type=Path)
    ap.add_argument("--plots", type=int, default=None,
                    help="wait until at least this many figures or views have drawn (and each app shows all it "
                         "declares); default 1, 0 for the index (it has cards, no views)")
    ap.add_argument("--height", type=int, default=1000)
    ap.add_argument("--width", type=int, default=1400)
    ap.add_argument("--code", action="store_true", help="exercises as JupyterLab shows them (code), not answer boxes")
    args = ap.parse_args()
    nb = args.notebook.resolve()
    if args.plots is None:
        args.plots = 0 if nb.stem == "index" else 1
    out = args.out or ROOT / "artifacts" / (nb.stem + ".png")
    out.parent.mkdir(parents=True, exist_ok=True)
    if args.code:
        os.environ["RNNVIZ_EXERCISES"] = "code"  # inherited by Voila's kernels
    with voila_server(nb.parent) as url, browser_page((args.width, args.height)) as page:
        seconds = open_lesson(page, f"{url}/voila/render/{nb.name}", plots=args.plots)
        # Voila scrolls inside #rendered_cells: make the window as tall as its content, then capture it whole
        height = page.evaluate("() => document.querySelector('#rendered_cells').scrollHeight")
        page.set_viewport_size({"width": args.width, "height": min(int(height) + 40, 30000)})
        page.wait_for_timeout(800)
        page.screenshot(path=str(out), full_page=True)
        errors = page_errors(page)
    print(f"{nb.name}: ready in {seconds:.1f} s, screenshot {out}, error markers: {errors or 'none'}")
    return 1 if errors else 0


if __name__ == "__main__":
    raise SystemExit(main())
