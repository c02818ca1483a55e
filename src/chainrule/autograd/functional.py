"""Derivatives of whole functions, as torch.autograd.functional computes them: Jacobians and
Hessians, and their products with vectors (vjp, jvp, hvp, vhp), all by reverse mode.

`inputs` and `v` are a Tensor or a tuple of Tensors, and results take the same structure (a
Tensor where PyTorch gives one, tuples where it gives tuples). The function sees detached copies
of the inputs that require grad; with create_graph=True the results stay connected to the
original inputs, so they can be differentiated again."""
from ..backend import array_module
from ..tensor import Tensor
from . import grad as _grad
from .grad_mode import enable_grad

__all__ = ["jacobian", "hessian", "vjp", "jvp", "hvp", "vhp"]


def _as_tuple(name, what, value):
    """(value as a tuple of Tensors, whether it was a tuple)."""
    is_tuple = isinstance(value, (tuple, list))
    values = tuple(value) if is_tuple else (value,)
    for i, t in enumerate(values):
        if not isinstance(t, Tensor):
            raise TypeError(f"{name}: {what} must be a Tensor or a tuple of Tensors, but "
                            f"{what}[{i}] is a {type(t).__name__}")
    return values, is_tuple


def _full_like(t, value):
    """A new tensor of t's shape, dtype and device, outside any graph, filled with value."""
    return Tensor.wrap(array_module(t.array).full_like(t.array, value))


def _untuple(values, is_tuple):
    return values if is_tuple else values[0]


def _prepared(inputs, create_graph):
    """Inputs as the function sees them: fresh leaves, or (create_graph, for an input that
    already requires grad) a copy still connected to it."""
    return tuple(x.clone() if create_graph and x.requires_grad else
                 x.detach().requires_grad_(x.dtype.kind == "f") for x in inputs)


def _outputs(name, func, inputs):
    with enable_grad():
        return _as_tuple(name, "the function's output", func(*inputs))


def _gradients(name, outputs, inputs, grad_outputs, create_graph, strict):
    """d(outputs)/d(inputs) weighted by grad_outputs, as a tuple over inputs: zeros where an
    input does not reach the outputs (an error in strict mode)."""
    pairs = [(o, g) for o, g in zip(outputs, grad_outputs) if o.requires_grad]
    wanted = [x for x in inputs if x.requires_grad]
    found = iter(_grad([o for o, _ in pairs], wanted, [g for _, g in pairs], retain_graph=True,
                       create_graph=create_graph, allow_unused=True)
                 if pairs and wanted else [None] * len(wanted))
    result = []
    for i, x in enumerate(inputs):
        g = next(found) if x.requires_grad else None
        if g is None:
            if strict:
                raise RuntimeError(f"{name}: the output of the function does not depend on "
                                   f"input {i}, which strict=True does not allow")
            g = _full_like(x, 0)
        result.append(g if create_graph else g.detach())
    return tuple(result)


def _check_v(name, v, like, what):
    v, _ = _as_tuple(name, "v", v)
    if len(v) != len(like):
        raise RuntimeError(f"{name}: v has {len(v)} tensors but the {what} has {len(like)}")
    for i, (a, b) in enumerate(zip(v, like)):
        if a.shape != b.shape:
            raise RuntimeError(f"{name}: v[{i}] has shape {a.shape} but the {what}'s entry {i} "
                               f"has shape {b.shape}; they must match")
    return v


def _default_v(name, v, like, what):
    if v is not None:
        return _check_v(name, v, like, what)
    if len(like) != 1 or like[0].numel() != 1:
        raise RuntimeError(f"{name}: v can be omitted only when the {what} is a single tensor "
                           "with one element")
    return (_full_like(like[0], 1),)


def vjp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T J): the vector-Jacobian product, shaped like the inputs. `v` is
    shaped like the output (omitted for a one-element output)."""
    inputs, inputs_tuple = _as_tuple("vjp", "inputs", inputs)
    xs = _prepared(inputs, create_graph)
    outputs, outputs_tuple = _outputs("vjp", func, xs)
    v = _default_v("vjp", v, outputs, "output")
    result = _gradients("vjp", outputs, xs, v, create_graph, strict)
    outputs = outputs if create_graph else tuple(o.detach() for o in outputs)
    return _untuple(outputs, outputs_tuple), _untuple(result, inputs_tuple)


def jvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), J v): the Jacobian-vector product, shaped like the output, by the double
    vjp trick: u -> u^T J is linear in u, so its own vjp with v is J v. `v` is shaped like
    the inputs (omitted for a one-element input)."""
    inputs, inputs_tuple = _as_tuple("jvp", "inputs", inputs)
    xs = _prepared(inputs, create_graph)
    v = _default_v("jvp", v, xs, "input")
    outputs, outputs_tuple = _outputs("jvp", func, xs)
    with enable_grad():
        us = tuple(_full_like(o, 0).requires_grad_() for o in outputs)
        u_jacobian = _gradients("jvp", outputs, xs, us, True, strict)
        result = _gradients("jvp", u_jacobian, us, v, create_graph, strict)
    outputs = outputs if create_graph else tuple(o.detach() for o in outputs)
    return _untuple(outputs, outputs_tuple), _untuple(result, outputs_tuple)


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """d(output)/d(input) of shape output.shape + input.shape: a Tensor for one input and one
    output, a tuple over inputs or outputs for one tuple, a tuple (outputs) of tuples (inputs)
    for two. One backward per output entry; `vectorize` gives the same values."""
    if strategy != "reverse-mode":
        raise ValueError(f"jacobian: strategy must be 'reverse-mode' (chainrule has no forward "
                         f"mode), got {strategy!r}")
    inputs, inputs_tuple = _as_tuple("jacobian", "inputs", inputs)
    xs = _prepared(inputs, create_graph)
    outputs, outputs_tuple = _outputs("jacobian", func, xs)
    rows = []
    for i, out in enumerate(outputs):
        if strict and not out.requires_grad:
            raise RuntimeError(f"jacobian: output {i} of the function does not require grad, "
                               "which strict=True does not allow")
        flat = out.reshape(-1)
        per_entry = [_gradients("jacobian", (flat,), xs, (_one_hot(flat, j),), create_graph,
                                strict) for j in range(flat.numel())]
        rows.append(tuple(_stacked(out, x, [entry[k] for entry in per_entry])
                          for k, x in enumerate(xs)))
    if not inputs_tuple:
        rows = [row[0] for row in rows]
    return _untuple(tuple(rows), outputs_tuple)


def _one_hot(flat, j):
    seed = _full_like(flat, 0)
    seed.array[j] = 1
    return seed


def _stacked(out, x, grads):
    """The rows d(out entry)/dx, one per entry of out, as one tensor out.shape + x.shape."""
    if not grads:  # out has no entries
        return Tensor.wrap(array_module(x.array).zeros(out.shape + x.shape, x.dtype))
    from ..ops import stack  # (ops are built on autograd, so they come after it)
    return stack(grads).reshape(out.shape + x.shape)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """The matrix of second derivatives of a function with a one-element output: a Tensor of
    shape input.shape * 2 for one input, H[i][j] of shape inputs[i].shape + inputs[j].shape
    for a tuple."""
    _, inputs_tuple = _as_tuple("hessian", "inputs", inputs)
    rows = jacobian(_gradient_of("hessian", func, strict), inputs, create_graph, strict,
                    vectorize, outer_jacobian_strategy)
    return rows if inputs_tuple else rows[0]


def _gradient_of(name, func, strict):
    """x -> d func / dx, differentiable, for a function with a one-element output; the
    function's value at the last call is kept as `.value`."""
    def gradient(*xs):
        out, _ = _outputs(name, func, xs)
        if len(out) != 1 or out[0].numel() != 1:
            raise RuntimeError(f"{name}: the function must return a single Tensor with one "
                               f"element, got shape(s) {[tuple(o.shape) for o in out]}")
        gradient.value = out[0]
        return _gradients(name, out, xs, (_full_like(out[0], 1),), True, strict)
    return gradient


def vhp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), v^T H): the vector-Hessian product, shaped like the inputs."""
    return _hessian_product("vhp", vjp, func, inputs, v, create_graph, strict)


def hvp(func, inputs, v=None, create_graph=False, strict=False):
    """(func(inputs), H v): the Hessian-vector product, shaped like the inputs (equal to vhp
    for a symmetric Hessian, but computed as the jvp of the gradient)."""
    return _hessian_product("hvp", jvp, func, inputs, v, create_graph, strict)


def _hessian_product(name, product, func, inputs, v, create_graph, strict):
    _, inputs_tuple = _as_tuple(name, "inputs", inputs)
    gradient = _gradient_of(name, func, strict)
    _, result = product(gradient, inputs if inputs_tuple else (inputs,), v, create_graph, strict)
    value = gradient.value if create_graph else gradient.value.detach()
    return value, _untuple(result, inputs_tuple)
