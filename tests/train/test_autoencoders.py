"""The VAE and the convolutional autoencoder against their PyTorch twins (float64, same weights,
same noise), and what short runs on real MNIST reach."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.data import Subset
from chainrule.data.datasets import MNIST
from chainrule.train.autoencoders import (VAE, ConvAutoencoder, corrupt, denoising_objective,
                                          fit_autoencoder, fit_vae, reconstruction_error,
                                          vae_loss)
from torch_vae import TorchVAE, torch_vae_loss


def torch_conv_autoencoder(latent, c1, c2):
    nn = torch.nn
    return nn.ModuleDict({
        "encoder": nn.Sequential(
            nn.Conv2d(1, c1, 3, stride=2, padding=1), nn.ReLU(),
            nn.Conv2d(c1, c2, 3, stride=2, padding=1), nn.ReLU(),
            nn.Flatten(), nn.Linear(c2 * 49, latent)),
        "decoder": nn.Sequential(
            nn.Linear(latent, c2 * 49), nn.ReLU(), nn.Unflatten(1, (c2, 7, 7)),
            nn.ConvTranspose2d(c2, c1, 3, stride=2, padding=1, output_padding=1), nn.ReLU(),
            nn.ConvTranspose2d(c1, 1, 3, stride=2, padding=1, output_padding=1), nn.Sigmoid())})


def twin_of(ours, theirs):
    ours.to(cr.float64)
    theirs.double().load_state_dict({k: torch.tensor(v.numpy())
                                     for k, v in ours.state_dict().items()})
    return theirs


def assert_same_gradients(ours, theirs):
    grads = dict(theirs.named_parameters())
    assert len(grads) == len(list(ours.parameters()))
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[name].grad.numpy(), rtol=1e-9,
                                   atol=1e-11, err_msg=name)


def close(a, b):
    np.testing.assert_allclose(a.detach().numpy(), b.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.fixture
def images():
    return np.random.default_rng(0).uniform(0, 1, (5, 1, 28, 28))


def test_vae_and_its_loss_equal_pytorchs(images):
    model = VAE(784, 30, 3)
    twin = twin_of(model, TorchVAE(784, 30, 3))
    eps = np.random.default_rng(1).standard_normal((5, 3))
    x, tx = cr.tensor(images), torch.tensor(images)
    ours, theirs = model(x, eps=cr.tensor(eps)), twin(tx, torch.tensor(eps))
    for a, b in zip(ours, theirs):
        close(a, b)
    (recon, mu, logvar), (t_recon, t_mu, t_logvar) = ours, theirs
    loss, expected = vae_loss(recon, x, mu, logvar), torch_vae_loss(t_recon, tx, t_mu, t_logvar)
    close(loss, expected)
    loss.backward()
    expected.backward()
    assert_same_gradients(model, twin)


def test_vae_draws_its_noise_from_chainrules_seeded_rng(images):
    model, x = VAE(784, 16, 2), cr.tensor(images.astype(np.float32))
    cr.manual_seed(7)
    first = model(x)[0].numpy()
    cr.manual_seed(7)
    np.testing.assert_array_equal(model(x)[0].numpy(), first)
    assert not np.array_equal(model(x)[0].numpy(), first)


def test_conv_autoencoder_equals_pytorchs(images):
    model = ConvAutoencoder(latent=4, channels=(3, 5))
    twin = twin_of(model, torch_conv_autoencoder(4, 3, 5))
    x, tx = cr.tensor(images), torch.tensor(images)
    ours, theirs = model(x), twin["decoder"](twin["encoder"](tx))
    assert ours.shape == (5, 1, 28, 28)
    close(ours, theirs)
    loss = reconstruction_error(ours, x)
    expected = torch.nn.functional.mse_loss(theirs, tx, reduction="none").mean((1, 2, 3)).sum()
    close(loss, expected)
    loss.backward()
    expected.backward()
    assert_same_gradients(model, twin)


def test_corruption_is_seeded_clipped_and_changes_the_images(images):
    x = cr.tensor(images)
    cr.manual_seed(3)
    noisy = corrupt(x, 0.5).numpy()
    cr.manual_seed(3)
    np.testing.assert_array_equal(corrupt(x, 0.5).numpy(), noisy)
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.allclose(noisy, images)
    assert corrupt(x, 0) is x


def test_fit_autoencoder_names_the_shape_it_needs():
    data = cr.data.TensorDataset(np.zeros((4, 3, 8, 8), np.float32), np.zeros(4, np.int64))
    with pytest.raises(ValueError, match=r"fit_autoencoder: .*1x28x28.*\(3, 8, 8\)"):
        fit_autoencoder(data, data)


# ---- short runs on real MNIST ---------------------------------------------------------------
@pytest.fixture(scope="module")
def mnist():
    return Subset(MNIST(train=True), range(6000)), MNIST(train=False)


def test_vae_short_run_reaches_its_test_loss(mnist):
    """Two epochs on 6,000 images: the negative ELBO per test image came to 185-187 over seeds
    0-2."""
    history = fit_vae(*mnist, epochs=2, seed=0)["history"]
    assert history[-1]["test_loss"] < 190
    assert history[-1]["test_loss"] < history[0]["test_loss"]


def test_denoising_autoencoder_beats_the_noise(mnist):
    """One epoch on 6,000 images with noise of std 0.5: 0.073-0.078 per pixel over seeds 0-2,
    against 0.116 for the noisy images themselves."""
    result = fit_autoencoder(*mnist, noise=0.5, epochs=1, seed=0)
    assert result["history"][-1]["test_loss"] < 0.09 < result["noisy_input_error"]
    # the figure is the corrupted input's error: exactly what the identity map would score
    cr.manual_seed(0)
    x = cr.tensor(np.asarray(mnist[1].images[:500], np.float32) / 255)
    assert reconstruction_error(corrupt(x, 0.5), x).item() / 500 == pytest.approx(
        result["noisy_input_error"], rel=0.05)
    assert denoising_objective(0)(lambda images: images, x).item() == 0
