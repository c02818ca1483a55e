"""Character-level language models: a recurrent one (embedding, LSTM or GRU, linear read-out)
and a GPT (Radford et al. 2018; the layout of Karpathy's nanoGPT: pre-norm blocks of causal
self-attention and a 4x-wide GELU MLP, learned positions, the read-out tied to the embedding).

Both map (batch, time) character ids to (batch, time, vocab) logits of the next character, and
carry what `generate` needs: `block_size` (the context a GPT can see; None for a recurrent net,
which carries its state instead) and `step(ids, state)`."""
import math

from .. import nn
from ..nn import functional as F

TEXT_MODELS = ("lstm", "gru", "gpt")


class CharRNN(nn.Module):
    """ids -> Embedding(vocab, hidden) -> `layers` of LSTM/GRU(hidden) -> Linear(hidden, vocab)."""

    block_size = None

    def __init__(self, vocab_size, hidden=128, layers=2, cell="lstm", dropout=0.0):
        super().__init__()
        recurrent = {"lstm": nn.LSTM, "gru": nn.GRU}
        if cell not in recurrent:
            raise ValueError(f"CharRNN: cell must be 'lstm' or 'gru', got {cell!r}")
        self.embed = nn.Embedding(vocab_size, hidden)
        self.rnn = recurrent[cell](hidden, hidden, layers, batch_first=True, dropout=dropout)
        self.head = nn.Linear(hidden, vocab_size)

    def forward(self, ids):
        return self.step(ids)[0]

    def step(self, ids, state=None):
        """(logits, state): reads `ids` after the text that left `state` (None: no text)."""
        out, state = self.rnn(self.embed(ids), state)
        return self.head(out), state


class CausalSelfAttention(nn.Module):
    """Every position attends to itself and the positions before it, in `heads` heads."""

    def __init__(self, width, heads, bias, dropout):
        super().__init__()
        if width % heads:
            raise ValueError(f"GPT: the width ({width}) must be a multiple of the number of "
                             f"heads ({heads})")
        self.heads, self.dropout = heads, dropout
        self.qkv = nn.Linear(width, 3 * width, bias=bias)
        self.proj = nn.Linear(width, width, bias=bias)

    def forward(self, x):
        batch, time, width = x.shape
        q, k, v = (t.view(batch, time, self.heads, width // self.heads).transpose(1, 2)
                   for t in self.qkv(x).split(width, dim=2))
        y = F.scaled_dot_product_attention(q, k, v, is_causal=True,
                                           dropout_p=self.dropout if self.training else 0.0)
        return self.proj(y.transpose(1, 2).reshape(batch, time, width))


class Block(nn.Module):
    """x + attention(norm(x)), then x + mlp(norm(x))."""

    def __init__(self, width, heads, bias, dropout):
        super().__init__()
        self.norm1 = nn.LayerNorm(width, bias=bias)
        self.attn = CausalSelfAttention(width, heads, bias, dropout)
        self.norm2 = nn.LayerNorm(width, bias=bias)
        self.mlp = nn.Sequential(nn.Linear(width, 4 * width, bias=bias), nn.GELU(),
                                 nn.Linear(4 * width, width, bias=bias), nn.Dropout(dropout))
        self.drop = nn.Dropout(dropout)

    def forward(self, x):
        x = x + self.drop(self.attn(self.norm1(x)))
        return x + self.mlp(self.norm2(x))


class GPT(nn.Module):
    """Token and position embeddings, `layers` Blocks, a final LayerNorm, and a read-out that
    shares the token embedding's matrix. Weights start as N(0, 0.02), the projections back into
    the residual stream as N(0, 0.02 / sqrt(2 layers)) so that the stream's variance does not
    grow with depth (GPT-2's scheme)."""

    def __init__(self, vocab_size, block_size=64, layers=4, heads=4, width=128, dropout=0.0,
                 bias=False):
        super().__init__()
        self.block_size = block_size
        self.tokens = nn.Embedding(vocab_size, width)
        self.positions = nn.Embedding(block_size, width)
        self.drop = nn.Dropout(dropout)
        self.blocks = nn.ModuleList(Block(width, heads, bias, dropout) for _ in range(layers))
        self.norm = nn.LayerNorm(width, bias=bias)
        self.head = nn.Linear(width, vocab_size, bias=False)
        self.head.weight = self.tokens.weight
        for name, p in self.named_parameters():
            if p.ndim == 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith("proj.weight") or \
                    name.endswith("mlp.2.weight") else 0.02
                nn.init.normal_(p, 0.0, std)
            elif name.endswith("bias"):
                nn.init.zeros_(p)

    def forward(self, ids):
        time = ids.shape[1]
        if time > self.block_size:
            raise ValueError(f"GPT: a sequence of {time} characters is longer than the block "
                             f"size {self.block_size} it was built for")
        x = self.drop(self.tokens(ids) + self.positions.weight[:time])
        for block in self.blocks:
            x = block(x)
        return self.head(self.norm(x))


def build_text_model(config):
    """A model from the config `chainrule train` saves: model, vocab_size, hidden, layers, and
    for a GPT heads and block_size."""
    kind = config["model"]
    if kind == "gpt":
        return GPT(config["vocab_size"], config["block_size"], config["layers"],
                   config["heads"], config["hidden"], config.get("dropout", 0.0))
    if kind in ("lstm", "gru"):
        return CharRNN(config["vocab_size"], config["hidden"], config["layers"], kind,
                       config.get("dropout", 0.0))
    raise ValueError(f"unknown text model {kind!r}: choose from {', '.join(TEXT_MODELS)}")
