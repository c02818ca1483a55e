import os
import sys

import pytest
import torch

import chainrule as cr

sys.path.insert(0, os.path.dirname(__file__))  # tests import the shared helpers (opcheck)


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state."""
    cr.manual_seed(0)
    yield


@pytest.fixture
def torch_float32():
    """Compare with torch's own default dtype, whatever another test module set it to."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    yield
    torch.set_default_dtype(before)
