"""L-BFGS (Nocedal, 1980; Liu & Nocedal, 1989), as in Schmidt's minFunc: a quasi-Newton method
that builds its curvature estimate from the last `history_size` steps and gradient changes,
optionally with a line search satisfying the strong Wolfe conditions (Nocedal & Wright, Numerical
Optimization, algorithms 3.5 and 3.6)."""
import math

from ..autograd import enable_grad
from ..backend import array_module
from ..tensor import Tensor
from .optimizer import Optimizer, check_nonnegative


class LBFGS(Optimizer):
    """Every parameter is seen as one flat vector x, with gradient g. One `step(closure)` runs up
    to max_iter iterations (and max_eval evaluations of `closure`, which recomputes the loss and
    its gradients):

        d = -H g            H: the inverse Hessian estimated by the two-loop recursion from the
                            pairs (s, y) = (change of x, change of g) with y.s > 1e-10
        x <- x + t d        t = lr (the first iteration ever: lr * min(1, 1 / sum |g|)), or the
                            line search's t (line_search_fn="strong_wolfe")

    It stops early when max |g| <= tolerance_grad, or when the step or the change of the loss is
    below tolerance_change. Only one parameter group is supported.
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7,
                 tolerance_change=1e-9, history_size=100, line_search_fn=None):
        check_nonnegative("LBFGS", lr=lr)
        if line_search_fn not in (None, "strong_wolfe"):
            raise ValueError(f"LBFGS: line_search_fn must be None or 'strong_wolfe', got "
                             f"{line_search_fn!r}")
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        super().__init__(params, dict(lr=lr, max_iter=max_iter, max_eval=max_eval,
                                      tolerance_grad=tolerance_grad,
                                      tolerance_change=tolerance_change,
                                      history_size=history_size, line_search_fn=line_search_fn))
        if len(self.param_groups) != 1:
            raise ValueError(f"LBFGS: supports one parameter group only, got "
                             f"{len(self.param_groups)}; pass the parameters as one list")
        self._params = self.param_groups[0]["params"]

    # ---- the parameters as one flat vector ---------------------------------------------------
    def _flat_grad(self):
        xp = array_module(self._params[0].array)
        return xp.concatenate([xp.zeros(p.array.size, p.array.dtype) if p.grad is None
                               else p.grad.array.reshape(-1) for p in self._params])

    def _move(self, t, d):
        """x <- x + t d."""
        offset = 0
        for p in self._params:
            p.array += t * d[offset:offset + p.array.size].reshape(p.shape)
            p._bump()
            offset += p.array.size

    def _set(self, values):
        for p, value in zip(self._params, values):
            p.array[...] = value
            p._bump()

    def _evaluate(self, closure):
        with enable_grad():
            loss = closure()
        return loss, self._flat_grad()

    def _directional_evaluate(self, closure, x, t, d):
        """(loss, gradient) at x + t d; the parameters are put back to x afterwards."""
        self._move(t, d)
        loss, g = self._evaluate(closure)
        self._set(x)
        return float(loss), g

    # ---- the step ----------------------------------------------------------------------------
    def step(self, closure=None):
        if closure is None:
            raise TypeError("LBFGS.step: needs a closure that zeroes the gradients, computes the "
                            "loss, calls backward() and returns the loss")
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tol_grad, tol_change = group["tolerance_grad"], group["tolerance_change"]
        state = self.state.setdefault(self._params[0], {})
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)

        orig_loss, g = self._evaluate(closure)
        loss = float(orig_loss)
        evals = 1
        state["func_evals"] += 1
        xp = array_module(g)
        if xp.abs(g).max() <= tol_grad:
            return orig_loss

        memory = _Memory.load(state, group["history_size"])
        d, t = memory.d, state.get("t")
        converged = False
        for n_iter in range(1, max_iter + 1):
            state["n_iter"] += 1
            if state["n_iter"] == 1:
                memory.clear()
                d = -g
            else:
                memory.remember(s=d * t, y=g - memory.prev_g)
                d = memory.direction(g)
            memory.prev_g, memory.prev_loss = g.copy(), loss
            t = lr * min(1.0, 1.0 / float(xp.abs(g).sum())) if state["n_iter"] == 1 else lr
            gtd = float(g @ d)
            if gtd > -tol_change:  # not a descent direction
                break

            used = 0
            if group["line_search_fn"] == "strong_wolfe":
                x = [p.array.copy() for p in self._params]
                loss, g, t, used = _strong_wolfe(
                    lambda x_, t_, d_: self._directional_evaluate(closure, x_, t_, d_),
                    x, t, d, loss, g, gtd, max_ls=max_eval - evals)
                self._move(t, d)
                converged = xp.abs(g).max() <= tol_grad
            else:
                self._move(t, d)
                if n_iter != max_iter:  # the next step's closure gives the last gradient
                    loss, g = self._evaluate(closure)
                    loss = float(loss)
                    converged = xp.abs(g).max() <= tol_grad
                    used = 1
            evals += used
            state["func_evals"] += used

            if n_iter == max_iter or evals >= max_eval or converged:
                break
            if xp.abs(d * t).max() <= tol_change or abs(loss - memory.prev_loss) < tol_change:
                break

        memory.d, state["t"] = d, t
        memory.save(state)
        return orig_loss


class _Memory:
    """L-BFGS's history: the last pairs (s, y), rho = 1 / y.s, the scale H_diag = y.s / y.y of
    the initial inverse Hessian, the last direction d, gradient and loss. Kept in the optimizer's
    state (as Tensors, so that the state dict resumes it) between steps."""
    arrays = ("d", "prev_flat_grad")

    def __init__(self, history_size):
        self.history_size = history_size
        self.clear()
        self.d = self.prev_g = self.prev_loss = None

    def clear(self):
        self.s, self.y, self.rho, self.H_diag = [], [], [], 1.0

    @classmethod
    def load(cls, state, history_size):
        m = cls(history_size)
        if "old_dirs" in state:
            m.y = [v.array for v in state["old_dirs"]]
            m.s = [v.array for v in state["old_stps"]]
            m.rho, m.H_diag = list(state["ro"]), state["H_diag"]
            m.d, m.prev_g = state["d"].array, state["prev_flat_grad"].array
            m.prev_loss = state["prev_loss"]
        return m

    def save(self, state):
        state.update(d=Tensor.wrap(self.d), old_dirs=[Tensor.wrap(v) for v in self.y],
                     old_stps=[Tensor.wrap(v) for v in self.s], ro=list(self.rho),
                     H_diag=self.H_diag, prev_flat_grad=Tensor.wrap(self.prev_g),
                     prev_loss=self.prev_loss)

    def remember(self, s, y):
        """Keeps the pair only if it has positive curvature (y.s > 1e-10), the oldest going."""
        ys = float(y @ s)
        if ys > 1e-10:
            if len(self.y) == self.history_size:
                del self.s[0], self.y[0], self.rho[0]
            self.s.append(s)
            self.y.append(y)
            self.rho.append(1.0 / ys)
            self.H_diag = ys / float(y @ y)

    def direction(self, g):
        """-H g by the two-loop recursion."""
        q = -g
        alpha = [0.0] * len(self.s)
        for i in reversed(range(len(self.s))):
            alpha[i] = float(self.s[i] @ q) * self.rho[i]
            q -= alpha[i] * self.y[i]
        r = q * self.H_diag
        for i in range(len(self.s)):
            beta = float(self.y[i] @ r) * self.rho[i]
            r += (alpha[i] - beta) * self.s[i]
        return r


def _cubic_min(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimizer, clipped to `bounds` (default: between x1 and x2), of the cubic through
    (x1, f1) and (x2, f2) with slopes g1 and g2; the middle of the bounds if it has none."""
    lo, hi = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square < 0:
        return (lo + hi) / 2
    d2 = math.sqrt(d2_square)
    if x1 <= x2:
        x = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        x = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(x, lo), hi)


def _strong_wolfe(evaluate, x, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9,
                  max_ls=25):
    """A step t along d from x that decreases the loss enough (f(t) <= f + c1 t gtd) and flattens
    the slope enough (|g(t).d| <= -c2 gtd). First grows t until a bracket holds such a point,
    then shrinks the bracket by cubic interpolation (zoom). Returns (f, g, t, evaluations)."""
    xp = array_module(d)
    d_norm = float(xp.abs(d).max())
    f_new, g_new = evaluate(x, t, d)
    evals = 1
    gtd_new = float(g_new @ d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    ls_iter = 0
    # (t, f, g, g.d) at both ends of the bracket
    bracket = None
    while ls_iter < max_ls:
        if f_new > f + c1 * t * gtd or (ls_iter > 1 and f_new >= f_prev):
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket = [[t, f_new, g_new, gtd_new]]
            done = True
            break
        if gtd_new >= 0:
            bracket = [[t_prev, f_prev, g_prev, gtd_prev], [t, f_new, g_new, gtd_new]]
            break
        # extrapolate: the cubic's minimum between a bit and ten times past t
        t_next = _cubic_min(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                            bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(x, t, d)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
    if ls_iter == max_ls:
        bracket = [[0, f, g, None], [t, f_new, g_new, None]]

    # zoom: bracket[low] holds the lowest loss so far
    insufficient_progress = False
    low, high = (0, 1) if bracket[0][1] <= bracket[-1][1] else (1, 0)
    while not done and ls_iter < max_ls:
        (t0, f0, _, gtd0), (t1, f1, _, gtd1) = bracket
        if abs(t1 - t0) * d_norm < tolerance_change:
            break
        t = _cubic_min(t0, f0, gtd0, t1, f1, gtd1)
        # keep away from the ends of the bracket, unless it makes no progress twice
        top, bottom = max(t0, t1), min(t0, t1)
        eps = 0.1 * (top - bottom)
        if min(top - t, t - bottom) < eps:
            if insufficient_progress or t >= top or t <= bottom:
                t = top - eps if abs(t - top) < abs(t - bottom) else bottom + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = evaluate(x, t, d)
        evals += 1
        gtd_new = float(g_new @ d)
        ls_iter += 1
        point = [t, f_new, g_new, gtd_new]
        if f_new > f + c1 * t * gtd or f_new >= bracket[low][1]:
            bracket[high] = point
            low, high = (0, 1) if bracket[0][1] <= bracket[1][1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high][0] - bracket[low][0]) >= 0:
                bracket[high] = bracket[low]
            bracket[low] = point
    t, f_new, g_new, _ = bracket[low]
    return f_new, g_new, t, evals
