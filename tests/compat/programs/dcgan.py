"""The pytorch/examples DCGAN in miniature: a transposed-convolution generator and a
convolutional discriminator, weights_init applied with Module.apply, BCELoss on labels made with
torch.full and fill_, two Adam optimizers with betas=(0.5, 0.999), and fake images detached
for the discriminator's step. Noise and data come from NumPy."""
import numpy as np
import torch
import torch.nn as nn
import torch.optim as optim

nz, ngf, ndf, nc = 4, 4, 4, 1
real_label, fake_label = 1.0, 0.0


def weights_init(m):
    classname = m.__class__.__name__
    if classname.find("Conv") != -1:
        nn.init.normal_(m.weight.data, 0.0, 0.02)
    elif classname.find("BatchNorm") != -1:
        nn.init.normal_(m.weight.data, 1.0, 0.02)
        nn.init.constant_(m.bias.data, 0)


class Generator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            # nz x 1 x 1 -> (ngf*2) x 4 x 4
            nn.ConvTranspose2d(nz, ngf * 2, 4, 1, 0, bias=False),
            nn.BatchNorm2d(ngf * 2),
            nn.ReLU(True),
            # -> ngf x 8 x 8
            nn.ConvTranspose2d(ngf * 2, ngf, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ngf),
            nn.ReLU(True),
            # -> nc x 16 x 16
            nn.ConvTranspose2d(ngf, nc, 4, 2, 1, bias=False),
            nn.Tanh(),
        )

    def forward(self, input):
        return self.main(input)


class Discriminator(nn.Module):
    def __init__(self):
        super().__init__()
        self.main = nn.Sequential(
            nn.Conv2d(nc, ndf, 4, 2, 1, bias=False),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf, ndf * 2, 4, 2, 1, bias=False),
            nn.BatchNorm2d(ndf * 2),
            nn.LeakyReLU(0.2, inplace=True),
            nn.Conv2d(ndf * 2, 1, 4, 1, 0, bias=False),
            nn.Sigmoid(),
        )

    def forward(self, input):
        return self.main(input).view(-1, 1).squeeze(1)


def main(iterations=4, batch_size=8):
    torch.set_default_dtype(torch.float64)
    netG, netD = Generator(), Discriminator()
    netG.apply(weights_init)
    netD.apply(weights_init)
    init_std = netD.main[2].weight.std().item()  # normal_(0, 0.02) from each library's generator
    rng = np.random.default_rng(8)
    with torch.no_grad():
        for net in (netG, netD):
            for name, p in net.named_parameters():
                is_bn_scale = p.dim() == 1 and name.endswith("weight")
                p.copy_(torch.from_numpy(rng.normal(float(is_bn_scale), 0.2, p.shape)))

    criterion = nn.BCELoss()
    optimizerD = optim.Adam(netD.parameters(), lr=2e-3, betas=(0.5, 0.999))
    optimizerG = optim.Adam(netG.parameters(), lr=2e-3, betas=(0.5, 0.999))
    reals = torch.from_numpy(np.tanh(rng.normal(0.0, 1.0, (iterations, batch_size, nc, 16, 16))))
    noises = torch.from_numpy(rng.normal(0.0, 1.0, (iterations, batch_size, nz, 1, 1)))

    history = {"errD": [], "errG": [], "D_x": [], "D_G_z1": [], "D_G_z2": []}
    for i in range(iterations):
        # (1) Update D: maximize log(D(x)) + log(1 - D(G(z)))
        netD.zero_grad()
        real_cpu = reals[i]
        label = torch.full((batch_size,), real_label, dtype=real_cpu.dtype)
        output = netD(real_cpu)
        errD_real = criterion(output, label)
        errD_real.backward()
        D_x = output.mean().item()

        fake = netG(noises[i])
        label.fill_(fake_label)
        output = netD(fake.detach())
        errD_fake = criterion(output, label)
        errD_fake.backward()
        D_G_z1 = output.mean().item()
        errD = errD_real + errD_fake
        optimizerD.step()

        # (2) Update G: maximize log(D(G(z)))
        netG.zero_grad()
        label.fill_(real_label)
        output = netD(fake)
        errG = criterion(output, label)
        errG.backward()
        D_G_z2 = output.mean().item()
        optimizerG.step()

        for key, value in zip(history, (errD.item(), errG.item(), D_x, D_G_z1, D_G_z2)):
            history[key].append(value)

    netG.eval()
    with torch.no_grad():
        sample = netG(noises[0][:2])
    return {**history, "init_std": init_std, "sample": sample.numpy(),
            "sample_shape": list(sample.shape)}
