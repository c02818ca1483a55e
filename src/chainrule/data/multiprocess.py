"""The main process's side of DataLoader workers: starting and stopping the processes, handing
out tasks and putting the batches back in order.

Task k of an epoch goes to the workers in turn (k mod the number still active), at most
`prefetch_factor` per worker ahead of the loop; answers arrive in any order and are held until
their turn, so the batches come exactly as with no workers. A worker whose stream is exhausted
gets no more tasks. Processes stop when the epoch ends (or, with persistent workers, when the
loader is garbage-collected), when iteration is abandoned (the iterator is dropped), and at
interpreter exit."""
import itertools
import os
import pickle
import queue
import time
import weakref

from .fetch import Exhausted
from .worker import WorkerError, land, worker_loop

STATUS_CHECK_S = 0.5  # how often a waiting main process checks that its workers still live
JOIN_S = 2.0  # how long a worker may take to finish its task when told to stop


class WorkerPool:
    """`num_workers` processes running `worker_loop` on copies of `fetcher`, seeded
    base_seed + worker id."""

    def __init__(self, context, fetcher, num_workers, base_seed, init_fn):
        self.results = context.Queue()
        self.done = context.Event()
        self.tasks = [context.Queue() for _ in range(num_workers)]
        self.processes = [
            context.Process(target=worker_loop, name=f"chainrule-worker-{i}", daemon=True,
                            args=(i, num_workers, base_seed + i, fetcher, init_fn, self.tasks[i],
                                  self.results, self.done, os.getpid()))
            for i in range(num_workers)]
        # the finalizer holds what stopping needs, never `self`, so dropping the pool stops it
        self._stop = weakref.finalize(self, _stop, self.processes, self.tasks, self.results,
                                      self.done)
        for p in self.processes:
            p.start()

    @property
    def closed(self):
        return not self._stop.alive

    def close(self):
        self._stop()

    def receive(self, timeout):
        """The next answer from any worker; waits at most `timeout` seconds (0: no limit), and
        notices a worker that died."""
        deadline = time.monotonic() + timeout if timeout else None
        while True:
            wait = STATUS_CHECK_S if deadline is None else \
                max(0.0, min(STATUS_CHECK_S, deadline - time.monotonic()))
            try:
                return self.results.get(timeout=wait)
            except queue.Empty:
                if deadline is not None and time.monotonic() >= deadline:
                    raise RuntimeError(f"DataLoader timed out after {timeout} seconds waiting "
                                       "for a batch from its workers") from None
                dead = [p for p in self.processes if not p.is_alive()]
                if dead:
                    raise RuntimeError(
                        "DataLoader worker " + ", ".join(f"(pid {p.pid}, exit code {p.exitcode})"
                                                         for p in dead) +
                        " exited unexpectedly") from None


def _stop(processes, tasks, results, done):
    done.set()
    for q in tasks:
        q.put(None)
    for p in processes:
        p.join(JOIN_S)
        if p.is_alive():
            p.terminate()
            p.join()
    for q in (*tasks, results):
        q.cancel_join_thread()
        q.close()


class WorkerIterator:
    """One epoch of batches from a WorkerPool, in the order of `indices` (see the module
    docstring). Closes the pool at the end unless `persistent`, and on an error always."""

    def __init__(self, pool, indices, epoch, prefetch_factor, timeout, persistent):
        self._pool, self._indices, self._epoch = pool, indices, epoch
        self._timeout, self._persistent = timeout, persistent
        n = len(pool.processes)
        self._active = [True] * n
        self._turn = itertools.cycle(range(n))
        self._ahead = prefetch_factor * n
        self._sent = self._next = 0
        self._worker_of, self._arrived = {}, {}
        self._out_of_indices = False
        self._send_tasks()

    def __iter__(self):
        return self

    def __next__(self):
        while self._next < self._sent:
            if self._next not in self._arrived:
                self._wait_for_one()
                continue
            payload = self._arrived.pop(self._next)
            worker = self._worker_of.pop(self._next)
            self._next += 1
            if isinstance(payload, WorkerError):
                self._pool.close()
                payload.reraise()
            batch = pickle.loads(payload)  # (bytes from this loader's own workers, never a file)
            if batch is Exhausted:
                self._active[worker] = False
            self._send_tasks()
            if batch is not Exhausted:
                return land(batch)
        if not self._persistent:
            self._pool.close()
        raise StopIteration

    def _send_tasks(self):
        while not self._out_of_indices and any(self._active) and \
                self._sent - self._next < self._ahead:
            index = next(self._indices, Exhausted)
            if index is Exhausted:
                self._out_of_indices = True
                return
            worker = next(w for w in self._turn if self._active[w])
            self._pool.tasks[worker].put((self._epoch, self._sent, index))
            self._worker_of[self._sent] = worker
            self._sent += 1

    def _wait_for_one(self):
        try:
            epoch, number, payload = self._pool.receive(self._timeout)
        except RuntimeError:
            self._pool.close()
            raise
        if epoch == self._epoch:  # answers to an abandoned earlier epoch are dropped
            self._arrived[number] = payload
