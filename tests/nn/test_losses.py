"""Losses against PyTorch in float64: values, gradients, double backward and finite differences
(tests/opcheck.py), over reductions, class weights, ignore_index, label smoothing and
probability targets; stability at extreme logits; and the errors a learner meets first."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
from opcheck import check_op

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(7)


def loss_fn(name, *constants, **kwargs):
    """`F.name(input, [target,] **kwargs)` for both frameworks; `constants` (arrays, e.g. class
    indices) become tensors of the framework called, after the differentiable inputs."""
    def fn(m, *tensors):
        extra = [m.tensor(c) for c in constants]
        named = {k: m.tensor(v) if isinstance(v, np.ndarray) else v for k, v in kwargs.items()}
        return getattr(m.nn.functional, name)(*tensors, *extra, **named)
    fn.__name__ = name
    return fn


# ---- regression losses ------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("name,kwargs", [
    ("mse_loss", {}), ("l1_loss", {}), ("huber_loss", {}), ("huber_loss", {"delta": 0.5}),
    ("smooth_l1_loss", {}), ("smooth_l1_loss", {"beta": 0.3}), ("smooth_l1_loss", {"beta": 0.0}),
])
def test_regression_losses(name, kwargs, reduction):
    check_op(loss_fn(name, reduction=reduction, **kwargs), [(3, 4), (3, 4)])


def test_a_target_of_another_shape_is_an_error_not_a_broadcast():
    with pytest.raises(ValueError, match=r"mse_loss: the target of shape \(4,\) does not "
                                         r"match the input of shape \(4, 1\)"):
        nn.functional.mse_loss(cr.zeros(4, 1), cr.zeros(4))


# ---- cross-entropy and NLL --------------------------------------------------------------------
def classes(shape, n_classes, ignore=None):
    t = rng.integers(0, n_classes, shape)
    if ignore is not None:
        t.reshape(-1)[::3] = ignore
    return t


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_with_class_indices(reduction, weighted, smoothing):
    kwargs = dict(reduction=reduction, label_smoothing=smoothing)
    if weighted:
        kwargs["weight"] = rng.uniform(0.2, 2.0, 4)
    check_op(loss_fn("cross_entropy", classes(5, 4, ignore=-100), **kwargs), [(5, 4)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_cross_entropy_over_spatial_dims_with_ignore_index(reduction):
    """(N, C, d1, d2) logits against (N, d1, d2) classes, some ignored; weighted mean."""
    check_op(loss_fn("cross_entropy", classes((2, 2, 3), 3, ignore=1), ignore_index=1,
                     weight=np.array([0.5, 2.0, 1.5]), reduction=reduction,
                     label_smoothing=0.1), [(2, 3, 2, 3)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("smoothing", [0.0, 0.3])
def test_cross_entropy_with_class_probabilities(reduction, smoothing):
    p = rng.uniform(0, 1, (4, 3))
    check_op(loss_fn("cross_entropy", p / p.sum(1, keepdims=True), reduction=reduction,
                     label_smoothing=smoothing, weight=np.array([1.0, 0.5, 2.0])), [(4, 3)])


def test_cross_entropy_of_one_unbatched_sample():
    check_op(loss_fn("cross_entropy", np.array(2)), [(5,)])
    check_op(loss_fn("cross_entropy", np.array(2), reduction="none"), [(5,)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_nll_loss(reduction):
    check_op(loss_fn("nll_loss", classes((3, 2), 4, ignore=-100), reduction=reduction,
                     weight=rng.uniform(0.5, 2, 4)), [(3, 4, 2)])


def test_cross_entropy_is_finite_at_extreme_logits():
    logits = np.array([[1e4, -1e4, 0.0], [-1e4, -1e4, 1e4], [0.0, 1e4, 1e4]])
    target = np.array([1, 2, 0])
    ours = cr.tensor(logits, requires_grad=True)
    theirs = torch.tensor(logits, requires_grad=True)
    loss = nn.functional.cross_entropy(ours, cr.tensor(target), label_smoothing=0.1)
    expected = torch.nn.functional.cross_entropy(theirs, torch.tensor(target),
                                                 label_smoothing=0.1)
    loss.backward()
    expected.backward()
    assert np.isfinite(loss.item()) and np.all(np.isfinite(ours.grad.numpy()))
    np.testing.assert_allclose(loss.item(), expected.item(), rtol=1e-12)
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-12)


def test_cross_entropy_weighted_mean_divides_by_the_weights():
    """With class weights, 'mean' is sum(w[t] * loss) / sum(w[t]), not a plain mean."""
    logits, target, w = cr.zeros(2, 2), cr.tensor([0, 1]), cr.tensor([1.0, 3.0])
    # both losses equal log 2; weighted mean = (1 + 3) log 2 / (1 + 3) = log 2
    assert abs(nn.functional.cross_entropy(logits, target, weight=w).item() - np.log(2)) < 1e-6
    assert abs(nn.functional.cross_entropy(logits, target, weight=w, reduction="sum").item()
               - 4 * np.log(2)) < 1e-6


@pytest.mark.parametrize("target,message", [
    (cr.tensor([1, 12, 3]), "cross_entropy: target class 12 is out of range for 10 classes"),
    (cr.tensor([1, -3, 3]), "cross_entropy: target class -3 is out of range for 10 classes"),
    (cr.tensor([[1], [2], [3]]), "expected a target of shape (3,)"),
    (cr.tensor([1.0, 2.0, 3.0]), "probabilities, which must have the input's shape (3, 10), "
                                 "got (3,); class indices need an integer target"),
])
def test_cross_entropy_errors(target, message):
    with pytest.raises((IndexError, ValueError)) as info:
        nn.functional.cross_entropy(cr.zeros(3, 10), target)
    assert message in str(info.value)


def test_nll_loss_error_names_the_function():
    with pytest.raises(IndexError, match="nll_loss: target class 5 is out of range for 5"):
        nn.functional.nll_loss(cr.zeros(2, 5), cr.tensor([0, 5]))


# ---- binary cross-entropy ---------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_binary_cross_entropy(reduction, weighted):
    kwargs = {"weight": rng.uniform(0.5, 2, (3, 4))} if weighted else {}
    check_op(loss_fn("binary_cross_entropy", reduction=reduction, **kwargs), [(3, 4), (3, 4)],
             low=0.05, high=0.95)


def test_binary_cross_entropy_at_zero_and_one_is_bounded_like_torch():
    x, t = np.array([0.0, 1.0, 0.0, 1.0, 0.5]), np.array([1.0, 0.0, 0.0, 1.0, 1.0])
    ours = cr.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    loss = nn.functional.binary_cross_entropy(ours, cr.tensor(t), reduction="sum")
    expected = torch.nn.functional.binary_cross_entropy(theirs, torch.tensor(t),
                                                        reduction="sum")
    loss.backward()
    expected.backward()
    np.testing.assert_allclose(loss.item(), expected.item())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


def test_binary_cross_entropy_rejects_values_outside_0_1():
    with pytest.raises(ValueError, match="probabilities in \\[0, 1\\]"):
        nn.functional.binary_cross_entropy(cr.tensor([1.5]), cr.tensor([1.0]))


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("options", [{}, {"pos_weight": np.array([0.5, 2.0, 3.0])},
                                     {"weight": np.array([1.0, 0.0, 2.0]),
                                      "pos_weight": np.array([2.0, 1.0, 0.5])}])
def test_binary_cross_entropy_with_logits(reduction, options):
    check_op(loss_fn("binary_cross_entropy_with_logits", reduction=reduction, **options),
             [(4, 3), (4, 3)], low=-3, high=3)


def test_binary_cross_entropy_with_logits_is_finite_at_extreme_logits():
    x = np.array([1e4, -1e4, 1e4, -1e4, 0.0])
    t = np.array([0.0, 1.0, 1.0, 0.0, 1.0])
    ours = cr.tensor(x, requires_grad=True)
    theirs = torch.tensor(x, requires_grad=True)
    loss = nn.functional.binary_cross_entropy_with_logits(ours, cr.tensor(t), reduction="none")
    expected = torch.nn.functional.binary_cross_entropy_with_logits(
        theirs, torch.tensor(t), reduction="none")
    loss.sum().backward()
    expected.sum().backward()
    np.testing.assert_allclose(loss.numpy(), expected.detach().numpy())
    np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy())


# ---- KL divergence ----------------------------------------------------------------------------
@pytest.mark.filterwarnings("ignore:reduction. 'mean' divides")  # torch's advice on 'mean'
@pytest.mark.parametrize("reduction", REDUCTIONS + ["batchmean"])
@pytest.mark.parametrize("log_target", [False, True])
def test_kl_div(reduction, log_target):
    check_op(loss_fn("kl_div", reduction=reduction, log_target=log_target), [(3, 4), (3, 4)],
             low=0.05, high=1.0)


def test_kl_div_with_zero_target_probabilities():
    """0 log 0 counts as 0: the value and the input gradient stay finite and match torch."""
    logq = np.log(np.array([[0.2, 0.3, 0.5], [0.6, 0.3, 0.1]]))
    p = np.array([[0.0, 0.4, 0.6], [1.0, 0.0, 0.0]])
    check_op(loss_fn("kl_div", p, reduction="batchmean"), [], inputs=[logq],
             finite_differences=True)


# ---- the loss layers --------------------------------------------------------------------------
@pytest.mark.parametrize("make,target", [
    (lambda m: m.nn.CrossEntropyLoss(weight=m.tensor(np.array([1.0, 2.0, 0.5])), ignore_index=0,
                                     label_smoothing=0.1), classes(6, 3)),
    (lambda m: m.nn.NLLLoss(weight=m.tensor(np.array([1.0, 2.0, 0.5])), reduction="sum"), classes(6, 3)),
    (lambda m: m.nn.MSELoss(reduction="sum"), None),
    (lambda m: m.nn.L1Loss(), None),
    (lambda m: m.nn.HuberLoss(delta=0.3), None),
    (lambda m: m.nn.SmoothL1Loss(beta=0.5, reduction="none"), None),
    (lambda m: m.nn.BCEWithLogitsLoss(pos_weight=m.tensor(np.array([2.0, 1.0, 0.5]))), None),
    (lambda m: m.nn.KLDivLoss(reduction="batchmean", log_target=True), None),
])
def test_loss_layers_match_torch(make, target):
    x = rng.standard_normal((6, 3))
    t = target if target is not None else rng.uniform(0, 1, (6, 3))
    ours = make(cr)(cr.tensor(x), cr.tensor(t))
    theirs = make(torch)(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-12, atol=1e-12)


def test_bce_loss_layer_and_weight_buffers():
    x, t = rng.uniform(0.1, 0.9, (4, 2)), rng.uniform(0, 1, (4, 2))
    w = np.array([0.5, 2.0])
    ours = nn.BCELoss(weight=cr.tensor(w))(cr.tensor(x), cr.tensor(t))
    theirs = torch.nn.BCELoss(weight=torch.tensor(w))(torch.tensor(x), torch.tensor(t))
    np.testing.assert_allclose(ours.item(), theirs.item())
    layer = nn.CrossEntropyLoss(weight=cr.tensor(w))
    assert list(layer.state_dict()) == list(torch.nn.CrossEntropyLoss(
        weight=torch.tensor(w)).state_dict()) == ["weight"]


def test_unknown_reduction_is_an_error():
    with pytest.raises(ValueError, match="reduction must be one of 'none', 'mean', 'sum'"):
        nn.MSELoss(reduction="avg")
