"""Checks analytical gradients against central finite differences, entry by entry, in float64.

Both build the full Jacobian of every floating output with respect to every input that requires
grad: analytically one backward per output entry, numerically two evaluations per input entry
(f(x + eps) - f(x - eps)) / 2 eps. Meant for small inputs."""
import numpy as np

from ..tensor import Tensor
from .engine import backward


class GradcheckError(AssertionError):
    pass


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True if every entry of d(outputs)/d(inputs) matches finite differences within
    atol + rtol * |numerical|; otherwise raises GradcheckError (or returns False) naming the
    worst entry: which output and input, where, and both values."""
    inputs = _as_tuple(inputs)
    wrt = _differentiable("gradcheck", inputs)
    return _compare("gradcheck", _analytical(fn, inputs, wrt), _numerical(fn, inputs, wrt, eps),
                    wrt, atol, rtol, raise_exception)


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True):
    """gradcheck of the gradient itself: checks second derivatives (double backward), seen as a
    function of the inputs and of the upstream gradients `grad_outputs` (random if not given)."""
    inputs = _as_tuple(inputs)
    _differentiable("gradgradcheck", inputs)
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [Tensor.wrap(rng.standard_normal(o.shape)).requires_grad_()
                        for o in _outputs(fn, inputs) if o.requires_grad]
    n = len(inputs)

    def first_derivative(*args):
        xs, seeds = args[:n], args[n:]
        outs = [o for o in _outputs(fn, xs) if o.requires_grad]
        grads = backward(outs, list(seeds), create_graph=True,
                         inputs=[x for x in xs if getattr(x, "requires_grad", False)],
                         allow_unused=True)
        return tuple(g for g in grads if g is not None)

    args = inputs + tuple(grad_outputs)
    wrt = _differentiable("gradgradcheck", args)
    return _compare("gradgradcheck", _analytical(first_derivative, args, wrt),
                    _numerical(first_derivative, args, wrt, eps), wrt, atol, rtol,
                    raise_exception)


def _as_tuple(inputs):
    return tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)


def _differentiable(name, inputs):
    """(position, tensor) of each input that requires grad; all must be float64."""
    wrt = [(i, t) for i, t in enumerate(inputs) if getattr(t, "requires_grad", False)]
    if not wrt:
        raise ValueError(f"{name}: no input requires grad, so there is nothing to check")
    for i, t in wrt:
        if t.dtype != np.float64:
            raise TypeError(f"{name}: input {i} requires grad but is {t.dtype}; finite "
                            "differences need float64 to be accurate: pass x.double()")
    return wrt


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if getattr(o, "dtype", None) is not None and o.dtype.kind == "f"]


def _analytical(fn, inputs, wrt):
    """J[output][input] of shape output.shape + input.shape, one backward per output entry."""
    outs = _outputs(fn, inputs)
    jac = [[np.zeros(o.shape + t.shape) for _, t in wrt] for o in outs]
    for j, o in enumerate(outs):
        if not o.requires_grad:
            continue  # a constant output: its Jacobian is zero
        for idx in np.ndindex(o.shape):
            seed = np.zeros(o.shape)
            seed[idx] = 1.0
            grads = backward([o], [Tensor.wrap(seed)], retain_graph=True,
                             inputs=[t for _, t in wrt], allow_unused=True)
            for k, g in enumerate(grads):
                if g is not None:
                    jac[j][k][idx] = g.numpy()
    return jac


def _numerical(fn, inputs, wrt, eps):
    """J[output][input] by central differences; fn sees perturbed copies, the inputs stay as
    they are."""
    outs = [o.numpy() for o in _outputs(fn, inputs)]
    jac = [[np.zeros(o.shape + t.shape) for _, t in wrt] for o in outs]
    for k, (position, t) in enumerate(wrt):
        for idx in np.ndindex(t.shape):
            sides = []
            for step in (eps, -eps):
                moved = t.array.copy()
                moved[idx] += step
                args = list(inputs)
                args[position] = Tensor.wrap(moved).requires_grad_()
                sides.append([o.numpy().copy() for o in _outputs(fn, args)])
            for j, (plus, minus) in enumerate(zip(*sides)):
                jac[j][k][(Ellipsis,) + idx] = (plus - minus) / (2 * eps)
    return jac


def _compare(name, analytical, numerical, wrt, atol, rtol, raise_exception):
    worst = None  # (excess over tolerance, output j, input k, index into J[j][k])
    for j, (row_a, row_n) in enumerate(zip(analytical, numerical)):
        for k, (a, num) in enumerate(zip(row_a, row_n)):
            excess = np.abs(a - num) - (atol + rtol * np.abs(num))
            if excess.size and excess.max() > 0:
                idx = np.unravel_index(int(np.argmax(excess)), excess.shape)
                if worst is None or excess[idx] > worst[0]:
                    worst = (excess[idx], j, k, idx)
    if worst is None:
        return True
    _, j, k, idx = worst
    a, num = analytical[j][k][idx], numerical[j][k][idx]
    cut = len(idx) - wrt[k][1].ndim
    out_entry, in_entry = tuple(int(i) for i in idx[:cut]), tuple(int(i) for i in idx[cut:])
    msg = (f"{name}: d(output {j}){list(out_entry)} / d(input {wrt[k][0]}){list(in_entry)} is "
           f"wrong: analytical {a:.10g}, numerical {num:.10g} (|difference| {abs(a - num):.3g} "
           f"> atol {atol} + rtol {rtol} * |numerical|)")
    if raise_exception:
        raise GradcheckError(msg)
    return False
