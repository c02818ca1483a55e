"""Counting and finding against PyTorch: histc, bincount, bucketize, searchsorted, nonzero,
unique, numel; values, dtypes and shapes, including empty and 0-d inputs."""
import numpy as np
import pytest
import torch

import chainrule as cr


def same(ours, theirs):
    """Equal values, shape and dtype (through each item of a tuple)."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs), (ours, theirs)
        for o, t in zip(ours, theirs):
            same(o, t)
        return
    assert isinstance(ours, cr.Tensor), type(ours)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    assert ours.shape == tuple(theirs.shape), (ours.shape, theirs.shape)
    if ours.dtype.kind == "f":  # sums of float32 weights: NumPy adds them in float64
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    else:
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def both(fn, *arrays, **kwargs):
    """fn called on chainrule tensors and on torch tensors of the same arrays, compared."""
    ours = fn(cr, *(cr.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays), **kwargs)
    theirs = fn(torch, *(torch.tensor(a) if isinstance(a, np.ndarray) else a for a in arrays),
                **kwargs)
    same(ours, theirs)


RNG = np.random.default_rng(0)
VALUES = RNG.uniform(-3, 3, 200)


@pytest.mark.parametrize("kwargs", [{}, {"bins": 7}, {"bins": 5, "min": -1, "max": 2},
                                    {"bins": 4, "min": 2, "max": 2}, {"bins": 1}])
@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_histc(kwargs, dtype):
    both(lambda m, x: m.histc(x, **kwargs), VALUES.astype(dtype).reshape(10, 20))
    with_nan = np.array([1.0, 2.0, 1.0, 5.0, np.nan, -1.0], dtype)
    if kwargs.get("min", 0) != kwargs.get("max", 0):  # NaN is not counted
        both(lambda m, x: x.histc(**kwargs), with_nan)
    else:  # but it makes the data's range NaN, which both refuse
        with pytest.raises(ValueError, match=r"histc: the range \[nan, nan\] is not finite"):
            cr.tensor(with_nan).histc(**kwargs)


def test_histc_edges_and_degenerate_ranges():
    both(lambda m, x: m.histc(x, bins=4, min=0, max=4), np.arange(5.0))  # 4.0 in the last bin
    both(lambda m, x: m.histc(x, bins=3), np.array([1.0, 1.0]))           # range widened by 1
    both(lambda m, x: m.histc(x, bins=3), np.zeros(0))
    with pytest.raises(ValueError, match="histc: max must be at least min"):
        cr.histc(cr.tensor([1.0]), bins=3, min=2, max=1)
    with pytest.raises(TypeError, match="histc: expected a floating-point tensor"):
        cr.histc(cr.tensor([1, 2]))


@pytest.mark.parametrize("minlength", [0, 3, 12])
def test_bincount(minlength):
    x = RNG.integers(0, 8, 50)
    both(lambda m, x: m.bincount(x, minlength=minlength), x)
    both(lambda m, x: x.bincount(minlength=minlength), np.zeros(0, np.int64))
    for w in (RNG.uniform(0, 1, 50), RNG.uniform(0, 1, 50).astype(np.float32),
              RNG.integers(0, 5, 50)):
        both(lambda m, x, w: m.bincount(x, w, minlength), x, w)


def test_bincount_rejects_what_torch_rejects():
    for bad in (cr.tensor([1, -1]), cr.tensor([1.0]), cr.tensor([[1, 2]])):
        with pytest.raises(ValueError, match="bincount: expected a 1-D tensor of non-negative"):
            cr.bincount(bad)
    with pytest.raises(ValueError, match="bincount: weights must have input's shape"):
        cr.bincount(cr.tensor([1, 2]), cr.tensor([1.0]))


BOUNDARIES = np.array([1.0, 3.0, 3.0, 5.0, 9.0])
QUERIES = np.array([[0.0, 1.0, 3.0, 4.0], [5.0, 9.0, 10.0, 3.0]])


@pytest.mark.parametrize("right", [False, True])
@pytest.mark.parametrize("out_int32", [False, True])
def test_bucketize(right, out_int32):
    both(lambda m, x, b: m.bucketize(x, b, right=right, out_int32=out_int32), QUERIES, BOUNDARIES)
    both(lambda m, b: m.bucketize(3.0, b, right=right), BOUNDARIES)  # a number gives a 0-d tensor


@pytest.mark.parametrize("kwargs", [{}, {"right": True}, {"side": "left"}, {"side": "right"},
                                    {"out_int32": True}])
def test_searchsorted_1d(kwargs):
    both(lambda m, s, v: m.searchsorted(s, v, **kwargs), BOUNDARIES, QUERIES)
    both(lambda m, s: m.searchsorted(s, 4.0, **kwargs), BOUNDARIES)


@pytest.mark.parametrize("side", ["left", "right"])
def test_searchsorted_row_by_row(side):
    seq = np.sort(RNG.integers(0, 10, (2, 3, 6)), axis=-1).astype(np.float64)
    values = RNG.integers(-1, 11, (2, 3, 5)).astype(np.float64)
    both(lambda m, s, v: m.searchsorted(s, v, side=side), seq, values)
    both(lambda m, s, v: m.searchsorted(s, v, side=side), seq[0], values[0].astype(np.int64))


def test_searchsorted_with_sorter():
    seq = RNG.permutation(10).astype(np.float64)
    values = np.array([-1.0, 2.0, 2.5, 9.0, 11.0])
    sorter = np.argsort(seq)
    both(lambda m, s, v, o: m.searchsorted(s, v, sorter=o), seq, values, sorter)
    rows = np.stack([RNG.permutation(6) for _ in range(3)]).astype(np.float64)
    both(lambda m, s, v, o: m.searchsorted(s, v, sorter=o, side="right"), rows,
         RNG.integers(-1, 7, (3, 4)).astype(np.float64), np.argsort(rows, -1))


def test_searchsorted_errors():
    with pytest.raises(ValueError, match="searchsorted: side must be"):
        cr.searchsorted(cr.tensor(BOUNDARIES), cr.tensor([1.0]), right=True, side="left")
    with pytest.raises(ValueError, match="searched row by row"):
        cr.searchsorted(cr.zeros(2, 3), cr.zeros(3, 1))
    with pytest.raises(ValueError, match="bucketize: boundaries must be 1-D"):
        cr.bucketize(cr.zeros(2), cr.zeros(2, 3))


@pytest.mark.parametrize("x", [np.array([[0.0, 1.5, 0.0], [2.0, 0.0, -1.0]]), np.array(3.0),
                               np.array(0.0), np.zeros((2, 0)), np.array([True, False, True]),
                               RNG.integers(0, 2, (2, 3, 4))], ids=["2d", "0d", "0d zero",
                                                                     "empty", "bool", "3d"])
def test_nonzero(x):
    both(lambda m, x: m.nonzero(x), x)
    both(lambda m, x: x.nonzero(as_tuple=True), x)


@pytest.mark.parametrize("kwargs", [{}, {"return_inverse": True}, {"return_counts": True},
                                    {"return_inverse": True, "return_counts": True},
                                    {"sorted": False}])
def test_unique(kwargs):
    x = RNG.integers(0, 5, (4, 6))
    both(lambda m, x: m.unique(x, **kwargs), x)
    both(lambda m, x: x.unique(**kwargs), np.array([2.5, np.nan, 1.0, np.nan, 2.5]))
    both(lambda m, x: m.unique(x, **kwargs), np.array(7))


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_unique_slices_along_dim(dim):
    x = np.array([[1, 2, 1, 1], [3, 0, 3, 3], [1, 2, 1, 1]])
    both(lambda m, x: m.unique(x, dim=dim, return_inverse=True, return_counts=True), x)
    both(lambda m, x: x.unique(dim=dim), x)


def test_numel():
    for shape in [(2, 3), (), (0, 4)]:
        assert cr.numel(cr.zeros(shape)) == torch.numel(torch.zeros(shape)) == \
            cr.zeros(shape).numel()
