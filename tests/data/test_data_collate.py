import collections
import collections.abc

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
from chainrule.data import default_collate, default_convert

def assert_same_batch(ours, theirs):
    """Same nesting and kinds of containers; Tensors of the same shape, dtype and values."""
    if isinstance(theirs, torch.Tensor):
        assert isinstance(ours, cr.Tensor), f"expected a Tensor, got {type(ours).__name__}"
        assert str(ours.dtype) == str(theirs.dtype).removeprefix("torch."), \
            (ours.dtype, theirs.dtype)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    elif isinstance(theirs, collections.abc.Mapping):
        assert type(ours) is type(theirs) and list(ours) == list(theirs)
        for key in theirs:
            assert_same_batch(ours[key], theirs[key])
    elif isinstance(theirs, (tuple, list)):
        assert type(ours) is type(theirs) and len(ours) == len(theirs), (ours, theirs)
        for a, b in zip(ours, theirs):
            assert_same_batch(a, b)
    elif isinstance(theirs, np.ndarray):
        assert isinstance(ours, np.ndarray)
        np.testing.assert_array_equal(ours, theirs)
    else:
        assert type(ours) is type(theirs) and ours == theirs, (ours, theirs)


Pair = collections.namedtuple("Pair", "image label")


def samples(kind):
    """The same samples twice: for chainrule (cr.Tensors) and for PyTorch (torch tensors)."""
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((2, 3)).astype(np.float32) for _ in range(4)]
    made = {
        "ints": lambda t: [1, 2, 3],
        "floats": lambda t: [0.5, 1.5],
        "bools": lambda t: [True, False, True],
        "numpy scalars": lambda t: [np.float32(1.5), np.float32(2)],
        "numpy ints": lambda t: [np.int32(4), np.int32(-1)],
        "numpy bools": lambda t: [np.bool_(True), np.bool_(False)],
        "arrays": lambda t: arrays,
        "tensors": lambda t: [t(a) for a in arrays],
        "strings": lambda t: ["a", "bc"],
        "tuples": lambda t: [(a, i, "x") for i, a in enumerate(arrays)],
        "lists": lambda t: [[i, float(i)] for i in range(3)],
        "dicts": lambda t: [{"x": t(a), "meta": {"id": i, "w": 0.5}} for i, a in enumerate(arrays)],
        "ordered dicts": lambda t: [collections.OrderedDict(b=i, a=[i, i]) for i in range(3)],
        "namedtuples": lambda t: [Pair(a, i) for i, a in enumerate(arrays)],
        "nested": lambda t: [{"p": Pair(t(a), (i, [np.int64(i)])), "s": str(i)}
                             for i, a in enumerate(arrays)],
    }[kind]
    return made(cr.tensor), made(torch.tensor)


KINDS = ["ints", "floats", "bools", "numpy scalars", "numpy ints", "numpy bools", "arrays",
         "tensors", "strings", "tuples", "lists", "dicts", "ordered dicts", "namedtuples",
         "nested"]


@pytest.mark.parametrize("kind", KINDS)
def test_default_collate_matches_pytorch(kind):
    ours, theirs = samples(kind)
    assert_same_batch(default_collate(ours), tud.default_collate(theirs))


@pytest.mark.parametrize("kind", KINDS)
def test_default_convert_matches_pytorch(kind):
    ours, theirs = samples(kind)
    for a, b in zip(ours, theirs):
        assert_same_batch(default_convert(a), tud.default_convert(b))


def test_default_convert_leaves_string_arrays_and_numbers():
    text = np.array(["a", "b"])
    assert default_convert(text) is text
    assert default_convert(3) == 3 and default_convert("s") == "s"
    assert_same_batch(default_convert(np.float32(2)), tud.default_convert(np.float32(2)))


def test_collating_tensors_that_require_grad_keeps_the_graph():
    xs = [cr.tensor([1.0, 2.0], requires_grad=True) for _ in range(3)]
    batch = default_collate(xs)
    (batch * cr.tensor([[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]])).sum().backward()
    assert [x.grad.numpy().tolist() for x in xs] == [[1, 1], [2, 2], [3, 3]]


@pytest.mark.parametrize("bad,error,message", [
    ([np.zeros(3), np.zeros(4)], RuntimeError, "different shapes"),
    ([(1, 2), (3,)], RuntimeError, "equal size"),
    ([np.array(["a"]), np.array(["b"])], TypeError, "strings or objects"),
    ([object()], TypeError, "cannot batch samples of type object")])
def test_collate_errors_are_pytorchs_kinds(bad, error, message):
    with pytest.raises(error):
        tud.default_collate(bad)
    with pytest.raises(error, match=message):
        default_collate(bad)
