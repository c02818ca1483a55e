"""DataLoader worker processes. Datasets are module-level classes so that they pickle (spawn)."""
import gc
import multiprocessing
import os
import time

import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
from chainrule.data import DataLoader, Dataset, IterableDataset, TensorDataset, get_worker_info
from chainrule.data.transforms import Compose, RandomCrop, RandomHorizontalFlip


class Items(Dataset):
    """One Python call per sample, optionally failing (or dying, or sleeping) at one index."""

    def __init__(self, n, fail_at=None, die_at=None, sleep_at=None):
        self.n, self.fail_at, self.die_at, self.sleep_at = n, fail_at, die_at, sleep_at

    def __len__(self):
        return self.n

    def __getitem__(self, i):
        if i == self.fail_at:
            raise KeyError(f"sample {i} is broken")
        if i == self.die_at:
            os._exit(3)
        if i == self.sleep_at:
            time.sleep(1)
        return np.full(2, i, np.float32), i


class WhoAmI(Dataset):
    """Each sample says which worker made it, with what seed, and draws from every generator."""

    def __len__(self):
        return 8

    def __getitem__(self, i):
        info = get_worker_info()
        return {"id": info.id, "seed": info.seed, "workers": info.num_workers,
                "pid": os.getpid(), "init": INITIALIZED.get(info.id, -1),
                "cr": float(cr.rand(1).item()), "np": float(np.random.random())}


INITIALIZED = {}


def remember_init(worker_id):
    INITIALIZED[worker_id] = worker_id * 10


def worker_children():
    return [p for p in multiprocessing.active_children() if p.name.startswith("chainrule-worker")]


def epoch(loader):
    return [(x.numpy().tolist(), y.numpy().tolist()) for x, y in loader]


@pytest.mark.parametrize("dataset", [Items(23), TensorDataset(np.arange(46.0).reshape(23, 2),
                                                                np.arange(23))])
def test_order_with_workers_is_the_order_without(dataset):
    def epochs(**kw):
        loader = DataLoader(dataset, batch_size=3, shuffle=True, seed=1, **kw)
        return epoch(loader), epoch(loader)
    assert epochs(num_workers=2) == epochs() == epochs(num_workers=2, prefetch_factor=1)
    assert not worker_children()


def test_order_follows_manual_seed_with_workers():
    def run(**kw):
        cr.manual_seed(5)
        return epoch(DataLoader(Items(20), batch_size=4, shuffle=True, **kw))
    assert run(num_workers=2) == run(num_workers=0)


def test_workers_are_seeded_base_seed_plus_id_and_initialized():
    def run():
        cr.manual_seed(3)
        batches = list(DataLoader(WhoAmI(), batch_size=2, num_workers=2,
                                  worker_init_fn=remember_init))
        return {k: np.concatenate([b[k].numpy() for b in batches]) for k in batches[0]}
    first, again = run(), run()
    for key in ("id", "seed", "cr", "np"):
        np.testing.assert_array_equal(first[key], again[key])
    ids = first["id"]
    np.testing.assert_array_equal(ids, [0, 0, 1, 1, 0, 0, 1, 1])  # batches go round-robin
    seeds = {i: set(first["seed"][ids == i].tolist()) for i in (0, 1)}
    assert len(seeds[0]) == len(seeds[1]) == 1 and seeds[1].pop() - seeds[0].pop() == 1
    assert (first["workers"] == 2).all() and (first["init"] == ids * 10).all()
    for generator in ("cr", "np"):  # each worker draws its own numbers
        assert not np.allclose(first[generator][ids == 0][:2], first[generator][ids == 1][:2])
    assert get_worker_info() is None


def test_random_augmentation_in_workers_repeats_under_manual_seed():
    images = np.random.default_rng(0).integers(0, 255, (24, 1, 6, 6)).astype(np.uint8)
    ds = TensorDataset(images, transform=Compose([RandomCrop(6, padding=2),
                                                  RandomHorizontalFlip()]))

    def run(seed):
        cr.manual_seed(seed)
        return np.concatenate([x.numpy() for x, in DataLoader(ds, batch_size=4, num_workers=2)])
    assert np.array_equal(run(0), run(0)) and not np.array_equal(run(0), run(1))


def test_persistent_workers_are_reused_across_epochs():
    def pids(loader):
        return [set(np.concatenate([b["pid"].numpy() for b in loader]).tolist())
                for _ in range(2)]
    kept = DataLoader(WhoAmI(), batch_size=2, num_workers=2, persistent_workers=True)
    first, second = pids(kept)
    assert first == second and len(first) == 2
    fresh_first, fresh_second = pids(DataLoader(WhoAmI(), batch_size=2, num_workers=2))
    assert not fresh_first & fresh_second
    assert len(worker_children()) == 2
    del kept
    gc.collect()
    assert not worker_children()


def test_persistent_workers_after_an_abandoned_epoch():
    loader = DataLoader(Items(30), batch_size=2, num_workers=2, persistent_workers=True)
    next(iter(loader))
    assert epoch(loader) == epoch(DataLoader(Items(30), batch_size=2))


def test_error_in_a_worker_is_raised_with_its_traceback():
    received = []
    with pytest.raises(KeyError) as caught:
        for _, y in DataLoader(Items(10, fail_at=5), batch_size=2, num_workers=2):
            received.append(y.numpy().tolist())
    message = str(caught.value)
    assert "worker process 0" in message and "Traceback" in message
    assert "in __getitem__" in message and "sample 5 is broken" in message
    assert received == [[0, 1], [2, 3]]
    assert not worker_children()


def test_a_worker_that_dies_is_reported():
    with pytest.raises(RuntimeError, match="exited unexpectedly"):
        list(DataLoader(Items(6, die_at=3), batch_size=2, num_workers=2))
    assert not worker_children()


def test_timeout_names_itself():
    with pytest.raises(RuntimeError, match="timed out after 0.2 seconds"):
        list(DataLoader(Items(4, sleep_at=0), batch_size=2, num_workers=1, timeout=0.2))
    assert not worker_children()


def test_leaving_early_stops_the_workers():
    for _ in DataLoader(Items(1000), batch_size=2, num_workers=2):
        break
    gc.collect()
    assert not worker_children()


class Range(IterableDataset):
    """start..stop-1, split between workers by get_worker_info when `split`."""

    def __init__(self, start, stop, split):
        self.start, self.stop, self.split = start, stop, split

    def __iter__(self):
        info = get_worker_info()
        if not self.split or info is None:
            return iter(range(self.start, self.stop))
        return iter(range(self.start + info.id, self.stop, info.num_workers))


class TorchRange(tud.IterableDataset):
    def __init__(self, start, stop, split):
        self.start, self.stop, self.split = start, stop, split

    def __iter__(self):
        info = tud.get_worker_info()
        if not self.split or info is None:
            return iter(range(self.start, self.stop))
        return iter(range(self.start + info.id, self.stop, info.num_workers))


@pytest.mark.parametrize("split", [False, True])
@pytest.mark.parametrize("batch_size,drop_last", [(3, False), (3, True), (None, False)])
def test_iterable_dataset_with_workers_matches_pytorch(split, batch_size, drop_last):
    kw = dict(batch_size=batch_size, drop_last=drop_last, num_workers=2)
    ours = [b.numpy().tolist() if batch_size else b
            for b in DataLoader(Range(0, 11, split), **kw)]
    theirs = [b.tolist() if batch_size else b
              for b in tud.DataLoader(TorchRange(0, 11, split), **kw)]
    assert ours == theirs


def test_spawned_workers_give_the_same_batches():
    # a dataset of chainrule's own: a spawned worker then imports chainrule, not this module
    ds = TensorDataset(np.arange(14.0).reshape(7, 2), np.arange(7))
    spawned = DataLoader(ds, batch_size=2, num_workers=2, multiprocessing_context="spawn")
    assert epoch(spawned) == epoch(DataLoader(ds, batch_size=2))


def test_batch_size_none_and_pin_memory_with_workers():
    loader = DataLoader(Items(5), batch_size=None, num_workers=2, pin_memory=True)
    samples = list(loader)
    assert len(loader) == 5 and [y for _, y in samples] == [0, 1, 2, 3, 4]
    assert isinstance(samples[0][0], cr.Tensor) and samples[0][0].shape == (2,)


@pytest.mark.parametrize("kw", [dict(num_workers=-1), dict(timeout=-1),
                                dict(prefetch_factor=2), dict(persistent_workers=True),
                                dict(num_workers=2, multiprocessing_context="teleport"),
                                dict(multiprocessing_context="spawn")])
def test_bad_worker_options_raise_what_pytorch_raises(kw):
    with pytest.raises(ValueError):
        tud.DataLoader(tud.TensorDataset(torch.zeros(3)), **kw)
    with pytest.raises(ValueError, match="DataLoader: "):
        DataLoader(TensorDataset(np.zeros(3)), **kw)


def test_a_chainrule_generator_fixes_the_order_with_or_without_workers():
    ds = TensorDataset(np.arange(10))

    def order(**kw):
        loader = DataLoader(ds, batch_size=4, shuffle=True,
                            generator=cr.Generator().manual_seed(3), **kw)
        return [b[0].numpy().tolist() for b in loader]
    assert order() == order(num_workers=2) != [[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]]
