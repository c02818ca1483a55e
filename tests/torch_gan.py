"""DCGAN's training step as PyTorch's own DCGAN example writes it: the twin that the GAN's tests
and bench/dcgan.py compare chainrule.train.gan.gan_step with."""
import torch


def torch_gan_step(G, D, opt_g, opt_d, real, z):
    """The step as PyTorch's DCGAN example writes it."""
    bce = torch.nn.functional.binary_cross_entropy_with_logits
    fake = G(z)
    D.zero_grad()
    out_real = D(real)
    loss_real = bce(out_real, torch.ones_like(out_real))
    loss_real.backward()
    out_fake = D(fake.detach())
    loss_fake = bce(out_fake, torch.zeros_like(out_fake))
    loss_fake.backward()
    opt_d.step()
    G.zero_grad()
    out = D(fake)
    loss_g = bce(out, torch.ones_like(out))
    loss_g.backward()
    opt_g.step()
    return [(loss_real + loss_fake).item(), loss_g.item()] + [
        torch.sigmoid(o).mean().item() for o in (out_real, out_fake, out)]
