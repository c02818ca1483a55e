"""Running products and log-sum-exps along a dim, and differences of neighbours.

cumprod and logcumsumexp are scans built from differentiable ops (Hillis and Steele's: after
the step of stride s, each entry combines the 2s entries that end at it), so their gradients
of every order come from the ops themselves: exact where cumprod's input has zeros (no
division by x), and without overflow for logcumsumexp (each step is a logaddexp)."""
from ..tensor import Tensor, tensor_method
from .elementwise import logical_xor, mul, sub
from .math import logaddexp
from .reduce import _accumulator
from .shape import cat, movedim, normalize_dim, reshape

__all__ = ["cumprod", "logcumsumexp", "diff"]


def _scan(name, x, dim, combine):
    """y_i = x_0 (combine) x_1 (combine) ... x_i along `dim`, in log2(n) steps of `combine`."""
    d = normalize_dim(name, dim, x.ndim)
    y = movedim(x, d, -1) if x.ndim else reshape(x, (1,))
    n, stride = y.shape[-1], 1
    while stride < n:
        y = cat([y[..., :stride], combine(y[..., stride:], y[..., :-stride])], -1)
        stride *= 2
    return movedim(y, -1, d) if x.ndim else reshape(y, ())


@tensor_method
def cumprod(input, dim, dtype=None):
    """y_i = x_0 x_1 ... x_i along `dim` (integers and bools as int64, unless dtype says)."""
    return _scan("cumprod", _accumulator(input, dtype), dim, mul)


@tensor_method
def logcumsumexp(input, dim):
    """y_i = log(e^x_0 + ... + e^x_i) along `dim`."""
    if input.dtype.kind != "f":
        raise TypeError(f"logcumsumexp: expected a floating-point tensor, got {input.dtype}; "
                        "convert it first with .float()")
    return _scan("logcumsumexp", input, dim, logaddexp)


@tensor_method
def diff(input, n=1, dim=-1, prepend=None, append=None):
    """The n-th forward difference x[i+1] - x[i] along `dim` (for bools, x[i+1] != x[i]), after
    joining `prepend` and `append` to input along it."""
    if input.ndim == 0:
        raise ValueError("diff: expected a tensor with at least one dim, got a 0-d tensor")
    d = normalize_dim("diff", dim, input.ndim)
    ends = [t for t in (prepend, append) if t is not None]
    for t in ends:
        if not isinstance(t, Tensor) or t.ndim != input.ndim or any(
                a != b for k, (a, b) in enumerate(zip(t.shape, input.shape)) if k != d):
            raise ValueError(f"diff: prepend and append must be tensors of input's shape "
                             f"{input.shape} except along dim {d}, got "
                             f"{getattr(t, 'shape', type(t).__name__)}")
    x = cat([t for t in (prepend, input, append) if t is not None], d) if ends else input
    step = logical_xor if x.dtype.kind == "b" else sub
    before = (slice(None),) * d
    for _ in range(n):
        x = step(x[before + (slice(1, None),)], x[before + (slice(None, -1),)])
    return x
