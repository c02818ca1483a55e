"""Custom ops with PyTorch's API (cr.autograd.Function), and once_differentiable."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import Function, Op, gradcheck, gradgradcheck, once_differentiable
from custom_functions import Cube


class Exp(Function):
    """Saves its output, as PyTorch's exp does."""

    @staticmethod
    def forward(ctx, x):
        y = x.exp()
        ctx.save_for_backward(y)
        return y

    @staticmethod
    def backward(ctx, grad):
        y, = ctx.saved_tensors
        return grad * y


class ScaleAdd(Function):
    """a * s + b for a Python number s: one gradient per input, None for s."""

    @staticmethod
    def forward(ctx, a, s, b):
        ctx.s = s
        return a * s + b

    @staticmethod
    def backward(ctx, grad):
        seen.append(ctx.needs_input_grad)
        return (grad * ctx.s if ctx.needs_input_grad[0] else None, None,
                grad if ctx.needs_input_grad[2] else None)


seen = []


def x64(values, requires_grad=True):
    return cr.tensor(values, dtype=cr.float64, requires_grad=requires_grad)


def test_custom_op_forward_and_backward():
    x = x64([1.0, -2.0, 0.5])
    y = Cube.apply(x)
    assert y.grad_fn.name == "Cube" and y.tolist() == [1.0, -8.0, 0.125]
    y.sum().backward()
    assert x.grad.tolist() == [3.0, 12.0, 0.75]
    assert gradcheck(Cube.apply, [x64([0.3, -1.1])])


def test_custom_op_used_twice_in_a_graph():
    x = x64([0.5, 1.5])
    y = Cube.apply(Cube.apply(x) + x)  # (x^3 + x)^3
    y.sum().backward()
    t = torch.tensor([0.5, 1.5], dtype=torch.float64, requires_grad=True)
    ((t ** 3 + t) ** 3).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-12)


def test_saved_output_and_double_backward():
    x = x64([0.2, -0.4])
    g, = cr.grad(Exp.apply(x).sum(), [x], create_graph=True)
    gg, = cr.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), np.exp([0.2, -0.4]), rtol=1e-12)
    assert gradgradcheck(Exp.apply, [x64([0.1, 0.7])])


def test_double_backward_through_a_custom_op_matches_torch():
    x = x64([0.5, -1.25, 2.0])
    g, = cr.grad((Cube.apply(x) * x.sin()).sum(), [x], create_graph=True)
    gg, = cr.grad((g * g).sum(), [x])
    t = torch.tensor([0.5, -1.25, 2.0], dtype=torch.float64, requires_grad=True)
    tg, = torch.autograd.grad((t ** 3 * t.sin()).sum(), [t], create_graph=True)
    tgg, = torch.autograd.grad((tg * tg).sum(), [t])
    np.testing.assert_allclose(gg.numpy(), tgg.numpy(), rtol=1e-10)
    assert gradgradcheck(Cube.apply, [x64([0.3, -0.8])])


def test_needs_input_grad_and_non_tensor_arguments():
    seen.clear()
    a, b = x64([1.0, 2.0]), x64([3.0, 4.0], requires_grad=False)
    ScaleAdd.apply(a, 2.5, b).sum().backward()
    assert seen == [(True, False, False)]
    assert a.grad.tolist() == [2.5, 2.5] and b.grad is None


def test_non_differentiable_output():
    class MaxWithIndex(Function):
        @staticmethod
        def forward(ctx, x):
            i = int(np.argmax(x.numpy()))
            index = cr.tensor(i)
            ctx.mark_non_differentiable(index)
            ctx.i, ctx.n = i, x.shape[0]
            return x[i], index

        @staticmethod
        def backward(ctx, grad, grad_index):
            assert grad_index.tolist() == 0  # an unused output's gradient is zeros
            out = np.zeros(ctx.n)
            out[ctx.i] = 1.0
            return grad * cr.tensor(out, dtype=cr.float64)

    x = x64([1.0, 5.0, 2.0])
    value, index = MaxWithIndex.apply(x)
    assert value.requires_grad and not index.requires_grad and index.item() == 1
    value.backward()
    assert x.grad.tolist() == [0.0, 1.0, 0.0]


def test_op_saves_an_array_passed_as_it_is():
    class Scale(Op):
        def forward(ctx, x, w):
            ctx.save_for_backward(w)  # w came in as a NumPy array, not a Tensor
            return x * w

        def backward(ctx, g):
            w, = ctx.saved_tensors
            return g * w, None

    x = x64([1.0, 2.0])
    Scale.apply(x, np.array([3.0, 4.0])).sum().backward()
    assert x.grad.tolist() == [3.0, 4.0]


def test_single_output_marked_non_differentiable():
    class Rank(Function):
        @staticmethod
        def forward(ctx, x):
            ranks = cr.tensor(np.argsort(np.argsort(x.numpy())).astype(np.float64))
            ctx.mark_non_differentiable(ranks)
            return ranks

    x = x64([3.0, 1.0, 2.0])
    ranks = Rank.apply(x)
    assert ranks.tolist() == [2.0, 0.0, 1.0] and not ranks.requires_grad
    assert (x * ranks).sum().requires_grad  # the graph still flows around it
    with pytest.raises(RuntimeError, match="does not require grad"):
        ranks.sum().backward()


def test_forward_records_nothing_inside():
    class Inspect(Function):
        @staticmethod
        def forward(ctx, x):
            y = x * 2
            assert not y.requires_grad and not cr.is_grad_enabled()
            return y

        @staticmethod
        def backward(ctx, grad):
            return grad * 2

    y = Inspect.apply(x64([1.0]))
    assert y.requires_grad and y.grad_fn.name == "Inspect"


def test_no_graph_when_no_input_requires_grad():
    y = Cube.apply(x64([2.0], requires_grad=False))
    assert not y.requires_grad and y.grad_fn is None and y.tolist() == [8.0]
    with cr.no_grad():
        assert Cube.apply(x64([2.0])).grad_fn is None


def test_backward_mistakes_are_named():
    class TooMany(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad, grad

    class Raw(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, grad):
            return grad.numpy()

    class NoBackward(Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

    x = x64([1.0])
    with pytest.raises(RuntimeError, match="TooMany.backward returned 2 gradients.*1 inputs"):
        TooMany.apply(x).sum().backward()
    with pytest.raises(TypeError, match="Raw.backward returned a ndarray, expected a Tensor"):
        Raw.apply(x).sum().backward()
    with pytest.raises(NotImplementedError, match="backward"):
        NoBackward.apply(x).sum().backward()


# ---- once_differentiable -------------------------------------------------------------------------
@once_differentiable
class FusedSquare(Op):
    """x^2 with a backward on raw arrays (a fused fast path): right once, not twice."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x

    def backward(ctx, g):
        x, = ctx.saved_arrays
        assert type(g) is np.ndarray  # always arrays, even when the walk records
        return 2 * x * g


class FusedCube(Function):
    """The PyTorch spelling: @once_differentiable under @staticmethod on backward."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    @once_differentiable
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return cr.tensor(3 * x.numpy() ** 2 * grad.numpy())


@pytest.mark.parametrize("op", [FusedSquare, FusedCube], ids=["class", "backward"])
def test_once_differentiable_first_order_is_right(op):
    x = x64([1.5, -2.0])
    y = op.apply(x)
    assert not op.differentiable_backward
    power = 2 if op is FusedSquare else 3
    expected = power * np.array([1.5, -2.0]) ** (power - 1)
    g, = cr.grad(y.sum(), [x])
    np.testing.assert_allclose(g.numpy(), expected)
    g, = cr.grad(op.apply(x).sum(), [x], create_graph=True)  # asking for a graph is fine
    np.testing.assert_allclose(g.numpy(), expected)
    with pytest.raises(RuntimeError, match=rf"{op.__name__} is once_differentiable.*cannot be "
                                           "differentiated again"):
        cr.grad(g.sum(), [x])  # differentiating the gradient is not


def test_once_differentiable_inside_a_larger_graph_still_raises():
    x = x64([0.5, 1.0])
    g, = cr.grad((FusedSquare.apply(x.sin()) * x).sum(), [x], create_graph=True)
    with pytest.raises(RuntimeError, match="FusedSquare is once_differentiable"):
        (g * g).sum().backward()
