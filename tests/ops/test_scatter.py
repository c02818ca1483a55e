"""index_add, index_copy, index_fill, scatter and scatter_reduce against PyTorch in float64:
forward, first and second derivatives, finite differences; then gather, and the errors."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op

INDEX = [2, 0, 3]          # along dim 1 of a (2, 4, 3) input: distinct
REPEATED = [[0, 1, 0], [2, 1, 1]]  # gather-shaped, with repeats


def _ix(m, values):
    return m.tensor(values)


ALONG_DIM = {
    "index_add": (lambda m, x, s: m.index_add(x, 1, _ix(m, INDEX), s, alpha=2.0),
                  [(2, 4, 3), (2, 3, 3)]),
    "index_add repeated": (lambda m, x, s: x.index_add(0, _ix(m, [1, 1, 0]), s), [(2, 3), (3, 3)]),
    "index_copy": (lambda m, x, s: m.index_copy(x, 1, _ix(m, INDEX), s), [(2, 4, 3), (2, 3, 3)]),
    "index_copy method": (lambda m, x, s: x.index_copy(-1, _ix(m, [1]), s), [(2, 3), (2, 1)]),
    "index_fill": (lambda m, x: m.index_fill(x, 1, _ix(m, INDEX), -1.5), [(2, 4, 3)]),
    "index_fill tensor value": (lambda m, x, v: x.index_fill(0, _ix(m, [1]), v), [(2, 3), ()]),
}

ELEMENTWISE = {
    "scatter": (lambda m, x, s: m.scatter(x, 1, _ix(m, [[0, 2, 1], [3, 1, 0]]), s),
                [(2, 4), (2, 3)]),
    "scatter value": (lambda m, x: x.scatter(1, _ix(m, REPEATED), 2.5), [(2, 4)]),
    "scatter_add": (lambda m, x, s: m.scatter_add(x, 1, _ix(m, REPEATED), s), [(2, 4), (2, 3)]),
    "gather": (lambda m, x: m.gather(x, 1, _ix(m, REPEATED)), [(2, 4)]),
    "take_along_dim": (lambda m, x: m.take_along_dim(x, _ix(m, [[0], [2]]), 1), [(2, 4)]),
}
for _reduce in ("sum", "prod", "mean", "amax", "amin"):
    for _self in (True, False):
        ELEMENTWISE[f"scatter_reduce {_reduce} include_self={_self}"] = (
            lambda m, x, s, r=_reduce, i=_self: m.scatter_reduce(
                x, 1, _ix(m, REPEATED), s, r, include_self=i), [(2, 4), (2, 3)])


@pytest.mark.parametrize("name", list(ALONG_DIM) + list(ELEMENTWISE))
def test_against_torch(name):
    fn, shapes = {**ALONG_DIM, **ELEMENTWISE}[name]
    check_op(fn, shapes, name=name, away_from=0)
    check_op(lambda m, *xs: fn(m, *xs) ** 2, shapes, name=f"{name} squared", away_from=0)


def test_scatter_reduce_prod_with_zeros():
    """A zero among the factors: the others' product, taken exactly (not out / x)."""
    x = np.array([[1.5, 0.0, 2.0, -1.0]])
    src = np.array([[0.0, 3.0, 0.5, 2.0]])
    index = [[0, 0, 1, 2]]
    for include_self in (True, False):
        check_op(lambda m, a, s: m.scatter_reduce(a, 1, m.tensor(index), s, "prod",
                                                  include_self=include_self),
                 [x.shape, src.shape], inputs=[x, src], name="prod with zeros")


def test_scatter_reduce_amax_splits_ties():
    x = np.array([[1.0, 5.0, 0.0]])
    src = np.array([[2.0, 2.0, 5.0, 1.0]])
    index = [[0, 0, 1, 2]]
    for reduce in ("amax", "amin"):
        check_op(lambda m, a, s: m.scatter_reduce(a, 1, m.tensor(index), s, reduce),
                 [x.shape, src.shape], inputs=[x, src], name=f"{reduce} ties",
                 finite_differences=False)  # (ties are kinks)


def test_scatter_src_larger_than_index():
    # (only forward: torch's own backward fails on this case)
    check_op(lambda m, x, s: x.scatter(0, m.tensor([[1, 0]]), s), [(2, 3), (2, 3)], grad=False,
             name="scatter larger src")
    x, s = cr.zeros(2, 3, requires_grad=True), cr.ones(2, 3, requires_grad=True)
    x.scatter(0, cr.tensor([[1, 0]]), s).sum().backward()
    np.testing.assert_array_equal(s.grad.numpy(), [[1, 1, 0], [0, 0, 0]])
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0, 1], [0, 1, 1]])


def test_scatter_with_reduce_forward():
    x, src = np.arange(1.0, 9.0).reshape(2, 4), np.full((2, 3), 2.0)
    for reduce in ("add", "multiply"):
        ours = cr.tensor(x).scatter(1, cr.tensor(REPEATED), cr.tensor(src), reduce=reduce)
        theirs = torch.tensor(x).scatter(1, torch.tensor(REPEATED), torch.tensor(src),
                                         reduce=reduce)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
        ours = cr.tensor(x).scatter(1, cr.tensor(REPEATED), 3.0, reduce=reduce)
        theirs = torch.tensor(x).scatter(1, torch.tensor(REPEATED), 3.0, reduce=reduce)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_integer_scatter_reduce():
    x, src = np.arange(8).reshape(2, 4), np.array([[5, -1, 7], [2, 9, 4]])
    for reduce in ("sum", "prod", "mean", "amax", "amin"):
        for include_self in (True, False):
            ours = cr.tensor(x).scatter_reduce(1, cr.tensor(REPEATED), cr.tensor(src), reduce,
                                               include_self=include_self)
            theirs = torch.tensor(x).scatter_reduce(1, torch.tensor(REPEATED), torch.tensor(src),
                                                    reduce, include_self=include_self)
            assert ours.dtype == cr.int64
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy(),
                                          err_msg=f"{reduce} include_self={include_self}")


def test_errors():
    x = cr.zeros(2, 3)
    with pytest.raises(ValueError, match=r"index_add: source must have shape \(2, 1\)"):
        x.index_add(1, cr.tensor([0]), cr.zeros(2, 2))
    with pytest.raises(TypeError, match="index_copy: source has dtype int64 but input has "
                                        "float32"):
        x.index_copy(1, cr.tensor([0]), cr.zeros(2, 1, dtype=cr.int64))
    with pytest.raises(IndexError, match="index_fill: index 3 is out of range for dim 1 of "
                                         "size 3"):
        x.index_fill(1, cr.tensor([3]), 0.0)
    with pytest.raises(ValueError, match="scatter: give exactly one of src"):
        x.scatter(0, cr.tensor([[0]]))
    with pytest.raises(ValueError, match="scatter_reduce: reduce must be one of"):
        x.scatter_reduce(0, cr.tensor([[0]]), x, "max")
    with pytest.raises(ValueError, match="scatter: reduce must be 'add' or 'multiply'"):
        x.scatter(0, cr.tensor([[0]]), x, reduce="sum")
