"""A background thread that runs ahead of the training loop, preparing batches (the DataLoader's
way to overlap loading with training when it has no worker processes)."""
import queue
import threading


class _End:
    """Put on the queue last: the epoch is over, normally (error None) or by an exception."""

    def __init__(self, error=None):
        self.error = error


class Prefetcher:
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
