"""`chainrule sample MODEL`: new images from a GAN or VAE that `chainrule train --model gan|vae`
wrote, drawn from fresh noise and saved as one grid (PNG)."""
import argparse

import numpy as np

from ..train import generative
from ..train.grids import save_image_grid
from . import UsageError
from .train import read_run_file

EXAMPLES = """examples:
  chainrule sample runs/mnist-gan/model.safetensors --n 64 --out grid.png
  chainrule sample runs/fashion-mnist-vae --n 100 --nrow 10 --seed 3 --out vae.png
"""


def add_parser(sub):
    p = sub.add_parser("sample", help="draw new images from a trained GAN or VAE",
                       description=__doc__, epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="model.safetensors (or checkpoint.safetensors, or the run "
                   "folder) from `chainrule train --model gan|vae`")
    p.add_argument("--n", type=int, default=64, help="how many images (default 64)")
    p.add_argument("--nrow", type=int, default=8, help="images per row (default 8)")
    p.add_argument("--out", default="samples.png", help="the PNG to write (default samples.png)")
    p.add_argument("--seed", type=int, default=None, help="for the same images again")
    p.set_defaults(func=run)


def load_generative_model(path):
    """(model, config) from what `chainrule train --model gan|vae` wrote."""
    state, config = read_run_file(path)
    kind = config.get("model") if isinstance(config, dict) else None
    if kind == "autoencoder":
        raise UsageError(f"{path} is an autoencoder, which has no distribution of codes to draw "
                         "from: train --model vae or gan to sample")
    if kind not in ("gan", "vae"):
        raise UsageError(f"{path} holds no GAN or VAE (train one with `chainrule train --data "
                         "mnist --model gan`)")
    model = generative.build(config)
    model.load_state_dict(state["model"])
    return model, config


def run(args):
    if args.n < 1 or args.nrow < 1:
        raise UsageError(f"--n and --nrow must be positive, got {args.n} and {args.nrow}")
    model, config = load_generative_model(args.model)
    noise = np.random.default_rng(args.seed).standard_normal((args.n, config["latent"]))
    try:
        save_image_grid(generative.decode(model, noise), args.out, nrow=args.nrow,
                        value_range=(0, 1))
    except OSError as e:
        raise UsageError(f"cannot write {args.out}: {e.strerror or e}") from None
    print(f"{args.n} {config['model'].upper()} samples -> {args.out}")
    return 0
