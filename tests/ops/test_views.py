"""Views follow PyTorch's rules: view shares memory or refuses, reshape copies only when it must,
and strides, contiguity and as_strided read the same as PyTorch's."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op


def pair(shape=(3, 4)):
    a = np.arange(np.prod(shape), dtype=np.float64).reshape(shape)
    return cr.tensor(a), torch.tensor(a)


def test_view_of_a_transpose_refuses_like_pytorch():
    a, b = pair()
    with pytest.raises(RuntimeError):
        b.T.view(12)
    with pytest.raises(RuntimeError, match=r"view: a tensor of shape \(4, 3\) with strides "
                                           r"\(1, 4\) cannot be viewed as shape \(12,\)"):
        a.T.view(12)


def test_view_shares_memory_and_writes_reach_the_base():
    a, _ = pair()
    v = a.view(2, 6)
    v[0, 0] = 100.0
    assert a[0, 0].item() == 100.0
    a.T.view(2, 2, 3)  # splitting one dim of a transpose is a view in PyTorch too
    assert np.shares_memory(a.T.view(2, 2, 3).array, a.array)


@pytest.mark.parametrize("make", [lambda t: t.T, lambda t: t[:, ::2], lambda t: t[1:]])
def test_reshape_views_where_it_can_and_copies_where_it_must(make):
    a, b = pair((4, 6))
    ours, theirs = make(a).reshape(-1), make(b).reshape(-1)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    shares_torch = ours is not None and theirs.data_ptr() >= b.data_ptr() and \
        theirs.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()
    assert np.shares_memory(ours.array, a.array) == shares_torch


@pytest.mark.parametrize("make", [lambda t: t, lambda t: t.T, lambda t: t[:, 1::2],
                                  lambda t: t[::2], lambda t: t.unsqueeze(1),
                                  lambda t: t.expand(2, 4, 6), lambda t: t.permute(1, 0)[1:]])
def test_strides_and_contiguity_read_as_in_pytorch(make):
    a, b = pair((4, 6))
    assert make(a).stride() == make(b).stride()
    assert make(a).stride(-1) == make(b).stride(-1)
    assert make(a).is_contiguous() == make(b).is_contiguous()
    c = make(a).contiguous()
    assert c.is_contiguous() and c.tolist() == make(b).contiguous().tolist()


def test_contiguous_returns_the_tensor_itself_when_it_is():
    a, _ = pair()
    assert a.contiguous() is a


@pytest.mark.parametrize("size, stride, offset", [((2, 2), (1, 2), 0), ((3, 3), (1, 1), 1),
                                                  ((2, 3), (3, 1), 2), ((4,), (0,), 5)])
def test_as_strided_values_and_gradients(size, stride, offset):
    check_op(lambda m, x: m.as_strided(x, size, stride, offset), [(3, 4)])
    a, b = pair()
    np.testing.assert_array_equal(a.as_strided(size, stride, offset).numpy(),
                                  b.as_strided(size, stride, offset).numpy())


def test_as_strided_refuses_what_reaches_outside():
    a, _ = pair()
    with pytest.raises(RuntimeError, match="as_strided: sizes"):
        a.as_strided((3, 5), (4, 1))


def test_reshape_keeps_its_old_errors():
    a, _ = pair()
    with pytest.raises(ValueError, match=r"reshape: cannot reshape a tensor of shape \(3, 4\)"):
        a.reshape(5, -1)
    with pytest.raises(ValueError, match="view: cannot reshape"):
        a.view(-1, -1)


def test_gradients_flow_through_reshape_of_a_non_contiguous_tensor():
    check_op(lambda m, x: m.reshape(x.T, (-1,)), [(3, 4)])
    check_op(lambda m, x: x.T.contiguous().view(2, 6), [(3, 4)])
