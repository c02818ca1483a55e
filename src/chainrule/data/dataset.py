"""Datasets: anything with `len(ds)` and `ds[i]`, and the fast path for data held in arrays.

Samples are NumPy arrays and numbers (or tuples/dicts of them); the DataLoader turns batches of
them into Tensors. A dataset that can fetch many samples at once defines `batch(indices)`,
returning the batch already stacked (what collating `[ds[i] for i in indices]` would give, as
arrays): the DataLoader then makes one fancy index per batch instead of one Python call per
sample."""
import bisect

import numpy as np

from ..tensor import Tensor
from . import rng as _rng
from .transforms import apply_batch, split_deterministic


class Dataset:
    """A map from the indices 0 .. len-1 to samples: subclasses define `__getitem__`, `__len__`."""

    def __getitem__(self, index):
        raise NotImplementedError(f"{type(self).__name__} must define __getitem__(index)")

    def __len__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __len__()")

    def __add__(self, other):
        return ConcatDataset([self, other])


class IterableDataset(Dataset):
    """A stream of samples: subclasses define `__iter__` (and may define `__len__`). With
    DataLoader workers, each worker iterates its own copy of the dataset, so the samples come
    once per worker unless `__iter__` splits the stream by `get_worker_info()`."""

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__()")

    def __len__(self):
        raise TypeError(f"{type(self).__name__} is an IterableDataset without a length (define "
                        "__len__ to give it one)")

    def __add__(self, other):
        return ChainDataset([self, other])


class ConcatDataset(Dataset):
    """The samples of each of `datasets` in turn: index i of the whole is found in the dataset
    whose range (`cumulative_sizes`) holds it."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        if not self.datasets:
            raise ValueError("ConcatDataset: datasets should not be an empty iterable")
        for d in self.datasets:
            if isinstance(d, IterableDataset):
                raise TypeError(f"ConcatDataset: does not support IterableDataset (got "
                                f"{type(d).__name__}); use ChainDataset")
        self.cumulative_sizes = np.cumsum([len(d) for d in self.datasets]).tolist()

    def __len__(self):
        return self.cumulative_sizes[-1]

    def __getitem__(self, index):
        if index < -len(self):  # PyTorch's errors: ValueError below, IndexError above
            raise ValueError(f"ConcatDataset: index {index} is out of range for {len(self)} "
                             "samples (absolute value of index should not exceed dataset length)")
        if index >= len(self):
            raise IndexError(f"ConcatDataset: index {index} is out of range for {len(self)} "
                             "samples")
        index = index % len(self)
        part = bisect.bisect_right(self.cumulative_sizes, index)
        start = self.cumulative_sizes[part - 1] if part else 0
        return self.datasets[part][index - start]


class ChainDataset(IterableDataset):
    """The streams of the IterableDatasets `datasets`, one after the other."""

    def __init__(self, datasets):
        self.datasets = list(datasets)
        for d in self.datasets:
            if not isinstance(d, IterableDataset):
                raise TypeError(f"ChainDataset: only supports IterableDataset, got "
                                f"{type(d).__name__}")

    def __iter__(self):
        for d in self.datasets:
            yield from d

    def __len__(self):
        return sum(len(d) for d in self.datasets)


class ArrayDataset(Dataset):
    """Samples held as the rows of equal-length arrays: sample i is `(a[i], b[i], ...)`, with
    `transform` applied to the first array (the inputs). `batch(indices)` indexes each array
    once.

    With `cache` (the default), the transform's leading deterministic steps (ToFloat,
    Normalize; see `transforms.split_deterministic`) are applied once, to all the inputs, on
    the first `batch` call: every batch after is a plain index into the result, with the same
    values as before, and only the steps after them (random ones such as RandomCrop, plain
    functions) still run per batch. The cost is memory, a transformed copy of all the inputs:
    uint8 images made float32 take four times their size (MNIST's 60,000 training images
    188 MB, CIFAR-10's 50,000 614 MB). `cache=False` transforms batch by batch instead.
    Setting a new `transform` makes a new cache; single samples (`ds[i]`) never use it."""

    def __init__(self, *arrays, transform=None, cache=True):
        name = type(self).__name__
        if not arrays:
            raise ValueError(f"{name}: give at least one array")
        lengths = [len(a) for a in arrays]
        if len(set(lengths)) > 1:
            raise ValueError(f"{name}: every array needs the same first dimension (one row per "
                             f"sample), got lengths {lengths}")
        self.arrays = arrays
        self.transform = transform
        self.cache = cache
        self._cached = None  # (the transform it was made for, inputs, transform left per batch)

    def __len__(self):
        return len(self.arrays[0])

    def __getitem__(self, index):
        x, *rest = (a[index] for a in self.arrays)
        return (x if self.transform is None else self.transform(x), *rest)

    def batch(self, indices):
        inputs, transform = self._prepared_inputs()
        x, *rest = (a[indices] for a in (inputs, *self.arrays[1:]))
        return (x if transform is None else apply_batch(transform, x), *rest)

    def _prepared_inputs(self):
        """(inputs, the transform still to apply to each batch of them)."""
        if not self.cache or self.transform is None:
            return self.arrays[0], self.transform
        if self._cached is None or self._cached[0] is not self.transform:
            fixed, per_batch = split_deterministic(self.transform)
            inputs = self.arrays[0] if fixed is None else apply_batch(fixed, self.arrays[0])
            # two loaders' threads may both build it at first: the same values, one is kept
            self._cached = (self.transform, inputs, per_batch)
        return self._cached[1:]


class ImageDataset(ArrayDataset):
    """Labelled images held in memory: `images` (N, C, H, W) uint8 and `labels` (N,) int64; the
    transform (by default, to float32 in [0, 1]) applies to the images, its deterministic
    steps once to all of them with `cache` (see ArrayDataset)."""

    def __init__(self, images, labels, train, transform, cache=True):
        self.train = train
        super().__init__(images, labels, transform=transform, cache=cache)

    @property
    def images(self):
        return self.arrays[0]

    @property
    def labels(self):
        return self.arrays[1]

    def __repr__(self):
        split = "train" if self.train else "test"
        return f"{type(self).__name__}({split}, {len(self)} images, transform={self.transform})"


class TensorDataset(ArrayDataset):
    """`TensorDataset(inputs, targets)`: sample i is `(inputs[i], targets[i])`. Takes Tensors or
    arrays (Tensors are detached: a dataset holds data, not graph); samples are arrays."""

    def __init__(self, *tensors, transform=None, cache=True):
        super().__init__(*(t.array if isinstance(t, Tensor) else np.asarray(t) for t in tensors),
                         transform=transform, cache=cache)


class Subset(Dataset):
    """The samples of `dataset` at `indices`, in that order."""

    def __init__(self, dataset, indices):
        self.dataset = dataset
        self.indices = np.asarray(indices, dtype=np.int64)

    def __len__(self):
        return len(self.indices)

    def __getitem__(self, index):
        return self.dataset[int(self.indices[index])]


def batch_fetcher(dataset):
    """`dataset.batch` (through any Subsets), or None when the dataset has no batch path."""
    if isinstance(dataset, Subset):
        inner = batch_fetcher(dataset.dataset)
        return inner and (lambda indices: inner(dataset.indices[indices]))
    return getattr(dataset, "batch", None)


def build_cache(dataset):
    """Makes an in-memory dataset's cache now (through any Subsets): worker processes forked
    after share it, instead of each building a copy of its own."""
    while isinstance(dataset, Subset):
        dataset = dataset.dataset
    if isinstance(dataset, ArrayDataset):
        dataset._prepared_inputs()


def random_split(dataset, lengths, generator=None, seed=None):
    """Splits `dataset` into non-overlapping random Subsets, by sizes (`[50000, 10000]`) or by
    fractions of the whole (`[0.8, 0.2]`; leftover samples go one each to the first parts)."""
    n = len(dataset)
    counts = _split_counts(n, list(lengths))
    order = (_rng.resolve(generator, seed, "random_split") or _rng.current()).permutation(n)
    bounds = np.cumsum([0] + counts)
    return [Subset(dataset, order[a:b]) for a, b in zip(bounds[:-1], bounds[1:])]


def _split_counts(n, lengths):
    if any(isinstance(x, float) for x in lengths):
        if any(x < 0 for x in lengths) or not np.isclose(sum(lengths), 1.0):
            raise ValueError(f"random_split: fractions must be non-negative and add up to 1, "
                             f"got {lengths} (sum {sum(lengths):g})")
        counts = [int(np.floor(x * n)) for x in lengths]
        for i in range(n - sum(counts)):
            counts[i % len(counts)] += 1
        return counts
    if any(x < 0 for x in lengths) or sum(lengths) != n:
        raise ValueError(f"random_split: lengths {lengths} add up to {sum(lengths)}, but the "
                         f"dataset has {n} samples (give sizes that add up to {n}, or fractions)")
    return lengths
