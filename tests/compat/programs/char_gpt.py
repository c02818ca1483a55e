"""A character-level GPT in the style of nanoGPT/minGPT: token and position embeddings, causal
self-attention with a mask made from arange, pre-LayerNorm blocks with a GELU MLP, weight
tying, AdamW with weight decay on matrices only, gradient accumulation and clip_grad_norm_.
Trains on Tiny Shakespeare from $CHAINRULE_DATA when it is there, else on a fixed verse."""
import math
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

VERSE = ("Shall I compare thee to a summer's day? Thou art more lovely and more temperate: "
         "Rough winds do shake the darling buds of May, And summer's lease hath all too short "
         "a date. ")


class CausalSelfAttention(nn.Module):
    def __init__(self, n_embd, n_head, block_size):
        super().__init__()
        assert n_embd % n_head == 0
        self.c_attn = nn.Linear(n_embd, 3 * n_embd)
        self.c_proj = nn.Linear(n_embd, n_embd)
        self.n_head = n_head
        positions = torch.arange(block_size)
        future = positions.view(1, -1) > positions.view(-1, 1)
        self.register_buffer("future", future.view(1, 1, block_size, block_size))

    def forward(self, x):
        B, T, C = x.size()
        q, k, v = self.c_attn(x).split(C, dim=2)
        k = k.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        q = q.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        v = v.view(B, T, self.n_head, C // self.n_head).transpose(1, 2)
        att = (q @ k.transpose(-2, -1)) * (1.0 / math.sqrt(k.size(-1)))
        att = att.masked_fill(self.future[:, :, :T, :T], float("-inf"))
        att = F.softmax(att, dim=-1)
        y = att @ v
        y = y.transpose(1, 2).contiguous().view(B, T, C)
        return self.c_proj(y)


class Block(nn.Module):
    def __init__(self, n_embd, n_head, block_size):
        super().__init__()
        self.ln_1 = nn.LayerNorm(n_embd)
        self.attn = CausalSelfAttention(n_embd, n_head, block_size)
        self.ln_2 = nn.LayerNorm(n_embd)
        self.mlp = nn.Sequential(nn.Linear(n_embd, 4 * n_embd), nn.GELU(approximate="tanh"),
                                 nn.Linear(4 * n_embd, n_embd))

    def forward(self, x):
        x = x + self.attn(self.ln_1(x))
        x = x + self.mlp(self.ln_2(x))
        return x


class GPT(nn.Module):
    def __init__(self, vocab_size, block_size, n_layer=2, n_head=2, n_embd=16):
        super().__init__()
        self.block_size = block_size
        self.wte = nn.Embedding(vocab_size, n_embd)
        self.wpe = nn.Embedding(block_size, n_embd)
        self.h = nn.ModuleList([Block(n_embd, n_head, block_size) for _ in range(n_layer)])
        self.ln_f = nn.LayerNorm(n_embd)
        self.lm_head = nn.Linear(n_embd, vocab_size, bias=False)
        self.wte.weight = self.lm_head.weight  # weight tying

    def forward(self, idx, targets=None):
        b, t = idx.size()
        pos = torch.arange(0, t, dtype=torch.long)
        x = self.wte(idx) + self.wpe(pos)
        for block in self.h:
            x = block(x)
        logits = self.lm_head(self.ln_f(x))
        loss = None
        if targets is not None:
            loss = F.cross_entropy(logits.view(-1, logits.size(-1)), targets.view(-1))
        return logits, loss

    def configure_optimizers(self, weight_decay, learning_rate, betas):
        params = [p for p in self.parameters() if p.requires_grad]
        decay = [p for p in params if p.dim() >= 2]
        no_decay = [p for p in params if p.dim() < 2]
        groups = [{"params": decay, "weight_decay": weight_decay},
                  {"params": no_decay, "weight_decay": 0.0}]
        return torch.optim.AdamW(groups, lr=learning_rate, betas=betas)


def load_text():
    path = os.path.join(os.environ.get("CHAINRULE_DATA", ""), "tinyshakespeare", "input.txt")
    if os.path.exists(path):
        with open(path) as f:
            return f.read()[:20000]
    return VERSE * 20


def main(steps=5, accumulation=2, batch_size=4, block_size=16):
    torch.set_default_dtype(torch.float64)
    text = load_text()
    chars = sorted(set(text))
    stoi = {ch: i for i, ch in enumerate(chars)}
    data = torch.tensor([stoi[c] for c in text], dtype=torch.long)

    model = GPT(len(chars), block_size)
    rng = np.random.default_rng(7)
    with torch.no_grad():
        for name, p in model.named_parameters():
            scale = 0.02 if p.dim() >= 2 else 0.1
            p.copy_(torch.from_numpy(rng.normal(0.0, scale, p.shape)))
            if name.endswith("ln_1.weight") or name.endswith("ln_2.weight"):
                p.add_(1.0)
    optimizer = model.configure_optimizers(weight_decay=0.1, learning_rate=3e-3,
                                           betas=(0.9, 0.95))

    losses, norms = [], []
    for step in range(steps):
        for micro in range(accumulation):
            starts = rng.integers(0, len(data) - block_size - 1, batch_size)
            ix = torch.from_numpy(starts)
            x = torch.stack([data[i:i + block_size] for i in ix])
            y = torch.stack([data[i + 1:i + 1 + block_size] for i in ix])
            _, loss = model(x, y)
            loss = loss / accumulation
            loss.backward()
            losses.append(loss.item())
        norms.append(torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0).item())
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)

    with torch.no_grad():
        logits, _ = model(data[:block_size].view(1, -1))
        probs = F.softmax(logits[:, -1, :], dim=-1)
    return {"losses": losses, "clipped_norms": norms, "next_char_probs": probs.numpy(),
            "n_params": sum(p.numel() for p in model.parameters()),
            "tied": str(model.wte.weight is model.lm_head.weight)}
