"""A `Function` is one op: its forward and its derivative side by side. Each call of `apply`
makes an instance, which is also the op's node in the graph (PyTorch calls it `ctx`).

A node holds what the engine needs to walk back through it:
- `next_edges`: one entry per positional input, None where no gradient is needed, else
  `(target, index, shape, dtype)`: the node that made the input and which of its outputs it is,
  or, for a leaf, the leaf Tensor itself with index None; shape and dtype are the input's, so
  that the engine can sum a broadcast gradient back and cast it at the edge. (Stored as two
  tuples, `_targets` and `_indices`; shape and dtype are read off the target, which describes
  its outputs in `_outputs_meta`. Recording an op is then cheap, and a long graph holds few
  objects that Python's garbage collector must scan again and again.)
- `_saved`: what `save_for_backward` kept, as plain data (see `_saved_other`), with the versions
  it had, to catch in-place changes;
- `_seq`: creation order. A node is always made after every node it depends on, so walking
  nodes from the highest `_seq` down is a reverse topological order.
Outputs are not held (that would be a reference cycle): only the arrays saved for backward."""
import itertools

import numpy as np

from . import anomaly
from .grad_mode import _state, no_grad

Tensor = _make = None  # set once by chainrule.tensor (Tensor and Tensor._make), the one place
#                        where the layers meet
record_hooks = []  # each is called with the outputs of every recorded op (explain uses it)
_next_seq = itertools.count().__next__
_FREED = object()  # `_saved` of a node after backward() released its saved arrays
_ndarray, _generic, _asarray = np.ndarray, np.generic, np.asarray
_PLAIN = (bool, int, float, tuple, str)  # saved values kept as they are


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
    array_backward = False  # Op: a backward that records nothing runs on raw arrays
    is_view = False        # the output shares memory (and so its version counter) with input 0
    differentiable_backward = True  # False for once_differentiable fast paths

    # node state, filled by apply (class defaults keep unrecorded calls cheap)
    needs_input_grad = ()
    _seq = -1
    _targets = ()           # per input: the node (or leaf) its gradient goes to, or None
    _indices = ()           # per input: which output of its target node it is (None: a leaf)
    _outputs_meta = ()      # per output: (shape, dtype, array type)
    _saved = None           # tuple of saved entries (see _saved_other), or _FREED
    _to_save = ()           # what forward passed to save_for_backward, until apply resolves it
    _non_differentiable = ()
    _boxes = None           # output index -> version counter, made when first needed
    _observers = None       # output index -> (weak reference to the Tensor, its hooks)
    _trace = None           # the user's line that made the node (anomaly mode)

    def __init_subclass__(cls, **kwargs):
        super().__init_subclass__(**kwargs)
        if getattr(cls.backward, "once_differentiable", False):  # @once_differentiable on backward
            cls.differentiable_backward = cls.array_backward = False
        elif "array_backward" not in vars(cls) and not cls.__module__.startswith("chainrule."):
            cls.array_backward = False  # an Op of the user's gets Tensors unless it asks (see Op)

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
        """What forward saved, as Tensors of the graph (so that backward may be differentiated),
        or as the raw arrays themselves while the engine runs backward on arrays (see Op).
        Raises if backward() already freed them, or if one was changed in place since."""
        saved = self._saved
        if saved is _FREED:
            raise RuntimeError(
                f"{self.name}: its saved values were freed by an earlier backward(). To walk the "
                "same graph twice, pass retain_graph=True to the first backward() or grad() call.")
        arrays = _state.arrays
        out = []
        for kind, value, box, version, index in saved or ():
            if kind == "value":
                out.append(value)
                continue
            if kind == "leaf":  # the node holds the leaf itself, as the target of an edge
                leaf = self._targets[index]
                value, box = leaf.array, leaf._vbox
            elif box is None and kind != "array":  # its counter may be newer than the save
                owner, at = ((self, index) if kind == "output" else
                             (self._targets[index], self._indices[index]))
                if owner is not None and owner._boxes is not None:
                    box = owner._boxes.get(at)
            if box is not None and box[0] != version:
                raise _changed_in_place(self, value.shape, version, box[0])
            if not arrays:
                value = leaf if kind == "leaf" else self._rebuilt(kind, value, box, index)
            out.append(value)
        return tuple(out)

    def _rebuilt(self, kind, array, box, index):
        """A saved array as a Tensor pointing where the original did: input `index` (made by
        a node, or not requiring grad), output `index` of this node, or an array of forward's."""
        if kind == "output":
            t = _make(array, True, self, index)
        elif kind == "input" and self._targets[index] is not None:
            t = _make(array, True, self._targets[index], self._indices[index])
        else:
            t = _make(array, False, None, 0)
        if box is not None:
            t._vbox = box
        return t

    def _output_box(self, index):
        """The version counter of output `index`, made on first use: one per output of a node,
        shared by every Tensor of that output (the output itself, those saved_tensors rebuilds,
        detach()ed copies, views), so that saved entries find it without holding a Tensor."""
        if self._boxes is None:
            self._boxes = {}
        box = self._boxes.get(index)
        if box is None:
            box = self._boxes[index] = [0]
        return box

    @property
    def next_edges(self):
        """Per input: None, or (target, index, shape, dtype) (see the module docstring)."""
        return tuple(None if t is None else (t, i) + edge_shape(t, i)
                     for t, i in zip(self._targets, self._indices))

    @property
    def name(self):
        return type(self).__name__

    @property
    def saved_nbytes(self):
        """Bytes of array memory this node keeps alive for its backward."""
        if self._saved is None or self._saved is _FREED:
            return 0
        arrays = [self._targets[index].array if kind == "leaf" else value
                  for kind, value, _, _, index in self._saved if kind != "value"]
        return sum(a.nbytes for a in arrays)

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
        if type(out) is tuple:
            return ctx._wrap_several(args, raw, out, record)
        if anomaly._enabled:
            anomaly.check_forward(cls.__name__, args, (out,))
        array = out  # (_as_array inline, for NumPy's 0-d results: scalars)
        if type(out) is not _ndarray:
            array = _asarray(out) if isinstance(out, _generic) else _as_array(out)
        if record:
            if _state.enabled:
                if ctx._non_differentiable:
                    wrapped = ctx._several_outputs((out,))
                else:
                    wrapped = (_make(array, True, ctx, 0),)
                    ctx._outputs_meta = ((array.shape, array.dtype, type(array)),)
                ctx._record(args, raw, (out,), wrapped)
                return wrapped[0]
        elif _state.arrays:  # inside a backward on arrays (see Op), whose values need no grad
            return array
        t = _make(array, False, None, 0)
        if cls.is_view:  # not recorded, but still shared memory
            t._vbox = args[0]._version_box
        return t

    def _wrap_several(self, args, raw, outs, record):
        """apply's end for an op with several outputs."""
        if anomaly._enabled:
            anomaly.check_forward(self.name, args, outs)
        if record:
            if _state.enabled:
                wrapped = self._several_outputs(outs)
                self._record(args, raw, outs, wrapped)
                return wrapped
        elif _state.arrays:  # inside a backward on arrays (see Op)
            return tuple(_as_array(o) for o in outs)
        wrapped = tuple(_make(_as_array(o), False, None, 0) for o in outs)
        if self.is_view:  # every piece (split's too) shares the input's memory
            for w in wrapped:
                w._vbox = args[0]._version_box
        return wrapped

    def _connect(self, inputs):
        """Numbers this node and makes its edges: one per input, to where its gradient goes."""
        self._seq = _next_seq()
        needs, targets, indices = [], [], []
        for a in inputs:
            if isinstance(a, Tensor) and a.requires_grad:
                needs.append(True)
                node = a.grad_fn
                if node is None:  # a leaf: its gradient goes to the leaf itself
                    targets.append(a)
                    indices.append(None)
                else:
                    targets.append(node)
                    indices.append(a._out_index)
            else:
                needs.append(False)
                targets.append(None)
                indices.append(None)
        self.needs_input_grad = tuple(needs)
        self._targets, self._indices = tuple(targets), tuple(indices)

    def _record(self, args, raw, outs, wrapped):
        """Makes this call a node of the graph, whose outputs (`wrapped`, made pointing back to
        it) are `outs`: edges to the inputs (`args`, whose arrays are `raw`), and the saved
        values as entries (see `_saved_other` for their form)."""
        self._connect(args)
        if self.is_view:
            for w in wrapped:
                w._version_box = args[0]._version_box
        if self._to_save:
            saved = []
            for value in self._to_save:
                if value is None or type(value) in _PLAIN:
                    saved.append(("value", value, None, 0, None))
                    continue
                for i, r in enumerate(raw):  # most saved values are inputs, or their arrays
                    if value is r or value is args[i]:
                        a = args[i]
                        break
                else:
                    a = None
                if not isinstance(a, Tensor):
                    saved.append(_saved_other(value, outs, wrapped))
                elif a.grad_fn is not None:  # a computed tensor (see Tensor._version_box)
                    box = a._vbox  # (Tensor._version inline, for the usual case of no counter)
                    version = box[0] if box else 0 if a.grad_fn._boxes is None else a._version
                    saved.append(("input", r, box, version, i))
                elif a.requires_grad:  # a leaf: the node holds it already, as an edge target
                    saved.append(("leaf", None, None, a._version, i))
                else:
                    box = a._version_box
                    saved.append(("input", r, box, box[0], i))
            self._saved = tuple(saved)
            self._to_save = ()
        if anomaly._enabled:
            self._trace = anomaly.user_frame()
        for hook in record_hooks:
            hook(wrapped)

    def _several_outputs(self, outs):
        """The outputs of a node with several (or with outputs marked non-differentiable);
        integer outputs, like indices, never require grad."""
        wrapped, meta = [], []
        for i, o in enumerate(outs):
            array = _as_array(o)
            differentiable = array.dtype.kind == "f" and not _is_in(o, self._non_differentiable)
            wrapped.append(_make(array, differentiable, self, i))
            meta.append((array.shape, array.dtype, type(array)))
        self._outputs_meta = tuple(meta)
        return tuple(wrapped)


class Op(Function):
    """A built-in op: forward works on raw arrays (`xp` = numpy or cupy) and saves what backward
    needs; backward is written with Tensor ops so that create_graph=True gives higher orders.
    forward and backward are plain functions of the class (no @staticmethod needed).

    When nothing is to be recorded (create_graph=False), the engine runs the same backward on
    raw arrays instead: the gradient and `saved_tensors` come as arrays, and every op that
    backward calls (`Other.apply`, the ops behind `+`, `*`, ...) takes arrays and gives back an
    array, straight from its forward. That skips a Tensor around every intermediate value of
    the backward pass. chainrule's own ops are written to run either way; an Op defined
    elsewhere gets Tensors, as before, unless it sets `array_backward = True` (its backward must
    then use only what arrays and Tensors share: operators, and ops called as `Other.apply`).
    `once_differentiable` ops always get Tensors."""
    on_arrays = True
    array_backward = True


def once_differentiable(target):
    """Marks a fused op whose backward works on raw arrays: a double backward through it raises
    instead of returning a silently wrong gradient. Decorates the op's class, or (as in PyTorch)
    its backward, under @staticmethod."""
    if isinstance(target, type):
        target.differentiable_backward = target.array_backward = False
    else:
        target.once_differentiable = True
    return target


class OnceDifferentiableBackward(Function):
    """Stands in the graph for a gradient that a once_differentiable op computed while
    create_graph=True: differentiating that gradient raises, naming the op. Its edges are those
    the gradient depends on (the op's inputs and the gradient that came in), so that a walk
    towards any of them reaches it."""

    def __init__(self, op, grad_in, grad_out):
        self.op_name = op.name
        self._connect(grad_in)  # then the op's own edges in front
        self._targets, self._indices = op._targets + self._targets, op._indices + self._indices
        self.needs_input_grad = op.needs_input_grad + self.needs_input_grad
        self._outputs_meta = ((grad_out.shape, grad_out.dtype, type(grad_out.array)),)

    def backward(self, grad):
        raise RuntimeError(
            f"{self.op_name} is once_differentiable: its backward works on raw arrays, so its "
            "gradient cannot be differentiated again (a second derivative through it was asked "
            "for with create_graph=True). Use an op built from differentiable Tensor ops instead.")


def forbid_double_backward(op, grads_in, grads_out):
    """The gradients a once_differentiable op returned, each as a tensor whose own gradient
    raises (see OnceDifferentiableBackward)."""
    return tuple(None if g is None else
                 _make(g.array, True, OnceDifferentiableBackward(op, grads_in, g), 0)
                 for g in grads_out)


def edge_shape(target, index):
    """(shape, dtype) of the input an edge carries a gradient to: output `index` of the target
    node, or the leaf tensor itself (index None)."""
    if index is None:
        return target.array.shape, target.array.dtype
    return target._outputs_meta[index][:2]


def _is_in(value, group):
    return any(value is g for g in group)


def _as_array(value):
    """The raw array of an op's output. NumPy turns 0-d results into scalars; a Tensor always
    holds an array, so they are wrapped back (in-place changes need a real array)."""
    if type(value) is _ndarray:
        return value
    if isinstance(value, np.generic):
        return _asarray(value)
    if isinstance(value, Tensor):
        return value.array
    return value if hasattr(value, "shape") else _asarray(value)  # a CuPy array, or a number


def _saved_other(value, outs, wrapped):
    """The entry of a saved value that is not an input (`_record` makes those).

    Saved values are kept as plain data that holds no Tensor (that would keep Tensors alive,
    and add objects that Python's garbage collector scans again and again in a long graph): one
    entry per value, (kind, array or value, version counter, version at save time, input or
    output index), which saved_tensors turns back into Tensors pointing where the originals
    pointed, so that double backward sees the same graph. Kinds:
      "leaf"    input `index`, a leaf that requires grad (the node holds it, as an edge target);
      "input"   input `index`, its array (a computed tensor's counter may be at its node);
      "output"  output `index` of this node;
      "array"   an array made in forward;  "value": anything else (None, a number, a shape)."""
    for i, o in enumerate(outs):
        if value is o or value is wrapped[i].array:
            t = wrapped[i]
            return ("output", t.array, t._vbox, t._version, i)
    if isinstance(value, Tensor):
        box = value._version_box
        return ("array", value.array, box, box[0], None)
    if hasattr(value, "shape") and not isinstance(value, np.generic):
        return ("array", value, None, 0, None)
    return ("value", value, None, 0, None)


def _changed_in_place(node, shape, then, now):
    return RuntimeError(
        f"{node.name}: a tensor it saved for backward (shape {tuple(shape)}) was changed in "
        f"place after the op ran (version {then}, now {now}), so its gradient can no longer be "
        "computed. Change a clone instead (x = x.clone()), or make the change after backward().")
