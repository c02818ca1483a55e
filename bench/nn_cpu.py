"""Layers on the CPU against PyTorch, in one run: convolution and pooling forward + backward,
and one epoch of MLP training.

  conv mnist:  Conv2d(1, 32, 3) on a 64x1x28x28 batch (a first layer: no input gradient)
  conv cifar:  Conv2d(3, 64, 3, padding=1) on 64x3x32x32 (a first layer)
  conv hidden: Conv2d(32, 64, 3, padding=1) on 64x32x13x13, input gradient too
  max pool:    MaxPool2d(2) on 64x32x26x26, input gradient
  mlp epoch:   784-800-10 ReLU MLP, 60,000 synthetic MNIST-shaped samples, batch 128,
               cross-entropy, SGD (lr 0.1): one shuffled epoch of 469 steps

    python bench/nn_cpu.py                  # the table
    python bench/nn_cpu.py --only conv      # cases whose name contains "conv"
    python bench/nn_cpu.py --profile "conv hidden"   # cProfile of chainrule's side of a case

Both frameworks run in float32 from the same weights, with as many threads as the machine has
cores (torch.set_num_threads(os.cpu_count()); NumPy's BLAS uses all cores by default). The two
are timed alternately, run by run, so that a busy machine slows both alike; each figure is the
median of --repeats runs after one untimed warm-up run."""
import argparse
import cProfile
import os
import statistics
import time

import numpy as np
import torch

import chainrule as cr


def layer_step(make, shape, input_grad, inner):
    """A function of the framework m returning a closure that runs `inner` forward + backward
    passes of the layer `make(m)` (weights shared with PyTorch's) on a fixed batch."""
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal(shape).astype(np.float32)
    reference = make(torch)
    y_shape = reference(torch.tensor(x_np)).shape
    g_np = rng.standard_normal(y_shape).astype(np.float32)

    def build(m):
        layer = reference if m is torch else make(cr)
        if m is cr:
            layer.load_state_dict({k: v.numpy() for k, v in reference.state_dict().items()})
        x = m.tensor(x_np, requires_grad=input_grad)
        g = m.tensor(g_np)

        def run():
            for _ in range(inner):
                y = layer(x)
                y.backward(g)
            return y
        return run
    return build


def mlp_epoch(samples=60_000, batch=128, lr=0.1):
    """One epoch of minibatch SGD on random MNIST-shaped data, from the same initial weights."""
    rng = np.random.default_rng(0)
    x_np = rng.standard_normal((samples, 784)).astype(np.float32)
    y_np = rng.integers(0, 10, samples)
    order = rng.permutation(samples)
    reference = torch.nn.Sequential(torch.nn.Linear(784, 800), torch.nn.ReLU(),
                                    torch.nn.Linear(800, 10))
    state = {k: v.numpy().copy() for k, v in reference.state_dict().items()}

    def build(m):
        model = m.nn.Sequential(m.nn.Linear(784, 800), m.nn.ReLU(), m.nn.Linear(800, 10))
        x, y = m.tensor(x_np), m.tensor(y_np)
        starts = range(0, samples, batch)
        batches = [m.tensor(order[i:i + batch]) for i in starts]

        def run():
            model.load_state_dict({k: m.tensor(v) for k, v in state.items()})
            optimizer = m.optim.SGD(model.parameters(), lr=lr)
            for idx in batches:
                loss = m.nn.functional.cross_entropy(model(x[idx]), y[idx])
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
            return loss
        return run
    return build


CASES = {  # name: (builder, passes per timed run)
    "conv mnist": (lambda: layer_step(lambda m: m.nn.Conv2d(1, 32, 3), (64, 1, 28, 28), False,
                                      5), 5),
    "conv cifar": (lambda: layer_step(lambda m: m.nn.Conv2d(3, 64, 3, padding=1),
                                      (64, 3, 32, 32), False, 2), 2),
    "conv hidden": (lambda: layer_step(lambda m: m.nn.Conv2d(32, 64, 3, padding=1),
                                       (64, 32, 13, 13), True, 2), 2),
    "max pool": (lambda: layer_step(lambda m: m.nn.MaxPool2d(2), (64, 32, 26, 26), True, 5), 5),
    "mlp epoch": (mlp_epoch, 1),
}


def agree(name, ours, theirs):
    """The two must compute the same thing before their times mean anything."""
    a, b = ours().numpy(), theirs().detach().numpy()
    if not np.allclose(a, b, rtol=2e-3, atol=2e-3):
        raise SystemExit(f"{name}: chainrule and PyTorch disagree (max difference "
                         f"{np.abs(a - b).max():.3g})")


def timed(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=7)
    parser.add_argument("--only", default="", help="run the cases whose name contains this")
    parser.add_argument("--profile", choices=list(CASES),
                        help="profile chainrule on one case instead of printing the table")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())

    if args.profile:
        run = CASES[args.profile][0]()(cr)
        run()
        cProfile.runctx("run()", globals(), {"run": run}, sort="tottime")
        return

    print(f"chainrule {cr.__version__} vs PyTorch {torch.__version__} on the CPU "
          f"({os.cpu_count()} cores; torch.set_num_threads({torch.get_num_threads()})), "
          f"NumPy {np.__version__}; float32; median of {args.repeats} alternating runs\n")
    print(f"{'case':<14} {'chainrule':>12} {'PyTorch':>12} {'ratio':>7}")
    for name, (make, passes) in CASES.items():
        if args.only not in name:
            continue
        build = make()
        ours, theirs = build(cr), build(torch)
        agree(name, ours, theirs)
        times = {ours: [], theirs: []}
        for _ in range(args.repeats):
            for fn in (ours, theirs):
                times[fn].append(timed(fn))
        a, b = (statistics.median(times[f]) / passes for f in (ours, theirs))
        print(f"{name:<14} {a * 1e3:>9.1f} ms {b * 1e3:>9.1f} ms {a / b:>6.2f}x", flush=True)


if __name__ == "__main__":
    main()
