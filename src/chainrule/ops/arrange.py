"""Rearrangements built from the shape and indexing ops: grids, repeats, flips and rotations.
Each is a composite, so its gradient is that of the ops it is made of."""
import numpy as np

from ..backend import array_module
from ..tensor import Tensor, tensor_method
from .indexing import index_select
from .shape import broadcast_to, flatten, flip, normalize_dim, reshape, transpose

__all__ = ["meshgrid", "repeat_interleave", "fliplr", "flipud", "rot90"]


def meshgrid(*tensors, indexing="ij"):
    """Coordinate grids from 1-D tensors: output i holds tensors[i] along dim i ('ij'), or
    with the first two dims swapped ('xy', as in NumPy and MATLAB)."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tuple(tensors[0])
    if indexing not in ("ij", "xy"):
        raise ValueError(f"meshgrid: indexing must be 'ij' or 'xy', got {indexing!r}")
    if not tensors:
        raise ValueError("meshgrid: expected at least one tensor")
    if any(t.ndim > 1 for t in tensors):
        raise ValueError(f"meshgrid: expected 0-D or 1-D tensors, got shapes "
                         f"{[t.shape for t in tensors]}")
    sizes = [t.reshape(-1).shape[0] for t in tensors]
    axes = list(range(len(tensors)))
    if indexing == "xy" and len(axes) > 1:
        axes[0], axes[1] = 1, 0
    shape = [0] * len(tensors)
    for i, a in enumerate(axes):
        shape[a] = sizes[i]
    ones = [1] * len(tensors)
    return tuple(broadcast_to(reshape(t, ones[:a] + [-1] + ones[a + 1:]), tuple(shape))
                 for t, a in zip(tensors, axes))


@tensor_method
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    """Each slice along `dim` repeated `repeats` times in place (an int, or one count per
    slice); without dim, over the flattened tensor. repeat_interleave(counts) alone gives
    the indices 0, 0, ..., 1, ... that repeat each position counts[i] times."""
    if repeats is None:  # the one-argument form: input holds the counts
        counts = _counts(input)
        return Tensor.wrap(array_module(counts).repeat(
            array_module(counts).arange(len(counts)), counts))
    if dim is None:
        input, d = flatten(input), 0
    else:
        d = normalize_dim("repeat_interleave", dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    xp = array_module(input.array)
    counts = _counts(repeats)
    if counts.ndim == 0 or counts.shape == (1,):
        counts = xp.full(n, int(counts.reshape(())), dtype=np.int64)
    if counts.shape != (n,):
        raise ValueError(f"repeat_interleave: repeats must be one number or one count for each "
                         f"of the {n} slices along dim {d}, got shape {tuple(counts.shape)}")
    index = xp.repeat(xp.arange(n), counts)
    if output_size is not None and output_size != len(index):
        raise ValueError(f"repeat_interleave: output_size={output_size} but the repeats add "
                         f"up to {len(index)}")
    return index_select(input.reshape(1) if input.ndim == 0 else input, d, index)


def _counts(repeats):
    counts = repeats.array if isinstance(repeats, Tensor) else np.asarray(repeats)
    if counts.dtype.kind not in "iu" or counts.ndim > 1 or (counts.size and counts.min() < 0):
        raise ValueError(f"repeat_interleave: repeats must be non-negative integers (a number "
                         f"or a 1-D tensor), got {repeats!r}")
    return counts


@tensor_method
def fliplr(input):
    """Reversed along dim 1 (left to right)."""
    if input.ndim < 2:
        raise ValueError(f"fliplr: expected a tensor with at least 2 dims, got shape "
                         f"{input.shape}")
    return flip(input, 1)


@tensor_method
def flipud(input):
    """Reversed along dim 0 (up to down)."""
    if input.ndim < 1:
        raise ValueError("flipud: expected a tensor with at least 1 dim, got a 0-d tensor")
    return flip(input, 0)


@tensor_method
def rot90(input, k=1, dims=(0, 1)):
    """Rotated k times by 90 degrees in the plane of `dims`, from the first dim towards the
    second: a flip and a transpose."""
    if len(dims) != 2 or input.ndim < 2:
        raise ValueError(f"rot90: expected two dims of a tensor with at least 2 dims, got "
                         f"dims={tuple(dims)} for shape {input.shape}")
    d0, d1 = (normalize_dim("rot90", d, input.ndim) for d in dims)
    if d0 == d1:
        raise ValueError(f"rot90: the two dims must differ, got dims={tuple(dims)}")
    k %= 4
    if k == 1:
        return transpose(flip(input, d1), d0, d1)
    if k == 2:
        return flip(input, (d0, d1))
    if k == 3:
        return transpose(flip(input, d0), d0, d1)
    return input.clone()
