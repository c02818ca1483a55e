"""The 3-D, pooling, normalization, folding, resampling and bag layers against their PyTorch
twins in float64: the torch layer's state_dict is loaded into ours, then forward, input and
parameter gradients and buffers are compared (test_layers_compare.compare)."""
import numpy as np
import pytest
import torch

import chainrule as cr
from nn.test_layers_compare import compare, twins  # the shared twin-layer check


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(stride=2, padding=1, bias=False),
    dict(padding="same", dilation=(1, 2, 1), groups=2),
    dict(padding="valid", stride=(1, 2, 1)),
    dict(padding=1, padding_mode="replicate"),
])
def test_conv3d(kwargs):
    compare(lambda m: m.nn.Conv3d(4, 6, (3, 2, 3), **kwargs), (2, 4, 5, 6, 5))


def test_conv_transpose3d():
    compare(lambda m: m.nn.ConvTranspose3d(2, 4, 3, stride=2, padding=1, output_padding=1),
            (2, 2, 3, 2, 3))


@pytest.mark.parametrize("make", [
    lambda m: m.nn.MaxPool3d(2),
    lambda m: m.nn.MaxPool3d((3, 2, 2), stride=(2, 1, 2), padding=1, ceil_mode=True),
    lambda m: m.nn.MaxPool3d(2, return_indices=True),
    lambda m: m.nn.AvgPool3d(3, stride=2, padding=1, count_include_pad=False),
    lambda m: m.nn.AvgPool3d(2, divisor_override=5),
    lambda m: m.nn.AdaptiveAvgPool3d((2, 3, None)),
    lambda m: m.nn.AdaptiveMaxPool3d((2, 3, 2)),
    lambda m: m.nn.LPPool3d(2, 2),
    lambda m: m.nn.Upsample(scale_factor=1.5, mode="trilinear"),
    lambda m: m.nn.Upsample(size=(3, 4, 2), mode="area"),
])
def test_3d_pooling_layers(make):
    compare(make, (2, 2, 5, 6, 4))


@pytest.mark.parametrize("make", [
    lambda m: m.nn.AdaptiveMaxPool2d((3, 2)),
    lambda m: m.nn.AdaptiveMaxPool2d((None, 4), return_indices=True),
    lambda m: m.nn.LPPool2d(2, (3, 2), stride=2),
    lambda m: m.nn.LPPool2d(2, 2, ceil_mode=True),
    lambda m: m.nn.Upsample(size=(9, 4), mode="bicubic"),
    lambda m: m.nn.Upsample(scale_factor=2, mode="bicubic", align_corners=True),
    lambda m: m.nn.UpsamplingNearest2d(scale_factor=2),
    lambda m: m.nn.UpsamplingBilinear2d(size=(4, 9)),
    lambda m: m.nn.LocalResponseNorm(3),
    lambda m: m.nn.Unfold((2, 3), padding=1, stride=(1, 2)),
])
def test_2d_layers(make):
    compare(make, (2, 3, 5, 7))


@pytest.mark.parametrize("make", [
    lambda m: m.nn.AdaptiveMaxPool1d(4),
    lambda m: m.nn.AdaptiveMaxPool1d(3, return_indices=True),
    lambda m: m.nn.LPPool1d(2, 3, stride=2),
])
def test_1d_layers(make):
    compare(make, (2, 3, 9))


@pytest.mark.parametrize("p", [1.5, 2, 3])
def test_lp_pool_gradient_is_zero_where_a_window_is_all_zero(p):
    ours, theirs = twins(lambda m: m.nn.LPPool2d(p, 2))
    x = np.zeros((1, 2, 4, 4))
    x[0, 0, 0, 0], x[0, 1, 3, 2] = 1.5, 0.7
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yc, yt = ours(xc), theirs(xt)
    np.testing.assert_allclose(yc.numpy(), yt.detach().numpy())
    yc.sum().backward()
    yt.sum().backward()
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy())
    assert np.isfinite(xc.grad.numpy()).all()


def test_fold_layer():
    compare(lambda m: m.nn.Fold((5, 6), (2, 3), padding=1, stride=(1, 2)), (2, 12, 18))


@pytest.mark.parametrize("n,shape", [(1, (2, 3, 8)), (2, (2, 3, 6, 8)), (3, (1, 2, 4, 6, 4))])
def test_max_unpool_layers(n, shape):
    x = np.random.default_rng(1).standard_normal(shape)
    pool_t = getattr(torch.nn, f"MaxPool{n}d")(2, return_indices=True)
    unpool_t = getattr(torch.nn, f"MaxUnpool{n}d")(2)
    pool_c = getattr(cr.nn, f"MaxPool{n}d")(2, return_indices=True)
    unpool_c = getattr(cr.nn, f"MaxUnpool{n}d")(2)
    xc, xt = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    yc, yt = unpool_c(*pool_c(xc), output_size=shape), unpool_t(*pool_t(xt), output_size=shape)
    np.testing.assert_allclose(yc.numpy(), yt.detach().numpy())
    g = np.random.default_rng(2).standard_normal(shape)
    yc.backward(cr.tensor(g))
    yt.backward(torch.tensor(g))
    np.testing.assert_allclose(xc.grad.numpy(), xt.grad.numpy())


# ---- normalization ----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [dict(), dict(momentum=None), dict(affine=False)])
def test_batch_norm3d(kwargs):
    compare(lambda m: m.nn.BatchNorm3d(3, **kwargs), (3, 3, 2, 3, 2), steps=2)
    compare(lambda m: m.nn.BatchNorm3d(3, **kwargs), (3, 3, 2, 3, 2), train=False)


@pytest.mark.parametrize("n,shape", [(1, (3, 4, 5)), (1, (4, 5)), (2, (2, 4, 3, 5)),
                                     (2, (4, 3, 5)), (3, (2, 4, 2, 3, 2))])
@pytest.mark.parametrize("kwargs", [dict(), dict(affine=True),
                                    dict(track_running_stats=True, momentum=0.3),
                                    dict(affine=True, track_running_stats=True)])
def test_instance_norm(n, shape, kwargs):
    make = lambda m: getattr(m.nn, f"InstanceNorm{n}d")(4, **kwargs)  # noqa: E731
    compare(make, shape, steps=2)
    compare(make, shape, train=False)


# ---- embedding bags ---------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [dict(mode="sum"), dict(mode="mean", padding_idx=0),
                                    dict(mode="max"), dict(mode="sum", include_last_offset=True)])
def test_embedding_bag_layer(kwargs):
    ours, theirs = twins(lambda m: m.nn.EmbeddingBag(10, 3, **kwargs))
    index = np.array([1, 0, 4, 5, 4, 3, 2, 9, 0, 2])
    offsets = np.array([0, 2, 2, 6, 10] if kwargs.get("include_last_offset") else [0, 2, 2, 6])
    y = ours(cr.tensor(index), cr.tensor(offsets))
    expected = theirs(torch.tensor(index), torch.tensor(offsets))
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), atol=1e-12)
    g = np.random.default_rng(0).standard_normal(expected.shape)
    y.backward(cr.tensor(g))
    expected.backward(torch.tensor(g))
    np.testing.assert_allclose(ours.weight.grad.numpy(), theirs.weight.grad.numpy(), atol=1e-12)


def test_embedding_bag_2d_with_per_sample_weights():
    ours, theirs = twins(lambda m: m.nn.EmbeddingBag(6, 2, mode="sum"))
    index = np.array([[0, 2, 5], [1, 1, 3]])
    w = np.random.default_rng(1).standard_normal(index.shape)
    y = ours(cr.tensor(index), per_sample_weights=cr.tensor(w))
    expected = theirs(torch.tensor(index), per_sample_weights=torch.tensor(w))
    np.testing.assert_allclose(y.numpy(), expected.detach().numpy(), atol=1e-12)
