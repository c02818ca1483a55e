"""Every differentiable op, grouped by family. Those that are also methods of Tensor say so
where they are defined (`@tensor_method`)."""
from . import activation, conv, creation, elementwise, indexing, linalg, reduce, shape, softmax

from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .softmax import *  # noqa: F401,F403
