"""In-place ops in the graph: `y.add_(x)`, `y[0] = x`, `F.relu(y, inplace=True)`.

Each changes y's memory and, as in PyTorch, y's history too: y is now the op applied to the old
y, so its `grad_fn` becomes that op's node (y's history is rebased onto it). The op is computed
out of place first, which records it as usual, and its result is then written into y's memory.
A value some node saved before the change is not lost silently: the node notices when its
backward unpacks it (the version counter moved on) and says which op and which versions.

A view shares its base's memory, so a write through it changes the base as well: the base's
history is rebased onto `WriteThrough` (the old base with the view's region replaced by the new
values), and the view's own history is made again from the base's new one. Any other view of
the base notices, when it is next used, that the memory changed since its history was made, and
makes its history again the same way (`Tensor._refresh_view`)."""
import numpy as np

from ..autograd import grad_mode
from ..autograd.function import Op
from ..backend import array_module
from ..tensor import Tensor, tensor_method
from . import creation, elementwise, indexing

__all__ = []


def modify(t, name, compute):
    """Replaces t's values with compute(t) (a Tensor of t's shape), recorded as the op `name`
    that changed t in place. Returns t."""
    recording = grad_mode.is_grad_enabled()
    base = t._view[0] if t._view is not None else None
    if recording:
        _check_not_leaf(name, t, base)
    _check_writable(name, t)
    new = compute(t)
    new = _fitted(name, new if isinstance(new, Tensor) else Tensor.wrap(new), t)
    node = new.grad_fn
    if node is not None:
        node.keep_copies_of(t.array)  # its saved old values, about to be overwritten
    array_module(t.array).copyto(t.array, new.array)
    t._bump()
    if node is None:  # nothing recorded (and a tensor changed under no_grad keeps its history)
        return t
    node.relocate_output(new.output_nr, t)
    if base is None:
        t.grad_fn, t.output_nr, t.requires_grad = node, new.output_nr, True
        return t
    steps = t._view[1]
    written = WriteThrough.apply(base, new, steps)
    base.grad_fn, base.output_nr, base.requires_grad = written.grad_fn, 0, True
    written.grad_fn.relocate_output(0, base)
    t._refresh_view()
    return t


def _check_writable(name, t):
    if not t.array.flags.writeable:
        raise RuntimeError(
            f"{name}: this tensor is an expanded view (several of its elements share one memory "
            "location), so it cannot be written in place; write to .clone() instead")


def _check_not_leaf(name, t, base):
    if t.requires_grad and t.grad_fn is None and base is None:
        raise RuntimeError(
            f"{name}: a leaf tensor that requires grad (shape {t.shape}) cannot be changed in "
            "place while gradients are recorded; do it inside `with cr.no_grad():` (as "
            "optimizers do), or change a clone")
    if base is not None and base.requires_grad and base.grad_fn is None:
        raise RuntimeError(
            f"{name}: this tensor is a view of a leaf tensor that requires grad (shape "
            f"{base.shape}), which cannot be changed in place while gradients are recorded; do "
            "it inside `with cr.no_grad():`, or change a clone")


def _fitted(name, new, t):
    """The new values as they will be stored in t: t's shape, and t's dtype (a cast PyTorch
    would do, recorded; one it would refuse, refused)."""
    if new.shape != t.shape:
        raise RuntimeError(f"{name}: the result has shape {new.shape}, but the tensor written to "
                           f"has shape {t.shape}; an in-place op cannot change a tensor's shape")
    if new.dtype != t.dtype:
        if not np.can_cast(new.dtype, t.dtype, "same_kind"):
            raise TypeError(f"{name}: the result has dtype {new.dtype}, which cannot be stored in "
                            f"this tensor of dtype {t.dtype}")
        new = elementwise.cast(new, t.dtype)
    return new


class WriteThrough(Op):
    """The base of a view after `view[...] = new`, recorded (the memory already holds the new
    values): outside the view's region the base's gradient flows to the old base, inside it
    flows to `new`. `steps` are the view ops that make the view from the base."""

    def forward(ctx, base, new, steps):
        outside = array_module(base).ones(base.shape, new.dtype)
        replay(steps, outside)[...] = 0
        ctx.save_for_backward(outside, steps)
        return base

    def backward(ctx, g):
        outside, steps = ctx.saved_like(g)
        return g * outside, replay(steps, g)


def replay(steps, x):
    """Applies a view's steps, each (op, arguments, keyword arguments, output index), to x (a
    Tensor, or an array)."""
    for op, args, kwargs, index in steps:
        x = op.apply(x, *args, **kwargs)
        if index is not None:
            x = x[index]
    return x


# ---- the in-place methods ---------------------------------------------------------------------
class Fill(Op):
    """Every element set to `value` (a number, or a one-element tensor that may require grad):
    the old values get no gradient (zeros, as in PyTorch), the value gets the sum."""

    def forward(ctx, x, value):
        return array_module(x).full(x.shape, value, x.dtype)

    def backward(ctx, g):
        return g * 0, g.sum()


class CopyFrom(Op):
    """The values of `src` (broadcast to x's shape): the old values get zeros."""

    def forward(ctx, x, src):
        return array_module(x).broadcast_to(src, x.shape).astype(x.dtype, copy=True)

    def backward(ctx, g):
        return g * 0, g


@tensor_method
def fill_(self, value):
    return modify(self, "fill_", lambda t: Fill.apply(t, value))


@tensor_method
def zero_(self):
    return modify(self, "zero_", lambda t: Fill.apply(t, 0))


@tensor_method
def copy_(self, src, non_blocking=False):
    return modify(self, "copy_", lambda t: CopyFrom.apply(t, src))


@tensor_method("__setitem__")
def setitem(self, key, value):
    """`t[key] = value`: t's values with those at `key` replaced (broadcast), as one op. Where
    no graph is involved, written straight into t's memory (a copy of all of t per assignment
    would make a loop of small assignments quadratic)."""
    key = indexing.as_index(key, self.shape, "__setitem__")
    base = self if self._view is None else self._view[0]
    if grad_mode.is_grad_enabled() and (self.requires_grad or base.requires_grad or
                                        isinstance(value, Tensor) and value.requires_grad):
        modify(self, "__setitem__", lambda t: Put.apply(t, key, value))
        return
    _check_writable("__setitem__", self)
    self.array[key] = value.array if isinstance(value, Tensor) else value
    self._bump()


class Put(Op):
    """x with the elements at `key` replaced by `value` (broadcast): x's gradient is g with those
    elements zeroed, value's is g read at `key` (summed back to value's shape at the edge)."""

    def forward(ctx, x, key, value):
        ctx.save_for_backward(key)
        out = x.copy()
        out[key] = value
        return out

    def backward(ctx, g):
        key, = ctx.saved_arrays
        return Put.apply(g, key, 0), None, indexing.read(g, key)


@tensor_method
def add_(self, other, *, alpha=1):
    return modify(self, "add_", lambda t: t.add(other, alpha=alpha))


@tensor_method
def sub_(self, other, *, alpha=1):
    return modify(self, "sub_", lambda t: t.sub(other, alpha=alpha))


Tensor.__iadd__, Tensor.__isub__ = add_, sub_


def _in_place_of(name):
    """`t.name_(...)`: t.name(...) written into t."""
    method = getattr(Tensor, name)

    def in_place(self, *args, **kwargs):
        return modify(self, name + "_", lambda t: method(t, *args, **kwargs))
    in_place.__name__ = in_place.__qualname__ = name + "_"
    in_place.__doc__ = f"t.{name}(...) written into t's own memory (recorded in the graph)."
    return in_place


# The out-of-place ops whose in-place form `name_` PyTorch programs use, made from them (those
# written above are those whose forms differ: fill_, zero_, copy_, add_, sub_).
IN_PLACE_FORMS = (
    "mul", "div", "pow", "neg", "abs", "sqrt", "rsqrt", "exp", "log", "sigmoid", "tanh", "relu",
    "clamp", "clamp_min", "clamp_max", "masked_fill", "sin", "cos", "floor", "ceil", "round",
    "trunc", "reciprocal", "square", "lerp", "scatter", "scatter_add", "scatter_reduce",
    "index_add", "index_fill", "index_copy", "addcmul", "addcdiv", "fmod", "remainder", "sign",
    "true_divide", "multiply", "divide", "subtract", "erf", "log1p", "expm1", "frac",
    "nan_to_num", "tril", "triu", "atan2", "hypot", "logaddexp", "sinh", "cosh", "asin", "acos",
    "atan", "erfinv", "log2", "log10", "prelu")


def make_in_place_forms():
    """Called once every op module has registered its methods (ops/__init__.py)."""
    for name in IN_PLACE_FORMS:
        if hasattr(Tensor, name) and not hasattr(Tensor, name + "_"):
            setattr(Tensor, name + "_", _in_place_of(name))
    Tensor.__imul__, Tensor.__itruediv__, Tensor.__ipow__ = \
        Tensor.mul_, Tensor.div_, Tensor.pow_


def written_into(x, out, name):
    """For functions with PyTorch's `inplace=True` (F.relu, F.dropout): `out`, computed from x
    out of place, written into x as the in-place op `name`; returns x."""
    return modify(x, name, lambda t: out)


# ---- in-place random fills (the old values get no gradient) -----------------------------------
def _refill(name, draw):
    """`t.name(...)`: t filled with new values from `draw(t, ...)`."""
    def in_place(self, *args, **kwargs):
        return modify(self, name, lambda t: Fill.apply(t, 0) + draw(t, *args, **kwargs))
    in_place.__name__ = in_place.__qualname__ = name
    return in_place


def _like(random, t, generator):
    """A draw from `random` of t's shape, dtype and device."""
    return random(t.shape, dtype=t.dtype, device=t.device,
                  **({} if generator is None else {"generator": generator}))


Tensor.normal_ = _refill("normal_", lambda t, mean=0.0, std=1.0, *, generator=None:
                         _like(creation.randn, t, generator) * std + mean)
Tensor.uniform_ = _refill("uniform_", lambda t, a=0.0, b=1.0, *, generator=None:
                          _like(creation.rand, t, generator) * (b - a) + a)
Tensor.exponential_ = _refill("exponential_", lambda t, lambd=1.0, *, generator=None:
                              -(1 - _like(creation.rand, t, generator)).log() / lambd)
Tensor.bernoulli_ = _refill("bernoulli_", lambda t, p=0.5, *, generator=None:
                            (_like(creation.rand, t, generator) < p).to(t.dtype))
