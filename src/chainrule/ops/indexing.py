"""Indexing: `x[...]` and its relatives. Reading elements at an index goes forward; its derivative
adds the gradient back into zeros at the same index (an element read twice gets both gradients),
and the derivative of that adding is reading again. This pair, GetItem and IndexAdd, is the whole
calculus of indexing: gather, index_select and take_along_dim read, scatter_add adds."""
import numpy as np

from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor, tensor_method
from .elementwise import _constant, where
from .shape import broadcast_to, flatten, normalize_dim

__all__ = ["getitem", "gather", "scatter_add", "index_select", "take_along_dim", "masked_fill"]


# ---- the pair ---------------------------------------------------------------------------------
class GetItem(Op):
    """x[key] for a basic key (ints, slices, None, ...): a view of x."""
    is_view = True

    def forward(ctx, x, key):
        ctx.in_shape = x.shape
        ctx.save_for_backward(key)
        return x[key]

    def backward(ctx, g):
        key, = ctx.saved_arrays
        return IndexAdd.apply(g, key, ctx.in_shape)


class Take(GetItem):
    """x[key] with index arrays: a copy."""
    is_view = False


class IndexAdd(Op):
    """zeros(shape), then adds g at `key` (repeated indices accumulate): getitem's reverse."""

    def forward(ctx, g, key, shape):
        ctx.save_for_backward(key)
        xp = array_module(g)
        out = xp.zeros(shape, g.dtype)
        if _is_basic(key):
            out[key] = g
        else:
            xp.add.at(out, key, g)
        return out

    def backward(ctx, gg):
        key, = ctx.saved_arrays
        return _reader(key).apply(gg, key)


def _is_basic(key):
    """Slices, ints, None and Ellipsis never repeat an element, and read a view."""
    return all(k is None or k is Ellipsis or isinstance(k, (int, slice)) for k in key)


def _reader(key):
    return GetItem if _is_basic(key) else Take


# ---- x[key]: PyTorch's meaning, NumPy's machinery ---------------------------------------------
@tensor_method("__getitem__")
def getitem(x, key):
    return read(x, as_index(key, x.shape))


def read(x, key):
    """x[key] for a key already in NumPy's form (see as_index); x a Tensor or an array."""
    return _reader(key).apply(x, key)


def as_index(key, shape, name="indexing"):
    """The NumPy index that selects what PyTorch's `x[key]` selects, checked against `shape`.

    The two agree except where integers and index arrays mix: PyTorch first drops the dims that
    integers select, and only then places the arrays' dims, while NumPy counts integers as arrays
    (so `x[0, :, [0, 1]]` has shape (3, 2) in PyTorch, (2, 3) in NumPy for x of shape (2, 3, 4)).
    Such keys are rewritten as one array per dim, broadcast to PyTorch's result layout. A trailing
    Ellipsis makes NumPy return a 0-d array, never a scalar."""
    key = tuple(_entry(k) for k in (key if isinstance(key, tuple) else (key,)))
    placed = _place(key, shape, name)
    if any(isinstance(k, int) for k, _ in placed) and \
            any(_is_array(k) and not (_is_mask(k) and k.ndim == 0) for k, _ in placed):
        key = _torch_layout(placed, shape, name)
    return key if any(k is Ellipsis for k in key) else key + (Ellipsis,)


def _entry(k):
    """One entry of a key as NumPy takes it: Tensors and lists become arrays; a 0-d integer
    tensor selects, like an int."""
    if isinstance(k, Tensor):
        k = k.array
    elif isinstance(k, (list, tuple)):
        k = array_module().asarray(k)
        k = k.astype(np.int64) if k.size == 0 else k
    if isinstance(k, (bool, np.bool_)):
        return array_module().asarray(k)  # True/False: a 0-d mask
    if isinstance(k, (int, np.integer)):
        return int(k)
    if _is_array(k):
        return int(k) if k.ndim == 0 and k.dtype.kind in "iu" else k
    if k is None or k is Ellipsis or isinstance(k, slice):
        return k
    raise TypeError(f"indexing: cannot index with {type(k).__name__} {k!r}; use ints, slices, "
                    "None, ..., or integer/bool tensors")


def _is_array(k):
    return hasattr(k, "dtype")


def _place(key, shape, name):
    """Pairs each entry with the first dim it indexes (Ellipsis expanded to full slices), and
    checks it: integers in range, masks of the right shape."""
    if sum(k is Ellipsis for k in key) > 1:
        raise IndexError(f"{name}: an index can have only one Ellipsis (...)")
    width = [0 if k is None or k is Ellipsis else k.ndim if _is_mask(k) else 1 for k in key]
    if sum(width) > len(shape):
        raise IndexError(f"{name}: too many indices for a tensor of shape {shape}: "
                         f"{sum(width)} dims indexed, it has {len(shape)}")
    placed, d = [], 0
    for k, w in zip(key, width):
        if k is Ellipsis:
            for _ in range(len(shape) - sum(width)):
                placed.append((slice(None), d))
                d += 1
            continue
        _check_entry(name, k, d, shape)
        placed.append((k, d))
        d += w
    placed += [(slice(None), i) for i in range(d, len(shape))]
    return placed


def _is_mask(k):
    return _is_array(k) and k.dtype.kind == "b"


def _check_entry(name, k, d, shape):
    if _is_mask(k):
        if k.shape != shape[d:d + k.ndim]:
            raise IndexError(f"{name}: a boolean mask of shape {k.shape} must match the shape "
                             f"{shape[d:d + k.ndim]} of the dims {d}..{d + k.ndim - 1} it covers")
    elif _is_array(k):
        if k.dtype.kind not in "iu":
            raise IndexError(f"{name}: tensors used as indices must be integer or bool, got "
                             f"{k.dtype}")
        check_range(name, k, d, shape[d], allow_negative=True)
    elif isinstance(k, int) and not -shape[d] <= k < shape[d]:
        _out_of_range(name, k, d, shape[d])


def check_range(name, index, dim, size, allow_negative=False):
    """Raises if any index lies outside dim `dim` of size `size` ([-size, size) with negatives)."""
    if index.size == 0:
        return
    lo, hi = int(index.min()), int(index.max())
    if hi >= size or lo < (-size if allow_negative else 0):
        _out_of_range(name, hi if hi >= size else lo, dim, size)


def _out_of_range(name, index, dim, size):
    raise IndexError(f"{name}: index {index} is out of range for dim {dim} of size {size}")


def _torch_layout(placed, shape, name):
    """One index array per dim, shaped so that NumPy's broadcast of them all is PyTorch's result:
    integers select (no result dim); slices and None give one result dim each; the arrays'
    broadcast dims stand where the arrays stand if they are adjacent once the integers are
    dropped, and first otherwise."""
    xp = array_module(*(k for k, _ in placed if _is_array(k)))
    entries = []  # (entry, dim), each mask expanded into one int array per dim it covers
    for k, d in placed:
        if _is_mask(k) and k.ndim == 0:
            raise IndexError(f"{name}: a True/False index cannot be mixed with integers and "
                             "index arrays")
        entries += zip(xp.nonzero(k), range(d, d + k.ndim)) if _is_mask(k) else [(k, d)]
    arrays = [i for i, (k, _) in enumerate(entries) if _is_array(k)]
    batch = np.broadcast_shapes(*(entries[i][0].shape for i in arrays))
    kept = [i for i, (k, _) in enumerate(entries) if not isinstance(k, int)]
    start = kept.index(arrays[0])
    if kept[start:start + len(arrays)] != arrays:
        kept, start = arrays + [i for i in kept if i not in arrays], 0
    axis_of, ndim = {}, 0
    for i in kept:
        if i in arrays:
            axis_of[i] = start  # every array spans the same broadcast axes
            ndim += len(batch) if i == arrays[0] else 0
        else:
            axis_of[i] = ndim
            ndim += 1

    def laid(values, axis):  # `values` along result axes axis, axis+1, ..., ones elsewhere
        return values.reshape((1,) * axis + values.shape + (1,) * (ndim - axis - values.ndim))

    key = [None] * len(shape)
    for i, (k, d) in enumerate(entries):
        if isinstance(k, int):
            key[d] = k
        elif _is_array(k):
            key[d] = laid(xp.broadcast_to(k, batch), axis_of[i])
        elif k is not None:
            key[d] = laid(xp.arange(shape[d])[k], axis_of[i])
    return tuple(key)


# ---- reading and adding along one dim ---------------------------------------------------------
def _index_array(name, index):
    index = index.array if isinstance(index, Tensor) else array_module(index).asarray(index)
    if index.dtype.kind not in "iu":
        raise TypeError(f"{name}: index must be an integer tensor, got {index.dtype}")
    return index


def _dim_of(name, x, dim):
    if x.ndim == 0:
        raise ValueError(f"{name}: expected a tensor with at least one dim, got a 0-d tensor")
    return normalize_dim(name, dim, x.ndim)


def _along(name, x, dim, index):
    """The key that reads x[i][j][index[i][j][k]] (for dim 2, say): index at `dim`, and at each
    other dim an arange over index's size there, laid along that dim. Returns (key, dim)."""
    d = _dim_of(name, x, dim)
    index = _index_array(name, index)
    if index.ndim != x.ndim or any(m > n for i, (m, n) in enumerate(zip(index.shape, x.shape))
                                   if i != d):
        raise ValueError(f"{name}: index of shape {index.shape} must have the tensor's "
                         f"{x.ndim} dims and be no larger than its shape {x.shape}, except at "
                         f"dim {d}")
    check_range(name, index, d, x.shape[d])
    xp = array_module(index)
    ones = (1,) * x.ndim
    return tuple(index if i == d else xp.arange(m).reshape(ones[:i] + (m,) + ones[i + 1:])
                 for i, m in enumerate(index.shape)), d


def check_same_dtype(name, what, src, input):
    """Raises unless `src` (named `what`), written into a copy of input, has input's dtype."""
    if src.dtype != input.dtype:
        raise TypeError(f"{name}: {what} has dtype {src.dtype} but input has {input.dtype}; "
                        "they must match")


def _scatter_key(name, input, dim, index, src):
    """The key of input's positions that index names (see gather), and src (a Tensor, or a
    number left as it is) cut to index's shape."""
    key, d = _along(name, input, dim, index)
    shape = key[d].shape
    if not isinstance(src, Tensor):
        return key, src
    if src.ndim != input.ndim or any(m > n for m, n in zip(shape, src.shape)):
        raise ValueError(f"{name}: src of shape {src.shape} must be at least as large as "
                         f"index, of shape {shape}, in every dim")
    check_same_dtype(name, "src", src, input)
    return key, src if src.shape == shape else src[tuple(slice(0, m) for m in shape)]


@tensor_method
def gather(input, dim, index):
    """out[i][j][k] = input[i][index[i][j][k]][k] for dim 1; its backward is scatter_add."""
    key, _ = _along("gather", input, dim, index)
    return Take.apply(input, key)


@tensor_method
def scatter_add(input, dim, index, src):
    """A copy of input with src[i][j][k] added at input[i][index[i][j][k]][k] (for dim 1);
    repeated indices accumulate. Its backward (for src) is gather."""
    if not isinstance(src, Tensor):
        raise TypeError(f"scatter_add: src must be a Tensor, got {type(src).__name__}")
    key, src = _scatter_key("scatter_add", input, dim, index, src)
    return input + IndexAdd.apply(src, key, input.shape)


@tensor_method
def index_select(input, dim, index):
    """The slices at positions `index` (a 1-D integer tensor) along `dim`."""
    d = _dim_of("index_select", input, dim)
    index = _index_array("index_select", index)
    if index.ndim > 1:
        raise ValueError(f"index_select: index must be 1-D, got shape {index.shape}")
    check_range("index_select", index, d, input.shape[d])
    return Take.apply(input, (slice(None),) * d + (index.reshape(-1), Ellipsis))


@tensor_method
def take_along_dim(input, indices, dim=None):
    """gather after broadcasting input and indices against each other (all dims but `dim`);
    negative indices count from the end. Without dim, works on the flattened tensors."""
    indices = _index_array("take_along_dim", indices)
    if dim is None:
        return take_along_dim(flatten(input), indices.reshape(-1), 0)
    d = _dim_of("take_along_dim", input, dim)
    if indices.ndim != input.ndim:
        raise ValueError(f"take_along_dim: indices of shape {indices.shape} must have as many "
                         f"dims as the tensor, of shape {input.shape}")
    n = input.shape[d]
    check_range("take_along_dim", indices, d, n, allow_negative=True)
    try:
        others = np.broadcast_shapes(*(s[:d] + (1,) + s[d + 1:]
                                       for s in (input.shape, indices.shape)))
    except ValueError:
        raise ValueError(f"take_along_dim: shapes {input.shape} and {indices.shape} do not "
                         f"broadcast (in every dim but dim {d})") from None
    xp = array_module(indices)

    def along(size):  # the broadcast shape with `size` at dim d
        return others[:d] + (size,) + others[d + 1:]

    indices = xp.broadcast_to(indices % max(n, 1), along(indices.shape[d]))
    return gather(broadcast_to(input, along(n)), d, indices)


@tensor_method
def masked_fill(input, mask, value):
    """`value` where mask is True, input elsewhere (mask broadcasts to input's shape)."""
    mask = mask.array if isinstance(mask, Tensor) else array_module(mask).asarray(mask)
    if mask.dtype.kind != "b":
        raise TypeError(f"masked_fill: mask must be a bool tensor, got {mask.dtype}")
    try:
        fits = np.broadcast_shapes(mask.shape, input.shape) == input.shape
    except ValueError:
        fits = False
    if not fits:
        raise ValueError(f"masked_fill: a mask of shape {mask.shape} does not broadcast to the "
                         f"tensor's shape {input.shape}")
    if isinstance(value, Tensor):
        if value.ndim:
            raise ValueError(f"masked_fill: value must be a number or a 0-d tensor, got shape "
                             f"{value.shape}")
        fill = value.to(input.dtype)
    else:
        fill = _constant(array_module(input.array).asarray(value, dtype=input.dtype))
    return where(_constant(mask), fill, input)
