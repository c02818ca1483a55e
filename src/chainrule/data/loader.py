"""DataLoader: batches of Tensors from a Dataset, prepared by a background thread.

Each epoch draws its order (and a seed for the prefetch thread's own generator) from the
loader's generator, or from chainrule's when it has none, so `cr.manual_seed` makes runs
repeatable even with random augmentations running in the thread."""
import collections.abc
import math
import queue
import threading

import numpy as np

from ..backend import array_module
from ..ops.creation import as_tensor, tensor
from ..tensor import Tensor
from . import rng as _rng
from .dataset import batch_fetcher


class DataLoader:
    """`for x, y in DataLoader(dataset, batch_size=64, shuffle=True, seed=0): ...`

    - shuffle: a new random order every epoch, from `generator=` (a numpy Generator or an int)
      or `seed=`, else from chainrule's generator (`cr.manual_seed` fixes it).
    - drop_last: leave out the last batch when it is smaller than batch_size.
    - collate_fn: turns a list of samples into a batch (default: `default_collate`). With the
      default, datasets held in arrays fetch each batch with one fancy index (their `batch`).
    - prefetch: how many batches a background thread prepares ahead (0: no thread)."""

    def __init__(self, dataset, batch_size=1, shuffle=False, drop_last=False, collate_fn=None,
                 generator=None, seed=None, prefetch=2):
        if not isinstance(batch_size, (int, np.integer)) or batch_size < 1:
            raise ValueError(f"DataLoader: batch_size must be a positive integer, "
                             f"got {batch_size!r}")
        if not isinstance(prefetch, (int, np.integer)) or prefetch < 0:
            raise ValueError(f"DataLoader: prefetch must be a whole number of batches (0 for no "
                             f"background thread), got {prefetch!r}")
        self.dataset = dataset
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.drop_last = drop_last
        self.collate_fn = collate_fn or default_collate
        self.generator = _rng.resolve(generator, seed, "DataLoader")
        self.prefetch = int(prefetch)

    def __len__(self):
        n, size = len(self.dataset), self.batch_size
        return n // size if self.drop_last else math.ceil(n / size)

    def __iter__(self):
        rng = self.generator or _rng.current()
        n = len(self.dataset)
        order = rng.permutation(n) if self.shuffle else np.arange(n)
        indices = [order[i * self.batch_size:(i + 1) * self.batch_size] for i in range(len(self))]
        batches = _produce(indices, self._fetch(), np.random.default_rng(rng.integers(2 ** 63)))
        return _Prefetcher(batches, self.prefetch) if self.prefetch else batches

    def _fetch(self):
        """indices -> batch: one `batch` call when the dataset has one, else sample by sample."""
        fast = batch_fetcher(self.dataset) if self.collate_fn is default_collate else None
        if fast is not None:
            return lambda indices: as_tensors(fast(indices))
        return lambda indices: self.collate_fn([self.dataset[int(i)] for i in indices])

    def __repr__(self):
        return (f"DataLoader({type(self.dataset).__name__} of {len(self.dataset)}, batch_size="
                f"{self.batch_size}, shuffle={self.shuffle}, drop_last={self.drop_last})")


def _produce(indices, fetch, rng):
    """The epoch's batches, with `rng` as the random source of any augmentation while fetching."""
    for batch_indices in indices:
        with _rng.using(rng):
            batch = fetch(batch_indices)
        yield batch


class _End:
    """Put on the queue last: the epoch is over, normally (error None) or by an exception."""

    def __init__(self, error=None):
        self.error = error


class _Prefetcher:
    """Iterates `batches` in a background thread, up to `depth` batches ahead (a bounded queue).
    An exception in the thread is raised again here; leaving the loop early (break, an error,
    or dropping the iterator) stops the thread and waits for it to end."""

    def __init__(self, batches, depth):
        self._queue = queue.Queue(depth)
        self._stop = threading.Event()
        # the thread gets the queue and event, never `self`, so dropping the iterator frees it
        self._thread = threading.Thread(target=_run_producer, name="chainrule-prefetch",
                                        args=(batches, self._queue, self._stop), daemon=True)
        self._thread.start()

    def __iter__(self):
        return self

    def __next__(self):
        if self._stop.is_set():
            raise StopIteration
        item = self._queue.get()
        if isinstance(item, _End):
            self.close()
            if item.error is not None:
                raise item.error
            raise StopIteration
        return item

    def close(self):
        """Stops the thread (it may be blocked on a full queue) and waits for it."""
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._queue.get(timeout=0.01)
            except queue.Empty:
                pass
        self._thread.join()

    def __del__(self):
        if hasattr(self, "_thread"):
            self.close()


def _run_producer(batches, out, stop):
    end = _End()
    try:
        for batch in batches:
            if not _put(out, batch, stop):
                return
    except BaseException as error:  # noqa: B036 - every error goes to the consumer, raised there
        end = _End(error)
    _put(out, end, stop)


def _put(out, item, stop):
    """Waits for room on the queue unless told to stop; False when stopped."""
    while not stop.is_set():
        try:
            out.put(item, timeout=0.05)
            return True
        except queue.Full:
            pass
    return False


# ---- collation -----------------------------------------------------------------------------------
def default_collate(samples):
    """A list of samples -> one batch, like PyTorch's: arrays, Tensors and NumPy scalars are
    stacked along a new first dimension (dtype kept), Python ints become int64, floats float64
    and bools bool; tuples, lists and dicts are collated field by field; strings stay a list."""
    first = samples[0]
    if isinstance(first, Tensor):
        return as_tensor(_stack([s.array for s in samples]))
    if isinstance(first, (np.ndarray, np.generic)):
        return as_tensor(_stack([np.asarray(s) for s in samples]))
    if isinstance(first, bool):
        return tensor(samples, dtype=np.bool_)
    if isinstance(first, int):
        return tensor(samples, dtype=np.int64)
    if isinstance(first, float):
        return tensor(samples, dtype=np.float64)
    if isinstance(first, (str, bytes)):
        return list(samples)
    if isinstance(first, collections.abc.Mapping):
        return {key: default_collate([s[key] for s in samples]) for key in first}
    if isinstance(first, collections.abc.Sequence):
        if len({len(s) for s in samples}) > 1:
            raise ValueError(f"default_collate: samples have different numbers of fields "
                             f"({sorted({len(s) for s in samples})}); every sample needs the same")
        return _same_sequence(first, [default_collate(list(column)) for column in zip(*samples)])
    raise TypeError(f"default_collate: cannot batch samples of type {type(first).__name__} "
                    "(expected arrays, Tensors, numbers, strings, or tuples/lists/dicts of them)")


def _stack(arrays):
    shapes = {a.shape for a in arrays}
    if len(shapes) > 1:
        raise ValueError(f"default_collate: samples have different shapes {sorted(shapes)}; "
                         "make them one size (a transform), or give the DataLoader a collate_fn")
    return array_module(*arrays).stack(arrays)


def as_tensors(batch):
    """The arrays inside a batch (a tuple, list or dict of them, or one array) as Tensors."""
    if isinstance(batch, collections.abc.Mapping):
        return {key: as_tensors(value) for key, value in batch.items()}
    if isinstance(batch, (tuple, list)):
        return _same_sequence(batch, [as_tensors(b) for b in batch])
    return as_tensor(batch)


def _same_sequence(like, items):
    """`items` as the same kind of sequence as `like`: a list, a tuple or a namedtuple."""
    if isinstance(like, tuple):
        return type(like)(*items) if hasattr(like, "_fields") else tuple(items)
    return items
