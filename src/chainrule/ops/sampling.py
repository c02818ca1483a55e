"""Resampling images: `interpolate` (resize by a separable matrix per spatial dim), and
`grid_sample` / `affine_grid` (read an image at arbitrary, differentiable positions).

Every interpolate mode is linear in the input and acts on each spatial dim separately, so a mode
is just how it builds the (out, in) weight matrix of one dim; `resample` (ops/conv.py) applies
them, one matmul per dim, and gradients of every order come from matmul.

grid_sample reads the input at the corners around each position with indexing, weighted by
products of (1 - t, t) per dim; the weights are Tensors of the grid, so the grid gets its
gradient through them, and the input through the indexing."""
import functools
import itertools
import math
import operator

import numpy as np

from ..backend import array_module, dtypes
from ..tensor import Tensor
from .conv import _adaptive_matrix, resample
from .elementwise import _constant, clamp, scale_by, where
from .indexing import Take
from .linalg import matmul
from .shape import permute, reshape, transpose, unsqueeze

__all__ = ["interpolate", "upsample", "grid_sample", "affine_grid"]

_SPATIAL_DIMS = {"linear": 1, "bilinear": 2, "bicubic": 2, "trilinear": 3}


# ---- interpolate ------------------------------------------------------------------------------
def interpolate(input, size=None, scale_factor=None, mode="nearest", align_corners=None,
                recompute_scale_factor=None, antialias=False):
    """Resizes the spatial dims of (N, C, *spatial) to `size`, or by `scale_factor`.
    Modes: 'nearest' / 'nearest-exact' copy the nearest input element; 'linear', 'bilinear',
    'trilinear' interpolate between the two nearest per dim, 'bicubic' between the four nearest
    (cubic convolution, a = -0.75); 'area' averages (adaptive average pooling).
    align_corners=True maps the corner pixels' centres onto each other; antialias=True (bilinear
    and bicubic) widens the filter when downsampling, so that every input pixel contributes."""
    name = "interpolate"
    n = input.ndim - 2
    if n < 1:
        raise ValueError(f"{name}: expected an input (N, C, *spatial), got {input.shape}")
    if mode not in ("nearest", "nearest-exact", "area") and mode not in _SPATIAL_DIMS:
        raise ValueError(f"{name}: mode must be 'nearest', 'nearest-exact', 'linear', "
                         f"'bilinear', 'bicubic', 'trilinear' or 'area', got {mode!r}")
    smooth = mode in _SPATIAL_DIMS
    if smooth and _SPATIAL_DIMS[mode] != n:
        raise ValueError(f"{name}: mode {mode!r} expects {_SPATIAL_DIMS[mode] + 2}-D input, got "
                         f"{input.ndim}-D of shape {input.shape}")
    if align_corners is not None and not smooth:
        raise ValueError(f"{name}: align_corners only applies to the modes linear, bilinear, "
                         f"bicubic and trilinear, not {mode!r}")
    if antialias and mode not in ("bilinear", "bicubic"):
        raise ValueError(f"{name}: antialias applies to the modes bilinear and bicubic only, "
                         f"got mode {mode!r}")
    if (size is None) == (scale_factor is None):
        raise ValueError(f"{name}: give exactly one of size and scale_factor")
    in_sizes = input.shape[2:]
    # the input step per output step, in float32 for the nearest modes as PyTorch computes it
    real = np.float64 if smooth or mode == "area" else np.float32
    if scale_factor is not None:
        factors = _per_dim(name, "scale_factor", scale_factor, n)
        out_sizes = tuple(math.floor(s * f) for s, f in zip(in_sizes, factors))
    if size is not None:
        out_sizes = _per_dim(name, "size", size, n)
    if scale_factor is None or recompute_scale_factor:
        scales = [real(s) / real(o) for s, o in zip(in_sizes, out_sizes)]
    else:
        scales = [real(1 / f) for f in factors]
    if min(out_sizes) < 1:
        raise ValueError(f"{name}: the output size {out_sizes} must be positive")
    rows = [_rows(mode, s, o, scale, bool(align_corners), antialias)
            for s, o, scale in zip(in_sizes, out_sizes, scales)]
    xp = array_module(input.array)
    return resample(input, [xp.asarray(r) for r in rows])


upsample = interpolate


def _per_dim(name, what, value, n):
    values = tuple(value) if isinstance(value, (tuple, list)) else (value,) * n
    if len(values) != n:
        raise ValueError(f"{name}: {what} must be one number or {n}, got {value!r}")
    return values


def _rows(mode, size, out, scale, align_corners, antialias):
    """One dim's (out, size) weight matrix for `mode`."""
    if mode in ("nearest", "nearest-exact"):
        return _nearest_rows(size, out, scale, mode == "nearest-exact")
    if mode == "area":
        return _adaptive_matrix(np, size, out)
    if align_corners:  # the corners' centres coincide: one output step is (size-1)/(out-1)
        scale = (size - 1) / (out - 1) if out > 1 else 0.0
    if antialias:
        taps, kernel = (2, _triangle) if mode == "bilinear" else (4, _cubic_kernel(-0.5))
        return _filter_rows(size, out, scale, taps, kernel)
    if mode == "bicubic":
        return _cubic_rows(size, out, scale, align_corners)
    return _linear_rows(size, out, scale, align_corners)


def _source(out, scale, align_corners):
    """Where each output index j falls in input coordinates (pixel centres at integers)."""
    j = np.arange(out, dtype=np.float64)
    return j * scale if align_corners else (j + 0.5) * scale - 0.5


def _nearest_rows(size, out, scale, exact):
    """The (out, size) 0/1 matrix picking input floor(j * scale) (or floor((j + 0.5) * scale))
    for output j, in float32 arithmetic as PyTorch's, so that the same element is picked."""
    j = np.arange(out, dtype=np.float32) + np.float32(0.5 if exact else 0)
    src = np.minimum(np.floor(j * scale).astype(np.int64), size - 1)
    rows = np.zeros((out, size))
    rows[np.arange(out), src] = 1
    return rows


def _tap_rows(size, first, weights):
    """An (out, size) matrix with weights[:, t] added at column first + t, each column clamped
    into the input (the edge pixel repeats beyond it)."""
    out, taps = weights.shape
    rows = np.zeros((out, size))
    columns = np.clip(first[:, None] + np.arange(taps), 0, size - 1)
    np.add.at(rows, (np.arange(out)[:, None], columns), weights)
    return rows


def _linear_rows(size, out, scale, align_corners):
    """Weights 1 - t and t on the two inputs around each source position (which never goes
    below 0: PyTorch clamps it there)."""
    src = np.maximum(_source(out, scale, align_corners), 0.0)
    first = np.minimum(np.floor(src).astype(np.int64), size - 1)
    t = src - first
    return _tap_rows(size, first, np.stack([1 - t, t], axis=1))


def _cubic_kernel(a):
    """Keys' cubic convolution kernel: (a+2)|x|^3 - (a+3)|x|^2 + 1 on |x| <= 1,
    a|x|^3 - 5a|x|^2 + 8a|x| - 4a on 1 < |x| < 2, else 0."""
    def kernel(x):
        x = np.abs(x)
        near = ((a + 2) * x - (a + 3)) * x * x + 1
        far = ((a * x - 5 * a) * x + 8 * a) * x - 4 * a
        return np.where(x <= 1, near, np.where(x < 2, far, 0.0))
    return kernel


def _cubic_rows(size, out, scale, align_corners):
    """Cubic convolution (a = -0.75, as PyTorch) over the four inputs around each source
    position; the source is not clamped, the taps are."""
    src = _source(out, scale, align_corners)
    first = np.floor(src).astype(np.int64)
    t = src - first
    offsets = np.arange(-1, 3)
    weights = _cubic_kernel(-0.75)(t[:, None] - offsets)
    return _tap_rows(size, first - 1, weights)


def _triangle(x):
    return np.maximum(1 - np.abs(x), 0.0)


def _filter_rows(size, out, scale, taps, kernel):
    """Antialiased resampling (as PIL and PyTorch): the kernel is stretched by the scale when
    downsampling (support = taps/2 * scale), only inputs inside the image are used, and each
    row's weights are normalized to sum to 1."""
    support = taps / 2 * scale if scale >= 1 else taps / 2
    stretch = 1 / scale if scale >= 1 else 1.0
    centre = scale * (np.arange(out) + 0.5)
    first = np.maximum((centre - support + 0.5).astype(np.int64), 0)
    last = np.minimum((centre + support + 0.5).astype(np.int64), size)  # one past
    columns = np.arange(size)
    inside = (columns >= first[:, None]) & (columns < last[:, None])
    weights = np.where(inside, kernel((columns - centre[:, None] + 0.5) * stretch), 0.0)
    total = weights.sum(axis=1, keepdims=True)
    return np.divide(weights, total, out=np.zeros_like(weights), where=total != 0)


# ---- grid_sample and affine_grid --------------------------------------------------------------
def grid_sample(input, grid, mode="bilinear", padding_mode="zeros", align_corners=None):
    """Reads input (N, C, H, W) at the positions of grid (N, H_out, W_out, 2), given as (x, y)
    in [-1, 1] (-1 the left/top edge, 1 the right/bottom; with align_corners, the corner pixels'
    centres): output (N, C, H_out, W_out). 5-D input (N, C, D, H, W) takes a grid (N, D_out,
    H_out, W_out, 3) of (x, y, z). mode 'bilinear' or 'nearest'; positions outside read zeros
    ('zeros'), the edge ('border') or the image mirrored at its edges ('reflection')."""
    name = "grid_sample"
    if mode not in ("bilinear", "nearest"):
        raise ValueError(f"{name}: mode must be 'bilinear' or 'nearest', got {mode!r}")
    if padding_mode not in ("zeros", "border", "reflection"):
        raise ValueError(f"{name}: padding_mode must be 'zeros', 'border' or 'reflection', got "
                         f"{padding_mode!r}")
    n = input.ndim - 2
    if n not in (2, 3) or grid.ndim != input.ndim or grid.shape[-1] != n \
            or grid.shape[0] != input.shape[0]:
        raise ValueError(f"{name}: expected input (N, C, H, W) with grid (N, H_out, W_out, 2), "
                         f"or input (N, C, D, H, W) with grid (N, D_out, H_out, W_out, 3), got "
                         f"input {input.shape} and grid {grid.shape}")
    if grid.dtype != input.dtype or not dtypes.is_floating(input.dtype):
        raise TypeError(f"{name}: expected floating-point input and grid of one dtype, got "
                        f"{input.dtype} and {grid.dtype}")
    sizes = input.shape[2:]
    # grid's last dim lists x (the last spatial dim) first
    coords = [_pixel_coordinate(grid[..., n - 1 - d], sizes[d], padding_mode,
                                bool(align_corners)) for d in range(n)]
    if mode == "nearest":
        y = _read(input, [np.rint(c.array) for c in coords], None)
    else:
        y = None
        lows = [np.floor(c.array) for c in coords]
        fractions = [c - low for c, low in zip(coords, lows)]
        for corner in itertools.product((0, 1), repeat=n):
            weight = None
            for f, up in zip(fractions, corner):
                w = f if up else 1 - f
                weight = w if weight is None else weight * w
            term = _read(input, [low + up for low, up in zip(lows, corner)], weight)
            y = term if y is None else y + term
    return permute(y, (0, n + 1) + tuple(range(1, n + 1)))  # (N, *out, C) -> (N, C, *out)


def _pixel_coordinate(g, size, padding_mode, align_corners):
    """A normalized coordinate in [-1, 1] as a (fractional) pixel index, then brought inside the
    image as padding_mode says ('zeros' leaves it, reading zeros outside)."""
    x = (g + 1) * ((size - 1) / 2) if align_corners else ((g + 1) * size - 1) / 2
    if padding_mode == "reflection":
        x = _reflect(x, 0, size - 1) if align_corners else _reflect(x, -0.5, size - 0.5)
    if padding_mode != "zeros":
        x = clamp(x, 0, size - 1)
    return x


def _reflect(x, low, high):
    """x mirrored at low and high, again and again, until it lies between them."""
    span = high - low
    if span <= 0:
        return x * 0
    d = abs(x - low)
    flips = np.floor(d.array / span)
    extra = d - _constant(span * flips)
    return where(flips % 2 == 0, extra + low, (span + low) - extra)


def _read(input, positions, weight):
    """input at whole pixel positions (one (N, *out) array per spatial dim), as (N, *out, C),
    times weight (N, *out) where given; positions outside the image read zero."""
    sizes = input.shape[2:]
    indices = [p.astype(np.int64) for p in positions]
    xp = array_module(indices[0])
    inside = functools.reduce(operator.and_, [(i >= 0) & (i < s) for i, s in zip(indices, sizes)])
    batch = xp.arange(input.shape[0]).reshape((-1,) + (1,) * (indices[0].ndim - 1))
    key = (batch, slice(None)) + tuple(xp.clip(i, 0, s - 1) for i, s in zip(indices, sizes))
    weight = _constant(inside.astype(input.dtype)) if weight is None \
        else scale_by(weight, inside)
    return Take.apply(input, key) * unsqueeze(weight, -1)


def affine_grid(theta, size, align_corners=None):
    """The sampling grid of an affine map, for grid_sample: theta (N, 2, 3) maps each output
    pixel's normalized (x, y, 1) to where it reads from, for size (N, C, H, W); theta
    (N, 3, 4) does the same in 3-D for size (N, C, D, H, W). Output (N, H, W, 2) or
    (N, D, H, W, 3)."""
    name = "affine_grid"
    size = tuple(size)
    n = len(size) - 2
    if n not in (2, 3) or not isinstance(theta, Tensor) or theta.shape != (size[0], n, n + 1):
        raise ValueError(f"{name}: expected theta (N, 2, 3) with size (N, C, H, W), or theta "
                         f"(N, 3, 4) with size (N, C, D, H, W), got theta "
                         f"{getattr(theta, 'shape', theta)} and size {size}")
    if not dtypes.is_floating(theta.dtype):
        raise TypeError(f"{name}: expected a floating-point theta, got {theta.dtype}")
    spatial = size[2:]
    axes = [_steps(s, bool(align_corners)) for s in reversed(spatial)]  # x first
    mesh = np.meshgrid(*axes[::-1], indexing="ij")[::-1]  # each (*spatial), x first
    base = np.stack(list(mesh) + [np.ones(spatial)], axis=-1).reshape(-1, n + 1)
    xp = array_module(theta.array)
    grid = matmul(_constant(xp.asarray(base, dtype=theta.dtype)), transpose(theta, 1, 2))
    return reshape(grid, (size[0],) + spatial + (n,))


def _steps(count, align_corners):
    """count evenly spaced normalized coordinates: the pixel centres, or with align_corners
    the range from -1 to 1 itself."""
    if count <= 1:
        return np.zeros(count)
    steps = np.linspace(-1, 1, count)
    return steps if align_corners else steps * (count - 1) / count
