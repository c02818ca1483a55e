"""`cr.backends`: PyTorch's switches for its GPU libraries, so scripts that set them run
unchanged. CuPy chooses its own kernels, so these are plain attributes that keep what they are
set to, with one exception: `cudnn.enabled = False` (or `cudnn.flags(enabled=False)`) makes the
recurrent layers walk their steps with differentiable ops instead of one fused op per layer,
as PyTorch users turn cuDNN off for a double backward through an RNN."""
from . import cuda, cudnn, mps

__all__ = ["cuda", "cudnn", "mps"]
