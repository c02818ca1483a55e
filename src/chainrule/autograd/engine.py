"""The engine: walks the graph from the outputs back to the leaves, calling each node's backward
once all the gradients flowing into it have arrived.

Order: a node is always made after the nodes that made its inputs, so its creation number
(`_seq`) is larger than theirs. Taking the pending node with the largest `_seq` first (a heap)
is therefore a reverse topological order: every gradient a node will receive has arrived by the
time it is taken. No recursion, so a 100,000-node chain is fine."""
from heapq import heappop, heappush

from . import anomaly
from .function import _FREED, _as_array, _ndarray, forbid_double_backward
from .grad_mode import _state, set_grad_enabled

Tensor = _make = None  # set once by chainrule.tensor (Tensor and Tensor._make)


def backward(outputs, grad_outputs, retain_graph=None, create_graph=False, inputs=None,
             allow_unused=False):
    """Accumulates d(outputs)/d(leaf) into each leaf's .grad; with `inputs`, returns the gradients
    with respect to those tensors instead and leaves every .grad alone (that is `cr.grad`).

    When nothing is to be recorded, gradients travel between nodes as raw arrays and each op's
    backward runs on arrays (see Op); they become Tensors again where a user sees them (hooks,
    .grad, cr.grad's results). Under create_graph they are Tensors of the new graph, and in
    anomaly mode Tensors too, so that its checks see every backward as written."""
    with _ArrayMode(False):  # called inside an op's backward on arrays, it still deals in Tensors
        return _backward(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused)


def _backward(outputs, grad_outputs, retain_graph, create_graph, inputs, allow_unused):
    if retain_graph is None:
        retain_graph = create_graph
    arrays = not create_graph and not anomaly._enabled
    kind = _ndarray if arrays else Tensor  # what a gradient is, between nodes
    add = _add_arrays if arrays else _add_tensors
    pending = {}     # node -> [gradient of each of its outputs], summed as they arrive
    heap = []        # (-node._seq, node) of the pending nodes: the latest made comes first
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
            _add_leaf(leaf_grads, out, g, add)
            continue
        slot = pending.get(node)
        if slot is None:
            slot = pending[node] = [None] * len(node._outputs_meta)
            heappush(heap, (-node._seq, node))
        slot[out._out_index] = g if slot[out._out_index] is None else add(slot[out._out_index], g)

    # cr.grad: only the part of the graph that leads to `inputs` is walked
    runs = reach = captured = wanted_leaves = None
    if inputs is not None:
        runs, captured, wanted_leaves = _plan(pending, inputs)
        reach = runs | captured.keys()

    with set_grad_enabled(create_graph), _ArrayMode(arrays):
        while heap:
            node = heappop(heap)[1]
            grads = pending.pop(node)
            if node._observers is not None:
                _notify(node, grads, arrays)
            if reach is not None:
                if node in captured:
                    captured[node] = grads
                if node not in runs:
                    continue
            if arrays and len(grads) == 1 and node.array_backward:  # the common case, inline
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
                if index is None:  # a leaf (function.edge_shape, inline on this hot path)
                    shape, dtype = target.array.shape, target.array.dtype
                else:
                    shape, dtype, _ = target._outputs_meta[index]
                if type(g) is not kind:  # a NumPy scalar (0-d result), a Tensor, a CuPy array
                    g = _as_kind(g, arrays, node)
                if g.shape != shape or g.dtype is not dtype:
                    g = _fit(g, shape, dtype)
                if index is None:  # a leaf: summed here, accumulated into .grad at the end
                    if wanted_leaves is None or id(target) in wanted_leaves:
                        _add_leaf(leaf_grads, target, g, add)
                    continue
                if reach is not None and target not in reach:
                    continue
                slot = pending.get(target)
                if slot is None:
                    slot = pending[target] = [None] * len(target._outputs_meta)
                    heappush(heap, (-target._seq, target))
                slot[index] = g if slot[index] is None else add(slot[index], g)
            if not retain_graph and node._saved is not None:
                node._saved = _FREED  # release the saved arrays

    with set_grad_enabled(create_graph):  # (a sum into .grad is recorded under create_graph)
        if inputs is not None:
            return _collect(inputs, leaf_grads, captured, allow_unused, arrays)
        for leaf, g in leaf_grads.values():
            _accumulate(leaf, _make(g, False, None, 0) if arrays else g, create_graph)
    return None


class _ArrayMode:
    """Whether ops take and give raw arrays (while a backward runs on arrays, see Op); the
    setting before is restored on exit."""

    def __init__(self, on):
        self.on = on

    def __enter__(self):
        self.prev, _state.arrays = _state.arrays, self.on

    def __exit__(self, *exc):
        _state.arrays = self.prev


def _call_backward(node, grads, create_graph, arrays):
    """The node's backward on the gradients of its outputs: one gradient per input."""
    if len(grads) > 1:  # an output nothing used gets zeros, as PyTorch gives
        grads = [_zeros(node._outputs_meta[i], arrays) if g is None else g
                 for i, g in enumerate(grads)]
    if arrays and not node.array_backward:
        return _on_tensors(node, grads)
    if anomaly._enabled and not arrays:  # (turned on by another thread during a walk on arrays)
        with anomaly.running_backward_of(node):
            in_grads = _run_backward(node, grads, create_graph)
        anomaly.check_backward(node, in_grads)
        return in_grads
    return _run_backward(node, grads, create_graph)


def _on_tensors(node, grads):
    """A backward written for Tensors only (a custom Function's), in a walk on arrays: it gets
    Tensors, and the ops it calls give Tensors, as it expects."""
    with _ArrayMode(False):
        in_grads = _run_backward(node, [_make(g, False, None, 0) for g in grads], False)
    for g in in_grads:
        if g is not None and not isinstance(g, Tensor):
            raise _not_a_tensor(node, g)
    return in_grads


def _run_backward(node, grads, create_graph):
    """A once_differentiable backward runs unrecorded; under create_graph its gradients are
    marked so that differentiating them raises."""
    if create_graph and not node.differentiable_backward:
        with set_grad_enabled(False):
            in_grads = _as_tuple(type(node).backward(node, *grads))
        return forbid_double_backward(node, grads, in_grads)
    return _as_tuple(type(node).backward(node, *grads))


def _as_tuple(grads):
    return tuple(grads) if isinstance(grads, (tuple, list)) else (grads,)


def _too_many(node, in_grads):
    return RuntimeError(f"{node.name}.backward returned {len(in_grads)} gradients, but the op "
                        f"has {len(node._targets)} inputs")


def _as_kind(g, arrays, node):
    """A gradient a backward returned, as the walk carries it: a raw array, or a Tensor."""
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
    the input's dtype (on a Tensor, or on an array, the ops giving arrays in a walk on arrays)."""
    if g.shape != shape:
        g = Tensor.sum_to(g, shape)
    if g.dtype != dtype:
        g = g.astype(dtype)
    return g


def _add_tensors(a, b):
    return a + b  # recorded only when create_graph (the mode set by backward)


def _add_arrays(a, b):
    total = a + b
    return total if type(total) is _ndarray else _as_array(total)


def _zeros(meta, arrays):
    zeros = Tensor.zeros_for(*meta)
    return zeros.array if arrays else zeros


def _add_leaf(leaf_grads, leaf, g, add):
    entry = leaf_grads.get(id(leaf))
    if entry is None:
        leaf_grads[id(leaf)] = [leaf, g]
    else:
        entry[1] = add(entry[1], g)


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
        parents = [e[0] for e in edges if e[1] is not None and e[0] not in leads]
        if parents:
            stack.extend(parents)
            continue
        stack.pop()
        leads[node] = any(
            (id(e[0]) in wanted_leaves) if e[1] is None else (leads[e[0]] or e[0] in captured)
            for e in edges)
    return {n for n, up in leads.items() if up}, captured, wanted_leaves


def _notify(node, grads, arrays):
    """Hooks and retain_grad() of the node's output tensors see the gradient (as a Tensor)
    before it flows on."""
    with _ArrayMode(False):
        for index, (ref, hooks) in node._observers.items():
            g = grads[index]
            if g is None:
                continue
            g = _hooked(hooks, _make(g, False, None, 0) if arrays else g)
            grads[index] = g.array if arrays else g
            tensor = ref()
            if tensor is not None and tensor._retains_grad:
                tensor.grad = _owned(g) if tensor.grad is None else tensor.grad + g


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
        leaf.grad = g if create_graph else _owned(g)
    else:
        leaf.grad = leaf.grad + g  # recorded only when create_graph (the mode set by backward)


def _owned(g):
    """A gradient with an array of its own: the engine hands one array to several places (Add
    gives the same gradient to both inputs), and a .grad may later be changed in place."""
    return Tensor._make(g.array.copy(), False, None, 0)


def _collect(inputs, leaf_grads, captured, allow_unused, arrays):
    """cr.grad's results: the gradient of each input, after its hooks (those of a computed
    tensor ran as its node was reached)."""
    result = []
    for i, t in enumerate(inputs):
        if t.grad_fn is None:
            g = leaf_grads.get(id(t), (None, None))[1]
        else:
            grads = captured.get(t.grad_fn)
            g = grads[t._out_index] if grads is not None else None
        if g is None:
            if not allow_unused:
                raise RuntimeError(
                    f"grad: input {i} (shape {t.shape}) was not used to compute the outputs, so "
                    "it has no gradient. Pass allow_unused=True to get None for it.")
        else:
            if arrays:
                g = _make(g, False, None, 0)
            if t.grad_fn is None:
                g = _hooked(t._hooks or (), g)
        result.append(g)
    return tuple(result)
