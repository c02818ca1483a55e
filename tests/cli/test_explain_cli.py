"""`chainrule explain` and `chainrule graph` from the command line: the numbers printed are the
hand computation's, the JSON keeps its schema, bad options are one-sentence usage errors, and the
graph command writes DOT that parses."""
import json
import math
import re
import shutil
import sys
from pathlib import Path

import pytest

from chainrule.cli import main

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "explain"))
from dotreader import label_lines, parse_dot  # noqa: E402


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def sigmoid(z):
    return 1 / (1 + math.exp(-z))


def test_default_text_shows_the_classic_step(capsys):
    code, out, _ = run(capsys, "explain", "--steps", "2")
    assert code == 0
    # by hand: h1 = sigmoid(0.15 * 0.05 + 0.2 * 0.1 + 0.35), o1 = sigmoid(0.4 h1 + 0.45 h2 + 0.6)
    h1, h2 = sigmoid(0.15 * 0.05 + 0.2 * 0.1 + 0.35), sigmoid(0.25 * 0.05 + 0.3 * 0.1 + 0.35)
    o1 = sigmoid(0.4 * h1 + 0.45 * h2 + 0.6)
    o2 = sigmoid(0.5 * h1 + 0.55 * h2 + 0.6)
    total = 0.5 * (0.01 - o1) ** 2 + 0.5 * (0.99 - o2) ** 2
    grad_w5 = (o1 - 0.01) * o1 * (1 - o1) * h1
    for value in (h1, h2, o1, o2, total, grad_w5, 0.4 - 0.5 * grad_w5):
        assert format(value, ".9g") in out
    assert "after 2 more steps (3 in all)" in out


def test_markdown(capsys):
    code, out, _ = run(capsys, "explain", "--steps", "0", "--format", "md")
    assert code == 0 and out.startswith("# ")
    assert re.search(r"^\| weight \| w \| dE/dout \|", out, re.M)
    assert "```text" in out


SCHEMA = {  # the shape of `chainrule explain --format json`: key -> type, or a nested schema
    "network": {"inputs": [float], "hidden_weights": [float], "hidden_bias": [float],
                "output_weights": [float], "output_bias": [float], "targets": [float],
                "sizes": [int], "activation": str, "output_activation": str, "loss": str,
                "learning_rate": float, "biases": str},
    "forward": {"hidden": [{"unit": str, "net": float, "out": float}],
                "output": [{"unit": str, "net": float, "out": float}]},
    "errors": {"per_output": [float], "total": float},
    "backward": {
        "output_weights": [{"name": str, "layer": str, "source": str, "target": str,
                            "value": float, "factors": [{"name": str, "value": float}],
                            "gradient": float, "updated": float}],
        "paths": [{"hidden": str, "output": str, "dE_dnet_o": float, "dnet_o_dout_h": float,
                   "term": float}],
        "dE_dout_h": [float],
        "hidden_weights": [{"name": str, "layer": str, "source": str, "target": str,
                            "value": float, "factors": [{"name": str, "value": float}],
                            "gradient": float, "updated": float}]},
    "after": {"update": {"total_error": float},
              "more_steps": {"steps": int, "total_error": float}},
    "checks": {"max_gap_to_backward": float, "max_gap_to_grad": float,
               "max_gap_to_dE_dout_h": float},
}


def conforms(value, schema, where="$"):
    if isinstance(schema, dict):
        assert isinstance(value, dict) and set(value) == set(schema), \
            f"{where}: keys {sorted(value)} != {sorted(schema)}"
        for key, sub in schema.items():
            conforms(value[key], sub, f"{where}.{key}")
    elif isinstance(schema, list):
        assert isinstance(value, list) and value, f"{where}: expected a non-empty list"
        for i, item in enumerate(value):
            conforms(item, schema[0], f"{where}[{i}]")
    elif schema is float:
        assert isinstance(value, (int, float)) and not isinstance(value, bool), where
    else:
        assert isinstance(value, schema), f"{where}: {type(value).__name__} is not {schema}"


@pytest.mark.parametrize("options", [[], ["--activation", "tanh"],
                                     ["--loss", "cross-entropy", "--lr", "0.1"]])
def test_json_schema_and_consistency(capsys, options):
    code, out, _ = run(capsys, "explain", "--steps", "1", "--format", "json", *options)
    assert code == 0
    doc = json.loads(out)
    conforms(doc, SCHEMA)
    weights = doc["backward"]["hidden_weights"] + doc["backward"]["output_weights"]
    assert sorted(w["name"] for w in weights) == [f"w{k}" for k in range(1, 9)]
    lr = doc["network"]["learning_rate"]
    for w in weights:
        product = math.prod(f["value"] for f in w["factors"])
        assert w["gradient"] == pytest.approx(product, rel=1e-12)
        assert w["updated"] == pytest.approx(w["value"] - lr * w["gradient"], rel=1e-12)
    assert doc["checks"]["max_gap_to_grad"] < 1e-12


def test_options_set_the_network(capsys):
    code, out, _ = run(capsys, "explain", "--inputs", "1", "--hidden-weights", "0.5",
                       "--hidden-bias", "0", "--output-weights", "2", "--output-bias", "0",
                       "--targets", "0", "--activation", "relu", "--steps", "0",
                       "--format", "json")
    doc = json.loads(out)
    assert doc["network"]["sizes"] == [1, 1, 1]
    # relu throughout: out = 2 * 0.5 * 1 = 1, E = 1/2, dE/dw2 = out * h = 1 * 0.5
    assert doc["errors"]["total"] == pytest.approx(0.5)
    assert doc["backward"]["output_weights"][0]["gradient"] == pytest.approx(0.5)


@pytest.mark.parametrize("argv, words", [
    (["--hidden-weights", "0.1", "0.2", "0.3"], "whole rows"),
    (["--loss", "cross-entropy", "--activation", "relu"], "must be sigmoid"),
    (["--steps", "-3"], "steps"),
])
def test_bad_options_are_usage_errors(capsys, argv, words):
    code, out, err = run(capsys, "explain", *argv)
    assert code == 2 and out == ""
    assert err.startswith("chainrule explain: ") and words in err


def test_graph_command_writes_dot_that_parses(capsys, tmp_path):
    target = tmp_path / "mlp.dot"
    code, out, _ = run(capsys, "graph", "--model", "mlp", "--hidden", "16",
                       "--out", str(target))
    assert code == 0 and str(target) in out
    _, nodes, edges = parse_dot(target.read_text())
    ops = [label_lines(v["label"])[0] for k, v in nodes.items() if k.startswith("op")]
    assert sum("MatMul" in op for op in ops) == 2 and edges
    weights = [label_lines(v["label"])[0] for k, v in nodes.items() if k.startswith("leaf")]
    assert sorted(weights) == ["1.bias", "1.weight", "3.bias", "3.weight"]


def test_graph_command_by_module(capsys, tmp_path):
    target = tmp_path / "mlp.svg"
    code, out, _ = run(capsys, "graph", "--model", "mlp", "--hidden", "16", "--depth", "1",
                       "--out", str(target))
    assert code == 0
    _, nodes, _ = parse_dot((tmp_path / "mlp.dot").read_text())
    kinds = [label_lines(v["label"])[0] for k, v in nodes.items() if k.startswith("module")]
    # the graph starts where gradients do: Flatten acts on the input only, which needs none
    assert kinds == ["1: Linear", "2: ReLU", "3: Linear"]
    assert target.exists() == (shutil.which("dot") is not None)


def test_graph_command_names_a_bad_model(capsys, tmp_path):
    code, _, err = run(capsys, "graph", "--model", "resnet", "--out", str(tmp_path / "g.dot"))
    assert code == 2 and "unknown model 'resnet'" in err
