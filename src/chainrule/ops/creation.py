"""Making tensors: from data, filled, ranges, and random draws, with PyTorch's call forms.

Sizes are given as PyTorch gives them, `zeros(2, 3)`, `zeros((2, 3))` or `zeros(size=(2, 3))`.
Tensors go to `device`, or to the default device (`set_default_device`); floating-point ones
get `dtype`, or the default dtype (`set_default_dtype`). Random functions draw from
`generator=` (a `cr.Generator`, or any NumPy Generator), or from the default generator that
`cr.manual_seed` fixes."""
import operator

import numpy as np

from ..autograd import Op
from ..backend import Device, device_of, dtypes, generator as default_generator, \
    get_default_device, to_device
from ..tensor import Tensor, tensor_method

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
           "linspace", "logspace", "eye", "rand", "randn", "randint", "randperm", "normal",
           "bernoulli", "multinomial", "poisson", "zeros_like", "ones_like", "full_like",
           "empty_like", "rand_like", "randn_like", "randint_like", "contiguous_format",
           "preserve_format", "channels_last", "channels_last_3d"]


class MemoryFormat:
    """PyTorch's memory formats, accepted wherever PyTorch takes `memory_format=`. Arrays made
    here are always C-contiguous, so a memory format changes nothing."""

    def __init__(self, name):
        self.name = name

    def __repr__(self):
        return f"chainrule.{self.name}"


contiguous_format, preserve_format = MemoryFormat("contiguous_format"), \
    MemoryFormat("preserve_format")
channels_last, channels_last_3d = MemoryFormat("channels_last"), MemoryFormat("channels_last_3d")


# ---- from data --------------------------------------------------------------------------------
def as_array(data, dtype=None, device=None):
    """Raw array of `data` (nested lists, scalars, arrays, Tensors) in PyTorch's default dtypes:
    Python floats become the default float dtype, ints int64, bools bool. Without `device`, new
    arrays go to the default device and arrays keep theirs."""
    dtype = dtypes.as_dtype(dtype)
    if isinstance(data, Tensor):
        array = data.array
    elif hasattr(data, "__cuda_array_interface__") or isinstance(data, np.ndarray):
        array = data
    elif isinstance(data, np.generic):  # a NumPy scalar keeps its dtype, as in PyTorch
        array = np.asarray(data)
    else:
        array = np.asarray(_unwrap(data))
        if array.dtype == object:
            raise TypeError(f"tensor: cannot make a tensor from {type(data).__name__} "
                            "(expected numbers, nested lists of numbers, or arrays)")
        if dtype is None and array.dtype.kind == "f":
            dtype = dtypes.get_default_dtype()
        elif dtype is None and array.dtype.kind in "iu" and array.dtype != np.uint8:
            dtype = dtypes.int64
        if device is None and get_default_device().type != "cpu":
            device = get_default_device()
    if array.dtype.kind == "c":
        raise TypeError("tensor: complex numbers are not supported")
    if dtype is not None and array.dtype != dtype:
        array = array.astype(dtype)
    if device is not None:
        array = to_device(array, device)
    return array


def _leaf(array, requires_grad):
    """A new leaf; only floating-point tensors may require grad."""
    return Tensor.wrap(array).requires_grad_(requires_grad)


def _unwrap(data):
    if isinstance(data, Tensor):
        return data.numpy()
    if isinstance(data, (list, tuple)):
        return [_unwrap(d) for d in data]
    return data


def tensor(data, dtype=None, device=None, requires_grad=False, pin_memory=False):
    """A new tensor holding a copy of `data`: `cr.tensor([[1.0, 2.0]], requires_grad=True)`.
    (`pin_memory` is accepted for PyTorch's sake: host memory here is never pinned.)"""
    array = as_array(data, dtype, device)
    if array is getattr(data, "array", data):
        array = array.copy()
    return _leaf(array, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with `data` when it can."""
    return data if isinstance(data, Tensor) and dtype is None and device is None \
        else Tensor.wrap(as_array(data, dtype, device))


def from_numpy(ndarray):
    """A tensor sharing memory with the NumPy array (no copy, dtype kept)."""
    if not isinstance(ndarray, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(ndarray).__name__}")
    return Tensor.wrap(ndarray)


# ---- filled -----------------------------------------------------------------------------------
def _shape(fn, args, size=None):
    """The shape from `f(2, 3)`, `f((2, 3))`, `f([2, 3])` or `f(size=(2, 3))`."""
    if size is not None and args:
        raise TypeError(f"{fn}: the size is given twice, as {args} and size={size}")
    if size is None:
        size = args[0] if len(args) == 1 and isinstance(args[0], (tuple, list)) else args
    elif isinstance(size, int):
        size = (size,)
    try:
        shape = tuple(operator.index(n) for n in size)
    except TypeError:
        raise TypeError(f"{fn}: expected the size as integers or one tuple of integers, got "
                        f"{size!r}") from None
    if any(n < 0 for n in shape):
        raise ValueError(f"{fn}: sizes must be non-negative, got {shape}")
    return shape


def _options(fn, options, *extra):
    """The keywords PyTorch takes that change nothing here (layout, pin_memory,
    memory_format), and those in `extra`; any other is a mistake, and named."""
    unknown = set(options) - {"layout", "pin_memory", "memory_format", *extra}
    if unknown:
        raise TypeError(f"{fn}: unexpected keyword argument(s) {', '.join(sorted(unknown))}")
    return options


def _device(device):
    return get_default_device() if device is None else Device(device)


def _float_dtype(fn, dtype):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    if not dtypes.is_floating(dtype):
        raise TypeError(f"{fn}: expected a floating-point dtype, got {dtype}")
    return dtype


def _filled(fill, shape, dtype, device, requires_grad):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    return _leaf(fill(_device(device).xp, shape, dtype), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False, **options):
    size = _shape("zeros", size, _options("zeros", options, "size").get("size"))
    return _filled(lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False, **options):
    size = _shape("ones", size, _options("ones", options, "size").get("size"))
    return _filled(lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False, **options):
    size = _shape("empty", size, _options("empty", options, "size").get("size"))
    return _filled(lambda xp, s, d: xp.empty(s, d), size, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False, **options):
    """Every element `fill_value`; its type sets the dtype when none is given (bool, int64 or
    the default float dtype)."""
    _options("full", options)
    if isinstance(fill_value, Tensor):
        fill_value = fill_value.item()
    if dtype is None:
        dtype = dtypes.result_type(fill_value)
    return _filled(lambda xp, s, d: xp.full(s, fill_value, d), _shape("full", (), size), dtype,
                   device, requires_grad)


# ---- ranges -----------------------------------------------------------------------------------
def _number(x):
    return x.item() if isinstance(x, Tensor) else x


def arange(start=0, end=None, step=1, dtype=None, device=None, requires_grad=False, **options):
    """`arange(5)`, `arange(1, 4)`, `arange(1, 2, 0.25)`: start + i * step up to end (excluded);
    int64 when every argument is an integer, else the default float dtype."""
    _options("arange", options)
    if end is None:
        start, end = 0, start
    start, end, step = _number(start), _number(end), _number(step)
    if step == 0:
        raise ValueError("arange: step must be nonzero")
    if (end - start) * step < 0:
        raise ValueError(f"arange: cannot go from {start} to {end} in steps of {step}: the "
                         "step's sign does not lead towards the end")
    dtype = dtypes.as_dtype(dtype) or dtypes.result_type(start, end, step)
    xp = _device(device).xp
    if not dtypes.is_floating(dtype):  # integers throughout (PyTorch truncates float arguments)
        array = xp.arange(int(start), int(end), int(step), dtype=dtype)
    else:  # in float64, then rounded once, as PyTorch computes it
        count = int(np.ceil((end - start) / step))
        array = (start + step * xp.arange(count, dtype=np.float64)).astype(dtype)
    return _leaf(array, requires_grad)


def _even_steps(xp, start, end, steps, dtype):
    """`steps` points from start to end, computed in `dtype` when it is a float one (float64
    otherwise), each half measured from its own end so that both ends are exact."""
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"linspace: steps must be a non-negative integer, got {steps!r}")
    dtype = dtype if dtypes.is_floating(dtype) else dtypes.float64
    start, end = dtype.type(start), dtype.type(end)
    if steps == 1:
        return xp.full(1, start, dtype)
    i = xp.arange(steps, dtype=dtype)
    step = (end - start) / dtype.type(max(steps - 1, 1))
    return xp.where(i < steps // 2, start + i * step, end - (steps - 1 - i) * step)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False, **options):
    _options("linspace", options)
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    points = _even_steps(_device(device).xp, _number(start), _number(end), steps, dtype)
    return _leaf(points.astype(dtype), requires_grad)


def logspace(start, end, steps, base=10.0, dtype=None, device=None, requires_grad=False,
             **options):
    """base ** linspace(start, end, steps)."""
    _options("logspace", options)
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    points = _even_steps(_device(device).xp, _number(start), _number(end), steps, dtype)
    return _leaf((base ** points).astype(dtype), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False, **options):
    _options("eye", options)
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    return _leaf(_device(device).xp.eye(n, m, dtype=dtype), requires_grad)


# ---- random -----------------------------------------------------------------------------------
def _rng(generator):
    return default_generator() if generator is None else generator


def _drawn(array, device, requires_grad=False):
    """A leaf of an array drawn on the host, moved to `device` (or the default one)."""
    device = _device(device)
    return _leaf(array if device.type == "cpu" else to_device(array, device), requires_grad)


def _native(dtype):
    """The dtype NumPy draws in: float64 or float32 (float16 is drawn in float32)."""
    return dtype if dtype == dtypes.float64 else dtypes.float32


def rand(*size, generator=None, dtype=None, device=None, requires_grad=False, **options):
    """Uniform on [0, 1)."""
    _options("rand", options, "size")
    dtype = _float_dtype("rand", dtype)
    u = _rng(generator).random(_shape("rand", size, options.get("size")), _native(dtype))
    if u.dtype != dtype:  # rounding to a coarser dtype must not reach 1
        u = np.minimum(u.astype(dtype), np.nextafter(dtype.type(1), dtype.type(0)))
    return _drawn(u, device, requires_grad)


def randn(*size, generator=None, dtype=None, device=None, requires_grad=False, **options):
    """Standard normal."""
    _options("randn", options, "size")
    dtype = _float_dtype("randn", dtype)
    z = _rng(generator).standard_normal(_shape("randn", size, options.get("size")), _native(dtype))
    return _drawn(z.astype(dtype, copy=False), device, requires_grad)


def randint(*args, low=0, high=None, size=None, generator=None, dtype=None, device=None,
            requires_grad=False, **options):
    """Integers uniform on [low, high) (int64 unless dtype says otherwise), called as PyTorch's
    is: randint(high, size), randint(low, high, size), or with keywords."""
    _options("randint", options)
    if len(args) == 3:
        low, high, size = args
    elif len(args) == 2:
        low, high, size = (0, *args) if size is None else (*args, size)
    elif len(args) == 1:
        low, high = (0, args[0]) if high is None else (args[0], high)
    if len(args) > 3 or high is None or size is None:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size), "
                        f"got {len(args)} positional argument(s), high={high!r}, size={size!r}")
    if low >= high:
        raise ValueError(f"randint: expected low < high, got low={low} and high={high}")
    array = _rng(generator).integers(low, high, _shape("randint", (), size))
    return _drawn(array.astype(dtypes.as_dtype(dtype) or dtypes.int64), device, requires_grad)


def randperm(n, generator=None, dtype=None, device=None, requires_grad=False, **options):
    """0 .. n-1 in random order."""
    _options("randperm", options)
    array = _rng(generator).permutation(operator.index(n))
    return _drawn(array.astype(dtypes.as_dtype(dtype) or dtypes.int64), device, requires_grad)


class Sampled(Op):
    """A random draw from a distribution whose parameters are tensors (normal's mean and std,
    bernoulli's p, poisson's rate), made by `draw(*parameters)` on arrays. The draw is held
    fixed as the parameters move, so their gradient is zero, as in PyTorch (for a path
    gradient, reparameterize by hand: mean + std * randn_like(mean))."""

    def forward(ctx, *parameters, draw):
        ctx.inputs = len(parameters)
        return draw(*parameters)

    def backward(ctx, g):
        return (g * 0,) * ctx.inputs


def _host_draw(sample, like):
    """`sample()` drawn on the host, moved to the device of the array `like`."""
    return to_device(sample(), device_of(like))


def normal(mean=0.0, std=1.0, size=None, generator=None, dtype=None, device=None,
           requires_grad=False, **options):
    """Normal draws, as PyTorch's four forms: `normal(mean_tensor, std_tensor)` (broadcast
    together), `normal(mean_tensor, std=1.0)`, `normal(mean=0.0, std_tensor)`, and
    `normal(mean, std, size)` for numbers."""
    _options("normal", options)
    rng, params = _rng(generator), [p for p in (mean, std) if isinstance(p, Tensor)]
    if not params:
        if size is None:
            raise TypeError("normal: with a number for both mean and std, give the size too: "
                            "normal(mean, std, size)")
        if std < 0:
            raise ValueError(f"normal: std must be non-negative, got {std}")
        z = rng.normal(mean, std, _shape("normal", (), size))
        return _drawn(z.astype(_float_dtype("normal", dtype)), device, requires_grad)
    if size is not None:
        raise TypeError("normal: size is only for numbers as mean and std; with a tensor, the "
                        "result has its shape")
    if bool((std.array < 0).any() if isinstance(std, Tensor) else std < 0):
        raise ValueError("normal: std must be non-negative, got a negative value in std")
    out_dtype = dtypes.result_type(*((p.dtype, 2) for p in params))
    if not dtypes.is_floating(out_dtype):
        raise TypeError(f"normal: expected floating-point mean and std, got {out_dtype}")

    def draw(m, s):
        shape = np.broadcast_shapes(np.shape(m), np.shape(s))
        z = _host_draw(lambda: rng.standard_normal(shape), params[0].array)
        return (m + s * z).astype(out_dtype)
    return Sampled.apply(mean, std, draw=draw)


def bernoulli(input, p=None, generator=None, **options):
    """0s and 1s (in input's dtype), each 1 with probability input's element, or with
    probability `p` when given (input then gives only the shape and dtype)."""
    _options("bernoulli", options)
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"bernoulli: expected floating-point probabilities, got {input.dtype}")
    probs = input.array if p is None else np.asarray(p)
    if bool(((probs < 0) | (probs > 1)).any()):
        raise ValueError("bernoulli: probabilities must lie in [0, 1]")
    rng = _rng(generator)

    def draw(x):
        u = _host_draw(lambda: rng.random(x.shape), x)
        return (u < (x if p is None else p)).astype(x.dtype)
    return Sampled.apply(input, draw=draw)


def poisson(input, generator=None):
    """Poisson counts (in input's dtype), with input's elements as the rates."""
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"poisson: expected floating-point rates, got {input.dtype}")
    if bool((input.array < 0).any()):
        raise ValueError("poisson: rates must be non-negative")
    rng = _rng(generator)

    def draw(rate):
        counts = _host_draw(lambda: rng.poisson(to_device(rate, "cpu")), rate)
        return counts.astype(rate.dtype)
    return Sampled.apply(input, draw=draw)


@tensor_method
def multinomial(input, num_samples, replacement=False, generator=None, **options):
    """Indices of categories (int64), drawn with probabilities proportional to the weights in
    each row of input (one row for a 1-d input): `num_samples` per row, with or without
    replacement."""
    _options("multinomial", options)
    if not dtypes.is_floating(input.dtype):
        raise TypeError(f"multinomial: expected floating-point weights, got {input.dtype}")
    if input.ndim not in (1, 2):
        raise ValueError(f"multinomial: expected a 1-d or 2-d tensor of weights, got "
                         f"{input.ndim} dims")
    weights = to_device(input.array, "cpu").astype(np.float64).reshape(-1, input.shape[-1])
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("multinomial: weights must be finite and non-negative")
    if (weights.sum(1) == 0).any():
        raise ValueError("multinomial: every row of weights must have a positive sum")
    if not isinstance(num_samples, (int, np.integer)) or num_samples <= 0:
        raise ValueError(f"multinomial: num_samples must be a positive integer, got "
                         f"{num_samples!r}")
    rng, rows, categories = _rng(generator), weights.shape[0], weights.shape[1]
    if replacement:  # inverse CDF: row r's cumulative weights, shifted by r, searched at once
        cdf = np.cumsum(weights, 1) / weights.sum(1, keepdims=True)
        cdf[:, -1] = 1.0
        u = rng.random((rows, num_samples))
        offset = np.arange(rows)[:, None]
        flat = np.searchsorted((cdf + offset).ravel(), (u + offset).ravel(), side="right")
        picks = flat.reshape(rows, num_samples) - offset * categories
    else:  # exponential race: category i finishes at E_i / w_i (never, at weight 0, so those
        # come last); the first num_samples to finish win
        if num_samples > categories:
            raise ValueError(f"multinomial: cannot draw {num_samples} samples without "
                             f"replacement from {categories} categories")
        with np.errstate(divide="ignore"):
            finish = rng.standard_exponential((rows, categories)) / weights
        picks = np.argsort(finish, axis=1, kind="stable")[:, :num_samples]
    picks = picks.astype(np.int64).reshape(*input.shape[:-1], num_samples)
    return Tensor.wrap(to_device(picks, input.device))


# ---- like another tensor ----------------------------------------------------------------------
def _like(make, input, dtype, device, requires_grad, *args, **kwargs):
    return make(*args, dtype=dtype or input.dtype, device=device or input.device,
                requires_grad=requires_grad, **kwargs)


def zeros_like(input, dtype=None, device=None, requires_grad=False, **options):
    _options("zeros_like", options)
    return _like(zeros, input, dtype, device, requires_grad, input.shape)


def ones_like(input, dtype=None, device=None, requires_grad=False, **options):
    _options("ones_like", options)
    return _like(ones, input, dtype, device, requires_grad, input.shape)


def empty_like(input, dtype=None, device=None, requires_grad=False, **options):
    _options("empty_like", options)
    return _like(empty, input, dtype, device, requires_grad, input.shape)


def full_like(input, fill_value, dtype=None, device=None, requires_grad=False, **options):
    _options("full_like", options)
    return _like(full, input, dtype, device, requires_grad, input.shape, fill_value)


def rand_like(input, generator=None, dtype=None, device=None, requires_grad=False, **options):
    _options("rand_like", options)
    return _like(rand, input, dtype, device, requires_grad, input.shape, generator=generator)


def randn_like(input, generator=None, dtype=None, device=None, requires_grad=False, **options):
    _options("randn_like", options)
    return _like(randn, input, dtype, device, requires_grad, input.shape, generator=generator)


def randint_like(input, low=0, high=None, generator=None, dtype=None, device=None,
                 requires_grad=False, **options):
    """`randint_like(t, high)` or `randint_like(t, low, high)`: in t's shape and dtype."""
    _options("randint_like", options)
    if high is None:
        low, high = 0, low
    return _like(randint, input, dtype, device, requires_grad, low, high, input.shape,
                 generator=generator)
