"""Stochastic gradient descent, with momentum (heavy ball or Nesterov) and weight decay."""
from .optimizer import Optimizer, check_nonnegative


class SGD(Optimizer):
    """With g the gradient (negated to maximize), mu the momentum and tau the dampening:

        g <- g + weight_decay * p
        b <- mu * b + (1 - tau) * g         (b = g on the first step)
        g <- g + mu * b  (nesterov)   or   g <- b
        p <- p - lr * g
    """

    def __init__(self, params, lr=1e-3, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False, maximize=False):
        check_nonnegative("SGD", lr=lr, momentum=momentum, weight_decay=weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("SGD: Nesterov momentum needs momentum > 0 and dampening = 0")
        super().__init__(params, dict(lr=lr, momentum=momentum, dampening=dampening,
                                      weight_decay=weight_decay, nesterov=nesterov,
                                      maximize=maximize))

    def update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p
        mu = group["momentum"]
        if mu:
            first = "momentum_buffer" not in state
            b = self.buffer(state, "momentum_buffer", p)
            if first:
                b[...] = g
            else:
                b *= mu
                b += (1 - group["dampening"]) * g
            g = g + mu * b if group["nesterov"] else b
        p -= group["lr"] * g
