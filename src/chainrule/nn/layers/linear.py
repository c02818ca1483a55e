"""Affine layers: Linear (x W^T + b) and Bilinear (x1^T W x2 + b)."""
import math

from ...ops.creation import empty
from .. import functional as F
from .. import init
from ..module import Module
from ..parameter import Parameter


def parameter(*shape, dtype=None, device=None, present=True):
    """An uninitialized Parameter of `shape` (reset_parameters fills it), or None if absent."""
    return Parameter(empty(*shape, dtype=dtype, device=device)) if present else None


def uniform_fan_in_(tensor, fan_in):
    """PyTorch's default bias (and Kaiming-uniform with a = sqrt(5) for weights):
    U(-1/sqrt(fan_in), 1/sqrt(fan_in))."""
    bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
    init.uniform_(tensor, -bound, bound)


class Linear(Module):
    """y = x W^T + b, with W of shape (out_features, in_features). Initialized as PyTorch does:
    W by Kaiming-uniform with a = sqrt(5), that is U(-1/sqrt(in), 1/sqrt(in)), and b likewise."""

    def __init__(self, in_features, out_features, bias=True, device=None, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        self.weight = parameter(out_features, in_features, dtype=dtype, device=device)
        self.register_parameter("bias", parameter(out_features, dtype=dtype, device=device,
                                                  present=bias))
        self.reset_parameters()

    def reset_parameters(self):
        init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            uniform_fan_in_(self.bias, self.in_features)

    def forward(self, input):
        return F.linear(input, self.weight, self.bias)

    def extra_repr(self):
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.bias is not None}")


class Bilinear(Module):
    """y_k = x1^T W_k x2 + b_k, with W of shape (out_features, in1_features, in2_features);
    W and b are drawn from U(-1/sqrt(in1), 1/sqrt(in1)) as in PyTorch."""

    def __init__(self, in1_features, in2_features, out_features, bias=True, device=None,
                 dtype=None):
        super().__init__()
        self.in1_features, self.in2_features = in1_features, in2_features
        self.out_features = out_features
        self.weight = parameter(out_features, in1_features, in2_features, dtype=dtype,
                                device=device)
        self.register_parameter("bias", parameter(out_features, dtype=dtype, device=device,
                                                  present=bias))
        self.reset_parameters()

    def reset_parameters(self):
        uniform_fan_in_(self.weight, self.in1_features)
        if self.bias is not None:
            uniform_fan_in_(self.bias, self.in1_features)

    def forward(self, input1, input2):
        return F.bilinear(input1, input2, self.weight, self.bias)

    def extra_repr(self):
        return (f"in1_features={self.in1_features}, in2_features={self.in2_features}, "
                f"out_features={self.out_features}, bias={self.bias is not None}")
