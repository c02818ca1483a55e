"""Pooling layers: max, average and power-average (LP) over sliding windows, adaptive average
and max pooling, and max unpooling."""
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


class MaxPool3d(_MaxPool):
    """The maximum of each kD x kH x kW window of (N, C, D, H, W)."""
    pool = staticmethod(F.max_pool3d)


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


class _DivisorAvgPool(_AvgPool):
    pool = None

    def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                 count_include_pad=True, divisor_override=None):
        super().__init__(kernel_size, stride, padding, ceil_mode, count_include_pad)
        self.divisor_override = divisor_override

    def forward(self, input):
        return type(self).pool(input, self.kernel_size, self.stride, self.padding,
                               self.ceil_mode, self.count_include_pad, self.divisor_override)


class AvgPool2d(_DivisorAvgPool):
    """The mean of each kH x kW window of (N, C, H, W) (stride defaults to the kernel); with
    count_include_pad=False, padding is left out of each mean."""
    pool = staticmethod(F.avg_pool2d)


class AvgPool3d(_DivisorAvgPool):
    """The mean of each kD x kH x kW window of (N, C, D, H, W)."""
    pool = staticmethod(F.avg_pool3d)


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


class AdaptiveAvgPool3d(_AdaptiveAvgPool):
    """Averages (N, C, D, H, W) into output_size bins, whatever D, H and W are."""
    pool = staticmethod(F.adaptive_avg_pool3d)


class _AdaptiveMaxPool(_Pool):
    pool = None
    shown = ("output_size",)

    def __init__(self, output_size, return_indices=False):
        super().__init__()
        self.output_size, self.return_indices = output_size, return_indices

    def forward(self, input):
        return type(self).pool(input, self.output_size, self.return_indices)


class AdaptiveMaxPool1d(_AdaptiveMaxPool):
    """The maximum of each of output_size bins of (N, C, L), whatever L is."""
    pool = staticmethod(F.adaptive_max_pool1d)


class AdaptiveMaxPool2d(_AdaptiveMaxPool):
    """The maximum of each of output_size bins of (N, C, H, W) (an int, a pair, None keeps a
    dim); return_indices=True also gives each maximum's flat index h * W + w."""
    pool = staticmethod(F.adaptive_max_pool2d)


class AdaptiveMaxPool3d(_AdaptiveMaxPool):
    """The maximum of each of output_size bins of (N, C, D, H, W)."""
    pool = staticmethod(F.adaptive_max_pool3d)


class _MaxUnpool(_Pool):
    pool = None
    shown = ("kernel_size", "stride", "padding")

    def __init__(self, kernel_size, stride=None, padding=0):
        super().__init__()
        self.kernel_size, self.stride = kernel_size, stride if stride is not None else kernel_size
        self.padding = padding

    def forward(self, input, indices, output_size=None):
        return type(self).pool(input, indices, self.kernel_size, self.stride, self.padding,
                               output_size)


class MaxUnpool1d(_MaxUnpool):
    """Undoes MaxPool1d(return_indices=True) as far as it can: maxima back in place, zeros
    elsewhere."""
    pool = staticmethod(F.max_unpool1d)


class MaxUnpool2d(_MaxUnpool):
    """Undoes MaxPool2d(return_indices=True) as far as it can: each maximum goes back to its
    flat index, every other element is zero. forward(x, indices, output_size=None)."""
    pool = staticmethod(F.max_unpool2d)


class MaxUnpool3d(_MaxUnpool):
    """Undoes MaxPool3d(return_indices=True) as far as it can."""
    pool = staticmethod(F.max_unpool3d)


class _LPPool(_Pool):
    pool = None
    shown = ("norm_type", "kernel_size", "stride", "ceil_mode")

    def __init__(self, norm_type, kernel_size, stride=None, ceil_mode=False):
        super().__init__()
        self.norm_type, self.kernel_size = norm_type, kernel_size
        self.stride, self.ceil_mode = stride, ceil_mode

    def forward(self, input):
        return type(self).pool(input, self.norm_type, self.kernel_size, self.stride,
                               self.ceil_mode)


class LPPool1d(_LPPool):
    """The p-norm (sum of x^p)^(1/p) of each window of (N, C, L)."""
    pool = staticmethod(F.lp_pool1d)


class LPPool2d(_LPPool):
    """The p-norm (sum of x^p)^(1/p) of each kH x kW window of (N, C, H, W)."""
    pool = staticmethod(F.lp_pool2d)


class LPPool3d(_LPPool):
    """The p-norm (sum of x^p)^(1/p) of each kD x kH x kW window of (N, C, D, H, W)."""
    pool = staticmethod(F.lp_pool3d)
