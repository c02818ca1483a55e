"""dtypes: chainrule's dtypes are NumPy's, promoted the way PyTorch promotes them."""
import builtins

import numpy as np

bool_ = np.dtype(np.bool_)
uint8 = np.dtype(np.uint8)
int8 = np.dtype(np.int8)
int16 = np.dtype(np.int16)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
float16 = np.dtype(np.float16)
float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
half, float, double, long, int = float16, float32, float64, int64, int32  # PyTorch's aliases

_default_float = float32
_ALIASES = {"bool": bool_, "half": float16, "float": float32, "double": float64,
            "long": int64, "int": int32}


def get_default_dtype():
    return _default_float


def set_default_dtype(dtype):
    global _default_float
    dtype = as_dtype(dtype)
    if not is_floating(dtype):
        raise TypeError(f"set_default_dtype: expected a floating dtype, got {dtype}")
    _default_float = dtype


def as_dtype(dtype):
    """Accepts chainrule/NumPy dtypes, their names ('float32', 'long') and Python's bool, int and
    float."""
    if dtype is None or isinstance(dtype, np.dtype):
        return dtype
    if dtype is builtins.float:
        return _default_float
    if dtype is builtins.int:
        return int64
    if isinstance(dtype, str) and dtype in _ALIASES:
        return _ALIASES[dtype]
    try:
        return np.dtype(dtype)
    except TypeError:
        raise TypeError(f"unknown dtype {dtype!r}: use chainrule.float32, float64, float16, "
                        "int32, int64, uint8 or bool") from None


def is_floating(dtype):
    return dtype.kind == "f"


def _category(dtype):
    return {"b": 0, "u": 1, "i": 1, "f": 2}.get(dtype.kind, 3)


def _scalar_dtype(value):
    if isinstance(value, (builtins.bool, np.bool_)):
        return bool_
    if isinstance(value, (builtins.int, np.integer)):
        return int64
    if isinstance(value, (complex, np.complexfloating)):
        raise TypeError("complex numbers are not supported")
    return _default_float


def result_type(*operands):
    """PyTorch's promotion: the highest category (bool < integer < float) wins; within it, dtypes of
    tensors with dimensions outrank 0-d tensors, which outrank Python scalars.

    Each operand is a dtype with a rank, (dtype, 2) for an n-d array and (dtype, 1) for a 0-d one,
    or a Python scalar."""
    groups = {}
    for op in operands:
        if isinstance(op, tuple):
            dtype, rank = op
        else:
            dtype, rank = _scalar_dtype(op), 0
        groups.setdefault(rank, []).append(dtype)
    top = max(_category(d) for ds in groups.values() for d in ds)
    for rank in (2, 1, 0):
        winners = [d for d in groups.get(rank, ()) if _category(d) == top]
        if winners:
            out = winners[0]
            for d in winners[1:]:
                out = np.promote_types(out, d)
            return out
    raise AssertionError("unreachable: some operand has the top category")
