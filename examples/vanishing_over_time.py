"""Vanishing gradients over time: a loss at the last of 100 steps, and the gradient that reaches
each earlier hidden state, in a tanh RNN against an LSTM.

The task needs the first input at the end (its sign is the class; the other 99 inputs are
noise), so the gradient has to travel back through every step. At initialization the RNN's
dL/dh_t shrinks by a roughly constant factor per step, W_hh^T diag(tanh'), and is many orders
of magnitude smaller at step 1 than at step 100; the LSTM's cell path is multiplied only by its
forget gate, and with the forget bias at 1 it keeps far more. `cr.explain.over_time` measures
both with one backward() of the unrolled net (retain_grad() on every h_t):

    python examples/vanishing_over_time.py                # picture into docs/images/
    python examples/vanishing_over_time.py --steps 50 --out runs/over_time
"""
import argparse
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule.explain.over_time import SequenceClassifier, gradient_over_time, remember_first

NETS = [  # label, kind, LSTM forget-gate bias at initialization
    ("tanh RNN", "rnn", None),
    ("LSTM, forget bias 0 (PyTorch's init)", "lstm", 0.0),
    ("LSTM, forget bias 1", "lstm", 1.0),
]


def measure(steps, batch, hidden, seeds):
    """Each net's |dL/dh_t| per step, the geometric mean over `seeds` initializations."""
    x, labels = remember_first(batch, steps, seed=0)
    x = x.double()  # float64: the RNN's gradient at step 1 is below float32's smallest number
    curves = {}
    for label, kind, forget_bias in NETS:
        logs = []
        for seed in range(seeds):
            cr.manual_seed(seed)
            options = {} if forget_bias is None else {"forget_bias": forget_bias}
            model = SequenceClassifier(kind, hidden_size=hidden, **options).double()
            logs.append(np.log10(gradient_over_time(model, x, labels)))
        curves[label] = 10 ** np.mean(logs, axis=0)
        norms = curves[label]
        print(f"{label:40s} |dL/dh_1| / |dL/dh_{steps}| = {norms[0] / norms[-1]:.2e}")
    return curves


def plot(curves, steps, path):
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4))
    t = np.arange(1, steps + 1)
    for (label, norms), style in zip(curves.items(), ("-", "--", "-")):
        ax.plot(t, norms, style, label=label)
    ax.set(yscale="log", xlabel="time step t (the loss is at the last step)",
           ylabel="|dL/dh_t|, mean over the batch",
           title=f"Gradient reaching each step, {steps}-step sequences, at initialization")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)
    print(f"picture: {path}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--steps", type=int, default=100, help="sequence length")
    p.add_argument("--batch", type=int, default=128, help="sequences per measurement")
    p.add_argument("--hidden", type=int, default=32, help="hidden units")
    p.add_argument("--seeds", type=int, default=3, help="initializations averaged")
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs"
                   / "images")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    curves = measure(args.steps, args.batch, args.hidden, args.seeds)
    plot(curves, args.steps, args.out / "vanishing_over_time.png")
    return curves


if __name__ == "__main__":
    main()
