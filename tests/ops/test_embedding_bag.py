"""embedding_bag against PyTorch in float64: every mode, with offsets or 2-D bags, weights,
padding_idx and empty bags."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op

INDICES = np.array([1, 2, 4, 5, 4, 3, 2, 9, 0, 2])


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
@pytest.mark.parametrize("offsets,last,padding_idx", [
    ([0, 2, 2, 7], False, None),  # an empty bag
    ([0, 3, 6, 10], True, None),
    ([0, 4], False, 2),
])
def test_embedding_bag_with_offsets(mode, offsets, last, padding_idx):
    def bag(m, weight):
        as_t = m.tensor if m is cr else torch.tensor
        return m.nn.functional.embedding_bag(as_t(INDICES), weight, as_t(np.array(offsets)),
                                             mode=mode, include_last_offset=last,
                                             padding_idx=padding_idx)
    check_op(bag, [(10, 3)], name=f"embedding_bag({mode})")


@pytest.mark.parametrize("mode", ["sum", "mean", "max"])
def test_embedding_bag_2d(mode):
    index = INDICES.reshape(2, 5)
    check_op(lambda m, w: m.nn.functional.embedding_bag(
        m.tensor(index) if m is cr else torch.tensor(index), w, mode=mode), [(10, 4)],
        name=f"embedding_bag 2-D ({mode})")


def test_embedding_bag_per_sample_weights():
    def bag(m, weight, samples):
        as_t = m.tensor if m is cr else torch.tensor
        return m.nn.functional.embedding_bag(as_t(INDICES), weight, as_t(np.array([0, 3, 3])),
                                             mode="sum", per_sample_weights=samples)
    # torch has no second derivative here
    check_op(bag, [(10, 3), (10,)], name="embedding_bag(per_sample_weights)", gradgrad=False)


def test_embedding_bag_says_what_is_wrong():
    w = cr.zeros(4, 2)
    with pytest.raises(ValueError, match="embedding_bag: per_sample_weights needs mode='sum'"):
        cr.nn.functional.embedding_bag(cr.tensor([[0, 1]]), w, per_sample_weights=cr.ones(1, 2))
    with pytest.raises(IndexError, match="embedding_bag: index 7 is out of range"):
        cr.nn.functional.embedding_bag(cr.tensor([[0, 7]]), w)
    with pytest.raises(ValueError, match="embedding_bag: offsets must be"):
        cr.nn.functional.embedding_bag(cr.tensor([0, 1]), w, cr.tensor([1]))
