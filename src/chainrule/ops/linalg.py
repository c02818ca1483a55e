"""Matrix products."""
from ..autograd.function import Op
from ..backend import array_module
from .elementwise import binary
from .shape import reshape, unsqueeze, squeeze, transpose

__all__ = ["matmul", "mm", "bmm"]
METHODS = ["matmul", "mm", "bmm"]


class MatMul(Op):
    """C = A @ B over (broadcast) batches of matrices: dA = dC @ B^T, dB = A^T @ dC."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a, b).matmul(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = matmul(g, transpose(b, -1, -2)) if ctx.needs_input_grad[0] else None
        gb = matmul(transpose(a, -1, -2), g) if ctx.needs_input_grad[1] else None
        return ga, gb


def matmul(a, b):
    """`a @ b` for every rank PyTorch accepts: 1-D vectors are promoted to a matrix and the
    added dim removed after; leading (batch) dims broadcast."""
    a, b = binary(a, b)
    if a.ndim == 0 or b.ndim == 0:
        raise ValueError(f"matmul: both operands need at least one dimension, got shapes "
                         f"{a.shape} and {b.shape}")
    if a.shape[-1] != b.shape[-2 if b.ndim > 1 else 0]:
        raise ValueError(f"matmul: shapes {a.shape} and {b.shape} do not line up: "
                         f"{a.shape[-1]} != {b.shape[-2 if b.ndim > 1 else 0]}")
    if a.ndim == 1 and b.ndim == 1:
        return reshape(MatMul.apply(reshape(a, (1, -1)), reshape(b, (-1, 1))), ())
    if a.ndim == 1:
        return squeeze(MatMul.apply(unsqueeze(a, 0), b), -2)
    if b.ndim == 1:
        return squeeze(MatMul.apply(a, unsqueeze(b, -1)), -1)
    try:
        return MatMul.apply(a, b)
    except ValueError:
        raise ValueError(f"matmul: batch dims of shapes {a.shape} and {b.shape} do not "
                         "broadcast") from None


def mm(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: expected two 2-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


def bmm(a, b):
    if a.ndim != 3 or b.ndim != 3:
        raise ValueError(f"bmm: expected two 3-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)
