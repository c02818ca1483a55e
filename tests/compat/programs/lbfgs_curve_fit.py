"""Curve fitting the way a scientist writes it: a polynomial whose coefficients live in an
nn.ParameterList plus a small weight-normalized network for the residual, fitted with L-BFGS
(strong Wolfe line search) through a closure."""
import numpy as np
import torch
import torch.nn as nn
from torch.nn.utils.parametrizations import weight_norm


class Polynomial(nn.Module):
    def __init__(self, degree):
        super().__init__()
        self.coefficients = nn.ParameterList([nn.Parameter(torch.zeros(1))
                                              for _ in range(degree + 1)])

    def forward(self, x):
        y = torch.zeros_like(x)
        for power, c in enumerate(self.coefficients):
            y = y + c * x ** power
        return y


class Model(nn.Module):
    def __init__(self):
        super().__init__()
        self.poly = Polynomial(3)
        self.residual = nn.Sequential(weight_norm(nn.Linear(1, 6)), nn.Tanh(),
                                      weight_norm(nn.Linear(6, 1), dim=None))

    def forward(self, x):
        return self.poly(x) + self.residual(x)


def main(iterations=3):
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(4)
    x = torch.from_numpy(np.linspace(-1.5, 1.5, 40)[:, None])
    y = 0.5 - x + 0.3 * x ** 3 + 0.2 * torch.sin(3 * x)
    y = y + torch.from_numpy(rng.normal(0.0, 0.01, y.shape))

    model = Model()
    names = [name for name, _ in model.named_parameters()]
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.uniform(0.2, 0.6, p.shape)))
    optimizer = torch.optim.LBFGS(model.parameters(), lr=1, max_iter=10,
                                  line_search_fn="strong_wolfe")
    criterion = nn.MSELoss()

    def closure():
        optimizer.zero_grad()
        loss = criterion(model(x), y)
        loss.backward()
        return loss

    losses = [optimizer.step(closure).item() for _ in range(iterations)]
    with torch.no_grad():
        final = criterion(model(x), y).item()
    weight = model.residual[0].weight
    return {"losses": losses, "final": final, "names": " ".join(names),
            "coefficients": [c.item() for c in model.poly.coefficients],
            "weight_row_norms": weight.detach().norm(dim=1).numpy(),
            "g": model.residual[0].parametrizations.weight.original0.detach().numpy().ravel()}
