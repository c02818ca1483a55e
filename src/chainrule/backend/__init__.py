"""The bottom layer: array module (NumPy or CuPy), devices, dtypes and the random generator."""
from . import dtypes
from .broadcast import sum_to
from .device import Device, array_module, cpu, cupy, device_of, require_cupy, to_device
from .memory import keep_freed_memory
from .random import generator, get_rng_state, manual_seed, set_rng_state

__all__ = ["dtypes", "Device", "array_module", "cpu", "cupy", "device_of", "require_cupy",
           "to_device", "sum_to", "generator", "get_rng_state", "manual_seed", "set_rng_state",
           "keep_freed_memory"]

keep_freed_memory()
