"""Where the data layer draws its random numbers.

Everything defaults to chainrule's seeded generator, so `cr.manual_seed(0)` fixes shuffles,
splits, toy data and augmentations. The DataLoader's prefetch thread gets a generator of its own,
seeded from the loader's at the start of each epoch: augmentations then do not depend on how the
thread interleaves with the training loop (which draws from chainrule's generator too, for
dropout or initialization)."""
import contextlib
import threading

import numpy as np

from ..backend import generator as chainrule_generator

_local = threading.local()


def current():
    """The generator to draw from now: this thread's own if it has one, else chainrule's."""
    return getattr(_local, "generator", None) or chainrule_generator()


@contextlib.contextmanager
def using(rng):
    """Makes `current()` return `rng` in this thread for the duration of the block."""
    previous = getattr(_local, "generator", None)
    _local.generator = rng
    try:
        yield rng
    finally:
        _local.generator = previous


def resolve(generator=None, seed=None, caller="data"):
    """A numpy Generator from `generator=` (a Generator or an int seed) or `seed=`; None when
    neither is given, meaning: draw from `current()` at the time of use."""
    if generator is not None and seed is not None:
        raise ValueError(f"{caller}: give generator= or seed=, not both")
    chosen = seed if generator is None else generator
    return None if chosen is None else np.random.default_rng(chosen)
