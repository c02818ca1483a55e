"""Linear algebra. This package is `cr.linalg`, torch.linalg's functions; the functions it also
gives to `cr` itself (matrix products, determinants, diagonals) are those in `__all__`.

Two names mean different things in the two places, as in PyTorch: `cr.linalg.cross` takes
dim=-1 (cr.cross the first dim of size 3), and `cr.linalg.diagonal` the last two dims
(cr.diagonal the first two)."""
from . import decompositions, diagonals, norms, products  # noqa: F401
from .decompositions import (cholesky, det, eigh, eigvalsh, inv, inverse, logdet,  # noqa: F401
                             qr, slogdet, solve, svd, svdvals)
from .decompositions import __all__ as _decompositions
from .diagonals import diag, diag_embed, trace
from .norms import matrix_norm, norm, vector_norm  # noqa: F401
from .products import *  # noqa: F401,F403
from .products import __all__ as _products
from .products import cross as _cross

__all__ = [n for n in _products if n != "cross"] + _decompositions + ["diag", "diag_embed",
                                                                      "trace"]


def cross(input, other, *, dim=-1):
    """The cross product of 3-vectors along `dim` (the last by default)."""
    return _cross(input, other, dim)


def diagonal(A, *, offset=0, dim1=-2, dim2=-1):
    """The diagonal `offset` of each matrix in the last two dims (or dim1, dim2)."""
    return diagonals.diagonal(A, offset, dim1, dim2)
