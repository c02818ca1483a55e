"""Gradient clipping: scaling every gradient together so that their joint norm stays under a
bound, or clamping each entry. `foreach` is accepted for PyTorch's signatures: NumPy has one
code path, so both settings compute the same."""
from ...backend import array_module
from ...tensor import Tensor

__all__ = ["clip_grad_norm_", "clip_grad_value_", "clip_grads_with_norm_", "get_total_norm"]


def _as_list(tensors):
    return [tensors] if isinstance(tensors, Tensor) else list(tensors)


def _distinct_grad_arrays(params):
    """Each gradient array once: the engine may hand two leaves the same array (a + b), and
    scaling it twice in place would be wrong."""
    arrays = {}
    for p in params:
        if p.grad is not None:
            arrays.setdefault(id(p.grad.array), p.grad.array)
    return list(arrays.values())


def get_total_norm(tensors, norm_type=2.0, error_if_nonfinite=False, foreach=None):
    """The norm of the vector of every entry of `tensors` (the gradients themselves, not the
    parameters), as a 0-d Tensor: the norm of their norms."""
    norm_type = float(norm_type)
    arrays = [t.array for t in _as_list(tensors) if t is not None and t.array.size]
    if not arrays:
        return Tensor(0.0)
    xp = array_module(*arrays)
    norms = xp.stack([xp.linalg.norm(a.ravel(), ord=norm_type) for a in arrays])
    total = xp.linalg.norm(norms, ord=norm_type)
    if error_if_nonfinite and not bool(xp.isfinite(total)):
        raise RuntimeError(f"clip_grad_norm_: the total norm of order {norm_type} of the "
                           f"gradients is {float(total)}, so they cannot be clipped; look for "
                           "the NaN/Inf (cr.autograd.detect_anomaly) or pass "
                           "error_if_nonfinite=False")
    return Tensor.wrap(total)


def clip_grads_with_norm_(parameters, max_norm, total_norm, foreach=None):
    """Scales the gradients in place by max_norm / (total_norm + 1e-6) when that is below 1."""
    total = total_norm.item() if isinstance(total_norm, Tensor) else float(total_norm)
    coef = float(max_norm) / (total + 1e-6)
    if coef < 1:
        for g in _distinct_grad_arrays(_as_list(parameters)):
            g *= coef


def clip_grad_norm_(parameters, max_norm, norm_type=2.0, error_if_nonfinite=False,
                    foreach=None):
    """Scales all gradients together, in place, so that their joint norm is at most `max_norm`.
    Returns that norm before clipping, as a 0-d Tensor."""
    params = _as_list(parameters)
    total = get_total_norm([p.grad for p in params], norm_type, error_if_nonfinite)
    clip_grads_with_norm_(params, max_norm, total)
    return total


def clip_grad_value_(parameters, clip_value, foreach=None):
    """Clamps every gradient entry, in place, into [-clip_value, clip_value]."""
    clip_value = float(clip_value)
    for g in _distinct_grad_arrays(_as_list(parameters)):
        array_module(g).clip(g, -clip_value, clip_value, out=g)
