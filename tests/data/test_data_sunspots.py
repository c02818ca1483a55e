"""The sunspot series from statsmodels' bundled file: the years, the 1700-1978 / 1979-2008
split, the windows and their scaling, the error without statsmodels; and the two baselines
scored one step ahead on the test years."""
import numpy as np
import pytest

from chainrule.data import DataLoader
from chainrule.data.datasets import Sunspots
from chainrule.data.datasets import sunspots as sunspots_module
from chainrule.train import baselines


def _statsmodels_numbers():
    sm = pytest.importorskip("statsmodels.datasets.sunspots")
    frame = sm.load_pandas().data
    return frame["YEAR"].to_numpy().astype(np.int64), frame["SUNACTIVITY"].to_numpy()


def test_the_series_is_statsmodels_own():
    years, numbers = sunspots_module.sunspot_numbers()
    np.testing.assert_array_equal(years, np.arange(1700, 2009))
    theirs_years, theirs = _statsmodels_numbers()
    np.testing.assert_array_equal(years, theirs_years)
    np.testing.assert_array_equal(numbers, theirs)


@pytest.mark.parametrize("window", [1, 10, 30])
def test_split_windows_and_scaling(window):
    train, test = Sunspots(train=True, window=window), Sunspots(train=False, window=window)
    years, numbers = sunspots_module.sunspot_numbers()
    assert len(train) == 1979 - 1700 - window and len(test) == 2008 - 1979 + 1
    np.testing.assert_array_equal(train.years, np.arange(1700 + window, 1979))
    np.testing.assert_array_equal(test.years, np.arange(1979, 2009))
    training = numbers[years < 1979]
    for ds in (train, test):
        assert (ds.mean, ds.std) == (training.mean(), training.std())
        x, y = ds[5]
        assert x.shape == (window, 1) and y.shape == (1,) and x.dtype == y.dtype == np.float32
        year = ds.years[5]
        np.testing.assert_allclose(ds.unscale(x[:, 0]), numbers[year - 1700 - window:year - 1700],
                                   rtol=1e-5, atol=1e-4)
        np.testing.assert_allclose(ds.unscale(y), numbers[year - 1700], rtol=1e-5, atol=1e-4)
    scaled_training = (training - train.mean) / train.std
    assert abs(scaled_training.mean()) < 1e-12 and abs(scaled_training.std() - 1) < 1e-12


def test_batches_for_a_recurrent_model():
    x, y = next(iter(DataLoader(Sunspots(window=12), batch_size=8)))
    assert x.shape == (8, 12, 1) and y.shape == (8, 1)


@pytest.mark.parametrize("window", [0, 279, 2.5])
def test_bad_window(window):
    with pytest.raises(ValueError, match="Sunspots: window must be an integer from 1 to 278"):
        Sunspots(window=window)


def test_without_statsmodels(monkeypatch):
    monkeypatch.setattr(sunspots_module, "find_spec", lambda name: None)
    with pytest.raises(ModuleNotFoundError, match=r"pip install chainrule\[series\]"):
        Sunspots()


# ---- baselines --------------------------------------------------------------------------------
def test_persistence_and_autoregression_on_the_test_years():
    scores = baselines.sunspot_baselines(window=10)
    years, numbers = sunspots_module.sunspot_numbers()
    test = years >= 1979
    miss = numbers[test] - numbers[np.flatnonzero(test) - 1]  # each year forecast by the last
    persistence = scores["persistence"]
    assert np.isfinite(persistence["rmse"]) and persistence["rmse"] > 0
    np.testing.assert_allclose(persistence["rmse"], np.sqrt(np.mean(miss ** 2)), rtol=1e-5)
    np.testing.assert_allclose(persistence["mae"], np.mean(np.abs(miss)), rtol=1e-5)
    linear = scores["autoregressive"]
    assert linear["rmse"] < persistence["rmse"] and linear["mae"] < persistence["mae"]


def test_autoregressive_fit_is_least_squares():
    rng = np.random.default_rng(0)
    windows = rng.standard_normal((200, 4, 1))
    weights, bias = np.array([0.5, -1.0, 2.0, 0.25]), 0.75
    targets = windows[:, :, 0] @ weights + bias
    forecast = baselines.fit_autoregressive(windows, targets)
    np.testing.assert_allclose(forecast(windows), targets, atol=1e-10)
    noisy = targets + rng.standard_normal(200)
    fitted = baselines.fit_autoregressive(windows, noisy)(windows)
    design = np.hstack([windows[:, :, 0], np.ones((200, 1))])
    expected = design @ np.linalg.lstsq(design, noisy, rcond=None)[0]
    np.testing.assert_allclose(fitted, expected, atol=1e-10)
    assert baselines.errors(fitted, noisy)["rmse"] <= baselines.errors(targets, noisy)["rmse"]
