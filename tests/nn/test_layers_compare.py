"""Every layer against its PyTorch twin in float64: the torch layer's state_dict is loaded into
ours (so the keys must match), then forward, input gradients, parameter gradients and buffers
(running statistics) are compared, over a few configurations each."""
import numpy as np
import pytest
import torch

import chainrule as cr


def twins(make):
    """`make(m)` builds the layer from either framework's nn (m = chainrule or torch); ours gets
    the torch layer's weights and buffers."""
    theirs = make(torch).double()
    ours = make(cr).double()
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state), "state_dict keys differ from PyTorch's"
    ours.load_state_dict({k: v.numpy() for k, v in state.items()})
    return ours, theirs


def compare(make, *shapes, steps=1, train=True, seed=0, atol=1e-10):
    """Runs both layers on the same random inputs for `steps` forward/backward passes and checks
    everything they produce and keep."""
    ours, theirs = twins(make)
    ours.train(train)
    theirs.train(train)
    rng = np.random.default_rng(seed)
    for _ in range(steps):
        arrays = [rng.standard_normal(s) * 2 + 0.5 for s in shapes]
        xs = [cr.tensor(a, requires_grad=True) for a in arrays]
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
        y, expected = ours(*xs), theirs(*ts)
        y, expected = (y[0], expected[0]) if isinstance(expected, tuple) else (y, expected)
        np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), atol=atol, rtol=1e-9,
                                   err_msg="forward")
        g = rng.standard_normal(expected.shape)
        y.backward(cr.tensor(g))
        expected.backward(torch.tensor(g))
        for k, (x, t) in enumerate(zip(xs, ts)):
            np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), atol=atol, rtol=1e-9,
                                       err_msg=f"gradient of input {k}")
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), named[name].grad.numpy(), atol=atol,
                                   rtol=1e-9, err_msg=f"gradient of {name}")
    buffers = dict(theirs.named_buffers())
    for name, b in ours.named_buffers():
        np.testing.assert_allclose(b.numpy(), buffers[name].numpy(), atol=atol, rtol=1e-9,
                                   err_msg=f"buffer {name}")
    return ours, theirs


# ---- linear and convolution -------------------------------------------------------------------
@pytest.mark.parametrize("bias", [True, False])
def test_linear(bias):
    compare(lambda m: m.nn.Linear(5, 3, bias=bias), (4, 5))
    compare(lambda m: m.nn.Linear(5, 3, bias=bias), (2, 4, 5))


def test_bilinear():
    compare(lambda m: m.nn.Bilinear(3, 4, 2), (5, 3), (5, 4))


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on uneven padding
@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(stride=2, padding=1, bias=False),
    dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2)),
    dict(padding="same", dilation=2, groups=2),
    dict(padding="valid", groups=2),
    dict(padding=1, padding_mode="reflect"),
    dict(padding=(2, 1), padding_mode="circular", stride=2),
    dict(padding="same", padding_mode="replicate"),
])
def test_conv2d(kwargs):
    compare(lambda m: m.nn.Conv2d(4, 6, (3, 2), **kwargs), (2, 4, 7, 6))


def test_conv1d():
    compare(lambda m: m.nn.Conv1d(2, 4, 3, stride=2, padding=1, groups=2), (3, 2, 9))
    compare(lambda m: m.nn.Conv1d(2, 4, 4, padding="same", padding_mode="circular"), (3, 2, 9))


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(stride=2, padding=1, output_padding=1),
    dict(stride=(2, 3), padding=(0, 1), output_padding=(1, 2), groups=2, bias=False),
    dict(stride=2, dilation=(2, 1), padding=1),
])
def test_conv_transpose2d(kwargs):
    compare(lambda m: m.nn.ConvTranspose2d(4, 6, (3, 2), **kwargs), (2, 4, 4, 3))


def test_conv_transpose_output_size():
    ours, theirs = twins(lambda m: m.nn.ConvTranspose2d(2, 3, 3, stride=2, padding=1))
    x = np.random.default_rng(0).standard_normal((1, 2, 4, 4))
    for size in [(7, 7), (8, 7), (1, 3, 8, 8)]:
        y = ours(cr.tensor(x), output_size=size)
        expected = theirs(torch.tensor(x), output_size=size)
        np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), atol=1e-12)
    with pytest.raises(ValueError, match="output_size .* is not reachable"):
        ours(cr.tensor(x), output_size=(9, 9))


def test_conv_transpose1d():
    compare(lambda m: m.nn.ConvTranspose1d(2, 4, 3, stride=2, output_padding=1), (3, 2, 5))


# ---- pooling, resampling, reshaping -----------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda m: m.nn.MaxPool2d(2),
    lambda m: m.nn.MaxPool2d(3, stride=2, padding=1, ceil_mode=True),
    lambda m: m.nn.MaxPool2d((2, 3), stride=1, dilation=(2, 1), return_indices=True),
    lambda m: m.nn.AvgPool2d(3, stride=2, padding=1),
    lambda m: m.nn.AvgPool2d(2, ceil_mode=True, count_include_pad=False),
    lambda m: m.nn.AvgPool2d(2, divisor_override=3),
    lambda m: m.nn.AdaptiveAvgPool2d((3, 2)),
    lambda m: m.nn.AdaptiveAvgPool2d(1),
    lambda m: m.nn.Upsample(scale_factor=2),
    lambda m: m.nn.Upsample(size=(4, 9)),
    lambda m: m.nn.Upsample(scale_factor=1.5, mode="bilinear"),
    lambda m: m.nn.Upsample(size=(4, 9), mode="bilinear", align_corners=True),
    lambda m: m.nn.Flatten(),
    lambda m: m.nn.Flatten(0, 2),
    lambda m: m.nn.Unflatten(1, (2, 1)),
])
def test_pooling_resampling_and_reshaping_layers(make):
    compare(make, (2, 2, 5, 7))


@pytest.mark.parametrize("make", [
    lambda m: m.nn.MaxPool1d(3, stride=2, padding=1),
    lambda m: m.nn.AvgPool1d(2, count_include_pad=False, padding=1),
    lambda m: m.nn.AdaptiveAvgPool1d(4),
])
def test_1d_pooling_layers(make):
    compare(make, (2, 3, 9))


def test_max_pool_indices():
    ours, theirs = twins(lambda m: m.nn.MaxPool2d(3, 2, 1, return_indices=True))
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 8))
    np.testing.assert_array_equal(ours(cr.tensor(x))[1].numpy(), theirs(torch.tensor(x))[1])


# ---- normalization ----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(), dict(momentum=0.3), dict(momentum=None), dict(affine=False),
    dict(track_running_stats=False), dict(eps=1e-2), dict(bias=False),
])
def test_batch_norm2d_training_then_eval(kwargs):
    ours, theirs = compare(lambda m: m.nn.BatchNorm2d(3, **kwargs), (4, 3, 2, 3), steps=3)
    if kwargs.get("track_running_stats", True):
        assert int(ours.num_batches_tracked.item()) == 3
    compare(lambda m: m.nn.BatchNorm2d(3, **kwargs), (4, 3, 2, 3), train=False)


@pytest.mark.parametrize("shape", [(5, 3), (4, 3, 6)])
def test_batch_norm1d(shape):
    compare(lambda m: m.nn.BatchNorm1d(3, momentum=0.2), shape, steps=2)
    compare(lambda m: m.nn.BatchNorm1d(3), shape, train=False)


def test_batch_norm_eval_uses_the_trained_running_statistics():
    ours, theirs = compare(lambda m: m.nn.BatchNorm2d(2), (3, 2, 4, 4), steps=4)
    ours.eval()
    theirs.eval()
    x = np.random.default_rng(5).standard_normal((2, 2, 3, 3))
    np.testing.assert_allclose(ours(cr.tensor(x)).numpy(),
                               theirs(torch.tensor(x)).detach().numpy(), atol=1e-12)


@pytest.mark.parametrize("kwargs", [dict(), dict(elementwise_affine=False), dict(bias=False),
                                    dict(eps=1e-3)])
def test_layer_norm(kwargs):
    compare(lambda m: m.nn.LayerNorm((3, 4), **kwargs), (2, 3, 4))
    compare(lambda m: m.nn.LayerNorm(4, **kwargs), (5, 4))


@pytest.mark.parametrize("groups,affine,bias", [(1, True, True), (2, True, False),
                                               (4, False, True)])
def test_group_norm(groups, affine, bias):
    compare(lambda m: m.nn.GroupNorm(groups, 4, affine=affine, bias=bias), (3, 4, 5))


# ---- embedding and activations ----------------------------------------------------------------
@pytest.mark.parametrize("padding_idx", [None, 0, -2])
def test_embedding(padding_idx):
    ours, theirs = twins(lambda m: m.nn.Embedding(6, 3, padding_idx=padding_idx))
    idx = np.array([[0, 1, 4], [4, 4, 2]])
    y, expected = ours(cr.tensor(idx)), theirs(torch.tensor(idx))
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy())
    g = np.random.default_rng(0).standard_normal(expected.shape)
    y.backward(cr.tensor(g))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy())


@pytest.mark.parametrize("make", [
    lambda m: m.nn.ReLU(), lambda m: m.nn.LeakyReLU(0.2), lambda m: m.nn.ELU(0.7),
    lambda m: m.nn.GELU(), lambda m: m.nn.GELU(approximate="tanh"), lambda m: m.nn.SiLU(),
    lambda m: m.nn.Tanh(), lambda m: m.nn.Sigmoid(), lambda m: m.nn.Softplus(beta=2.0),
    lambda m: m.nn.Softplus(beta=0.5, threshold=1.0), lambda m: m.nn.Softmax(dim=1),
    lambda m: m.nn.LogSoftmax(dim=-1), lambda m: m.nn.Dropout(0.3),
])
def test_activation_layers(make):
    compare(make, (3, 4, 2), train=False)
