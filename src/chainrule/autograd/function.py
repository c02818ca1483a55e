"""A `Function` is one op: its forward and its derivative side by side. Each call of `apply` makes
an instance, `ctx`, which is also the op's node in the graph when the call is recorded.

The node, as the engine, `explain`, anomaly mode and hooks see it:
- `next_edges`: per input, None (no gradient needed) or `Edge(target, index, shape, dtype)`, where
  the input's gradient goes: output `index` of the node `target`, or, with index None, the leaf
  Tensor `target` itself. Shape and dtype are the input's: the engine sums a broadcast gradient
  back to that shape and casts it to that dtype, at the edge.
- `output_meta`: per output, (shape, dtype, array type).
- `seq`: creation order. A node is made after every node it depends on, so walking nodes from the
  highest `seq` down is a reverse topological order.
- `saved_tensors`, `saved_arrays`, `saved_like(g)`, `saved_nbytes`: what forward kept for
  backward (below).
- `hook_output(...)`: where a tensor's hooks and retain_grad() meet the walk.
- `keep_copies_of(array)`, `relocate_output(i, tensor)`: what an in-place op tells the node
  whose result it writes into a tensor (see ops/inplace.py).
Outputs are not held (that would be a reference cycle), only what was saved.

What a backward receives is decided by the op's class, and nothing else:
- a `Function` (PyTorch's API) gets Tensors and returns Tensors;
- an `Op` (every built-in op) gets the kind of value the walk carries: raw arrays in a plain
  `backward()`, which records nothing, and Tensors when the backward is itself recorded
  (create_graph=True, anomaly mode). Its backward reads what forward saved with
  `ctx.saved_like(g)`, of the same kind as g, and calls other ops as `Other.apply(...)`, which
  given no Tensor computes on the arrays and returns an array. So one formula, written once,
  is both a fast first derivative and a differentiable one."""
import itertools
import weakref
from collections import namedtuple

import numpy as np

from ..tensor import Tensor
from . import anomaly, graph
from .grad_mode import _state, no_grad

record_hooks = []  # each is called with the outputs of every recorded op (explain uses it)
Edge = namedtuple("Edge", "target index shape dtype")
_next_seq = itertools.count().__next__
_FREED = object()  # `_saved` of a node after backward() released what it saved
_PLAIN = (int, float, bool, str, tuple, type(None))
_wrap, _ndarray, _generic, _asarray = Tensor.wrap, np.ndarray, np.generic, np.asarray


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

    on_arrays = False               # Op: forward takes and returns raw arrays
    is_view = False                 # the output shares memory (and version counter) with input 0
    differentiable_backward = True  # False for once_differentiable fast paths
    # what a double backward through a once_differentiable op should use instead
    double_backward_instead = "Use an op built from differentiable Tensor ops instead."

    # node state, set when the call is recorded (class defaults keep unrecorded calls cheap)
    seq = -1
    needs_input_grad = ()
    output_meta = ()
    _targets = _indices = ()  # per input: the target and index of its edge (see next_edges)
    _to_save = ()             # what forward passed to save_for_backward, until apply keeps it
    _saved = None             # the saved entries (see _entry), or _FREED
    _non_differentiable = ()
    _output_hooks = None      # output index -> (weak reference to the Tensor, its hooks)
    _counters = None          # output index -> its version counter, once one is made
    trace = None              # the user's line that made the node (anomaly mode)
    _unpack = None            # saved_tensors_hooks' unpack hook, if one packed the saved values

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

    # ---- what forward keeps for backward ---------------------------------------------------
    def save_for_backward(self, *values):
        """Keeps values for backward: tensors or arrays (inputs, outputs, or made in forward),
        and plain values (numbers, shapes, index keys). backward() frees them afterwards, and
        unpacking them checks that no tensor among them was changed in place since."""
        self._to_save = values

    def mark_non_differentiable(self, *values):
        self._non_differentiable = values

    @property
    def saved_tensors(self):
        """What forward saved, with arrays as Tensors of the graph (so that a recorded backward
        is differentiated through them)."""
        return tuple(map(self._as_tensor, self.saved_arrays, self._saved or ()))

    @property
    def saved_arrays(self):
        """What forward saved, with arrays as they are (for constants: masks, indices)."""
        if self._saved is _FREED:
            raise RuntimeError(
                f"{self.name}: its saved values were freed by an earlier backward(). To walk the "
                "same graph twice, pass retain_graph=True to the first backward() or grad() call.")
        values = []
        for value, counter, version, place in self._saved or ():
            if self._unpack is not None and type(value) is _Packed:
                value = _array_of(self._unpack(value.packed))
            if counter is None and place is not None:  # a computed tensor that had none
                node = self if place < 0 else self._targets[place]  # (where one made since is)
                if node._counters is not None:
                    counter = node._counters.get(-1 - place if place < 0 else self._indices[place])
            if counter is not None and counter[0] != version:
                raise RuntimeError(
                    f"{self.name}: a tensor it saved for backward (shape {tuple(value.shape)}) was "
                    f"changed in place after the op ran (version {version}, now {counter[0]}), "
                    "so its gradient can no longer be computed. Change a clone instead "
                    "(x = x.clone()), or make the change after backward().")
            values.append(value)
        return tuple(values)

    def _pack(self, pack, unpack):
        """Hands each saved array to a saved_tensors_hooks pack hook, keeping what it returns
        (see autograd.graph)."""
        self._unpack = unpack
        self._saved = tuple((_Packed(pack(_wrap(value))), counter, version, place)
                            if hasattr(value, "shape") else (value, counter, version, place)
                            for value, counter, version, place in self._saved)

    def saved_like(self, g):
        """What forward saved, of the same kind as the gradient g: `saved_arrays` when g is an
        array, `saved_tensors` when g is a Tensor."""
        return self.saved_tensors if isinstance(g, Tensor) else self.saved_arrays

    def _entry(self, value, outs, outputs):
        """How a saved value is kept, without holding a Tensor (which would keep the graph's
        Tensors alive): (value, counter, version, place).
        - value: the array (or the plain value itself);
        - counter, version: the version counter of the tensor it came from and its count then,
          checked when unpacked (None for an array made in forward, or a plain value, and
          for a computed tensor that had none yet: then a counter made since is looked up
          where it is kept, at the node that made the tensor);
        - place: where a Tensor unpacked from it points in the graph: input i (i >= 0), output
          i (-1 - i), or None (a constant).
        _record keeps the two most common kinds itself, plain values and inputs (input i: the
        input's array, and its counter, made now unless it is a computed tensor's)."""
        raw = value.array if isinstance(value, Tensor) else value
        if not hasattr(raw, "shape"):
            return raw, None, 0, None
        for i, out in enumerate(outputs):
            if raw is out.array or raw is outs[i]:  # (outs: as forward returned them)
                counter = out._counter  # (a view's is its input's; others have none yet)
                return out.array, counter, 0 if counter is None else counter[0], -1 - i
        if isinstance(value, Tensor):
            counter = value._version_counter()
            return raw, counter, counter[0], None
        return (raw, None, 0, None) if not isinstance(raw, _generic) else \
            (_asarray(raw), None, 0, None)

    def _as_tensor(self, value, entry):
        """A saved array as a Tensor pointing where the original did (see _entry)."""
        _, counter, _, place = entry
        if not hasattr(value, "shape"):
            return value
        if place is None:
            t = _wrap(value)
        elif place < 0:
            t = _wrap(value, self, -1 - place)
        else:
            target, index = self._targets[place], self._indices[place]
            if target is not None and index is None:
                return target  # a leaf: the tensor itself, so that gradients reach it
            t = _wrap(value) if target is None else _wrap(value, target, index)
        t._counter = counter
        return t

    @property
    def saved_nbytes(self):
        """Bytes of array memory this node keeps alive for its backward."""
        if self._saved is None or self._saved is _FREED:
            return 0
        return sum(value.nbytes for value, *_ in self._saved if hasattr(value, "nbytes"))

    def version_counter(self, index):
        """The version counter of output `index`, made on first use and kept here, so that
        every Tensor of that output (the output itself, those saved values unpack to, detach()ed
        copies) shares it."""
        if self._counters is None:
            self._counters = {}
        counter = self._counters.get(index)
        if counter is None:
            counter = self._counters[index] = [0]
        return counter

    def keep_copies_of(self, array):
        """Before an in-place op overwrites `array` with this node's output, the node keeps its
        own copy of what it saved of the old values (its backward needs them: PyTorch clones
        them too; a counter of their own, that nothing moves)."""
        if self._saved:
            self._saved = tuple((value.copy(), [0], 0, place) if value is array else
                                (value, counter, version, place)
                                for value, counter, version, place in self._saved)

    def relocate_output(self, index, tensor):
        """Output `index` of this node now lives in `tensor`'s memory (an in-place op wrote it
        there): what the node saved of it is that memory, and its version counter the
        tensor's, so that a later change of the tensor is noticed."""
        counter = tensor._version_counter()
        if self._counters is None:
            self._counters = {}
        self._counters[index] = counter
        if self._saved:
            self._saved = tuple((tensor.array, counter, counter[0], place) if place == -1 - index
                                else (value, old_counter, version, place)
                                for value, old_counter, version, place in self._saved)

    # ---- the node, as others read it ---------------------------------------------------------
    def hook_output(self, index, tensor, hooks):
        """Shows the gradient of output `index` to `hooks` (a list the tensor keeps adding to)
        and to the tensor's retain_grad(), before it flows on. The node keeps them, so that they
        run even if the Tensor object is gone by then."""
        if self._output_hooks is None:
            self._output_hooks = {}
        self._output_hooks[index] = (weakref.ref(tensor), hooks)

    @property
    def next_edges(self):
        """Per input: None, or Edge(target, index, shape, dtype) (see the module docstring)."""
        return tuple(None if t is None else Edge(t, i, *input_shape(t, i))
                     for t, i in zip(self._targets, self._indices))

    @property
    def name(self):
        return type(self).__name__

    def __repr__(self):
        return f"<{self.name} node>"

    # ---- calling the op ----------------------------------------------------------------------
    @classmethod
    def apply(cls, *args, **kwargs):
        """Runs the op on `args`, and records it as a node of the graph when an input requires
        grad and grad mode is on. The hot path of every op, so written plainly: loops rather
        than comprehensions (each costs a call here), one output handled on its own."""
        ctx = cls()
        arrays, tensors, record = [], False, False
        for a in args:
            if isinstance(a, Tensor):
                arrays.append(a.array)
                tensors = True
                if a._view is not None and a._view[2] != a._counter[0] and _state.enabled:
                    a._refresh_view()  # its base was written since (see ops/inplace.py)
                if a.requires_grad:
                    record = True
            else:
                arrays.append(a)
        record = record and _state.enabled
        if record:  # (before forward, which may read needs_input_grad, as in PyTorch)
            ctx._connect(args)
        if cls.on_arrays:
            if not tensors:  # an Op given arrays only (as in a plain backward): arrays back
                out = cls.forward(ctx, *args, **kwargs)
                if type(out) is _ndarray:
                    return out
                return _asarray(out) if isinstance(out, _generic) else _as_arrays(out)
            out = cls.forward(ctx, *arrays, **kwargs)
        else:
            with no_grad():
                out = cls.forward(ctx, *args, **kwargs)
        several = type(out) is tuple
        if anomaly._enabled:
            anomaly.check_forward(cls.__name__, args, out if several else (out,))
        if record:
            return ctx._record(args, arrays, out, kwargs)
        if several:
            return tuple(ctx._unrecorded(_as_array(o), args, kwargs, i) for i, o in enumerate(out))
        if type(out) is not _ndarray:  # (_as_array inline, for NumPy's 0-d results: scalars)
            out = _asarray(out) if isinstance(out, _generic) else _as_array(out)
        return ctx._unrecorded(out, args, kwargs) if cls.is_view else _wrap(out)

    def _unrecorded(self, array, args, kwargs, index=None):
        """An output of a call that is not recorded: a Tensor outside the graph (a view still
        shares its input's memory, and so its version counter)."""
        t = _wrap(array)
        if self.is_view:
            _make_view(type(self), t, args, kwargs, index)
        return t

    def _connect(self, inputs):
        """Numbers this node and makes its edges: one per input, to where its gradient goes."""
        self.seq = _next_seq()
        needs, targets, indices = [], [], []
        for a in inputs:
            if isinstance(a, Tensor) and a.requires_grad:
                needs.append(True)
                targets.append(a if a.grad_fn is None else a.grad_fn)
                indices.append(None if a.grad_fn is None else a.output_nr)
            else:
                needs.append(False)
                targets.append(None)
                indices.append(None)
        self.needs_input_grad = tuple(needs)
        self._targets, self._indices = tuple(targets), tuple(indices)

    def _record(self, args, arrays, out, kwargs):
        """Makes this call a node of the graph: its edges, its outputs (which point back to
        it), and its saved entries (its edges were made before forward ran). Returns the output
        Tensor(s)."""
        if type(out) is tuple or self._non_differentiable:
            outs = out if type(out) is tuple else (out,)
            wrapped = self._outputs(outs, args, kwargs)
        else:  # one output, the common case: the same as _outputs, without the loops
            outs = (out,)
            array = out  # (_as_array inline, for NumPy's 0-d results: scalars)
            if type(out) is not _ndarray:
                array = _asarray(out) if isinstance(out, _generic) else _as_array(out)
            wrapped = (_wrap(array, self, 0),)
            self.output_meta = ((array.shape, array.dtype, type(array)),)
            if self.is_view:
                _make_view(type(self), wrapped[0], args, kwargs, None)
        if self._to_save:
            saved = []
            for value in self._to_save:  # (the two most common kinds here, inline; see _entry)
                if type(value) in _PLAIN:  # a number, a shape, None: kept as it is
                    saved.append((value, None, 0, None))
                    continue
                for i, a in enumerate(args):  # an input
                    if (value is arrays[i] or value is a) and isinstance(a, Tensor):
                        counter = a._counter  # (made now, unless a computed tensor's)
                        if counter is None and (a.grad_fn is None or a.grad_fn._counters):
                            counter = a._version_counter()
                        saved.append((arrays[i], counter, 0 if counter is None else counter[0], i))
                        break
                else:
                    saved.append(self._entry(value, outs, wrapped))
            self._saved = tuple(saved)
            self._to_save = ()
            if graph.active:
                self._pack(*graph.active[-1])
        if anomaly._enabled:
            self.trace = anomaly.user_frame()
        for hook in record_hooks:
            hook(wrapped)
        return wrapped if type(out) is tuple else wrapped[0]

    def _outputs(self, outs, args, kwargs):
        """The output Tensors of a recorded call; integer outputs (indices) and those marked
        non-differentiable need no gradient."""
        wrapped, meta = [], []
        for i, o in enumerate(outs):
            array = o if type(o) is _ndarray else _as_array(o)
            if array.dtype.kind == "f" and not _is_in(o, self._non_differentiable):
                t = _wrap(array, self, i)
            else:
                t = _wrap(array)
            if self.is_view:
                _make_view(type(self), t, args, kwargs, i)
            wrapped.append(t)
            meta.append((array.shape, array.dtype, type(array)))
        self.output_meta = tuple(meta)
        self._non_differentiable = ()  # (needed only here: an array held would leak)
        return tuple(wrapped)


class Op(Function):
    """A built-in op: forward works on raw arrays (`xp` = numpy or cupy) and saves what backward
    needs; backward is written once, with operators and `Other.apply`, and reads the saved
    values with `ctx.saved_like(g)`. It runs on raw arrays in a plain backward() and on
    Tensors when the backward is recorded (see the module docstring). forward and backward are
    plain functions of the class (no @staticmethod needed)."""
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
    create_graph=True: differentiating that gradient raises, naming the op. Its edges are the
    op's own and those of the gradients that came in, so that a walk towards any of them
    reaches it."""

    def __init__(self, op, grads_in, grad_out):
        self.op_name, self.instead = op.name, op.double_backward_instead
        self._connect(grads_in)  # then the op's own edges in front
        self._targets, self._indices = op._targets + self._targets, op._indices + self._indices
        self.needs_input_grad = op.needs_input_grad + self.needs_input_grad
        grad_out = _as_array(grad_out)
        self.output_meta = ((grad_out.shape, grad_out.dtype, type(grad_out)),)

    def backward(self, grad):
        raise RuntimeError(
            f"{self.op_name} is once_differentiable: its backward works on raw arrays, so its "
            "gradient cannot be differentiated again (a second derivative through it was asked "
            f"for with create_graph=True). {self.instead}")


def forbid_double_backward(op, grads_in, grads_out):
    """The gradients a once_differentiable op returned, each as a tensor whose own gradient
    raises (see OnceDifferentiableBackward)."""
    return tuple(None if g is None else
                 _wrap(_as_array(g), OnceDifferentiableBackward(op, grads_in, g), 0)
                 for g in grads_out)


def _make_view(op, t, args, kwargs, index):
    """Marks output t (output `index`, or the only one) of the view op `op` on args[0]: it
    shares the input's memory and version counter, and knows its base and the ops that make
    it from the base, so that writing through it can reach the base (see ops/inplace.py)."""
    source = args[0]
    counter = t._counter = source._version_counter()
    step = (op, args[1:], kwargs, index)
    base, steps = (source, ()) if source._view is None else source._view[:2]
    t._view = (base, steps + (step,), counter[0])


def input_shape(target, index):
    """(shape, dtype) of the input an edge carries a gradient to: output `index` of the target
    node, or the leaf tensor itself (index None)."""
    if index is None:
        return target.array.shape, target.array.dtype
    return target.output_meta[index][:2]


def _is_in(value, group):
    for member in group:
        if value is member:
            return True
    return False


class _Packed:
    """What a saved_tensors_hooks pack hook returned, in the place of a saved array."""
    __slots__ = ("packed",)

    def __init__(self, packed):
        self.packed = packed


def _array_of(value):
    return value.array if isinstance(value, Tensor) else value


def _as_arrays(out):
    return tuple(map(_as_array, out)) if type(out) is tuple else _as_array(out)


def _as_array(value):
    """The raw array of an op's output. NumPy turns 0-d results into scalars; a Tensor always
    holds an array, so they are wrapped back (in-place changes need a real array)."""
    if type(value) is _ndarray:
        return value
    if isinstance(value, _generic):
        return _asarray(value)
    if isinstance(value, Tensor):
        return value.array
    return value if hasattr(value, "shape") else _asarray(value)  # a CuPy array, or a number
