"""DCGAN on 28x28 images trained by chainrule and by PyTorch in one run, scored by a LeNet-5 that
chainrule trained on the real data:

    CHAINRULE_DATA=path/to/data python bench/dcgan.py                # MNIST, 5 epochs
    CHAINRULE_DATA=path/to/data python bench/dcgan.py --epochs 1 --width 32

The recipe is DCGAN's (chainrule.train.dcgan: transposed convolutions, batch norm, LeakyReLU 0.2,
BCE with logits, Adam lr 2e-4 with beta1 0.5, batches of 128, noise of 100). Both start from the
same weights (chainrule's initialization copied into the PyTorch twin, built from the same source
file) and see the same batches in the same order; each draws its noise from its own RNG, seeded
alike. They train alternately, epoch by epoch, so a busy machine slows both alike.

After each epoch, 10,000 images drawn from each generator are scored against the real test set:
the Frechet distance between the judge's 84 features of the real and the generated images, and
the judge's mean confidence in the class it gives them. The targets: chainrule's distance within
15% of PyTorch's, and a mean confidence of at least 0.9."""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch

import chainrule as cr
from chainrule.data.datasets import MNIST, FashionMNIST
from chainrule.train import dcgan
from chainrule.train.gan import gan_epoch, gan_optimizers
from chainrule.train.quality import (frechet_distance, generator_samples, image_scores,
                                     judge_features, train_judge)

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from torch_gan import torch_gan_step  # noqa: E402 (test helpers, beside this folder)
from torch_twin import on_torch  # noqa: E402

DATASETS = {"mnist": MNIST, "fashion-mnist": FashionMNIST}


def scaled(dataset):
    """(images as (N, 1, 28, 28) float32 in [-1, 1], labels)."""
    images = dataset.images.reshape(len(dataset), 1, 28, 28).astype(np.float32) / 127.5 - 1
    return images, dataset.labels


def torch_epoch(G, D, opt_g, opt_d, batches, latent):
    start = time.perf_counter()
    for real in batches:
        torch_gan_step(G, D, opt_g, opt_d, real, torch.randn(len(real), latent))
    return time.perf_counter() - start


@torch.no_grad()
def torch_samples(G, n, latent, batch_size=500):
    G.eval()
    images = np.concatenate([G(torch.randn(min(batch_size, n - s), latent)).numpy()
                             for s in range(0, n, batch_size)])
    G.train()
    return images


def save_for_sampling(gan, args, classes, folder):
    folder.mkdir(parents=True, exist_ok=True)
    config = {"data": args.data, "model": "gan", "latent": args.latent, "hidden": [args.width],
              "noise": 0.0, "classes": [str(c) for c in classes]}
    cr.save({"model": gan.state_dict(), "config": config}, folder / "model.safetensors")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--epochs", type=int, default=5)
    parser.add_argument("--data", choices=sorted(DATASETS), default="mnist")
    parser.add_argument("--width", type=int, default=64)
    parser.add_argument("--latent", type=int, default=100)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--samples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--save", default=None, help="folder for chainrule's GAN after each "
                        "epoch, as `chainrule train` writes it (`chainrule sample` reads it)")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())

    test = DATASETS[args.data](train=False)
    train_images, train_labels = scaled(DATASETS[args.data](train=True))
    test_images, test_labels = scaled(test)
    judge = train_judge(train_images, train_labels, seed=args.seed)
    real, confidence = judge_features(judge, test_images)
    with cr.no_grad():
        accuracy = (judge(cr.tensor(test_images)).argmax(1).numpy() == test_labels).mean()
    floor = frechet_distance(real, judge_features(judge, train_images[:args.samples])[0])
    print(f"judge: LeNet-5 trained by chainrule, test accuracy {accuracy:.4f}, mean confidence "
          f"on real test images {confidence.mean():.4f}; Frechet distance of {args.samples} real "
          f"training images to the test set: {floor:.3f}")

    cr.manual_seed(args.seed)
    torch.manual_seed(args.seed)
    gan = dcgan.GAN(args.latent, args.width)
    G, D = gan.generator, gan.discriminator
    twin = on_torch(dcgan)
    tG, tD = twin.Generator(args.latent, args.width), twin.Discriminator(args.width)
    for ours, theirs in ((G, tG), (D, tD)):
        theirs.load_state_dict({k: torch.tensor(v.numpy()) for k, v in ours.state_dict().items()})
    opt_g, opt_d = gan_optimizers(G, D)
    topt_g, topt_d = (torch.optim.Adam(m.parameters(), lr=2e-4, betas=(0.5, 0.999))
                      for m in (tG, tD))
    orders = np.random.default_rng(args.seed)
    seconds = {"chainrule": [], "pytorch": []}

    print(f"DCGAN width {args.width} on {args.data}, batch {args.batch_size}; Frechet distance "
          f"(FD) and mean confidence of {args.samples} samples, seconds per epoch")
    print(f"{'epoch':>5} {'FD chainrule':>13} {'FD pytorch':>11} {'ratio':>6} "
          f"{'conf chainrule':>15} {'conf pytorch':>13} {'chainrule s':>12} {'pytorch s':>10}")
    for epoch in range(1, args.epochs + 1):
        order = orders.permutation(len(train_images))
        batches = [train_images[order[i:i + args.batch_size]]
                   for i in range(0, len(order), args.batch_size)]
        ours = gan_epoch(G, D, opt_g, opt_d, (cr.tensor(x) for x in batches), args.latent)
        their_seconds = torch_epoch(tG, tD, topt_g, topt_d, [torch.from_numpy(x) for x in batches],
                                    args.latent)
        seconds["chainrule"].append(ours["seconds"])
        if args.save:
            save_for_sampling(gan, args, test.classes, Path(args.save))
        seconds["pytorch"].append(their_seconds)
        mine = image_scores(judge, real, generator_samples(G, args.samples, args.latent))
        theirs = image_scores(judge, real, torch_samples(tG, args.samples, args.latent))
        print(f"{epoch:>5} {mine['frechet_distance']:>13.3f} {theirs['frechet_distance']:>11.3f} "
              f"{mine['frechet_distance'] / theirs['frechet_distance']:>6.3f} "
              f"{mine['confidence']:>15.4f} {theirs['confidence']:>13.4f} "
              f"{ours['seconds']:>12.1f} {their_seconds:>10.1f}", flush=True)
    ours_s, theirs_s = np.median(seconds["chainrule"]), np.median(seconds["pytorch"])
    ours_fd, theirs_fd = mine["frechet_distance"], theirs["frechet_distance"]
    print(f"final: Frechet distance chainrule {ours_fd:.3f}, pytorch {theirs_fd:.3f} (ratio "
          f"{ours_fd / theirs_fd:.3f}); mean confidence {mine['confidence']:.4f} and "
          f"{theirs['confidence']:.4f}")
    print(f"seconds per training epoch (median): chainrule {ours_s:.1f}, pytorch {theirs_s:.1f}, "
          f"ratio {ours_s / theirs_s:.2f}")


if __name__ == "__main__":
    main()
