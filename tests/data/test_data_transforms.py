import numpy as np
import pytest

import chainrule as cr
from chainrule.data.transforms import (Compose, Normalize, RandomCrop, RandomHorizontalFlip,
                                       ToFloat, apply_batch, split_deterministic)


def images(n=8, c=3, h=6, w=5):
    return np.random.default_rng(0).integers(0, 256, (n, c, h, w)).astype(np.uint8)


def test_to_float_maps_bytes_to_unit_interval():
    x = np.array([[[0, 51, 255]]], np.uint8)
    y = ToFloat()(x)
    assert y.dtype == np.float32 and y.shape == (1, 1, 3)
    np.testing.assert_allclose(y, [[[0.0, 0.2, 1.0]]])
    np.testing.assert_allclose(ToFloat(16)(np.array([[[16, 4]]])), [[[1.0, 0.25]]])


def test_normalize_per_channel():
    x = images(c=2).astype(np.float32)
    y = Normalize((10.0, 20.0), (2.0, 4.0)).batch(x)
    np.testing.assert_allclose(y[:, 0], (x[:, 0] - 10) / 2, rtol=1e-6)
    np.testing.assert_allclose(y[:, 1], (x[:, 1] - 20) / 4, rtol=1e-6)
    assert y.dtype == np.float32
    np.testing.assert_allclose(Normalize(0.5, 0.5)(x[0]), (x[0] - 0.5) / 0.5, rtol=1e-6)
    features = np.arange(12, dtype=np.float32).reshape(4, 3)  # not images: one number still works
    np.testing.assert_allclose(Normalize(1.0, 2.0).batch(features), (features - 1) / 2)


def test_normalize_errors():
    with pytest.raises(ValueError, match=r"2 mean values for samples of shape \(3, 6, 5\)"):
        Normalize((0.5, 0.5), (1.0, 1.0))(images()[0])
    with pytest.raises(ValueError, match="std must be positive"):
        Normalize(0.0, 0.0)


def test_flip_probability_one_and_zero():
    x = images()
    np.testing.assert_array_equal(RandomHorizontalFlip(1.0).batch(x), x[..., ::-1])
    np.testing.assert_array_equal(RandomHorizontalFlip(0.0).batch(x), x)


def test_flip_half_flips_some_images_whole():
    x = images(n=64)
    y = RandomHorizontalFlip(0.5).batch(x)
    flipped = np.array([np.array_equal(a, b[..., ::-1]) for a, b in zip(y, x)])
    kept = np.array([np.array_equal(a, b) for a, b in zip(y, x)])
    assert np.all(flipped | kept) and 10 < flipped.sum() < 54


def test_crop_windows_come_from_the_padded_image():
    x = images(n=32)
    crop = RandomCrop((4, 3), padding=2)
    y = crop.batch(x)
    assert y.shape == (32, 3, 4, 3) and y.dtype == x.dtype
    padded = np.pad(x, [(0, 0), (0, 0), (2, 2), (2, 2)])
    offsets = set()
    for out, image in zip(y, padded):
        hits = [(t, l) for t in range(7) for l in range(7)
                if np.array_equal(image[:, t:t + 4, l:l + 3], out)]
        assert hits, "a crop that is no window of the padded image"
        offsets.add(hits[0])
    assert len(offsets) > 5  # the place varies from image to image


def test_crop_of_one_sample_and_errors():
    assert RandomCrop(4)(images()[0]).shape == (3, 4, 4)
    with pytest.raises(ValueError, match="cannot cut 9x9 windows from 6x5"):
        RandomCrop(9)(images()[0])


def test_random_transforms_follow_manual_seed():
    x = images(n=16)
    t = Compose([RandomCrop(4, padding=1), RandomHorizontalFlip()])
    cr.manual_seed(5)
    a = t.batch(x)
    cr.manual_seed(5)
    np.testing.assert_array_equal(a, t.batch(x))
    assert not np.array_equal(a, t.batch(x))


def test_compose_in_order_and_plain_functions():
    x = images()
    t = Compose([ToFloat(), lambda im: im[:1], Normalize(0.5, 0.25)])
    y = apply_batch(t, x)
    np.testing.assert_allclose(y, (x[:, :1] / 255.0 - 0.5) / 0.25, atol=1e-6)
    np.testing.assert_allclose(t(x[2]), y[2], rtol=1e-6)
    assert "Normalize" in repr(t)



def test_split_deterministic_keeps_the_leading_fixed_steps():
    to_float, crop, norm = ToFloat(), RandomCrop(4), Normalize(0.5, 0.25)
    fixed, rest = split_deterministic(Compose([to_float, crop, norm]))
    assert fixed is to_float and rest.transforms == [crop, norm]
    fixed, rest = split_deterministic(Compose([to_float, norm]))
    assert fixed.transforms == [to_float, norm] and rest is None
    assert split_deterministic(crop) == (None, crop)
    assert split_deterministic(to_float) == (to_float, None)
    nested = Compose([Compose([to_float, norm]), RandomHorizontalFlip()])
    assert split_deterministic(nested)[0] is nested.transforms[0]
    double = lambda x: x * 2  # a plain function may be random or stateful: never split off
    fixed, rest = split_deterministic(Compose([double, to_float]))
    assert fixed is None and rest.transforms == [double, to_float]


def test_fixed_steps_on_the_whole_stack_equal_them_per_batch():
    x = images(n=40)
    t = Compose([ToFloat(), Normalize((0.4, 0.5, 0.6), (0.2, 0.3, 0.25)), RandomHorizontalFlip()])
    fixed, rest = split_deterministic(t)
    whole = fixed.batch(x)
    cr.manual_seed(1)
    split = [rest.batch(whole[i:i + 16]) for i in range(0, 40, 16)]
    cr.manual_seed(1)
    direct = [t.batch(x[i:i + 16]) for i in range(0, 40, 16)]
    for a, b in zip(split, direct):
        assert a.dtype == b.dtype == np.float32
        np.testing.assert_array_equal(a, b)
