"""Image grids: the PNG's size, each tile read back in its place, the scaling to gray."""
import matplotlib.image as mpimg
import numpy as np
import pytest

import chainrule as cr
from chainrule.train.grids import save_image_grid

HALF_STEP = 0.5 / 255 + 1e-6  # what rounding to 8 bits may move a value


def tile(png, r, c, height, width, padding):
    top, left = r * (height + padding) + padding, c * (width + padding) + padding
    return png[top:top + height, left:left + width, :3]


@pytest.mark.parametrize("n, nrow, padding", [(10, 4, 2), (6, 3, 0), (3, 8, 1)])
def test_each_tile_is_its_image_scaled_from_minus_one_one(tmp_path, n, nrow, padding):
    images = np.random.default_rng(0).uniform(-1, 1, (n, 1, 5, 7))
    path = tmp_path / "grid.png"
    save_image_grid(images, path, nrow=nrow, padding=padding)
    png = mpimg.imread(path)
    cols = min(nrow, n)
    rows = -(-n // cols)
    assert png.shape[:2] == (rows * (5 + padding) + padding, cols * (7 + padding) + padding)
    for i in range(n):
        got = tile(png, i // nrow, i % nrow, 5, 7, padding)
        expected = (images[i, 0] + 1) / 2
        for channel in range(3):  # gray: the same in red, green and blue
            np.testing.assert_allclose(got[..., channel], expected, atol=HALF_STEP)
    for i in range(n, rows * cols):  # tiles past the last image stay black
        assert not tile(png, i // cols, i % cols, 5, 7, padding).any()


def test_a_tensor_in_zero_one_is_shown_as_is_and_rgb_keeps_its_colours(tmp_path):
    images = cr.rand(4, 3, 6, 6)
    path = tmp_path / "rgb.png"
    save_image_grid(images, path, nrow=2)
    png = mpimg.imread(path)
    for i in range(4):
        np.testing.assert_allclose(tile(png, i // 2, i % 2, 6, 6, 2),
                                   images.numpy()[i].transpose(1, 2, 0), atol=HALF_STEP)


def test_value_range_maps_low_to_black_high_to_white_and_clips(tmp_path):
    images = np.array([[[[0.0, 5.0, 10.0, -3.0, 20.0]]]])
    path = tmp_path / "range.png"
    save_image_grid(images, path, value_range=(0, 10), padding=0)
    np.testing.assert_allclose(mpimg.imread(path)[0, :, 0], [0, 0.5, 1, 0, 1], atol=HALF_STEP)


@pytest.mark.parametrize("images, options, message", [
    (np.zeros((2, 28, 28)), {}, r"expected images of shape \(N, C, H, W\).*got \(2, 28, 28\)"),
    (np.zeros((2, 2, 4, 4)), {}, r"C = 1 or 3, got \(2, 2, 4, 4\)"),
    (np.zeros((2, 1, 4, 4)), {"nrow": 0}, r"make_grid: expected nrow >= 1"),
    (np.zeros((2, 1, 4, 4)), {"value_range": (1, 1)}, r"low < high, got \(1, 1\)")])
def test_bad_input_is_named(tmp_path, images, options, message):
    with pytest.raises(ValueError, match=message):
        save_image_grid(images, tmp_path / "bad.png", **options)
