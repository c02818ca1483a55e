"""Checks analytical gradients against central finite differences, entry by entry, in float64."""
import numpy as np

from .engine import backward
from .grad_mode import no_grad


class GradcheckError(AssertionError):
    pass


def _outputs(fn, inputs):
    out = fn(*inputs)
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if getattr(o, "dtype", None) is not None and o.dtype.kind == "f"]


def _check_inputs(name, inputs):
    diff = [t for t in inputs if getattr(t, "requires_grad", False)]
    for t in diff:
        if t.dtype != np.float64:
            raise TypeError(f"{name}: inputs that require grad must be float64 for finite "
                            f"differences to be accurate, got {t.dtype}; use .double()")
    if not diff:
        raise ValueError(f"{name}: no input requires grad, so there is nothing to check")
    return diff


def _numerical(fn, inputs, wrt, eps):
    """J[out][inp] as arrays of shape out.shape + inp.shape, by (f(x+eps) - f(x-eps)) / 2eps."""
    with no_grad():
        outs = _outputs(fn, inputs)
        jac = [[np.zeros(o.shape + t.shape) for t in wrt] for o in outs]
        for k, t in enumerate(wrt):
            flat = t.array.reshape(-1)  # a view: perturb in place, then restore
            for i in range(flat.size):
                orig = flat[i]
                flat[i] = orig + eps
                plus = [o.numpy().copy() for o in _outputs(fn, inputs)]
                flat[i] = orig - eps
                minus = [o.numpy().copy() for o in _outputs(fn, inputs)]
                flat[i] = orig
                idx = np.unravel_index(i, t.shape) if t.shape else ()
                for j in range(len(outs)):
                    jac[j][k][(Ellipsis,) + tuple(idx)] = (plus[j] - minus[j]) / (2 * eps)
    return jac


def _analytical(fn, inputs, wrt):
    outs = _outputs(fn, inputs)
    jac = [[np.zeros(o.shape + t.shape) for t in wrt] for o in outs]
    Tensor = type(wrt[0])
    for j, o in enumerate(outs):
        if not o.requires_grad:
            continue
        for i in range(o.array.size):
            seed = np.zeros(o.shape)
            seed.reshape(-1)[i] = 1.0
            seed_t = Tensor._make(seed, False, None, 0)
            grads = backward([o], [seed_t], retain_graph=True, inputs=wrt, allow_unused=True)
            idx = np.unravel_index(i, o.shape) if o.shape else ()
            for k, g in enumerate(grads):
                if g is not None:
                    jac[j][k][tuple(idx)] = g.numpy()
    return jac


def gradcheck(fn, inputs, eps=1e-6, atol=1e-5, rtol=1e-3, raise_exception=True):
    """True if every entry of d(outputs)/d(inputs) matches finite differences within
    atol + rtol * |numerical|; else raises (or returns False) naming the worst entry."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    wrt = _check_inputs("gradcheck", inputs)
    return _compare("gradcheck", _analytical(fn, inputs, wrt), _numerical(fn, inputs, wrt, eps),
                    atol, rtol, raise_exception)


def gradgradcheck(fn, inputs, grad_outputs=None, eps=1e-6, atol=1e-5, rtol=1e-3,
                  raise_exception=True):
    """gradcheck of the gradient itself: checks second derivatives (double backward)."""
    inputs = tuple(inputs) if isinstance(inputs, (tuple, list)) else (inputs,)
    wrt = _check_inputs("gradgradcheck", inputs)
    Tensor = type(wrt[0])
    if grad_outputs is None:
        rng = np.random.default_rng(0)
        grad_outputs = [Tensor._make(rng.standard_normal(o.shape), True, None, 0)
                        for o in _outputs(fn, inputs)]
    n = len(inputs)

    def first_derivative(*args):
        xs, vs = args[:n], args[n:]
        outs = _outputs(fn, xs)
        live = [(o, v) for o, v in zip(outs, vs) if o.requires_grad]
        if not live:
            return ()
        grads = backward([o for o, _ in live], [v for _, v in live], create_graph=True,
                         inputs=[x for x in xs if getattr(x, "requires_grad", False)],
                         allow_unused=True)
        return tuple(g for g in grads if g is not None)

    args = inputs + tuple(grad_outputs)
    wrt2 = [t for t in args if getattr(t, "requires_grad", False)]
    return _compare("gradgradcheck", _analytical(first_derivative, args, wrt2),
                    _numerical(first_derivative, args, wrt2, eps), atol, rtol, raise_exception)


def _compare(name, analytical, numerical, atol, rtol, raise_exception):
    worst = None
    for j, (row_a, row_n) in enumerate(zip(analytical, numerical)):
        for k, (a, num) in enumerate(zip(row_a, row_n)):
            excess = np.abs(a - num) - (atol + rtol * np.abs(num))
            if excess.size and excess.max() > 0:
                i = np.unravel_index(int(np.argmax(excess)), excess.shape)
                if worst is None or excess[i] > worst[0]:
                    worst = (excess[i], j, k, i, a[i], num[i])
    if worst is None:
        return True
    _, j, k, i, a, num = worst
    msg = (f"{name}: the gradient of output {j} with respect to input {k} is wrong at entry "
           f"{tuple(int(v) for v in i)}: analytical {a:.10g}, numerical {num:.10g} "
           f"(|difference| {abs(a - num):.3g} > atol {atol} + rtol {rtol} * |numerical|)")
    if raise_exception:
        raise GradcheckError(msg)
    return False
