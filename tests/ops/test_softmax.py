"""softmax, log_softmax and logsumexp: against PyTorch (float64) and finite differences, over dims
and shapes with size-1 and empty dims; stable at any magnitude."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op

CASES = [((3, 4), 1), ((3, 4), 0), ((3, 4), -1), ((2, 3, 4), 1), ((2, 1, 4), 1), ((5,), 0),
         ((), 0), ((), -1), ((0, 3), 1), ((3, 0), 1), ((3, 0), 0)]


@pytest.mark.parametrize("shape,dim", CASES, ids=str)
def test_softmax(shape, dim):
    check_op(lambda m, x: m.softmax(x, dim), [shape], name="softmax")
    check_op(lambda m, x: x.softmax(dim), [shape], name="x.softmax")


@pytest.mark.parametrize("shape,dim", CASES, ids=str)
def test_log_softmax(shape, dim):
    check_op(lambda m, x: m.log_softmax(x, dim), [shape], name="log_softmax")
    check_op(lambda m, x: x.log_softmax(dim), [shape], name="x.log_softmax")


@pytest.mark.parametrize("keepdim", [False, True])
@pytest.mark.parametrize("shape,dim", CASES + [((2, 3, 4), (0, 2)), ((2, 3, 4), (-1, 1)),
                                               ((0, 3), (0, 1))], ids=str)
def test_logsumexp(shape, dim, keepdim):
    check_op(lambda m, x: m.logsumexp(x, dim, keepdim), [shape], name="logsumexp")
    check_op(lambda m, x: x.logsumexp(dim, keepdim=keepdim), [shape], name="x.logsumexp")


FAMILY = {
    "softmax": lambda m, x: m.softmax(x, -1),
    "log_softmax": lambda m, x: m.log_softmax(x, -1),
    "logsumexp": lambda m, x: m.logsumexp(x, -1),
    "logsumexp over both dims": lambda m, x: m.logsumexp(x, (0, 1), keepdim=True),
}


@pytest.mark.parametrize("name", sorted(FAMILY))
@pytest.mark.parametrize("dtype", ["float32", "float64"])
def test_any_magnitude_gives_finite_values_and_gradients(name, dtype):
    """Rows of +-1e4 (where a plain e^x overflows), one huge entry among small ones, and a row
    of equal huge entries."""
    fn = FAMILY[name]
    values = np.array([[1e4, -1e4, 0.0, 5e3],
                       [-1e4, -1e4 + 1, -1e4 + 2, -1e4 + 3],
                       [1e4, 1e4, 1e4, 1e4]])
    if dtype == "float64":  # equal to torch, to second order
        check_op(fn, None, inputs=[values], finite_differences=False, name=name)
    x = cr.tensor(values, dtype=dtype, requires_grad=True)
    y = fn(cr, x)
    w = cr.tensor(np.random.default_rng(0).standard_normal(y.shape), dtype=dtype)
    g, = cr.grad((y * w).sum(), [x], create_graph=True)
    gg, = cr.grad((g * g).sum(), [x])
    assert y.dtype == g.dtype == gg.dtype == getattr(cr, dtype)
    for t in (y, g, gg):
        assert np.all(np.isfinite(t.numpy())), f"{name}: {t}"
    theirs = fn(torch, torch.tensor(values, dtype=getattr(torch, dtype)))
    np.testing.assert_allclose(y.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # the NaNs PyTorch gives too
def test_rows_of_minus_infinity_like_torch():
    """A fully masked row: logsumexp is -inf, softmax is NaN (0/0), as in PyTorch."""
    values = np.array([[-np.inf, -np.inf], [0.0, -np.inf]])
    for fn in FAMILY.values():
        ours, theirs = fn(cr, cr.tensor(values)).numpy(), fn(torch, torch.tensor(values)).numpy()
        np.testing.assert_array_equal(ours, theirs)


def test_softmax_rows_sum_to_one_and_keep_dtype():
    x = cr.randn(4, 7) * 30
    for dim in (0, 1):
        y = cr.softmax(x, dim)
        assert y.dtype == cr.float32
        np.testing.assert_allclose(y.numpy().sum(dim), 1, rtol=1e-6)
    np.testing.assert_allclose(cr.log_softmax(x, 1).exp().numpy(), cr.softmax(x, 1).numpy(),
                               rtol=1e-5)


def test_dtype_argument_and_integer_inputs():
    x = cr.tensor([[1, 2, 3]])
    assert cr.softmax(x, 1).dtype == cr.float32
    assert cr.softmax(x, 1, dtype=cr.float64).dtype == cr.float64
    assert cr.log_softmax(x.float(), -1, dtype=cr.float64).dtype == cr.float64
    assert cr.logsumexp(x, 1).dtype == cr.float32


@pytest.mark.parametrize("name", ["softmax", "log_softmax", "logsumexp"])
def test_bad_dim_names_the_op(name):
    with pytest.raises(IndexError, match=f"{name}: dim 2 is out of range"):
        getattr(cr, name)(cr.ones(3, 4), 2)
