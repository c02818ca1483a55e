"""More elementwise math against PyTorch: forward, first and second derivatives (float64) and
finite differences over broadcasting shapes; dtypes of integer inputs; nan_to_num, round with
decimals, the one-sided clamps and whole-tensor comparisons."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op

UNARY_SHAPES = [(3, 4), (), (0, 3), (2, 1, 3)]
BROADCASTS = [[(3, 4), (3, 4)], [(3, 1), (1, 4)], [(2, 3, 4), (4,)], [(), (3,)], [(0, 3), (3,)]]
INSIDE_ONE = {"low": -0.9, "high": 0.9}

UNARY = {
    "sinh": (lambda m, x: m.sinh(x), {}),
    "cosh": (lambda m, x: x.cosh(), {}),
    "asin": (lambda m, x: m.asin(x), INSIDE_ONE),
    "acos": (lambda m, x: x.acos(), INSIDE_ONE),
    "atan": (lambda m, x: m.atan(x), {}),
    "arcsin": (lambda m, x: x.arcsin(), INSIDE_ONE),
    "arccos": (lambda m, x: m.arccos(x), INSIDE_ONE),
    "arctan": (lambda m, x: x.arctan(), {}),
    "erfinv": (lambda m, x: m.erfinv(x), {"low": -0.99, "high": 0.99}),
    "frac": (lambda m, x: x.frac(), {}),
    "round 2": (lambda m, x: m.round(x, decimals=2), {}),
    "round -1": (lambda m, x: x.round(decimals=-1), {"low": -40.0, "high": 40.0}),
    "nan_to_num": (lambda m, x: m.nan_to_num(x), {}),
    "clamp_min": (lambda m, x: m.clamp_min(x, 0.3), {"away_from": 0.3}),
    "clamp_max": (lambda m, x: x.clamp_max(-0.2), {"away_from": -0.2}),
}


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary(op, shape):
    fn, options = UNARY[op]
    check_op(fn, [shape], name=op, **options)


BINARY = {
    "atan2": (lambda m, a, b: m.atan2(a, b), {"away_from": 0.0}),
    "arctan2": (lambda m, a, b: a.arctan2(b), {"away_from": 0.0}),
    "hypot": (lambda m, a, b: m.hypot(a, b), {"away_from": 0.0}),
    "logaddexp": (lambda m, a, b: m.logaddexp(a, b), {}),
    "lerp": (lambda m, a, b: m.lerp(a, b, 0.3), {}),
    "lerp tensor weight": (lambda m, a, b: a.lerp(b, b.sigmoid()), {}),
    "clamp_min tensor": (lambda m, a, b: m.clamp_min(a, b), {}),
    "clamp_max tensor": (lambda m, a, b: a.clamp_max(b), {}),
}


@pytest.mark.parametrize("shapes", BROADCASTS, ids=str)
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary(op, shapes):
    fn, options = BINARY[op]
    check_op(fn, shapes, name=op, **options)
    check_op(fn, shapes[::-1], name=op + " (swapped)", seed=1, **options)


def test_lerp_tensor_weight_gets_its_gradient():
    check_op(lambda m, a, b, w: m.lerp(a, b, w), [(3, 4), (4,), (3, 1)], name="lerp weight")


def test_logaddexp_far_apart_does_not_overflow():
    """torch's second derivative overflows to NaN here; ours is s (1 - s), s = sigmoid(a - b)."""
    a, b = np.array([1000.0, -1000.0, 0.0, 1.0]), np.array([0.0, 5.0, -800.0, 0.5])
    check_op(lambda m, a, b: m.logaddexp(a, b), None, inputs=[a, b], gradgrad=False,
             finite_differences=False)
    x = cr.tensor(a, requires_grad=True)
    first, = cr.grad(cr.logaddexp(x, cr.tensor(b)).sum(), [x], create_graph=True)
    second, = cr.grad(first.sum(), [x])
    s = torch.sigmoid(torch.tensor(a - b)).numpy()
    np.testing.assert_allclose(second.numpy(), s * (1 - s), rtol=1e-12, atol=1e-300)


def test_erfinv_to_round_off_and_at_the_ends():
    x = np.concatenate([np.linspace(-0.999999, 0.999999, 2001), [0.0, 1e-300, -1e-12]])
    ours, theirs = cr.erfinv(cr.tensor(x)).numpy(), torch.erfinv(torch.tensor(x)).numpy()
    np.testing.assert_allclose(ours, theirs, rtol=1e-13, atol=0)
    np.testing.assert_allclose(cr.erf(cr.erfinv(cr.tensor(x))).numpy(), x, rtol=2e-15, atol=0)
    ends = [-1.0, 1.0, 1.5, -2.0, float("nan")]
    np.testing.assert_array_equal(cr.erfinv(cr.tensor(ends)).numpy(),
                                  torch.erfinv(torch.tensor(ends)).numpy())


def test_erfinv_float32_matches_torch():
    x = np.random.default_rng(0).uniform(-1, 1, 1000).astype(np.float32)
    ours = cr.erfinv(cr.tensor(x))
    assert ours.dtype == cr.float32
    np.testing.assert_allclose(ours.numpy(), torch.erfinv(torch.tensor(x)).numpy(), rtol=2e-6)


@pytest.mark.usefixtures("torch_float32")
@pytest.mark.parametrize("name", ["sinh", "cosh", "asin", "acos", "atan", "erfinv"])
def test_unary_of_integers_gives_default_float(name):
    data = [0, 1, -1]
    ours, theirs = getattr(cr, name)(cr.tensor(data)), getattr(torch, name)(torch.tensor(data))
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)


@pytest.mark.usefixtures("torch_float32")
@pytest.mark.parametrize("name", ["atan2", "logaddexp"])
def test_binary_dtypes_like_torch(name):
    for a, b in [([1, 2], [3, 4]), ([1, 2], [0.5, 1.5]), ([True, False], [1, 2])]:
        ta, tb = torch.tensor(a), torch.tensor(b)
        ca, cb = cr.tensor(a), cr.tensor(b)
        if ta.dtype.is_floating_point or tb.dtype.is_floating_point or name == "atan2":
            ours, theirs = getattr(cr, name)(ca, cb), getattr(torch, name)(ta, tb)
            assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (a, b)
            np.testing.assert_allclose(ours.numpy(), theirs.numpy(), rtol=1e-6)
    mixed = getattr(cr, name)(cr.tensor([1.0], dtype=cr.float64), cr.tensor([2.0]))
    assert mixed.dtype == cr.float64


def test_round_halves_to_even_like_torch():
    x = np.array([0.5, 1.5, 2.5, -0.5, -2.5, 0.125, 0.375, 1.005, 25.0, 35.0, -15.0])
    for decimals in (0, 1, 2, -1):
        np.testing.assert_array_equal(cr.round(cr.tensor(x), decimals=decimals).numpy(),
                                      torch.round(torch.tensor(x), decimals=decimals).numpy(),
                                      err_msg=f"decimals={decimals}")


@pytest.mark.parametrize("dtype", [torch.float16, torch.float32, torch.float64])
@pytest.mark.parametrize("kwargs", [{}, {"nan": 1.5}, {"posinf": 7.0, "neginf": -3.0},
                                    {"nan": -1.0, "posinf": 1e3}])
def test_nan_to_num_values_like_torch(kwargs, dtype):
    x = [float("nan"), float("inf"), -float("inf"), 0.5, -2.0]
    ours = cr.nan_to_num(cr.tensor(x, dtype=str(dtype)[6:]), **kwargs)
    theirs = torch.nan_to_num(torch.tensor(x, dtype=dtype), **kwargs)
    assert str(ours.dtype) == str(theirs.dtype)[6:]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_nan_to_num_gradient_is_zero_where_replaced():
    x = np.array([np.nan, np.inf, -np.inf, 0.5, -2.0])
    check_op(lambda m, x: m.nan_to_num(x, nan=2.0) + x.nan_to_num(posinf=1.0, neginf=-1.0) ** 2,
             None, inputs=[x], finite_differences=False)


def test_nan_to_num_of_integers_is_a_copy():
    x = cr.tensor([1, 2])
    y = x.nan_to_num()
    assert y.dtype == cr.int64 and y.tolist() == [1, 2] and y is not x


def test_allclose_and_equal_like_torch():
    a = np.array([1.0, 2.0, np.nan])
    cases = [(a, a), (a, a + 1e-9), (a, a + 1e-3), (a[:2], a[:2] + 1e-9), (a[:2], a[:2]),
             (a[:2], a[:1])]
    for x, y in cases:
        for equal_nan in (False, True):
            assert cr.allclose(cr.tensor(x), cr.tensor(y), equal_nan=equal_nan) == \
                torch.allclose(torch.tensor(x), torch.tensor(y), equal_nan=equal_nan), (x, y)
        assert cr.tensor(x).allclose(cr.tensor(y), rtol=0.1, atol=0) == \
            torch.tensor(x).allclose(torch.tensor(y), rtol=0.1, atol=0)
        assert cr.equal(cr.tensor(x), cr.tensor(y)) == torch.equal(torch.tensor(x),
                                                                  torch.tensor(y)), (x, y)
    assert cr.tensor([1, 2]).equal(cr.tensor([1, 2])) is True
    assert cr.equal(cr.tensor([[1, 2]]), cr.tensor([1, 2])) is False


def test_clamp_min_max_with_integer_tensor_and_float_bound(torch_float32):
    ours, theirs = cr.clamp_min(cr.tensor([1, 5]), 2.5), torch.clamp_min(torch.tensor([1, 5]), 2.5)
    assert str(ours.dtype) == str(theirs.dtype)[6:]
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_where_with_the_condition_alone_is_nonzero_as_tuple():
    c = np.array([[True, False, True], [False, False, True]])
    ours, theirs = cr.where(cr.tensor(c)), torch.where(torch.tensor(c))
    assert len(ours) == len(theirs) == 2
    for o, t in zip(ours, theirs):
        assert o.dtype == cr.int64
        np.testing.assert_array_equal(o.numpy(), t.numpy())
    x = cr.tensor([0.0, 1.5, -2.0])
    np.testing.assert_array_equal(cr.where(x)[0].numpy(), torch.where(torch.tensor([0.0, 1.5,
                                                                                    -2.0]))[0])
