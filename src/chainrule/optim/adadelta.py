"""Adadelta (Zeiler, 2012)."""
from ..backend import array_module
from .optimizer import Optimizer, check_nonnegative


class Adadelta(Optimizer):
    """Steps in the units of the parameter: the ratio of running RMS of past updates to running
    RMS of gradients, with decay rho:

        g <- g + weight_decay * p
        s <- rho * s + (1 - rho) * g^2
        d <- sqrt(u + eps) / sqrt(s + eps) * g
        u <- rho * u + (1 - rho) * d^2
        p <- p - lr * d
    """

    def __init__(self, params, lr=1.0, rho=0.9, eps=1e-6, weight_decay=0.0, maximize=False):
        check_nonnegative("Adadelta", lr=lr, eps=eps, weight_decay=weight_decay)
        if not 0 <= rho <= 1:
            raise ValueError(f"Adadelta: rho must be in [0, 1], got {rho}")
        super().__init__(params, dict(lr=lr, rho=rho, eps=eps, weight_decay=weight_decay,
                                      maximize=maximize))

    def update(self, p, g, state, group):
        rho, eps = group["rho"], group["eps"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        s = self.buffer(state, "square_avg", p)
        u = self.buffer(state, "acc_delta", p)
        s *= rho
        s += (1 - rho) * g * g
        xp = array_module(p)
        d = xp.sqrt(u + eps) / xp.sqrt(s + eps) * g
        u *= rho
        u += (1 - rho) * d * d
        p -= group["lr"] * d
