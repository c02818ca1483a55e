"""cr.autograd.functional against torch.autograd.functional: values, structures (Tensor or
tuples, as PyTorch returns them), create_graph and strict; and gradgradcheck."""
import numpy as np
import pytest
import torch
import torch.autograd.functional as TF

import chainrule as cr
from chainrule.autograd import functional as F


def one(m, x):
    return (x.exp() * x.sin()).sum(0) if x.ndim == 2 else x.exp() * x.sin()


def two_in(m, x, y):
    return x.tanh() * y[0] + (x * x).sum() * y


def two_out(m, x):
    return x * x.cos(), (x * x).sum()


def two_two(m, x, y):
    return x * y.sum(), (x.exp() * y[:2].sum()).sum()


def scalar(m, x, y):
    return (x.sin() * y[:2].sum() + x.pow(3)).sum() + (y * y).prod()


CASES = [(one, [(3, 2)]), (one, [(4,)]), (two_in, [(3,), (3,)]), (two_out, [(4,)]),
         (two_two, [(2,), (3,)])]


def args(shapes, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(-1, 1, s) for s in shapes]


def call(fn_m, arrays, m, tupled):
    tensors = tuple(m.tensor(a) for a in arrays)
    return (lambda *t: fn_m(m, *t)), tensors if tupled else tensors[0]


def assert_same(ours, theirs):
    """Same nesting (Tensor / tuple) and values."""
    if isinstance(theirs, tuple):
        assert isinstance(ours, tuple) and len(ours) == len(theirs)
        for a, b in zip(ours, theirs):
            assert_same(a, b)
        return
    assert isinstance(ours, cr.Tensor), type(ours)
    assert ours.shape == tuple(theirs.shape)
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("vectorize", [False, True])
@pytest.mark.parametrize("fn,shapes", CASES)
def test_jacobian_equals_pytorch(fn, shapes, vectorize):
    tupled = len(shapes) > 1
    arrays = args(shapes)
    ours = F.jacobian(*call(fn, arrays, cr, tupled), vectorize=vectorize)
    assert_same(ours, TF.jacobian(*call(fn, arrays, torch, tupled), vectorize=vectorize))


def test_jacobian_of_a_tuple_input_of_one_is_a_tuple():
    arrays = args([(3,)])
    f = (lambda x: x * x)
    ours = F.jacobian(f, (cr.tensor(arrays[0]),))
    assert_same(ours, TF.jacobian(f, (torch.tensor(arrays[0]),)))


def test_jacobian_strict_and_unused_inputs():
    f = (lambda x, y: x * 2)
    x, y = cr.tensor([1.0, 2.0]), cr.tensor([3.0])
    assert_same(F.jacobian(f, (x, y)), TF.jacobian(f, (torch.tensor([1.0, 2.0]),
                                                     torch.tensor([3.0]))))
    with pytest.raises(RuntimeError, match="does not depend on input 1"):
        F.jacobian(f, (x, y), strict=True)
    with pytest.raises(ValueError, match="strategy must be 'reverse-mode'"):
        F.jacobian(f, (x, y), strategy="forward-mode")


def test_jacobian_create_graph_is_differentiable():
    a = args([(3,)])[0]
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    j = F.jacobian(lambda v: v.sin() * v.sum(), x, create_graph=True)
    tj = TF.jacobian(lambda v: v.sin() * v.sum(), tx, create_graph=True)
    (j * j).sum().backward()
    (tj * tj).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


@pytest.mark.parametrize("tupled", [False, True])
def test_hessian_equals_pytorch(tupled):
    arrays = args([(2,), (3,)])
    if tupled:
        ours = F.hessian(lambda x, y: scalar(cr, x, y), tuple(map(cr.tensor, arrays)))
        theirs = TF.hessian(lambda x, y: scalar(torch, x, y), tuple(map(torch.tensor, arrays)))
    else:
        y = arrays[1]
        ours = F.hessian(lambda x: scalar(cr, x, cr.tensor(y)), cr.tensor(arrays[0]))
        theirs = TF.hessian(lambda x: scalar(torch, x, torch.tensor(y)), torch.tensor(arrays[0]))
    assert_same(ours, theirs)


def test_hessian_needs_a_scalar_function():
    with pytest.raises(RuntimeError, match="single Tensor with one element"):
        F.hessian(lambda x: x * x, cr.tensor([1.0, 2.0]))


@pytest.mark.parametrize("fn,shapes", CASES)
def test_vjp_and_jvp_equal_pytorch(fn, shapes):
    tupled = len(shapes) > 1
    arrays = args(shapes)
    f, x = call(fn, arrays, cr, tupled)
    tf, tx = call(fn, arrays, torch, tupled)
    out = tf(*tx) if tupled else tf(tx)
    outs = out if isinstance(out, tuple) else (out,)
    u = args([tuple(o.shape) for o in outs], seed=1)
    v = args(shapes, seed=2)
    pack = (lambda m, vals, is_tuple: tuple(map(m.tensor, vals)) if is_tuple
            else m.tensor(vals[0]))
    out_tuple = isinstance(out, tuple)
    assert_same(F.vjp(f, x, pack(cr, u, out_tuple)), TF.vjp(tf, tx, pack(torch, u, out_tuple)))
    assert_same(F.jvp(f, x, pack(cr, v, tupled)), TF.jvp(tf, tx, pack(torch, v, tupled)))


def test_vjp_and_jvp_default_v_for_one_element():
    f = (lambda x: (x * x).sum() * x)
    assert_same(F.jvp(f, cr.tensor([1.5], dtype=cr.float64)), TF.jvp(f, torch.tensor([1.5], dtype=torch.float64)))
    g = (lambda x: (x * x.exp()).sum())
    assert_same(F.vjp(g, cr.tensor([1.5, 0.5], dtype=cr.float64)), TF.vjp(g, torch.tensor([1.5, 0.5],
                                                                      dtype=torch.float64)))
    with pytest.raises(RuntimeError, match="v can be omitted only"):
        F.vjp(lambda x: x * 2, cr.tensor([1.0, 2.0]))
    with pytest.raises(RuntimeError, match=r"v\[0\] has shape \(3,\)"):
        F.jvp(lambda x: x * 2, cr.tensor([1.0, 2.0]), cr.tensor([1.0, 2.0, 3.0]))


@pytest.mark.parametrize("name", ["hvp", "vhp"])
@pytest.mark.parametrize("tupled", [False, True])
def test_hvp_and_vhp_equal_pytorch(name, tupled):
    arrays, v = args([(2,), (3,)]), args([(2,), (3,)], seed=3)
    if tupled:
        ours = getattr(F, name)(lambda x, y: scalar(cr, x, y), tuple(map(cr.tensor, arrays)),
                                tuple(map(cr.tensor, v)))
        theirs = getattr(TF, name)(lambda x, y: scalar(torch, x, y),
                                   tuple(map(torch.tensor, arrays)), tuple(map(torch.tensor, v)))
    else:
        y = arrays[1]
        ours = getattr(F, name)(lambda x: scalar(cr, x, cr.tensor(y)), cr.tensor(arrays[0]),
                                cr.tensor(v[0]))
        theirs = getattr(TF, name)(lambda x: scalar(torch, x, torch.tensor(y)),
                                   torch.tensor(arrays[0]), torch.tensor(v[0]))
    assert_same(ours, theirs)


def test_hvp_create_graph_gives_third_derivatives():
    a, v = args([(3,)])[0], args([(3,)], seed=4)[0]
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    _, h = F.hvp(lambda t: t.pow(4).sum(), x, cr.tensor(v), create_graph=True)
    _, th = TF.hvp(lambda t: t.pow(4).sum(), tx, torch.tensor(v), create_graph=True)
    h.sum().backward()
    th.sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


def test_gradgradcheck_passes_and_catches_a_wrong_second_derivative():
    x = cr.tensor(args([(3,)])[0], requires_grad=True)
    assert cr.autograd.gradgradcheck(lambda t: t.sin() * t.exp(), (x,))
    assert torch.autograd.gradgradcheck(lambda t: t.sin() * t.exp(),
                                        (torch.tensor(x.numpy(), requires_grad=True),))

    class WrongSecond(cr.autograd.Function):
        """d/dx x^3 = 3x^2, written with a detached x: its own derivative is lost."""
        @staticmethod
        def forward(ctx, t):
            ctx.save_for_backward(t)
            return t * t * t

        @staticmethod
        def backward(ctx, g):
            t, = ctx.saved_tensors
            return g * 3 * t.detach() ** 2
    assert cr.autograd.gradcheck(WrongSecond.apply, (x,))
    assert not cr.autograd.gradgradcheck(WrongSecond.apply, (x,), raise_exception=False)
