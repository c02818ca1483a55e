"""A DCGAN (Radford et al. 2015) learning to draw MNIST digits or Fashion-MNIST articles: a
generator of transposed convolutions against a convolutional discriminator, each trained by Adam
(lr 2e-4, beta1 0.5) in turn. After every epoch, writes a grid of 64 samples, always drawn from
the same noise (so the pictures show one set of samples improving), and prints the losses and
D's mean verdicts: D(x) on real images, D(G(z)) on fakes before and after D's step.

    python examples/dcgan_mnist.py --epochs 5
    python examples/dcgan_mnist.py --data fashion-mnist --out dcgan_fashion --device cuda
"""
import argparse
import time
from pathlib import Path

import chainrule as cr
from chainrule.data import DataLoader, Subset
from chainrule.data.datasets import MNIST, FashionMNIST
from chainrule.data.transforms import Compose, Normalize, ToFloat
from chainrule.train.dcgan import Discriminator, Generator
from chainrule.train.gan import fit_gan
from chainrule.train.grids import save_image_grid

DATASETS = {"mnist": MNIST, "fashion-mnist": FashionMNIST}


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--data", choices=sorted(DATASETS), default="mnist")
    p.add_argument("--epochs", type=int, default=5)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--latent", type=int, default=100, help="size of the noise vector z")
    p.add_argument("--width", type=int, default=64, help="channels of the widest-but-one layer")
    p.add_argument("--lr", type=float, default=2e-4)
    p.add_argument("--limit", type=int, default=None, help="train on the first N images only")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu")
    p.add_argument("--out", type=Path, default=Path("dcgan_samples"),
                   help="folder for the sample grids")
    args = p.parse_args(argv)

    cr.manual_seed(args.seed)
    # [0, 1] pixels to [-1, 1], the range of the generator's tanh
    data = DATASETS[args.data](train=True, transform=Compose([ToFloat(), Normalize(0.5, 0.5)]))
    if args.limit:
        data = Subset(data, range(min(args.limit, len(data))))
    loader = DataLoader(data, batch_size=args.batch_size, shuffle=True)
    G = Generator(args.latent, args.width).to(args.device)
    D = Discriminator(args.width).to(args.device)
    fixed_noise = cr.randn(64, args.latent, device=args.device)
    args.out.mkdir(parents=True, exist_ok=True)

    def show(epoch, logs):
        with cr.no_grad():
            path = args.out / f"epoch_{epoch:03d}.png"
            save_image_grid(G(fixed_noise), path, value_range=(-1, 1))
        print(f"epoch {epoch}: loss_D {logs['loss_d']:.3f}  loss_G {logs['loss_g']:.3f}  "
              f"D(x) {logs['d_real']:.3f}  D(G(z)) {logs['d_fake']:.3f} / "
              f"{logs['d_fake_after']:.3f}  ({logs['seconds']:.0f} s)  -> {path}", flush=True)

    start = time.perf_counter()
    history = fit_gan(G, D, loader, args.epochs, lr=args.lr, latent=args.latent,
                      seed=args.seed, on_epoch=show)
    print(f"{args.epochs} epochs on {len(data)} {args.data} images in "
          f"{time.perf_counter() - start:.0f} s")
    return history


if __name__ == "__main__":
    main()
