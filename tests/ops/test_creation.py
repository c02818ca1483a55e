"""Making tensors: from data, filled, ranges, random draws, *_like and from_numpy."""
import numpy as np
import pytest
import torch

import chainrule as cr


pytestmark = pytest.mark.usefixtures("torch_float32")


@pytest.mark.parametrize("data", [1.5, [1.0, 2.0], [[1, 2], [3, 4]], True, [False, True], 7, [],
                                  np.arange(3.0), np.arange(4, dtype=np.int32), np.float64(2.5)])
def test_tensor_dtypes_follow_torch(data):
    ours, theirs = cr.tensor(data), torch.tensor(data)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    assert ours.tolist() == theirs.tolist()


def test_tensor_copies_and_as_tensor_or_from_numpy_share():
    a = np.zeros(3, dtype=np.float32)
    t, shared, fn = cr.tensor(a), cr.as_tensor(a), cr.from_numpy(a)
    a[0] = 1.0
    assert t.tolist()[0] == 0.0 and shared.tolist()[0] == 1.0 and fn.tolist()[0] == 1.0
    assert cr.from_numpy(np.zeros(2, np.float64)).dtype == cr.float64  # dtype kept
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        cr.from_numpy([1.0])


def test_tensor_options_and_errors():
    t = cr.tensor([1, 2], dtype=cr.float64, requires_grad=True)
    assert t.dtype == cr.float64 and t.requires_grad and t.is_leaf
    assert cr.tensor(cr.tensor([1.0, 2.0])).tolist() == [1.0, 2.0]
    assert cr.tensor([cr.tensor(1.0), cr.tensor(2.0)]).tolist() == [1.0, 2.0]
    assert cr.tensor([1.0], dtype="float16").dtype == cr.float16
    with pytest.raises(TypeError, match="only floating-point tensors can require grad"):
        cr.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="cannot make a tensor from"):
        cr.tensor([object()])
    with pytest.raises(TypeError, match="unknown dtype 'float7'"):
        cr.tensor([1.0], dtype="float7")


@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_filled_shapes_and_dtypes(name):
    make = getattr(cr, name)
    assert make(2, 3).shape == make((2, 3)).shape == make([2, 3]).shape == (2, 3)
    assert make(2).dtype == cr.float32 and make(2, dtype=cr.int64).dtype == cr.int64
    assert make().shape == ()
    t = make(2, requires_grad=True)
    assert t.requires_grad and t.is_leaf
    if name != "empty":
        assert make(2, 2).tolist() == getattr(torch, name)(2, 2).tolist()


def test_full():
    assert cr.full((2, 2), 7).tolist() == [[7, 7], [7, 7]] and cr.full((2,), 7).dtype == cr.int64
    assert cr.full((2,), 0.5).dtype == cr.float32 and cr.full(3, True).dtype == cr.bool
    assert cr.full((1,), 2, dtype=cr.float64).dtype == cr.float64


@pytest.mark.parametrize("args", [(5,), (2, 7), (1, 2, 0.25), (0.0, 1.0, 0.1), (5, 0, -1),
                                  (-3.0, 3.0)])
def test_arange_matches_torch(args):
    ours, theirs = cr.arange(*args), torch.arange(*args)
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


def test_linspace_and_eye_match_torch():
    np.testing.assert_allclose(cr.linspace(-1, 2, 7).numpy(), torch.linspace(-1, 2, 7).numpy())
    assert cr.linspace(0, 1, 3).dtype == cr.float32
    assert cr.eye(3).tolist() == torch.eye(3).tolist()
    assert cr.eye(2, 4, dtype=cr.int64).tolist() == torch.eye(2, 4, dtype=torch.int64).tolist()


def test_random_draws():
    u, n = cr.rand(2000), cr.randn(2000, dtype=cr.float64)
    assert u.dtype == cr.float32 and n.dtype == cr.float64
    assert 0.0 <= u.numpy().min() and u.numpy().max() < 1.0
    assert abs(n.numpy().mean()) < 0.1 and abs(n.numpy().std() - 1) < 0.1
    r = cr.randint(3, 7, (500,))
    assert r.dtype == cr.int64 and set(r.tolist()) == {3, 4, 5, 6}
    assert set(cr.randint(2, size=(100,)).tolist()) == {0, 1}
    assert cr.rand(2, 3, requires_grad=True).requires_grad


@pytest.mark.parametrize("args, kwargs", [
    ((7, (500,)), {}), ((3, 7, (500,)), {}), ((7,), {"size": (500,)}),
    ((3, 7), {"size": (500,)}), ((3,), {"high": 7, "size": (500,)}),
    ((), {"low": 3, "high": 7, "size": (500,)}), ((7, (2, 250)), {"dtype": cr.int32})])
def test_randint_takes_torchs_forms(args, kwargs):
    """randint(high, size) draws from [0, high): it once drew one number from [high, size[0])."""
    theirs = torch.randint(*args, **{k: torch.int32 if v is cr.int32 else v
                                     for k, v in kwargs.items()})
    ours = cr.randint(*args, **kwargs)
    assert ours.shape == tuple(theirs.shape) and str(ours.dtype) == str(theirs.dtype)[6:]
    low = 3 if 3 in args or kwargs.get("low") == 3 else 0
    assert set(ours.tolist() if ours.ndim == 1 else ours.numpy().ravel().tolist()) == \
        set(range(low, 7))


def test_randint_without_a_size_says_how_to_call_it():
    with pytest.raises(TypeError, match=r"randint\(high, size\) or randint\(low, high, size\)"):
        cr.randint(10)


def test_manual_seed_makes_draws_reproducible():
    cr.manual_seed(123)
    first = [cr.rand(3).tolist(), cr.randn(2, 2).tolist(), cr.randint(0, 100, (4,)).tolist()]
    cr.manual_seed(123)
    again = [cr.rand(3).tolist(), cr.randn(2, 2).tolist(), cr.randint(0, 100, (4,)).tolist()]
    assert first == again
    cr.manual_seed(124)
    assert cr.rand(3).tolist() != first[0]


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                  "randn_like"])
def test_like_keeps_shape_and_dtype(name):
    src = cr.zeros(2, 3, dtype=cr.float64)
    t = getattr(cr, name)(src)
    assert t.shape == (2, 3) and t.dtype == cr.float64 and not t.requires_grad
    assert getattr(cr, name)(src, dtype=cr.float16).dtype == cr.float16


def test_full_like_and_randint_like():
    src = cr.zeros(2, dtype=cr.int32)
    assert cr.full_like(src, 4).tolist() == [4, 4] and cr.full_like(src, 4).dtype == cr.int32
    r = cr.randint_like(src, 5, 8)
    assert r.dtype == cr.int32 and all(5 <= v < 8 for v in r.tolist())


@pytest.mark.parametrize("dtype", [cr.float16, cr.float32, cr.float64, cr.int32, cr.int64,
                                   cr.bool])
def test_every_dtype_can_be_made(dtype):
    t = cr.ones(2, dtype=dtype)
    assert t.dtype == dtype and t.tolist() == [1, 1] and t.array.itemsize == dtype.itemsize
