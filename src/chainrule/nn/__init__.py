"""Neural networks: Module and Parameter, containers, layers, `functional` (as F), `init` and
`utils` (gradient clipping)."""
from . import init, utils
from .containers import (Identity, ModuleDict, ModuleList, ParameterDict, ParameterList,
                         Sequential)
from .module import Module, RemovableHandle
from .parameter import Parameter
from .layers import *  # noqa: F401,F403  (the layers define their __all__)
from . import functional
from . import parallel
from .parallel import DataParallel
