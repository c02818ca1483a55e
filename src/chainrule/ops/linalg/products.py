"""Matrix products, and Einstein summation (which every product here is a case of)."""
import string

import numpy as np

from ...autograd.function import Op
from ...backend import array_module
from ...tensor import Tensor, tensor_method
from ..elementwise import _raw, binary, operands as promoted, where
from ..reduce import norm
from ..shape import broadcast_to, normalize_dim, reshape, roll, squeeze, transpose, unsqueeze

__all__ = ["matmul", "mm", "bmm", "mv", "addmm", "addmv", "baddbmm", "addbmm", "outer", "dot",
           "kron", "cross", "cdist", "einsum"]


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
    _line_up("matmul", a, b)
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


def _line_up(name, a, b):
    """Raises unless a's last dim has the length of b's rows (of b itself when b is a vector)."""
    inner_a, inner_b = a.shape[-1], b.shape[-2 if b.ndim > 1 else 0]
    if inner_a != inner_b:
        raise ValueError(f"{name}: shapes {a.shape} and {b.shape} do not line up: "
                         f"{inner_a} != {inner_b}")


def _expect_ranks(name, a, b, ranks, what):
    """Raises unless a and b have the numbers of dims `ranks` (`what`, in words)."""
    if (a.ndim, b.ndim) != ranks:
        raise ValueError(f"{name}: expected {what}, got shapes {a.shape} and {b.shape}")


@tensor_method
def mm(input, mat2):
    """The product of two matrices (no broadcasting, unlike matmul)."""
    _expect_ranks("mm", input, mat2, (2, 2), "two 2-D tensors")
    _line_up("mm", input, mat2)
    return matmul(input, mat2)


@tensor_method
def bmm(input, mat2):
    """The products of two same-size batches of matrices (no broadcasting)."""
    _expect_ranks("bmm", input, mat2, (3, 3), "two 3-D tensors")
    if input.shape[0] != mat2.shape[0]:
        raise ValueError(f"bmm: the batches have different sizes, {input.shape[0]} and "
                         f"{mat2.shape[0]} (shapes {input.shape} and {mat2.shape})")
    _line_up("bmm", input, mat2)
    return matmul(input, mat2)


@tensor_method
def mv(input, vec):
    """The product of a matrix and a vector."""
    _expect_ranks("mv", input, vec, (2, 1), "a 2-D matrix and a 1-D vector")
    _line_up("mv", input, vec)
    return matmul(input, vec)


def _scaled_sum(input, product, beta, alpha):
    """beta * input + alpha * product; with beta = 0 input is ignored (its NaNs too), and
    its gradient is zero."""
    product = product if alpha == 1 else product * alpha
    if beta == 0:
        return product + where(False, input, 0)
    return (input if beta == 1 else input * beta) + product


@tensor_method
def addmm(input, mat1, mat2, *, beta=1, alpha=1):
    """beta * input + alpha * (mat1 @ mat2), input broadcasting to the product's shape."""
    return _scaled_sum(input, mm(mat1, mat2), beta, alpha)


@tensor_method
def addmv(input, mat, vec, *, beta=1, alpha=1):
    """beta * input + alpha * (mat @ vec)."""
    return _scaled_sum(input, mv(mat, vec), beta, alpha)


@tensor_method
def baddbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * bmm(batch1, batch2), batch by batch."""
    return _scaled_sum(input, bmm(batch1, batch2), beta, alpha)


@tensor_method
def addbmm(input, batch1, batch2, *, beta=1, alpha=1):
    """beta * input + alpha * (the sum over the batch of bmm(batch1, batch2))."""
    return _scaled_sum(input, bmm(batch1, batch2).sum(0), beta, alpha)


@tensor_method
def outer(a, b):
    """The outer product of two vectors: out[i, j] = a[i] * b[j]."""
    _expect_ranks("outer", a, b, (1, 1), "two 1-D tensors")
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


@tensor_method
def dot(a, b):
    """The inner product of two vectors of the same length."""
    _expect_ranks("dot", a, b, (1, 1), "two 1-D tensors")
    if a.shape != b.shape:
        raise ValueError(f"dot: the vectors have different lengths, {a.shape[0]} and "
                         f"{b.shape[0]}")
    return matmul(a, b)


@tensor_method
def kron(input, other):
    """The Kronecker product: block (i, j) of the result is input[i, j] * other, in any rank
    (the smaller operand gets leading 1s). Built as a broadcast product, so it differentiates
    like one: (a0, a1) and (b0, b1) -> (a0, 1, a1, 1) * (1, b0, 1, b1) -> (a0*b0, a1*b1)."""
    ndim = max(input.ndim, other.ndim)
    a = (1,) * (ndim - input.ndim) + input.shape
    b = (1,) * (ndim - other.ndim) + other.shape
    blocks = reshape(input, tuple(s for n in a for s in (n, 1))) * \
        reshape(other, tuple(s for n in b for s in (1, n)))
    return reshape(blocks, tuple(m * n for m, n in zip(a, b)))


@tensor_method
def cross(input, other, dim=None):
    """The cross product of 3-vectors along `dim` (operands broadcast). Without dim, along the
    first dim of size 3, as torch.cross; torch.linalg.cross takes dim=-1."""
    input, other = binary(input, other)
    try:
        shape = np.broadcast_shapes(input.shape, other.shape)
    except ValueError:
        raise ValueError(f"cross: shapes {input.shape} and {other.shape} do not "
                         "broadcast") from None
    if dim is None:
        dim = next((d for d, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise ValueError(f"cross: no dim of size 3 in the shape {shape}")
    d = normalize_dim("cross", dim, len(shape))
    if shape[d] != 3:
        raise ValueError(f"cross: dim {dim} must have size 3, got size {shape[d]} "
                         f"(shape {shape})")
    a, b = broadcast_to(input, shape), broadcast_to(other, shape)
    # (a x b)_i = a_{i+1} b_{i+2} - a_{i+2} b_{i+1}, indices mod 3: rolls line them up
    return roll(a, -1, d) * roll(b, -2, d) - roll(a, -2, d) * roll(b, -1, d)


def cdist(x1, x2, p=2.0, compute_mode=None):
    """The p-norm distance between each row of x1 (..., P, M) and each row of x2 (..., R, M):
    shape (..., P, R), batch dims broadcast. compute_mode is accepted for PyTorch's signature;
    distances are always taken directly, never through a matrix product."""
    if x1.ndim < 2 or x2.ndim < 2 or x1.shape[-1] != x2.shape[-1]:
        raise ValueError(f"cdist: expected x1 (..., P, M) and x2 (..., R, M) with the same M, "
                         f"got shapes {x1.shape} and {x2.shape}")
    if p < 0:
        raise ValueError(f"cdist: p must be non-negative, got {p}")
    return norm(unsqueeze(x1, -2) - unsqueeze(x2, -3), p, dim=-1)


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
