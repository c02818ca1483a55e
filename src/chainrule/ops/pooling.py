"""Pooling beyond the sliding max and mean of ops/conv.py: adaptive max pooling, max unpooling
(max pooling's partial inverse) and power-average (LP) pooling.

Adaptive max pooling finds each bin's maximum on the arrays and then reads it with `gather`,
so its gradients (of every order) are those of indexing: the gradient goes to each maximum."""
import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor
from .conv import (_batched, _check_floats, _ints, _restored, adaptive_bins, adaptive_sizes,
                   avg_pool1d, avg_pool2d, avg_pool3d)
from .elementwise import where
from .indexing import Take, gather
from .shape import reshape

__all__ = ["adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "max_unpool1d",
           "max_unpool2d", "max_unpool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d"]


# ---- adaptive max pooling ---------------------------------------------------------------------
def _bin_members(size, out):
    """(out, widest bin) input positions of each adaptive bin; a narrower bin repeats its last
    position, which cannot change its maximum nor (coming last) which element wins a tie."""
    start, end = adaptive_bins(size, out)
    width = int((end - start).max())
    return np.minimum(start[:, None] + np.arange(width), end[:, None] - 1)


def _adaptive_argmax(x, sizes):
    """Each bin's first maximum as a flat index into its (N, C) plane, shape (N, C, *sizes)."""
    xp = array_module(x)
    spatial, n = x.shape[2:], len(sizes)
    flat = np.zeros((1,) * (2 * n), np.int64)  # laid out (o1, k1, o2, k2, ...)
    for i, (size, out) in enumerate(zip(spatial, sizes)):
        members = _bin_members(size, out)
        shape = [1] * (2 * n)
        shape[2 * i:2 * i + 2] = members.shape
        flat = flat * size + members.reshape(shape)
    flat = flat.transpose(tuple(range(0, 2 * n, 2)) + tuple(range(1, 2 * n, 2)))
    flat = xp.asarray(flat.reshape(tuple(sizes) + (-1,)))  # (*sizes, window)
    windows = x.reshape(x.shape[:2] + (-1,))[:, :, flat]  # (N, C, *sizes, window)
    first = windows.argmax(axis=-1)[..., None]
    return xp.take_along_axis(xp.broadcast_to(flat, windows.shape), first, -1)[..., 0]


def _adaptive_max_pool(name, input, output_size, return_indices, n):
    x, batched = _batched(name, input, n)
    _check_floats(name, x)
    sizes = adaptive_sizes(name, x, output_size, n)
    index = _adaptive_argmax(x.array, sizes)
    plane = reshape(x, x.shape[:2] + (-1,))
    y = reshape(gather(plane, 2, index.reshape(index.shape[:2] + (-1,))), x.shape[:2] + sizes)
    if not return_indices:
        return _restored(y, batched)
    return _restored(y, batched), _restored(Tensor.wrap(index), batched)


def adaptive_max_pool1d(input, output_size, return_indices=False):
    """The maximum of each of output_size bins of (N, C, L), whatever L is."""
    return _adaptive_max_pool("adaptive_max_pool1d", input, output_size, return_indices, 1)


def adaptive_max_pool2d(input, output_size, return_indices=False):
    """The maximum of each of output_size bins (an int, a pair, None keeps a dim) of
    (N, C, H, W); indices are flat in each plane (h * W + w), as max_pool2d's."""
    return _adaptive_max_pool("adaptive_max_pool2d", input, output_size, return_indices, 2)


def adaptive_max_pool3d(input, output_size, return_indices=False):
    """The maximum of each of output_size bins of (N, C, D, H, W)."""
    return _adaptive_max_pool("adaptive_max_pool3d", input, output_size, return_indices, 3)


# ---- max unpooling ----------------------------------------------------------------------------
class MaxUnpool(Op):
    """Zeros of the output size, with each input value written at its index (a later write wins
    where indices repeat). The gradient reads the output's gradient back at each index."""

    def forward(ctx, x, key, size):
        ctx.save_for_backward(key)
        out = array_module(x).zeros(x.shape[:2] + size, x.dtype)
        out[key] = x
        return out

    def backward(ctx, g):
        key, = ctx.saved_arrays
        return Take.apply(g, key)


def _max_unpool(name, input, indices, kernel_size, stride, padding, output_size, n):
    x, batched = _batched(name, input, n)
    _check_floats(name, x)
    index = indices.array if isinstance(indices, Tensor) else array_module(x.array).asarray(
        indices)
    index = index if batched else index[None]
    if index.shape != x.shape or index.dtype.kind not in "iu":
        raise ValueError(f"{name}: expected integer indices of the input's shape {input.shape}, "
                         f"got {index.dtype} of shape {tuple(indices.shape)}")
    kernel = _ints(name, "kernel_size", kernel_size, n)
    stride = kernel if stride is None else _ints(name, "stride", stride, n)
    pads = _ints(name, "padding", padding, n)
    size = tuple((i - 1) * s - 2 * p + k for i, s, p, k in zip(x.shape[2:], stride, pads, kernel))
    if output_size is not None:  # any size that pools back to the input's (PyTorch's rule)
        wanted = _ints(name, "output_size", tuple(output_size)[-n:], n)
        if any(not d - s < w < d + s for w, d, s in zip(wanted, size, stride)):
            raise ValueError(f"{name}: output_size {wanted} is not reachable: each dim must lie "
                             f"strictly between {tuple(d - s for d, s in zip(size, stride))} and "
                             f"{tuple(d + s for d, s in zip(size, stride))}")
        size = wanted
    if index.size and (index.min() < 0 or index.max() >= math.prod(size)):
        raise ValueError(f"{name}: index {int(index.max() if index.min() >= 0 else index.min())}"
                         f" is out of range for an output plane of size {size}")
    xp = array_module(index)
    key = (xp.arange(x.shape[0]).reshape((-1,) + (1,) * (n + 1)),
           xp.arange(x.shape[1]).reshape((-1,) + (1,) * n)) + xp.unravel_index(index, size)
    return _restored(MaxUnpool.apply(x, key, size), batched)


def max_unpool1d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Max pooling's partial inverse: (N, C, L_in) values placed at their indices in zeros of
    length (L_in - 1) * stride - 2 * padding + kernel_size (or output_size)."""
    return _max_unpool("max_unpool1d", input, indices, kernel_size, stride, padding,
                       output_size, 1)


def max_unpool2d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """Max pooling's partial inverse: each value of (N, C, H, W) goes to its flat index
    (from max_pool2d(..., return_indices=True)) in a plane of zeros."""
    return _max_unpool("max_unpool2d", input, indices, kernel_size, stride, padding,
                       output_size, 2)


def max_unpool3d(input, indices, kernel_size, stride=None, padding=0, output_size=None):
    """max_unpool2d over (N, C, D, H, W) volumes."""
    return _max_unpool("max_unpool3d", input, indices, kernel_size, stride, padding,
                       output_size, 3)


# ---- power-average pooling ---------------------------------------------------------------------
def _lp_pool(name, avg_pool, input, norm_type, kernel_size, stride, ceil_mode, n):
    """(sum over each window of x^p)^(1/p), the sum being the window mean of x^p times the
    window size. A window summing to 0 gets the gradient 0, as in PyTorch, rather than the
    infinite slope of the root there (hence the two wheres)."""
    kernel = _ints(name, "kernel_size", kernel_size, n)
    total = avg_pool(input ** norm_type, kernel, stride, 0, ceil_mode) * math.prod(kernel)
    nonzero = total.array != 0
    return where(nonzero, where(nonzero, total, 1.0) ** (1.0 / norm_type), 0.0)


def lp_pool1d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each window of (N, C, L): p = 1 sums, large p approaches max pooling."""
    return _lp_pool("lp_pool1d", avg_pool1d, input, norm_type, kernel_size, stride, ceil_mode, 1)


def lp_pool2d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each kH x kW window of (N, C, H, W)."""
    return _lp_pool("lp_pool2d", avg_pool2d, input, norm_type, kernel_size, stride, ceil_mode, 2)


def lp_pool3d(input, norm_type, kernel_size, stride=None, ceil_mode=False):
    """The p-norm of each kD x kH x kW window of (N, C, D, H, W)."""
    return _lp_pool("lp_pool3d", avg_pool3d, input, norm_type, kernel_size, stride, ceil_mode, 3)
