"""Yearly mean sunspot numbers, 1700-2008 (309 years), read from the copy that ships inside
statsmodels (the `series` extra), with no network. A series for forecasting one year ahead:
the years to 1978 train, 1979-2008 test."""
from importlib.util import find_spec
from pathlib import Path

import numpy as np

from ..dataset import ArrayDataset

FIRST_TEST_YEAR = 1979


class Sunspots(ArrayDataset):
    """Sample i is (window, target): the previous `window` years' sunspot numbers, float32
    (window, 1) (a sequence of one feature, as recurrent layers take it), and the next year's,
    float32 (1,). The targets are the years from 1700 + window to 1978 (train=True) or 1979 to
    2008 (train=False, whose windows reach back into the training years). Every value is scaled
    by the training years' mean and standard deviation (`mean`, `std`; `unscale` undoes it);
    `years` holds each sample's target year."""

    def __init__(self, train=True, window=10):
        years, numbers = sunspot_numbers()
        first_test = int(np.searchsorted(years, FIRST_TEST_YEAR))
        if not isinstance(window, int) or not 1 <= window < first_test:
            raise ValueError(f"Sunspots: window must be an integer from 1 to {first_test - 1} "
                             f"years, got {window!r}")
        self.mean, self.std = numbers[:first_test].mean(), numbers[:first_test].std()
        scaled = ((numbers - self.mean) / self.std).astype(np.float32)
        targets = np.arange(window, first_test) if train else np.arange(first_test, len(years))
        history = targets[:, None] + np.arange(-window, 0)  # the `window` years before each
        self.years, self.train = years[targets], train
        super().__init__(scaled[history][..., None], scaled[targets][:, None])

    def unscale(self, values):
        """Scaled values back in sunspot numbers."""
        return values * self.std + self.mean


def sunspot_numbers():
    """(years int64, sunspot numbers float64) for 1700-2008, from statsmodels' sunspots.csv."""
    table = np.loadtxt(bundled_file(), delimiter=",", skiprows=1)
    return table[:, 0].astype(np.int64), table[:, 1]


def bundled_file():
    """statsmodels' sunspots.csv (a header, then YEAR,SUNACTIVITY rows), found without importing
    statsmodels (which takes seconds)."""
    spec = find_spec("statsmodels")
    if spec is None:
        raise ModuleNotFoundError("Sunspots: the sunspot numbers ship with statsmodels, which is "
                                  "not installed: `pip install chainrule[series]` (or "
                                  "`pip install statsmodels`)")
    path = Path(spec.submodule_search_locations[0]) / "datasets" / "sunspots" / "sunspots.csv"
    if not path.is_file():
        raise FileNotFoundError(f"Sunspots: this statsmodels has no bundled {path.name} (looked "
                                f"for {path}); reinstall it with `pip install -U statsmodels`")
    return path
