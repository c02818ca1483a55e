"""F.scaled_dot_product_attention against PyTorch: values, first and second derivatives."""
import numpy as np
import pytest

import chainrule as cr
from tests.opcheck import check_op

Q, K, V = (2, 3, 4, 5), (2, 3, 6, 5), (2, 3, 6, 2)
rng = np.random.default_rng(1)
BOOL = rng.random((4, 6)) > 0.4
BOOL[1] = False  # a query that sees no key: zeros, as PyTorch
FLOAT = rng.standard_normal((2, 1, 4, 6))
FLOAT[0, 0, 2] = -np.inf


def sdpa(**options):
    def fn(m, q, k, v):
        kw = {key: m.tensor(val) if isinstance(val, np.ndarray) else val
              for key, val in options.items()}
        return m.nn.functional.scaled_dot_product_attention(q, k, v, **kw)
    fn.__name__ = f"scaled_dot_product_attention({sorted(options)})"
    return fn


@pytest.mark.parametrize("options", [
    {}, {"scale": 0.3}, {"is_causal": True}, {"attn_mask": BOOL}, {"attn_mask": FLOAT},
    {"attn_mask": BOOL[:, :1].repeat(6, 1)}])
def test_matches_torch(options):
    check_op(sdpa(**options), [Q, K, V])


def test_grouped_query_heads():
    check_op(sdpa(enable_gqa=True), [(2, 4, 3, 5), (2, 2, 6, 5), (2, 2, 6, 2)])


def test_unbatched_and_broadcast_batches():
    check_op(sdpa(), [(4, 5), (6, 5), (6, 3)])
    check_op(sdpa(), [(2, 3, 4, 5), (1, 3, 6, 5), (1, 3, 6, 2)])


def test_float_mask_gets_a_gradient():
    mask = rng.standard_normal((4, 6))
    check_op(lambda m, q, k, v, b: m.nn.functional.scaled_dot_product_attention(
        q, k, v, attn_mask=b), [Q, K, V, (4, 6)], inputs=[
        rng.standard_normal(s) for s in (Q, K, V)] + [mask])


def test_dropout_keeps_the_expected_value_and_zero_p_is_exact():
    q, k, v = (cr.tensor(rng.standard_normal(s)) for s in (Q, K, V))
    F = cr.nn.functional
    exact = F.scaled_dot_product_attention(q, k, v)
    np.testing.assert_allclose(F.scaled_dot_product_attention(q, k, v, dropout_p=0.0).numpy(),
                               exact.numpy())
    cr.manual_seed(0)
    drawn = np.mean([F.scaled_dot_product_attention(q, k, v, dropout_p=0.3).numpy()
                     for _ in range(400)], axis=0)
    np.testing.assert_allclose(drawn, exact.numpy(), atol=0.1)
    assert not np.allclose(F.scaled_dot_product_attention(q, k, v, dropout_p=0.5).numpy(),
                           exact.numpy())


def test_bad_input_is_named():
    F = cr.nn.functional
    with pytest.raises(ValueError, match="scaled_dot_product_attention: expected query"):
        F.scaled_dot_product_attention(cr.zeros(2, 4, 5), cr.zeros(2, 6, 4), cr.zeros(2, 6, 2))
    with pytest.raises(ValueError, match="not both"):
        F.scaled_dot_product_attention(cr.zeros(4, 5), cr.zeros(6, 5), cr.zeros(6, 2),
                                       attn_mask=cr.ones(4, 6, dtype=cr.bool), is_causal=True)
    with pytest.raises(TypeError, match="dtype of the query"):
        F.scaled_dot_product_attention(cr.zeros(4, 5), cr.zeros(6, 5), cr.zeros(6, 2),
                                       attn_mask=cr.zeros(4, 6, dtype=cr.float64))
    with pytest.raises(ValueError, match="enable_gqa"):
        F.scaled_dot_product_attention(cr.zeros(1, 3, 4, 5), cr.zeros(1, 2, 6, 5),
                                       cr.zeros(1, 2, 6, 2), enable_gqa=True)
