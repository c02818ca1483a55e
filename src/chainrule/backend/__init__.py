"""The bottom layer: array module (NumPy or CuPy), devices, dtypes and the random generator."""
from . import dtypes
from .broadcast import sum_to
from .device import (Device, array_module, cpu, cuda_device_count, cupy, device_of,
                     get_default_device, require_cupy, set_default_device, to_device)
from .memory import keep_freed_memory
from .random import (Generator, default_generator, generator, get_rng_state, initial_seed,
                     manual_seed, seed, set_rng_state)

__all__ = ["dtypes", "Device", "array_module", "cpu", "cupy", "device_of", "require_cupy",
           "to_device", "sum_to", "generator", "get_rng_state", "manual_seed", "set_rng_state",
           "Generator", "default_generator", "initial_seed", "seed", "cuda_device_count",
           "get_default_device", "set_default_device",
           "keep_freed_memory"]

keep_freed_memory()
