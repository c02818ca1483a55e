"""Adam (Kingma & Ba, 2015) and AdamW (Loshchilov & Hutter, 2019: decoupled weight decay)."""
import math

from ..backend import array_module
from .adam_family import check_betas, decayed, moments
from .optimizer import Optimizer, check_nonnegative


class Adam(Optimizer):
    """Step size per coordinate from running moments of the gradient g, at step t:

        g <- g + weight_decay * p           (AdamW instead shrinks p: p <- p * (1 - lr * wd))
        m <- b1 * m + (1 - b1) * g          first moment
        v <- b2 * v + (1 - b2) * g^2        second moment (amsgrad: its running maximum)
        p <- p - lr / (1 - b1^t) * m / (sqrt(v) / sqrt(1 - b2^t) + eps)
    """
    decoupled_weight_decay = False

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0,
                 amsgrad=False, maximize=False):
        name = type(self).__name__
        check_nonnegative(name, lr=lr, eps=eps, weight_decay=weight_decay)
        check_betas(name, betas)
        super().__init__(params, dict(lr=lr, betas=tuple(betas), eps=eps,
                                      weight_decay=weight_decay, amsgrad=amsgrad,
                                      maximize=maximize))

    def update(self, p, g, state, group):
        lr, (b1, b2), t = group["lr"], group["betas"], state["step"]
        g = decayed(p, g, group, self.decoupled_weight_decay)
        m, v = moments(state, p, g, group["betas"])
        xp = array_module(p)
        if group["amsgrad"]:
            v_max = self.buffer(state, "max_exp_avg_sq", p)
            xp.maximum(v_max, v, out=v_max)
            v = v_max
        denom = xp.sqrt(v) / math.sqrt(1 - b2 ** t) + group["eps"]
        p -= lr / (1 - b1 ** t) * (m / denom)


class AdamW(Adam):
    """Adam whose weight decay shrinks the weights directly instead of joining the gradient,
    so that it is not rescaled by the adaptive step size."""
    decoupled_weight_decay = True

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, maximize=False):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, maximize)
