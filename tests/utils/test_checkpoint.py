"""cr.utils.checkpoint: gradients equal to the plain run (dropout included, through the restored
random state), less memory kept for backward, and checkpoint_sequential as PyTorch splits it."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
from chainrule.explain.graph import Graph
from chainrule.utils.checkpoint import checkpoint, checkpoint_sequential


def mlp(nn_, dropout=0.0, depth=4):
    layers = []
    for _ in range(depth):
        layers += [nn_.Linear(6, 6), nn_.Tanh(), nn_.Dropout(dropout)]
    return nn_.Sequential(*layers)


def model_pair(dropout=0.0):
    theirs = mlp(torch.nn, dropout).double()
    ours = mlp(nn, dropout).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def grads(model):
    return [p.grad.numpy().copy() for p in model.parameters()]


def saved_bytes(out):
    """Bytes every node of out's graph keeps for backward."""
    return sum(node.saved_nbytes for node in Graph(out).nodes)


@pytest.mark.parametrize("use_reentrant", [True, False, None])
@pytest.mark.parametrize("x_grad", [True, False])
def test_gradients_equal_the_plain_run_and_pytorchs(use_reentrant, x_grad):
    ours, theirs = model_pair()
    a = np.random.default_rng(0).standard_normal((5, 6))
    x = cr.tensor(a, requires_grad=x_grad)
    loss = checkpoint(ours, x, use_reentrant=use_reentrant).pow(2).sum()
    if use_reentrant is not False and not x_grad:  # as in PyTorch: nothing to differentiate
        assert not loss.requires_grad
        return
    loss.backward()
    tx = torch.tensor(a, requires_grad=x_grad)
    theirs(tx).pow(2).sum().backward()
    for g, p in zip(grads(ours), theirs.parameters()):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-10)
    if x_grad:
        np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


def test_dropout_masks_match_the_plain_run():
    ours, _ = model_pair(dropout=0.5)
    plain, checked = ours, mlp(nn, 0.5).double()
    checked.load_state_dict(plain.state_dict())
    x = cr.randn(5, 6, dtype=cr.float64, requires_grad=True)
    cr.manual_seed(3)
    plain(x).sum().backward()
    expected, expected_x = grads(plain), x.grad.numpy().copy()
    x.grad = None
    cr.manual_seed(3)
    out = checkpoint(checked, x, use_reentrant=False)
    cr.randn(100)  # draws between forward and backward do not change the masks
    out.sum().backward()
    for a, b in zip(grads(checked), expected):
        np.testing.assert_allclose(a, b, rtol=1e-12)
    np.testing.assert_allclose(x.grad.numpy(), expected_x, rtol=1e-12)


def test_without_preserved_rng_the_masks_differ():
    model = mlp(nn, 0.5).double()
    x = cr.randn(50, 6, dtype=cr.float64, requires_grad=True)
    cr.manual_seed(3)
    model(x).sum().backward()
    expected = x.grad.numpy().copy()
    x.grad = None
    cr.manual_seed(3)
    checkpoint(model, x, use_reentrant=True, preserve_rng_state=False).sum().backward()
    assert not np.allclose(x.grad.numpy(), expected)


def test_several_outputs_and_kwargs():
    w = cr.randn(3, dtype=cr.float64, requires_grad=True)
    x = cr.randn(3, dtype=cr.float64, requires_grad=True)

    def f(a, *, scale):
        return (a * w).sin() * scale, (a + w).exp()
    s, e = checkpoint(f, x, scale=2.0, use_reentrant=False)
    (s.sum() + e.sum()).backward()
    got = w.grad.numpy().copy(), x.grad.numpy().copy()
    w.grad = x.grad = None
    s, e = f(x, scale=2.0)
    (s.sum() + e.sum()).backward()
    np.testing.assert_allclose(got[0], w.grad.numpy(), rtol=1e-12)
    np.testing.assert_allclose(got[1], x.grad.numpy(), rtol=1e-12)


def test_keeps_less_for_backward():
    model = mlp(nn, depth=8)
    x = cr.randn(64, 6, requires_grad=True)
    assert saved_bytes(checkpoint(model, x, use_reentrant=True)) < saved_bytes(model(x)) / 8


def test_a_second_derivative_through_it_raises():
    x = cr.randn(3, dtype=cr.float64, requires_grad=True)
    y = checkpoint(lambda t: t.pow(3), x, use_reentrant=True).sum()
    (g,) = cr.grad(y, x, create_graph=True)
    with pytest.raises(RuntimeError, match="once_differentiable"):
        g.sum().backward()


@pytest.mark.parametrize("segments", [1, 2, 3, 5])
def test_checkpoint_sequential_equals_pytorch(segments):
    ours, theirs = model_pair()
    a = np.random.default_rng(1).standard_normal((4, 6))
    x, tx = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    out = checkpoint_sequential(ours, segments, x, use_reentrant=True)
    ref = torch.utils.checkpoint.checkpoint_sequential(theirs, segments, tx, use_reentrant=True)
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-12)
    out.sum().backward()
    ref.sum().backward()
    for g, p in zip(grads(ours), theirs.parameters()):
        np.testing.assert_allclose(g, p.grad.numpy(), rtol=1e-10)
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-10)


def test_checkpoint_sequential_rejects_bad_segments():
    with pytest.raises(ValueError, match="segments must be between 1 and the number"):
        checkpoint_sequential(mlp(nn), 0, cr.randn(2, 6))
