"""nn.init: gains and fans as PyTorch computes them, distributions checked statistically."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import Parameter, init


@pytest.mark.parametrize("nonlinearity,param", [
    ("linear", None), ("conv2d", None), ("conv_transpose3d", None), ("sigmoid", None),
    ("tanh", None), ("relu", None), ("leaky_relu", None), ("leaky_relu", 0.2),
    ("leaky_relu", 0), ("leaky_relu", math.sqrt(5)), ("selu", None)])
def test_calculate_gain_equals_pytorch(nonlinearity, param):
    assert init.calculate_gain(nonlinearity, param) == pytest.approx(
        torch.nn.init.calculate_gain(nonlinearity, param), rel=1e-15)


def test_calculate_gain_rejects_unknown():
    with pytest.raises(ValueError, match="unsupported nonlinearity 'gelu'"):
        init.calculate_gain("gelu")
    with pytest.raises(ValueError, match="not a number"):
        init.calculate_gain("leaky_relu", True)


@pytest.mark.parametrize("shape", [(3, 4), (8, 3, 5, 5), (6, 2, 3), (4, 2, 1, 3, 2), (5, 0)])
def test_fans_equal_pytorch(shape):
    assert init._calculate_fan_in_and_fan_out(cr.zeros(*shape)) == \
        torch.nn.init._calculate_fan_in_and_fan_out(torch.zeros(*shape))


def test_fans_need_two_dimensions():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init._calculate_fan_in_and_fan_out(cr.zeros(5))


def test_uniform_stays_in_bounds():
    t = init.uniform_(cr.empty(200, 500), -2.0, 3.0)
    values = t.numpy()
    assert values.min() >= -2.0 and values.max() < 3.0
    assert values.min() < -1.99 and values.max() > 2.99
    assert values.mean() == pytest.approx(0.5, abs=0.02)


def test_normal_has_the_asked_moments():
    values = init.normal_(cr.empty(400, 500, dtype=cr.float64), mean=1.5, std=0.3).numpy()
    assert values.mean() == pytest.approx(1.5, abs=0.003)
    assert values.std() == pytest.approx(0.3, rel=0.01)


def test_constants():
    t = cr.empty(2, 3)
    assert init.constant_(t, 0.25).tolist() == [[0.25] * 3] * 2
    assert init.zeros_(t).tolist() == [[0.0] * 3] * 2
    assert init.ones_(t).tolist() == [[1.0] * 3] * 2
    assert init.eye_(t).tolist() == [[1, 0, 0], [0, 1, 0]]


def sample_std(fn, shape, **kw):
    t = cr.empty(*shape, dtype=cr.float64)
    fn(t, **kw)
    return t.numpy().std()


def torch_std(name, shape, **kw):
    t = torch.empty(*shape, dtype=torch.float64)
    getattr(torch.nn.init, name)(t, **kw)
    return t.std().item()


@pytest.mark.parametrize("name,shape,kw", [
    ("xavier_uniform_", (300, 400), {}),
    ("xavier_uniform_", (64, 32, 3, 3), {"gain": 2.0}),
    ("xavier_normal_", (300, 400), {"gain": init.calculate_gain("tanh")}),
    ("kaiming_uniform_", (400, 300), {}),
    ("kaiming_uniform_", (300, 400), {"a": math.sqrt(5)}),
    ("kaiming_uniform_", (64, 32, 3, 3), {"mode": "fan_out", "nonlinearity": "relu"}),
    ("kaiming_normal_", (400, 300), {"nonlinearity": "relu"}),
    ("kaiming_normal_", (300, 400), {"a": 0.2, "mode": "fan_out"}),
    ("kaiming_normal_", (200, 50, 5), {"nonlinearity": "selu"}),
])
def test_scaled_inits_match_pytorchs_spread(name, shape, kw):
    """Both draw from the same distribution: sample standard deviations agree within 2%."""
    ours = sample_std(getattr(init, name), shape, **kw)
    assert ours == pytest.approx(torch_std(name, shape, **kw), rel=0.02)


@pytest.mark.parametrize("shape,kw", [((300, 400), {}), ((64, 32, 3, 3), {"a": math.sqrt(5)}),
                                      ((300, 400), {"mode": "fan_out", "nonlinearity": "relu"})])
def test_kaiming_uniform_bound(shape, kw):
    t = init.kaiming_uniform_(cr.empty(*shape), **kw)
    fan_in, fan_out = init._calculate_fan_in_and_fan_out(t)
    fan = fan_out if kw.get("mode") == "fan_out" else fan_in
    gain = init.calculate_gain(kw.get("nonlinearity", "leaky_relu"), kw.get("a", 0))
    bound = math.sqrt(3) * gain / math.sqrt(fan)
    assert np.abs(t.numpy()).max() <= bound
    assert np.abs(t.numpy()).max() > 0.99 * bound


def test_xavier_uniform_bound():
    t = init.xavier_uniform_(cr.empty(50, 30, 2, 2), gain=1.5)
    bound = 1.5 * math.sqrt(6 / (30 * 4 + 50 * 4))
    assert bound * 0.99 < np.abs(t.numpy()).max() <= bound


def test_bad_mode():
    with pytest.raises(ValueError, match="'fan_in' or 'fan_out'"):
        init.kaiming_normal_(cr.empty(3, 3), mode="fan_avg")


@pytest.mark.parametrize("shape", [(5, 5), (3, 8), (8, 3), (4, 2, 3, 3), (6, 2, 2)])
def test_orthogonal(shape):
    t = init.orthogonal_(cr.empty(*shape, dtype=cr.float64), gain=2.0)
    w = t.numpy().reshape(shape[0], -1) / 2.0
    small = min(w.shape)
    product = w @ w.T if w.shape[0] == small else w.T @ w
    np.testing.assert_allclose(product, np.eye(small), atol=1e-12)


def test_orthogonal_needs_a_matrix():
    with pytest.raises(ValueError, match="at least 2 dimensions"):
        init.orthogonal_(cr.empty(4))


def test_inits_work_in_place_on_parameters_without_a_graph():
    p = Parameter(cr.zeros(20, 10))
    array, version = p.array, p._version
    out = init.kaiming_uniform_(p, a=math.sqrt(5))
    assert out is p and p.array is array and p.dtype == cr.float32
    assert p.grad_fn is None and p.requires_grad and p._version > version
    assert np.abs(p.numpy()).max() > 0


def test_inits_use_the_seeded_generator():
    cr.manual_seed(3)
    a = init.xavier_normal_(cr.empty(4, 4)).numpy().copy()
    cr.manual_seed(3)
    b = init.xavier_normal_(cr.empty(4, 4)).numpy()
    np.testing.assert_array_equal(a, b)


def test_empty_tensor_warns():
    with pytest.warns(UserWarning, match="zero-element"):
        init.kaiming_uniform_(cr.empty(0, 3))
