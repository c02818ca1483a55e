"""The Tensor class: properties, conversions, hooks, in-place rules and version counters."""
import copy

import numpy as np
import pytest
import torch

import chainrule as cr


# ---- properties and conversions ------------------------------------------------------------
def test_properties():
    t = cr.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    assert t.shape == (2, 3) and t.ndim == 2 and t.dim() == 2
    assert t.dtype == cr.float32 and t.device == cr.device("cpu") and str(t.device) == "cpu"
    assert t.size() == (2, 3) and t.size(0) == 2 and t.size(-1) == 3
    assert t.numel() == 6 and len(t) == 2
    assert not t.requires_grad and t.is_leaf and t.grad is None and t.grad_fn is None


def test_item_and_tolist():
    assert cr.tensor([[2.5]]).item() == 2.5
    assert isinstance(cr.tensor(3).item(), int)
    assert cr.tensor([[1, 2], [3, 4]]).tolist() == [[1, 2], [3, 4]]
    with pytest.raises(ValueError, match=r"one element.*\(2,\)"):
        cr.tensor([1.0, 2.0]).item()


def test_array_and_numpy_share_memory():
    t = cr.zeros(3)
    t.array[0] = 5.0
    assert t.numpy()[0] == 5.0
    t.numpy()[1] = 7.0
    assert t.tolist() == [5.0, 7.0, 0.0]


def test_detach_shares_memory_and_leaves_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    d = y.detach()
    assert not d.requires_grad and d.grad_fn is None and d.is_leaf
    assert np.shares_memory(d.array, y.array)


def test_clone_copies_and_stays_in_the_graph():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    c = x.clone()
    assert not np.shares_memory(c.array, x.array) and c.grad_fn is not None
    (c * 3).sum().backward()
    assert x.grad.tolist() == [3.0, 3.0]


@pytest.mark.parametrize("method, dtype", [("float", cr.float32), ("double", cr.float64),
                                           ("half", cr.float16), ("long", cr.int64),
                                           ("int", cr.int32), ("bool", cr.bool)])
def test_dtype_conversions(method, dtype):
    t = getattr(cr.tensor([0.0, 1.5, 2.0]), method)()
    assert t.dtype == dtype
    assert t.tolist() == torch.tensor([0.0, 1.5, 2.0]).__getattribute__(method)().tolist()


def test_to_and_astype_are_differentiable():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x.to(cr.float64)
    assert y.dtype == cr.float64 and x.astype("float16").dtype == cr.float16
    (y * y).sum().backward()
    assert x.grad.dtype == cr.float32 and x.grad.tolist() == [2.0, 4.0]


def test_zero_dim_results_are_arrays():
    """NumPy turns 0-d results into scalars; a Tensor always holds an ndarray."""
    x = cr.tensor(2.0, requires_grad=True)
    y = (x * 3).sin()
    assert type(y.array) is np.ndarray and y.shape == ()
    with cr.no_grad():
        z = x * 3
        z += 1  # in place on a 0-d result: needs a real array
    assert z.item() == 7.0


def test_repr_is_readable():
    assert repr(cr.tensor([1.0, 2.0])) == "tensor([1., 2.])"
    assert repr(cr.tensor([1, 2])) == "tensor([1, 2])"
    assert repr(cr.tensor([1.0], dtype=cr.float64)) == "tensor([1.], dtype=float64)"
    x = cr.tensor([1.0], requires_grad=True)
    assert repr(x) == "tensor([1.], requires_grad=True)"
    assert repr(x * 2) == "tensor([2.], grad_fn=<Mul>)"
    assert "..." in repr(cr.zeros(1001))  # long tensors are summarized


def test_format_and_deepcopy():
    loss = cr.tensor(0.123456)
    assert f"{loss:.3f}" == "0.123"
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    w.grad = cr.tensor([0.5, 0.5])
    w2 = copy.deepcopy(w)
    assert w2.requires_grad and w2.tolist() == [1.0, 2.0] and w2.grad.tolist() == [0.5, 0.5]
    assert not np.shares_memory(w2.array, w.array)
    with pytest.raises(RuntimeError, match="only leaf tensors"):
        copy.deepcopy(w * 2)


# ---- requires_grad, leaves and hooks -----------------------------------------------------------
def test_requires_grad_only_on_floats():
    with pytest.raises(TypeError, match="only floating-point tensors can require grad.*int64"):
        cr.tensor([1, 2], requires_grad=True)
    with pytest.raises(TypeError, match="int32"):
        cr.zeros(2, dtype=cr.int32).requires_grad_()
    x = cr.zeros(2).requires_grad_()
    assert x.requires_grad and x.is_leaf


def test_requires_grad_of_a_computed_tensor_cannot_change():
    y = cr.ones(2, requires_grad=True) * 2
    assert not y.is_leaf
    assert y.requires_grad_() is y  # already true: nothing to change
    with pytest.raises(RuntimeError, match="only a leaf"):
        y.requires_grad_(False)


def test_retain_grad_keeps_a_non_leaf_gradient():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 3
    z = x * 4
    y.retain_grad()
    (y * y + z).sum().backward()
    assert y.retains_grad and y.grad.tolist() == [6.0, 12.0]
    assert z.grad is None  # intermediate gradients are not kept unless asked
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.ones(2).retain_grad()


def test_register_hook_sees_and_replaces_gradients():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    seen = []
    x.register_hook(lambda g: seen.append(g.tolist()))
    y = x * 2
    y.register_hook(lambda g: g * 10)  # replaces the gradient flowing on
    y.sum().backward()
    assert seen == [[20.0, 20.0]] and x.grad.tolist() == [20.0, 20.0]


def test_hook_of_a_dropped_tensor_still_runs_and_handle_removes():
    x = cr.tensor([1.0], requires_grad=True)
    calls = []

    def make():
        h = x * 2
        h.register_hook(lambda g: calls.append("h"))
        return h + 1  # h itself is gone after this returns, its node is not

    out = make()
    handle = x.register_hook(lambda g: calls.append("x"))
    out.sum().backward(retain_graph=True)
    handle.remove()
    out.sum().backward()
    assert calls == ["h", "x", "h"]
    with pytest.raises(RuntimeError, match="does not require grad"):
        cr.ones(1).register_hook(print)


def test_leaf_grads_do_not_share_memory():
    """Add hands the same gradient to both inputs; each .grad must own its array."""
    a = cr.ones(3, requires_grad=True)
    b = cr.ones(3, requires_grad=True)
    (a + b).sum().backward()
    with cr.no_grad():
        a.grad *= 5
    assert b.grad.tolist() == [1.0, 1.0, 1.0]


# ---- in-place changes and version counters -----------------------------------------------------
def test_in_place_on_a_leaf_under_no_grad():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with cr.no_grad():
        w -= 0.5
        w *= 2
        w /= 4
        w += 1
        w[0] = 10.0
    assert w.tolist() == [10.0, 1.75] and w.requires_grad and w.is_leaf
    with pytest.raises(RuntimeError, match="leaf tensor that requires grad.*no_grad"):
        w += 1
    with pytest.raises(RuntimeError, match="__setitem__: a leaf tensor"):
        w[0] = 1.0


def test_in_place_on_tensors_that_need_no_grad():
    t = cr.zeros(4)
    t += 1
    t[1:3] = 5.0
    t.add_(1, alpha=2).mul_(2)
    assert t.tolist() == [6.0, 14.0, 14.0, 6.0]
    with pytest.raises(TypeError, match="add_: the result has dtype float32.*int64"):
        cr.zeros(2, dtype=cr.int64).__iadd__(0.5)


def test_in_place_on_a_tensor_the_graph_needs_is_recorded():
    """(tests/autograd/test_inplace.py checks these against PyTorch.)"""
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    y += 1
    assert y.grad_fn.name == "Add"
    with cr.no_grad():
        y[0] = 0.0
    z = cr.zeros(2)
    z[0] = x[0]
    assert z.requires_grad and z.grad_fn.name == "Put"


def test_changing_a_saved_input_makes_backward_raise():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    w = cr.tensor([3.0, 4.0])  # needs no grad: may be changed in place, but Mul saved it
    y = (x * w).sum()
    w += 1
    with pytest.raises(RuntimeError, match=r"Mul: a tensor it saved.*\(2,\).*changed in place"
                                           r".*version 0, now 1"):
        y.backward()


def test_changing_a_saved_leaf_makes_backward_raise():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    loss = (w * w).sum()
    with cr.no_grad():
        w -= 0.1  # an optimizer step before backward: the graph saw the old w
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_changing_a_saved_non_leaf_through_detach_makes_backward_raise():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = x * 2
    z = y.exp()  # saves its output
    s = (y * y).sum() + z.sum()  # saves y
    y.detach().add_(1)  # shares y's memory and version counter
    with pytest.raises(RuntimeError, match="Mul: a tensor it saved"):
        s.backward(retain_graph=True)
    z.detach().zero_()
    with pytest.raises(RuntimeError, match="Exp: a tensor it saved"):
        z.sum().backward()


def test_views_share_the_version_counter():
    base = cr.zeros(2, 2)
    view = base.reshape(4)
    assert view._version_counter() is base._version_counter()
    x = cr.ones(2, 2, requires_grad=True)
    loss = (x * base).sum()
    view += 1  # changes base's memory
    assert base._version == 1
    with pytest.raises(RuntimeError, match="changed in place"):
        loss.backward()


def test_changing_the_base_of_a_saved_view_makes_backward_raise():
    w = cr.tensor([1.0, 2.0, 3.0, 4.0], requires_grad=True)
    v = w.reshape(2, 2)  # a computed tensor sharing w's memory (and counter)
    loss = (v * v).sum()
    with cr.no_grad():
        w -= 1
    with pytest.raises(RuntimeError, match="Mul: a tensor it saved"):
        loss.backward()


def test_unchanged_saved_tensors_backward_fine():
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    c = cr.tensor([3.0, 4.0])
    c += 1  # before use: the graph saves version 1
    loss = (w * c).sum()
    loss.backward()
    assert w.grad.tolist() == [4.0, 5.0]
