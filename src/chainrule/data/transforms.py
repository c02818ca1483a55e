"""Transforms for image samples held as NumPy arrays of shape (C, H, W).

Each transform is written once, for a stack of images (N, C, H, W), in `batch`; calling it on one
sample runs `batch` on a stack of one. The DataLoader's fast path calls `batch` on whole batches,
so augmentation costs a few array operations per batch, not a Python call per image. Random
transforms draw from chainrule's seeded generator (see `rng`), one draw per image.
Deterministic ones (`deterministic = True`: ToFloat, Normalize) give the same result whatever
the batch, so an in-memory dataset may apply them once to all its samples (see
`split_deterministic` and `ArrayDataset`).

    transform = Compose([ToFloat(), RandomCrop(32, padding=4), RandomHorizontalFlip(),
                         Normalize((0.49, 0.48, 0.45), (0.25, 0.24, 0.26))])"""
import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from . import rng as _rng


def apply_batch(transform, xs):
    """`transform` applied to every sample of the stack `xs`: in one call when the transform has a
    `batch` method, else sample by sample (any plain function of one sample works)."""
    if hasattr(transform, "batch"):
        return transform.batch(xs)
    return np.stack([transform(x) for x in xs])


def split_deterministic(transform):
    """`transform` as (its leading deterministic steps, the rest), each a transform or None:
    Compose([ToFloat(), RandomCrop(28, padding=2), Normalize(0.1, 0.3)]) gives ToFloat() and
    Compose([RandomCrop(...), Normalize(...)]). Applying the first to a whole stack at once and
    the second per batch gives exactly what applying `transform` per batch gives."""
    steps = transform.transforms if isinstance(transform, Compose) else [transform]
    cut = next((i for i, t in enumerate(steps) if not getattr(t, "deterministic", False)),
               len(steps))
    return _composed(steps[:cut]), _composed(steps[cut:])


def _composed(steps):
    return None if not steps else steps[0] if len(steps) == 1 else Compose(steps)


class Transform:
    """A map on samples, defined on stacks of them by `batch(xs)`. Set `deterministic = True`
    when the output for each sample depends on that sample alone (no randomness, no state)."""

    deterministic = False

    def __call__(self, x):
        return self.batch(np.asarray(x)[None])[0]

    def batch(self, xs):
        raise NotImplementedError(f"{type(self).__name__} must define batch(xs)")

    def __repr__(self):
        args = ", ".join(f"{k}={v!r}" for k, v in vars(self).items())
        return f"{type(self).__name__}({args})"


class Compose(Transform):
    """The transforms applied in turn, first to last."""

    def __init__(self, transforms):
        self.transforms = list(transforms)

    @property
    def deterministic(self):
        return all(getattr(t, "deterministic", False) for t in self.transforms)

    def __call__(self, x):
        for t in self.transforms:
            x = t(x)
        return x

    def batch(self, xs):
        for t in self.transforms:
            xs = apply_batch(t, xs)
        return xs


class ToFloat(Transform):
    """Integer pixels 0 .. `scale` to float32 in [0, 1] (like torchvision's ToTensor, minus the
    layout change: samples are already (C, H, W))."""

    deterministic = True

    def __init__(self, scale=255.0):
        self.scale = float(scale)

    def batch(self, xs):
        # converted inside the division: no float32 temporary (for a whole dataset, see
        # ArrayDataset's cache, that would double the peak memory)
        return np.divide(xs, np.float32(self.scale), dtype=np.float32)


class Normalize(Transform):
    """`(x - mean) / std` per channel: mean and std are numbers or one value per channel."""

    deterministic = True

    def __init__(self, mean, std):
        self.mean = _per_channel(mean)
        self.std = _per_channel(std)
        if np.any(self.std <= 0):
            raise ValueError(f"Normalize: std must be positive, got {self.std.ravel().tolist()}")

    def batch(self, xs):
        for name, v in (("mean", self.mean), ("std", self.std)):
            if v.size > 1 and (xs.ndim < 4 or xs.shape[-3] != v.size):
                raise ValueError(f"Normalize: {v.size} {name} values for samples of shape "
                                 f"{xs.shape[1:]}; give one per channel of (C, H, W) images")
        return ((xs - self.mean) / self.std).astype(np.float32, copy=False)

    def __repr__(self):
        return f"Normalize(mean={self.mean.ravel().tolist()}, std={self.std.ravel().tolist()})"


def _per_channel(values):
    """One number, or shape (C, 1, 1) so that it broadcasts over the rows and columns of
    (N, C, H, W)."""
    values = np.asarray(values, dtype=np.float32)
    return values.reshape(-1, 1, 1) if values.size > 1 else values.reshape(())


class RandomHorizontalFlip(Transform):
    """Mirrors each image left to right with probability `p`."""

    def __init__(self, p=0.5):
        self.p = p

    def batch(self, xs):
        flip = _rng.current().random(len(xs)) < self.p
        return np.where(flip.reshape(-1, *[1] * (xs.ndim - 1)), xs[..., ::-1], xs)


class RandomCrop(Transform):
    """A `size` window (an int for square, or (height, width)) at a random place in each image,
    after padding its borders by `padding` pixels of value `fill`."""

    def __init__(self, size, padding=0, fill=0):
        self.size = (size, size) if isinstance(size, int) else tuple(size)
        self.padding = padding
        self.fill = fill

    def batch(self, xs):
        p = self.padding
        if p:
            xs = np.pad(xs, [(0, 0)] * (xs.ndim - 2) + [(p, p), (p, p)], constant_values=self.fill)
        (h, w), (height, width) = self.size, xs.shape[-2:]
        if h > height or w > width:
            raise ValueError(f"RandomCrop: cannot cut {h}x{w} windows from {height}x{width} "
                             f"images (padding {p} included)")
        rng = _rng.current()
        top = rng.integers(0, height - h + 1, len(xs))
        left = rng.integers(0, width - w + 1, len(xs))
        # every h x w window of every image, then one per image: window (top[i], left[i]) of xs[i]
        windows = sliding_window_view(xs, (h, w), axis=(-2, -1))
        return windows[np.arange(len(xs)), ..., top, left, :, :]
