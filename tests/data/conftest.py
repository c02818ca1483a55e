import os
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def data_dir():
    """The shared datasets, from $CHAINRULE_DATA. Missing data fails the test (CI provides it)."""
    value = os.environ.get("CHAINRULE_DATA")
    if not value:
        pytest.fail("CHAINRULE_DATA is not set: point it at the folder holding mnist/, "
                    "fashion-mnist/ and tinyshakespeare/ (CI uses ../shared/data)")
    path = Path(value).absolute()
    if not path.is_dir():
        pytest.fail(f"CHAINRULE_DATA={value} is not a folder (resolved to {path})")
    return path


@pytest.fixture
def isolated(monkeypatch, tmp_path):
    """No $CHAINRULE_DATA or mirror, and a cache of our own: the test sees only what it makes."""
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)
    monkeypatch.delenv("CHAINRULE_DATA_MIRROR", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    return tmp_path
