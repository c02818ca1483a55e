"""One epoch of MNIST-sized data through a DataLoader with a per-image augmentation that costs
real CPU, with 0 and 2 worker processes, for chainrule and torch.utils.data in one run.

    CHAINRULE_DATA=../shared/data python bench/loader.py --repeats 3

The images are MNIST's 60,000 training images when $CHAINRULE_DATA holds them, else random
arrays of the same shape. Each sample is made in `__getitem__` (one Python call per image, so
the work can only be shared out by worker processes): a random shift of up to 2 pixels (pad and
crop), Gaussian noise, and scaling to float32. Both loaders get the very same dataset object
and draw the randomness from NumPy's global generator, which both seed in each worker. Batches
of 128, shuffled; each figure is the median of --repeats epochs after one untimed warm-up
epoch, the four configurations alternating so that a busy machine slows them alike."""
import argparse
import os
import statistics
import time

import numpy as np
import torch
import torch.utils.data

from chainrule.data import DataLoader, datasets

BATCH = 128
SHIFT = 2


class Augmented:
    """(image, label) pairs, each image randomly shifted and noised when fetched."""

    def __init__(self, images, labels):
        self.images, self.labels = images, labels

    def __len__(self):
        return len(self.images)

    def __getitem__(self, i):
        padded = np.pad(self.images[i], ((0, 0), (SHIFT, SHIFT), (SHIFT, SHIFT)))
        dy, dx = np.random.randint(0, 2 * SHIFT + 1, size=2)
        image = padded[:, dy:dy + 28, dx:dx + 28].astype(np.float32) / 255
        image += np.random.standard_normal(image.shape).astype(np.float32) * 0.1
        return image, int(self.labels[i])


def mnist_or_synthetic(samples):
    try:
        train = datasets.MNIST(train=True, download=False, transform=None)
        images, labels, source = train.images, train.labels, "MNIST"
    except Exception:  # noqa: BLE001 - any reason MNIST is not there: use arrays of its shape
        rng = np.random.default_rng(0)
        images = rng.integers(0, 256, (60_000, 1, 28, 28), dtype=np.uint8)
        labels, source = rng.integers(0, 10, 60_000), "synthetic arrays of MNIST's shape"
    return Augmented(images[:samples], labels[:samples]), source


def epoch(make_loader):
    def run():
        for x, y in make_loader():
            pass
    return run


def timed(run):
    start = time.perf_counter()
    run()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--samples", type=int, default=60_000)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args()
    data, source = mnist_or_synthetic(args.samples)
    runs = {}
    for workers in (0, args.workers):
        runs["chainrule", workers] = epoch(lambda w=workers: DataLoader(
            data, batch_size=BATCH, shuffle=True, num_workers=w))
        runs["torch", workers] = epoch(lambda w=workers: torch.utils.data.DataLoader(
            data, batch_size=BATCH, shuffle=True, num_workers=w))
    for run in runs.values():
        run()
    times = {key: [] for key in runs}
    for _ in range(args.repeats):
        for key, run in runs.items():
            times[key].append(timed(run))
    median = {key: statistics.median(t) for key, t in times.items()}

    print(f"{len(data)} images ({source}), batch {BATCH}, {os.cpu_count()} cores, median of "
          f"{args.repeats}")
    print(f"{'workers':>8} {'chainrule':>10} {'torch':>8} {'ratio':>6}")
    for workers in (0, args.workers):
        ours, theirs = median["chainrule", workers], median["torch", workers]
        print(f"{workers:>8} {ours:>9.2f}s {theirs:>7.2f}s {ours / theirs:>5.2f}x")
    for name in ("chainrule", "torch"):
        print(f"{name}: {args.workers} workers are "
              f"{median[name, 0] / median[name, args.workers]:.2f}x as fast as none")


if __name__ == "__main__":
    main()
