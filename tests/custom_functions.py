"""A custom Function several test modules use: x^3 with a backward written in Tensor ops."""
from chainrule.autograd import Function


class Cube(Function):
    """x^3, with a backward written in Tensor ops: differentiable again."""

    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x * x * x

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return 3 * x * x * grad
