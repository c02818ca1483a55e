"""cr.explain.trace: every node's value, local derivative and gradients, against the chain rule
worked by hand for a tanh neuron."""
import json
import math

import numpy as np
import pytest

import chainrule as cr
from chainrule.explain import recording, trace
from custom_functions import Cube

X1, X2, W1, W2, B, T = 2.0, 0.0, -3.0, 1.0, 6.8813735870195432, 0.25


def neuron():
    leaves = {n: cr.tensor(v, dtype=cr.float64, requires_grad=True)
              for n, v in (("x1", X1), ("x2", X2), ("w1", W1), ("w2", W2), ("b", B))}
    L = leaves
    loss = ((L["x1"] * L["w1"] + L["x2"] * L["w2"] + L["b"]).tanh() - T) ** 2
    return loss, leaves


def test_each_node_matches_the_chain_rule_by_hand():
    with recording():
        loss, leaves = neuron()
    t = trace(loss, names=leaves)
    # by hand: n = x1 w1 + x2 w2 + b, o = tanh(n), L = (o - T)^2
    n = X1 * W1 + X2 * W2 + B
    o = math.tanh(n)
    dL_do = 2 * (o - T)
    dL_dn = dL_do * (1 - o ** 2)
    assert [s.node.name for s in t.steps] == ["Mul", "Mul", "Add", "Add", "Tanh", "Sub",
                                              "PowScalar"]
    mul1, mul2, add1, add2, tanh, sub, square = t.steps
    expected = [  # (value, grad in, [(input, local, grad out)])
        (mul1, X1 * W1, dL_dn, [("x1", W1, dL_dn * W1), ("w1", X1, dL_dn * X1)]),
        (mul2, X2 * W2, dL_dn, [("x2", W2, dL_dn * W2), ("w2", X2, dL_dn * X2)]),
        (add1, X1 * W1 + X2 * W2, dL_dn, [("#1 Mul", 1, dL_dn), ("#2 Mul", 1, dL_dn)]),
        (add2, n, dL_dn, [("#3 Add", 1, dL_dn), ("b", 1, dL_dn)]),
        (tanh, o, dL_do, [("#4 Add", 1 - o ** 2, dL_dn)]),
        (sub, o - T, dL_do, [("#5 Tanh", 1, dL_do)]),
        (square, (o - T) ** 2, 1.0, [("#6 Sub", 2 * (o - T), dL_do)]),
    ]
    for step, value, grad_in, edges in expected:
        assert step.value.item() == pytest.approx(value, rel=1e-12)
        assert step.grad_in.item() == pytest.approx(grad_in, rel=1e-12)
        assert [t.graph.name(e.source) for e in step.edges] == [e[0] for e in edges]
        for edge, (_, local, grad_out) in zip(step.edges, edges):
            assert edge.local.item() == pytest.approx(local, rel=1e-12, abs=1e-15)
            assert edge.grad.item() == pytest.approx(grad_out, rel=1e-12, abs=1e-15)
    hand = {"x1": dL_dn * W1, "x2": dL_dn * W2, "w1": dL_dn * X1, "w2": dL_dn * X2, "b": dL_dn}
    for name, leaf in leaves.items():
        assert t.leaf_grad(leaf).item() == pytest.approx(hand[name], rel=1e-12, abs=1e-15)


def test_without_recording_values_come_from_what_the_graph_kept():
    loss, leaves = neuron()
    t = trace(loss, names=leaves)
    by_op = {s.node.name: s for s in t.steps}
    assert by_op["Tanh"].value is not None      # tanh keeps its output for backward
    assert by_op["Sub"].value is not None       # the square keeps its input
    assert by_op["PowScalar"].value.item() == pytest.approx(loss.item())  # the loss itself
    assert by_op["Add"].value is None           # nothing keeps an add's output
    assert "(not kept)" in str(t)


def test_broadcast_gradients_are_summed_at_the_edge_like_the_engine():
    W = cr.tensor([[0.1, -0.2, 0.3], [0.4, 0.5, -0.6]], requires_grad=True)
    x = cr.tensor([[1.0, 2.0, 3.0], [-1.0, 0.5, 2.0]])
    b = cr.tensor([0.05], requires_grad=True)             # broadcast over 2 x 2
    loss = (x @ W.T + b).relu().mean()
    t = trace(loss, names={"W": W, "b": b})
    gW, gb = cr.grad(loss, [W, b], retain_graph=True)
    assert np.allclose(t.leaf_grad(W), gW.numpy()) and t.leaf_grad(W).shape == (2, 3)
    assert np.allclose(t.leaf_grad(b), gb.numpy()) and t.leaf_grad(b).shape == (1,)
    add = next(s for s in t.steps if s.node.name == "Add")
    assert add.edges[1].grad.shape == (1,)
    # the local derivative of a tensor op: d(sum of outputs)/d input, here one per output
    assert float(add.edges[1].local[0]) == 4.0


def test_the_report_and_dict():
    with recording():
        loss, leaves = neuron()
    t = trace(loss, names=leaves)
    text, md = str(t), t.render("md")
    assert "Tanh" in text and "| #5 | Tanh |" in md
    d = json.loads(json.dumps(t.to_dict()))
    assert d["loss"] == pytest.approx(loss.item())
    assert [n["op"] for n in d["nodes"]][-1] == "PowScalar"
    assert {leaf["name"] for leaf in d["leaves"]} == set(leaves)
    assert all(set(n) == {"id", "op", "shape", "value", "grad_in", "inputs"} for n in d["nodes"])


def test_a_freed_graph_and_a_tensor_loss_are_refused_with_advice():
    loss, _ = neuron()
    loss.backward()
    with pytest.raises(RuntimeError, match="trace: .*retain_graph=True"):
        trace(loss)
    v = cr.tensor([1.0, 2.0], requires_grad=True) * 2
    with pytest.raises(ValueError, match="one element"):
        trace(v)
    with pytest.raises(ValueError, match="does not require grad"):
        trace(cr.tensor(1.0))


def test_recording_copies_values_and_restores_the_engine():
    from chainrule.autograd.function import Function
    apply = Function.__dict__["apply"]
    w = cr.tensor([1.0, 2.0], requires_grad=True)
    with recording():
        loss = (w + 3).sum()
    assert Function.__dict__["apply"] is apply
    with cr.no_grad():
        w += 1  # later updates do not rewrite what was recorded
    t = trace(loss, names={"w": w})
    assert t.steps[0].value.tolist() == [4.0, 5.0]


def test_a_users_own_function_is_traced_too():
    x = cr.tensor([1.0, -2.0], requires_grad=True)
    t = trace(Cube.apply(x).sum(), names={"x": x})
    cube = t.steps[0]
    assert cube.node.name == "Cube" and cube.edges[0].local.tolist() == [3.0, 12.0]
    assert t.leaf_grad(x).tolist() == [3.0, 12.0]
