"""Normalizations within each sample: instance normalization (each channel of each sample over
its own spatial dims) and local response normalization (each value by its neighbours across
channels). Both are composites of elementwise ops and reductions, so their gradients of every
order come for free."""
from ..autograd.grad_mode import no_grad
from ..backend import dtypes
from .elementwise import rsqrt
from .reduce import mean, var
from .padding import pad
from .shape import narrow, reshape

__all__ = ["instance_norm", "local_response_norm"]


def instance_norm(input, running_mean=None, running_var=None, weight=None, bias=None,
                  use_input_stats=True, momentum=0.1, eps=1e-5):
    """(x - mean) / sqrt(var + eps) per channel of each sample of (N, C, *spatial), over the
    spatial dims (the biased variance). With use_input_stats=False the running statistics are
    used instead; otherwise, when given, they move toward the batch's average instance
    statistics: running = (1 - momentum) * running + momentum * stat (the unbiased variance)."""
    name = "instance_norm"
    if input.ndim < 3:
        raise ValueError(f"{name}: expected an input (N, C, *spatial) with spatial dims, got "
                         f"shape {input.shape}")
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"{name}: expected a floating-point input, got {input.dtype}")
    channels = input.shape[1]
    for what, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and t.shape != (channels,):
            raise ValueError(f"{name}: the input has {channels} channels but {what} has shape "
                             f"{t.shape}")
    shape = (1, channels) + (1,) * (input.ndim - 2)
    if use_input_stats:
        axes = tuple(range(2, input.ndim))
        count = input.array.size // max(input.shape[0] * channels, 1)
        if count <= 1:
            raise ValueError(f"{name}: needs more than one spatial value per channel, got input "
                             f"of shape {input.shape}")
        mu = mean(input, axes, keepdim=True)
        sigma2 = var(input, axes, keepdim=True, correction=0)
        y = (input - mu) * rsqrt(sigma2 + eps)
        if running_mean is not None and running_var is not None:
            with no_grad():
                running_mean.copy_((1 - momentum) * running_mean
                                   + momentum * mean(reshape(mu, input.shape[:2]), 0))
                running_var.copy_((1 - momentum) * running_var + momentum * (count / (count - 1))
                                  * mean(reshape(sigma2, input.shape[:2]), 0))
    else:
        if running_mean is None or running_var is None:
            raise ValueError(f"{name}: use_input_stats=False needs running_mean and running_var")
        y = (input - reshape(running_mean, shape)) * rsqrt(reshape(running_var, shape) + eps)
    if weight is not None:
        y = y * reshape(weight, shape)
    if bias is not None:
        y = y + reshape(bias, shape)
    return y


def local_response_norm(input, size, alpha=1e-4, beta=0.75, k=1.0):
    """x_c / (k + alpha/size * sum of x^2 over the `size` channels around c)^beta, for
    (N, C, ...); the window is centred (size // 2 before), zero beyond the channels."""
    if input.ndim < 3:
        raise ValueError(f"local_response_norm: expected an input (N, C, ...) with at least 3 "
                         f"dims, got shape {input.shape}")
    if size < 1:
        raise ValueError(f"local_response_norm: size must be a positive int, got {size}")
    channels = input.shape[1]
    squares = pad(input * input, (0, 0) * (input.ndim - 2) + (size // 2, (size - 1) // 2))
    total = narrow(squares, 1, 0, channels)
    for start in range(1, size):  # one shifted slice per tap of the window
        total = total + narrow(squares, 1, start, channels)
    return input / (total * (alpha / size) + k) ** beta
