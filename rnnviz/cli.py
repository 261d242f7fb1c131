"""The ``rnnviz`` command: ``rnnviz app`` serves the lessons.

Until the Voila classroom app exists, ``rnnviz app`` starts JupyterLab on the
lesson notebooks.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
from pathlib import Path

NOTEBOOKS = Path(__file__).resolve().parent.parent / "notebooks"


def _app(args: argparse.Namespace) -> int:
    if not NOTEBOOKS.is_dir():
        print(f"rnnviz app: no notebooks folder at {NOTEBOOKS} (run from a source checkout)", file=sys.stderr)
        return 2
    if shutil.which("jupyter") is None and not args.dry_run:
        print("rnnviz app: JupyterLab is not installed; pip install -e '.[app]'", file=sys.stderr)
        return 2
    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={NOTEBOOKS}", f"--ServerApp.ip={args.host}",
           f"--ServerApp.port={args.port}", "--ServerApp.port_retries=0", "--no-browser"]
    if hasattr(__import__("os"), "geteuid") and __import__("os").geteuid() == 0:
        cmd.append("--allow-root")
    print("rnnviz app:", " ".join(cmd), flush=True)
    if args.dry_run:
        return 0
    return subprocess.call(cmd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rnnviz", description="rnnviz: recurrent neural networks, step by step.")
    sub = parser.add_subparsers(dest="command", required=True)
    app = sub.add_parser("app", help="serve the lessons (JupyterLab on notebooks/ for now)")
    app.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    app.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    app.add_argument("--dry-run", action="store_true", help="print the command instead of running it")
    app.set_defaults(func=_app)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
