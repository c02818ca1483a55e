"""nn.functional against PyTorch in float64 (tests/opcheck.py: forward, backward, double
backward, finite differences), and the behaviour of the random and stateful functions."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
from opcheck import check_op

F = nn.functional


def functional(name, *constants, **kwargs):
    """F.name(*tensors, *constants, **kwargs) in either framework; numpy constants become the
    framework's tensors."""
    def fn(m, *tensors):
        extra = [m.tensor(c) for c in constants]
        return getattr(m.nn.functional, name)(*tensors, *extra, **kwargs)
    fn.__name__ = name
    return fn


# ---- linear maps ------------------------------------------------------------------------------
@pytest.mark.parametrize("shapes", [[(4, 3), (5, 3), (5,)], [(2, 3, 3), (2, 3)],
                                    [(3,), (2, 3), (2,)]])
def test_linear(shapes):
    check_op(functional("linear"), shapes)


def test_bilinear():
    check_op(functional("bilinear"), [(2, 3, 2), (2, 3, 4), (5, 2, 4), (5,)])


def test_linear_names_the_mismatch():
    with pytest.raises(ValueError, match=r"linear: the input of shape \(2, 3\) has 3 features"):
        F.linear(cr.zeros(2, 3), cr.zeros(5, 4))
    with pytest.raises(TypeError, match="linear: the input is float64 but the weight is float32"):
        F.linear(cr.zeros(2, 4, dtype=cr.float64), cr.zeros(5, 4))


# ---- interpolation ----------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(scale_factor=2), dict(size=(5, 7)), dict(scale_factor=1.5), dict(size=(2, 3)),
    dict(scale_factor=(3, 0.5)), dict(size=(5, 7), mode="nearest-exact"),
    dict(scale_factor=2, mode="bilinear"), dict(size=(5, 3), mode="bilinear"),
    dict(size=(5, 7), mode="bilinear", align_corners=True),
    dict(scale_factor=1.7, mode="bilinear", align_corners=False),
])
def test_interpolate(kwargs):
    check_op(functional("interpolate", **kwargs), [(2, 2, 3, 4)])


def test_interpolate_1d():
    check_op(functional("interpolate", scale_factor=3), [(2, 2, 5)])
    check_op(functional("interpolate", size=8, mode="linear"), [(2, 2, 5)])


def test_interpolate_argument_errors():
    with pytest.raises(ValueError, match="exactly one of size and scale_factor"):
        F.interpolate(cr.zeros(1, 1, 2, 2))
    with pytest.raises(ValueError, match="mode 'bilinear' expects 4-D input"):
        F.interpolate(cr.zeros(1, 1, 2), size=4, mode="bilinear")


# ---- dropout ----------------------------------------------------------------------------------
@pytest.mark.parametrize("p", [0.2, 0.5, 0.9])
def test_dropout_zeroes_a_fraction_p_and_keeps_the_mean(p):
    x = cr.ones(200_000, requires_grad=True)
    y = F.dropout(x, p)
    kept = y.numpy() != 0
    assert abs(1 - kept.mean() - p) < 0.01
    np.testing.assert_allclose(y.numpy()[kept], 1 / (1 - p), rtol=1e-6)
    y.sum().backward()  # the gradient passes exactly where the value did, scaled alike
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())


def test_dropout_is_the_identity_in_eval_and_for_p_0():
    x = cr.randn(3, 4)
    assert F.dropout(x, 0.5, training=False) is x and F.dropout(x, 0.0) is x
    assert not F.dropout(x, 1.0).numpy().any()
    with pytest.raises(ValueError, match="p is a probability"):
        F.dropout(x, 1.5)


def test_dropout_draws_from_the_seeded_generator():
    cr.manual_seed(3)
    a = F.dropout(cr.ones(100)).numpy()
    cr.manual_seed(3)
    np.testing.assert_array_equal(a, F.dropout(cr.ones(100)).numpy())


@pytest.mark.parametrize("fn,shape", [(F.dropout2d, (64, 32, 3, 3)), (F.dropout2d, (64, 3, 3)),
                                      (F.dropout1d, (64, 32, 5))])
def test_channel_dropout_zeroes_whole_channels(fn, shape):
    y = fn(cr.ones(*shape), 0.5).numpy()
    flat = y.reshape(shape[0] * shape[1], -1) if len(shape) == 4 or fn is F.dropout1d \
        else y.reshape(shape[0], -1)
    assert np.all((flat == 0).all(1) | (flat == 2).all(1))  # each channel: all dropped or kept
    assert 0.4 < (flat[:, 0] == 0).mean() < 0.6


# ---- normalization ----------------------------------------------------------------------------
@pytest.mark.parametrize("shape", [(4, 3), (4, 3, 5), (2, 3, 4, 2)])
def test_batch_norm_training(shape):
    check_op(lambda m, x, w, b: m.nn.functional.batch_norm(x, None, None, w, b, training=True),
             [shape, (3,), (3,)], name="batch_norm")


def test_batch_norm_training_updates_the_running_statistics():
    """running = (1 - momentum) running + momentum batch, with the unbiased batch variance."""
    x = np.random.default_rng(0).standard_normal((5, 3, 2)) * 3 + 1
    stats = {m: (m.tensor(np.full(3, 0.5)), m.tensor(np.full(3, 2.0))) for m in (cr, torch)}
    for m in (cr, torch):
        m.nn.functional.batch_norm(m.tensor(x), *stats[m], training=True, momentum=0.3)
    for ours, theirs in zip(stats[cr], stats[torch]):
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12)
    assert not np.allclose(stats[cr][0].numpy(), 0.5)


def test_batch_norm_evaluation_uses_the_running_statistics():
    mean, var = np.array([0.5, -1.0]), np.array([2.0, 0.5])
    check_op(functional("batch_norm", mean, var, training=False, eps=1e-3), [(3, 2, 4)])


def test_layer_norm():
    check_op(lambda m, x, w, b: m.nn.functional.layer_norm(x, (3, 4), w, b),
             [(2, 3, 4), (3, 4), (3, 4)], name="layer_norm")
    check_op(functional("layer_norm", normalized_shape=[4]), [(3, 4)])


def test_group_norm():
    check_op(lambda m, x, w, b: m.nn.functional.group_norm(x, 2, w, b, eps=1e-3),
             [(2, 4, 3), (4,), (4,)], name="group_norm")


# ---- embedding and one_hot --------------------------------------------------------------------
@pytest.mark.parametrize("padding_idx", [None, 2, -1])
def test_embedding(padding_idx):
    idx = np.array([[0, 2, 4], [2, 2, 1]])
    # the padding row's gradient is zero by design, not the true derivative: compare with torch
    # only, without finite differences
    check_op(lambda m, w: m.nn.functional.embedding(m.tensor(idx), w, padding_idx=padding_idx),
             [(5, 3)], name="embedding", finite_differences=padding_idx is None)


def test_embedding_padding_row_gets_no_gradient():
    w = cr.randn(4, 3, requires_grad=True)
    F.embedding(cr.tensor([1, 3, 3, 0]), w, padding_idx=3).sum().backward()
    np.testing.assert_array_equal(w.grad.numpy()[:, 0], [1, 1, 0, 0])


def test_embedding_index_out_of_range():
    with pytest.raises(IndexError, match="embedding: index 7 is out of range for 5 embeddings"):
        F.embedding(cr.tensor([1, 7]), cr.zeros(5, 2))
    with pytest.raises(TypeError, match="integer indices"):
        F.embedding(cr.tensor([1.0]), cr.zeros(5, 2))


def test_one_hot():
    t = np.array([[0, 3], [2, 1]])
    ours, theirs = F.one_hot(cr.tensor(t)), torch.nn.functional.one_hot(torch.tensor(t))
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert ours.dtype == cr.int64 and F.one_hot(cr.tensor([1]), 5).shape == (1, 5)
    with pytest.raises(ValueError, match="one_hot: class 3 is out of range for 3 classes"):
        F.one_hot(cr.tensor([3]), 3)


# ---- re-exports -------------------------------------------------------------------------------
def test_activations_and_pad_are_chainrule_ops():
    for name in ("relu", "sigmoid", "tanh", "leaky_relu", "elu", "gelu", "silu", "softplus",
                 "softmax", "log_softmax", "logsumexp", "pad", "conv2d", "max_pool2d"):
        assert getattr(F, name) is getattr(cr, name), name
    assert set(F.__all__) <= set(dir(F))
