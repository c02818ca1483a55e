"""The engine: backward(), cr.grad(), graph order, memory rules, higher orders, grad modes."""
import threading

import numpy as np
import pytest
import torch

import chainrule as cr


def both(values):
    """The same float64 leaves in chainrule and in torch."""
    ours = [cr.tensor(v, dtype=cr.float64, requires_grad=True) for v in values]
    theirs = [torch.tensor(v, dtype=torch.float64, requires_grad=True) for v in values]
    return ours, theirs


def close(ours, theirs):
    np.testing.assert_allclose(ours.numpy(), theirs.detach().numpy(), rtol=1e-10, atol=1e-12)


# ---- backward() --------------------------------------------------------------------------------
def test_fan_out_and_reconvergence_match_torch():
    """A diamond: y feeds three paths that meet again; gradients must sum before y's node runs."""
    def f(m, x, w):
        y = x * w
        z = y.sin() * y + y.exp() / (1 + y * y)
        return (z * y + y).sum() + (x * z).mean()

    (x, w), (tx, tw) = both([[0.3, -1.2, 2.0], [0.5, 0.25, -0.7]])
    f(cr, x, w).backward()
    f(torch, tx, tw).backward()
    close(x.grad, tx.grad)
    close(w.grad, tw.grad)


def test_broadcast_gradients_are_summed_back_at_the_edge():
    (a, b), (ta, tb) = both([np.arange(3.0).reshape(3, 1), np.arange(4.0).reshape(1, 4)])
    ((a * b + a) ** 2).sum().backward()
    ((ta * tb + ta) ** 2).sum().backward()
    assert a.grad.shape == (3, 1) and b.grad.shape == (1, 4)
    close(a.grad, ta.grad)
    close(b.grad, tb.grad)


def test_gradient_is_cast_back_to_the_leaf_dtype():
    x = cr.tensor([1.0, 2.0], requires_grad=True)  # float32
    y = (x.double() * cr.tensor([3.0, 4.0], dtype=cr.float64)).sum()
    y.backward()
    assert x.grad.dtype == cr.float32 and x.grad.tolist() == [3.0, 4.0]


def test_gradients_accumulate_on_leaves():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    (x * x).sum().backward()
    (x * 3).sum().backward()
    assert x.grad.tolist() == [5.0, 7.0]


def test_backward_with_a_gradient_argument():
    (x,), (tx,) = both([[1.0, -2.0, 3.0]])
    g = np.array([0.5, 1.0, -1.0])
    (x * x.exp()).backward(cr.tensor(g, dtype=cr.float64))
    (tx * tx.exp()).backward(torch.tensor(g))
    close(x.grad, tx.grad)
    with pytest.raises(RuntimeError, match=r"gradient has shape \(2,\).*\(3,\)"):
        (x * 2).backward(cr.ones(2, dtype=cr.float64))


def test_backward_on_a_non_scalar_needs_a_gradient():
    x = cr.ones(3, requires_grad=True)
    with pytest.raises(RuntimeError, match=r"shape \(3,\), not one element.*gradient=.*sum\(\)"):
        (x * 2).backward()


def test_backward_on_a_tensor_without_graph():
    with pytest.raises(RuntimeError, match="does not require grad.*requires_grad=True"):
        cr.ones(2).sum().backward()
    x = cr.ones(2, requires_grad=True)
    with cr.no_grad():
        y = (x * 2).sum()
    with pytest.raises(RuntimeError, match="no graph to walk"):
        y.backward()


def test_backward_of_a_leaf_itself():
    x = cr.tensor(3.0, requires_grad=True)
    x.backward()
    assert x.grad.item() == 1.0


def test_backward_with_inputs_only_fills_those():
    a = cr.tensor(2.0, requires_grad=True)
    b = cr.tensor(3.0, requires_grad=True)
    (a * b).backward(inputs=[a])
    assert a.grad.item() == 3.0 and b.grad is None


# ---- the graph is freed after backward ----------------------------------------------------------
def test_second_backward_without_retain_graph_raises():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    y.backward()
    with pytest.raises(RuntimeError, match="freed by an earlier backward.*retain_graph=True"):
        y.backward()


def test_a_graph_that_saved_nothing_can_be_walked_again():
    """As in PyTorch: only saved values are freed, so a graph without any walks twice."""
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x + 1).sum()
    y.backward()
    y.backward()
    assert x.grad.tolist() == [2.0, 2.0]


def test_retain_graph_keeps_saved_values():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = (x * x).sum()
    node = y.grad_fn.next_edges[0][0]  # the Mul node
    assert node.saved_nbytes == 2 * 2 * 4  # both inputs are x: two float32 arrays of 2
    y.backward(retain_graph=True)
    assert node.saved_nbytes > 0
    y.backward()
    assert x.grad.tolist() == [4.0, 8.0] and node.saved_nbytes == 0


def test_intermediate_gradients_are_not_kept():
    x = cr.tensor([1.0], requires_grad=True)
    y = x * 2
    z = y * 3
    z.sum().backward()
    assert y.grad is None and z.grad is None and x.grad.item() == 6.0


# ---- depth: no recursion ------------------------------------------------------------------------
def test_a_100000_node_chain():
    x = cr.tensor(1.0, requires_grad=True)
    y = x
    for _ in range(100_000):
        y = y * 1.0
    y.backward()
    assert x.grad.item() == 1.0
    del y  # freeing 100,000 nested nodes must not overflow the C stack either


def test_grad_through_a_deep_chain():
    x = cr.tensor(0.5, dtype=cr.float64, requires_grad=True)
    y = x
    for _ in range(3_000):
        y = y + 1e-4 * y * y
    g, = cr.grad(y, x)
    tx = torch.tensor(0.5, dtype=torch.float64, requires_grad=True)
    ty = tx
    for _ in range(3_000):
        ty = ty + 1e-4 * ty * ty
    tg, = torch.autograd.grad(ty, tx)
    close(g, tg)


# ---- cr.grad ------------------------------------------------------------------------------------
def test_grad_returns_gradients_and_leaves_dot_grad_alone():
    (x, w), (tx, tw) = both([[1.0, 2.0], [0.5, -1.5]])
    gx, gw = cr.grad((x * w).tanh().sum(), [x, w])
    tgx, tgw = torch.autograd.grad((tx * tw).tanh().sum(), [tx, tw])
    close(gx, tgx)
    close(gw, tgw)
    assert x.grad is None and w.grad is None


def test_grad_with_grad_outputs_and_several_outputs():
    (x,), (tx,) = both([[1.0, 2.0, 3.0]])
    v = np.array([1.0, -1.0, 0.5])
    g, = cr.grad([x * x, x.exp().sum()], [x], [cr.tensor(v, dtype=cr.float64), None])
    tg, = torch.autograd.grad([tx * tx, tx.exp().sum()], [tx], [torch.tensor(v), None])
    close(g, tg)
    with pytest.raises(RuntimeError, match=r"grad: output 0 of shape \(3,\) is not a scalar"):
        cr.grad(x * x, [x])


def test_grad_with_respect_to_a_non_leaf():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    h = x * 3
    out = (h * h).sum()
    gh, gx = cr.grad(out, [h, x])
    assert gh.tolist() == [6.0, 12.0] and gx.tolist() == [18.0, 36.0]


def test_grad_only_walks_towards_the_inputs():
    """A node off the path to the inputs is never called (here it would raise)."""
    class Boom(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 1

        @staticmethod
        def backward(ctx, g):
            raise AssertionError("Boom.backward must not run")

    x = cr.tensor(2.0, requires_grad=True)
    w = cr.tensor(3.0, requires_grad=True)
    out = x * w + Boom.apply(w)
    g, = cr.grad(out, [x])
    assert g.item() == 3.0


def test_grad_errors():
    x = cr.tensor(1.0, requires_grad=True)
    unused = cr.tensor(1.0, requires_grad=True)
    with pytest.raises(RuntimeError, match="input 1.*does not require grad"):
        cr.grad(x * 2, [x, cr.tensor(1.0)])
    with pytest.raises(RuntimeError, match="input 1.*not used.*allow_unused=True"):
        cr.grad(x * 2, [x, unused])
    gx, gu = cr.grad(x * 2, [x, unused], allow_unused=True)
    assert gx.item() == 2.0 and gu is None and type(gx.array) is np.ndarray
    with pytest.raises(RuntimeError, match=r"grad_outputs\[0\] has shape \(2,\).*\(\)"):
        cr.grad(x * 2, [x], [cr.ones(2)])
    with pytest.raises(ValueError, match="2 grad_outputs for 1 outputs"):
        cr.grad(x * 2, [x], [None, None])


# ---- higher orders -------------------------------------------------------------------------------
def test_hessian_vector_product_matches_torch():
    """H v for f(x) = sum(tanh(A x) * x^3) + (x.x)^2, by differentiating <grad f, v>."""
    rng = np.random.default_rng(1)
    a, x0, v = rng.standard_normal((4, 4)), rng.standard_normal(4), rng.standard_normal(4)

    def f(m, x, A):
        return ((A @ x).tanh() * x ** 3).sum() + (x * x).sum() ** 2

    x = cr.tensor(x0, dtype=cr.float64, requires_grad=True)
    g, = cr.grad(f(cr, x, cr.tensor(a, dtype=cr.float64)), [x], create_graph=True)
    assert g.requires_grad
    hv, = cr.grad((g * cr.tensor(v, dtype=cr.float64)).sum(), [x])

    tx = torch.tensor(x0, requires_grad=True)
    tg, = torch.autograd.grad(f(torch, tx, torch.tensor(a)), [tx], create_graph=True)
    thv, = torch.autograd.grad((tg * torch.tensor(v)).sum(), [tx])
    close(g, tg)
    close(hv, thv)


def test_third_derivative():
    x = cr.tensor(0.7, dtype=cr.float64, requires_grad=True)
    y = x.sin() * x
    d1, = cr.grad(y, x, create_graph=True)
    d2, = cr.grad(d1, x, create_graph=True)
    d3, = cr.grad(d2, x)
    # d3/dx3 [x sin x] = -3 sin x - x cos x
    assert d3.item() == pytest.approx(-3 * np.sin(0.7) - 0.7 * np.cos(0.7), rel=1e-12)


def test_backward_create_graph_accumulates_a_differentiable_grad():
    x = cr.tensor(2.0, dtype=cr.float64, requires_grad=True)
    (x ** 3).backward(create_graph=True)
    assert x.grad.requires_grad and x.grad.item() == 12.0
    g2, = cr.grad(x.grad, x)
    assert g2.item() == 12.0  # d/dx 3x^2 = 6x


# ---- grad modes ----------------------------------------------------------------------------------
def test_no_grad_and_enable_grad_as_context_managers():
    x = cr.ones(2, requires_grad=True)
    with cr.no_grad():
        assert not cr.is_grad_enabled() and not (x * 2).requires_grad
        with cr.enable_grad():
            assert (x * 2).requires_grad
        assert not (x * 2).requires_grad
    assert cr.is_grad_enabled() and (x * 2).requires_grad


def test_grad_modes_as_decorators():
    x = cr.ones(2, requires_grad=True)

    @cr.no_grad()
    def called():
        return x * 2

    @cr.no_grad
    def bare():
        return x * 2

    @cr.inference_mode()
    def inferred():
        return x * 2

    @cr.set_grad_enabled(False)
    def off():
        return x * 2

    assert cr.is_grad_enabled()  # decorating changes nothing by itself
    for fn in (called, bare, inferred, off):
        assert not fn().requires_grad, fn.__name__
    assert cr.is_grad_enabled() and called.__name__ == "called"


def test_set_grad_enabled_and_inference_mode():
    x = cr.ones(2, requires_grad=True)
    with cr.set_grad_enabled(False):
        assert not (x * 2).requires_grad
    with cr.inference_mode():
        assert not (x * 2).requires_grad
    with cr.inference_mode(False):
        assert (x * 2).requires_grad
    cr.set_grad_enabled(False)  # called as a function, it sets the mode now
    try:
        assert not cr.is_grad_enabled()
    finally:
        cr.set_grad_enabled(True)
    assert cr.is_grad_enabled()


def test_grad_mode_is_restored_after_an_exception():
    with pytest.raises(ValueError):
        with cr.no_grad():
            raise ValueError
    assert cr.is_grad_enabled()


def test_grad_mode_is_per_thread():
    seen = []
    with cr.no_grad():
        t = threading.Thread(target=lambda: seen.append(cr.is_grad_enabled()))
        t.start()
        t.join()
    assert seen == [True]


# ---- backward on arrays -------------------------------------------------------------------------
class Spy(cr.autograd.Op):
    """y = 2x; its backward notes what it is given and what the ops it calls return."""
    seen = []

    def forward(ctx, x):
        ctx.save_for_backward(x)
        return 2 * x

    def backward(ctx, g):
        x, = ctx.saved_like(g)
        Spy.seen.append((type(g), type(x), type(cr.ops.elementwise.Exp.apply(x)), type(g * x)))
        return 2 * g


def seen_by_spy(walk):
    Spy.seen.clear()
    x = cr.tensor([0.5, -1.0], dtype=cr.float64, requires_grad=True)
    g = walk(Spy.apply(x).sum(), x)
    np.testing.assert_allclose(g.numpy(), [2.0, 2.0])
    return set(Spy.seen.pop())


def test_a_plain_backward_runs_ops_on_arrays():
    def plain(y, x):
        y.backward()
        return x.grad
    assert seen_by_spy(plain) == {np.ndarray}
    assert seen_by_spy(lambda y, x: cr.grad(y, [x])[0]) == {np.ndarray}


def test_create_graph_and_anomaly_mode_run_backward_on_tensors():
    assert seen_by_spy(lambda y, x: cr.grad(y, [x], create_graph=True)[0]) == {cr.Tensor}
    with cr.autograd.detect_anomaly():
        assert seen_by_spy(lambda y, x: cr.grad(y, [x])[0]) == {cr.Tensor}


def test_functions_and_hooks_get_tensors_and_ops_get_arrays_in_a_walk_on_arrays():
    seen = []

    class Double(cr.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            return x * 2

        @staticmethod
        def backward(ctx, g):
            out = g * 2
            seen.append(("function", type(g), type(out)))
            return out

    class Triple(cr.autograd.Op):  # an Op of the user's gets arrays, as the built-in ones
        def forward(ctx, x):
            return x * 3

        def backward(ctx, g):
            seen.append(("op", type(g), type(g * 1)))
            return g * 3

    def hook(g):
        out = g + 1
        seen.append(("hook", type(g), type(out)))
        return out

    x = cr.tensor([1.0, 2.0], requires_grad=True)
    y = Double.apply(Triple.apply(x))
    y.register_hook(hook)
    y.retain_grad()
    y.sum().backward()
    assert [who for who, *_ in seen] == ["hook", "function", "op"]
    assert [kinds for _, *kinds in seen] == [[cr.Tensor] * 2] * 2 + [[np.ndarray] * 2], seen
    np.testing.assert_allclose(x.grad.numpy(), [12.0, 12.0])  # (1 + 1) * 2 * 3
    np.testing.assert_allclose(y.grad.numpy(), [2.0, 2.0])  # retain_grad sees the hook's result


def test_an_op_that_reads_saved_tensors_still_differentiates_right():
    """An Op gets arrays in a plain walk; one written with saved_tensors mixes the array g with
    Tensors, which gives Tensors: slower, but the same gradients, first and second."""
    class Square(cr.autograd.Op):
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g

    x = cr.tensor([1.0, 3.0], dtype=cr.float64, requires_grad=True)
    Square.apply(x).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 6.0])
    g, = cr.grad(Square.apply(x).sum(), [x], create_graph=True)
    gg, = cr.grad(g.sum(), [x])
    np.testing.assert_allclose(gg.numpy(), [2.0, 2.0])


def test_ops_give_tensors_again_after_a_backward_that_raised():
    class Fails(cr.autograd.Op):
        def forward(ctx, x):
            return x * 1

        def backward(ctx, g):
            raise ValueError("broken backward")

    x = cr.tensor([1.0], requires_grad=True)
    with pytest.raises(ValueError, match="broken backward"):
        (Fails.apply(x) * 2).sum().backward()
    with cr.no_grad():
        assert type(cr.ones(2) * 2) is cr.Tensor
        assert type(cr.exp(np.ones(2))) is cr.Tensor


def test_backward_on_arrays_is_per_thread():
    seen = []

    class Watch(cr.autograd.Op):
        def forward(ctx, x):
            return x * 1

        def backward(ctx, g):
            other = threading.Thread(target=lambda: seen.append(type(cr.ones(1) * 2)))
            other.start()
            other.join()
            return g

    Watch.apply(cr.tensor([1.0], requires_grad=True)).sum().backward()
    assert seen == [cr.Tensor]


def test_a_walk_inside_a_backward_on_arrays_deals_in_tensors():
    seen = []

    class Inner(cr.autograd.Op):

        def forward(ctx, x):
            return x * 1

        def backward(ctx, g):  # runs a walk of its own, on a graph of Tensors
            w = cr.tensor([3.0], requires_grad=True)
            w.register_hook(lambda h: seen.append(type(h * 1)))
            with cr.enable_grad():
                loss = (w * w).sum()
            loss.backward()
            seen.append(type(w.grad))
            return g

    Inner.apply(cr.tensor([1.0], requires_grad=True)).sum().backward()
    assert seen == [cr.Tensor, cr.Tensor]


def test_hooks_may_change_values_not_shapes():
    def grads_with(hook):
        x = cr.tensor([1.0, 2.0, 3.0], requires_grad=True)
        y = x * 2
        y.register_hook(hook)
        y.sum().backward()
        return x.grad

    with pytest.raises(RuntimeError, match=r"hook .* returned shape \(2,\) for a gradient of "
                                           r"shape \(3,\)"):
        grads_with(lambda g: cr.ones(2))
    with pytest.raises(TypeError, match="hook .* returned a ndarray; a hook returns a Tensor"):
        grads_with(lambda g: g.numpy())
    x = cr.tensor([1.0], requires_grad=True)
    x.register_hook(lambda g: cr.ones(3))
    with pytest.raises(RuntimeError, match="not its shape"):  # on a leaf too
        (x * 2).sum().backward()


def test_backward_with_inputs_gives_a_grad_of_its_own():
    x = cr.tensor([1.0, 2.0], requires_grad=True)
    x.sum().backward(inputs=[x])  # the gradient is a broadcast of one number
    x.grad += 1
    np.testing.assert_allclose(x.grad.numpy(), [2.0, 2.0])


@pytest.mark.parametrize("fn", ["pow", "rpow", "bce"])
def test_zero_d_float64_gradients_keep_float64_precision(fn):
    """Backward formulas on 0-d arrays meet NumPy scalars; they must not be taken for Python
    numbers (which would round the result to the default float32)."""
    def f(m, a, b):
        if fn == "pow":
            return a ** b
        if fn == "rpow":
            return 2.0 ** a
        return m.nn.functional.binary_cross_entropy(m.sigmoid(a), b)
    (a, b), (ta, tb) = both([1.3, 0.7])
    f(cr, a, b).backward()
    f(torch, ta, tb).backward()
    close(a.grad, ta.grad)
    if fn != "rpow":
        close(b.grad, tb.grad)


def test_the_hooks_of_a_leaf_run_for_grad_and_backward_with_inputs():
    seen = {}
    for m, grad in ((cr, cr.grad), (torch, torch.autograd.grad)):
        x = m.tensor([1.0, 2.0], requires_grad=True)
        x.register_hook(lambda g: g * 10)
        g, = grad((x * 3).sum(), [x])
        (x * 2).sum().backward(inputs=[x])
        seen[m] = [g.tolist(), x.grad.tolist()]
    assert seen[cr] == seen[torch] == [[30.0, 30.0], [20.0, 20.0]]


@pytest.mark.parametrize("change", ["input", "output", "view"])
def test_a_computed_tensor_changed_after_it_was_saved_is_caught(change):
    """A computed tensor gets its version counter only when first needed, kept by the node that
    made it: a change made after the save, through another Tensor of the same memory, is still
    seen when backward unpacks the saved value."""
    x = cr.tensor([0.5, 1.0], dtype=cr.float64, requires_grad=True)
    y = x * 2
    if change == "input":
        z = y.sin()          # saves y, which has no counter yet
        target = y
    elif change == "output":
        z = y.exp()          # saves its own output
        target = z
    else:
        z = y[0:1].sin()     # saves a view of y, which shares y's counter
        target = y
    with cr.no_grad():
        target.detach().add_(1.0)
    with pytest.raises(RuntimeError, match="changed in place"):
        z.sum().backward()
