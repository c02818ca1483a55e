"""One step of backpropagation on a small network, worked out number by number.

The default is the classic 2-2-2 example (sigmoid units, squared error, learning rate 0.5, biases
fixed) that Matt Mazur's "A Step by Step Backpropagation Example" (2015) works by hand. Every
number here comes from chainrule's engine: each chain-rule factor is a derivative of one tensor of
the graph with respect to another (`jacobian`, by cr.grad), and their products are checked against
the gradients that `backward()` and `cr.grad` give for the weights."""
from dataclasses import asdict, dataclass, field
from types import SimpleNamespace

import numpy as np

from .. import autograd
from ..backend import dtypes
from ..ops import creation
from .report import Document, Formula, Section, Table, number

ACTIVATIONS = {
    "sigmoid": (lambda z: z.sigmoid(), "sigmoid(net) = 1 / (1 + e^-net)"),
    "tanh": (lambda z: z.tanh(), "tanh(net)"),
    "relu": (lambda z: z.relu(), "relu(net) = max(0, net)"),
}
LOSSES = {
    "squared": (lambda out, t: 0.5 * (t - out) ** 2, "1/2 (target - out)^2"),
    "cross-entropy": (lambda out, t: -(t * out.log() + (1 - t) * (1 - out).log()),
                      "-(target ln(out) + (1 - target) ln(1 - out))"),
}


@dataclass
class Settings:
    """The network and its one training example. Weights are listed row by row, one row per unit
    of the next layer: hidden_weights (0.15, 0.20, 0.25, 0.30) means h1 = 0.15 i1 + 0.20 i2 + b1
    and h2 = 0.25 i1 + 0.30 i2 + b1. A bias is one number for the layer or one per unit."""
    inputs: tuple = (0.05, 0.10)
    hidden_weights: tuple = (0.15, 0.20, 0.25, 0.30)
    hidden_bias: tuple = (0.35,)
    output_weights: tuple = (0.40, 0.45, 0.50, 0.55)
    output_bias: tuple = (0.60,)
    targets: tuple = (0.01, 0.99)
    learning_rate: float = 0.5
    activation: str = "sigmoid"
    output_activation: str = None  # None: the same as `activation`
    loss: str = "squared"
    steps: int = 10000  # further training steps after the one told in full

    def __post_init__(self):
        if self.output_activation is None:
            self.output_activation = self.activation
        self.sizes = _sizes(self)


def _sizes(s):
    """(inputs, hidden units, outputs), or a ValueError that says which list is off."""
    for name, choices in (("activation", ACTIVATIONS), ("output_activation", ACTIVATIONS),
                          ("loss", LOSSES)):
        if getattr(s, name) not in choices:
            raise ValueError(f"unknown {name.replace('_', ' ')} {getattr(s, name)!r}: choose "
                             f"from {', '.join(choices)}")
    n_in, n_out = len(s.inputs), len(s.targets)
    if not n_in or not n_out:
        raise ValueError("give at least one input and one target")
    n_hidden, extra = divmod(len(s.hidden_weights), n_in)
    if extra or not n_hidden:
        raise ValueError(f"{len(s.hidden_weights)} hidden weights do not make whole rows of "
                         f"{n_in} (one weight per input for each hidden unit)")
    if len(s.output_weights) != n_out * n_hidden:
        raise ValueError(f"expected {n_out} x {n_hidden} = {n_out * n_hidden} output weights "
                         f"(one per hidden unit for each of the {n_out} outputs), got "
                         f"{len(s.output_weights)}")
    for name, bias, units in (("hidden", s.hidden_bias, n_hidden), ("output", s.output_bias,
                                                                     n_out)):
        if len(bias) not in (1, units):
            raise ValueError(f"the {name} bias needs 1 value (shared) or {units} (one per "
                             f"unit), got {len(bias)}")
    if s.loss == "cross-entropy":
        if s.output_activation != "sigmoid":
            raise ValueError("cross-entropy needs outputs strictly between 0 and 1, so the output "
                             f"units must be sigmoid, not {s.output_activation}")
        if not all(0 <= t <= 1 for t in s.targets):
            raise ValueError("cross-entropy needs targets between 0 and 1")
    if s.steps < 0:
        raise ValueError(f"steps must be 0 or more, got {s.steps}")
    return n_in, n_hidden, n_out


# ---- the network, as plain tensors -----------------------------------------------------------
def _tensor(values, shape=None, requires_grad=False):
    t = creation.tensor(np.asarray(values, np.float64).reshape(shape or -1), dtypes.float64)
    return t.requires_grad_(requires_grad)


class _Net:
    """Weights as leaf tensors (W1: hidden x inputs, W2: outputs x hidden, as nn.Linear keeps
    them); inputs, targets and the fixed biases are constants."""

    def __init__(self, s):
        n_in, n_hidden, n_out = s.sizes
        self.s = s
        self.x, self.t = _tensor(s.inputs), _tensor(s.targets)
        self.W1 = _tensor(s.hidden_weights, (n_hidden, n_in), requires_grad=True)
        self.W2 = _tensor(s.output_weights, (n_out, n_hidden), requires_grad=True)
        self.b1 = _tensor(np.broadcast_to(s.hidden_bias, n_hidden))
        self.b2 = _tensor(np.broadcast_to(s.output_bias, n_out))

    def forward(self):
        """The tensors of one forward pass: net_h, out_h, net_o, out_o, errors, total."""
        act, act_out = ACTIVATIONS[self.s.activation][0], ACTIVATIONS[self.s.output_activation][0]
        f = SimpleNamespace()
        f.net_h = self.W1 @ self.x + self.b1
        f.out_h = act(f.net_h)
        f.net_o = self.W2 @ f.out_h + self.b2
        f.out_o = act_out(f.net_o)
        f.errors = LOSSES[self.s.loss][0](f.out_o, self.t)
        f.total = f.errors.sum()
        return f

    def update(self):
        """w <- w - learning rate x dE/dw, with the gradients in .grad."""
        with autograd.no_grad():
            for W in (self.W1, self.W2):
                W -= self.s.learning_rate * W.grad

    def step(self):
        """One step of gradient descent."""
        self.W1.grad = self.W2.grad = None
        self.forward().total.backward()
        self.update()

    def error(self):
        with autograd.no_grad():
            return self.forward().total.item()


def jacobian(y, x):
    """J[i, ...] = d y_i / d x: one backward pass per element of y, through the graph that made
    y (kept for the next pass)."""
    rows = []
    for i in range(y.numel()):
        seed = np.zeros(y.numel(), y.dtype)
        seed[i] = 1
        g, = autograd.grad(y, [x], grad_outputs=creation.tensor(seed.reshape(y.shape)),
                           retain_graph=True)
        rows.append(g.numpy())
    return np.stack(rows)


# ---- the worked step -------------------------------------------------------------------------
@dataclass
class Unit:
    name: str
    terms: list     # (weight, input value) pairs that make the net input
    bias: float
    net: float
    out: float


@dataclass
class WeightStep:
    name: str        # w1, w2, ... numbered hidden layer first, row by row
    layer: str       # "hidden" or "output"
    source: str      # the unit the weight reads (i1, h1, ...)
    target: str      # the unit it feeds (h1, o1, ...)
    value: float
    factors: list    # the three chain-rule factors, as {"name": "dE/dout_o1", "value": ...}
    gradient: float  # their product, = dE/dw
    updated: float   # value - learning rate x gradient


@dataclass
class Path:
    """One term of dE/dout_h: the way from a hidden unit's output through one output unit."""
    hidden: str
    output: str
    dE_dnet_o: float
    dnet_o_dout_h: float
    term: float


@dataclass
class Worked:
    settings: Settings
    hidden: list
    outputs: list
    errors: list
    total_error: float
    weights: list
    paths: list
    dE_dout_h: list
    error_after_update: float
    error_after_steps: float
    checks: dict = field(default_factory=dict)  # largest gap to backward() and cr.grad

    def document(self):
        return _document(self)

    def render(self, fmt="text"):
        return self.document().render(fmt)

    def to_dict(self):
        s = self.settings
        return {
            "network": {"inputs": list(s.inputs), "hidden_weights": list(s.hidden_weights),
                        "hidden_bias": list(s.hidden_bias),
                        "output_weights": list(s.output_weights),
                        "output_bias": list(s.output_bias), "targets": list(s.targets),
                        "sizes": list(s.sizes), "activation": s.activation,
                        "output_activation": s.output_activation, "loss": s.loss,
                        "learning_rate": s.learning_rate, "biases": "fixed"},
            "forward": {"hidden": [_unit_dict(u) for u in self.hidden],
                        "output": [_unit_dict(u) for u in self.outputs]},
            "errors": {"per_output": self.errors, "total": self.total_error},
            "backward": {"output_weights": [asdict(w) for w in self.weights
                                            if w.layer == "output"],
                         "paths": [asdict(p) for p in self.paths],
                         "dE_dout_h": self.dE_dout_h,
                         "hidden_weights": [asdict(w) for w in self.weights
                                            if w.layer == "hidden"]},
            "after": {"update": {"total_error": self.error_after_update},
                      "more_steps": {"steps": s.steps, "total_error": self.error_after_steps}},
            "checks": self.checks,
        }


def _unit_dict(u):
    return {"unit": u.name, "net": u.net, "out": u.out}


def worked_example(settings=None):
    """Runs the step on the engine and collects every number of the story (a `Worked`)."""
    s = settings or Settings()
    n_in, n_hidden, n_out = s.sizes
    net = _Net(s)
    f = net.forward()
    ins, hid, outs = _names("i", n_in), _names("h", n_hidden), _names("o", n_out)

    # local derivatives, each one tensor of the graph differentiated by another
    dE_dout_o = jacobian(f.total, f.out_o)[0]
    dout_dnet_o = np.diagonal(jacobian(f.out_o, f.net_o))
    dnet_o_dW2 = jacobian(f.net_o, net.W2)      # [k, k, j]: net_o[k] moves with W2[k, j]
    dnet_o_dout_h = jacobian(f.net_o, f.out_h)  # [k, j]: the weight from h_j to o_k
    dout_dnet_h = np.diagonal(jacobian(f.out_h, f.net_h))
    dnet_h_dW1 = jacobian(f.net_h, net.W1)      # [j, j, i]

    # the same gradients, as the engine computes them for the weights
    by_grad = [g.numpy() for g in autograd.grad(f.total, [net.W1, net.W2], retain_graph=True)]
    dE_dout_h_engine = jacobian(f.total, f.out_h)[0]
    f.total.backward()
    by_backward = [net.W1.grad.numpy(), net.W2.grad.numpy()]

    lr = s.learning_rate
    output_weights, chain_W2 = _layer(n_hidden * n_in, "output", net.W2, hid, outs, dE_dout_o,
                                      dout_dnet_o, dnet_o_dW2, lr)
    dE_dnet_o = dE_dout_o * dout_dnet_o
    paths = [Path(hid[j], outs[k], float(dE_dnet_o[k]), float(dnet_o_dout_h[k, j]),
                  float(dE_dnet_o[k] * dnet_o_dout_h[k, j]))
             for j in range(n_hidden) for k in range(n_out)]
    dE_dout_h = dE_dnet_o @ dnet_o_dout_h  # the sum over the paths through the outputs
    hidden_weights, chain_W1 = _layer(0, "hidden", net.W1, ins, hid, dE_dout_h, dout_dnet_h,
                                      dnet_h_dW1, lr)
    checks = _agree({"backward": ([chain_W1, chain_W2], by_backward),
                     "grad": ([chain_W1, chain_W2], by_grad),
                     "dE_dout_h": ([dE_dout_h], [dE_dout_h_engine])})

    hidden = _units(hid, net.W1.numpy(), s.inputs, net.b1.numpy(), f.net_h, f.out_h)
    output = _units(outs, net.W2.numpy(), f.out_h.numpy(), net.b2.numpy(), f.net_o, f.out_o)
    errors, total = [float(e) for e in f.errors.numpy()], f.total.item()

    net.update()
    after_update = net.error()
    for _ in range(s.steps):
        net.step()
    return Worked(s, hidden, output, errors, total, hidden_weights + output_weights, paths,
                  [float(v) for v in dE_dout_h], after_update, net.error(), checks)


def _names(prefix, n):
    return [f"{prefix}{k + 1}" for k in range(n)]


def _layer(first, layer, W, sources, targets, dE_dout, dout_dnet, dnet_dW, lr):
    """The weights of one layer, each with its three factors, numbered from w{first + 1} row by
    row; and the matrix of the factors' products."""
    chain = np.zeros(W.shape)
    weights = []
    for k, target in enumerate(targets):
        for j, source in enumerate(sources):
            factors = {f"dE/dout_{target}": dE_dout[k],
                       f"dout_{target}/dnet_{target}": dout_dnet[k],
                       f"dnet_{target}/dw": dnet_dW[k, k, j]}
            chain[k, j] = np.prod(list(factors.values()))
            value = float(W.numpy()[k, j])
            weights.append(WeightStep(
                f"w{first + k * len(sources) + j + 1}", layer, source, target, value,
                [{"name": n, "value": float(v)} for n, v in factors.items()],
                float(chain[k, j]), value - lr * float(chain[k, j])))
    return weights, chain


def _units(names, W, inputs, bias, net, out):
    net, out = net.numpy(), out.numpy()
    return [Unit(name, [(float(w), float(x)) for w, x in zip(W[k], inputs)], float(bias[k]),
                 float(net[k]), float(out[k])) for k, name in enumerate(names)]


def _agree(pairs):
    """The products of the factors must be what the engine gives, every way it is asked."""
    gaps = {}
    for how, (mine, engine) in pairs.items():
        gaps[how] = max(float(np.max(np.abs(a - b))) for a, b in zip(mine, engine))
        scale = max(float(np.max(np.abs(b))) for b in engine) or 1.0
        if gaps[how] > 1e-12 * scale + 1e-15:
            raise RuntimeError(f"explain: the chain-rule products differ from the engine's "
                               f"{how} by {gaps[how]:.3g}; please report this")
    return {f"max_gap_to_{how}": gap for how, gap in gaps.items()}


# ---- the story, as a document ----------------------------------------------------------------
def _document(w):
    s = w.settings
    act, act_out = ACTIVATIONS[s.activation][1], ACTIVATIONS[s.output_activation][1]
    units = f"{s.activation} units" if s.activation == s.output_activation else \
        f"{s.activation} hidden units and {s.output_activation} outputs"
    intro = [f"A {'-'.join(map(str, s.sizes))} network: {units}; error E = sum over outputs of "
             f"{LOSSES[s.loss][1]}; learning rate {number(s.learning_rate)}; biases fixed. Every "
             "number below comes from chainrule's engine, shown with 9 significant digits."]
    return Document("Backpropagation, one step worked out", intro, [
        Section("1. Forward pass", [_forward_table(w.hidden, act),
                                    _forward_table(w.outputs, act_out)]),
        Section("2. Error", [_error_table(w)]),
        Section("3. Output weights: dE/dw = dE/dout x dout/dnet x dnet/dw",
                [_weight_table(w, "output", "dE/dout")]),
        Section("4. Hidden weights: dE/dout sums the paths through the outputs", [
            "A hidden unit reaches E through every output unit; each path uses the output "
            "weight from before the update.",
            _paths_formula(w), _weight_table(w, "hidden", "dE/dout (sum of paths)")]),
        Section("5. After the update", [_after_table(w)])])


def _forward_table(units, activation):
    return Table(["unit", "net = sum of weight x input + bias", "net", f"out = {activation}"],
                 [[u.name, " + ".join(f"{_factor(a)} x {_factor(b)}" for a, b in u.terms)
                   + f" + {_factor(u.bias)}", number(u.net), number(u.out)] for u in units])


def _error_table(w):
    rows = [[u.name, number(t), number(u.out), number(e)]
            for u, t, e in zip(w.outputs, w.settings.targets, w.errors)]
    return Table(["output", "target", "out", f"E = {LOSSES[w.settings.loss][1]}"],
                 rows + [["total E", "", "", number(w.total_error)]])


def _weight_table(w, layer, first):
    rows = [[f"{x.name} ({x.source} -> {x.target})", number(x.value)]
            + [number(f["value"]) for f in x.factors] + [number(x.gradient), number(x.updated)]
            for x in w.weights if x.layer == layer]
    return Table(["weight", "w", first, "dout/dnet", "dnet/dw = input", "dE/dw = product",
                  f"new w = w - {number(w.settings.learning_rate)} x dE/dw"], rows)


def _paths_formula(w):
    lines = []
    for unit, total in zip(w.hidden, w.dE_dout_h):
        h = unit.name
        mine = [p for p in w.paths if p.hidden == h]
        lines.append(f"dE/dout_{h} = " + " + ".join(
            f"dE/dnet_{p.output} x dnet_{p.output}/dout_{h}" for p in mine))
        lines.append(" " * len(f"dE/dout_{h}") + " = " + " + ".join(
            f"{_factor(p.dE_dnet_o)} x {_factor(p.dnet_o_dout_h)}" for p in mine)
            + f" = {number(total)}")
    return Formula(lines)


def _factor(x):
    """A number inside a sum of products: negative ones in parentheses."""
    return f"({number(x)})" if x < 0 else number(x)


def _after_table(w):
    steps = w.settings.steps
    return Table(["", "total error"], [
        ["before", number(w.total_error)], ["after this step", number(w.error_after_update)],
        [f"after {steps} more steps ({steps + 1} in all)", number(w.error_after_steps)]])
