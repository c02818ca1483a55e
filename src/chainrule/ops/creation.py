"""Making tensors: from data, filled, ranges, and random draws from the seeded generator."""
import numpy as np

from ..backend import Device, cpu, dtypes, generator, to_device
from ..tensor import Tensor

__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "arange",
           "linspace", "eye", "rand", "randn", "randint", "randperm", "normal", "zeros_like",
           "ones_like", "full_like", "empty_like", "rand_like", "randn_like", "randint_like"]


def as_array(data, dtype=None, device=None):
    """Raw array of `data` (nested lists, scalars, arrays, Tensors) in PyTorch's default dtypes:
    Python floats become float32, ints int64, bools bool."""
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


def tensor(data, dtype=None, device=None, requires_grad=False):
    """A new tensor holding a copy of `data`: `cr.tensor([[1.0, 2.0]], requires_grad=True)`."""
    array = as_array(data, dtype, device)
    if array is getattr(data, "array", data):
        array = array.copy()
    return _leaf(array, requires_grad)


def as_tensor(data, dtype=None, device=None):
    """Like `tensor`, but shares memory with `data` when it can."""
    return data if isinstance(data, Tensor) and dtype is None and device is None \
        else Tensor.wrap(as_array(data, dtype, device))


def from_numpy(array):
    """A tensor sharing memory with the NumPy array (no copy, dtype kept)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"from_numpy: expected a numpy.ndarray, got {type(array).__name__}")
    return Tensor.wrap(array)


def _shape(size):
    if len(size) == 1 and isinstance(size[0], (tuple, list)):
        return tuple(size[0])
    return tuple(size)


def _xp(device):
    return Device(device or cpu).xp


def _filled(fill, size, dtype, device, requires_grad):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    return _leaf(fill(_xp(device), _shape(size), dtype), requires_grad)


def zeros(*size, dtype=None, device=None, requires_grad=False):
    return _filled(lambda xp, s, d: xp.zeros(s, d), size, dtype, device, requires_grad)


def ones(*size, dtype=None, device=None, requires_grad=False):
    return _filled(lambda xp, s, d: xp.ones(s, d), size, dtype, device, requires_grad)


def empty(*size, dtype=None, device=None, requires_grad=False):
    return _filled(lambda xp, s, d: xp.empty(s, d), size, dtype, device, requires_grad)


def full(size, fill_value, dtype=None, device=None, requires_grad=False):
    if dtype is None:
        dtype = dtypes.result_type(fill_value)
    return _filled(lambda xp, s, d: xp.full(s, fill_value, d), _shape((size,)) if isinstance(
        size, int) else tuple(size), dtype, device, requires_grad)


def arange(start, end=None, step=1, dtype=None, device=None, requires_grad=False):
    """`arange(5)`, `arange(1, 2, 0.25)`: int64 for integer arguments, else float32."""
    if end is None:
        start, end = 0, start
    if dtype is None:
        dtype = dtypes.result_type(start, end, step)
    array = _xp(device).arange(start, end, step, dtype=dtypes.as_dtype(dtype))
    return _leaf(array, requires_grad)


def linspace(start, end, steps, dtype=None, device=None, requires_grad=False):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    return _leaf(_xp(device).linspace(start, end, steps, dtype=dtype), requires_grad)


def eye(n, m=None, dtype=None, device=None, requires_grad=False):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    return _leaf(_xp(device).eye(n, m, dtype=dtype), requires_grad)


def _random(draw, size, dtype, device, requires_grad):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    array = draw(generator(), _shape(size)).astype(dtype, copy=False)
    return _leaf(to_device(array, device) if device else array, requires_grad)


def rand(*size, dtype=None, device=None, requires_grad=False):
    """Uniform on [0, 1)."""
    return _random(lambda g, s: g.random(s), size, dtype, device, requires_grad)


def randn(*size, dtype=None, device=None, requires_grad=False):
    """Standard normal."""
    return _random(lambda g, s: g.standard_normal(s), size, dtype, device, requires_grad)


def normal(mean, std, size, dtype=None, device=None, requires_grad=False):
    return _random(lambda g, s: g.normal(mean, std, s), size, dtype, device, requires_grad)


def randint(*args, low=0, high=None, size=None, dtype=None, device=None):
    """Integers uniform on [low, high) (int64 unless dtype says otherwise), called as PyTorch's
    is: randint(high, size), randint(low, high, size), or with keywords."""
    if len(args) == 3:
        low, high, size = args
    elif len(args) == 2:
        low, high, size = (0, *args) if size is None else (*args, size)
    elif len(args) == 1:
        low, high = (0, args[0]) if high is None else (args[0], high)
    if len(args) > 3 or high is None or size is None:
        raise TypeError("randint: expected randint(high, size) or randint(low, high, size), "
                        f"got {len(args)} positional argument(s), high={high!r}, size={size!r}")
    array = generator().integers(low, high, size=_shape((size,)) if isinstance(size, int)
                                 else tuple(size)).astype(dtypes.as_dtype(dtype) or dtypes.int64)
    return Tensor.wrap(to_device(array, device) if device else array)


def randperm(n, dtype=None, device=None):
    array = generator().permutation(n).astype(dtypes.as_dtype(dtype) or dtypes.int64)
    return Tensor.wrap(to_device(array, device) if device else array)


def _like(make, t, dtype, device, requires_grad, *args):
    return make(*args, dtype=dtype or t.dtype, device=device or t.device,
                requires_grad=requires_grad)


def zeros_like(t, dtype=None, device=None, requires_grad=False):
    return _like(zeros, t, dtype, device, requires_grad, t.shape)


def ones_like(t, dtype=None, device=None, requires_grad=False):
    return _like(ones, t, dtype, device, requires_grad, t.shape)


def empty_like(t, dtype=None, device=None, requires_grad=False):
    return _like(empty, t, dtype, device, requires_grad, t.shape)


def full_like(t, fill_value, dtype=None, device=None, requires_grad=False):
    return _like(full, t, dtype, device, requires_grad, t.shape, fill_value)


def rand_like(t, dtype=None, device=None, requires_grad=False):
    return _like(rand, t, dtype, device, requires_grad, t.shape)


def randn_like(t, dtype=None, device=None, requires_grad=False):
    return _like(randn, t, dtype, device, requires_grad, t.shape)


def randint_like(t, low, high=None, dtype=None, device=None):
    return randint(low, high, t.shape, dtype=dtype or t.dtype, device=device or t.device)
