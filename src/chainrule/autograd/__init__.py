"""Reverse-mode automatic differentiation: op nodes, the engine, grad modes, checks."""
from ..backend import array_module
from ..tensor import Tensor
from . import engine
from .anomaly import detect_anomaly, is_anomaly_enabled
from .function import Function, Op, once_differentiable
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled

__all__ = ["Function", "Op", "once_differentiable", "grad", "gradcheck", "gradgradcheck",
           "GradcheckError", "detect_anomaly", "is_anomaly_enabled", "no_grad", "enable_grad",
           "set_grad_enabled", "inference_mode", "is_grad_enabled", "engine", "functional"]


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """d(outputs)/d(inputs) as a tuple, without touching any .grad (like torch.autograd.grad).
    `grad_outputs` weighs each output (needed for outputs with more than one element). With
    create_graph=True the result is itself differentiable (Hessian-vector products)."""
    outputs = list(outputs) if isinstance(outputs, (tuple, list)) else [outputs]
    inputs = list(inputs) if isinstance(inputs, (tuple, list)) else [inputs]
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad; "
                               "create it with requires_grad=True")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, (tuple, list)):
        grad_outputs = [grad_outputs]
    if len(grad_outputs) != len(outputs):
        raise ValueError(f"grad: {len(grad_outputs)} grad_outputs for {len(outputs)} outputs; "
                         "give one per output (None for a one-element output)")
    seeds = [_seed(i, out, g) for i, (out, g) in enumerate(zip(outputs, grad_outputs))]
    return engine.backward(outputs, seeds, retain_graph, create_graph, inputs=inputs,
                           allow_unused=allow_unused)


def _seed(i, out, g):
    """The gradient that starts the walk at output i: ones for a one-element output."""
    if g is None:
        if out.array.size != 1:
            raise RuntimeError(f"grad: output {i} of shape {out.shape} is not a scalar; pass "
                               "grad_outputs (one per output, same shapes)")
        return Tensor.wrap(array_module(out.array).ones_like(out.array))
    g = g if isinstance(g, Tensor) else Tensor(g, dtype=out.dtype)
    if g.shape != out.shape:
        raise RuntimeError(f"grad: grad_outputs[{i}] has shape {g.shape} but output {i} has "
                           f"shape {out.shape}; they must match")
    return g


from . import functional  # noqa: E402  (built on grad, above)
from . import graph  # noqa: E402,F401  (saved_tensors_hooks)
