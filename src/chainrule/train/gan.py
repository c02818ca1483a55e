"""A DCGAN for 1x28x28 images (Radford, Metz, Chintala 2015) and the loop that trains it: two
networks, two optimizers, one played against the other.

The discriminator D learns to tell real images (label 1) from the generator's (label 0); the
generator G learns to make D say 1. Each step does both, in that order:

    D step:  loss_d = BCE(D(x), 1) + BCE(D(G(z).detach()), 0)     -> gradients for D only
    G step:  loss_g = BCE(D(G(z)), 1)                              -> through D, into G

`detach()` in the D step cuts the graph between G and D: without it, loss_d's backward would also
fill G's gradients, with the sign that helps D, and the G step would add to them. The G step uses
the "non-saturating" loss -log D(G(z)) rather than log(1 - D(G(z))): early on, when D easily
rejects the fakes, the latter's gradient vanishes."""
import time
from typing import NamedTuple

from .. import nn, optim
from ..backend import manual_seed
from ..nn import functional as F
from ..ops.creation import ones_like, randn, zeros_like


class Generator(nn.Module):
    """z (N, latent) or (N, latent, 1, 1) -> images (N, 1, 28, 28) in [-1, 1]:
    a 7x7 transposed convolution to 7x7 maps of 2*width channels, then two stride-2 transposed
    convolutions to 14x14 (width) and 28x28 (1); batch norm and ReLU between, tanh at the end."""

    def __init__(self, latent=100, width=64):
        super().__init__()
        self.latent = latent
        self.net = nn.Sequential(
            nn.ConvTranspose2d(latent, 2 * width, 7, 1, 0, bias=False),
            nn.BatchNorm2d(2 * width), nn.ReLU(True),
            nn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(width), nn.ReLU(True),
            nn.ConvTranspose2d(width, 1, 4, 2, 1, bias=False),
            nn.Tanh())
        self.apply(dcgan_init)

    def forward(self, z):
        if z.ndim not in (2, 4) or z.shape[1] != self.latent or z.shape[2:] not in ((), (1, 1)):
            raise ValueError(f"Generator: expected noise of shape (N, {self.latent}) or "
                             f"(N, {self.latent}, 1, 1), got {tuple(z.shape)}")
        return self.net(z.reshape(z.shape[0], self.latent, 1, 1))


class Discriminator(nn.Module):
    """images (N, 1, 28, 28) -> one logit per image (N,): two stride-2 convolutions (28 -> 14 -> 7,
    width and 2*width channels) with LeakyReLU(0.2), batch norm on the inner one, then a 7x7
    convolution to one number. A logit, not a probability: the loss is BCE with logits, which
    is sigmoid + BCE computed without overflow."""

    def __init__(self, width=64):
        super().__init__()
        self.net = nn.Sequential(
            nn.Conv2d(1, width, 4, 2, 1, bias=False), nn.LeakyReLU(0.2, True),
            nn.Conv2d(width, 2 * width, 4, 2, 1, bias=False),
            nn.BatchNorm2d(2 * width), nn.LeakyReLU(0.2, True),
            nn.Conv2d(2 * width, 1, 7, 1, 0, bias=False))
        self.apply(dcgan_init)

    def forward(self, x):
        if x.ndim != 4 or tuple(x.shape[1:]) != (1, 28, 28):
            raise ValueError(f"Discriminator: expected images of shape (N, 1, 28, 28), got "
                             f"{tuple(x.shape)}")
        return self.net(x).reshape(-1)


def dcgan_init(module):
    """Radford et al.'s initialisation: (transposed) convolution weights N(0, 0.02), batch norm
    gains N(1, 0.02) and shifts 0."""
    if isinstance(module, (nn.Conv2d, nn.ConvTranspose2d)):
        nn.init.normal_(module.weight, 0.0, 0.02)
    elif isinstance(module, nn.BatchNorm2d):
        nn.init.normal_(module.weight, 1.0, 0.02)
        nn.init.zeros_(module.bias)


class GanStep(NamedTuple):
    """What one step measured: the two losses, and D's mean probability of "real" for the real
    batch, for the fakes before the D step and for the fakes after it."""
    loss_d: float
    loss_g: float
    d_real: float
    d_fake: float
    d_fake_after: float


def gan_step(G, D, opt_g, opt_d, real, z):
    """One D step on `real` and G(z) (detached), then one G step through D; see the module's
    docstring. `opt_d` updates D's parameters, `opt_g` G's."""
    fake = G(z)

    opt_d.zero_grad()
    out_real = D(real)
    loss_real = F.binary_cross_entropy_with_logits(out_real, ones_like(out_real))
    loss_real.backward()
    out_fake = D(fake.detach())
    loss_fake = F.binary_cross_entropy_with_logits(out_fake, zeros_like(out_fake))
    loss_fake.backward()
    opt_d.step()

    opt_g.zero_grad()
    out = D(fake)  # D just changed: G is judged by the updated discriminator
    loss_g = F.binary_cross_entropy_with_logits(out, ones_like(out))
    loss_g.backward()
    opt_g.step()

    return GanStep((loss_real + loss_fake).item(), loss_g.item(), _mean_probability(out_real),
                   _mean_probability(out_fake), _mean_probability(out))


def _mean_probability(logits):
    return logits.detach().sigmoid().mean().item()


def fit_gan(G, D, loader, epochs, lr=2e-4, betas=(0.5, 0.999), latent=100, seed=0,
            on_epoch=None):
    """Trains G and D with Adam (DCGAN's lr 2e-4, beta1 0.5) for `epochs` passes over `loader`,
    whose batches are images in [-1, 1] (or (images, labels)); noise is N(0, 1) of size `latent`.
    Seeds chainrule's generator with `seed` first (noise and shuffling). After each epoch calls
    `on_epoch(epoch, logs)`; returns the history, one dict of per-epoch means (`GanStep`'s
    fields, and `seconds`) per epoch."""
    if epochs < 1:
        raise ValueError(f"fit_gan: epochs must be at least 1, got {epochs}")
    manual_seed(seed)
    opt_g = optim.Adam(G.parameters(), lr=lr, betas=betas)
    opt_d = optim.Adam(D.parameters(), lr=lr, betas=betas)
    device = next(D.parameters()).device
    G.train()
    D.train()
    history = []
    for epoch in range(1, epochs + 1):
        start, totals, batches = time.perf_counter(), [0.0] * len(GanStep._fields), 0
        for batch in loader:
            real = (batch[0] if isinstance(batch, (tuple, list)) else batch).to(device)
            z = randn(real.shape[0], latent, dtype=real.dtype, device=device)
            step = gan_step(G, D, opt_g, opt_d, real, z)
            totals = [t + s for t, s in zip(totals, step)]
            batches += 1
        if batches == 0:
            raise ValueError("fit_gan: the loader gave no batches")
        logs = {"epoch": epoch, **{k: t / batches for k, t in zip(GanStep._fields, totals)},
                "seconds": time.perf_counter() - start}
        history.append(logs)
        if on_epoch is not None:
            on_epoch(epoch, logs)
    return history
