"""Devices and the array module (`xp`): NumPy on the CPU, CuPy on NVIDIA GPUs, one code path."""
import functools

import numpy as np

try:  # CuPy is optional: `pip install chainrule[gpu]`
    import cupy
except ImportError:  # pragma: no cover - depends on the machine
    cupy = None


class Device:
    """Where an array lives: `Device("cpu")`, `Device("cuda")`, `Device("cuda:1")`."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu", index=None):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        if isinstance(spec, int) and not isinstance(spec, bool):  # device(1): GPU 1, as PyTorch
            spec = f"cuda:{spec}"
        kind, _, number = str(spec).partition(":")
        if kind not in ("cpu", "cuda") or (number and not number.isdigit()):
            raise ValueError(f"unknown device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N'")
        if number and index is not None:
            raise ValueError(f"device: the index is given twice, in {spec!r} and as {index}")
        self.type = kind
        index = int(number) if number else index
        self.index = None if kind == "cpu" else (0 if index is None else index)

    def __eq__(self, other):
        other = Device(other) if isinstance(other, str) else other
        return isinstance(other, Device) and (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __str__(self):
        return self.type if self.index is None else f"{self.type}:{self.index}"

    def __repr__(self):
        return f"device('{self}')"

    @property
    def xp(self):
        return np if self.type == "cpu" else require_cupy()


cpu = Device("cpu")


def require_cupy():
    if cupy is None:
        raise RuntimeError("CUDA was asked for but CuPy is not installed: "
                           "`pip install chainrule[gpu]` on a machine with an NVIDIA GPU")
    if cuda_device_count() == 0:
        raise RuntimeError("CUDA was asked for but no NVIDIA GPU can be used here (CuPy is "
                           "installed, but the driver reports no device); use 'cpu'")
    return cupy


@functools.cache  # (the GPUs a process sees do not change while it runs)
def cuda_device_count():
    """How many NVIDIA GPUs CuPy can use (0 without CuPy, a driver or a GPU)."""
    if cupy is None:
        return 0
    try:
        return cupy.cuda.runtime.getDeviceCount()
    except cupy.cuda.runtime.CUDARuntimeError:  # no driver, or no device
        return 0


_default_device = cpu


def set_default_device(device):
    """Where creation functions (`zeros`, `randn`, `tensor`...) put tensors when not told;
    None means the CPU again. A GPU must be usable now: asking for one fails here, not later."""
    global _default_device
    device = cpu if device is None else Device(device)
    if device.type == "cuda":
        try:
            require_cupy()
        except RuntimeError as error:
            raise RuntimeError(f"set_default_device: {error}") from None
        if device.index >= cuda_device_count():
            raise RuntimeError(f"set_default_device: there is no {device}, only "
                               f"{cuda_device_count()} GPU(s)")
    _default_device = device


def get_default_device():
    return _default_device


def array_module(*arrays):
    """numpy or cupy, whichever owns the arrays (`xp` in the ops)."""
    if cupy is not None and any(isinstance(a, cupy.ndarray) for a in arrays):
        return cupy
    return np


def device_of(array):
    if cupy is not None and isinstance(array, cupy.ndarray):
        return Device(f"cuda:{array.device.id}")
    return cpu


def to_device(array, device):
    device = Device(device)
    if device.type == "cpu":
        return array.get() if cupy is not None and isinstance(array, cupy.ndarray) else array
    with require_cupy().cuda.Device(device.index):
        return cupy.asarray(array)
