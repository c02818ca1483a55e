"""Samplers: the order in which a DataLoader visits a dataset's indices, and how it groups
them into batches.

Random samplers draw from their `generator` (a NumPy Generator, or an int seed) or, without one,
from chainrule's generator (`cr.manual_seed` fixes them). Each draws its whole order when
iteration starts (`iter(sampler)`), so the order does not depend on which thread pulls the
indices later (the DataLoader's prefetch thread, say)."""
import itertools

import numpy as np

from . import rng as _rng


class Sampler:
    """Iterates over dataset indices; subclasses define `__iter__` (and `__len__` when known)."""

    def __init__(self, data_source=None):
        pass

    def __iter__(self):
        raise NotImplementedError(f"{type(self).__name__} must define __iter__()")


class SequentialSampler(Sampler):
    """0, 1, ..., len(data_source) - 1."""

    def __init__(self, data_source):
        self.data_source = data_source

    def __iter__(self):
        return iter(range(len(self.data_source)))

    def __len__(self):
        return len(self.data_source)


class RandomSampler(Sampler):
    """A random permutation of the indices each epoch; with `replacement`, `num_samples` indices
    drawn uniformly. Without replacement, `num_samples` beyond the dataset's size runs through
    further permutations."""

    def __init__(self, data_source, replacement=False, num_samples=None, generator=None):
        _check_bool("RandomSampler", "replacement", replacement, error=TypeError)
        self.data_source = data_source
        self.replacement = replacement
        self._num_samples = num_samples
        _check_positive("RandomSampler", "num_samples", self.num_samples)
        self.generator = _rng.resolve(generator, None, "RandomSampler")

    @property
    def num_samples(self):
        return len(self.data_source) if self._num_samples is None else self._num_samples

    def __iter__(self):
        rng, n, count = self.generator or _rng.current(), len(self.data_source), self.num_samples
        if self.replacement:
            return iter(rng.integers(0, n, count).tolist())
        order = np.concatenate([rng.permutation(n) for _ in range(-(-count // n))])
        return iter(order[:count].tolist())

    def __len__(self):
        return self.num_samples


class SubsetRandomSampler(Sampler):
    """The given indices, in a random order each epoch."""

    def __init__(self, indices, generator=None):
        self.indices = indices
        self.generator = _rng.resolve(generator, None, "SubsetRandomSampler")

    def __iter__(self):
        order = (self.generator or _rng.current()).permutation(len(self.indices))
        return iter([self.indices[i] for i in order])

    def __len__(self):
        return len(self.indices)


class WeightedRandomSampler(Sampler):
    """`num_samples` indices drawn with probabilities proportional to `weights` (which need not
    add up to 1), with or without replacement."""

    def __init__(self, weights, num_samples, replacement=True, generator=None):
        _check_positive("WeightedRandomSampler", "num_samples", num_samples)
        _check_bool("WeightedRandomSampler", "replacement", replacement)
        weights = np.asarray(getattr(weights, "array", weights), dtype=np.float64)
        if weights.ndim != 1:
            raise ValueError(f"WeightedRandomSampler: weights should be a 1-d sequence, got "
                             f"shape {weights.shape}")
        if not np.all(np.isfinite(weights)) or np.any(weights < 0) or not weights.sum() > 0:
            raise ValueError("WeightedRandomSampler: weights must be finite, non-negative and "
                             "not all zero")
        if not replacement and num_samples > np.count_nonzero(weights):
            raise ValueError(f"WeightedRandomSampler: cannot draw {num_samples} samples without "
                             f"replacement from {np.count_nonzero(weights)} non-zero weights")
        self.weights = weights
        self.num_samples = int(num_samples)
        self.replacement = replacement
        self.generator = _rng.resolve(generator, None, "WeightedRandomSampler")

    def __iter__(self):
        rng = self.generator or _rng.current()
        drawn = rng.choice(len(self.weights), self.num_samples, replace=self.replacement,
                           p=self.weights / self.weights.sum())
        return iter(drawn.tolist())

    def __len__(self):
        return self.num_samples


class BatchSampler(Sampler):
    """Groups the indices of `sampler` into lists of `batch_size` (the last one shorter, unless
    `drop_last`)."""

    def __init__(self, sampler, batch_size, drop_last):
        _check_positive("BatchSampler", "batch_size", batch_size)
        _check_bool("BatchSampler", "drop_last", drop_last)
        self.sampler = sampler
        self.batch_size = int(batch_size)
        self.drop_last = drop_last

    def __iter__(self):
        return _batches(iter(self.sampler), self.batch_size, self.drop_last)

    def __len__(self):
        n = len(self.sampler)
        return n // self.batch_size if self.drop_last else -(-n // self.batch_size)


def _batches(indices, size, drop_last):
    while batch := list(itertools.islice(indices, size)):
        if len(batch) < size and drop_last:
            return
        yield batch


def _check_positive(caller, name, value):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value <= 0:
        raise ValueError(f"{caller}: {name} should be a positive integer, got {name}={value!r}")


def _check_bool(caller, name, value, error=ValueError):
    if not isinstance(value, bool):
        raise error(f"{caller}: {name} should be True or False, got {name}={value!r}")
