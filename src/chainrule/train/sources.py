"""The datasets `chainrule train --data NAME` knows, each with its train and test split, the
shape of one input, its classes and a default number of epochs."""
from dataclasses import dataclass

import numpy as np

from ..data import TensorDataset, datasets


@dataclass
class Source:
    train: object
    test: object
    classes: list
    epochs: int

    @property
    def input_shape(self):
        return tuple(np.shape(self.train[0][0]))

    @property
    def num_classes(self):
        return len(self.classes)


def _images(cls, epochs, **kw):
    train, test = cls(train=True, **kw), cls(train=False, **kw)
    return Source(train, test, list(train.classes), epochs)


def _boolean(make):
    """The 1986 boolean problems as 2-class classification; every pattern is both train and test
    set (the task is to learn the truth table)."""
    data = make()
    inputs, targets = data.arrays
    labels = targets[:, 0].astype(np.int64)
    table = TensorDataset(inputs, labels)
    return Source(table, table, ["0", "1"], 300)


def _points(make, epochs, **kw):
    train, test = make(seed=1, **kw), make(seed=2, **kw)
    return Source(train, test, [str(c) for c in range(int(train.arrays[1].max()) + 1)], epochs)


LOADERS = {
    "digits": lambda: _images(datasets.Digits, 30),
    "mnist": lambda: _images(datasets.MNIST, 10),
    "fashion-mnist": lambda: _images(datasets.FashionMNIST, 10),
    "cifar10": lambda: _images(datasets.CIFAR10, 20),
    "xor": lambda: _boolean(datasets.xor),
    "parity": lambda: _boolean(datasets.parity),
    "symmetry": lambda: _boolean(datasets.symmetry),
    "spirals": lambda: _points(datasets.two_spirals, 300, noise=0.1),
    "moons": lambda: _points(datasets.moons, 100, noise=0.1),
    "circles": lambda: _points(datasets.circles, 100, noise=0.05),
}
NAMES = tuple(LOADERS)


def load(name):
    if name not in LOADERS:
        raise ValueError(f"unknown dataset {name!r}: choose from {', '.join(NAMES)}")
    return LOADERS[name]()
