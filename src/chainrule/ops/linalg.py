"""Matrix products, and Einstein summation (which every product here is a case of)."""
import string

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor, tensor_method
from .elementwise import _raw, binary, operands as promoted
from .shape import broadcast_to, reshape, unsqueeze, squeeze, transpose

__all__ = ["matmul", "mm", "bmm", "outer", "dot", "einsum"]


class MatMul(Op):
    """C = A @ B over (broadcast) batches of matrices: dA = dC @ B^T, dB = A^T @ dC."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a, b).matmul(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_like(g)
        ga = MatMul.apply(g, transpose(b, -1, -2)) if ctx.needs_input_grad[0] else None
        gb = MatMul.apply(transpose(a, -1, -2), g) if ctx.needs_input_grad[1] else None
        return ga, gb


@tensor_method("matmul", "__matmul__")
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


@tensor_method("__rmatmul__")
def rmatmul(a, b):
    return matmul(b, a)


@tensor_method
def mm(a, b):
    if a.ndim != 2 or b.ndim != 2:
        raise ValueError(f"mm: expected two 2-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


@tensor_method
def bmm(a, b):
    if a.ndim != 3 or b.ndim != 3:
        raise ValueError(f"bmm: expected two 3-D tensors, got shapes {a.shape} and {b.shape}")
    return matmul(a, b)


@tensor_method
def outer(a, b):
    """The outer product of two vectors: out[i, j] = a[i] * b[j]."""
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"outer: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


@tensor_method
def dot(a, b):
    """The inner product of two vectors of the same length."""
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f"dot: expected two 1-D tensors, got shapes {a.shape} and {b.shape}")
    if a.shape != b.shape:
        raise ValueError(f"dot: the vectors have different lengths, {a.shape[0]} and "
                         f"{b.shape[0]}")
    return matmul(a, b)


# ---- einsum -----------------------------------------------------------------------------------
_LETTERS = string.ascii_letters
_PLAN_ABOVE = 4096  # elements; below this, planning a contraction order costs more than it saves


class Einsum(Op):
    """out = einsum(inputs -> output), the subscripts fully explicit (no '...').

    Each operand's gradient is one more einsum: the upstream gradient contracted with the other
    operands, into that operand's subscripts. A subscript repeated within the operand (a
    diagonal, as in 'ii') gets a fresh letter tied to the first by an identity matrix; one that
    no other term names (summed over in this operand alone) is broadcast back along."""

    def forward(ctx, *arrays, inputs, output):
        ctx.inputs, ctx.output = inputs, output
        ctx.sizes = {}  # each letter's size, after broadcasting size-1 dims
        for subs, a in zip(inputs, arrays):
            for letter, n in zip(subs, a.shape):
                if ctx.sizes.get(letter, 1) == 1:
                    ctx.sizes[letter] = n
        ctx.save_for_backward(*arrays)
        plan = len(arrays) > 2 or (len(arrays) == 2 and
                                   arrays[0].size + arrays[1].size > _PLAN_ABOVE)
        return array_module(*arrays).einsum(",".join(inputs) + "->" + output, *arrays,
                                             optimize=plan)

    def backward(ctx, g):
        saved = ctx.saved_like(g)
        return tuple(_einsum_grad(ctx, k, g, saved) if need else None
                     for k, need in enumerate(ctx.needs_input_grad))


def _einsum_grad(ctx, k, g, saved):
    subs = ctx.inputs[k]
    terms = [ctx.output] + [s for j, s in enumerate(ctx.inputs) if j != k]
    tensors = [g] + [t for j, t in enumerate(saved) if j != k]
    taken = set("".join(ctx.inputs) + ctx.output)
    fresh = (c for c in _LETTERS if c not in taken)
    xp = array_module(_raw(g))
    target = ""
    for letter in subs:
        if letter in target:  # a diagonal (x_ii): the gradient lands on it, through eye(n)
            tied = next(fresh)
            terms.append(letter + tied)
            tensors.append(xp.eye(ctx.sizes[letter], dtype=g.dtype))
            target += tied
        else:
            target += letter
    named = set("".join(terms))
    grad = Einsum.apply(*tensors, inputs=tuple(terms),
                        output="".join(c for c in target if c in named))
    full = tuple(ctx.sizes[c] for c in subs)
    if len(grad.shape) < len(full):  # letters summed in this operand alone: broadcast along them
        grad = reshape(grad, tuple(n if c in named else 1 for c, n in zip(target, full)))
    return broadcast_to(grad, full)


def _explicit(equation, shapes):
    """The subscripts of each operand and of the output, with '...' replaced by fresh letters
    (right-aligned, so that batch dims broadcast) and the implicit output written out: the
    '...' dims, then every letter used once, in alphabetical order."""
    lhs, arrow, rhs = equation.replace(" ", "").partition("->")
    terms = lhs.split(",")
    if len(terms) != len(shapes):
        raise ValueError(f"einsum: the equation '{equation}' has subscripts for {len(terms)} "
                         f"operand(s), but {len(shapes)} were given")
    letters = set(lhs + rhs) - set(".,")
    if not letters <= set(_LETTERS):
        raise ValueError(f"einsum: subscripts must be letters a-z, A-Z (and '...'), got "
                         f"{sorted(letters - set(_LETTERS))} in '{equation}'")
    ranks = []  # how many dims each operand's '...' stands for
    for i, (term, shape) in enumerate(zip(terms, shapes)):
        named = len(term.replace("...", ""))
        if named > len(shape) or ("..." not in term and named != len(shape)):
            raise ValueError(f"einsum: operand {i} has {len(shape)} dim(s) (shape "
                             f"{tuple(shape)}) but its subscripts '{term}' name {named}")
        ranks.append(len(shape) - named if "..." in term else 0)
    width = max(ranks, default=0)
    ellipsis = "".join(c for c in _LETTERS if c not in letters)[:width]
    inputs = tuple(t.replace("...", ellipsis[width - r:]) for t, r in zip(terms, ranks))
    if arrow:
        return inputs, rhs.replace("...", ellipsis)
    once = sorted(c for c in letters if lhs.count(c) == 1)
    return inputs, ellipsis + "".join(once)


def einsum(equation, *operands):
    """Einstein summation, as torch.einsum: 'ij,jk->ik' is a matrix product, 'ii' a trace,
    'bij,bjk->bik' a batched product, '...ij->...ji' a transpose of the last two dims. The
    operands may also come as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        operands = tuple(operands[0])
    tensors = promoted(*(t if isinstance(t, Tensor) else Tensor(t) for t in operands))
    inputs, output = _explicit(equation, [t.shape for t in tensors])
    try:
        return Einsum.apply(*tensors, inputs=inputs, output=output)
    except ValueError as e:
        shapes = ", ".join(str(t.shape) for t in tensors)
        raise ValueError(f"einsum: '{equation}' does not fit operands of shapes {shapes}: "
                         f"{e}") from None
