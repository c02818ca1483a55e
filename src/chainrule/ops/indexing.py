"""Indexing: `x[...]` and its relatives. Reading with an index goes forward; its derivative
writes (adds) the gradient back into a zero tensor at the same index."""
from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor

__all__ = ["getitem"]
METHODS = []


def as_index(key, shape):
    """A NumPy index from a user's key: Tensors and lists become arrays."""
    if not isinstance(key, tuple):
        key = (key,)
    out = []
    for k in key:
        if isinstance(k, Tensor):
            k = k.array
        elif isinstance(k, list):
            k = array_module().asarray(k)
        out.append(k)
    return tuple(out)


class GetItem(Op):
    def forward(ctx, x, key):
        ctx.in_shape, ctx.key = x.shape, key
        return x[key]

    def backward(ctx, g):
        return IndexAdd.apply(g, ctx.key, ctx.in_shape)


class IndexAdd(Op):
    """zeros(shape), then adds g at `key` (repeated indices accumulate): getitem's reverse."""

    def forward(ctx, g, key, shape):
        ctx.key = key
        xp = array_module(g)
        out = xp.zeros(shape, g.dtype)
        if _is_basic(key):
            out[key] = g
        else:
            xp.add.at(out, key, g)
        return out

    def backward(ctx, gg):
        return GetItem.apply(gg, ctx.key)


def _is_basic(key):
    """Slices, ints, None and Ellipsis never repeat an element, so plain assignment suffices."""
    return all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in key)


def getitem(x, key):
    key = as_index(key, x.shape)
    try:
        return GetItem.apply(x, key)
    except IndexError as e:
        raise IndexError(f"getitem: {e} (tensor of shape {x.shape})") from None
