"""Adaptive max pooling, max unpooling and LP pooling against PyTorch in float64."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op, functional

F = cr.nn.functional


@pytest.mark.parametrize("name,shape,size", [
    ("adaptive_max_pool1d", (2, 3, 7), 3),
    ("adaptive_max_pool1d", (2, 3, 4), 6),  # more bins than inputs: bins overlap
    ("adaptive_max_pool2d", (2, 2, 7, 5), (3, 2)),
    ("adaptive_max_pool2d", (2, 2, 5, 6), (None, 4)),
    ("adaptive_max_pool2d", (2, 5, 6), 1),  # unbatched
    ("adaptive_max_pool3d", (1, 2, 5, 4, 6), (2, 3, 4)),
])
def test_adaptive_max_pool(name, shape, size):
    check_op(functional(name, output_size=size), [shape])
    x = np.random.default_rng(2).standard_normal(shape)
    _, ours = getattr(F, name)(cr.tensor(x), size, return_indices=True)
    _, theirs = getattr(torch.nn.functional, name)(torch.tensor(x), size, return_indices=True)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("n,shape,kwargs", [
    (1, (2, 3, 9), dict(kernel_size=3, stride=2, padding=1)),
    (2, (2, 2, 7, 6), dict(kernel_size=2)),
    (2, (2, 2, 7, 6), dict(kernel_size=3, stride=2, padding=1)),  # overlapping windows
    (3, (1, 2, 5, 4, 6), dict(kernel_size=2, stride=2)),
])
def test_max_unpool_inverts_max_pool_where_it_can(n, shape, kwargs):
    x = np.random.default_rng(3).standard_normal(shape)
    pooled, index = getattr(torch.nn.functional, f"max_pool{n}d")(torch.tensor(x), **kwargs,
                                                                  return_indices=True)

    def unpool(m, y):
        indices = m.tensor(index.numpy()) if m is cr else index
        return getattr(m.nn.functional, f"max_unpool{n}d")(y, indices, **kwargs,
                                                           output_size=shape)
    # where windows overlap, one maximum can be written twice; torch's gradient then reads it
    # twice, which is not the finite-difference derivative of the (last-write-wins) forward
    overlap = kwargs.get("stride", kwargs["kernel_size"]) < kwargs["kernel_size"]
    check_op(unpool, [], inputs=[pooled.detach().numpy()], name=f"max_unpool{n}d",
             finite_differences=not overlap)


def test_max_unpool_default_size_and_size_checks():
    x = np.random.default_rng(4).standard_normal((1, 2, 7, 6))
    pooled, index = torch.nn.functional.max_pool2d(torch.tensor(x), 2, return_indices=True)
    ours = F.max_unpool2d(cr.tensor(pooled.numpy()), cr.tensor(index.numpy()), 2)
    theirs = torch.nn.functional.max_unpool2d(pooled, index, 2)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(ValueError, match="max_unpool2d: output_size \\(8, 7\\) is not reachable"):
        F.max_unpool2d(cr.tensor(pooled.numpy()), cr.tensor(index.numpy()), 2,
                       output_size=(8, 7))


def test_max_unpool_rejects_indices_outside_the_output():
    with pytest.raises(ValueError, match="max_unpool2d: index 9 is out of range"):
        F.max_unpool2d(cr.ones(1, 1, 1, 1), cr.tensor([[[[9]]]]), 2)


@pytest.mark.parametrize("name,shape,kwargs", [
    ("lp_pool1d", (2, 3, 8), dict(norm_type=2, kernel_size=3, stride=2)),
    ("lp_pool2d", (2, 2, 6, 5), dict(norm_type=2, kernel_size=2)),
    ("lp_pool2d", (2, 2, 6, 5), dict(norm_type=3, kernel_size=(3, 2), stride=2,
                                     ceil_mode=True)),
    ("lp_pool3d", (1, 2, 4, 4, 5), dict(norm_type=1.5, kernel_size=2)),
])
def test_lp_pool(name, shape, kwargs):
    check_op(functional(name, **kwargs), [shape], low=0.2, high=2.0)
