"""`F.pad` with PyTorch's rules for the modes that read the border from the input.

The padding itself is `ops.shape.pad` (constant, reflect, replicate and circular, with
gradients from indexing); this adds what PyTorch's F.pad asks of the border modes: they pad the
last 1, 2 or 3 dims of a (batched) input, a reflection may not reach past the far edge and a
circular pad may not wrap twice. Negative widths crop: as in PyTorch, a reflected or replicated
border is taken from the whole input before the crop, a circular one from what the crop leaves."""
from .shape import pad as _pad_widths

__all__ = ["pad"]  # cr.pad and F.pad: it replaces ops.shape's (the general one) in `import *`


def pad(input, pad, mode="constant", value=None):
    """Pads `input` by `pad` = (before, after) widths starting from the last dim (negative
    widths crop). mode 'constant' fills with `value` (0 by default); 'reflect' mirrors about the
    edge element, 'replicate' repeats it and 'circular' wraps around."""
    pad = tuple(pad)
    if mode == "constant":
        return _pad_widths(input, pad, "constant", value)
    if mode not in ("reflect", "replicate", "circular"):
        raise ValueError(f"pad: mode must be 'constant', 'reflect', 'replicate' or 'circular', "
                         f"got {mode!r}")
    if value is not None and value != 0:
        raise ValueError(f"pad: mode {mode!r} reads the border from the input and takes no "
                         f"value, got value={value}")
    dims = len(pad) // 2
    if len(pad) % 2 or dims not in (1, 2, 3) or input.ndim not in (dims + 1, dims + 2):
        raise ValueError(f"pad: mode {mode!r} pads the last 1, 2 or 3 dims of an input with one "
                         f"or two leading dims (channels, or batch and channels): widths {pad} "
                         f"({len(pad)} numbers) do not fit an input of shape {input.shape}")
    for i in range(dims):
        size = input.shape[-1 - i]
        before, after = pad[2 * i], pad[2 * i + 1]
        _check_reach(mode, size, before, after, input.ndim - 1 - i)
    crop, grow = tuple(min(w, 0) for w in pad), tuple(max(w, 0) for w in pad)
    if mode == "circular":
        return _pad_widths(_pad_widths(input, crop), grow, mode)
    return _pad_widths(_pad_widths(input, grow, mode), crop)


def _check_reach(mode, size, before, after, dim):
    left = size + min(before, 0) + min(after, 0)
    if left <= 0:
        raise ValueError(f"pad: widths ({before}, {after}) would crop dim {dim} of size {size} "
                         "to nothing")
    if mode == "reflect" and max(before, after) >= size:
        raise ValueError(f"pad: mode 'reflect' needs widths smaller than the dim they pad (so a "
                         f"size at least 2), got ({before}, {after}) for dim {dim} of size {size}")
    if mode == "circular" and max(before, after) > left:
        raise ValueError(f"pad: mode 'circular' may wrap around at most once: widths "
                         f"({before}, {after}) exceed dim {dim} of size {size}"
                         f"{f' (cropped to {left})' if left < size else ''}")
