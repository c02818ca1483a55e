"""A recurrent forecaster of the yearly sunspot numbers: a GRU (or LSTM) reads the past `window`
years and a linear head gives the next year's value. Trained by backpropagation through time on
the training years' windows, scored one step ahead on 1979-2008 against the baselines a sequence
model must beat (persistence and a linear autoregressive fit)."""
import numpy as np

from .. import nn, optim
from ..autograd import no_grad
from ..backend import manual_seed
from ..data.datasets import Sunspots
from ..nn import functional as F
from ..ops import tensor
from .baselines import errors, sunspot_baselines

CELLS = {"gru": nn.GRU, "lstm": nn.LSTM}


class Forecaster(nn.Module):
    """(batch, window, 1) scaled values, oldest first -> (batch, 1) the next value: the
    recurrent layer's state after the last year, through a Linear."""

    def __init__(self, hidden_size=16, cell="gru"):
        super().__init__()
        if cell not in CELLS:
            raise ValueError(f"Forecaster: cell must be one of {sorted(CELLS)}, got {cell!r}")
        self.rnn = CELLS[cell](1, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, 1)

    def forward(self, windows):
        states, _ = self.rnn(windows)
        return self.head(states[:, -1])


def fit_forecaster(window=10, hidden_size=16, cell="gru", steps=200, lr=1e-2, seed=0):
    """Trains a Forecaster with full-batch Adam on the mean squared error of the training
    windows (~270 of them, few enough that every step sees all), then forecasts the test years.
    Returns {"model", "years", "actual", "forecast" (sunspot numbers, one per test year),
    "errors": {"forecaster", "persistence", "autoregressive"}, each {"rmse", "mae"}}."""
    manual_seed(seed)
    train, test = Sunspots(train=True, window=window), Sunspots(train=False, window=window)
    inputs, targets = (tensor(a) for a in train.arrays)
    model = Forecaster(hidden_size, cell)
    optimizer = optim.Adam(model.parameters(), lr=lr)
    for _ in range(steps):
        loss = F.mse_loss(model(inputs), targets)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    test_windows, test_targets = test.arrays
    with no_grad():
        scaled = model(tensor(test_windows)).numpy().astype(np.float64)
    forecast = test.unscale(scaled.ravel())
    actual = test.unscale(test_targets.astype(np.float64).ravel())
    return {"model": model, "years": test.years, "actual": actual, "forecast": forecast,
            "errors": {"forecaster": errors(forecast, actual), **sunspot_baselines(window)}}
