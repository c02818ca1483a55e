"""Products, diagonals, decompositions and norms against PyTorch in float64: forward, first and
second derivatives, finite differences; decompositions on well-conditioned inputs, and through
quantities that do not depend on the arbitrary signs of singular and eigen vectors."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op


def _spd(m, a):
    """A symmetric positive-definite matrix (batch) made from a: a a^T + n I."""
    n = a.shape[-1]
    return a @ a.transpose(-1, -2) + n * m.eye(n, dtype=a.dtype)


# ---- products -----------------------------------------------------------------------------------
PRODUCTS = {
    "mv": (lambda m, a, v: m.mv(a, v) + a.mv(v), [(3, 4), (4,)]),
    "addmm": (lambda m, c, a, b: m.addmm(c, a, b, beta=0.5, alpha=2.0), [(3, 1), (3, 4), (4, 2)]),
    "addmm method": (lambda m, c, a, b: c.addmm(a, b), [(3, 2), (3, 4), (4, 2)]),
    "addmm beta 0": (lambda m, c, a, b: m.addmm(c, a, b, beta=0), [(3, 2), (3, 4), (4, 2)]),
    "addmv": (lambda m, c, a, v: m.addmv(c, a, v, beta=2, alpha=-1), [(3,), (3, 4), (4,)]),
    "baddbmm": (lambda m, c, a, b: m.baddbmm(c, a, b, beta=0.5, alpha=3), [(1, 3, 2), (2, 3, 4),
                                                                           (2, 4, 2)]),
    "addbmm": (lambda m, c, a, b: c.addbmm(a, b, alpha=2), [(3, 2), (2, 3, 4), (2, 4, 2)]),
    "kron": (lambda m, a, b: m.kron(a, b), [(2, 3), (3, 2)]),
    "kron ranks": (lambda m, a, b: a.kron(b), [(2,), (2, 1, 3)]),
    "cross": (lambda m, a, b: m.cross(a, b, dim=1), [(2, 3), (1, 3)]),
    "cross first size-3 dim": (lambda m, a, b: a.cross(b), [(4, 3), (4, 3)]),
    "linalg.cross": (lambda m, a, b: m.linalg.cross(a, b), [(3, 2, 3), (3, 2, 3)]),
    "cdist": (lambda m, a, b: m.cdist(a, b), [(4, 3), (5, 3)]),
    "cdist p=1 batched": (lambda m, a, b: m.cdist(a, b, p=1), [(2, 4, 3), (1, 5, 3)]),
    "cdist p=3": (lambda m, a, b: m.cdist(a, b, p=3.0), [(4, 3), (2, 3)]),
    "cdist p=inf": (lambda m, a, b: m.cdist(a, b, p=math.inf), [(4, 3), (2, 3)]),
}


@pytest.mark.parametrize("name", PRODUCTS)
def test_products(name):
    fn, shapes = PRODUCTS[name]
    # torch's cdist has no second derivative to compare with
    check_op(fn, shapes, name=name, gradgrad=not name.startswith("cdist"))


def test_cdist_p0_counts_differences():
    a, b = np.array([[0.0, 1.0, 2.0]]), np.array([[0.0, 1.0, 3.0], [1.0, 1.0, 3.0]])
    np.testing.assert_array_equal(cr.cdist(cr.tensor(a), cr.tensor(b), p=0).numpy(),
                                  torch.cdist(torch.tensor(a), torch.tensor(b), p=0).numpy())


def test_product_errors_say_what_does_not_fit():
    with pytest.raises(ValueError, match=r"^mm: shapes \(2, 3\) and \(4, 5\) do not line up: "
                                         r"3 != 4$"):
        cr.mm(cr.zeros(2, 3), cr.zeros(4, 5))
    with pytest.raises(ValueError, match="bmm: the batches have different sizes, 2 and 3"):
        cr.bmm(cr.zeros(2, 3, 4), cr.zeros(3, 4, 5))
    with pytest.raises(ValueError, match=r"mv: shapes \(2, 3\) and \(4,\) do not line up"):
        cr.mv(cr.zeros(2, 3), cr.zeros(4))
    with pytest.raises(ValueError, match="mv: expected a 2-D matrix and a 1-D vector"):
        cr.mv(cr.zeros(2, 3), cr.zeros(3, 1))
    with pytest.raises(ValueError, match="cross: dim 0 must have size 3, got size 2"):
        cr.cross(cr.zeros(2, 3), cr.zeros(2, 3), dim=0)
    with pytest.raises(ValueError, match="cdist: p must be non-negative"):
        cr.cdist(cr.zeros(2, 3), cr.zeros(2, 3), p=-1)


# ---- diagonals ----------------------------------------------------------------------------------
DIAGONALS = {
    "diag of a vector": (lambda m, v: m.diag(v), [(3,)]),
    "diag above": (lambda m, v: v.diag(2), [(3,)]),
    "diag below": (lambda m, v: m.diag(v, -1), [(3,)]),
    "diag of a matrix": (lambda m, a: m.diag(a, 1), [(3, 4)]),
    "diag of a tall matrix below": (lambda m, a: a.diag(-2), [(4, 3)]),
    "diagonal": (lambda m, a: m.diagonal(a), [(3, 4, 2)]),
    "diagonal dims": (lambda m, a: a.diagonal(offset=1, dim1=2, dim2=0), [(3, 4, 2)]),
    "diagonal empty": (lambda m, a: m.diagonal(a, 5), [(3, 4)]),
    "linalg.diagonal": (lambda m, a: m.linalg.diagonal(a, offset=-1), [(2, 3, 3)]),
    "diag_embed": (lambda m, a: m.diag_embed(a), [(2, 3)]),
    "diag_embed dims": (lambda m, a: a.diag_embed(offset=1, dim1=0, dim2=2), [(2, 3)]),
    "trace": (lambda m, a: m.trace(a) + a.trace(), [(3, 4)]),
}


@pytest.mark.parametrize("name", DIAGONALS)
def test_diagonals(name):
    fn, shapes = DIAGONALS[name]
    check_op(fn, shapes, name=name)
    check_op(lambda m, x: fn(m, x) ** 2, shapes, name=f"{name} squared")


def test_diagonal_errors():
    with pytest.raises(ValueError, match="diagonal: dim1 and dim2 must be different dims"):
        cr.zeros(2, 2).diagonal(dim1=0, dim2=-2)
    with pytest.raises(ValueError, match=r"diag: expected a 1-D or 2-D tensor, got shape"):
        cr.diag(cr.zeros(2, 2, 2))
    with pytest.raises(ValueError, match="trace: expected a 2-D tensor"):
        cr.trace(cr.zeros(3))


# ---- inverse, determinant, solve ----------------------------------------------------------------
def _well_conditioned(shape, seed=0):
    """Random matrices near the identity times 2: safely invertible."""
    rng = np.random.default_rng(seed)
    return rng.uniform(-0.5, 0.5, shape) + 2 * np.eye(shape[-1])


INVERTIBLE = {
    "inv": (lambda m, a: m.linalg.inv(a), [(3, 3)]),
    "inv batched": (lambda m, a: m.linalg.inv(a), [(2, 3, 3)]),
    "inverse": (lambda m, a: m.inverse(a) + a.inverse(), [(3, 3)]),
    "det": (lambda m, a: m.linalg.det(a), [(3, 3)]),
    "det batched": (lambda m, a: m.det(a) * a.det(), [(2, 2, 3, 3)]),
    "logdet": (lambda m, a: m.logdet(a), [(3, 3)]),
    "slogdet": (lambda m, a: m.linalg.slogdet(a), [(2, 3, 3)]),
    "slogdet method": (lambda m, a: a.slogdet()[1], [(3, 3)]),
}


@pytest.mark.parametrize("name", INVERTIBLE)
def test_inverse_and_determinant(name):
    fn, shapes = INVERTIBLE[name]
    check_op(fn, shapes, inputs=[_well_conditioned(s) for s in shapes], name=name)


def test_slogdet_sign_and_negative_determinant():
    a = _well_conditioned((3, 3))
    a[[0, 1]] = a[[1, 0]]  # a row swap: det < 0
    ours, theirs = cr.linalg.slogdet(cr.tensor(a)), torch.linalg.slogdet(torch.tensor(a))
    assert ours.sign.item() == theirs.sign.item() == -1
    np.testing.assert_allclose(ours.logabsdet.numpy(), theirs.logabsdet.numpy())
    check_op(lambda m, x: m.linalg.slogdet(x), [(3, 3)], inputs=[a], name="slogdet, det < 0")


SOLVES = {
    "solve matrix": (lambda m, a, b: m.linalg.solve(a, b), [(3, 3), (3, 2)]),
    "solve vector": (lambda m, a, b: m.linalg.solve(a, b), [(3, 3), (3,)]),
    "solve batch of vectors": (lambda m, a, b: m.linalg.solve(a, b), [(2, 3, 3), (2, 3)]),
    "solve broadcast": (lambda m, a, b: m.linalg.solve(a, b), [(2, 3, 3), (3, 2)]),
    "solve right": (lambda m, a, b: m.linalg.solve(a, b, left=False), [(3, 3), (2, 3)]),
}


@pytest.mark.parametrize("name", SOLVES)
def test_solve(name):
    fn, shapes = SOLVES[name]
    rng = np.random.default_rng(1)
    inputs = [_well_conditioned(shapes[0]), rng.uniform(-1, 1, shapes[1])]
    check_op(fn, shapes, inputs=inputs, name=name)


def test_singular_and_shape_errors():
    with pytest.raises(ValueError, match="inv: the matrix is singular"):
        cr.linalg.inv(cr.zeros(2, 2))
    with pytest.raises(ValueError, match=r"inv: expected a square matrix .* got shape \(2, 3\)"):
        cr.linalg.inv(cr.zeros(2, 3))
    with pytest.raises(ValueError, match="solve: A of shape"):
        cr.linalg.solve(cr.eye(3), cr.zeros(2, 1))
    with pytest.raises(ValueError, match="cholesky: the matrix is not positive-definite"):
        cr.linalg.cholesky(-cr.eye(2))


# ---- decompositions -----------------------------------------------------------------------------
DECOMPOSITIONS = {
    "cholesky": (lambda m, a: m.linalg.cholesky(_spd(m, a)), [(3, 3)]),
    "cholesky batched upper": (lambda m, a: m.linalg.cholesky(_spd(m, a), upper=True),
                               [(2, 3, 3)]),
    "cholesky method": (lambda m, a: _spd(m, a).cholesky(), [(3, 3)]),
    "qr square": (lambda m, a: m.linalg.qr(a), [(3, 3)]),
    "qr tall": (lambda m, a: m.linalg.qr(a), [(2, 4, 3)]),
    "qr wide": (lambda m, a: m.linalg.qr(a), [(3, 5)]),
    "svdvals": (lambda m, a: m.linalg.svdvals(a), [(2, 4, 3)]),
    "eigvalsh": (lambda m, a: m.linalg.eigvalsh(a + a.transpose(-1, -2)), [(2, 3, 3)]),
    # U and V are unique up to signs: check products in which the signs cancel
    "svd reduced tall": (lambda m, a: _svd_invariants(m.linalg.svd(a, full_matrices=False)),
                         [(4, 3)]),
    "svd reduced wide": (lambda m, a: _svd_invariants(m.linalg.svd(a, full_matrices=False)),
                         [(2, 3, 5)]),
    "svd square": (lambda m, a: _svd_invariants(m.linalg.svd(a)), [(3, 3)]),
    "eigh": (lambda m, a: _eigh_invariants(m.linalg.eigh(a + a.transpose(-1, -2))), [(3, 3)]),
    "eigh upper": (lambda m, a: _eigh_invariants(m.linalg.eigh(a + a.transpose(-1, -2),
                                                               UPLO="U")), [(2, 3, 3)]),
}


def _svd_invariants(usv):
    U, S, Vh = usv
    return S, U * U, Vh * Vh, U[..., :, :1] * Vh[..., :1, :]


def _eigh_invariants(lq):
    L, Q = lq
    return L, Q * Q, Q[..., :, :1] * Q[..., :, :1].transpose(-1, -2)


@pytest.mark.parametrize("name", DECOMPOSITIONS)
def test_decompositions(name):
    fn, shapes = DECOMPOSITIONS[name]
    check_op(fn, shapes, name=name)


def test_decompositions_reconstruct_the_matrix():
    a = cr.tensor(np.random.default_rng(2).uniform(-1, 1, (2, 4, 3)))
    U, S, Vh = cr.linalg.svd(a)
    assert U.shape == (2, 4, 4) and S.shape == (2, 3) and Vh.shape == (2, 3, 3)
    np.testing.assert_allclose((U[..., :3] * S[..., None, :] @ Vh).numpy(), a.numpy(),
                               atol=1e-12)
    Q, R = cr.linalg.qr(a, mode="complete")
    assert Q.shape == (2, 4, 4) and R.shape == (2, 4, 3)
    np.testing.assert_allclose((Q @ R).numpy(), a.numpy(), atol=1e-12)
    Q, R = cr.linalg.qr(a, mode="r")
    assert Q.shape == (0,) and np.allclose(np.tril(R.numpy(), -1), 0)
    with pytest.raises(ValueError, match="qr: mode='complete' with more rows than columns has "
                                         "no gradient"):
        cr.linalg.qr(cr.tensor(a.numpy(), requires_grad=True), mode="complete")


def test_direct_decomposition_gradients_match_torch():
    """Gradients taken on the raw outputs (not sign-free quantities) agree with PyTorch's when
    both pick the same signs, as LAPACK does for both."""
    a = _well_conditioned((3, 3))
    spd = a @ a.T
    # (only A's lower triangle is read, while both give the symmetric gradient: no finite
    # differences here)
    check_op(lambda m, x: m.linalg.cholesky(x), [(3, 3)], inputs=[spd], name="cholesky direct",
             finite_differences=False)
    check_op(lambda m, x: m.linalg.eigh(x), [(3, 3)], inputs=[spd], name="eigh direct",
             finite_differences=False)
    for shape in ((4, 3), (3, 4), (3, 3)):  # LAPACK's signs may differ here: finite differences
        a = cr.tensor(np.random.default_rng(3).uniform(-1, 1, shape), requires_grad=True)
        cr.autograd.gradcheck(lambda x: cr.linalg.svd(x, full_matrices=False), [a], atol=1e-5,
                              rtol=1e-3)


# ---- norms -------------------------------------------------------------------------------------
NORMS = {
    "vector_norm": (lambda m, x: m.linalg.vector_norm(x), [(3, 4)]),
    "vector_norm ord 3 dim": (lambda m, x: m.linalg.vector_norm(x, 3, dim=1, keepdim=True),
                              [(3, 4)]),
    "vector_norm ord 1 dims": (lambda m, x: m.linalg.vector_norm(x, 1, dim=(0, 2)), [(2, 3, 4)]),
    "vector_norm inf": (lambda m, x: m.linalg.vector_norm(x, math.inf, dim=-1), [(3, 4)]),
    "vector_norm -inf": (lambda m, x: m.linalg.vector_norm(x, -math.inf), [(3, 4)]),
    "vector_norm -1": (lambda m, x: m.linalg.vector_norm(x, -1), [(5,)]),
    "linalg.norm default": (lambda m, x: m.linalg.norm(x), [(2, 3, 4)]),
    "linalg.norm vector": (lambda m, x: m.linalg.norm(x, 3), [(4,)]),
    "linalg.norm dim": (lambda m, x: m.linalg.norm(x, dim=1), [(2, 3, 4)]),
    "linalg.norm matrix": (lambda m, x: m.linalg.norm(x, "nuc"), [(3, 4)]),
    "linalg.norm dims": (lambda m, x: m.linalg.norm(x, 1, dim=(2, 0), keepdim=True),
                         [(2, 3, 4)]),
    "torch.norm": (lambda m, x: m.norm(x) + x.norm(p=1, dim=1).sum(), [(3, 4)]),
}
for _ord in ("fro", "nuc", 1, -1, 2, -2, math.inf, -math.inf):
    NORMS[f"matrix_norm {_ord}"] = (lambda m, x, o=_ord: m.linalg.matrix_norm(x, o), [(2, 3, 4)])
    NORMS[f"matrix_norm {_ord} dims keepdim"] = (
        lambda m, x, o=_ord: m.linalg.matrix_norm(x, o, dim=(2, 0), keepdim=True), [(3, 2, 4)])


@pytest.mark.parametrize("name", NORMS)
def test_norms(name):
    fn, shapes = NORMS[name]
    check_op(fn, shapes, away_from=0, name=name)


def test_vector_norm_0_counts_nonzeros():
    x = np.array([[0.0, 1.5, -2.0], [0.0, 0.0, 3.0]])
    for dim in (None, 0, 1):
        np.testing.assert_array_equal(
            cr.linalg.vector_norm(cr.tensor(x), 0, dim).numpy(),
            torch.linalg.vector_norm(torch.tensor(x), 0, dim).numpy())


def test_qr_mode_r_gives_reduced_r():
    check_op(lambda m, a: m.linalg.qr(a, mode="r")[1], [(4, 3)], grad=False, name="qr r")


def test_norm_errors():
    with pytest.raises(ValueError, match="matrix_norm: ord must be one of"):
        cr.linalg.matrix_norm(cr.zeros(2, 2), 3)
    with pytest.raises(ValueError, match="norm: with ord given and no dim, the tensor must be "
                                         "1-D or 2-D"):
        cr.linalg.norm(cr.zeros(2, 2, 2), 2)
