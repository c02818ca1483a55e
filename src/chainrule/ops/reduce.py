"""Reductions over dims (`dim` an int, a tuple, or None for all; `keepdim` as in PyTorch).

Each reduction's gradient spreads the upstream gradient back over the reduced dims: evenly for
sum and mean, onto the elements that attain the extreme for max and min, and through a tree of
products for prod. Composites (var, std, norm, prod) are built from primitives, so their double
backward comes for free."""
import math
import warnings
from collections import namedtuple

import numpy as np

from ..autograd.function import Op
from ..backend import array_module, dtypes
from ..tensor import Tensor, tensor_method
from .elementwise import _constant, _raw, abs, maximum, minimum, ne, scale_by
from .shape import broadcast_to, normalize_dim, permute, reshape

__all__ = ["sum", "mean", "var", "std", "var_mean", "std_mean", "max", "min", "amax", "amin",
           "aminmax", "argmax", "argmin", "prod", "norm", "cumsum", "all", "any"]


# ---- dims -------------------------------------------------------------------------------------
def dims_of(name, dim, ndim):
    """The reduced axes as a sorted tuple; None (or an empty tuple, as in PyTorch) means all."""
    if dim is None or (isinstance(dim, (tuple, list)) and len(dim) == 0):
        return tuple(range(ndim))
    if isinstance(dim, int):
        return (normalize_dim(name, dim, ndim),) if ndim else ()
    axes = [normalize_dim(name, d, ndim) for d in dim]
    if len(set(axes)) < len(axes):
        raise ValueError(f"{name}: dim={tuple(dim)} names the same dimension more than once")
    return tuple(sorted(axes)) if ndim else ()


def kept_shape(shape, axes):
    """The shape with reduced axes kept as size 1 (to broadcast the gradient back)."""
    return tuple(1 if i in axes else s for i, s in enumerate(shape))


def _count(shape, axes):
    return math.prod(shape[a] for a in axes)


def _accumulator(x, dtype):
    """PyTorch sums and multiplies integers and bools as int64, unless `dtype` says otherwise."""
    if dtype is not None:
        return x.to(dtype)
    return x.to(dtypes.int64) if x.dtype.kind in "bui" else x


def _floating(name, x):
    if x.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point tensor, got {x.dtype}; "
                        "convert it first with .float()")


# ---- sum and mean -----------------------------------------------------------------------------
class Sum(Op):
    """y = scale * (sum of x over `axes`), scale = 1/count for the mean: every element of x gets
    the upstream gradient times the scale."""

    def forward(ctx, x, axes, keepdim, scale=1):
        ctx.in_shape, ctx.axes, ctx.keepdim, ctx.scale = x.shape, axes, keepdim, scale
        y = x.sum(axis=axes, keepdims=keepdim)
        return y if scale == 1 else y * scale

    def backward(ctx, g):
        if ctx.scale != 1:
            g = g * ctx.scale
        if not ctx.keepdim:
            g = reshape(g, kept_shape(ctx.in_shape, ctx.axes))
        return broadcast_to(g, ctx.in_shape)


@tensor_method
def sum(x, dim=None, keepdim=False, dtype=None):
    x = _accumulator(x, dtype)
    return Sum.apply(x, dims_of("sum", dim, x.ndim), keepdim)


@tensor_method
def mean(x, dim=None, keepdim=False, dtype=None):
    if dtype is not None:
        x = x.to(dtype)
    _floating("mean", x)
    axes = dims_of("mean", dim, x.ndim)
    count = _count(x.shape, axes)
    return Sum.apply(x, axes, keepdim, 1 / count if count else math.nan)  # mean of nothing: NaN


# ---- variance and standard deviation ----------------------------------------------------------
def _correction(name, dim, unbiased, correction):
    """PyTorch's two spellings: correction=c (divide by N - c), or unbiased=True/False (c = 1/0);
    `x.var(False)` passes `unbiased` where `dim` stands."""
    if isinstance(dim, bool):
        dim, unbiased = None, dim
    if unbiased is not None and correction is not None:
        raise ValueError(f"{name}: give either correction= or unbiased=, not both")
    if correction is None:
        correction = 0 if unbiased is False else 1
    return dim, correction


@tensor_method
def var(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """sum((x - mean)^2) / (N - correction) over the reduced dims."""
    dim, correction = _correction("var", dim, unbiased, correction)
    _floating("var", x)
    axes = dims_of("var", dim, x.ndim)
    deviation = x - mean(x, axes, keepdim=True)
    dof = _count(x.shape, axes) - correction
    if dof <= 0:
        warnings.warn(f"var: the degrees of freedom (N - correction = {dof}) are <= 0, so the "
                      "result is inf or nan; use a smaller correction or reduce more elements",
                      RuntimeWarning, stacklevel=2)
    with np.errstate(invalid="ignore"):  # 0 * inf is the NaN PyTorch gives here
        return sum(deviation * deviation, axes, keepdim) * (1 / dof if dof > 0 else math.inf)


@tensor_method
def std(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """sqrt(var); its gradient is taken as 0 where std is 0 (constant input), as in PyTorch."""
    dim, correction = _correction("std", dim, unbiased, correction)
    return Root.apply(var(x, dim, keepdim=keepdim, correction=correction), 2)


def var_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(var, mean) over the same dims, as a tuple."""
    dim, correction = _correction("var_mean", dim, unbiased, correction)
    return (var(x, dim, keepdim=keepdim, correction=correction), mean(x, dim, keepdim))


def std_mean(x, dim=None, unbiased=None, keepdim=False, *, correction=None):
    """(std, mean) over the same dims, as a tuple."""
    dim, correction = _correction("std_mean", dim, unbiased, correction)
    return (std(x, dim, keepdim=keepdim, correction=correction), mean(x, dim, keepdim))


class Root(Op):
    """y = s^(1/p) for s >= 0, the last step of a p-norm (and of std): dy/ds = y^(1-p) / p.
    At s = 0 the true derivative is infinite; it is taken as 0 there, as PyTorch does, so that
    the norm of a zero vector has gradient 0 instead of NaN."""

    def forward(ctx, s, p):
        ctx.p = p
        y = array_module(s).sqrt(s) if p == 2 else s ** (1 / p)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_like(g)
        at_zero = _raw(y) == 0
        safe = y + at_zero  # 1 where y is 0, so no division by zero
        return scale_by(g, ~at_zero) * safe ** (1 - ctx.p) / ctx.p


# ---- max, min and their indices ---------------------------------------------------------------
_max_result = namedtuple("max", ["values", "indices"])  # like torch.return_types.max
_min_result = namedtuple("min", ["values", "indices"])


def _nonempty(name, x, axes):
    for a in axes:
        if x.shape[a] == 0:
            raise ValueError(f"{name}: cannot reduce over dim {a} of size 0 (tensor of shape "
                             f"{x.shape}); the extreme of no elements is undefined")


def _squeezed(y, axes, keepdim):
    return y if keepdim else y.reshape(tuple(s for i, s in enumerate(y.shape) if i not in axes))


class Extreme(Op):
    """amax/amin over `axes`: the gradient goes to the elements equal to the result, split evenly
    among ties (NaN counts as equal to a NaN result)."""

    def forward(ctx, x, axes, keepdim, largest):
        # asarray: on a 0-d x NumPy returns a scalar, which save_for_backward keeps as a number
        y = array_module(x).asarray((x.max if largest else x.min)(axis=axes, keepdims=True))
        ctx.axes = axes
        ctx.save_for_backward(x, y)
        return _squeezed(y, axes, keepdim)

    def backward(ctx, g):
        x, y = ctx.saved_arrays
        hits = ((x == y) | ((x != x) & (y != y))).astype(g.dtype)
        hits /= hits.sum(axis=ctx.axes, keepdims=True)
        return scale_by(reshape(g, y.shape), hits)


class ExtremeAlong(Op):
    """max/min along one dim, with the index where it is found (the first one among ties); the
    gradient goes to that index alone."""

    def forward(ctx, x, axis, keepdim, largest):
        xp = array_module(x)
        vector = x.reshape(x.shape or (1,))  # a 0-d tensor reduces as a 1-element vector
        index = (xp.argmax if largest else xp.argmin)(vector, axis=axis, keepdims=True)
        index = index.astype(np.int64, copy=False)
        ctx.in_shape, ctx.axis = vector.shape, axis
        ctx.save_for_backward(index)
        shape = index.shape if keepdim else index.shape[:axis] + index.shape[axis + 1:]
        shape = shape if x.ndim else ()
        values = xp.take_along_axis(vector, index, axis).reshape(shape)
        indices = index.reshape(shape)
        ctx.mark_non_differentiable(indices)
        return values, indices

    def backward(ctx, g, _):
        index, = ctx.saved_arrays
        place = [1] * len(ctx.in_shape)
        place[ctx.axis] = -1
        onehot = array_module(index).arange(ctx.in_shape[ctx.axis]).reshape(place) == index
        return scale_by(reshape(g, index.shape), onehot)


@tensor_method
def amax(x, dim=None, keepdim=False):
    return _extreme("amax", x, dim, keepdim, True)


@tensor_method
def amin(x, dim=None, keepdim=False):
    return _extreme("amin", x, dim, keepdim, False)


_aminmax_result = namedtuple("aminmax", ["min", "max"])


@tensor_method
def aminmax(x, *, dim=None, keepdim=False):
    """(min, max) as amin and amax give them: over all dims, or along `dim`."""
    return _aminmax_result(amin(x, dim, keepdim), amax(x, dim, keepdim))


def _extreme(name, x, dim, keepdim, largest):
    axes = dims_of(name, dim, x.ndim)
    _nonempty(name, x, axes)
    return Extreme.apply(x, axes, keepdim, largest)


@tensor_method
def max(x, dim=None, keepdim=False):
    """The largest value (the gradient split evenly among ties); with `dim`, the namedtuple
    (values, indices) along it (the gradient to the index). `max(x, other)` is `maximum`."""
    if isinstance(dim, Tensor):
        return maximum(x, dim)
    return _extreme_along("max", x, dim, keepdim, True)


@tensor_method
def min(x, dim=None, keepdim=False):
    """The smallest value, or (values, indices) along `dim`; `min(x, other)` is `minimum`."""
    if isinstance(dim, Tensor):
        return minimum(x, dim)
    return _extreme_along("min", x, dim, keepdim, False)


def _extreme_along(name, x, dim, keepdim, largest):
    if dim is None:
        if x.numel() == 0:
            raise ValueError(f"{name}: the tensor is empty (shape {x.shape}), so it has no "
                             f"{name}imum; pass dim= to reduce along a dim of nonzero size")
        return Extreme.apply(x, tuple(range(x.ndim)), False, largest)
    axis = normalize_dim(name, dim, x.ndim)
    if x.ndim:
        _nonempty(name, x, (axis,))
    result = _max_result if largest else _min_result
    return result(*ExtremeAlong.apply(x, axis if x.ndim else 0, keepdim, largest))


@tensor_method
def argmax(x, dim=None, keepdim=False):
    """The index of the largest value (int64, not differentiable): into the flattened tensor
    when dim is None, else along `dim`."""
    return _arg("argmax", x, dim, keepdim, True)


@tensor_method
def argmin(x, dim=None, keepdim=False):
    return _arg("argmin", x, dim, keepdim, False)


def _arg(name, x, dim, keepdim, largest):
    xp = array_module(x.array)
    find = xp.argmax if largest else xp.argmin
    if dim is None:
        if x.numel() == 0:
            raise ValueError(f"{name}: the tensor is empty (shape {x.shape}); pass dim= to "
                             "reduce along a dim of nonzero size")
        index = find(x.array.reshape(-1)).reshape((1,) * x.ndim if keepdim else ())
    else:
        axis = normalize_dim(name, dim, x.ndim)
        if x.ndim:
            _nonempty(name, x, (axis,))
        index = find(x.array.reshape(x.shape or (1,)), axis=axis, keepdims=keepdim)
        index = index.reshape(index.shape if x.ndim else ())
    return _constant(xp.asarray(index, dtype=np.int64))


# ---- product ----------------------------------------------------------------------------------
@tensor_method
def prod(x, dim=None, keepdim=False, dtype=None):
    """The product over the reduced dims, as a balanced tree of pairwise multiplications: each
    element's gradient is then the exact product of all the others, zeros included, and so is
    every higher derivative."""
    x = _accumulator(x, dtype)
    axes = dims_of("prod", dim, x.ndim)
    shape, rest = x.shape, [i for i in range(x.ndim) if i not in axes]
    n = _count(shape, axes)
    if n == 0:  # the empty product
        return sum(x, axes, keepdim) + 1
    order = rest + list(axes)  # the reduced dims last, flattened into one of length n
    y = reshape(permute(x, order) if order != list(range(x.ndim)) else x,
                tuple(shape[i] for i in rest) + (n,))
    leftover = None  # the odd elements out, one per level
    while y.shape[-1] > 1:
        half = y.shape[-1] // 2
        if y.shape[-1] % 2:
            leftover = y[..., -1:] if leftover is None else leftover * y[..., -1:]
        y = y[..., :half] * y[..., half:2 * half]
    if leftover is not None:
        y = y * leftover
    return reshape(y, kept_shape(shape, axes) if keepdim else tuple(shape[i] for i in rest))


# ---- norm -------------------------------------------------------------------------------------
@tensor_method
def norm(x, p="fro", dim=None, keepdim=False, dtype=None):
    """The vector p-norm over the reduced dims (all by default, so 'fro' is the 2-norm of the
    flattened tensor): (sum |x|^p)^(1/p); p=inf/-inf is the largest/smallest |x|, p=0 counts the
    nonzero elements."""
    if dtype is not None:
        x = x.to(dtype)
    _floating("norm", x)
    if p == "fro":
        p = 2
    if p == "nuc":  # the sum of singular values, of the matrices over two dims
        from .linalg import matrix_norm  # (linear algebra is built on this module)
        return matrix_norm(x, "nuc", (-2, -1) if dim is None else dim, keepdim)
    if isinstance(p, (str, bool)):
        raise ValueError(f"norm: p must be a number, 'fro' or 'nuc', got {p!r}")
    axes = dims_of("norm", dim, x.ndim)
    if p == math.inf:
        return amax(abs(x), axes, keepdim)
    if p == -math.inf:
        return amin(abs(x), axes, keepdim)
    if p == 0:  # a count of the nonzero elements (sign |x| is 0 or 1), whose gradient is 0
        return sum(abs(x).sign(), axes, keepdim)
    if p == 1:
        return sum(abs(x), axes, keepdim)
    powers = x * x if p == 2 else abs(x) ** p
    return Root.apply(sum(powers, axes, keepdim), p)


# ---- running sum ------------------------------------------------------------------------------
class CumSum(Op):
    """y_i = x_0 + ... + x_i along `axis`. Its gradient is the same running sum taken from the
    other end (reverse=True), whose gradient is the forward running sum again."""

    def forward(ctx, x, axis, reverse):
        ctx.axis, ctx.reverse = axis, reverse
        xp = array_module(x)
        vector = x.reshape(x.shape or (1,))  # a 0-d tensor sums as a 1-element vector
        if reverse:
            y = xp.flip(xp.cumsum(xp.flip(vector, axis), axis), axis)
        else:
            y = xp.cumsum(vector, axis)
        return y.reshape(x.shape)

    def backward(ctx, g):
        return CumSum.apply(g, ctx.axis, not ctx.reverse)


@tensor_method
def cumsum(x, dim, dtype=None):
    x = _accumulator(x, dtype)
    return CumSum.apply(x, normalize_dim("cumsum", dim, x.ndim), False)


# ---- logic (not differentiable) ---------------------------------------------------------------
@tensor_method
def all(x, dim=None, keepdim=False):
    """Whether every element is nonzero (bool), over all dims or along `dim`."""
    return _logical("all", x, dim, keepdim)


@tensor_method
def any(x, dim=None, keepdim=False):
    """Whether some element is nonzero (bool), over all dims or along `dim`."""
    return _logical("any", x, dim, keepdim)


def _logical(name, x, dim, keepdim):
    # unlike the other reductions, PyTorch reads dim=() here as "reduce nothing"
    axes = () if isinstance(dim, (tuple, list)) and len(dim) == 0 else dims_of(name, dim, x.ndim)
    xp = array_module(x.array)
    return _constant(xp.asarray(getattr(xp, name)(x.array, axis=axes, keepdims=keepdim)))
