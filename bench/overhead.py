"""Python overhead of the autograd layer, against PyTorch on the CPU, in one run.

Both cases use tensors so small that the arithmetic costs next to nothing: what is timed is the
work of recording the graph and walking it back, per op.

  (a) chain: a 20,000-op chain on a 0-d tensor (y + sin(y) * 0.001, repeated), forward + backward;
  (b) mlp:   training steps of a 2-16-16-1 tanh MLP on a batch of 32 (forward, MSE loss,
             backward, SGD update by hand under no_grad).

    python bench/overhead.py                 # the table
    python bench/overhead.py --breakdown     # where the chain's time goes
    python bench/overhead.py --profile chain # cProfile of chainrule's side of one case

Each library runs in a worker process of its own that imports only that library, as a program
using it would: chainrule's graph is made of Python objects, so Python's garbage collector
scans it, and each scan also walks every object alive in the process; in one shared process the
~170,000 objects of PyTorch's import would be counted against chainrule. The two workers take
turns, run by run, so that a busy moment of the machine falls on both alike. Each figure is the
median CPU time of `--repeats` runs, after one untimed warm-up run; the two libraries must agree
on the result first."""
import argparse
import cProfile
import gc
import importlib
import multiprocessing
import platform
import statistics
import time

import numpy as np


# ---- (a) a deep scalar chain ---------------------------------------------------------------
def chain(m, length):
    """Returns a function that builds the chain from a fresh leaf and backpropagates through it."""
    def run():
        x = m.tensor(0.5, requires_grad=True)
        y = x
        for _ in range(length // 3):
            y = y + y.sin() * 0.001  # d/dy stays near 1: the gradient neither dies nor explodes
        y.backward()
        return x.grad
    return run


# ---- (b) a tiny MLP training step --------------------------------------------------------------
def mlp(m, steps, lr=0.05, batch=32, sizes=(2, 16, 16, 1)):
    """Returns a function that runs `steps` SGD steps from the same initial weights."""
    rng = np.random.default_rng(0)
    x_np = rng.uniform(-1, 1, (batch, sizes[0])).astype(np.float32)
    y_np = (x_np[:, :1] * x_np[:, 1:]).astype(np.float32)  # a saddle: needs the hidden layers
    init = [((rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(np.float32),
             np.zeros(n_out, np.float32)) for n_in, n_out in zip(sizes, sizes[1:])]
    x, y = m.tensor(x_np), m.tensor(y_np)

    def run():
        params = [(m.tensor(w, requires_grad=True), m.tensor(b, requires_grad=True))
                  for w, b in init]
        for _ in range(steps):
            h = x
            for i, (w, b) in enumerate(params):
                h = h @ w + b
                if i < len(params) - 1:
                    h = h.tanh()
            loss = ((h - y) ** 2).mean()
            loss.backward()
            with m.no_grad():
                for w, b in params:
                    for p in (w, b):
                        p -= lr * p.grad
                        p.grad = None
        return loss.item()
    return run


# ---- where the time of the chain goes -----------------------------------------------------------
def chain_parts(m, length):
    """Returns a function timing the chain's forward without recording, with recording, and its
    backward, in CPU seconds (`breakdown` turns garbage collection off around it, to see the
    per-op cost alone; `bench/ab.py` times it either way)."""
    def run():
        x = m.tensor(0.5, requires_grad=True)
        times = []
        for mode in (m.no_grad, m.enable_grad):
            y = x
            start = time.process_time()
            with mode():
                for _ in range(length // 3):
                    y = y + y.sin() * 0.001
            times.append(time.process_time() - start)
        start = time.process_time()
        y.backward()
        return times + [time.process_time() - start]
    return run


def numpy_chain(length):
    """The chain's forward in NumPy alone, each 0-d result made an array again as a Tensor does:
    the floor for any library built on NumPy."""
    def run():
        y = np.asarray(np.float32(0.5))
        start = time.process_time()
        for _ in range(length // 3):
            y = np.asarray(y + np.asarray(np.asarray(np.sin(y)) * 0.001))
        return [time.process_time() - start]
    return run


def framework(name):
    """chainrule or torch, imported on first use (each worker imports one of them only)."""
    module = importlib.import_module(name)
    if name == "torch":
        # Tensors this small never gain from PyTorch's thread pool, and on a busy machine its
        # threads wait on each other: one thread is PyTorch at its fastest here.
        module.set_num_threads(1)
    return module


def breakdown(args):
    cr, torch = framework("chainrule"), framework("torch")
    runs = [chain_parts(cr, args.chain), chain_parts(torch, args.chain), numpy_chain(args.chain)]
    gc.disable()
    seen = [[run() for _ in range(args.repeats)] for run in runs]
    gc.enable()
    ours, theirs, floor = ([statistics.median(t) for t in zip(*s)] for s in seen)
    print(f"chain of {args.chain} ops, median CPU time of {args.repeats} runs, garbage collection "
          f"off\n\n{'part':<28} {'chainrule':>11} {'PyTorch':>11} {'ratio':>7}")
    for name, a, b in zip(["forward, nothing recorded", "forward, recorded", "backward"],
                          ours, theirs):
        print(f"{name:<28} {a * 1e3:>8.1f} ms {b * 1e3:>8.1f} ms {a / b:>6.2f}x")
    print(f"{'NumPy alone, forward':<28} {floor[0] * 1e3:>8.1f} ms")


# ---- timing, one worker process per library -------------------------------------------------------
def cases(args):
    return {
        f"chain: {args.chain} scalar ops, fwd + bwd": lambda m: chain(m, args.chain),
        f"mlp: 2-16-16-1 tanh, batch 32, {args.steps} SGD steps": lambda m: mlp(m, args.steps),
    }


def serve(name, args, conn):
    """A worker: imports one library, then answers requests for a case's result or the CPU time
    of one run of it, until told to stop."""
    m = framework(name)
    runs = {case: make(m) for case, make in cases(args).items()}
    conn.send(m.__version__)
    while (request := conn.recv()) is not None:
        what, case = request
        if what == "result":
            conn.send(float(runs[case]()))
            continue
        gc.collect()  # each run starts with no garbage left by the one before
        start = time.process_time()
        runs[case]()
        conn.send(time.process_time() - start)


class Worker:
    def __init__(self, name, args):
        context = multiprocessing.get_context("spawn")  # a fresh interpreter: nothing inherited
        self.conn, theirs = context.Pipe()
        self.process = context.Process(target=serve, args=(name, args, theirs), daemon=True)
        self.process.start()
        theirs.close()  # the worker holds the only other end: if it dies, recv() raises
        self.name = name
        self.version = self.receive()

    def ask(self, what, case):
        self.conn.send((what, case))
        return self.receive()

    def receive(self):
        try:
            return self.conn.recv()
        except EOFError:
            raise SystemExit(f"the {self.name} worker stopped (its error is printed above); is "
                             f"{self.name} installed in this Python?") from None

    def stop(self):
        self.conn.send(None)
        self.process.join()


def median_times(workers, case, repeats):
    """Median CPU time of one run of `case` in each worker, the workers taking turns, after one
    untimed warm-up run each."""
    for w in workers:
        w.ask("result", case)
    times = [[w.ask("time", case) for w in workers] for _ in range(repeats)]
    return [statistics.median(t) for t in zip(*times)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=9)
    parser.add_argument("--chain", type=int, default=20_000, help="ops in the scalar chain")
    parser.add_argument("--steps", type=int, default=200, help="SGD steps per timed MLP run")
    parser.add_argument("--profile", choices=["chain", "mlp"],
                        help="profile chainrule on one case instead of printing the table")
    parser.add_argument("--breakdown", action="store_true",
                        help="split the chain's time into forward, recording and backward "
                             "(both libraries in this process, garbage collection off)")
    args = parser.parse_args()
    if args.breakdown:
        return breakdown(args)
    if args.profile:
        make = next(f for name, f in cases(args).items() if name.startswith(args.profile))
        run = make(framework("chainrule"))
        run()
        cProfile.runctx("run()", globals(), {"run": run}, sort="tottime")
        return

    ours, theirs = workers = [Worker("chainrule", args), Worker("torch", args)]
    for case in cases(args):  # the two must agree before their times mean anything
        a, b = ours.ask("result", case), theirs.ask("result", case)
        if not np.isclose(a, b, rtol=1e-3, atol=1e-5):
            raise SystemExit(f"{case}: chainrule gives {a}, PyTorch {b}")

    print(f"chainrule {ours.version} vs PyTorch {theirs.version} on the CPU (1 thread), each in "
          f"its own process; NumPy {np.__version__}, Python {platform.python_version()}; median "
          f"CPU time of {args.repeats} runs\n")
    print(f"{'case':<48} {'chainrule':>11} {'PyTorch':>11} {'ratio':>7}")
    for case in cases(args):
        a, b = median_times(workers, case, args.repeats)
        print(f"{case:<48} {a * 1e3:>8.1f} ms {b * 1e3:>8.1f} ms {a / b:>6.2f}x", flush=True)
    for w in workers:
        w.stop()


if __name__ == "__main__":
    main()
