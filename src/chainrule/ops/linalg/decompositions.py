"""Inverses, determinants, solves and decompositions of (batches of) matrices, each beside its
matrix-calculus derivative. Every backward is written with ops (products, inverses, solves), so
second derivatives come for free. Batch dims lead; the matrices are the last two dims."""
from collections import namedtuple

from ...autograd.function import Op
from ...autograd.grad_mode import is_grad_enabled
from ...backend import array_module
from ...tensor import Tensor, tensor_method
from ..elementwise import _raw, binary, log, scale_by
from ..shape import cat, squeeze, transpose, unsqueeze
from .diagonals import diag_embed
from .products import MatMul

__all__ = ["inverse", "det", "logdet", "slogdet", "cholesky"]

_slogdet = namedtuple("slogdet", ["sign", "logabsdet"])
_qr = namedtuple("qr", ["Q", "R"])
_svd = namedtuple("svd", ["U", "S", "Vh"])
_eigh = namedtuple("eigh", ["eigenvalues", "eigenvectors"])


def _mT(x):
    return transpose(x, -1, -2)


def _mm(*factors):
    out = factors[0]
    for f in factors[1:]:
        out = MatMul.apply(out, f)
    return out


def _xp(g):
    return array_module(_raw(g))


def _linalg_error(name, what):
    """A function that calls forward and turns NumPy's LinAlgError into a sentence."""
    def run(compute, *args):
        try:
            return compute(*args)
        except array_module(*(a for a in args if hasattr(a, "shape"))).linalg.LinAlgError:
            raise ValueError(f"{name}: {what}") from None
    return run


def _square(name, A):
    if A.ndim < 2 or A.shape[-1] != A.shape[-2]:
        raise ValueError(f"{name}: expected a square matrix or a batch of them (..., n, n), "
                         f"got shape {A.shape}")
    if A.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point tensor, got {A.dtype}")


def _matrices(name, A):
    if A.ndim < 2:
        raise ValueError(f"{name}: expected a matrix or a batch of them (..., m, n), got shape "
                         f"{A.shape}")
    if A.dtype.kind != "f":
        raise TypeError(f"{name}: expected a floating-point tensor, got {A.dtype}")


# ---- inverse and determinant ------------------------------------------------------------------
class Inv(Op):
    """Y = A^-1: dA = -Y^T g Y^T."""
    _run = staticmethod(_linalg_error("inv", "the matrix is singular (not invertible)"))

    def forward(ctx, A):
        Y = ctx._run(array_module(A).linalg.inv, A)
        ctx.save_for_backward(Y)
        return Y

    def backward(ctx, g):
        Y, = ctx.saved_like(g)
        return -_mm(_mT(Y), g, _mT(Y))


def inv(A):
    """The inverse of each square matrix."""
    _square("inv", A)
    return Inv.apply(A)


@tensor_method
def inverse(input):
    _square("inverse", input)
    return Inv.apply(input)


class Det(Op):
    """d = det A: dA = g d A^-T (Jacobi's formula)."""

    def forward(ctx, A):
        d = array_module(A).linalg.det(A)
        ctx.save_for_backward(A, d)
        return d

    def backward(ctx, g):
        A, d = ctx.saved_like(g)
        return (g * d)[..., None, None] * _mT(Inv.apply(A))


@tensor_method
def det(A):
    """The determinant of each square matrix (its gradient needs an invertible matrix)."""
    _square("det", A)
    return Det.apply(A)


class SlogDet(Op):
    """(sign, log|det A|): d log|det A| = g A^-T; the sign is piecewise constant (its gradient
    is zero, as in PyTorch)."""

    def forward(ctx, A):
        sign, logabsdet = array_module(A).linalg.slogdet(A)
        ctx.save_for_backward(A)
        return sign, logabsdet

    def backward(ctx, g_sign, g_logabsdet):
        A, = ctx.saved_like(g_logabsdet)
        return g_logabsdet[..., None, None] * _mT(Inv.apply(A))


@tensor_method
def slogdet(A):
    """(sign, logabsdet) of each square matrix: det A = sign * exp(logabsdet), without
    overflow."""
    _square("slogdet", A)
    return _slogdet(*SlogDet.apply(A))


@tensor_method
def logdet(input):
    """log det A (NaN where det A < 0)."""
    return log(det(input))


# ---- solving A X = B ----------------------------------------------------------------------------
class Solve(Op):
    """X = A^-1 B: dB = A^-T g, dA = -dB X^T."""
    _run = staticmethod(_linalg_error("solve", "the matrix A is singular (not invertible)"))

    def forward(ctx, A, B):
        X = ctx._run(array_module(A, B).linalg.solve, A, B)
        ctx.save_for_backward(A, X)
        return X

    def backward(ctx, g):
        A, X = ctx.saved_like(g)
        gB = Solve.apply(_mT(A), g)
        return (-MatMul.apply(gB, _mT(X)) if ctx.needs_input_grad[0] else None,
                gB if ctx.needs_input_grad[1] else None)


def solve(A, B, *, left=True):
    """X with A X = B (left=True) or X A = B (left=False). B is a (batch of) matrices, or of
    vectors when it is 1-D or has A's shape without the last dim."""
    A, B = binary(A, B)
    _square("solve", A)
    vector = left and (B.ndim == 1 or (B.ndim == A.ndim - 1 and B.shape == A.shape[:-1]))
    rows = B.shape[-1] if vector else B.shape[-2 if left else -1] if B.ndim > 1 else None
    if rows != A.shape[-1] or (not vector and B.ndim < 2):
        raise ValueError(f"solve: A of shape {A.shape} and B of shape {B.shape} do not fit "
                         f"(B needs {A.shape[-1]} {'rows' if left else 'columns'})")
    if vector:
        return squeeze(Solve.apply(A, unsqueeze(B, -1)), -1)
    return Solve.apply(A, B) if left else _mT(Solve.apply(_mT(A), _mT(B)))


# ---- Cholesky ------------------------------------------------------------------------------------
class Cholesky(Op):
    """A = L L^T for a symmetric positive-definite A, L lower triangular. With P = Φ(L^T g)
    (the lower triangle, its diagonal halved): dA = L^-T P L^-1, symmetrized (only the
    symmetric part of a perturbation of A keeps it symmetric)."""
    _run = staticmethod(_linalg_error("cholesky", "the matrix is not positive-definite"))

    def forward(ctx, A):
        L = ctx._run(array_module(A).linalg.cholesky, A)
        ctx.save_for_backward(L)
        return L

    def backward(ctx, g):
        L, = ctx.saved_like(g)
        xp, n = _xp(g), L.shape[-1]
        lower_half_diagonal = xp.tril(xp.ones((n, n), g.dtype), -1) + 0.5 * xp.eye(n, dtype=g.dtype)
        inv_L = Inv.apply(L)
        gA = _mm(_mT(inv_L), scale_by(_mm(_mT(L), g), lower_half_diagonal), inv_L)
        return 0.5 * (gA + _mT(gA))


@tensor_method
def cholesky(A, upper=False):
    """The Cholesky factor of each symmetric positive-definite matrix: lower L with A = L L^T,
    or upper U = L^T with A = U^T U. (Only the lower triangle of A is read.)"""
    _square("cholesky", A)
    L = Cholesky.apply(A)
    return _mT(L) if upper else L


# ---- QR ------------------------------------------------------------------------------------------
class QR(Op):
    """A = Q R, Q with orthonormal columns, R upper triangular, for m >= n (reduced). With
    M = R gR^T - gQ^T Q and copyltu(M) its lower triangle mirrored to the upper:
    dA = (gQ + Q copyltu(M)) R^-T."""

    def forward(ctx, A):
        Q, R = array_module(A).linalg.qr(A, mode="reduced")
        ctx.save_for_backward(Q, R)
        return Q, R

    def backward(ctx, gQ, gR):
        Q, R = ctx.saved_like(gQ)
        xp, n = _xp(gQ), R.shape[-1]
        M = MatMul.apply(R, _mT(gR)) - MatMul.apply(_mT(gQ), Q)
        copyltu = scale_by(M, xp.tril(xp.ones((n, n), bool))) + \
            _mT(scale_by(M, xp.tril(xp.ones((n, n), bool), -1)))
        b = gQ + MatMul.apply(Q, copyltu)
        return _mT(Solve.apply(R, _mT(b)))  # b R^-T


def qr(A, mode="reduced"):
    """(Q, R) with A = Q R. mode 'reduced': Q (m, k), R (k, n), k = min(m, n); 'complete': Q
    (m, m), R (m, n); 'r': R only (Q empty)."""
    _matrices("qr", A)
    if mode not in ("reduced", "complete", "r"):
        raise ValueError(f"qr: mode must be 'reduced', 'complete' or 'r', got {mode!r}")
    m, n = A.shape[-2:]
    if mode == "complete" and m > n:
        if A.requires_grad and is_grad_enabled():
            raise ValueError("qr: mode='complete' with more rows than columns has no gradient "
                             "(Q's extra columns are not unique); use mode='reduced'")
        return _qr(*map(Tensor.wrap, array_module(A.array).linalg.qr(A.array, mode="complete")))
    if m >= n:
        Q, R = QR.apply(A)
    else:  # A = [X | Y] with X square: X = Q U, and then R = [U | Q^T Y]
        Q, U = QR.apply(A[..., :m])
        R = cat([U, MatMul.apply(_mT(Q), A[..., m:])], -1)
    if mode == "r":
        return _qr(Tensor.wrap(array_module(A.array).zeros((0,), A.dtype)), R)
    return _qr(Q, R)


# ---- singular values and symmetric eigenvalues ------------------------------------------------
def _skew(X):
    return X - _mT(X)


class SVD(Op):
    """A = U diag(S) Vh. For the k = min(m, n) leading singular vectors, with
    E[i, j] = S_j^2 - S_i^2 (1 on the diagonal):
    inner = (skew(U^T gU) S_j + S_i skew(V^T gV)) / E + diag(gS), dA = U inner Vh, plus, when
    m > n, (I - U U^T) gU S^-1 Vh (and its transpose's twin when m < n). Singular values must be
    distinct (and nonzero, for the extra term) for the gradient to exist."""

    def forward(ctx, A, full_matrices):
        U, S, Vh = array_module(A).linalg.svd(A, full_matrices=full_matrices)
        ctx.save_for_backward(U, S, Vh)
        return U, S, Vh

    def backward(ctx, gU, gS, gVh):
        U, S, Vh = ctx.saved_like(gS)
        m, n, k = U.shape[-2], Vh.shape[-1], S.shape[-1]
        U, gU, Vh, gVh = U[..., :k], gU[..., :k], Vh[..., :k, :], gVh[..., :k, :]
        V, gV = _mT(Vh), _mT(gVh)
        Sj, Si = S[..., None, :], S[..., :, None]
        E = Sj * Sj - Si * Si + _xp(gS).eye(k, dtype=gS.dtype)
        inner = (_skew(MatMul.apply(_mT(U), gU)) * Sj + Si * _skew(MatMul.apply(_mT(V), gV))) \
            / E + diag_embed(gS)
        if m > n:
            gU_over_S = gU / Sj
            return MatMul.apply(MatMul.apply(U, inner) + gU_over_S
                                - _mm(U, _mT(U), gU_over_S), Vh)
        if m < n:
            gV_over_S = gV / Sj
            return MatMul.apply(U, MatMul.apply(inner, Vh)
                                + _mT(gV_over_S - _mm(V, _mT(V), gV_over_S)))
        return _mm(U, inner, Vh)


def svd(A, full_matrices=True):
    """(U, S, Vh) with A = U diag(S) Vh, S descending. full_matrices=False gives U (m, k) and
    Vh (k, n), k = min(m, n). U and Vh are unique only up to the signs of their columns/rows."""
    _matrices("svd", A)
    return _svd(*SVD.apply(A, full_matrices))


def svdvals(A):
    """The singular values, descending."""
    _matrices("svdvals", A)
    return SVD.apply(A, False)[1]


class Eigh(Op):
    """A = Q diag(L) Q^T for a symmetric A (its lower triangle read). With
    E[i, j] = L_j - L_i (1 on the diagonal): dA = Q (skew(Q^T gQ) / (2 E) + diag(gL)) Q^T.
    Eigenvalues must be distinct for the gradient to exist."""

    def forward(ctx, A):
        L, Q = array_module(A).linalg.eigh(A)
        ctx.save_for_backward(L, Q)
        return L, Q

    def backward(ctx, gL, gQ):
        L, Q = ctx.saved_like(gL)
        n = L.shape[-1]
        E = L[..., None, :] - L[..., :, None] + _xp(gL).eye(n, dtype=gL.dtype)
        inner = _skew(MatMul.apply(_mT(Q), gQ)) / (2 * E) + diag_embed(gL)
        return _mm(Q, inner, _mT(Q))


def eigh(A, UPLO="L"):
    """(eigenvalues ascending, eigenvectors as columns) of each symmetric matrix, read from its
    lower (UPLO='L') or upper ('U') triangle. Eigenvectors are unique only up to sign."""
    _square("eigh", A)
    if UPLO not in ("L", "U"):
        raise ValueError(f"eigh: UPLO must be 'L' or 'U', got {UPLO!r}")
    return _eigh(*Eigh.apply(A if UPLO == "L" else _mT(A)))


def eigvalsh(A, UPLO="L"):
    """The eigenvalues of each symmetric matrix, ascending."""
    return eigh(A, UPLO).eigenvalues
