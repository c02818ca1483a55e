import numpy as np
import pytest

import chainrule as cr
from chainrule.data import ArrayDataset, Dataset, Subset, TensorDataset, random_split
from chainrule.data.dataset import batch_fetcher
from chainrule.data.transforms import Compose, Normalize, RandomHorizontalFlip, ToFloat, Transform


def test_tensor_dataset_rows_from_tensors_and_arrays():
    x = cr.randn(5, 3, requires_grad=True)
    y = np.arange(5)
    ds = TensorDataset(x, y)
    assert len(ds) == 5
    xi, yi = ds[2]
    np.testing.assert_array_equal(xi, x.array[2])
    assert yi == 2 and isinstance(xi, np.ndarray)


def test_tensor_dataset_lengths_must_agree():
    with pytest.raises(ValueError, match=r"same first dimension.*\[5, 4\]"):
        TensorDataset(np.zeros((5, 2)), np.zeros(4))


def test_dataset_base_says_what_to_define():
    with pytest.raises(NotImplementedError, match="__getitem__"):
        Dataset()[0]


def test_batch_is_the_stack_of_the_samples():
    ds = ArrayDataset(np.arange(24).reshape(6, 2, 2), np.arange(6) * 10, transform=lambda x: x * 2)
    idx = np.array([4, 0, 3])
    xb, yb = ds.batch(idx)
    np.testing.assert_array_equal(xb, np.stack([ds[i][0] for i in idx]))
    np.testing.assert_array_equal(yb, [40, 0, 30])


def test_subset_and_its_batch_path():
    ds = TensorDataset(np.arange(10) * 1.5)
    sub = Subset(ds, [7, 2, 5])
    assert len(sub) == 3 and sub[0][0] == 10.5
    fetch = batch_fetcher(Subset(sub, [2, 0]))  # subsets of subsets keep the fast path
    np.testing.assert_array_equal(fetch(np.array([0, 1]))[0], [7.5, 10.5])


@pytest.mark.parametrize("n,lengths,sizes", [(100, [60, 30, 10], [60, 30, 10]),
                                             (100, [0.5, 0.5], [50, 50]),
                                             (10, [1 / 3, 1 / 3, 1 / 3], [4, 3, 3])])
def test_random_split_partitions_the_dataset(n, lengths, sizes):
    parts = random_split(TensorDataset(np.arange(n)), lengths, seed=1)
    assert [len(p) for p in parts] == sizes
    seen = np.concatenate([p.indices for p in parts])
    np.testing.assert_array_equal(np.sort(seen), np.arange(n))


def test_random_split_is_seeded():
    ds = TensorDataset(np.arange(50))
    a = random_split(ds, [25, 25], seed=3)[0].indices
    np.testing.assert_array_equal(a, random_split(ds, [25, 25], seed=3)[0].indices)
    assert not np.array_equal(a, random_split(ds, [25, 25], seed=4)[0].indices)
    cr.manual_seed(7)
    b = random_split(ds, [25, 25])[0].indices
    cr.manual_seed(7)
    np.testing.assert_array_equal(b, random_split(ds, [25, 25])[0].indices)


@pytest.mark.parametrize("lengths,message", [([50, 40], "add up to 90"),
                                             ([0.5, 0.4], "add up to 1")])
def test_random_split_bad_lengths(lengths, message):
    with pytest.raises(ValueError, match=message):
        random_split(TensorDataset(np.arange(100)), lengths)


class CountingToFloat(Transform):
    """ToFloat that counts its calls, to see when the dataset converts."""

    deterministic = True

    def __init__(self):
        self.calls = 0

    def batch(self, xs):
        self.calls += 1
        return ToFloat().batch(xs)


def pixels(n=20):
    return np.random.default_rng(0).integers(0, 256, (n, 2, 3, 3)).astype(np.uint8)


def test_deterministic_transform_runs_once_over_all_inputs():
    t = CountingToFloat()
    ds = ArrayDataset(pixels(), np.arange(20), transform=t)
    for idx in ([3, 1], [0, 19, 7], [5]):
        xb, yb = ds.batch(np.array(idx))
        assert xb.dtype == np.float32
        np.testing.assert_array_equal(xb, pixels()[idx] / np.float32(255))
        np.testing.assert_array_equal(yb, idx)
    assert t.calls == 1
    uncached = ArrayDataset(pixels(), np.arange(20), transform=t, cache=False)
    uncached.batch(np.array([0, 1]))
    uncached.batch(np.array([2]))
    assert t.calls == 3


def test_cached_and_per_batch_paths_give_the_same_batches():
    t = Compose([ToFloat(), Normalize((0.3, 0.6), (0.2, 0.5)), RandomHorizontalFlip()])
    cached = ArrayDataset(pixels(), transform=t)
    plain = ArrayDataset(pixels(), transform=t, cache=False)
    for idx in (np.array([4, 2, 9]), np.arange(20)):
        cr.manual_seed(3)
        a, = cached.batch(idx)
        cr.manual_seed(3)
        b, = plain.batch(idx)
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a, b)


def test_a_new_transform_makes_a_new_cache():
    ds = ArrayDataset(pixels(), transform=ToFloat())
    np.testing.assert_array_equal(ds.batch(np.array([1]))[0], pixels()[[1]] / np.float32(255))
    ds.transform = ToFloat(16)
    np.testing.assert_array_equal(ds.batch(np.array([1]))[0], pixels()[[1]] / np.float32(16))
    ds.transform = None
    x, = ds.batch(np.array([1]))
    assert x.dtype == np.uint8
    np.testing.assert_array_equal(x, pixels()[[1]])


def test_plain_functions_run_on_the_samples_fetched():
    calls = []
    ds = ArrayDataset(pixels(), transform=lambda x: calls.append(1) or x * 2)
    ds.batch(np.array([0, 1]))
    ds.batch(np.array([2]))
    assert len(calls) == 3  # once per sample fetched, never over the whole dataset


def test_subsets_batch_through_the_cache():
    ds = ArrayDataset(pixels(), np.arange(20), transform=ToFloat())
    fetch = batch_fetcher(Subset(ds, [7, 2, 5]))
    xb, yb = fetch(np.array([2, 0]))
    np.testing.assert_array_equal(yb, [5, 7])
    np.testing.assert_array_equal(xb, np.stack([ds[5][0], ds[7][0]]))
