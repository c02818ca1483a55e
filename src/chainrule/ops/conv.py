"""Convolution and pooling: one machinery, im2col through a strided view.

A `Window` says how a kernel slides over the spatial dims (kernel, stride, padding, dilation).
`Unfold` copies every window of an input into columns, laid out (C, *kernel, N, *out): one
gather through `as_strided`, no Python loop over pixels. A convolution is then one matrix
product (per group) of the weights (C_out, C * kernel) with those columns (C * kernel, N * out),
large enough for BLAS to use every core; its output comes out channel-major, (C_out, N, *out),
and is handed on as an (N, C_out, *out) view. `Fold` (col2im) is unfold's adjoint: it adds columns
back onto an image with one strided add per kernel offset. Each of the two is the other's
derivative, so convolution, transposed convolution and average pooling, written as unfold/fold
plus matmul, get gradients of every order for free. Max pooling is one more op whose backward is
a fold of the gradient placed at each window's maximum."""
import itertools
import math

import numpy as np

from ..autograd.function import Op
from ..backend import array_module, dtypes
from ..tensor import Tensor
from .elementwise import _constant, scale_by
from .linalg import matmul
from .reduce import sum as sum_
from .shape import permute, reshape, squeeze, transpose, unsqueeze

__all__ = ["conv1d", "conv2d", "conv3d", "conv_transpose1d", "conv_transpose2d",
           "conv_transpose3d", "max_pool1d", "max_pool2d", "max_pool3d", "avg_pool1d",
           "avg_pool2d", "avg_pool3d", "adaptive_avg_pool1d", "adaptive_avg_pool2d",
           "adaptive_avg_pool3d"]


# ---- the geometry of a sliding window -----------------------------------------------------------
class Window:
    """How a kernel slides over the last n dims of an (N, C, *spatial) array. `padding` holds one
    (before, after) pair per dim, so that 'same' and ceil_mode can pad unevenly."""

    def __init__(self, kernel, stride, padding, dilation):
        self.kernel, self.stride = tuple(kernel), tuple(stride)
        self.padding, self.dilation = tuple(padding), tuple(dilation)

    def spans(self):
        """How far each dim's kernel reaches, dilation included."""
        return tuple(d * (k - 1) + 1 for k, d in zip(self.kernel, self.dilation))

    def padded(self, size):
        return tuple(s + lo + hi for s, (lo, hi) in zip(size, self.padding))

    def out_size(self, size):
        return tuple((p - span) // s + 1
                     for p, span, s in zip(self.padded(size), self.spans(), self.stride))

    def view(self, padded, out):
        """The windows of a padded array as a strided view (N, C, *kernel, *out): no copy."""
        xp = array_module(padded)
        lead, steps = padded.strides[:2], padded.strides[2:]
        strides = lead + tuple(st * d for st, d in zip(steps, self.dilation)) \
            + tuple(st * s for st, s in zip(steps, self.stride))
        return xp.lib.stride_tricks.as_strided(padded, padded.shape[:2] + self.kernel + out,
                                               strides)

    def inside(self, size):
        """The index of the unpadded input inside a padded array."""
        return (slice(None), slice(None)) + tuple(slice(lo, lo + s)
                                                  for (lo, _), s in zip(self.padding, size))

    def unfold(self, x, fill=0, out=None):
        """im2col: every window of x, copied into contiguous columns (C, *kernel, N, *out).
        `out` may ask for fewer windows than fit (fold's adjoint, after output_padding)."""
        xp, size = array_module(x), x.shape[2:]
        if any(lo or hi for lo, hi in self.padding):
            padded = xp.full(x.shape[:2] + self.padded(size), fill, x.dtype)
            padded[self.inside(size)] = x
        else:
            padded = x
        view = self.view(padded, out or self.out_size(size))
        n = len(size)
        return xp.ascontiguousarray(view.transpose(
            (1,) + tuple(range(2, 2 + n)) + (0,) + tuple(range(2 + n, 2 + 2 * n))))

    def fold(self, cols, size):
        """col2im, unfold's adjoint: adds each column (C, *kernel, N, *out) back where its
        window lies, onto an (N, C, *size) image (stored channel-major). Windows that do not
        overlap are written by assignment, others added: one strided copy per kernel offset (a
        loop over the kernel, never over pixels)."""
        n = len(size)
        out = cols.shape[2 + n:]
        cols = cols.transpose((n + 1, 0) + tuple(range(1, n + 1)) +
                              tuple(range(n + 2, 2 * n + 2)))  # (N, C, *kernel, *out)
        padded = array_module(cols).zeros((cols.shape[1], cols.shape[0]) + self.padded(size),
                                          cols.dtype).swapaxes(0, 1)
        view = self.view(padded, out)
        overlap = any(k > 1 and o > 1 and s < span
                      for k, o, s, span in zip(self.kernel, out, self.stride, self.spans()))
        for offset in itertools.product(*map(range, self.kernel)):
            index = (slice(None), slice(None)) + offset
            if overlap:
                view[index] += cols[index]
            else:
                view[index] = cols[index]
        return padded[self.inside(size)]


class Unfold(Op):
    """(N, C, *size) -> (C, *kernel, N, *out): every window as a column."""

    def forward(ctx, x, window, out=None):
        ctx.window, ctx.size = window, x.shape[2:]
        return window.unfold(x, out=out)

    def backward(ctx, g):
        return Fold.apply(g, ctx.window, ctx.size)


class Fold(Op):
    """(C, *kernel, N, *out) -> (N, C, *size): columns added back onto an image."""

    def forward(ctx, cols, window, size):
        ctx.window, ctx.out = window, cols.shape[2 + len(size):]
        return window.fold(cols, size)

    def backward(ctx, g):
        return Unfold.apply(g, ctx.window, ctx.out)


# ---- arguments --------------------------------------------------------------------------------
def _ints(name, what, value, n):
    """An int or a sequence of n ints, as a tuple of n ints."""
    values = (value,) * n if isinstance(value, (int, np.integer)) else tuple(value)
    if len(values) != n or not all(isinstance(v, (int, np.integer)) for v in values):
        raise ValueError(f"{name}: {what} must be an int or {n} ints, got {value!r}")
    return tuple(int(v) for v in values)


def _batched(name, x, n):
    """x with a batch dim: PyTorch also accepts one unbatched sample (C, *spatial)."""
    if not isinstance(x, Tensor):
        raise TypeError(f"{name}: expected a Tensor input, got {type(x).__name__}")
    if x.ndim == n + 2:
        return x, True
    if x.ndim == n + 1:
        return unsqueeze(x, 0), False
    dims = ("D", "H", "W")[3 - n:] if n > 1 else ("L",)
    raise ValueError(f"{name}: expected an input of shape (N, C, {', '.join(dims)}) or "
                     f"(C, {', '.join(dims)}), got {x.shape}")


def _restored(y, batched):
    return y if batched else squeeze(y, 0)


def _swap01(x):
    """(A, B, ...) -> (B, A, ...): between batch-major and channel-major, as a view."""
    return permute(x, (1, 0) + tuple(range(2, x.ndim)))


def _check_floats(name, x, *others):
    for t in others:
        if t is not None and t.dtype != x.dtype:
            raise TypeError(f"{name}: the input is {x.dtype} but a parameter is {t.dtype}; "
                            "convert one of them (e.g. model.double() or x.float())")
    if not dtypes.is_floating(x.dtype):
        raise TypeError(f"{name}: expected a floating-point input, got {x.dtype}")


def _check_fits(name, window, size):
    out = window.out_size(size)
    if min(out, default=1) < 1:
        raise ValueError(f"{name}: the kernel {window.kernel} with dilation {window.dilation} "
                         f"does not fit in the input of size {tuple(size)} padded to "
                         f"{window.padded(size)}")
    return out


def _conv_padding(name, padding, kernel, stride, dilation):
    """Per-dim (before, after) pairs: ints, 'valid' (none) or 'same' (output size = input size,
    the odd extra on the after side, as PyTorch)."""
    n = len(kernel)
    if padding == "valid":
        return ((0, 0),) * n
    if padding == "same":
        if any(s != 1 for s in stride):
            raise ValueError(f"{name}: padding='same' needs stride 1, got stride {stride}")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        return tuple((t // 2, t - t // 2) for t in total)
    if isinstance(padding, str):
        raise ValueError(f"{name}: padding must be an int, a tuple, 'same' or 'valid', "
                         f"got {padding!r}")
    pads = _ints(name, "padding", padding, n)
    if min(pads) < 0:
        raise ValueError(f"{name}: padding must be non-negative, got {padding!r}")
    return tuple((p, p) for p in pads)


# ---- convolution ------------------------------------------------------------------------------
def _convolution(name, x, weight, bias, stride, padding, dilation, groups, n):
    """y[n, o] = sum over c, k of w[o, c, k] * window_k(x[n, c]) + b[o]: one matmul (per
    group) of the weights (G, O/G, C/G * k) with the columns (G, C/G * k, N * L)."""
    x, batched = _batched(name, x, n)
    _check_floats(name, x, weight, bias)
    if weight.ndim != n + 2:
        raise ValueError(f"{name}: expected a weight of shape (out_channels, in_channels/groups"
                         f", *kernel) with {n + 2} dims, got {weight.shape}")
    out_ch, in_per_group, kernel = weight.shape[0], weight.shape[1], weight.shape[2:]
    if out_ch % groups or x.shape[1] != in_per_group * groups:
        raise ValueError(f"{name}: the input has {x.shape[1]} channels but the weight "
                         f"{weight.shape} with groups={groups} expects {in_per_group * groups} "
                         f"(and out_channels {out_ch} must divide by groups)")
    if bias is not None and bias.shape != (out_ch,):
        raise ValueError(f"{name}: expected a bias of shape ({out_ch},), got {bias.shape}")
    stride = _ints(name, "stride", stride, n)
    dilation = _ints(name, "dilation", dilation, n)
    window = Window(kernel, stride, _conv_padding(name, padding, kernel, stride, dilation),
                    dilation)
    out = _check_fits(name, window, x.shape[2:])
    cols = reshape(Unfold.apply(x, window), (groups, -1, x.shape[0] * math.prod(out)))
    y = matmul(reshape(weight, (groups, out_ch // groups, -1)), cols)  # (G, O/G, N * L)
    y = _swap01(reshape(y, (out_ch, x.shape[0]) + out))
    if bias is not None:
        y = y + reshape(bias, (out_ch,) + (1,) * n)
    return _restored(y, batched)


def conv1d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Input (N, C_in, L), weight (C_out, C_in/groups, k) -> (N, C_out, L_out)."""
    return _convolution("conv1d", input, weight, bias, stride, padding, dilation, groups, 1)


def conv2d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Input (N, C_in, H, W), weight (C_out, C_in/groups, kH, kW) -> (N, C_out, H_out, W_out);
    padding may be an int, a pair, 'valid' or 'same'."""
    return _convolution("conv2d", input, weight, bias, stride, padding, dilation, groups, 2)


def conv3d(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """Input (N, C_in, D, H, W), weight (C_out, C_in/groups, kD, kH, kW) -> (N, C_out, D_out,
    H_out, W_out); padding may be an int, a triple, 'valid' or 'same'."""
    return _convolution("conv3d", input, weight, bias, stride, padding, dilation, groups, 3)


def _transposed(name, x, weight, bias, stride, padding, output_padding, groups, dilation, n):
    """The adjoint of convolution (the input gradient of the convolution with this weight):
    columns w^T x, folded onto an output of size (in - 1) * stride - 2 * padding +
    dilation * (k - 1) + output_padding + 1."""
    x, batched = _batched(name, x, n)
    _check_floats(name, x, weight, bias)
    if weight.ndim != n + 2:
        raise ValueError(f"{name}: expected a weight of shape (in_channels, out_channels/groups"
                         f", *kernel) with {n + 2} dims, got {weight.shape}")
    in_ch, out_per_group, kernel = weight.shape[0], weight.shape[1], weight.shape[2:]
    if x.shape[1] != in_ch or in_ch % groups:
        raise ValueError(f"{name}: the input has {x.shape[1]} channels but the weight "
                         f"{weight.shape} expects {in_ch} (divisible by groups={groups})")
    out_ch = out_per_group * groups
    if bias is not None and bias.shape != (out_ch,):
        raise ValueError(f"{name}: expected a bias of shape ({out_ch},), got {bias.shape}")
    stride, dilation = _ints(name, "stride", stride, n), _ints(name, "dilation", dilation, n)
    pads = _ints(name, "padding", padding, n)
    extra = _ints(name, "output_padding", output_padding, n)
    if any(e >= max(s, d) or e < 0 for e, s, d in zip(extra, stride, dilation)):
        raise ValueError(f"{name}: output_padding {extra} must be smaller than the stride "
                         f"{stride} or the dilation {dilation}")
    size_in = x.shape[2:]
    size = tuple((i - 1) * s - 2 * p + d * (k - 1) + e + 1
                 for i, s, p, d, k, e in zip(size_in, stride, pads, dilation, kernel, extra))
    if min(size) < 1:
        raise ValueError(f"{name}: the output size {size} is not positive; reduce the padding "
                         f"{pads}")
    window = Window(kernel, stride, tuple((p, p) for p in pads), dilation)
    w = transpose(reshape(weight, (groups, in_ch // groups, -1)), -1, -2)  # (G, O/G * k, C/G)
    rows = reshape(_swap01(x), (groups, in_ch // groups, -1))  # (G, C/G, N * L)
    cols = reshape(matmul(w, rows), (out_ch,) + kernel + (x.shape[0],) + size_in)
    y = Fold.apply(cols, window, size)
    if bias is not None:
        y = y + reshape(bias, (out_ch,) + (1,) * n)
    return _restored(y, batched)


def conv_transpose1d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """Input (N, C_in, L), weight (C_in, C_out/groups, k) -> (N, C_out, L_out)."""
    return _transposed("conv_transpose1d", input, weight, bias, stride, padding, output_padding,
                       groups, dilation, 1)


def conv_transpose2d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """Input (N, C_in, H, W), weight (C_in, C_out/groups, kH, kW) -> (N, C_out, H_out, W_out)."""
    return _transposed("conv_transpose2d", input, weight, bias, stride, padding, output_padding,
                       groups, dilation, 2)


def conv_transpose3d(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                     groups=1, dilation=1):
    """Input (N, C_in, D, H, W), weight (C_in, C_out/groups, kD, kH, kW) -> (N, C_out, D_out,
    H_out, W_out)."""
    return _transposed("conv_transpose3d", input, weight, bias, stride, padding, output_padding,
                       groups, dilation, 3)


# ---- unfold / fold in PyTorch's layout (N, C * prod(kernel), L) ---------------------------------
def unfold(input, kernel_size, dilation=1, padding=0, stride=1):
    """Sliding windows as columns: (N, C, H, W) -> (N, C * kH * kW, L)."""
    x, batched = _batched("unfold", input, 2)
    window = _simple_window("unfold", kernel_size, stride, padding, dilation)
    out = _check_fits("unfold", window, x.shape[2:])
    cols = reshape(Unfold.apply(x, window), (-1, x.shape[0], math.prod(out)))
    return _restored(_swap01(cols), batched)


def fold(input, output_size, kernel_size, dilation=1, padding=0, stride=1):
    """unfold's adjoint: (N, C * kH * kW, L) -> (N, C, *output_size), overlaps summed."""
    cols, batched = (input, True) if input.ndim == 3 else (unsqueeze(input, 0), False)
    window = _simple_window("fold", kernel_size, stride, padding, dilation)
    size = _ints("fold", "output_size", output_size, 2)
    out = _check_fits("fold", window, size)
    k = math.prod(window.kernel)
    if cols.ndim != 3 or cols.shape[1] % k or cols.shape[2] != math.prod(out):
        raise ValueError(f"fold: expected input of shape (N, C * {k}, {math.prod(out)}) for "
                         f"kernel {window.kernel} and output size {size}, got {input.shape}")
    cols = reshape(_swap01(cols), (cols.shape[1] // k,) + window.kernel + (cols.shape[0],) + out)
    return _restored(Fold.apply(cols, window, size), batched)


def _simple_window(name, kernel_size, stride, padding, dilation, n=2):
    pads = _ints(name, "padding", padding, n)
    return Window(_ints(name, "kernel_size", kernel_size, n), _ints(name, "stride", stride, n),
                  tuple((p, p) for p in pads), _ints(name, "dilation", dilation, n))


# ---- pooling ----------------------------------------------------------------------------------
def _pool_window(name, x, kernel_size, stride, padding, dilation, ceil_mode, n):
    """The window of a pooling op (stride defaults to the kernel size), and its padding."""
    kernel = _ints(name, "kernel_size", kernel_size, n)
    stride = kernel if stride is None else _ints(name, "stride", stride, n)
    pads = _ints(name, "padding", padding, n)
    dilation = _ints(name, "dilation", dilation, n)
    if any(2 * p > k for p, k in zip(pads, kernel)):
        raise ValueError(f"{name}: padding {pads} must be at most half the kernel {kernel}")
    window = Window(kernel, stride, tuple((p, p) for p in pads), dilation)
    _check_fits(name, window, x.shape[2:])
    if ceil_mode:
        extra = [_ceil_extra(i, p, span, s)
                 for i, p, span, s in zip(x.shape[2:], pads, window.spans(), stride)]
        window = Window(kernel, stride, tuple((p, p + e) for p, e in zip(pads, extra)), dilation)
    return window, pads


def _ceil_extra(size, pad, span, stride):
    """ceil_mode's extra after-padding: enough for one more, partial window, provided that
    window starts inside the input or its before-padding (PyTorch's rule)."""
    reach = size + 2 * pad - span
    out = -(-reach // stride) + 1
    if (out - 1) * stride >= size + pad:
        out -= 1
    return max((out - 1) * stride - reach, 0)


class MaxPool(Op):
    """The largest value of each window. The gradient goes to that one element (the first, if
    several tie, as in PyTorch): a fold of the gradient placed by a one-hot mask. With
    `with_indices`, a second output gives each maximum's flat index in its input plane."""

    def forward(ctx, x, window, with_indices):
        ctx.window, ctx.size = window, x.shape[2:]
        cols = window.unfold(x, fill=-np.inf)
        cols = cols.reshape((cols.shape[0], -1) + cols.shape[1 + len(ctx.size):])
        y = cols.max(axis=1)  # (C, N, *out), windows flattened on axis 1
        ctx.save_for_backward(cols, y)
        if not with_indices:
            return y.swapaxes(0, 1)
        arg = _first_max(cols, y).argmax(axis=1)
        indices = _flat_indices(arg.swapaxes(0, 1), window, ctx.size)
        ctx.mark_non_differentiable(indices)
        return y.swapaxes(0, 1), indices

    def backward(ctx, g, _=None):
        cols, y = ctx.saved_arrays
        hits = _first_max(cols, y)  # (C, prod(kernel), N, *out), one-hot on axis 1
        cols = reshape(scale_by(unsqueeze(_swap01(g), 1), hits),
                       (g.shape[1],) + ctx.window.kernel + (g.shape[0],) + g.shape[2:])
        return Fold.apply(cols, ctx.window, ctx.size)


def _first_max(cols, y):
    """A one-hot mask along each (flattened) window, axis 1: True at the window's first
    maximum only, so that ties send the gradient to one element. One pass per kernel offset."""
    hits = cols == array_module(y).expand_dims(y, 1)
    taken = hits[:, 0].copy()
    for k in range(1, hits.shape[1]):
        hits[:, k] &= ~taken
        taken |= hits[:, k]
    return hits


def _flat_indices(arg, window, size):
    """PyTorch's return_indices: each maximum's flat position in its (unpadded) input plane."""
    xp = array_module(arg)
    n = len(size)
    offsets = xp.unravel_index(arg, window.kernel)
    flat = xp.zeros(arg.shape, np.int64)
    for i in range(n):
        start = xp.arange(arg.shape[2 + i]) * window.stride[i] - window.padding[i][0]
        position = start.reshape((-1,) + (1,) * (n - 1 - i)) + offsets[i] * window.dilation[i]
        flat = flat * size[i] + position
    return flat


def _max_pool(name, x, kernel_size, stride, padding, dilation, ceil_mode, return_indices, n):
    x, batched = _batched(name, x, n)
    _check_floats(name, x)
    window, _ = _pool_window(name, x, kernel_size, stride, padding, dilation, ceil_mode, n)
    out = MaxPool.apply(x, window, return_indices)
    if return_indices:
        return tuple(_restored(o, batched) for o in out)
    return _restored(out, batched)


def max_pool1d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    return _max_pool("max_pool1d", input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 1)


def max_pool2d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of each kH x kW window (stride defaults to the kernel size); with
    return_indices, also each maximum's flat index h * W + w in the input plane."""
    return _max_pool("max_pool2d", input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 2)


def max_pool3d(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
               return_indices=False):
    """The maximum of each kD x kH x kW window; indices are flat in the (D, H, W) volume."""
    return _max_pool("max_pool3d", input, kernel_size, stride, padding, dilation, ceil_mode,
                     return_indices, 3)


def _avg_pool(name, x, kernel_size, stride, padding, ceil_mode, count_include_pad,
              divisor_override, n):
    """Window sums (unfold, then sum over the kernel dims) divided by the window's size, or by
    the number of input (not padding) elements it covers when count_include_pad is False."""
    x, batched = _batched(name, x, n)
    _check_floats(name, x)
    window, pads = _pool_window(name, x, kernel_size, stride, padding, 1, ceil_mode, n)
    total = _swap01(sum_(Unfold.apply(x, window), tuple(range(1, 1 + n))))
    if divisor_override:
        return _restored(total / divisor_override, batched)
    return _restored(total / _constant(_window_counts(x, window, pads, count_include_pad)),
                     batched)


def _window_counts(x, window, pads, count_include_pad):
    """How many elements each window averages: those of the input, plus the zero padding when
    count_include_pad (never the extra after-padding of ceil_mode)."""
    xp = array_module(x.array)
    size = x.shape[2:]
    counted = tuple(s + 2 * p for s, p in zip(size, pads)) if count_include_pad else size
    shift = tuple(lo - p for (lo, _), p in zip(window.padding, pads)) if count_include_pad \
        else tuple(lo for lo, _ in window.padding)
    region = xp.zeros((1, 1) + window.padded(size), x.dtype)
    region[(0, 0) + tuple(slice(s, s + c) for s, c in zip(shift, counted))] = 1
    plain = Window(window.kernel, window.stride, ((0, 0),) * len(size), window.dilation)
    counts = plain.view(region, window.out_size(size)).sum(axis=tuple(range(2, 2 + len(size))))
    return counts


def avg_pool1d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True):
    return _avg_pool("avg_pool1d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, None, 1)


def avg_pool2d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean of each kH x kW window (stride defaults to the kernel size)."""
    return _avg_pool("avg_pool2d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override, 2)


def avg_pool3d(input, kernel_size, stride=None, padding=0, ceil_mode=False,
               count_include_pad=True, divisor_override=None):
    """The mean of each kD x kH x kW window (stride defaults to the kernel size)."""
    return _avg_pool("avg_pool3d", input, kernel_size, stride, padding, ceil_mode,
                     count_include_pad, divisor_override, 3)


# ---- separable resampling: adaptive pooling and interpolation ---------------------------------
def resample(x, matrices):
    """y = x contracted with one (out_i, in_i) matrix along each spatial dim, as one plain
    matmul per dim: the dim is made last, the rest flattened into rows. Each step moves the
    finished dim to the front of the spatial block, so after all n the order is restored."""
    n = len(matrices)
    for matrix in reversed(matrices):
        lead = x.shape[:-1]
        rows = reshape(x, (-1, x.shape[-1]))
        x = reshape(matmul(rows, _constant(matrix.T.astype(x.dtype))), lead + (matrix.shape[0],))
        spatial = list(range(x.ndim - n, x.ndim))
        x = permute(x, tuple(range(x.ndim - n)) + (spatial[-1],) + tuple(spatial[:-1]))
    return x


def adaptive_bins(size, out):
    """PyTorch's adaptive bins: bin j covers [floor(j*size/out), ceil((j+1)*size/out))."""
    j = np.arange(out)
    return (j * size) // out, -(-((j + 1) * size) // out)


def _adaptive_matrix(xp, size, out):
    """Averages over the adaptive bins."""
    start, end = adaptive_bins(size, out)
    cells = np.arange(size)
    inside = (cells >= start[:, None]) & (cells < end[:, None])
    return xp.asarray(inside / (end - start)[:, None])


def adaptive_sizes(name, x, output_size, n):
    """output_size (an int, or n ints where None keeps that dim of x) as n positive ints."""
    sizes = (output_size,) * n if isinstance(output_size, int) else tuple(output_size)
    if len(sizes) != n:
        raise ValueError(f"{name}: output_size must be an int or {n} ints, got {output_size!r}")
    sizes = tuple(s if o is None else o for s, o in zip(x.shape[2:], sizes))
    if min(sizes) < 1:
        raise ValueError(f"{name}: output_size must be positive, got {output_size!r}")
    return sizes


def _adaptive_avg_pool(name, x, output_size, n):
    x, batched = _batched(name, x, n)
    _check_floats(name, x)
    sizes = adaptive_sizes(name, x, output_size, n)
    xp = array_module(x.array)
    y = resample(x, [_adaptive_matrix(xp, s, o) for s, o in zip(x.shape[2:], sizes)])
    return _restored(y, batched)


def adaptive_avg_pool1d(input, output_size):
    return _adaptive_avg_pool("adaptive_avg_pool1d", input, output_size, 1)


def adaptive_avg_pool2d(input, output_size):
    """Averages over output_size bins (an int, a pair, None keeps a dim), whatever the input
    size: (N, C, H, W) -> (N, C, *output_size)."""
    return _adaptive_avg_pool("adaptive_avg_pool2d", input, output_size, 2)


def adaptive_avg_pool3d(input, output_size):
    """Averages (N, C, D, H, W) over output_size bins (an int, a triple, None keeps a dim)."""
    return _adaptive_avg_pool("adaptive_avg_pool3d", input, output_size, 3)
