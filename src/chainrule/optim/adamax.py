"""Adamax (Kingma & Ba, 2015, section 7.1): Adam with the infinity norm."""
from ..backend import array_module
from .adam_family import check_betas, decayed
from .optimizer import Optimizer, check_nonnegative


class Adamax(Optimizer):
    """Adam whose second moment is a decaying maximum of |g| instead of a mean of g^2:

        g <- g + weight_decay * p
        m <- b1 * m + (1 - b1) * g
        u <- max(b2 * u, |g| + eps)
        p <- p - lr / (1 - b1^t) * m / u
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0, *,
                 maximize=False):
        check_nonnegative("Adamax", lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas("Adamax", betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, maximize=maximize))

    def update(self, p, g, state, group):
        (b1, b2), t = group["betas"], state["step"]
        g = decayed(p, g, group)
        m = self.buffer(state, "exp_avg", p)
        u = self.buffer(state, "exp_inf", p)
        m *= b1
        m += (1 - b1) * g
        u *= b2
        xp = array_module(p)
        xp.maximum(u, xp.abs(g) + group["eps"], out=u)
        p -= group["lr"] / (1 - b1 ** t) * (m / u)
