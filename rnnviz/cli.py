"""The ``rnnviz`` command: ``rnnviz app`` serves the lessons as a web app; ``rnnviz lab`` opens them in JupyterLab."""

from __future__ import annotations

import argparse
import os
import subprocess
import sys


# as rnnviz.app.MIN_CULL_AFTER (which imports the widgets: too slow for --help); tests check they agree
MIN_CULL_AFTER = 60


def _cull_after(text: str) -> int:
    """``--cull-after``: whole seconds, at least MIN_CULL_AFTER (argparse names the option in the error)."""
    try:
        seconds = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number of seconds") from None
    if seconds < MIN_CULL_AFTER:
        raise argparse.ArgumentTypeError(
            f"{seconds} s is too short: at least {MIN_CULL_AFTER} s. A page's kernel has no connection until "
            "the browser has loaded the page, so a shorter time culls the kernels of pages still loading")
    return seconds


def _app(args: argparse.Namespace) -> int:
    from .app import NOTEBOOKS, serve, voila_argv

    if not NOTEBOOKS.is_dir():
        print(f"rnnviz app: no notebooks folder at {NOTEBOOKS} (install from a source checkout: pip install -e .)",
              file=sys.stderr)
        return 2
    try:
        import voila  # noqa: F401
    except ImportError:
        print("rnnviz app: Voila is not installed; pip install -e '.[app]'", file=sys.stderr)
        return 2
    token = args.token
    if token == "generate":
        import secrets

        token = secrets.token_urlsafe(16)
    argv = voila_argv(host=args.host, port=args.port, token=token, pool_size=args.pool_size,
                      cull_after=args.cull_after)
    shown = "localhost" if args.host in ("127.0.0.1", "::1") else args.host
    url = f"http://{shown}:{args.port}/" + (f"?token={token}" if token else "")
    print(f"rnnviz app: serving the lessons at {url}", flush=True)
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        print("rnnviz app: reachable from other machines; students open http://<this machine's address>:"
              f"{args.port}/" + (f"?token={token}" if token else ""), flush=True)
    if args.dry_run:
        print("voila " + " ".join(argv))
        return 0
    serve(argv)
    return 0


def _lab(args: argparse.Namespace) -> int:
    from .app import NOTEBOOKS

    cmd = [sys.executable, "-m", "jupyterlab", f"--notebook-dir={NOTEBOOKS}", "--ServerApp.ip=127.0.0.1",
           f"--ServerApp.port={args.port}", "--ServerApp.port_retries=0"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")
    return subprocess.call(cmd)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="rnnviz", description="rnnviz: recurrent neural networks, step by step.")
    sub = parser.add_subparsers(dest="command", required=True)
    app = sub.add_parser("app", help="serve the lessons as a web app (Voila)")
    app.add_argument("--host", default="127.0.0.1",
                     help="address to bind (default 127.0.0.1: this machine only; 0.0.0.0 for a classroom network)")
    app.add_argument("--port", type=int, default=8866, help="port (default 8866)")
    app.add_argument("--token", default=None,
                     help="require this token in the URL (?token=...); 'generate' makes a random one")
    app.add_argument("--pool-size", type=int, default=1,
                     help="kernels kept pre-started per lesson so pages open at once (default 1; 0 = none)")
    app.add_argument("--cull-after", type=_cull_after, default=600, metavar="SECONDS",
                     help="seconds after which the kernel of a closed page (nobody connected) is shut down "
                          f"(default 600, at least {MIN_CULL_AFTER}: it must exceed the slowest page load, or "
                          "pages still loading lose their kernels)")
    app.add_argument("--dry-run", action="store_true", help="print the Voila command instead of running it")
    lab = sub.add_parser("lab", help="open the lessons in JupyterLab, to read and edit the notebooks")
    lab.add_argument("--port", type=int, default=8888, help="port (default 8888)")
    lab.set_defaults(func=_lab)
    app.set_defaults(func=_app)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
