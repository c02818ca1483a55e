"""The generative models that `chainrule train --model gan|vae|autoencoder` trains on 1x28x28
images, behind one interface: built from a config, trained epoch by epoch with a checkpoint
after each (resumable), and asked for pictures: samples drawn from noise, reconstructions, and
the codes of images in latent space."""
import numpy as np

from .. import io
from ..autograd import no_grad
from ..backend import get_rng_state, set_rng_state
from ..ops import tensor
from .autoencoders import (VAE, ConvAutoencoder, corrupt, denoising_objective, evaluate,
                           train_epoch, vae_objective)
from .dcgan import GAN
from .gan import gan_epoch
from .trainer import CHECKPOINT

KINDS = ("gan", "vae", "autoencoder")
# each recipe's defaults: DCGAN's, PyTorch's VAE example's, and a small convolutional autoencoder
DEFAULTS = {"gan": {"latent": 100, "hidden": [64], "lr": 2e-4, "epochs": 5},
            "vae": {"latent": 20, "hidden": [400], "lr": 1e-3, "epochs": 10},
            "autoencoder": {"latent": 32, "hidden": [16, 32], "lr": 1e-3, "epochs": 10}}


def build(config):
    """The model a config names: {"model": kind, "latent": int, "hidden": [widths]}."""
    kind, latent, hidden = config["model"], config["latent"], config["hidden"]
    if kind == "gan":
        return GAN(latent, hidden[0])
    if kind == "vae":
        return VAE(784, hidden[0], latent)
    return ConvAutoencoder(latent, tuple(hidden))


def parameter_groups(model):
    """What each optimizer trains: the GAN's two networks apart, the others as one."""
    if isinstance(model, GAN):
        return {"generator": model.generator.parameters(),
                "discriminator": model.discriminator.parameters()}
    return {"model": model.parameters()}


def train_one_epoch(model, optimizers, config, images):
    """One pass over `images` (batches in [0, 1]); returns the epoch's training figures."""
    if isinstance(model, GAN):
        return gan_epoch(model.generator, model.discriminator, optimizers["generator"],
                         optimizers["discriminator"], (2 * x - 1 for x in images),
                         config["latent"])
    return {"loss": train_epoch(model, objective(model, config), optimizers["model"], images)}


def test_figures(model, config, images):
    """The VAE's test-set loss (negative ELBO per image) or the autoencoder's reconstruction
    error (mean squared error per pixel, against the clean images); nothing for a GAN (see
    chainrule.train.quality)."""
    if isinstance(model, GAN):
        return {}
    if isinstance(model, VAE):
        return {"test_loss": evaluate(model, vae_objective, images)}
    images, score = list(images), objective(model, config)
    figures = {"test_error": evaluate(model, score, images)}
    if config["noise"]:  # the error of the noisy images themselves: what denoising has to beat
        figures["noisy_input_error"] = evaluate(lambda noisy: noisy, score, images)
    return figures


def objective(model, config):
    return vae_objective if isinstance(model, VAE) else denoising_objective(config["noise"])


@no_grad()
def decode(model, codes):
    """Images in [0, 1], (N, 1, 28, 28), made from latent codes (N, latent): the generator's
    (rescaled from tanh's [-1, 1]) or the decoder's."""
    codes = _on_device_of(model, codes)
    if isinstance(model, GAN):
        model.generator.eval()
        images = (model.generator(codes) + 1) / 2
        model.generator.train()
    elif isinstance(model, VAE):
        images = model.decode(codes)
    else:
        model.eval()
        images = model.decoder(codes)
    return images.reshape(-1, 1, 28, 28).numpy()


@no_grad()
def encode(model, images):
    """Latent codes of images in [0, 1]: the VAE's posterior mean, the autoencoder's code."""
    model.eval()
    x = _on_device_of(model, images)
    codes = model.encode(x.reshape(len(x), -1))[0] if isinstance(model, VAE) else model.encoder(x)
    return codes.numpy()


@no_grad()
def reconstructions(model, images, noise):
    """Rows for a picture: the inputs the model saw (corrupted when `noise`), its
    reconstructions, and the clean images; the clean row is left out without noise."""
    model.eval()
    clean = _on_device_of(model, images)
    seen = corrupt(clean, noise)
    rows = [seen, model(seen)] + ([clean] if noise else [])
    return np.concatenate([r.reshape(-1, 1, 28, 28).numpy() for r in rows])


def _on_device_of(model, array):
    return tensor(np.asarray(array, np.float32), device=next(model.parameters()).device)


def checkpoint_state(model, optimizers, epoch, history, config):
    return {"model": model.state_dict(),
            "optimizers": {name: opt.state_dict() for name, opt in optimizers.items()},
            "epoch": epoch, "history": history, "rng": get_rng_state(), "config": config}


def save_checkpoint(out_dir, *state):
    """Written atomically by io.save: a crash mid-write leaves the previous one intact."""
    io.save(checkpoint_state(*state), out_dir / CHECKPOINT)


def resume(out_dir, model, optimizers):
    """Loads the checkpoint in `out_dir` into the model, its optimizers and the random state;
    returns (epochs done, history)."""
    state = io.load(out_dir / CHECKPOINT)
    model.load_state_dict(state["model"])
    for name, opt in optimizers.items():
        opt.load_state_dict(state["optimizers"][name])
    set_rng_state(state["rng"])
    return state["epoch"], list(state["history"])
