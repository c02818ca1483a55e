"""Weight initialisation: fill a tensor in place (outside the graph) with draws from chainrule's
seeded generator, scaled so that signals keep their variance through the layers.

Fan-in and fan-out follow PyTorch: a weight of shape (out, in, *kernel) has
fan_in = in * prod(kernel) and fan_out = out * prod(kernel)."""
import math
import numbers
import warnings

import numpy as np

from ..autograd import no_grad
from ..backend import generator, to_device
from ..ops.erf import erf_array

__all__ = ["calculate_gain", "uniform_", "normal_", "constant_", "zeros_", "ones_", "eye_",
           "xavier_uniform_", "xavier_normal_", "kaiming_uniform_", "kaiming_normal_",
           "orthogonal_", "trunc_normal_", "sparse_", "dirac_"]

_LINEAR = ("linear", "conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "sigmoid")


def calculate_gain(nonlinearity, param=None):
    """The factor by which a nonlinearity shrinks the standard deviation of its input, inverted:
    1 for linear maps and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for
    leaky_relu (slope `param`, default 0.01), 3/4 for selu."""
    if nonlinearity in _LINEAR:
        return 1.0
    if nonlinearity == "tanh":
        return 5.0 / 3
    if nonlinearity == "relu":
        return math.sqrt(2.0)
    if nonlinearity == "leaky_relu":
        if param is None:
            slope = 0.01
        elif isinstance(param, numbers.Real) and not isinstance(param, bool):
            slope = param
        else:
            raise ValueError(f"calculate_gain: negative_slope {param!r} is not a number")
        return math.sqrt(2.0 / (1 + slope ** 2))
    if nonlinearity == "selu":
        return 3.0 / 4
    raise ValueError(f"calculate_gain: unsupported nonlinearity {nonlinearity!r}; expected one "
                     f"of {', '.join(_LINEAR)}, tanh, relu, leaky_relu, selu")


def _calculate_fan_in_and_fan_out(tensor):
    if tensor.ndim < 2:
        raise ValueError(f"fan in and fan out need a tensor with at least 2 dimensions "
                         f"(out, in, *kernel), got shape {tensor.shape}")
    receptive_field = math.prod(tensor.shape[2:])
    return tensor.shape[1] * receptive_field, tensor.shape[0] * receptive_field


def _fan(tensor, mode):
    if mode not in ("fan_in", "fan_out"):
        raise ValueError(f"init: mode must be 'fan_in' or 'fan_out', got {mode!r}")
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return fan_in if mode == "fan_in" else fan_out


def _fill(tensor, values):
    """Writes host `values` into the tensor (any device, its dtype) without recording a graph."""
    with no_grad():
        return tensor.copy_(to_device(np.asarray(values, tensor.dtype), tensor.device))


def uniform_(tensor, a=0.0, b=1.0):
    """Draws from U(a, b)."""
    return _fill(tensor, generator().uniform(a, b, tensor.shape))


def normal_(tensor, mean=0.0, std=1.0):
    """Draws from N(mean, std^2)."""
    return _fill(tensor, generator().normal(mean, std, tensor.shape))


def constant_(tensor, val):
    return _fill(tensor, np.full(tensor.shape, val))


def zeros_(tensor):
    return constant_(tensor, 0)


def ones_(tensor):
    return constant_(tensor, 1)


def eye_(tensor):
    """The identity matrix (a 2-D tensor), which keeps inputs unchanged in a Linear layer."""
    if tensor.ndim != 2:
        raise ValueError(f"eye_: expected a 2-D tensor, got shape {tensor.shape}")
    return _fill(tensor, np.eye(*tensor.shape))


def xavier_uniform_(tensor, gain=1.0):
    """Glorot & Bengio (2010): U(-a, a) with a = gain * sqrt(6 / (fan_in + fan_out)), so that
    the variance is gain^2 * 2 / (fan_in + fan_out)."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    bound = math.sqrt(3.0) * gain * math.sqrt(2.0 / (fan_in + fan_out))
    return uniform_(tensor, -bound, bound)


def xavier_normal_(tensor, gain=1.0):
    """Glorot & Bengio (2010): N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out))."""
    fan_in, fan_out = _calculate_fan_in_and_fan_out(tensor)
    return normal_(tensor, 0.0, gain * math.sqrt(2.0 / (fan_in + fan_out)))


def _kaiming_std(tensor, a, mode, nonlinearity):
    """He et al. (2015): std = gain / sqrt(fan), keeping the variance of activations (fan_in)
    or of gradients (fan_out) through a ReLU-like layer; None for an empty tensor."""
    if tensor.numel() == 0:
        warnings.warn("init: initializing a zero-element tensor is a no-op")
        return None
    return calculate_gain(nonlinearity, a) / math.sqrt(_fan(tensor, mode))


def kaiming_uniform_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """U(-bound, bound) with bound = sqrt(3) * gain / sqrt(fan); `a` is leaky_relu's slope."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return tensor if std is None else uniform_(tensor, -math.sqrt(3.0) * std,
                                               math.sqrt(3.0) * std)


def kaiming_normal_(tensor, a=0, mode="fan_in", nonlinearity="leaky_relu"):
    """N(0, std^2) with std = gain / sqrt(fan); `a` is leaky_relu's slope."""
    std = _kaiming_std(tensor, a, mode, nonlinearity)
    return tensor if std is None else normal_(tensor, 0.0, std)


def orthogonal_(tensor, gain=1.0):
    """Saxe et al. (2013): a (semi-)orthogonal matrix, the tensor seen as (shape[0], rest), from
    the QR decomposition of a Gaussian matrix with the signs of R's diagonal fixed so that the
    draw is uniform over orthogonal matrices."""
    if tensor.ndim < 2:
        raise ValueError(f"orthogonal_: expected a tensor with at least 2 dimensions, got shape "
                         f"{tensor.shape}")
    if tensor.numel() == 0:
        return tensor
    rows = tensor.shape[0]
    cols = tensor.numel() // rows
    flat = generator().standard_normal((rows, cols))
    if rows < cols:
        flat = flat.T
    q, r = np.linalg.qr(flat)
    q *= np.sign(np.diag(r))
    if rows < cols:
        q = q.T
    return _fill(tensor, gain * q.reshape(tensor.shape))


def trunc_normal_(tensor, mean=0.0, std=1.0, a=-2.0, b=2.0):
    """Draws from N(mean, std^2) conditioned on [a, b], by inverting the normal CDF Phi: uniform
    draws u in [Phi(alpha), Phi(beta)] (alpha, beta: the bounds in standard units) become
    mean + std * Phi^-1(u), then clamped to [a, b] against rounding."""
    if not a < b:
        raise ValueError(f"trunc_normal_: expected a < b, got a={a}, b={b}")
    if mean < a - 2 * std or mean > b + 2 * std:
        warnings.warn("trunc_normal_: mean is more than 2 std from [a, b]; the values may be "
                      "inaccurate in the far tail")

    def cdf(x):
        return 0.5 * (1 + math.erf((x - mean) / (std * math.sqrt(2))))
    u = generator().uniform(2 * cdf(a) - 1, 2 * cdf(b) - 1, tensor.shape)  # erf(z) = u
    z = _erfinv(u)
    return _fill(tensor, np.clip(mean + std * math.sqrt(2) * z, a, b))


def _erfinv(u, steps=100):
    """Solves erf(z) = u by Newton's method from z = 0: erf is concave on the side of 0 where
    each root lies, so the iterates approach it monotonically, without overshoot."""
    z = np.zeros_like(u)
    for _ in range(steps):
        step = (erf_array(z) - u) / (2 / math.sqrt(math.pi) * np.exp(-z * z))
        z -= step
        if not np.any(np.abs(step) > 1e-12 * np.maximum(1, np.abs(z))):
            break
    return z


def sparse_(tensor, sparsity, std=0.01):
    """Martens (2010): a 2-D tensor drawn from N(0, std^2), with ceil(sparsity * rows) entries
    of each column, at random rows, set to zero."""
    if tensor.ndim != 2:
        raise ValueError(f"sparse_: expected a 2-D tensor, got shape {tensor.shape}")
    rows, cols = tensor.shape
    values = generator().normal(0.0, std, (rows, cols))
    zeroed = np.argsort(generator().random((rows, cols)), axis=0)[:math.ceil(sparsity * rows)]
    np.put_along_axis(values, zeroed, 0.0, axis=0)
    return _fill(tensor, values)


def dirac_(tensor, groups=1):
    """A convolution kernel (3-, 4- or 5-D: out, in, *kernel) that passes its input through:
    in each of `groups` blocks of output channels, output channel d of the block reads input
    channel d at the kernel's centre, for as many channels as both sides have."""
    if tensor.ndim not in (3, 4, 5):
        raise ValueError(f"dirac_: expected a 3-, 4- or 5-D tensor, got shape {tensor.shape}")
    out_channels = tensor.shape[0]
    if out_channels % groups:
        raise ValueError(f"dirac_: the {out_channels} output channels do not divide into "
                         f"{groups} groups")
    per_group = out_channels // groups
    channels = np.arange(min(per_group, tensor.shape[1]))
    rows = (np.arange(groups)[:, None] * per_group + channels).ravel()
    centre = tuple(k // 2 for k in tensor.shape[2:])
    values = np.zeros(tensor.shape)
    values[(rows, np.tile(channels, groups)) + centre] = 1.0
    return _fill(tensor, values)
