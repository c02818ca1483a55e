"""`cr.backends`: PyTorch's switches for its GPU libraries, so scripts that set them run
unchanged. CuPy chooses its own kernels, so none of these changes what chainrule computes: each
is a plain attribute that keeps what it is set to."""
from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
