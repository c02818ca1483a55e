"""Batches of sequences of different lengths: padded to one length, or packed.

A packed batch lists the sequences, sorted longest first, time step by time step: the rows of
step t are the sequences still running at t, so `batch_sizes[t]` never grows. Recurrent layers
walk it step by step and never compute past a sequence's end. Every function here is made of
differentiable ops (index, cat, stack), so gradients flow through packing and padding."""
from typing import NamedTuple, Optional

import numpy as np

from ...ops.creation import full, tensor
from ...ops.indexing import index_select
from ...ops.shape import cat, stack
from ...tensor import Tensor

__all__ = ["PackedSequence", "pad_sequence", "pack_padded_sequence", "pad_packed_sequence",
           "pack_sequence", "unpad_sequence", "unpack_sequence"]


class _PackedFields(NamedTuple):
    data: Tensor
    batch_sizes: Tensor
    sorted_indices: Optional[Tensor]
    unsorted_indices: Optional[Tensor]


class PackedSequence(_PackedFields):
    """data: the rows of all sequences, step by step (sum(lengths), *); batch_sizes: how many
    sequences run at each step (int64, on the CPU); sorted_indices: batch position of the i-th
    longest sequence (None when the batch came sorted); unsorted_indices: its inverse, made
    here when not given."""
    __slots__ = ()

    def __new__(cls, data, batch_sizes, sorted_indices=None, unsorted_indices=None):
        if unsorted_indices is None and sorted_indices is not None:
            order = np.asarray(sorted_indices.tolist())
            unsorted_indices = _index(np.argsort(order), sorted_indices.device)
        return super().__new__(cls, data, batch_sizes, sorted_indices, unsorted_indices)

    def to(self, *args, **kwargs):
        """The same batch with data (and the indices, if the device changes) moved or cast."""
        data = self.data.to(*args, **kwargs)
        if data is self.data:
            return self
        move = (lambda t: None if t is None else t.to(device=data.device))
        return PackedSequence(data, self.batch_sizes, move(self.sorted_indices),
                              move(self.unsorted_indices))

    @property
    def is_cuda(self):
        return self.data.is_cuda


def _lengths_array(name, lengths):
    lengths = np.asarray(lengths.tolist() if isinstance(lengths, Tensor) else lengths)
    if lengths.ndim != 1 or lengths.size == 0 or lengths.dtype.kind not in "iu":
        raise ValueError(f"{name}: lengths must be a non-empty 1-D list of integers, got "
                         f"{lengths.tolist()}")
    if lengths.min() <= 0:
        raise ValueError(f"{name}: every sequence must have length > 0, got {lengths.tolist()}")
    return lengths.astype(np.int64)


def _running(sorted_lengths, steps):
    """(steps, batch) mask: is sequence b (longest first) still running at step t?"""
    return np.arange(steps)[:, None] < sorted_lengths[None, :]


def _index(array, device):
    return tensor(array, device=device)


def pad_sequence(sequences, batch_first=False, padding_value=0.0, padding_side="right"):
    """Stacks sequences of shapes (L_i, *) into (max L, B, *) ((B, max L, *) if batch_first),
    filling the missing steps with padding_value after each sequence (before it if
    padding_side='left')."""
    if padding_side not in ("left", "right"):
        raise ValueError(f"pad_sequence: padding_side must be 'left' or 'right', got "
                         f"{padding_side!r}")
    sequences = list(sequences)
    if not sequences:
        raise ValueError("pad_sequence: expected at least one sequence, got none")
    longest = max(len(s) for s in sequences)

    def padded(s):
        if len(s) == longest:
            return s
        pad = full((longest - len(s),) + tuple(s.shape[1:]), padding_value, dtype=s.dtype,
                   device=s.device)
        return cat([s, pad] if padding_side == "right" else [pad, s])

    return stack([padded(s) for s in sequences], dim=0 if batch_first else 1)


def pack_padded_sequence(input, lengths, batch_first=False, enforce_sorted=True):
    """Packs a padded batch (T, B, *) ((B, T, *) if batch_first) whose sequence b has
    lengths[b] steps. With enforce_sorted the lengths must not increase; otherwise the batch is
    sorted here and the PackedSequence remembers how to undo it."""
    lengths = _lengths_array("pack_padded_sequence", lengths)
    if batch_first:
        input = input.transpose(0, 1)
    steps, batch = input.shape[:2]
    if len(lengths) != batch:
        raise ValueError(f"pack_padded_sequence: got {len(lengths)} lengths for a batch of "
                         f"{batch} sequences")
    if lengths.max() > steps:
        raise ValueError(f"pack_padded_sequence: a length of {lengths.max()} is longer than "
                         f"the padded input's {steps} steps")
    if enforce_sorted:
        if np.any(np.diff(lengths) > 0):
            raise RuntimeError(f"pack_padded_sequence: lengths {lengths.tolist()} must be "
                               "sorted longest first, or pass enforce_sorted=False")
        sorted_indices = None
    else:
        order = np.argsort(-lengths, kind="stable")
        lengths = lengths[order]
        input = index_select(input, 1, _index(order, input.device))
        sorted_indices = _index(order, input.device)
    running = _running(lengths, lengths[0])
    rows = np.flatnonzero(running.ravel())  # step-major, as packed data is laid out
    data = input[:lengths[0]].reshape((-1,) + tuple(input.shape[2:]))[_index(rows, input.device)]
    batch_sizes = tensor(running.sum(axis=1), dtype=np.int64)
    return PackedSequence(data, batch_sizes, sorted_indices)


def pad_packed_sequence(sequence, batch_first=False, padding_value=0.0, total_length=None):
    """Undoes pack_padded_sequence: (padded (T, B, *) or (B, T, *), lengths in batch order),
    T being the longest length, or total_length if given (to pad to a fixed size)."""
    data, batch_sizes = sequence.data, np.asarray(sequence.batch_sizes.tolist())
    steps, batch = len(batch_sizes), int(batch_sizes[0])
    if total_length is not None:
        if total_length < steps:
            raise ValueError(f"pad_packed_sequence: total_length {total_length} is shorter "
                             f"than the longest sequence ({steps} steps)")
        steps = total_length
    sorted_lengths = (np.arange(batch)[None, :] < batch_sizes[:, None]).sum(axis=0)
    running = _running(sorted_lengths, steps).ravel()
    # Each padded slot takes its packed row, or the padding row appended after the data.
    source = np.where(running, np.cumsum(running) - 1, len(data))
    pad_row = full((1,) + tuple(data.shape[1:]), padding_value, dtype=data.dtype,
                   device=data.device)
    padded = cat([data, pad_row])[_index(source, data.device)]
    padded = padded.reshape((steps, batch) + tuple(data.shape[1:]))
    lengths = sorted_lengths
    if sequence.unsorted_indices is not None:
        padded = index_select(padded, 1, sequence.unsorted_indices)
        lengths = lengths[np.asarray(sequence.unsorted_indices.tolist())]
    if batch_first:
        padded = padded.transpose(0, 1)
    return padded, tensor(lengths, dtype=np.int64)


def pack_sequence(sequences, enforce_sorted=True):
    """Packs a list of sequences of shapes (L_i, *) (longest first unless enforce_sorted=False)."""
    lengths = [len(s) for s in sequences]
    return pack_padded_sequence(pad_sequence(sequences), lengths, enforce_sorted=enforce_sorted)


def unpad_sequence(padded_sequences, lengths, batch_first=False):
    """The list of sequences in a padded batch, each cut to its length."""
    lengths = _lengths_array("unpad_sequence", lengths)
    if not batch_first:
        padded_sequences = padded_sequences.transpose(0, 1)
    return [s[:n] for s, n in zip(padded_sequences, lengths.tolist())]


def unpack_sequence(packed_sequences):
    """The list of sequences in a PackedSequence, in batch order."""
    padded, lengths = pad_packed_sequence(packed_sequences, batch_first=True)
    return unpad_sequence(padded, lengths, batch_first=True)
