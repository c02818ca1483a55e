"""`cr.backends.cuda.matmul.allow_tf32` and friends: settable, and changing nothing (see
`cr.backends`)."""
import types

from ..backend import cupy

matmul = types.SimpleNamespace(allow_tf32=False, allow_fp16_reduced_precision_reduction=True,
                               allow_bf16_reduced_precision_reduction=True)


def is_built():
    """Whether chainrule can use CUDA at all here (CuPy is installed)."""
    return cupy is not None
