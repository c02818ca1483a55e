"""Elementwise arithmetic and math: each op's forward on arrays beside its derivative.

Operands broadcast like NumPy; their dtypes promote like PyTorch's (see `operands`). Gradients are
returned at the broadcast shape: the engine sums them back to each input's shape at the edge."""
import math
import operator

import numpy as np

from ..autograd.function import Op
from ..backend import array_module, device_of, dtypes
from ..backend import to_device as move_array
from ..tensor import Tensor, tensor_method
from .counting import nonzero
from .erf import erf_array

__all__ = ["add", "sub", "mul", "div", "true_divide", "floor_divide", "remainder", "pow", "neg",
           "abs", "exp", "log", "log1p", "expm1", "log2", "log10", "sqrt", "rsqrt", "square",
           "reciprocal", "sin", "cos", "tan", "erf", "clamp", "clip", "maximum", "minimum",
           "where", "sign", "floor", "ceil", "round", "trunc", "eq", "ne", "lt", "le", "gt", "ge",
           "isnan", "isinf", "isfinite", "logical_not", "logical_and", "logical_or",
           "logical_xor", "cast", "to_device", "clone", "lerp"]


# ---- operands and promotion -------------------------------------------------------------------
def promoted_dtype(*values):
    """PyTorch's result dtype for Tensors and Python scalars (n-d tensors outrank 0-d tensors,
    which outrank scalars, within the highest of bool < integer < float)."""
    return dtypes.result_type(*((v.dtype, 2 if v.ndim else 1) if isinstance(v, Tensor) else v
                                for v in values))


def operands(*values):
    """Tensors and Python scalars in PyTorch's result dtype, ready for an op's forward.

    Python scalars stay scalars (NumPy keeps them weak, as PyTorch does); every Tensor whose dtype
    differs from the result's is cast, differentiably."""
    target = promoted_dtype(*values)
    return tuple(cast(v, target) if isinstance(v, Tensor) and v.dtype != target else v
                 for v in values)


def _as_operand(v):
    if isinstance(v, np.generic):  # NumPy scalars count as Python numbers (np.float64 is a
        return v.item()            # float, but NumPy would not treat it as a weak scalar)
    if isinstance(v, (Tensor, bool, int, float)):
        return v
    if isinstance(v, (np.ndarray, list, tuple)) or hasattr(v, "__cuda_array_interface__"):
        return Tensor(v)
    raise TypeError(f"expected a Tensor, a NumPy array or a Python number as operand, got "
                    f"{type(v).__name__}")


def binary(a, b):
    """Two operands in their common dtype. The fast path: same-dtype tensors, or a tensor with a
    scalar that NumPy already treats the way PyTorch does, need no promotion."""
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


def floating(x):
    """x as a Tensor of a floating dtype: math functions turn ints and bools into the default
    float dtype, as PyTorch's do."""
    if not isinstance(x, Tensor):
        x = Tensor(x)
    return x if x.dtype.kind == "f" else cast(x, dtypes.get_default_dtype())


def _check_broadcast(name, *values):
    """Called after an op failed: raises a clear error if the operands' shapes do not broadcast
    (the fast path pays nothing for it)."""
    shapes = [tuple(getattr(v, "shape", ())) for v in values if v is not None]
    try:
        np.broadcast_shapes(*shapes)
    except ValueError:
        listed = ", ".join(str(s) for s in shapes[:-1]) + f" and {shapes[-1]}"
        raise ValueError(f"{name}: shapes {listed} do not broadcast (aligned from the right, "
                         "each pair of dimensions must be equal or one of them 1)") from None


def promoting(op):
    """The function op(a, b) with a and b promoted to their common dtype first (two tensors of
    one dtype, the most common case, need nothing), and a clear error for shapes that do not
    broadcast. Operators are these functions themselves: `a + b` is one call before the op."""
    def call(a, b):
        if type(a) is not Tensor or type(b) is not Tensor or a.array.dtype is not b.array.dtype:
            a, b = binary(a, b)
        if not op.bools and (a if isinstance(a, Tensor) else b).dtype == dtypes.bool_:
            raise TypeError(f"{op.name_of()}: not defined for bool tensors; convert them first "
                            "with .long() or .float()")
        try:
            return op.apply(a, b)
        except ValueError:
            _check_broadcast(op.name_of(), a, b)
            raise
    call.__name__ = call.__qualname__ = op.name_of()
    return call


class Binary(Op):
    """An op on two operands that broadcast, promoted first (see `promoting`)."""
    label = None  # the name errors give, when it is not the class name in lower case
    bools = True  # whether two bool tensors are valid operands

    @classmethod
    def name_of(cls):
        return cls.label or cls.__name__.lower()


class Numeric(Binary):
    """A binary op that is not defined for two bools (NumPy would quietly give int8)."""
    bools = False


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
        # each factor is needed only for the other's gradient (so `x * 2` keeps nothing of x,
        # and x may change in place afterwards, as in PyTorch)
        needs_a, needs_b = ctx.needs_input_grad or (True, True)
        ctx.save_for_backward(a if needs_b else None, b if needs_a else None)
        return a * b

    def backward(ctx, g):
        a, b = ctx.saved_like(g)
        return (g * b if ctx.needs_input_grad[0] else None,
                g * a if ctx.needs_input_grad[1] else None)


class Div(Binary):
    """a / b: d/da = 1/b, d/db = -a/b^2."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a if (ctx.needs_input_grad or (True, True))[1] else None, b)
        return a / b

    def backward(ctx, g):
        a, b = ctx.saved_like(g)
        ga = g / b
        return ga, (-ga * a / b if ctx.needs_input_grad[1] else None)


class Pow(Numeric):
    """a ** b for a tensor exponent: d/da = b a^(b-1), d/db = a^b log a."""

    def forward(ctx, a, b):
        y = array_module(a, b).power(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    def backward(ctx, g):
        a, b, y = ctx.saved_like(g)
        ga = gb = None
        if ctx.needs_input_grad[0]:  # 0 where b == 0 (not 0 * inf at a == 0), as PyTorch
            ga = Where.apply(b == 0, 0.0, g * b * a ** (b - 1), g.dtype)
        if ctx.needs_input_grad[1]:  # 0 where a == 0 and b >= 0, the limit of a^b log a
            gb = Where.apply((a == 0) & (b >= 0), 0.0, g * y * Log.apply(a), g.dtype)
        return ga, gb


class PowScalar(Op):
    """x ** c for a constant exponent c: d/dx = c x^(c-1)."""

    def forward(ctx, x, c):
        ctx.save_for_backward(x)
        ctx.c = c
        return x * x if c == 2 else x ** c

    def backward(ctx, g):
        x, = ctx.saved_like(g)
        c = ctx.c
        if c == 0:
            return g * 0.0
        if c == 1:
            return g
        if c == 2:
            return g * 2.0 * x
        return g * c * PowScalar.apply(x, c - 1)


class RoundedDivide(Numeric):
    """a / b rounded to an integer: piecewise constant, so the gradient is zero (as PyTorch's
    div(..., rounding_mode=...))."""

    def backward(ctx, g):
        zero = g * 0.0
        return zero, zero


class FloorDivide(RoundedDivide):
    """a // b, rounded toward minus infinity like Python's."""
    label = "floor_divide"

    def forward(ctx, a, b):
        return array_module(a, b).floor_divide(a, b)


class TruncDivide(RoundedDivide):
    """a / b rounded toward zero; for integers exactly, as (a - fmod(a, b)) // b."""
    label = "div"

    def forward(ctx, a, b):
        xp = array_module(a, b)
        if (a.dtype if hasattr(a, "dtype") else b.dtype).kind == "f":
            return xp.trunc(a / b)
        return xp.floor_divide(a - xp.fmod(a, b), b)


class Remainder(Numeric):
    """a mod b with the sign of b, like Python's %: a - b floor(a/b), so d/da = 1 and
    d/db = -floor(a/b)."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return array_module(a, b).remainder(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_like(g)
        return g, (-g * FloorDivide.apply(a, b) if ctx.needs_input_grad[1] else None)


_add, _sub, _mul, _div, _floor_divide, _trunc_divide, _remainder, _pow = map(promoting, (
    Add, Sub, Mul, Div, FloorDivide, TruncDivide, Remainder, Pow))
tensor_method("__add__", "__radd__")(_add)
tensor_method("__sub__")(_sub)
tensor_method("__mul__", "__rmul__")(_mul)


@tensor_method
def add(a, b, alpha=1):
    return _add(a, b if alpha == 1 else b * alpha)


@tensor_method
def sub(a, b, alpha=1):
    return _sub(a, b if alpha == 1 else b * alpha)


@tensor_method("__rsub__")
def rsub(a, b):
    return sub(b, a)


@tensor_method
def mul(a, b):
    return _mul(a, b)


@tensor_method("div", "true_divide", "__truediv__")
def div(a, b, rounding_mode=None):
    """True division (integers give floats), or rounding_mode='floor' / 'trunc'."""
    if rounding_mode == "floor":
        return _floor_divide(a, b)
    if rounding_mode == "trunc":
        return _trunc_divide(a, b)
    if rounding_mode is not None:
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', "
                         f"got {rounding_mode!r}")
    a, b = binary(a, b)
    if _integral(a) and _integral(b):
        a = cast(a, dtypes.get_default_dtype()) if isinstance(a, Tensor) else float(a)
    return _div(a, b)


@tensor_method("__rtruediv__")
def rdiv(a, b):
    return div(b, a)


true_divide = div


def _integral(v):
    return v.dtype.kind in "biu" if isinstance(v, Tensor) else not isinstance(v, float)


@tensor_method("floor_divide", "__floordiv__")
def floor_divide(a, b):
    return _floor_divide(a, b)


@tensor_method("__rfloordiv__")
def rfloor_divide(a, b):
    return floor_divide(b, a)


@tensor_method("remainder", "__mod__")
def remainder(a, b):
    return _remainder(a, b)


@tensor_method("__rmod__")
def rremainder(a, b):
    return remainder(b, a)


@tensor_method("pow", "__pow__")
def pow(a, b):
    """a ** b. A constant exponent takes the cheaper PowScalar path; a scalar base becomes a 0-d
    tensor, so that d/db = a^b log a has a tensor to take the log of."""
    if isinstance(a, Tensor) and type(b) in (int, float):
        a, b = binary(a, b)  # bools become int64; integers to a float power, float32
        return PowScalar.apply(a, b)
    a, b = binary(a, b)
    if not isinstance(a, Tensor):
        a = _constant(array_module(b.array).asarray(a, dtype=b.dtype))
    return _pow(a, b)


@tensor_method("__rpow__")
def rpow(a, b):
    return pow(b, a)


@tensor_method
def square(x):
    return pow(x, 2)


@tensor_method
def lerp(start, end, weight):
    return start + weight * (end - start)


# ---- unary math: each op is y = f(x) beside g * dy/dx ---------------------------------------------
class Unary(Op):
    """y = f(x), entry by entry; its backward is g * dy/dx, from the input x or the output y
    (whichever the op saved), or from g alone. Each op is made by `unary` below."""
    saves = None  # "x", "y" or None

    def forward(ctx, x):
        y = ctx.f(array_module(x), x)
        if ctx.saves is not None:
            ctx.save_for_backward(x if ctx.saves == "x" else y)
        return y

    def backward(ctx, g):
        if ctx.saves is None:
            return ctx.vjp(g)
        v, = ctx.saved_like(g)
        return ctx.vjp(g, v)


def unary(name, f, vjp=None, *, x=None, y=None):
    """The op class `name` for y = f(xp, x) (on arrays of the array module xp), whose gradient
    is `vjp(g)`, `x(g, x)` or `y(g, y)`: g * dy/dx written with the value it needs."""
    saves = "x" if x else "y" if y else None
    return type(name, (Unary,), {"f": staticmethod(f), "vjp": staticmethod(vjp or x or y),
                                 "saves": saves, "__doc__": f"{name.lower()}(x), elementwise"})


_2_OVER_SQRT_PI = 2 / math.sqrt(math.pi)

#     y = f(x), on arrays of the array module xp       g * dy/dx, from the input x or output y
Neg = unary("Neg", lambda xp, x: -x,                   lambda g: -g)
Exp = unary("Exp", lambda xp, x: xp.exp(x),            y=lambda g, y: g * y)
Log = unary("Log", lambda xp, x: xp.log(x),            x=lambda g, x: g / x)
Log1p = unary("Log1p", lambda xp, x: xp.log1p(x),      x=lambda g, x: g / (x + 1))
Expm1 = unary("Expm1", lambda xp, x: xp.expm1(x),      y=lambda g, y: g * (y + 1))
Sqrt = unary("Sqrt", lambda xp, x: xp.sqrt(x),         y=lambda g, y: g / (2 * y))
Rsqrt = unary("Rsqrt", lambda xp, x: 1 / xp.sqrt(x),   y=lambda g, y: g * -0.5 * y * y * y)
Reciprocal = unary("Reciprocal", lambda xp, x: 1 / x,  y=lambda g, y: -g * y * y)
Sin = unary("Sin", lambda xp, x: xp.sin(x),            x=lambda g, x: g * Cos.apply(x))
Cos = unary("Cos", lambda xp, x: xp.cos(x),            x=lambda g, x: -g * Sin.apply(x))
Tan = unary("Tan", lambda xp, x: xp.tan(x),            y=lambda g, y: g * (1 + y * y))
Erf = unary("Erf", lambda xp, x: erf_array(x),         x=lambda g, x: g * _2_OVER_SQRT_PI
                                                                   * Exp.apply(-(x * x)))
Abs = unary("Abs", lambda xp, x: xp.abs(x),            x=lambda g, x: g * Sign.apply(x))
# piecewise constant: the derivative is zero wherever it exists (PyTorch gives zeros, not None)
Sign = unary("Sign", lambda xp, x: xp.sign(x),         lambda g: g * 0.0)
Floor = unary("Floor", lambda xp, x: xp.floor(x),      lambda g: g * 0.0)
Ceil = unary("Ceil", lambda xp, x: xp.ceil(x),         lambda g: g * 0.0)
Round = unary("Round", lambda xp, x: xp.round(x),      lambda g: g * 0.0)
Trunc = unary("Trunc", lambda xp, x: xp.trunc(x),      lambda g: g * 0.0)


def _public(op, *names, floats=True):
    """The function of a unary op, also a Tensor method under `names`: math functions turn
    integers and bools into the default float first (as PyTorch's do); the others keep them."""
    if floats:
        def fn(x):
            return op.apply(x if isinstance(x, Tensor) and x.array.dtype.kind == "f" else
                            floating(x))
    else:
        def fn(x):
            return op.apply(x)
    fn.__name__ = fn.__qualname__ = names[0]
    fn.__doc__ = op.__doc__
    return tensor_method(*names)(fn)


exp, log, log1p, expm1 = (_public(op, op.__name__.lower()) for op in (Exp, Log, Log1p, Expm1))
sqrt, rsqrt, reciprocal = (_public(op, op.__name__.lower()) for op in (Sqrt, Rsqrt, Reciprocal))
sin, cos, tan, erf = (_public(op, op.__name__.lower()) for op in (Sin, Cos, Tan, Erf))
neg, abs = _public(Neg, "neg", "__neg__", floats=False), _public(Abs, "abs", "__abs__",
                                                                  floats=False)
sign, floor, ceil, trunc = (_public(op, op.__name__.lower(), floats=False)
                            for op in (Sign, Floor, Ceil, Trunc))


@tensor_method
def round(x, decimals=0):
    """Rounded to `decimals` places (negative: to tens, hundreds...), halves to even."""
    if decimals == 0:
        return Round.apply(x)
    if decimals > 0:
        scale = 10.0 ** decimals
        return Round.apply(x * scale) / scale
    scale = 10.0 ** -decimals
    return Round.apply(x / scale) * scale


@tensor_method
def log2(x):
    return log(x) / math.log(2)


@tensor_method
def log10(x):
    return log(x) / math.log(10)


# ---- piecewise: clamp, maximum, minimum, where ------------------------------------------------
class ScaleBy(Op):
    """g * k for a constant array k: the derivative of a piecewise op (relu, clamp, maximum) is a
    fixed 0/1 mask or weight on each piece. Linear in g, so its derivative is itself."""

    def forward(ctx, g, k):
        ctx.save_for_backward(k)
        return g * k

    def backward(ctx, gg):
        k, = ctx.saved_like(gg)
        return ScaleBy.apply(gg, k)


def scale_by(g, k):
    """g * k, with k a constant array (bool masks are cheapest) that gets no gradient."""
    return ScaleBy.apply(g, k)


class Clamp(Op):
    """min(max(x, lo), hi) with constant or tensor bounds (None: no bound). The gradient goes to
    whichever of x, lo, hi the output equals, with PyTorch's choices at ties (x) and for lo > hi
    (where the output is hi)."""

    def forward(ctx, x, lo, hi):
        ctx.save_for_backward(x, lo, hi)
        xp = array_module(x, lo, hi)
        y = x if lo is None else xp.maximum(x, lo)
        return y if hi is None else xp.minimum(y, hi)

    def backward(ctx, g):
        x, lo, hi = ctx.saved_arrays
        need = ctx.needs_input_grad
        x_passes, lo_wins, hi_wins = True, None, None
        if lo is not None:
            x_passes = x_passes & (x >= lo)
            lo_wins = x < lo if hi is None else (x < lo) & (lo < hi)
        if hi is not None:
            x_passes = x_passes & (x <= hi)
            hi_wins = x > hi if lo is None else (x > hi) | (hi < lo)
        return (scale_by(g, x_passes) if need[0] else None,
                scale_by(g, lo_wins) if need[1] else None,
                scale_by(g, hi_wins) if need[2] else None)


@tensor_method("clamp", "clip")
def clamp(x, min=None, max=None):
    """Each entry limited to [min, max]; either bound may be None, a number or a tensor."""
    if min is None and max is None:
        raise ValueError("clamp: give at least one of min and max")
    present = operands(*(_as_operand(v) for v in (x, min, max) if v is not None))
    promoted = iter(present)
    x, lo, hi = (None if v is None else next(promoted) for v in (x, min, max))
    try:
        return Clamp.apply(x, lo, hi)
    except ValueError:
        _check_broadcast("clamp", x, lo, hi)
        raise


clip = clamp


class Extremum(Binary):
    """The larger (or smaller) of a and b: the gradient goes to the one chosen, and where they
    are equal each gets half (as PyTorch)."""
    ufunc = wins = None  # the NumPy function, and the comparison that says where a is chosen

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return getattr(array_module(a, b), ctx.ufunc)(a, b)

    def backward(ctx, g):
        a, b = ctx.saved_arrays
        share = (ctx.wins(a, b) + 0.5 * (a == b)).astype(g.dtype, copy=False)
        return (scale_by(g, share) if ctx.needs_input_grad[0] else None,
                scale_by(g, 1 - share) if ctx.needs_input_grad[1] else None)


class Maximum(Extremum):
    ufunc, wins = "maximum", operator.gt


class Minimum(Extremum):
    ufunc, wins = "minimum", operator.lt


maximum, minimum = tensor_method(promoting(Maximum)), tensor_method(promoting(Minimum))


class Where(Op):
    """`a if cond else b`, entry by entry; the gradient flows to the branch taken."""

    def forward(ctx, cond, a, b, dtype):
        ctx.save_for_backward(cond)
        y = array_module(cond, a, b).where(cond, a, b)
        return y if y.dtype == dtype else y.astype(dtype)

    def backward(ctx, g):
        cond, = ctx.saved_like(g)
        return (None,
                Where.apply(cond, g, 0.0, g.dtype) if ctx.needs_input_grad[1] else None,
                Where.apply(cond, 0.0, g, g.dtype) if ctx.needs_input_grad[2] else None)


def where(condition, input=None, other=None):
    """Elementwise `input if condition else other` (condition, input and other broadcast);
    given the condition alone, where it holds: nonzero(condition, as_tuple=True)."""
    condition = condition if isinstance(condition, Tensor) else Tensor(condition)
    if input is None and other is None:
        return nonzero(condition, as_tuple=True)
    if condition.dtype != dtypes.bool_:
        condition = condition != 0
    a, b = _as_operand(input), _as_operand(other)
    dtype = promoted_dtype(a, b)
    a, b = operands(a, b)
    try:
        return Where.apply(condition, a, b, dtype)
    except ValueError:
        _check_broadcast("where", condition, a, b)
        raise


@tensor_method("where")
def where_method(self, condition, other):
    """`x.where(condition, y)`: x where condition holds, else y (PyTorch's method form)."""
    return where(condition, self, other)


# ---- comparisons and logic (not differentiable) -----------------------------------------------
def _raw(v):
    return v.array if isinstance(v, Tensor) else v


def _constant(array, dtype=None):
    if isinstance(array, np.generic):  # NumPy gives scalars for 0-d results
        array = np.asarray(array)
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return Tensor.wrap(array)


def _compare(name, ufunc, method):
    def fn(a, b):
        try:
            a, b = binary(a, b)
        except TypeError:
            return NotImplemented  # lets Python try the other side, or fall back to identity
        ra, rb = _raw(a), _raw(b)
        try:
            return _constant(getattr(array_module(ra, rb), ufunc)(ra, rb))
        except ValueError:
            _check_broadcast(name, a, b)
            raise
    fn.__name__ = fn.__qualname__ = name
    return tensor_method(name, method)(fn)


eq, ne = _compare("eq", "equal", "__eq__"), _compare("ne", "not_equal", "__ne__")
lt, le = _compare("lt", "less", "__lt__"), _compare("le", "less_equal", "__le__")
gt, ge = _compare("gt", "greater", "__gt__"), _compare("ge", "greater_equal", "__ge__")
logical_and, logical_or, logical_xor = (_compare(n, n, f"__{n[8:]}__") for n in (
    "logical_and", "logical_or", "logical_xor"))


@tensor_method("logical_not", "__invert__")
def logical_not(x):
    return _constant(array_module(x.array).logical_not(x.array))


@tensor_method
def isnan(x):
    return _constant(array_module(x.array).isnan(x.array))


@tensor_method
def isinf(x):
    return _constant(array_module(x.array).isinf(x.array))


@tensor_method
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


@tensor_method
def clone(x):
    """A copy that stays in the graph (gradient passes through unchanged)."""
    return Clone.apply(x)
