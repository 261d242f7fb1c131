"""Time one training step of rnnviz (NumPy) and, when it is installed, of PyTorch on the CPU.

One step = forward through the recurrent layer and the output layer, the softmax
negative log-likelihood summed over all N*T targets, and BPTT to every parameter's
gradient -- ``Network.evaluate`` in rnnviz, ``loss.backward()`` in PyTorch. float64 in both.

Inputs are token ids of a V=65 vocabulary, the output layer has V=65 scores.
rnnviz looks the ids up (W_xh x_t of a one-hot x_t is a column of W_xh). PyTorch's
``nn.RNN/LSTM/GRU`` take float vectors, so they get the one-hot vectors, made once
before timing, and multiply them by W_ih: the same function and the same parameters
(an ``nn.Embedding`` in front would add a layer rnnviz does not have). Both models
hold the very same weights (loaded with ``rnnviz.from_torch_state_dict``) and the
script checks that both steps give the same loss. The GRU is PyTorch's variant,
rnnviz's ``reset_after=True``.

Usage::

    python benchmarks/bench_training_step.py            # both sizes, every cell
    python benchmarks/bench_training_step.py --quick    # fewer repeats
    python benchmarks/bench_training_step.py --size small --cells lstm --json out.json

The script does not change OPENBLAS_CORETYPE / OPENBLAS_L2_SIZE or any thread setting:
it reports them. To measure without those variables, unset them for that command alone:
``env -u OPENBLAS_CORETYPE -u OPENBLAS_L2_SIZE python benchmarks/bench_training_step.py``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import statistics
import sys
import time

import numpy as np

import rnnviz as rv

SIZES = {  # name -> (V, H, T, N)
    "small": (65, 128, 50, 32),
    "large": (65, 512, 100, 64),
}
CELLS = ("vanilla", "lstm", "gru")
ENV_VARS = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS")


def time_interleaved(fns: dict, repeats: int, warmup: int, clock=time.perf_counter) -> dict:
    """Median seconds of each function. The functions take turns within every repeat (in
    alternating order), so a change in the machine's load hits them alike."""
    for _ in range(warmup):
        for fn in fns.values():
            fn()
    times = {name: [] for name in fns}
    names = list(fns)
    for r in range(repeats):
        for name in names if r % 2 == 0 else names[::-1]:
            t0 = clock()
            fns[name]()
            times[name].append(clock() - t0)
    return times


# --------------------------------------------------------------------------- the two steps
def torch_step_and_weights(torch, kind, V, H):
    """The PyTorch model, its step function on (one-hot, targets), and its weights as NumPy."""
    torch.manual_seed(0)
    rnn = {"vanilla": torch.nn.RNN, "lstm": torch.nn.LSTM, "gru": torch.nn.GRU}[kind](V, H, batch_first=True)
    rnn = rnn.double()
    fc = torch.nn.Linear(H, V).double()
    params = list(rnn.parameters()) + list(fc.parameters())

    def step(onehot, targets):
        for p in params:
            p.grad = None
        out, _ = rnn(onehot)  # (N, T, H)
        Y = fc(out)  # (N, T, V)
        loss = torch.nn.functional.cross_entropy(Y.reshape(-1, V), targets.reshape(-1), reduction="sum")
        loss.backward()
        return loss.item()

    sd = {k: v.detach().numpy() for k, v in rnn.state_dict().items()}
    sd.update({f"fc.{k}": v.detach().numpy() for k, v in fc.state_dict().items()})
    return step, sd


def rnnviz_step(net, params):
    def step(ids, targets):
        return net.evaluate(params, ids, targets).loss

    return step


# --------------------------------------------------------------------------- environment report
def environment(torch) -> dict:
    info = {
        "date": datetime.datetime.now().isoformat(timespec="seconds"),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpu_count": os.cpu_count(),
        "numpy": np.__version__,
        "env": {v: os.environ.get(v) for v in ENV_VARS},
        "loadavg_start": os.getloadavg(),
    }
    try:
        from threadpoolctl import threadpool_info

        info["threadpools"] = [
            {k: p.get(k) for k in ("internal_api", "prefix", "version", "num_threads", "architecture", "threading_layer")}
            for p in threadpool_info()
        ]
    except ImportError:
        info["threadpools"] = "threadpoolctl is not installed (pip install threadpoolctl to see BLAS kernels and threads)"
    if torch is not None:
        info["torch"] = torch.__version__
        info["torch_threads"] = torch.get_num_threads()
        info["torch_interop_threads"] = torch.get_num_interop_threads()
    return info


def print_environment(info: dict) -> None:
    print(f"# {info['date']}  python {info['python']}  numpy {info['numpy']}  "
          f"torch {info.get('torch', 'not used')}  cpus {info['cpu_count']}")
    print(f"# load average (1, 5, 15 min) at start: {', '.join(f'{x:.2f}' for x in info['loadavg_start'])}"
          f" -- above 0.5 other processes share the {info['cpu_count']} cores and the times are not clean")
    print("# environment: " + "  ".join(f"{k}={v if v is not None else '(unset)'}" for k, v in info["env"].items()))
    pools = info["threadpools"]
    if isinstance(pools, str):
        print(f"# threadpools: {pools}")
    else:
        for p in pools:
            print(f"# threadpool: {p['internal_api']} {p['version']} ({p['prefix']}) threads={p['num_threads']} "
                  f"kernel={p.get('architecture')}")
    if "torch_threads" in info:
        print(f"# torch threads: intra-op {info['torch_threads']}, inter-op {info['torch_interop_threads']}")


# --------------------------------------------------------------------------- main
def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="1 warmup and 3 repeats instead of 2 and 7")
    ap.add_argument("--size", choices=[*SIZES, "all"], default="all")
    ap.add_argument("--cells", nargs="+", choices=CELLS, default=list(CELLS))
    ap.add_argument("--repeats", type=int, default=None)
    ap.add_argument("--no-torch", action="store_true", help="time rnnviz alone even when torch is installed")
    ap.add_argument("--threads", type=int, default=None,
                    help="limit numpy's BLAS (through threadpoolctl) and torch to this many threads for the run")
    ap.add_argument("--cpu-time", action="store_true",
                    help="time with the process's CPU time instead of the wall clock (with --threads 1: robust to "
                         "other processes sharing the machine)")
    ap.add_argument("--json", metavar="PATH", help="also write the results as JSON")
    args = ap.parse_args(argv)
    if args.cpu_time and args.threads != 1:
        ap.error("--cpu-time measures work, not waiting, only with --threads 1")
    repeats = args.repeats or (3 if args.quick else 7)
    warmup = 1 if args.quick else 2

    torch = None
    if not args.no_torch:
        try:
            import torch
        except ImportError:
            pass

    limiter = None
    if args.threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError:
            ap.error("--threads needs threadpoolctl (pip install threadpoolctl)")
        limiter = threadpool_limits(args.threads)  # noqa: F841 (in force while it lives)
        if torch is not None:
            torch.set_num_threads(args.threads)
    clock = time.process_time if args.cpu_time else time.perf_counter

    info = environment(torch)
    info["clock"] = "process CPU time" if args.cpu_time else "wall clock"
    print_environment(info)
    print(f"# {info['clock']}, median of {repeats} repeats after {warmup} warmup (rnnviz and torch take turns);"
          " one step = forward + softmax NLL + BPTT, float64")
    header = f"{'cell':<8} {'V':>3} {'H':>4} {'T':>4} {'N':>3}  {'rnnviz ms':>10} {'torch ms':>10} {'ratio':>6}"
    print(header)
    print("-" * len(header))
    rows = []
    sizes = SIZES if args.size == "all" else {args.size: SIZES[args.size]}
    for size_name, (V, H, T, N) in sizes.items():
        rng = np.random.default_rng(0)
        ids = rng.integers(0, V, (N, T))
        targets = rng.integers(0, V, (N, T))
        for kind in args.cells:
            row = {"size": size_name, "cell": kind, "V": V, "H": H, "T": T, "N": N}
            fns = {}
            if torch is not None:
                tstep, sd = torch_step_and_weights(torch, kind, V, H)
                net, params = rv.from_torch_state_dict(sd, cell=kind, linear_prefix="fc.")
                onehot = torch.nn.functional.one_hot(torch.from_numpy(ids), V).double()
                ttargets = torch.from_numpy(targets)
                loss_np = rnnviz_step(net, params)(ids, targets)
                loss_t = tstep(onehot, ttargets)
                if abs(loss_np - loss_t) > 1e-9 * abs(loss_t):
                    print(f"! {kind}: rnnviz loss {loss_np!r} differs from torch's {loss_t!r}", file=sys.stderr)
                    return 1
                fns["torch"] = lambda: tstep(onehot, ttargets)
            else:
                net = rv.Network(V, H, V, cell=kind, cell_options={"reset_after": True} if kind == "gru" else {})
                params = net.init_params(np.random.default_rng(0))
            step = rnnviz_step(net, params)
            fns["rnnviz"] = lambda: step(ids, targets)
            for name, ts in time_interleaved(fns, repeats, warmup, clock).items():
                row[f"{name}_s"], row[f"{name}_times"] = statistics.median(ts), ts
            ratio = row["rnnviz_s"] / row["torch_s"] if "torch_s" in row else None
            row["ratio"] = ratio
            torch_ms = f"{1e3 * row['torch_s']:10.1f}" if "torch_s" in row else f"{'-':>10}"
            ratio_s = f"{ratio:6.2f}" if ratio is not None else f"{'-':>6}"
            print(f"{kind:<8} {V:>3} {H:>4} {T:>4} {N:>3}  {1e3 * row['rnnviz_s']:10.1f} {torch_ms} {ratio_s}", flush=True)
            rows.append(row)
    print("# ratio = rnnviz time / torch time (below 1: rnnviz is faster)")
    info["loadavg_end"] = os.getloadavg()
    print(f"# load average at end: {', '.join(f'{x:.2f}' for x in info['loadavg_end'])}")
    if args.json:
        with open(args.json, "w") as fh:
            json.dump({"environment": info, "repeats": repeats, "warmup": warmup, "rows": rows}, fh, indent=2)
        print(f"# wrote {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
