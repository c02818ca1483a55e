"""Elementwise arithmetic and math: each op's forward on arrays beside its derivative.

Operands broadcast like NumPy; their dtypes promote like PyTorch's (see `operands`). Gradients are
returned at the broadcast shape: the engine sums them back to each input's shape at the edge."""
import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module, device_of, dtypes
from ..backend import to_device as move_array
from ..tensor import Tensor
from .erf import erf_array

__all__ = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow", "neg",
           "abs", "exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "rsqrt", "square",
           "reciprocal", "sin", "cos", "tan", "erf", "clamp", "clip", "maximum", "minimum",
           "where", "sign", "floor", "ceil", "round", "trunc", "eq", "ne", "lt", "le", "gt", "ge",
           "isnan", "isinf", "isfinite", "logical_not", "logical_and", "logical_or",
           "logical_xor", "cast", "to_device", "clone", "lerp"]
METHODS = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow", "neg",
           "abs", "exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "rsqrt", "square",
           "reciprocal", "sin", "cos", "tan", "erf", "clamp", "clip", "maximum", "minimum",
           "sign", "floor", "ceil", "round", "trunc", "eq", "ne", "lt", "le", "gt", "ge",
           "isnan", "isinf", "isfinite", "logical_not", "logical_and", "logical_or",
           "logical_xor", "clone", "lerp"]


# ---- operands and promotion -------------------------------------------------------------------
def operands(*values):
    """Tensors and Python scalars in PyTorch's result dtype, ready for an op's forward.

    Python scalars stay scalars (NumPy keeps them weak, as PyTorch does); every Tensor whose dtype
    differs from the result's is cast, differentiably."""
    ranked = []
    for v in values:
        if isinstance(v, Tensor):
            ranked.append((v.dtype, 2 if v.ndim else 1))
        elif isinstance(v, (bool, int, float)):
            ranked.append(v)
        else:
            raise _not_operand(v)
    target = dtypes.result_type(*ranked)
    return tuple(cast(v, target) if isinstance(v, Tensor) and v.dtype != target else v
                 for v in values)


def _not_operand(v):
    return TypeError(f"expected a Tensor, a NumPy array or a Python number as operand, got "
                     f"{type(v).__name__}")


def _as_operand(v):
    if isinstance(v, (Tensor, bool, int, float)):
        return v
    if isinstance(v, np.generic):
        return v.item()
    if isinstance(v, (np.ndarray, list, tuple)) or hasattr(v, "__cuda_array_interface__"):
        return Tensor(v)
    raise _not_operand(v)


def binary(a, b):
    """The fast path for two operands: same-dtype tensors, or a tensor with a scalar NumPy
    already treats the way PyTorch does, need no promotion."""
    if isinstance(a, Tensor):
        if isinstance(b, Tensor):
            if a.array.dtype == b.array.dtype:
                return a, b
        elif type(b) is float:
            if a.array.dtype.kind == "f":
                return a, b
        elif type(b) is int and a.array.dtype.kind in "fiu":
            return a, b
    elif isinstance(b, Tensor) and type(a) in (int, float) and b.array.dtype.kind == "f":
        return a, b
    return operands(_as_operand(a), _as_operand(b))


def _check_broadcast(name, a, b):
    sa, sb = getattr(a, "shape", ()), getattr(b, "shape", ())
    if sa != sb and sa and sb:
        try:
            np.broadcast_shapes(sa, sb)
        except ValueError:
            raise ValueError(f"{name}: shapes {tuple(sa)} and {tuple(sb)} do not broadcast "
                             "(trailing dimensions must be equal or 1)") from None


class Binary(Op):
    """Two operands that broadcast; `ufunc` computes the forward."""

    @classmethod
    def call(cls, a, b):
        a, b = binary(a, b)
        try:
            return cls.apply(a, b)
        except ValueError:
            _check_broadcast(cls.name_of(), a, b)
            raise

    @classmethod
    def name_of(cls):
        return cls.__name__.lower()


# ---- arithmetic -------------------------------------------------------------------------------
class Add(Binary):
    def forward(ctx, a, b):
        return a + b

    def backward(ctx, g):
        return g, g


class Sub(Binary):
    def forward(ctx, a, b):
        return a - b

    def backward(ctx, g):
        return g, -g


class Mul(Binary):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a * b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_input_grad[0] else None,
                g * a if ctx.needs_input_grad[1] else None)


class Div(Binary):
    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b
        return ga, (-ga * a / b if ctx.needs_input_grad[1] else None)


class Pow(Binary):
    """a ** b for a tensor exponent: d/da = b a^(b-1), d/db = a^b log a."""

    def forward(ctx, a, b):
        y = array_module(a, b).power(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
        ga = g * b * a ** (b - 1) if ctx.needs_input_grad[0] else None
        gb = None
        if ctx.needs_input_grad[1]:
            # a^b log a, taken as 0 where a == 0 and b >= 0 (the limit), as PyTorch does
            gb = where((a == 0) & (b >= 0), 0.0, g * y * log(a))
        return ga, gb


class PowScalar(Op):
    """x ** c for a constant exponent c: d/dx = c x^(c-1)."""

    def forward(ctx, x, c):
        ctx.save_for_backward(x)
        ctx.c = c
        if c == 2:
            return x * x
        return x ** c

    def backward(ctx, g):
        x, = ctx.saved_tensors
        c = ctx.c
        if c == 0:
            return g * 0.0
        if c == 1:
            return g
        if c == 2:
            return g * 2.0 * x
        return g * c * PowScalar.apply(x, c - 1)


def add(a, b, alpha=1):
    return Add.call(a, b if alpha == 1 else b * alpha)


def sub(a, b, alpha=1):
    return Sub.call(a, b if alpha == 1 else b * alpha)


def mul(a, b):
    return Mul.call(a, b)


def div(a, b, rounding_mode=None):
    """True division (integers give floats), or rounding_mode='floor'/'trunc'."""
    if rounding_mode == "floor":
        return floor_divide(a, b)
    if rounding_mode == "trunc":
        return trunc(div(a, b))
    a, b = binary(a, b)
    if _integral(a) and _integral(b):
        a = cast(a, dtypes.get_default_dtype()) if isinstance(a, Tensor) else float(a)
    return Div.call(a, b)


true_divide = div


def _integral(v):
    return v.dtype.kind in "biu" if isinstance(v, Tensor) else not isinstance(v, float)


def pow(a, b):
    """a ** b: a constant exponent takes the cheaper PowScalar path."""
    if isinstance(a, Tensor) and isinstance(b, (int, float)) and not isinstance(b, bool):
        if a.dtype.kind != "f" and (isinstance(b, float) or b < 0):
            a = cast(a, dtypes.get_default_dtype())
        return PowScalar.apply(a, b)
    return Pow.call(a, b)


def square(x):
    return PowScalar.apply(x, 2)


def floor_divide(a, b):
    """Rounds toward minus infinity, like Python's //; not differentiable."""
    a, b = binary(a, b)
    return _constant(array_module(_raw(a), _raw(b)).floor_divide(_raw(a), _raw(b)))


def remainder(a, b):
    """a - floor(a / b) * b, with the sign of b like Python's %; d/da = 1, d/db = -floor(a/b)."""
    return sub(a, mul(floor_divide(a, b), b))


def lerp(start, end, weight):
    return start + weight * (end - start)


# ---- unary math -------------------------------------------------------------------------------
class Neg(Op):
    def forward(ctx, x):
        return -x

    def backward(ctx, g):
        return -g


class Exp(Op):
    def forward(ctx, x):
        y = array_module(x).exp(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * y


class Log(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).log(x)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / x


class Log1p(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).log1p(x)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x + 1)


class Expm1(Op):
    def forward(ctx, x):
        y = array_module(x).expm1(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (y + 1)


class Sqrt(Op):
    def forward(ctx, x):
        y = array_module(x).sqrt(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g / (2 * y)


class Rsqrt(Op):
    """y = x^(-1/2): dy/dx = -y^3 / 2."""

    def forward(ctx, x):
        y = 1 / array_module(x).sqrt(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * -0.5 * y * y * y


class Reciprocal(Op):
    def forward(ctx, x):
        y = 1 / x
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return -g * y * y


class Sin(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).sin(x)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * cos(x)


class Cos(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).cos(x)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * sin(x)


class Tan(Op):
    def forward(ctx, x):
        y = array_module(x).tan(x)
        ctx.save_for_backward(y)
        return y

    def backward(ctx, g):
        y, = ctx.saved_tensors
        return g * (1 + y * y)


class Erf(Op):
    """erf(x) = 2/sqrt(pi) * integral_0^x exp(-t^2) dt: d/dx = 2/sqrt(pi) exp(-x^2)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return erf_array(x)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * (2 / math.sqrt(math.pi)) * exp(-(x * x))


class Abs(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).abs(x)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * sign(x)


class ZeroGrad(Op):
    """Piecewise-constant functions (sign, floor, round, ...): the derivative is zero
    wherever it exists, and PyTorch returns zeros rather than no gradient."""
    ufunc = None

    def forward(ctx, x):
        return getattr(array_module(x), ctx.ufunc)(x)

    def backward(ctx, g):
        return g * 0.0


def _zero_grad_op(ufunc):
    op = type(ufunc.capitalize(), (ZeroGrad,), {"ufunc": ufunc})

    def fn(x):
        return op.apply(x)
    fn.__name__ = ufunc
    return fn


def _unary(cls):
    def fn(x):
        if not isinstance(x, Tensor):
            x = Tensor(x)
        if x.dtype.kind != "f":
            x = cast(x, dtypes.get_default_dtype())
        return cls.apply(x)
    fn.__name__ = cls.__name__.lower()
    fn.__doc__ = cls.__doc__
    return fn




def neg(x):
    return Neg.apply(x)


exp, log, log1p, expm1 = _unary(Exp), _unary(Log), _unary(Log1p), _unary(Expm1)
sqrt, rsqrt, reciprocal = _unary(Sqrt), _unary(Rsqrt), _unary(Reciprocal)
sin, cos, tan, erf = _unary(Sin), _unary(Cos), _unary(Tan), _unary(Erf)
sign, floor, ceil, round, trunc = (_zero_grad_op(n) for n in ("sign", "floor", "ceil", "round",
                                                              "trunc"))


def abs(x):
    return Abs.apply(x)


def log2(x):
    return log(x) / math.log(2)


def log10(x):
    return log(x) / math.log(10)


# ---- selections -------------------------------------------------------------------------------
class Clamp(Op):
    """min(max(x, lo), hi) for constant bounds: the gradient passes where lo <= x <= hi."""

    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x)
        ctx.lo, ctx.hi = lo, hi
        return array_module(x).clip(x, lo, hi)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        inside = x.array == x.array
        if ctx.lo is not None:
            inside &= x.array >= ctx.lo
        if ctx.hi is not None:
            inside &= x.array <= ctx.hi
        return g * _constant(inside)


def clamp(x, min=None, max=None):
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max")
    if isinstance(min, Tensor) or isinstance(max, Tensor):
        out = x if min is None else maximum(x, min)
        return out if max is None else minimum(out, max)
    return Clamp.apply(x, min, max)


clip = clamp


class Maximum(Binary):
    """Where the two are equal, each gets half the gradient (as in PyTorch)."""

    def forward(ctx, a, b):
        xp = array_module(a, b)
        ctx.share = (a > b) + 0.5 * (a == b)
        return xp.maximum(a, b)

    def backward(ctx, g):
        w = _constant(ctx.share, g.dtype)
        return g * w, g * (1 - w)


class Minimum(Binary):
    def forward(ctx, a, b):
        xp = array_module(a, b)
        ctx.share = (a < b) + 0.5 * (a == b)
        return xp.minimum(a, b)

    def backward(ctx, g):
        w = _constant(ctx.share, g.dtype)
        return g * w, g * (1 - w)


def maximum(a, b):
    return Maximum.call(a, b)


def minimum(a, b):
    return Minimum.call(a, b)


class Where(Op):
    def forward(ctx, cond, a, b):
        ctx.cond = cond
        return array_module(cond).where(cond, a, b)

    def backward(ctx, g):
        cond = _constant(ctx.cond)
        zero = g * 0.0
        return None, where(cond, g, zero), where(cond, zero, g)


def where(condition, input, other):
    """Elementwise `input if condition else other`; gradients flow to the branch taken."""
    condition = condition if isinstance(condition, Tensor) else Tensor(condition)
    if condition.dtype != dtypes.bool_:
        condition = condition != 0
    a, b = operands(_as_operand(input), _as_operand(other))
    return Where.apply(condition, a, b)


# ---- comparisons and logic (not differentiable) -----------------------------------------------
def _raw(v):
    return v.array if isinstance(v, Tensor) else v


def _constant(array, dtype=None):
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return Tensor._make(array, False, None, 0)


def _compare(ufunc):
    def fn(a, b):
        try:
            a, b = binary(a, b)
        except TypeError:
            return NotImplemented
        ra, rb = _raw(a), _raw(b)
        return _constant(getattr(array_module(ra, rb), ufunc)(ra, rb))
    fn.__name__ = ufunc
    return fn


eq, ne = _compare("equal"), _compare("not_equal")
lt, le, gt, ge = _compare("less"), _compare("less_equal"), _compare("greater"), \
    _compare("greater_equal")
logical_and, logical_or, logical_xor = (_compare(n) for n in ("logical_and", "logical_or",
                                                              "logical_xor"))


def logical_not(x):
    return _constant(array_module(x.array).logical_not(x.array))


def isnan(x):
    return _constant(array_module(x.array).isnan(x.array))


def isinf(x):
    return _constant(array_module(x.array).isinf(x.array))


def isfinite(x):
    return _constant(array_module(x.array).isfinite(x.array))


# ---- dtype, device, copy ----------------------------------------------------------------------
class Cast(Op):
    """A change of dtype; the engine casts the gradient back to the input's dtype at the edge."""

    def forward(ctx, x, dtype):
        return x.astype(dtype)

    def backward(ctx, g):
        return g


class ToDevice(Op):
    def forward(ctx, x, device):
        ctx.home = device_of(x)
        return move_array(x, device)

    def backward(ctx, g):
        return to_device(g, ctx.home)


def cast(x, dtype):
    dtype = dtypes.as_dtype(dtype)
    if x.requires_grad and dtype.kind != "f":
        return _constant(x.array.astype(dtype))
    return Cast.apply(x, dtype)


def to_device(x, device):
    """The tensor on `device` ('cpu', 'cuda:0'); gradients flow back to the original device."""
    return ToDevice.apply(x, device)


class Clone(Op):
    def forward(ctx, x):
        return x.copy()

    def backward(ctx, g):
        return g


def clone(x):
    """A copy that stays in the graph (gradient passes through unchanged)."""
    return Clone.apply(x)
