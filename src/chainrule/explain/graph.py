"""The graph behind a tensor, as data: its op nodes in the order they ran, its leaves, and the
values that flowed along its edges.

A node does not hold its outputs (the engine keeps only what backward needs), so an op's value is
found where the graph still has it: the output itself, a leaf, or an array saved for backward.
To see every value, build the graph inside `recording()`, which also notes the module that ran
each op (pictures of big models collapse to one box per module)."""
import weakref
from dataclasses import dataclass

from ..autograd.function import record_hooks
from ..tensor import Tensor

_records = weakref.WeakKeyDictionary()  # node -> _Record, for graphs built inside recording()


@dataclass
class _Record:
    values: tuple   # one array per output, copied when the op ran
    module: tuple   # (name, class name) of the modules that were running, outermost first;
    #                 the model itself is named ""


class recording:
    """`with cr.explain.recording(model): loss = loss_fn(model(x), y)` keeps each op's output
    values (copies, so later in-place updates do not change them) and, with a model, the module
    that ran each op. Meant for the small graphs one looks at, not for training."""

    def __init__(self, model=None):
        self.model = model
        self._stack, self._handles = [], []

    def __enter__(self):
        record_hooks.append(self._note)
        if self.model is not None:
            for name, module in self.model.named_modules():
                self._handles.append(module.register_forward_pre_hook(self._enter(name)))
                self._handles.append(module.register_forward_hook(self._leave))
        return self

    def __exit__(self, *exc):
        record_hooks.remove(self._note)
        for handle in self._handles:
            handle.remove()
        self._handles.clear()

    def _note(self, outs):
        _records[outs[0].grad_fn] = _Record(tuple(o.array.copy() for o in outs),
                                            tuple(self._stack))

    def _enter(self, name):
        def hook(module, args):
            self._stack.append((name, type(module).__name__))
        return hook

    def _leave(self, module, args, output):
        self._stack.pop()


def key_of(tensor):
    """How an edge names a tensor: the leaf itself, or (node, output index)."""
    return tensor if tensor.grad_fn is None else (tensor.grad_fn, tensor.output_nr)


def slot(key):
    """A dictionary key for an edge key: tensors compare elementwise, so leaves go by id."""
    return id(key) if isinstance(key, Tensor) else key


def edge_key(edge):
    return edge.target if edge.index is None else (edge.target, edge.index)


class Graph:
    """The nodes that `output` depends on, in the order they ran (`nodes`), and its leaves
    (tensors that require grad, made by the user rather than by an op)."""

    def __init__(self, output, names=None):
        if not isinstance(output, Tensor):
            raise TypeError(f"expected the Tensor whose graph to show, got "
                            f"{type(output).__name__}")
        if not output.requires_grad:
            raise ValueError("this tensor has no graph: it does not require grad. Build it from "
                             "tensors made with requires_grad=True (and not under no_grad)")
        self.output = output
        self.nodes, self.leaves = _walk(output)
        self.index = {node: i for i, node in enumerate(self.nodes, 1)}
        self._leaf_number = {id(t): i for i, t in enumerate(self.leaves, 1)}
        self._named = {slot(key_of(t)): (name, t) for name, t in (names or {}).items()}
        self._kept = None

    def out_shape(self, key):
        if isinstance(key, Tensor):
            return tuple(key.shape)
        node, index = key
        return tuple(node.output_meta[index][0])

    def name(self, key):
        """A leaf's given name (or leafN); a node output as #N Op (#N:i Op for outputs i > 0)."""
        if slot(key) in self._named:
            return self._named[slot(key)][0]
        if isinstance(key, Tensor):
            return f"leaf{self._leaf_number[id(key)]}" if id(key) in self._leaf_number \
                else "tensor"
        node, index = key
        suffix = f":{index}" if index else ""
        return f"#{self.index[node]}{suffix} {node.name}"

    def value(self, key):
        """The array that flowed along this edge, or None where the graph did not keep it."""
        if isinstance(key, Tensor):
            return key.array
        record = _records.get(key[0])
        if record is not None:
            return record.values[key[1]]
        if self._kept is None:
            self._kept = self._find_kept()
        return self._kept.get(key)

    def ident(self, obj):
        """A short DOT-safe id: leafN for a leaf, opN for the N-th op."""
        if isinstance(obj, Tensor):
            return f"leaf{self._leaf_number.get(id(obj), 0)}"
        return f"op{self.index[obj]}"

    def module_of(self, node):
        record = _records.get(node)
        return None if record is None else record.module

    def _find_kept(self):
        kept = {key_of(t): t.array for _, t in self._named.values() if t.grad_fn is not None}
        kept[key_of(self.output)] = self.output.array
        for node in self.nodes:
            try:
                saved = node.saved_tensors
            except RuntimeError:  # freed by backward(), or changed in place since
                continue
            for t in saved:
                if isinstance(t, Tensor) and t.grad_fn is not None:
                    kept[key_of(t)] = t.array
        return kept


def _walk(output):
    """Every node reachable backward from `output`, sorted by creation order (a node is always
    made after the nodes it depends on), and the leaves in the order they are first used."""
    if output.grad_fn is None:
        return [], [output]
    seen, stack = {output.grad_fn}, [output.grad_fn]
    while stack:
        for edge in stack.pop().next_edges:
            if edge is not None and edge.index is not None and edge.target not in seen:
                seen.add(edge.target)
                stack.append(edge.target)
    nodes = sorted(seen, key=lambda n: n.seq)
    leaves = {}
    for node in nodes:
        for edge in node.next_edges:
            if edge is not None and edge.index is None:
                leaves.setdefault(id(edge.target), edge.target)
    return nodes, list(leaves.values())
