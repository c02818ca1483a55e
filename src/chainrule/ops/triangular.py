"""Triangular parts of matrices (the last two dims of a tensor): tril keeps the elements on and
below the `diagonal`-th diagonal, triu those on and above it (diagonal 0 is the main one,
positive ones lie above it); and the indices of those elements."""
import numbers

from ..autograd.function import Op
from ..backend import array_module, dtypes
from ..tensor import Tensor, tensor_method
from .creation import _device, _options

__all__ = ["tril", "triu", "tril_indices", "triu_indices"]


def _kept(xp, rows, cols, diagonal, lower):
    """The (rows, cols) mask of the triangle: element (i, j) lies on diagonal j - i."""
    offset = xp.arange(cols)[None, :] - xp.arange(rows)[:, None]
    return offset <= diagonal if lower else offset >= diagonal


class Tril(Op):
    """y = x inside the triangle, 0 outside; the gradient is g's same triangle."""
    lower = True

    def forward(ctx, x, diagonal):
        ctx.diagonal = diagonal
        xp = array_module(x)
        return xp.where(_kept(xp, *x.shape[-2:], diagonal, ctx.lower), x,
                        xp.zeros((), x.dtype))

    def backward(ctx, g):
        return type(ctx).apply(g, ctx.diagonal)


class Triu(Tril):
    lower = False


def _diagonal(name, diagonal):
    if not isinstance(diagonal, numbers.Integral) or isinstance(diagonal, bool):
        raise TypeError(f"{name}: diagonal must be an integer, got {diagonal!r}")
    return int(diagonal)


def _triangle(name, op, input, diagonal):
    if input.ndim < 2:
        raise ValueError(f"{name}: expected a matrix or a batch of matrices (at least 2 dims), "
                         f"got shape {input.shape}")
    return op.apply(input, _diagonal(name, diagonal))


@tensor_method
def tril(input, diagonal=0):
    """The lower triangle of each matrix: elements (i, j) with j - i <= diagonal, zeros above."""
    return _triangle("tril", Tril, input, diagonal)


@tensor_method
def triu(input, diagonal=0):
    """The upper triangle of each matrix: elements (i, j) with j - i >= diagonal, zeros below."""
    return _triangle("triu", Triu, input, diagonal)


def _indices(name, row, col, offset, dtype, device, options, lower):
    _options(name, options)
    if any(not isinstance(n, int) or isinstance(n, bool) or n < 0 for n in (row, col)):
        raise ValueError(f"{name}: row and col must be non-negative integers, got {row!r} and "
                         f"{col!r}")
    dtype = dtypes.as_dtype(dtype) or dtypes.int64
    if dtype.kind not in "iu":
        raise TypeError(f"{name}: dtype must be an integer dtype, got {dtype}")
    xp = _device(device).xp
    rows, cols = xp.nonzero(_kept(xp, row, col, _diagonal(name, offset), lower))  # row-major
    return Tensor.wrap(xp.stack([rows, cols]).astype(dtype))


def tril_indices(row, col, offset=0, *, dtype=None, device=None, **options):
    """The 2 x N (row, column) coordinates of the lower triangle of a row x col matrix, row by
    row (offset as tril's diagonal)."""
    return _indices("tril_indices", row, col, offset, dtype, device, options, True)


def triu_indices(row, col, offset=0, *, dtype=None, device=None, **options):
    """The 2 x N (row, column) coordinates of the upper triangle of a row x col matrix."""
    return _indices("triu_indices", row, col, offset, dtype, device, options, False)
