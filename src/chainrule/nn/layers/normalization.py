"""Normalization layers: BatchNorm1d/2d/3d (with running statistics), InstanceNorm1d/2d/3d,
LayerNorm, GroupNorm, LocalResponseNorm."""
from ...backend import dtypes
from ...ops.creation import ones, tensor, zeros
from .. import functional as F
from .. import init
from ..module import Module
from .linear import parameter


class _BatchNorm(Module):
    """Normalizes each channel with the batch's statistics while training, and keeps running
    estimates for evaluation: running = (1 - momentum) * running + momentum * batch, or, with
    momentum=None, the plain average over all batches seen (num_batches_tracked counts them).
    affine adds a learned scale (weight, ones) and shift (bias, zeros; bias=False leaves it out)
    per channel."""
    dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=True,
                 track_running_stats=True, device=None, dtype=None, *, bias=True):
        super().__init__()
        self.num_features, self.eps, self.momentum = num_features, eps, momentum
        self.affine, self.track_running_stats = affine, track_running_stats
        self.register_parameter("weight", parameter(num_features, dtype=dtype, device=device,
                                                    present=affine))
        self.register_parameter("bias", parameter(num_features, dtype=dtype, device=device,
                                                  present=affine and bias))
        if track_running_stats:
            self.register_buffer("running_mean", zeros(num_features, dtype=dtype, device=device))
            self.register_buffer("running_var", ones(num_features, dtype=dtype, device=device))
            self.register_buffer("num_batches_tracked",
                                 tensor(0, dtype=dtypes.int64, device=device))
        else:
            for name in ("running_mean", "running_var", "num_batches_tracked"):
                self.register_buffer(name, None)
        self.reset_parameters()

    def reset_running_stats(self):
        if self.track_running_stats:
            self.running_mean.zero_()
            self.running_var.fill_(1)
            self.num_batches_tracked.zero_()

    def reset_parameters(self):
        self.reset_running_stats()
        _ones_and_zeros(self.weight, self.bias)

    def forward(self, input):
        if input.ndim not in self.dims:
            raise ValueError(f"{type(self).__name__}: expected a {' or '.join(map(str, self.dims))}"
                             f"-D input, got shape {input.shape}")
        momentum = 0.0 if self.momentum is None else self.momentum
        if self.training and self.track_running_stats:
            self.num_batches_tracked += 1
            if self.momentum is None:  # cumulative average: weigh this batch 1/count
                momentum = 1.0 / int(self.num_batches_tracked.item())
        use_batch = self.training or self.running_mean is None
        keep = not self.training or self.track_running_stats
        return F.batch_norm(input, self.running_mean if keep else None,
                            self.running_var if keep else None, self.weight, self.bias,
                            use_batch, momentum, self.eps)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, bias={self.bias is not None}, "
                f"track_running_stats={self.track_running_stats}")


class BatchNorm1d(_BatchNorm):
    """Batch normalization of (N, C) or (N, C, L) inputs, per channel C."""
    dims = (2, 3)


class BatchNorm2d(_BatchNorm):
    """Batch normalization of (N, C, H, W) inputs, per channel C."""
    dims = (4,)


class BatchNorm3d(_BatchNorm):
    """Batch normalization of (N, C, D, H, W) inputs, per channel C."""
    dims = (5,)


class _InstanceNorm(_BatchNorm):
    """Normalizes each channel of each sample over its spatial dims. Unlike batch norm, affine
    and track_running_stats default to False; with running statistics, evaluation uses them
    (and training still moves them, by the batch's average instance statistics)."""
    dims = ()

    def __init__(self, num_features, eps=1e-5, momentum=0.1, affine=False,
                 track_running_stats=False, device=None, dtype=None):
        super().__init__(num_features, eps, momentum, affine, track_running_stats, device,
                         dtype)

    def forward(self, input):
        batched, unbatched = self.dims
        if input.ndim not in self.dims:
            raise ValueError(f"{type(self).__name__}: expected a {batched}-D input (N, C, ...) "
                             f"or a {unbatched}-D one (C, ...), got shape {input.shape}")
        x = input if input.ndim == batched else input.unsqueeze(0)
        if x.shape[1] != self.num_features and self.affine:
            raise ValueError(f"{type(self).__name__}: expected {self.num_features} channels, "
                             f"got input of shape {input.shape}")
        y = F.instance_norm(x, self.running_mean, self.running_var, self.weight, self.bias,
                            self.training or not self.track_running_stats,
                            0.0 if self.momentum is None else self.momentum, self.eps)
        return y if input.ndim == batched else y.squeeze(0)

    def extra_repr(self):
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


class InstanceNorm1d(_InstanceNorm):
    """Instance normalization of (N, C, L), or of one sample (C, L)."""
    dims = (3, 2)


class InstanceNorm2d(_InstanceNorm):
    """Instance normalization of (N, C, H, W), or of one sample (C, H, W)."""
    dims = (4, 3)


class InstanceNorm3d(_InstanceNorm):
    """Instance normalization of (N, C, D, H, W), or of one sample (C, D, H, W)."""
    dims = (5, 4)


class LocalResponseNorm(Module):
    """Each value divided by (k + alpha/size * sum of squares over the `size` neighbouring
    channels)^beta, as in AlexNet."""

    def __init__(self, size, alpha=1e-4, beta=0.75, k=1.0):
        super().__init__()
        self.size, self.alpha, self.beta, self.k = size, alpha, beta, k

    def forward(self, input):
        return F.local_response_norm(input, self.size, self.alpha, self.beta, self.k)

    def extra_repr(self):
        return f"{self.size}, alpha={self.alpha}, beta={self.beta}, k={self.k}"


class LayerNorm(Module):
    """Normalizes each sample over its last dims (normalized_shape), then scales and shifts
    elementwise (weight ones, bias zeros) when elementwise_affine."""

    def __init__(self, normalized_shape, eps=1e-5, elementwise_affine=True, bias=True,
                 device=None, dtype=None):
        super().__init__()
        self.normalized_shape = (normalized_shape,) if isinstance(normalized_shape, int) \
            else tuple(normalized_shape)
        self.eps, self.elementwise_affine = eps, elementwise_affine
        self.register_parameter("weight", parameter(*self.normalized_shape, dtype=dtype,
                                                    device=device, present=elementwise_affine))
        self.register_parameter("bias", parameter(*self.normalized_shape, dtype=dtype,
                                                  device=device,
                                                  present=elementwise_affine and bias))
        self.reset_parameters()

    def reset_parameters(self):
        _ones_and_zeros(self.weight, self.bias)

    def forward(self, input):
        return F.layer_norm(input, self.normalized_shape, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.normalized_shape}, eps={self.eps}, "
                f"elementwise_affine={self.elementwise_affine}, bias={self.bias is not None}")


class GroupNorm(Module):
    """Normalizes each of num_groups channel groups of each sample (independent of the batch),
    then scales and shifts per channel when affine."""

    def __init__(self, num_groups, num_channels, eps=1e-5, affine=True, device=None, dtype=None,
                 *, bias=True):
        super().__init__()
        if num_channels % num_groups:
            raise ValueError(f"GroupNorm: num_channels ({num_channels}) must divide by "
                             f"num_groups ({num_groups})")
        self.num_groups, self.num_channels, self.eps, self.affine = \
            num_groups, num_channels, eps, affine
        self.register_parameter("weight", parameter(num_channels, dtype=dtype, device=device,
                                                    present=affine))
        self.register_parameter("bias", parameter(num_channels, dtype=dtype, device=device,
                                                  present=affine and bias))
        self.reset_parameters()

    def reset_parameters(self):
        _ones_and_zeros(self.weight, self.bias)

    def forward(self, input):
        return F.group_norm(input, self.num_groups, self.weight, self.bias, self.eps)

    def extra_repr(self):
        return (f"{self.num_groups}, {self.num_channels}, eps={self.eps}, affine={self.affine}, "
                f"bias={self.bias is not None}")


def _ones_and_zeros(weight, bias):
    """The identity transform: scale 1, shift 0 (either may be absent)."""
    if weight is not None:
        init.ones_(weight)
    if bias is not None:
        init.zeros_(bias)
