"""From samples to batches, as PyTorch's `default_collate` and `default_convert` do.

Arrays, Tensors and NumPy scalars are stacked along a new first dimension with their dtype kept;
Python ints become int64, floats float64, bools bool; strings stay as they are (a list, or a tuple inside a tuple of fields); dicts, namedtuples,
tuples and lists are collated field by field (a tuple of fields gives a list, as in PyTorch)."""
import collections.abc

import numpy as np

from ..backend import array_module
from ..ops.creation import as_tensor, tensor
from ..ops.shape import stack
from ..tensor import Tensor


def default_collate(batch):
    """A list of samples -> one batch (see the module docstring)."""
    first = batch[0]
    if isinstance(first, Tensor):
        if any(t.requires_grad for t in batch):
            _same_shapes([t.shape for t in batch])
            return stack(batch)  # an op, so the batch stays in the graph
        return as_tensor(_stacked([t.array for t in batch]))
    if isinstance(first, (str, bytes)):  # before NumPy: np.str_ is a str
        return batch
    if isinstance(first, (np.ndarray, np.generic)):
        if _is_text(first):
            raise TypeError(f"default_collate: cannot batch NumPy arrays of {first.dtype} "
                            "(strings or objects); give the DataLoader a collate_fn")
        return as_tensor(_stacked([np.asarray(s) for s in batch]))
    if isinstance(first, bool):
        return tensor(batch, dtype=np.bool_)
    if isinstance(first, int):
        return tensor(batch, dtype=np.int64)
    if isinstance(first, float):
        return tensor(batch, dtype=np.float64)
    if isinstance(first, collections.abc.Mapping):
        return _like(first, {key: default_collate([s[key] for s in batch]) for key in first})
    if isinstance(first, collections.abc.Sequence):
        lengths = sorted({len(s) for s in batch})
        if len(lengths) > 1:
            raise RuntimeError(f"default_collate: each element in list of batch should be of "
                               f"equal size, got samples with {lengths} fields")
        return _sequence_like(first, [default_collate(field) for field in zip(*batch)])
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__} "
                    "(expected Tensors, NumPy arrays, numbers, strings, or dicts, tuples and "
                    "lists of them)")


def default_convert(data):
    """NumPy arrays and scalars inside `data` (and its dicts, tuples, lists) as Tensors; what
    the DataLoader applies to each sample when it does not batch (batch_size=None)."""
    if isinstance(data, (np.ndarray, np.generic)) and not isinstance(data, (str, bytes)):
        return data if _is_text(data) else as_tensor(data)
    if isinstance(data, collections.abc.Mapping):
        return _like(data, {key: default_convert(value) for key, value in data.items()})
    if isinstance(data, collections.abc.Sequence) and not isinstance(data, (str, bytes)):
        return _sequence_like(data, [default_convert(d) for d in data])
    return data


def _is_text(array):
    return array.dtype.kind in "SUO"


def _stacked(arrays):
    _same_shapes([a.shape for a in arrays])
    return array_module(*arrays).stack(arrays)


def _same_shapes(shapes):
    if len(set(shapes)) > 1:
        raise RuntimeError(f"default_collate: samples have different shapes {sorted(set(shapes))}"
                           "; make them one size (a transform), or give the DataLoader a "
                           "collate_fn")


def _like(mapping, items):
    """`items` (a dict) as the kind of mapping `mapping` is, when that kind is built that way."""
    try:
        return type(mapping)(items)
    except TypeError:
        return items


def _sequence_like(sequence, items):
    """A namedtuple stays one; a plain tuple becomes a list (PyTorch's rule); another kind of
    sequence is kept when it can be built from a list."""
    if isinstance(sequence, tuple):
        return type(sequence)(*items) if hasattr(sequence, "_fields") else items
    try:
        return type(sequence)(items)
    except TypeError:
        return items
