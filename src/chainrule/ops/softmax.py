"""Softmax and its relatives along a dim (log_softmax; logsumexp, a reduction).

Each subtracts the row's maximum m before exponentiating: the shift cancels in the result, and
afterwards every exponent is <= 0, so inputs of any magnitude give finite values and gradients."""
import numpy as np

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import tensor_method
from .elementwise import Exp, floating
from .reduce import Sum, dims_of, kept_shape
from .shape import normalize_dim, reshape

__all__ = ["softmax", "log_softmax", "logsumexp"]


def _shifted(x, axes):
    """(x - m, m), m the maximum over `axes` (kept as size 1). Where m is infinite (a row of -inf,
    as masked attention makes) or the row is empty, the shift is 0 instead."""
    xp = array_module(x)
    if any(x.shape[a] == 0 for a in axes):
        m = xp.zeros(kept_shape(x.shape, axes), x.dtype)
    else:
        m = x.max(axis=axes, keepdims=True)
        m = xp.where(xp.isfinite(m), m, 0)
    return x - m, m


def _log_sum(e, axes):
    """log of the sum of e over axes (kept as size 1); -inf for an empty row or a row of zeros
    (from -inf inputs), without a warning."""
    with np.errstate(divide="ignore"):
        return array_module(e).log(e.sum(axis=axes, keepdims=True))


class Softmax(Op):
    """y = e^(x - m) / sum e^(x - m). Backward: y (g - sum(g y))."""

    def forward(ctx, x, axes):
        ctx.axes = axes
        z, _ = _shifted(x, axes)
        e = array_module(z).exp(z)
        e /= e.sum(axis=axes, keepdims=True)
        ctx.save_for_backward(e)
        return e

    def backward(ctx, g):
        y, = ctx.saved_like(g)
        return y * (g - Sum.apply(g * y, ctx.axes, True))


class LogSoftmax(Op):
    """y = (x - m) - log sum e^(x - m). Backward: g - e^y sum(g)."""

    def forward(ctx, x, axes):
        ctx.axes = axes
        z, _ = _shifted(x, axes)
        z -= _log_sum(array_module(z).exp(z), axes)
        ctx.save_for_backward(z)
        return z

    def backward(ctx, g):
        y, = ctx.saved_like(g)
        return g - Exp.apply(y) * Sum.apply(g, ctx.axes, True)


class LogSumExp(Op):
    """y = m + log sum e^(x - m). Its derivative is the softmax: dy/dx = e^(x - y)."""

    def forward(ctx, x, axes, keepdim):
        ctx.kept = kept_shape(x.shape, axes)
        z, m = _shifted(x, axes)
        y = _log_sum(array_module(z).exp(z), axes)
        y += m
        if not keepdim:
            y = y.reshape(tuple(s for i, s in enumerate(x.shape) if i not in axes))
        ctx.save_for_backward(x, y)
        return y

    def backward(ctx, g):
        x, y = ctx.saved_like(g)
        return reshape(g, ctx.kept) * Exp.apply(x - reshape(y, ctx.kept))


def _along(name, x, dim, dtype=None):
    """x as a float tensor (in `dtype` if given) and the one axis to normalize over."""
    if dtype is not None:
        x = x.to(dtype)
    x = floating(x)
    axis = normalize_dim(name, dim, x.ndim)
    return x, (axis,) if x.ndim else ()  # a 0-d tensor is a row of one


@tensor_method
def softmax(x, dim, dtype=None):
    """e^x / sum(e^x) along dim: positive entries that sum to 1."""
    return Softmax.apply(*_along("softmax", x, dim, dtype))


@tensor_method
def log_softmax(x, dim, dtype=None):
    """log(softmax(x, dim)), computed without taking the log of a tiny number."""
    return LogSoftmax.apply(*_along("log_softmax", x, dim, dtype))


@tensor_method
def logsumexp(x, dim, keepdim=False):
    """log(sum(e^x)) over dim (an int or a tuple), without overflow."""
    x = floating(x)
    axes = dims_of("logsumexp", dim, x.ndim)
    return LogSumExp.apply(x, axes if x.ndim else (), keepdim)
