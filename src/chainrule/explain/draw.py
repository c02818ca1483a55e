"""Pictures of computation graphs: Graphviz DOT text, rendered to SVG/PNG where the `dot` program
is installed.

Each op is a box (its name, output shape, and for small tensors its value and the gradient of the
output with respect to it); each leaf is an oval. A big model is drawn one box per module
(`depth`), which needs the module of each op: build the graph inside
`cr.explain.recording(model)`."""
import shutil
import subprocess
import warnings
from pathlib import Path

import numpy as np

from .graph import Graph
from .report import number
from .trace import SMALL, trace

AUTO_COLLAPSE = 40  # graphs with more ops than this are drawn per module when modules are known
RENDERED = (".svg", ".png", ".pdf")


def draw(output, path, depth=None, names=None, model=None):
    """Writes the graph of `output` to `path`: `graph.dot` (DOT only) or `graph.svg`/`.png`/
    `.pdf` (the DOT beside it, and the picture when Graphviz's `dot` is installed). Returns the
    paths written.

    depth: None draws every op, or one box per module for graphs of more than 40 ops; k draws one
    box per module k levels below the model. names: {"x": x} labels tensors; model: its
    parameter names label the leaves."""
    path = Path(path)
    dot_path = path if path.suffix not in RENDERED else path.with_suffix(".dot")
    dot_path.write_text(to_dot(output, depth, names, model))
    written = [dot_path]
    if path.suffix in RENDERED:
        program = shutil.which("dot")
        if program is None:
            warnings.warn(f"draw: Graphviz's `dot` program is not installed, so only "
                          f"{dot_path} was written; install graphviz to get {path.suffix} "
                          "pictures", stacklevel=2)
        else:
            subprocess.run([program, f"-T{path.suffix[1:]}", str(dot_path), "-o", str(path)],
                           check=True, capture_output=True)
            written.append(path)
    return written


def to_dot(output, depth=None, names=None, model=None):
    """The DOT text that `draw` writes."""
    all_names = dict(model.named_parameters()) if model is not None else {}
    all_names.update(names or {})
    graph = Graph(output, all_names)
    has_modules = any(graph.module_of(n) for n in graph.nodes)
    if depth is None and has_modules and len(graph.nodes) > AUTO_COLLAPSE:
        depth = 1
    if depth is not None and not has_modules:
        raise ValueError("draw: depth needs to know which module ran each op; build the output "
                         "inside `with cr.explain.recording(model):`")
    boxes = _Boxes(graph, depth)
    grads = _gradients(graph) if depth is None else {}
    dot = _Dot()
    for leaf in graph.leaves:
        if boxes.alone(leaf):
            dot.node(boxes.of(leaf), _leaf_label(graph, leaf, grads), shape="ellipse",
                     style="filled", fillcolor="lightblue" if leaf.requires_grad else "white")
    for box, module in boxes.modules.items():
        dot.node(box, module.label(), shape="box3d", style="filled", fillcolor="lightyellow")
    for node in graph.nodes:
        if boxes.alone(node):
            colour = "palegreen" if graph.output.grad_fn is node else "whitesmoke"
            dot.node(boxes.of(node), _node_label(graph, node, grads), shape="box",
                     style="filled", fillcolor=colour)
    for node in graph.nodes:
        for edge in node.next_edges:
            if edge is not None:
                dot.edge(boxes.of(edge.target), boxes.of(node))
    return dot.text()


# ---- one box per module ----------------------------------------------------------------------
class _Module:
    def __init__(self, name, kind):
        self.name, self.kind, self.nodes, self.leaves = name, kind, [], []

    def label(self):
        params = sum(int(np.prod(leaf.shape)) for leaf in self.leaves)
        ops = len(self.nodes)
        lines = [f"{self.name}: {self.kind}" if self.name else self.kind,
                 f"out {tuple(self.nodes[-1].output_meta[0][0])}",
                 f"{ops} op" + ("s" if ops > 1 else "")]
        return lines + ([f"{params:,} parameters"] if params else [])


class _Boxes:
    """Where each op and leaf is drawn: in a box of its own, or folded into the box of the
    module (at this depth below the model) that ran it or that owns it as a parameter."""

    def __init__(self, graph, depth):
        self.graph, self.modules, self.where = graph, {}, {}
        if depth is None:
            return
        by_name = {}
        for node in graph.nodes:
            stack = graph.module_of(node) or ()
            if len(stack) > depth:
                name, kind = stack[depth]
                if name not in by_name:
                    by_name[name] = f"module{len(by_name) + 1}"
                    self.modules[by_name[name]] = _Module(name, kind)
                self.modules[by_name[name]].nodes.append(node)
                self.where[graph.ident(node)] = by_name[name]
        users = {}  # leaf -> boxes of the ops that read it
        for node in graph.nodes:
            for edge in node.next_edges:
                if edge is not None and edge.index is None:  # a leaf
                    users.setdefault(id(edge.target), set()).add(self.where.get(graph.ident(node)))
        for leaf in graph.leaves:
            owners = users.get(id(leaf), set())
            if len(owners) == 1 and None not in owners:  # read by one module only: its parameter
                box = next(iter(owners))
                self.modules[box].leaves.append(leaf)
                self.where[graph.ident(leaf)] = box

    def of(self, obj):
        ident = self.graph.ident(obj)
        return self.where.get(ident, ident)

    def alone(self, obj):
        return self.graph.ident(obj) not in self.where


# ---- labels ----------------------------------------------------------------------------------
def _gradients(graph):
    """d output / d every tensor of the graph, where a scalar output's graph can still be walked;
    otherwise the .grad that leaves may hold from an earlier backward()."""
    try:
        t = trace(graph.output) if graph.output.numel() == 1 else None
    except RuntimeError:  # the graph was freed by backward()
        t = None
    grads = {id(leaf): leaf.grad.numpy() for leaf in graph.leaves if leaf.grad is not None}
    if t is not None:
        grads.update(t.grads)
        grads.update({step.node: step.grad_in for step in t.steps})
    return grads


def _small(a):
    """4 significant digits of a small tensor; None for a big one (or none)."""
    return None if a is None or np.size(a) > SMALL else number(a, 4)


def _with_values(lines, value, grad):
    for what, a in (("value", value), ("grad", grad)):
        text = _small(a)
        if text is not None:
            lines.append(f"{what} {text}")
    return lines


def _leaf_label(graph, leaf, grads):
    return _with_values([graph.name(leaf), str(tuple(leaf.shape))], leaf.array,
                        grads.get(id(leaf)))


def _node_label(graph, node, grads):
    key = (node, 0)
    return _with_values([graph.name(key), str(graph.out_shape(key))], graph.value(key),
                        grads.get(node))


class _Dot:
    """Just enough DOT: nodes with multi-line labels, and edges without repeats."""

    def __init__(self):
        self.lines, self.edges = [], set()

    def node(self, name, lines, **attrs):
        label = "\\n".join(_escape(line) for line in lines)
        extra = "".join(f', {k}="{_escape(v)}"' for k, v in attrs.items())
        self.lines.append(f'  {name} [label="{label}"{extra}];')

    def edge(self, a, b):
        if a != b and (a, b) not in self.edges:
            self.edges.add((a, b))
            self.lines.append(f"  {a} -> {b};")

    def text(self):
        head = ["digraph chainrule {", '  node [fontname="Helvetica", fontsize=11];']
        return "\n".join(head + self.lines + ["}"]) + "\n"


def _escape(text):
    return str(text).replace("\\", "\\\\").replace('"', '\\"')
