"""What the Adam-like optimizers share: checking betas, weight decay added to the gradient (L2)
or taken off the weights directly (decoupled, as in AdamW), and the running moments of g."""
from .optimizer import Optimizer


def check_betas(optimizer, betas):
    """Raises a ValueError unless both betas are in [0, 1)."""
    for i, beta in enumerate(betas):
        if not 0 <= beta < 1:
            raise ValueError(f"{optimizer}: betas[{i}] must be in [0, 1), got {beta}")


def decayed(p, g, group, decoupled=False):
    """The gradient after the group's weight decay: g + wd * p, or (decoupled) g itself, with p
    shrunk in place by the factor 1 - lr * wd."""
    wd = group["weight_decay"]
    if not wd:
        return g
    if decoupled:
        p *= 1 - group["lr"] * wd
        return g
    return g + wd * p


def moments(state, p, g, betas):
    """The running moments of g, updated in place and returned:

        m <- b1 * m + (1 - b1) * g          (state "exp_avg")
        v <- b2 * v + (1 - b2) * g^2        (state "exp_avg_sq")
    """
    b1, b2 = betas
    m = Optimizer.buffer(state, "exp_avg", p)
    v = Optimizer.buffer(state, "exp_avg_sq", p)
    m *= b1
    m += (1 - b1) * g
    v *= b2
    v += (1 - b2) * g * g
    return m, v
