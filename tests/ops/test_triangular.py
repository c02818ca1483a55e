"""tril and triu against PyTorch (values, first and second derivatives in float64, finite
differences) over every diagonal, batches and empty matrices, their in-place forms, other
dtypes, and tril_indices/triu_indices."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op

SHAPES = [(4, 4), (3, 5), (5, 2), (2, 3, 4), (2, 1, 3, 3), (0, 3), (3, 0), (1, 1)]
DIAGONALS = [0, 1, -1, 2, -3, 7, -7]


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("diagonal", DIAGONALS)
@pytest.mark.parametrize("op", ["tril", "triu"])
def test_triangles(op, shape, diagonal):
    check_op(lambda m, x: getattr(m, op)(x, diagonal), [shape], name=op)
    check_op(lambda m, x: getattr(x, op)(diagonal=diagonal), [shape], name=op + " method",
             seed=1)


@pytest.mark.parametrize("op", ["tril", "triu"])
def test_in_place_forms(op):
    check_op(lambda m, x: getattr(x * 3, op + "_")(1).exp(), [(2, 4, 3)])


@pytest.mark.parametrize("dtype", ["int64", "bool", "float32"])
def test_other_dtypes_and_nan_outside(dtype):
    x = np.random.default_rng(0).integers(0, 3, size=(2, 4, 5)).astype(dtype)
    for op in ("tril", "triu"):
        ours, theirs = getattr(cr, op)(cr.tensor(x), -1), getattr(torch, op)(torch.tensor(x), -1)
        assert str(ours.dtype) == str(theirs.dtype)[6:]
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    nan = np.full((3, 3), np.nan)
    np.testing.assert_array_equal(cr.tril(cr.tensor(nan)).numpy(), torch.tril(torch.tensor(nan)))


@pytest.mark.parametrize("row,col", [(4, 4), (3, 5), (5, 2), (0, 3), (1, 1)])
@pytest.mark.parametrize("offset", [0, 1, -1, 3, -4])
@pytest.mark.parametrize("op", ["tril_indices", "triu_indices"])
def test_indices(op, row, col, offset):
    ours, theirs = getattr(cr, op)(row, col, offset), getattr(torch, op)(row, col, offset)
    assert ours.dtype == cr.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    small = getattr(cr, op)(row, col, offset=offset, dtype=cr.int32)
    assert small.dtype == cr.int32 and small.shape == tuple(theirs.shape)


def test_indices_pick_the_triangle():
    x = cr.randn(4, 6)
    rows, cols = cr.triu_indices(4, 6, 1)
    np.testing.assert_array_equal(cr.triu(x, 1).numpy()[rows.numpy(), cols.numpy()],
                                  x[rows, cols].numpy())


@pytest.mark.parametrize("call,error,message", [
    (lambda: cr.tril(cr.zeros(3)), ValueError, r"tril: expected a matrix .* got shape \(3,\)"),
    (lambda: cr.triu(cr.zeros(2, 2), 0.5), TypeError, "triu: diagonal must be an integer"),
    (lambda: cr.tril_indices(-1, 3), ValueError, "tril_indices: row and col must be"),
    (lambda: cr.triu_indices(3, 3, dtype=cr.float32), TypeError, "integer dtype"),
])
def test_bad_calls_say_what_is_wrong(call, error, message):
    with pytest.raises(error, match=message):
        call()
