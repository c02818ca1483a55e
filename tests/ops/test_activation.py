"""Activations: forward, backward and double backward against PyTorch (float64) and finite
differences; finite values and gradients at extreme inputs; methods and dtypes."""
import numpy as np
import pytest
import torch
import torch.nn.functional as F

import chainrule as cr
from opcheck import check_op

SHAPES = [(3, 4), (), (0, 3), (2, 1, 3)]

# name: (chainrule, torch, sample options)
ACTIVATIONS = {
    "relu": (lambda x: cr.relu(x), torch.relu, {"away_from": 0.0}),
    "x.relu()": (lambda x: x.relu(), lambda x: x.relu(), {"away_from": 0.0}),
    "sigmoid": (lambda x: x.sigmoid(), torch.sigmoid, {}),
    "tanh": (lambda x: x.tanh(), torch.tanh, {}),
    "leaky_relu": (lambda x: cr.leaky_relu(x), F.leaky_relu, {"away_from": 0.0}),
    "leaky_relu 0.2": (lambda x: cr.leaky_relu(x, 0.2), lambda x: F.leaky_relu(x, 0.2),
                       {"away_from": 0.0}),
    "elu": (lambda x: cr.elu(x), F.elu, {"away_from": 0.0}),
    "elu 0.5": (lambda x: cr.elu(x, alpha=0.5), lambda x: F.elu(x, alpha=0.5),
                {"away_from": 0.0}),
    "gelu": (lambda x: cr.gelu(x), F.gelu, {"low": -4.0, "high": 4.0}),
    "gelu tanh": (lambda x: cr.gelu(x, approximate="tanh"),
                  lambda x: F.gelu(x, approximate="tanh"), {"low": -4.0, "high": 4.0}),
    "silu": (lambda x: cr.silu(x), F.silu, {"low": -4.0, "high": 4.0}),
    "softplus": (lambda x: cr.softplus(x), F.softplus, {"low": -4.0, "high": 4.0}),
    # beta x crosses the threshold inside the sampled range: both branches are exercised
    "softplus beta 2 threshold 1": (lambda x: cr.softplus(x, beta=2.0, threshold=1.0),
                                    lambda x: F.softplus(x, beta=2.0, threshold=1.0),
                                    {"away_from": 0.5}),
    "softplus beta 0.5": (lambda x: cr.softplus(x, beta=0.5), lambda x: F.softplus(x, beta=0.5),
                          {"low": -4.0, "high": 4.0}),
}


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_activation(name, shape):
    ours, theirs, options = ACTIVATIONS[name]
    check_op(lambda m, x: (ours if m is cr else theirs)(x), [shape], name=name, **options)


@pytest.mark.parametrize("name", sorted(ACTIVATIONS))
def test_extreme_inputs_give_finite_values_and_gradients(name):
    """+-1e4 (and +-100, where float32 exponentials already overflow) as torch gives them."""
    ours, theirs, _ = ACTIVATIONS[name]
    values = np.array([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4])
    check_op(lambda m, x: (ours if m is cr else theirs)(x), None, inputs=[values],
             finite_differences=False, name=name)
    for dtype in (cr.float32, cr.float64):
        x = cr.tensor(values, dtype=dtype, requires_grad=True)
        y = ours(x)
        g, = cr.grad(y.sum(), [x], create_graph=True)
        assert y.dtype == dtype and g.dtype == dtype
        # relu's family has no second derivative to take (it is zero): g is then a constant
        gg, = cr.grad(g.sum(), [x], allow_unused=True) if g.requires_grad else (None,)
        for t in (y, g) + ((gg,) if gg is not None else ()):
            assert np.all(np.isfinite(t.numpy())), f"{name} {dtype}: {t}"


def test_relu_gradient_at_zero_is_zero_like_torch():
    check_op(lambda m, x: m.relu(x), None, inputs=[np.array([-1.0, 0.0, 2.0])],
             finite_differences=False)


def test_hot_activations_are_single_ops_with_cheap_backward():
    x = cr.randn(4, 5, requires_grad=True)
    for f, op in ((cr.relu, "ReLU"), (cr.sigmoid, "Sigmoid"), (cr.tanh, "Tanh")):
        y = f(x)
        assert y.grad_fn.name == op
        assert y.grad_fn.next_edges[0][0] is x  # nothing in between


def test_dtypes():
    ints = cr.tensor([-2, 0, 3])
    assert cr.relu(ints).dtype == cr.int64 and cr.relu(ints).tolist() == [0, 0, 3]
    for f in (cr.sigmoid, cr.tanh, cr.gelu, cr.silu, cr.softplus, cr.elu):
        assert f(ints).dtype == cr.float32
    half = cr.tensor([-1.0, 2.0], dtype=cr.float16)
    for f in (cr.relu, cr.sigmoid, cr.tanh, cr.gelu, cr.silu, cr.softplus, cr.elu,
              cr.leaky_relu):
        assert f(half).dtype == cr.float16


def test_gelu_rejects_unknown_approximation():
    with pytest.raises(ValueError, match="gelu: approximate must be 'none' or 'tanh'"):
        cr.gelu(cr.ones(2), approximate="fast")
