"""Grids, repeats, flips and rotations against PyTorch in float64 (forward, gradients of the op
and of its output squared, finite differences), and the shape functions they sit beside."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op


def _squared(out):
    return tuple(o * o for o in out) if isinstance(out, (tuple, list)) else out * out


CASES = {
    "meshgrid ij": (lambda m, a, b: m.meshgrid(a, b, indexing="ij"), [(3,), (2,)]),
    "meshgrid xy": (lambda m, a, b, c: m.meshgrid([a, b, c], indexing="xy"), [(3,), (2,), (4,)]),
    "meshgrid 0-d": (lambda m, a, b: m.meshgrid(a, b, indexing="xy"), [(), (2,)]),
    "repeat_interleave int": (lambda m, x: m.repeat_interleave(x, 2), [(2, 3)]),
    "repeat_interleave dim": (lambda m, x: x.repeat_interleave(3, dim=1), [(2, 3)]),
    "repeat_interleave counts": (
        lambda m, x: x.repeat_interleave(m.tensor([1, 0, 2]), dim=0, output_size=3), [(3, 2)]),
    "repeat_interleave 0-d": (lambda m, x: x.repeat_interleave(2), [()]),
    "flip": (lambda m, x: m.flip(x, (0, 2)), [(2, 3, 4)]),
    "fliplr": (lambda m, x: m.fliplr(x) + x.fliplr(), [(2, 3, 4)]),
    "flipud": (lambda m, x: m.flipud(x) + x.flipud(), [(3,)]),
    "rot90": (lambda m, x: m.rot90(x), [(2, 3)]),
    "rot90 k=2": (lambda m, x: x.rot90(2, [1, 2]), [(2, 3, 4)]),
    "rot90 k=-1": (lambda m, x: m.rot90(x, -1, (2, 0)), [(2, 3, 4)]),
    "rot90 k=4": (lambda m, x: m.rot90(x, 4), [(2, 3)]),
    "movedim": (lambda m, x: m.movedim(x, (0, 1), (2, 0)), [(2, 3, 4)]),
    "moveaxis": (lambda m, x: x.moveaxis(-1, 0), [(2, 3, 4)]),
    "unflatten -1": (lambda m, x: x.unflatten(-1, (2, -1)), [(3, 6)]),
    "narrow": (lambda m, x: m.narrow(x, 1, 1, 2), [(2, 4)]),
    "narrow negative start": (lambda m, x: x.narrow(-1, -3, 2), [(2, 4)]),
    "unbind": (lambda m, x: m.unbind(x, 1), [(2, 3)]),
}


@pytest.mark.parametrize("name", CASES)
def test_against_torch(name):
    fn, shapes = CASES[name]
    check_op(fn, shapes, name=name)
    check_op(lambda m, *xs: _squared(fn(m, *xs)), shapes, name=f"{name} squared")


def test_repeat_interleave_of_counts_gives_indices():
    counts = [2, 0, 3]
    ours = cr.repeat_interleave(cr.tensor(counts))
    theirs = torch.repeat_interleave(torch.tensor(counts))
    assert ours.dtype == cr.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_errors():
    with pytest.raises(ValueError, match="meshgrid: indexing must be 'ij' or 'xy'"):
        cr.meshgrid(cr.zeros(2), indexing="xyz")
    with pytest.raises(ValueError, match="repeat_interleave: repeats must be one number or one "
                                         "count for each of the 3 slices"):
        cr.zeros(3).repeat_interleave(cr.tensor([1, 2]))
    with pytest.raises(ValueError, match="repeat_interleave: output_size=4 but the repeats add up "
                                         "to 6"):
        cr.zeros(3).repeat_interleave(2, output_size=4)
    with pytest.raises(ValueError, match="fliplr: expected a tensor with at least 2 dims"):
        cr.fliplr(cr.zeros(3))
    with pytest.raises(ValueError, match="rot90: the two dims must differ"):
        cr.rot90(cr.zeros(2, 2), 1, (0, -2))
