"""3-D convolution and pooling, against PyTorch in float64 (tests/opcheck.py): forward, first and
second derivatives, and finite differences on the small cases."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op, functional


@pytest.mark.filterwarnings("ignore:Using padding='same'")
@pytest.mark.parametrize("shapes,kwargs", [
    ([(2, 2, 4, 5, 3), (3, 2, 2, 3, 2), (3,)], {}),
    ([(1, 4, 5, 4, 4), (4, 2, 3, 2, 3), (4,)], dict(stride=(2, 1, 2), padding=1, groups=2)),
    ([(1, 2, 5, 4, 5), (2, 2, 2, 2, 2)], dict(dilation=(2, 1, 2), padding=(1, 0, 1))),
    ([(1, 2, 4, 5, 3), (2, 2, 3, 2, 2)], dict(padding="same")),
    ([(1, 2, 4, 5, 3), (2, 2, 3, 2, 2)], dict(padding="valid")),
    ([(2, 3, 4, 3), (2, 2, 2, 2, 2), (2,)], {}),  # one unbatched sample (C, D, H, W)
])
def test_conv3d(shapes, kwargs):
    check_op(functional("conv3d", **kwargs), shapes)


@pytest.mark.parametrize("shapes,kwargs", [
    ([(1, 2, 3, 2, 3), (2, 3, 2, 2, 2), (3,)], {}),
    ([(1, 4, 2, 3, 2), (4, 1, 3, 2, 2), None], dict(stride=2, padding=1, output_padding=1,
                                                    groups=2)),
])
def test_conv_transpose3d(shapes, kwargs):
    check_op(functional("conv_transpose3d", **kwargs), [s for s in shapes if s is not None])


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1),
    dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), dilation=(2, 1, 1), ceil_mode=True),
])
def test_max_pool3d(kwargs):
    check_op(functional("max_pool3d", **kwargs), [(2, 2, 5, 6, 4)])


def test_max_pool3d_indices_are_torchs():
    x = np.random.default_rng(1).standard_normal((2, 3, 5, 6, 7))
    kw = dict(kernel_size=(2, 3, 2), stride=2, padding=1)
    ours, i = cr.nn.functional.max_pool3d(cr.tensor(x), return_indices=True, **kw)
    theirs, j = torch.nn.functional.max_pool3d(torch.tensor(x), return_indices=True, **kw)
    np.testing.assert_array_equal(i.numpy(), j.numpy())
    np.testing.assert_allclose(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("kwargs", [
    dict(kernel_size=2),
    dict(kernel_size=3, stride=2, padding=1, count_include_pad=False),
    dict(kernel_size=(2, 3, 2), stride=(1, 2, 2), ceil_mode=True),
    dict(kernel_size=2, divisor_override=3),
])
def test_avg_pool3d(kwargs):
    check_op(functional("avg_pool3d", **kwargs), [(2, 2, 5, 6, 4)])


@pytest.mark.parametrize("size", [(2, 3, 2), 1, (None, 4, 3)])
def test_adaptive_avg_pool3d(size):
    check_op(functional("adaptive_avg_pool3d", output_size=size), [(2, 2, 5, 6, 4)])


def test_conv3d_says_what_is_wrong():
    with pytest.raises(ValueError, match="conv3d: expected an input of shape \\(N, C, D, H, W\\)"):
        cr.nn.functional.conv3d(cr.zeros(2, 3, 4), cr.zeros(1, 3, 1, 1, 1))
    with pytest.raises(ValueError, match="conv3d: the input has 3 channels"):
        cr.nn.functional.conv3d(cr.zeros(1, 3, 4, 4, 4), cr.zeros(1, 2, 1, 1, 1))
