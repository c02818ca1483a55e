"""Tensor methods that describe a tensor or make one like it, against PyTorch: element_size,
type, t, and new_zeros / new_ones / new_full / new_empty / new_tensor (dtype and device from
self unless given)."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op

DTYPES = ["float32", "float64", "float16", "int64", "int32", "int16", "int8", "uint8", "bool"]


@pytest.mark.parametrize("dtype", DTYPES)
def test_element_size_and_type_name(dtype):
    ours, theirs = cr.zeros(2, dtype=dtype), torch.zeros(2, dtype=getattr(torch, dtype))
    assert ours.element_size() == theirs.element_size()
    assert ours.type() == theirs.type().replace("torch.", "chainrule.")


@pytest.mark.parametrize("target", [cr.float64, "float64", "torch.DoubleTensor",
                                    "chainrule.IntTensor", "torch.LongTensor", "bool"])
def test_type_casts(target):
    x = cr.tensor([1.5, -2.0, 0.0])
    theirs = torch.tensor([1.5, -2.0, 0.0])
    spelled = target if isinstance(target, str) else str(target)
    spelled = spelled.replace("chainrule.", "torch.")
    expected = theirs.type(spelled if "." in spelled else getattr(torch, spelled))
    y = x.type(target)
    assert str(y.dtype) == str(expected.dtype)[6:]
    np.testing.assert_array_equal(y.numpy(), expected.numpy())


def test_type_is_differentiable_and_rejects_unknown_names():
    ours = cr.tensor([1.5, -2.0], requires_grad=True)
    theirs = torch.tensor([1.5, -2.0], requires_grad=True)
    for x, name in ((ours, "chainrule.DoubleTensor"), (theirs, "torch.DoubleTensor")):
        y = x.type(name)
        (y * y).sum().backward()
    assert ours.grad.dtype == cr.float32
    np.testing.assert_array_equal(ours.grad.numpy(), theirs.grad.numpy())
    with pytest.raises(ValueError, match="type: expected a dtype or a name"):
        cr.zeros(1).type("numpy.FloatTensor")


@pytest.mark.parametrize("shape", [(3, 4), (5,), (), (1, 0)])
def test_t(shape):
    check_op(lambda m, x: m.t(x) * 2, [shape], name="t")
    check_op(lambda m, x: x.t(), [shape], name="t method")


def test_t_refuses_more_than_two_dims():
    with pytest.raises(ValueError, match=r"t: expects a tensor with at most 2 dims"):
        cr.zeros(2, 3, 4).t()


SOURCES = [np.zeros((2, 2), np.float64), np.zeros(3, np.int32), np.zeros(1, bool)]


@pytest.mark.parametrize("source", SOURCES, ids=lambda a: str(a.dtype))
@pytest.mark.parametrize("make,args", [("new_zeros", ((2, 3),)), ("new_zeros", (2, 3)),
                                       ("new_ones", ((4,),)), ("new_ones", (2, 1)),
                                       ("new_full", ((2, 2), 1.5)), ("new_full", ([3], 7)),
                                       ("new_tensor", ([[1, 2], [3, 4]],)),
                                       ("new_tensor", ([0.5, 2.5],))])
def test_new_like_self(source, make, args):
    ours = getattr(cr.tensor(source), make)(*args)
    theirs = getattr(torch.tensor(source), make)(*args)
    assert str(ours.dtype) == str(theirs.dtype)[6:] and ours.shape == tuple(theirs.shape)
    assert ours.device == cr.tensor(source).device
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


@pytest.mark.parametrize("make,args", [("new_zeros", ((2,),)), ("new_ones", (3,)),
                                       ("new_full", ((2,), 3)), ("new_empty", ((2, 3),)),
                                       ("new_tensor", ([1, 2],))])
def test_new_with_dtype_and_requires_grad(make, args):
    ours = getattr(cr.zeros(1, dtype=cr.int64), make)(*args, dtype=cr.float64, requires_grad=True)
    theirs = getattr(torch.zeros(1, dtype=torch.int64), make)(*args, dtype=torch.float64,
                                                              requires_grad=True)
    assert ours.dtype == cr.float64 and ours.requires_grad and ours.is_leaf
    assert ours.shape == tuple(theirs.shape)
    if make != "new_empty":
        np.testing.assert_array_equal(ours.numpy(), theirs.detach().numpy())


def test_new_tensor_copies():
    data = np.array([1.0, 2.0])
    y = cr.zeros(1).new_tensor(data)
    data[0] = 9.0
    assert y.tolist() == [1.0, 2.0] and y.dtype == cr.float32
