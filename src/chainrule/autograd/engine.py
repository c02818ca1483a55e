"""The engine: walks the graph from the outputs back to the leaves, calling each node's backward
once all the gradients flowing into it have arrived.

Order: a node is always made after the nodes that made its inputs, so its creation number (`seq`)
is larger than theirs. Taking the pending node with the largest `seq` first (a heap) is therefore
a reverse topological order: every gradient a node will receive has arrived by the time it is
taken. No recursion, so a 100,000-node chain is fine.

What travels between nodes: raw arrays in a plain backward(), which records nothing, and Tensors
when the backward is itself recorded (create_graph=True) or checked (anomaly mode). Each `Op`'s
backward runs on what travels; a `Function`'s always gets Tensors (see autograd.function). The
gradients become Tensors where a user sees them: hooks, .grad, and cr.grad's results."""
from heapq import heappop, heappush

import numpy as np

from ..backend import require_cupy, sum_to
from ..tensor import Tensor
from . import anomaly
from .function import _FREED, _as_array, _ndarray, forbid_double_backward
from .grad_mode import set_grad_enabled

_wrap = Tensor.wrap


def backward(outputs, grad_outputs, retain_graph=None, create_graph=False, inputs=None,
             allow_unused=False, observer=None):
    """Accumulates d(outputs)/d(leaf) into each leaf's .grad; with `inputs`, returns the gradients
    with respect to those tensors instead and leaves every .grad alone (that is `cr.grad`).
    `observer(node, grads)`, if given, sees each node as the walk reaches it, with the gradients
    of its outputs (`cr.explain.trace` uses it, with `vjp` for what the node sends on)."""
    if retain_graph is None:
        retain_graph = create_graph
    arrays = not create_graph and not anomaly._enabled
    kind = _ndarray if arrays else Tensor  # what a gradient is, between nodes
    pending = {}     # node -> [gradient of each of its outputs], summed as they arrive
    heap = []        # (-node.seq, node) of the pending nodes: the latest made comes first
    leaf_grads = {}  # id(leaf) -> [leaf, gradient]
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError(
                f"backward: a tensor of shape {out.shape} does not require grad and has no "
                "grad_fn, so there is no graph to walk. Create the inputs with "
                "requires_grad=True (and not under no_grad).")
        if arrays:
            g = g.array
        node = out.grad_fn
        if node is None:
            _add_leaf(leaf_grads, out, g)
            continue
        slot = pending.get(node)
        if slot is None:
            slot = pending[node] = [None] * len(node.output_meta)
            heappush(heap, (-node.seq, node))
        slot[out.output_nr] = g if slot[out.output_nr] is None else _add(slot[out.output_nr], g)

    # cr.grad: only the part of the graph that leads to `inputs` is walked
    runs = reach = captured = wanted_leaves = None
    if inputs is not None:
        runs, captured, wanted_leaves = _plan(pending, inputs)
        reach = runs | captured.keys()

    with set_grad_enabled(create_graph):
        while heap:
            node = heappop(heap)[1]
            grads = pending.pop(node)
            if node._output_hooks is not None:
                _run_hooks(node, grads, arrays)
            if reach is not None:
                if node in captured:
                    captured[node] = grads
                if node not in runs:
                    continue
            if observer is not None:
                observer(node, grads)
            if arrays and node.on_arrays and len(grads) == 1:  # the common case, inline
                in_grads = type(node).backward(node, grads[0])
            else:
                in_grads = _call_backward(node, grads, create_graph, arrays)
            if type(in_grads) is not tuple:
                in_grads = _as_tuple(in_grads)
            if len(in_grads) > len(node._targets):
                raise _too_many(node, in_grads)
            for target, index, g in zip(node._targets, node._indices, in_grads):
                if target is None or g is None:
                    continue
                if index is None:  # a leaf (function.input_shape, inline on this hot path)
                    shape, dtype = target.array.shape, target.array.dtype
                else:
                    shape, dtype, _ = target.output_meta[index]
                if type(g) is not kind:  # a NumPy scalar (0-d result), a CuPy array, ...
                    g = _as_kind(g, arrays, node)
                if g.shape != shape or g.dtype is not dtype:
                    g = _fit(g, shape, dtype)
                if index is None:  # a leaf: summed here, accumulated into .grad at the end
                    if wanted_leaves is None or id(target) in wanted_leaves:
                        _add_leaf(leaf_grads, target, g)
                    continue
                if reach is not None and target not in reach:
                    continue
                slot = pending.get(target)
                if slot is None:
                    slot = pending[target] = [None] * len(target.output_meta)
                    heappush(heap, (-target.seq, target))
                slot[index] = g if slot[index] is None else _add(slot[index], g)
            if not retain_graph and node._saved is not None:
                node._saved = _FREED  # release what forward saved

    with set_grad_enabled(create_graph):  # (a sum into .grad is recorded under create_graph)
        if inputs is not None:
            return _collect(inputs, leaf_grads, captured, allow_unused, arrays)
        for leaf, g in leaf_grads.values():
            _accumulate(leaf, _wrap(g) if arrays else g, create_graph)
    return None


def vjp(node, grads):
    """One node's step of the walk, on its own (gradients as raw arrays): the gradient each
    input receives from the gradients `grads` of the node's outputs, summed back to the input's
    shape and cast to its dtype (None where none)."""
    in_grads = _call_backward(node, list(grads), False, True)
    return tuple(None if edge is None or g is None else
                 _fit(_as_kind(g, True, node), edge.shape, edge.dtype)
                 for edge, g in zip(node.next_edges, in_grads))


def _call_backward(node, grads, create_graph, arrays):
    """The node's backward on the gradients of its outputs: one gradient per input.
    - An output nothing used gets zeros, as PyTorch gives.
    - An Op gets what the walk carries, a Function gets Tensors; a once_differentiable Op gets
      arrays always, and under create_graph its gradients are marked so that differentiating
      them raises (a once_differentiable Function runs on Tensors, unrecorded).
    - In anomaly mode, NaN made by the backward is reported as this node's."""
    if len(grads) > 1:
        grads = [(zeros_for(m) if arrays else _wrap(zeros_for(m))) if g is None else g
                 for g, m in zip(grads, node.output_meta)]
    once = not node.differentiable_backward
    on_arrays = node.on_arrays and (arrays or once)
    given = grads
    if on_arrays != arrays:
        given = [g.array for g in grads] if on_arrays else [_wrap(g) for g in grads]
    with set_grad_enabled(create_graph and not once), anomaly.running_backward_of(node):
        in_grads = _as_tuple(type(node).backward(node, *given))
    if arrays and not on_arrays:  # a Function's backward, in a walk on arrays
        for g in in_grads:
            if g is not None and not isinstance(g, Tensor):
                raise _not_a_tensor(node, g)
    if create_graph and once:
        in_grads = forbid_double_backward(node, grads, in_grads)
    if anomaly._enabled:
        anomaly.check_backward(node, in_grads)
    return in_grads


def zeros_for(meta):
    """Zeros shaped like a node's output, from its `output_meta` entry, on its device."""
    shape, dtype, array_type = meta
    return (np if array_type is _ndarray else require_cupy()).zeros(shape, dtype)


def _as_tuple(grads):
    return tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)


def _too_many(node, in_grads):
    return RuntimeError(f"{node.name}.backward returned {len(in_grads)} gradients, but the op "
                        f"has {len(node._targets)} inputs")


def _as_kind(g, arrays, node):
    """A gradient as the walk carries it (a raw array, or a Tensor)."""
    if arrays:
        if isinstance(g, Tensor):
            return g.array
        if hasattr(g, "shape"):
            return _as_array(g)
    elif isinstance(g, Tensor):
        return g
    raise _not_a_tensor(node, g)


def _not_a_tensor(node, g):
    return TypeError(f"{node.name}.backward returned a {type(g).__name__}, expected a Tensor "
                     "(or None) per input")


def _fit(g, shape, dtype):
    """The one place where a broadcast gradient is summed back to its input's shape, and cast to
    the input's dtype: on a Tensor with Tensor ops (recorded under create_graph), on an array
    with the array's own."""
    if g.shape != shape:
        g = g.sum_to_size(shape) if isinstance(g, Tensor) else sum_to(g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _add(a, b):
    """Two gradients of one tensor, summed (recorded only under create_graph, the mode the walk
    sets); NumPy's 0-d sums come back as scalars, made arrays again."""
    total = a + b
    return _as_array(total) if isinstance(total, np.generic) else total


def _add_leaf(leaf_grads, leaf, g):
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, g]
    else:
        entry[1] = _add(entry[1], g)


def _plan(pending, inputs):
    """For cr.grad: which nodes must run their backward (some input lies upstream of them),
    which nodes made a non-leaf input (their gradient is captured), and which leaves are inputs.
    An iterative post-order walk: each node is decided once its parents are."""
    captured = {t.grad_fn: None for t in inputs if t.grad_fn is not None}
    wanted_leaves = {id(t) for t in inputs if t.grad_fn is None}
    leads = {}  # node -> whether an input lies upstream of it
    stack = list(pending)
    while stack:
        node = stack[-1]
        if node in leads:
            stack.pop()
            continue
        edges = [e for e in node.next_edges if e is not None]
        parents = [e.target for e in edges if e.index is not None and e.target not in leads]
        if parents:
            stack.extend(parents)
            continue
        stack.pop()
        leads[node] = any((id(e.target) in wanted_leaves) if e.index is None else
                          (leads[e.target] or e.target in captured) for e in edges)
    return {n for n, up in leads.items() if up}, captured, wanted_leaves


def _run_hooks(node, grads, arrays):
    """Hooks and retain_grad() of the node's output tensors see the gradient (as a Tensor)
    before it flows on."""
    for index, (ref, hooks) in node._output_hooks.items():
        g = grads[index]
        if g is None:
            continue
        g = _hooked(hooks, _wrap(g) if arrays else g)
        grads[index] = g.array if arrays else g
        tensor = ref()
        if tensor is not None and tensor._retains_grad:
            tensor.grad = owned(g) if tensor.grad is None else tensor.grad + g


def _hooked(hooks, g):
    """The gradient g after each hook in turn: a hook may replace it by returning a Tensor of
    the same shape."""
    for hook in list(hooks):
        new = hook(g)
        if new is None:
            continue
        name = getattr(hook, "__qualname__", type(hook).__name__)
        if not isinstance(new, Tensor):
            raise TypeError(f"the gradient hook {name} returned a {type(new).__name__}; a hook "
                            "returns a Tensor to replace the gradient, or None to keep it")
        if new.shape != g.shape:
            raise RuntimeError(f"the gradient hook {name} returned shape {tuple(new.shape)} for a "
                               f"gradient of shape {tuple(g.shape)}; a hook may change a "
                               "gradient's values, not its shape")
        g = new
    return g


def _accumulate(leaf, g, create_graph):
    g = _hooked(leaf._hooks or (), g)
    if leaf.grad is None:
        leaf.grad = g if create_graph else owned(g)
    else:
        leaf.grad = leaf.grad + g  # recorded only when create_graph (the mode set by backward)


def owned(g):
    """A gradient with an array of its own: the engine hands one array to several places (Add
    gives the same gradient to both inputs), and a .grad may later be changed in place."""
    return _wrap(g.array.copy())


def _collect(inputs, leaf_grads, captured, allow_unused, arrays):
    """cr.grad's results: the gradient of each input, after its hooks (those of a computed
    tensor ran as its node was reached)."""
    result = []
    for i, t in enumerate(inputs):
        if t.grad_fn is None:
            g = leaf_grads.get(id(t), (None, None))[1]
        else:
            grads = captured.get(t.grad_fn)
            g = grads[t.output_nr] if grads is not None else None
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {t.shape}) was not used to compute the outputs, so "
                    "it has no gradient. Pass allow_unused=True to get None for it.")
        else:
            if arrays:
                g = _wrap(g)
            if t.grad_fn is None:
                g = _hooked(t._hooks or (), g)
        result.append(g)
    return tuple(result)
