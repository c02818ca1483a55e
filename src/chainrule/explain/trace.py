"""`trace(loss)`: the backward pass told node by node.

For every op of the graph, from the loss back to the leaves: its value, the gradient flowing into
it (d loss / d its output), and for each input its local derivative (the op's own backward, fed
ones) and the gradient it sends on (its backward fed the incoming gradient). The gradients that
reach the leaves are checked against `cr.grad` on the same graph."""
from dataclasses import dataclass

import numpy as np

from ..autograd import grad as engine_grad
from ..autograd import no_grad
from ..tensor import Tensor
from .graph import Graph, edge_key, key_of, slot
from .report import Document, Section, Table, number

SMALL = 8  # tensors with at most this many elements are printed in full


@dataclass
class Edge:
    """What one node sends to one of its inputs."""
    source: object   # the input's key (leaf tensor, or (node, output index))
    local: np.ndarray  # d(sum of the node's outputs)/d(input): the op's derivative alone
    grad: np.ndarray   # d loss/d(input) along this edge: the incoming gradient through the op


@dataclass
class Step:
    node: object
    value: object      # the node's output (None where the graph did not keep it)
    grad_in: np.ndarray  # d loss / d(output): everything that flowed in from later ops
    edges: list


class Trace:
    """The result of `trace`: `steps` in the order the ops ran, `grads` (d loss / d each leaf),
    printable as text (`str(t)`), Markdown (`t.render("md")`) or a dict (`t.to_dict()`)."""

    def __init__(self, graph, steps, grads):
        self.graph, self.steps, self.grads = graph, steps, grads

    def leaf_grad(self, leaf):
        return self.grads.get(id(leaf))

    def document(self):
        g = self.graph
        table = Table(["node", "op", "value", "grad in (dL/d out)", "input",
                       "local d out/d in", "grad out (to input)"])
        for step in self.steps:
            head = [f"#{g.index[step.node]}", step.node.name,
                    _show(step.value, g.out_shape((step.node, 0))), _show(step.grad_in, None)]
            for edge in step.edges or [None]:
                tail = ["(constant inputs only)", "", ""] if edge is None else \
                    [g.name(edge.source), _show(edge.local, None), _show(edge.grad, None)]
                table.rows.append(head + tail)
                head = ["", "", "", ""]
        leaves = Table(["leaf", "shape", "value", "gradient dL/d leaf"],
                       [[g.name(leaf), str(tuple(leaf.shape)), _show(leaf.array, leaf.shape),
                         _show(self.leaf_grad(leaf), leaf.shape)] for leaf in g.leaves])
        return Document(
            "Backward pass, node by node",
            [f"loss = {_show(g.output.array, g.output.shape)}; each op passes on "
             "grad out = grad in x local derivative (for tensors, the local derivative shown is "
             "that of the sum of the op's outputs)."],
            [Section("Ops, in the order they ran", [table]),
             Section("Leaves (checked against cr.grad)", [leaves])])

    def render(self, fmt="text"):
        return self.document().render(fmt)

    def __str__(self):
        return self.render("text")

    def to_dict(self):
        g = self.graph

        def arr(a):
            return None if a is None else np.asarray(a).tolist()
        return {
            "loss": float(np.asarray(g.output.array).reshape(-1)[0]),
            "nodes": [{"id": g.index[s.node], "op": s.node.name,
                       "shape": list(g.out_shape((s.node, 0))), "value": arr(s.value),
                       "grad_in": arr(s.grad_in),
                       "inputs": [{"source": g.name(e.source), "local": arr(e.local),
                                   "grad_out": arr(e.grad)} for e in s.edges]}
                      for s in self.steps],
            "leaves": [{"name": g.name(leaf), "shape": list(leaf.shape),
                        "value": arr(leaf.array), "grad": arr(self.leaf_grad(leaf))}
                       for leaf in g.leaves],
        }


def _show(a, shape):
    if a is None:
        return "(not kept)" if shape is not None else "-"
    a = np.asarray(a)
    return number(a) if a.size <= SMALL else f"{a.shape} tensor, mean {number(a.mean(), 4)}"


def trace(loss, names=None, check=True):
    """Walks backward from `loss` (a tensor with one element) and records what every op does.

    Call it before `loss.backward()` (or after one with retain_graph=True): it needs the arrays
    the graph saved. `names` ({"x": x, "w": w}) labels tensors; values the graph did not keep
    show as "(not kept)" unless the graph was built inside `cr.explain.recording()`."""
    graph = Graph(loss, names)
    if loss.numel() != 1:
        raise ValueError(f"trace: expected a loss with one element, got shape {tuple(loss.shape)}; "
                         "reduce it first (loss.sum() or loss.mean())")
    grads = {slot(key_of(loss)): _ones((loss.shape, loss.dtype, type(loss.array)))}
    steps = []
    with no_grad():
        for node in reversed(graph.nodes):
            metas = node._outputs_meta
            grad_in = [grads.get((node, i)) for i in range(len(metas))]
            grad_in = [_zeros(m) if g is None else g for g, m in zip(grad_in, metas)]
            sent = _backward(node, grad_in)
            local = _backward(node, [_ones(m) for m in metas])
            edges = []
            for edge, g, d in zip(node.next_edges, sent, local):
                if edge is None or g is None:
                    continue
                g, d = _fit(g, edge), _fit(d, edge)
                into = slot(edge_key(edge))
                grads[into] = g if into not in grads else grads[into] + g
                edges.append(Edge(edge_key(edge), d.numpy(), g.numpy()))
            steps.append(Step(node, graph.value((node, 0)), grad_in[0].numpy(), edges))
    steps.reverse()
    leaf_grads = {id(leaf): grads[id(leaf)].numpy() for leaf in graph.leaves if id(leaf) in grads}
    if check:
        _check(loss, graph.leaves, leaf_grads)
    return Trace(graph, steps, leaf_grads)


def _backward(node, grads):
    """The node's backward, called as the engine calls it; one gradient (or None) per input."""
    try:
        out = type(node).backward(node, *grads)
    except RuntimeError as e:
        raise RuntimeError(f"trace: cannot walk back through {node.name}: {e}") from None
    out = tuple(out) if isinstance(out, (tuple, list)) else (out,)
    return out + (None,) * (len(node.next_edges) - len(out))


def _fit(g, edge):
    """As the engine does at every edge: a broadcast gradient is summed back to the input's
    shape and cast to its dtype."""
    shape, dtype = tuple(edge[2]), edge[3]
    if tuple(g.shape) != shape:
        g = g.sum_to(shape)
    return g if g.dtype == dtype else g.to(dtype)


def _zeros(meta):
    """Zeros of a node output's shape and dtype, on its device (meta = shape, dtype, array type)."""
    return Tensor.zeros_for(*meta)


def _ones(meta):
    return _zeros(meta) + 1


def _check(loss, leaves, leaf_grads):
    """The told story must add up to what the engine computes on the same graph."""
    wanted = [leaf for leaf in leaves if leaf.requires_grad]
    if not wanted:
        return
    reference = engine_grad(loss, wanted, retain_graph=True, allow_unused=True)
    for leaf, ref in zip(wanted, reference):
        mine = leaf_grads.get(id(leaf))
        if (ref is None) != (mine is None) or (ref is not None and not np.allclose(
                mine, ref.numpy(), rtol=1e-6, atol=1e-12)):
            raise RuntimeError("trace: the gradient added up node by node differs from cr.grad "
                               f"for a leaf of shape {tuple(leaf.shape)}; please report this")
