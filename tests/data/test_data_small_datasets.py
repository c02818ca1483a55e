"""Datasets that need no shared data: CIFAR-10 (on a synthetic archive), Digits, the toys."""
import dataclasses
import hashlib
import io
import tarfile

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DatasetNotFound, download
from chainrule.data.datasets import CIFAR10, Digits, toy
from chainrule.data.datasets import digits as digits_module


# ---- CIFAR-10 ----------------------------------------------------------------------------------
def cifar_archive(path, per_batch=3):
    """A cifar-10-binary.tar.gz in the published layout, with `per_batch` random records per
    batch file; returns {file name: (images, labels)} as written."""
    rng = np.random.default_rng(0)
    written = {}
    with tarfile.open(path, "w:gz") as tar:
        def add(name, data):
            info = tarfile.TarInfo(f"cifar-10-batches-bin/{name}")
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
        add("batches.meta.txt", b"\n".join(c.encode() for c in CIFAR10.classes))
        for name in ["test_batch.bin"] + [f"data_batch_{i}.bin" for i in range(1, 6)]:
            images = rng.integers(0, 256, (per_batch, 3, 32, 32)).astype(np.uint8)
            labels = rng.integers(0, 10, per_batch).astype(np.uint8)
            records = np.concatenate([labels[:, None], images.reshape(per_batch, -1)], axis=1)
            add(name, records.tobytes())
            written[name] = (images, labels)
    return written


@pytest.fixture
def synthetic_cifar(isolated, monkeypatch):
    folder = isolated / "cifar10"
    folder.mkdir()
    archive = folder / "cifar-10-binary.tar.gz"
    written = cifar_archive(archive)
    data = archive.read_bytes()
    fake = download.RemoteFile(archive.name, hashlib.md5(data).hexdigest(), len(data))
    monkeypatch.setattr(CIFAR10, "source", dataclasses.replace(CIFAR10.source, files=(fake,)))
    return isolated, written


def test_cifar_parser_reads_records_in_batch_order(synthetic_cifar):
    root, written = synthetic_cifar
    train = CIFAR10(root=root, train=True, download=False, transform=None)
    test = CIFAR10(root=root, train=False, download=False)
    assert len(train) == 15 and len(test) == 3
    assert train.images.shape == (15, 3, 32, 32) and train.labels.dtype == np.int64
    expected = np.concatenate([written[f"data_batch_{i}.bin"][0] for i in range(1, 6)])
    np.testing.assert_array_equal(train.images, expected)
    np.testing.assert_array_equal(test.labels, written["test_batch.bin"][1])
    x, y = test[1]
    assert x.dtype == np.float32 and x.shape == (3, 32, 32)
    np.testing.assert_allclose(x * 255, written["test_batch.bin"][0][1], atol=1e-4)


def test_cifar_missing_says_what_to_do(isolated):
    with pytest.raises(DatasetNotFound) as error:
        CIFAR10(root=isolated, download=False)
    message = str(error.value)
    for part in ("CIFAR-10", "cifar-10-binary.tar.gz is missing",
                 "chainrule datasets download cifar10", str(isolated / "cifar10"),
                 "https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz"):
        assert part in message


def test_cifar_batch_with_partial_record():
    from chainrule.data.datasets.cifar10 import parse_batch
    with pytest.raises(ValueError, match="not a whole number of 3073-byte records"):
        parse_batch(bytes(3073 + 10))


# ---- Digits --------------------------------------------------------------------------------------
def test_digits_split_is_fixed_and_complete():
    train, test = Digits(train=True), Digits(train=False)
    assert (len(train), len(test)) == (1437, 360)
    x, y = train[0]
    assert x.shape == (1, 8, 8) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1
    assert train.labels.dtype == np.int64 and set(np.unique(test.labels)) == set(range(10))
    assert train.images.max() == 16
    everything = np.concatenate([train.images, test.images]).reshape(1797, 64)
    table = np.loadtxt(digits_module.bundled_file(), delimiter=",")
    np.testing.assert_array_equal(np.sort(everything, axis=0), np.sort(table[:, :64], axis=0))
    np.testing.assert_array_equal(Digits(train=False).images, test.images)


def test_digits_without_scikit_learn(monkeypatch):
    monkeypatch.setattr(digits_module, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match="pip install scikit-learn"):
        Digits()


# ---- toys ----------------------------------------------------------------------------------------
def test_xor_and_parity():
    x, y = toy.xor().arrays
    np.testing.assert_array_equal(x, [[0, 0], [0, 1], [1, 0], [1, 1]])
    np.testing.assert_array_equal(y, [[0], [1], [1], [0]])
    for bits in (3, 5):
        x, y = toy.parity(bits).arrays
        assert x.shape == (2 ** bits, bits) and len(np.unique(x, axis=0)) == 2 ** bits
        np.testing.assert_array_equal(y[:, 0], x.sum(axis=1) % 2)
        assert y.dtype == np.float32


def test_symmetry_has_all_64_patterns_and_8_mirrors():
    x, y = toy.symmetry().arrays
    assert x.shape == (64, 6) and len(np.unique(x, axis=0)) == 64
    assert y.shape == (64, 1) and y.sum() == 8
    for pattern, target in zip(x, y[:, 0]):
        assert target == float(list(pattern) == list(pattern[::-1]))


def test_encoder():
    x, y = toy.encoder(8).arrays
    np.testing.assert_array_equal(x, np.eye(8))
    np.testing.assert_array_equal(y, x)


def test_two_spirals_classic_benchmark():
    x, y = toy.two_spirals().arrays
    assert x.shape == (194, 2) and x.dtype == np.float32 and np.bincount(y).tolist() == [97, 97]
    np.testing.assert_allclose(x[97:], -x[:97])
    radius = np.hypot(*x[:97].T)
    assert radius[0] == pytest.approx(6.5) and np.all(np.diff(radius) < 0)


def test_moons_and_circles():
    x, y = toy.circles(100, noise=0.0, factor=0.3).arrays
    np.testing.assert_allclose(np.hypot(*x.T), np.where(y == 0, 1.0, 0.3), rtol=1e-6)
    x, y = toy.moons(101, noise=0.0).arrays
    assert x.shape == (101, 2) and np.bincount(y).tolist() == [50, 51]
    np.testing.assert_allclose(np.hypot(x[y == 1, 0] - 1, x[y == 1, 1] - 0.5), 1.0, rtol=1e-6)


def test_toy_noise_is_seeded():
    a = toy.moons(50, seed=1).arrays[0]
    np.testing.assert_array_equal(a, toy.moons(50, seed=1).arrays[0])
    assert not np.array_equal(a, toy.moons(50, seed=2).arrays[0])
    cr.manual_seed(4)
    b = toy.circles(50).arrays[0]
    cr.manual_seed(4)
    np.testing.assert_array_equal(b, toy.circles(50).arrays[0])
