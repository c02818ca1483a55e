import os
import sys

import pytest

import chainrule as cr

sys.path.insert(0, os.path.dirname(__file__))  # tests import the shared helpers (opcheck)


@pytest.fixture(autouse=True)
def _seeded():
    """Every test starts from the same random state."""
    cr.manual_seed(0)
    yield
