"""Fetchers: from what the sampler gives (a list of indices, one index, or nothing for a stream)
to a batch. The same fetcher runs in the main process and in worker processes."""
import itertools

import numpy as np

from .collate import default_collate, default_convert
from .dataset import batch_fetcher


class Exhausted:
    """What a stream's fetcher returns once its dataset has no more batches this epoch."""


class MapFetcher:
    """Batches of a map-style dataset: `dataset.batch` in one call when it has one and the
    collate_fn is the default, else `collate_fn([dataset[i] for i in indices])`; without
    batching (batch_size=None), `collate_fn(dataset[index])`."""

    def __init__(self, dataset, collate_fn, batching):
        self.dataset, self.collate_fn, self.batching = dataset, collate_fn, batching

    def start_epoch(self):
        """Nothing to reset: a batch depends on its indices alone."""

    def __call__(self, indices):
        if not self.batching:
            return self.collate_fn(self.dataset[indices])
        fast = batch_fetcher(self.dataset) if self.collate_fn is default_collate else None
        if fast is not None:
            return default_convert(fast(np.asarray(indices, dtype=np.int64)))
        return self.collate_fn([self.dataset[i] for i in indices])


class StreamFetcher:
    """Batches of an IterableDataset, read from a fresh iterator each epoch: `batch_size`
    samples at a time (the last batch shorter, or dropped with drop_last), or one by one
    without batching."""

    def __init__(self, dataset, collate_fn, batching, batch_size, drop_last):
        self.dataset, self.collate_fn, self.batching = dataset, collate_fn, batching
        self.batch_size, self.drop_last = batch_size, drop_last
        self._samples = None

    def start_epoch(self):
        self._samples = iter(self.dataset)

    def __call__(self, _):
        if not self.batching:
            sample = next(self._samples, Exhausted)
            return sample if sample is Exhausted else self.collate_fn(sample)
        samples = list(itertools.islice(self._samples, self.batch_size))
        if not samples or (self.drop_last and len(samples) < self.batch_size):
            return Exhausted
        return self.collate_fn(samples)
