"""cr.explain.draw: the DOT text parses (with the small DOT reader in dotreader.py) and shows the
graph's ops, leaves, values and gradients; modules fold into boxes; Graphviz renders it when
installed."""
import os
import shutil
import sys

import pytest

import chainrule as cr
from chainrule import nn
from chainrule.explain import draw, recording, to_dot, trace
from chainrule.explain.report import number

sys.path.insert(0, os.path.dirname(__file__))
from dotreader import label_lines, parse_dot  # noqa: E402


def labels(nodes):
    return {k: label_lines(v["label"]) for k, v in nodes.items()}


def small_graph():
    x = cr.tensor([2.0, -1.0], requires_grad=True)
    w = cr.tensor([0.5, 3.0], requires_grad=True)
    with recording():
        loss = ((x * w).tanh() - 0.5).pow(2).sum()
    return loss, {"x": x, "w": w}


def test_every_op_and_leaf_is_drawn_with_its_value_and_gradient():
    loss, names = small_graph()
    name, nodes, edges = parse_dot(to_dot(loss, names=names))
    shown = labels(nodes)
    ops = [lines[0].split(" ")[1] for k, lines in shown.items() if k.startswith("op")]
    assert ops == ["Mul", "Tanh", "Sub", "PowScalar", "Sum"]
    assert {lines[0] for k, lines in shown.items() if k.startswith("leaf")} == {"x", "w"}
    assert set(edges) == {("leaf1", "op1"), ("leaf2", "op1"), ("op1", "op2"), ("op2", "op3"),
                          ("op3", "op4"), ("op4", "op5")}
    t = trace(loss, names=names)
    for step in t.steps:
        lines = shown[f"op{t.graph.index[step.node]}"]
        assert f"value {number(step.value, 4)}" in lines
        assert f"grad {number(step.grad_in, 4)}" in lines
    assert f"grad {number(t.leaf_grad(names['w']), 4)}" in shown["leaf2"]
    assert nodes["op5"]["fillcolor"] == "palegreen"  # the output stands out


def test_quotes_and_backslashes_in_names_survive():
    x = cr.tensor([1.0], requires_grad=True)
    odd = 'my "x" \\ input'
    _, nodes, _ = parse_dot(to_dot((x * 2).sum(), names={odd: x}))
    assert labels(nodes)["leaf1"][0] == odd


class Dense(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(cr.randn(n_out, n_in) * 0.5)
        self.bias = nn.Parameter(cr.zeros(n_out))

    def forward(self, x):
        return (x @ self.weight.T + self.bias).tanh()


def test_modules_fold_into_one_box_each():
    model = nn.Sequential(Dense(3, 4), Dense(4, 2))
    with recording(model):
        loss = model(cr.randn(5, 3)).pow(2).mean()
    _, nodes, edges = parse_dot(to_dot(loss, depth=1, model=model))
    shown = labels(nodes)
    boxes = {k: v for k, v in shown.items() if k.startswith("module")}
    assert sorted(v[0] for v in boxes.values()) == ["0: Dense", "1: Dense"]
    by_name = {v[0]: k for k, v in boxes.items()}
    assert "16 parameters" in boxes[by_name["0: Dense"]]   # 4 x 3 weights + 4 biases
    assert (by_name["0: Dense"], by_name["1: Dense"]) in edges
    assert not any(k.startswith("leaf") for k in nodes)   # parameters folded into their layer
    _, whole, _ = parse_dot(to_dot(loss, depth=0, model=model))
    assert [v[0] for k, v in labels(whole).items() if k.startswith("module")] == ["Sequential"]


def test_big_models_fold_by_themselves_and_depth_needs_a_recording():
    model = nn.Sequential(*[Dense(3, 3) for _ in range(12)])  # 12 x 4 = 48 ops
    with recording(model):
        out = model(cr.randn(2, 3)).sum()
    _, nodes, _ = parse_dot(to_dot(out, model=model))
    assert sum(k.startswith("module") for k in nodes) == 12
    plain = model(cr.randn(2, 3)).sum()
    assert sum(k.startswith("op") for k in parse_dot(to_dot(plain))[1]) == 12 * 4 + 1
    with pytest.raises(ValueError, match="recording"):
        to_dot(plain, depth=1)


def test_without_graphviz_only_the_dot_file_is_written(tmp_path, monkeypatch):
    loss, names = small_graph()
    monkeypatch.setattr(shutil, "which", lambda name: None)
    with pytest.warns(UserWarning, match="dot"):
        written = draw(loss, tmp_path / "g.svg", names=names)
    assert written == [tmp_path / "g.dot"] and not (tmp_path / "g.svg").exists()
    parse_dot((tmp_path / "g.dot").read_text())
    assert draw(loss, tmp_path / "h.dot") == [tmp_path / "h.dot"]


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz's dot is not installed")
def test_graphviz_renders_svg_and_png(tmp_path):
    loss, names = small_graph()
    svg = draw(loss, tmp_path / "g.svg", names=names)[-1]
    png = draw(loss, tmp_path / "g.png", names=names)[-1]
    assert "<svg" in svg.read_text() and "Tanh" in svg.read_text()
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
