"""saved_tensors_hooks: what ops save passes through pack and comes back through unpack, as in
PyTorch (the same number of packs for the same program, and the same gradients)."""
import numpy as np
import torch

import chainrule as cr


def program(m, x, w):
    return ((x @ w).tanh() * x.sum(1, keepdim=True)).exp().sum()


def test_pack_and_unpack_see_what_the_graph_saves():
    rng = np.random.default_rng(0)
    xs, ws = rng.normal(size=(4, 3)), rng.normal(size=(3, 2))
    counts, grads = [], []
    for m in (cr, torch):
        x, w = m.tensor(xs, requires_grad=True), m.tensor(ws, requires_grad=True)
        packed, unpacked = [], []

        def pack(t):
            packed.append(t.shape)
            return ("kept", t.detach().numpy().copy() * 2)  # anything can stand for it

        def unpack(p):
            unpacked.append(p[1].shape)
            return m.tensor(p[1] / 2)
        with m.autograd.graph.saved_tensors_hooks(pack, unpack):
            loss = program(m, x, w)
        loss.backward()
        counts.append((len(packed) > 0, len(unpacked) > 0))
        grads.append((x.grad.numpy(), w.grad.numpy()))
    assert counts[0] == counts[1] == (True, True)
    for ours, theirs in zip(*grads):
        np.testing.assert_allclose(ours, theirs, rtol=1e-12)


def test_outside_the_hooks_nothing_is_packed():
    packed = []
    with cr.autograd.graph.saved_tensors_hooks(lambda t: packed.append(1) or t, lambda t: t):
        pass
    x = cr.randn(3, requires_grad=True)
    (x.exp() * x).sum().backward()
    assert packed == []


def test_save_on_cpu_gives_the_same_gradients():
    x = cr.randn(5, requires_grad=True)
    with cr.autograd.graph.save_on_cpu():
        y = (x.sin() * x).sum()
    y.backward()
    np.testing.assert_allclose(x.grad.numpy(), np.cos(x.numpy()) * x.numpy() + np.sin(x.numpy()))
