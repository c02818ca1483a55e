"""RAdam (Liu et al., 2020): Adam whose adaptive step is switched on only once the variance of
its second-moment estimate is tractable."""
import math

from ..backend import array_module
from .adam_family import check_betas, decayed, moments
from .optimizer import Optimizer, check_nonnegative


class RAdam(Optimizer):
    """With rho_inf = 2 / (1 - b2) - 1 and rho_t = rho_inf - 2 t b2^t / (1 - b2^t), the length
    of the approximated simple moving average at step t:

        m <- b1 * m + (1 - b1) * g,   v <- b2 * v + (1 - b2) * g^2,   m_hat = m / (1 - b1^t)
        rho_t > 5:  r = sqrt((rho_t - 4)(rho_t - 2) rho_inf / ((rho_inf - 4)(rho_inf - 2) rho_t))
                    p <- p - lr * r * m_hat * sqrt(1 - b2^t) / (sqrt(v) + eps)
        otherwise:  p <- p - lr * m_hat                  (plain momentum SGD)

    weight_decay joins g, or with decoupled_weight_decay shrinks p (RAdamW).
    """

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 decoupled_weight_decay=False, *, maximize=False):
        check_nonnegative("RAdam", lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas("RAdam", betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def update(self, p, g, state, group):
        lr, (b1, b2), t = group["lr"], group["betas"], state["step"]
        g = decayed(p, g, group, group["decoupled_weight_decay"])
        m, v = moments(state, p, g, group["betas"])
        m_hat = m / (1 - b1 ** t)
        rho_inf = 2 / (1 - b2) - 1
        rho_t = rho_inf - 2 * t * b2 ** t / (1 - b2 ** t)
        if rho_t > 5:
            rect = math.sqrt((rho_t - 4) * (rho_t - 2) * rho_inf
                             / ((rho_inf - 4) * (rho_inf - 2) * rho_t))
            adaptive = math.sqrt(1 - b2 ** t) / (array_module(p).sqrt(v) + group["eps"])
            p -= lr * rect * (m_hat * adaptive)
        else:
            p -= lr * m_hat
