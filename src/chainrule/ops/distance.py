"""Norms and distances between vectors along a dim: normalize, cosine similarity, pairwise
distance. Composites of reductions, so their gradients (of every order) come for free."""
from .elementwise import clamp
from .reduce import norm, sum as sum_
from .shape import broadcast_to, normalize_dim

__all__ = ["cosine_similarity", "pairwise_distance"]


def normalize(input, p=2.0, dim=1, eps=1e-12, out=None):
    """x / max(||x||_p, eps) along dim: unit vectors (the eps keeps a zero vector zero)."""
    if out is not None:
        raise ValueError("normalize: out= is not supported; use the returned tensor")
    return input / clamp(norm(input, p, dim, keepdim=True), min=eps)


def cosine_similarity(x1, x2, dim=1, eps=1e-8):
    """x1 . x2 / (||x1|| ||x2||) along dim (x1 and x2 broadcast), each norm at least eps."""
    try:
        shape = (x1 * x2).shape
    except ValueError:
        raise ValueError(f"cosine_similarity: shapes {x1.shape} and {x2.shape} do not "
                         "broadcast") from None
    d = normalize_dim("cosine_similarity", dim, len(shape))
    x1, x2 = broadcast_to(x1, shape), broadcast_to(x2, shape)
    return sum_(_unit_vector(x1, d, eps) * _unit_vector(x2, d, eps), d)


def _unit_vector(x, dim, eps):
    """x / max(||x||, eps) as PyTorch's cosine_similarity computes it: the norm's value is
    raised to eps, but its gradient stays that of the norm itself."""
    n = norm(x, 2, dim, keepdim=True)
    raised = clamp(n.detach(), min=eps) - n.detach()  # 0 wherever the norm is at least eps
    return x / (n + raised)


def pairwise_distance(x1, x2, p=2.0, eps=1e-6, keepdim=False):
    """||x1 - x2 + eps||_p over the last dim (x1 and x2 broadcast); eps keeps the gradient
    finite where the two are equal."""
    diff = x1 - x2
    return norm(diff + eps, p, diff.ndim - 1 if diff.ndim else None, keepdim)
