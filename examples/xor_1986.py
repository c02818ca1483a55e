"""Rumelhart, Hinton & Williams (1986): XOR with a 2-2-1 network of sigmoid units, trained by
full-batch gradient descent on E = 1/2 sum (target - output)^2 with learning rate 0.5 and momentum
0.9 (the settings of their chapter), initial weights uniform in [-0.3, 0.3]. A run counts as
solved when every output is within 0.5 of its target; like the paper, some starts end in a local
minimum.

    python examples/xor_1986.py --seeds 10
"""
import argparse

import chainrule as cr
from chainrule import nn
from chainrule.data import datasets


def train(seed, max_sweeps=10000, lr=0.5, momentum=0.9):
    """(sweeps to solve or None, final outputs) for one random start."""
    cr.manual_seed(seed)
    inputs, targets = (cr.tensor(a) for a in datasets.xor().arrays)
    net = nn.Sequential(nn.Linear(2, 2), nn.Sigmoid(), nn.Linear(2, 1), nn.Sigmoid())
    for p in net.parameters():
        nn.init.uniform_(p, -0.3, 0.3)
    opt = cr.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    for sweep in range(max_sweeps + 1):
        out = net(inputs)
        if bool(((out - targets).abs() < 0.5).all()):
            return sweep, out.detach()
        loss = 0.5 * ((targets - out) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return None, out.detach()


def main(seeds=10, max_sweeps=10000):
    results = {}
    for seed in range(seeds):
        sweeps, out = train(seed, max_sweeps)
        results[seed] = sweeps
        shown = " ".join(f"{v:.3f}" for v in out.numpy().ravel())
        print(f"seed {seed}: " + (f"solved after {sweeps} sweeps" if sweeps is not None
                                  else "local minimum") + f"  outputs {shown}")
    solved = sorted(s for s in results.values() if s is not None)
    if solved:
        print(f"{len(solved)}/{seeds} seeds solve XOR; median {solved[len(solved) // 2]} sweeps")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--max-sweeps", type=int, default=10000)
    args = parser.parse_args()
    main(args.seeds, args.max_sweeps)
