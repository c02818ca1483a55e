"""Indexing against PyTorch: fixed cases through check_op (forward, backward, double backward,
finite differences), random keys with hypothesis (forward, backward and assignment), errors."""
import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import chainrule as cr
from opcheck import check_op

MASK = np.array([[True, False, True, True],
                 [False, False, False, False],
                 [True, True, False, True]])


def _flipped_slice(s, n):
    """The positive-step slice of x.flip(d) that reads what x[s] reads (PyTorch has no negative
    steps): x[s] visits positions p0 > p1 > ..., which sit at n-1-p in the flipped tensor."""
    positions = range(n)[s]
    if not positions:
        return slice(0, 0)
    return slice(n - 1 - positions[0], n - positions[-1], -s.step)


CASES = {  # name: (fn, shapes[, torch_fn])
    "int": (lambda m, x: x[1], [(3, 4)]),
    "negative int": (lambda m, x: x[-1, 2], [(3, 4)]),
    "slice": (lambda m, x: x[1:3], [(4, 2)]),
    "slice with step": (lambda m, x: x[:, 1::2], [(2, 5)]),
    "None and Ellipsis": (lambda m, x: x[..., None, 1], [(2, 3, 4)]),
    "None first": (lambda m, x: x[None, :, -2], [(2, 3)]),
    "0-d int tensor": (lambda m, x: x[m.tensor(1), :, m.tensor([0, 2])], [(2, 3, 4)]),
    "reverse": (lambda m, x: x[::-1], [(4, 3)], lambda m, x: x.flip(0)),
    "negative step": (lambda m, x: x[:, 3:0:-2], [(2, 5)],
                      lambda m, x: x.flip(1)[:, _flipped_slice(slice(3, 0, -2), 5)]),
    "repeated indices": (lambda m, x: x[m.tensor([0, 0, 2, 0])], [(3, 2)]),
    "repeated indices, dim 1": (lambda m, x: x[:, [1, 1, -1]], [(2, 3)]),
    "2-d index": (lambda m, x: x[m.tensor([[0, 1], [1, 1]])], [(3, 2)]),
    "two broadcast arrays": (lambda m, x: x[m.tensor([[0], [2]]), m.tensor([1, 1, 3])],
                             [(3, 4)]),
    "full mask": (lambda m, x: x[m.tensor(MASK)], [(3, 4)]),
    "mask on dim 1": (lambda m, x: x[:, m.tensor([True, False, True])], [(2, 3, 2)]),
    "all-False mask": (lambda m, x: x[m.tensor([False, False])], [(2, 3)]),
    "int then array (PyTorch layout)": (lambda m, x: x[0, :, m.tensor([0, 1, 1])], [(2, 3, 4)]),
    "arrays apart": (lambda m, x: x[m.tensor([0, 1]), 1:, m.tensor([2, 2])], [(2, 3, 4)]),
    "int, None and mask": (lambda m, x: x[1, None, m.tensor(MASK)], [(2, 3, 4)]),
    "mask and array": (lambda m, x: x[m.tensor(MASK[:2, :3]), m.tensor([1])], [(2, 3, 2)]),
    "empty index list": (lambda m, x: x[m.tensor([], dtype=m.int64)], [(0, 3)]),
    "index into size-0 dim": (lambda m, x: x[[0, 2]], [(3, 0)]),
    "gather dim 0": (lambda m, x: x.gather(0, m.tensor([[0, 1, 0], [2, 2, 0]])), [(3, 3)]),
    "gather dim -1, smaller": (lambda m, x: m.gather(x, -1, m.tensor([[3, 3], [0, 1]])),
                               [(3, 4)]),
    "gather 3-d": (lambda m, x: x.gather(1, m.tensor([[[1], [0], [1]]])), [(2, 2, 3)]),
    "gather empty": (lambda m, x: x.gather(1, m.zeros(2, 0, dtype=m.int64)), [(2, 3)]),
    "scatter_add": (lambda m, x, s: m.scatter_add(x, 1, m.tensor([[0, 0, 2], [1, 3, 3]]), s),
                    [(2, 4), (2, 3)]),
    "index_select": (lambda m, x: x.index_select(0, m.tensor([2, 0, 2])), [(3, 2)]),
    "index_select dim 1": (lambda m, x: m.index_select(x, 1, m.tensor([1, 1])), [(2, 3, 2)]),
    "index_select 0-d index": (lambda m, x: x.index_select(1, m.tensor(2)), [(2, 3)]),
    "index_select empty": (lambda m, x: x.index_select(0, m.tensor([], dtype=m.int64)),
                           [(2, 3)]),
    "take_along_dim": (lambda m, x: m.take_along_dim(x, m.tensor([[0, 2], [1, 1]]), 1),
                       [(2, 3)]),
    "take_along_dim broadcast": (lambda m, x: x.take_along_dim(m.tensor([[[-1], [0]]]), 2),
                                 [(3, 1, 4)]),
    "take_along_dim flat": (lambda m, x: m.take_along_dim(x, m.tensor([5, 0, 5])), [(2, 3)]),
}


@pytest.mark.parametrize("name", CASES)
def test_op_against_torch(name):
    fn, shapes, *torch_fn = CASES[name]
    torch_fn = torch_fn[0] if torch_fn else fn
    check_op(fn, shapes, torch_fn, name=name)
    # indexing is linear: squared, the second derivative runs through the backward's backward
    check_op(lambda m, *xs: fn(m, *xs) ** 2, shapes, lambda m, *xs: torch_fn(m, *xs) ** 2,
             name=f"{name} squared")


def test_scatter_add_src_larger_than_index():
    """PyTorch computes this forward but not its gradient (it returns the gradient of src at
    index's shape), so the derivatives are checked by finite differences alone."""
    def fn(m, x, s):
        return m.scatter_add(x, 0, m.tensor([[2, 0], [2, 2]]), s)

    check_op(fn, [(3, 3), (3, 4)], grad=False, name="scatter_add, src larger")
    rng = np.random.default_rng(0)
    x, s = (cr.tensor(rng.standard_normal(shape), requires_grad=True) for shape in [(3, 3), (3, 4)])
    assert cr.autograd.gradcheck(lambda x, s: fn(cr, x, s) ** 2, [x, s])
    assert cr.autograd.gradgradcheck(lambda x, s: fn(cr, x, s) ** 2, [x, s])
    assert cr.grad(fn(cr, x, s).sum(), s)[0].tolist() == [[1, 1, 0, 0], [1, 1, 0, 0], [0, 0, 0, 0]]


def test_masked_fill_number():
    check_op(lambda m, x: x.masked_fill(m.tensor(MASK), 2.5) * x, [(3, 4)], name="masked_fill")


@pytest.mark.parametrize("value", [2.5, float("-inf")])
def test_masked_fill_broadcast_mask(value):
    check_op(lambda m, x: m.masked_fill(x, m.tensor([True, False, True, True]), value).exp(),
             [(2, 4)], name="masked_fill broadcast mask")


def test_masked_fill_tensor_value_gets_gradient():
    check_op(lambda m, x, v: (x.masked_fill(m.tensor(MASK), v) ** 2), [(3, 4), ()],
             name="masked_fill tensor value")


def test_masked_fill_keeps_dtype_like_torch():
    x = cr.tensor([1, 2, 3])
    out = x.masked_fill(cr.tensor([True, False, True]), 7.9)
    assert out.dtype == cr.int64 and out.tolist() == [7, 2, 7]


def test_repeated_indices_accumulate():
    x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
    x[[0, 0, 2, 0]].sum().backward()
    assert x.grad.tolist() == [3.0, 0.0, 1.0]
    y = cr.zeros(3, requires_grad=True)
    y.gather(0, cr.tensor([1, 1])).sum().backward()
    assert y.grad.tolist() == [0.0, 2.0, 0.0]


def test_basic_index_is_a_view_and_advanced_a_copy():
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    assert np.shares_memory(x[:, ::-1].array, x.array)
    assert not np.shares_memory(x[[0, 1]].array, x.array)
    assert type(x[0, 1].array) is np.ndarray  # 0-d array, not a NumPy scalar


# ---- random keys (hypothesis) -----------------------------------------------------------------
def _arrays(elements, shape, dtype):
    count = int(np.prod(shape))
    return st.lists(elements, min_size=count, max_size=count).map(
        lambda values: np.array(values, dtype=dtype).reshape(shape))


@st.composite
def indexed(draw):
    """(shape, our key, torch key, dims PyTorch must flip first): slices with any step, ints,
    None, Ellipsis, integer arrays (repeats, negatives, broadcasting) and at most one mask."""
    shape = tuple(draw(st.lists(st.sampled_from([0, 1, 2, 2, 3, 3, 4]), min_size=1,
                                max_size=4)))
    masked = draw(st.booleans())  # then index arrays have one element, to broadcast with it
    batch = (1,) if masked else draw(st.sampled_from([(2,), (3,), (0,), (2, 1), (1, 3), (2, 3)]))
    ours, theirs, flips, has_mask = [], [], [], not masked
    d = 0
    while d < len(shape):
        if draw(st.integers(0, 5)) == 0:
            ours.append(None), theirs.append(None)
        n = shape[d]
        kinds = ["slice", "full"] + (["int", "array"] if n else []) + \
            ([] if has_mask else ["mask"])
        kind = draw(st.sampled_from(kinds))
        if kind == "mask":
            width = draw(st.integers(1, min(2, len(shape) - d)))
            mask = draw(_arrays(st.booleans(), shape[d:d + width], bool))
            ours.append(cr.tensor(mask) if draw(st.booleans()) else mask)
            theirs.append(torch.tensor(mask))
            has_mask, d = True, d + width
            continue
        if kind == "int":
            i = draw(st.integers(-n, n - 1))
            ours.append(i), theirs.append(i)
        elif kind == "array":
            size = draw(st.sampled_from([(1,) * len(batch), batch]))
            values = draw(_arrays(st.integers(-n, n - 1), size, np.int64))
            ours.append(values.tolist() if draw(st.booleans()) else cr.tensor(values))
            theirs.append(torch.tensor(values))
        elif kind == "full":
            ours.append(slice(None)), theirs.append(slice(None))
        else:
            bound = st.one_of(st.none(), st.integers(-n - 1, n + 1))
            s = slice(draw(bound), draw(bound), draw(st.sampled_from([None, 1, 2, 3, -1, -2])))
            ours.append(s)
            if s.step is not None and s.step < 0:
                flips.append(d)
                theirs.append(_flipped_slice(s, n))
            else:
                theirs.append(s)
        d += 1
    # a run of full slices may become an Ellipsis, or else trailing ones may be left out
    fulls = [i for i, k in enumerate(ours) if isinstance(k, slice) and k == slice(None)]
    if fulls and draw(st.booleans()):
        i = j = fulls[0]
        while j in fulls:
            j += 1
        ours[i:j], theirs[i:j] = [Ellipsis], [Ellipsis]
    else:
        while ours and isinstance(ours[-1], slice) and ours[-1] == slice(None) \
                and draw(st.booleans()):
            ours.pop(), theirs.pop()
    return shape, tuple(ours), tuple(theirs), flips


def _torch_reads(x, key, flips):
    return (x.flip(flips) if flips else x)[key]


@settings(max_examples=250, deadline=None, database=None)
@given(indexed(), st.integers(0, 2 ** 31))
def test_random_keys_forward_and_backward(case, seed):
    shape, key, torch_key, flips = case
    rng = np.random.default_rng(seed)
    data = rng.standard_normal(shape)
    x = cr.tensor(data, dtype=cr.float64, requires_grad=True)
    xt = torch.tensor(data, requires_grad=True)
    out, out_t = x[key], _torch_reads(xt, torch_key, flips)
    assert out.shape == tuple(out_t.shape), f"key {key}: shape {out.shape} != torch {out_t.shape}"
    np.testing.assert_array_equal(out.numpy(), out_t.detach().numpy())
    seed_grad = rng.standard_normal(out.shape)
    out.backward(cr.tensor(seed_grad, dtype=cr.float64))
    out_t.backward(torch.tensor(seed_grad))
    np.testing.assert_allclose(x.grad.numpy(), xt.grad.numpy(), rtol=1e-12, atol=1e-12)


@settings(max_examples=150, deadline=None, database=None)
@given(indexed(), st.integers(0, 2 ** 31))
def test_random_keys_assignment(case, seed):
    """x[key] = value writes where x[key] reads. The value is a function of what it replaces, so
    repeated indices write the same number whatever the order."""
    shape, key, torch_key, flips = case
    data = np.random.default_rng(seed).standard_normal(shape)
    x, xt = cr.tensor(data, dtype=cr.float64), torch.tensor(data)
    target = xt.flip(flips) if flips else xt  # a copy when flipped: written back below
    value = target[torch_key] * 2 + 1
    target[torch_key] = value
    expected = target.flip(flips) if flips else target
    x[key] = value.numpy()
    np.testing.assert_array_equal(x.numpy(), expected.numpy())


# ---- errors name the dim, the index and the size ------------------------------------------------
@pytest.mark.parametrize("call, error, message", [
    (lambda x: x[0, 5], IndexError, r"index 5 is out of range for dim 1 of size 3"),
    (lambda x: x[:, [0, -4]], IndexError, r"index -4 is out of range for dim 1 of size 3"),
    (lambda x: x[None, ..., 7], IndexError, r"index 7 is out of range for dim 2 of size 4"),
    (lambda x: x[cr.tensor([[True, False]])], IndexError,
     r"boolean mask of shape \(1, 2\) must match the shape \(2, 3\) of the dims 0..1"),
    (lambda x: x[0, 0, 0, 0], IndexError, r"too many indices .* shape \(2, 3, 4\): 4 dims"),
    (lambda x: x[..., 0, ...], IndexError, r"only one Ellipsis"),
    (lambda x: x[cr.tensor([0.0])], IndexError, r"must be integer or bool, got float32"),
    (lambda x: x["a"], TypeError, r"cannot index with str"),
    (lambda x: x.gather(2, cr.zeros(2, 3, 1, dtype=cr.int64) + 4), IndexError,
     r"gather: index 4 is out of range for dim 2 of size 4"),
    (lambda x: x.gather(1, cr.tensor([[[-1]]])), IndexError,
     r"gather: index -1 is out of range for dim 1 of size 3"),
    (lambda x: x.gather(0, cr.zeros(2, 3, dtype=cr.int64)), ValueError,
     r"gather: index of shape \(2, 3\) must have the tensor's 3 dims"),
    (lambda x: x.gather(0, cr.zeros(1, 4, 1, dtype=cr.int64)), ValueError,
     r"no larger than its shape \(2, 3, 4\), except at dim 0"),
    (lambda x: x.gather(0, cr.zeros(1, 1, 1)), TypeError, r"gather: index must be an integer"),
    (lambda x: x.gather(3, cr.zeros(1, 1, 1, dtype=cr.int64)), IndexError,
     r"gather: dim 3 is out of range"),
    (lambda x: x.scatter_add(0, cr.zeros(1, 1, 1, dtype=cr.int64), cr.zeros(1, 1, 1,
                                                                             dtype=cr.float64)),
     TypeError, r"scatter_add: src has dtype float64 but input has float32"),
    (lambda x: x.scatter_add(0, cr.zeros(1, 2, 1, dtype=cr.int64), cr.zeros(1, 1, 1)),
     ValueError, r"scatter_add: src of shape \(1, 1, 1\) must be at least as large as index"),
    (lambda x: x.scatter_add(0, cr.zeros(1, 1, 1, dtype=cr.int64), 1.0), TypeError,
     r"scatter_add: src must be a Tensor, got float"),
    (lambda x: x.index_select(1, cr.tensor([[0]])), ValueError, r"index_select: index must be 1-D"),
    (lambda x: x.index_select(1, cr.tensor([3])), IndexError,
     r"index_select: index 3 is out of range for dim 1 of size 3"),
    (lambda x: x.take_along_dim(cr.tensor([[[-5]]]), 2), IndexError,
     r"take_along_dim: index -5 is out of range for dim 2 of size 4"),
    (lambda x: x.masked_fill(cr.tensor([1, 0, 1, 0]), 0.0), TypeError,
     r"masked_fill: mask must be a bool tensor, got int64"),
    (lambda x: x.masked_fill(cr.ones(2, 3, 4, 1, dtype=cr.bool), 0.0), ValueError,
     r"masked_fill: a mask of shape \(2, 3, 4, 1\) does not broadcast to .* \(2, 3, 4\)"),
    (lambda x: x.masked_fill(cr.ones(4, dtype=cr.bool), cr.ones(2)), ValueError,
     r"masked_fill: value must be a number or a 0-d tensor"),
])
def test_errors(call, error, message):
    with pytest.raises(error, match=message):
        call(cr.zeros(2, 3, 4))


def test_assignment_checks_the_index_too():
    x = cr.zeros(2, 3)
    with pytest.raises(IndexError, match="index 3 is out of range for dim 1 of size 3"):
        x[:, 3] = 1.0
