"""The fused recurrent ops (nn/layers/rnn_fused.py), the default path of nn.RNN, LSTM and GRU:
against PyTorch in float64 (values, and the gradients of input, initial states and every
parameter) on packed and padded batches; against chainrule's own per-step path; against finite
differences; and a double backward through them, which must raise and say what to do."""
import os
import sys

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.autograd import gradcheck
from chainrule.nn.layers.rnn_fused import FusedGRU, FusedLSTM, FusedRNN

sys.path.insert(0, os.path.dirname(__file__))  # the twins and the comparison of test_rnn.py
from test_rnn import (INPUT, LAYERS, MODE_PROJ, compare, layer_twins, states,  # noqa: E402
                      with_state)

OPS = {"RNN_TANH": FusedRNN, "RNN_RELU": FusedRNN, "LSTM": FusedLSTM, "GRU": FusedGRU}


def node_names(t):
    """The names of every node in t's graph."""
    names, seen, todo = set(), set(), [t.grad_fn]
    while todo:
        node = todo.pop()
        if node is None or id(node) in seen:
            continue
        seen.add(id(node))
        names.add(node.name)
        todo.extend(edge.target for edge in node.next_edges
                    if edge is not None and edge.index is not None)
    return names


@pytest.mark.parametrize("mode, proj_size", MODE_PROJ)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("packed", [False, True])
def test_fused_layer_equals_pytorch(mode, proj_size, bidirectional, packed):
    """Two layers; packed sequences of unsorted lengths make the batch shrink walking forward
    and grow walking backward."""
    lengths = [2, 5, 1, 4]
    ours, theirs = layer_twins(mode, proj_size, num_layers=2, bidirectional=bidirectional,
                               batch_first=not packed)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((len(lengths), 5, INPUT))  # batch first
    hx = states(mode, rng, len(lengths), directions=1 + bidirectional, layers=2,
                proj_size=proj_size)

    def call(m, lib, t):
        data = (lib.nn.utils.rnn.pack_padded_sequence(t[0], lengths, batch_first=True,
                                                       enforce_sorted=False)
                if packed else t[0])
        output, state = m(data, with_state(mode, t))
        if lib is cr:
            assert OPS[mode].__name__ in node_names(state[0] if mode == "LSTM" else state)
        return output, state

    compare(ours, theirs, call, x, *hx)


@pytest.mark.parametrize("mode, proj_size", MODE_PROJ)
@pytest.mark.parametrize("packed", [False, True])
def test_fused_and_per_step_paths_agree_in_float32(mode, proj_size, packed):
    name, extra = LAYERS[mode]
    if proj_size:
        extra = dict(extra, proj_size=proj_size)
    layer = getattr(cr.nn, name)(INPUT, 6, 2, bidirectional=True, **extra)
    x = cr.randn(7, 3, INPUT, requires_grad=True)
    results = []
    for enabled in (True, False):
        data = cr.nn.utils.rnn.pack_padded_sequence(x, [4, 7, 2], enforce_sorted=False) \
            if packed else x
        with cr.backends.cudnn.flags(enabled=enabled):
            output, _ = layer(data)
        if packed:
            output, _ = cr.nn.utils.rnn.pad_packed_sequence(output)
        names = node_names(output)
        assert (OPS[mode].__name__ in names) == enabled
        output.pow(2).sum().backward()
        results.append([output, x.grad] + [p.grad for p in layer.parameters()])
        x.grad = None
        layer.zero_grad()
    for fused, per_step in zip(*results):
        assert fused.dtype == per_step.dtype == cr.float32
        np.testing.assert_allclose(fused.numpy(), per_step.numpy(), rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("op, gates, extra", [
    (FusedRNN, 1, {"relu": False}), (FusedRNN, 1, {"relu": True}), (FusedGRU, 3, {}),
    (FusedLSTM, 4, {}), (FusedLSTM, 4, {"proj": 2})])
def test_fused_op_gradients_match_finite_differences(op, gates, extra, reverse):
    """The op itself, on a packed batch whose size changes from step to step."""
    rng = np.random.default_rng(0)
    batch_sizes, hidden = (3, 3, 2, 1), 4
    proj = extra.pop("proj", 0)
    out = proj or hidden

    def leaf(*shape):
        return cr.tensor(rng.standard_normal(shape) * 0.5, requires_grad=True)

    gx, h0 = leaf(sum(batch_sizes), gates * hidden), leaf(3, out)
    w_hh, b_hh = leaf(gates * hidden, out), leaf(gates * hidden)
    if op is FusedLSTM:
        c0, w_hr = leaf(3, hidden), (leaf(proj, hidden) if proj else None)
        inputs = (gx, h0, c0, w_hh, b_hh) + ((w_hr,) if proj else ())

        def fn(gx, h0, c0, w_hh, b_hh, w_hr=None):
            return op.apply(gx, h0, c0, w_hh, b_hh, w_hr, batch_sizes=batch_sizes,
                            reverse=reverse)
    else:
        inputs = (gx, h0, w_hh, b_hh)

        def fn(*args):
            return op.apply(*args, batch_sizes=batch_sizes, reverse=reverse, **extra)
    assert gradcheck(fn, inputs)


@pytest.mark.parametrize("mode, proj_size", MODE_PROJ)
def test_double_backward_through_the_fused_op_raises_naming_it_and_the_switch(mode, proj_size):
    ours, _ = layer_twins(mode, proj_size)
    x = cr.randn(3, 2, INPUT, dtype=cr.float64, requires_grad=True)
    gx, = cr.autograd.grad(ours(x)[0].pow(2).sum(), x, create_graph=True)
    with pytest.raises(RuntimeError, match=rf"{OPS[mode].__name__} is once_differentiable.*"
                                           r"cudnn.enabled = False.*flags\(enabled=False\)"):
        gx.pow(2).sum().backward()


def test_flags_restores_the_switches_as_pytorch_does():
    before = cr.backends.cudnn.enabled, cr.backends.cudnn.benchmark
    with pytest.raises(KeyError):
        with cr.backends.cudnn.flags(enabled=False, benchmark=True):
            with torch.backends.cudnn.flags(enabled=False, benchmark=True):
                assert cr.backends.cudnn.enabled == torch.backends.cudnn.enabled
                assert cr.backends.cudnn.benchmark == torch.backends.cudnn.benchmark
            raise KeyError  # restored even when the block fails
    assert (cr.backends.cudnn.enabled, cr.backends.cudnn.benchmark) == before


def test_backward_twice_with_retain_graph_gives_twice_the_gradient():
    """The fused backward must not write into what the forward saved."""
    layer = cr.nn.LSTM(INPUT, 5, bidirectional=True, dtype=cr.float64)
    x = cr.randn(4, 2, INPUT, dtype=cr.float64, requires_grad=True)
    loss = layer(x)[0].pow(2).sum()
    loss.backward(retain_graph=True)
    once = [x.grad.numpy().copy()] + [p.grad.numpy().copy() for p in layer.parameters()]
    loss.backward()
    twice = [x.grad.numpy()] + [p.grad.numpy() for p in layer.parameters()]
    for a, b in zip(once, twice):
        np.testing.assert_allclose(b, 2 * a, rtol=1e-12)
