"""Rearranging channels: pixel (un)shuffle trades channels for spatial resolution, channel
shuffle interleaves groups of channels. Each is a reshape, a permutation and a reshape, so the
gradient is the inverse rearrangement."""
from .shape import permute, reshape

__all__ = ["pixel_shuffle", "pixel_unshuffle", "channel_shuffle"]


def pixel_shuffle(input, upscale_factor):
    """(*, C r^2, H, W) -> (*, C, H r, W r): each group of r^2 channels becomes an r x r block
    of pixels (Shi et al.'s sub-pixel convolution)."""
    r = upscale_factor
    if input.ndim < 3 or r < 1 or input.shape[-3] % (r * r):
        raise ValueError(f"pixel_shuffle: expected an input (*, C * {r}^2, H, W) with at least "
                         f"3 dims and channels divisible by {r * r}, got shape {input.shape}")
    *lead, c, h, w = input.shape
    lead, k = tuple(lead), len(lead)
    x = reshape(input, lead + (c // (r * r), r, r, h, w))
    x = permute(x, tuple(range(k)) + (k, k + 3, k + 1, k + 4, k + 2))
    return reshape(x, lead + (c // (r * r), h * r, w * r))


def pixel_unshuffle(input, downscale_factor):
    """(*, C, H r, W r) -> (*, C r^2, H, W): the inverse of pixel_shuffle."""
    r = downscale_factor
    if input.ndim < 3 or r < 1 or input.shape[-2] % r or input.shape[-1] % r:
        raise ValueError(f"pixel_unshuffle: expected an input (*, C, H * {r}, W * {r}) with at "
                         f"least 3 dims and height and width divisible by {r}, got shape "
                         f"{input.shape}")
    *lead, c, h, w = input.shape
    lead, k = tuple(lead), len(lead)
    x = reshape(input, lead + (c, h // r, r, w // r, r))
    x = permute(x, tuple(range(k)) + (k, k + 2, k + 4, k + 1, k + 3))
    return reshape(x, lead + (c * r * r, h // r, w // r))


def channel_shuffle(input, groups):
    """(N, C, *) with the channels seen as (groups, C / groups) and transposed, so that each
    group's channels are spread across all groups (Zhang et al.'s ShuffleNet)."""
    if input.ndim < 3 or groups < 1 or input.shape[1] % groups:
        raise ValueError(f"channel_shuffle: expected an input (N, C, *) with more than 2 dims "
                         f"and C divisible by groups={groups}, got shape {input.shape}")
    n, c, *rest = input.shape
    x = reshape(input, (n, groups, c // groups, *rest))
    return reshape(permute(x, (0, 2, 1) + tuple(range(3, x.ndim))), input.shape)
