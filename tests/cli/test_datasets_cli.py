"""`chainrule datasets` through a real subprocess, as a user runs it."""
import os
import subprocess
import sys
from pathlib import Path

import pytest


@pytest.fixture(scope="module")
def data_dir():
    value = os.environ.get("CHAINRULE_DATA")
    if not value or not Path(value).is_dir():
        pytest.fail("CHAINRULE_DATA must name the shared data folder (CI uses ../shared/data)")
    return Path(value).absolute()


def chainrule(*args, env=None, cwd=None):
    """Runs `python -m chainrule datasets ARGS` with only the given data variables set."""
    full_env = {k: v for k, v in os.environ.items()
                if k not in ("CHAINRULE_DATA", "CHAINRULE_DATA_MIRROR", "XDG_CACHE_HOME")}
    full_env.update(env or {})
    return subprocess.run([sys.executable, "-m", "chainrule", "datasets", *map(str, args)],
                          capture_output=True, text=True, env=full_env, cwd=cwd, timeout=120)


def test_list_shows_where_each_dataset_is(data_dir, tmp_path):
    result = chainrule("list", env={"CHAINRULE_DATA": str(data_dir),
                                    "XDG_CACHE_HOME": str(tmp_path)})
    assert result.returncode == 0, result.stderr
    lines = {line.split()[0]: line for line in result.stdout.splitlines() if line.strip()}
    assert str(data_dir / "mnist") in lines["mnist"] and "11.6 MB" in lines["mnist"]
    assert str(data_dir / "tinyshakespeare") in lines["tinyshakespeare"]
    assert "missing (chainrule datasets download cifar10)" in lines["cifar10"]
    assert "scikit-learn" in lines["digits"]


def test_help_shows_examples():
    result = chainrule("--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout and "chainrule datasets download mnist" in result.stdout


@pytest.mark.parametrize("args,message", [
    (["download", "imagenet"], "unknown dataset 'imagenet': choose from mnist,"),
    ([], "say what to do: list, download NAME..., or verify")])
def test_usage_errors_are_one_sentence_with_status_2(args, message):
    result = chainrule(*args)
    assert result.returncode == 2 and result.stderr.startswith("chainrule datasets: " + message)
    assert len(result.stderr.strip().splitlines()) == 1


def test_download_then_verify(data_dir, tmp_path):
    env = {"CHAINRULE_DATA_MIRROR": data_dir.as_uri(), "XDG_CACHE_HOME": str(tmp_path / "c")}
    result = chainrule("download", "tinyshakespeare", "digits", "--root", tmp_path / "d", env=env)
    assert result.returncode == 0, result.stderr
    assert f"tinyshakespeare: ready in {tmp_path / 'd' / 'tinyshakespeare'}" in result.stdout
    assert "digits: nothing to download" in result.stdout
    result = chainrule("verify", "tinyshakespeare", "--root", tmp_path / "d", env=env)
    assert result.returncode == 0 and "input.txt: ok" in result.stdout


def test_verify_finds_a_damaged_file(tmp_path):
    folder = tmp_path / "tinyshakespeare"
    folder.mkdir()
    (folder / "input.txt").write_text("First Citizen:\n")
    result = chainrule("verify", "tinyshakespeare", "--root", tmp_path,
                       env={"XDG_CACHE_HOME": str(tmp_path / "c")})
    assert result.returncode == 1
    assert "DAMAGED, it has 15 bytes instead of 1,115,394" in result.stdout


def test_failed_download_is_one_sentence(tmp_path):
    env = {"CHAINRULE_DATA_MIRROR": (tmp_path / "empty").as_uri(),
           "XDG_CACHE_HOME": str(tmp_path / "c")}
    result = chainrule("download", "tinyshakespeare", env=env)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1
    assert "could not download input.txt" in result.stderr
    assert f"put it in {tmp_path / 'c' / 'chainrule' / 'tinyshakespeare'}" in result.stderr
