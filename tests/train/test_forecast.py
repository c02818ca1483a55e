"""The sunspot forecaster on the real data (the numbers ship with statsmodels): trained by
backpropagation through time, it must beat persistence and the linear autoregressive baseline
one step ahead on the test years."""
import pytest

import chainrule as cr

pytest.importorskip("statsmodels")
from chainrule.train.baselines import sunspot_baselines  # noqa: E402
from chainrule.train.forecast import Forecaster, fit_forecaster  # noqa: E402


@pytest.fixture(scope="module")
def result():
    return fit_forecaster(seed=0)


def test_forecaster_beats_persistence_and_the_linear_baseline(result):
    scores = result["errors"]
    # measured (seed 0): GRU RMSE 11.9, MAE 9.4; persistence 30.8 / 24.4; AR 16.3 / 13.4
    assert scores["forecaster"]["rmse"] < 0.6 * scores["persistence"]["rmse"]
    assert scores["forecaster"]["mae"] < 0.6 * scores["persistence"]["mae"]
    assert scores["forecaster"]["rmse"] < scores["autoregressive"]["rmse"]


def test_baselines_are_the_published_ones(result):
    assert result["errors"]["persistence"] == sunspot_baselines()["persistence"]
    assert result["errors"]["persistence"]["rmse"] == pytest.approx(30.8, abs=0.1)


def test_forecasts_cover_the_test_years_in_sunspot_units(result):
    assert list(result["years"]) == list(range(1979, 2009))
    assert result["forecast"].shape == result["actual"].shape == (30,)
    assert result["actual"].max() > 100  # unscaled: solar maxima reach ~150-160


def test_training_is_deterministic_under_a_seed():
    first, again = (fit_forecaster(seed=0, steps=20) for _ in range(2))
    assert (first["forecast"] == again["forecast"]).all()


def test_forecaster_maps_windows_to_one_value():
    model = Forecaster(hidden_size=8, cell="lstm")
    assert tuple(model(cr.randn(5, 10, 1)).shape) == (5, 1)
    with pytest.raises(ValueError, match="Forecaster: cell must be one of"):
        Forecaster(cell="transformer")


def test_example_prints_the_table_and_saves_the_picture(tmp_path, capsys):
    import importlib.util
    from pathlib import Path
    script = Path(__file__).resolve().parents[2] / "examples" / "sunspots_forecast.py"
    spec = importlib.util.spec_from_file_location("sunspots_forecast", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.main(["--steps", "5", "--out", str(tmp_path / "sun.png")])
    assert (tmp_path / "sun.png").stat().st_size > 0
    assert "persistence" in capsys.readouterr().out
