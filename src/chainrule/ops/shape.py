"""Shape ops: views and rearrangements. Each backward undoes its forward's rearrangement."""
from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor

__all__ = ["reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose",
           "swapaxes", "permute", "expand", "expand_as", "broadcast_to", "view_as", "reshape_as"]
METHODS = ["reshape", "view", "flatten", "unflatten", "squeeze", "unsqueeze", "transpose",
           "swapaxes", "permute", "expand", "expand_as", "broadcast_to", "view_as", "reshape_as"]


def _sizes(shape):
    return tuple(shape[0]) if len(shape) == 1 and isinstance(shape[0], (tuple, list)) \
        else tuple(shape)


def normalize_dim(name, dim, ndim):
    """A dim in [-ndim, ndim) as a non-negative index, or a clear error."""
    lo, hi = -max(ndim, 1), max(ndim, 1) - 1
    if not isinstance(dim, int) or not lo <= dim <= hi:
        raise IndexError(f"{name}: dim {dim} is out of range for a tensor with {ndim} "
                         f"dimension(s) (expected {lo} to {hi})")
    return dim % max(ndim, 1)


class Reshape(Op):
    is_view = True

    def forward(ctx, x, shape):
        ctx.in_shape = x.shape
        return x.reshape(shape)

    def backward(ctx, g):
        return reshape(g, ctx.in_shape)


def reshape(x, *shape):
    shape = _sizes(shape)
    try:
        return Reshape.apply(x, shape)
    except ValueError:
        raise ValueError(f"reshape: cannot reshape a tensor of shape {x.shape} "
                         f"({x.array.size} elements) into shape {shape}") from None


view = reshape


def view_as(x, other):
    return reshape(x, other.shape)


reshape_as = view_as


def flatten(x, start_dim=0, end_dim=-1):
    if x.ndim == 0:
        return reshape(x, (1,))
    start = normalize_dim("flatten", start_dim, x.ndim)
    end = normalize_dim("flatten", end_dim, x.ndim)
    shape = x.shape[:start] + (-1,) + x.shape[end + 1:]
    if 0 in x.shape:
        size = 1
        for s in x.shape[start:end + 1]:
            size *= s
        shape = x.shape[:start] + (size,) + x.shape[end + 1:]
    return reshape(x, shape)


def unflatten(x, dim, sizes):
    dim = normalize_dim("unflatten", dim, x.ndim)
    return reshape(x, x.shape[:dim] + tuple(sizes) + x.shape[dim + 1:])


def squeeze(x, dim=None):
    """Removes size-1 dims (all of them, or only `dim`, which may be a tuple)."""
    if dim is None:
        dims = {i for i, s in enumerate(x.shape) if s == 1}
    else:
        dims = {normalize_dim("squeeze", d, x.ndim)
                for d in (dim if isinstance(dim, (tuple, list)) else (dim,))}
        dims = {d for d in dims if x.ndim and x.shape[d] == 1}
    return reshape(x, tuple(s for i, s in enumerate(x.shape) if i not in dims))


def unsqueeze(x, dim):
    dim = normalize_dim("unsqueeze", dim, x.ndim + 1)
    return reshape(x, x.shape[:dim] + (1,) + x.shape[dim:])


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


def permute(x, *dims):
    dims = tuple(normalize_dim("permute", d, x.ndim) for d in _sizes(dims))
    if sorted(dims) != list(range(x.ndim)):
        raise ValueError(f"permute: dims {dims} must be a rearrangement of 0..{x.ndim - 1} "
                         f"for a tensor of shape {x.shape}")
    return Permute.apply(x, dims)


def transpose(x, dim0, dim1):
    if x.ndim < 2 and dim0 in (0, -1) and dim1 in (0, -1):
        return x
    d0, d1 = normalize_dim("transpose", dim0, x.ndim), normalize_dim("transpose", dim1, x.ndim)
    dims = list(range(x.ndim))
    dims[d0], dims[d1] = d1, d0
    return Permute.apply(x, tuple(dims))


swapaxes = transpose


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
        lead = x.ndim - len(shape)
        axes = tuple(range(lead)) + tuple(i + lead for i, s in enumerate(shape)
                                          if s == 1 and x.shape[i + lead] != 1)
        y = x.sum(axis=axes, keepdims=True) if axes else x
        return y.reshape(shape)

    def backward(ctx, g):
        return broadcast_to(g, ctx.in_shape)


def broadcast_to(x, *shape):
    shape = _sizes(shape)
    if x.shape == shape:
        return x
    try:
        return BroadcastTo.apply(x, shape)
    except ValueError:
        raise ValueError(f"broadcast_to: a tensor of shape {x.shape} cannot be broadcast to "
                         f"{shape} (each dim must match or be 1)") from None


def expand(x, *sizes):
    """Like broadcast_to; -1 keeps a dim's size."""
    sizes = _sizes(sizes)
    lead = len(sizes) - x.ndim
    shape = tuple(x.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return broadcast_to(x, shape)


def expand_as(x, other):
    return broadcast_to(x, other.shape)


def sum_to(x, shape):
    return x if x.shape == tuple(shape) else SumTo.apply(x, tuple(shape))


Tensor.sum_to = sum_to  # used by the engine at the edge (not a public method)
