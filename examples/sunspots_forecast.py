"""Forecasting the yearly sunspot numbers one year ahead with a small GRU trained by
backpropagation through time, against the baselines it must beat: persistence (next year = this
year) and a linear autoregressive model on the same window of past years. Trained on 1700-1978,
scored on 1979-2008 in sunspot units; draws the forecasts against the truth.

    python examples/sunspots_forecast.py
    python examples/sunspots_forecast.py --cell lstm --hidden 24 --out runs/sunspots_lstm.png
"""
import argparse
from pathlib import Path

from chainrule.train.forecast import fit_forecaster


def print_table(scores):
    print(f"{'one step ahead, 1979-2008':<28}{'RMSE':>8}{'MAE':>8}")
    for name, score in scores.items():
        print(f"{name:<28}{score['rmse']:>8.2f}{score['mae']:>8.2f}")


def plot_forecast(result, path):
    """The test years' sunspot numbers and the forecaster's one-step-ahead forecasts."""
    import matplotlib
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(8, 4))
    ax.plot(result["years"], result["actual"], "k-o", ms=3, label="observed")
    ax.plot(result["years"], result["forecast"], "C0--s", ms=3,
            label=f"forecast (RMSE {result['errors']['forecaster']['rmse']:.1f})")
    ax.set(xlabel="year", ylabel="yearly mean sunspot number",
           title="Sunspots one year ahead, test years")
    ax.grid(alpha=0.3)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)


def main(argv=None):
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--window", type=int, default=10, help="past years the model reads")
    p.add_argument("--cell", choices=("gru", "lstm"), default="gru")
    p.add_argument("--hidden", type=int, default=16)
    p.add_argument("--steps", type=int, default=200, help="full-batch Adam steps")
    p.add_argument("--lr", type=float, default=1e-2)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", type=Path, default=Path("runs") / "sunspots.png")
    args = p.parse_args(argv)
    result = fit_forecaster(args.window, args.hidden, args.cell, args.steps, args.lr, args.seed)
    print_table(result["errors"])
    args.out.parent.mkdir(parents=True, exist_ok=True)
    plot_forecast(result, args.out)
    print(f"picture: {args.out}")
    return result


if __name__ == "__main__":
    main()
