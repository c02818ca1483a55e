"""NAdam (Dozat, 2016): Adam with Nesterov momentum."""
from ..backend import array_module
from .adam_family import check_betas, decayed, moments
from .optimizer import Optimizer, check_nonnegative


class NAdam(Optimizer):
    """Adam that looks one step ahead with a momentum that warms up over the steps t:

        mu_t = b1 * (1 - 0.96 ** (t * momentum_decay) / 2),   P_t = mu_1 * ... * mu_t
        m <- b1 * m + (1 - b1) * g,   v <- b2 * v + (1 - b2) * g^2
        r = sqrt(v / (1 - b2^t)) + eps
        p <- p - lr * (1 - mu_t) / (1 - P_t) * g / r - lr * mu_{t+1} / (1 - P_t * mu_{t+1}) * m / r

    weight_decay joins g, or with decoupled_weight_decay shrinks p (NAdamW).
    """

    def __init__(self, params, lr=2e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 momentum_decay=4e-3, decoupled_weight_decay=False, *, maximize=False):
        check_nonnegative("NAdam", lr=lr, eps=eps, weight_decay=weight_decay,
                          momentum_decay=momentum_decay)
        check_betas("NAdam", betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, momentum_decay=momentum_decay,
                                      decoupled_weight_decay=decoupled_weight_decay,
                                      maximize=maximize))

    def update(self, p, g, state, group):
        lr, (b1, b2), t = group["lr"], group["betas"], state["step"]
        g = decayed(p, g, group, group["decoupled_weight_decay"])

        def momentum(step):
            return b1 * (1 - 0.5 * 0.96 ** (step * group["momentum_decay"]))
        mu, mu_next = momentum(t), momentum(t + 1)
        product = state["mu_product"] = state.get("mu_product", 1.0) * mu
        m, v = moments(state, p, g, group["betas"])
        r = array_module(p).sqrt(v / (1 - b2 ** t)) + group["eps"]
        p -= lr * (1 - mu) / (1 - product) * (g / r)
        p -= lr * mu_next / (1 - product * mu_next) * (m / r)
