"""The losses beyond regression and classification, in nn.functional's family (re-exported
there): likelihoods (Poisson, Gaussian), margin and ranking losses, embedding losses, and
connectionist temporal classification (CTC).

Each is built from chainrule's differentiable ops, so it has gradients of every order, except
CTC: its alpha/beta recursion runs on raw arrays, once differentiable, as PyTorch's does.
Every function also takes PyTorch's older `size_average` / `reduce` flags, in PyTorch's
argument order; given, they decide the reduction as they do there."""
import math

import numpy as np

from ..autograd.function import Op, once_differentiable
from ..backend import array_module
from ..ops.activation import softplus
from ..ops.distance import pairwise_distance
from ..ops.elementwise import _constant, clamp, exp, log, minimum, sqrt, where
from ..ops.indexing import gather
from ..ops.reduce import mean, sum as sum_
from ..ops.shape import squeeze, unsqueeze
from ..tensor import Tensor
from .functional import (_check_reduction, _integer_array, _one_sample, _per_sample, _pointwise,
                         _reduce, binary_cross_entropy_with_logits, legacy_reduction)

__all__ = ["poisson_nll_loss", "gaussian_nll_loss", "margin_ranking_loss",
           "hinge_embedding_loss", "soft_margin_loss", "cosine_embedding_loss",
           "triplet_margin_loss", "multi_margin_loss", "multilabel_margin_loss",
           "multilabel_soft_margin_loss", "ctc_loss"]


# ---- likelihoods ------------------------------------------------------------------------------
def poisson_nll_loss(input, target, log_input=True, full=False, size_average=None, eps=1e-8,
                     reduce=None, reduction="mean"):
    """Negative log-likelihood of counts `target` under Poisson(rate), up to log(target!):
    exp(input) - target * input when the input is the log-rate (log_input), else
    input - target * log(input + eps). `full` adds Stirling's approximation of log(target!),
    t log t - t + log(2 pi t) / 2, where t > 1."""
    name = "poisson_nll_loss"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    _pointwise(name, input, target, reduction)
    if log_input:
        loss = exp(input) - target * input
    else:
        loss = input - target * log(input + eps)
    if full:
        counted = target.array > 1
        t = where(counted, target, 2.0)  # any t > 1 keeps the unused branch finite
        stirling = t * log(t) - t + 0.5 * log(2 * math.pi * t)
        loss = loss + where(counted, stirling, 0.0)
    return _reduce(loss, reduction)


class _AtLeast(Op):
    """max(x, floor), with the gradient passed through unchanged, clamped or not: PyTorch
    clamps the variance of gaussian_nll_loss in place, outside the graph."""

    def forward(ctx, x, floor):
        return array_module(x).maximum(x, floor)

    def backward(ctx, g):
        return g, None


def gaussian_nll_loss(input, target, var, full=False, eps=1e-6, reduction="mean"):
    """Negative log-likelihood of `target` under Normal(input, var):
    (log var + (input - target)^2 / var) / 2, plus log(2 pi) / 2 if `full`. `var` has the
    input's shape, or one dim of size 1 (shared along it), or lacks the input's last dim, or is
    one number; it is clamped to at least eps (its gradient passes the clamp unchanged)."""
    name = "gaussian_nll_loss"
    _check_reduction(name, reduction)
    if isinstance(var, (int, float)):
        if var < 0:
            raise ValueError(f"{name}: the variance must not be negative, got {var}")
        var = _constant(array_module(input.array).full(input.shape, var, input.array.dtype))
    elif var.array.size and (var.array < 0).any():
        raise ValueError(f"{name}: the variance must not be negative; var has negative entries")
    if var.shape != input.shape:
        if var.shape == input.shape[:-1]:
            var = unsqueeze(var, -1)
        elif var.ndim != input.ndim or sum(
                v for i, v in zip(input.shape, var.shape) if i != v) != 1:
            raise ValueError(f"{name}: var of shape {var.shape} does not fit the input of shape "
                             f"{input.shape}: expected the input's shape, that shape with one "
                             "dim of size 1, or that shape without its last dim")
    var = _AtLeast.apply(var, eps)
    diff = input - target
    loss = 0.5 * (log(var) + diff * diff / var)
    if full:
        loss = loss + 0.5 * math.log(2 * math.pi)
    return _reduce(loss, reduction)


# ---- margin and ranking losses ----------------------------------------------------------------
def _hinge(x):
    """max(x, 0) (its gradient at 0 passes, as PyTorch's clamp_min)."""
    return clamp(x, min=0)


def margin_ranking_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                        reduction="mean"):
    """max(0, margin - y (x1 - x2)): target y = 1 asks x1 to rank above x2 by the margin, and
    y = -1 below it."""
    name = "margin_ranking_loss"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    if not input1.ndim == input2.ndim == target.ndim:
        raise ValueError(f"{name}: input1, input2 and target must have the same number of dims, "
                         f"got shapes {input1.shape}, {input2.shape} and {target.shape}")
    return _reduce(_hinge(margin - target * (input1 - input2)), reduction)


def hinge_embedding_loss(input, target, margin=1.0, size_average=None, reduce=None,
                         reduction="mean"):
    """For distances x and targets y in {1, -1}: x where y = 1 (similar pairs pulled close),
    max(0, margin - x) where y = -1 (dissimilar ones pushed at least the margin apart)."""
    name = "hinge_embedding_loss"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    _pointwise(name, input, target, reduction)
    # (a target that is neither 1 nor -1 gets both terms, as in PyTorch)
    loss = (where(target.array != 1, _hinge(margin - input), 0.0)
            + where(target.array != -1, input, 0.0))
    return _reduce(loss, reduction)


def soft_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """log(1 + exp(-y x)): a smooth hinge for targets y in {1, -1}."""
    name = "soft_margin_loss"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    _pointwise(name, input, target, reduction)
    return _reduce(softplus(-(target * input)), reduction)


def multi_margin_loss(input, target, p=1, margin=1.0, weight=None, size_average=None,
                      reduce=None, reduction="mean"):
    """Multi-class hinge of scores x (N, C) or (C,) at classes y: sum over the other classes i of
    w[y] max(0, margin - x[y] + x[i])^p, divided by C (p is 1 or 2)."""
    name = "multi_margin_loss"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    if p not in (1, 2):
        raise ValueError(f"{name}: p must be 1 or 2, got {p}")
    if input.ndim not in (1, 2):
        raise ValueError(f"{name}: expected an input (N, C) or (C,), got shape {input.shape}")
    n_classes = input.shape[-1]
    if weight is not None and weight.shape != (n_classes,):
        raise ValueError(f"{name}: expected a weight of shape ({n_classes},), one per class, "
                         f"got {weight.shape}")
    input, target, single = _one_sample(name, input, target)
    y = _class_indices(name, target, input.shape[:1], n_classes)
    xp = array_module(y)
    x_y = gather(input, 1, y[:, None])
    h = _hinge(margin - x_y + input)
    if p == 2:
        h = h * h
    others = (xp.arange(n_classes) != y[:, None]).astype(input.array.dtype)
    if weight is not None:
        others = others * weight.array[y][:, None]
    loss = sum_(h * _constant(others), 1) / n_classes
    return _per_sample(_reduce(loss, reduction), reduction, single)


def _class_indices(name, target, shape, n_classes):
    """The target's class indices as an array of `shape`, each checked to lie in [0, n_classes)."""
    y = _integer_array(name, target)
    if y.shape != shape:
        raise ValueError(f"{name}: expected a target of shape {shape} (one class index per "
                         f"sample), got {y.shape}")
    bad = (y < 0) | (y >= n_classes)
    if bad.any():
        raise IndexError(f"{name}: target class {int(y[bad][0])} is out of range for "
                         f"{n_classes} classes")
    return y


def multilabel_margin_loss(input, target, size_average=None, reduce=None, reduction="mean"):
    """Multi-label hinge of scores x (N, C) or (C,): target holds each sample's classes,
    ended by the first -1; the loss sums max(0, 1 - (x[j] - x[i])) over its classes j and the
    classes i not among them, divided by C."""
    name = "multilabel_margin_loss"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    if input.ndim not in (1, 2):
        raise ValueError(f"{name}: expected an input (N, C) or (C,), got shape {input.shape}")
    t = _integer_array(name, target)
    if t.shape != input.shape:
        raise ValueError(f"{name}: expected a target of the input's shape {input.shape} "
                         f"(class indices, ended by -1), got {t.shape}")
    single = input.ndim == 1
    if single:
        input, t = unsqueeze(input, 0), t[None]
    n, n_classes = input.shape
    xp = array_module(t)
    listed = xp.cumprod(t >= 0, axis=1).astype(bool)  # the entries before the first -1
    if (listed & (t >= n_classes)).any():
        raise IndexError(f"{name}: target class {int(t[listed & (t >= n_classes)][0])} is out "
                         f"of range for {n_classes} classes")
    classes = xp.where(listed, t, 0)
    is_target = xp.zeros((n, n_classes), bool)
    is_target[xp.broadcast_to(xp.arange(n)[:, None], t.shape)[listed], classes[listed]] = True
    # (N, j, i): the hinge between the j-th listed class and every class i
    h = _hinge(1 - unsqueeze(gather(input, 1, classes), 2) + unsqueeze(input, 1))
    pairs = (listed[:, :, None] & ~is_target[:, None, :]).astype(input.array.dtype)
    loss = sum_(h * _constant(pairs), (1, 2)) / n_classes
    return _per_sample(_reduce(loss, reduction), reduction, single)


def multilabel_soft_margin_loss(input, target, weight=None, size_average=None, reduce=None,
                                reduction="mean"):
    """One logistic loss per class for targets in {0, 1} (binary cross-entropy of
    sigmoid(x), times the class weight), averaged over the classes (the last dim)."""
    name = "multilabel_soft_margin_loss"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    _pointwise(name, input, target, reduction)
    per_class = binary_cross_entropy_with_logits(input, target, weight, reduction="none")
    return _reduce(mean(per_class, -1), reduction)


# ---- embedding losses -------------------------------------------------------------------------
def cosine_embedding_loss(input1, input2, target, margin=0, size_average=None, reduce=None,
                          reduction="mean"):
    """For pairs of vectors (N, D) or (D,) and targets y in {1, -1}: 1 - cos(x1, x2) where
    y = 1, max(0, cos(x1, x2) - margin) where y = -1. The squared norms get 1e-12 added, as in
    PyTorch, so that a zero vector gives cos = 0."""
    name = "cosine_embedding_loss"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    if input1.shape != input2.shape or input1.ndim not in (1, 2) \
            or target.shape != input1.shape[:-1]:
        raise ValueError(f"{name}: expected inputs of one shape (N, D) or (D,) and a target "
                         f"(N,) or (), got {input1.shape}, {input2.shape} and {target.shape}")
    squared1 = sum_(input1 * input1, -1) + 1e-12
    squared2 = sum_(input2 * input2, -1) + 1e-12
    cos = sum_(input1 * input2, -1) / sqrt(squared1 * squared2)
    y = target.array
    loss = where(y == 1, 1 - cos, 0.0) + where(y == -1, _hinge(cos - margin), 0.0)
    return _reduce(loss, reduction)


def triplet_margin_loss(anchor, positive, negative, margin=1.0, p=2, eps=1e-6, swap=False,
                        size_average=None, reduce=None, reduction="mean"):
    """max(0, margin + d(a, p) - d(a, n)) with d the p-norm distance: the anchor must lie
    closer to the positive than to the negative by the margin. `swap` uses d(p, n) instead of
    d(a, n) where it is smaller (the harder negative)."""
    name = "triplet_margin_loss"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    if margin <= 0:
        raise ValueError(f"{name}: margin must be greater than 0, got {margin}")
    if not anchor.ndim == positive.ndim == negative.ndim:
        raise ValueError(f"{name}: anchor, positive and negative must have the same number of "
                         f"dims, got shapes {anchor.shape}, {positive.shape} and "
                         f"{negative.shape}")
    to_positive = pairwise_distance(anchor, positive, p, eps)
    to_negative = pairwise_distance(anchor, negative, p, eps)
    if swap:
        to_negative = minimum(to_negative, pairwise_distance(positive, negative, p, eps))
    return _reduce(_hinge(margin + to_positive - to_negative), reduction)


# ---- connectionist temporal classification ----------------------------------------------------
def ctc_loss(log_probs, targets, input_lengths, target_lengths, blank=0, reduction="mean",
             zero_infinity=False):
    """-log p(target | input) summed over every alignment of the target to the input frames
    (labels repeated, blanks between and around them), for log-probabilities (T, N, C) (or
    (T, C) for one sample); targets padded (N, S) or concatenated into one dim, with one input
    and one target length per sample. 'mean' divides each loss by its target length before the
    batch mean; zero_infinity turns the loss of an impossible alignment (inf) and its gradient
    to 0."""
    name = "ctc_loss"
    _check_reduction(name, reduction)
    if log_probs.ndim not in (2, 3):
        raise ValueError(f"{name}: expected log-probabilities (T, N, C) or (T, C), got shape "
                         f"{log_probs.shape}")
    single = log_probs.ndim == 2
    if single:
        log_probs = unsqueeze(log_probs, 1)
    _, n, n_classes = log_probs.shape
    xp = array_module(log_probs.array)
    input_lengths = _lengths(name, "input_lengths", input_lengths, n, xp)
    target_lengths = _lengths(name, "target_lengths", target_lengths, n, xp)
    if not 0 <= blank < n_classes:
        raise ValueError(f"{name}: blank must be a class in [0, {n_classes}), got {blank}")
    if (input_lengths > log_probs.shape[0]).any():
        raise ValueError(f"{name}: an input length ({int(input_lengths.max())}) exceeds the "
                         f"{log_probs.shape[0]} frames of the input")
    t = xp.asarray(_integer_array(name, targets))  # (targets may stay on the CPU)
    labels = _padded_labels(name, t[None] if single else t, target_lengths, blank, n_classes)
    loss = CTC.apply(log_probs, labels, input_lengths, target_lengths, blank, zero_infinity)
    if reduction == "mean":
        return mean(loss / _constant(xp.maximum(target_lengths, 1).astype(loss.array.dtype)))
    return squeeze(loss, 0) if single and reduction == "none" else _reduce(loss, reduction)


def _lengths(name, what, lengths, n, xp):
    """One non-negative integer length per sample, as an int64 array (N,)."""
    array = lengths.array if isinstance(lengths, Tensor) else np.asarray(lengths)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected {what} as integers, got {array.dtype}")
    array = xp.asarray(array, dtype=np.int64).reshape(-1)
    if array.shape != (n,):
        raise ValueError(f"{name}: expected {n} {what}, one per sample, got {array.size}")
    if (array < 0).any():
        raise ValueError(f"{name}: {what} must not be negative, got {int(array.min())}")
    return array


def _padded_labels(name, targets, lengths, blank, n_classes):
    """The targets as (N, S) with S the longest target length, padded with the blank:
    from padded (N, S') targets, or from all targets concatenated in one dim."""
    xp = array_module(targets)
    longest = int(lengths.max()) if lengths.size else 0
    position = xp.arange(longest)
    listed = position < lengths[:, None]
    if targets.ndim == 1:
        if int(lengths.sum()) > targets.size:
            raise ValueError(f"{name}: the target lengths add up to {int(lengths.sum())} but "
                             f"the concatenated targets hold {targets.size}")
        starts = xp.cumsum(lengths) - lengths
        labels = targets[xp.where(listed, starts[:, None] + position, 0)] if targets.size \
            else xp.zeros(listed.shape, np.int64)
    elif targets.ndim == 2 and targets.shape[0] == lengths.size:
        if targets.shape[1] < longest:
            raise ValueError(f"{name}: a target length ({longest}) exceeds the "
                             f"{targets.shape[1]} columns of the padded targets")
        labels = targets[:, :longest]
    else:
        raise ValueError(f"{name}: expected targets padded ({lengths.size}, S) or concatenated "
                         f"into one dim, got shape {targets.shape}")
    if (listed & (labels == blank)).any():
        raise ValueError(f"{name}: the targets must not contain the blank class {blank}")
    labels = xp.where(listed, labels, blank)
    if ((labels < 0) | (labels >= n_classes)).any():
        bad = labels[(labels < 0) | (labels >= n_classes)][0]
        raise IndexError(f"{name}: target class {int(bad)} is out of range for {n_classes} "
                         "classes")
    return labels


@once_differentiable
class CTC(Op):
    """Per-sample -log p(labels | log_probs) by the forward recursion over the extended labels
    l' = (blank, l1, blank, l2, ..., blank), in log space, batched, one step per frame:
    alpha_t(s) = lp_t(l'_s) + logsumexp(alpha_{t-1}(s), alpha_{t-1}(s-1), alpha_{t-1}(s-2)),
    the last term only where l'_s differs from l'_{s-2}. Backward runs the same recursion
    backward in time (beta) and returns PyTorch's gradient, exp(lp) minus the posterior
    occupancy of each class: the gradient with respect to the logits when lp = log_softmax
    of them (the two agree through a log_softmax)."""

    def forward(ctx, log_probs, labels, input_lengths, target_lengths, blank, zero_infinity):
        xp = array_module(log_probs)
        extended, skips = _extended(labels, blank)
        lp = _at_labels(log_probs, extended)
        alpha = xp.empty((lp.shape[0] + 1,) + lp.shape[1:], lp.dtype)
        alpha[0] = -xp.inf
        alpha[0, :, 0] = 0  # before the first frame: at the leading blank, with probability 1
        for t in range(lp.shape[0]):
            back = _shifted(alpha[t], 1)
            back = xp.logaddexp(back, xp.where(skips, _shifted(alpha[t], 2), -xp.inf))
            alpha[t + 1] = lp[t] + xp.logaddexp(alpha[t], back)
        span = 2 * target_lengths + 1  # the extended length of each sample's labels
        s = xp.arange(extended.shape[1])
        last_two = (s == span[:, None] - 1) | (s == span[:, None] - 2)
        ends = alpha[input_lengths, xp.arange(lp.shape[1])]  # alpha after each sample's frames
        loss = -_logsumexp(xp.where(last_two, ends, -xp.inf), xp)
        ctx.save_for_backward(log_probs, extended, skips, span, input_lengths, alpha, loss,
                              zero_infinity)
        return xp.where(xp.isinf(loss), 0, loss) if zero_infinity else loss

    def backward(ctx, g):
        log_probs, extended, skips, span, input_lengths, alpha, loss, zero_infinity = \
            ctx.saved_arrays
        xp = array_module(log_probs)
        lp = _at_labels(log_probs, extended)
        frames, n, width = lp.shape
        s = xp.arange(width)
        # after each sample's last frame: at the final blank (the last label has one step to it)
        done = xp.where(s == span[:, None] - 1, 0.0, -xp.inf).astype(lp.dtype)
        beta = xp.empty_like(lp)
        after = done
        for t in range(frames - 1, -1, -1):
            ahead = xp.logaddexp(after, _shifted(after, -1))
            ahead = xp.logaddexp(ahead, _shifted(xp.where(skips, after, -xp.inf), -2))
            beta[t] = xp.where((t < input_lengths)[:, None], lp[t] + ahead, -xp.inf)
            after = xp.where((t < input_lengths)[:, None], beta[t], done)
        # the posterior probability of being at s in frame t: alpha and beta both hold lp_t(s)
        with np.errstate(invalid="ignore"):  # NaN for an impossible alignment, as in PyTorch
            occupancy = xp.exp(alpha[1:] + beta - lp + loss[:, None])
        grad = xp.exp(log_probs)
        xp.add.at(grad, (slice(None), xp.arange(n)[:, None], extended), -occupancy)
        grad = grad * (xp.arange(frames)[:, None] < input_lengths)[:, :, None]
        if zero_infinity:
            grad = xp.where(xp.isinf(loss)[:, None], 0, grad)
        return grad * g[:, None], None, None, None, None, None


def _extended(labels, blank):
    """The labels with blanks around and between them (N, 2S + 1), and where the step from
    s - 2 to s is allowed: where l'_s differs from l'_{s-2} (so never onto a blank, nor
    between repeats of a label)."""
    xp = array_module(labels)
    n, longest = labels.shape
    extended = xp.full((n, 2 * longest + 1), blank, labels.dtype)
    extended[:, 1::2] = labels
    skips = xp.zeros(extended.shape, bool)
    skips[:, 2:] = extended[:, 2:] != extended[:, :-2]
    return extended, skips


def _at_labels(log_probs, extended):
    """lp[t, n, s] = log_probs[t, n, extended[n, s]]: (T, N, 2S + 1)."""
    xp = array_module(log_probs)
    return log_probs[:, xp.arange(extended.shape[0])[:, None], extended]


def _shifted(a, k):
    """a moved k places along the last dim (right for k > 0), filled with -inf."""
    xp = array_module(a)
    out = xp.full_like(a, -xp.inf)
    if k > 0:
        out[..., k:] = a[..., :-k]
    else:
        out[..., :k] = a[..., -k:]
    return out


def _logsumexp(a, xp):
    """log sum exp over the last dim, -inf where every entry is -inf."""
    top = a.max(-1)
    safe = xp.where(xp.isinf(top), 0, top)
    with np.errstate(divide="ignore"):
        return xp.log(xp.exp(a - safe[:, None]).sum(-1)) + safe
