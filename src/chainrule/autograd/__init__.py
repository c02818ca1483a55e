"""Reverse-mode automatic differentiation: op nodes, the engine, grad modes, checks."""
from . import engine
from .anomaly import detect_anomaly, is_anomaly_enabled
from .function import Function, Op, once_differentiable
from .gradcheck import GradcheckError, gradcheck, gradgradcheck
from .grad_mode import enable_grad, inference_mode, is_grad_enabled, no_grad, set_grad_enabled


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=False):
    """d(outputs)/d(inputs) as a tuple, without touching any .grad (like torch.autograd.grad).
    With create_graph=True the result is itself differentiable (Hessian-vector products)."""
    single = not isinstance(outputs, (tuple, list))
    outputs = [outputs] if single else list(outputs)
    inputs = [inputs] if not isinstance(inputs, (tuple, list)) else list(inputs)
    for i, t in enumerate(inputs):
        if not t.requires_grad:
            raise RuntimeError(f"grad: input {i} (shape {t.shape}) does not require grad; "
                               "create it with requires_grad=True")
    if grad_outputs is None:
        grad_outputs = [None] * len(outputs)
    elif not isinstance(grad_outputs, (tuple, list)):
        grad_outputs = [grad_outputs]
    seeds = []
    for out, g in zip(outputs, grad_outputs):
        if g is None:
            if out.array.size != 1:
                raise RuntimeError(f"grad: output of shape {out.shape} is not a scalar; pass "
                                   "grad_outputs (one per output, same shapes)")
            g = engine.Tensor._make(out.array * 0 + 1, False, None, 0)
        seeds.append(g)
    return engine.backward(outputs, seeds, retain_graph, create_graph, inputs=inputs,
                           allow_unused=allow_unused)
