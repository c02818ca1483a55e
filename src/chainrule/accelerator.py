"""`cr.accelerator`: PyTorch's device-agnostic questions. chainrule's one kind of accelerator is
an NVIDIA GPU through CuPy (see `cr.cuda`)."""
from . import cuda
from .backend import Device

__all__ = ["is_available", "current_accelerator", "device_count", "current_device_index",
           "set_device_index", "synchronize", "empty_cache", "memory_allocated"]


def is_available():
    return cuda.is_available()


def current_accelerator(check_available=False):
    """device('cuda') where a GPU can be used, else None (PyTorch's answer on a CPU-only
    machine; `check_available` changes nothing, as there is no accelerator that could be
    present yet unusable)."""
    return Device("cuda") if cuda.is_available() else None


def device_count():
    return cuda.device_count()


def current_device_index():
    return cuda.current_device()


def set_device_index(index):
    cuda.set_device(index)


synchronize, empty_cache, memory_allocated = cuda.synchronize, cuda.empty_cache, \
    cuda.memory_allocated
