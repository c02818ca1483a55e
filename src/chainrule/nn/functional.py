"""nn.functional: the stateless form of every layer and loss (`import chainrule.nn.functional as F`).

Everything is built from chainrule's differentiable ops, so every function has gradients of
every order; the fast paths live in ops/ (convolution and pooling in ops/conv.py, softmax in
ops/softmax.py). Two small ops are defined here: the embedding lookup (whose padding row gets no
gradient) and binary cross-entropy (whose gradient PyTorch bounds near 0 and 1)."""
import numpy as np

from ..autograd.function import Op
from ..autograd.grad_mode import no_grad
from ..backend import array_module, dtypes
from ..ops.attention import scaled_dot_product_attention
from ..ops.activation import (celu, elu, gelu, glu, hardsigmoid, hardswish, hardtanh, leaky_relu,
                              logsigmoid, mish, prelu, relu, relu6, selu, sigmoid, silu, softmin,
                              softplus, softsign, tanh, threshold)
from ..ops.conv import (adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d,
                        avg_pool1d, avg_pool2d, avg_pool3d, conv1d, conv2d, conv3d,
                        conv_transpose1d, conv_transpose2d, conv_transpose3d, fold, max_pool1d,
                        max_pool2d, max_pool3d, unfold)
from ..ops.embedding_bag import embedding_bag
from ..ops.local_norms import instance_norm, local_response_norm
from ..ops.pooling import (adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d,
                           lp_pool1d, lp_pool2d, lp_pool3d, max_unpool1d, max_unpool2d,
                           max_unpool3d)
from ..ops.sampling import affine_grid, grid_sample, interpolate, upsample
from ..ops.creation import rand
from ..ops.elementwise import Clamp, Log, _constant, exp, log, rsqrt, scale_by, where
from ..ops.indexing import IndexAdd, gather
from ..ops.inplace import written_into
from ..ops.linalg import matmul
from ..ops.reduce import mean, sum as sum_
from ..ops.distance import cosine_similarity, normalize, pairwise_distance
from ..ops.padding import pad
from ..ops.shape import permute, reshape, squeeze, transpose, unsqueeze
from ..ops.shuffle import channel_shuffle, pixel_shuffle, pixel_unshuffle
from ..ops.softmax import log_softmax, logsumexp, softmax
from ..tensor import Tensor

__all__ = [
    # layers
    "linear", "bilinear", "conv1d", "conv2d", "conv_transpose1d", "conv_transpose2d", "unfold",
    "fold", "max_pool1d", "max_pool2d", "avg_pool1d", "avg_pool2d", "adaptive_avg_pool1d",
    "adaptive_avg_pool2d", "interpolate", "upsample", "pad", "dropout", "dropout1d", "dropout2d",
    "dropout3d", "alpha_dropout", "pixel_shuffle", "pixel_unshuffle", "channel_shuffle",
    "normalize", "cosine_similarity", "pairwise_distance",
    "batch_norm", "layer_norm", "group_norm", "embedding", "one_hot",
    "conv3d", "conv_transpose3d", "max_pool3d", "avg_pool3d", "adaptive_avg_pool3d",
    "adaptive_max_pool1d", "adaptive_max_pool2d", "adaptive_max_pool3d", "max_unpool1d",
    "max_unpool2d", "max_unpool3d", "lp_pool1d", "lp_pool2d", "lp_pool3d", "instance_norm",
    "local_response_norm", "grid_sample", "affine_grid", "embedding_bag",
    "scaled_dot_product_attention",
    # activations
    "relu", "leaky_relu", "elu", "gelu", "silu", "tanh", "sigmoid", "softplus", "softmax",
    "log_softmax", "logsumexp", "relu6", "hardtanh", "hardswish", "hardsigmoid", "mish", "softsign",
    "softmin", "threshold", "celu", "selu", "glu", "logsigmoid", "prelu",
    # losses
    "mse_loss", "l1_loss", "huber_loss", "smooth_l1_loss", "cross_entropy", "nll_loss",
    "binary_cross_entropy", "binary_cross_entropy_with_logits", "kl_div",
    "poisson_nll_loss", "gaussian_nll_loss", "ctc_loss", "margin_ranking_loss",
    "hinge_embedding_loss", "cosine_embedding_loss", "triplet_margin_loss", "multi_margin_loss",
    "multilabel_margin_loss", "multilabel_soft_margin_loss", "soft_margin_loss"]


# ---- linear maps ------------------------------------------------------------------------------
def linear(input, weight, bias=None):
    """x W^T + b for x (..., in_features), W (out_features, in_features), b (out_features,).
    Leading dims are flattened first, so that the product is one matrix multiply."""
    if weight.ndim != 2 or input.ndim == 0 or input.shape[-1] != weight.shape[1]:
        raise ValueError(f"linear: the input of shape {input.shape} has "
                         f"{input.shape[-1] if input.ndim else 0} features but the weight of "
                         f"shape {weight.shape} expects (out_features, in_features) with "
                         f"in_features = {weight.shape[-1]}")
    if input.dtype != weight.dtype or (bias is not None and bias.dtype != weight.dtype):
        raise TypeError(f"linear: the input is {input.dtype} but the weight is {weight.dtype}"
                        f"{'' if bias is None else f' and the bias {bias.dtype}'}; convert one "
                        "of them (e.g. model.double() or x.float())")
    if bias is not None and bias.shape != weight.shape[:1]:
        raise ValueError(f"linear: expected a bias of shape {weight.shape[:1]}, got "
                         f"{bias.shape}")
    x = input if input.ndim == 2 else reshape(input, (-1, input.shape[-1]))
    y = matmul(x, transpose(weight, 0, 1))
    if bias is not None:
        y = y + bias
    return y if input.ndim == 2 else reshape(y, input.shape[:-1] + (weight.shape[0],))


def bilinear(input1, input2, weight, bias=None):
    """y_k = x1^T W_k x2 + b_k for x1 (..., in1), x2 (..., in2) and W (out, in1, in2): one matmul
    of x1 with W laid out as (in1, out * in2), then a dot with x2 for each output."""
    out, n1, n2 = weight.shape
    if input1.shape[-1] != n1 or input2.shape[-1] != n2 or input1.shape[:-1] != input2.shape[:-1]:
        raise ValueError(f"bilinear: inputs of shapes {input1.shape} and {input2.shape} do not "
                         f"fit a weight of shape {weight.shape} (expected (..., {n1}) and "
                         f"(..., {n2}) with the same leading dims)")
    lead = input1.shape[:-1]
    x1, x2 = reshape(input1, (-1, n1)), reshape(input2, (-1, n2))
    t = matmul(x1, reshape(permute(weight, (1, 0, 2)), (n1, out * n2)))
    y = sum_(reshape(t, (-1, out, n2)) * unsqueeze(x2, 1), -1)
    if bias is not None:
        y = y + bias
    return reshape(y, lead + (out,))


# ---- dropout ----------------------------------------------------------------------------------
def dropout(input, p=0.5, training=True, inplace=False):
    """Zeroes each element with probability p and scales the others by 1 / (1 - p), so that the
    expected value is unchanged; the identity when not training. With inplace=True (as each
    of these) the result is written into the input."""
    return _in_place(input, _dropout("dropout", input, p, training, input.shape), inplace)


def dropout1d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, L) at once (each with probability p)."""
    return _in_place(input, _channel_dropout("dropout1d", input, p, training, 3), inplace)


def dropout2d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, H, W) at once (each with probability p), which suits
    convolutional features whose neighbours are strongly correlated."""
    return _in_place(input, _channel_dropout("dropout2d", input, p, training, 4), inplace)


def dropout3d(input, p=0.5, training=True, inplace=False):
    """Zeroes whole channels of (N, C, D, H, W) at once (each with probability p)."""
    return _in_place(input, _channel_dropout("dropout3d", input, p, training, 5), inplace)


# -alpha * scale of selu: the value selu gives very negative inputs
_SELU_FLOOR = -1.7580993408473766


def alpha_dropout(input, p=0.5, training=False, inplace=False):
    """Dropout for self-normalizing (selu) networks: dropped elements are set to selu's
    negative saturation value instead of 0, and an affine map a x + b then restores the mean
    and variance of zero-mean unit-variance inputs (Klambauer et al.)."""
    if not 0 <= p <= 1:
        raise ValueError(f"alpha_dropout: p is a probability between 0 and 1, got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    keep = rand(*input.shape, device=input.device).array >= p
    a = ((1 - p) * (1 + p * _SELU_FLOOR ** 2)) ** -0.5
    b = a * _SELU_FLOOR * (1 - p - keep)  # a * floor where dropped, then the shift -a floor p
    return scale_by(input, (a * keep).astype(input.dtype)) + b.astype(input.dtype)


def _in_place(input, out, inplace):
    return written_into(input, out, "dropout_") if inplace and out is not input else out


def _channel_dropout(name, input, p, training, ndim):
    if input.ndim not in (ndim - 1, ndim):
        raise ValueError(f"{name}: expected a {ndim}-D input (N, C, ...) or a {ndim - 1}-D one, "
                         f"got shape {input.shape}")
    lead = 2 if input.ndim == ndim else 1
    return _dropout(name, input, p, training, input.shape[:lead] + (1,) * (input.ndim - lead))


def _dropout(name, input, p, training, mask_shape):
    if not 0 <= p <= 1:
        raise ValueError(f"{name}: p is a probability between 0 and 1, got {p}")
    if not training or p == 0:
        return input
    if p == 1:
        return input * 0.0
    keep = rand(*mask_shape, device=input.device).array >= p
    return scale_by(input, (keep / (1 - p)).astype(input.dtype))


# ---- normalization ----------------------------------------------------------------------------
def _standardized(x, axes, eps):
    """(x - mean) / sqrt(var + eps) over `axes`, with the (biased) variance; also the mean and
    variance, for running statistics."""
    mu = mean(x, axes, keepdim=True)
    centered = x - mu
    var = mean(centered * centered, axes, keepdim=True)
    return centered * rsqrt(var + eps), mu, var


def _affine(y, weight, bias, shape):
    if weight is not None:
        y = y * reshape(weight, shape)
    if bias is not None:
        y = y + reshape(bias, shape)
    return y


def batch_norm(input, running_mean, running_var, weight=None, bias=None, training=False,
               momentum=0.1, eps=1e-5):
    """Normalizes each channel (dim 1) over the batch and spatial dims. Training uses the batch's
    statistics and moves the running ones toward them: running = (1 - momentum) * running +
    momentum * batch (the unbiased variance); evaluation uses the running statistics."""
    if input.ndim < 2:
        raise ValueError(f"batch_norm: expected an input (N, C, ...), got shape {input.shape}")
    channels = input.shape[1]
    shape = (1, channels) + (1,) * (input.ndim - 2)
    for what, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ValueError(f"batch_norm: the input has {channels} channels but {what} has "
                             f"shape {t.shape}")
    if not training:
        if running_mean is None or running_var is None:
            raise ValueError("batch_norm: evaluation needs running_mean and running_var")
        y = (input - reshape(running_mean, shape)) * rsqrt(reshape(running_var, shape) + eps)
        return _affine(y, weight, bias, shape)
    axes = (0,) + tuple(range(2, input.ndim))
    count = input.array.size // max(channels, 1)
    if count <= 1:
        raise ValueError(f"batch_norm: training needs more than one value per channel to "
                         f"compute a variance, got input of shape {input.shape}")
    y, mu, var = _standardized(input, axes, eps)
    if running_mean is not None:
        with no_grad():
            running_mean.copy_((1 - momentum) * running_mean.array
                               + momentum * mu.array.reshape(channels))
            running_var.copy_((1 - momentum) * running_var.array
                              + momentum * var.array.reshape(channels) * (count / (count - 1)))
    return _affine(y, weight, bias, shape)


def layer_norm(input, normalized_shape, weight=None, bias=None, eps=1e-5):
    """Normalizes over the last dims (those of `normalized_shape`) of each sample."""
    normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
        else tuple(normalized_shape)
    n = len(normalized_shape)
    if input.shape[input.ndim - n:] != normalized_shape or input.ndim < n:
        raise ValueError(f"layer_norm: the input of shape {input.shape} does not end with the "
                         f"normalized shape {normalized_shape}")
    y, _, _ = _standardized(input, tuple(range(input.ndim - n, input.ndim)), eps)
    return _affine(y, weight, bias, normalized_shape)


def group_norm(input, num_groups, weight=None, bias=None, eps=1e-5):
    """Splits the channels into num_groups groups and normalizes each group of each sample."""
    if input.ndim < 2 or input.shape[1] % num_groups:
        raise ValueError(f"group_norm: expected an input (N, C, ...) whose C divides into "
                         f"{num_groups} groups, got shape {input.shape}")
    grouped = reshape(input, (input.shape[0], num_groups, -1))
    y, _, _ = _standardized(grouped, (2,), eps)
    return _affine(reshape(y, input.shape), weight, bias,
                   (1, input.shape[1]) + (1,) * (input.ndim - 2))


# ---- embedding and one-hot --------------------------------------------------------------------
class EmbeddingLookup(Op):
    """weight[indices]: rows of the table. Its backward adds each gradient row into the row it
    came from, except into padding_idx's row, which stays fixed."""

    def forward(ctx, weight, indices, padding_idx):
        ctx.shape = weight.shape
        ctx.save_for_backward(indices, None if padding_idx is None else
                              (indices != padding_idx)[..., None])
        return weight[indices]

    def backward(ctx, g):
        indices, keep = ctx.saved_arrays
        if keep is not None:
            g = scale_by(g, keep)
        return IndexAdd.apply(g, (indices, Ellipsis), ctx.shape)


def embedding(input, weight, padding_idx=None):
    """Looks up rows of `weight` (num_embeddings, embedding_dim) for the integer indices in
    `input` (any shape): the output has shape input.shape + (embedding_dim,)."""
    indices = _integer_array("embedding", input)
    count = weight.shape[0]
    if indices.size and (indices.min() < 0 or indices.max() >= count):
        bad = indices.max() if indices.max() >= count else indices.min()
        raise IndexError(f"embedding: index {int(bad)} is out of range for {count} embeddings "
                         f"(valid: 0 to {count - 1})")
    if padding_idx is not None:
        if not -count <= padding_idx < count:
            raise ValueError(f"embedding: padding_idx {padding_idx} is out of range for "
                             f"{count} embeddings")
        padding_idx %= count
    return EmbeddingLookup.apply(weight, indices, padding_idx)


def _integer_array(name, t):
    array = t.array if isinstance(t, Tensor) else np.asarray(t)
    if array.dtype.kind not in "iu":
        raise TypeError(f"{name}: expected integer indices (a long tensor), got {array.dtype}")
    return array


def one_hot(tensor, num_classes=-1):
    """(..., ) integer classes -> (..., num_classes) int64 of zeros with a one at each class;
    num_classes=-1 takes the largest class + 1."""
    classes = _integer_array("one_hot", tensor)
    xp = array_module(classes)
    if num_classes == -1:
        num_classes = int(classes.max()) + 1 if classes.size else 0
    if classes.size and (classes.min() < 0 or classes.max() >= num_classes):
        bad = classes.min() if classes.min() < 0 else classes.max()
        raise ValueError(f"one_hot: class {int(bad)} is out of range for {num_classes} classes")
    return _constant((classes[..., None] == xp.arange(num_classes)).astype(np.int64))


# ---- losses -----------------------------------------------------------------------------------
_REDUCTIONS = ("none", "mean", "sum")


def _check_reduction(name, reduction, allowed=_REDUCTIONS):
    if reduction not in allowed:
        raise ValueError(f"{name}: reduction must be one of {', '.join(map(repr, allowed))}, "
                         f"got {reduction!r}")


def legacy_reduction(name, size_average, reduce, reduction, allowed=_REDUCTIONS):
    """The reduction, after PyTorch's older flags: reduce=False keeps every loss ('none'),
    else size_average=False sums them; either given (even as True) overrides `reduction`."""
    if size_average is not None or reduce is not None:
        reduction = "none" if reduce is False else "sum" if size_average is False else "mean"
    _check_reduction(name, reduction, allowed)
    return reduction


def _reduce(loss, reduction):
    return loss if reduction == "none" else sum_(loss) if reduction == "sum" else mean(loss)


def _reduce_weighted(name, loss, weight, reduction, mean_by_weight=True):
    """An elementwise weight (of the loss's shape) times the loss; 'mean' is then
    sum(w l) / sum(w), or the plain mean (huber_loss), as PyTorch's."""
    if weight is None:
        return _reduce(loss, reduction)
    if weight.shape != loss.shape:
        raise ValueError(f"{name}: expected a weight of the input's shape {loss.shape}, got "
                         f"{weight.shape}")
    loss = loss * weight
    if reduction == "mean" and mean_by_weight:
        return sum_(loss) / sum_(weight)
    return _reduce(loss, reduction)


def _pointwise(name, input, target, reduction, allowed=_REDUCTIONS):
    """Checks shared by the elementwise losses: a known reduction, and the same shapes (never a
    silent broadcast, which would compare every output with every target)."""
    _check_reduction(name, reduction, allowed)
    if not isinstance(target, Tensor) or target.shape != input.shape:
        shape = target.shape if isinstance(target, Tensor) else type(target).__name__
        raise ValueError(f"{name}: the target of shape {shape} does not match the input of "
                         f"shape {input.shape}; they must be the same (reshape one, e.g. "
                         "target.view(input.shape))")


def mse_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """(input - target)^2, averaged (or summed) over every element; with an elementwise
    weight, the mean is the weighted mean."""
    reduction = legacy_reduction("mse_loss", size_average, reduce, reduction)
    _pointwise("mse_loss", input, target, reduction)
    diff = input - target
    return _reduce_weighted("mse_loss", diff * diff, weight, reduction)


def l1_loss(input, target, size_average=None, reduce=None, reduction="mean", weight=None):
    """|input - target|; with an elementwise weight, the mean is the weighted mean."""
    reduction = legacy_reduction("l1_loss", size_average, reduce, reduction)
    _pointwise("l1_loss", input, target, reduction)
    return _reduce_weighted("l1_loss", abs(input - target), weight, reduction)


def huber_loss(input, target, reduction="mean", delta=1.0, weight=None):
    """0.5 d^2 where d = |input - target| < delta, else delta (d - 0.5 delta): quadratic near
    zero, linear (robust to outliers) beyond. An elementwise weight scales each term (and
    'mean' stays the plain mean, as in PyTorch)."""
    _pointwise("huber_loss", input, target, reduction)
    d = abs(input - target)
    loss = where(d < delta, 0.5 * d * d, delta * (d - 0.5 * delta))
    return _reduce_weighted("huber_loss", loss, weight, reduction, mean_by_weight=False)


def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction="mean", beta=1.0):
    """Huber loss divided by beta: 0.5 d^2 / beta where d < beta, else d - 0.5 beta."""
    reduction = legacy_reduction("smooth_l1_loss", size_average, reduce, reduction)
    _pointwise("smooth_l1_loss", input, target, reduction)
    d = abs(input - target)
    if beta == 0:
        return _reduce(d, reduction)
    return _reduce(where(d < beta, (0.5 / beta) * d * d, d - 0.5 * beta), reduction)


def _one_sample(name, input, target):
    """PyTorch also takes one sample: input (C,) with a 0-d class index or (C,) probabilities;
    it becomes a batch of one."""
    if input.ndim == 0:
        raise ValueError(f"{name}: expected an input of shape (N, C, ...) or (C,), got a 0-d "
                         "tensor")
    if input.ndim != 1:
        return input, target, False
    if not isinstance(target, Tensor):
        raise TypeError(f"{name}: expected the target as a Tensor, got {type(target).__name__}")
    return unsqueeze(input, 0), unsqueeze(target, 0), True


def _per_sample(loss, reduction, single):
    return squeeze(loss, 0) if single and reduction == "none" else loss


def _classes(name, logp, target, weight, ignore_index):
    """For class-index targets: the per-element loss -w[t] logp[t], the weights w[t] (0 where
    the target is ignore_index) and where it is not, with clear errors for bad shapes or
    classes."""
    n_classes = logp.shape[1]
    expected = logp.shape[:1] + logp.shape[2:]
    t = _integer_array(name, target)
    if t.shape != expected:
        raise ValueError(f"{name}: expected a target of shape {expected} (one class index per "
                         f"sample) for an input of shape {logp.shape}, got {t.shape}")
    if weight is not None and weight.shape != (n_classes,):
        raise ValueError(f"{name}: expected a weight of shape ({n_classes},), one per class, "
                         f"got {weight.shape}")
    xp = array_module(t)
    valid = t != ignore_index
    out_of_range = valid & ((t < 0) | (t >= n_classes))
    if out_of_range.any():
        raise IndexError(f"{name}: target class {int(t[out_of_range].reshape(-1)[0])} is out "
                         f"of range for {n_classes} classes")
    safe = xp.where(valid, t, 0)
    w = valid if weight is None else weight.array[safe] * valid
    w = w.astype(logp.dtype)
    picked = squeeze(gather(logp, 1, xp.expand_dims(safe, 1)), 1)
    return scale_by(picked, -w), w, valid


def nll_loss(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
             reduction="mean"):
    """-input[n, target[n]] for log-probabilities input (N, C, ...) and class indices target
    (N, ...); with class weights, the mean is the weighted mean sum(w[t] l) / sum(w[t]);
    targets equal to ignore_index count for nothing."""
    reduction = legacy_reduction("nll_loss", size_average, reduce, reduction)
    input, target, single = _one_sample("nll_loss", input, target)
    loss, w, _ = _classes("nll_loss", input, target, weight, ignore_index)
    return _per_sample(_weighted_reduce(loss, w, reduction), reduction, single)


def _weighted_reduce(loss, w, reduction):
    if reduction == "mean":
        return sum_(loss) / _constant(w.sum())
    return _reduce(loss, reduction)


def cross_entropy(input, target, weight=None, size_average=None, ignore_index=-100, reduce=None,
                  reduction="mean", label_smoothing=0.0):
    """Cross-entropy of logits input (N, C, ...) against class indices (N, ...) or class
    probabilities (same shape as input): log_softmax over dim 1, then the negative
    log-likelihood. label_smoothing = e mixes the target with the uniform distribution:
    (1 - e) * target + e / C."""
    name = "cross_entropy"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    if not 0 <= label_smoothing <= 1:
        raise ValueError(f"{name}: label_smoothing must be between 0 and 1, got "
                         f"{label_smoothing}")
    probabilities = isinstance(target, Tensor) and dtypes.is_floating(target.dtype)
    input, target, single = _one_sample(name, input, target)
    logp = log_softmax(input, 1)
    n_classes = input.shape[1]
    class_weights = None if weight is None else reshape(weight, (1, n_classes) + (1,) * (
        input.ndim - 2))
    if probabilities:
        if target.shape != input.shape:
            raise ValueError(f"{name}: a floating-point target is read as class "
                             f"probabilities, which must have the input's shape {input.shape}, "
                             f"got {target.shape}; class indices need an integer target "
                             "(target.long())")
        if label_smoothing:
            target = target * (1 - label_smoothing) + label_smoothing / n_classes
        terms = logp * target if class_weights is None else logp * target * class_weights
        loss = -sum_(terms, 1)
        if reduction == "mean":
            return sum_(loss) / max(loss.array.size, 1)
        return _per_sample(_reduce(loss, reduction), reduction, single)
    loss, w, valid = _classes(name, logp, target, weight, ignore_index)
    if label_smoothing:
        spread = logp if class_weights is None else logp * class_weights
        uniform = scale_by(sum_(spread, 1), -valid.astype(logp.dtype))
        loss = (1 - label_smoothing) * loss + (label_smoothing / n_classes) * uniform
    return _per_sample(_weighted_reduce(loss, w, reduction), reduction, single)


class BinaryCrossEntropy(Op):
    """l = -(t log x + (1 - t) log(1 - x)), each log bounded below by -100 as in PyTorch (so
    that x = 0 or 1 gives a finite loss). Its derivative (x - t) / (x (1 - x)) has the
    denominator bounded below by 1e-12, again as PyTorch does."""

    def forward(ctx, x, t):
        ctx.save_for_backward(x, t)
        xp = array_module(x)
        with np.errstate(divide="ignore"):
            return -(t * xp.maximum(xp.log(x), -100) + (1 - t) * xp.maximum(xp.log1p(-x), -100))

    def backward(ctx, g):
        x, t = ctx.saved_like(g)
        gx = gt = None
        if ctx.needs_input_grad[0]:
            gx = g * (x - t) / Clamp.apply(x * (1 - x), 1e-12, None)
        if ctx.needs_input_grad[1]:
            gt = g * (_log_at_least(1 - x, -100) - _log_at_least(x, -100))
        return gx, gt


def _log_at_least(x, floor):
    return Clamp.apply(Log.apply(x), floor, None)


def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction="mean"):
    """-w (t log x + (1 - t) log(1 - x)) for probabilities x in [0, 1] and targets t."""
    name = "binary_cross_entropy"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    _pointwise(name, input, target, reduction)
    if input.array.size and (input.array.min() < 0 or input.array.max() > 1):
        raise ValueError(f"{name}: the input must hold probabilities in [0, 1] (apply sigmoid "
                         "first, or use binary_cross_entropy_with_logits on raw scores)")
    loss = BinaryCrossEntropy.apply(input, target.to(input.dtype))
    return _reduce(loss if weight is None else loss * weight, reduction)


def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction="mean", pos_weight=None):
    """Binary cross-entropy of sigmoid(x), computed from the logit x without ever forming
    log(sigmoid(x)): (1 - t) x + (1 + (pos_weight - 1) t) softplus(-x), finite for any x.
    pos_weight (one per class, broadcast over the last dim) weighs the positive examples."""
    name = "binary_cross_entropy_with_logits"
    reduction = legacy_reduction(name, size_average, reduce, reduction)
    _pointwise(name, input, target, reduction)
    target = target.to(input.dtype)
    positive = 1 if pos_weight is None else 1 + (pos_weight - 1) * target
    loss = (1 - target) * input + positive * softplus(-input)
    return _reduce(loss if weight is None else loss * weight, reduction)


def kl_div(input, target, size_average=None, reduce=None, reduction="mean", log_target=False):
    """KL(target || q) summed pointwise, for input = log q: target (log target - input), taken
    as 0 where target = 0; with log_target, the target is given as log-probabilities.
    reduction='batchmean' divides the sum by the batch size (the true KL divergence per sample);
    'mean' divides by the number of elements, as PyTorch does."""
    name = "kl_div"
    reduction = legacy_reduction(name, size_average, reduce, reduction,
                                 _REDUCTIONS + ("batchmean",))
    _pointwise(name, input, target, reduction, _REDUCTIONS + ("batchmean",))
    if log_target:
        loss = exp(target) * (target - input)
    else:
        positive = target.array > 0
        loss = where(positive, target * log(where(positive, target, 1.0)), 0.0) - target * input
    if reduction == "batchmean":
        return sum_(loss) / (input.shape[0] if input.ndim else 1)
    return _reduce(loss, reduction)


# the losses of nn/losses.py, built on the helpers above (so imported last)
from .losses import (cosine_embedding_loss, ctc_loss, gaussian_nll_loss,  # noqa: E402
                     hinge_embedding_loss, margin_ranking_loss, multi_margin_loss,
                     multilabel_margin_loss, multilabel_soft_margin_loss, poisson_nll_loss,
                     soft_margin_loss, triplet_margin_loss)
