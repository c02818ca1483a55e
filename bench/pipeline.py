"""One epoch of MNIST through the whole pipeline, against the same loop in PyTorch, in one run:
the dataset in memory, shuffled batches of 128, forward, cross-entropy, backward and an SGD step
with momentum, for every batch of the 60,000 training images.

  mlp epoch:    784-800-10 ReLU MLP
  lenet5 epoch: LeNet-5 (6 and 16 5x5 maps, max pooling, 120-84-10, ReLU)

    CHAINRULE_DATA=../shared/data python bench/pipeline.py --repeats 5

chainrule reads the images with its own MNIST loader and DataLoader (the dataset makes its
float32 copy of the images in the warm-up); PyTorch gets the same arrays, converted before
timing, as tensors and draws its batches by indexing with a shuffled permutation (the fastest
way to feed it, faster than torch.utils.data.DataLoader). Both run in float32 with every core
(torch.set_num_threads(os.cpu_count())); the runs alternate so that a busy machine slows both
alike; each figure is the median of --repeats epochs after one untimed warm-up of 20 batches."""
import argparse
import os
import statistics
import time

import numpy as np
import torch

import chainrule as cr
from chainrule.data import DataLoader, datasets
from chainrule.train import models

BATCH = 128


def torch_model(name):
    nn = torch.nn
    if name == "mlp":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 800), nn.ReLU(), nn.Linear(800, 10))
    return nn.Sequential(nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
                         nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
                         nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(),
                         nn.Linear(84, 10))


def train_steps(model, opt, loss_fn, batches, limit=None):
    """The loop both frameworks run: the same code, since their APIs agree."""
    for i, (x, y) in enumerate(batches):
        loss = loss_fn(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if i == limit:
            break


def ours_epoch(name, train):
    model = models.mlp(784, (800,), 10) if name == "mlp" else models.lenet5((1, 28, 28), 10)
    opt = cr.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = cr.nn.CrossEntropyLoss()

    def run(limit=None):
        batches = DataLoader(train, batch_size=BATCH, shuffle=True)
        train_steps(model, opt, loss_fn, batches, limit)
    return run


def torch_epoch(name, images, labels):
    model = torch_model(name)
    opt = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    loss_fn = torch.nn.CrossEntropyLoss()
    x_all, y_all = torch.from_numpy(images), torch.from_numpy(labels)

    def run(limit=None):
        order = torch.randperm(len(x_all))
        batches = ((x_all[order[s:s + BATCH]], y_all[order[s:s + BATCH]])
                   for s in range(0, len(order), BATCH))
        train_steps(model, opt, loss_fn, batches, limit)
    return run


def seconds(fn):
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main(repeats):
    torch.set_num_threads(os.cpu_count())
    train = datasets.MNIST(train=True)
    images = (train.images.astype(np.float32) / 255.0)
    labels = train.labels
    print(f"{'case':<14}{'chainrule s':>12}{'PyTorch s':>11}{'ratio':>8}")
    for name in ("mlp", "lenet5"):
        ours, theirs = ours_epoch(name, train), torch_epoch(name, images, labels)
        ours(limit=20), theirs(limit=20)
        a, b = [], []
        for _ in range(repeats):
            a.append(seconds(ours))
            b.append(seconds(theirs))
        ma, mb = statistics.median(a), statistics.median(b)
        print(f"{name + ' epoch':<14}{ma:>12.2f}{mb:>11.2f}{ma / mb:>8.2f}", flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    main(parser.parse_args().repeats)
