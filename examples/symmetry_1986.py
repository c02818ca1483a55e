"""Rumelhart, Hinton & Williams (1986): detecting mirror symmetry in 6-bit patterns with a 6-2-1
network of sigmoid units. As in the paper: all 64 patterns in every sweep (full-batch gradient
descent on E = 1/2 sum (target - output)^2), learning rate 0.1, momentum 0.9, initial weights
uniform in [-0.3, 0.3]. The paper reports 1,425 sweeps to solve it.

    python examples/symmetry_1986.py --seeds 10
"""
import argparse

import chainrule as cr
from chainrule import nn
from chainrule.data import datasets


def sweeps_to_solve(seed, max_sweeps=20000, lr=0.1, momentum=0.9, hidden=2, bits=6):
    """The sweep at which every pattern's output is on the right side of 0.5 (None if never)."""
    cr.manual_seed(seed)
    inputs, targets = (cr.tensor(a) for a in datasets.symmetry(bits).arrays)
    net = nn.Sequential(nn.Linear(bits, hidden), nn.Sigmoid(), nn.Linear(hidden, 1), nn.Sigmoid())
    for p in net.parameters():
        nn.init.uniform_(p, -0.3, 0.3)
    opt = cr.optim.SGD(net.parameters(), lr=lr, momentum=momentum)
    for sweep in range(1, max_sweeps + 1):
        out = net(inputs)
        if bool(((out - targets).abs() < 0.5).all()):
            return sweep - 1
        loss = 0.5 * ((targets - out) ** 2).sum()
        opt.zero_grad()
        loss.backward()
        opt.step()
    return None


def main(seeds=10, max_sweeps=20000):
    results = {seed: sweeps_to_solve(seed, max_sweeps) for seed in range(seeds)}
    solved = sorted(s for s in results.values() if s is not None)
    for seed, sweeps in results.items():
        print(f"seed {seed}: " + (f"solved after {sweeps} sweeps" if sweeps is not None
                                  else f"not solved in {max_sweeps} sweeps (a local minimum)"))
    if solved:
        median = solved[len(solved) // 2]
        print(f"{len(solved)}/{seeds} seeds solve all 64 patterns; median {median} sweeps "
              "(paper: 1,425)")
    return results


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, default=10)
    parser.add_argument("--max-sweeps", type=int, default=20000)
    args = parser.parse_args()
    main(args.seeds, args.max_sweeps)
