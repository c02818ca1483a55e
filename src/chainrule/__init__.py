"""chainrule: backpropagation you can read, from the chain rule to GPU training."""
from .tensor import Tensor  # first: the layers above it import it (see the end of tensor.py)
from .tensor import Size, is_floating_point, is_tensor, set_printoptions
from . import autograd, backend
from .autograd import (enable_grad, grad, inference_mode, is_grad_enabled, no_grad,
                       set_grad_enabled)
from .backend import (Device, Generator, default_generator, get_default_device, get_rng_state,
                      initial_seed, manual_seed, seed, set_default_device, set_rng_state)
from .backend import Device as device
from .backend.dtypes import (bool_, double, float, float16, float32, float64, get_default_dtype,
                             half, int, int8, int16, int32, int64, long, set_default_dtype,
                             uint8)
from . import ops
from .ops import *  # noqa: F401,F403
from . import data, explain, io, nn, optim, train
from . import utils
from . import accelerator, backends, cuda
from .io import load, save

bool = bool_
__version__ = "0.1.0"
