"""Reading and writing: checkpoints as safetensors files (`save`, `load`; never pickle)."""
from .serialization import CheckpointError, load, save
