"""Running products, running log-sum-exps and differences against PyTorch: forward, first and
second derivatives (float64) and finite differences, along every dim; cumprod with zeros in the
input, logcumsumexp over values far apart; integer and bool dtypes."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op

# (shape, dim): first, last and negative dims, sizes 1 and 0, 0-d, lengths that are not powers of 2
ALONG = [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((2, 7, 3), 1), ((2, 3, 9), -1), ((1, 4), 0),
         ((0, 3), 1), ((3, 0), 1), ((), 0), ((6,), -1)]


def _ids(cases):
    return [f"{shape}-dim{dim}" for shape, dim in cases]


@pytest.mark.parametrize("shape,dim", ALONG, ids=_ids(ALONG))
@pytest.mark.parametrize("op", ["cumprod", "logcumsumexp", "cumsum"])
def test_scans(op, shape, dim):
    check_op(lambda m, x: getattr(m, op)(x, dim), [shape], name=op)
    check_op(lambda m, x: getattr(x, op)(dim), [shape], name=op + " method", seed=1)


def test_cumprod_gradient_with_zeros():
    """One zero, two zeros, a zero first and last: no division by x anywhere."""
    x = np.array([[2.0, 0.0, 3.0, -1.5, 0.5], [0.0, 1.5, 0.0, 2.0, -1.0],
                  [1.5, 2.0, -0.5, 3.0, 0.0], [0.0, 0.0, 0.0, 1.0, 2.0]])
    check_op(lambda m, x: m.cumprod(x, 1), None, inputs=[x])
    check_op(lambda m, x: x.cumprod(0), None, inputs=[x])


def test_logcumsumexp_far_apart_does_not_overflow_or_underflow():
    x = np.array([-1000.0, 0.0, 800.0, -5.0, 1000.0, 990.0])
    check_op(lambda m, x: m.logcumsumexp(x, 0), None, inputs=[x], finite_differences=False)


@pytest.mark.parametrize("data", [[[1, 2], [3, 4]], [[True, False], [True, True]]])
def test_integer_and_bool_dtypes(data, torch_float32):
    for op in ("cumprod", "cumsum"):
        for dim in (0, 1):
            ours, theirs = getattr(cr, op)(cr.tensor(data), dim), getattr(torch, op)(
                torch.tensor(data), dim)
            assert str(ours.dtype) == str(theirs.dtype)[6:], (op, ours.dtype)
            np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    ours = cr.cumprod(cr.tensor(data), 1, dtype=cr.float64)
    theirs = torch.cumprod(torch.tensor(data), 1, dtype=torch.float64)
    assert ours.dtype == cr.float64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_logcumsumexp_of_integers_is_refused():
    with pytest.raises(TypeError, match="logcumsumexp: expected a floating-point tensor"):
        cr.logcumsumexp(cr.tensor([1, 2]), 0)


DIFFS = [((6,), {}), ((3, 5), {"dim": 0}), ((3, 5), {"n": 2}), ((3, 5), {"n": 3, "dim": -2}),
         ((2, 4), {"n": 0}), ((2, 4), {"n": 5}), ((4, 1), {"dim": 1}), ((0, 3), {})]


@pytest.mark.parametrize("shape,kwargs", DIFFS, ids=[f"{s}-{k}" for s, k in DIFFS])
def test_diff(shape, kwargs):
    check_op(lambda m, x: m.diff(x, **kwargs), [shape], name="diff")
    check_op(lambda m, x: x.diff(**kwargs), [shape], name="diff method", seed=1)


def test_diff_prepend_append():
    check_op(lambda m, x, p, a: m.diff(x, dim=1, prepend=p, append=a), [(3, 4), (3, 2), (3, 1)],
             name="diff prepend append")
    check_op(lambda m, x, p: x.diff(n=2, dim=0, prepend=p), [(3, 4), (1, 4)], name="diff prepend")
    check_op(lambda m, x, a: m.diff(x, append=a), [(5,), (2,)], name="diff append")


def test_diff_of_integers_and_bools():
    for data in ([1, 4, 9, 16], [True, False, False, True]):
        ours, theirs = cr.diff(cr.tensor(data)), torch.diff(torch.tensor(data))
        assert str(ours.dtype) == str(theirs.dtype)[6:]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_diff_errors():
    with pytest.raises(ValueError, match="diff: expected a tensor with at least one dim"):
        cr.diff(cr.tensor(1.0))
    with pytest.raises(ValueError, match=r"diff: prepend and append must be tensors of input's"):
        cr.diff(cr.zeros(3, 4), dim=1, prepend=cr.zeros(2, 1))
