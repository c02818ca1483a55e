"""The likelihood, margin, embedding and CTC losses against PyTorch in float64: values,
gradients, double backward and finite differences (tests/opcheck.py), over reductions and each
loss's options; the layers against their PyTorch twins; PyTorch's older size_average / reduce
flags; and the errors of bad calls."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
from opcheck import check_op

REDUCTIONS = ["none", "mean", "sum"]
rng = np.random.default_rng(11)
X = object()  # stands for the next differentiable input in `loss`'s arguments


def loss(name, *args, **kwargs):
    """`F.name(*args, **kwargs)` for both frameworks: each X in args takes the next
    differentiable input; arrays (in args or kwargs) become tensors of the framework called."""
    def fn(m, *tensors):
        inputs = iter(tensors)

        def value(a):
            return next(inputs) if a is X else m.tensor(a) if isinstance(a, np.ndarray) else a
        return getattr(m.nn.functional, name)(*map(value, args),
                                              **{k: value(v) for k, v in kwargs.items()})
    fn.__name__ = name
    return fn


def signs(shape):
    return rng.choice([-1.0, 1.0], shape)


# ---- likelihoods ------------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("log_input", [True, False])
@pytest.mark.parametrize("full", [False, True])
def test_poisson_nll_loss(reduction, log_input, full):
    counts = rng.integers(0, 5, (3, 4)).astype(float)
    low = -1.0 if log_input else 0.1
    check_op(loss("poisson_nll_loss", X, counts, log_input=log_input, full=full,
                  reduction=reduction), [(3, 4)], low=low, high=2.0)
    # a differentiable target, on both sides of the Stirling term's t > 1
    check_op(loss("poisson_nll_loss", X, X, log_input=log_input, full=full,
                  reduction=reduction), [(3, 4), (3, 4)], low=0.2, high=3.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("var_shape", [(4, 3), (4, 1), (1, 3), (4,)])
@pytest.mark.parametrize("full", [False, True])
def test_gaussian_nll_loss(reduction, var_shape, full):
    """var of the input's shape, with one dim of size 1, or without the last dim."""
    check_op(loss("gaussian_nll_loss", X, X, X, full=full, reduction=reduction),
             [], inputs=[rng.standard_normal((4, 3)), rng.standard_normal((4, 3)),
                         rng.uniform(0.2, 2.0, var_shape)])


def test_gaussian_nll_loss_with_one_variance_and_a_clamped_one():
    check_op(loss("gaussian_nll_loss", X, X, 0.7), [(5,), (5,)])
    # entries below eps are clamped, and their gradient passes the clamp as in PyTorch (which
    # is not the derivative of the clamped function, so no finite differences)
    var = np.array([1e-9, 0.5, 0.0, 2.0])
    check_op(loss("gaussian_nll_loss", X, X, X, eps=1e-3), [],
             inputs=[rng.standard_normal(4), rng.standard_normal(4), var],
             finite_differences=False)


# ---- margin and ranking losses ----------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.5])
def test_margin_ranking_loss(reduction, margin):
    check_op(loss("margin_ranking_loss", X, X, signs(6), margin=margin, reduction=reduction),
             [(6,), (6,)], away_from=None)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [1.0, 0.3])
def test_hinge_embedding_loss(reduction, margin):
    target = signs((3, 4))
    target[0, 0] = 0.5  # neither 1 nor -1: both terms, as in PyTorch
    check_op(loss("hinge_embedding_loss", X, target, margin=margin, reduction=reduction),
             [(3, 4)], low=-1.5, high=2.0)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_soft_margin_loss(reduction):
    check_op(loss("soft_margin_loss", X, signs((3, 4)), reduction=reduction), [(3, 4)])


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p,margin", [(1, 1.0), (2, 1.0), (1, 0.3), (2, 2.0)])
@pytest.mark.parametrize("weighted", [False, True])
def test_multi_margin_loss(reduction, p, margin, weighted):
    """(PyTorch has no second derivative of the margin losses to compare with.)"""
    kwargs = {"weight": rng.uniform(0.5, 2.0, 4)} if weighted else {}
    check_op(loss("multi_margin_loss", X, rng.integers(0, 4, 5), p=p, margin=margin,
                  reduction=reduction, **kwargs), [(5, 4)], gradgrad=False)


def test_multi_margin_loss_of_one_unbatched_sample():
    check_op(loss("multi_margin_loss", X, np.array(2), reduction="none"), [(5,)],
             gradgrad=False)
    check_op(loss("multi_margin_loss", X, np.array(0), p=2), [(5,)], gradgrad=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_multilabel_margin_loss(reduction):
    """Each row lists its classes up to the first -1 (what follows is ignored); duplicates
    count twice, as in PyTorch."""
    target = np.array([[3, 0, -1, 1, 2], [1, -1, 0, 0, 0], [-1, 2, 3, 4, 0], [4, 4, 2, 0, 1]])
    check_op(loss("multilabel_margin_loss", X, target, reduction=reduction), [(4, 5)],
             low=-1.0, high=1.0, gradgrad=False)
    check_op(loss("multilabel_margin_loss", X, np.array([2, 0, -1, 1]), reduction=reduction),
             [(4,)], low=-1.0, high=1.0, gradgrad=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("weighted", [False, True])
def test_multilabel_soft_margin_loss(reduction, weighted):
    kwargs = {"weight": rng.uniform(0.5, 2.0, 4)} if weighted else {}
    labels = rng.integers(0, 2, (3, 4)).astype(float)
    check_op(loss("multilabel_soft_margin_loss", X, labels, reduction=reduction, **kwargs),
             [(3, 4)], low=-3, high=3)
    check_op(loss("multilabel_soft_margin_loss", X, X, reduction=reduction, **kwargs),
             [(3, 4), (3, 4)], low=0.0, high=1.0)


# ---- embedding losses -------------------------------------------------------------------------
@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("margin", [0.0, 0.2, -0.5])
def test_cosine_embedding_loss(reduction, margin):
    check_op(loss("cosine_embedding_loss", X, X, signs(5), margin=margin, reduction=reduction),
             [(5, 3), (5, 3)])
    check_op(loss("cosine_embedding_loss", X, X, np.array(-1.0), margin=margin,
                  reduction=reduction), [(4,), (4,)])


def test_cosine_embedding_loss_of_a_zero_vector_is_finite_like_torch():
    check_op(loss("cosine_embedding_loss", X, X, np.array([1.0, -1.0])), [],
             inputs=[np.zeros((2, 3)), rng.standard_normal((2, 3))], finite_differences=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("p", [2, 1, 3.0])
@pytest.mark.parametrize("swap", [False, True])
def test_triplet_margin_loss(reduction, p, swap):
    check_op(loss("triplet_margin_loss", X, X, X, margin=1.5, p=p, swap=swap,
                  reduction=reduction), [(4, 3), (4, 3), (4, 3)])


def test_triplet_margin_loss_of_one_unbatched_triplet():
    check_op(loss("triplet_margin_loss", X, X, X, eps=1e-4, reduction="none"),
             [(5,), (5,), (5,)])


# ---- CTC --------------------------------------------------------------------------------------
def ctc_case(n=3, frames=7, classes=5, blank=0, lengths=(3, 1, 2), input_lengths=(7, 5, 6)):
    """Random log-probabilities, and labels (never the blank) with repeats, padded with -1."""
    logits = rng.standard_normal((frames, n, classes))
    logp = logits - np.log(np.exp(logits).sum(-1, keepdims=True))
    labels = np.full((n, max(lengths) + 1), -1)
    for i, k in enumerate(lengths):
        labels[i, :k] = rng.choice([c for c in range(classes) if c != blank], k)
    labels[0, 1] = labels[0, 0]  # a repeated label needs a blank between its two frames
    return logp, labels, np.array(input_lengths), np.array(lengths)


@pytest.mark.parametrize("reduction", REDUCTIONS)
@pytest.mark.parametrize("blank", [0, 4])
def test_ctc_loss_with_padded_targets(reduction, blank):
    """log_probs straight in: PyTorch's gradient (exp(lp) minus the occupancy), which holds for
    log_softmax outputs; no double backward, as in PyTorch."""
    logp, labels, input_lengths, lengths = ctc_case(blank=blank)
    check_op(loss("ctc_loss", X, labels, input_lengths, lengths, blank=blank,
                  reduction=reduction), [], inputs=[logp], gradgrad=False,
             finite_differences=False)


@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_ctc_loss_through_log_softmax_with_finite_differences(reduction):
    """Through a log_softmax PyTorch's gradient is the true one: finite differences agree."""
    logp, labels, input_lengths, lengths = ctc_case(n=2, frames=5, classes=4, lengths=(2, 1),
                                                    input_lengths=(5, 3))
    fn = loss("ctc_loss", X, labels, input_lengths, lengths, reduction=reduction)
    check_op(lambda m, x: fn(m, m.nn.functional.log_softmax(x, 2)), [], inputs=[logp],
             gradgrad=False, name="ctc_loss of log_softmax")


def test_ctc_loss_with_concatenated_targets_and_an_empty_one():
    logp, labels, input_lengths, lengths = ctc_case(lengths=(3, 0, 2))
    flat = np.concatenate([row[:k] for row, k in zip(labels, lengths)])
    check_op(loss("ctc_loss", X, flat, input_lengths, lengths, reduction="none"), [],
             inputs=[logp], gradgrad=False, finite_differences=False)
    # lengths as tuples of ints are taken too
    check_op(loss("ctc_loss", X, flat, tuple(input_lengths.tolist()), tuple(lengths.tolist())),
             [], inputs=[logp], gradgrad=False, finite_differences=False)


def test_ctc_loss_of_one_unbatched_sample():
    logp, labels, _, _ = ctc_case(n=1, lengths=(3,), input_lengths=(7,))
    check_op(loss("ctc_loss", X, labels[0, :3], np.array(6), np.array(3), reduction="none"), [],
             inputs=[logp[:, 0]], gradgrad=False, finite_differences=False)


@pytest.mark.parametrize("zero_infinity", [False, True])
def test_ctc_loss_of_an_impossible_alignment(zero_infinity):
    """A target longer than its input has probability 0: loss inf, or 0 with zero_infinity (and
    then a zero gradient for that sample)."""
    logp, labels, _, lengths = ctc_case(lengths=(3, 1, 2), input_lengths=(2, 5, 6))
    args = (labels, np.array([2, 5, 6]), lengths)
    ours = cr.tensor(logp, requires_grad=True)
    theirs = torch.tensor(logp, requires_grad=True)
    out = nn.functional.ctc_loss(ours, *map(cr.tensor, args), reduction="none",
                                 zero_infinity=zero_infinity)
    expected = torch.nn.functional.ctc_loss(theirs, *map(torch.tensor, args), reduction="none",
                                            zero_infinity=zero_infinity)
    np.testing.assert_allclose(out.numpy(), expected.detach().numpy(), rtol=1e-10)
    assert np.isinf(out.numpy()[0]) != zero_infinity
    if zero_infinity:
        out.sum().backward()
        expected.sum().backward()
        np.testing.assert_allclose(ours.grad.numpy(), theirs.grad.numpy(), atol=1e-10)


def test_ctc_loss_cannot_be_differentiated_twice():
    logp, labels, input_lengths, lengths = ctc_case()
    x = cr.tensor(logp, requires_grad=True)
    out = nn.functional.ctc_loss(x, cr.tensor(labels), cr.tensor(input_lengths),
                                 cr.tensor(lengths))
    g, = cr.grad(out, [x], create_graph=True)
    with pytest.raises(RuntimeError, match="CTC is once_differentiable"):
        cr.grad(g.sum(), [x])


def test_ctc_loss_in_float32_matches_torch():
    logp, labels, input_lengths, lengths = ctc_case()
    args = (labels, input_lengths, lengths)
    ours = nn.functional.ctc_loss(cr.tensor(logp, dtype=cr.float32), *map(cr.tensor, args))
    theirs = torch.nn.functional.ctc_loss(torch.tensor(logp, dtype=torch.float32),
                                          *map(torch.tensor, args))
    assert ours.dtype == cr.float32
    np.testing.assert_allclose(ours.item(), theirs.item(), rtol=1e-5)


@pytest.mark.parametrize("call,message", [
    (lambda lp, t, i, k: (lp[0, 0], t, i, k), "expected log-probabilities (T, N, C) or (T, C)"),
    (lambda lp, t, i, k: (lp, t, i + 10, k), "an input length (17) exceeds the 7 frames"),
    (lambda lp, t, i, k: (lp, t[:, :2], i, k), "a target length (3) exceeds the 2 columns"),
    (lambda lp, t, i, k: (lp, t, i[:2], k), "expected 3 input_lengths, one per sample, got 2"),
    (lambda lp, t, i, k: (lp, t + 9, i, k), "is out of range for 5 classes"),
    (lambda lp, t, i, k: (lp, t * 0, i, k), "the targets must not contain the blank class 0"),
])
def test_ctc_loss_errors(call, message):
    logp, labels, input_lengths, lengths = ctc_case()
    labels = np.where(labels < 0, 0, labels)
    args = call(cr.tensor(logp), cr.tensor(labels), input_lengths, lengths)
    with pytest.raises((ValueError, IndexError)) as info:
        nn.functional.ctc_loss(*args)
    assert message in str(info.value) and str(info.value).startswith("ctc_loss: ")


# ---- the layers -------------------------------------------------------------------------------
def _ctc_inputs():
    logp, labels, input_lengths, lengths = ctc_case(blank=4)
    return [logp, labels, input_lengths, lengths]


@pytest.mark.parametrize("make,inputs", [
    (lambda m: m.nn.PoissonNLLLoss(log_input=False, full=True, eps=1e-4),
     lambda: [rng.uniform(0.1, 3, (4, 3)), rng.integers(0, 5, (4, 3)).astype(float)]),
    (lambda m: m.nn.GaussianNLLLoss(full=True, eps=1e-3, reduction="sum"),
     lambda: [rng.standard_normal((4, 3)), rng.standard_normal((4, 3)),
              rng.uniform(0.1, 2, (4, 1))]),
    (lambda m: m.nn.CTCLoss(blank=4, reduction="sum", zero_infinity=True), _ctc_inputs),
    (lambda m: m.nn.MarginRankingLoss(margin=0.3),
     lambda: [rng.standard_normal(5), rng.standard_normal(5), signs(5)]),
    (lambda m: m.nn.HingeEmbeddingLoss(margin=0.5, reduction="none"),
     lambda: [rng.standard_normal((2, 3)), signs((2, 3))]),
    (lambda m: m.nn.CosineEmbeddingLoss(margin=0.1),
     lambda: [rng.standard_normal((4, 3)), rng.standard_normal((4, 3)), signs(4)]),
    (lambda m: m.nn.TripletMarginLoss(margin=0.7, p=1.0, swap=True),
     lambda: [rng.standard_normal((4, 3)) for _ in range(3)]),
    (lambda m: m.nn.MultiMarginLoss(p=2, margin=0.5, weight=m.tensor(np.array([1.0, 2.0, 0.5]))),
     lambda: [rng.standard_normal((4, 3)), rng.integers(0, 3, 4)]),
    (lambda m: m.nn.MultiLabelMarginLoss(reduction="sum"),
     lambda: [rng.standard_normal((2, 3)), np.array([[2, -1, 0], [0, 1, 2]])]),
    (lambda m: m.nn.MultiLabelSoftMarginLoss(weight=m.tensor(np.array([1.0, 2.0, 0.5]))),
     lambda: [rng.standard_normal((4, 3)), rng.integers(0, 2, (4, 3)).astype(float)]),
    (lambda m: m.nn.SoftMarginLoss(reduction="none"),
     lambda: [rng.standard_normal((4, 3)), signs((4, 3))]),
])
def test_loss_layers_match_torch(make, inputs):
    arrays = inputs()
    ours, theirs = make(cr), make(torch)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    out = ours(*map(cr.tensor, arrays))
    expected = theirs(*map(torch.tensor, arrays))
    np.testing.assert_allclose(out.numpy(), expected.numpy(), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("size_average,reduce", [(None, False), (False, None), (True, True),
                                                 (False, True), (True, None)])
def test_older_size_average_and_reduce_flags(size_average, reduce):
    x, t = rng.standard_normal((4, 3)), signs((4, 3))
    for name in ("soft_margin_loss", "hinge_embedding_loss"):
        ours = getattr(nn.functional, name)(cr.tensor(x), cr.tensor(t),
                                            size_average=size_average, reduce=reduce)
        with pytest.warns(UserWarning):  # torch's deprecation warning
            expected = getattr(torch.nn.functional, name)(
                torch.tensor(x), torch.tensor(t), size_average=size_average, reduce=reduce)
        np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-12)
    layer = nn.MSELoss(size_average, reduce)
    with pytest.warns(UserWarning):
        twin = torch.nn.MSELoss(size_average, reduce)
    assert layer.reduction == twin.reduction


@pytest.mark.parametrize("name", ["mse_loss", "l1_loss", "huber_loss"])
@pytest.mark.parametrize("reduction", REDUCTIONS)
def test_regression_losses_with_an_elementwise_weight(name, reduction):
    """mse and l1 take the weighted mean sum(w l) / sum(w); huber the plain mean of w l."""
    check_op(loss(name, X, X, reduction=reduction, weight=X), [(3, 4), (3, 4), (3, 4)],
             away_from=0.0)


@pytest.mark.parametrize("name,args", [
    ("mse_loss", (False, True)), ("l1_loss", (False, True)), ("smooth_l1_loss", (False, True)),
    ("kl_div", (False, True)), ("binary_cross_entropy", (None, False, True)),
    ("binary_cross_entropy_with_logits", (None, False, True)),
    ("cross_entropy", (None, False, -100, True)), ("nll_loss", (None, False, -100, True)),
])
def test_existing_losses_take_the_older_flags_in_torchs_positions(name, args):
    """All positional, as PyTorch orders them: size_average=False with reduce=True, which
    PyTorch reads as 'sum'."""
    x = rng.uniform(0.1, 0.9, (4, 3))
    t = (rng.integers(0, 3, 4) if name in ("cross_entropy", "nll_loss")
         else rng.uniform(0, 1, (4, 3)))
    ours = getattr(nn.functional, name)(cr.tensor(x), cr.tensor(t), *args)
    with pytest.warns(UserWarning):
        expected = getattr(torch.nn.functional, name)(torch.tensor(x), torch.tensor(t), *args)
    np.testing.assert_allclose(ours.numpy(), expected.numpy(), rtol=1e-12)


def test_existing_loss_layers_take_torchs_argument_order():
    w = np.array([1.0, 2.0, 0.5])
    x, t = rng.standard_normal((5, 3)), rng.integers(0, 3, 5)
    ours = nn.CrossEntropyLoss(cr.tensor(w), None, 1, None, "sum", 0.1)
    theirs = torch.nn.CrossEntropyLoss(torch.tensor(w), None, 1, None, "sum", 0.1)
    np.testing.assert_allclose(ours(cr.tensor(x), cr.tensor(t)).item(),
                               theirs(torch.tensor(x), torch.tensor(t)).item(), rtol=1e-12)
    assert nn.KLDivLoss(None, None, "batchmean", True).reduction == "batchmean"


# ---- errors -----------------------------------------------------------------------------------
@pytest.mark.parametrize("call,error,message", [
    (lambda F: F.gaussian_nll_loss(cr.zeros(4, 3), cr.zeros(4, 3), cr.ones(2, 3)), ValueError,
     r"gaussian_nll_loss: var of shape \(2, 3\) does not fit the input of shape \(4, 3\)"),
    (lambda F: F.gaussian_nll_loss(cr.zeros(2), cr.zeros(2), cr.tensor([1.0, -1.0])),
     ValueError, "gaussian_nll_loss: the variance must not be negative"),
    (lambda F: F.multi_margin_loss(cr.zeros(3, 4), cr.tensor([0, 4, 1])), IndexError,
     "multi_margin_loss: target class 4 is out of range for 4 classes"),
    (lambda F: F.multi_margin_loss(cr.zeros(3, 4), cr.tensor([0, 1, 1]), p=3), ValueError,
     "multi_margin_loss: p must be 1 or 2, got 3"),
    (lambda F: F.multilabel_margin_loss(cr.zeros(2, 3), cr.tensor([[0, 3, -1], [1, -1, 0]])),
     IndexError, "multilabel_margin_loss: target class 3 is out of range for 3 classes"),
    (lambda F: F.triplet_margin_loss(cr.zeros(2, 3), cr.zeros(2, 3), cr.zeros(2, 3), margin=0),
     ValueError, "triplet_margin_loss: margin must be greater than 0, got 0"),
    (lambda F: F.cosine_embedding_loss(cr.zeros(2, 3), cr.zeros(2, 3), cr.zeros(3)), ValueError,
     r"cosine_embedding_loss: expected inputs of one shape \(N, D\)"),
    (lambda F: F.margin_ranking_loss(cr.zeros(2, 1), cr.zeros(2), cr.zeros(2)), ValueError,
     "margin_ranking_loss: input1, input2 and target must have the same number of dims"),
    (lambda F: F.soft_margin_loss(cr.zeros(2), cr.zeros(2), reduction="avg"), ValueError,
     "soft_margin_loss: reduction must be one of 'none', 'mean', 'sum', got 'avg'"),
])
def test_errors_name_the_function(call, error, message):
    with pytest.raises(error, match=message):
        call(nn.functional)
