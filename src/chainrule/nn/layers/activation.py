"""Activation functions as layers, for nn.Sequential: each calls chainrule's activation op."""
import warnings

from .. import functional as F
from ..module import Module


class _Activation(Module):
    """A parameter-free layer applying `fn` with the keyword arguments named in `options`."""
    fn = None
    options = ()

    def forward(self, input):
        return type(self).fn(input, **{name: getattr(self, name) for name in self.options})

    def extra_repr(self):
        return ", ".join(f"{name}={getattr(self, name)!r}" for name in self.options)


class ReLU(_Activation):
    """max(x, 0). (`inplace` is accepted for PyTorch's signature; the result is always new.)"""
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
            dim = 0 if input.ndim in (0, 1, 3) else 1
            warnings.warn(f"{type(self).__name__}: no dim was given, so dim {dim} is used; "
                          "pass dim= explicitly", UserWarning, stacklevel=3)
        return type(self).fn(input, dim)

    def extra_repr(self):
        return f"dim={self.dim}"


class Softmax(_AlongDim):
    """e^x / sum(e^x) along dim."""
    fn = staticmethod(F.softmax)


class LogSoftmax(_AlongDim):
    """log softmax(x) along dim, computed stably."""
    fn = staticmethod(F.log_softmax)
