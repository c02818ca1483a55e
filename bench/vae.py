"""The VAE recipe of PyTorch's example (784-400-20, loss = BCE + KL summed over the batch, Adam
lr 1e-3, batches of 128) trained by chainrule and by PyTorch in one run, on full MNIST:

    CHAINRULE_DATA=path/to/data python bench/vae.py              # 10 epochs
    CHAINRULE_DATA=path/to/data python bench/vae.py --epochs 2

Both start from the same weights (chainrule's initialization copied into PyTorch's model) and
see the same batches in the same order; each draws its own reparameterization noise from its
own seeded RNG. chainrule's side is `chainrule.train.autoencoders` (train_epoch, evaluate). Each
epoch prints both test-set losses (negative ELBO per test image, as the example's "Test set
loss") and both epoch times; the frameworks train alternately, epoch by epoch, so a busy machine
slows both alike. The target: chainrule's final test loss within 1% of PyTorch's."""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

import chainrule as cr
from chainrule.data.datasets import MNIST, FashionMNIST
from chainrule.train.autoencoders import VAE, evaluate, train_epoch, vae_objective

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from torch_vae import TorchVAE, torch_vae_loss  # noqa: E402 (a test helper, beside this folder)

DATASETS = {"mnist": MNIST, "fashion-mnist": FashionMNIST}


def torch_loss(model, x):
    recon, mu, logvar = model(x)
    return torch_vae_loss(recon, x, mu, logvar)


def torch_epoch(model, optimizer, batches):
    model.train()
    total = 0.0
    for x in batches:
        optimizer.zero_grad()
        loss = torch_loss(model, x)
        loss.backward()
        optimizer.step()
        total += loss.item()
    return total / sum(len(x) for x in batches)


@torch.no_grad()
def torch_test_loss(model, batches):
    model.eval()
    return sum(torch_loss(model, x).item() for x in batches) / sum(len(x) for x in batches)


def flat_images(dataset):
    """All images as (N, 784) float32 in [0, 1]."""
    return (dataset.images.reshape(len(dataset), -1) / np.float32(255)).astype(np.float32)


def batches_of(images, order, batch_size):
    return [images[order[i:i + batch_size]] for i in range(0, len(order), batch_size)]


def timed(step):
    start = time.perf_counter()
    value = step()
    return value, time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--data", choices=sorted(DATASETS), default="mnist")
    parser.add_argument("--latent", type=int, default=20)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    cr.manual_seed(args.seed)
    torch.manual_seed(args.seed)

    train = flat_images(DATASETS[args.data](train=True))
    test = flat_images(DATASETS[args.data](train=False))
    test_order = np.arange(len(test))
    ours = VAE(latent=args.latent)
    theirs = TorchVAE(latent=args.latent)
    theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    our_adam = cr.optim.Adam(ours.parameters(), lr=1e-3)
    their_adam = torch.optim.Adam(theirs.parameters(), lr=1e-3)
    orders = np.random.default_rng(args.seed)
    seconds = {"chainrule": [], "pytorch": []}

    print(f"VAE 784-400-{args.latent} on {args.data}, {len(train)} training images, batch "
          f"{args.batch_size}; test-set loss (negative ELBO per image) and seconds per epoch")
    print(f"{'epoch':>5} {'chainrule':>10} {'pytorch':>10} {'ratio':>7} "
          f"{'chainrule s':>12} {'pytorch s':>10}")
    for epoch in range(1, args.epochs + 1):
        batches = batches_of(train, orders.permutation(len(train)), args.batch_size)
        _, our_seconds = timed(lambda: train_epoch(ours, vae_objective, our_adam,
                                                   (cr.tensor(x) for x in batches)))
        _, their_seconds = timed(lambda: torch_epoch(theirs, their_adam,
                                                     [torch.from_numpy(x) for x in batches]))
        seconds["chainrule"].append(our_seconds)
        seconds["pytorch"].append(their_seconds)
        test_batches = batches_of(test, test_order, args.batch_size)
        our_loss = evaluate(ours, vae_objective, (cr.tensor(x) for x in test_batches))
        their_loss = torch_test_loss(theirs, [torch.from_numpy(x) for x in test_batches])
        print(f"{epoch:>5} {our_loss:>10.3f} {their_loss:>10.3f} {our_loss / their_loss:>7.4f} "
              f"{our_seconds:>12.2f} {their_seconds:>10.2f}", flush=True)
    print(f"final test loss: chainrule {our_loss:.3f}, pytorch {their_loss:.3f}, ratio "
          f"{our_loss / their_loss:.4f} ({100 * abs(our_loss / their_loss - 1):.2f}% apart)")
    ours_s, theirs_s = np.mean(seconds["chainrule"]), np.mean(seconds["pytorch"])
    print(f"seconds per training epoch: chainrule {ours_s:.2f}, pytorch {theirs_s:.2f}, ratio "
          f"{ours_s / theirs_s:.2f}")


if __name__ == "__main__":
    main()
