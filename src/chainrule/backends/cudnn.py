"""`cr.backends.cudnn.enabled` and friends, PyTorch's switches. `enabled` chooses the recurrent
layers' path, as it does in PyTorch: True (the default) runs nn.RNN/LSTM/GRU as fused ops, quick
but once differentiable, like cuDNN's; False runs them step by step as recorded ops, so that
their gradients can be differentiated again. The others are settable and change nothing (see
`cr.backends`)."""
import contextlib
import sys

from ..backend import cuda_device_count, cupy

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


@contextlib.contextmanager
def flags(enabled=False, benchmark=False, benchmark_limit=10, deterministic=False,
          allow_tf32=True):
    """Sets the switches inside a `with` block and restores them after, as PyTorch's
    `torch.backends.cudnn.flags` (so `flags(enabled=False)` runs recurrent layers step by
    step). benchmark_limit is accepted and ignored."""
    module = sys.modules[__name__]
    names = ("enabled", "benchmark", "deterministic", "allow_tf32")
    saved = {name: getattr(module, name) for name in names}
    for name, value in zip(names, (enabled, benchmark, deterministic, allow_tf32)):
        setattr(module, name, value)
    try:
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def is_available():
    """Whether cuDNN can be used: CuPy with cuDNN, and a GPU."""
    if cupy is None or cuda_device_count() == 0:
        return False
    try:
        from cupy.cuda import cudnn  # noqa: F401
    except ImportError:
        return False
    return True


def version():
    """cuDNN's version number, or None where it cannot be used."""
    if not is_available():
        return None
    from cupy.cuda import cudnn
    return cudnn.getVersion()
