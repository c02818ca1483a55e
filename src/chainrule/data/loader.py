"""DataLoader: batches of Tensors from a Dataset, made in worker processes or, without them, by
a background thread.

Each epoch draws its order (through the sampler) and then a base seed from the loader's
generator, or from chainrule's when it has none, so `cr.manual_seed` makes runs repeatable even
with random augmentations: worker i seeds its generators with base seed + i; the prefetch
thread draws from a generator of its own seeded with the base seed."""
import itertools
import multiprocessing

import numpy as np

from . import rng as _rng
from .collate import default_collate, default_convert
from .dataset import IterableDataset, build_cache
from .fetch import Exhausted, MapFetcher, StreamFetcher
from .multiprocess import WorkerIterator, WorkerPool
from .prefetch import Prefetcher
from .sampler import BatchSampler, RandomSampler, SequentialSampler


class DataLoader:
    """`for x, y in DataLoader(dataset, batch_size=64, shuffle=True, num_workers=2): ...`

    PyTorch's arguments, with their meaning:
    - shuffle: a new random order every epoch (a RandomSampler); sampler= / batch_sampler=
      choose the indices (and their batches) yourself instead.
    - batch_size=None: no batching; each sample is converted (NumPy arrays to Tensors).
    - collate_fn: turns a list of samples into a batch (default: `default_collate`). With the
      default, datasets held in arrays fetch each batch with one fancy index (their `batch`).
    - num_workers: processes that make batches in parallel, in the same order as without them;
      each gets `prefetch_factor` (default 2) tasks ahead, its generators seeded base seed +
      its id (see `get_worker_info`), and runs `worker_init_fn(id)` first. `timeout` (seconds,
      0: none) bounds the wait for one batch; `persistent_workers` keeps the processes from one
      epoch to the next; `multiprocessing_context` picks the start method ("fork", "spawn" or
      "forkserver"; spawn needs a dataset and collate_fn that pickle).
    - generator: the random source of the order and the seeds (a NumPy Generator or an int;
      default: chainrule's generator, which `cr.manual_seed` fixes).
    - pin_memory, pin_memory_device: accepted, and nothing is done: batches are NumPy arrays
      (CuPy copies them to the GPU when `.to("cuda")` asks).

    chainrule's own: `seed=` (like generator=seed), and `prefetch`: with no workers, how many
    batches a background thread prepares ahead (0: none, batches are made when asked for)."""

    def __init__(self, dataset, batch_size=1, shuffle=None, sampler=None, batch_sampler=None,
                 num_workers=0, collate_fn=None, pin_memory=False, drop_last=False, timeout=0,
                 worker_init_fn=None, multiprocessing_context=None, generator=None, *,
                 prefetch_factor=None, persistent_workers=False, pin_memory_device="",
                 seed=None, prefetch=2):
        streams = isinstance(dataset, IterableDataset)
        _check_sampling(streams, batch_size, shuffle, sampler, batch_sampler, drop_last)
        _check_workers(num_workers, timeout, prefetch_factor, persistent_workers,
                       multiprocessing_context)
        if not isinstance(prefetch, (int, np.integer)) or prefetch < 0:
            raise ValueError(f"DataLoader: prefetch must be a whole number of batches (0 for no "
                             f"background thread), got {prefetch!r}")
        self.dataset = dataset
        self.generator = _rng.resolve(generator, seed, "DataLoader")
        if batch_sampler is not None:
            batch_size, drop_last = None, False
        elif sampler is None and not streams:
            sampler = RandomSampler(dataset, generator=self.generator) if shuffle else \
                SequentialSampler(dataset)
        if batch_size is not None and not streams and batch_sampler is None:
            batch_sampler = BatchSampler(sampler, batch_size, drop_last)
        self.batch_size, self.drop_last = batch_size, drop_last
        self.sampler, self.batch_sampler = sampler, batch_sampler
        self.shuffle = bool(shuffle)
        self.collate_fn = collate_fn or (default_collate if self._batching else default_convert)
        self.num_workers, self.timeout = num_workers, timeout
        self.worker_init_fn, self.persistent_workers = worker_init_fn, persistent_workers
        self.multiprocessing_context = multiprocessing_context
        self.prefetch_factor = prefetch_factor if prefetch_factor is not None or \
            not num_workers else 2
        self.pin_memory, self.pin_memory_device = pin_memory, pin_memory_device
        self.prefetch = int(prefetch)
        self._pool = None  # the persistent workers, once started
        self._epoch = 0

    @property
    def _batching(self):
        return self.batch_size is not None or self.batch_sampler is not None

    def __len__(self):
        if not isinstance(self.dataset, IterableDataset):
            return len(self.batch_sampler if self._batching else self.sampler)
        n, size = len(self.dataset), self.batch_size
        if size is None:
            return n
        return n // size if self.drop_last else -(-n // size)

    def __iter__(self):
        if isinstance(self.dataset, IterableDataset):
            indices = itertools.repeat(None)
            fetcher = StreamFetcher(self.dataset, self.collate_fn, self._batching,
                                    self.batch_size, self.drop_last)
        else:
            indices = iter(self.batch_sampler if self._batching else self.sampler)
            fetcher = MapFetcher(self.dataset, self.collate_fn, self._batching)
        base_seed = int((self.generator or _rng.current()).integers(2 ** 62))
        if self.num_workers:
            return self._from_workers(fetcher, indices, base_seed)
        batches = _in_process(fetcher, indices, np.random.default_rng(base_seed))
        return Prefetcher(batches, self.prefetch) if self.prefetch else batches

    def _from_workers(self, fetcher, indices, base_seed):
        pool = self._pool
        if pool is None or pool.closed:
            context = _context(self.multiprocessing_context)
            if context.get_start_method() == "fork":
                build_cache(self.dataset)
            pool = WorkerPool(context, fetcher, self.num_workers, base_seed, self.worker_init_fn)
            self._pool = pool if self.persistent_workers else None
        self._epoch += 1
        return WorkerIterator(pool, indices, self._epoch, self.prefetch_factor, self.timeout,
                              self.persistent_workers)

    def __repr__(self):
        size = len(self.dataset) if not isinstance(self.dataset, IterableDataset) else "a stream"
        return (f"DataLoader({type(self.dataset).__name__} of {size}, batch_size="
                f"{self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last}, "
                f"num_workers={self.num_workers})")


def _in_process(fetch, indices, rng):
    """The epoch's batches made here, with `rng` as the random source of any augmentation."""
    with _rng.using(rng):
        fetch.start_epoch()
    for index in indices:
        with _rng.using(rng):
            batch = fetch(index)
        if batch is Exhausted:
            return
        yield batch


def _check_sampling(streams, batch_size, shuffle, sampler, batch_sampler, drop_last):
    if batch_size is not None and (isinstance(batch_size, bool) or
                                   not isinstance(batch_size, (int, np.integer)) or
                                   batch_size < 1):
        raise ValueError(f"DataLoader: batch_size must be a positive integer (or None for no "
                         f"batching), got {batch_size!r}")
    if streams:
        for name, value in (("shuffle", shuffle), ("sampler", sampler),
                            ("batch_sampler", batch_sampler)):
            if value is not None and value is not False:
                raise ValueError(f"DataLoader with IterableDataset: expected unspecified "
                                 f"{name} option, but got {name}={value!r} (the dataset "
                                 "decides the order of its samples)")
    if sampler is not None and shuffle:
        raise ValueError("DataLoader: sampler option is mutually exclusive with shuffle "
                         "(shuffle inside the sampler instead)")
    if batch_sampler is not None and (batch_size != 1 or shuffle or sampler is not None or
                                      drop_last):
        raise ValueError("DataLoader: batch_sampler option is mutually exclusive with "
                         "batch_size, shuffle, sampler, and drop_last")
    if batch_size is None and drop_last:
        raise ValueError("DataLoader: batch_size=None option disables auto-batching and is "
                         "mutually exclusive with drop_last")


def _check_workers(num_workers, timeout, prefetch_factor, persistent_workers, context):
    if isinstance(num_workers, bool) or not isinstance(num_workers, (int, np.integer)) or \
            num_workers < 0:
        raise ValueError(f"DataLoader: num_workers option should be a non-negative integer; "
                         f"use num_workers=0 to disable multiprocessing, got {num_workers!r}")
    if timeout < 0:
        raise ValueError(f"DataLoader: timeout option should be non-negative, got {timeout!r}")
    if num_workers == 0:
        for name, value in (("prefetch_factor", prefetch_factor),
                            ("multiprocessing_context", context)):
            if value is not None:
                raise ValueError(f"DataLoader: {name} option could only be specified in "
                                 f"multiprocessing; let num_workers > 0 to enable it, or leave "
                                 f"{name} unset")
        if persistent_workers:
            raise ValueError("DataLoader: persistent_workers option needs num_workers > 0")
    if prefetch_factor is not None and (not isinstance(prefetch_factor, (int, np.integer)) or
                                        prefetch_factor < 1):
        raise ValueError(f"DataLoader: prefetch_factor should be a positive integer, got "
                         f"{prefetch_factor!r}")
    if isinstance(context, str):
        _context(context)


def _context(context):
    """A multiprocessing context from None (the default one), a start method's name, or a
    context."""
    if context is None:
        return multiprocessing.get_context()
    if isinstance(context, str):
        methods = multiprocessing.get_all_start_methods()
        if context not in methods:
            raise ValueError(f"DataLoader: multiprocessing_context option should specify a "
                             f"valid start method in {methods}, but got "
                             f"multiprocessing_context={context!r}")
        return multiprocessing.get_context(context)
    return context
