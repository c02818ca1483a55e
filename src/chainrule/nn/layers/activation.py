"""Activation functions as layers, for nn.Sequential: each calls chainrule's activation op."""
from ...ops.activation import implicit_softmax_dim
from ...ops.creation import empty
from .. import functional as F
from ..init import constant_
from ..module import Module
from ..parameter import Parameter


class _Activation(Module):
    """A parameter-free layer applying `fn` with the keyword arguments named in `options`."""
    fn = None
    options = ()

    def forward(self, input):
        options = {name: getattr(self, name) for name in self.options}
        if getattr(self, "inplace", False):  # (PyTorch's option: the result written into input)
            options["inplace"] = True
        return type(self).fn(input, **options)

    def extra_repr(self):
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in self.options)


class ReLU(_Activation):
    """max(x, 0)."""
    fn = staticmethod(F.relu)

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class LeakyReLU(_Activation):
    """x for x > 0, negative_slope * x otherwise."""
    fn = staticmethod(F.leaky_relu)
    options = ("negative_slope",)

    def __init__(self, negative_slope=0.01, inplace=False):
        super().__init__()
        self.negative_slope, self.inplace = negative_slope, inplace


class ELU(_Activation):
    """x for x > 0, alpha (e^x - 1) otherwise."""
    fn = staticmethod(F.elu)
    options = ("alpha",)

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace


class GELU(_Activation):
    """x P(X <= x) for a standard normal X; approximate='tanh' uses the tanh approximation."""
    fn = staticmethod(F.gelu)
    options = ("approximate",)

    def __init__(self, approximate="none"):
        super().__init__()
        self.approximate = approximate


class SiLU(_Activation):
    """x sigmoid(x)."""
    fn = staticmethod(F.silu)

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class Tanh(_Activation):
    fn = staticmethod(F.tanh)


class Sigmoid(_Activation):
    """1 / (1 + e^-x)."""
    fn = staticmethod(F.sigmoid)


class Softplus(_Activation):
    """log(1 + e^(beta x)) / beta (x itself where beta x > threshold)."""
    fn = staticmethod(F.softplus)
    options = ("beta", "threshold")

    def __init__(self, beta=1.0, threshold=20.0):
        super().__init__()
        self.beta, self.threshold = beta, threshold


class _AlongDim(Module):
    fn = None

    def __init__(self, dim=None):
        super().__init__()
        self.dim = dim

    def forward(self, input):
        dim = self.dim
        if dim is None:  # PyTorch's legacy choice, with its warning
            dim = implicit_softmax_dim(type(self).__name__, input.ndim, stacklevel=3)
        return type(self).fn(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmin(_AlongDim):
    """softmax(-x) along dim."""
    fn = staticmethod(F.softmin)


class Softmax(_AlongDim):
    """e^x / sum(e^x) along dim."""
    fn = staticmethod(F.softmax)


class LogSoftmax(_AlongDim):
    """log softmax(x) along dim, computed stably."""
    fn = staticmethod(F.log_softmax)


class _InPlaceOption(_Activation):
    """An activation whose only argument is PyTorch's `inplace`."""

    def __init__(self, inplace=False):
        super().__init__()
        self.inplace = inplace


class ReLU6(_InPlaceOption):
    """min(max(x, 0), 6)."""
    fn = staticmethod(F.relu6)


class Hardsigmoid(_InPlaceOption):
    """relu6(x + 3) / 6."""
    fn = staticmethod(F.hardsigmoid)


class Hardswish(_InPlaceOption):
    """x relu6(x + 3) / 6."""
    fn = staticmethod(F.hardswish)


class Mish(_InPlaceOption):
    """x tanh(softplus(x))."""
    fn = staticmethod(F.mish)


class SELU(_InPlaceOption):
    """scale elu(x, alpha), with the self-normalizing constants."""
    fn = staticmethod(F.selu)


class Softsign(_Activation):
    """x / (1 + |x|)."""
    fn = staticmethod(F.softsign)


class LogSigmoid(_Activation):
    """log sigmoid(x), computed stably."""
    fn = staticmethod(F.logsigmoid)


class Hardtanh(_Activation):
    """x limited to [min_val, max_val]."""
    fn = staticmethod(F.hardtanh)
    options = ("min_val", "max_val")

    def __init__(self, min_val=-1.0, max_val=1.0, inplace=False):
        super().__init__()
        if min_val > max_val:
            raise ValueError(f"Hardtanh: min_val ({min_val}) must not exceed max_val "
                             f"({max_val})")
        self.min_val, self.max_val, self.inplace = min_val, max_val, inplace


class Threshold(_Activation):
    """x where x > threshold, else value."""
    fn = staticmethod(F.threshold)
    options = ("threshold", "value")

    def __init__(self, threshold, value, inplace=False):
        super().__init__()
        self.threshold, self.value, self.inplace = threshold, value, inplace


class CELU(_Activation):
    """max(0, x) + min(0, alpha (e^(x / alpha) - 1))."""
    fn = staticmethod(F.celu)
    options = ("alpha",)

    def __init__(self, alpha=1.0, inplace=False):
        super().__init__()
        self.alpha, self.inplace = alpha, inplace


class GLU(_Activation):
    """First half of x along dim, times sigmoid of the second half."""
    fn = staticmethod(F.glu)
    options = ("dim",)

    def __init__(self, dim=-1):
        super().__init__()
        self.dim = dim


class PReLU(Module):
    """x where x > 0, else a learned slope times x: one slope for all channels
    (num_parameters=1) or one per channel (dim 1 of the input), each starting at `init`."""

    def __init__(self, num_parameters=1, init=0.25, device=None, dtype=None):
        super().__init__()
        self.num_parameters, self.init = num_parameters, init
        self.weight = Parameter(empty(num_parameters, device=device, dtype=dtype))
        self.reset_parameters()

    def reset_parameters(self):
        constant_(self.weight, self.init)

    def forward(self, input):
        return F.prelu(input, self.weight)

    def extra_repr(self):
        return f"num_parameters={self.num_parameters}"
