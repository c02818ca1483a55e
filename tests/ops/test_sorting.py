"""sort, argsort, msort, topk and kthvalue against PyTorch: values and gradients (float64, first
and second derivatives, finite differences) along every dim, indices equal to PyTorch's stable
order at ties and with NaN; and the sampling and masking ops sequence models lean on
(multinomial, masked_fill_, cumsum along any dim)."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op

# (shape, dim): first, last and negative dims, size 1 and 0, 0-d
ALONG = [((5,), 0), ((3, 4), 0), ((3, 4), 1), ((2, 7, 3), 1), ((2, 3, 9), -1), ((1, 4), 0),
         ((0, 3), 1), ((3, 0), 1), ((), 0), ((6,), -1)]
IDS = [f"{shape}-dim{dim}" for shape, dim in ALONG]


def _same(ours, theirs):
    """Two (values, indices) results agree: values, indices and dtypes."""
    for o, t in zip(ours, theirs):
        assert str(o.dtype) == str(t.dtype)[6:], (o.dtype, t.dtype)
        np.testing.assert_array_equal(o.numpy(), t.numpy())


@pytest.mark.parametrize("shape,dim", ALONG, ids=IDS)
@pytest.mark.parametrize("descending", [False, True])
def test_sort_values_gradients_and_indices(shape, dim, descending):
    check_op(lambda m, x: m.sort(x, dim, descending), [shape], name="sort")
    check_op(lambda m, x: x.sort(dim=dim, descending=descending), [shape], name="sort method",
             seed=1)
    x = np.random.default_rng(2).standard_normal(shape)
    _same(cr.sort(cr.tensor(x), dim, descending),
          torch.sort(torch.tensor(x), dim, descending))
    _same([cr.argsort(cr.tensor(x), dim, descending)],
          [torch.argsort(torch.tensor(x), dim, descending)])


@pytest.mark.parametrize("descending", [False, True])
@pytest.mark.parametrize("dim", [0, 1, -1])
def test_ties_keep_their_order_as_pytorchs_stable_sort(descending, dim):
    x = np.random.default_rng(0).integers(0, 3, size=(6, 7)).astype(np.float64)
    x[2, 3] = x[4, 1] = x[0, 0] = np.nan  # NaN sorts as the largest value
    kw = dict(dim=dim, descending=descending, stable=True)
    _same(cr.sort(cr.tensor(x), **kw), torch.sort(torch.tensor(x), **kw))
    _same([cr.tensor(x).argsort(**kw)], [torch.tensor(x).argsort(**kw)])
    # each sorted position weighted differently: a tie's gradient goes where PyTorch sends it
    weights = np.random.default_rng(1).standard_normal(x.shape)
    check_op(lambda m, x: m.sort(x, **kw).values * m.tensor(weights), None, inputs=[x],
             finite_differences=False)


@pytest.mark.parametrize("dtype", ["int64", "int32", "uint8", "bool", "float32"])
def test_other_dtypes(dtype):
    x = np.random.default_rng(0).integers(0, 4, size=(3, 8)).astype(dtype)
    for descending in (False, True):
        _same(cr.sort(cr.tensor(x), 1, descending),
              torch.sort(torch.tensor(x), dim=1, descending=descending, stable=True))


def test_msort():
    check_op(lambda m, x: m.msort(x), [(5, 3)])
    check_op(lambda m, x: x.msort(), [(4,)])


TOPK = [((7,), 3, -1), ((4, 6), 2, 1), ((4, 6), 4, 0), ((2, 5, 3), 5, 1), ((3, 4), 0, 1),
        ((3, 4), 4, -1), ((), 1, 0), ((), 0, 0), ((2, 0), 0, 1)]


@pytest.mark.parametrize("shape,k,dim", TOPK, ids=[f"{s}-k{k}-dim{d}" for s, k, d in TOPK])
@pytest.mark.parametrize("largest", [True, False])
def test_topk(shape, k, dim, largest):
    check_op(lambda m, x: m.topk(x, k, dim, largest), [shape], name="topk")
    check_op(lambda m, x: x.topk(k, dim=dim, largest=largest, sorted=True), [shape], seed=1,
             name="topk method")
    x = np.random.default_rng(2).standard_normal(shape)
    _same(cr.topk(cr.tensor(x), k, dim, largest), torch.topk(torch.tensor(x), k, dim, largest))


KTH = [((7,), 1, 0), ((7,), 7, -1), ((4, 6), 3, 1), ((4, 6), 2, 0), ((2, 5, 3), 4, 1), ((), 1, 0)]


@pytest.mark.parametrize("shape,k,dim", KTH, ids=[f"{s}-k{k}-dim{d}" for s, k, d in KTH])
@pytest.mark.parametrize("keepdim", [False, True])
def test_kthvalue(shape, k, dim, keepdim):
    check_op(lambda m, x: m.kthvalue(x, k, dim, keepdim), [shape], name="kthvalue")
    check_op(lambda m, x: x.kthvalue(k, dim=dim, keepdim=keepdim), [shape], seed=1)
    x = np.random.default_rng(2).standard_normal(shape)
    _same(cr.kthvalue(cr.tensor(x), k, dim, keepdim),
          torch.kthvalue(torch.tensor(x), k, dim, keepdim))


def test_results_are_named_tuples():
    x = cr.tensor([[3.0, 1.0, 2.0]])
    values, indices = cr.sort(x)
    assert type(cr.sort(x)).__name__ == "sort"
    assert type(cr.topk(x, 2)).__name__ == "topk" and cr.topk(x, 2).indices.tolist() == [[0, 2]]
    assert cr.kthvalue(x, 1).values.tolist() == [1.0]
    assert indices.tolist() == [[1, 2, 0]] and values.tolist() == [[1.0, 2.0, 3.0]]


@pytest.mark.parametrize("call,message", [
    (lambda x: cr.topk(x, 5), "topk: k must be an integer from 0 to 4"),
    (lambda x: cr.topk(x, -1, 0), "topk: k must be an integer from 0 to 3"),
    (lambda x: cr.topk(x, 1.5), "topk: k must be an integer"),
    (lambda x: cr.kthvalue(x, 0), "kthvalue: k must be an integer from 1 to 4"),
    (lambda x: cr.sort(x, 2), "sort: dim 2 is out of range"),
    (lambda x: cr.argsort(x, -3), "argsort: dim -3 is out of range"),
])
def test_bad_calls_say_what_is_wrong(call, message):
    with pytest.raises((ValueError, IndexError), match=message):
        call(cr.zeros(3, 4))


# ---- multinomial, masked_fill_ and cumsum -----------------------------------------------------
def test_multinomial_is_seeded_and_follows_the_weights():
    weights = [0.0, 1.0, 3.0, 0.0, 6.0]
    draw = lambda seed, **kw: cr.multinomial(  # noqa: E731
        cr.tensor(weights), 20000, generator=cr.Generator().manual_seed(seed), **kw)
    a, b = draw(5, replacement=True), draw(5, replacement=True)
    assert a.dtype == cr.int64 and a.shape == (20000,)
    np.testing.assert_array_equal(a.numpy(), b.numpy())
    assert not np.array_equal(a.numpy(), draw(6, replacement=True).numpy())
    frequency = np.bincount(a.numpy(), minlength=5) / 20000
    np.testing.assert_allclose(frequency, np.array(weights) / 10, atol=0.02)


def test_multinomial_without_replacement_as_pytorch():
    rows = cr.tensor([[1.0, 2.0, 0.0, 4.0], [5.0, 0.0, 1.0, 1.0]])
    picks = rows.multinomial(3, generator=cr.Generator().manual_seed(0)).numpy()
    assert picks.shape == (2, 3)
    assert all(len(set(row)) == 3 for row in picks)
    assert 2 not in picks[0] and 1 not in picks[1]  # zero weights come only when all else is out
    # all four from each row: each category once (torch allows the zero-weight ones then)
    every = cr.multinomial(rows, 4).numpy()
    theirs = torch.multinomial(torch.tensor(rows.numpy()), 4).numpy()
    np.testing.assert_array_equal(np.sort(every, 1), np.sort(theirs, 1))
    for m in (cr, torch):
        with pytest.raises((ValueError, RuntimeError)):
            m.multinomial(m.tensor([1.0, 2.0]), 3)
        with pytest.raises((TypeError, RuntimeError)):
            m.multinomial(m.tensor([1, 2]), 1)


def test_masked_fill_in_place_keeps_gradients():
    x = np.random.default_rng(0).standard_normal((3, 5))
    mask = np.random.default_rng(1).random((1, 5)) < 0.5
    check_op(lambda m, x: (x * 2).masked_fill_(m.tensor(mask), -7.5) ** 2, None, inputs=[x])
    check_op(lambda m, x: x.triu(1).masked_fill_(m.tensor(mask), float("-inf")).softmax(-1),
             None, inputs=[x])


@pytest.mark.parametrize("dim", [0, 1, 2, -1, -2, -3])
def test_cumsum_along_any_dim(dim):
    check_op(lambda m, x: m.cumsum(x, dim), [(3, 4, 5)])
