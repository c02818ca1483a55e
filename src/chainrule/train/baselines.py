"""Baselines a sequence model must beat at one-step-ahead forecasting, on windows of the past
(rows of an (n, window) or (n, window, 1) array, oldest first): persistence (the next value is
the last one seen) and a linear autoregressive model fitted by least squares. Scored by RMSE and
MAE; `sunspot_baselines` scores both on the Sunspots test years."""
import numpy as np

from ..data.datasets import Sunspots


def errors(predicted, actual):
    """{"rmse": root mean squared error, "mae": mean absolute error} of the predictions."""
    miss = np.ravel(predicted) - np.ravel(actual)
    return {"rmse": float(np.sqrt(np.mean(miss ** 2))), "mae": float(np.mean(np.abs(miss)))}


def persistence(windows):
    """Each window's last value, as the forecast of the value after it."""
    return _rows(windows)[:, -1]


def fit_autoregressive(windows, targets):
    """The least-squares fit of target = w . window + b; returns the forecast function."""
    design = _with_intercept(_rows(windows))
    coefficients, *_ = np.linalg.lstsq(design, np.ravel(targets).astype(np.float64), rcond=None)
    return lambda windows: _with_intercept(_rows(windows)) @ coefficients


def _rows(windows):
    windows = np.asarray(windows, dtype=np.float64)
    return windows.reshape(len(windows), -1)


def _with_intercept(rows):
    return np.hstack([rows, np.ones((len(rows), 1))])


def sunspot_baselines(window=10):
    """{"persistence": errors, "autoregressive": errors}: one-step-ahead forecasts of the test
    years (1979-2008) from the `window` years before each, in sunspot numbers; the linear model
    fitted on the training years' windows."""
    train, test = Sunspots(train=True, window=window), Sunspots(train=False, window=window)
    (train_windows, train_targets), (test_windows, test_targets) = train.arrays, test.arrays
    forecast = fit_autoregressive(train_windows, train_targets)
    actual = test.unscale(test_targets.astype(np.float64))
    return {"persistence": errors(test.unscale(persistence(test_windows)), actual),
            "autoregressive": errors(test.unscale(forecast(test_windows)), actual)}
