"""Published results, reproduced by the scripts in examples/ on the real data: the accuracy
reached is asserted, not merely that the loss moved."""
import importlib.util
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def example(name):
    spec = importlib.util.spec_from_file_location(name, EXAMPLES / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_xor_2_2_1_is_solved_from_most_starts():
    results = example("xor_1986").main(seeds=10, max_sweeps=5000)
    assert sum(s is not None for s in results.values()) >= 8


def test_symmetry_6_2_1_is_solved_as_in_1986():
    results = example("symmetry_1986").main(seeds=3, max_sweeps=15000)
    assert sum(s is not None for s in results.values()) >= 2


@pytest.mark.parametrize("recipe, target", [("mnist-mlp", 0.982), ("mnist-lenet5", 0.990),
                                            ("fashion-mlp", 0.88), ("fashion-cnn", 0.91)])
def test_published_accuracy(recipe, target):
    accuracy, _ = example("reproduce").run(recipe, progress=False)
    assert accuracy >= target, f"{recipe}: {accuracy:.4f} < {target}"
