"""Weight normalization (Salimans & Kingma, 2016): a weight written as w = g * v / ||v||, so that
its length g and its direction v are learned separately.

This is the older API, a forward pre-hook that recomputes `weight` from the parameters
`weight_g` and `weight_v` before every call; `parametrizations.weight_norm` is the newer one."""
from ...autograd import no_grad
from ..parameter import Parameter
from .weight_hooks import parameter_to_hook, remove_hook

__all__ = ["weight_norm", "remove_weight_norm", "norm_except_dim", "weight_norm_of"]


def norm_except_dim(v, dim):
    """The 2-norm of v over every dimension but `dim`, kept as size-1 dimensions so that it
    broadcasts against v; dim -1 (or None) means over all of v, a 0-d tensor."""
    if dim is None or dim == -1:
        return v.pow(2).sum().sqrt()
    dim = dim % v.ndim
    others = tuple(d for d in range(v.ndim) if d != dim)
    return v.pow(2).sum(dim=others, keepdim=True).sqrt()


def weight_norm_of(v, g, dim):
    """w = v * (g / ||v||), the norm taken as norm_except_dim."""
    return v * (g / norm_except_dim(v, dim))


class WeightNorm:
    """The forward pre-hook that recomputes `module.<name>` from <name>_g and <name>_v."""

    def __init__(self, name, dim):
        self.name, self.dim = name, dim

    def compute_weight(self, module):
        return weight_norm_of(getattr(module, self.name + "_v"), getattr(module, self.name + "_g"),
                              self.dim)

    def __call__(self, module, args):
        setattr(module, self.name, self.compute_weight(module))


def weight_norm(module, name="weight", dim=0):
    """Replaces the parameter `name` of `module` by `name_g` (its norm over every dimension but
    `dim`; over all of it when dim is None) and `name_v` (the parameter itself), from which
    `name` is recomputed before each forward. Returns the module."""
    weight = parameter_to_hook(module, WeightNorm, name, "weight_norm")
    fn = WeightNorm(name, -1 if dim is None else dim)
    del module._parameters[name]
    with no_grad():
        module.register_parameter(name + "_g", Parameter(norm_except_dim(weight, fn.dim)))
    module.register_parameter(name + "_v", Parameter(weight.detach()))
    setattr(module, name, fn.compute_weight(module))
    module.register_forward_pre_hook(fn)
    return module


def remove_weight_norm(module, name="weight"):
    """Folds `name_g` and `name_v` back into one parameter `name`. Returns the module."""
    return remove_hook(module, WeightNorm, name, "weight_norm", ("_g", "_v"))
