"""Elementwise ops: forward, backward and double backward against PyTorch (float64) and finite
differences, over broadcasting shapes; Python operators with scalars and arrays; error messages."""
import re

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis.extra.numpy import mutually_broadcastable_shapes

import chainrule as cr
from chainrule.ops.erf import erf_numpy
from opcheck import check_op

BROADCASTS = [[(3, 4), (3, 4)], [(3, 1), (1, 4)], [(2, 3, 4), (4,)], [(), (3,)], [(0, 3), (3,)]]
UNARY_SHAPES = [(3, 4), (), (0, 3), (2, 1, 3)]


def away(x, points, gap=0.1):
    """x moved off each kink in `points`, so that finite differences do not straddle one."""
    for p in points:
        close = np.abs(x - p) < gap
        x[close] = p + 2 * gap * np.where(x[close] >= p, 1, -1)
    return x


# ---- binary ops over broadcasting shapes -------------------------------------------------------
BINARY = {
    "add": (lambda m, a, b: a + b, {}),
    "sub": (lambda m, a, b: a - b, {}),
    "mul": (lambda m, a, b: a * b, {}),
    "div": (lambda m, a, b: a / b, {"away_from": 0.0}),
    "pow": (lambda m, a, b: a ** b, {"low": 0.5, "high": 2.0}),
    "maximum": (lambda m, a, b: m.maximum(a, b), {}),
    "minimum": (lambda m, a, b: m.minimum(a, b), {}),
    "add_alpha": (lambda m, a, b: m.add(a, b, alpha=2.5), {}),
    "sub_alpha": (lambda m, a, b: m.sub(a, b, alpha=-0.5), {}),
    "where": (lambda m, a, b: m.where(a > 0, a, b), {"away_from": 0.0}),
    "lerp": (lambda m, a, b: m.lerp(a, b, 0.3), {}),
}


@pytest.mark.parametrize("shapes", BROADCASTS, ids=str)
@pytest.mark.parametrize("op", sorted(BINARY))
def test_binary(op, shapes):
    fn, options = BINARY[op]
    check_op(fn, shapes, name=op, **options)
    check_op(fn, shapes[::-1], name=op + " (swapped)", **options)


@pytest.mark.parametrize("shapes", BROADCASTS, ids=str)
def test_remainder(shapes):
    """|a/b| stays inside (0.1, 0.8), away from the jumps of floor(a/b)."""
    rng = np.random.default_rng(1)
    a = rng.uniform(0.2, 1.2, shapes[0]) * rng.choice([-1, 1], shapes[0])
    b = rng.uniform(1.5, 2.0, shapes[1]) * rng.choice([-1, 1], shapes[1])
    check_op(lambda m, a, b: a % b, None, inputs=[a, b], name="remainder")
    check_op(lambda m, a, b: m.remainder(a, b), None, inputs=[a, b], name="remainder")


@pytest.mark.parametrize("lo_below_hi", [True, False])
def test_clamp_tensor_bounds(lo_below_hi):
    """Bounds that broadcast against x; with lo > hi the output is hi everywhere (PyTorch)."""
    rng = np.random.default_rng(2)
    lo, hi = rng.uniform(-1.5, -0.5, (4,)), rng.uniform(0.5, 1.5, (3, 1))
    if not lo_below_hi:
        lo, hi = lo + 2.5, hi - 2.5
    x = rng.uniform(-2, 2, (3, 4))
    x = np.where(np.abs(x - lo) < 0.1, lo + 0.2, x)
    x = np.where(np.abs(x - hi) < 0.1, hi - 0.2, x)
    check_op(lambda m, x, lo, hi: m.clamp(x, lo, hi), None, inputs=[x, lo, hi], name="clamp")
    check_op(lambda m, x, lo, hi: m.clamp(x, min=lo), None, inputs=[x, lo, hi], name="clamp min")
    check_op(lambda m, x, lo, hi: m.clamp(x, max=hi), None, inputs=[x, lo, hi], name="clamp max")


# ---- unary ops ---------------------------------------------------------------------------------
POSITIVE = {"low": 0.1, "high": 3.0}
UNARY = {
    "neg": (lambda m, x: -x, {}),
    "abs": (lambda m, x: abs(x), {"away_from": 0.0}),
    "exp": (lambda m, x: x.exp(), {}),
    "log": (lambda m, x: x.log(), POSITIVE),
    "log2": (lambda m, x: x.log2(), POSITIVE),
    "log10": (lambda m, x: x.log10(), POSITIVE),
    "log1p": (lambda m, x: m.log1p(x), {"low": -0.9}),
    "expm1": (lambda m, x: m.expm1(x), {}),
    "sqrt": (lambda m, x: m.sqrt(x), POSITIVE),
    "rsqrt": (lambda m, x: m.rsqrt(x), POSITIVE),
    "reciprocal": (lambda m, x: m.reciprocal(x), {"away_from": 0.0}),
    "square": (lambda m, x: m.square(x), {}),
    "sin": (lambda m, x: m.sin(x), {}),
    "cos": (lambda m, x: m.cos(x), {}),
    "tan": (lambda m, x: m.tan(x), {"low": -1.2, "high": 1.2}),
    "erf": (lambda m, x: m.erf(x), {}),
    "sign": (lambda m, x: m.sign(x), {"away_from": 0.0}),
    "floor": (lambda m, x: m.floor(x), {}),
    "ceil": (lambda m, x: m.ceil(x), {}),
    "round": (lambda m, x: m.round(x), {}),
    "trunc": (lambda m, x: m.trunc(x), {}),
    # constant exponents and Python numbers on either side
    "pow 0": (lambda m, x: x ** 0, {}),
    "pow 1": (lambda m, x: x ** 1, {}),
    "pow 2": (lambda m, x: x ** 2, {}),
    "pow 3": (lambda m, x: x ** 3, {}),
    "pow -2": (lambda m, x: x ** -2, {"away_from": 0.0}),
    "pow 0.5": (lambda m, x: x ** 0.5, POSITIVE),
    "pow -1.5": (lambda m, x: m.pow(x, -1.5), POSITIVE),
    "2 ** x": (lambda m, x: 2 ** x, {}),
    "0.5 ** x": (lambda m, x: 0.5 ** x, {}),
    "2 - x": (lambda m, x: 2 - x, {}),
    "x - 2.5": (lambda m, x: x - 2.5, {}),
    "1.5 + x": (lambda m, x: 1.5 + x, {}),
    "3 * x": (lambda m, x: 3 * x, {}),
    "2 / x": (lambda m, x: 2 / x, {"away_from": 0.0}),
    "x / 4": (lambda m, x: x / 4, {}),
    "x % 0.75": (lambda m, x: x % 0.75, {}),
    "x // 0.5": (lambda m, x: x // 0.5, {}),
    "div floor": (lambda m, x: m.div(x, 0.7, rounding_mode="floor"), {}),
    "div trunc": (lambda m, x: m.div(x, 0.7, rounding_mode="trunc"), {}),
    "maximum 0": (lambda m, x: m.maximum(x, m.zeros(())), {"away_from": 0.0}),
    "x * x": (lambda m, x: x * x, {}),
    "x / x.exp()": (lambda m, x: x / x.exp(), {}),
}
TORCH_SPELLING = {  # torch's floor_divide has no backward; its zero-gradient twin is div(floor)
    "x // 0.5": lambda m, x: torch.div(x, 0.5, rounding_mode="floor"),
    "abs": lambda m, x: x * x.sign(),  # |x|, whose double backward gives a real tensor (torch's
}                                      # own gives a ZeroTensor, which opcheck cannot read)


@pytest.mark.parametrize("shape", UNARY_SHAPES, ids=str)
@pytest.mark.parametrize("op", sorted(UNARY))
def test_unary(op, shape):
    fn, options = UNARY[op]
    check_op(fn, [shape], TORCH_SPELLING.get(op), name=op, **options)


@pytest.mark.parametrize("bounds", [(-0.5, 0.7), (-0.5, None), (None, 0.7), (0.7, -0.5)])
def test_clamp_scalar_bounds(bounds):
    lo, hi = bounds
    x = away(np.random.default_rng(3).uniform(-2, 2, (4, 5)), [b for b in bounds if b is not None])
    check_op(lambda m, x: m.clamp(x, lo, hi), None, inputs=[x], name=f"clamp{bounds}")
    check_op(lambda m, x: x.clamp(min=lo, max=hi), None, inputs=[x], name=f"x.clamp{bounds}")


# ---- where the derivative is defined by convention: ties, zeros --------------------------------
def test_ties_share_the_gradient_like_torch():
    a = np.array([1.0, 2.0, 3.0, -1.0])
    b = np.array([1.0, 0.0, 3.0, 2.0])
    for fn in (lambda m, a, b: m.maximum(a, b), lambda m, a, b: m.minimum(a, b),
               lambda m, a, b: m.clamp(a, min=b), lambda m, a, b: m.clamp(a, max=b),
               lambda m, a, b: m.clamp(a, b, b + 1), lambda m, a, b: m.clamp(a, b - 1, b)):
        check_op(fn, None, inputs=[a, b], finite_differences=False)
    x = np.array([-0.5, 0.0, 0.7, 1.0])
    check_op(lambda m, x: m.clamp(x, -0.5, 0.7), None, inputs=[x], finite_differences=False)
    check_op(lambda m, x: abs(x), None, TORCH_SPELLING["abs"], inputs=[x], finite_differences=False)


@pytest.mark.filterwarnings("ignore::RuntimeWarning")  # 0 ** -1 and log 0, as in PyTorch
def test_pow_at_zero_like_torch():
    """0^b log 0 is taken as its limit 0 for b >= 0, and b a^(b-1) as 0 where b == 0. (Second
    derivatives at a == 0 are left out: torch's are NaN there, from 0 * log 0 inside its where.)"""
    a = np.array([0.0, 0.0, 1.5, 2.0, 0.0])
    b = np.array([0.0, 2.0, 0.0, 1.5, 3.0])
    check_op(lambda m, a, b: a ** b, None, inputs=[a, b], gradgrad=False,
             finite_differences=False)
    check_op(lambda m, a, b: a ** 2 + a ** 0 * b, None, inputs=[a, b], finite_differences=False)


# ---- Python operators, scalars and arrays on either side ----------------------------------------
OPERATORS = {
    "+": lambda a, b: a + b, "-": lambda a, b: a - b, "*": lambda a, b: a * b,
    "/": lambda a, b: a / b, "//": lambda a, b: a // b, "%": lambda a, b: a % b,
    "**": lambda a, b: a ** b, "<": lambda a, b: a < b, "<=": lambda a, b: a <= b,
    ">": lambda a, b: a > b, ">=": lambda a, b: a >= b, "==": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
}
OTHERS = [2, 3.0, -1.5, np.float64(2.5), np.int64(3), np.array([1.0, 2.0, 3.0]),
          np.array([2, 1, 3])]


def _same(ours, theirs):
    assert isinstance(ours, cr.Tensor), f"got {type(ours).__name__}, expected a Tensor"
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), (ours.dtype, theirs.dtype)
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float),
                               rtol=1e-6, equal_nan=True)


@pytest.fixture
def torch_default_float32():
    """opcheck makes torch's default float64; comparing dtypes needs the same default as ours."""
    old = torch.get_default_dtype()
    torch.set_default_dtype(torch.float32)
    yield
    torch.set_default_dtype(old)


@pytest.mark.usefixtures("torch_default_float32")
@pytest.mark.filterwarnings("ignore:invalid value:RuntimeWarning")  # (-2) ** 3.0 is NaN in both
@pytest.mark.parametrize("dtype", ["float32", "int64"])
@pytest.mark.parametrize("op", sorted(OPERATORS))
def test_operators_with_numbers_and_arrays(op, dtype):
    f = OPERATORS[op]
    values = np.array([1.5, -2.0, 4.0]) if dtype == "float32" else np.array([3, -2, 4])
    if op == "**" and dtype == "int64":  # integers to negative powers are an error in both
        values = np.abs(values)
    x, t = cr.tensor(values, dtype=dtype), torch.tensor(values, dtype=getattr(torch, dtype))
    for other in OTHERS:
        if op == "**" and dtype == "int64" and np.any(np.asarray(other) < 0):
            continue
        if isinstance(other, np.ndarray):  # torch refuses an ndarray on the left: we do not
            like = torch.as_tensor(other)
        else:  # NumPy scalars count as Python numbers (torch's rules for them are irregular)
            like = getattr(other, "item", lambda: other)()
        _same(f(x, other), f(t, like))
        _same(f(other, x), f(like, t))


def test_comparisons_give_bool_tensors():
    x = cr.tensor([1.0, 2.0, 3.0])
    for result, expected in [(x < 2, [True, False, False]), (2 < x, [False, False, True]),
                             (x == cr.tensor([1.0, 0.0, 3.0]), [True, False, True]),
                             (x != 2, [True, False, True]), (x >= 2.0, [False, True, True])]:
        assert result.dtype == cr.bool and result.tolist() == expected
    assert not (x < 2).requires_grad
    assert (x == "a") is False  # not a number: Python falls back to identity


@pytest.mark.usefixtures("torch_default_float32")
def test_integer_arithmetic_like_torch():
    a, b = np.array([7, -7, 7, -7, 0]), np.array([2, 2, -2, -2, 3])
    for dtype in ("int32", "int64"):
        ours = cr.tensor(a, dtype=dtype), cr.tensor(b, dtype=dtype)
        theirs = torch.tensor(a, dtype=getattr(torch, dtype)), torch.tensor(b, dtype=getattr(
            torch, dtype))
        for f in (lambda m, a, b: a / b, lambda m, a, b: a // b, lambda m, a, b: a % b,
                  lambda m, a, b: m.div(a, b, rounding_mode="trunc"),
                  lambda m, a, b: m.div(a, b, rounding_mode="floor"),
                  lambda m, a, b: a * b - a, lambda m, a, b: abs(a) ** 2, lambda m, a, b: -a,
                  lambda m, a, b: m.maximum(a, b), lambda m, a, b: m.clamp(a, -3, 3),
                  lambda m, a, b: m.clamp(a, min=0.5), lambda m, a, b: m.where(a > b, a, 1.5),
                  lambda m, a, b: m.sqrt(abs(a)), lambda m, a, b: m.exp(b),
                  lambda m, a, b: m.sign(a)):
            _same(f(cr, *ours), f(torch, *theirs))


def test_where_promotes_and_accepts_numbers():
    cond = cr.tensor([True, False, True])
    assert cr.where(cond, 1.0, 0.0).dtype == cr.float32
    assert cr.where(cond, 1, 0).dtype == cr.int64
    assert cr.where(cond, cr.tensor([1, 2, 3], dtype=cr.int32), 2.5).dtype == cr.float32
    assert cr.where(cr.tensor([1, 0, 2]), 1.0, -1.0).tolist() == [1.0, -1.0, 1.0]


def test_unary_math_makes_integers_float():
    x = cr.tensor([1, 4, 9])
    for f in (cr.exp, cr.log, cr.sqrt, cr.sin, cr.rsqrt, cr.erf, cr.reciprocal):
        assert f(x).dtype == cr.float32
    assert abs(x).dtype == cr.int64 and (-x).dtype == cr.int64 and (x ** 2).dtype == cr.int64
    assert (x ** 0.5).dtype == cr.float32 and (x / 2).dtype == cr.float32


@pytest.mark.parametrize("erf", [lambda x: cr.erf(cr.tensor(x)).numpy(), erf_numpy],
                         ids=["cr.erf", "numpy-only"])
def test_erf_is_accurate(erf):
    """To float64 rounding, and to each narrower dtype's (over several of its cache blocks);
    both cr.erf (SciPy's where installed) and the NumPy-only one it falls back on."""
    x = np.linspace(-7, 7, 80001)
    np.testing.assert_allclose(erf(x), torch.erf(torch.tensor(x)).numpy(), rtol=2e-15,
                               atol=2e-15)
    for dtype, tolerance in (("float32", 1.2e-7), ("float16", 1e-3)):
        narrow = x.astype(dtype)
        ours = erf(narrow)
        assert ours.dtype == narrow.dtype
        np.testing.assert_allclose(ours, torch.erf(torch.tensor(narrow)).numpy(),
                                   rtol=tolerance, atol=tolerance)


def test_ops_compose_with_matmul_and_sum():
    check_op(lambda m, a, b: ((a @ b).sum(1) * 2 - 1).exp(), [(3, 4), (4, 5)])


# ---- broadcasting, property-based --------------------------------------------------------------
@settings(max_examples=30, deadline=None)
@given(mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, min_side=0,
                                     max_side=3))
def test_broadcasting_matches_torch(shapes):
    for fn in (lambda m, a, b: a + b, lambda m, a, b: a * b, lambda m, a, b: m.maximum(a, b)):
        check_op(fn, shapes.input_shapes, gradgrad=False, finite_differences=False)


# ---- errors ------------------------------------------------------------------------------------
FAILING = {
    "add": lambda a, b: a + b, "sub": lambda a, b: a - b, "mul": lambda a, b: a * b,
    "div": lambda a, b: a / b, "pow": lambda a, b: a ** b, "remainder": lambda a, b: a % b,
    "floor_divide": lambda a, b: a // b, "maximum": cr.maximum, "minimum": cr.minimum,
    "lt": lambda a, b: a < b, "eq": lambda a, b: a == b,
    "where": lambda a, b: cr.where(a > 0, a, b), "clamp": lambda a, b: cr.clamp(a, b),
}


@pytest.mark.parametrize("shapes", [((3,), (4,)), ((2, 3), (3, 2)), ((5, 1, 2), (4, 3))])
@pytest.mark.parametrize("op", sorted(FAILING))
def test_shapes_that_do_not_broadcast(op, shapes):
    a, b = cr.ones(*shapes[0], requires_grad=True), cr.ones(*shapes[1])
    with pytest.raises(ValueError, match=re.escape(op + ": shapes ")) as info:
        FAILING[op](a, b)
    assert str(shapes[0]) in str(info.value) and str(shapes[1]) in str(info.value)


def test_bad_calls_say_what_is_wrong():
    x = cr.ones(3)
    with pytest.raises(ValueError, match="rounding_mode"):
        cr.div(x, 2, rounding_mode="round")
    with pytest.raises(ValueError, match="clamp: give at least one"):
        cr.clamp(x)
    with pytest.raises(TypeError, match="expected a Tensor"):
        x + "1"
    with pytest.raises(TypeError, match="remainder: not defined for bool"):
        cr.tensor([True]) % cr.tensor([True])


def test_where_as_a_method_takes_condition_and_other():
    check_op(lambda m, x, y: x.where(x > 0, y), [(3, 4), (4,)], away_from=0.0)
