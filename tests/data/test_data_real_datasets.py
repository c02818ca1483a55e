"""The datasets in $CHAINRULE_DATA: MNIST, Fashion-MNIST, Tiny Shakespeare."""
import numpy as np
import pytest

from chainrule.data import DataLoader
from chainrule.data.datasets import MNIST, FashionMNIST, TinyShakespeare
from chainrule.data.datasets.mnist import read_idx


@pytest.fixture(scope="module", params=[MNIST, FashionMNIST])
def image_sets(request, data_dir):
    kind = request.param
    return kind, kind(root=data_dir, train=True, download=False), \
        kind(root=data_dir, train=False, download=False)


def test_images_and_labels(image_sets):
    kind, train, test = image_sets
    assert (len(train), len(test)) == (60000, 10000)
    assert train.images.shape == (60000, 1, 28, 28) and train.images.dtype == np.uint8
    assert train.labels.dtype == np.int64 and len(kind.classes) == 10
    for split in (train, test):
        assert set(np.unique(split.labels)) == set(range(10))
    x, y = train[123]
    assert x.shape == (1, 28, 28) and x.dtype == np.float32
    assert 0.0 <= x.min() and x.max() <= 1.0 and x.max() > 0.5
    assert isinstance(y, np.int64) and 0 <= y <= 9
    np.testing.assert_allclose(x * 255, train.images[123])


def test_fashion_classes_are_balanced(data_dir):
    counts = np.bincount(FashionMNIST(root=data_dir, train=False, download=False).labels)
    np.testing.assert_array_equal(counts, [1000] * 10)


def test_raw_pixels_with_no_transform(data_dir):
    raw = MNIST(root=data_dir, train=False, download=False, transform=None)
    x, _ = raw[0]
    assert x.dtype == np.uint8 and x.max() == 255
    xb, _ = next(iter(DataLoader(raw, batch_size=500)))
    assert xb.dtype == np.uint8
    np.testing.assert_array_equal(xb.numpy(), raw.images[:500])


def test_cached_pixels_are_the_per_batch_ones(data_dir):
    def batches(**kw):
        test = MNIST(root=data_dir, train=False, download=False, **kw)
        return list(DataLoader(test, batch_size=1000, shuffle=True, seed=5))
    for (a, y), (b, z) in zip(batches(), batches(cache=False)):
        assert a.dtype == b.dtype == np.float32 and a.shape == (1000, 1, 28, 28)
        np.testing.assert_array_equal(a.numpy(), b.numpy())
        np.testing.assert_array_equal(y.numpy(), z.numpy())


def test_a_loader_epoch_over_mnist(image_sets):
    _, train, _ = image_sets
    seen = 0
    for x, y in DataLoader(train, batch_size=1000, shuffle=True, seed=0):
        assert x.shape == (len(y), 1, 28, 28) and x.dtype == np.float32
        seen += len(y)
    assert seen == 60000


def test_idx_reader_refuses_other_files(tmp_path):
    import gzip
    bad = tmp_path / "bad.gz"
    bad.write_bytes(gzip.compress(b"\x00\x00\x08\x01" + (5).to_bytes(4, "big") + b"abc"))
    with pytest.raises(ValueError, match=r"holds 3 bytes of data.*\(5,\)"):
        read_idx(bad, ndim=1)
    with pytest.raises(ValueError, match="IDX file of unsigned bytes with 3 dimensions"):
        read_idx(bad, ndim=3)
    (tmp_path / "plain").write_bytes(b"not gzip at all")
    with pytest.raises(ValueError, match="not a readable gzip file"):
        read_idx(tmp_path / "plain", ndim=1)


@pytest.fixture(scope="module")
def shakespeare(data_dir):
    return (TinyShakespeare(root=data_dir, split="train", block_size=16, download=False),
            TinyShakespeare(root=data_dir, split="val", block_size=16, download=False))


def test_text_vocabulary_and_split(shakespeare):
    train, val = shakespeare
    assert train.vocab_size == 65 and train.chars == sorted(set(train.text))
    assert len(train.data) + len(val.data) == len(train.text) == 1115394
    assert train.decode(np.concatenate([train.data, val.data])) == train.text
    assert train.decode(train.encode("To be, or not to be")) == "To be, or not to be"
    with pytest.raises(ValueError, match="'#' is not in the vocabulary"):
        train.encode("a#b")


def test_text_windows_shift_by_one(shakespeare):
    train, val = shakespeare
    x, y = val[10]
    assert x.shape == y.shape == (16,) and x.dtype == np.int64
    np.testing.assert_array_equal(x[1:], y[:-1])
    assert val.decode(x) + val.decode(y[-1:]) == val.decode(val.data[10:27])
    assert len(train) == len(train.data) - 16
    xb, yb = train.batch(np.array([5, 0, len(train) - 1]))
    np.testing.assert_array_equal(xb[0], train[5][0])
    np.testing.assert_array_equal(yb[2], train[-1][1])
    with pytest.raises(IndexError):
        train[len(train)]
