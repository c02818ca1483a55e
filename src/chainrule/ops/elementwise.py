"""Elementwise arithmetic and math: each op's forward on arrays beside its derivative.

Operands broadcast like NumPy; their dtypes promote like PyTorch's (see `operands`). Gradients are
returned at the broadcast shape: the engine sums them back to each input's shape at the edge."""
import math
import operator

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


def _promoting_call(cls):
    """`cls.call(a, b)`: the operands promoted to their common dtype, then the op. A plain
    function, so that Tensor's operators can be it (`a + b` is then one Python call)."""
    def call(a, b):
        if type(a) is not Tensor or type(b) is not Tensor or a.array.dtype is not b.array.dtype:
            a, b = binary(a, b)  # (two tensors of one dtype, the most common, need nothing)
        if not cls.bools and (a if isinstance(a, Tensor) else b).dtype == dtypes.bool_:
            raise TypeError(f"{cls.name_of()}: not defined for bool tensors; convert them first "
                            "with .long() or .float()")
        try:
            return cls.apply(a, b)
        except ValueError:
            _check_broadcast(cls.name_of(), a, b)
            raise
    return call


class Binary(Op):
    """An op on two operands that broadcast; `call` promotes them first."""
    label = None  # the name errors give, when it is not the class name in lower case
    bools = True  # whether two bool tensors are valid operands

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        cls.call = staticmethod(_promoting_call(cls))

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
        ctx.save_for_backward(a, b)
        return a * b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        return (g * b if ctx.needs_input_grad[0] else None,
                g * a if ctx.needs_input_grad[1] else None)


class Div(Binary):
    """a / b: d/da = 1/b, d/db = -a/b^2."""

    def forward(ctx, a, b):
        ctx.save_for_backward(a, b)
        return a / b

    def backward(ctx, g):
        a, b = ctx.saved_tensors
        ga = g / b
        return ga, (-ga * a / b if ctx.needs_input_grad[1] else None)


class Pow(Numeric):
    """a ** b for a tensor exponent: d/da = b a^(b-1), d/db = a^b log a."""

    def forward(ctx, a, b):
        y = array_module(a, b).power(a, b)
        ctx.save_for_backward(a, b, y)
        return y

    def backward(ctx, g):
        a, b, y = ctx.saved_tensors
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
        x, = ctx.saved_tensors
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
        a, b = ctx.saved_tensors
        return g, (-g * FloorDivide.apply(a, b) if ctx.needs_input_grad[1] else None)


def add(a, b, alpha=1):
    return Add.call(a, b if alpha == 1 else b * alpha)


def sub(a, b, alpha=1):
    return Sub.call(a, b if alpha == 1 else b * alpha)


def mul(a, b):
    return Mul.call(a, b)


def div(a, b, rounding_mode=None):
    """True division (integers give floats), or rounding_mode='floor' / 'trunc'."""
    if rounding_mode == "floor":
        return FloorDivide.call(a, b)
    if rounding_mode == "trunc":
        return TruncDivide.call(a, b)
    if rounding_mode is not None:
        raise ValueError(f"div: rounding_mode must be None, 'floor' or 'trunc', "
                         f"got {rounding_mode!r}")
    a, b = binary(a, b)
    if _integral(a) and _integral(b):
        a = cast(a, dtypes.get_default_dtype()) if isinstance(a, Tensor) else float(a)
    return Div.call(a, b)


true_divide = div


def _integral(v):
    return v.dtype.kind in "biu" if isinstance(v, Tensor) else not isinstance(v, float)


def floor_divide(a, b):
    return FloorDivide.call(a, b)


def remainder(a, b):
    return Remainder.call(a, b)


def pow(a, b):
    """a ** b. A constant exponent takes the cheaper PowScalar path; a scalar base becomes a 0-d
    tensor, so that d/db = a^b log a has a tensor to take the log of."""
    if isinstance(a, Tensor) and type(b) in (int, float):
        a, b = binary(a, b)  # bools become int64; integers to a float power, float32
        return PowScalar.apply(a, b)
    a, b = binary(a, b)
    if not isinstance(a, Tensor):
        a = _constant(array_module(b.array).asarray(a, dtype=b.dtype))
    return Pow.call(a, b)


def square(x):
    return pow(x, 2)


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
    """log(1 + x), accurate for tiny x: d/dx = 1 / (1 + x)."""

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).log1p(x)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g / (x + 1)


class Expm1(Op):
    """e^x - 1, accurate for tiny x: d/dx = e^x = y + 1."""

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
    """y = 1/x: dy/dx = -y^2."""

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
        return g * Cos.apply(x)


class Cos(Op):
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return array_module(x).cos(x)

    def backward(ctx, g):
        x, = ctx.saved_tensors
        return -g * Sin.apply(x)


class Tan(Op):
    """y = tan x: dy/dx = 1 + y^2."""

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
        return g * (2 / math.sqrt(math.pi)) * Exp.apply(-(x * x))


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
        return cls.apply(x if isinstance(x, Tensor) and x.array.dtype.kind == "f" else
                         floating(x))
    fn.__name__ = cls.__name__.lower()
    fn.__doc__ = cls.__doc__
    return fn


def neg(x):
    return Neg.apply(x)


def abs(x):
    return Abs.apply(x)


exp, log, log1p, expm1 = _unary(Exp), _unary(Log), _unary(Log1p), _unary(Expm1)
sqrt, rsqrt, reciprocal = _unary(Sqrt), _unary(Rsqrt), _unary(Reciprocal)
sin, cos, tan, erf = _unary(Sin), _unary(Cos), _unary(Tan), _unary(Erf)
sign, floor, ceil, round, trunc = (_zero_grad_op(n) for n in ("sign", "floor", "ceil", "round",
                                                              "trunc"))


def log2(x):
    return log(x) / math.log(2)


def log10(x):
    return log(x) / math.log(10)


# ---- piecewise: clamp, maximum, minimum, where ------------------------------------------------
class ScaleBy(Op):
    """g * k for a constant array k: the derivative of a piecewise op (relu, clamp, maximum) is a
    fixed 0/1 mask or weight on each piece. Linear in g, so its derivative is itself."""

    def forward(ctx, g, k):
        ctx.k = k
        return g * k

    def backward(ctx, gg):
        return ScaleBy.apply(gg, ctx.k)


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
        x, lo, hi = (_raw(v) for v in ctx.saved_tensors)
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
        a, b = (_raw(v) for v in ctx.saved_tensors)
        share = (ctx.wins(a, b) + 0.5 * (a == b)).astype(g.dtype, copy=False)
        return (scale_by(g, share) if ctx.needs_input_grad[0] else None,
                scale_by(g, 1 - share) if ctx.needs_input_grad[1] else None)


class Maximum(Extremum):
    ufunc, wins = "maximum", operator.gt


class Minimum(Extremum):
    ufunc, wins = "minimum", operator.lt


def maximum(a, b):
    return Maximum.call(a, b)


def minimum(a, b):
    return Minimum.call(a, b)


class Where(Op):
    """`a if cond else b`, entry by entry; the gradient flows to the branch taken."""

    def forward(ctx, cond, a, b, dtype):
        ctx.cond = cond
        y = array_module(cond, a, b).where(cond, a, b)
        return y if y.dtype == dtype else y.astype(dtype)

    def backward(ctx, g):
        cond = ctx.cond
        return (None,
                Where.apply(cond, g, 0.0, g.dtype) if ctx.needs_input_grad[1] else None,
                Where.apply(cond, 0.0, g, g.dtype) if ctx.needs_input_grad[2] else None)


def where(condition, input, other):
    """Elementwise `input if condition else other` (condition, input and other broadcast)."""
    condition = condition if isinstance(condition, Tensor) else Tensor(condition)
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


# ---- comparisons and logic (not differentiable) -----------------------------------------------
def _raw(v):
    return v.array if isinstance(v, Tensor) else v


def _constant(array, dtype=None):
    if isinstance(array, np.generic):  # NumPy gives scalars for 0-d results
        array = np.asarray(array)
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    return Tensor._make(array, False, None, 0)


def _compare(name, ufunc):
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
    fn.__name__ = name
    return fn


eq, ne = _compare("eq", "equal"), _compare("ne", "not_equal")
lt, le = _compare("lt", "less"), _compare("le", "less_equal")
gt, ge = _compare("gt", "greater"), _compare("ge", "greater_equal")
logical_and, logical_or, logical_xor = (_compare(n, n) for n in ("logical_and", "logical_or",
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
