"""Anomaly mode: names the first op whose forward or backward makes NaN or Inf, the shapes it
was given, and the user's line that created it.

    with cr.autograd.detect_anomaly():
        loss = model(x)       # each op notes the line that made it (slower: for debugging)
        loss.backward()"""
import functools
import linecache
import os
import sys

from ..backend import array_module

_enabled = False
_in_backward = None  # the node whose backward is running, while anomaly mode is on
_PACKAGE_DIR = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


class detect_anomaly:
    """A context manager (or decorator) that turns anomaly mode on."""

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


def running_backward_of(node):
    """`with running_backward_of(node):` attributes NaN made by the ops inside node's backward
    to node."""
    return _Backward(node)


class _Backward:
    def __init__(self, node):
        self.node = node

    def __enter__(self):
        global _in_backward
        self.prev, _in_backward = _in_backward, self.node

    def __exit__(self, *exc):
        global _in_backward
        _in_backward = self.prev


def check_forward(name, inputs, outputs):
    if not any(_bad(getattr(o, "array", o)) for o in outputs):
        return
    if _in_backward is not None:  # an op inside a node's backward
        raise _backward_error(_in_backward, f" (in {name}, on inputs of shapes {_shapes(inputs)})")
    raise FloatingPointError(
        f"anomaly: {name} produced NaN or Inf in its forward output (inputs of shapes "
        f"{_shapes(inputs)}), at {user_frame()}")


def check_backward(node, grads):
    if any(g is not None and _bad(getattr(g, "array", g)) for g in grads):
        raise _backward_error(node, "")


def _backward_error(node, detail):
    shapes = ", ".join(str(tuple(e.shape)) for e in node.next_edges if e is not None)
    where = node.trace or "<unknown: run the forward inside detect_anomaly() to see where>"
    return FloatingPointError(
        f"anomaly: the backward of {node.name} produced NaN or Inf{detail}; the op took inputs "
        f"of shapes {shapes} and was created at {where}")


def _bad(array):
    if not hasattr(array, "dtype") or array.dtype.kind != "f":
        return False
    return not bool(array_module(array).isfinite(array).all())


def _shapes(values):
    return ", ".join(str(tuple(v.shape)) for v in values if hasattr(v, "shape"))
