"""Checkpoints: round trips of everything a training run saves, atomic writes that survive a
kill -9 mid-save, and clear errors for files that are not checkpoints."""
import json
import os
import random
import re
import signal
import struct
import subprocess
import sys
import time

import numpy as np
import pytest
import safetensors.numpy

import chainrule as cr
import chainrule.nn as nn
import chainrule.optim as optim
from chainrule import backend
from chainrule.io import CheckpointError, load, save


class Affine(nn.Module):
    def __init__(self, n_in, n_out):
        super().__init__()
        self.weight = nn.Parameter(cr.randn(n_out, n_in, dtype=cr.float64))
        self.bias = nn.Parameter(cr.zeros(n_out, dtype=cr.float64))
        self.register_buffer("calls", cr.tensor(0))

    def forward(self, x):
        self.calls += 1
        return x @ self.weight.T + self.bias


def make_run():
    model = nn.Sequential(Affine(4, 8), Affine(8, 1))
    opt = optim.Adam([{"params": model[0].parameters()},
                      {"params": model[1].parameters(), "lr": 0.01, "betas": (0.8, 0.9)}],
                     lr=0.05, amsgrad=True)
    sched = optim.lr_scheduler.StepLR(opt, step_size=3, gamma=0.5)
    return model, opt, sched


X = np.random.default_rng(0).standard_normal((32, 4))
Y = np.sin(X.sum(1, keepdims=True))


def train(model, opt, sched, epochs):
    for _ in range(epochs):
        noise = cr.randn(*X.shape, dtype=cr.float64) * 0.01  # uses the RNG, which must resume
        loss = ((model(cr.tensor(X) + noise) - cr.tensor(Y)) ** 2).mean()
        opt.zero_grad()
        loss.backward()
        opt.step()
        sched.step()


def checkpoint(model, opt, sched, epoch):
    return {"model": model.state_dict(), "optimizer": opt.state_dict(),
            "scheduler": sched.state_dict(), "epoch": epoch, "rng": backend.get_rng_state(),
            "notes": {"name": "run-1", "best": float("inf"), "done": False, "parent": None}}


def test_checkpoint_resumes_training_exactly(tmp_path):
    cr.manual_seed(1)
    model, opt, sched = make_run()
    train(model, opt, sched, 10)
    straight = [p.numpy().copy() for p in model.parameters()]

    cr.manual_seed(1)
    model, opt, sched = make_run()
    train(model, opt, sched, 5)
    save(checkpoint(model, opt, sched, 5), tmp_path / "ckpt.safetensors")
    cr.manual_seed(99)  # the resumed run must not depend on the RNG state at the time of loading

    ckpt = load(tmp_path / "ckpt.safetensors")
    model, opt, sched = make_run()
    model.load_state_dict(ckpt["model"])
    opt.load_state_dict(ckpt["optimizer"])
    sched.load_state_dict(ckpt["scheduler"])
    backend.set_rng_state(ckpt["rng"])
    assert ckpt["epoch"] == 5 and ckpt["notes"]["best"] == float("inf")
    assert ckpt["notes"]["done"] is False and ckpt["notes"]["parent"] is None
    assert opt.param_groups[1]["betas"] == (0.8, 0.9)
    assert all(isinstance(k, int) for k in ckpt["optimizer"]["state"])
    train(model, opt, sched, 5)
    for a, b in zip(model.parameters(), straight):
        np.testing.assert_array_equal(a.numpy(), b)
    assert int(model[0].calls) == 10


@pytest.mark.parametrize("dtype", [cr.float16, cr.float32, cr.float64, cr.int32, cr.int64,
                                   cr.uint8, cr.bool])
@pytest.mark.parametrize("shape", [(), (0,), (3,), (2, 0, 3), (2, 3, 4)])
def test_tensors_keep_dtype_shape_and_values(tmp_path, dtype, shape):
    t = cr.tensor(np.random.default_rng(0).standard_normal(shape) * 10, dtype=dtype)
    save(t, tmp_path / "t.safetensors")
    back = load(tmp_path / "t.safetensors")
    assert isinstance(back, cr.Tensor) and back.dtype == dtype and back.shape == shape
    np.testing.assert_array_equal(back.numpy(), t.numpy())


def test_structure_round_trips(tmp_path):
    shared = cr.randn(3, requires_grad=True)
    view = cr.randn(4, 5).T  # not contiguous
    obj = {"a": shared, "b": [shared, (1, 2.5, float("-inf"), None, True, "x")],
           7: {"nan": float("nan"), "np": np.float32(0.5), "array": np.arange(3)},
           (1, "k"): [], "big": 2 ** 100, "view": view, "dot.key": {"x": cr.ones(1)},
           "dot": {"key.x": cr.zeros(1)}}
    save(obj, tmp_path / "s.safetensors")
    back = load(tmp_path / "s.safetensors")
    assert back["a"] is back["b"][0] and back["a"].requires_grad
    assert back["b"][1] == (1, 2.5, float("-inf"), None, True, "x")
    assert np.isnan(back[7]["nan"]) and back[7]["np"] == 0.5
    np.testing.assert_array_equal(back[7]["array"], np.arange(3))
    assert back[(1, "k")] == [] and back["big"] == 2 ** 100
    np.testing.assert_array_equal(back["view"].numpy(), view.numpy())
    assert back["dot.key"]["x"].tolist() == [1.0] and back["dot"]["key.x"].tolist() == [0.0]


def test_file_is_plain_safetensors_with_json_metadata(tmp_path):
    """Any safetensors reader can open it: tensors by readable names, structure as JSON."""
    model, opt, sched = make_run()
    save({"model": model.state_dict()}, tmp_path / "m.safetensors")
    arrays = safetensors.numpy.load_file(tmp_path / "m.safetensors")
    assert set(arrays) == {"model.0.weight", "model.0.bias", "model.0.calls", "model.1.weight",
                           "model.1.bias", "model.1.calls"}
    raw = (tmp_path / "m.safetensors").read_bytes()
    (length,) = struct.unpack("<Q", raw[:8])
    structure = json.loads(json.loads(raw[8:8 + length])["__metadata__"]["structure"])
    assert structure["dict"]["model"]["dict"]["0.weight"]["tensor"] == "model.0.weight"


def test_foreign_safetensors_file_loads_as_a_dict_of_tensors(tmp_path):
    safetensors.numpy.save_file({"w": np.ones((2, 2), np.float32)}, tmp_path / "f.safetensors")
    back = load(tmp_path / "f.safetensors")
    assert list(back) == ["w"] and back["w"].tolist() == [[1.0, 1.0], [1.0, 1.0]]


def test_map_location_cpu_gives_numpy_arrays(tmp_path):
    save({"w": cr.ones(2)}, tmp_path / "c.safetensors")
    back = load(tmp_path / "c.safetensors", map_location="cpu")
    assert isinstance(back["w"].array, np.ndarray) and back["w"].device == "cpu"


@pytest.mark.parametrize("content,expected", [
    (b"", "only 0 bytes"),
    (b"\x05\x00\x00", "only 3 bytes"),
    (b"hello, this is a text file and not a checkpoint at all", "not a safetensors file"),
    (struct.pack("<Q", 9) + b"not json!", "header is not JSON"),
])
def test_foreign_files_raise_clear_errors(tmp_path, content, expected):
    path = tmp_path / "bad.safetensors"
    path.write_bytes(content)
    with pytest.raises(CheckpointError, match=expected) as info:
        load(path)
    assert str(path) in str(info.value)


def test_truncated_file_raises_a_clear_error(tmp_path):
    path = tmp_path / "ckpt.safetensors"
    save({"w": cr.randn(100, 100)}, path)
    data = path.read_bytes()
    for cut in (len(data) - 1, len(data) // 2, 100):
        path.write_bytes(data[:cut])
        with pytest.raises(CheckpointError, match="truncated") as info:
            load(path)
        assert str(path) in str(info.value)


def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError):
        load(tmp_path / "nope.safetensors")
    with pytest.raises(FileNotFoundError, match="does not exist"):
        save({}, tmp_path / "no" / "dir.safetensors")


@pytest.mark.parametrize("obj,message", [
    (nn.Sequential(), "save its .state_dict"),
    ({"f": print}, "'f'"),
    ({"s": {1, 2}}, "set"),
])
def test_unsupported_objects_are_refused_not_pickled(tmp_path, obj, message):
    path = tmp_path / "x.safetensors"
    save({"keep": cr.ones(1)}, path)
    with pytest.raises(TypeError, match=message):
        save(obj, path)
    assert load(path)["keep"].tolist() == [1.0]  # the previous file is untouched


def test_failed_write_leaves_previous_file_and_no_temporary(tmp_path, monkeypatch):
    path = tmp_path / "ckpt.safetensors"
    save({"epoch": 1}, path)

    def crash(*args):
        raise OSError("disk full")
    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        save({"epoch": 2}, path)
    monkeypatch.undo()
    assert load(path) == {"epoch": 1}
    assert os.listdir(tmp_path) == ["ckpt.safetensors"]


CHILD = """
import sys
import chainrule as cr
from chainrule.io import save
i = 0
while True:
    i += 1
    save({"epoch": i, "weights": [cr.full((2_000_000,), float(i)), cr.full((10,), float(i))]},
         sys.argv[1])
    print(i, flush=True)
"""


def kill_child_while_saving(path, delay):
    """Starts CHILD, lets one save complete, then SIGKILLs it after `delay` seconds, or, with
    delay=None, as soon as a temporary file shows that a save is under way."""
    child = subprocess.Popen([sys.executable, "-c", CHILD, str(path)], stdout=subprocess.PIPE,
                             text=True)
    try:
        assert child.stdout.readline().strip()  # one save has completed
        if delay is not None:
            time.sleep(delay)
        else:
            deadline = time.monotonic() + 20
            while not any(n.endswith(".tmp") for n in os.listdir(path.parent)):
                assert time.monotonic() < deadline, "the child never started another save"
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()


def test_kill_during_save_leaves_a_loadable_checkpoint(tmp_path):
    """A child saves an 8 MB checkpoint in a loop and is killed with SIGKILL, at random moments
    and right in the middle of a save: the file always loads and is one whole checkpoint, never
    a mix or a fragment."""
    path = tmp_path / "ckpt.safetensors"
    rng = random.Random(0)
    for delay in (rng.uniform(0.0, 0.3), None, rng.uniform(0.0, 0.3), None):
        kill_child_while_saving(path, delay)
        ckpt = load(path)
        epoch = ckpt["epoch"]
        assert epoch >= 1
        for w in ckpt["weights"]:
            assert (w.numpy() == epoch).all()


def test_no_pickle_is_used(tmp_path, monkeypatch):
    """Saving and loading a whole checkpoint works with pickle disabled, and no module of nn,
    optim or io imports it."""
    import pickle

    def refuse(*args, **kwargs):
        raise AssertionError("pickle was used")
    for name in ("dump", "dumps", "load", "loads", "Pickler", "Unpickler"):
        monkeypatch.setattr(pickle, name, refuse)
    model, opt, sched = make_run()
    train(model, opt, sched, 1)
    save(checkpoint(model, opt, sched, 1), tmp_path / "c.safetensors")
    assert load(tmp_path / "c.safetensors")["epoch"] == 1

    root = os.path.dirname(cr.__file__)
    for package in ("io", "nn", "optim"):
        for folder, _, files in os.walk(os.path.join(root, package)):
            for name in (n for n in files if n.endswith(".py")):
                with open(os.path.join(folder, name)) as f:
                    source = f.read()
                assert not re.search(r"^\s*(import|from)\s+c?pickle|allow_pickle=True", source,
                                     re.M), name


def test_save_and_load_take_file_objects(tmp_path):
    import io
    model = nn.Linear(3, 2)
    buffer = io.BytesIO()
    save(model.state_dict(), buffer)
    buffer.seek(0)
    back = load(buffer)
    assert np.array_equal(back["weight"].numpy(), model.weight.numpy())
    with open(tmp_path / "m.safetensors", "wb") as f:
        save({"epoch": 3, "w": cr.ones(2)}, f)
    with open(tmp_path / "m.safetensors", "rb") as f:
        ckpt = load(f)
    assert ckpt["epoch"] == 3 and ckpt["w"].tolist() == [1.0, 1.0]
    with pytest.raises(CheckpointError, match="not a readable checkpoint"):
        load(io.BytesIO(b"not a checkpoint at all"))


def test_saving_a_whole_module_says_why_and_what_to_do(tmp_path):
    with pytest.raises(TypeError, match=r"whole Linear cannot be saved.*never pickles.*"
                                        r"\.state_dict\(\)"):
        save(nn.Linear(2, 2), tmp_path / "model.safetensors")
    assert not (tmp_path / "model.safetensors").exists()
