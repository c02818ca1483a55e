"""MultiheadAttention: queries, keys and values projected into `num_heads` subspaces, attention
in each, and the heads' results concatenated and projected back (Vaswani et al., 2017)."""
import math

from ...ops.attention import additive_mask, attend, causal_mask
from ...ops.creation import zeros
from ...ops.padding import pad
from ...ops.reduce import mean
from ...ops.shape import cat, chunk, permute, reshape, squeeze, transpose, unsqueeze
from ...backend import array_module
from ...tensor import Tensor
from .. import functional as F
from .. import init
from ..module import Module
from .linear import Linear, parameter

NAME = "MultiheadAttention"


class MultiheadAttention(Module):
    """Attention with `num_heads` heads of embed_dim // num_heads features each. Inputs are
    (L, N, E), or (N, L, E) with batch_first, or unbatched (L, E); keys and values may have
    kdim and vdim features (then q/k/v_proj_weight replace in_proj_weight). Returns (output,
    weights averaged over heads, or per head, or None when need_weights is False)."""

    def __init__(self, embed_dim, num_heads, dropout=0.0, bias=True, add_bias_kv=False,
                 add_zero_attn=False, kdim=None, vdim=None, batch_first=False, device=None,
                 dtype=None):
        super().__init__()
        if embed_dim <= 0 or num_heads <= 0 or embed_dim % num_heads:
            raise ValueError(f"{NAME}: embed_dim must be a positive multiple of num_heads, got "
                             f"embed_dim={embed_dim} and num_heads={num_heads}")
        self.embed_dim, self.num_heads = embed_dim, num_heads
        self.kdim, self.vdim = kdim or embed_dim, vdim or embed_dim
        self._qkv_same_embed_dim = self.kdim == embed_dim and self.vdim == embed_dim
        self.dropout, self.batch_first = dropout, batch_first
        self.head_dim = embed_dim // num_heads
        self.add_zero_attn = add_zero_attn
        kw = dict(dtype=dtype, device=device)
        same = self._qkv_same_embed_dim
        self.register_parameter("in_proj_weight", parameter(3 * embed_dim, embed_dim, **kw,
                                                            present=same))
        for name, features in (("q", embed_dim), ("k", self.kdim), ("v", self.vdim)):
            self.register_parameter(f"{name}_proj_weight",
                                    parameter(embed_dim, features, **kw, present=not same))
        self.register_parameter("in_proj_bias", parameter(3 * embed_dim, **kw, present=bias))
        self.out_proj = Linear(embed_dim, embed_dim, bias=bias, **kw)
        self.register_parameter("bias_k", parameter(1, 1, embed_dim, **kw, present=add_bias_kv))
        self.register_parameter("bias_v", parameter(1, 1, embed_dim, **kw, present=add_bias_kv))
        self._reset_parameters()

    def _reset_parameters(self):
        """As PyTorch: Xavier-uniform projections, zero biases, Xavier-normal bias_k/bias_v."""
        for w in (self.in_proj_weight, self.q_proj_weight, self.k_proj_weight,
                  self.v_proj_weight):
            if w is not None:
                init.xavier_uniform_(w)
        for b in (self.in_proj_bias, self.out_proj.bias):
            if b is not None:
                init.constant_(b, 0.0)
        for b in (self.bias_k, self.bias_v):
            if b is not None:
                init.xavier_normal_(b)

    def forward(self, query, key, value, key_padding_mask=None, need_weights=True,
                attn_mask=None, average_attn_weights=True, is_causal=False):
        batched = query.ndim == 3
        if batched and self.batch_first:
            query, key, value = (transpose(t, 0, 1) for t in (query, key, value))
        elif not batched:
            query, key, value = (unsqueeze(t, 1) for t in (query, key, value))
            if key_padding_mask is not None:
                key_padding_mask = unsqueeze(_tensor(key_padding_mask), 0)
        self._check_shapes(query, key, value)
        if is_causal and attn_mask is None:
            raise ValueError(f"{NAME}: is_causal is a hint that attn_mask is causal; pass the "
                             "mask too (nn.Transformer.generate_square_subsequent_mask)")
        L, N, E = query.shape
        q, k, v = self._projected(query, key, value)
        if self.bias_k is not None:
            k = cat([k, self.bias_k.expand(1, N, E)])
            v = cat([v, self.bias_v.expand(1, N, E)])
        q, k, v = (self._split_heads(t) for t in (q, k, v))
        if self.add_zero_attn:
            k, v = (cat([t, zeros(N, self.num_heads, 1, self.head_dim, dtype=t.dtype,
                                  device=t.device)], -2) for t in (k, v))
        S = k.shape[-2]
        if is_causal and key_padding_mask is None and not need_weights:
            # as PyTorch: the hint alone decides, and the mask itself goes unused
            bias = additive_mask(NAME, causal_mask(L, S, array_module(q.array)), q.dtype)
        else:
            bias = self._bias(attn_mask, key_padding_mask, L, N, S, q.dtype)
        out, weights = attend(q, k, v, bias, 1 / math.sqrt(self.head_dim),
                              self.dropout if self.training else 0.0,
                              zero_blind_queries=not need_weights)
        out = self.out_proj(reshape(permute(out, 2, 0, 1, 3), (L, N, E)))
        if batched and self.batch_first:
            out = transpose(out, 0, 1)
        elif not batched:
            out = squeeze(out, 1)
        if not need_weights:
            return out, None
        if average_attn_weights:
            weights = mean(weights, 1)
        return out, weights if batched else squeeze(weights, 0)

    def _check_shapes(self, query, key, value):
        expected = (self.embed_dim, self.kdim, self.vdim)
        if any(t.ndim != 3 for t in (key, value)) or \
                tuple(t.shape[-1] for t in (query, key, value)) != expected or \
                key.shape[:2] != value.shape[:2] or key.shape[1] != query.shape[1]:
            raise ValueError(f"{NAME}: expected query, key and value with {expected} features, "
                             f"the same batch size and as many keys as values; got shapes "
                             f"{tuple(query.shape)}, {tuple(key.shape)} and {tuple(value.shape)}"
                             " (in (seq, batch, features) order)")

    def _projected(self, query, key, value):
        weights = chunk(self.in_proj_weight, 3) if self._qkv_same_embed_dim else \
            (self.q_proj_weight, self.k_proj_weight, self.v_proj_weight)
        biases = (None,) * 3 if self.in_proj_bias is None else chunk(self.in_proj_bias, 3)
        return (F.linear(x, w, b) for x, w, b in zip((query, key, value), weights, biases))

    def _split_heads(self, t):
        """(seq, N, E) -> (N, heads, seq, head_dim)."""
        return permute(reshape(t, (t.shape[0], t.shape[1], self.num_heads, self.head_dim)),
                       1, 2, 0, 3)

    def _bias(self, attn_mask, key_padding_mask, L, N, S, dtype):
        """attn_mask ((L, S) or (N * heads, L, S)) and key_padding_mask ((N, S)) as one float
        mask added to the scores, (L, S) or (N, heads, L, S); bool True means masked out. Keys
        added by bias_k and add_zero_attn are never masked."""
        masks = []
        if attn_mask is not None:
            attn_mask = _additive(attn_mask, dtype)
            if attn_mask.shape not in ((L, S - self._extra_keys), (N * self.num_heads, L,
                                                                    S - self._extra_keys)):
                raise ValueError(f"{NAME}: attn_mask should have shape "
                                 f"{(L, S - self._extra_keys)} or "
                                 f"{(N * self.num_heads, L, S - self._extra_keys)}, got "
                                 f"{tuple(attn_mask.shape)}")
            masks.append(attn_mask if attn_mask.ndim == 2 else
                         reshape(attn_mask, (N, self.num_heads, L, -1)))
        if key_padding_mask is not None:
            key_padding_mask = _additive(key_padding_mask, dtype)
            if key_padding_mask.shape != (N, S - self._extra_keys):
                raise ValueError(f"{NAME}: key_padding_mask should have shape "
                                 f"{(N, S - self._extra_keys)}, got "
                                 f"{tuple(key_padding_mask.shape)}")
            masks.append(reshape(key_padding_mask, (N, 1, 1, -1)))
        if not masks:
            return None
        bias = masks[0] if len(masks) == 1 else masks[0] + masks[1]
        return pad(bias, (0, self._extra_keys)) if self._extra_keys else bias

    @property
    def _extra_keys(self):
        return (self.bias_k is not None) + self.add_zero_attn


def _tensor(mask):
    return mask if isinstance(mask, Tensor) else Tensor(mask)


def _additive(mask, dtype):
    """A mask with PyTorch's MultiheadAttention meaning (bool True: masked out) as a float mask."""
    mask = _tensor(mask)
    return additive_mask(NAME, ~mask if mask.dtype.kind == "b" else mask, dtype)
