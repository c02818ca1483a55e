"""A `Function` is one op: its forward and its derivative side by side. Each call of `apply`
makes an instance, which is also the op's node in the graph (PyTorch calls it `ctx`).

A node holds what the engine needs to walk back through it:
- `next_edges`: one entry per positional input, None where no gradient is needed, else
  `(target, index, shape, dtype)`: the node that made the input and which of its outputs it is,
  or, for a leaf, the leaf Tensor itself with index None; shape and dtype are the input's, so
  that the engine can sum a broadcast gradient back and cast it at the edge. (Stored as two
  tuples, `_targets` and `_edge_meta`, so that a long graph holds fewer objects that Python's
  garbage collector must scan again and again: the metadata tuples hold no references.)
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
_FREED = object()
_ndarray = np.ndarray  # `_saved` of a node after backward() released its saved arrays


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
    needs_input_grad = ()
    _targets = ()           # per input: the node (or leaf) its gradient goes to, or None
    _edge_meta = ()         # per input: (output index or None for a leaf, shape, dtype), or None
    _saved = None           # tuple: input Tensors, _SavedOutputs, constants; or _FREED
    _saved_versions = ()    # the version of each saved Tensor when it was saved
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
        for value, version in zip(saved, self._saved_versions):
            if type(value) is _SavedOutput:
                value = value.unpack(self)
            elif isinstance(value, Tensor) and value._version != version:
                raise _changed_in_place(self, value.shape, version, value._version)
            out.append(value)
        return tuple(out)

    @property
    def next_edges(self):
        """Per input: None, or (target, index, shape, dtype) (see the module docstring)."""
        return tuple(None if t is None else (t,) + m for t, m in zip(self._targets,
                                                                     self._edge_meta))

    @property
    def name(self):
        return type(self).__name__

    @property
    def saved_nbytes(self):
        """Bytes of array memory this node keeps alive for its backward."""
        if self._saved is None or self._saved is _FREED:
            return 0
        return sum(getattr(getattr(v, "array", v), "nbytes", 0) for v in self._saved)

    def __repr__(self):
        return f"<{self.name} node>"

    @classmethod
    def apply(cls, *args, **kwargs):
        # The hot path of every op, so written plainly: loops rather than comprehensions (each
        # costs a function call here), and one output handled without building lists.
        ctx = cls()
        raw, record = [], False
        for a in args:
            if isinstance(a, Tensor):
                raw.append(a.array)
                if a.requires_grad:
                    record = True
            else:
                raw.append(a)
        if cls.on_arrays:
            out = cls.forward(ctx, *raw, **kwargs)
        else:
            with no_grad():
                out = cls.forward(ctx, *args, **kwargs)
        single = type(out) is not tuple
        outs = (out,) if single else out
        if anomaly._enabled:
            anomaly.check_forward(cls.__name__, args, outs)
        if record and _state.enabled:
            wrapped = ctx._record(args, outs)
        elif single:
            wrapped = (Tensor._make(out if type(out) is _ndarray else _as_array(out),
                                    False, None, 0),)
        else:
            wrapped = tuple(Tensor._make(_as_array(o), False, None, 0) for o in outs)
        if cls.is_view and not wrapped[0].requires_grad:  # not recorded, but still shared memory
            wrapped[0]._version_box = args[0]._version_box
        return wrapped[0] if single else tuple(wrapped)

    def _record(self, args, outs):
        """Makes this call a node of the graph: edges to the inputs, outputs pointing back to it,
        and the saved values resolved to the Tensors they belong to."""
        self._seq = _next_seq()
        needs, targets, metas = [], [], []
        for a in args:
            if isinstance(a, Tensor) and a.requires_grad:
                needs.append(True)
                array = a.array
                if a.grad_fn is None:
                    targets.append(a)
                    metas.append((None, array.shape, array.dtype))
                else:
                    targets.append(a.grad_fn)
                    metas.append((a._out_index, array.shape, array.dtype))
            else:
                needs.append(False)
                targets.append(None)
                metas.append(None)
        self.needs_input_grad = tuple(needs)
        self._targets, self._edge_meta = tuple(targets), tuple(metas)
        nondiff = self._non_differentiable
        if len(outs) == 1 and not nondiff:  # the common case, without the loop below
            array = _as_array(outs[0])
            wrapped = [Tensor._make(array, True, self, 0)]
            self._outputs_meta = ((array.shape, array.dtype, type(array)),)
        else:
            wrapped, meta = [], []
            for i, o in enumerate(outs):
                array = _as_array(o)
                wrapped.append(Tensor._make(array, not _is_in(o, nondiff), self, i))
                meta.append((array.shape, array.dtype, type(array)))
            self._outputs_meta = tuple(meta)
        if self.is_view:
            wrapped[0]._version_box = args[0]._version_box
        if self._to_save:
            saved, versions = [], []
            for value in self._to_save:
                value = _resolve_saved(value, args, outs, wrapped)
                saved.append(value)
                versions.append(value._version if isinstance(value, Tensor) else 0)
            self._saved, self._saved_versions = tuple(saved), tuple(versions)
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
    if type(value) is _ndarray:
        return value
    if isinstance(value, Tensor):
        return value.array
    if isinstance(value, np.generic) or not hasattr(value, "shape"):
        return np.asarray(value)
    return value


def _resolve_saved(value, args, outs, wrapped):
    """A saved value matched to the op's inputs (kept as the input Tensor) and outputs (kept as a
    _SavedOutput, since holding the output Tensor would make a reference cycle), so that backward
    sees them as the Tensors of the graph (double backward needs that)."""
    for a in args:
        if value is a or (isinstance(a, Tensor) and value is a.array):
            return a
    for i, o in enumerate(outs):
        if value is o or value is wrapped[i].array:
            return _SavedOutput(wrapped[i], i)
    if isinstance(value, Tensor):
        return value.detach()
    if hasattr(value, "shape") and not isinstance(value, np.generic):  # an array made in forward
        return Tensor._make(value, False, None, 0)
    return value  # None, a number, a shape...


class _SavedOutput:
    """An output saved for backward: its array, which output it is, and its version counter."""
    __slots__ = ("array", "index", "box")

    def __init__(self, tensor, index):
        self.array, self.index, self.box = tensor.array, index, tensor._version_box

    def unpack(self, node):
        if self.box[0] != 0:
            raise _changed_in_place(node, self.array.shape, 0, self.box[0])
        t = Tensor._make(self.array, True, node, self.index)
        t._version_box = self.box
        return t


def _changed_in_place(node, shape, then, now):
    return RuntimeError(
        f"{node.name}: a tensor it saved for backward (shape {tuple(shape)}) was changed in "
        f"place after the op ran (version {then}, now {now}), so its gradient can no longer be "
        "computed. Change a clone instead (x = x.clone()), or make the change after backward().")
