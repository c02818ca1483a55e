"""Grad modes: whether ops record the graph. Each works as a context manager and as a decorator
(`@cr.no_grad()` or `@cr.no_grad`). The mode is per thread, as in PyTorch."""
import functools
import threading


class _State(threading.local):
    enabled = True


_state = _State()


def is_grad_enabled():
    return _state.enabled


class _Mode:
    """Sets the mode on enter and restores the previous one on exit (also after an exception)."""
    mode = True

    def __new__(cls, *args, **kwargs):
        if len(args) == 1 and callable(args[0]) and not kwargs:  # used as @no_grad, bare
            return cls()(args[0])
        return super().__new__(cls)

    def __enter__(self):
        self.prev = _state.enabled
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev

    def __call__(self, fn):
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            prev, _state.enabled = _state.enabled, mode
            try:
                return fn(*args, **kwargs)
            finally:
                _state.enabled = prev
        return wrapper


class no_grad(_Mode):
    """Ops inside record no graph: for evaluation and for optimizer updates."""
    mode = False


class enable_grad(_Mode):
    """Turns recording back on inside a `no_grad` block."""
    mode = True


class inference_mode(_Mode):
    """Like `no_grad` (chainrule has no cheaper mode to offer); `inference_mode(False)` leaves
    recording on."""

    def __init__(self, mode=True):
        self.mode = not mode


class set_grad_enabled(_Mode):
    """`with set_grad_enabled(False): ...`, `@set_grad_enabled(False)`, or called on its own,
    `set_grad_enabled(False)`, which sets the mode at once (as in PyTorch)."""

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self.prev = _state.enabled
        _state.enabled = self.mode

    def __enter__(self):
        return self  # the mode was set by __init__; __exit__ restores the one before it

    def __call__(self, fn):
        _state.enabled = self.prev  # used as a decorator: undo the setting done by __init__
        return super().__call__(fn)
