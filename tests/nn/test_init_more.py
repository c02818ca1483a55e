"""nn.init's truncated normal, sparse, dirac, eye and orthogonal fills against PyTorch's: exact
where the fill is deterministic, statistically (same moments) where it is random."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import init


def both(shape, dtype=cr.float64):
    return cr.empty(*shape, dtype=dtype), torch.empty(*shape, dtype=torch.float64)


@pytest.mark.parametrize("mean,std,a,b", [(0.0, 1.0, -2.0, 2.0), (0.5, 2.0, -1.0, 3.0),
                                          (1.0, 0.5, 1.2, 5.0)])
def test_trunc_normal_has_pytorchs_moments(mean, std, a, b):
    ours, theirs = both((400, 500))
    ours = init.trunc_normal_(ours, mean, std, a, b).numpy()
    theirs = torch.nn.init.trunc_normal_(theirs, mean, std, a, b).numpy()
    assert ours.min() >= a and ours.max() <= b
    assert ours.mean() == pytest.approx(theirs.mean(), abs=0.01 * std)
    assert ours.std() == pytest.approx(theirs.std(), rel=0.01)
    # a quantile, so that the shape is checked too, not only two moments
    assert np.quantile(ours, 0.9) == pytest.approx(np.quantile(theirs, 0.9), abs=0.02 * std)


def test_trunc_normal_in_the_tail_warns_as_pytorch_and_stays_in_bounds():
    ours, theirs = both((100_000,))
    with pytest.warns(UserWarning, match="more than 2 std"):
        ours = init.trunc_normal_(ours, 0.0, 1.0, 3.0, 4.0).numpy()
    with pytest.warns(UserWarning):
        theirs = torch.nn.init.trunc_normal_(theirs, 0.0, 1.0, 3.0, 4.0).numpy()
    assert 3.0 <= ours.min() and ours.max() <= 4.0
    assert ours.mean() == pytest.approx(theirs.mean(), abs=0.01)


def test_trunc_normal_rejects_empty_interval():
    with pytest.raises(ValueError, match="trunc_normal_: expected a < b"):
        init.trunc_normal_(cr.empty(3), a=1.0, b=1.0)


@pytest.mark.parametrize("shape,sparsity", [((10, 7), 0.35), ((50, 20), 0.1), ((4, 3), 0.0)])
def test_sparse_zeroes_as_many_per_column_as_pytorch(shape, sparsity):
    ours, theirs = both(shape)
    ours = init.sparse_(ours, sparsity, std=0.5).numpy()
    theirs = torch.nn.init.sparse_(theirs, sparsity, std=0.5).numpy()
    np.testing.assert_array_equal((ours == 0).sum(0), (theirs == 0).sum(0))


def test_sparse_draws_with_std():
    values = init.sparse_(cr.empty(2000, 100, dtype=cr.float64), 0.5, std=0.2).numpy()
    assert values[values != 0].std() == pytest.approx(0.2, rel=0.02)
    with pytest.raises(ValueError, match="sparse_: expected a 2-D tensor"):
        init.sparse_(cr.empty(2, 3, 4), 0.5)


@pytest.mark.parametrize("shape,groups", [((4, 4, 3), 1), ((6, 4, 3, 3), 2), ((3, 5, 2, 2), 1),
                                          ((8, 2, 3, 3, 3), 4), ((4, 4, 1, 1), 1)])
def test_dirac_equals_pytorch(shape, groups):
    ours, theirs = both(shape)
    np.testing.assert_array_equal(init.dirac_(ours, groups).numpy(),
                                  torch.nn.init.dirac_(theirs, groups).numpy())


def test_dirac_errors():
    with pytest.raises(ValueError, match="dirac_: expected a 3-, 4- or 5-D tensor"):
        init.dirac_(cr.empty(3, 3))
    with pytest.raises(ValueError, match="do not divide into 4 groups"):
        init.dirac_(cr.empty(6, 3, 3), groups=4)


def test_dirac_convolution_passes_input_through():
    x = cr.randn(2, 3, 5, 5)
    weight = init.dirac_(cr.empty(3, 3, 3, 3))
    out = cr.nn.functional.conv2d(x, weight, padding=1)
    np.testing.assert_allclose(out.numpy(), x.numpy(), atol=1e-6)


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 4)])
def test_eye_equals_pytorch(shape):
    ours, theirs = both(shape)
    np.testing.assert_array_equal(init.eye_(ours).numpy(), torch.nn.init.eye_(theirs).numpy())


@pytest.mark.parametrize("shape", [(3, 5), (5, 3), (4, 2, 3, 3)])
def test_orthogonal_is_orthogonal_as_pytorchs(shape):
    ours = init.orthogonal_(cr.empty(*shape, dtype=cr.float64), gain=2.0).numpy()
    flat = ours.reshape(shape[0], -1)
    small = min(flat.shape)
    gram = flat @ flat.T if flat.shape[0] == small else flat.T @ flat
    np.testing.assert_allclose(gram, 4.0 * np.eye(small), atol=1e-10)
    with pytest.raises(ValueError, match="orthogonal_: expected a tensor with at least 2"):
        init.orthogonal_(cr.empty(4))
