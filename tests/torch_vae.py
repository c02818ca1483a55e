"""The VAE of PyTorch's own example, written for PyTorch: the twin that the VAE's tests and
bench/vae.py compare chainrule.train.autoencoders.VAE with."""
import torch


class TorchVAE(torch.nn.Module):
    def __init__(self, inputs=784, hidden=400, latent=20):
        super().__init__()
        self.fc1 = torch.nn.Linear(inputs, hidden)
        self.fc21 = torch.nn.Linear(hidden, latent)
        self.fc22 = torch.nn.Linear(hidden, latent)
        self.fc3 = torch.nn.Linear(latent, hidden)
        self.fc4 = torch.nn.Linear(hidden, inputs)

    def forward(self, x, eps=None):
        """eps: the reparameterization's noise (drawn from torch's RNG when not given)."""
        h = torch.relu(self.fc1(x.view(-1, self.fc1.in_features)))
        mu, logvar = self.fc21(h), self.fc22(h)
        z = mu + (torch.randn_like(mu) if eps is None else eps) * torch.exp(0.5 * logvar)
        return torch.sigmoid(self.fc4(torch.relu(self.fc3(z)))), mu, logvar


def torch_vae_loss(recon, x, mu, logvar):
    bce = torch.nn.functional.binary_cross_entropy(recon, x.view(recon.shape), reduction="sum")
    return bce - 0.5 * torch.sum(1 + logvar - mu.pow(2) - logvar.exp())
