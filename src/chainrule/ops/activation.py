"""Activation functions.

The hot ones in training (relu, sigmoid, tanh) are single ops: one NumPy pass forward, and a
backward that is itself one op computing from the saved output, so that it costs little and can
still be differentiated again. The others are composites of primitives, whose derivatives come
from the chain rule for free."""
import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import tensor_method
from .elementwise import clamp, erf, exp, expm1, floating, log1p, scale_by, where

__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "silu", "softplus"]


# ---- single ops, each with its derivative as one op ------------------------------------------
class ReLU(Op):
    """max(x, 0): the gradient passes where the output is positive."""

    def forward(ctx, x):
        y = array_module(x).maximum(x, 0)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_like(g)
        return scale_by(g, y > 0)


class Sigmoid(Op):
    """s = 1 / (1 + e^-x), whose derivative s (1 - s) needs only the output."""

    def forward(ctx, x):
        xp = array_module(x)
        s = xp.negative(x, out=xp.empty_like(x))  # one buffer, then in place (even when 0-d)
        with np.errstate(over="ignore"):  # e^-x = inf for x << 0 gives s = 0, as it should
            xp.exp(s, out=s)
        s += 1
        xp.reciprocal(s, out=s)
        ctx.save_for_backward(s)
        return s

    def backward(ctx, g):
        s, = ctx.saved_like(g)
        return SigmoidBackward.apply(g, s)


class SigmoidBackward(Op):
    """g s (1 - s) in one op. Its own derivatives, for double backward:
    d/dg = s (1 - s) and d/ds = g (1 - 2s)."""

    def forward(ctx, g, s):
        ctx.save_for_backward(g, s)
        out = 1 - s
        out *= s
        out *= g
        return out

    def backward(ctx, gg):
        g, s = ctx.saved_like(gg)
        return (SigmoidBackward.apply(gg, s) if ctx.needs_input_grad[0] else None,
                gg * g * (1 - 2 * s) if ctx.needs_input_grad[1] else None)


class Tanh(Op):
    """t = tanh x, whose derivative 1 - t^2 needs only the output."""

    def forward(ctx, x):
        t = array_module(x).tanh(x)
        ctx.save_for_backward(t)
        return t

    def backward(ctx, g):
        t, = ctx.saved_like(g)
        return TanhBackward.apply(g, t)


class TanhBackward(Op):
    """g (1 - t^2) in one op. Its own derivatives, for double backward:
    d/dg = 1 - t^2 and d/dt = -2 g t."""

    def forward(ctx, g, t):
        ctx.save_for_backward(g, t)
        out = 1 - t * t
        out *= g
        return out

    def backward(ctx, gg):
        g, t = ctx.saved_like(gg)
        return (TanhBackward.apply(gg, t) if ctx.needs_input_grad[0] else None,
                -2 * gg * g * t if ctx.needs_input_grad[1] else None)


@tensor_method
def relu(x):
    return ReLU.apply(x)


@tensor_method
def sigmoid(x):
    return Sigmoid.apply(floating(x))


@tensor_method
def tanh(x):
    return Tanh.apply(floating(x))


# ---- composites --------------------------------------------------------------------------------
def leaky_relu(x, negative_slope=0.01):
    """x where x > 0, else negative_slope * x."""
    return where(x > 0, x, x * negative_slope)


def elu(x, alpha=1.0):
    """x where x > 0, else alpha (e^x - 1). The exponential is taken of min(x, 0): for large x the
    unused branch would be inf, and its zero gradient times inf a NaN."""
    x = floating(x)
    return where(x > 0, x, alpha * expm1(clamp(x, max=0.0)))


_SQRT_HALF = math.sqrt(0.5)
_SQRT_2_OVER_PI = math.sqrt(2 / math.pi)


def gelu(x, approximate="none"):
    """x P(X <= x) for a standard normal X: 0.5 x (1 + erf(x / sqrt 2)). approximate='tanh' gives
    Hendrycks and Gimpel's 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))."""
    x = floating(x)
    if approximate == "tanh":
        return 0.5 * x * (1 + tanh(_SQRT_2_OVER_PI * (x + 0.044715 * x ** 3)))
    if approximate != "none":
        raise ValueError(f"gelu: approximate must be 'none' or 'tanh', got {approximate!r}")
    return 0.5 * x * (1 + erf(x * _SQRT_HALF))


def silu(x):
    """x sigmoid(x) (also called swish)."""
    x = floating(x)
    return x * sigmoid(x)


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, a smooth relu; x itself where beta x > threshold, as in PyTorch
    (there the two agree to float precision). The exponent is clamped at the threshold, so the
    unused branch never overflows to inf (whose zero gradient would become NaN)."""
    x = floating(x)
    z = x * beta if beta != 1 else x
    smooth = log1p(exp(clamp(z, max=threshold)))
    return where(z > threshold, x, smooth / beta if beta != 1 else smooth)
