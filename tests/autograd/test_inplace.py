"""In-place ops inside the graph, and writes through views, against PyTorch: each program below
runs once with m = chainrule and once with m = torch on the same leaves; values and gradients
must agree."""
import numpy as np
import pytest
import torch

import chainrule as cr


def run_both(program, *shapes, seed=0):
    """program(m, *leaves) -> a tensor; returns (ours, theirs) as (value, [leaf grads])."""
    rng = np.random.default_rng(seed)
    arrays = [rng.uniform(-2, 2, size=s) for s in shapes]
    results = []
    for m in (cr, torch):
        leaves = [m.tensor(a.copy(), requires_grad=True) for a in arrays]
        out = program(m, *leaves)
        (out * m.tensor(np.linspace(-1, 1, out.numel()).reshape(tuple(out.shape)))).sum() \
            .backward()
        results.append((out.detach().numpy().copy(),
                        [None if t.grad is None else t.grad.numpy().copy() for t in leaves]))
    return results


def assert_same(program, *shapes):
    (ours, our_grads), (theirs, their_grads) = run_both(program, *shapes)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
    for g, h in zip(our_grads, their_grads):
        assert (g is None) == (h is None)
        if g is not None:
            np.testing.assert_allclose(g, h, rtol=1e-10, atol=1e-12)


def residual(m, x, w):
    out = x @ w
    out += x          # a ResNet block's `out += identity`
    return out.relu_()


def first_column_zeroed(m, x):
    y = x * 2
    y[:, 0] = 0
    return y


PROGRAMS = {
    "residual += and relu_": (residual, (4, 3), (3, 3)),
    "x[:, 0] = 0 on a computed tensor": (first_column_zeroed, (3, 4)),
    "add_ with alpha": (lambda m, x, y: (x * 1).add_(y, alpha=-0.5), (3, 4), (3, 4)),
    "mul_ by a tensor that requires grad": (lambda m, x, y: (x * 1).mul_(y), (3, 4), (4,)),
    "div_ then sub_": (lambda m, x, y: (x + 0).div_(y * y + 1).sub_(x), (3, 4), (3, 4)),
    "clamp_": (lambda m, x: (x * 3).clamp_(-1, 1), (5, 4)),
    "masked_fill_": (lambda m, x: (x * 1).masked_fill_(x > 0.5, -3.0), (3, 4)),
    "zero_ then add_": (lambda m, x, y: (x * 1).zero_().add_(y), (3, 4), (3, 4)),
    "fill_": (lambda m, x: (x * 1).fill_(2.5) * x, (3, 4)),
    "copy_": (lambda m, x, y: (x * 1).copy_(y * 2) * x, (3, 4), (4,)),
    "mul_ then exp_": (lambda m, x: (x * 1).mul_(3).exp_(), (3, 4)),
    "sigmoid_ and tanh_": (lambda m, x: (x * 1).sigmoid_() + (x * 1).tanh_(), (3, 4)),
    "setitem with a tensor that requires grad": (
        lambda m, x, y: _set(m.zeros(3, 4, dtype=m.float64), (slice(None), 1), y) * x,
        (3, 4), (3,)),
    "setitem with an index tensor": (
        lambda m, x, y: _set(x * 1, m.tensor([2, 0]), y), (3, 4), (2, 4)),
    "setitem with a boolean mask": (lambda m, x: _set(x * 1, x < 0, 0.0) * x, (3, 4)),
    "scatter_": (lambda m, x, y: (x * 1).scatter_(1, m.tensor([[0, 2], [1, 3], [3, 0]]), y),
                 (3, 4), (3, 2)),
    "index_add_": (lambda m, x, y: (x * 1).index_add_(0, m.tensor([2, 0]), y), (3, 4), (2, 4)),
    # writes through views reach the base, and gradients flow through both
    "mul_ through a slice": (lambda m, x, w: _through(x * 1, lambda v: v.mul_(w)), (4, 3), (2,)),
    "add_ through a transpose's row": (
        lambda m, x, y: _through_t(x * 1, y), (3, 4), (3,)),
    "write through a view of a view": (
        lambda m, x: _view_of_view(x * 1), (4, 6)),
    "view used after its base changed": (lambda m, x: _stale(x * 1), (3, 4)),
    "write through a narrowed view": (lambda m, x, y: _narrowed(x * 1, y), (4, 3), (2, 3)),
    "write through reshape's view": (lambda m, x: _reshaped(x * 1), (2, 6)),
}


def _set(t, key, value):
    t[key] = value
    return t


def _through(b, write):
    v = b[1:3, :2]
    write(v)
    return b * b + v.sum()


def _through_t(b, y):
    b.T[1].add_(y)
    return b


def _view_of_view(b):
    v = b[1:, 2:].T[::2]
    v.pow_(2)
    return b


def _stale(b):
    v = b[0]
    b.mul_(2)
    return v * 3


def _narrowed(b, y):
    b.narrow(0, 0, 2).sub_(y)
    return b.exp()


def _reshaped(b):
    v = b.view(3, 4)
    v[1] = v[0].exp()
    return b


@pytest.mark.parametrize("name", PROGRAMS)
def test_in_place_programs_match_pytorch(name):
    program, *shapes = PROGRAMS[name]
    assert_same(program, *shapes)


def test_random_fills_replace_the_history():
    for fill in (lambda t: t.normal_(0.0, 2.0), lambda t: t.uniform_(-1, 1)):
        x = cr.randn(3, 4, requires_grad=True)
        y = fill(x * 1)
        (y * x).sum().backward()
        np.testing.assert_array_equal(x.grad.numpy(), y.detach().numpy())  # d(y*x)/dx = y


def test_a_saved_value_overwritten_names_the_op_the_shape_and_both_versions():
    x = cr.randn(3, 2, requires_grad=True)
    y = x * 1
    z = (y * y).sum()  # Mul saves y
    y.add_(1)
    with pytest.raises(RuntimeError, match=r"Mul: .*shape \(3, 2\).*version 0, now 1"):
        z.backward()


def test_an_op_that_saves_its_output_notices_a_later_change():
    x = cr.randn(3, requires_grad=True)
    y = x.exp()
    y.exp_()            # saves its output: y itself
    y.add_(1)
    with pytest.raises(RuntimeError, match="Exp.*version 1, now 2"):
        y.sum().backward()


def test_a_change_that_no_backward_needs_is_fine():
    x = cr.randn(3, requires_grad=True)
    y = x.exp()         # saves its output, y
    z = (y + 1) * 2     # Add saves nothing; y is still needed by Exp only
    z.add_(1)
    z.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), 2 * np.exp(x.numpy()))


def test_leaves_that_require_grad_cannot_change_in_place_while_recording():
    w = cr.randn(3, requires_grad=True)
    with pytest.raises(RuntimeError, match="add_: a leaf tensor that requires grad"):
        w.add_(1)
    with pytest.raises(RuntimeError, match="view of a leaf tensor that requires grad"):
        w[0].add_(1)
    with cr.no_grad():
        w.add_(1)
        w[0] = 5.0
    assert w[0].item() == 5.0


def test_in_place_ops_keep_dtype_and_shape_as_pytorch_does():
    t = cr.zeros(2, 3, dtype=cr.int64)
    with pytest.raises(TypeError, match="add_: the result has dtype float"):
        t += 1.5
    q = cr.zeros(3)
    with pytest.raises(RuntimeError, match=r"add_: the result has shape \(2, 3\)"):
        q += cr.ones(2, 3)
    f = cr.zeros(3, dtype=cr.float32)
    f += cr.ones(3, dtype=cr.float64)  # a cast PyTorch makes
    assert f.dtype == cr.float32 and f.tolist() == [1, 1, 1]


def test_in_place_ops_return_the_same_tensor_and_count_versions():
    x = cr.randn(3, requires_grad=True) * 1
    v = x[1:]
    before = x._version
    assert x.mul_(2) is x and v.add_(1) is v
    assert x._version == v._version == before + 2
    x[0] = 1.0
    assert x._version == before + 3


def test_writes_through_one_of_several_views_reach_the_base():
    """PyTorch refuses in-place changes of chunk()'s and split()'s outputs; chainrule makes
    them, as if each were a narrow()."""
    x = cr.randn(4, 3, requires_grad=True)
    y = cr.randn(2, 3, requires_grad=True)
    b = x * 1
    top, _ = b.chunk(2)
    top.sub_(y)
    (b * b).sum().backward()
    expected = 2 * (x.detach().numpy() - np.pad(y.detach().numpy(), ((0, 2), (0, 0))))
    np.testing.assert_allclose(x.grad.numpy(), expected)
    np.testing.assert_allclose(y.grad.numpy(), -expected[:2])


def test_an_expanded_view_cannot_be_written():
    x = cr.zeros(1, 3).expand(4, 3)
    with pytest.raises(RuntimeError, match="expanded view"):
        x.add_(1)


def test_in_place_under_no_grad_keeps_the_history():
    x = cr.randn(3, requires_grad=True)
    y = x * 2
    with cr.no_grad():
        y.mul_(0.5)
    assert y.grad_fn is not None and y.grad_fn.name == "Mul"


def relu_block(m, x, w):
    F = m.nn.functional
    h = F.relu(x @ w, inplace=True)
    h = m.nn.ReLU(inplace=True)(h - 0.5)
    return F.leaky_relu(h * 2 - 1, 0.1, True) + F.hardtanh(h + 0, -0.5, 0.5, inplace=True)


def test_functions_and_layers_with_inplace_true_write_into_their_input():
    assert_same(relu_block, (4, 3), (3, 3))
    x = cr.randn(3, 4)
    assert cr.nn.functional.relu(x, inplace=True) is x and x.min().item() >= 0
    d = cr.nn.Dropout(0.5, inplace=True)
    y = cr.ones(100)
    assert d(y) is y and 0 < (y == 0).sum().item() < 100
