"""Backpropagation through time, worked out step by step on a tiny Elman RNN.

    a_t = W_xh x_t + W_hh h_{t-1} + b,   h_t = tanh(a_t),   y_t = W_hy h_t,   h_0 = 0
    L = sum over t of 1/2 (y_t - target_t)^2

Unrolled over a short sequence, the same W_hh is used at every step, so its gradient is a sum
with one term per step, dL/da_t h_{t-1}^T; and the gradient reaching h_t has two parts: one from
this step's output and one flowing back from step t+1 through W_hh and tanh'. Every number comes
from one backward() of chainrule's engine (retain_grad() on each a_t, h_t and y_t); the sums
shown are checked against W_hh.grad and W_xh.grad."""
from dataclasses import asdict, dataclass, field

import numpy as np

from .report import Document, Formula, Section, Table, number
from .worked import _agree, _factor, _tensor


@dataclass
class RNNSettings:
    """The RNN and its one training sequence: a scalar input and a scalar target per step.
    Weights are listed row by row, one row per hidden unit (W_hh (0.1, 0.4, -0.2, 0.3) means
    a_1 = 0.1 h_1 + 0.4 h_2 + ...); the bias is one number for all units or one per unit."""
    sequence: tuple = (1.0, 0.5, -1.0)
    targets: tuple = (0.5, -0.5, 0.0)
    input_weights: tuple = (0.5, -0.3)                 # W_xh, one per hidden unit
    recurrent_weights: tuple = (0.1, 0.4, -0.2, 0.3)   # W_hh, hidden x hidden
    bias: tuple = (0.0,)                               # b, fixed
    output_weights: tuple = (0.6, -0.5)                # W_hy, fixed

    def __post_init__(self):
        n = len(self.input_weights)
        problems = []
        if not self.sequence:
            problems.append("give a sequence of at least one input")
        if len(self.targets) != len(self.sequence):
            problems.append(f"expected one target per step ({len(self.sequence)}), got "
                            f"{len(self.targets)}")
        if not n:
            problems.append("give at least one input weight (one per hidden unit)")
        if len(self.recurrent_weights) != n * n:
            problems.append(f"expected {n} x {n} = {n * n} recurrent weights (W_hh, one row of "
                            f"{n} per hidden unit), got {len(self.recurrent_weights)}")
        if len(self.bias) not in (1, n):
            problems.append(f"the bias needs 1 value (shared) or {n} (one per hidden unit), "
                            f"got {len(self.bias)}")
        if len(self.output_weights) != n:
            problems.append(f"expected {n} output weights (W_hy, one per hidden unit), got "
                            f"{len(self.output_weights)}")
        if problems:
            raise ValueError("bptt: " + "; ".join(problems))
        self.hidden_size = n


@dataclass
class ForwardStep:
    t: int
    x: float
    h_prev: list    # h_{t-1}
    a: list         # W_xh x_t + W_hh h_{t-1} + b
    h: list         # tanh(a_t)
    y: float        # W_hy h_t
    target: float
    loss: float     # 1/2 (y_t - target_t)^2


@dataclass
class BackwardStep:
    t: int
    dL_dy: float       # y_t - target_t
    from_output: list  # dL/dy_t W_hy
    from_next: list    # W_hh^T dL/da_{t+1} (zero at the last step)
    dL_dh: list        # their sum: h_t.grad
    dtanh: list        # tanh'(a_t) = 1 - h_t^2
    dL_da: list        # dL/dh_t * tanh'(a_t): a_t.grad


@dataclass
class SharedWeight:
    """dL/dW = sum over steps of dL/da_t (outer) the step's input to W."""
    name: str       # W_hh or W_xh
    reads: str      # what W multiplies at step t: h_{t-1} or x_t
    value: list
    terms: list     # one matrix per step, t = 1..T
    total: list     # their sum
    grad: list      # W.grad from backward()


@dataclass
class Unrolled:
    settings: RNNSettings
    forward: list
    loss: float
    backward: list   # t = T down to 1
    weights: list    # W_hh, W_xh
    checks: dict = field(default_factory=dict)

    def document(self):
        return _document(self)

    def render(self, fmt="text"):
        return self.document().render(fmt)

    def to_dict(self):
        s = self.settings
        return {"network": {"sequence": list(s.sequence), "targets": list(s.targets),
                            "input_weights": list(s.input_weights),
                            "recurrent_weights": list(s.recurrent_weights),
                            "bias": list(s.bias), "output_weights": list(s.output_weights),
                            "hidden_size": s.hidden_size, "steps": len(s.sequence),
                            "activation": "tanh", "loss": "sum over t of 1/2 (y_t - target_t)^2"},
                "forward": [asdict(f) for f in self.forward], "loss": self.loss,
                "backward": [asdict(b) for b in self.backward],
                "weights": {w.name: asdict(w) for w in self.weights},
                "checks": self.checks}


def bptt(sequence=RNNSettings.sequence, targets=RNNSettings.targets,
         input_weights=RNNSettings.input_weights, recurrent_weights=RNNSettings.recurrent_weights,
         bias=RNNSettings.bias, output_weights=RNNSettings.output_weights):
    """Unrolls the RNN over `sequence`, runs one backward() and collects every number of the
    story (an `Unrolled`, which renders as text, Markdown or JSON)."""
    s = RNNSettings(tuple(sequence), tuple(targets), tuple(input_weights),
                    tuple(recurrent_weights), tuple(bias), tuple(output_weights))
    n = s.hidden_size
    W_xh = _tensor(s.input_weights, (n, 1), requires_grad=True)
    W_hh = _tensor(s.recurrent_weights, (n, n), requires_grad=True)
    b = _tensor(np.broadcast_to(s.bias, n))
    W_hy = _tensor(s.output_weights, (1, n))

    h, xs, hs, As, ys, losses = _tensor(np.zeros(n)), [], [], [], [], []
    for x_t, target in zip(s.sequence, s.targets):
        x = _tensor([x_t])
        a = W_xh @ x + W_hh @ h + b
        h = a.tanh()
        y = W_hy @ h
        for kept in (a, h, y):
            kept.retain_grad()
        xs.append(x)
        As.append(a)
        hs.append(h)
        ys.append(y)
        losses.append((0.5 * (y - target) ** 2).sum())
    loss = sum(losses[1:], losses[0])
    loss.backward()

    steps = len(xs)
    x, a, h, y = (np.stack([t.numpy() for t in ts]) for ts in (xs, As, hs, ys))
    h_prev = np.concatenate([np.zeros((1, n)), h[:-1]])
    dL_dh, dL_da, dL_dy = (np.stack([t.grad.numpy() for t in ts]) for ts in (hs, As, ys))
    from_output = dL_dy * W_hy.numpy()                     # [t, j]
    from_next = np.concatenate([dL_da[1:] @ W_hh.numpy(), np.zeros((1, n))])
    dtanh = 1 - h ** 2
    terms_hh = dL_da[:, :, None] * h_prev[:, None, :]     # [t]: dL/da_t h_{t-1}^T
    terms_xh = dL_da[:, :, None] * x[:, None, :]          # [t]: dL/da_t x_t^T
    checks = _agree({"dL_dh": ([from_output + from_next], [dL_dh]),
                     "dL_da": ([dL_dh * dtanh], [dL_da]),
                     "W_hh.grad": ([terms_hh.sum(0)], [W_hh.grad.numpy()]),
                     "W_xh.grad": ([terms_xh.sum(0)], [W_xh.grad.numpy()])})

    forward = [ForwardStep(t + 1, float(s.sequence[t]), h_prev[t].tolist(), a[t].tolist(),
                           h[t].tolist(), float(y[t, 0]), float(s.targets[t]),
                           losses[t].item()) for t in range(steps)]
    backward = [BackwardStep(t + 1, float(dL_dy[t, 0]), from_output[t].tolist(),
                             from_next[t].tolist(), dL_dh[t].tolist(), dtanh[t].tolist(),
                             dL_da[t].tolist()) for t in reversed(range(steps))]
    weights = [SharedWeight(name, reads, W.numpy().tolist(), terms.tolist(),
                            terms.sum(0).tolist(), W.grad.numpy().tolist())
               for name, reads, W, terms in (("W_hh", "h_{t-1}", W_hh, terms_hh),
                                             ("W_xh", "x_t", W_xh, terms_xh))]
    return Unrolled(s, forward, loss.item(), backward, weights, checks)


# ---- the story, as a document ----------------------------------------------------------------
def _document(u):
    s, steps = u.settings, len(u.forward)
    intro = [f"An Elman RNN with {s.hidden_size} tanh hidden units, unrolled over {steps} steps "
             "of one sequence. The same weights act at every step. Every number below comes "
             "from a single backward() of chainrule's engine (retain_grad() on each a_t, h_t "
             "and y_t), shown with 9 significant digits."]
    weights = Formula([
        "a_t = W_xh x_t + W_hh h_{t-1} + b,  h_t = tanh(a_t),  y_t = W_hy h_t,  h_0 = 0",
        "L = sum over t of 1/2 (y_t - target_t)^2",
        f"W_xh = {_matrix(np.reshape(s.input_weights, (-1, 1)))}   "
        f"W_hh = {_matrix(np.reshape(s.recurrent_weights, (s.hidden_size, -1)))}",
        f"b = {number(np.broadcast_to(s.bias, s.hidden_size))}   "
        f"W_hy = {number(s.output_weights)}"])
    forward = Table(["t", "x_t", "a_t = W_xh x_t + W_hh h_{t-1} + b", "h_t = tanh(a_t)",
                     "y_t = W_hy h_t", "target_t", "1/2 (y_t - target_t)^2"],
                    [[f.t, number(f.x), number(f.a), number(f.h), number(f.y), number(f.target),
                      number(f.loss)] for f in u.forward]
                    + [["L", "", "", "", "", "", number(u.loss)]])
    return Document("Backpropagation through time, step by step", intro, [
        Section("1. The network", [weights]),
        Section("2. Forward, one step after the other", [forward]),
        Section(f"3. Backward through time, from step {steps} to step 1", [
            "h_t reaches L two ways: through this step's output y_t, and through a_{t+1}, "
            "where W_hh carries it into the next step. The gradient coming back from step t+1 "
            "has passed through tanh' and W_hh once more for every step it travelled; at the "
            "last step nothing comes back.", *_backward_formulas(u)]),
        *(Section(f"{4 + k}. {w.name}: one term per step, summed", _weight_blocks(w))
          for k, w in enumerate(u.weights))])


def _backward_formulas(u):
    """One block per step, from the last: dL/dh_t as its two parts, then through tanh'."""
    blocks, pad = [], " " * 16
    for b in u.backward:
        t, last = b.t, b.t == len(u.backward)
        lines = [f"t = {t}:  dL/dh_{t} = dL/dy_{t} W_hy" + (
                     "   (the last step: nothing comes back from later)" if last else
                     f" + W_hh^T dL/da_{t + 1}"),
                 f"{pad}= {_factor(b.dL_dy)} x {number(u.settings.output_weights)}"
                 + ("" if last else f" + {number(b.from_next)}")]
        if not last:
            lines.append(f"{pad}= {number(b.from_output)} + {number(b.from_next)}")
        lines += [f"{pad}= {number(b.dL_dh)}  (h_{t}.grad)",
                  f"        dL/da_{t} = dL/dh_{t} * (1 - h_{t}^2) = {number(b.dL_dh)} * "
                  f"{number(b.dtanh)}",
                  f"{pad}= {number(b.dL_da)}  (a_{t}.grad)"]
        blocks.append(Formula(lines))
    return blocks


STEP_INPUT = {"W_hh": lambda t: f"h_{t - 1}", "W_xh": lambda t: f"x_{t}"}  # what W reads at t


def _weight_blocks(w):
    rows = [[t, f"dL/da_{t} {STEP_INPUT[w.name](t)}^T", _matrix(term)]
            for t, term in enumerate(w.terms, 1)]
    rows += [["sum", f"sum of the {len(w.terms)} terms", _matrix(w.total)],
             ["", f"{w.name}.grad from backward()", _matrix(w.grad)]]
    return [f"{w.name} = {_matrix(w.value)} is shared by every step, so dL/d{w.name} is the sum "
            f"over steps of dL/da_t (outer) {w.reads}: each step adds what it would get if "
            f"{w.name} were its own weight.", Table(["t", "term", "value"], rows)]


def _matrix(m):
    """A small matrix, row by row: [[a, b], [c, d]]."""
    return "[" + ", ".join(number(row) for row in np.asarray(m)) + "]"
