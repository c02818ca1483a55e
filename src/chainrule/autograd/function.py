"""A `Function` is one op: its forward and its derivative side by side. Each call of `apply`
makes an instance, which is also the op's node in the graph (PyTorch calls it `ctx`)."""
from ..backend import array_module
from .grad_mode import _state, no_grad
from . import anomaly

Tensor = None  # set once by chainrule.tensor, the one place where the layers meet


class Function:
    """Custom ops with PyTorch's API::

        class Square(cr.autograd.Function):
            @staticmethod
            def forward(ctx, x):
                ctx.save_for_backward(x)
                return x * x

            @staticmethod
            def backward(ctx, grad):
                x, = ctx.saved_tensors
                return 2 * x * grad

        y = Square.apply(x)

    `forward` receives Tensors (no graph is recorded inside it) and returns a Tensor or a tuple;
    `backward` receives one gradient per output and returns one per input (None where none).
    Built-in ops subclass `Op` instead, whose forward works on raw arrays."""

    on_arrays = False      # Op: forward takes and returns raw arrays
    is_view = False        # the output shares memory (and so its version counter) with input 0
    differentiable_backward = True  # False for once_differentiable fast paths

    # node state, filled by apply
    next_edges = ()
    needs_input_grad = ()
    _saved = None
    _to_save = ()
    _freed = False
    _observers = None
    _non_differentiable = ()
    _trace = None
    _outputs_meta = ()

    def save_for_backward(self, *values):
        self._to_save = values

    def mark_non_differentiable(self, *values):
        self._non_differentiable = values

    @property
    def saved_tensors(self):
        if self._freed:
            raise RuntimeError(
                f"{self.name}: its saved values were freed by an earlier backward(). To walk the "
                "same graph twice, pass retain_graph=True to the first backward() or grad() call.")
        out = []
        for kind, value, version in self._saved:
            if kind == "input":
                if value._version != version:
                    raise RuntimeError(
                        f"{self.name}: a tensor it saved for backward (shape {value.shape}) was "
                        f"changed in place after the op ran (version {version}, now "
                        f"{value._version}). Change a clone instead (x = x.clone()), or make "
                        "the change after backward().")
                out.append(value)
            elif kind == "output":
                out.append(Tensor._make(value, True, self, version))
            else:
                out.append(value)
        return tuple(out)

    @property
    def name(self):
        return type(self).__name__

    @classmethod
    def apply(cls, *args, **kwargs):
        ctx = cls()
        grad_on = _state.enabled
        needs = tuple(isinstance(a, Tensor) and a.requires_grad for a in args) if grad_on else ()
        record = grad_on and any(needs)
        if cls.on_arrays:
            raw = [a.array if isinstance(a, Tensor) else a for a in args]
            out = cls.forward(ctx, *raw, **kwargs)
        else:
            with no_grad():
                out = cls.forward(ctx, *args, **kwargs)
        single = not isinstance(out, tuple)
        outs = (out,) if single else out
        if anomaly._enabled:
            anomaly.check_forward(cls.__name__, args, outs)
        if not record:
            ctx._to_save = ()
            wrapped = tuple(_wrap(o, False, None, 0) for o in outs)
            return wrapped[0] if single else wrapped

        ctx.needs_input_grad = needs
        ctx.next_edges = tuple(_edge(a) if need else None for a, need in zip(args, needs))
        nondiff = ctx._non_differentiable
        wrapped = tuple(_wrap(o, not _is_in(o, nondiff), ctx, i) for i, o in enumerate(outs))
        ctx._outputs_meta = tuple((o.shape, o.dtype, type(o.array)) for o in wrapped)
        if cls.is_view:
            wrapped[0]._version_box = args[0]._version_box
        ctx._saved = [_resolve_saved(v, args, outs, wrapped) for v in ctx._to_save]
        ctx._to_save = ()
        if anomaly._enabled:
            ctx._trace = anomaly.user_frame()
        return wrapped[0] if single else wrapped


class Op(Function):
    """A built-in op: forward works on raw arrays (`xp` = numpy or cupy) and saves what backward
    needs; backward is written with Tensor ops so that create_graph=True gives higher orders."""
    on_arrays = True


def once_differentiable(cls):
    """Marks a fused op whose backward works on raw arrays: a double backward through it raises
    instead of returning a silently wrong gradient."""
    cls.differentiable_backward = False
    return cls


def _is_in(value, group):
    return any(value is g for g in group)


def _wrap(value, requires_grad, node, index):
    if isinstance(value, Tensor):
        value = value.array
    elif not hasattr(value, "shape"):
        value = array_module(value).asarray(value)
    return Tensor._make(value, requires_grad, node, index)


def _edge(tensor):
    """Where an input's gradient goes: its producer's (node, output index), or the leaf itself;
    with the input's shape and dtype, so that the engine reduces broadcast gradients at the edge."""
    target = tensor if tensor.grad_fn is None else tensor.grad_fn
    return target, tensor._out_index, tensor.shape, tensor.dtype


def _resolve_saved(value, args, outs, wrapped):
    """Saved arrays are matched to the op's inputs and outputs, so that backward sees them as the
    Tensors in the graph (needed for double backward) and in-place changes can be detected."""
    if value is None:
        return ("const", None, 0)
    for a in args:
        if isinstance(a, Tensor) and (value is a or value is a.array):
            return ("input", a, a._version)
    for i, o in enumerate(outs):
        if value is o or value is wrapped[i].array:
            return ("output", wrapped[i].array, i)
    if isinstance(value, Tensor):
        return ("const", value.detach(), 0)
    if hasattr(value, "shape"):
        return ("const", Tensor._make(value, False, None, 0), 0)
    return ("const", value, 0)
