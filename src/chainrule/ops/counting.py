"""Counting and finding: histograms, bin counts, sorted search, nonzero positions, unique values.

None of these is differentiable (their results are counts and indices, or values picked by
sorting), so each works on the raw arrays and returns tensors outside the graph."""
import math

from ..backend import array_module, dtypes
from ..tensor import Tensor, tensor_method
from .shape import normalize_dim

__all__ = ["histc", "bincount", "bucketize", "searchsorted", "nonzero", "unique", "numel"]


def _wrap(array, dtype=None):
    array = array_module(array).asarray(array)  # NumPy gives scalars for 0-d results
    return Tensor.wrap(array if dtype is None or array.dtype == dtype else array.astype(dtype))


def numel(input):
    return input.numel()


# ---- histograms -------------------------------------------------------------------------------
@tensor_method
def histc(input, bins=100, min=0, max=0):
    """Counts of the values in `bins` equal bins over [min, max] (the data's own range when
    min == max), in input's dtype; values outside the range (and NaN) are not counted."""
    if input.dtype.kind != "f":
        raise TypeError(f"histc: expected a floating-point tensor, got {input.dtype}; convert "
                        "it first with .float()")
    if not isinstance(bins, int) or bins < 1:
        raise ValueError(f"histc: bins must be a positive integer, got {bins!r}")
    if min > max:
        raise ValueError(f"histc: max must be at least min, got min={min} and max={max}")
    x = input.array.reshape(-1)
    xp = array_module(x)
    lo, hi = min, max
    if lo == hi and x.size:
        lo, hi = x.min().item(), x.max().item()
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    if not (math.isfinite(lo) and math.isfinite(hi)):
        raise ValueError(f"histc: the range [{lo}, {hi}] is not finite")
    x = x[(x >= lo) & (x <= hi)]
    # the bin of each value, the rightmost edge falling in the last bin
    index = ((x - lo) * bins / (hi - lo)).astype(dtypes.int64)
    index = xp.minimum(index, bins - 1)
    return _wrap(xp.bincount(index, minlength=bins), input.dtype)


@tensor_method
def bincount(input, weights=None, minlength=0):
    """How often each of 0, 1, ..., max(input) occurs in the 1-D non-negative integer tensor
    `input` (at least `minlength` bins); with `weights`, their sums instead of counts."""
    x = input.array
    if x.ndim != 1 or x.dtype.kind not in "iu" or (x.size and x.min() < 0):
        raise ValueError(f"bincount: expected a 1-D tensor of non-negative integers, got "
                         f"shape {input.shape} and dtype {input.dtype}"
                         + (f" with minimum {x.min()}" if x.size and x.dtype.kind in "iu" else ""))
    if weights is None:
        return _wrap(array_module(x).bincount(x, minlength=minlength), dtypes.int64)
    if weights.shape != input.shape:
        raise ValueError(f"bincount: weights must have input's shape {input.shape}, got "
                         f"{weights.shape}")
    # float32 weights sum as float32; every other dtype sums as float64 (as PyTorch)
    dtype = dtypes.float32 if weights.dtype == dtypes.float32 else dtypes.float64
    counts = array_module(x).bincount(x, weights.array, minlength=minlength)
    return _wrap(counts, dtype)


# ---- sorted search ----------------------------------------------------------------------------
def searchsorted(sorted_sequence, input, *, out_int32=False, right=False, side=None,
                 sorter=None):
    """Where each value of `input` would go in `sorted_sequence` (its last dim sorted) to keep
    it sorted: the first such place (side='left'), or the last (side='right', or right=True).
    An N-D sequence is searched row by row: its leading dims must be input's."""
    if side is None:
        side = "right" if right else "left"
    elif side not in ("left", "right") or (right and side == "left"):
        raise ValueError(f"searchsorted: side must be 'left' or 'right' and agree with "
                         f"right={right}, got side={side!r}")
    seq = sorted_sequence.array
    values = input.array if isinstance(input, Tensor) else array_module(seq).asarray(input)
    sorter = None if sorter is None else sorter.array
    if seq.ndim > 1 and seq.shape[:-1] != values.shape[:-1]:
        raise ValueError(f"searchsorted: a sequence of shape {sorted_sequence.shape} is searched "
                         f"row by row, so input must have shape {seq.shape[:-1]} + (m,), got "
                         f"{tuple(values.shape)}")
    if seq.ndim == 1:
        index = array_module(seq).searchsorted(seq, values, side=side, sorter=sorter)
    else:
        index = _search_rows(seq, values, side, sorter)
    return _wrap(index, dtypes.int32 if out_int32 else dtypes.int64)


def _search_rows(seq, values, side, sorter):
    """Each row's values merged into its sorted sequence by one stable sort on (value, tie): at
    equal values the values come before the sequence's entries for side='left', after them
    for 'right'. A value's place is then the number of sequence entries before it."""
    xp = array_module(seq, values)
    if sorter is not None:
        seq = xp.take_along_axis(seq, sorter, -1)
    n, m = seq.shape[-1], values.shape[-1]
    rows = seq.reshape(-1, n)
    merged = xp.concatenate([rows, values.reshape(-1, m).astype(rows.dtype)], axis=1)
    is_value = xp.arange(n + m) >= n
    tie = xp.broadcast_to(is_value if side == "right" else ~is_value, merged.shape)
    # a stable sort by tie, then by value: the order of (value, tie)
    order = xp.argsort(tie, axis=1, kind="stable")
    order = xp.take_along_axis(order, xp.argsort(xp.take_along_axis(merged, order, 1), axis=1,
                                                 kind="stable"), 1)
    entries_before = xp.cumsum(order < n, axis=1)
    row, place = xp.nonzero(order >= n)
    index = xp.empty((rows.shape[0], m), dtype=dtypes.int64)
    index[row, order[row, place] - n] = entries_before[row, place]
    return index.reshape(values.shape)


def bucketize(input, boundaries, *, out_int32=False, right=False):
    """The bucket of each value between sorted 1-D `boundaries`: i with
    boundaries[i-1] < x <= boundaries[i] (or boundaries[i-1] <= x < boundaries[i] if right)."""
    if boundaries.ndim != 1:
        raise ValueError(f"bucketize: boundaries must be 1-D, got shape {boundaries.shape}")
    return searchsorted(boundaries, input, out_int32=out_int32, right=right)


# ---- positions and values ---------------------------------------------------------------------
@tensor_method
def nonzero(input, *, as_tuple=False):
    """The indices of the nonzero entries: an (n, ndim) int64 tensor, one row per entry in
    row-major order, or with as_tuple=True one 1-D tensor per dim (a 0-d input counts as 1-D)."""
    x = input.array
    xp = array_module(x)
    if as_tuple:
        return tuple(_wrap(i, dtypes.int64) for i in xp.nonzero(x.reshape(x.shape or (1,))))
    return _wrap(xp.argwhere(x), dtypes.int64)


@tensor_method
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """The distinct values in ascending order (always sorted, whatever `sorted` says), or with
    `dim` the distinct slices along it. return_inverse adds where each entry (or slice) went,
    return_counts how often each occurs. NaNs are all distinct, as in PyTorch."""
    x = input.array
    xp = array_module(x)
    axis = None if dim is None else normalize_dim("unique", dim, x.ndim)
    found = xp.unique(x.reshape(-1) if axis is None else x, return_inverse=True,
                      return_counts=True, axis=axis, equal_nan=False)
    values, inverse, counts = found
    inverse = inverse.reshape(x.shape if axis is None else (x.shape[axis],))
    out = (_wrap(values),)
    out += (_wrap(inverse, dtypes.int64),) if return_inverse else ()
    out += (_wrap(counts, dtypes.int64),) if return_counts else ()
    return out if len(out) > 1 else out[0]
