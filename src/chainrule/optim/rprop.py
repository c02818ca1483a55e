"""Rprop (Riedmiller & Braun, 1993): steps that follow only the sign of the gradient."""
from ..backend import array_module
from .optimizer import Optimizer, check_nonnegative


class Rprop(Optimizer):
    """Each coordinate has its own step size (starting at lr), which grows by etas[1] while the
    gradient keeps its sign and shrinks by etas[0] when it flips, within step_sizes:

        s <- clip(s * (etas[1] if g * g_prev > 0, etas[0] if < 0, else 1), *step_sizes)
        g <- 0 where the sign flipped (that step is skipped, and not counted as a flip next time)
        p <- p - sign(g) * s,   g_prev <- g
    """

    def __init__(self, params, lr=1e-2, etas=(0.5, 1.2), step_sizes=(1e-6, 50), *,
                 maximize=False):
        check_nonnegative("Rprop", lr=lr)
        if not 0 < etas[0] < 1 < etas[1]:
            raise ValueError(f"Rprop: expected 0 < etas[0] < 1 < etas[1], got {tuple(etas)}")
        super().__init__(params, dict(lr=lr, etas=tuple(etas), step_sizes=tuple(step_sizes),
                                      maximize=maximize))

    def update(self, p, g, state, group):
        (shrink, grow), (smallest, largest) = group["etas"], group["step_sizes"]
        prev = self.buffer(state, "prev", p)
        s = self.buffer(state, "step_size", p, group["lr"])
        xp = array_module(p)
        agreement = g * prev
        flipped = agreement < 0
        s *= xp.where(agreement > 0, grow, xp.where(flipped, shrink, 1.0))
        xp.clip(s, smallest, largest, out=s)
        g = xp.where(flipped, 0, g)
        p -= xp.sign(g) * s
        prev[...] = g
