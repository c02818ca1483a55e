"""Grad modes: whether ops record the graph. Each works as a context manager and as a decorator."""
import functools
import threading


class _State(threading.local):
    enabled = True


_state = _State()


def is_grad_enabled():
    return _state.enabled


class set_grad_enabled:
    """`with set_grad_enabled(False): ...` or `@set_grad_enabled(False)`."""

    def __init__(self, mode=True):
        self.mode = bool(mode)
        self.prev = _state.enabled
        _state.enabled = self.mode  # like PyTorch, calling it as a function sets the mode now

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev

    def __call__(self, fn):
        _state.enabled = self.prev  # used as a decorator: undo the eager set above
        mode = self.mode

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapper


class _Mode:
    """Base of no_grad/enable_grad: sets the mode on enter, restores it on exit."""
    mode = True

    def __enter__(self):
        self.prev = _state.enabled
        _state.enabled = self.mode
        return self

    def __exit__(self, *exc):
        _state.enabled = self.prev

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapper


class no_grad(_Mode):
    """Ops inside record no graph: for evaluation and for optimizer updates."""
    mode = False


class enable_grad(_Mode):
    """Turns recording back on inside a `no_grad` block."""
    mode = True


class inference_mode(_Mode):
    """Like `no_grad` (chainrule has no cheaper mode to offer): `inference_mode(False)` is a no-op."""

    def __init__(self, mode=True):
        self.mode = not mode
