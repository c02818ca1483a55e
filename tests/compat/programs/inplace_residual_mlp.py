"""A residual MLP written the way much PyTorch code is, with in-place operations: `out += x`,
ReLU(inplace=True), `mul_`, a column zeroed with `h[:, 0] = 0`, `masked_fill_` for padding,
a hand-written SGD step with `p.add_(p.grad, alpha=-lr)` and `p.grad.zero_()`, and a max-norm
constraint applied to the weights in place."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


class ResidualBlock(nn.Module):
    def __init__(self, width, hidden):
        super().__init__()
        self.norm = nn.LayerNorm(width)
        self.fc1 = nn.Linear(width, hidden)
        self.fc2 = nn.Linear(hidden, width)
        self.act = nn.ReLU(inplace=True)
        self.gain = nn.Parameter(torch.ones(1))

    def forward(self, x):
        h = self.fc1(self.norm(x))
        h[:, 0] = 0  # the first hidden unit is switched off
        h = self.act(h)
        out = self.fc2(h)
        out.mul_(self.gain)
        out += x
        return out


class Net(nn.Module):
    def __init__(self, n_in, width, n_out, depth=3):
        super().__init__()
        self.embed = nn.Linear(n_in, width)
        self.blocks = nn.ModuleList([ResidualBlock(width, 2 * width) for _ in range(depth)])
        self.head = nn.Linear(width, n_out)

    def forward(self, x, padding_mask):
        x = self.embed(x)
        x.masked_fill_(padding_mask[:, None], 0.0)  # padded rows carry nothing
        x = F.relu(x, inplace=True)
        for block in self.blocks:
            x = block(x)
        x = x.clone()
        x[:, -1] *= 0.5
        x.clamp_(min=-5.0, max=5.0)
        return self.head(x)


def max_norm_(weight, max_norm):
    """Rescale rows whose norm exceeds max_norm, in place, as max-norm regularization does."""
    with torch.no_grad():
        norms = weight.norm(dim=1, keepdim=True).clamp(min=max_norm)
        weight.mul_(max_norm / norms)


def main(steps=6, lr=0.05):
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(3)
    model = Net(6, 16, 3)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(p.shape) * 0.3))

    x = torch.from_numpy(rng.standard_normal((steps, 20, 6)))
    y = torch.from_numpy(rng.integers(0, 3, (steps, 20)))
    padding = torch.from_numpy(rng.random((steps, 20)) < 0.2)

    losses, grad_norms = [], []
    for step in range(steps):
        logits = model(x[step], padding[step])
        loss = F.cross_entropy(logits, y[step], reduction="none")
        loss = loss.masked_fill(padding[step], 0.0).sum() / (~padding[step]).sum()
        loss.backward()
        with torch.no_grad():
            grad_norms.append(sum(p.grad.pow(2).sum() for p in model.parameters()).sqrt().item())
            for p in model.parameters():
                p.add_(p.grad, alpha=-lr)
                p.grad.zero_()
        max_norm_(model.embed.weight, 1.0)
        losses.append(loss.item())

    with torch.no_grad():
        final = model(x[0], padding[0])
    return {"losses": losses, "grad_norms": grad_norms, "final_logits": final.numpy(),
            "gains": [block.gain.item() for block in model.blocks],
            "embed_row_norms": model.embed.weight.detach().norm(dim=1).numpy()}
