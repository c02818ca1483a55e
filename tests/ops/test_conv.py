"""Convolution, pooling, unfold/fold: forward, backward and double backward against PyTorch in
float64, plus finite differences on the small cases (tests/opcheck.py)."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op, functional


CONV2D = [  # (input, weight, bias) shapes, keyword arguments
    ([(2, 3, 6, 5), (4, 3, 3, 3), (4,)], {}),
    ([(2, 3, 7, 6), (4, 3, 3, 2), (4,)], dict(stride=2, padding=1)),
    ([(1, 2, 7, 7), (3, 2, 2, 3), None], dict(stride=(2, 1), padding=(0, 2), dilation=(2, 1))),
    ([(2, 4, 5, 6), (6, 2, 3, 3), (6,)], dict(groups=2, padding=1)),
    ([(1, 4, 5, 5), (4, 1, 3, 3), None], dict(groups=4)),  # depthwise
    ([(2, 2, 5, 6), (3, 2, 4, 3), (3,)], dict(padding="same", dilation=(1, 2))),
    ([(2, 2, 5, 6), (3, 2, 3, 3), None], dict(padding="valid", stride=2)),
    ([(3, 4, 5), (2, 3, 2, 2), (2,)], {}),  # one unbatched sample (C, H, W)
]


@pytest.mark.filterwarnings("ignore:Using padding='same'")  # torch's note on uneven padding
@pytest.mark.parametrize("shapes,kwargs", CONV2D)
def test_conv2d(shapes, kwargs):
    shapes = [s for s in shapes if s is not None]
    check_op(functional("conv2d", **kwargs), shapes)


@pytest.mark.parametrize("shapes,kwargs", [
    ([(2, 3, 9), (4, 3, 3), (4,)], dict(stride=2, padding=1)),
    ([(2, 4, 8), (2, 2, 2), (2,)], dict(groups=2, dilation=3)),
    ([(1, 2, 7), (3, 2, 4)], dict(padding="same")),
])
def test_conv1d(shapes, kwargs):
    check_op(functional("conv1d", **kwargs), shapes)


@pytest.mark.parametrize("shapes,kwargs", [
    ([(2, 3, 4, 3), (3, 2, 3, 3), (2,)], {}),
    ([(2, 4, 3, 4), (4, 2, 3, 2), (4,)], dict(stride=2, padding=1, output_padding=1, groups=2)),
    ([(1, 2, 3, 3), (2, 3, 2, 3), None], dict(stride=(2, 3), padding=(1, 0), dilation=(2, 1),
                                              output_padding=(1, 2))),
    ([(1, 2, 3, 4), (2, 2, 3, 3), None], dict(stride=1, output_padding=1, dilation=2)),
])
def test_conv_transpose2d(shapes, kwargs):
    check_op(functional("conv_transpose2d", **kwargs), [s for s in shapes if s is not None])


def test_conv_transpose1d():
    check_op(functional("conv_transpose1d", stride=3, padding=1, output_padding=2),
             [(2, 3, 5), (3, 2, 3), (2,)])


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 1), dilation=(2, 1), padding=(1, 0)),
    dict(kernel_size=3, stride=2, ceil_mode=True),
    dict(kernel_size=2, stride=3, padding=1, ceil_mode=True),
])
def test_max_pool2d(kwargs):
    check_op(functional("max_pool2d", **kwargs), [(2, 2, 7, 6)])


def test_max_pool1d():
    check_op(functional("max_pool1d", kernel_size=3, stride=2, padding=1), [(2, 3, 8)])


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(3, 2), stride=(2, 2), dilation=(2, 1), padding=1, ceil_mode=True),
])
def test_max_pool_indices_match_torch(kwargs):
    x = np.random.default_rng(0).standard_normal((2, 3, 9, 8))
    ours, ours_idx = cr.nn.functional.max_pool2d(cr.tensor(x), return_indices=True, **kwargs)
    theirs, theirs_idx = torch.nn.functional.max_pool2d(torch.tensor(x), return_indices=True,
                                                        **kwargs)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    np.testing.assert_array_equal(ours_idx.numpy(), theirs_idx.numpy())
    assert ours_idx.dtype == cr.int64


def test_max_pool_gradient_goes_to_one_element_of_a_tie():
    """After a ReLU, windows of zeros are common: exactly one of them gets the gradient."""
    x = cr.zeros(1, 1, 4, 4, dtype=cr.float64, requires_grad=True)
    cr.nn.functional.max_pool2d(x, 2).sum().backward()
    xt = torch.zeros(1, 1, 4, 4, requires_grad=True)
    torch.nn.functional.max_pool2d(xt, 2).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), xt.grad.numpy())
    assert x.grad.numpy().sum() == 4


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=3, stride=2, padding=1, ceil_mode=True),
    dict(kernel_size=(3, 2), stride=2, padding=(1, 1), ceil_mode=True, count_include_pad=False),
    dict(kernel_size=2, divisor_override=3),
])
def test_avg_pool2d(kwargs):
    check_op(functional("avg_pool2d", **kwargs), [(2, 2, 7, 6)])


def test_avg_pool1d():
    check_op(functional("avg_pool1d", kernel_size=3, stride=2, padding=1,
                        count_include_pad=False), [(2, 3, 8)])


@pytest.mark.parametrize("size", [1, (3, 2), (4, None), (5, 7)])
def test_adaptive_avg_pool2d(size):
    check_op(functional("adaptive_avg_pool2d", output_size=size), [(2, 2, 5, 7)])


def test_adaptive_avg_pool1d():
    check_op(functional("adaptive_avg_pool1d", output_size=3), [(2, 3, 7)])


def test_unfold_and_fold():
    check_op(functional("unfold", kernel_size=(2, 3), padding=1, stride=(1, 2), dilation=1),
             [(2, 2, 4, 5)])
    check_op(functional("fold", output_size=(4, 5), kernel_size=(2, 3), padding=1,
                        stride=(1, 2)), [(2, 12, 15)])


@pytest.mark.parametrize("name,shapes,kwargs", [
    ("conv2d", [(1, 2, 4, 4), (2, 2, 2, 2), (2,)], dict(stride=2, padding=1)),
    ("conv2d", [(2, 2, 3, 3), (2, 1, 2, 2)], dict(groups=2, dilation=2, padding=1)),
    ("conv1d", [(2, 2, 5), (3, 2, 2), (3,)], dict(padding="same")),
    ("conv_transpose2d", [(1, 2, 3, 3), (2, 2, 2, 2), (2,)], dict(stride=2, output_padding=1)),
    ("max_pool2d", [(1, 2, 5, 5)], dict(kernel_size=2, stride=1, padding=1)),
    ("avg_pool2d", [(1, 2, 5, 5)], dict(kernel_size=3, stride=2, padding=1, ceil_mode=True,
                                        count_include_pad=False)),
    ("adaptive_avg_pool2d", [(1, 2, 5, 4)], dict(output_size=(2, 3))),
    ("unfold", [(1, 2, 4, 4)], dict(kernel_size=2, stride=2)),
])
def test_finite_differences_on_tiny_shapes(name, shapes, kwargs):
    """Every array at most 64 elements, so that check_op runs gradcheck as well."""
    assert all(np.prod(s) <= 64 for s in shapes)
    check_op(functional(name, **kwargs), shapes)


def test_fold_is_the_adjoint_of_unfold():
    """<unfold(x), c> = <x, fold(c)>: the identity that makes each the other's derivative."""
    rng = np.random.default_rng(1)
    x, c = rng.standard_normal((2, 3, 6, 5)), rng.standard_normal((2, 3 * 6, 9))
    F = cr.nn.functional
    kw = dict(kernel_size=(3, 2), padding=1, stride=2, dilation=(1, 2))
    left = (F.unfold(cr.tensor(x), **kw) * cr.tensor(c)).sum().item()
    right = (cr.tensor(x) * F.fold(cr.tensor(c), (6, 5), **kw)).sum().item()
    assert abs(left - right) < 1e-9


def test_float32_stays_float32():
    x = cr.randn(2, 3, 8, 8, requires_grad=True)
    w = cr.randn(4, 3, 3, 3, requires_grad=True)
    y = cr.nn.functional.max_pool2d(cr.nn.functional.conv2d(x, w, padding=1), 2)
    y.sum().backward()
    assert y.dtype == x.grad.dtype == w.grad.dtype == cr.float32


@pytest.mark.parametrize("call,message", [
    (lambda F: F.conv2d(cr.zeros(1, 3, 8, 8), cr.zeros(4, 2, 3, 3)),
     "input has 3 channels but the weight"),
    (lambda F: F.conv2d(cr.zeros(1, 3, 2, 2), cr.zeros(4, 3, 3, 3)), "does not fit"),
    (lambda F: F.conv2d(cr.zeros(3, 8), cr.zeros(4, 3, 3, 3)),
     "expected an input of shape (N, C, H, W) or (C, H, W)"),
    (lambda F: F.conv2d(cr.zeros(1, 3, 8, 8), cr.zeros(4, 3, 3, 3), padding="full"),
     "padding must be"),
    (lambda F: F.conv2d(cr.zeros(1, 3, 8, 8), cr.zeros(4, 3, 3, 3), stride=2, padding="same"),
     "padding='same' needs stride 1"),
    (lambda F: F.conv2d(cr.zeros(1, 3, 8, 8), cr.zeros(4, 3, 3, 3, dtype=cr.float64)),
     "the input is float32 but a parameter is float64"),
    (lambda F: F.conv_transpose2d(cr.zeros(1, 3, 4, 4), cr.zeros(3, 2, 3, 3), stride=2,
                                  output_padding=2), "output_padding"),
    (lambda F: F.max_pool2d(cr.zeros(1, 1, 4, 4), 2, padding=2), "at most half the kernel"),
])
def test_errors_name_the_op_and_the_shapes(call, message):
    with pytest.raises((ValueError, TypeError)) as info:
        call(cr.nn.functional)
    assert message in str(info.value)


def test_top_level_names():
    assert cr.conv2d is cr.nn.functional.conv2d and cr.max_pool2d is cr.nn.functional.max_pool2d
