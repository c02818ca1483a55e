"""nn.functional.pad against PyTorch's F.pad in float64: every mode, in 1, 2 and 3 dims, with
negative widths (cropping), its gradients, and the same errors where PyTorch refuses."""
import numpy as np
import pytest
import torch
import torch.nn.functional as torch_F

import chainrule as cr
import chainrule.nn.functional as F
from opcheck import check_op

CASES = [  # (input shape, widths)
    ((2, 5), (2, 1)), ((2, 3, 5), (1, 3)), ((2, 3, 5), (-1, 2)), ((1, 2, 5), (2, -2)),
    ((1, 2, 4), (-1, 3)), ((2, 4, 5), (1, 2, 3, 0)), ((1, 2, 4, 5), (2, 2, 1, 3)),
    ((2, 3, 4), (-1, 1, 1, -2)),
    ((2, 3, 4, 3), (1, 0, 2, 1, 1, 2)), ((1, 2, 3, 3, 4), (1, 1, 0, 2, 2, 1)),
]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "constant"])
@pytest.mark.parametrize("shape, widths", CASES, ids=str)
def test_pad_matches_torch(mode, shape, widths):
    check_op(lambda m, x: (F if m is cr else torch_F).pad(x, widths, mode=mode), [shape],
             name=f"pad {mode}")


def test_constant_value_and_any_number_of_dims():
    check_op(lambda m, x: (F if m is cr else torch_F).pad(x, (1, 2, 0, 1, 3, 0, 1, 1), value=2.5),
             [(2, 1, 2, 3)], name="pad constant 4 dims")


def test_widths_up_to_the_dim_size():
    """reflect may reach size - 1 and circular size itself (a whole wrap)."""
    for mode, w in (("reflect", 4), ("circular", 5), ("replicate", 9)):
        check_op(lambda m, x: (F if m is cr else torch_F).pad(x, (w, w), mode=mode),
                 [(1, 2, 5)], name=f"pad {mode} {w}")


@pytest.mark.parametrize("shape, widths, mode, message", [
    ((3, 4), (5, 0), "reflect", r"pad: mode 'reflect' needs widths smaller than the dim"),
    ((3, 4), (0, 4), "reflect", r"smaller than the dim .*, got \(0, 4\) for dim 1 of size 4"),
    ((3, 4), (5, 0), "circular", r"pad: mode 'circular' may wrap around at most once"),
    ((4,), (1, 1), "replicate", r"pad: mode 'replicate' pads the last 1, 2 or 3 dims"),
    ((3, 4), (1, 1, 1, 1), "reflect", r"widths \(1, 1, 1, 1\) \(4 numbers\) do not fit"),
    ((1, 2, 3, 4), (1,) * 8, "circular", r"do not fit an input of shape \(1, 2, 3, 4\)"),
    ((2, 4), (-2, -2), "replicate", r"would crop dim 1 of size 4 to nothing"),
    ((2, 4), (1, 1), "wrap", r"pad: mode must be"),
])
def test_refused_as_torch_refuses(shape, widths, mode, message):
    with pytest.raises((RuntimeError, ValueError, NotImplementedError)):
        torch_F.pad(torch.zeros(shape), widths, mode=mode)
    with pytest.raises(ValueError, match=message):
        F.pad(cr.zeros(*shape), widths, mode=mode)


def test_reflection_reaches_into_what_the_crop_removes():
    """(3, -2) on 4 elements: the reflection is taken from all 4, then 2 are cropped."""
    check_op(lambda m, x: (F if m is cr else torch_F).pad(x, (3, -2), mode="reflect"),
             [(1, 2, 4)], name="pad reflect past the crop")
    with pytest.raises(ValueError, match=r"wrap around at most once: .* \(cropped to 2\)"):
        F.pad(cr.zeros(1, 2, 4), (3, -2), mode="circular")  # torch fails inside, too


def test_border_modes_take_no_value():
    with pytest.raises(ValueError, match="pad: mode 'reflect' reads the border .* value=1.0"):
        F.pad(cr.zeros(1, 2, 3), (1, 1), mode="reflect", value=1.0)
    y = F.pad(cr.ones(1, 2, 3), (1, 1), mode="reflect", value=0.0)  # as torch allows
    assert y.shape == (1, 2, 5)


def test_float32_stays_float32():
    y = F.pad(cr.ones(1, 2, 3), (1, 2), mode="circular")
    assert y.dtype == cr.float32 and y.shape == (1, 2, 6)
