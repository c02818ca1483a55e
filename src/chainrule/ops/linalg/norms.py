"""Vector and matrix norms (torch.linalg's), built from reductions and singular values, so their
gradients come from those."""
import math

from ..reduce import amax, amin, dims_of
from ..reduce import norm as p_norm
from ..reduce import sum
from ..shape import movedim, unsqueeze
from ..elementwise import abs
from .decompositions import svdvals


def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    """(sum |x|^ord)^(1/ord) over `dim` (all dims by default, as one flat vector); ord inf/-inf
    is the largest/smallest |x|, ord 0 the number of nonzeros."""
    if isinstance(ord, str):
        raise ValueError(f"vector_norm: ord must be a number, got {ord!r}")
    return p_norm(x, ord, dim, keepdim, dtype)


_MATRIX_ORDS = ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf)


def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    """A matrix norm over the two dims `dim`: 'fro' (of the entries), 'nuc' (sum of singular
    values), 2 / -2 (largest / smallest singular value), 1 / -1 (largest / smallest column sum
    of |A|), inf / -inf (largest / smallest row sum of |A|)."""
    if ord not in _MATRIX_ORDS:
        raise ValueError(f"matrix_norm: ord must be one of {_MATRIX_ORDS}, got {ord!r}")
    if A.ndim < 2 or not isinstance(dim, (tuple, list)) or len(dim) != 2:
        raise ValueError(f"matrix_norm: expected a tensor with at least 2 dims and dim a pair "
                         f"of dims, got shape {A.shape} and dim={dim!r}")
    if dtype is not None:
        A = A.to(dtype)
    dims_of("matrix_norm", dim, A.ndim)  # (checks them)
    rows, cols = (d % A.ndim for d in dim)
    if ord == "fro":
        return p_norm(A, 2, (rows, cols), keepdim)
    if ord in (1, -1, math.inf, -math.inf):
        summed, over = (rows, cols) if ord in (1, -1) else (cols, rows)
        pick = amax if ord > 0 else amin
        out = pick(sum(abs(A), summed, keepdim=True), over, keepdim=True)
    else:
        s = svdvals(movedim(A, (rows, cols), (-2, -1)))
        out = sum(s, -1) if ord == "nuc" else amax(s, -1) if ord == 2 else amin(s, -1)
        out = unsqueeze(unsqueeze(out, min(rows, cols)), max(rows, cols))
    return out if keepdim else out.squeeze((rows, cols))


def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    """torch.linalg.norm: a vector norm when dim is an int (or A is 1-D), a matrix norm when dim
    is a pair (or A is 2-D); with neither ord nor dim, the 2-norm of all entries."""
    if dim is None and ord is None:
        return vector_norm(A, 2, None, keepdim, dtype=dtype)
    if dim is None:
        if A.ndim not in (1, 2):
            raise ValueError(f"norm: with ord given and no dim, the tensor must be 1-D or 2-D, "
                             f"got shape {A.shape}")
        dim = (0, 1) if A.ndim == 2 else 0
    if isinstance(dim, (tuple, list)) and len(dim) == 2:
        return matrix_norm(A, "fro" if ord is None else ord, dim, keepdim, dtype=dtype)
    return vector_norm(A, 2 if ord is None else ord, dim, keepdim, dtype=dtype)
