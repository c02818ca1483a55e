"""The DCGAN: its two networks against PyTorch twins, its training step against the same step
written by hand with PyTorch, what `detach` keeps apart, and a short run on real MNIST."""
import numpy as np
import pytest
import torch
from torch import nn as tnn

import chainrule as cr
from chainrule.data import DataLoader, Subset
from chainrule.data.datasets import MNIST
from chainrule.data.transforms import Compose, Normalize, ToFloat
from chainrule.train.dcgan import Discriminator, Generator
from chainrule.train.gan import fit_gan, gan_step
from chainrule.train.quality import (generator_samples, image_scores, judge_features,
                                     train_judge)
from torch_gan import torch_gan_step

LATENT, WIDTH, BETAS = 8, 4, (0.5, 0.999)


class TorchGenerator(tnn.Module):
    def __init__(self, latent, width):
        super().__init__()
        self.net = tnn.Sequential(
            tnn.ConvTranspose2d(latent, 2 * width, 7, 1, 0, bias=False),
            tnn.BatchNorm2d(2 * width), tnn.ReLU(),
            tnn.ConvTranspose2d(2 * width, width, 4, 2, 1, bias=False),
            tnn.BatchNorm2d(width), tnn.ReLU(),
            tnn.ConvTranspose2d(width, 1, 4, 2, 1, bias=False), tnn.Tanh())

    def forward(self, z):
        return self.net(z.reshape(len(z), -1, 1, 1))


class TorchDiscriminator(tnn.Module):
    def __init__(self, width):
        super().__init__()
        self.net = tnn.Sequential(
            tnn.Conv2d(1, width, 4, 2, 1, bias=False), tnn.LeakyReLU(0.2),
            tnn.Conv2d(width, 2 * width, 4, 2, 1, bias=False), tnn.BatchNorm2d(2 * width),
            tnn.LeakyReLU(0.2), tnn.Conv2d(2 * width, 1, 7, 1, 0, bias=False))

    def forward(self, x):
        return self.net(x).reshape(-1)


def twin(ours, theirs):
    ours.to(cr.float64)
    theirs.double().load_state_dict({k: torch.tensor(v.numpy())
                                     for k, v in ours.state_dict().items()})
    return ours, theirs


def generators():
    return twin(Generator(LATENT, WIDTH), TorchGenerator(LATENT, WIDTH))


def discriminators():
    return twin(Discriminator(WIDTH), TorchDiscriminator(WIDTH))


def assert_same_state(ours, theirs, rtol=1e-8, atol=1e-10):
    expected = theirs.state_dict()
    for name, value in ours.state_dict().items():
        np.testing.assert_allclose(value.numpy(), expected[name].numpy(), rtol=rtol, atol=atol,
                                   err_msg=name)


def batch(seed, *shape):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("make, x", [(generators, batch(0, 5, LATENT)),
                                     (discriminators, np.tanh(batch(1, 5, 1, 28, 28)))])
def test_networks_equal_their_pytorch_twins_in_training_mode(make, x):
    """Same weights: same outputs, gradients (input and every parameter) and batch statistics."""
    ours, theirs = make()
    a, b = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    out, expected = ours(a), theirs(b)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    weights = batch(2, *out.shape)
    (out * cr.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-8, atol=1e-12)
    grads = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), grads[name].grad.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)
    assert_same_state(ours, theirs)  # running means and variances moved alike


def test_weights_start_as_radford_et_al_draw_them():
    G, D = Generator(), Discriminator()
    weights = {k: v.numpy() for k, v in {**G.state_dict(), **D.state_dict()}.items()}
    convs = np.concatenate([v.ravel() for k, v in weights.items() if v.ndim == 4])
    gains = np.concatenate([v for k, v in weights.items() if v.ndim == 1 and "weight" in k])
    shifts = np.concatenate([v for k, v in weights.items() if k.endswith("bias")])
    assert abs(convs.mean()) < 1e-3 and convs.std() == pytest.approx(0.02, rel=0.02)
    assert abs(gains.mean() - 1) < 5e-3 and gains.std() == pytest.approx(0.02, rel=0.2)
    assert not shifts.any()


def test_gan_step_equals_the_step_written_by_hand_in_pytorch():
    (G, tG), (D, tD) = generators(), discriminators()
    opts = [cr.optim.Adam(m.parameters(), lr=2e-3, betas=BETAS) for m in (G, D)]
    topts = [torch.optim.Adam(m.parameters(), lr=2e-3, betas=BETAS) for m in (tG, tD)]
    for step in range(3):
        real, z = np.tanh(batch(10 + step, 6, 1, 28, 28)), batch(20 + step, 6, LATENT)
        ours = gan_step(G, D, *opts, cr.tensor(real), cr.tensor(z))
        theirs = torch_gan_step(tG, tD, *topts, torch.tensor(real), torch.tensor(z))
        np.testing.assert_allclose(ours, theirs, rtol=1e-9, atol=1e-12)
        assert_same_state(G, tG)
        assert_same_state(D, tD)


def watch_steps(G, D, opt_g, opt_d):
    """Records each parameter's gradient (copies) at the moment each optimizer steps."""
    seen = {"d_step": [], "g_step": []}
    for key, opt in (("d_step", opt_d), ("g_step", opt_g)):
        def step(record=seen[key], original=opt.step):
            record.append({name: None if p.grad is None else p.grad.numpy().copy()
                           for model, tag in ((G, "G."), (D, "D."))
                           for name, p in ((tag + n, p) for n, p in model.named_parameters())})
            original()
        opt.step = step
    return seen


def test_the_discriminator_step_leaves_the_generator_alone_and_the_generator_step_goes_through_d():
    G, D = Generator(LATENT, WIDTH), Discriminator(WIDTH)
    opt_g = cr.optim.Adam(G.parameters(), lr=2e-4, betas=BETAS)
    opt_d = cr.optim.Adam(D.parameters(), lr=2e-4, betas=BETAS)
    seen = watch_steps(G, D, opt_g, opt_d)
    for step in range(2):
        real = cr.tensor(np.tanh(batch(step, 4, 1, 28, 28)), cr.float32)
        gan_step(G, D, opt_g, opt_d, real, cr.randn(4, LATENT))
    g_names = [f"G.{n}" for n, _ in G.named_parameters()]
    d_names = [f"D.{n}" for n, _ in D.named_parameters()]
    first_d, second_d = seen["d_step"]
    first_g, second_g = seen["g_step"]
    # D's loss reached no generator parameter: none on the first step, and on the second the
    # gradients left by the previous generator step, unchanged
    assert all(first_d[n] is None for n in g_names)
    for n in g_names:
        np.testing.assert_array_equal(second_d[n], first_g[n], err_msg=n)
    assert all(first_d[n] is not None and first_d[n].any() for n in d_names)
    # the generator's loss flowed back through D (whose gradients it also filled) into every
    # parameter of G
    for grads in (first_g, second_g):
        assert all(grads[n] is not None and grads[n].any() for n in g_names + d_names)


def test_without_detach_the_discriminator_loss_would_reach_the_generator():
    """What detach() prevents: D's loss on an undetached fake fills G's gradients."""
    G, D = Generator(LATENT, WIDTH), Discriminator(WIDTH)
    out = D(G(cr.randn(4, LATENT)))
    cr.nn.functional.binary_cross_entropy_with_logits(out, cr.zeros_like(out)).backward()
    assert all(p.grad is not None and p.grad.numpy().any() for p in G.parameters())


def test_bad_shapes_are_named():
    with pytest.raises(ValueError, match=r"Generator: expected noise of shape \(N, 8\) or "
                                         r"\(N, 8, 1, 1\), got \(2, 5\)"):
        Generator(LATENT, WIDTH)(cr.randn(2, 5))
    with pytest.raises(ValueError, match=r"Discriminator: expected images of shape "
                                         r"\(N, 1, 28, 28\), got \(2, 1, 32, 32\)"):
        Discriminator(WIDTH)(cr.randn(2, 1, 32, 32))
    with pytest.raises(ValueError, match="fit_gan: epochs must be at least 1, got 0"):
        fit_gan(Generator(LATENT, WIDTH), Discriminator(WIDTH), [], 0)


@pytest.fixture(scope="module")
def short_run():
    """128 steps on 2,048 MNIST images (width 16, lr 1e-3): (G, its history)."""
    cr.manual_seed(0)
    data = MNIST(train=True, transform=Compose([ToFloat(), Normalize(0.5, 0.5)]))
    loader = DataLoader(Subset(data, range(2048)), batch_size=64, shuffle=True)
    G, D = Generator(latent=32, width=16), Discriminator(width=16)
    epochs = []
    history = fit_gan(G, D, loader, epochs=4, lr=1e-3, latent=32, seed=0,
                      on_epoch=lambda epoch, logs: epochs.append(epoch))
    assert epochs == [1, 2, 3, 4] and len(history) == 4
    return G, history


def test_a_short_run_on_mnist_neither_collapses_nor_lets_one_side_win(short_run):
    """128 steps already draw varied digit-like strokes; measured at seed 0: loss_D 0.73,
    loss_G 1.49, D(x) 0.74, D(G(z)) 0.31, per-pixel std across samples 0.23, 61% of pixels dark
    and 4.7% bright. The bounds leave room around these."""
    G, history = short_run
    last = history[-1]
    assert np.isfinite([h[k] for h in history for k in ("loss_d", "loss_g")]).all()
    assert 0.3 < last["loss_d"] < 1.5 and 0.5 < last["loss_g"] < 3.5
    assert 0.5 < last["d_real"] < 0.95 and 0.1 < last["d_fake"] < 0.6
    with cr.no_grad():
        samples = G(cr.randn(64, 32)).numpy()
    assert samples.min() >= -1 and samples.max() <= 1
    assert samples.std(axis=0).mean() > 0.12  # samples differ from one another
    # ink on background, like the digits: most pixels dark, some bright
    assert (samples < -0.5).mean() > 0.4 and (samples > 0.5).mean() > 0.02


def test_a_lenet_judge_scores_the_short_run_far_above_an_untrained_generator(short_run):
    """The scores of bench/dcgan.py on a short run: a LeNet-5 trained by chainrule on 6,000 real
    images judges 2,000 samples against 2,000 real test images. Measured at seed 0: Frechet
    distance 117 (an untrained generator: 650), mean confidence 0.41 (0.14)."""
    G, _ = short_run
    data, test = MNIST(train=True), MNIST(train=False)
    judge = train_judge(to_tanh_range(data.images[:6000]), data.labels[:6000], epochs=1)
    real, _ = judge_features(judge, to_tanh_range(test.images[:2000]))
    trained = image_scores(judge, real, generator_samples(G, 2000, latent=32))
    untrained = image_scores(judge, real, generator_samples(Generator(32, 16), 2000, latent=32))
    assert trained["frechet_distance"] < untrained["frechet_distance"] / 3
    assert trained["confidence"] > max(0.3, untrained["confidence"])


def to_tanh_range(pixels):
    return pixels.astype(np.float32) / 127.5 - 1
