"""Sorting along a dim: sort, argsort, msort, topk and kthvalue.

The order is found on the raw arrays (indices are not differentiable); the values are then read
from the input with `gather` at those indices, so each value's gradient goes back to the element
it came from (gather's backward), and second derivatives come for free."""
import operator
from collections import namedtuple

import numpy as np

from ..backend import array_module
from ..tensor import tensor_method
from .elementwise import _constant
from .indexing import gather
from .shape import normalize_dim, reshape

__all__ = ["sort", "argsort", "msort", "topk", "kthvalue"]

# like torch.return_types.sort, .topk and .kthvalue
_sort_result = namedtuple("sort", ["values", "indices"])
_topk_result = namedtuple("topk", ["values", "indices"])
_kthvalue_result = namedtuple("kthvalue", ["values", "indices"])


def _order(x, axis, descending):
    """The positions that sort the raw array x along `axis`, stably: equal elements keep their
    order, and NaN counts as the largest value (as in PyTorch)."""
    xp = array_module(x)
    if not descending:
        return xp.argsort(x, axis=axis, kind="stable").astype(np.int64, copy=False)
    # sort the reversed array ascending, then read that order backwards: largest first, and
    # equal elements (which the reversal put last-first) back in their first-first order
    backwards = xp.flip(xp.argsort(xp.flip(x, axis), axis=axis, kind="stable"), axis)
    return (x.shape[axis] - 1 - backwards).astype(np.int64, copy=False)


def _sorted_along(name, x, dim, descending, positions=slice(None), keepdim=True):
    """(values, indices) of x sorted along `dim`, keeping the sorted `positions` (a slice)."""
    axis = normalize_dim(name, dim, x.ndim)
    if x.ndim == 0:  # sorts as a 1-element vector, whose element it keeps (as PyTorch does)
        values, index = _sorted_along(name, reshape(x, (1,)), 0, descending)
        return reshape(values, ()), reshape(index, ())
    index = _order(x.array, axis, descending)[(slice(None),) * axis + (positions,)]
    values = gather(x, axis, index)
    if not keepdim:
        shape = index.shape[:axis] + index.shape[axis + 1:]
        values, index = reshape(values, shape), index.reshape(shape)
    return values, _constant(index)


@tensor_method
def sort(input, dim=-1, descending=False, *, stable=False):
    """(values, indices): input sorted along `dim`, ascending (or descending), and where each
    value was. Always stable: equal values keep their order, which is PyTorch's stable=True
    (and a valid order for stable=False)."""
    return _sort_result(*_sorted_along("sort", input, dim, descending))


@tensor_method
def argsort(input, dim=-1, descending=False, *, stable=False):
    """The indices that sort input along `dim` (int64, not differentiable); see sort."""
    return _constant(_order(input.array.reshape(input.shape or (1,)),
                            normalize_dim("argsort", dim, input.ndim),
                            descending).reshape(input.shape))


@tensor_method
def msort(input):
    """input sorted along its first dim (the values of sort(input, dim=0))."""
    return sort(input, 0).values


def _count(name, what, k, size, low):
    """k as an int in [low, size], or a clear error."""
    try:
        n = None if isinstance(k, bool) else operator.index(k)
    except TypeError:
        n = None
    if n is None or not low <= n <= size:
        raise ValueError(f"{name}: {what} must be an integer from {low} to {size} (the size of "
                         f"the dim), got {k!r}")
    return n


def _size(x, dim, name):
    return x.shape[normalize_dim(name, dim, x.ndim)] if x.ndim else 1


@tensor_method
def topk(input, k, dim=-1, largest=True, sorted=True):
    """(values, indices) of the k largest (or smallest) elements along `dim`, in sorted order
    (which PyTorch leaves unspecified for sorted=False)."""
    k = _count("topk", "k", k, _size(input, dim, "topk"), 0)
    return _topk_result(*_sorted_along("topk", input, dim, largest, slice(0, k)))


@tensor_method
def kthvalue(input, k, dim=-1, keepdim=False):
    """(values, indices): the k-th smallest element along `dim` (k counted from 1)."""
    k = _count("kthvalue", "k", k, _size(input, dim, "kthvalue"), 1)
    return _kthvalue_result(*_sorted_along("kthvalue", input, dim, False, slice(k - 1, k),
                                           keepdim))
