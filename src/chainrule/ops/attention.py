"""Scaled dot-product attention, softmax(Q K^T * scale + mask) V, composed of matmul and softmax
(so its gradients of every order come for free). MultiheadAttention and the Transformer layers
are built on `attend`."""
import math

from ..backend import array_module
from ..tensor import Tensor
from .creation import rand
from .elementwise import scale_by, where
from .linalg import matmul
from .softmax import softmax
from .shape import transpose

__all__ = ["scaled_dot_product_attention"]


def scaled_dot_product_attention(query, key, value, attn_mask=None, dropout_p=0.0,
                                 is_causal=False, scale=None, enable_gqa=False):
    """Attention of queries Q (..., L, E) over keys K (..., S, E) and values V (..., S, Ev): each
    query position gets the average of the values weighted by softmax(Q K^T * scale + mask)
    (scale 1/sqrt(E) by default), shape (..., L, Ev). A bool attn_mask says which keys a query
    may see (True: it may), a float one is added to the scores; is_causal lets query i see keys
    j <= i. A query that may see no key gets zeros, not NaN, as in PyTorch. enable_gqa lets
    H_q query heads (dim -3) share H_k key/value heads when H_k divides H_q."""
    name = "scaled_dot_product_attention"
    if min(query.ndim, key.ndim, value.ndim) < 2:
        raise ValueError(f"{name}: query, key and value need at least 2 dims (..., seq, "
                         f"features), got shapes {query.shape}, {key.shape}, {value.shape}")
    if query.shape[-1] != key.shape[-1] or key.shape[-2] != value.shape[-2]:
        raise ValueError(f"{name}: expected query (..., L, E), key (..., S, E) and value "
                         f"(..., S, Ev), got {query.shape}, {key.shape} and {value.shape}")
    if enable_gqa:
        key, value = (_shared_heads(name, t, query) for t in (key, value))
    L, S = query.shape[-2], key.shape[-2]
    if is_causal:
        if attn_mask is not None:
            raise ValueError(f"{name}: give either attn_mask or is_causal=True, not both")
        attn_mask = causal_mask(L, S, array_module(query.array))
    scale = 1 / math.sqrt(query.shape[-1]) if scale is None else scale
    bias = None if attn_mask is None else additive_mask(name, attn_mask, query.dtype)
    return attend(query, key, value, bias, scale, dropout_p, zero_blind_queries=True)[0]


def attend(query, key, value, bias, scale, dropout_p, zero_blind_queries):
    """(softmax(Q K^T * scale + bias) V, the weights), the weights dropped out with probability
    dropout_p. A query whose scores are all -inf ("blind") gets NaN weights, as softmax gives,
    or, with zero_blind_queries, zero weights and finite gradients."""
    if not 0 <= dropout_p <= 1:
        raise ValueError(f"attention: dropout_p is a probability between 0 and 1, got "
                         f"{dropout_p}")
    scores = matmul(query, transpose(key, -2, -1)) * scale
    if bias is not None:
        scores = scores + bias
    blind = None
    if zero_blind_queries:
        blind = array_module(scores.array).all(scores.array == -math.inf, axis=-1, keepdims=True)
        blind = blind if blind.any() else None
    if blind is not None:  # a finite row for softmax, so that no NaN reaches the gradients
        scores = where(blind, 0.0, scores)
    weights = softmax(scores, -1)
    if blind is not None:
        weights = where(blind, 0.0, weights)
    if dropout_p > 0:
        keep = rand(*weights.shape, device=weights.device).array >= dropout_p
        weights = scale_by(weights, (keep / (1 - dropout_p)).astype(weights.dtype)) \
            if dropout_p < 1 else weights * 0.0
    return matmul(weights, value), weights


def causal_mask(L, S, xp):
    """Bool (L, S): query i may see key j when j <= i."""
    return Tensor(xp.arange(S)[None, :] <= xp.arange(L)[:, None])


def additive_mask(name, mask, dtype):
    """The mask as a float Tensor added to the scores: a bool mask (True: may see) becomes 0 or
    -inf; a float mask is used as it is, and must have the queries' dtype."""
    mask = mask if isinstance(mask, Tensor) else Tensor(mask)
    if mask.dtype.kind == "b":
        return Tensor(array_module(mask.array).where(mask.array, 0.0, -math.inf).astype(dtype))
    if mask.dtype != dtype:
        raise TypeError(f"{name}: a float mask must have the dtype of the query ({dtype}), "
                        f"got {mask.dtype}")
    return mask


def _shared_heads(name, t, query):
    """Key or value heads repeated so that each of the query's heads has one (grouped-query)."""
    if t.ndim < 3 or query.ndim < 3 or query.shape[-3] % t.shape[-3]:
        raise ValueError(f"{name}: with enable_gqa the number of query heads (dim -3) must be a "
                         f"multiple of the key/value heads, got shapes {query.shape} and "
                         f"{t.shape}")
    return t.repeat_interleave(query.shape[-3] // t.shape[-3], dim=-3)
