"""One seeded generator for everything random in chainrule (init, dropout, shuffling)."""
import numpy as np

_generator = np.random.default_rng()


def manual_seed(seed):
    """Makes every later random draw reproducible, like `torch.manual_seed`."""
    global _generator
    _generator = np.random.default_rng(seed)
    return _generator


def generator():
    return _generator


def get_rng_state():
    """The generator's state as plain JSON-able data (checkpoints store it without pickle)."""
    return _generator.bit_generator.state


def set_rng_state(state):
    _generator.bit_generator.state = state
