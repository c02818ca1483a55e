"""Every differentiable op, grouped by family. `TENSOR_METHODS` are also methods of Tensor."""
from . import activation, conv, creation, elementwise, indexing, linalg, reduce, shape, softmax

# taken before the star imports, which rebind `softmax` to the function of that name
_FAMILIES = (activation, conv, creation, elementwise, indexing, linalg, reduce, shape, softmax)

from .activation import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .softmax import *  # noqa: F401,F403
TENSOR_METHODS = [name for family in _FAMILIES for name in family.METHODS]
