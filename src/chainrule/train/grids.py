"""Many small images as one picture: a grid of tiles, saved as a PNG (matplotlib)."""
import numpy as np

from .plots import _pyplot


def save_image_grid(images, path, nrow=8, value_range=None, padding=2):
    """Tiles `images` (N, C, H, W), a Tensor or an array with C = 1 (gray) or 3 (RGB), into rows
    of `nrow`, `padding` black pixels around each tile, and writes the grid to the PNG `path`.
    Values in `value_range` (low, high) map linearly to black .. white, clipped outside it; by
    default (-1, 1) when any value is negative (a tanh generator's output), else (0, 1).
    Returns the grid as uint8 (rows, columns, 3)."""
    plt = _pyplot()
    grid = make_grid(_to_unit(_host(images), value_range), nrow, padding)
    pixels = np.round(grid * 255).astype(np.uint8)
    plt.imsave(path, pixels)
    return pixels


def make_grid(images, nrow=8, padding=2):
    """(N, C, H, W) -> one (rows, columns, 3) array: image i at tile row i // nrow, column
    i % nrow; C = 1 is repeated to gray RGB; unfilled tiles and padding are 0."""
    if nrow < 1 or padding < 0:
        raise ValueError(f"make_grid: expected nrow >= 1 and padding >= 0, got nrow={nrow}, "
                         f"padding={padding}")
    n, channels, height, width = images.shape
    if channels == 1:
        images = np.repeat(images, 3, axis=1)
    cols = min(nrow, n)
    rows = -(-n // cols)
    tiles = np.zeros((rows * cols, 3, height + padding, width + padding), images.dtype)
    tiles[:n, :, padding:, padding:] = images
    # (rows, cols, 3, h, w) -> (rows, h, cols, w, 3): tiles side by side, then a final border
    grid = tiles.reshape(rows, cols, 3, height + padding, width + padding)
    grid = grid.transpose(0, 3, 1, 4, 2).reshape(rows * (height + padding),
                                                 cols * (width + padding), 3)
    return np.pad(grid, ((0, padding), (0, padding), (0, 0)))


def _host(images):
    """A NumPy array of a Tensor (any device, detached) or an array-like, checked for shape."""
    if hasattr(images, "detach"):
        images = images.detach().cpu().numpy()
    images = np.asarray(images, dtype=np.float64)
    if images.ndim != 4 or images.shape[1] not in (1, 3) or images.shape[0] == 0:
        raise ValueError(f"save_image_grid: expected images of shape (N, C, H, W) with N >= 1 "
                         f"and C = 1 or 3, got {images.shape}")
    return images


def _to_unit(images, value_range):
    low, high = value_range or ((-1.0, 1.0) if images.min() < 0 else (0.0, 1.0))
    if not high > low:
        raise ValueError(f"save_image_grid: value_range must be (low, high) with low < high, "
                         f"got {value_range}")
    return np.clip((images - low) / (high - low), 0.0, 1.0)
