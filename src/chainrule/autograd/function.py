"""A `Function` is one op: its forward and its derivative side by side. Each call of `apply`
makes an instance, which is also the op's node in the graph (PyTorch calls it `ctx`).

A node holds what the engine needs to walk back through it:
- `next_edges`: one entry per positional input, None where no gradient is needed, else
  `(target, index, shape, dtype)`: the node that made the input and which of its outputs it is,
  or, for a leaf, the leaf Tensor itself with index None; shape and dtype are the input's, so
  that the engine can sum a broadcast gradient back and cast it at the edge;
- `_saved`: what `save_for_backward` kept, with version counters to catch in-place changes;
- `_seq`: creation order. A node is always made after every node it depends on, so walking
  nodes from the highest `_seq` down is a reverse topological order.
Outputs are not held (that would be a reference cycle): only the arrays saved for backward."""
import itertools

import numpy as np

from . import anomaly
from .grad_mode import _state, no_grad

Tensor = None  # set once by chainrule.tensor, the one place where the layers meet
_next_seq = itertools.count().__next__
_FREED = object()  # `_saved` of a node after backward() released its saved arrays


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

    # node state, filled by apply (class defaults keep unrecorded calls cheap)
    next_edges = ()
    needs_input_grad = ()
    _saved = None
    _to_save = ()
    _observers = None
    _non_differentiable = ()
    _trace = None
    _outputs_meta = ()
    _seq = -1

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls.backward, "once_differentiable", False):  # @once_differentiable on backward
            cls.differentiable_backward = False

    @staticmethod
    def forward(ctx, *args, **kwargs):
        raise NotImplementedError("a Function subclass must define forward(ctx, ...)")

    @staticmethod
    def backward(ctx, *grads):
        raise NotImplementedError("a Function subclass must define backward(ctx, *grads) to be "
                                  "differentiated")

    def save_for_backward(self, *values):
        self._to_save = values

    def mark_non_differentiable(self, *values):
        self._non_differentiable = values

    @property
    def saved_tensors(self):
        """What forward saved, as Tensors of the graph (so that backward may be differentiated).
        Raises if backward() already freed them, or if one was changed in place since."""
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(
                f"{self.name}: its saved values were freed by an earlier backward(). To walk the "
                "same graph twice, pass retain_graph=True to the first backward() or grad() call.")
        if saved is None:
            return ()
        out = []
        for value, box, version, index in saved:
            if box is not None and box[0] != version:
                raise RuntimeError(
                    f"{self.name}: a tensor it saved for backward (shape {value.shape}) was "
                    f"changed in place after the op ran (version {version}, now {box[0]}), so "
                    "its gradient can no longer be computed. Change a clone instead "
                    "(x = x.clone()), or make the change after backward().")
            if index is not None:  # an output: rebuilt around the array, pointing at this node
                value = Tensor._make(value, True, self, index)
                value._version_box = box
            out.append(value)
        return tuple(out)

    @property
    def name(self):
        return type(self).__name__

    @property
    def saved_nbytes(self):
        """Bytes of array memory this node keeps alive for its backward."""
        if self._saved is None or self._saved is _FREED:
            return 0
        return sum(getattr(getattr(v, "array", v), "nbytes", 0) for v, _, _, _ in self._saved)

    def __repr__(self):
        return f"<{self.name} node>"

    @classmethod
    def apply(cls, *args, **kwargs):
        # the hot path of every op: plain loops, since comprehensions cost a call each here
        ctx = cls()
        raw, needs = [], []
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a.array)
                needs.append(a.requires_grad)
            else:
                raw.append(a)
                needs.append(False)
        if cls.on_arrays:
            out = cls.forward(ctx, *raw, **kwargs)
        else:
            with no_grad():
                out = cls.forward(ctx, *args, **kwargs)
        outs = out if type(out) is tuple else (out,)
        if anomaly._enabled:
            anomaly.check_forward(cls.__name__, args, outs)

        if _state.enabled and True in needs:
            wrapped = ctx._record(args, tuple(needs), outs)
        else:  # nothing to record: plain tensors out
            wrapped = []
            for o in outs:
                wrapped.append(Tensor._make(_as_array(o), False, None, 0))
            if cls.is_view:
                wrapped[0]._version_box = args[0]._version_box
        return wrapped[0] if type(out) is not tuple else tuple(wrapped)

    def _record(self, args, needs, outs):
        """Makes this call a node of the graph: edges to the inputs, outputs pointing back to it,
        and the saved values resolved to the Tensors they belong to."""
        self._seq = _next_seq()
        self.needs_input_grad = needs
        edges = []
        for a, need in zip(args, needs):
            edges.append(_edge(a) if need else None)
        self.next_edges = tuple(edges)
        nondiff = self._non_differentiable
        wrapped, meta = [], []
        for i, o in enumerate(outs):
            array = _as_array(o)
            wrapped.append(Tensor._make(array, not (nondiff and _is_in(o, nondiff)), self, i))
            meta.append((array.shape, array.dtype, type(array)))
        self._outputs_meta = tuple(meta)
        if self.is_view:
            wrapped[0]._version_box = args[0]._version_box
        if self._to_save:
            saved = []
            for value in self._to_save:
                saved.append(_resolve_saved(value, args, outs, wrapped))
            self._saved = saved
            self._to_save = ()
        if anomaly._enabled:
            self._trace = anomaly.user_frame()
        return wrapped


class Op(Function):
    """A built-in op: forward works on raw arrays (`xp` = numpy or cupy) and saves what backward
    needs; backward is written with Tensor ops so that create_graph=True gives higher orders.
    forward and backward are plain functions of the class (no @staticmethod needed)."""
    on_arrays = True


def once_differentiable(target):
    """Marks a fused op whose backward works on raw arrays: a double backward through it raises
    instead of returning a silently wrong gradient. Decorates the op's class, or (as in PyTorch)
    its backward, under @staticmethod."""
    if isinstance(target, type):
        target.differentiable_backward = False
    else:
        target.once_differentiable = True
    return target


class OnceDifferentiableBackward(Function):
    """Stands in the graph for a gradient that a once_differentiable op computed while
    create_graph=True: differentiating that gradient raises, naming the op."""

    def __init__(self, op_name, array):
        self.op_name = op_name
        self._seq = _next_seq()
        self._outputs_meta = ((array.shape, array.dtype, type(array)),)

    def backward(self, grad):
        raise RuntimeError(
            f"{self.op_name} is once_differentiable: its backward works on raw arrays, so its "
            "gradient cannot be differentiated again (a second derivative through it was asked "
            "for with create_graph=True). Use an op built from differentiable Tensor ops instead.")


def forbid_double_backward(op_name, grad):
    """`grad` as a tensor whose own gradient raises (see OnceDifferentiableBackward)."""
    return Tensor._make(grad.array, True, OnceDifferentiableBackward(op_name, grad.array), 0)


def _is_in(value, group):
    return any(value is g for g in group)


def _as_array(value):
    """The raw array of an op's output. NumPy turns 0-d results into scalars; a Tensor always
    holds an array, so they are wrapped back (in-place changes need a real array)."""
    if type(value) is np.ndarray:
        return value
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, np.generic) or not hasattr(value, "shape"):
        return np.asarray(value)
    return value


def _edge(tensor):
    """Where an input's gradient goes (see the module docstring)."""
    node, array = tensor.grad_fn, tensor.array
    if node is None:
        return tensor, None, array.shape, array.dtype
    return node, tensor._out_index, array.shape, array.dtype


def _resolve_saved(value, args, outs, wrapped):
    """One saved value as (value, version box, version at save time, output index or None).
    Values are matched to the op's inputs and outputs, so that backward sees them as the Tensors
    of the graph (double backward needs that) and in-place changes are caught."""
    for a in args:
        if isinstance(a, Tensor) and (value is a or value is a.array):
            return a, a._version_box, a._version_box[0], None
    for i, o in enumerate(outs):
        t = wrapped[i]
        if value is o or value is t.array:
            return t.array, t._version_box, t._version_box[0], i
    if value is None or not hasattr(value, "shape"):
        return value, None, 0, None
    t = value.detach() if isinstance(value, Tensor) else Tensor._make(value, False, None, 0)
    return t, t._version_box, t._version_box[0], None
