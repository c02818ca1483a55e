"""What the layers do beyond matching PyTorch's arithmetic: PyTorch's default initializations and
hyper-parameters, train/eval modes, names and reprs, and clear errors."""
import math
import warnings

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn


# ---- initialization ---------------------------------------------------------------------------
def assert_uniform(t, bound):
    """Values drawn from U(-bound, bound): inside it, spread over it, with its std."""
    values = t.numpy().ravel()
    assert np.abs(values).max() <= bound
    assert np.abs(values).max() > 0.9 * bound
    assert abs(values.std() - bound / math.sqrt(3)) < 0.1 * bound


@pytest.mark.parametrize("make,fan_in", [
    (lambda: nn.Linear(784, 800), 784),
    (lambda: nn.Conv2d(3, 64, 3), 27),
    (lambda: nn.Conv2d(8, 16, (3, 5), groups=4), 2 * 15),
    (lambda: nn.Conv1d(4, 32, 5), 20),
    (lambda: nn.ConvTranspose2d(16, 8, 3, groups=2), 4 * 9),  # PyTorch's fan_in: dim 1 * kernel
    (lambda: nn.Bilinear(20, 30, 40), 20),
])
def test_default_initialization_is_pytorchs(make, fan_in):
    """Kaiming-uniform with a = sqrt(5) (that is U(-1/sqrt(fan_in), 1/sqrt(fan_in))) for the
    weight and U(-1/sqrt(fan_in), 1/sqrt(fan_in)) for the bias."""
    layer = make()
    assert_uniform(layer.weight, 1 / math.sqrt(fan_in))
    assert np.abs(layer.bias.numpy()).max() <= 1 / math.sqrt(fan_in)


def test_linear_weight_is_out_by_in_and_float32():
    layer = nn.Linear(3, 5)
    assert layer.weight.shape == (5, 3) and layer.bias.shape == (5,)
    assert layer.weight.dtype == cr.float32 and layer.weight.requires_grad
    assert nn.Linear(3, 5, bias=False).bias is None
    assert [name for name, _ in nn.Linear(3, 5, bias=False).named_parameters()] == ["weight"]


def test_seeded_initialization_is_reproducible():
    cr.manual_seed(1)
    a = nn.Conv2d(2, 3, 3).weight.numpy().copy()
    cr.manual_seed(1)
    np.testing.assert_array_equal(a, nn.Conv2d(2, 3, 3).weight.numpy())


def test_normalization_defaults():
    bn = nn.BatchNorm2d(4)
    assert (bn.eps, bn.momentum) == (1e-5, 0.1)
    np.testing.assert_array_equal(bn.weight.numpy(), 1)
    np.testing.assert_array_equal(bn.bias.numpy(), 0)
    np.testing.assert_array_equal(bn.running_mean.numpy(), 0)
    np.testing.assert_array_equal(bn.running_var.numpy(), 1)
    assert bn.num_batches_tracked.dtype == cr.int64 and bn.num_batches_tracked.item() == 0
    assert not bn.running_mean.requires_grad
    assert nn.BatchNorm1d(4, affine=False).weight is None
    assert nn.BatchNorm1d(4, track_running_stats=False).running_mean is None
    assert nn.LayerNorm(3).eps == nn.GroupNorm(1, 3).eps == 1e-5


def test_embedding_init_is_standard_normal_with_a_zero_padding_row():
    layer = nn.Embedding(1000, 16, padding_idx=3)
    values = np.delete(layer.weight.numpy(), 3, axis=0)
    assert abs(values.mean()) < 0.02 and abs(values.std() - 1) < 0.02
    np.testing.assert_array_equal(layer.weight.numpy()[3], 0)


def test_embedding_from_pretrained():
    table = cr.randn(4, 2)
    frozen = nn.Embedding.from_pretrained(table)
    assert not frozen.weight.requires_grad and frozen.weight.array is table.array
    np.testing.assert_array_equal(frozen(cr.tensor([2])).numpy(), table.numpy()[[2]])
    assert nn.Embedding.from_pretrained(table, freeze=False).weight.requires_grad


# ---- modes ------------------------------------------------------------------------------------
def test_dropout_layers_follow_train_and_eval():
    x = cr.ones(4, 8, 5, 5)
    for layer in (nn.Dropout(0.5), nn.Dropout2d(0.5), nn.Dropout1d(0.5)):
        data = x if not isinstance(layer, nn.Dropout1d) else x.reshape(4, 8, 25)
        assert (layer(data).numpy() == 0).any()
        layer.eval()
        assert layer(data) is data


def test_batch_norm_train_and_eval_modes():
    bn = nn.BatchNorm1d(2)
    x = cr.tensor([[1.0, 10.0], [3.0, 30.0]])
    y = bn(x)
    np.testing.assert_allclose(y.numpy(), [[-1, -1], [1, 1]], atol=1e-4)  # batch statistics
    np.testing.assert_allclose(bn.running_mean.numpy(), [0.2, 2.0], rtol=1e-6)
    bn.eval()
    before = bn.running_mean.numpy().copy()
    bn(x)
    np.testing.assert_array_equal(bn.running_mean.numpy(), before)  # eval changes nothing
    assert bn.num_batches_tracked.item() == 1


def test_a_cnn_has_pytorchs_state_dict_keys():
    def make(m):
        return m.nn.Sequential(m.nn.Conv2d(1, 4, 3), m.nn.BatchNorm2d(4), m.nn.ReLU(),
                               m.nn.MaxPool2d(2), m.nn.Flatten(), m.nn.Linear(4 * 13 * 13, 10),
                               m.nn.LayerNorm(10), m.nn.Embedding(3, 2))
    ours, theirs = make(cr).state_dict(), make(torch).state_dict()
    assert list(ours) == list(theirs)
    assert all(ours[k].shape == tuple(theirs[k].shape) for k in ours)


# ---- reprs ------------------------------------------------------------------------------------
@pytest.mark.parametrize("make", [
    lambda m: m.nn.Linear(3, 4, bias=False), lambda m: m.nn.Bilinear(2, 3, 4),
    lambda m: m.nn.Conv2d(1, 4, 3, padding=1),
    lambda m: m.nn.Conv2d(2, 4, (3, 2), stride=2, groups=2, bias=False),
    lambda m: m.nn.Conv1d(1, 2, 3, padding="same", padding_mode="reflect"),
    lambda m: m.nn.ConvTranspose2d(4, 2, 3, stride=2, output_padding=1),
    lambda m: m.nn.MaxPool2d(2), lambda m: m.nn.AvgPool2d(3, 2, 1),
    lambda m: m.nn.AdaptiveAvgPool2d((2, 3)), lambda m: m.nn.BatchNorm2d(3, momentum=None),
    lambda m: m.nn.LayerNorm((2, 3)), lambda m: m.nn.LayerNorm(3, bias=False),
    lambda m: m.nn.GroupNorm(2, 4), lambda m: m.nn.BatchNorm1d(2, bias=False),
    lambda m: m.nn.Embedding(5, 2, padding_idx=1), lambda m: m.nn.Dropout(0.2),
    lambda m: m.nn.Flatten(), lambda m: m.nn.Unflatten(1, (2, 3)),
    lambda m: m.nn.Upsample(scale_factor=2), lambda m: m.nn.LeakyReLU(0.2),
    lambda m: m.nn.GELU(approximate="tanh"), lambda m: m.nn.Softplus(2.0),
    lambda m: m.nn.Softmax(dim=1), lambda m: m.nn.ReLU(), lambda m: m.nn.CrossEntropyLoss(),
])
def test_extra_repr_matches_pytorch(make):
    assert make(cr).extra_repr() == make(torch).extra_repr()


def test_softmax_without_dim_warns_and_picks_pytorchs_dim():
    x = np.random.default_rng(0).standard_normal((2, 3))
    with pytest.warns(UserWarning, match="no dim was given"):
        y = nn.Softmax()(cr.tensor(x))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        expected = torch.nn.Softmax()(torch.tensor(x))
    np.testing.assert_allclose(y.numpy(), expected.numpy(), rtol=1e-6)


# ---- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("call,message", [
    (lambda: nn.Conv2d(3, 4, 3, groups=2), "must both divide by groups"),
    (lambda: nn.Conv2d(3, 4, 3, padding_mode="mirror"), "padding_mode must be one of"),
    (lambda: nn.BatchNorm2d(3)(cr.zeros(2, 3)), "BatchNorm2d: expected a 4-D input"),
    (lambda: nn.BatchNorm1d(3)(cr.zeros(1, 3)), "more than one value per channel"),
    (lambda: nn.GroupNorm(3, 4), "must divide by num_groups"),
    (lambda: nn.Embedding(3, 2, padding_idx=3), "padding_idx 3 is out of range"),
    (lambda: nn.Dropout(2), "p is a probability"),
    (lambda: nn.Linear(4, 2)(cr.zeros(3, 5)), "has 5 features"),
    (lambda: nn.LayerNorm(4)(cr.zeros(3, 5)), "does not end with the normalized shape (4,)"),
])
def test_layer_errors(call, message):
    with pytest.raises(ValueError) as info:
        call()
    assert message in str(info.value)
