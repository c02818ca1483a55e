"""`cr.cuda`: the questions PyTorch scripts ask about NVIDIA GPUs, answered truthfully.

chainrule reaches GPUs through CuPy; without CuPy or a GPU, `is_available()` is False,
`device_count()` is 0, and what needs a GPU (current_device, synchronize...) raises, saying
why. Random numbers for GPU tensors are drawn by the one host generator and copied over, so
there is no CUDA generator apart: the seeding functions here do nothing (`cr.manual_seed`
seeds every device)."""
from .backend import cuda_device_count, cupy, require_cupy
from .backend import Device as device

__all__ = ["is_available", "device_count", "current_device", "set_device", "get_device_name",
           "synchronize", "empty_cache", "memory_allocated", "memory_reserved", "manual_seed",
           "manual_seed_all", "seed", "seed_all", "device"]


def is_available():
    return cuda_device_count() > 0


def device_count():
    return cuda_device_count()


def _cupy(fn):
    try:
        return require_cupy()
    except RuntimeError as error:
        raise RuntimeError(f"cuda.{fn}: {error}") from None


def current_device():
    """The index of the GPU that new CUDA tensors go to."""
    return _cupy("current_device").cuda.runtime.getDevice()


def set_device(index):
    _cupy("set_device").cuda.runtime.setDevice(device(index).index)


def get_device_name(index=None):
    xp = _cupy("get_device_name")
    index = xp.cuda.runtime.getDevice() if index is None else device(index).index
    return xp.cuda.runtime.getDeviceProperties(index)["name"].decode()


def synchronize(index=None):
    """Waits until the GPU has finished all the work queued on it."""
    xp = _cupy("synchronize")
    with xp.cuda.Device(None if index is None else device(index).index):
        xp.cuda.runtime.deviceSynchronize()


def empty_cache():
    """Hands the GPU memory CuPy keeps for reuse back to the driver (nothing to do without
    a GPU)."""
    if is_available():
        cupy.get_default_memory_pool().free_all_blocks()


def memory_allocated(index=None):
    """Bytes held by live GPU arrays (0 without a GPU, as PyTorch); counted for all GPUs."""
    return cupy.get_default_memory_pool().used_bytes() if is_available() else 0


def memory_reserved(index=None):
    """Bytes CuPy holds from the driver, in use or kept for reuse (0 without a GPU)."""
    return cupy.get_default_memory_pool().total_bytes() if is_available() else 0


def manual_seed(seed):
    """Does nothing: `cr.manual_seed` seeds the one generator GPU tensors draw from too."""


def manual_seed_all(seed):
    """Does nothing: see manual_seed."""


def seed():
    """Does nothing: see manual_seed (`cr.seed()` reseeds the one generator)."""


def seed_all():
    """Does nothing: see manual_seed."""
