"""dtype promotion matches PyTorch: every pairing of n-d tensors, 0-d tensors and Python numbers
of bool/uint8/int32/int64/float16/float32/float64, through the binary ops and operators."""
import itertools

import numpy as np
import pytest
import torch
from hypothesis import given, settings, strategies as st

import chainrule as cr
from chainrule.backend import dtypes

DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]
# an operand: (dtype, ndim) for a tensor, or a Python number
OPERANDS = [(d, n) for d in DTYPES for n in (1, 0)] + [True, 3, 2.5]


pytestmark = pytest.mark.usefixtures("torch_float32")


def make(operand, m):
    """The operand for library m (chainrule or torch): tensors hold small positive values, so
    that every op below is defined on them."""
    if not isinstance(operand, tuple):
        return operand
    dtype, ndim = operand
    values = np.array([1, 3] if ndim else 2).astype(dtype)
    return cr.tensor(values) if m is cr else torch.tensor(values)


OPS = {
    "+": lambda m, a, b: a + b, "-": lambda m, a, b: a - b, "*": lambda m, a, b: a * b,
    "/": lambda m, a, b: a / b, "//": lambda m, a, b: a // b, "%": lambda m, a, b: a % b,
    "**": lambda m, a, b: a ** b, "<": lambda m, a, b: a < b, "==": lambda m, a, b: a == b,
    "maximum": lambda m, a, b: m.maximum(a, b), "minimum": lambda m, a, b: m.minimum(a, b),
    "where": lambda m, a, b: m.where(make(("bool", 1), m), a, b),
    "clamp": lambda m, a, b: m.clamp(a, min=b),
}
TENSORS_ONLY = {"maximum", "minimum"}   # torch accepts no Python number there
FIRST_TENSOR = {"clamp"}
TORCH_STRICTER = {  # where torch refuses bools and chainrule computes what NumPy does
    "-": "subtraction with a bool operand",
    "clamp": "clamping a bool tensor",
}


def _runs(fn):
    try:
        return fn(), None
    except (TypeError, ValueError, RuntimeError, NotImplementedError, OverflowError) as e:
        return None, e


def _pairs(op):
    for a, b in itertools.product(OPERANDS, repeat=2):
        tensors = [isinstance(v, tuple) for v in (a, b)]
        if op in TENSORS_ONLY and not all(tensors) or op in FIRST_TENSOR and not tensors[0]:
            continue
        if any(tensors) or op == "where":
            yield a, b


@pytest.mark.parametrize("op", sorted(OPS))
def test_binary_ops_promote_like_torch(op):
    fn = OPS[op]
    compared = 0
    for a, b in _pairs(op):
        ours, our_error = _runs(lambda: fn(cr, make(a, cr), make(b, cr)))
        theirs, their_error = _runs(lambda: fn(torch, make(a, torch), make(b, torch)))
        case = f"{a!r} {op} {b!r}"
        if their_error is not None:
            assert our_error is not None or op in TORCH_STRICTER, \
                f"{case}: torch refuses ({their_error}), chainrule gives {ours.dtype}"
            continue
        if our_error is not None:
            assert op == "**" and "bool" in str(a) and b is True, f"{case}: {our_error}"
            continue  # bool ** bool: refused (NumPy would give int8, torch gives bool)
        assert str(ours.dtype) == str(theirs.dtype).replace("torch.", ""), \
            f"{case}: chainrule {ours.dtype}, torch {theirs.dtype}"
        assert ours.shape == tuple(theirs.shape), case
        rtol = 2e-3 if ours.dtype == cr.float16 else 1e-6
        np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float),
                                   rtol=rtol, err_msg=case)
        compared += 1
    assert compared >= 150, f"only {compared} pairs compared"


# ---- result_type itself, property-based --------------------------------------------------------
operand = st.one_of(st.tuples(st.sampled_from(DTYPES), st.sampled_from([0, 1, 2])),
                    st.booleans(), st.integers(-5, 5), st.floats(-5, 5))


def _torch_operand(v):
    if isinstance(v, tuple):
        dtype, ndim = v
        return torch.ones((2,) * ndim, dtype=getattr(torch, dtype))
    return v


def _our_operand(v):
    if isinstance(v, tuple):
        dtype, ndim = v
        return (np.dtype(dtype), 2 if ndim else 1)
    return v


@settings(max_examples=300, deadline=None)
@given(operand, operand)
def test_result_type_matches_torch(a, b):
    if not (isinstance(a, tuple) or isinstance(b, tuple)):
        a = ("float32", 0)  # torch.result_type needs a tensor
    expected = torch.result_type(_torch_operand(a), _torch_operand(b))
    ours = dtypes.result_type(_our_operand(a), _our_operand(b))
    assert str(ours) == str(expected).replace("torch.", "")


@settings(max_examples=100, deadline=None)
@given(st.sampled_from(DTYPES[1:]), st.sampled_from([0, 1]),
       st.one_of(st.tuples(st.sampled_from(DTYPES[1:]), st.sampled_from([0, 1]),
                           st.sampled_from(DTYPES[1:]), st.sampled_from([0, 1])),
                 st.tuples(st.integers(0, 1), st.integers(1, 4)),  # in range even for uint8
                 st.tuples(st.floats(-3, 0), st.floats(1, 4))))
def test_three_operands_promote_like_torch(dtype, ndim, bounds):
    """clamp promotes x, min and max together (both bounds tensors, or both numbers).

    Python ints outside the tensor dtype's range are left out: NumPy refuses them
    (OverflowError), where torch wraps them around or compares them exactly, depending on the op."""
    x = (dtype, ndim)
    if len(bounds) == 4:
        lo, hi = (bounds[0], bounds[1]), (bounds[2], bounds[3])
    else:
        lo, hi = bounds
    ours, our_error = _runs(lambda: cr.clamp(make(x, cr), make(lo, cr), make(hi, cr)))
    theirs, their_error = _runs(lambda: torch.clamp(make(x, torch), make(lo, torch),
                                                    make(hi, torch)))
    if their_error is not None:
        assert our_error is not None, f"torch refuses ({their_error}), chainrule does not"
        return
    assert our_error is None, our_error
    assert str(ours.dtype) == str(theirs.dtype).replace("torch.", "")
    np.testing.assert_allclose(ours.numpy().astype(float), theirs.numpy().astype(float),
                               rtol=2e-3)
