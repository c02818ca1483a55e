"""Averaged SGD (Polyak & Juditsky, 1992), with the step-size schedule of Bottou (2012)."""
from .adam_family import decayed
from .optimizer import Optimizer, check_nonnegative


class ASGD(Optimizer):
    """SGD with a decaying step eta, which also keeps `ax`, the running average of the iterates
    from step t0 on (the averaged weights to evaluate with):

        g <- g + weight_decay * p
        p <- p * (1 - lambd * eta) - eta * g
        ax <- ax + mu * (p - ax)                     (ax = p while mu = 1)
        eta <- lr / (1 + lambd * lr * t) ** alpha,   mu <- 1 / max(1, t - t0)   (for step t + 1)
    """

    def __init__(self, params, lr=1e-2, lambd=1e-4, alpha=0.75, t0=1e6, weight_decay=0.0, *,
                 maximize=False):
        check_nonnegative("ASGD", lr=lr, weight_decay=weight_decay)
        super().__init__(params, dict(lr=lr, lambd=lambd, alpha=alpha, t0=t0,
                                      weight_decay=weight_decay, maximize=maximize))

    def update(self, p, g, state, group):
        lr, lambd, t = group["lr"], group["lambd"], state["step"]
        eta = state.setdefault("eta", lr)
        mu = state.setdefault("mu", 1.0)
        ax = self.buffer(state, "ax", p)
        g = decayed(p, g, group)
        p *= 1 - lambd * eta
        p -= eta * g
        if mu != 1:
            ax += mu * (p - ax)
        else:
            ax[...] = p
        state["eta"] = lr / (1 + lambd * lr * t) ** group["alpha"]
        state["mu"] = 1 / max(1, t - group["t0"])
