"""Spectral normalization (Miyato et al., 2018): the weight divided by its largest singular value
sigma, estimated by power iteration with vectors u and v kept between calls, so that one step a
call is enough. Weights of more than 2 dimensions are seen as matrices (shape[dim], rest).

This is the older API, a forward pre-hook that recomputes `weight` from the parameter
`weight_orig` and the buffers `weight_u`, `weight_v`; `parametrizations.spectral_norm` is the
newer one."""
from ...autograd import no_grad
from ...backend import generator
from ...ops import dot, mv
from ...ops.distance import normalize
from ...tensor import Tensor
from .weight_hooks import parameter_to_hook, remove_hook

__all__ = ["spectral_norm", "remove_spectral_norm", "as_matrix", "random_unit", "default_dim"]


def as_matrix(weight, dim):
    """The weight as a matrix: dimension `dim` as rows, every other one flattened into columns."""
    if dim != 0:
        weight = weight.movedim(dim, 0)
    return weight.reshape(weight.shape[0], -1)


def random_unit(n, like, eps):
    """A random unit vector of length n, of `like`'s dtype and device."""
    draw = Tensor(generator().standard_normal(n), dtype=like.dtype, device=like.device)
    return normalize(draw, dim=0, eps=eps)


def default_dim(module):
    """ConvTranspose weights are (in, out, *kernel): their output dimension is 1."""
    return 1 if type(module).__name__.startswith("ConvTranspose") else 0


class SpectralNorm:
    """The forward pre-hook that recomputes `module.<name>` as <name>_orig / sigma, stepping
    the power iteration (v from u, then u from v) in training mode."""

    def __init__(self, name, n_power_iterations, dim, eps):
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm: n_power_iterations must be positive, got "
                             f"{n_power_iterations}")
        self.name, self.n_power_iterations, self.dim, self.eps = \
            name, n_power_iterations, dim, eps

    def compute_weight(self, module, do_power_iteration=False):
        weight = getattr(module, self.name + "_orig")
        u, v = getattr(module, self.name + "_u"), getattr(module, self.name + "_v")
        matrix = as_matrix(weight, self.dim)
        if do_power_iteration:
            with no_grad():  # u and v are estimates kept in place, not part of the graph
                for _ in range(self.n_power_iterations):
                    v.copy_(normalize(mv(matrix.T, u), dim=0, eps=self.eps))
                    u.copy_(normalize(mv(matrix, v), dim=0, eps=self.eps))
        sigma = dot(u.clone(), mv(matrix, v.clone()))
        return weight / sigma

    def __call__(self, module, args):
        setattr(module, self.name, self.compute_weight(module, module.training))


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Replaces the parameter `name` by `name_orig`, with buffers `name_u` and `name_v` (the
    power iteration's vectors), and recomputes `name` = name_orig / sigma before each forward.
    Returns the module."""
    weight = parameter_to_hook(module, SpectralNorm, name, "spectral_norm")
    fn = SpectralNorm(name, n_power_iterations, default_dim(module) if dim is None else dim, eps)
    rows, cols = as_matrix(weight, fn.dim).shape
    with no_grad():
        u, v = random_unit(rows, weight, eps), random_unit(cols, weight, eps)
    del module._parameters[name]
    module.register_parameter(name + "_orig", weight)
    setattr(module, name, weight.detach())
    module.register_buffer(name + "_u", u)
    module.register_buffer(name + "_v", v)
    module.register_forward_pre_hook(fn)
    return module


def remove_spectral_norm(module, name="weight"):
    """Makes `name` a plain parameter again, holding the normalized weight. Returns the
    module."""
    return remove_hook(module, SpectralNorm, name, "spectral_norm", ("_orig", "_u", "_v"))
