"""`trace(loss)`: the backward pass told node by node.

For every op of the graph, from the loss back to the leaves: its value, the gradient flowing into
it (d loss / d its output), and for each input its local derivative (the op's own backward, fed
ones) and the gradient it sends on (its backward fed the incoming gradient). It is the engine's
own walk, observed: the gradients that reach the leaves are those `cr.grad` gives."""
from dataclasses import dataclass

import numpy as np

from ..autograd.engine import backward, vjp, zeros_for
from ..backend import array_module, to_device
from ..tensor import Tensor
from .graph import Graph, edge_key
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
             Section("Leaves", [leaves])])

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


def trace(loss, names=None):
    """Walks backward from `loss` (a tensor with one element) and records what every op does:
    the engine's own walk, observed node by node.

    Call it before `loss.backward()` (or after one with retain_graph=True): it needs the arrays
    the graph saved. `names` ({"x": x, "w": w}) labels tensors; values the graph did not keep
    show as "(not kept)" unless the graph was built inside `cr.explain.recording()`."""
    graph = Graph(loss, names)
    if loss.numel() != 1:
        raise ValueError(f"trace: expected a loss with one element, got shape {tuple(loss.shape)}; "
                         "reduce it first (loss.sum() or loss.mean())")
    steps = []

    def observe(node, grads):
        grads = [zeros_for(meta) if g is None else g for g, meta in zip(grads, node.output_meta)]
        sent = vjp(node, grads)  # what the engine sends on from this node
        local = vjp(node, [zeros_for(meta) + 1 for meta in node.output_meta])  # fed ones
        edges = [Edge(edge_key(edge), _numpy(d), _numpy(g))
                 for edge, g, d in zip(node.next_edges, sent, local)
                 if edge is not None and g is not None]
        steps.append(Step(node, graph.value((node, 0)), _numpy(grads[0]), edges))

    seed = Tensor.wrap(array_module(loss.array).ones_like(loss.array))
    try:
        grads = backward([loss], [seed], retain_graph=True, inputs=graph.leaves,
                         allow_unused=True, observer=observe)
    except RuntimeError as e:
        raise RuntimeError(f"trace: cannot walk the graph back: {e}") from None
    steps.reverse()
    leaf_grads = {id(leaf): g.numpy() for leaf, g in zip(graph.leaves, grads) if g is not None}
    return Trace(graph, steps, leaf_grads)


def _numpy(a):
    return np.asarray(to_device(getattr(a, "array", a), "cpu"))
