"""Devices and the array module (`xp`): NumPy on the CPU, CuPy on NVIDIA GPUs, one code path."""
import numpy as np

try:  # CuPy is optional: `pip install chainrule[gpu]`
    import cupy
except ImportError:  # pragma: no cover - depends on the machine
    cupy = None


class Device:
    """Where an array lives: `Device("cpu")`, `Device("cuda")`, `Device("cuda:1")`."""

    __slots__ = ("type", "index")

    def __init__(self, spec="cpu"):
        if isinstance(spec, Device):
            self.type, self.index = spec.type, spec.index
            return
        kind, _, index = str(spec).partition(":")
        if kind not in ("cpu", "cuda"):
            raise ValueError(f"unknown device {spec!r}: expected 'cpu', 'cuda' or 'cuda:N'")
        self.type = kind
        self.index = int(index) if index else (0 if kind == "cuda" else None)

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
    return cupy


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
