"""Anomaly mode: names the first op whose forward or backward makes NaN or Inf, and the user's
line that created it."""
import functools
import linecache
import os
import sys

from ..backend import array_module

_enabled = False
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class detect_anomaly:
    """`with cr.autograd.detect_anomaly(): loss.backward()` (or as a decorator)."""

    def __init__(self, check_nan=True):
        self.check_nan = check_nan

    def __enter__(self):
        global _enabled
        self.prev, _enabled = _enabled, self.check_nan
        return self

    def __exit__(self, *exc):
        global _enabled
        _enabled = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with detect_anomaly(self.check_nan):
                return fn(*args, **kwargs)
        return wrapper


def is_anomaly_enabled():
    return _enabled


def user_frame():
    """'file:line: source' of the innermost caller outside the chainrule package."""
    frame = sys._getframe(1)
    while frame is not None and os.path.abspath(frame.f_code.co_filename).startswith(_PACKAGE_DIR):
        frame = frame.f_back
    if frame is None:
        return "<unknown>"
    line = linecache.getline(frame.f_code.co_filename, frame.f_lineno).strip()
    return f"{frame.f_code.co_filename}:{frame.f_lineno}: {line}"


def _bad(array):
    if not hasattr(array, "dtype") or array.dtype.kind != "f":
        return False
    return not bool(array_module(array).isfinite(array).all())


def _shapes(values):
    return ", ".join(str(tuple(getattr(v, "shape", ()))) for v in values if hasattr(v, "shape"))


def check_forward(name, inputs, outputs):
    for o in outputs:
        arr = getattr(o, "array", o)
        if _bad(arr):
            raise FloatingPointError(
                f"anomaly: {name} produced NaN or Inf in its forward output (inputs of shapes "
                f"{_shapes(inputs)}), at {user_frame()}")


def check_backward(node, grads):
    for g in grads:
        if g is not None and _bad(g.array):
            shapes = ", ".join(str(m[2]) for m in node.next_edges if m is not None)
            raise FloatingPointError(
                f"anomaly: the backward of {node.name} returned NaN or Inf (inputs of shapes "
                f"{shapes}); the op was created at {node._trace}")
