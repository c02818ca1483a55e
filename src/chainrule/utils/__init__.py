"""Utilities around training: `checkpoint` (activation checkpointing), and `data` (the names
of `chainrule.data`, where PyTorch users look for them: `torch.utils.data`)."""
from . import checkpoint, data

__all__ = ["checkpoint", "data"]
