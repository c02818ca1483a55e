"""Tools to watch backpropagation work: a worked example told number by number, any small graph
traced node by node, pictures of graphs, and gradient-flow diagnostics for training."""
from . import over_time
from .bptt import RNNSettings, Unrolled, bptt
from .diagnostics import Flag, GradientFlow
from .draw import draw, to_dot
from .graph import recording
from .trace import Trace, trace
from .worked import Settings, worked_example

__all__ = ["GradientFlow", "Flag", "draw", "to_dot", "recording", "trace", "Trace", "Settings",
           "worked_example", "bptt", "RNNSettings", "Unrolled", "over_time"]
