"""Weight and spectral normalization as parametrizations (the newer API): the module's `weight`
becomes a property computed from `parametrizations.weight.original*`, state dict keys as in
PyTorch."""
from ...autograd import no_grad
from ...ops import dot, mv
from ...ops.distance import normalize
from ..module import Module
from .parametrize import register_parametrization
from .spectral_norm import as_matrix, default_dim, random_unit
from .weight_norm import norm_except_dim, weight_norm_of

__all__ = ["weight_norm", "spectral_norm"]


class _WeightNorm(Module):
    """weight = original1 * (original0 / ||original1||): original0 is the norm g, original1
    the direction v."""

    def __init__(self, dim):
        super().__init__()
        self.dim = -1 if dim is None else dim

    def forward(self, weight_g, weight_v):
        return weight_norm_of(weight_v, weight_g, self.dim)

    def right_inverse(self, weight):
        return norm_except_dim(weight, self.dim), weight


def weight_norm(module, name="weight", dim=0):
    """Parametrizes `name` as g * v / ||v|| (the norm over every dimension but `dim`; over all
    of it when dim is None), learned as parametrizations.<name>.original0 (g) and original1
    (v). Returns the module."""
    return register_parametrization(module, name, _WeightNorm(dim), unsafe=True)


class _SpectralNorm(Module):
    """weight / sigma, sigma the largest singular value of the weight seen as a matrix, from the
    power iteration's vectors kept as buffers `_u` and `_v` (stepped in training mode: u from
    v, then v from u). A 1-D weight is simply divided by its norm."""

    def __init__(self, weight, n_power_iterations=1, dim=0, eps=1e-12):
        super().__init__()
        if n_power_iterations <= 0:
            raise ValueError(f"spectral_norm: n_power_iterations must be positive, got "
                             f"{n_power_iterations}")
        self.dim = dim % weight.ndim if weight.ndim else 0
        self.eps, self.n_power_iterations = eps, n_power_iterations
        if weight.ndim > 1:
            matrix = as_matrix(weight.detach(), self.dim)
            with no_grad():
                self.register_buffer("_u", random_unit(matrix.shape[0], weight, eps))
                self.register_buffer("_v", random_unit(matrix.shape[1], weight, eps))
            self._power_method(matrix, 15)  # a good estimate from the start

    def _power_method(self, matrix, steps):
        with no_grad():  # u and v are estimates kept in place, not part of the graph
            for _ in range(steps):
                self._u.copy_(normalize(mv(matrix, self._v), dim=0, eps=self.eps))
                self._v.copy_(normalize(mv(matrix.T, self._u), dim=0, eps=self.eps))

    def forward(self, weight):
        if weight.ndim == 1:
            return normalize(weight, dim=0, eps=self.eps)
        matrix = as_matrix(weight, self.dim)
        if self.training:
            self._power_method(matrix.detach(), self.n_power_iterations)
        sigma = dot(self._u.clone(), mv(matrix, self._v.clone()))
        return weight / sigma

    def right_inverse(self, value):
        return value


def spectral_norm(module, name="weight", n_power_iterations=1, eps=1e-12, dim=None):
    """Parametrizes `name` as weight / sigma (its largest singular value, by power iteration),
    learned as parametrizations.<name>.original, with buffers parametrizations.<name>.0._u and
    ._v. Returns the module."""
    weight = getattr(module, name, None)
    if weight is None:
        raise ValueError(f"spectral_norm: {type(module).__name__} has no parameter {name!r}")
    dim = default_dim(module) if dim is None else dim
    return register_parametrization(module, name,
                                    _SpectralNorm(weight, n_power_iterations, dim, eps))
