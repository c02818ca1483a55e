"""Small problems made in code, each a TensorDataset of float32 inputs.

Point clouds for classification, labels int64 (use cross-entropy): `two_spirals`, `moons`,
`circles`. Boolean problems of Rumelhart, Hinton and Williams (1986), with every input pattern
once and float32 targets of shape (N, outputs) (use a sigmoid output and a squared error, as they
did): `xor`, `parity`, `symmetry`, `encoder`. Noise is drawn from `seed` when given, else from
chainrule's generator (so `cr.manual_seed` fixes it)."""
import numpy as np

from .. import rng as _rng
from ..dataset import TensorDataset


def xor():
    """The four patterns of two bits; target 1 iff exactly one bit is on."""
    return parity(2)


def parity(bits=4):
    """All 2**bits patterns (counting in binary, first bit most significant); target 1 iff the
    number of bits that are on is odd."""
    patterns = _all_patterns(bits)
    return TensorDataset(patterns, patterns.sum(axis=1, keepdims=True) % 2)


def symmetry(bits=6):
    """All 2**bits patterns; target 1 iff the pattern reads the same backwards (a mirror image
    about its centre). The 1986 paper solved the 6-bit case with two hidden units."""
    patterns = _all_patterns(bits)
    mirrored = np.all(patterns == patterns[:, ::-1], axis=1, keepdims=True)
    return TensorDataset(patterns, mirrored.astype(np.float32))


def encoder(n=8):
    """The n one-hot patterns, each its own target: squeezed through log2(n) hidden units
    (8-3-8), the net must invent a binary code."""
    patterns = np.eye(n, dtype=np.float32)
    return TensorDataset(patterns, patterns.copy())


def _all_patterns(bits):
    codes = np.arange(2 ** bits)[:, None] >> np.arange(bits - 1, -1, -1)
    return (codes & 1).astype(np.float32)


def two_spirals(points=97, noise=0.0, seed=None):
    """Lang and Witbrock's (1988) two interleaved spirals, `points` per spiral (97 gives the
    classic 194-point benchmark): point i of spiral 0 is at angle i*pi/16 and radius
    6.5 * (104 - i) / 104; spiral 1 is spiral 0 turned by half a circle. Labels 0 and 1."""
    i = np.linspace(0, 96, points)
    angle, radius = i * np.pi / 16, 6.5 * (104 - i) / 104
    spiral = np.stack([radius * np.sin(angle), radius * np.cos(angle)], axis=1)
    return _labelled(np.concatenate([spiral, -spiral]), [points, points], noise, seed)


def moons(n=200, noise=0.1, seed=None):
    """Two interleaving half circles: the upper one (label 0) centred at (0, 0), the lower one
    (label 1) at (1, 0.5), both of radius 1; n // 2 points on the first."""
    top, bottom = n // 2, n - n // 2
    a, b = np.linspace(0, np.pi, top), np.linspace(0, np.pi, bottom)
    points = np.concatenate([np.stack([np.cos(a), np.sin(a)], axis=1),
                             np.stack([1 - np.cos(b), 0.5 - np.sin(b)], axis=1)])
    return _labelled(points, [top, bottom], noise, seed)


def circles(n=200, noise=0.05, factor=0.5, seed=None):
    """Two circles about the origin: radius 1 (label 0) and radius `factor` (label 1), with
    n // 2 evenly spaced points on the outer one."""
    outer, inner = n // 2, n - n // 2
    a = np.linspace(0, 2 * np.pi, outer, endpoint=False)
    b = np.linspace(0, 2 * np.pi, inner, endpoint=False)
    points = np.concatenate([np.stack([np.cos(a), np.sin(a)], axis=1),
                             factor * np.stack([np.cos(b), np.sin(b)], axis=1)])
    return _labelled(points, [outer, inner], noise, seed)


def _labelled(points, counts, noise, seed):
    """Points plus Gaussian noise of std `noise`, labelled 0, 1, ... by consecutive counts."""
    if noise:
        points = points + noise * (_rng.resolve(seed=seed) or _rng.current()).standard_normal(
            points.shape)
    labels = np.repeat(np.arange(len(counts)), counts).astype(np.int64)
    return TensorDataset(points.astype(np.float32), labels)
