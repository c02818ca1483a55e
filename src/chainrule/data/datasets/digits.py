"""The 8x8 handwritten digits that ship with scikit-learn (UCI optdigits, test part): 1797 images
of 16 gray levels (0..16), read from scikit-learn's bundled data file, with no network."""
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from ..dataset import ImageDataset
from ..transforms import ToFloat

TEST_SIZE = 360  # of 1797: 1437 for training
SPLIT_SEED = 0


class Digits(ImageDataset):
    """Sample i is (image, label): the image float32 (1, 8, 8) in [0, 1] with the default
    transform (transform=None: the raw uint8 gray levels 0..16), the label an int64 in 0..9.
    The train/test split (1437/360) is one fixed random permutation, the same on every machine."""

    classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]

    def __init__(self, train=True, transform=ToFloat(16)):
        table = np.loadtxt(bundled_file(), delimiter=",", dtype=np.int64)
        order = np.random.default_rng(SPLIT_SEED).permutation(len(table))
        rows = table[order[TEST_SIZE:] if train else order[:TEST_SIZE]]
        super().__init__(rows[:, :64].astype(np.uint8).reshape(-1, 1, 8, 8), rows[:, 64],
                         train, transform)


def bundled_file():
    """scikit-learn's digits.csv.gz (64 pixel columns, then the label), found without importing
    scikit-learn (which takes seconds)."""
    spec = find_spec("sklearn")
    if spec is None:
        raise ModuleNotFoundError("Digits: the 8x8 digits ship with scikit-learn, which is not "
                                  "installed: `pip install scikit-learn`")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "data" / "digits.csv.gz"
    if not path.is_file():
        raise FileNotFoundError(f"Digits: this scikit-learn has no bundled {path.name} (looked "
                                f"for {path}); reinstall it with `pip install -U scikit-learn`")
    return path
