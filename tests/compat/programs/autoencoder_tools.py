"""An autoencoder trained with the autograd tools research code reaches for: a gradient penalty
on the code through torch.autograd.grad(create_graph=True), a hook that records and rescales the gradient of
the code, the encoder under torch.utils.checkpoint, and a state_dict round trip through
torch.save/torch.load on an in-memory file."""
import io

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.checkpoint import checkpoint


class AutoEncoder(nn.Module):
    def __init__(self, n_in=12, n_code=3):
        super().__init__()
        self.encoder = nn.Sequential(nn.Linear(n_in, 8), nn.Tanh(), nn.Linear(8, n_code))
        self.decoder = nn.Sequential(nn.Linear(n_code, 8), nn.Softplus(), nn.Linear(8, n_in))

    def forward(self, x, code_hook=None):
        code = checkpoint(self.encoder, x, use_reentrant=False)
        if code_hook is not None and code.requires_grad:
            code.register_hook(code_hook)
        return self.decoder(code), code


def fill_(model, rng, scale=0.4):
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(p.shape) * scale))


def main(steps=5, penalty_weight=0.1):
    torch.set_default_dtype(torch.float64)
    rng = np.random.default_rng(21)
    model = AutoEncoder()
    fill_(model, rng)
    optimizer = torch.optim.RMSprop(model.parameters(), lr=0.01, alpha=0.9, momentum=0.5)
    data = torch.from_numpy(rng.standard_normal((steps, 16, 12)))

    code_grad_norms = []

    def halve_and_record(grad):
        code_grad_norms.append(grad.norm().item())
        return grad * 0.5

    losses, penalties = [], []
    for step in range(steps):
        x = data[step]
        recon, code = model(x, code_hook=halve_and_record)
        reconstruction = F.mse_loss(recon, x)
        # Penalize how steeply the reconstruction error changes with the code.
        (grad_code,) = torch.autograd.grad(reconstruction, code, create_graph=True)
        penalty = grad_code.pow(2).sum(dim=1).mean()
        loss = reconstruction + penalty_weight * penalty
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
        penalties.append(penalty.item())

    buffer = io.BytesIO()
    torch.save({"model": model.state_dict(), "optimizer": optimizer.state_dict(),
                "step": steps}, buffer)
    buffer.seek(0)
    checkpoint_ = torch.load(buffer)
    restored = AutoEncoder()
    restored.load_state_dict(checkpoint_["model"])
    restored_optimizer = torch.optim.RMSprop(restored.parameters(), lr=0.01)
    restored_optimizer.load_state_dict(checkpoint_["optimizer"])

    with torch.no_grad():
        out, _ = model(data[0])
        out_restored, _ = restored(data[0])
    square_avg = restored_optimizer.state_dict()["state"][0]["square_avg"]
    return {"losses": losses, "penalties": penalties, "code_grad_norms": code_grad_norms,
            "restored_max_diff": (out - out_restored).abs().max().item(),
            "restored_output": out_restored.numpy(), "saved_step": checkpoint_["step"],
            "restored_alpha": restored_optimizer.param_groups[0]["alpha"],
            "square_avg": square_avg.numpy(),
            "keys": " ".join(checkpoint_["model"].keys())}
