"""Reductions over dims (`dim` an int, a tuple, or None for all; `keepdim` as in PyTorch)."""
from ..autograd.function import Op
from ..backend import dtypes
from ..tensor import Tensor
from .shape import broadcast_to, normalize_dim, reshape

__all__ = ["sum", "mean"]
METHODS = ["sum", "mean"]


def dims_of(name, dim, ndim):
    """The reduced axes as a sorted tuple."""
    if dim is None:
        return tuple(range(ndim))
    dims = dim if isinstance(dim, (tuple, list)) else (dim,)
    return tuple(sorted({normalize_dim(name, d, ndim) for d in dims}))


def kept_shape(shape, axes):
    """The shape with reduced axes kept as size 1 (to broadcast the gradient back)."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


class Sum(Op):
    def forward(ctx, x, axes, keepdim):
        ctx.in_shape, ctx.axes = x.shape, axes
        return x.sum(axis=axes, keepdims=keepdim)

    def backward(ctx, g):
        return broadcast_to(reshape(g, kept_shape(ctx.in_shape, ctx.axes)), ctx.in_shape)


def sum(x, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = x.to(dtype)
    elif x.dtype.kind in "bui":
        x = x.to(dtypes.int64)  # PyTorch sums integers and bools as int64
    return Sum.apply(x, dims_of("sum", dim, x.ndim), keepdim)


def mean(x, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = x.to(dtype)
    if x.dtype.kind != "f":
        raise TypeError(f"mean: expected a floating-point tensor, got {x.dtype}; "
                        "convert it first with .float()")
    axes = dims_of("mean", dim, x.ndim)
    count = 1
    for a in axes:
        count *= x.shape[a]
    return sum(x, axes, keepdim) / max(count, 1) if count else sum(x, axes, keepdim) * float("nan")
