"""Activation functions.

The hot ones in training (relu, sigmoid, tanh) are single ops: one NumPy pass forward, and a
backward that is itself one op computing from the saved output, so that it costs little and can
still be differentiated again. The others are composites of primitives, whose derivatives come
from the chain rule for free."""
import math
import warnings

import numpy as np

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import tensor_method
from .elementwise import clamp, erf, exp, expm1, floating, log1p, scale_by, where
from .inplace import written_into
from .shape import chunk, normalize_dim, reshape
from .softmax import softmax

# those PyTorch also has at the top level (torch.selu); the others are in nn.functional only
__all__ = ["relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "silu", "softplus", "celu",
           "selu", "threshold", "prelu"]


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


class LeakyReLU(Op):
    """x where x > 0, else slope x: x times a factor k of 1 or slope, which is also the
    derivative. Computed by arithmetic, not a branch per entry: np.where on signs that change at
    random is several times slower."""

    def forward(ctx, x, slope):
        k = (x > 0).astype(x.dtype)
        k *= 1 - slope
        k += slope
        ctx.save_for_backward(k)
        return x * k

    def backward(ctx, g):
        k, = ctx.saved_like(g)
        return scale_by(g, k), None


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
def relu(x, inplace=False):
    """max(x, 0); with inplace=True written into x (see ops/inplace.py), as all of these."""
    return _result(x, ReLU.apply(x), inplace, "relu_")


@tensor_method
def sigmoid(x):
    return Sigmoid.apply(floating(x))


@tensor_method
def tanh(x):
    return Tanh.apply(floating(x))


def _result(x, y, inplace, name):
    """y, or with PyTorch's inplace=True, y written into x (and x returned)."""
    return written_into(x, y, name) if inplace else y


# ---- composites --------------------------------------------------------------------------------
def leaky_relu(x, negative_slope=0.01, inplace=False):
    """x where x > 0, else negative_slope * x."""
    return _result(x, LeakyReLU.apply(floating(x), negative_slope), inplace, "leaky_relu_")


def elu(x, alpha=1.0, inplace=False):
    """x where x > 0, else alpha (e^x - 1). The exponential is taken of min(x, 0): for large x the
    unused branch would be inf, and its zero gradient times inf a NaN."""
    y = floating(x)
    return _result(x, where(y > 0, y, alpha * expm1(clamp(y, max=0.0))), inplace, "elu_")


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


def silu(x, inplace=False):
    """x sigmoid(x) (also called swish)."""
    y = floating(x)
    return _result(x, y * sigmoid(y), inplace, "silu_")


def softplus(x, beta=1.0, threshold=20.0):
    """log(1 + e^(beta x)) / beta, a smooth relu; x itself where beta x > threshold, as in PyTorch
    (there the two agree to float precision). The exponent is clamped at the threshold, so the
    unused branch never overflows to inf (whose zero gradient would become NaN)."""
    x = floating(x)
    z = x * beta if beta != 1 else x
    smooth = log1p(exp(clamp(z, max=threshold)))
    return where(z > threshold, x, smooth / beta if beta != 1 else smooth)


# ---- the hard (piecewise linear) family ---------------------------------------------------------
class Hardtanh(Op):
    """x limited to [lo, hi]. Unlike clamp, the gradient is 0 at the bounds themselves, as
    PyTorch's hardtanh (and relu6, hardsigmoid) define it."""

    def forward(ctx, x, lo, hi):
        ctx.save_for_backward((x > lo) & (x < hi))
        return array_module(x).clip(x, lo, hi)

    def backward(ctx, g):
        inside, = ctx.saved_arrays
        return scale_by(g, inside)


def hardtanh(x, min_val=-1.0, max_val=1.0, inplace=False):
    """-1 below min_val, max_val above it, x in between."""
    if min_val > max_val:
        raise ValueError(f"hardtanh: min_val ({min_val}) must not exceed max_val ({max_val})")
    return _result(x, Hardtanh.apply(floating(x), min_val, max_val), inplace, "hardtanh_")


def relu6(x, inplace=False):
    """min(max(x, 0), 6)."""
    return hardtanh(x, 0.0, 6.0, inplace)


def hardsigmoid(x, inplace=False):
    """relu6(x + 3) / 6: a piecewise linear sigmoid, 0 below -3 and 1 above 3."""
    return _result(x, relu6(floating(x) + 3) / 6, inplace, "hardsigmoid_")


def hardswish(x, inplace=False):
    """x hardsigmoid(x) (Howard et al., MobileNetV3)."""
    y = floating(x)
    return _result(x, y * hardsigmoid(y), inplace, "hardswish_")


def threshold(x, threshold, value, inplace=False):
    """x where x > threshold, else value."""
    return _result(x, where(x > threshold, x, value), inplace, "threshold_")


# ---- smooth ones, composed ------------------------------------------------------------------------
def celu(x, alpha=1.0, inplace=False):
    """max(0, x) + min(0, alpha (e^(x / alpha) - 1)), which is alpha elu(x / alpha)."""
    if alpha == 0:
        raise ValueError("celu: alpha must not be 0 (it divides x)")
    return _result(x, alpha * elu(floating(x) / alpha), inplace, "celu_")


_SELU_ALPHA = 1.6732632423543772848170429916717
_SELU_SCALE = 1.0507009873554804934193349852946


def selu(x, inplace=False):
    """scale elu(x, alpha) with Klambauer et al.'s constants, chosen so that activations keep
    mean 0 and variance 1 through a deep network."""
    return _result(x, _SELU_SCALE * elu(x, _SELU_ALPHA), inplace, "selu_")


def mish(x, inplace=False):
    """x tanh(softplus(x)) (Misra)."""
    y = floating(x)
    return _result(x, y * tanh(softplus(y)), inplace, "mish_")


def softsign(x):
    """x / (1 + |x|)."""
    x = floating(x)
    return x / (1 + abs(x))


class LogSigmoid(Op):
    """log sigmoid(x) = min(x, 0) - log(1 + e^-|x|), finite for any x; its derivative is
    sigmoid(-x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        xp = array_module(x)
        return xp.minimum(x, 0) - xp.log1p(xp.exp(-xp.abs(x)))

    def backward(ctx, g):
        x, = ctx.saved_like(g)
        return g * Sigmoid.apply(-x)


def logsigmoid(x):
    return LogSigmoid.apply(floating(x))


# ---- with a dim or a weight -------------------------------------------------------------------
def implicit_softmax_dim(name, ndim, stacklevel):
    """The dim PyTorch's softmax family picks when none is given (a legacy choice, which it
    warns about)."""
    dim = 0 if ndim in (0, 1, 3) else 1
    warnings.warn(f"{name}: no dim was given, so dim {dim} is used; pass dim= explicitly",
                  UserWarning, stacklevel=stacklevel + 1)
    return dim


def softmin(x, dim=None, _stacklevel=3, dtype=None):
    """softmax(-x) along dim: weights that favour the smallest entries."""
    if dim is None:
        dim = implicit_softmax_dim("softmin", x.ndim, _stacklevel)
    return softmax(-floating(x), dim, dtype)


def glu(x, dim=-1):
    """a sigmoid(b), where a and b are the first and second halves of x along dim (Dauphin et
    al.'s gated linear unit)."""
    d = normalize_dim("glu", dim, x.ndim)
    if x.ndim == 0 or x.shape[d] % 2:
        raise ValueError(f"glu: dim {dim} must have an even size to be halved, got shape "
                         f"{x.shape}")
    a, b = chunk(x, 2, d)
    return a * sigmoid(b)


@tensor_method
def prelu(x, weight):
    """x where x > 0, else w x, with one learned slope w shared by all channels (weight of one
    element) or one per channel (dim 1 of x; an x of fewer dims has one channel)."""
    channels = x.shape[1] if x.ndim >= 2 else 1
    if weight.ndim > 1 or weight.shape and weight.shape[0] not in (1, channels):
        counts = " or ".join(map(str, sorted({1, channels})))
        raise ValueError(f"prelu: expected a weight of {counts} elements (the input of shape "
                         f"{x.shape} has {channels} channels), got shape {weight.shape}")
    if weight.array.size == 1:
        weight = reshape(weight, ())
    elif x.ndim > 2:
        weight = reshape(weight, (channels,) + (1,) * (x.ndim - 2))
    return where(x > 0, x, weight * x)
