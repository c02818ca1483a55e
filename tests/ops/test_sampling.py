"""interpolate's modes, grid_sample and affine_grid against PyTorch in float64."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op, functional

F = cr.nn.functional


# ---- interpolate ------------------------------------------------------------------------------
@pytest.mark.parametrize("kwargs", [
    dict(size=(7, 5), mode="bicubic"),
    dict(size=(7, 5), mode="bicubic", align_corners=True),
    dict(size=(2, 3), mode="bicubic"),
    dict(scale_factor=1.7, mode="bicubic"),
    dict(scale_factor=(0.6, 2.5), mode="bicubic", align_corners=True),
    dict(size=(3, 2), mode="bilinear", antialias=True),
    dict(size=(2, 3), mode="bilinear", antialias=True, align_corners=True),
    dict(scale_factor=0.4, mode="bicubic", antialias=True),
    dict(size=(9, 7), mode="bicubic", antialias=True),  # upsampling too
    dict(size=(9, 2), mode="bilinear", antialias=True),
    dict(size=(3, 4), mode="area"),
    dict(scale_factor=0.5, mode="area"),
    dict(size=(7, 3), mode="nearest-exact"),
    dict(scale_factor=2.3, mode="bilinear", recompute_scale_factor=True),
])
def test_interpolate_2d(kwargs):
    check_op(functional("interpolate", **kwargs), [(2, 2, 5, 6)])


@pytest.mark.parametrize("kwargs", [
    dict(size=(3, 5, 4), mode="trilinear"),
    dict(scale_factor=1.5, mode="trilinear", align_corners=True),
    dict(size=(2, 3, 2), mode="area"),
    dict(scale_factor=(2, 1, 0.5), mode="nearest"),
])
def test_interpolate_3d(kwargs):
    check_op(functional("interpolate", **kwargs), [(1, 2, 3, 4, 4)])


def test_interpolate_large_antialiased_downsampling_matches_torch():
    x = np.random.default_rng(0).standard_normal((1, 2, 37, 29))
    for mode in ("bilinear", "bicubic"):
        for size in ((5, 7), (12, 28), (36, 3)):
            ours = F.interpolate(cr.tensor(x), size=size, mode=mode, antialias=True)
            theirs = torch.nn.functional.interpolate(torch.tensor(x), size=size, mode=mode,
                                                     antialias=True)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), atol=1e-12)


def test_interpolate_argument_errors():
    with pytest.raises(ValueError, match="interpolate: mode 'bicubic' expects 4-D input"):
        F.interpolate(cr.zeros(1, 1, 4), size=3, mode="bicubic")
    with pytest.raises(ValueError, match="interpolate: antialias applies to the modes"):
        F.interpolate(cr.zeros(1, 1, 4, 4), size=3, mode="nearest", antialias=True)
    with pytest.raises(ValueError, match="interpolate: mode must be"):
        F.interpolate(cr.zeros(1, 1, 4, 4), size=3, mode="lanczos")


# ---- grid_sample ------------------------------------------------------------------------------
@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_bilinear(padding_mode, align_corners):
    rng = np.random.default_rng(4)
    inputs = [rng.standard_normal((2, 2, 4, 5)), rng.uniform(-1.4, 1.4, (2, 3, 2, 2))]
    # torch has no second derivative for grid_sample's backward
    check_op(functional("grid_sample", mode="bilinear", padding_mode=padding_mode,
                        align_corners=align_corners), [], inputs=inputs, gradgrad=False)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
@pytest.mark.parametrize("align_corners", [False, True])
def test_grid_sample_nearest(padding_mode, align_corners):
    """Piecewise constant in the grid (no gradient there), linear in the input."""
    rng = np.random.default_rng(5)
    grid = rng.uniform(-1.4, 1.4, (2, 3, 4, 2))

    def sample(m, x):
        g = m.tensor(grid) if m is cr else torch.tensor(grid)
        return m.nn.functional.grid_sample(x, g, mode="nearest", padding_mode=padding_mode,
                                           align_corners=align_corners)
    check_op(sample, [(2, 2, 4, 5)], gradgrad=False)


@pytest.mark.parametrize("padding_mode", ["zeros", "border", "reflection"])
def test_grid_sample_5d(padding_mode):
    rng = np.random.default_rng(6)
    inputs = [rng.standard_normal((1, 2, 3, 4, 3)), rng.uniform(-1.3, 1.3, (1, 2, 2, 3, 3))]
    check_op(functional("grid_sample", padding_mode=padding_mode, align_corners=False), [],
             inputs=inputs, gradgrad=False)


def test_grid_sample_says_what_is_wrong():
    with pytest.raises(ValueError, match="grid_sample: expected input \\(N, C, H, W\\)"):
        F.grid_sample(cr.zeros(1, 1, 4, 4), cr.zeros(1, 2, 2, 3))
    with pytest.raises(ValueError, match="grid_sample: mode must be"):
        F.grid_sample(cr.zeros(1, 1, 4, 4), cr.zeros(1, 2, 2, 2), mode="bicubic")


# ---- affine_grid ------------------------------------------------------------------------------
@pytest.mark.parametrize("size", [(2, 3, 4, 5), (2, 1, 1, 3), (2, 1, 3, 2, 4)])
@pytest.mark.parametrize("align_corners", [False, True])
def test_affine_grid(size, align_corners):
    theta = (2, len(size) - 2, len(size) - 1)
    check_op(lambda m, t: m.nn.functional.affine_grid(t, size, align_corners=align_corners),
             [theta], name="affine_grid")


def test_affine_grid_then_grid_sample_is_the_identity_for_the_identity_map():
    x = cr.tensor(np.random.default_rng(7).standard_normal((2, 3, 4, 5)))
    theta = cr.tensor(np.tile(np.eye(2, 3), (2, 1, 1)))
    grid = F.affine_grid(theta, x.shape, align_corners=False)
    np.testing.assert_allclose(F.grid_sample(x, grid, align_corners=False).numpy(), x.numpy(),
                               atol=1e-12)
