"""How good are generated images? Two scores from a classifier trained on the real data (a
LeNet-5 here, where FID uses Inception): the Frechet distance between the Gaussians fitted to
its features of real and of generated images (Heusel et al. 2017), and its mean confidence in
the class it gives each generated image."""
import numpy as np

from .. import nn, optim
from ..autograd import no_grad
from ..backend import manual_seed
from ..data import DataLoader, TensorDataset
from ..nn import functional as F
from ..optim.lr_scheduler import OneCycleLR
from ..ops import randn, tensor
from .models import lenet5
from .trainer import fit


def frechet_distance(a, b):
    """|mu_a - mu_b|^2 + Tr(S_a + S_b - 2 (S_a^1/2 S_b S_a^1/2)^1/2) between the Gaussians fitted
    to the rows of `a` and of `b` (samples x features). The matrix square roots are taken by
    symmetric eigendecomposition, so the trace term is real and exact up to rounding."""
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.ndim != 2 or b.ndim != 2 or a.shape[1] != b.shape[1]:
        raise ValueError(f"frechet_distance: expected two (samples, features) arrays with the "
                         f"same number of features, got shapes {a.shape} and {b.shape}")
    mean_a, mean_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root_a = _sqrt_psd(cov_a)
    cross = np.sqrt(np.clip(np.linalg.eigvalsh(root_a @ cov_b @ root_a), 0, None)).sum()
    return float(((mean_a - mean_b) ** 2).sum() + np.trace(cov_a) + np.trace(cov_b) - 2 * cross)


def _sqrt_psd(m):
    values, vectors = np.linalg.eigh(m)
    return (vectors * np.sqrt(np.clip(values, 0, None))) @ vectors.T


@no_grad()
def features_and_confidence(classifier, images, feature_layer, batch_size=500):
    """(features, confidence) of a Sequential classifier over `images`: the output of its layer
    number `feature_layer` for each image, and the softmax probability of the class it picks."""
    classifier.eval()
    features, confidence = [], []
    for start in range(0, len(images), batch_size):
        x = tensor(np.asarray(images[start:start + batch_size], np.float32))
        for i, layer in enumerate(classifier):
            x = layer(x)
            if i == feature_layer:
                features.append(x.numpy().reshape(len(x), -1))
        confidence.append(F.softmax(x, dim=1).max(dim=1).values.numpy())
    return np.concatenate(features), np.concatenate(confidence)


def train_judge(images, labels, epochs=8, batch_size=128, lr=2e-3, seed=0):
    """A LeNet-5 trained by chainrule on (N, 1, 28, 28) float32 `images` and their integer
    `labels`, in the recipe that reproduces LeCun et al.'s error on MNIST (examples/reproduce.py:
    Adam under a one-cycle schedule peaking at `lr`): the classifier whose features and
    confidence score generated images, which must come on the same pixel scale as `images`."""
    manual_seed(seed)
    net = lenet5((1, 28, 28), int(labels.max()) + 1)
    data = TensorDataset(tensor(images), tensor(labels.astype(np.int64)))
    loader = DataLoader(data, batch_size=batch_size, shuffle=True, seed=seed)
    optimizer = optim.Adam(net.parameters(), lr=lr)
    schedule = OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * len(loader))
    fit(net, nn.CrossEntropyLoss(), optimizer, loader, epochs=epochs, scheduler=schedule,
        scheduler_interval="batch", progress=False)
    return net.eval()


def judge_features(judge, images):
    """The judge's 84 features (its last hidden layer) and confidence for each image."""
    return features_and_confidence(judge, images, feature_layer=len(judge) - 2)


@no_grad()
def generator_samples(G, n=10_000, latent=100, batch_size=500):
    """`n` images drawn from G in eval mode (batch norm with its running statistics), noise from
    chainrule's RNG, as one array."""
    G.eval()
    images = np.concatenate([G(randn(min(batch_size, n - start), latent)).numpy()
                             for start in range(0, n, batch_size)])
    G.train()
    return images


def image_scores(judge, real_features, images):
    """The Frechet distance between the judge's features of `images` and `real_features`, and
    the judge's mean confidence in the classes it gives `images`."""
    features, confidence = judge_features(judge, images)
    return {"frechet_distance": frechet_distance(real_features, features),
            "confidence": float(confidence.mean())}
