"""Diagonals: reading one out of a matrix, and writing one into zeros. Each is the other's
backward, as reading an index and adding into it are for indexing."""
from ...autograd.function import Op
from ...backend import array_module
from ...tensor import tensor_method
from ..reduce import sum
from ..shape import normalize_dim

__all__ = ["diagonal", "diag_embed", "diag", "trace"]


def _diagonal_index(xp, rows, cols, offset):
    """(row, col) index arrays of diagonal `offset` of a rows x cols matrix (offset > 0: above
    the main diagonal)."""
    length = max(0, min(rows + min(offset, 0), cols - max(offset, 0)))
    i = xp.arange(length)
    return i - min(offset, 0), i + max(offset, 0)


class Diagonal(Op):
    """The entries (i, i + offset) of the matrices spanned by dims dim1, dim2, as a new last
    dim (a copy)."""

    def forward(ctx, x, offset, dim1, dim2):
        ctx.in_shape, ctx.where = x.shape, (offset, dim1, dim2)
        xp = array_module(x)
        matrices = xp.moveaxis(x, (dim1, dim2), (-2, -1))
        rows, cols = _diagonal_index(xp, *matrices.shape[-2:], offset)
        return matrices[..., rows, cols]

    def backward(ctx, g):
        return DiagEmbed.apply(g, ctx.in_shape, *ctx.where)


class DiagEmbed(Op):
    """Zeros of `shape` with the last dim of d written on the diagonal `offset` of dims dim1,
    dim2."""

    def forward(ctx, d, shape, offset, dim1, dim2):
        ctx.where = (offset, dim1, dim2)
        xp = array_module(d)
        out = xp.zeros(shape, d.dtype)
        matrices = xp.moveaxis(out, (dim1, dim2), (-2, -1))  # a view: writing fills out
        rows, cols = _diagonal_index(xp, *matrices.shape[-2:], offset)
        matrices[..., rows, cols] = d
        return out

    def backward(ctx, g):
        return Diagonal.apply(g, *ctx.where)


def _two_dims(name, dim1, dim2, ndim):
    d1, d2 = normalize_dim(name, dim1, ndim), normalize_dim(name, dim2, ndim)
    if d1 == d2:
        raise ValueError(f"{name}: dim1 and dim2 must be different dims, both are {d1}")
    return d1, d2


@tensor_method
def diagonal(input, offset=0, dim1=0, dim2=1):
    """The diagonal `offset` of the matrices in dims dim1, dim2, as the last dim."""
    if input.ndim < 2:
        raise ValueError(f"diagonal: expected a tensor with at least 2 dims, got shape "
                         f"{input.shape}")
    return Diagonal.apply(input, offset, *_two_dims("diagonal", dim1, dim2, input.ndim))


@tensor_method
def diag_embed(input, offset=0, dim1=-2, dim2=-1):
    """Matrices (in dims dim1, dim2 of the result) with the last dim of input on their
    diagonal `offset`, zeros elsewhere."""
    d1, d2 = _two_dims("diag_embed", dim1, dim2, input.ndim + 1)
    n = input.shape[-1] + abs(offset)
    batch = iter(input.shape[:-1])
    shape = tuple(n if i in (d1, d2) else next(batch) for i in range(input.ndim + 1))
    return DiagEmbed.apply(input, shape, offset, d1, d2)


@tensor_method
def diag(input, diagonal=0):
    """A vector's square matrix (the vector on diagonal `diagonal`), or a matrix's diagonal."""
    if input.ndim == 1:
        return diag_embed(input, diagonal, 0, 1)
    if input.ndim == 2:
        return Diagonal.apply(input, diagonal, 0, 1)
    raise ValueError(f"diag: expected a 1-D or 2-D tensor, got shape {input.shape}")


@tensor_method
def trace(input):
    """The sum of a matrix's main diagonal."""
    if input.ndim != 2:
        raise ValueError(f"trace: expected a 2-D tensor, got shape {input.shape}")
    return sum(Diagonal.apply(input, 0, 0, 1))
