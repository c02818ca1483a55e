"""Networks that learn to rebuild their input through a narrow middle: the variational
autoencoder of Kingma and Welling (2014) in the recipe of PyTorch's VAE example (784-400-20,
loss = BCE + KL, Adam 1e-3, batches of 128), and a small convolutional autoencoder, also trained
as a denoising one (Vincent et al. 2008: corrupted input in, clean image as the target)."""
import time

from .. import nn, optim
from ..autograd import no_grad
from ..backend import manual_seed
from ..data import DataLoader
from ..nn import functional as F
from ..ops import randn_like


class VAE(nn.Module):
    """x -> (mu, logvar) of a diagonal Gaussian over `latent` codes -> z = mu + eps * sigma ->
    pixel probabilities. forward returns (reconstruction, mu, logvar); pass `eps` (shaped like
    mu) to fix the noise, otherwise it is drawn with chainrule's RNG."""

    def __init__(self, inputs=784, hidden=400, latent=20):
        super().__init__()
        self.fc1 = nn.Linear(inputs, hidden)
        self.fc21 = nn.Linear(hidden, latent)  # mu
        self.fc22 = nn.Linear(hidden, latent)  # log of the variance
        self.fc3 = nn.Linear(latent, hidden)
        self.fc4 = nn.Linear(hidden, inputs)

    def encode(self, x):
        h = F.relu(self.fc1(x))
        return self.fc21(h), self.fc22(h)

    def reparameterize(self, mu, logvar, eps=None):
        """z = mu + eps * exp(logvar / 2): the sample is a differentiable function of mu and
        logvar, and the randomness sits in eps ~ N(0, I), which needs no gradient."""
        std = (0.5 * logvar).exp()
        if eps is None:
            eps = randn_like(std)
        return mu + eps * std

    def decode(self, z):
        return self.fc4(F.relu(self.fc3(z))).sigmoid()

    def forward(self, x, eps=None):
        mu, logvar = self.encode(x.reshape(-1, self.fc1.in_features))
        return self.decode(self.reparameterize(mu, logvar, eps)), mu, logvar


def vae_loss(recon, x, mu, logvar):
    """The negative evidence lower bound, summed over the batch: the reconstruction's binary
    cross-entropy plus KL(N(mu, sigma^2) || N(0, I)) = -1/2 sum(1 + logvar - mu^2 - sigma^2)."""
    bce = F.binary_cross_entropy(recon, x.reshape(recon.shape), reduction="sum")
    kl = -0.5 * (1 + logvar - mu ** 2 - logvar.exp()).sum()
    return bce + kl


class ConvAutoencoder(nn.Module):
    """1x28x28 images -> two stride-2 convolutions (14x14, then 7x7) -> `latent` units -> two
    stride-2 transposed convolutions back to 28x28 -> pixel values in (0, 1)."""

    def __init__(self, latent=32, channels=(16, 32)):
        super().__init__()
        c1, c2 = channels
        self.encoder = nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(c2 * 7 * 7, latent))
        # output_padding=1 makes each transposed convolution exactly double the side: 7->14->28
        self.decoder = nn.Sequential(
            nn.Linear(latent, c2 * 7 * 7), nn.ReLU(), nn.Unflatten(1, (c2, 7, 7)),
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())

    def forward(self, x):
        return self.decoder(self.encoder(x))


def corrupt(images, noise):
    """images + Gaussian noise of std `noise`, clipped back to the pixel range [0, 1]."""
    if noise == 0:
        return images
    return (images + noise * randn_like(images)).clamp(0, 1)


def reconstruction_error(recon, clean):
    """Mean squared error per pixel of each image, summed over the batch."""
    return F.mse_loss(recon, clean, reduction="sum") / clean[0].numel()


def vae_objective(model, images):
    recon, mu, logvar = model(images)
    return vae_loss(recon, images, mu, logvar)


def denoising_objective(noise):
    """The autoencoder's loss on a batch: its reconstruction of the corrupted images measured
    against the clean ones (noise 0: a plain autoencoder)."""
    def objective(model, images):
        return reconstruction_error(model(corrupt(images, noise)), images)
    return objective


def train_epoch(model, objective, optimizer, batches):
    """One optimizer step on `objective(model, images)` (summed over the batch) for every batch
    of images; returns the loss per image over the pass."""
    model.train()
    total, count = 0.0, 0
    for images in batches:
        optimizer.zero_grad()
        loss = objective(model, images)
        loss.backward()
        optimizer.step()
        total, count = total + loss.item(), count + len(images)
    return total / count


@no_grad()
def evaluate(model, objective, batches):
    """`objective` per image over `batches`, without training (the VAE's "Test set loss")."""
    if isinstance(model, nn.Module):
        model.eval()
    total, count = 0.0, 0
    for images in batches:
        total, count = total + objective(model, images).item(), count + len(images)
    return total / count


def fit_vae(train, test, latent=20, hidden=400, epochs=10, batch_size=128, lr=1e-3, seed=1,
            progress=False):
    """Trains a VAE on the images of `train` (a dataset of (image, label) samples in [0, 1]) in
    the recipe of PyTorch's example. Returns {"model", "history"}: per epoch, the training and
    test-set loss per image (the negative ELBO) and the seconds its training took."""
    manual_seed(seed)
    model = VAE(_pixels(train), hidden, latent)
    return _fit(model, vae_objective, train, test, epochs, batch_size, lr, seed, progress)


def fit_autoencoder(train, test, latent=32, noise=0.0, epochs=10, batch_size=128, lr=1e-3,
                    seed=1, progress=False):
    """Trains a ConvAutoencoder with Adam on the 1x28x28 images of `train`; with `noise`, as a
    denoising autoencoder (inputs corrupted by Gaussian noise of that std, clipped to [0, 1]).
    Returns {"model", "history"} with the test-set reconstruction error (mean squared error per
    pixel, from corrupted inputs when noise is set) each epoch, and "noisy_input_error": the
    same error of the corrupted test images themselves, the figure denoising has to beat."""
    shape = tuple(train[0][0].shape)
    if shape != (1, 28, 28):
        raise ValueError(f"fit_autoencoder: ConvAutoencoder takes 1x28x28 images, got samples "
                         f"of shape {shape}")
    manual_seed(seed)
    objective = denoising_objective(noise)
    result = _fit(ConvAutoencoder(latent), objective, train, test, epochs, batch_size, lr,
                  seed, progress)
    test = DataLoader(test, batch_size=batch_size)
    result["noisy_input_error"] = evaluate(lambda images: images, objective, _images(test))
    return result


def _fit(model, objective, train, test, epochs, batch_size, lr, seed, progress):
    optimizer = optim.Adam(model.parameters(), lr=lr)
    train = DataLoader(train, batch_size=batch_size, shuffle=True, seed=seed)
    test = DataLoader(test, batch_size=batch_size)
    history = []
    for epoch in range(1, epochs + 1):
        start = time.perf_counter()
        loss = train_epoch(model, objective, optimizer, _images(train))
        seconds = time.perf_counter() - start
        test_loss = evaluate(model, objective, _images(test))
        history.append({"epoch": epoch, "loss": loss, "test_loss": test_loss,
                        "seconds": seconds})
        if progress:
            print(f"epoch {epoch}: loss {loss:.4f}, test loss {test_loss:.4f} ({seconds:.1f} s)")
    return {"model": model, "history": history}


def _images(loader):
    """The batches of images of a loader of (image, label) samples."""
    return (images for images, _ in loader)


def _pixels(dataset):
    return int(dataset[0][0].size)
