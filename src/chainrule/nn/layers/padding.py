"""Padding layers: F.pad with its widths and mode fixed. `padding` is one int for every side, or
(left, right) in 1-D, (left, right, top, bottom) in 2-D, and (left, right, top, bottom, front,
back) in 3-D."""
from .. import functional as F
from ..module import Module


class _Pad(Module):
    mode = None
    dims = None
    value = None  # what mode "constant" fills with

    def __init__(self, padding):
        super().__init__()
        widths = (padding,) * (2 * self.dims) if isinstance(padding, int) else tuple(padding)
        if len(widths) != 2 * self.dims:
            raise ValueError(f"{type(self).__name__}: padding must be one int or "
                             f"{2 * self.dims} widths, got {padding!r}")
        self.padding = widths

    def forward(self, input):
        return F.pad(input, self.padding, self.mode, self.value)

    def extra_repr(self):
        return f"{self.padding}"


class _ConstantPad(_Pad):
    mode = "constant"

    def __init__(self, padding, value):
        super().__init__(padding)
        self.value = value

    def extra_repr(self):
        return f"padding={self.padding}, value={self.value}"


class ConstantPad1d(_ConstantPad):
    """Pads the last dim with `value`."""
    dims = 1


class ConstantPad2d(_ConstantPad):
    """Pads the last 2 dims with `value`."""
    dims = 2


class ConstantPad3d(_ConstantPad):
    """Pads the last 3 dims with `value`."""
    dims = 3


class _ZeroPad(_Pad):
    mode, value = "constant", 0.0


class ZeroPad1d(_ZeroPad):
    """Pads the last dim with zeros."""
    dims = 1


class ZeroPad2d(_ZeroPad):
    """Pads the last 2 dims with zeros."""
    dims = 2


class ZeroPad3d(_ZeroPad):
    """Pads the last 3 dims with zeros."""
    dims = 3


class ReflectionPad1d(_Pad):
    """Mirrors the last dim about its edge elements (which are not repeated)."""
    mode, dims = "reflect", 1


class ReflectionPad2d(_Pad):
    """Mirrors the last 2 dims about their edge elements (which are not repeated)."""
    mode, dims = "reflect", 2


class ReflectionPad3d(_Pad):
    """Mirrors the last 3 dims about their edge elements (which are not repeated)."""
    mode, dims = "reflect", 3


class ReplicationPad1d(_Pad):
    """Repeats the edge elements of the last dim."""
    mode, dims = "replicate", 1


class ReplicationPad2d(_Pad):
    """Repeats the edge elements of the last 2 dims."""
    mode, dims = "replicate", 2


class ReplicationPad3d(_Pad):
    """Repeats the edge elements of the last 3 dims."""
    mode, dims = "replicate", 3


class CircularPad1d(_Pad):
    """Wraps the last dim around (the far end continues before the start)."""
    mode, dims = "circular", 1


class CircularPad2d(_Pad):
    """Wraps the last 2 dims around."""
    mode, dims = "circular", 2


class CircularPad3d(_Pad):
    """Wraps the last 3 dims around."""
    mode, dims = "circular", 3
