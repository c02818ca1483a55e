"""One helper checks every op the same way: forward, backward and double backward against
PyTorch in float64, plus finite differences through chainrule's own gradcheck. The first
derivative is taken twice, by a plain backward (on arrays) and by a recorded one (on Tensors),
and the two must agree.

    check_op(lambda m, x, y: m.maximum(x, y), [(3, 1), (1, 4)])

`fn(m, *tensors)` is called once with m = chainrule and once with m = torch, so one lambda states
the op for both; pass `torch_fn` where the two spell it differently."""
import numpy as np
import torch

import chainrule as cr


def sample(shape, rng, low=-2.0, high=2.0, away_from=None):
    """Random float64 values; `away_from` keeps them off a kink (e.g. 0 for abs/relu) so that
    finite differences are meaningful."""
    x = rng.uniform(low, high, size=shape)
    if away_from is not None:
        close = np.abs(x - away_from) < 0.1
        x[close] += 0.2 * np.sign(x[close] - away_from + 1e-12)
    return x


def functional(name, **kwargs):
    """The function `name` of nn.functional with fixed keyword arguments, as check_op's `fn`
    (named after the call, for the messages)."""
    def fn(m, *tensors):
        return getattr(m.nn.functional, name)(*tensors, **kwargs)
    fn.__name__ = f"{name}({', '.join(f'{k}={v}' for k, v in kwargs.items())})"
    return fn


def _floats(out):
    outs = out if isinstance(out, (tuple, list)) else (out,)
    return [o for o in outs if o.dtype in (cr.float64, torch.float64)]


def _np(t):
    """torch returns a lazy 'ZeroTensor' for some second derivatives; it has no numpy()."""
    if t._is_zerotensor():
        return np.zeros(t.shape)
    return t.detach().numpy()


def _close(name, what, ours, theirs, atol, rtol):
    ours = np.asarray(ours.numpy() if hasattr(ours, "numpy") else ours)
    theirs = _np(theirs) if isinstance(theirs, torch.Tensor) else np.asarray(theirs)
    assert ours.shape == theirs.shape, f"{name} {what}: shape {ours.shape} != torch {theirs.shape}"
    np.testing.assert_allclose(ours, theirs, atol=atol, rtol=rtol, err_msg=f"{name} {what}")


def _keeps_arrays_only_as_saved(name, node):
    """An op keeps what its backward needs through save_for_backward (freed after backward,
    checked for in-place changes), never as an array of its own on the node."""
    if node is None:
        return
    for key, value in vars(node).items():
        values = value if isinstance(value, (tuple, list)) else (value,)
        assert not any(isinstance(v, np.ndarray) and v.size for v in values) or key == "_saved", \
            f"{name}: its node keeps an array as ctx.{key}; save it with save_for_backward"


def check_op(fn, shapes, torch_fn=None, *, inputs=None, low=-2.0, high=2.0, away_from=None,
             grad=True, gradgrad=True, finite_differences=True, atol=1e-8, rtol=1e-6, seed=0,
             name=None):
    """Runs the comparison on one set of input shapes; `inputs` gives the arrays directly."""
    torch_fn = torch_fn or fn
    name = name or getattr(fn, "__name__", "op")
    rng = np.random.default_rng(seed)
    arrays = inputs if inputs is not None else [
        sample(s, rng, low, high, away_from) for s in shapes]
    ours = [cr.tensor(a, dtype=cr.float64, requires_grad=grad) for a in arrays]
    theirs = [torch.tensor(a, dtype=torch.float64, requires_grad=grad) for a in arrays]

    out_c, out_t = _floats(fn(cr, *ours)), _floats(torch_fn(torch, *theirs))
    assert len(out_c) == len(out_t), f"{name}: {len(out_c)} float outputs, torch has {len(out_t)}"
    for i, (c, t) in enumerate(zip(out_c, out_t)):
        _close(name, f"forward output {i}", c, t, atol, rtol)
    if not grad:
        return

    for out in out_c:
        _keeps_arrays_only_as_saved(name, out.grad_fn)

    # backward: one random upstream gradient per output, walked twice: on arrays (a plain
    # backward, as training runs it) and on Tensors (recorded, as create_graph=True runs it)
    seeds = [rng.standard_normal(t.shape) for t in out_t]
    live = [i for i, t in enumerate(out_t) if t.requires_grad]
    if not live:
        return
    outs = [out_c[i] for i in live]
    plain = cr.grad(outs, ours, [cr.tensor(seeds[i], dtype=cr.float64) for i in live],
                    retain_graph=True, allow_unused=True)
    g_c = cr.grad(outs, ours,
                  [cr.tensor(seeds[i], dtype=cr.float64, requires_grad=True) for i in live],
                  create_graph=gradgrad, allow_unused=True)
    g_t = torch.autograd.grad([out_t[i] for i in live], theirs,
                              [torch.tensor(seeds[i], requires_grad=True) for i in live],
                              create_graph=gradgrad, allow_unused=True)
    for k, (p, c, t) in enumerate(zip(plain, g_c, g_t)):
        if t is None:
            for g in (p, c):
                assert g is None or np.all(g.numpy() == 0), f"{name}: input {k} has a " \
                                                            "gradient, torch has none"
            continue
        assert p is not None and c is not None, f"{name}: input {k} got no gradient, torch has one"
        _close(name, f"gradient of input {k}", p, t, atol, rtol)
        _close(name, f"gradient of input {k} on Tensors (recorded)", c, p, 1e-12, 1e-10)

    if gradgrad:  # double backward: d/dinputs of sum(grad * w)
        pairs = [(c, t) for c, t in zip(g_c, g_t) if c is not None and t is not None
                 and t.requires_grad]
        if pairs:
            ws = [rng.standard_normal(t.shape) for _, t in pairs]
            total_c = sum((c * cr.tensor(w, dtype=cr.float64)).sum() for (c, _), w in zip(pairs, ws))
            total_t = sum((t * torch.tensor(w)).sum() for (_, t), w in zip(pairs, ws))
            gg_c = cr.grad(total_c, ours, allow_unused=True) if total_c.requires_grad \
                else [None] * len(ours)
            gg_t = torch.autograd.grad(total_t, theirs, allow_unused=True)
            for k, (c, t) in enumerate(zip(gg_c, gg_t)):
                if t is None or np.allclose(_np(t), 0, atol=atol):
                    assert c is None or np.allclose(c.numpy(), 0, atol=atol), \
                        f"{name}: second derivative of input {k} should be zero"
                    continue
                assert c is not None, f"{name}: input {k} has no second derivative"
                _close(name, f"second derivative of input {k}", c, t, atol * 10, rtol * 10)

    if finite_differences and all(a.size <= 64 for a in arrays):
        fresh = [cr.tensor(a, dtype=cr.float64, requires_grad=True) for a in arrays]
        cr.autograd.gradcheck(lambda *xs: fn(cr, *xs), fresh, atol=1e-5, rtol=1e-3)
