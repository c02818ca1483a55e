"""Recurrent layers: RNN (tanh or relu), LSTM and GRU over whole sequences, stacked and
bidirectional, on padded or packed batches; and their one-step cells.

The input's share of every gate, x W_ih^T + b_ih, is computed for all steps of a layer at once;
only h W_hh^T is left per step. The steps themselves take one of two paths, chosen as PyTorch
chooses cuDNN's, by `cr.backends.cudnn.enabled`:
- True (the default): one fused op per layer and direction (rnn_fused.py) walks the sequence on
  raw arrays, and its backward walks it back. Quick, but once differentiable: differentiating
  its gradients again (create_graph=True, then backward) raises, naming the op.
- False (`cr.backends.cudnn.enabled = False`, or `with cr.backends.cudnn.flags(enabled=False):`
  around the forward): each step is written with differentiable ops (linear, sigmoid, tanh,
  chunk), so backprop through time, and double backward, come from the graph itself. Cells
  always take this path.

A layer walks every batch as a packed one (a padded batch is packed with every sequence
running at every step), so one loop serves both: walking forward, the shortest sequences drop
out of the batch as they end; walking backward, they join it at their last step."""
import math
import numbers
import warnings
from typing import NamedTuple, Optional

from ...backends import cudnn
from ...ops.activation import relu, sigmoid, tanh
from ...ops.creation import zeros
from ...ops.indexing import index_select
from ...ops.shape import cat, chunk, split, stack
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from ..utils.rnn import PackedSequence
from .linear import parameter
from .rnn_fused import fused_walk

__all__ = ["RNNBase", "RNN", "LSTM", "GRU", "RNNCellBase", "RNNCell", "LSTMCell", "GRUCell"]


class Weights(NamedTuple):
    """One layer and direction's parameters (None where absent)."""
    ih: Tensor
    hh: Tensor
    b_ih: Optional[Tensor]
    b_hh: Optional[Tensor]
    hr: Optional[Tensor] = None


# One step of each cell: gx = x W_ih^T + b_ih (already computed), state a tuple ((h,) or
# (h, c)); returns the next state.

def rnn_tanh_step(gx, state, w):
    h, = state
    return tanh(gx + F.linear(h, w.hh, w.b_hh)),


def rnn_relu_step(gx, state, w):
    h, = state
    return relu(gx + F.linear(h, w.hh, w.b_hh)),


def lstm_step(gx, state, w):
    """Gates i, f, g, o: c' = f c + i g, h' = o tanh(c'), projected by W_hr if there is one."""
    h, c = state
    i, f, g, o = chunk(gx + F.linear(h, w.hh, w.b_hh), 4, dim=-1)
    c = sigmoid(f) * c + sigmoid(i) * tanh(g)
    h = sigmoid(o) * tanh(c)
    return (h if w.hr is None else F.linear(h, w.hr)), c


def gru_step(gx, state, w):
    """Gates r, z, n: n = tanh(x_n + r (W_hn h + b_hn)), h' = (1 - z) n + z h."""
    h, = state
    xr, xz, xn = chunk(gx, 3, dim=-1)
    hr, hz, hn = chunk(F.linear(h, w.hh, w.b_hh), 3, dim=-1)
    r, z = sigmoid(xr + hr), sigmoid(xz + hz)
    n = tanh(xn + r * hn)
    return (1 - z) * n + z * h,


STEPS = {"RNN_TANH": rnn_tanh_step, "RNN_RELU": rnn_relu_step, "LSTM": lstm_step,
         "GRU": gru_step}
GATES = {"RNN_TANH": 1, "RNN_RELU": 1, "LSTM": 4, "GRU": 3}


def walk(step, gates_x, batch_sizes, state0, w, reverse):
    """One direction of one layer over a packed batch (rows of step t follow those of step
    t - 1; batch_sizes[t] sequences run at step t, longest first). Returns the outputs' rows,
    packed the same way, and each sequence's final state."""
    per_step = split(gates_x, batch_sizes)
    steps = range(len(batch_sizes))
    state = tuple(s[:batch_sizes[-1]] for s in state0) if reverse else state0
    outputs, finished = [], []
    for t in (reversed(steps) if reverse else steps):
        running, now = len(state[0]), batch_sizes[t]
        if now < running:    # walking forward, the shortest sequences have ended
            finished.append(tuple(s[now:] for s in state))
            state = tuple(s[:now] for s in state)
        elif now > running:  # walking backward, they start here from their initial state
            state = tuple(cat([s, s0[running:now]]) for s, s0 in zip(state, state0))
        state = step(per_step[t], state, w)
        outputs.append(state[0])
    if reverse:
        outputs.reverse()
    finished.append(state)
    # The longest sequences end last and come first in the batch.
    final = tuple(cat(parts[::-1]) if len(parts) > 1 else parts[0] for parts in zip(*finished))
    return cat(outputs), final


def uniform_parameters_(module, hidden_size):
    """PyTorch's init of every recurrent weight and bias: U(-1/sqrt(hidden), 1/sqrt(hidden))."""
    bound = 1 / math.sqrt(hidden_size) if hidden_size > 0 else 0
    for weight in module.parameters():
        init.uniform_(weight, -bound, bound)


def activation_mode(name, nonlinearity):
    """The mode of a plain RNN (layer or cell) with this nonlinearity."""
    modes = {"tanh": "RNN_TANH", "relu": "RNN_RELU"}
    if nonlinearity not in modes:
        raise ValueError(f"{name}: nonlinearity must be 'tanh' or 'relu', got {nonlinearity!r}")
    return modes[nonlinearity]


def _check_dropout(name, dropout):
    if (not isinstance(dropout, numbers.Number) or isinstance(dropout, bool)
            or not 0 <= dropout <= 1):
        raise ValueError(f"{name}: dropout must be a number in [0, 1], got {dropout!r}")


class RNNBase(Module):
    """The layers' shared machinery: parameters weight_ih_l{k}, weight_hh_l{k}, bias_ih_l{k},
    bias_hh_l{k} (and weight_hr_l{k} for an LSTM with proj_size), with a _reverse suffix for the
    backward direction, all drawn from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size))."""

    def __init__(self, mode, input_size, hidden_size, num_layers=1, bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, proj_size=0,
                 device=None, dtype=None):
        super().__init__()
        name = type(self).__name__
        if mode not in STEPS:
            raise ValueError(f"{name}: mode must be one of {sorted(STEPS)}, got {mode!r}")
        _check_dropout(name, dropout)
        for what, value, least in (("input_size", input_size, 0), ("hidden_size", hidden_size, 1),
                                   ("num_layers", num_layers, 1), ("proj_size", proj_size, 0)):
            if not isinstance(value, int) or isinstance(value, bool) or value < least:
                raise ValueError(f"{name}: {what} must be an integer >= {least}, got {value!r}")
        if proj_size and mode != "LSTM":
            raise ValueError(f"{name}: proj_size is only supported by LSTM, got {proj_size}")
        if proj_size >= hidden_size:
            raise ValueError(f"{name}: proj_size must be smaller than hidden_size, got "
                             f"proj_size={proj_size} and hidden_size={hidden_size}")
        if dropout > 0 and num_layers == 1:
            warnings.warn(f"{name}: dropout={dropout} acts between layers, so it does nothing "
                          "with num_layers=1")
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.num_layers, self.bias, self.batch_first = num_layers, bias, batch_first
        self.dropout, self.bidirectional, self.proj_size = float(dropout), bidirectional, proj_size
        directions = 2 if bidirectional else 1
        out_size = proj_size or hidden_size
        gates = GATES[mode] * hidden_size
        self._flat_weights_names = []
        for layer in range(num_layers):
            layer_input = input_size if layer == 0 else out_size * directions
            for direction in range(directions):
                shapes = {"weight_ih": (gates, layer_input), "weight_hh": (gates, out_size)}
                if bias:
                    shapes.update(bias_ih=(gates,), bias_hh=(gates,))
                if proj_size:
                    shapes["weight_hr"] = (proj_size, hidden_size)
                for kind, shape in shapes.items():
                    key = f"{kind}{self._suffix(layer, direction)}"
                    self.register_parameter(key, parameter(*shape, dtype=dtype, device=device))
                    self._flat_weights_names.append(key)
        self.reset_parameters()

    @staticmethod
    def _suffix(layer, direction):
        return f"_l{layer}" + ("_reverse" if direction else "")

    def reset_parameters(self):
        uniform_parameters_(self, self.hidden_size)

    def flatten_parameters(self):
        """Nothing to do: PyTorch packs the weights into one buffer for cuDNN; here each
        parameter is already the array the steps use."""

    @property
    def all_weights(self):
        """Per layer and direction, its parameters in the order weight_ih, weight_hh, bias_ih,
        bias_hh, weight_hr (those that exist)."""
        per_layer = len(self._flat_weights_names) // (self.num_layers * self._directions)
        names = self._flat_weights_names
        return [[getattr(self, n) for n in names[i:i + per_layer]]
                for i in range(0, len(names), per_layer)]

    @property
    def _directions(self):
        return 2 if self.bidirectional else 1

    def _weights(self, layer, direction):
        suffix = self._suffix(layer, direction)
        get = (lambda kind: getattr(self, kind + suffix, None))
        return Weights(get("weight_ih"), get("weight_hh"), get("bias_ih"), get("bias_hh"),
                       get("weight_hr"))

    def _state_shapes(self, batch):
        stacked = self.num_layers * self._directions
        h = (stacked, batch, self.proj_size or self.hidden_size)
        return [h, (stacked, batch, self.hidden_size)] if self.mode == "LSTM" else [h]

    def _initial_state(self, hx, batch, unbatched, sorted_indices, like):
        """hx as a tuple of (layers * directions, batch, size) tensors in sorted batch order."""
        name = type(self).__name__
        shapes = self._state_shapes(batch)
        if hx is None:
            return tuple(zeros(*s, dtype=like.dtype, device=like.device) for s in shapes)
        if self.mode == "LSTM":
            if not isinstance(hx, (tuple, list)) or len(hx) != 2:
                raise TypeError(f"{name}: the initial state must be a tuple (h_0, c_0)")
            hx = tuple(hx)
        elif isinstance(hx, Tensor):
            hx = (hx,)
        else:
            raise TypeError(f"{name}: the initial state h_0 must be a Tensor, got "
                            f"{type(hx).__name__}")
        if unbatched:
            hx = tuple(h.unsqueeze(1) if h.ndim == 2 else h for h in hx)
        for label, h, shape in zip(("h_0", "c_0"), hx, shapes):
            if tuple(h.shape) != shape:
                expected = shape[::2] if unbatched else shape
                raise ValueError(f"{name}: expected {label} of shape {expected}, got "
                                 f"{tuple(h.shape)}")
        if sorted_indices is not None:
            hx = tuple(index_select(h, 1, sorted_indices) for h in hx)
        return hx

    def _stack(self, data, batch_sizes, state0):
        """Runs every layer and direction over packed rows; returns the last layer's output
        rows and the final states stacked as (layers * directions, batch, size)."""
        step = STEPS[self.mode]
        finals = []
        for layer in range(self.num_layers):
            if layer > 0 and self.dropout > 0:
                data = F.dropout(data, self.dropout, self.training)
            outputs = []
            for direction in range(self._directions):
                k = layer * self._directions + direction
                w = self._weights(layer, direction)
                gates_x, state = F.linear(data, w.ih, w.b_ih), tuple(s[k] for s in state0)
                if cudnn.enabled:
                    out, final = fused_walk(self.mode, gates_x, batch_sizes, state, w,
                                            reverse=direction == 1)
                else:
                    out, final = walk(step, gates_x, batch_sizes, state, w,
                                      reverse=direction == 1)
                outputs.append(out)
                finals.append(final)
            data = cat(outputs, dim=1) if len(outputs) > 1 else outputs[0]
        return data, tuple(stack(parts) for parts in zip(*finals))

    def forward(self, input, hx=None):
        name = type(self).__name__
        packed = isinstance(input, PackedSequence)
        if packed:
            data, batch_sizes = input.data, input.batch_sizes.tolist()
            batch, unbatched, sorted_indices = batch_sizes[0], False, input.sorted_indices
        else:
            if input.ndim not in (2, 3):
                raise ValueError(f"{name}: expected a 2-D (unbatched) or 3-D input, got shape "
                                 f"{tuple(input.shape)}")
            unbatched, sorted_indices = input.ndim == 2, None
            x = input.unsqueeze(1) if unbatched else input
            if self.batch_first and not unbatched:
                x = x.transpose(0, 1)
            steps, batch = x.shape[:2]
            data, batch_sizes = x.reshape(steps * batch, x.shape[2]), [batch] * steps
        if data.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of size {self.input_size} in its last "
                             f"dim, got {data.shape[-1]}")
        state0 = self._initial_state(hx, batch, unbatched, sorted_indices, data)
        data, state = self._stack(data, batch_sizes, state0)
        if packed:
            output = PackedSequence(data, input.batch_sizes, input.sorted_indices,
                                    input.unsorted_indices)
            if input.unsorted_indices is not None:
                state = tuple(index_select(s, 1, input.unsorted_indices) for s in state)
        else:
            output = data.reshape(steps, batch, data.shape[-1])
            if unbatched:
                output, state = output.squeeze(1), tuple(s.squeeze(1) for s in state)
            elif self.batch_first:
                output = output.transpose(0, 1)
        return output, (state if self.mode == "LSTM" else state[0])

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        defaults = {"proj_size": 0, "num_layers": 1, "bias": True, "batch_first": False,
                    "dropout": 0.0, "bidirectional": False}
        for option, default in defaults.items():
            if getattr(self, option) != default:
                s += f", {option}={getattr(self, option)}"
        return s


class RNN(RNNBase):
    """h_t = act(x_t W_ih^T + b_ih + h_{t-1} W_hh^T + b_hh), act tanh or relu (nonlinearity).
    Arguments in PyTorch's order: (input_size, hidden_size, num_layers, nonlinearity, bias,
    batch_first, dropout, bidirectional)."""

    def __init__(self, input_size, hidden_size, num_layers=1, nonlinearity="tanh", bias=True,
                 batch_first=False, dropout=0.0, bidirectional=False, device=None, dtype=None):
        self.nonlinearity = nonlinearity
        super().__init__(activation_mode("RNN", nonlinearity), input_size, hidden_size, num_layers, bias,
                         batch_first, dropout, bidirectional, device=device, dtype=dtype)


class LSTM(RNNBase):
    """Long short-term memory: gates i, f, g, o from x_t and h_{t-1}; c_t = f c_{t-1} + i g,
    h_t = o tanh(c_t) (projected to proj_size by W_hr if proj_size > 0). Returns
    (output, (h_n, c_n))."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, proj_size=0, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, proj_size, device=device, dtype=dtype)


class GRU(RNNBase):
    """Gated recurrent unit: r = sigma(x W_ir^T + b_ir + h W_hr^T + b_hr), z likewise,
    n = tanh(x W_in^T + b_in + r (h W_hn^T + b_hn)), h_t = (1 - z) n + z h_{t-1}."""

    def __init__(self, input_size, hidden_size, num_layers=1, bias=True, batch_first=False,
                 dropout=0.0, bidirectional=False, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, num_layers, bias, batch_first,
                         dropout, bidirectional, device=device, dtype=dtype)


class RNNCellBase(Module):
    """One step of a recurrent layer: parameters weight_ih, weight_hh, bias_ih, bias_hh, drawn
    from U(-1/sqrt(hidden_size), 1/sqrt(hidden_size)). Input (batch, input_size) or unbatched
    (input_size,); a missing state starts at zero."""

    def __init__(self, mode, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__()
        self.mode, self.input_size, self.hidden_size = mode, input_size, hidden_size
        self.bias = bias
        gates = GATES[mode] * hidden_size
        self.weight_ih = parameter(gates, input_size, dtype=dtype, device=device)
        self.weight_hh = parameter(gates, hidden_size, dtype=dtype, device=device)
        self.register_parameter("bias_ih", parameter(gates, dtype=dtype, device=device,
                                                     present=bias))
        self.register_parameter("bias_hh", parameter(gates, dtype=dtype, device=device,
                                                     present=bias))
        self.reset_parameters()

    def reset_parameters(self):
        uniform_parameters_(self, self.hidden_size)

    def _step(self, input, hx):
        """The next state as a tuple, hx given as a tuple of states or None."""
        name = type(self).__name__
        if input.ndim not in (1, 2) or input.shape[-1] != self.input_size:
            raise ValueError(f"{name}: expected input of shape (batch, {self.input_size}) or "
                             f"({self.input_size},), got {tuple(input.shape)}")
        unbatched = input.ndim == 1
        x = input.unsqueeze(0) if unbatched else input
        shape = (x.shape[0], self.hidden_size)
        if hx is None:
            hx = (zeros(*shape, dtype=x.dtype, device=x.device),) * (2 if self.mode == "LSTM"
                                                                    else 1)
        elif unbatched:
            hx = tuple(h.unsqueeze(0) for h in hx)
        for h in hx:
            if tuple(h.shape) != shape:
                raise ValueError(f"{name}: expected a hidden state of shape "
                                 f"{shape[1:] if unbatched else shape}, got "
                                 f"{tuple(h.shape)[1:] if unbatched else tuple(h.shape)}")
        w = Weights(self.weight_ih, self.weight_hh, self.bias_ih, self.bias_hh)
        state = STEPS[self.mode](F.linear(x, w.ih, w.b_ih), hx, w)
        return tuple(s.squeeze(0) for s in state) if unbatched else state

    def extra_repr(self):
        s = f"{self.input_size}, {self.hidden_size}"
        if not self.bias:
            s += ", bias=False"
        if getattr(self, "nonlinearity", "tanh") != "tanh":
            s += f", nonlinearity={self.nonlinearity}"
        return s


class RNNCell(RNNCellBase):
    """h' = act(x W_ih^T + b_ih + h W_hh^T + b_hh), act tanh or relu."""

    def __init__(self, input_size, hidden_size, bias=True, nonlinearity="tanh", device=None,
                 dtype=None):
        self.nonlinearity = nonlinearity
        super().__init__(activation_mode("RNNCell", nonlinearity), input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, None if hx is None else (hx,))[0]


class LSTMCell(RNNCellBase):
    """One LSTM step: returns (h', c') from input and hx = (h, c)."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("LSTM", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        if hx is not None and (not isinstance(hx, (tuple, list)) or len(hx) != 2):
            raise TypeError("LSTMCell: the state must be a tuple (h, c)")
        return self._step(input, None if hx is None else tuple(hx))


class GRUCell(RNNCellBase):
    """One GRU step: h' from input and h."""

    def __init__(self, input_size, hidden_size, bias=True, device=None, dtype=None):
        super().__init__("GRU", input_size, hidden_size, bias, device, dtype)

    def forward(self, input, hx=None):
        return self._step(input, None if hx is None else (hx,))[0]
