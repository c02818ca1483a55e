"""`Parameter`: a Tensor that a Module registers as one of its learnable weights."""
import numpy as np

from ..backend import dtypes
from ..tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad (unless told otherwise) and, assigned as an attribute of a
    Module, becomes one of its parameters: `self.weight = Parameter(cr.randn(3, 4))`.

    It shares memory with `data` (a Tensor or an array); ops on it return plain Tensors."""

    __slots__ = ()

    def __init__(self, data=None, requires_grad=True):
        if data is None:
            data = np.empty(0, dtypes.get_default_dtype())
        elif isinstance(data, Tensor):
            data = data.array
        super().__init__(data, requires_grad=requires_grad)

    def __repr__(self):
        return "Parameter containing:\n" + super().__repr__()
