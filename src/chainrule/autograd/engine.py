"""The engine: walks the graph from the outputs back to the leaves, in reverse topological order,
without recursion (a 100,000-node chain is fine), calling each node's backward once all the
gradients flowing into it have arrived."""
from . import anomaly
from .grad_mode import set_grad_enabled

Tensor = None  # set once by chainrule.tensor


def backward(outputs, grad_outputs, retain_graph=None, create_graph=False, inputs=None,
             allow_unused=False):
    """Accumulates d(outputs)/d(leaf) into each leaf's .grad; with `inputs`, returns the gradients
    with respect to those tensors instead (that is `cr.grad`)."""
    if retain_graph is None:
        retain_graph = create_graph
    buffers = {}   # node -> [gradient per output]
    leaf_grads = {}  # leaf tensor id -> (leaf, gradient), in arrival order
    roots = []
    for out, g in zip(outputs, grad_outputs):
        if not out.requires_grad:
            raise RuntimeError(
                "backward: the tensor does not require grad and has no grad_fn, so there is no "
                "graph to walk. Create the inputs with requires_grad=True (and not under no_grad).")
        if out.grad_fn is None:
            _add_leaf(leaf_grads, out, g)
            continue
        _add(buffers, out.grad_fn, out._out_index, g)
        roots.append(out.grad_fn)

    captured = None
    if inputs is not None:  # cr.grad: capture gradients at the inputs, leave .grad alone
        captured = {}
        for t in inputs:
            if t.grad_fn is not None:
                t.grad_fn._capture = True

    with set_grad_enabled(create_graph):
        for node in _reverse_topological(roots):
            grads = buffers.pop(node, None)
            if grads is None:
                continue
            if node._observers:
                _notify(node, grads)
            if captured is not None and getattr(node, "_capture", False):
                captured[node] = list(grads)
            grads = [g if g is not None else _zeros(node, i) for i, g in enumerate(grads)]
            if create_graph and not node.differentiable_backward:
                node._forbid_double = True
            in_grads = node.backward(*grads)
            if not isinstance(in_grads, tuple):
                in_grads = (in_grads,)
            if len(in_grads) > len(node.next_edges):
                raise RuntimeError(f"{node.name}.backward returned {len(in_grads)} gradients, "
                                   f"but the op has {len(node.next_edges)} inputs")
            if anomaly._enabled:
                anomaly.check_backward(node, in_grads)
            for edge, g in zip(node.next_edges, in_grads):
                if edge is None or g is None:
                    continue
                target, index, shape, dtype = edge
                g = _fit(g, shape, dtype, node)
                if type(target) is Tensor:
                    _add_leaf(leaf_grads, target, g)
                else:
                    _add(buffers, target, index, g)
            if not retain_graph:
                node._freed = True
                node._saved = None

    if inputs is not None:
        for t in inputs:
            if t.grad_fn is not None:
                t.grad_fn._capture = False
        return _collect(inputs, leaf_grads, captured, allow_unused)
    for leaf, g in leaf_grads.values():
        _accumulate(leaf, g, create_graph)
    return None


def _reverse_topological(roots):
    """Kahn's algorithm on dependency counts: a node is ready once every node that feeds it a
    gradient has run."""
    deps = {}
    stack = list(dict.fromkeys(roots))
    seen = set(stack)
    while stack:
        node = stack.pop()
        for edge in node.next_edges:
            if edge is None or type(edge[0]) is Tensor:
                continue
            parent = edge[0]
            deps[parent] = deps.get(parent, 0) + 1
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    ready = [n for n in dict.fromkeys(roots) if deps.get(n, 0) == 0]
    while ready:
        node = ready.pop()
        yield node
        for edge in node.next_edges:
            if edge is None or type(edge[0]) is Tensor:
                continue
            parent = edge[0]
            deps[parent] -= 1
            if deps[parent] == 0:
                ready.append(parent)


def _add(buffers, node, index, g):
    slot = buffers.get(node)
    if slot is None:
        slot = buffers[node] = [None] * len(node._outputs_meta)
    slot[index] = g if slot[index] is None else slot[index] + g


def _add_leaf(leaf_grads, leaf, g):
    key = id(leaf)
    if key in leaf_grads:
        leaf_grads[key] = (leaf, leaf_grads[key][1] + g)
    else:
        leaf_grads[key] = (leaf, g)


def _zeros(node, index):
    return Tensor.zeros_for(*node._outputs_meta[index])


def _fit(g, shape, dtype, node):
    """The one place where a broadcast gradient is summed back to its input's shape, and cast to
    the input's dtype."""
    if not isinstance(g, Tensor):
        raise TypeError(f"{node.name}.backward returned {type(g).__name__}, expected a Tensor")
    if g.shape != shape:
        g = g.sum_to(shape)
    if g.dtype != dtype:
        g = g.to(dtype)
    return g


def _notify(node, grads):
    """Hooks and retain_grad() of the node's output tensors see the gradient before it flows on."""
    for index, ref in list(node._observers.items()):
        tensor = ref()
        if tensor is None or grads[index] is None:
            continue
        for hook in tensor._hooks or ():
            new = hook(grads[index])
            if new is not None:
                grads[index] = new
        if tensor._retains_grad:
            tensor.grad = grads[index] if tensor.grad is None else tensor.grad + grads[index]


def _accumulate(leaf, g, create_graph):
    for hook in leaf._hooks or ():
        new = hook(g)
        if new is not None:
            g = new
    if not create_graph:
        g = g.detach()
    leaf.grad = g if leaf.grad is None else leaf.grad + g


def _collect(inputs, leaf_grads, captured, allow_unused):
    result = []
    for i, t in enumerate(inputs):
        if t.grad_fn is None:
            g = leaf_grads.get(id(t), (None, None))[1]
        else:
            g = captured.get(t.grad_fn, [None] * (t._out_index + 1))[t._out_index]
        if g is None and not allow_unused:
            raise RuntimeError(
                f"grad: input {i} (shape {t.shape}) was not used to compute the outputs, so it "
                "has no gradient. Pass allow_unused=True to get None for it.")
        result.append(g)
    return tuple(result)
