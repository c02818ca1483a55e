"""Random numbers: `Generator`, PyTorch's seeding API over a NumPy Generator, and the default one
that everything random in chainrule draws from (init, dropout, shuffling) unless given its own.

A chainrule `Generator` *is* a `numpy.random.Generator` (a subclass), so code that takes a NumPy
generator takes it as is: `gen.normal(...)`, `gen.permutation(n)`, and
`numpy.random.default_rng(gen)` returns `gen` itself. What it adds is PyTorch's:
`manual_seed(seed)` (returns the generator), `seed()`, `initial_seed()`, `get_state()` /
`set_state(state)` and `device`. Draws for GPU tensors are made here, on the host, and copied
over, so one seed gives the same numbers on every device."""
import numpy as np

from .device import Device

_SEED_RANGE = 2 ** 64  # PyTorch's seeds are 64-bit; negative ones wrap around, as there


class Generator(np.random.Generator):
    """`cr.Generator()`, `cr.Generator(device="cuda")`: an independent stream of random numbers,
    seeded from the operating system until `manual_seed` fixes it."""

    def __init__(self, device="cpu"):
        self.device = Device(device)
        self._initial_seed = _fresh_seed()
        super().__init__(np.random.PCG64(self._initial_seed))

    def manual_seed(self, seed):
        """Restarts the stream from `seed` (an int); returns the generator, as PyTorch's does."""
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
            raise TypeError(f"manual_seed: expected an integer seed, got {type(seed).__name__}")
        if not -_SEED_RANGE // 2 <= seed < _SEED_RANGE:
            raise ValueError(f"manual_seed: the seed must fit in 64 bits, got {seed}")
        self._initial_seed = int(seed) % _SEED_RANGE
        self.bit_generator.state = np.random.PCG64(self._initial_seed).state
        return self

    def seed(self):
        """Restarts the stream from a fresh seed from the operating system, and returns it."""
        self.manual_seed(_fresh_seed())
        return self._initial_seed

    def initial_seed(self):
        """The seed the stream last started from."""
        return self._initial_seed

    def get_state(self):
        """The stream's position, as plain JSON-able data (a checkpoint stores it without
        pickle). PyTorch returns a byte tensor instead; either is only given back to set_state."""
        return self.bit_generator.state

    def set_state(self, state):
        self.bit_generator.state = state
        return self

    def __reduce__(self):  # copies and pickles (DataLoader workers) keep the class and position
        return _rebuild, (str(self.device), self._initial_seed, self.get_state())

    def __repr__(self):
        return f"Generator(device='{self.device}', initial_seed={self._initial_seed})"

    __str__ = __repr__


def _rebuild(device, initial_seed, state):
    gen = Generator(device)
    gen._initial_seed = initial_seed
    return gen.set_state(state)


def _fresh_seed():
    return int(np.random.SeedSequence().generate_state(1, np.uint64)[0])


default_generator = Generator()


def generator():
    """The default generator (a NumPy Generator too): what draws without `generator=` use."""
    return default_generator


def manual_seed(seed):
    """Makes every later random draw reproducible, like `torch.manual_seed`; returns the default
    generator."""
    return default_generator.manual_seed(seed)


def seed():
    """Seeds the default generator from the operating system; returns the seed."""
    return default_generator.seed()


def initial_seed():
    return default_generator.initial_seed()


def get_rng_state():
    """The default generator's state (JSON-able data; see Generator.get_state)."""
    return default_generator.get_state()


def set_rng_state(state):
    default_generator.set_state(state)
