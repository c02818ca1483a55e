"""Datasets chainrule can load: MNIST, FashionMNIST, CIFAR10 and TinyShakespeare (found on disk
or downloaded once, see `chainrule.data.download`), Digits (from scikit-learn's bundled file),
SpokenDigits (synthesized with espeak-ng), Sunspots
(from statsmodels' bundled file), and toy problems made in code."""
from .cifar10 import CIFAR10
from .digits import Digits
from .mnist import MNIST, FashionMNIST
from .shakespeare import TinyShakespeare
from .spoken_digits import SpokenDigits
from .sunspots import Sunspots
from .toy import circles, encoder, moons, parity, symmetry, two_spirals, xor

__all__ = ["MNIST", "FashionMNIST", "CIFAR10", "Digits", "SpokenDigits", "Sunspots",
           "TinyShakespeare", "xor", "parity", "symmetry", "encoder", "two_spirals", "moons",
           "circles"]

# the downloadable ones, by the name `chainrule datasets` uses
SOURCES = {d.source.name: d.source for d in (MNIST, FashionMNIST, CIFAR10, TinyShakespeare)}
