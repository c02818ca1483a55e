"""What runs inside a DataLoader worker process: seeding, `get_worker_info()`, and the loop that
turns tasks into batches.

A task is (epoch, task number, indices); the answer is (epoch, task number, payload), where the
payload is the pickled batch with its Tensors as plain arrays (`ship`), the fetcher's
`Exhausted` when a stream has run dry, or a `WorkerError` carrying the worker's traceback."""
import collections.abc
import os
import pickle
import queue
import random
import traceback
from dataclasses import dataclass

import numpy as np

from ..backend import manual_seed
from ..ops.creation import as_tensor
from ..tensor import Tensor

PARENT_CHECK_S = 1.0  # how often an idle worker checks that the main process still lives

_info = None


@dataclass(frozen=True)
class WorkerInfo:
    """Who this worker is: `id` in 0 .. num_workers - 1, the `seed` its generators got
    (the epoch's base seed + id), and its own copy of the `dataset`."""

    id: int
    num_workers: int
    seed: int
    dataset: object


def get_worker_info():
    """This process's WorkerInfo inside a DataLoader worker; None in the main process."""
    return _info


def seed_everything(seed):
    """Seeds chainrule's generator (which transforms and samples draw from), NumPy's global
    one and Python's `random`, so augmentations differ between workers and repeat run to run."""
    manual_seed(seed)
    np.random.seed(seed % 2 ** 32)
    random.seed(seed)


class WorkerError:
    """An exception raised in a worker, carried to the main process as its type and traceback
    text, and raised there again (`reraise`) with the text in its message."""

    def __init__(self, worker_id, error):
        text = "".join(traceback.format_exception(error))
        self.kind = type(error) if _picklable(type(error)) else RuntimeError
        self.message = f"Caught {type(error).__name__} in DataLoader worker process " \
                       f"{worker_id}.\nOriginal {text}"

    def reraise(self):
        try:
            error = self.kind(_Message(self.message))
        except Exception:  # noqa: BLE001 - an exception type that takes other arguments
            error = RuntimeError(self.message)
        raise error


class _Message(str):
    """The message as written: KeyError shows its argument's repr, which would escape newlines."""

    def __repr__(self):
        return str(self)


def _picklable(kind):
    try:
        return pickle.loads(pickle.dumps(kind)) is kind
    except Exception:  # noqa: BLE001 - any failure means: send a RuntimeError instead
        return False


class _Shipped:
    """A Tensor's array on its way from a worker; made a Tensor again by `land`."""

    __slots__ = ("array",)

    def __init__(self, array):
        self.array = array


def ship(batch):
    """`batch` with each Tensor replaced by its array, through dicts, tuples and lists."""
    return _map_tensors(batch, lambda t: _Shipped(t.array), Tensor)


def land(batch):
    """The inverse of `ship`: the arrays that were Tensors are Tensors again."""
    return _map_tensors(batch, lambda s: as_tensor(s.array), _Shipped)


def _map_tensors(batch, fn, kind):
    if isinstance(batch, kind):
        return fn(batch)
    if isinstance(batch, collections.abc.Mapping):
        return type(batch)({k: _map_tensors(v, fn, kind) for k, v in batch.items()})
    if isinstance(batch, (tuple, list)):
        items = [_map_tensors(b, fn, kind) for b in batch]
        return type(batch)(*items) if hasattr(batch, "_fields") else type(batch)(items)
    return batch


def worker_loop(worker_id, num_workers, seed, fetcher, init_fn, tasks, results, done, parent):
    """Answers tasks until told to stop (None, or `done` set) or the main process is gone."""
    global _info
    seed_everything(seed)
    _info = WorkerInfo(worker_id, num_workers, seed, fetcher.dataset)
    failure, epoch = None, None
    try:
        if init_fn is not None:
            init_fn(worker_id)
    except Exception as error:  # noqa: BLE001 - every task gets the error, raised in the main
        failure = WorkerError(worker_id, error)
    while not done.is_set():
        try:
            task = tasks.get(timeout=PARENT_CHECK_S)
        except queue.Empty:
            if os.getppid() != parent:
                break
            continue
        if task is None:
            break
        task_epoch, number, indices = task
        payload = failure
        if failure is None:
            try:
                if task_epoch != epoch:
                    epoch = task_epoch
                    fetcher.start_epoch()
                payload = pickle.dumps(ship(fetcher(indices)), pickle.HIGHEST_PROTOCOL)
            except Exception as error:  # noqa: BLE001 - raised again in the main process
                payload = WorkerError(worker_id, error)
        results.put((task_epoch, number, payload))
    # the main process has stopped listening: do not wait to flush answers it will never read
    results.cancel_join_thread()
