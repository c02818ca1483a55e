"""`cr.nn.parallel`: DataParallel, for scripts that wrap their model in it."""
from .data_parallel import DataParallel

__all__ = ["DataParallel"]
