"""Dropout layers: active in training mode, the identity in eval mode."""
from .. import functional as F
from ..module import Module


class _Dropout(Module):
    drop = None

    def __init__(self, p=0.5, inplace=False):
        super().__init__()
        if not 0 <= p <= 1:
            raise ValueError(f"{type(self).__name__}: p is a probability between 0 and 1, "
                             f"got {p}")
        self.p, self.inplace = p, inplace

    def forward(self, input):
        return type(self).drop(input, self.p, self.training, self.inplace)

    def extra_repr(self):
        return f"p={self.p}, inplace={self.inplace}"


class Dropout(_Dropout):
    """Zeroes each element with probability p while training, scaling the rest by 1/(1 - p)."""
    drop = staticmethod(F.dropout)


class Dropout1d(_Dropout):
    """Zeroes whole channels of (N, C, L) with probability p while training."""
    drop = staticmethod(F.dropout1d)


class Dropout2d(_Dropout):
    """Zeroes whole channels of (N, C, H, W) with probability p while training."""
    drop = staticmethod(F.dropout2d)


class Dropout3d(_Dropout):
    """Zeroes whole channels of (N, C, D, H, W) with probability p while training."""
    drop = staticmethod(F.dropout3d)


class AlphaDropout(_Dropout):
    """Dropout for selu networks: keeps the inputs' mean and variance while training."""
    drop = staticmethod(F.alpha_dropout)
