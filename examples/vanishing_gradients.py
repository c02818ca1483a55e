"""Vanishing gradients, seen: two 10-layer MLPs on MNIST, trained the same way.

- sigmoid units with small random weights (normal, std 0.1): each layer passes back at most a
  quarter of the gradient it gets (sigmoid' <= 1/4) times small weights, so the gradient reaching
  the first layers is many orders of magnitude smaller than at the last one, and they barely
  learn (Hochreiter 1991; Glorot & Bengio 2010);
- ReLU units with He initialization (normal, std sqrt(2 / fan_in); He et al. 2015): the gradient
  keeps its size through all ten layers, and the net learns.

`cr.explain.GradientFlow` records each layer's gradient norm while training, flags the first net
and draws both:

    python examples/vanishing_gradients.py                 # pictures into docs/images/
    python examples/vanishing_gradients.py --epochs 1 --train-size 5000 --out runs/flow
"""
import argparse
from pathlib import Path

import numpy as np

import chainrule as cr
from chainrule import nn
from chainrule.data import DataLoader, TensorDataset, datasets
from chainrule.explain import GradientFlow
from chainrule.nn import functional as F

DEPTH, WIDTH = 10, 128


def mlp(activation, init):
    """DEPTH linear layers of WIDTH units (the last one of 10), `activation` between them."""
    layers, n = [nn.Flatten()], 28 * 28
    for k in range(DEPTH):
        out = 10 if k == DEPTH - 1 else WIDTH
        linear = nn.Linear(n, out)
        init(linear.weight)
        nn.init.zeros_(linear.bias)
        layers += [linear] + ([activation()] if k < DEPTH - 1 else [])
        n = out
    return nn.Sequential(*layers)


NETS = {
    "sigmoid": ("sigmoid, small init (std 0.1)", nn.Sigmoid,
                lambda w: nn.init.normal_(w, 0.0, 0.1)),
    "relu_he": ("ReLU, He init", nn.ReLU,
                lambda w: nn.init.kaiming_normal_(w, nonlinearity="relu")),
}


def mnist(train_size):
    train, test = datasets.MNIST(train=True), datasets.MNIST(train=False)
    x = train.images[:train_size].astype(np.float32) / 255
    return (TensorDataset(x, train.labels[:train_size]),
            TensorDataset(test.images.astype(np.float32) / 255, test.labels))


def accuracy(model, data):
    hits = 0
    with cr.no_grad():
        for x, y in DataLoader(data, batch_size=1000):
            hits += int((model(x).numpy().argmax(1) == y.numpy()).sum())
    return hits / len(data)


def run(name, train, test, epochs, lr, out):
    title, activation, init = NETS[name]
    cr.manual_seed(0)
    model = mlp(activation, init)
    opt = cr.optim.SGD(model.parameters(), lr=lr, momentum=0.9)
    flow, step = GradientFlow(), 0
    for epoch in range(epochs):
        for x, y in DataLoader(train, batch_size=128, shuffle=True):
            loss = F.cross_entropy(model(x), y)
            opt.zero_grad()
            loss.backward()
            watch = step % 5 == 0
            if watch:
                flow.record(model, step)  # gradients are in p.grad
            opt.step()
            if watch:
                flow.after_step(model)    # the update-to-weight ratio of this step
            step += 1
    acc = accuracy(model, test)
    print(f"\n== {title}: test accuracy {100 * acc:.1f}% after {epochs} epoch(s)")
    print(flow.report())
    picture = flow.plot(out / f"vanishing_{name}.png", dpi=72,
                        title=f"10-layer MLP on MNIST, {title}: test accuracy {100 * acc:.1f}%")
    print(f"picture: {picture}")
    return title, flow, acc


def plot_contrast(results, path):
    """Both nets' gradient norm against depth (median of the last records), on one scale."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.4, 4))
    for (title, flow, acc), style in zip(results, ("o-", "s-")):
        norms = list(flow.profile().values())
        ax.plot(range(1, len(norms) + 1), norms, style,
                label=f"{title} (test accuracy {100 * acc:.0f}%)")
    ax.set(yscale="log", xlabel="layer (1 = next to the input)",
           ylabel="gradient norm of the weight", title="10-layer MLPs on MNIST, end of training")
    ax.set_xticks(range(1, DEPTH + 1))
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(path, dpi=72)
    plt.close(fig)
    print(f"picture: {path}")


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--train-size", type=int, default=20000, help="MNIST training images used")
    p.add_argument("--lr", type=float, default=0.05)
    p.add_argument("--out", type=Path, default=Path(__file__).resolve().parents[1] / "docs"
                   / "images")
    args = p.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    train, test = mnist(args.train_size)
    results = [run(name, train, test, args.epochs, args.lr, args.out) for name in NETS]
    plot_contrast(results, args.out / "vanishing_contrast.png")
    return results


if __name__ == "__main__":
    main()
