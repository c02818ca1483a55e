"""RMSprop (Hinton's lecture 6e; centered variant by Graves, 2013)."""
from ..backend import array_module
from .optimizer import Optimizer, check_nonnegative


class RMSprop(Optimizer):
    """Divides the gradient by a running root mean square of its recent values:

        g <- g + weight_decay * p
        s <- alpha * s + (1 - alpha) * g^2
        a <- alpha * a + (1 - alpha) * g    (centered: s - a^2 estimates the variance)
        r <- sqrt(s - a^2) + eps   (centered)   or   sqrt(s) + eps
        b <- momentum * b + g / r,  p <- p - lr * b     (without momentum: p <- p - lr * g / r)
    """

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0.0, momentum=0.0,
                 centered=False, maximize=False):
        check_nonnegative("RMSprop", lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                          momentum=momentum)
        super().__init__(params, dict(lr=lr, alpha=alpha, eps=eps, weight_decay=weight_decay,
                                      momentum=momentum, centered=centered, maximize=maximize))

    def update(self, p, g, state, group):
        alpha, mu = group["alpha"], group["momentum"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        s = self.buffer(state, "square_avg", p)
        s *= alpha
        s += (1 - alpha) * g * g
        xp = array_module(p)
        if group["centered"]:
            a = self.buffer(state, "grad_avg", p)
            a *= alpha
            a += (1 - alpha) * g
            r = xp.sqrt(s - a * a) + group["eps"]
        else:
            r = xp.sqrt(s) + group["eps"]
        if mu > 0:
            b = self.buffer(state, "momentum_buffer", p)
            b *= mu
            b += g / r
            p -= group["lr"] * b
        else:
            p -= group["lr"] * (g / r)
