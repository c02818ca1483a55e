"""Pooling layers: max and average over sliding windows, and adaptive average pooling."""
from .. import functional as F
from ..module import Module


class _Pool(Module):
    """Keeps the constructor's arguments as attributes (PyTorch's names) and shows them."""
    shown = ()

    def extra_repr(self):
        return ", ".join(f"{name}={getattr(self, name)}" for name in self.shown)


class _MaxPool(_Pool):
    pool = None
    shown = ("kernel_size", "stride", "padding", "dilation", "ceil_mode")

    def __init__(self, kernel_size, stride=None, padding=0, dilation=1, return_indices=False,
                 ceil_mode=False):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.dilation = padding, dilation
        self.return_indices, self.ceil_mode = return_indices, ceil_mode

    def forward(self, input):
        return type(self).pool(input, self.kernel_size, self.stride, self.padding, self.dilation,
                               self.ceil_mode, self.return_indices)


class MaxPool1d(_MaxPool):
    """The maximum of each window of (N, C, L); return_indices=True also gives its position."""
    pool = staticmethod(F.max_pool1d)


class MaxPool2d(_MaxPool):
    """The maximum of each kH x kW window of (N, C, H, W) (stride defaults to the kernel);
    return_indices=True also gives each maximum's flat index h * W + w."""
    pool = staticmethod(F.max_pool2d)


class _AvgPool(_Pool):
    shown = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding, self.ceil_mode = padding, ceil_mode
        self.count_include_pad = count_include_pad


class AvgPool1d(_AvgPool):
    """The mean of each window of (N, C, L)."""

    def forward(self, input):
        return F.avg_pool1d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad)


class AvgPool2d(_AvgPool):
    """The mean of each kH x kW window of (N, C, H, W) (stride defaults to the kernel); with
    count_include_pad=False, padding is left out of each mean."""

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input):
        return F.avg_pool2d(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, self.divisor_override)


class _AdaptiveAvgPool(_Pool):
    pool = None
    shown = ("output_size",)

    def __init__(self, output_size):
        super().__init__()
        self.output_size = output_size

    def forward(self, input):
        return type(self).pool(input, self.output_size)


class AdaptiveAvgPool1d(_AdaptiveAvgPool):
    """Averages (N, C, L) into output_size bins, whatever L is."""
    pool = staticmethod(F.adaptive_avg_pool1d)


class AdaptiveAvgPool2d(_AdaptiveAvgPool):
    """Averages (N, C, H, W) into output_size bins (an int, a pair, None keeps a dim), whatever
    H and W are: AdaptiveAvgPool2d(1) is global average pooling."""
    pool = staticmethod(F.adaptive_avg_pool2d)
