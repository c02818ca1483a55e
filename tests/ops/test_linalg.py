"""Matrix products and einsum against PyTorch: forward, backward, double backward and finite
differences, for every operand rank matmul accepts and the einsum forms in common use."""
import numpy as np
import pytest

import chainrule as cr
from opcheck import check_op

MATMUL_SHAPES = [
    [(4,), (4,)],                 # vector . vector -> scalar
    [(4,), (4, 3)],               # vector @ matrix
    [(3, 4), (4,)],               # matrix @ vector
    [(3, 4), (4, 5)],
    [(1, 4), (4, 1)],
    [(2, 3, 4), (2, 4, 5)],       # batched
    [(2, 1, 3, 4), (5, 4, 2)],    # batch dims broadcast
    [(3, 4), (2, 4, 5)],          # a matrix against a batch
    [(4,), (2, 4, 3)],            # a vector against a batch
    [(2, 3, 4), (4,)],
    [(3, 0), (0, 4)],             # empty inner dim: zeros
    [(0, 3), (3, 2)],
]


@pytest.mark.parametrize("shapes", MATMUL_SHAPES, ids=str)
def test_matmul(shapes):
    check_op(lambda m, a, b: a @ b, shapes, name="matmul")


def test_matmul_function_method_and_reflected():
    check_op(lambda m, a, b: m.matmul(a, b) + a.matmul(b), [(2, 3), (3, 2)], name="matmul")
    x = np.arange(6.0).reshape(2, 3)
    np.testing.assert_array_equal((x @ cr.tensor(x.T)).numpy(), x @ x.T)


def test_matmul_promotes_dtypes():
    a, b = cr.tensor([[1, 2]]), cr.tensor([[0.5], [0.25]], dtype=cr.float64)
    out = a @ b
    assert out.dtype == cr.float64 and out.item() == 1.0


def test_matmul_errors_say_what_does_not_fit():
    with pytest.raises(ValueError, match=r"^matmul: shapes \(32, 784\) and \(100, 10\) do not "
                                         r"line up: 784 != 100$"):
        cr.zeros(32, 784) @ cr.zeros(100, 10)
    with pytest.raises(ValueError, match=r"matmul: shapes \(3,\) and \(4,\) do not line up"):
        cr.zeros(3) @ cr.zeros(4)
    with pytest.raises(ValueError, match="matmul: both operands need at least one dimension"):
        cr.tensor(2.0) @ cr.zeros(3)
    with pytest.raises(ValueError, match=r"matmul: batch dims of shapes \(2, 3, 4\) and "
                                         r"\(3, 4, 5\) do not broadcast"):
        cr.zeros(2, 3, 4) @ cr.zeros(3, 4, 5)


def test_mm_and_bmm():
    check_op(lambda m, a, b: m.mm(a, b), [(3, 4), (4, 2)], name="mm")
    check_op(lambda m, a, b: a.bmm(b), [(2, 3, 4), (2, 4, 2)], name="bmm")
    with pytest.raises(ValueError, match=r"mm: expected two 2-D tensors, got shapes \(3,\)"):
        cr.mm(cr.zeros(3), cr.zeros(3, 2))
    with pytest.raises(ValueError, match=r"bmm: expected two 3-D tensors, got shapes \(3, 4\)"):
        cr.zeros(3, 4).bmm(cr.zeros(3, 4))


def test_outer_and_dot():
    check_op(lambda m, a, b: m.outer(a, b), [(3,), (4,)], name="outer")
    check_op(lambda m, a, b: a.outer(b), [(1,), (0,)], name="outer")
    check_op(lambda m, a, b: m.dot(a, b) * a.dot(b), [(5,), (5,)], name="dot")
    with pytest.raises(ValueError, match=r"outer: expected two 1-D tensors, got shapes \(2, 2\)"):
        cr.outer(cr.zeros(2, 2), cr.zeros(2))
    with pytest.raises(ValueError, match=r"dot: expected two 1-D tensors"):
        cr.zeros(2, 2).dot(cr.zeros(2))
    with pytest.raises(ValueError, match="dot: the vectors have different lengths, 2 and 3"):
        cr.dot(cr.zeros(2), cr.zeros(3))


# ---- einsum ------------------------------------------------------------------------------------
EINSUMS = [
    ("ij,jk->ik", [(3, 4), (4, 5)]),
    ("ij,jk", [(3, 4), (4, 5)]),                        # implicit output
    ("bA,Ac", [(2, 3), (3, 4)]),                        # implicit: upper case sorts first
    ("bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
    ("bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),  # attention scores
    ("ij,jk,kl->il", [(2, 3), (3, 4), (4, 2)]),         # three operands
    ("i,i", [(5,), (5,)]),
    ("i,j->ij", [(3,), (4,)]),
    ("ij->ji", [(3, 4)]),
    ("ij->", [(3, 4)]),
    ("ij->i", [(3, 4)]),                                # j summed in this operand alone
    ("ij,j->i", [(3, 4), (4,)]),
    ("ii", [(3, 3)]),                                   # trace
    ("ii->i", [(3, 3)]),                                # diagonal
    ("iij->j", [(3, 3, 2)]),
    ("iii->i", [(2, 2, 2)]),
    ("ij,ij->ij", [(1, 3), (5, 3)]),                    # size-1 dims broadcast
    ("ij,ij->i", [(3, 4), (3, 1)]),
    ("...ij,...jk->...ik", [(2, 1, 3, 4), (5, 4, 2)]),  # broadcast batch dims
    ("...ij,...jk", [(2, 3, 4), (4, 2)]),               # implicit output with '...'
    ("i...->...i", [(2, 3, 4)]),
    ("...->...", [()]),
    ("i j , j k -> i k", [(2, 3), (3, 2)]),             # spaces are ignored
    ("ij,jk->ik", [(3, 0), (0, 2)]),                    # empty contraction
]


@pytest.mark.parametrize("equation,shapes", EINSUMS, ids=[e for e, _ in EINSUMS])
def test_einsum(equation, shapes):
    check_op(lambda m, *xs: m.einsum(equation, *xs), shapes, name=f"einsum {equation}")


def test_einsum_operands_as_a_list():
    check_op(lambda m, a, b: m.einsum("ij,kj->ik", [a, b]), [(2, 3), (4, 3)], name="einsum")


def test_einsum_large_operands_take_the_planned_path():
    check_op(lambda m, a, b: m.einsum("ij,jk->ik", a, b), [(70, 80), (80, 60)],
             finite_differences=False, name="einsum")


def test_einsum_errors():
    a = cr.zeros(2, 3)
    with pytest.raises(ValueError, match="einsum: the equation 'ij,jk' has subscripts for 2 "
                                         r"operand\(s\), but 1 were given"):
        cr.einsum("ij,jk", a)
    with pytest.raises(ValueError, match=r"einsum: operand 0 has 2 dim\(s\) \(shape \(2, 3\)\) "
                                         "but its subscripts 'ijk' name 3"):
        cr.einsum("ijk->i", a)
    with pytest.raises(ValueError, match=r"einsum: subscripts must be letters .* \['1'\]"):
        cr.einsum("i1->i", a)
    with pytest.raises(ValueError, match=r"einsum: 'ij,jk->ik' does not fit operands of shapes "
                                         r"\(2, 3\), \(2, 3\)"):
        cr.einsum("ij,jk->ik", a, a)
