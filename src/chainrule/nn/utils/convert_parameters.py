"""Flattening parameters into one vector and back."""
from ...autograd import no_grad
from ...backend import device_of
from ...ops import cat
from ...tensor import Tensor
from .clip_grad import _as_list

__all__ = ["parameters_to_vector", "vector_to_parameters"]


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one 1-D tensor (a copy, differentiable)."""
    params = _as_list(parameters)
    devices = {str(device_of(p.array)) for p in params}
    if len(devices) > 1:
        raise TypeError(f"parameters_to_vector: the parameters are on different devices "
                        f"({', '.join(sorted(devices))}); move them to one first")
    return cat([p.reshape(-1) for p in params])


def vector_to_parameters(vec, parameters):
    """Copies consecutive slices of the 1-D tensor `vec` into the parameters (the inverse of
    parameters_to_vector)."""
    if not isinstance(vec, Tensor) or vec.ndim != 1:
        raise TypeError(f"vector_to_parameters: expected a 1-D Tensor, got "
                        f"{type(vec).__name__} of shape {getattr(vec, 'shape', None)}")
    params = _as_list(parameters)
    needed = sum(p.numel() for p in params)
    if vec.numel() != needed:
        raise ValueError(f"vector_to_parameters: the vector has {vec.numel()} entries but the "
                         f"parameters hold {needed}")
    offset = 0
    with no_grad():
        for p in params:
            p.copy_(vec.array[offset:offset + p.numel()].reshape(p.shape))
            offset += p.numel()
