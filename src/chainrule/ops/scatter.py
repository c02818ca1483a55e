"""Writing into a copy of a tensor at an index: along one dim (index_add, index_copy,
index_fill) or element by element (scatter, scatter_reduce). Out of place: the input is never
changed.

Every gradient here is read back at the index where the forward wrote: a written position's
gradient goes to what was written there, an untouched one's to the input. For the reductions,
each contributor gets its share: all of it for sum, 1/count for mean, the product of the others
for prod, and for amax/amin an even split among the elements that tie for the extreme."""
import numpy as np

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor, tensor_method
from .elementwise import Where, scale_by
from .indexing import (IndexAdd, Take, _dim_of, _index_array, _scatter_key, check_range,
                       check_same_dtype, masked_fill)

__all__ = ["index_add", "index_copy", "index_fill", "scatter", "scatter_reduce"]


# ---- along one dim ------------------------------------------------------------------------------
def _slices(name, input, dim, index, source=None):
    """The key that picks the slices at `index` along `dim`, the dim, and a bool mask of those
    slices shaped to broadcast against input."""
    d = _dim_of(name, input, dim)
    index = _index_array(name, index)
    if index.ndim > 1:
        raise ValueError(f"{name}: index must be 1-D, got shape {index.shape}")
    index = index.reshape(-1)
    check_range(name, index, d, input.shape[d])
    if source is not None:
        expected = input.shape[:d] + (len(index),) + input.shape[d + 1:]
        if source.shape != expected:
            raise ValueError(f"{name}: source must have shape {expected} (the input's, with "
                             f"{len(index)} slices along dim {d}), got {source.shape}")
        check_same_dtype(name, "source", source, input)
    xp = array_module(index)
    chosen = xp.zeros(input.shape[d], bool)
    chosen[index] = True
    chosen = chosen.reshape((-1,) + (1,) * (input.ndim - d - 1))
    return (slice(None),) * d + (index, Ellipsis), chosen


@tensor_method
def index_add(input, dim, index, source, *, alpha=1):
    """A copy of input with alpha * source's slices added at the positions `index` along dim
    (repeated positions accumulate)."""
    key, _ = _slices("index_add", input, dim, index, source)
    return input + IndexAdd.apply(source if alpha == 1 else source * alpha, key, input.shape)


@tensor_method
def index_copy(input, dim, index, source):
    """A copy of input with its slices at the positions `index` along dim replaced by source's
    (positions should not repeat; where they do, the copies are summed)."""
    key, chosen = _slices("index_copy", input, dim, index, source)
    return scale_by(input, ~chosen) + IndexAdd.apply(source, key, input.shape)


@tensor_method
def index_fill(input, dim, index, value):
    """A copy of input with its slices at the positions `index` along dim set to value (a
    number or a 0-d tensor, which then gets the gradient of every filled position)."""
    _, chosen = _slices("index_fill", input, dim, index)
    return masked_fill(input, chosen, value)


# ---- element by element -----------------------------------------------------------------------
class Place(Op):
    """zeros(shape) with src written at `key` (no position written twice): the gradient of src
    is read back at the same key."""

    def forward(ctx, src, key, shape):
        ctx.save_for_backward(key)
        out = array_module(src).zeros(shape, src.dtype)
        out[key] = src
        return out

    def backward(ctx, g):
        key, = ctx.saved_arrays
        return Take.apply(g, key)


def _written(input, key):
    hit = array_module(input.array).zeros(input.shape, bool)
    hit[key] = True
    return hit


_REDUCE_OF = {"add": "sum", "multiply": "prod"}


@tensor_method
def scatter(input, dim, index, src=None, *, value=None, reduce=None):
    """A copy of input with src[i][j][k] written at input[i][index[i][j][k]][k] (for dim 1);
    src may be a number (or given as value=). reduce='add' or 'multiply' combines with what is
    there instead (as scatter_reduce with 'sum' or 'prod')."""
    if (src is None) == (value is None):
        raise ValueError("scatter: give exactly one of src (a tensor or a number) and value")
    src = value if src is None else src
    if reduce is not None:
        if reduce not in _REDUCE_OF:
            raise ValueError(f"scatter: reduce must be 'add' or 'multiply', got {reduce!r}")
        if not isinstance(src, Tensor):
            index_shape = _index_array("scatter", index).shape
            src = Tensor.wrap(array_module(input.array).full(index_shape, src, input.dtype))
        return scatter_reduce(input, dim, index, src, _REDUCE_OF[reduce])
    key, src = _scatter_key("scatter", input, dim, index, src)
    hit = _written(input, key)
    if not isinstance(src, Tensor):
        return masked_fill(input, hit, src)
    return scale_by(input, ~hit) + Place.apply(src, key, input.shape)


_IDENTITY = {"sum": 0, "mean": 0, "prod": 1, "amax": -np.inf, "amin": np.inf}


def _identity(reduce, dtype):
    """The value that reducing with changes nothing (integers have no infinity)."""
    if dtype.kind in "iu" and reduce in ("amax", "amin"):
        return np.iinfo(dtype).min if reduce == "amax" else np.iinfo(dtype).max
    return _IDENTITY[reduce]
_UFUNC = {"sum": "add", "mean": "add", "prod": "multiply", "amax": "maximum", "amin": "minimum"}


class ScatterReduce(Op):
    """out = input with src reduced into the positions `key` names (with input's own value
    there too when include_self). Gradients: see the module docstring. For sum, mean, amax and
    amin the shares are constant weights found in forward; prod's depend on the values, so
    they are computed from them, with ops, and a zero among the factors handled exactly."""

    def forward(ctx, x, src, key, reduce, include_self):
        ctx.reduce, ctx.include_self = reduce, include_self
        xp = array_module(x, src)
        out = x.copy()
        hit = xp.zeros(x.shape, bool)
        hit[key] = True
        if not include_self:
            out[hit] = _identity(reduce, x.dtype)
        getattr(xp, _UFUNC[reduce]).at(out, key, src)
        if reduce == "prod":
            ctx.save_for_backward(x, src, out, key, hit)
            return out
        count = include_self * hit.astype(x.dtype)
        xp.add.at(count, key, 1)
        count[~hit] = 1  # an untouched position keeps its input
        if reduce == "mean":
            out = out / count if x.dtype.kind == "f" else out // count.astype(x.dtype)
            w_x, w_src = xp.where(hit, include_self / count, 1), (1 / count)[key]
        elif reduce == "sum":
            w_x, w_src = None if include_self else ~hit, None
        else:  # amax, amin: an even split among the ties
            x_ties, src_ties = (x == out) & (include_self | ~hit), src == out[key]
            ties = x_ties.astype(x.dtype)
            xp.add.at(ties, key, src_ties)
            w_x, w_src = x_ties / ties, src_ties / ties[key]
        ctx.save_for_backward(key, w_x, w_src)
        return out

    def backward(ctx, g):
        if ctx.reduce == "prod":
            return _prod_grads(ctx, g)
        key, w_x, w_src = ctx.saved_arrays
        g_src = Take.apply(g, key) if ctx.needs_input_grad[1] else None
        return (g if w_x is None else scale_by(g, w_x),
                g_src if w_src is None or g_src is None else scale_by(g_src, w_src))


def _prod_grads(ctx, g):
    """d out / d x = the product of the others written there, as out / x, and likewise for
    src; where a factor is zero that quotient is 0/0, so the product of the others is taken
    afresh with that zero replaced by 1 (a constant 1, through which no gradient flows)."""
    x, src, out, key, _ = ctx.saved_like(g)
    x_raw, src_raw, _, _, hit = ctx.saved_arrays
    xp = array_module(x_raw)

    def ones_at(mask, v):
        return Where.apply(mask, 1.0, v, x_raw.dtype)

    if ctx.include_self:
        x_ones = ones_at(x_raw == 0, x)
        g_x = g * ScatterReduce.apply(x_ones, src, key, "prod", True) / x_ones
    else:
        g_x = scale_by(g, ~hit)
    src_zero = src_raw == 0
    zeros_there = xp.zeros(x_raw.shape, x_raw.dtype)
    xp.add.at(zeros_there, key, src_zero)
    single = src_zero & (zeros_there[key] == 1)  # the only zero written at its position
    others = ScatterReduce.apply(x, ones_at(single, src), key, "prod", ctx.include_self)
    g_src = scale_by(Take.apply(g * others, key), single) + \
        scale_by(Take.apply(g * out, key) / ones_at(src_zero, src), ~single)
    return g_x, g_src


_scatter_reductions = tuple(_IDENTITY)


@tensor_method
def scatter_reduce(input, dim, index, src, reduce, *, include_self=True):
    """A copy of input where each src[i][j][k] is reduced into input[i][index[i][j][k]][k]
    (for dim 1) by reduce: 'sum', 'prod', 'mean', 'amax' or 'amin', with input's own value
    taking part unless include_self=False."""
    if reduce not in _IDENTITY:
        raise ValueError(f"scatter_reduce: reduce must be one of {_scatter_reductions}, got "
                         f"{reduce!r}")
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_reduce: src must be a tensor, got {type(src).__name__}")
    key, src = _scatter_key("scatter_reduce", input, dim, index, src)
    return ScatterReduce.apply(input, src, key, reduce, include_self)
