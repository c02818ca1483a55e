"""Gradient clipping and flattening parameters into one vector."""
from ..autograd import no_grad
from ..backend import array_module, device_of
from ..tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "parameters_to_vector", "vector_to_parameters"]


def _as_list(parameters):
    return [parameters] if isinstance(parameters, Tensor) else list(parameters)


def _distinct_grad_arrays(params):
    """Each gradient array once: the engine may hand two leaves the same array (a + b), and
    scaling it twice in place would be wrong."""
    arrays = {}
    for p in params:
        if p.grad is not None:
            arrays.setdefault(id(p.grad.array), p.grad.array)
    return list(arrays.values())


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False):
    """Scales all gradients together, in place, so that their joint norm (the norm of the vector
    of every gradient entry) is at most `max_norm`. Returns that norm before clipping, as a
    0-d Tensor."""
    params = _as_list(parameters)
    norm_type = float(norm_type)
    grads = [p.grad.array for p in params if p.grad is not None and p.grad.array.size]
    if not grads:
        return Tensor(0.0)
    xp = array_module(*grads)
    norms = xp.stack([xp.linalg.norm(g.ravel(), ord=norm_type) for g in grads])
    total = xp.linalg.norm(norms, ord=norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is {float(total)}, so they cannot be clipped; look for "
                           "the NaN/Inf (cr.autograd.detect_anomaly) or pass "
                           "error_if_nonfinite=False")
    coef = float(max_norm) / (float(total) + 1e-6)
    if coef < 1:
        for g in _distinct_grad_arrays(params):
            g *= coef
    return Tensor.wrap(total)


def clip_grad_value_(parameters, clip_value):
    """Clamps every gradient entry, in place, into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for g in _distinct_grad_arrays(_as_list(parameters)):
        array_module(g).clip(g, -clip_value, clip_value, out=g)


def parameters_to_vector(parameters):
    """All parameters flattened and joined into one 1-D tensor (a copy, outside the graph)."""
    params = _as_list(parameters)
    devices = {str(device_of(p.array)) for p in params}
    if len(devices) > 1:
        raise TypeError(f"parameters_to_vector: the parameters are on different devices "
                        f"({', '.join(sorted(devices))}); move them to one first")
    arrays = [p.array.ravel() for p in params]
    return Tensor.wrap(array_module(*arrays).concatenate(arrays))


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

