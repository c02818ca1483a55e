"""The activations added to nn.functional (relu6 ... prelu) against PyTorch in float64: values,
first and second derivatives, finite differences; their layers against the torch layers."""
import numpy as np
import pytest
import torch
import torch.nn.functional as torch_F

import chainrule as cr
import chainrule.nn.functional as F
from opcheck import check_op
from nn.test_layers_compare import compare

SHAPES = [(3, 4), (), (0, 3), (2, 1, 3)]

# name: (function of the functional module, kwargs, sample options); the same name in both
ELEMENTWISE = {
    "relu6": ({}, {"low": -3.0, "high": 8.0, "away_from": 0.0}),
    "hardtanh": ({}, {"away_from": 1.0}),
    "hardtanh -0.5 1.5": ({"min_val": -0.5, "max_val": 1.5}, {"away_from": -0.5}),
    "hardswish": ({}, {"low": -5.0, "high": 5.0, "away_from": 3.0}),
    "hardsigmoid": ({}, {"low": -5.0, "high": 5.0, "away_from": 3.0}),
    "mish": ({}, {"low": -5.0, "high": 5.0}),
    "softsign": ({}, {"away_from": 0.0}),
    "threshold": ({"threshold": 0.5, "value": -2.0}, {"away_from": 0.5}),
    "celu": ({}, {"away_from": 0.0}),
    "celu 0.5": ({"alpha": 0.5}, {"away_from": 0.0}),
    "selu": ({}, {"away_from": 0.0}),
    "logsigmoid": ({}, {"low": -5.0, "high": 5.0}),
}


# torch has no second derivative of hardsigmoid; at 1e4 its second derivative of mish is NaN
NO_TORCH_SECOND = {"hardsigmoid": ("all",), "mish": ("extreme",)}


def _call(m, name, x):
    kwargs, _ = ELEMENTWISE[name]
    return getattr(F if m is cr else torch_F, name.split()[0])(x, **kwargs)


@pytest.mark.parametrize("shape", SHAPES, ids=str)
@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_elementwise(name, shape):
    check_op(lambda m, x: _call(m, name, x), [shape], name=name, **ELEMENTWISE[name][1],
             gradgrad="all" not in NO_TORCH_SECOND.get(name, ()))


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_extreme_inputs_give_finite_values_and_gradients(name):
    check_op(lambda m, x: _call(m, name, x), None, finite_differences=False, name=name,
             inputs=[np.array([-1e4, -100.0, -30.0, 30.0, 100.0, 1e4])],
             gradgrad=name not in NO_TORCH_SECOND)


@pytest.mark.parametrize("name", sorted(ELEMENTWISE))
def test_float32_in_float32_out_and_inplace_accepted(name):
    x = cr.tensor([-2.0, 0.5, 3.0])
    y = _call(cr, name, x)
    assert y.dtype == cr.float32
    if "inplace" in F.__dict__[name.split()[0]].__code__.co_varnames:
        kwargs = ELEMENTWISE[name][0]
        z = F.__dict__[name.split()[0]](x, inplace=True, **kwargs)
        np.testing.assert_array_equal(z.numpy(), y.numpy())


@pytest.mark.parametrize("shape, dim", [((3, 4), 1), ((2, 3, 4), 0), ((2, 3, 4), -1), ((5,), 0)])
def test_softmin(shape, dim):
    check_op(lambda m, x: m.nn.functional.softmin(x, dim), [shape], name="softmin")


def test_softmin_without_dim_warns_and_picks_pytorchs_dim():
    x = np.random.default_rng(0).standard_normal((2, 3))
    with pytest.warns(UserWarning, match="dim 1"):
        y = F.softmin(cr.tensor(x))
    with pytest.warns(UserWarning):
        expected = torch_F.softmin(torch.tensor(x))
    np.testing.assert_allclose(y.numpy(), expected.numpy())


@pytest.mark.parametrize("shape, dim", [((4, 6), -1), ((4, 6), 0), ((2, 4, 3), 1)])
def test_glu(shape, dim):
    check_op(lambda m, x: m.nn.functional.glu(x, dim), [shape], name="glu")


def test_glu_needs_an_even_dim():
    with pytest.raises(ValueError, match=r"glu: dim 1 must have an even size .* \(2, 3\)"):
        F.glu(cr.ones(2, 3), 1)


@pytest.mark.parametrize("x_shape, w_shape", [((4, 3), (3,)), ((2, 3, 5), (1,)), ((2, 3, 2, 2), (3,)),
                                              ((3,), (1,)), ((), (1,)), ((5, 1), (1,))])
def test_prelu(x_shape, w_shape):
    check_op(lambda m, x, w: m.nn.functional.prelu(x, w), [x_shape, w_shape], name="prelu",
             away_from=0.0)


def test_prelu_is_a_method_and_top_level_as_in_torch():
    x, w = cr.tensor([-1.0, 2.0]), cr.tensor([0.5])
    np.testing.assert_allclose(x.prelu(w).numpy(), cr.prelu(x, w).numpy())
    np.testing.assert_allclose(cr.prelu(x, w).numpy(),
                               torch.prelu(torch.tensor([-1.0, 2.0]), torch.tensor([0.5])).numpy())


def test_prelu_weight_must_match_the_channels():
    with pytest.raises(ValueError, match=r"prelu: expected a weight of 1 or 3 elements"):
        F.prelu(cr.ones(2, 3), cr.ones(2))
    with pytest.raises(ValueError, match=r"prelu: expected a weight of 1 elements"):
        F.prelu(cr.ones(3), cr.ones(3))  # a 1-D input has one channel, as in torch


def test_top_level_forms_match_torch():
    x = np.random.default_rng(1).standard_normal((3, 4))
    for ours, theirs in [(cr.selu(cr.tensor(x)), torch.selu(torch.tensor(x))),
                         (cr.celu(cr.tensor(x), 0.7), torch.celu(torch.tensor(x), 0.7)),
                         (cr.threshold(cr.tensor(x), 0.1, 5.0),
                          torch.threshold(torch.tensor(x), 0.1, 5.0))]:
        np.testing.assert_allclose(ours.numpy(), theirs.numpy())


def test_existing_activations_write_into_their_input_with_inplace():
    for name in ("relu", "leaky_relu", "elu", "silu"):
        x = cr.tensor([-1.0, 2.0])
        expected = getattr(F, name)(x).numpy()
        assert getattr(F, name)(x, inplace=True) is x
        np.testing.assert_allclose(x.numpy(), expected)


def test_bad_bounds_are_named():
    with pytest.raises(ValueError, match="hardtanh: min_val"):
        F.hardtanh(cr.ones(2), 2.0, 1.0)
    with pytest.raises(ValueError, match="celu: alpha"):
        F.celu(cr.ones(2), 0.0)


# ---- layers -----------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda m: m.nn.ReLU6(), lambda m: m.nn.Hardtanh(), lambda m: m.nn.Hardtanh(-2.0, 0.5),
    lambda m: m.nn.Hardswish(),
    lambda m: m.nn.Mish(), lambda m: m.nn.Softsign(), lambda m: m.nn.Softmin(dim=1),
    lambda m: m.nn.Threshold(0.1, 20.0), lambda m: m.nn.CELU(0.5), lambda m: m.nn.SELU(),
    lambda m: m.nn.GLU(), lambda m: m.nn.GLU(dim=0), lambda m: m.nn.LogSigmoid(),
    lambda m: m.nn.PReLU(), lambda m: m.nn.PReLU(3, init=0.1)])
def test_layer_matches_torch(make):
    compare(make, (2, 3, 4))


def test_hardsigmoid_layer_matches_torch():
    # torch's float64 gradient is g times a float32 1/6: equal to about 3e-8, relatively
    compare(lambda m: m.nn.Hardsigmoid(), (2, 3, 4), atol=1e-7)


@pytest.mark.parametrize("layer", ["ReLU6", "Hardswish", "Hardsigmoid", "Mish", "SELU", "CELU",
                                   "Hardtanh"])
def test_layers_write_into_their_input_with_inplace(layer):
    x = cr.randn(3, 4)
    expected = getattr(cr.nn, layer)()(x).numpy()
    assert getattr(cr.nn, layer)(inplace=True)(x) is x
    np.testing.assert_array_equal(x.numpy(), expected)


def test_prelu_layer_parameter():
    layer = cr.nn.PReLU(4, init=0.3)
    assert [name for name, _ in layer.named_parameters()] == ["weight"]
    assert layer.weight.shape == (4,)
    np.testing.assert_allclose(layer.weight.numpy(), np.full(4, 0.3, np.float32))
    layer.double()
    assert layer.weight.dtype == cr.float64
