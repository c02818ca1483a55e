"""Convolution layers: Conv1d, Conv2d, Conv3d and their transposes."""
import math

from ...ops.conv import _ints
from .. import functional as F
from .. import init
from ..module import Module
from .linear import parameter, uniform_fan_in_

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


class _ConvNd(Module):
    """What convolutions share: the hyper-parameters, the weight (out, in/groups, *kernel) (or
    (in, out/groups, *kernel) when transposed) and PyTorch's initialization: Kaiming-uniform
    with a = sqrt(5) for the weight, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias."""
    n = 2
    transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation, groups,
                 bias, padding_mode, device, dtype):
        super().__init__()
        name = type(self).__name__
        if in_channels % groups or out_channels % groups:
            raise ValueError(f"{name}: in_channels ({in_channels}) and out_channels "
                             f"({out_channels}) must both divide by groups ({groups})")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"{name}: padding_mode must be one of {_PADDING_MODES}, got "
                             f"{padding_mode!r}")
        self.in_channels, self.out_channels, self.groups = in_channels, out_channels, groups
        self.kernel_size = _ints(name, "kernel_size", kernel_size, self.n)
        self.stride = _ints(name, "stride", stride, self.n)
        self.padding = padding if isinstance(padding, str) else \
            _ints(name, "padding", padding, self.n)
        self.dilation = _ints(name, "dilation", dilation, self.n)
        self.padding_mode = padding_mode
        shape = (in_channels, out_channels // groups) if self.transposed \
            else (out_channels, in_channels // groups)
        self.weight = parameter(*shape, *self.kernel_size, dtype=dtype, device=device)
        self.register_parameter("bias", parameter(out_channels, dtype=dtype, device=device,
                                                  present=bias))
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            uniform_fan_in_(self.bias, self.weight.shape[1] * math.prod(self.kernel_size))

    def extra_repr(self):
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        for name, default in (("padding", (0,) * self.n), ("output_padding", (0,) * self.n),
                              ("dilation", (1,) * self.n), ("groups", 1),
                              ("padding_mode", "zeros")):
            if getattr(self, name, default) != default:
                s += f", {name}={getattr(self, name)}"
        return s + ("" if self.bias is not None else ", bias=False")


class _Conv(_ConvNd):
    conv = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0, dilation=1,
                 groups=1, bias=True, padding_mode="zeros", device=None, dtype=None):
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)

    def forward(self, input):
        if self.padding_mode == "zeros":
            return type(self).conv(input, self.weight, self.bias, self.stride, self.padding,
                                   self.dilation, self.groups)
        # other modes pad explicitly first, then convolve without padding
        padded = F.pad(input, self._pad_widths(), mode=self.padding_mode)
        return type(self).conv(padded, self.weight, self.bias, self.stride, 0, self.dilation,
                               self.groups)

    def _pad_widths(self):
        """F.pad's widths (last dim first) for this layer's padding."""
        if self.padding == "same":
            totals = [d * (k - 1) for k, d in zip(self.kernel_size, self.dilation)]
            pairs = [(t // 2, t - t // 2) for t in totals]
        elif self.padding == "valid":
            pairs = [(0, 0)] * self.n
        else:
            pairs = [(p, p) for p in self.padding]
        return tuple(w for pair in reversed(pairs) for w in pair)


class Conv1d(_Conv):
    """1-D convolution over (N, C_in, L) -> (N, C_out, L_out); weight (C_out, C_in/groups, k)."""
    n = 1
    conv = staticmethod(F.conv1d)


class Conv2d(_Conv):
    """2-D convolution over (N, C_in, H, W) -> (N, C_out, H_out, W_out); weight
    (C_out, C_in/groups, kH, kW). padding may be an int, a pair, 'same' or 'valid'."""
    n = 2
    conv = staticmethod(F.conv2d)


class Conv3d(_Conv):
    """3-D convolution over (N, C_in, D, H, W) -> (N, C_out, D_out, H_out, W_out); weight
    (C_out, C_in/groups, kD, kH, kW). padding may be an int, a triple, 'same' or 'valid'."""
    n = 3
    conv = staticmethod(F.conv3d)


class _ConvTranspose(_ConvNd):
    transposed = True
    conv = None

    def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                 output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                 device=None, dtype=None):
        if padding_mode != "zeros":
            raise ValueError(f"{type(self).__name__}: only padding_mode='zeros' is supported")
        super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                         groups, bias, padding_mode, device, dtype)
        self.output_padding = _ints(type(self).__name__, "output_padding", output_padding,
                                    self.n)

    def forward(self, input, output_size=None):
        extra = self.output_padding if output_size is None else self._output_padding(
            input, output_size)
        return type(self).conv(input, self.weight, self.bias, self.stride, self.padding, extra,
                               self.groups, self.dilation)

    def _output_padding(self, input, output_size):
        """The output_padding that gives `output_size` (the shapes a strided convolution maps
        to the same input size differ by up to stride - 1)."""
        size = tuple(output_size)[-self.n:]
        out = []
        for i, (want, inp) in enumerate(zip(size, input.shape[-self.n:])):
            smallest = (inp - 1) * self.stride[i] - 2 * self.padding[i] \
                + self.dilation[i] * (self.kernel_size[i] - 1) + 1
            if not smallest <= want < smallest + self.stride[i]:
                raise ValueError(f"{type(self).__name__}: output_size {tuple(output_size)} is "
                                 f"not reachable: dim {i} can be {smallest} to "
                                 f"{smallest + self.stride[i] - 1}")
            out.append(want - smallest)
        return tuple(out)


class ConvTranspose1d(_ConvTranspose):
    """The transpose (adjoint) of Conv1d: (N, C_in, L) -> (N, C_out, L_out), weight
    (C_in, C_out/groups, k)."""
    n = 1
    conv = staticmethod(F.conv_transpose1d)


class ConvTranspose2d(_ConvTranspose):
    """The transpose (adjoint) of Conv2d, which upsamples: (N, C_in, H, W) -> (N, C_out,
    (H - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1, ...); weight
    (C_in, C_out/groups, kH, kW). forward(x, output_size=...) picks output_padding for you."""
    n = 2
    conv = staticmethod(F.conv_transpose2d)


class ConvTranspose3d(_ConvTranspose):
    """The transpose (adjoint) of Conv3d: (N, C_in, D, H, W) -> (N, C_out, D_out, H_out,
    W_out); weight (C_in, C_out/groups, kD, kH, kW)."""
    n = 3
    conv = staticmethod(F.conv_transpose3d)
