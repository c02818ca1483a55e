"""A/B of two versions of chainrule on the overhead chain (`bench/overhead.py`'s case (a)), for
changes too small to see against a noisy machine's drift.

    git worktree add ../before HEAD
    python bench/ab.py ../before/src src --rounds 12

Each round runs both versions at the same moment, one per CPU core (pinned with `taskset` where
there is one), and swaps the cores the next round: whatever the machine does during a round
falls on both. Each process times `--runs` chains after a warm-up and reports medians per phase
(forward under no_grad, forward recorded, backward); the table gives the median over rounds and
B's time as a fraction of A's. `--no-gc` turns Python's garbage collector off in both, to see
the per-op work alone."""
import argparse
import os
import shutil
import statistics
import subprocess
import sys

WORKER = r"""
import gc, statistics, sys
sys.path.insert(0, sys.argv[4])  # this checkout's bench/: the chain is overhead.py's own
import chainrule
from overhead import chain_parts

length, runs, collect = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3] == "gc"
run = chain_parts(chainrule, length)
run()
if not collect:
    gc.disable()
times = [(nograd, recorded, walked, recorded + walked) for nograd, recorded, walked in
         (run() for _ in range(runs))]
print(*(statistics.median(part) for part in zip(*times)))
"""
PARTS = ["forward, no_grad", "forward, recorded", "backward", "recorded + backward"]


def start(src, core, args):
    env = dict(os.environ, PYTHONPATH=os.path.abspath(src), PYTHONHASHSEED="0",
               OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1")
    pin = ["taskset", "-c", str(core)] if shutil.which("taskset") else []
    command = pin + [sys.executable, "-c", WORKER, str(args.chain), str(args.runs),
                     "nogc" if args.no_gc else "gc", os.path.dirname(os.path.abspath(__file__))]
    return subprocess.Popen(command, env=env, stdout=subprocess.PIPE, text=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a", help="the src folder of version A (the one that holds chainrule/)")
    parser.add_argument("b", help="the src folder of version B")
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--runs", type=int, default=5, help="timed chains per process")
    parser.add_argument("--chain", type=int, default=20_000, help="ops in the chain")
    parser.add_argument("--no-gc", action="store_true", help="garbage collector off in both")
    args = parser.parse_args()
    for name in ("a", "b"):
        if not os.path.isfile(os.path.join(getattr(args, name), "chainrule", "__init__.py")):
            raise SystemExit(f"{getattr(args, name)}: no chainrule package there (give the src "
                             "folder of a checkout)")

    seen = {"a": [], "b": []}
    for r in range(args.rounds):
        order = ["a", "b"] if r % 2 == 0 else ["b", "a"]
        running = [(name, start(getattr(args, name), core, args))
                   for core, name in enumerate(order)]
        for name, process in running:
            out, _ = process.communicate()
            if process.returncode:
                raise SystemExit(f"version {name.upper()} failed (its error is printed above)")
            seen[name].append([float(v) for v in out.split()])

    print(f"{args.rounds} rounds, medians; garbage collector {'off' if args.no_gc else 'on'}\n")
    print(f"{'part':<22} {'A':>10} {'B':>10} {'B/A':>7}")
    for i, part in enumerate(PARTS):
        a, b = (statistics.median(run[i] for run in seen[name]) for name in ("a", "b"))
        print(f"{part:<22} {a * 1e3:>7.1f} ms {b * 1e3:>7.1f} ms {b / a:>7.3f}")


if __name__ == "__main__":
    main()
