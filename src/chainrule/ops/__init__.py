"""Every differentiable op, grouped by family. Those that are also methods of Tensor say so
where they are defined (`@tensor_method`)."""
from . import activation, conv, creation, elementwise, indexing, inplace, linalg, reduce, shape, \
    softmax

from .activation import *  # noqa: F401,F403
from .arrange import *  # noqa: F401,F403
from .conv import *  # noqa: F401,F403
from .counting import *  # noqa: F401,F403
from .creation import *  # noqa: F401,F403
from .distance import *  # noqa: F401,F403
from .elementwise import *  # noqa: F401,F403
from .indexing import *  # noqa: F401,F403
from .linalg import *  # noqa: F401,F403
from .linalg.diagonals import diagonal  # noqa: F401  (cr.linalg.diagonal's dims differ)
from .linalg.products import cross  # noqa: F401  (cr.linalg.cross's dim differs)
from .math import *  # noqa: F401,F403
from .reduce import *  # noqa: F401,F403
from .scan import *  # noqa: F401,F403
from .scatter import *  # noqa: F401,F403
from .shape import *  # noqa: F401,F403
from .padding import *  # noqa: F401,F403  (after shape: its pad, with PyTorch's rules, wins)
from .shuffle import *  # noqa: F401,F403
from .softmax import *  # noqa: F401,F403
from .sorting import *  # noqa: F401,F403
from .tensor_methods import *  # noqa: F401,F403
from .triangular import *  # noqa: F401,F403

inplace.make_in_place_forms()  # last: `mul_` and the others, made from the ops above
