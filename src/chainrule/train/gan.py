"""The loop that trains a GAN (DCGAN's networks are in dcgan.py): two networks, two optimizers,
one played against the other.

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

from .. import optim
from ..backend import manual_seed
from ..nn import functional as F
from ..ops.creation import ones_like, randn, zeros_like


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


def gan_epoch(G, D, opt_g, opt_d, batches, latent):
    """A `gan_step` on each batch of real images (or (images, labels)), with fresh noise
    N(0, 1) of size `latent` for each; returns the steps' means (`GanStep`'s fields) and the
    seconds taken."""
    G.train()
    D.train()
    device = next(D.parameters()).device
    start, totals, count = time.perf_counter(), [0.0] * len(GanStep._fields), 0
    for batch in batches:
        real = (batch[0] if isinstance(batch, (tuple, list)) else batch).to(device)
        z = randn(real.shape[0], latent, dtype=real.dtype, device=device)
        totals = [t + s for t, s in zip(totals, gan_step(G, D, opt_g, opt_d, real, z))]
        count += 1
    if count == 0:
        raise ValueError("gan_epoch: the loader gave no batches")
    return {**{k: t / count for k, t in zip(GanStep._fields, totals)},
            "seconds": time.perf_counter() - start}


def gan_optimizers(G, D, lr=2e-4, betas=(0.5, 0.999)):
    """DCGAN's optimizers: Adam for each network, lr 2e-4 and beta1 0.5 (the default 0.9 makes
    the two-player game oscillate)."""
    return optim.Adam(G.parameters(), lr=lr, betas=betas), optim.Adam(D.parameters(), lr=lr,
                                                                       betas=betas)


def fit_gan(G, D, loader, epochs, lr=2e-4, betas=(0.5, 0.999), latent=100, seed=0,
            on_epoch=None):
    """Trains G and D with `gan_optimizers` for `epochs` passes over `loader`, whose batches are
    images in [-1, 1] (or (images, labels)). Seeds chainrule's generator with `seed` first (noise
    and shuffling). After each epoch calls `on_epoch(epoch, logs)`; returns the history, one
    dict of per-epoch means (`GanStep`'s fields, and `seconds`) per epoch."""
    if epochs < 1:
        raise ValueError(f"fit_gan: epochs must be at least 1, got {epochs}")
    manual_seed(seed)
    opt_g, opt_d = gan_optimizers(G, D, lr, betas)
    history = []
    for epoch in range(1, epochs + 1):
        logs = {"epoch": epoch, **gan_epoch(G, D, opt_g, opt_d, loader, latent)}
        history.append(logs)
        if on_epoch is not None:
            on_epoch(epoch, logs)
    return history
