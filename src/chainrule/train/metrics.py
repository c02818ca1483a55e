"""Metrics of a classifier, computed from logits and integer labels on raw arrays."""
import numpy as np

from ..backend import to_device


def _np(t):
    return to_device(getattr(t, "array", t), "cpu")


def correct(logits, labels, k=1):
    """How many labels are among the k highest logits."""
    scores, labels = _np(logits), _np(labels)
    if k == 1:
        return int((scores.argmax(axis=-1) == labels).sum())
    top = np.argpartition(-scores, kth=k - 1, axis=-1)[..., :k]
    return int((top == labels[..., None]).any(axis=-1).sum())


def confusion_matrix(predictions, labels, num_classes):
    """counts[true, predicted]."""
    counts = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(counts, (_np(labels), _np(predictions)), 1)
    return counts


class Mean:
    """Running mean of a quantity weighted by batch size."""

    def __init__(self):
        self.total, self.count = 0.0, 0

    def add(self, value, n=1):
        self.total += float(value) * n
        self.count += n

    @property
    def value(self):
        return self.total / self.count if self.count else float("nan")
