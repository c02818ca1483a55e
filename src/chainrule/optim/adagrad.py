"""Adagrad (Duchi, Hazan & Singer, 2011)."""
from ..backend import array_module
from .optimizer import Optimizer, check_nonnegative


class Adagrad(Optimizer):
    """Each coordinate's step shrinks with the sum of its squared gradients, at step t:

        g <- g + weight_decay * p
        s <- s + g^2                        (s starts at initial_accumulator_value)
        p <- p - lr / (1 + (t - 1) * lr_decay) * g / (sqrt(s) + eps)
    """

    def __init__(self, params, lr=1e-2, lr_decay=0.0, weight_decay=0.0,
                 initial_accumulator_value=0.0, eps=1e-10, maximize=False):
        check_nonnegative("Adagrad", lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                          initial_accumulator_value=initial_accumulator_value, eps=eps)
        super().__init__(params, dict(lr=lr, lr_decay=lr_decay, weight_decay=weight_decay,
                                      initial_accumulator_value=initial_accumulator_value,
                                      eps=eps, maximize=maximize))

    def update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        s = self.buffer(state, "sum", p, group["initial_accumulator_value"])
        s += g * g
        lr = group["lr"] / (1 + (state["step"] - 1) * group["lr_decay"])
        p -= lr * (g / (array_module(p).sqrt(s) + group["eps"]))
