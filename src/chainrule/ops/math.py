"""More elementwise math: hyperbolic and inverse trigonometric functions, atan2, hypot,
logaddexp, erfinv, frac, nan_to_num, one-sided clamps, and whole-tensor comparisons.

Unary ops are lines of the same table as `elementwise`'s (y = f(x) beside g * dy/dx); binary
ones promote their operands like every binary op, then turn integers into floats."""
import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor, tensor_method
from .elementwise import (Binary, Exp, Rsqrt, _public, binary, clamp, floating, promoting,
                          scale_by, trunc, unary)
from .erf import _erfc_fraction, erf_array

__all__ = ["sinh", "cosh", "asin", "acos", "atan", "arcsin", "arccos", "arctan", "atan2",
           "arctan2", "hypot", "logaddexp", "erfinv", "frac", "nan_to_num", "clamp_min",
           "clamp_max", "allclose", "equal"]


# ---- unary: y = f(x) beside g * dy/dx -----------------------------------------------------------
def _erfinv_array(x):
    """erfinv on arrays: a first guess, then Halley steps on erf(y) = x, each of which triples
    the correct digits, until they stop changing y. The guess is Giles' single-precision
    approximation (2011), and where 1 - |x| < 1e-7, beyond the float32 range it was made for,
    erfc's asymptotic form. Computed in float64 whatever the dtype; |x| = 1 gives +-inf, |x| > 1
    NaN."""
    xp = array_module(x)
    x64 = x.astype(xp.float64).reshape(-1)
    with np.errstate(divide="ignore", invalid="ignore"):
        y = x64 * _erfinv_guess(xp, x64)
        y = xp.where(xp.abs(x64) == 1, x64 * xp.inf, y)
        active = xp.nonzero(xp.isfinite(y))[0]  # the steps would turn infinities into NaN
        for _ in range(_MOST_STEPS):
            ya, xa = y[active], x64[active]
            slope = _2_OVER_SQRT_PI * xp.exp(-ya * ya)  # d erf/dy; d2 erf/dy2 = -2y slope
            step = _erf_residual(xp, ya, xa) / slope
            step = step / (1 + ya * step)
            y[active] = ya - step
            active = active[xp.abs(step) > 1e-15 * xp.abs(ya)]
            if active.size == 0:
                break
    return y.reshape(x.shape).astype(x.dtype, copy=False)


def _erfinv_guess(xp, x):
    """erfinv(x) / x to about 1e-7 (5e-4 in the far tail), each piece computed where it is
    used."""
    w = -xp.log((1 - x) * (1 + x))
    guess = _horner(_GILES_CENTRAL, w - 2.5)
    tail = w >= 5
    guess[tail] = _horner(_GILES_TAIL, xp.sqrt(w[tail]) - 3)
    far = w >= 16  # erfc(y) ~ e^(-y^2) / (y sqrt(pi)), solved for y^2 with log y^2 ~ log t
    q = 1 - xp.abs(x[far])
    t = -xp.log(q * math.sqrt(math.pi))
    guess[far] = xp.sqrt(t - 0.5 * xp.log(t)) / (1 - q)
    return guess


def _erf_residual(xp, y, x):
    """erf(y) - x. Far out, where erf(y) rounds close to +-1, it is taken as 1 - |x| - erfc(|y|)
    (with y's sign), from erfc's continued fraction: 1 - |x| is exact there, so the residual
    keeps its relative accuracy and y its digits."""
    residual = xp.empty_like(y)
    far = xp.abs(y) >= 1.2  # (where 150 steps of the fraction reach float64's round-off)
    near = ~far
    residual[near] = erf_array(y[near]) - x[near]
    residual[far] = xp.sign(y[far]) * ((1 - xp.abs(x[far])) - _erfc_fraction(xp.abs(y[far]), 150))
    return residual


def _horner(coefficients, w):
    p = 0.0
    for c in coefficients:
        p = p * w + c
    return p


_2_OVER_SQRT_PI = 2 / math.sqrt(math.pi)
_MOST_STEPS = 6
_SQRT_PI_OVER_2 = math.sqrt(math.pi) / 2
# Giles, "Approximating the erfinv function" (GPU Computing Gems), highest power first
_GILES_CENTRAL = (2.81022636e-08, 3.43273939e-07, -3.5233877e-06, -4.39150654e-06,
                  0.00021858087, -0.00125372503, -0.00417768164, 0.246640727, 1.50140941)
_GILES_TAIL = (-0.000200214257, 0.000100950558, 0.00134934322, -0.00367342844, 0.00573950773,
               -0.0076224613, 0.00943887047, 1.00167406, 2.83297682)

#     y = f(x), on arrays of the array module xp       g * dy/dx, from the input x or output y
Sinh = unary("Sinh", lambda xp, x: xp.sinh(x),         x=lambda g, x: g * Cosh.apply(x))
Cosh = unary("Cosh", lambda xp, x: xp.cosh(x),         x=lambda g, x: g * Sinh.apply(x))
Asin = unary("Asin", lambda xp, x: xp.arcsin(x),       x=lambda g, x: g * Rsqrt.apply(1 - x * x))
Acos = unary("Acos", lambda xp, x: xp.arccos(x),       x=lambda g, x: -g * Rsqrt.apply(1 - x * x))
Atan = unary("Atan", lambda xp, x: xp.arctan(x),       x=lambda g, x: g / (1 + x * x))
Erfinv = unary("Erfinv", lambda xp, x: _erfinv_array(x),
               y=lambda g, y: g * _SQRT_PI_OVER_2 * Exp.apply(y * y))

sinh, cosh = _public(Sinh, "sinh"), _public(Cosh, "cosh")
asin, acos, atan = (_public(op, op.__name__.lower(), "arc" + op.__name__[1:].lower())
                    for op in (Asin, Acos, Atan))
arcsin, arccos, arctan = asin, acos, atan
erfinv = _public(Erfinv, "erfinv")

@tensor_method
def frac(x):
    """x - trunc(x): the fractional part, with the sign of x; its gradient is 1."""
    return x - trunc(x)


# ---- binary ---------------------------------------------------------------------------------
class Atan2(Binary):
    """atan2(a, b), the angle of the point (b, a): d/da = b / (a^2 + b^2), d/db = -a / (...)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a, b).arctan2(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_like(g)
        k = g / (a * a + b * b)
        return (k * b if ctx.needs_input_grad[0] else None,
                -k * a if ctx.needs_input_grad[1] else None)


class Hypot(Binary):
    """sqrt(a^2 + b^2), without overflow: d/da = a / y, d/db = b / y."""

    def forward(ctx, a, b):
        y = array_module(a, b).hypot(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    def backward(ctx, g):
        a, b, y = ctx.saved_like(g)
        k = g / y
        return (k * a if ctx.needs_input_grad[0] else None,
                k * b if ctx.needs_input_grad[1] else None)


class LogAddExp(Binary):
    """log(e^a + e^b), without overflow: d/da = e^(a - y), d/db = e^(b - y) (softmax weights)."""
    label = "logaddexp"

    def forward(ctx, a, b):
        y = array_module(a, b).logaddexp(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    def backward(ctx, g):
        a, b, y = ctx.saved_like(g)
        return (g * Exp.apply(a - y) if ctx.needs_input_grad[0] else None,
                g * Exp.apply(b - y) if ctx.needs_input_grad[1] else None)


def _floating_binary(op, *names):
    """The function of a binary math op, also a Tensor method under `names`: operands promote
    as for any binary op, and integers and bools then become the default float."""
    promoted = promoting(op)

    def fn(input, other):
        a, b = binary(input, other)
        if (a if isinstance(a, Tensor) else b).dtype.kind != "f":
            a, b = (floating(v) if isinstance(v, Tensor) else float(v) for v in (a, b))
        return promoted(a, b)
    fn.__name__ = fn.__qualname__ = names[0]
    fn.__doc__ = op.__doc__
    return tensor_method(*names)(fn)


atan2 = arctan2 = _floating_binary(Atan2, "atan2", "arctan2")
hypot = _floating_binary(Hypot, "hypot")
logaddexp = _floating_binary(LogAddExp, "logaddexp")


# ---- cleaning and limiting ------------------------------------------------------------------
class NanToNum(Op):
    """NaN, +inf and -inf replaced by numbers (by default 0 and the dtype's largest and smallest
    finite values); the gradient passes where x was finite and is 0 where it was replaced."""

    def forward(ctx, x, nan, posinf, neginf):
        ctx.save_for_backward(x)
        return array_module(x).nan_to_num(x, nan=nan, posinf=posinf, neginf=neginf)

    def backward(ctx, g):
        x, = ctx.saved_arrays
        return scale_by(g, array_module(x).isfinite(x))


@tensor_method
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    if input.dtype.kind != "f":  # integers and bools have nothing to replace
        return input.clone()
    return NanToNum.apply(input, nan, posinf, neginf)


@tensor_method
def clamp_min(input, min):
    return clamp(input, min=min)


@tensor_method
def clamp_max(input, max):
    return clamp(input, max=max)


# ---- whole-tensor comparisons (Python bools) --------------------------------------------------
@tensor_method
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    """Whether |input - other| <= atol + rtol |other| everywhere (shapes broadcast)."""
    a, b = (v.array if isinstance(v, Tensor) else v for v in binary(input, other))
    return bool(array_module(a, b).allclose(a, b, rtol=rtol, atol=atol, equal_nan=equal_nan))


@tensor_method
def equal(input, other):
    """Whether both tensors have the same shape and the same values (NaN equals nothing)."""
    if input.shape != other.shape:
        return False
    a, b = (v.array for v in binary(input, other))
    return bool(array_module(a, b).array_equal(a, b))

