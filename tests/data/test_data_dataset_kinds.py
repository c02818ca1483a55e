import numpy as np
import pytest
import torch
import torch.utils.data as tud

import chainrule as cr
from chainrule.data import (ChainDataset, ConcatDataset, DataLoader, IterableDataset, Subset,
                            TensorDataset, random_split)


def pair(*sizes):
    """The same datasets for chainrule and PyTorch: sample j of part i is (100 * i + j,)."""
    ours = [TensorDataset(np.arange(n) + 100 * i) for i, n in enumerate(sizes)]
    theirs = [tud.TensorDataset(torch.arange(n) + 100 * i) for i, n in enumerate(sizes)]
    return ours, theirs


def test_concat_dataset_matches_pytorch():
    ours, theirs = pair(3, 0, 2, 4)
    a, b = ConcatDataset(ours), tud.ConcatDataset(theirs)
    assert len(a) == len(b) and a.cumulative_sizes == b.cumulative_sizes
    for i in range(-len(b), len(b)):
        assert int(a[i][0]) == int(b[i][0])
    for i in (len(b), -len(b) - 1):
        with pytest.raises(Exception) as theirs_error:
            b[i]
        with pytest.raises(theirs_error.type, match="out of range"):
            a[i]
    added = ours[0] + ours[2]
    assert isinstance(added, ConcatDataset) and len(added) == 5


def test_concat_dataset_refuses_what_pytorch_refuses():
    with pytest.raises(ValueError, match="empty"):
        ConcatDataset([])
    with pytest.raises(TypeError, match="ChainDataset"):
        ConcatDataset([Stream(3)])


class Stream(IterableDataset):
    def __init__(self, n, start=0):
        self.n, self.start = n, start

    def __iter__(self):
        return iter(range(self.start, self.start + self.n))

    def __len__(self):
        return self.n


class TorchStream(tud.IterableDataset):
    def __init__(self, n, start=0):
        self.n, self.start = n, start

    def __iter__(self):
        return iter(range(self.start, self.start + self.n))


def test_chain_dataset_and_adding_streams():
    chained = ChainDataset([Stream(2), Stream(3, start=10)])
    theirs = tud.ChainDataset([TorchStream(2), TorchStream(3, start=10)])
    assert list(chained) == list(theirs) and len(chained) == 5
    assert list(Stream(2) + Stream(1, start=7)) == [0, 1, 7]
    with pytest.raises(TypeError, match="only supports IterableDataset"):
        ChainDataset([TensorDataset(np.zeros(2))])


@pytest.mark.parametrize("kw", [dict(batch_size=2), dict(batch_size=2, drop_last=True),
                                dict(batch_size=None)])
def test_loader_over_a_stream_matches_pytorch(kw):
    ours = [b.numpy().tolist() if kw["batch_size"] else b for b in DataLoader(Stream(5), **kw)]
    theirs = [b.tolist() if kw["batch_size"] else b for b in tud.DataLoader(TorchStream(5), **kw)]
    assert ours == theirs
    assert len(DataLoader(Stream(5), **kw)) == len(ours)


def test_a_stream_without_length():
    class Endless(IterableDataset):
        def __iter__(self):
            return iter(range(10 ** 9))
    with pytest.raises(TypeError, match="without a length"):
        len(DataLoader(Endless(), batch_size=4))
    assert next(iter(DataLoader(Endless(), batch_size=4))).numpy().tolist() == [0, 1, 2, 3]


@pytest.mark.parametrize("kw", [dict(shuffle=True), dict(sampler=[0, 1]),
                                dict(batch_sampler=[[0]])])
def test_streams_refuse_samplers_as_pytorch_does(kw):
    with pytest.raises(ValueError):
        tud.DataLoader(TorchStream(3), **kw)
    with pytest.raises(ValueError, match="IterableDataset"):
        DataLoader(Stream(3), **kw)


def test_subset_random_split_and_tensor_dataset_behave_as_pytorchs():
    x = np.arange(20.0).reshape(10, 2)
    ours, theirs = TensorDataset(x, np.arange(10)), tud.TensorDataset(torch.tensor(x),
                                                                      torch.arange(10))
    a, b = Subset(ours, [7, 2, 9]), tud.Subset(theirs, [7, 2, 9])
    assert len(a) == len(b) == 3
    for i in range(3):
        np.testing.assert_array_equal(a[i][0], b[i][0].numpy())
        assert int(a[i][1]) == int(b[i][1])
    parts = random_split(ours, [0.5, 0.3, 0.2], generator=np.random.default_rng(0))
    torch_parts = tud.random_split(theirs, [0.5, 0.3, 0.2])
    assert [len(p) for p in parts] == [len(p) for p in torch_parts]
    assert sorted(np.concatenate([p.indices for p in parts]).tolist()) == list(range(10))
    batch = next(iter(DataLoader(parts[0], batch_size=5)))
    assert isinstance(batch, list) and batch[0].shape == (5, 2) and batch[0].dtype == np.float64
    torch_batch = next(iter(tud.DataLoader(torch_parts[0], batch_size=5)))
    assert type(torch_batch) is type(batch) and tuple(torch_batch[0].shape) == batch[0].shape
    assert isinstance(batch[0], cr.Tensor)
