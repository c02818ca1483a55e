"""Memory kept for backward with and without activation checkpointing, on a deep MLP.

    python bench/checkpoint_memory.py [--layers 32] [--width 1024] [--batch 256] [--segments 4 8]

Two measures per setting: the bytes every node of the graph keeps for backward after the
forward pass (`saved_nbytes`, summed over the graph), and the peak of NumPy's allocations over
forward and backward together (tracemalloc, which NumPy reports its array memory to). The
gradients of a checkpointed run are checked against the plain run's."""
import argparse
import time
import tracemalloc

import numpy as np

import chainrule as cr
import chainrule.nn as nn
from chainrule.explain.graph import Graph
from chainrule.utils.checkpoint import checkpoint_sequential


def saved_bytes(out):
    """Bytes every node of out's graph keeps for backward."""
    return sum(node.saved_nbytes for node in Graph(out).nodes)


def run(model, x, segments):
    """(bytes saved after forward, peak bytes allocated over forward + backward, seconds,
    gradients)."""
    model.zero_grad()
    tracemalloc.start()
    start = time.perf_counter()
    out = model(x) if segments is None else \
        checkpoint_sequential(model, segments, x, use_reentrant=False)
    loss = out.pow(2).mean()
    kept = saved_bytes(loss)
    loss.backward()
    seconds = time.perf_counter() - start
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return kept, peak, seconds, [p.grad.numpy() for p in model.parameters()]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--layers", type=int, default=32)
    parser.add_argument("--width", type=int, default=1024)
    parser.add_argument("--batch", type=int, default=256)
    parser.add_argument("--segments", type=int, nargs="+", default=[2, 4, 8])
    args = parser.parse_args()
    cr.manual_seed(0)
    layers = []
    for _ in range(args.layers):
        layers += [nn.Linear(args.width, args.width), nn.ReLU()]
    model = nn.Sequential(*layers)
    x = cr.randn(args.batch, args.width)
    print(f"MLP: {args.layers} layers of width {args.width} (Linear + ReLU), batch "
          f"{args.batch}, float32")
    print(f"{'run':<16}{'kept for backward':>20}{'peak allocated':>18}{'time':>10}")
    base = None
    for segments in [None] + args.segments:
        kept, peak, seconds, grads = run(model, x, segments)
        name = "plain" if segments is None else f"{segments} segments"
        if base is None:
            base = grads
        else:
            assert all(np.allclose(a, b, rtol=1e-4, atol=1e-6) for a, b in zip(grads, base)), \
                "checkpointed gradients differ from the plain run's"
        print(f"{name:<16}{kept / 2**20:>16.1f} MiB{peak / 2**20:>14.1f} MiB{seconds:>9.2f}s")


if __name__ == "__main__":
    main()
