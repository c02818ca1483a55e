"""Real PyTorch programs, run as written with torch and again with only their import lines
pointed at chainrule: the numbers they return must agree."""
import os
import sys

import numpy as np
import pytest
import torch

import chainrule as cr

sys.path.insert(0, os.path.dirname(__file__))
from rewrite import load, source, to_chainrule  # noqa: E402

# Per program: rtol and atol, and the keys that hold statistics of each library's own random
# draws (an initializer's spread), compared with the rtol given. Float64 programs agree to
# rounding; the float32 one to float32's.
TOLERANCES = {
    "mnist_convnet": (2e-4, 1e-5, {}),
    "resnet_basicblock": (1e-10, 1e-12, {"kaiming_std": 0.1}),
    "inplace_residual_mlp": (1e-10, 1e-12, {}),
    "char_gpt": (1e-10, 1e-12, {}),
    "augmented_dataset": (1e-10, 1e-12, {}),
    "autoencoder_tools": (1e-10, 1e-12, {}),
    "lbfgs_curve_fit": (1e-8, 1e-12, {}),
    "dcgan": (1e-10, 1e-12, {"init_std": 0.15}),
}


@pytest.fixture
def program_settings():
    """Programs set the default dtype; the tests after them get the usual one back. Torch runs
    on one thread: its thread pool only slows small programs on a busy machine."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
    torch.set_default_dtype(torch.float32)
    cr.set_default_dtype(cr.float32)


@pytest.mark.parametrize("name", sorted(TOLERANCES))
def test_only_import_lines_change(name):
    written, rewritten = source(name, "torch").split("\n"), source(name, "chainrule").split("\n")
    assert len(written) == len(rewritten)
    changed = [(a, b) for a, b in zip(written, rewritten) if a != b]
    assert changed, f"{name} imports nothing from torch"
    for before, after in changed:
        assert before.lstrip().startswith(("import torch", "from torch")), before
        assert "chainrule" in after and "torch" not in after.replace("as torch", ""), after


def test_rewrite_rules():
    assert to_chainrule("import torch") == "import chainrule as torch"
    assert to_chainrule("import torch.nn as nn") == "import chainrule.nn as nn"
    assert to_chainrule("from torch.utils.data import DataLoader") == \
        "from chainrule.utils.data import DataLoader"
    assert to_chainrule("from torch import nn, optim") == "from chainrule import nn, optim"
    assert to_chainrule("    import torchvision") == "    import torchvision"
    assert to_chainrule("x = torch.zeros(3)  # import torch") == "x = torch.zeros(3)  # import torch"
    with pytest.raises(ValueError, match="binds the name torch"):
        to_chainrule("import torch.nn")


def assert_same(ours, theirs, rtol, atol, statistics, where=""):
    """Dicts and lists of numbers equal within tolerance (`statistics` names the keys with an
    rtol of their own); other values exactly equal."""
    if isinstance(theirs, dict):
        assert sorted(ours) == sorted(theirs), where
        for key in theirs:
            assert_same(ours[key], theirs[key], statistics.get(key, rtol), atol, {},
                        f"{where}.{key}")
    elif isinstance(theirs, str):
        assert ours == theirs, where
    else:
        np.testing.assert_allclose(np.asarray(ours, dtype=float),
                                   np.asarray(theirs, dtype=float),
                                   rtol=rtol, atol=atol, err_msg=where)


@pytest.mark.parametrize("name", sorted(TOLERANCES))
def test_program_runs_the_same(name, program_settings):
    theirs = load(name, "torch").main()
    ours = load(name, "chainrule").main()
    assert_same(ours, theirs, *TOLERANCES[name], where=name)
