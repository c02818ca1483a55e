"""Freed array memory, kept for the next training step.

A training step frees and allocates the same large arrays every time (activations, im2col
columns, gradients). glibc's malloc hands the freed top of its heap back to the system once it
passes a threshold that it sets itself (twice the largest array it has seen), and the next step
faults every page in again: on LeNet-5 with batches of 128, eight times the page faults and
nearly twice the time of a forward pass, once backward() frees everything it saved. So on glibc,
chainrule sets both thresholds once, when it is imported: arrays up to 32 MiB come from the heap,
and up to 256 MiB of freed heap is kept for reuse instead of being returned."""
import ctypes
import ctypes.util
import sys

_M_TRIM_THRESHOLD, _M_MMAP_THRESHOLD = -1, -3  # mallopt's parameters, from glibc's malloc.h


def keep_freed_memory(kept=256 << 20, largest_from_heap=32 << 20):
    """Sets glibc's thresholds (see the module docstring); True where they were set, False on
    other systems and C libraries, where nothing changes."""
    if not sys.platform.startswith("linux"):
        return False
    try:
        mallopt = ctypes.CDLL(ctypes.util.find_library("c")).mallopt
    except (OSError, AttributeError, TypeError):  # no C library found, or one without mallopt
        return False
    return bool(mallopt(_M_MMAP_THRESHOLD, largest_from_heap)) and \
        bool(mallopt(_M_TRIM_THRESHOLD, kept))
