"""Shape ops: views and rearrangements. Each moves elements without changing them, so each
backward moves the gradient back: reshape reshapes back, permute permutes back, cat splits and
split concatenates, pad crops and crop pads, roll rolls back, broadcast sums."""
import operator

from ..autograd.function import Op
from ..backend import array_module, dtypes
from ..backend import sum_to as sum_to_array
from ..tensor import Tensor, tensor_method

__all__ = ["reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose",
           "swapaxes", "swapdims", "permute", "movedim", "moveaxis", "expand", "expand_as",
           "broadcast_to", "view_as", "reshape_as", "cat", "concat", "concatenate", "stack",
           "split", "chunk", "unbind", "narrow", "pad", "flip", "roll", "repeat", "tile",
           "as_strided"]


def _sizes(shape):
    """`f(x, 2, 3)` and `f(x, (2, 3))` both mean the sizes (2, 3)."""
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) \
        else tuple(shape)


def normalize_dim(name, dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative index, or a clear error (a 0-d tensor accepts
    -1 and 0, as in PyTorch)."""
    n = max(ndim, 1)
    try:
        d = None if isinstance(dim, bool) else operator.index(dim)
    except TypeError:
        d = None
    if d is None or not -n <= d < n:
        raise IndexError(f"{name}: dim {dim!r} is out of range for a tensor with {ndim} "
                         f"dimension(s) (expected an integer from {-n} to {n - 1})")
    return d % n


def _dims(name, dims, ndim):
    """One dim or a sequence of them, normalized, without repeats."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    out = tuple(normalize_dim(name, d, ndim) for d in dims)
    if len(set(out)) != len(out):
        raise ValueError(f"{name}: dims {dims} name the same dim twice")
    return out


# ---- reshaping: view shares memory or refuses, reshape copies when it must --------------------
class Reshape(Op):
    """The same elements in a new shape, sharing memory (callers make sure it can)."""
    is_view = True

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    def backward(ctx, g):
        return reshape(g, ctx.in_shape)


@tensor_method
def reshape(x, *shape):
    """A view when the elements' layout allows one, else a copy (as PyTorch); x a Tensor, or an
    array (in a backward)."""
    shape = _sizes(shape)
    if isinstance(x, Tensor) and not _viewable(x.array, shape):
        x = x.clone()
    try:
        return Reshape.apply(x, shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({_product(x.shape)} elements) into shape {shape}") from None


@tensor_method
def view(x, *shape):
    """A view in the new shape, sharing memory; refuses (like PyTorch) where the layout allows
    none, e.g. a transposed tensor flattened, rather than copying behind the user's back."""
    shape = _sizes(shape)
    if not _viewable(x.array, shape):
        _resolved("view", x, shape)  # (a shape that does not fit is the error to report)
        raise RuntimeError(
            f"view: a tensor of shape {x.shape} with strides {stride(x)} cannot be viewed as "
            f"shape {shape} without copying (its elements are not laid out in that order); use "
            ".reshape(...), which copies when it must, or .contiguous() first")
    try:
        return Reshape.apply(x, shape)
    except ValueError:
        _resolved("view", x, shape)
        raise


def _resolved(name, x, shape):
    """Raises the error for a shape that does not fit x's number of elements."""
    size, known = x.array.size, _product(s for s in shape if s != -1)
    if shape.count(-1) > 1 or any(s < -1 for s in shape) or \
            (known != size if -1 not in shape else known == 0 or size % known):
        raise ValueError(f"{name}: cannot reshape a tensor of shape {x.shape} ({size} elements) "
                         f"into shape {shape}")


def _viewable(array, shape):
    """Whether `array` can take the new shape without copying (True, too, for a shape that
    does not fit: the reshape that follows reports it)."""
    if array.flags.c_contiguous:
        return True
    try:
        array.reshape(shape, copy=False)
    except ValueError:
        return array.size == 0 or _product(shape) != array.size and -1 not in shape
    except TypeError:  # an array type whose reshape takes no copy= (CuPy): see if it copied
        return array_module(array).may_share_memory(array.reshape(shape), array)
    return True


@tensor_method
def contiguous(x, memory_format=None):
    """x itself when its elements are laid out in row-major order, else a copy that is."""
    return x if x.array.flags.c_contiguous else x.clone()


@tensor_method
def is_contiguous(x, memory_format=None):
    return bool(x.array.flags.c_contiguous)


@tensor_method
def stride(x, dim=None):
    """Steps in elements between neighbours along each dim (NumPy counts bytes)."""
    strides = tuple(s // x.array.itemsize for s in x.array.strides)
    return strides if dim is None else strides[normalize_dim("stride", dim, x.ndim)]


class AsStrided(Op):
    """A view of x's memory (x contiguous) with the given sizes and strides in elements, from
    element `offset`: each element is x's flat element at offset + sum(i_d * stride_d). The
    gradient adds g back at those flat positions (positions read twice get both)."""
    is_view = True

    def forward(ctx, x, size, strides, offset):
        ctx.in_shape, ctx.size, ctx.strides, ctx.offset = x.shape, size, strides, offset
        return array_module(x).lib.stride_tricks.as_strided(
            x.reshape(-1)[offset:], size, tuple(s * x.itemsize for s in strides))

    def backward(ctx, g):
        from .indexing import IndexAdd  # (indexing is built on this module)
        xp = array_module(g)
        positions = ctx.offset + sum(
            xp.arange(n).reshape((-1,) + (1,) * (len(ctx.size) - d - 1)) * s
            for d, (n, s) in enumerate(zip(ctx.size, ctx.strides)))
        positions = xp.broadcast_to(positions, ctx.size)
        return IndexAdd.apply(g, (positions,), (_product(ctx.in_shape),)).reshape(ctx.in_shape)


@tensor_method
def as_strided(x, size, stride, storage_offset=0):
    size, stride = tuple(size), tuple(stride)
    if not x.array.flags.c_contiguous:
        raise RuntimeError("as_strided: chainrule reads strides relative to a contiguous tensor's "
                           f"elements; this one (shape {x.shape}) is not contiguous: call "
                           ".contiguous() first")
    last = storage_offset + sum((n - 1) * s for n, s in zip(size, stride) if n)
    if len(size) != len(stride) or min(stride, default=0) < 0 or \
            (_product(size) and last >= x.array.size):
        raise RuntimeError(f"as_strided: sizes {size} with strides {stride} from offset "
                           f"{storage_offset} reach outside the tensor's {x.array.size} elements")
    return AsStrided.apply(x, size, stride, storage_offset)


@tensor_method("view_as", "reshape_as")
def view_as(x, other):
    return reshape(x, other.shape)


reshape_as = view_as


@tensor_method
def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, (1,))
    start = normalize_dim("flatten", start_dim, x.ndim)
    end = normalize_dim("flatten", end_dim, x.ndim)
    if start > end:
        raise ValueError(f"flatten: start_dim {start_dim} comes after end_dim {end_dim}")
    return reshape(x, x.shape[:start] + (_product(x.shape[start:end + 1]),) + x.shape[end + 1:])


def _product(sizes):
    out = 1
    for s in sizes:
        out *= s
    return out


@tensor_method
def unflatten(x, dim, sizes):
    dim = normalize_dim("unflatten", dim, x.ndim)
    return reshape(x, x.shape[:dim] + tuple(sizes) + x.shape[dim + 1:])


@tensor_method
def squeeze(x, dim=None):
    """Removes size-1 dims (all of them, or only those in `dim`, an int or a tuple)."""
    if dim is None:
        dims = {i for i, s in enumerate(x.shape) if s == 1}
    else:
        dims = {d for d in _dims("squeeze", dim, x.ndim) if x.ndim and x.shape[d] == 1}
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in dims))


@tensor_method
def unsqueeze(x, dim):
    dim = normalize_dim("unsqueeze", dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


# ---- reordering dims (always a view) ----------------------------------------------------------
class Permute(Op):
    is_view = True

    def forward(ctx, x, dims):
        ctx.dims = dims
        return x.transpose(dims)

    def backward(ctx, g):
        inverse = [0] * len(ctx.dims)
        for i, d in enumerate(ctx.dims):
            inverse[d] = i
        return permute(g, tuple(inverse))


@tensor_method
def permute(x, *dims):
    dims = tuple(normalize_dim("permute", d, x.ndim) for d in _sizes(dims))
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} must be a rearrangement of 0..{x.ndim - 1} "
                         f"for a tensor of shape {x.shape}")
    return Permute.apply(x, dims)


@tensor_method("transpose", "swapaxes", "swapdims")
def transpose(x, dim0, dim1):
    d0, d1 = normalize_dim("transpose", dim0, x.ndim), normalize_dim("transpose", dim1, x.ndim)
    dims = list(range(x.ndim))
    if x.ndim:
        dims[d0], dims[d1] = d1, d0
    return Permute.apply(x, tuple(dims))


swapaxes = swapdims = transpose


@tensor_method("movedim", "moveaxis")
def movedim(x, source, destination):
    """Moves dims `source` to positions `destination`; the others keep their order."""
    src, dst = _dims("movedim", source, x.ndim), _dims("movedim", destination, x.ndim)
    if len(src) != len(dst):
        raise ValueError(f"movedim: source {source} and destination {destination} must name "
                         "as many dims each")
    rest = iter(d for d in range(x.ndim) if d not in src)
    placed = dict(zip(dst, src))
    return Permute.apply(x, tuple(placed[i] if i in placed else next(rest)
                                  for i in range(x.ndim)))


moveaxis = movedim


# ---- broadcasting: copies by reference; its backward sums the copies --------------------------
class BroadcastTo(Op):
    is_view = True

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return array_module(x).broadcast_to(x, shape)

    def backward(ctx, g):
        return sum_to(g, ctx.in_shape)


class SumTo(Op):
    """Sums a broadcast gradient back to `shape`: the reverse of broadcast_to."""

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return sum_to_array(x, shape)

    def backward(ctx, g):
        return broadcast_to(g, ctx.in_shape)


@tensor_method
def broadcast_to(x, *shape):
    shape = _sizes(shape)
    if x.shape == shape:
        return x
    try:
        return BroadcastTo.apply(x, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: a tensor of shape {x.shape} cannot be broadcast to "
                         f"{shape} (each dim must match or be 1)") from None


@tensor_method
def expand(x, *sizes):
    """Like broadcast_to; -1 keeps an existing dim's size."""
    sizes = _sizes(sizes)
    lead = len(sizes) - x.ndim
    if lead < 0:
        raise ValueError(f"expand: sizes {sizes} have fewer dims than the tensor's shape "
                         f"{x.shape}")
    if -1 in sizes[:lead]:
        raise ValueError(f"expand: -1 keeps an existing dim's size, but dim "
                         f"{sizes.index(-1)} of {sizes} is a new leading dim")
    return broadcast_to(x, tuple(x.shape[i - lead] if s == -1 else s
                                 for i, s in enumerate(sizes)))


@tensor_method
def expand_as(x, other):
    return broadcast_to(x, other.shape)


def sum_to(x, shape):
    return x if x.shape == tuple(shape) else SumTo.apply(x, tuple(shape))


@tensor_method
def sum_to_size(x, *size):
    """Sums x down to `size`, the reverse of broadcasting to x's shape (as PyTorch's)."""
    return sum_to(x, _sizes(size))


# ---- joining and splitting: each the other's backward -----------------------------------------
class Cat(Op):
    def forward(ctx, *xs, dim):
        ctx.sizes, ctx.dim = [x.shape[dim] for x in xs], dim
        return array_module(*xs).concatenate(xs, axis=dim)

    def backward(ctx, g):
        return Split.apply(g, ctx.sizes, ctx.dim)


class Split(Op):
    """Consecutive pieces of `sizes` along `dim`, each a view; the gradients are concatenated
    back (the engine fills zeros for pieces that got none)."""
    is_view = True

    def forward(ctx, x, sizes, dim):
        ctx.dim = dim
        ends = _running_sum(sizes)
        return tuple(x[(slice(None),) * dim + (slice(end - size, end),)]
                     for size, end in zip(sizes, ends))

    def backward(ctx, *gs):
        return Cat.apply(*gs, dim=ctx.dim)


def _running_sum(sizes):
    total, out = 0, []
    for s in sizes:
        total += s
        out.append(total)
    return out


def cat(tensors, dim=0):
    """Joins tensors along an existing dim; all other dims must match. dtypes promote as in
    PyTorch, and 1-D empty tensors join anything (PyTorch's accumulate-from-empty idiom)."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("cat: expected a non-empty list of tensors")
    if any(not isinstance(t, Tensor) for t in tensors):
        raise TypeError(f"cat: expected a list of Tensors, got "
                        f"{[type(t).__name__ for t in tensors]}")
    first = next((t for t in tensors if t.shape != (0,)), tensors[0])
    if first.ndim == 0:
        raise ValueError("cat: a 0-d tensor cannot be concatenated; unsqueeze it or use stack")
    d = normalize_dim("cat", dim, first.ndim)
    empty = first.shape[:d] + (0,) + first.shape[d + 1:]
    tensors = [reshape(t, empty) if t.shape == (0,) else t for t in tensors]
    for t in tensors:
        if t.ndim != first.ndim or any(a != b for k, (a, b) in enumerate(zip(t.shape, first.shape))
                                       if k != d):
            raise ValueError(f"cat: shapes {first.shape} and {t.shape} must match in every dim "
                             f"except dim {d}, the one joined")
    dtype = dtypes.result_type(*((t.dtype, 2) for t in tensors))
    return Cat.apply(*(t if t.dtype == dtype else t.to(dtype) for t in tensors), dim=d)


concat = concatenate = cat


def stack(tensors, dim=0):
    """Joins same-shape tensors along a new dim."""
    tensors = list(tensors)
    if not tensors:
        raise ValueError("stack: expected a non-empty list of tensors")
    for t in tensors[1:]:
        if t.shape != tensors[0].shape:
            raise ValueError(f"stack: every tensor must have the same shape, got "
                             f"{tensors[0].shape} and {t.shape}")
    d = normalize_dim("stack", dim, tensors[0].ndim + 1)
    return cat([unsqueeze(t, d) for t in tensors], d)


@tensor_method
def split(x, split_size_or_sections, dim=0):
    """Pieces of `split_size` along `dim` (the last may be smaller), or of the listed sizes."""
    d, n = _dim_and_size("split", x, dim)
    if isinstance(split_size_or_sections, (tuple, list)):
        sizes = tuple(split_size_or_sections)
        if sum(sizes) != n or any(s < 0 for s in sizes):
            raise ValueError(f"split: sizes {list(sizes)} must be non-negative and add up to "
                             f"{n}, the size of dim {d}")
    else:
        size = split_size_or_sections
        if not isinstance(size, int) or size < 1:
            raise ValueError(f"split: split_size must be a positive integer, got {size!r}")
        sizes = (size,) * (n // size) + ((n % size,) if n % size or n == 0 else ())
    return Split.apply(x, sizes, d)


def _dim_and_size(name, x, dim):
    if x.ndim == 0:
        raise ValueError(f"{name}: expected a tensor with at least one dim, got a 0-d tensor")
    d = normalize_dim(name, dim, x.ndim)
    return d, x.shape[d]


@tensor_method
def chunk(x, chunks, dim=0):
    """At most `chunks` pieces of equal size (the last may be smaller), as in PyTorch."""
    if not isinstance(chunks, int) or chunks < 1:
        raise ValueError(f"chunk: chunks must be a positive integer, got {chunks!r}")
    d, n = _dim_and_size("chunk", x, dim)
    return split(x, (0,) * chunks, d) if n == 0 else split(x, -(-n // chunks), d)


@tensor_method
def unbind(x, dim=0):
    """The slices along `dim`, with that dim removed."""
    d, n = _dim_and_size("unbind", x, dim)
    return tuple(squeeze(p, d) for p in split(x, (1,) * n, d))


@tensor_method
def narrow(x, dim, start, length):
    d = normalize_dim("narrow", dim, x.ndim)
    n = x.shape[d]
    start = start + n if start < 0 else start
    if not 0 <= start <= start + length <= n:
        raise IndexError(f"narrow: start {start} and length {length} do not fit in dim {d} "
                         f"of size {n}")
    return x[(slice(None),) * d + (slice(start, start + length),)]


# ---- padding: the adjoint of padding by p is padding by -p (cropping) with zeros ---------------
class Pad(Op):
    """Pads each dim by (before, after); a negative width crops instead."""

    def forward(ctx, x, widths, value):
        ctx.widths = widths
        shape = tuple(n + b + a for n, (b, a) in zip(x.shape, widths))
        out = array_module(x).full(shape, value, dtype=x.dtype)
        src = tuple(slice(max(-b, 0), n - max(-a, 0)) for n, (b, a) in zip(x.shape, widths))
        dst = tuple(slice(max(b, 0), n - max(a, 0)) for n, (b, a) in zip(shape, widths))
        out[dst] = x[src]
        return out

    def backward(ctx, g):
        return Pad.apply(g, tuple((-b, -a) for b, a in ctx.widths), 0)


def pad(input, pad, mode="constant", value=None):
    """PyTorch's `F.pad`: `pad` lists (before, after) widths starting from the LAST dim, e.g.
    (1, 1, 2, 0) pads the last dim by 1 on both sides and the one before by 2 on top.
    mode "constant" fills with `value` (0 by default; negative widths crop); "reflect",
    "replicate" and "circular" read the border from the tensor itself."""
    x = input
    if len(pad) % 2 or len(pad) > 2 * x.ndim:
        raise ValueError(f"pad: expected an even number of widths, at most 2 per dim "
                         f"({2 * x.ndim} for shape {x.shape}), got {tuple(pad)}")
    per_dim = [(pad[2 * i], pad[2 * i + 1]) for i in range(len(pad) // 2)]  # last dim first
    widths = ((0, 0),) * (x.ndim - len(per_dim)) + tuple(reversed(per_dim))
    for n, (b, a) in zip(x.shape, widths):
        if n + b + a < 0:
            raise ValueError(f"pad: widths {tuple(pad)} would crop a dim of size {n} below zero")
    if mode == "constant":
        return Pad.apply(x, widths, 0 if value is None else value)
    if mode not in _BORDERS:
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    xp = array_module(x.array)
    for d, (b, a) in enumerate(widths):
        if (b, a) == (0, 0):
            continue
        n = x.shape[d]
        if min(b, a) < 0 or n < (2 if mode == "reflect" else 1):
            raise ValueError(f"pad: mode {mode!r} needs non-negative widths and a dim of size "
                             f"at least {2 if mode == 'reflect' else 1}, got widths {(b, a)} "
                             f"for dim {d} of size {n}")
        x = x[(slice(None),) * d + (_BORDERS[mode](xp.arange(-b, n + a), n, xp),)]
    return x


def _reflect(p, n, xp):
    """Mirror about the first and last element, which are not repeated (period 2(n-1))."""
    p = xp.abs(p) % (2 * (n - 1))
    return xp.where(p < n, p, 2 * (n - 1) - p)


_BORDERS = {"reflect": _reflect,
            "replicate": lambda p, n, xp: xp.clip(p, 0, n - 1),
            "circular": lambda p, n, xp: p % n}


# ---- reordering elements: each backward applies the inverse reordering ------------------------
class Flip(Op):
    def forward(ctx, x, dims):
        ctx.dims = dims
        xp = array_module(x)
        return xp.ascontiguousarray(xp.flip(x, dims))  # a copy, as in PyTorch

    def backward(ctx, g):
        return Flip.apply(g, ctx.dims)


@tensor_method
def flip(x, *dims):
    """Reverses the order of elements along `dims`."""
    return Flip.apply(x, _dims("flip", _sizes(dims), x.ndim))


class Roll(Op):
    def forward(ctx, x, shifts, dims):
        ctx.shifts, ctx.dims = shifts, dims
        return array_module(x).roll(x, shifts, dims)

    def backward(ctx, g):
        return Roll.apply(g, tuple(-s for s in ctx.shifts), ctx.dims)


@tensor_method
def roll(x, shifts, dims=None):
    """Shifts elements along `dims` cyclically; without dims, over the flattened tensor."""
    shifts = tuple(shifts) if isinstance(shifts, (tuple, list)) else (shifts,)
    if dims is None:
        if len(shifts) != 1:
            raise ValueError(f"roll: without dims, shifts must be one number, got {shifts}")
        return reshape(Roll.apply(flatten(x), shifts, (0,)), x.shape)
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    if len(shifts) != len(dims):
        raise ValueError(f"roll: shifts {shifts} and dims {dims} must have the same length")
    return Roll.apply(x, shifts, tuple(normalize_dim("roll", d, x.ndim) for d in dims))


@tensor_method
def repeat(x, *sizes):
    """PyTorch's Tensor.repeat: tiles the tensor `sizes[i]` times along dim i (extra leading
    sizes add dims). Built as a broadcast, so its gradient is a sum over the copies:
    (s0, s1) -> (1, s0, 1, s1) -> expand to (r0, s0, r1, s1) -> (r0*s0, r1*s1)."""
    sizes = _sizes(sizes)
    if len(sizes) < x.ndim:
        raise ValueError(f"repeat: got {len(sizes)} repeat counts {sizes} for a tensor with "
                         f"{x.ndim} dims; give at least one per dim")
    if any(not isinstance(r, int) or r < 0 for r in sizes):
        raise ValueError(f"repeat: repeat counts must be non-negative integers, got {sizes}")
    shape = (1,) * (len(sizes) - x.ndim) + x.shape
    units = tuple(s for n in shape for s in (1, n))
    copies = tuple(s for r, n in zip(sizes, shape) for s in (r, n))
    return reshape(broadcast_to(reshape(x, units), copies),
                   tuple(r * n for r, n in zip(sizes, shape)))


@tensor_method
def tile(x, dims):
    """Like repeat, but fewer counts than dims are padded with leading 1s."""
    dims = tuple(dims) if isinstance(dims, (tuple, list)) else (dims,)
    return repeat(x, (1,) * (x.ndim - len(dims)) + dims)
