"""nn.utils.rnn against torch.nn.utils.rnn in float64: padding, packing and unpacking give the
same tensors, batch sizes and indices, and gradients flow back to the sequences the same way."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn.utils import rnn


def sequences(lengths, *trailing):
    rng = np.random.default_rng(0)
    arrays = [rng.standard_normal((n, *trailing)) for n in lengths]
    return [cr.tensor(a, requires_grad=True) for a in arrays], \
        [torch.tensor(a, requires_grad=True) for a in arrays]


def same(got, expected):
    """Equal values (and, for PackedSequences, equal batch sizes and indices)."""
    if hasattr(expected, "batch_sizes"):
        assert got.batch_sizes.tolist() == expected.batch_sizes.tolist()
        for ours, theirs in ((got.sorted_indices, expected.sorted_indices),
                             (got.unsorted_indices, expected.unsorted_indices)):
            assert (ours is None) == (theirs is None)
            if theirs is not None:
                assert ours.tolist() == theirs.tolist()
        got, expected = got.data, expected.data
    assert tuple(got.shape) == tuple(expected.shape)
    assert got.numpy().dtype == expected.detach().numpy().dtype
    np.testing.assert_allclose(got.detach().numpy(), expected.detach().numpy(), rtol=0, atol=0)


def same_gradients(got, expected, ours, theirs):
    """Backpropagates the same random weights through both results onto the sequences."""
    w = np.random.default_rng(1).standard_normal(tuple(expected.shape))
    (got * cr.tensor(w)).sum().backward()
    (expected * torch.tensor(w)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12, atol=0)


@pytest.mark.parametrize("batch_first", [False, True])
@pytest.mark.parametrize("padding_side", ["right", "left"])
@pytest.mark.parametrize("trailing", [(), (2, 3)])
def test_pad_sequence(batch_first, padding_side, trailing):
    ours, theirs = sequences([2, 4, 1], *trailing)
    got = rnn.pad_sequence(ours, batch_first, -1.5, padding_side)
    expected = torch.nn.utils.rnn.pad_sequence(theirs, batch_first, -1.5, padding_side)
    same(got, expected)
    same_gradients(got, expected, ours, theirs)


@pytest.mark.parametrize("lengths, enforce_sorted", [([4, 4, 2, 1], True), ([2, 4, 1, 3], False),
                                                     ([3], True), ([1, 3, 3], False)])
@pytest.mark.parametrize("batch_first", [False, True])
def test_pack_padded_sequence_and_back(lengths, enforce_sorted, batch_first):
    rng = np.random.default_rng(0)
    batch, steps = len(lengths), max(lengths) + 1
    shape = (batch, steps, 2) if batch_first else (steps, batch, 2)
    x = rng.standard_normal(shape)
    ours, theirs = cr.tensor(x, requires_grad=True), torch.tensor(x, requires_grad=True)
    packed = rnn.pack_padded_sequence(ours, cr.tensor(lengths), batch_first, enforce_sorted)
    expected = torch.nn.utils.rnn.pack_padded_sequence(theirs, torch.tensor(lengths), batch_first,
                                                       enforce_sorted)
    same(packed, expected)
    for total_length in (None, max(lengths) + 2):
        padded, lens = rnn.pad_packed_sequence(packed, batch_first, 7.0, total_length)
        tpadded, tlens = torch.nn.utils.rnn.pad_packed_sequence(expected, batch_first, 7.0,
                                                                total_length)
        same(padded, tpadded)
        assert lens.tolist() == tlens.tolist() and lens.dtype == cr.int64
    same_gradients(padded, tpadded, [ours], [theirs])


@pytest.mark.parametrize("enforce_sorted", [False, True])
def test_pack_sequence_and_unpack(enforce_sorted):
    lengths = [3, 2, 2, 1] if enforce_sorted else [1, 3, 2]
    ours, theirs = sequences(lengths, 2)
    packed = rnn.pack_sequence(ours, enforce_sorted)
    expected = torch.nn.utils.rnn.pack_sequence(theirs, enforce_sorted)
    same(packed, expected)
    for got, want in zip(rnn.unpack_sequence(packed),
                         torch.nn.utils.rnn.unpack_sequence(expected)):
        same(got, want)
    same_gradients(packed.data, expected.data, ours, theirs)


@pytest.mark.parametrize("batch_first", [False, True])
def test_unpad_sequence(batch_first):
    ours, theirs = sequences([2, 5, 3], 2)
    lengths = [2, 5, 3]
    got = rnn.unpad_sequence(rnn.pad_sequence(ours, batch_first), cr.tensor(lengths), batch_first)
    expected = torch.nn.utils.rnn.unpad_sequence(
        torch.nn.utils.rnn.pad_sequence(theirs, batch_first), torch.tensor(lengths), batch_first)
    for a, b in zip(got, expected, strict=True):
        same(a, b)


def test_packed_sequence_is_a_named_tuple_that_moves_with_its_data():
    packed = rnn.pack_sequence([cr.ones(2, 3), cr.ones(1, 3)])
    data, batch_sizes, sorted_indices, unsorted_indices = packed
    assert batch_sizes.tolist() == [2, 1] and sorted_indices is None and unsorted_indices is None
    assert packed.to(cr.float64).data.dtype == cr.float64
    assert not packed.is_cuda


def test_bad_lengths_are_explained():
    x = cr.zeros(3, 2, 1)
    with pytest.raises(RuntimeError, match=r"pack_padded_sequence: lengths \[1, 3\] must be "
                                           r"sorted longest first, or pass enforce_sorted=False"):
        rnn.pack_padded_sequence(x, [1, 3])
    with pytest.raises(ValueError, match=r"pack_padded_sequence: every sequence must have "
                                         r"length > 0"):
        rnn.pack_padded_sequence(x, [3, 0])
    with pytest.raises(ValueError, match=r"got 3 lengths for a batch of 2"):
        rnn.pack_padded_sequence(x, [3, 2, 1])
    with pytest.raises(ValueError, match=r"a length of 4 is longer than the padded input's 3"):
        rnn.pack_padded_sequence(x, [4, 2])
    with pytest.raises(ValueError, match=r"pad_packed_sequence: total_length 2 is shorter"):
        rnn.pad_packed_sequence(rnn.pack_padded_sequence(x, [3, 2]), total_length=2)
    with pytest.raises(ValueError, match=r"pad_sequence: padding_side must be 'left' or 'right'"):
        rnn.pad_sequence([x], padding_side="middle")


def test_packed_sequence_made_by_hand_gets_its_unsorted_indices():
    packed = rnn.PackedSequence(cr.zeros(3, 1), cr.tensor([2, 1]), cr.tensor([2, 0, 1]))
    expected = torch.nn.utils.rnn.PackedSequence(torch.zeros(3, 1), torch.tensor([2, 1]),
                                                 torch.tensor([2, 0, 1]))
    assert packed.unsorted_indices.tolist() == expected.unsorted_indices.tolist()
