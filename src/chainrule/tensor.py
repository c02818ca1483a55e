"""`Tensor`: an array (NumPy or CuPy) plus what reverse-mode autodiff needs: `requires_grad`,
`grad`, and `grad_fn`, the node of the op that made it (and `output_nr`, which of its outputs).

The layers above (autograd, which records and walks the graph, and the ops) build Tensors, and
Tensor's methods call them: the one circular seam, resolved at the end of this file. Every op that
is also a method registers itself with `@tensor_method` where it is defined."""
import math

import numpy as np

from .backend import Device, array_module, device_of, dtypes, to_device

_new = object.__new__


class Convertible:
    """Shorthands for `.to(...)`, shared by Tensor and nn.Module."""
    __slots__ = ()

    def cpu(self):
        return self.to("cpu")

    def cuda(self, device=None, non_blocking=False, **unused):
        """To a GPU: `device` is its index or name (default GPU 0); copies are synchronous."""
        return self.to(Device("cuda" if device is None else device))

    def float(self):
        return self.to(dtypes.float32)

    def double(self):
        return self.to(dtypes.float64)

    def half(self):
        return self.to(dtypes.float16)


class Tensor(Convertible):
    __slots__ = ("array", "requires_grad", "grad", "grad_fn", "output_nr", "_counter", "_view",
                 "_retains_grad", "_hooks", "__weakref__")
    __array_ufunc__ = None  # `ndarray + Tensor` defers to Tensor.__radd__

    def __init__(self, data, dtype=None, requires_grad=False, device=None):
        self._init(ops.creation.as_array(data, dtype, device))
        self.requires_grad_(requires_grad)

    def _init(self, array, requires_grad=False, grad_fn=None, output_nr=0):
        self.array = array
        self.requires_grad = requires_grad
        self.grad = None
        self.grad_fn = grad_fn
        self.output_nr = output_nr    # which output of grad_fn this is
        self._counter = None          # version counter, made when first needed
        self._view = None             # a view's (base, steps from the base, version then)
        self._retains_grad = False
        self._hooks = None

    @staticmethod
    def wrap(array, grad_fn=None, output_nr=0):
        """A Tensor around a raw NumPy or CuPy array, sharing its memory (no checks, no copy):
        the one way to wrap an array. Outside any graph, or, for autograd, output `output_nr`
        of the node `grad_fn`."""
        t = _new(Tensor)
        t._init(array, grad_fn is not None, grad_fn, output_nr)
        return t

    # ---- properties --------------------------------------------------------------------------
    @property
    def shape(self):
        return self.array.shape

    @property
    def ndim(self):
        return self.array.ndim

    @property
    def dtype(self):
        return self.array.dtype

    @property
    def device(self):
        return device_of(self.array)

    @property
    def is_cuda(self):
        return self.device.type == "cuda"

    @property
    def is_cpu(self):
        return self.device.type == "cpu"

    def get_device(self):
        """The GPU's index, or -1 on the CPU (as PyTorch)."""
        return -1 if self.device.type == "cpu" else self.device.index

    def is_floating_point(self):
        return dtypes.is_floating(self.dtype)

    @property
    def is_leaf(self):
        return self.grad_fn is None

    def _version_counter(self):
        """[count of in-place changes], shared by every Tensor of the same memory (views,
        detach()ed copies, the Tensors that saved values unpack to), so that a node can tell
        that a tensor it saved has changed since. Made when first needed; a computed tensor's
        is kept by the node that made it, where every Tensor of that output finds it."""
        if self._counter is None:
            self._counter = [0] if self.grad_fn is None else \
                self.grad_fn.version_counter(self.output_nr)
        return self._counter

    @property
    def _version(self):
        return self._version_counter()[0]

    @property
    def T(self):
        return self.permute(*range(self.ndim - 1, -1, -1))

    @property
    def mT(self):
        return self.transpose(-2, -1)

    def size(self, dim=None):
        return self.shape if dim is None else self.shape[dim]

    def dim(self):
        return self.ndim

    def numel(self):
        return int(self.array.size)

    def __len__(self):
        if self.ndim == 0:
            raise TypeError("len() of a 0-d tensor")
        return self.shape[0]

    def __iter__(self):
        return (self[i] for i in range(len(self)))

    def item(self):
        if self.array.size != 1:
            raise ValueError(f"item: only a tensor with one element can be converted to a Python "
                             f"number, this one has shape {self.shape}")
        return self.array.item()

    def numpy(self):
        """The values as a NumPy array (no copy on the CPU)."""
        return to_device(self.array, "cpu")

    def tolist(self):
        return self.numpy().tolist()

    def __array__(self, dtype=None, copy=None):
        arr = self.numpy()
        return arr if dtype is None else arr.astype(dtype)

    def __bool__(self):
        return bool(self.item())

    def __float__(self):
        return float(self.item())

    def __int__(self):
        return int(self.item())

    def __index__(self):
        if self.dtype.kind not in "iu" or self.array.size != 1:
            raise TypeError(f"only an integer tensor with one element can be used as an index, "
                            f"got dtype {self.dtype} and shape {self.shape}")
        return int(self.item())

    def __pos__(self):
        return self

    __hash__ = object.__hash__  # tensors are used as dict keys by identity, as in PyTorch

    # ---- autograd ----------------------------------------------------------------------------
    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        """Accumulates d(self)/d(leaf) into the .grad of every leaf that requires grad."""
        if gradient is None:
            if self.array.size != 1:
                raise RuntimeError(
                    f"backward: the output has shape {self.shape}, not one element, so pass "
                    "`gradient=` (d(loss)/d(output), same shape), or reduce it first "
                    "(e.g. y.sum().backward())")
            gradient = Tensor.wrap(array_module(self.array).ones_like(self.array))
        elif not isinstance(gradient, Tensor):
            gradient = Tensor(gradient, dtype=self.dtype)
        if gradient.shape != self.shape:
            raise RuntimeError(f"backward: gradient has shape {gradient.shape} but the output "
                               f"has shape {self.shape}; they must match")
        if inputs is not None:
            grads = engine.backward([self], [gradient], retain_graph, create_graph,
                                    inputs=list(inputs), allow_unused=True)
            for t, g in zip(inputs, grads):
                if g is not None:  # a .grad of its own, as backward() gives (see engine.owned)
                    own = g if create_graph else engine.owned(g)
                    t.grad = own if t.grad is None else t.grad + g
            return
        engine.backward([self], [gradient], retain_graph, create_graph)

    def detach(self):
        """The same values (shared memory) cut from the graph."""
        t = Tensor.wrap(self.array)
        t._counter = self._version_counter()
        return t

    def detach_(self):
        """Cuts this tensor from the graph in place: it becomes a leaf that needs no grad."""
        self._version_counter()  # (a computed tensor's is at its node: keep it)
        self.grad_fn, self.requires_grad = None, False
        return self

    def requires_grad_(self, requires_grad=True):
        if requires_grad == self.requires_grad:
            return self
        if not self.is_leaf:
            raise RuntimeError("requires_grad_: only a leaf tensor's flag can be changed; use "
                               ".detach().requires_grad_() for a new leaf with the same values")
        if requires_grad and not dtypes.is_floating(self.dtype):
            raise TypeError(f"requires_grad_: only floating-point tensors can require grad, "
                            f"this one is {self.dtype}")
        self.requires_grad = requires_grad
        return self

    @property
    def retains_grad(self):
        return self._retains_grad

    def retain_grad(self):
        """Keep .grad on this non-leaf tensor after backward (leaves always keep theirs)."""
        if not self.requires_grad:
            raise RuntimeError("retain_grad: this tensor does not require grad, so it will never "
                               "receive a gradient")
        if self.grad_fn is not None:
            self._retains_grad = True
            self._observe()

    def register_hook(self, hook):
        """`hook(grad)` runs when the gradient for this tensor is computed; it may return a
        replacement gradient. Returns a handle whose .remove() unregisters it."""
        if not self.requires_grad:
            raise RuntimeError("register_hook: this tensor does not require grad, so no gradient "
                               "will ever reach the hook")
        self._observe().append(hook)
        return _HookHandle(self._hooks, hook)

    def _observe(self):
        """The hook list of this tensor, registered with the node that made it (hooks live on
        the node, so they run even if this Tensor object is gone by backward time)."""
        if self._hooks is None:
            self._hooks = []
        if self.grad_fn is not None:
            self.grad_fn.hook_output(self.output_nr, self, self._hooks)
        return self._hooks

    # ---- in-place changes (the methods, and their rules, are in ops/inplace.py) ---------------
    def _bump(self):
        self._version_counter()[0] += 1

    def _refresh_view(self):
        """This view's history made again from its base's, whose memory was written since it
        was made (through another view, or directly): see ops/inplace.py."""
        base, steps, _ = self._view
        fresh = ops.inplace.replay(steps, base)
        self.grad_fn, self.output_nr = fresh.grad_fn, fresh.output_nr
        self.requires_grad = fresh.requires_grad
        self._view = (base, steps, self._counter[0])

    @property
    def data(self):
        """The values cut from the graph, like detach(). Assigning `t.data = other` swaps in
        other's array (as in PyTorch); a graph that saved the old values will notice."""
        return self.detach()

    @data.setter
    def data(self, value):
        self.array = _raw(value)
        self._bump()

    # ---- conversions ------------------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, **kwargs):
        """`t.to(cr.float64)`, `t.to("cuda")`, `t.to("cpu", cr.float16)`: differentiable."""
        for a in args:
            if _is_device(a):
                device = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            else:
                dtype = a
        out = self
        if dtype is not None and dtypes.as_dtype(dtype) != self.dtype:
            out = ops.cast(out, dtypes.as_dtype(dtype))
        if device is not None and Device(device) != self.device:
            out = ops.to_device(out, Device(device))
        return out

    astype = to

    def long(self):
        return self.to(dtypes.int64)

    def int(self):
        return self.to(dtypes.int32)

    def bool(self):
        return self.to(dtypes.bool_)

    def type_as(self, other):
        return self.to(other.dtype)

    def __format__(self, spec):
        """f"{loss:.4f}" works on one-element tensors, as in PyTorch."""
        if spec and self.array.size == 1:
            return format(self.item(), spec)
        return format(repr(self), spec)

    def __deepcopy__(self, memo):
        """copy.deepcopy of a leaf (a model's parameters): new arrays, same class and flags."""
        if self.grad_fn is not None:
            raise RuntimeError("deepcopy: only leaf tensors can be deep-copied (this one was "
                               f"computed by {self.grad_fn.name}); use .detach().clone()")
        t = _new(type(self))
        t._init(self.array.copy(), self.requires_grad)
        if self.grad is not None:
            t.grad = Tensor.wrap(self.grad.array.copy())
        memo[id(self)] = t
        return t

    def __repr__(self):
        body = np.array2string(self.numpy(), separator=", ", prefix="tensor(",
                               **_array2string_options())
        extras = []
        if self.dtype != dtypes.get_default_dtype() and self.dtype != dtypes.int64 \
                and self.dtype != dtypes.bool_:
            extras.append(f"dtype={self.dtype}")
        if self.device.type != "cpu":
            extras.append(f"device='{self.device}'")
        if self.grad_fn is not None:
            extras.append(f"grad_fn=<{self.grad_fn.name}>")
        elif self.requires_grad:
            extras.append("requires_grad=True")
        return "tensor(" + ", ".join([body] + extras) + ")"


def _is_device(spec):
    return isinstance(spec, Device) or isinstance(spec, str) and \
        spec.partition(":")[0] in ("cpu", "cuda")


def _raw(value):
    return value.array if isinstance(value, Tensor) else value


class Size(tuple):
    """PyTorch's name for a shape. A tensor's `.shape` is a plain tuple, which compares equal
    to a Size of the same sizes."""

    def numel(self):
        return math.prod(self)


def is_tensor(obj):
    return isinstance(obj, Tensor)


def is_floating_point(input):
    return input.is_floating_point()


_PRINT_PROFILES = {"default": dict(precision=4, threshold=1000, edgeitems=3, linewidth=80),
                   "short": dict(precision=2, threshold=1000, edgeitems=2, linewidth=80),
                   "full": dict(precision=4, threshold=np.inf, edgeitems=3, linewidth=80)}
_printing = dict(_PRINT_PROFILES["default"], sci_mode=None)  # what set_printoptions set


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None):
    """How tensors print: digits after the point, how many elements before the middle is elided
    (edgeitems at each end are kept), line width, and scientific notation (True, False, or None
    to decide by the values). `profile` ("default", "short" or "full") is applied first."""
    if profile is not None:
        if profile not in _PRINT_PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}: expected one of "
                             f"{', '.join(_PRINT_PROFILES)}")
        _printing.update(_PRINT_PROFILES[profile])
    given = dict(precision=precision, threshold=threshold, edgeitems=edgeitems,
                 linewidth=linewidth)
    _printing.update({k: v for k, v in given.items() if v is not None})
    _printing["sci_mode"] = sci_mode


def _array2string_options():
    digits, sci_mode = _printing["precision"], _printing["sci_mode"]
    options = dict(precision=digits, threshold=_printing["threshold"],
                   edgeitems=_printing["edgeitems"], max_line_width=_printing["linewidth"],
                   suppress_small=sci_mode is False)
    if sci_mode:
        options["formatter"] = {"float_kind": lambda v: f"{v:.{digits}e}"}
    return options


class _HookHandle:
    def __init__(self, hooks, hook):
        self.hooks, self.hook = hooks, hook

    def remove(self):
        if self.hook in self.hooks:
            self.hooks.remove(self.hook)


def tensor_method(*names):
    """Makes the decorated op a method of Tensor, under its own name or the names given
    (`@tensor_method("__add__", "__radd__")`), where the op is defined."""
    def register(fn):
        for name in names or (fn.__name__,):
            setattr(Tensor, name, fn)
        return fn
    if len(names) == 1 and callable(names[0]):  # used bare: @tensor_method
        fn, names = names[0], ()
        return register(fn)
    return register


# ---- the seam: the layers that build Tensors are imported once Tensor exists -----------------
from .autograd import engine, grad_mode  # noqa: E402
from . import ops  # noqa: E402  (its modules register Tensor's methods as they are defined)
