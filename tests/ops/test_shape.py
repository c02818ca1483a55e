"""Shape ops against PyTorch: forward, backward, double backward and finite differences, with
size-1 and zero-size dims; then errors, views and in-place version tracking."""
import numpy as np
import pytest
import torch
import torch.nn.functional as torch_F

import chainrule as cr
from opcheck import check_op


def _squared(out):
    return tuple(o * o for o in out) if isinstance(out, (tuple, list)) else out * out


def check_rearrangement(fn, shapes, torch_fn=None, name=None):
    """check_op on the op, and on its output squared. A rearrangement is linear, so its own
    second derivative is zero and proves little; squaring the output makes the second derivative
    run through the backward of the op's backward."""
    torch_fn = torch_fn or fn
    check_op(fn, shapes, torch_fn, name=name)
    check_op(lambda m, *xs: _squared(fn(m, *xs)), shapes,
             lambda m, *xs: _squared(torch_fn(m, *xs)), name=f"{name} squared")


CASES = {  # name: (fn, shapes[, torch_fn])
    "reshape": (lambda m, x: x.reshape(6, 4), [(2, 3, 4)]),
    "reshape -1": (lambda m, x: x.reshape(-1, 2), [(3, 1, 4)]),
    "reshape to 0-d": (lambda m, x: x.reshape(()), [(1, 1)]),
    "reshape empty": (lambda m, x: m.reshape(x, (3, 0)), [(0, 3)]),
    "view": (lambda m, x: x.view(4, 3), [(2, 6)]),
    "view_as": (lambda m, x, y: x.view_as(y) + y, [(2, 6), (3, 4)]),
    "flatten": (lambda m, x: x.flatten(), [(2, 3, 4)]),
    "flatten middle": (lambda m, x: m.flatten(x, 1, 2), [(2, 3, 4, 1)]),
    "flatten empty": (lambda m, x: x.flatten(1), [(2, 0, 3)]),
    "flatten 0-d": (lambda m, x: x.flatten(), [()]),
    "unflatten": (lambda m, x: x.unflatten(1, (2, 3)), [(4, 6)]),
    "squeeze all": (lambda m, x: x.squeeze(), [(1, 3, 1, 2)]),
    "squeeze dim": (lambda m, x: x.squeeze(-2), [(1, 3, 1, 2)]),
    "squeeze dims": (lambda m, x: m.squeeze(x, (0, 1)), [(1, 3, 1, 2)]),
    "squeeze size-0": (lambda m, x: x.squeeze(1), [(0, 1)]),
    "unsqueeze": (lambda m, x: x.unsqueeze(1), [(2, 3)]),
    "unsqueeze last": (lambda m, x: m.unsqueeze(x, -1), [(2, 3)]),
    "unsqueeze 0-d": (lambda m, x: x.unsqueeze(0), [()]),
    "transpose": (lambda m, x: x.transpose(0, 2), [(2, 3, 4)]),
    "transpose negative": (lambda m, x: m.transpose(x, -1, -2), [(2, 0, 4)]),
    "swapdims": (lambda m, x: x.swapdims(0, 1), [(2, 3)]),
    "permute": (lambda m, x: x.permute(2, 0, 1), [(2, 3, 4)]),
    "permute tuple": (lambda m, x: m.permute(x, (1, -1, 0)), [(2, 1, 4)]),
    ".T": (lambda m, x: x.T, [(3, 4)]),
    ".T 3-d": (lambda m, x: x.permute(*range(x.ndim - 1, -1, -1)) if m is torch else x.T,
               [(2, 3, 4)]),
    "movedim": (lambda m, x: m.movedim(x, 0, -1), [(2, 3, 4)]),
    "movedim tuple": (lambda m, x: x.movedim((0, 1), (2, 0)), [(2, 3, 4)]),
    "expand": (lambda m, x: x.expand(2, 3, 4), [(3, 1)]),
    "expand -1": (lambda m, x: x.expand(5, -1, 4), [(3, 1)]),
    "expand empty": (lambda m, x: x.expand(0, 3), [(1, 3)]),
    "broadcast_to": (lambda m, x: m.broadcast_to(x, (2, 3, 4)), [(4,)]),
    "expand_as": (lambda m, x, y: x.expand_as(y) * y, [(1, 4), (3, 4)]),
    "sum_to_size": (lambda m, x: x.sum_to_size(3, 1), [(2, 3, 4)]),
    "sum_to_size tuple": (lambda m, x: x.sum_to_size((1, 4)), [(3, 4)]),
    "cat": (lambda m, a, b, c: m.cat([a, b, c]), [(2, 3), (4, 3), (0, 3)]),
    "cat last dim": (lambda m, a, b: m.cat((a, b), dim=-1), [(2, 3, 1), (2, 3, 2)]),
    "cat one": (lambda m, a: m.cat([a], 1), [(2, 3)]),
    "cat 1-D empty skipped": (lambda m, a, b: m.cat([a, b], 1), None),
    "stack": (lambda m, a, b, c: m.stack([a, b, c]), [(2, 3)] * 3),
    "stack last": (lambda m, a, b: m.stack((a, b), dim=-1), [(2, 3)] * 2),
    "stack empty": (lambda m, a, b: m.stack((a, b), 1), [(0,)] * 2),
    "split size": (lambda m, x: x.split(2), [(5, 3)]),
    "split sizes": (lambda m, x: m.split(x, [1, 0, 3], dim=1), [(2, 4)]),
    "split one piece used": (lambda m, x: x.split(2, 1)[1], [(2, 5)]),
    "split empty": (lambda m, x: x.split(2), [(0, 3)]),
    "chunk": (lambda m, x: x.chunk(3), [(5, 2)]),
    "chunk uneven": (lambda m, x: m.chunk(x, 4, dim=1), [(2, 6)]),
    "chunk empty": (lambda m, x: x.chunk(3, 0), [(0, 2)]),
    "unbind": (lambda m, x: x.unbind(1), [(2, 3)]),
    "narrow": (lambda m, x: x.narrow(1, 1, 2), [(2, 4)]),
    "narrow negative start": (lambda m, x: m.narrow(x, 0, -2, 2), [(3, 4)]),
    "pad": (lambda m, x: m.nn.functional.pad(x, (1, 2)) if m is torch else m.pad(x, (1, 2)),
            [(3, 4)]),
    "pad two dims with value": (lambda m, x: (torch_F.pad if m is torch else m.pad)(
        x, (1, 0, 0, 2), value=1.5), [(2, 3, 4)]),
    "pad crops": (lambda m, x: (torch_F.pad if m is torch else m.pad)(x, (-1, 2, 1, -1)),
                  [(3, 4)]),
    "pad empty": (lambda m, x: (torch_F.pad if m is torch else m.pad)(x, (1, 1, 1, 1)),
                  [(0, 3)]),
    "pad reflect": (lambda m, x: (torch_F.pad if m is torch else m.pad)(
        x, (2, 3), mode="reflect"), [(1, 2, 5)]),
    "pad reflect 2-d": (lambda m, x: (torch_F.pad if m is torch else m.pad)(
        x, (1, 2, 2, 1), mode="reflect"), [(1, 2, 3, 4)]),
    "pad replicate": (lambda m, x: (torch_F.pad if m is torch else m.pad)(
        x, (2, 1, 0, 3), mode="replicate"), [(1, 2, 3, 2)]),
    "pad circular": (lambda m, x: (torch_F.pad if m is torch else m.pad)(
        x, (2, 3), mode="circular"), [(1, 2, 4)]),
    "flip": (lambda m, x: x.flip(0), [(3, 4)]),
    "flip dims": (lambda m, x: m.flip(x, (0, -1)), [(2, 3, 4)]),
    "flip empty": (lambda m, x: x.flip(1), [(2, 0)]),
    "roll flat": (lambda m, x: x.roll(2), [(2, 3)]),
    "roll dims": (lambda m, x: m.roll(x, (1, -2), (0, 1)), [(3, 4)]),
    "roll past size": (lambda m, x: x.roll(7, 1), [(2, 3)]),
    "roll empty": (lambda m, x: x.roll(1, 0), [(0, 3)]),
    "repeat": (lambda m, x: x.repeat(2, 1, 3), [(2, 3)]),
    "repeat tuple": (lambda m, x: x.repeat((2, 2)), [(3, 1)]),
    "repeat zero": (lambda m, x: x.repeat(0, 2), [(2, 3)]),
    "repeat 0-d": (lambda m, x: x.repeat(3), [()]),
    "repeat empty": (lambda m, x: x.repeat(2, 2), [(0, 2)]),
    "tile": (lambda m, x: x.tile((2,)), [(2, 3)]),
    "tile more dims": (lambda m, x: m.tile(x, (2, 1, 2)), [(2, 3)]),
}


@pytest.mark.parametrize("name", CASES)
def test_op_against_torch(name):
    fn, shapes = CASES[name]
    if shapes is None:  # PyTorch skips 1-D empty tensors in cat
        inputs = [np.zeros(0), np.arange(6.0).reshape(2, 3)]
        check_op(fn, None, inputs=inputs, name=name)
        return
    check_rearrangement(fn, shapes, name=name)


def test_cat_promotes_dtypes_like_torch():
    a, b = cr.ones(2, dtype=cr.float32), cr.ones(3, dtype=cr.float64)
    assert cr.cat([a, b]).dtype == cr.float64
    assert cr.cat([cr.ones(2, dtype=cr.int64), a]).dtype == cr.float32
    x = cr.ones(2, requires_grad=True)
    cr.cat([x, cr.arange(3)]).sum().backward()
    assert x.grad.dtype == cr.float32 and x.grad.tolist() == [1.0, 1.0]


def test_split_gradient_fills_unused_pieces_with_zeros():
    x = cr.tensor(np.arange(10.0).reshape(5, 2), requires_grad=True)
    a, b, c = x.split(2)
    (c * 3).sum().backward()
    assert x.grad.tolist() == [[0, 0]] * 4 + [[3, 3]]


# ---- errors name the op, what was expected and what was given ---------------------------------
@pytest.mark.parametrize("call, message", [
    (lambda x: x.transpose(0, 3), r"transpose: dim 3 is out of range .*3 dimension.*-3 to 2"),
    (lambda x: x.unsqueeze(-5), r"unsqueeze: dim -5 .*-4 to 3"),
    (lambda x: x.flip(0, 0), r"flip: dims \(0, 0\) name the same dim twice"),
    (lambda x: x.permute(0, 1), r"permute: dims \(0, 1\) must be a rearrangement"),
    (lambda x: x.reshape(5, 5), r"reshape: cannot reshape a tensor of shape \(2, 3, 4\)"),
    (lambda x: x.expand(-1, 3, 4, 5), r"expand: -1 .* new leading dim"),
    (lambda x: x.broadcast_to(3, 3, 4), r"broadcast_to: .*\(2, 3, 4\) cannot be broadcast"),
    (lambda x: cr.cat([x, cr.zeros(2, 4, 4)], 2),
     r"cat: shapes \(2, 3, 4\) and \(2, 4, 4\) must match in every dim except dim 2"),
    (lambda x: cr.cat([x, cr.zeros(2, 3)]), r"cat: shapes \(2, 3, 4\) and \(2, 3\)"),
    (lambda x: cr.cat([]), r"cat: expected a non-empty list"),
    (lambda x: cr.stack([x, x[0]]), r"stack: .*same shape, got \(2, 3, 4\) and \(3, 4\)"),
    (lambda x: x.split([1, 1], 1), r"split: sizes \[1, 1\] .* add up to 3, the size of dim 1"),
    (lambda x: x.split(0), r"split: split_size must be a positive integer"),
    (lambda x: x.chunk(0), r"chunk: chunks must be a positive integer"),
    (lambda x: x.sum().split(1), r"split: expected a tensor with at least one dim"),
    (lambda x: x.narrow(2, 3, 2), r"narrow: start 3 and length 2 do not fit in dim 2 of size 4"),
    (lambda x: cr.pad(x, (1,)), r"pad: expected an even number of widths"),
    (lambda x: cr.pad(x, (-3, -2)), r"pad: widths \(-3, -2\) would crop"),
    (lambda x: cr.pad(x, (1, 1), mode="wrap"), r"pad: mode must be"),
    (lambda x: cr.pad(x[:, :, :1], (1, 1), mode="reflect"),
     r"pad: mode 'reflect' needs .* size at least 2"),
    (lambda x: x.roll((1, 2), 0), r"roll: shifts \(1, 2\) and dims \(0,\) must have"),
    (lambda x: x.repeat(2, 2), r"repeat: got 2 repeat counts .* 3 dims"),
    (lambda x: x.flatten(2, 1), r"flatten: start_dim 2 comes after end_dim 1"),
])
def test_errors(call, message):
    with pytest.raises((ValueError, IndexError)) as info:
        call(cr.zeros(2, 3, 4))
    assert info.match(message)


# ---- views share memory and the version counter; copies do neither --------------------------
VIEWS = {
    "reshape": lambda x: x.reshape(3, 2),
    "unsqueeze": lambda x: x.unsqueeze(0),
    "squeeze": lambda x: x[None].squeeze(0),
    ".T": lambda x: x.T,
    "permute": lambda x: x.permute(1, 0),
    "movedim": lambda x: x.movedim(0, 1),
    "slice": lambda x: x[:, ::2],
    "narrow": lambda x: x.narrow(1, 1, 2),
    "split": lambda x: x.split(1)[0],
    "chunk": lambda x: x.chunk(2, 1)[0],
}


@pytest.mark.parametrize("name", VIEWS)
def test_change_to_leaf_after_view_was_saved_makes_backward_raise(name):
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    v = VIEWS[name](x)
    assert np.shares_memory(v.array, x.array), f"{name} should be a view"
    y = (v * v).sum()  # saves the view for backward
    with cr.no_grad():
        x[0, 0] = 10.0  # changes the memory the view reads
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()


@pytest.mark.parametrize("name", VIEWS)
def test_write_through_detached_view_makes_backward_raise(name):
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = (x * x).sum()  # saves x for backward
    v = VIEWS[name](x).detach()
    with cr.no_grad():
        v[...] = 0.0
    assert x.array.sum() < 15, "the write should have reached x"
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()


@pytest.mark.parametrize("name", VIEWS)
def test_write_through_view_made_under_no_grad_makes_backward_raise(name):
    x = cr.tensor(np.arange(6.0).reshape(2, 3), requires_grad=True)
    y = (x * x).sum()
    with cr.no_grad():
        VIEWS[name](x)[...] = 0.0
    with pytest.raises(RuntimeError, match="changed in place"):
        y.backward()


@pytest.mark.parametrize("copy", [lambda x: x.flip(0), lambda x: x.roll(1),
                                  lambda x: x.repeat(1, 2), lambda x: cr.pad(x, (1, 1)),
                                  lambda x: cr.cat([x, x])])
def test_rearranging_ops_copy_as_in_torch(copy):
    x = cr.tensor(np.arange(6.0).reshape(2, 3))
    y = copy(x)
    y[...] = -1.0
    assert x.tolist() == [[0, 1, 2], [3, 4, 5]]


def test_unaffected_save_survives_change_to_other_leaf():
    """The version check is per memory: a change to an unrelated tensor does not raise."""
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    other = cr.tensor([3.0, 4.0], requires_grad=True)
    y = (x.reshape(2, 1) * x.reshape(1, 2)).sum()
    with cr.no_grad():
        other[0] = 0.0
    y.backward()
    assert x.grad.tolist() == [6.0, 6.0]
