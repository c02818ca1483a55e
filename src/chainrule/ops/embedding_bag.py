"""embedding_bag: the sum, mean or max of bags of embedding rows, without forming the rows of
each bag as a padded batch (except for max, which needs one element per bag and feature).

Every mode is indexing: rows are read with Take and summed into their bag with IndexAdd (the
pair whose derivatives are each other), and max reads, per bag and feature, the row that holds
the maximum. So the gradients of every order are those of indexing."""
import numpy as np

from ..backend import array_module
from ..tensor import Tensor
from .elementwise import scale_by
from .indexing import IndexAdd, Take

__all__ = ["embedding_bag"]


def embedding_bag(input, weight, offsets=None, max_norm=None, norm_type=2,
                  scale_grad_by_freq=False, mode="mean", sparse=False, per_sample_weights=None,
                  include_last_offset=False, padding_idx=None):
    """Bags of indices -> one vector per bag: input (B, L) holds B bags of L indices, or input
    (M,) with `offsets` (B,) the start of each bag (with include_last_offset, (B + 1,), the last
    being the end). mode 'sum' (optionally weighting each index by per_sample_weights), 'mean'
    or 'max' (per feature); an empty bag gives zeros, and indices equal to padding_idx are left
    out. Output (B, embedding_dim). (sparse only chooses PyTorch's gradient layout, so it is
    accepted and the gradient is dense.)"""
    name = "embedding_bag"
    if max_norm is not None or scale_grad_by_freq:
        raise ValueError(f"{name}: max_norm and scale_grad_by_freq are not supported")
    if mode not in ("sum", "mean", "max"):
        raise ValueError(f"{name}: mode must be 'sum', 'mean' or 'max', got {mode!r}")
    if weight.ndim != 2:
        raise ValueError(f"{name}: expected a weight (num_embeddings, embedding_dim), got shape "
                         f"{weight.shape}")
    indices, bags, count = _bags(name, _ints(name, "input", input), offsets, include_last_offset)
    keep = (bags >= 0) & (bags < count)
    if padding_idx is not None:
        padding_idx %= weight.shape[0]
        keep &= indices != padding_idx
    if indices.size and (indices.min() < 0 or indices.max() >= weight.shape[0]):
        bad = indices.min() if indices.min() < 0 else indices.max()
        raise IndexError(f"{name}: index {int(bad)} is out of range for {weight.shape[0]} "
                         f"embeddings")
    samples = None
    if per_sample_weights is not None:
        if mode != "sum":
            raise ValueError(f"{name}: per_sample_weights needs mode='sum', got mode {mode!r}")
        if tuple(per_sample_weights.shape) != tuple(input.shape):
            raise ValueError(f"{name}: per_sample_weights must have the input's shape "
                             f"{tuple(input.shape)}, got {tuple(per_sample_weights.shape)}")
        samples = Take.apply(per_sample_weights.reshape(-1), (keep.nonzero()[0],))
    indices, bags = indices[keep], bags[keep]
    xp = array_module(indices)
    shape = (count, weight.shape[1])
    if mode == "max":
        return _bag_max(weight, indices, bags, count)
    rows = Take.apply(weight, (indices,))
    if samples is not None:
        rows = rows * samples.unsqueeze(1)
    total = IndexAdd.apply(rows, (bags,), shape)
    if mode == "sum":
        return total
    sizes = xp.bincount(bags, minlength=count).astype(weight.dtype)
    return scale_by(total, (1 / xp.maximum(sizes, 1))[:, None])


def _ints(name, what, t):
    array = t.array if isinstance(t, Tensor) else np.asarray(t)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer {what} (a long tensor), got {array.dtype}")
    return array


def _bags(name, indices, offsets, include_last_offset):
    """The flat indices, the bag of each (possibly past the last bag, to be dropped) and the
    number of bags."""
    xp = array_module(indices)
    if indices.ndim == 2:
        if offsets is not None:
            raise ValueError(f"{name}: offsets must be None for a 2-D input (each row is a bag)")
        count, length = indices.shape
        return indices.reshape(-1), xp.repeat(xp.arange(count), length), count
    if indices.ndim != 1 or offsets is None:
        raise ValueError(f"{name}: expected a 2-D input (bags of equal size), or a 1-D input "
                         f"with 1-D offsets, got input of shape {indices.shape} and offsets "
                         f"{'None' if offsets is None else tuple(offsets.shape)}")
    starts = _ints(name, "offsets", offsets)
    if starts.ndim != 1 or (starts.size and int(starts[0]) != 0) or \
            (starts.size > 1 and (xp.diff(starts) < 0).any()):
        raise ValueError(f"{name}: offsets must be a 1-D, non-decreasing list of bag starts "
                         f"beginning at 0, got {starts.tolist()}")
    count = starts.size - 1 if include_last_offset else starts.size
    bags = xp.searchsorted(starts, xp.arange(indices.size), side="right") - 1
    return indices, bags, max(count, 0)


def _bag_max(weight, indices, bags, count):
    """Per bag and feature, the largest value: its row is found on the arrays (bags laid out
    as a padded (bags, longest) table), then read with Take, so the gradient goes to it."""
    xp = array_module(indices)
    sizes = xp.bincount(bags, minlength=count)
    starts = xp.cumsum(sizes) - sizes
    position = xp.arange(indices.size) - starts[bags]  # bags are sorted: place within the bag
    width = max(int(sizes.max()) if count else 0, 1)  # an all-empty table still has a column
    table = xp.zeros((count, width), np.int64)
    table[bags, position] = indices
    values = weight.array[table]  # (bags, longest, dim)
    values[~(xp.arange(width) < sizes[:, None])] = -np.inf
    chosen = xp.take_along_axis(table, values.argmax(axis=1), 1)
    features = xp.arange(weight.shape[1])[None, :]
    return scale_by(Take.apply(weight, (chosen, features)), (sizes > 0)[:, None])
