"""MultiheadAttention and the Transformer layers against their PyTorch twins (same state_dict,
float64, dropout off): outputs, and gradients of the inputs and of every parameter."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn

rng = np.random.default_rng(0)


def twins(name, *args, **kwargs):
    theirs = getattr(torch.nn, name)(*args, **kwargs).double()
    ours = getattr(nn, name)(*args, **kwargs).double()
    state = theirs.state_dict()
    assert sorted(ours.state_dict()) == sorted(state)
    ours.load_state_dict({k: cr.tensor(v.numpy()) for k, v in state.items()})
    return ours, theirs


def both(value, m):
    return m.tensor(value) if isinstance(value, np.ndarray) else value


def compare(ours, theirs, inputs, pick=lambda out: out, **options):
    """Runs both on the same inputs (arrays) and options (arrays become tensors)."""
    xs_c = [cr.tensor(x, requires_grad=True) for x in inputs]
    xs_t = [torch.tensor(x, requires_grad=True) for x in inputs]
    out_c = ours(*xs_c, **{k: both(v, cr) for k, v in options.items()})
    out_t = theirs(*xs_t, **{k: both(v, torch) for k, v in options.items()})
    out_c, out_t = pick(out_c), pick(out_t)
    np.testing.assert_allclose(out_c.numpy(), out_t.detach().numpy(), atol=1e-10, rtol=1e-8)
    seed = rng.standard_normal(out_t.shape)
    out_c.backward(cr.tensor(seed))
    out_t.backward(torch.tensor(seed))
    for a, b in zip(xs_c, xs_t):
        assert (a.grad is None) == (b.grad is None)
        if b.grad is not None:
            np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), atol=1e-10, rtol=1e-8)
    params_t = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        expected = params_t[name].grad
        assert (p.grad is None) == (expected is None), name
        if expected is not None:
            np.testing.assert_allclose(p.grad.numpy(), expected.numpy(), atol=1e-10,
                                       rtol=1e-8, err_msg=name)
    return out_c, out_t


L, S, N, E = 4, 5, 2, 8
PADDING = np.array([[False, False, True, False, True], [True, True, True, True, True]])
ATTN = rng.random((L, S)) > 0.5
ATTN[0] = True  # every key masked out for query 0


def attn_output(out):
    return out[0]


def attn_weights(out):
    return out[1]


@pytest.mark.parametrize("layer", [
    {}, {"bias": False}, {"add_bias_kv": True}, {"add_zero_attn": True},
    {"add_bias_kv": True, "add_zero_attn": True}, {"batch_first": True},
    {"kdim": 3, "vdim": 6}])
@pytest.mark.parametrize("call", [
    {}, {"need_weights": False}, {"average_attn_weights": False},
    {"key_padding_mask": PADDING[:1].repeat(2, 0), "attn_mask": rng.standard_normal((L, S))},
    {"key_padding_mask": rng.standard_normal((N, S)), "need_weights": False}])
def test_multihead_attention(layer, call):
    ours, theirs = twins("MultiheadAttention", E, 2, **layer)
    first = layer.get("batch_first", False)
    q = rng.standard_normal((N, L, E) if first else (L, N, E))
    kv = [rng.standard_normal((N, S, d) if first else (S, N, d))
          for d in (layer.get("kdim", E), layer.get("vdim", E))]
    compare(ours, theirs, [q] + kv, attn_output, **call)
    if call.get("need_weights", True):
        compare(ours, theirs, [q] + kv, attn_weights, **call)
    else:
        assert ours(*(cr.tensor(x) for x in [q] + kv), need_weights=False)[1] is None


@pytest.mark.parametrize("masks", [
    {"attn_mask": ATTN}, {"key_padding_mask": PADDING},
    {"attn_mask": rng.random((N * 2, L, S)) > 0.5},
    {"attn_mask": ATTN, "key_padding_mask": PADDING}])
@pytest.mark.parametrize("need_weights", [True, False])
def test_multihead_attention_bool_masks_and_masked_rows(masks, need_weights):
    """PyTorch gives NaN for a query that sees no key when it returns the weights, and zeros
    when it does not; so does chainrule (compared with NaNs equal)."""
    ours, theirs = twins("MultiheadAttention", E, 2)
    q, k, v = (rng.standard_normal(s) for s in ((L, N, E), (S, N, E), (S, N, E)))
    out_c = ours(*(cr.tensor(x) for x in (q, k, v)), need_weights=need_weights,
                 **{k_: cr.tensor(m) for k_, m in masks.items()})
    out_t = theirs(*(torch.tensor(x) for x in (q, k, v)), need_weights=need_weights,
                   **{k_: torch.tensor(m) for k_, m in masks.items()})
    for a, b in zip(out_c, out_t):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a.numpy(), b.detach().numpy(), atol=1e-10, rtol=1e-8)
    if not need_weights:
        compare(ours, theirs, [q, k, v], attn_output, need_weights=False, **masks)


def test_multihead_attention_unbatched_and_causal():
    ours, theirs = twins("MultiheadAttention", E, 4)
    causal = nn.Transformer.generate_square_subsequent_mask(L, dtype=cr.float64).numpy()
    x = rng.standard_normal((L, E))
    for options in ({"attn_mask": causal, "is_causal": True, "need_weights": False},
                    {"attn_mask": rng.random((4, L, L)) > 0.7},
                    {"key_padding_mask": np.array([False, True, False, False])}):
        compare(ours, theirs, [x, x, x], attn_output, **options)


def test_generate_square_subsequent_mask():
    np.testing.assert_array_equal(
        nn.Transformer.generate_square_subsequent_mask(5).numpy(),
        torch.nn.Transformer.generate_square_subsequent_mask(5).numpy())
    assert nn.Transformer.generate_square_subsequent_mask(3).dtype == cr.float32


LAYER_OPTIONS = [{}, {"norm_first": True}, {"activation": "gelu"}, {"bias": False},
                 {"batch_first": True, "layer_norm_eps": 1e-3}]


@pytest.mark.parametrize("options", LAYER_OPTIONS)
def test_encoder_layer(options):
    ours, theirs = twins("TransformerEncoderLayer", E, 2, dim_feedforward=16, dropout=0.0,
                         **options)
    shape = (N, L, E) if options.get("batch_first") else (L, N, E)
    causal = np.triu(np.full((L, L), -np.inf), 1)
    compare(ours, theirs, [rng.standard_normal(shape)])
    compare(ours, theirs, [rng.standard_normal(shape)], src_mask=causal, is_causal=True)
    compare(ours, theirs, [rng.standard_normal(shape)],
            src_key_padding_mask=np.array([[False, False, True, True], [False] * 4]))


def test_encoder_layer_callable_activation_and_eval_mode():
    ours, theirs = twins("TransformerEncoderLayer", E, 2, dim_feedforward=16,
                         activation=torch.tanh)
    ours.activation = cr.tanh
    ours.eval(), theirs.eval()
    compare(ours, theirs, [rng.standard_normal((L, N, E))])


@pytest.mark.parametrize("options", LAYER_OPTIONS)
def test_decoder_layer(options):
    ours, theirs = twins("TransformerDecoderLayer", E, 2, dim_feedforward=16, dropout=0.0,
                         **options)
    first = options.get("batch_first")
    tgt = rng.standard_normal((N, L, E) if first else (L, N, E))
    memory = rng.standard_normal((N, S, E) if first else (S, N, E))
    compare(ours, theirs, [tgt, memory])
    compare(ours, theirs, [tgt, memory], tgt_mask=np.triu(np.full((L, L), -np.inf), 1),
            tgt_is_causal=True, memory_key_padding_mask=PADDING[:1].repeat(2, 0),
            tgt_key_padding_mask=np.array([[False, True, False, False], [False] * 4]),
            memory_mask=rng.random((L, S)) > 0.8)


@pytest.mark.parametrize("norm", [False, True])
def test_stacks(norm):
    t_enc = torch.nn.TransformerEncoder(
        torch.nn.TransformerEncoderLayer(E, 2, 16, 0.0), 2,
        torch.nn.LayerNorm(E) if norm else None, enable_nested_tensor=False).double()
    c_enc = nn.TransformerEncoder(nn.TransformerEncoderLayer(E, 2, 16, 0.0), 2,
                                  nn.LayerNorm(E) if norm else None).double()
    c_enc.load_state_dict({k: cr.tensor(v.numpy()) for k, v in t_enc.state_dict().items()})
    compare(c_enc, t_enc, [rng.standard_normal((L, N, E))],
            mask=np.triu(np.full((L, L), -np.inf), 1), src_key_padding_mask=PADDING[:, :L])
    t_dec = torch.nn.TransformerDecoder(torch.nn.TransformerDecoderLayer(E, 2, 16, 0.0), 3,
                                        torch.nn.LayerNorm(E) if norm else None).double()
    c_dec = nn.TransformerDecoder(nn.TransformerDecoderLayer(E, 2, 16, 0.0), 3,
                                  nn.LayerNorm(E) if norm else None).double()
    c_dec.load_state_dict({k: cr.tensor(v.numpy()) for k, v in t_dec.state_dict().items()})
    compare(c_dec, t_dec, [rng.standard_normal((L, N, E)), rng.standard_normal((S, N, E))],
            tgt_mask=np.triu(np.full((L, L), -np.inf), 1))


@pytest.mark.parametrize("options", [{}, {"batch_first": True, "norm_first": True}])
def test_transformer(options):
    ours, theirs = twins("Transformer", E, 2, 2, 1, 16, 0.0, **options)
    first = options.get("batch_first")
    src = rng.standard_normal((N, S, E) if first else (S, N, E))
    tgt = rng.standard_normal((N, L, E) if first else (L, N, E))
    compare(ours, theirs, [src, tgt],
            tgt_mask=nn.Transformer.generate_square_subsequent_mask(L, dtype=cr.float64).numpy(),
            src_key_padding_mask=PADDING * np.array([[True], [False]]),
            memory_key_padding_mask=PADDING * np.array([[True], [False]]))


def test_transformer_initialization_is_xavier():
    model = nn.Transformer(16, 2, 1, 1, 32)
    w = model.encoder.layers[0].linear1.weight.numpy()
    bound = np.sqrt(6 / (16 + 32))
    assert np.abs(w).max() <= bound and np.abs(w).max() > 0.8 * bound


def test_errors_are_named():
    with pytest.raises(ValueError, match="MultiheadAttention: embed_dim"):
        nn.MultiheadAttention(10, 3)
    mha = nn.MultiheadAttention(E, 2)
    with pytest.raises(ValueError, match="MultiheadAttention: expected query"):
        mha(cr.zeros(L, N, E), cr.zeros(S, N, 3), cr.zeros(S, N, E))
    with pytest.raises(ValueError, match="attn_mask should have shape"):
        mha(cr.zeros(L, N, E), cr.zeros(S, N, E), cr.zeros(S, N, E), attn_mask=cr.zeros(L, L))
    with pytest.raises(ValueError, match="is_causal"):
        mha(cr.zeros(L, N, E), cr.zeros(S, N, E), cr.zeros(S, N, E), is_causal=True)
    with pytest.raises(ValueError, match="activation"):
        nn.TransformerEncoderLayer(E, 2, activation="swish")
    with pytest.raises(ValueError, match="same batch size"):
        nn.Transformer(E, 2, 1, 1, 16)(cr.zeros(S, 2, E), cr.zeros(L, 3, E))
