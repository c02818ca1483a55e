"""Recurrent layers and cells against their PyTorch twins in float64: the torch layer's
state_dict is loaded into ours (so names and shapes must match), then outputs, final states and
the gradients of inputs, initial states and every parameter are compared, over every option
combination, on padded, packed and unbatched input."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr

INPUT, HIDDEN, BATCH, STEPS = 3, 4, 3, 4
LAYERS = {"RNN_TANH": ("RNN", {"nonlinearity": "tanh"}),
          "RNN_RELU": ("RNN", {"nonlinearity": "relu"}),
          "LSTM": ("LSTM", {}), "GRU": ("GRU", {})}
MODE_PROJ = [(mode, 0) for mode in LAYERS] + [("LSTM", 2)]


def twins(name, *args, **options):
    """The torch layer `name`, and ours with its state_dict."""
    theirs = getattr(torch.nn, name)(*args, **options, dtype=torch.float64)
    ours = getattr(cr.nn, name)(*args, **options, dtype=cr.float64)
    state = theirs.state_dict()
    assert list(ours.state_dict()) == list(state), "state_dict keys differ from PyTorch's"
    ours.load_state_dict({k: v.numpy() for k, v in state.items()})
    return ours, theirs


def layer_twins(mode, proj_size=0, **options):
    name, extra = LAYERS[mode]
    if proj_size:
        extra = dict(extra, proj_size=proj_size)
    return twins(name, INPUT, HIDDEN, **extra, **options)


def flatten(result):
    """The tensors of a result: nested tuples, a PackedSequence standing for its data."""
    if hasattr(result, "batch_sizes"):
        return [result.data]
    if isinstance(result, (tuple, list)):
        return [t for part in result for t in flatten(part)]
    return [result]


def close(got, expected, what):
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=1e-9,
                               atol=1e-10, err_msg=what)


def compare(ours, theirs, call, *arrays):
    """call(layer, lib, leaves) runs a layer of lib (chainrule or torch) on leaves made from
    arrays; every output, and the gradients of the leaves and parameters of a random weighted
    sum of the outputs, must agree."""
    leaves = [cr.tensor(a, requires_grad=True) for a in arrays]
    tleaves = [torch.tensor(a, requires_grad=True) for a in arrays]
    got, expected = flatten(call(ours, cr, leaves)), flatten(call(theirs, torch, tleaves))
    assert len(got) == len(expected)
    rng = np.random.default_rng(1)
    weights = [rng.standard_normal(tuple(e.shape)) for e in expected]
    for k, (g, e) in enumerate(zip(got, expected)):
        assert tuple(g.shape) == tuple(e.shape), f"output {k}: {g.shape} != {tuple(e.shape)}"
        close(g, e, f"output {k}")
    sum((g * cr.tensor(w)).sum() for g, w in zip(got, weights)).backward()
    sum((e * torch.tensor(w)).sum() for e, w in zip(expected, weights)).backward()
    for k, (leaf, tleaf) in enumerate(zip(leaves, tleaves)):
        close(leaf.grad, tleaf.grad, f"gradient of input {k}")
    named = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        close(p.grad, named[name].grad, f"gradient of {name}")


def states(mode, rng, *batch, directions=1, layers=1, proj_size=0):
    """Random initial state arrays: [h0] or [h0, c0]."""
    h = rng.standard_normal((layers * directions, *batch, proj_size or HIDDEN))
    if mode != "LSTM":
        return [h]
    return [h, rng.standard_normal((layers * directions, *batch, HIDDEN))]


def with_state(mode, leaves):
    """The layer's hx argument from leaves [x, h0(, c0)]."""
    return tuple(leaves[1:]) if mode == "LSTM" else leaves[1]


@pytest.mark.parametrize("mode, proj_size", MODE_PROJ)
@pytest.mark.parametrize("num_layers", [1, 2])
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("bias", [True, False])
def test_layer_equals_pytorch(mode, proj_size, num_layers, bidirectional, batch_first, bias):
    ours, theirs = layer_twins(mode, proj_size, num_layers=num_layers, bias=bias,
                               batch_first=batch_first, bidirectional=bidirectional)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((BATCH, STEPS, INPUT) if batch_first else (STEPS, BATCH, INPUT))
    hx = states(mode, rng, BATCH, directions=1 + bidirectional, layers=num_layers,
                proj_size=proj_size)
    compare(ours, theirs, lambda m, lib, t: m(t[0], with_state(mode, t)), x, *hx)


@pytest.mark.parametrize("mode", LAYERS)
def test_missing_initial_state_starts_at_zero(mode):
    ours, theirs = layer_twins(mode, num_layers=2, bidirectional=True)
    x = np.random.default_rng(0).standard_normal((STEPS, BATCH, INPUT))
    compare(ours, theirs, lambda m, lib, t: m(t[0]), x)


@pytest.mark.parametrize("mode, proj_size", MODE_PROJ)
@pytest.mark.parametrize("given_state", [False, True])
def test_unbatched_input(mode, proj_size, given_state):
    ours, theirs = layer_twins(mode, proj_size, num_layers=2, bidirectional=True)
    rng = np.random.default_rng(0)
    hx = states(mode, rng, directions=2, layers=2, proj_size=proj_size) if given_state else []
    call = (lambda m, lib, t: m(t[0], with_state(mode, t) if given_state else None))
    compare(ours, theirs, call, rng.standard_normal((STEPS, INPUT)), *hx)


@pytest.mark.parametrize("mode, proj_size", MODE_PROJ)
@pytest.mark.parametrize("bidirectional", [False, True])
@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_packed_batch(mode, proj_size, bidirectional, enforce_sorted):
    """Outputs packed as the input, final states per sequence (in the caller's batch order)."""
    lengths = [5, 3, 2, 1] if enforce_sorted else [2, 5, 1, 3]
    ours, theirs = layer_twins(mode, proj_size, num_layers=2, bidirectional=bidirectional)
    rng = np.random.default_rng(0)
    x = rng.standard_normal((5, len(lengths), INPUT))
    hx = states(mode, rng, len(lengths), directions=1 + bidirectional, layers=2,
                proj_size=proj_size)

    def call(m, lib, t):
        packed = lib.nn.utils.rnn.pack_padded_sequence(t[0], lengths,
                                                        enforce_sorted=enforce_sorted)
        output, state = m(packed, with_state(mode, t))
        assert output.batch_sizes.tolist() == packed.batch_sizes.tolist()
        padded, _ = lib.nn.utils.rnn.pad_packed_sequence(output, batch_first=True)
        return output, padded, state

    compare(ours, theirs, call, x, *hx)


def test_packed_batch_without_initial_state():
    ours, theirs = layer_twins("GRU", bidirectional=True)
    rng = np.random.default_rng(0)
    lengths = [3, 1, 4]

    def call(m, lib, t):
        return m(lib.nn.utils.rnn.pack_sequence([s[:n] for s, n in zip(t, lengths)],
                                                enforce_sorted=False))

    compare(ours, theirs, call, *(rng.standard_normal((4, INPUT)) for _ in lengths))


@pytest.mark.parametrize("mode", LAYERS)
def test_dropout_acts_between_layers_in_training_only(mode):
    """p = 1 drops all of layer 1's output (deterministic, so comparable); eval ignores it."""
    x = np.random.default_rng(0).standard_normal((STEPS, BATCH, INPUT))
    for training, p in ((True, 1.0), (False, 0.5)):
        ours, theirs = layer_twins(mode, num_layers=3, dropout=p, bidirectional=True)
        ours.train(training)
        theirs.train(training)
        compare(ours, theirs, lambda m, lib, t: m(t[0]), x)


@pytest.mark.parametrize("mode, proj_size", MODE_PROJ)
def test_double_backward(mode, proj_size):
    """Gradients of a function of the first gradients (backprop through backprop through
    time), for the input and the recurrent weights, on the per-step path (the fused one is
    once differentiable, as cuDNN's is: tests/nn/test_rnn_fused.py)."""
    ours, theirs = layer_twins(mode, proj_size, bidirectional=True)
    x = np.random.default_rng(0).standard_normal((3, 2, INPUT))
    results = []
    for layer, lib in ((ours, cr), (theirs, torch)):
        t = lib.tensor(x, requires_grad=True)
        w = layer.weight_hh_l0
        with lib.backends.cudnn.flags(enabled=False):
            (gx, gw) = lib.autograd.grad(layer(t)[0].pow(2).sum(), (t, w), create_graph=True)
        (gx.pow(2).sum() + gw.pow(2).sum()).backward()
        results.append((gx, gw, t.grad, w.grad))
    for k, (got, expected) in enumerate(zip(*results)):
        close(got, expected, f"result {k}")


@pytest.mark.parametrize("name, options", [("RNNCell", {}), ("RNNCell", {"nonlinearity": "relu"}),
                                           ("LSTMCell", {}), ("GRUCell", {})])
@pytest.mark.parametrize("bias", [True, False])
@pytest.mark.parametrize("batch", [(2,), ()])
@pytest.mark.parametrize("given_state", [True, False])
def test_cells_equal_pytorch(name, options, bias, batch, given_state):
    ours, theirs = twins(name, INPUT, HIDDEN, bias=bias, **options)
    assert ours.extra_repr() == theirs.extra_repr()
    rng = np.random.default_rng(0)
    mode = "LSTM" if name == "LSTMCell" else "RNN_TANH"
    hx = [h[0] for h in states(mode, rng, *batch)] if given_state else []

    def call(m, lib, t):
        # Two steps, so the state a step returns is fed back in.
        state = with_state(mode, t) if given_state else None
        for _ in range(2):
            state = m(t[0], state)
        return state

    compare(ours, theirs, call, rng.standard_normal((*batch, INPUT)), *hx)


@pytest.mark.parametrize("mode, proj_size", MODE_PROJ)
def test_parameters_are_drawn_within_the_pytorch_bound(mode, proj_size):
    name, extra = LAYERS[mode]
    if proj_size:
        extra = dict(extra, proj_size=proj_size)
    layer = getattr(cr.nn, name)(INPUT, 9, 2, bidirectional=True, **extra)
    reference = getattr(torch.nn, name)(INPUT, 9, 2, bidirectional=True, **extra)
    assert [(n, tuple(p.shape)) for n, p in layer.named_parameters()] == \
        [(n, tuple(p.shape)) for n, p in reference.named_parameters()]
    values = np.concatenate([p.numpy().ravel() for p in layer.parameters()])
    assert np.abs(values).max() <= 1 / math.sqrt(9)
    assert values.std() > 0.5 / math.sqrt(9) / math.sqrt(3)  # spread over the range, not zeros
    assert layer.extra_repr() == reference.extra_repr()
    assert len(layer.all_weights) == len(reference.all_weights) == 4


def test_errors_name_the_layer_and_the_shapes():
    lstm = cr.nn.LSTM(INPUT, HIDDEN, 2)
    with pytest.raises(ValueError, match=r"LSTM: expected input of size 3.*got 5"):
        lstm(cr.zeros(STEPS, BATCH, 5))
    with pytest.raises(ValueError, match=r"LSTM: expected h_0 of shape \(2, 3, 4\), got"):
        lstm(cr.zeros(STEPS, BATCH, INPUT),
             (cr.zeros(1, BATCH, HIDDEN), cr.zeros(2, BATCH, HIDDEN)))
    with pytest.raises(TypeError, match=r"LSTM: the initial state must be a tuple"):
        lstm(cr.zeros(STEPS, BATCH, INPUT), cr.zeros(2, BATCH, HIDDEN))
    with pytest.raises(ValueError, match=r"GRU: expected a 2-D \(unbatched\) or 3-D input"):
        cr.nn.GRU(INPUT, HIDDEN)(cr.zeros(INPUT))
    with pytest.raises(ValueError, match=r"proj_size is only supported by LSTM"):
        cr.nn.RNNBase("GRU", INPUT, HIDDEN, proj_size=2)
    with pytest.raises(ValueError, match=r"proj_size must be smaller than hidden_size"):
        cr.nn.LSTM(INPUT, HIDDEN, proj_size=HIDDEN)
    with pytest.raises(ValueError, match=r"RNN: nonlinearity must be 'tanh' or 'relu'"):
        cr.nn.RNN(INPUT, HIDDEN, nonlinearity="sigmoid")
    with pytest.raises(ValueError, match=r"GRUCell: expected input of shape \(batch, 3\)"):
        cr.nn.GRUCell(INPUT, HIDDEN)(cr.zeros(2, 5))
    with pytest.warns(UserWarning, match="does nothing with num_layers=1"):
        cr.nn.GRU(INPUT, HIDDEN, dropout=0.5)
