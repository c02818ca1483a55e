"""DCGAN's two networks for 1x28x28 images (Radford, Metz, Chintala 2015): transposed
convolutions up from noise, strided convolutions down to one logit, batch norm between, and the
paper's initialisation. This file imports only `nn`, so the same source builds PyTorch's twins."""
from .. import nn


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


class GAN(nn.Module):
    """The pair, held as one module so that one state_dict saves and loads both."""

    def __init__(self, latent=100, width=64):
        super().__init__()
        self.generator = Generator(latent, width)
        self.discriminator = Discriminator(width)
