"""Vanishing gradients over time: how much of a loss at the last step reaches each earlier one.

On a long-range task the answer depends on the first input, so the gradient must travel back
through every step. A tanh RNN multiplies it by W_hh^T diag(tanh') once per step, and it shrinks
geometrically; an LSTM carries its cell along c_t = f_t c_{t-1} + ..., multiplied only by the
forget gate, and keeps far more of it (Hochreiter & Schmidhuber 1997; Bengio et al. 1994)."""
import numpy as np

from .. import autograd, nn
from ..backend import dtypes
from ..nn import functional as F
from ..ops import creation

CELLS = {"rnn": nn.RNN, "lstm": nn.LSTM}


class SequenceClassifier(nn.Module):
    """A one-layer recurrent net (`kind` "rnn": tanh RNN, or "lstm") read by a linear layer at
    the last step. An LSTM's forget gates start at sigmoid(forget_bias) (1 by default, as Gers et
    al. 2000 and Jozefowicz et al. 2015 advise; 0 leaves PyTorch's initialization)."""

    def __init__(self, kind, input_size=1, hidden_size=32, classes=2, forget_bias=1.0):
        super().__init__()
        if kind not in CELLS:
            raise ValueError(f"SequenceClassifier: unknown kind {kind!r}: choose from "
                             f"{', '.join(CELLS)}")
        self.kind = kind
        self.rnn = CELLS[kind](input_size, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, classes)
        if kind == "lstm":
            with autograd.no_grad():  # gates are ordered i, f, g, o
                self.rnn.bias_ih_l0[hidden_size:2 * hidden_size] = forget_bias
                self.rnn.bias_hh_l0[hidden_size:2 * hidden_size] = 0.0

    def forward(self, x):
        out, _ = self.rnn(x)
        return self.head(out[:, -1])

    def unrolled(self, x):
        """The same logits, one step at a time: (logits, [h_1, ..., h_T]), every h_t a tensor
        of the graph, so that its gradient can be kept."""
        state, hidden = None, []
        for t in range(x.shape[1]):
            _, state = self.rnn(x[:, t:t + 1], state)
            h = state[0] if self.kind == "lstm" else state
            h.retain_grad()
            hidden.append(h)
        return self.head(hidden[-1][0]), hidden


def remember_first(n, steps, seed=0, noise=1.0):
    """The long-range task: a sequence of `steps` scalars whose first is +1 or -1 and the rest
    noise (normal, std `noise`); the class is the first input's sign (1 for +1). Returns
    float32 inputs (n, steps, 1) and int64 labels (n,)."""
    if steps < 1 or n < 1:
        raise ValueError(f"remember_first: expected n >= 1 and steps >= 1, got n={n}, "
                         f"steps={steps}")
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 2, n)
    x = rng.normal(0.0, noise, (n, steps, 1))
    x[:, 0, 0] = 2.0 * labels - 1
    return (creation.tensor(x.astype(np.float32), dtypes.float32),
            creation.tensor(labels, dtypes.int64))


def gradient_over_time(model, x, labels):
    """For a loss (cross-entropy) on the last step only: the norm of dL/dh_t at every step t,
    averaged over the batch, as an array of length T. One backward() of the unrolled net."""
    logits, hidden = model.unrolled(x)
    F.cross_entropy(logits, labels).backward()
    model.zero_grad()
    return np.array([np.linalg.norm(h.grad.numpy(), axis=-1).mean() for h in hidden])
