"""`cr.backends.cudnn.benchmark = True` and friends: settable, and changing nothing (see
`cr.backends`)."""
from ..backend import cuda_device_count, cupy

enabled = True
benchmark = False
deterministic = False
allow_tf32 = True


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
