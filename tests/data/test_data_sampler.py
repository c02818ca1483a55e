import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
from chainrule.data import (BatchSampler, DataLoader, RandomSampler, Sampler, SequentialSampler,
                            SubsetRandomSampler, TensorDataset, WeightedRandomSampler)


def test_sequential_sampler_matches_pytorch():
    data = range(7)
    assert list(SequentialSampler(data)) == list(tud.SequentialSampler(data))
    assert len(SequentialSampler(data)) == 7


@pytest.mark.parametrize("size,drop_last", [(3, False), (3, True), (7, False), (10, True)])
def test_batch_sampler_matches_pytorch(size, drop_last):
    ours = BatchSampler(SequentialSampler(range(7)), size, drop_last)
    theirs = tud.BatchSampler(tud.SequentialSampler(range(7)), size, drop_last)
    assert list(ours) == list(theirs) and len(ours) == len(theirs)
    # any iterable of indices works as the inner sampler, as in PyTorch
    assert list(BatchSampler([5, 1, 4], 2, drop_last)) == \
        list(tud.BatchSampler([5, 1, 4], 2, drop_last))


def test_random_sampler_is_a_new_permutation_each_epoch():
    sampler = RandomSampler(range(50), generator=np.random.default_rng(0))
    first, second = list(sampler), list(sampler)
    assert sorted(first) == sorted(second) == list(range(50)) and first != second
    assert len(sampler) == 50 and all(type(i) is int for i in first)


def test_random_sampler_num_samples_and_replacement():
    more = list(RandomSampler(range(4), num_samples=10, generator=1))
    assert len(more) == 10 and sorted(more[:4]) == sorted(more[4:8]) == [0, 1, 2, 3]
    assert set(more[8:]) <= {0, 1, 2, 3} and len(set(more[8:])) == 2
    drawn = list(RandomSampler(range(3), replacement=True, num_samples=300, generator=2))
    assert len(drawn) == 300 and set(drawn) == {0, 1, 2}
    assert len(RandomSampler(range(3), num_samples=5)) == len(
        tud.RandomSampler(range(3), num_samples=5)) == 5


def test_random_samplers_follow_manual_seed_or_their_generator():
    def draws(generator=lambda: None):
        return [list(RandomSampler(range(20), generator=generator())),
                list(SubsetRandomSampler([3, 5, 7, 9], generator=generator())),
                list(WeightedRandomSampler([1.0, 2.0, 3.0], 10, generator=generator()))]
    cr.manual_seed(4)
    a = draws()
    cr.manual_seed(4)
    assert draws() == a and draws() != a
    assert draws(lambda: np.random.default_rng(9)) == draws(lambda: 9)


def test_subset_random_sampler_permutes_the_given_indices():
    indices = [10, 3, 7, 42]
    got = list(SubsetRandomSampler(indices, generator=0))
    assert sorted(got) == sorted(indices) and len(SubsetRandomSampler(indices)) == 4


def test_weighted_sampler_follows_the_weights():
    weights = np.array([1.0, 0.0, 3.0, 4.0])
    drawn = np.array(list(WeightedRandomSampler(weights, 40_000, generator=0)))
    frequencies = np.bincount(drawn, minlength=4) / len(drawn)
    np.testing.assert_allclose(frequencies, weights / weights.sum(), atol=0.01)
    without = list(WeightedRandomSampler(cr.tensor(weights), 3, replacement=False, generator=1))
    assert sorted(without) == [0, 2, 3]


@pytest.mark.parametrize("make", [
    lambda m: m.RandomSampler(range(3), replacement=1),
    lambda m: m.RandomSampler([]),
    lambda m: m.RandomSampler(range(3), num_samples=0),
    lambda m: m.WeightedRandomSampler([1.0, 2.0], 0),
    lambda m: m.WeightedRandomSampler([1.0, 2.0], 3, replacement=0),
    lambda m: m.WeightedRandomSampler([[1.0, 2.0]], 3),
    lambda m: m.BatchSampler(range(3), 0, False),
    lambda m: m.BatchSampler(range(3), True, False),
    lambda m: m.BatchSampler(range(3), 2, drop_last=1)])
def test_bad_sampler_arguments_raise_what_pytorch_raises(make):
    with pytest.raises(Exception) as theirs:
        make(tud)
    with pytest.raises(theirs.type):
        make(cr.data)


def test_sampler_base_needs_iter():
    with pytest.raises(NotImplementedError, match="__iter__"):
        iter(Sampler())


def numbers(n):
    return TensorDataset(np.arange(n, dtype=np.float64)), tud.TensorDataset(
        torch.arange(n, dtype=torch.float64))


class Reversed(Sampler):
    def __init__(self, n):
        self.n = n

    def __iter__(self):
        return iter(range(self.n - 1, -1, -1))

    def __len__(self):
        return self.n


def as_lists(loader):
    return [[t.numpy().tolist() for t in b] if isinstance(b, list) else b.numpy().tolist()
            for b in loader]


@pytest.mark.parametrize("kw", [dict(sampler=Reversed(9), batch_size=4),
                                dict(sampler=[2, 2, 8, 0]),
                                dict(batch_sampler=[[1, 2], [8], [0, 3, 4]]),
                                dict(sampler=Reversed(9), batch_size=None)])
def test_loader_with_a_sampler_or_batch_sampler_matches_pytorch(kw):
    ours, theirs = numbers(9)
    assert as_lists(DataLoader(ours, **kw)) == as_lists(tud.DataLoader(theirs, **kw))
    assert len(DataLoader(ours, **kw)) == len(tud.DataLoader(theirs, **kw))


def test_loader_with_a_batch_sampler_object():
    ours, theirs = numbers(9)
    a = DataLoader(ours, batch_sampler=BatchSampler(Reversed(9), 2, True))
    b = tud.DataLoader(theirs, batch_sampler=tud.BatchSampler(Reversed(9), 2, True))
    assert as_lists(a) == as_lists(b) and len(a) == len(b) == 4


@pytest.mark.parametrize("kw", [dict(sampler=[0, 1], shuffle=True),
                                dict(batch_sampler=[[0]], batch_size=2),
                                dict(batch_sampler=[[0]], shuffle=True),
                                dict(batch_sampler=[[0]], sampler=[0]),
                                dict(batch_sampler=[[0]], drop_last=True),
                                dict(batch_size=None, drop_last=True)])
def test_mutually_exclusive_loader_options(kw):
    ours, theirs = numbers(3)
    with pytest.raises(ValueError):
        tud.DataLoader(theirs, **kw)
    with pytest.raises(ValueError, match="mutually exclusive"):
        DataLoader(ours, **kw)
