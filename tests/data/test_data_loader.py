import collections
import gc
import threading
import time

import numpy as np
import pytest

import chainrule as cr
from chainrule.data import DataLoader, Dataset, TensorDataset, default_collate
from chainrule.data.transforms import (Compose, Normalize, RandomCrop, RandomHorizontalFlip,
                                       ToFloat)


def numbers(n=10):
    return TensorDataset(np.arange(n, dtype=np.float32).reshape(n, 1), np.arange(n))


def order_of(loader):
    return np.concatenate([y.numpy() for _, y in loader])


def prefetch_threads():
    return [t for t in threading.enumerate() if t.name == "chainrule-prefetch"]


class Items(Dataset):
    """One Python call per sample (no `batch`), optionally failing at one index."""

    def __init__(self, n, fail_at=None, delay=0.0):
        self.n, self.fail_at, self.delay = n, fail_at, delay

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        time.sleep(self.delay)
        if i == self.fail_at:
            raise KeyError(f"sample {i} is broken")
        return np.full(2, i, np.float32), i


def test_batches_are_tensors_covering_the_data():
    batches = list(DataLoader(numbers(), batch_size=4))
    assert [len(y) for _, y in batches] == [4, 4, 2]
    x, y = batches[0]
    assert isinstance(x, cr.Tensor) and x.shape == (4, 1) and x.dtype == np.float32
    assert y.dtype == np.int64
    np.testing.assert_array_equal(order_of(batches), np.arange(10))


@pytest.mark.parametrize("drop_last,sizes", [(False, [3, 3, 3, 1]), (True, [3, 3, 3])])
def test_drop_last(drop_last, sizes):
    loader = DataLoader(numbers(), batch_size=3, drop_last=drop_last)
    assert [len(y) for _, y in loader] == sizes and len(loader) == len(sizes)


def test_shuffle_is_a_permutation_that_changes_each_epoch():
    loader = DataLoader(numbers(50), batch_size=8, shuffle=True, seed=0)
    first, second = order_of(loader), order_of(loader)
    np.testing.assert_array_equal(np.sort(first), np.arange(50))
    assert not np.array_equal(first, np.arange(50)) and not np.array_equal(first, second)


def test_shuffle_repeats_with_the_same_seed():
    def epochs(**kw):
        loader = DataLoader(numbers(50), batch_size=8, shuffle=True, **kw)
        return [order_of(loader) for _ in range(2)]
    np.testing.assert_array_equal(epochs(seed=3), epochs(seed=3))
    np.testing.assert_array_equal(epochs(generator=np.random.default_rng(3)), epochs(seed=3))
    assert not np.array_equal(epochs(seed=3)[0], epochs(seed=4)[0])
    cr.manual_seed(11)
    a = epochs()
    cr.manual_seed(11)
    np.testing.assert_array_equal(a, epochs())


def test_random_augmentation_in_the_thread_follows_manual_seed():
    images = np.random.default_rng(0).integers(0, 255, (40, 3, 8, 8)).astype(np.uint8)
    ds = TensorDataset(images, np.arange(40),
                       transform=Compose([RandomCrop(8, padding=2), RandomHorizontalFlip()]))

    def run():
        cr.manual_seed(2)
        out = []
        for x, _ in DataLoader(ds, batch_size=8, shuffle=True):
            out.append(x.numpy())
            cr.randn(100)  # the training loop draws too, while the thread works
        return np.concatenate(out)
    np.testing.assert_array_equal(run(), run())



@pytest.mark.parametrize("transform", [
    ToFloat(),
    Compose([ToFloat(), Normalize((0.5, 0.4, 0.3), (0.2, 0.3, 0.4))]),
    Compose([ToFloat(), RandomCrop(8, padding=2), RandomHorizontalFlip(), Normalize(0.5, 0.25)])])
def test_cached_inputs_give_the_batches_of_per_batch_transforms(transform):
    images = np.random.default_rng(1).integers(0, 256, (45, 3, 8, 8)).astype(np.uint8)

    def epochs(cache):
        ds = TensorDataset(images, np.arange(45), transform=transform, cache=cache)
        loader = DataLoader(ds, batch_size=8, shuffle=True, seed=4)
        return [np.concatenate([x.numpy() for x, _ in loader]) for _ in range(2)]
    cached, plain = epochs(True), epochs(False)
    for a, b in zip(cached, plain):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a, b)
    # a new order each epoch (and with random steps, new crops and flips): epochs differ
    assert not np.array_equal(cached[0], cached[1])


def test_random_steps_after_the_cache_differ_between_epochs():
    images = np.random.default_rng(2).integers(0, 256, (16, 1, 6, 6)).astype(np.uint8)
    ds = TensorDataset(images, transform=Compose([ToFloat(), RandomCrop(6, padding=1)]))
    loader = DataLoader(ds, batch_size=16, seed=0)  # no shuffle: only the crops can change
    [(first,)], [(second,)] = list(loader), list(loader)
    assert first.dtype == np.float32 and not np.array_equal(first.numpy(), second.numpy())


def test_no_transform_gives_the_raw_arrays():
    images = np.random.default_rng(3).integers(0, 256, (10, 1, 4, 4)).astype(np.uint8)
    x, = next(iter(DataLoader(TensorDataset(images), batch_size=10)))
    assert x.dtype == np.uint8
    np.testing.assert_array_equal(x.numpy(), images)


def test_fast_path_fetches_whole_batches():
    class BatchOnly(TensorDataset):
        def __getitem__(self, i):
            raise AssertionError("the loader should not fetch sample by sample")
    ds = BatchOnly(np.arange(12).reshape(6, 2), np.arange(6))
    x, y = next(iter(DataLoader(ds, batch_size=6)))
    np.testing.assert_array_equal(x.numpy(), np.arange(12).reshape(6, 2))


def test_fast_and_item_paths_agree():
    ds = numbers(13)
    fast = list(DataLoader(ds, batch_size=5, shuffle=True, seed=1))
    slow = list(DataLoader(ds, batch_size=5, shuffle=True, seed=1,
                           collate_fn=lambda samples: default_collate(samples)))
    for (a, b), (c, d) in zip(fast, slow):
        np.testing.assert_array_equal(a.numpy(), c.numpy())
        np.testing.assert_array_equal(b.numpy(), d.numpy())


def test_without_thread_gives_the_same_batches():
    threaded = order_of(DataLoader(numbers(30), batch_size=4, shuffle=True, seed=5))
    inline = order_of(DataLoader(numbers(30), batch_size=4, shuffle=True, seed=5, prefetch=0))
    np.testing.assert_array_equal(threaded, inline)


def test_collate_numbers_arrays_and_tensors():
    assert default_collate([1, 2]).dtype == np.int64
    assert default_collate([1.0, 2.0]).dtype == np.float64
    assert default_collate([True, False]).dtype == np.bool_
    assert default_collate([np.float32(1), np.float32(2)]).dtype == np.float32
    t = default_collate([cr.ones(2, 3), cr.zeros(2, 3)])
    assert t.shape == (2, 2, 3) and t.numpy()[0].sum() == 6
    assert default_collate(["a", "b"]) == ["a", "b"]


def test_collate_tuples_dicts_namedtuples():
    Pair = collections.namedtuple("Pair", "image label")
    samples = [{"x": np.ones((2, 2)), "meta": (i, 0.5), "p": Pair(np.zeros(3), i)}
               for i in range(4)]
    batch = default_collate(samples)
    assert batch["x"].shape == (4, 2, 2)
    ids, halves = batch["meta"]
    np.testing.assert_array_equal(ids.numpy(), [0, 1, 2, 3])
    assert halves.dtype == np.float64
    assert isinstance(batch["p"], Pair) and batch["p"].image.shape == (4, 3)


def test_collate_errors_say_what_is_wrong():
    with pytest.raises(RuntimeError, match="different shapes"):
        default_collate([np.zeros(3), np.zeros(4)])
    with pytest.raises(TypeError, match="cannot batch samples of type object"):
        default_collate([object()])


def test_custom_collate_gets_the_samples():
    seen = []
    loader = DataLoader(numbers(5), batch_size=2, collate_fn=lambda s: seen.append(len(s)) or s)
    assert len(list(loader)) == 3 and seen == [2, 2, 1]


def test_exception_in_the_thread_is_raised_in_the_loop():
    received = []
    with pytest.raises(KeyError, match="sample 5 is broken"):
        for x, y in DataLoader(Items(10, fail_at=5), batch_size=2):
            received.append(y.numpy().tolist())
    assert received == [[0, 1], [2, 3]]
    assert not prefetch_threads()


def test_breaking_early_stops_the_thread():
    before = len(prefetch_threads())
    for x, y in DataLoader(Items(10_000, delay=0.001), batch_size=2, prefetch=1):
        break
    gc.collect()
    assert len(prefetch_threads()) == before
    it = iter(DataLoader(Items(10_000), batch_size=2))
    next(it)
    thread = it._thread
    it.close()
    assert not thread.is_alive()
    with pytest.raises(StopIteration):
        next(it)


def test_bad_arguments():
    with pytest.raises(ValueError, match="batch_size must be a positive integer"):
        DataLoader(numbers(), batch_size=0)
    with pytest.raises(ValueError, match="generator= or seed=, not both"):
        DataLoader(numbers(), generator=np.random.default_rng(), seed=1)
