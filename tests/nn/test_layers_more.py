"""Containers of parameters, Identity, and the padding, distance, shuffle and dropout layers
(with their functional forms) against PyTorch."""
import numpy as np
import pytest
import torch
import torch.nn.functional as torch_F

import chainrule as cr
import chainrule.nn.functional as F
from opcheck import check_op
from nn.test_layers_compare import compare, twins


# ---- ParameterList and ParameterDict ------------------------------------------------------------
class _Holder:
    """A module holding a ParameterList and a ParameterDict, built in either framework."""

    @staticmethod
    def make(m):
        class Holder(m.nn.Module):
            def __init__(self):
                super().__init__()
                self.scales = m.nn.ParameterList([m.nn.Parameter(m.ones(3)), m.zeros(2)])
                self.scales.append(m.nn.Parameter(m.ones(2, 2)))
                self.scales.extend([m.ones(1)])
                self.named = m.nn.ParameterDict({"b": m.nn.Parameter(m.ones(3)),
                                                 "a": m.zeros(4)})
                self.named["c"] = m.nn.Parameter(m.ones(1))
                self.named.update([("d", m.nn.Parameter(m.ones(2)))])

            def forward(self, x):
                total = x.sum() * self.scales[0].sum() + self.scales[-1].sum()
                for p in self.scales:
                    total = total + (p * p).sum()
                for key in self.named:
                    total = total * self.named[key].mean() + self.named[key].sum()
                return total
        return Holder()


def test_parameter_containers_register_under_torchs_keys():
    ours, theirs = twins(_Holder.make)  # asserts the same state_dict keys, in the same order
    assert [n for n, _ in ours.named_parameters()] == [n for n, _ in theirs.named_parameters()]
    assert all(isinstance(p, cr.nn.Parameter) for p in ours.parameters())


def test_parameter_containers_give_torchs_gradients():
    rng = np.random.default_rng(0)
    ours, theirs = twins(_Holder.make)
    state = {k: rng.standard_normal(v.shape) for k, v in theirs.state_dict().items()}
    theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()})
    ours.load_state_dict(state)
    x = rng.standard_normal(3)
    ours(cr.tensor(x)).backward()
    theirs(torch.tensor(x)).backward()
    expected = dict(theirs.named_parameters())
    for name, p in ours.named_parameters():
        np.testing.assert_allclose(p.grad.numpy(), expected[name].grad.numpy(), rtol=1e-10,
                                   err_msg=name)


def test_parameter_list_indexing_and_iteration():
    params = [cr.nn.Parameter(cr.ones(i + 1)) for i in range(4)]
    plist = cr.nn.ParameterList(params)
    assert len(plist) == 4 and list(plist) == params
    assert plist[-1] is params[3] and plist[1] is params[1]
    assert list(plist[1:3]) == params[1:3] and isinstance(plist[1:3], cr.nn.ParameterList)
    replacement = cr.nn.Parameter(cr.zeros(5))
    plist[0] = replacement
    assert plist[0] is replacement and list(plist.state_dict()) == ["0", "1", "2", "3"]
    plist += [cr.ones(2)]
    assert len(plist) == 5 and isinstance(plist[4], cr.nn.Parameter)
    with pytest.raises(IndexError, match="ParameterList: index 5 is out of range for length 5"):
        plist[5]
    with pytest.raises(TypeError, match="ParameterList: expected a Parameter or a Tensor, got int"):
        plist.append(3)


def test_parameter_dict_methods():
    a, b = cr.nn.Parameter(cr.ones(2)), cr.nn.Parameter(cr.zeros(3))
    pdict = cr.nn.ParameterDict({"a": a})
    assert pdict.setdefault("b", b) is b and pdict.setdefault("b", a) is b
    assert list(pdict) == ["a", "b"] and list(reversed(pdict)) == ["b", "a"]
    assert list(pdict.keys()) == ["a", "b"] and list(pdict.values()) == [a, b]
    assert dict(pdict.items()) == {"a": a, "b": b} and "a" in pdict and "z" not in pdict
    assert pdict.get("z") is None and pdict.get("a") is a
    merged = pdict | {"c": cr.ones(1)}
    assert list(merged) == ["a", "b", "c"] and list(pdict) == ["a", "b"]
    assert list({"c": cr.ones(1)} | pdict) == ["c", "a", "b"]
    copy = pdict.copy()
    assert copy["a"] is a and copy is not pdict
    pdict |= {"d": cr.nn.Parameter(cr.ones(1))}
    assert list(pdict.state_dict()) == ["a", "b", "d"]
    assert pdict.pop("a") is a and list(pdict) == ["b", "d"]
    assert pdict.popitem()[0] == "d"
    del pdict["b"]
    assert len(pdict) == 0 and list(pdict.parameters()) == []
    shared = cr.nn.ParameterDict.fromkeys(["x", "y"], cr.nn.Parameter(cr.ones(1)))
    assert shared["x"] is shared["y"]
    with pytest.raises(TypeError, match="ParameterDict: keys must be strings, got int"):
        shared[1] = a
    with pytest.raises(TypeError, match="ParameterDict: expected a Parameter or a Tensor"):
        shared["z"] = [1.0]


def test_identity_accepts_and_ignores_arguments():
    layer = cr.nn.Identity(54, unused_argument1=0.1, unused_argument2=False)
    x = cr.randn(2, 3)
    assert layer(x) is x and list(layer.parameters()) == []


# ---- padding layers -----------------------------------------------------------------------------
@pytest.mark.parametrize("make, shape", [
    (lambda m: m.nn.ZeroPad2d(2), (2, 3, 4, 5)), (lambda m: m.nn.ZeroPad2d((1, 0, 2, 3)), (3, 4, 5)),
    (lambda m: m.nn.ZeroPad1d((1, 2)), (2, 3, 4)), (lambda m: m.nn.ZeroPad3d(1), (1, 2, 3, 3, 3)),
    (lambda m: m.nn.ConstantPad1d(2, 3.5), (2, 4)), (lambda m: m.nn.ConstantPad2d((1, 2, 0, 1), -1.0), (2, 3, 4)),
    (lambda m: m.nn.ConstantPad3d((1, 0, 0, 1, 2, 0), 0.5), (1, 2, 2, 3, 3)),
    (lambda m: m.nn.ReflectionPad1d((2, 1)), (2, 3, 4)), (lambda m: m.nn.ReflectionPad2d(2), (2, 3, 4, 5)),
    (lambda m: m.nn.ReflectionPad3d((1, 0, 2, 1, 1, 1)), (1, 2, 3, 4, 3)),
    (lambda m: m.nn.ReplicationPad1d(3), (3, 4)), (lambda m: m.nn.ReplicationPad2d((0, 1, 3, 2)), (2, 3, 4, 5)),
    (lambda m: m.nn.ReplicationPad3d(2), (1, 2, 3, 2, 3)),
    (lambda m: m.nn.CircularPad1d((2, 3)), (2, 3, 4)), (lambda m: m.nn.CircularPad2d(1), (2, 3, 4, 5)),
    (lambda m: m.nn.CircularPad3d((1, 1, 0, 2, 1, 0)), (1, 2, 3, 4, 3)),
])
def test_padding_layer_matches_torch(make, shape):
    ours, theirs = compare(make, shape)
    assert ours.padding == theirs.padding and repr(ours).endswith(repr(theirs).split("(", 1)[1])


def test_padding_layer_needs_the_right_number_of_widths():
    with pytest.raises(ValueError, match=r"ReflectionPad2d: padding must be one int or 4 widths"):
        cr.nn.ReflectionPad2d((1, 2))


# ---- distances and normalize --------------------------------------------------------------------
@pytest.mark.parametrize("shapes, kwargs", [
    ([(4, 3), (4, 3)], {}), ([(2, 3, 5), (1, 3, 5)], {"dim": 1}), ([(5,), (5,)], {"dim": 0}),
    ([(3, 4), (4,)], {"dim": -1}), ([(2, 3), (2, 3)], {"dim": 1, "eps": 0.5}),
])
def test_cosine_similarity(shapes, kwargs):
    check_op(lambda m, a, b: m.nn.functional.cosine_similarity(a, b, **kwargs), shapes,
             name="cosine_similarity")
    compare(lambda m: m.nn.CosineSimilarity(**kwargs), *shapes)


def test_cosine_similarity_of_a_tiny_vector_uses_eps_as_torch():
    inputs = [np.array([[1e-10, 0.0], [3.0, 4.0]]), np.array([[1.0, 1.0], [2e-9, 1e-9]])]
    check_op(lambda m, a, b: m.nn.functional.cosine_similarity(a, b), None, inputs=inputs,
             finite_differences=False, name="cosine_similarity tiny")


@pytest.mark.parametrize("shapes, kwargs", [
    ([(4, 3), (4, 3)], {}), ([(4, 3), (3,)], {"p": 1.0}), ([(2, 5), (2, 5)], {"p": 3.0, "keepdim": True}),
    ([(5,), (5,)], {}), ([(2, 3, 4), (2, 3, 4)], {"eps": 0.1}),
])
def test_pairwise_distance(shapes, kwargs):
    check_op(lambda m, a, b: m.nn.functional.pairwise_distance(a, b, **kwargs), shapes,
             name="pairwise_distance")
    compare(lambda m: m.nn.PairwiseDistance(**kwargs), *shapes)


def test_top_level_distances_as_in_torch():
    a, b = np.random.default_rng(2).standard_normal((2, 3, 4))
    np.testing.assert_allclose(cr.cosine_similarity(cr.tensor(a), cr.tensor(b)).numpy(),
                               torch.cosine_similarity(torch.tensor(a), torch.tensor(b)).numpy())
    np.testing.assert_allclose(cr.pairwise_distance(cr.tensor(a), cr.tensor(b)).numpy(),
                               torch.pairwise_distance(torch.tensor(a), torch.tensor(b)).numpy())


@pytest.mark.parametrize("shape, kwargs", [
    ((3, 4), {}), ((2, 3, 4), {"dim": -1, "p": 1.0}), ((5,), {"dim": 0}),
    ((3, 4), {"p": 3.0, "dim": 0, "eps": 0.5}),
])
def test_normalize(shape, kwargs):
    check_op(lambda m, x: m.nn.functional.normalize(x, **kwargs), [shape], name="normalize")


def test_normalize_keeps_a_zero_vector_zero():
    x = cr.zeros(2, 3, requires_grad=True)
    y = F.normalize(x)
    y.sum().backward()
    expected = torch.zeros(2, 3, requires_grad=True)
    torch_F.normalize(expected).sum().backward()
    np.testing.assert_array_equal(y.numpy(), 0)
    np.testing.assert_allclose(x.grad.numpy(), expected.grad.numpy())


# ---- pixel and channel shuffles -----------------------------------------------------------------
@pytest.mark.parametrize("shape, r", [((1, 8, 2, 3), 2), ((2, 9, 2, 2), 3), ((4, 2, 3), 1),
                                      ((2, 1, 4, 2, 3), 2)])
def test_pixel_shuffle(shape, r):
    check_op(lambda m, x: m.nn.functional.pixel_shuffle(x, r), [shape], name="pixel_shuffle")
    compare(lambda m: m.nn.PixelShuffle(r), shape)


@pytest.mark.parametrize("shape, r", [((1, 2, 4, 6), 2), ((2, 1, 3, 6), 3), ((3, 2, 2), 1),
                                      ((2, 1, 2, 4, 2), 2)])
def test_pixel_unshuffle(shape, r):
    check_op(lambda m, x: m.nn.functional.pixel_unshuffle(x, r), [shape], name="pixel_unshuffle")
    compare(lambda m: m.nn.PixelUnshuffle(r), shape)


def test_pixel_shuffles_undo_each_other():
    x = cr.randn(2, 12, 3, 5)
    np.testing.assert_array_equal(F.pixel_unshuffle(F.pixel_shuffle(x, 2), 2).numpy(), x.numpy())


@pytest.mark.parametrize("shape, groups", [((2, 6, 3), 2), ((1, 6, 2, 2), 3), ((2, 4, 1, 2, 2), 4)])
def test_channel_shuffle(shape, groups):
    check_op(lambda m, x: m.nn.functional.channel_shuffle(x, groups), [shape],
             torch_fn=lambda m, x: torch.channel_shuffle(x, groups), name="channel_shuffle")
    compare(lambda m: m.nn.ChannelShuffle(groups), shape)


@pytest.mark.parametrize("call, message", [
    (lambda: F.pixel_shuffle(cr.ones(1, 6, 2, 2), 2), r"pixel_shuffle: .* divisible by 4, got shape \(1, 6, 2, 2\)"),
    (lambda: F.pixel_unshuffle(cr.ones(1, 1, 3, 4), 2), r"pixel_unshuffle: .* divisible by 2"),
    (lambda: F.channel_shuffle(cr.ones(2, 6), 3), r"channel_shuffle: .* more than 2 dims"),
    (lambda: F.channel_shuffle(cr.ones(2, 5, 2), 2), r"C divisible by groups=2, got shape \(2, 5, 2\)"),
])
def test_shuffle_errors(call, message):
    with pytest.raises(ValueError, match=message):
        call()


# ---- dropout ------------------------------------------------------------------------------------
def test_dropout3d_zeroes_whole_channels():
    x = cr.ones(4, 8, 2, 3, 2, requires_grad=True)
    y = F.dropout3d(x, 0.5)
    values = y.numpy().reshape(4, 8, -1)
    assert set(np.unique(values)) <= {0.0, 2.0} and 0 < (values == 0).mean() < 1
    assert np.all(values.min(-1) == values.max(-1)), "a channel is kept or dropped as a whole"
    y.sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), y.numpy())
    assert F.dropout3d(x, 0.5, training=False) is x
    layer = cr.nn.Dropout3d(0.3).eval()
    assert layer(x) is x and repr(layer) == repr(torch.nn.Dropout3d(0.3))


def test_alpha_dropout_is_torchs_affine_map():
    """Kept elements become a x + b and dropped ones the constant a alpha' + b, with torch's
    a and b: both appear on the same input, and keep mean 0 and variance 1 of a standard
    normal input."""
    p = 0.2
    x = np.random.default_rng(0).standard_normal(200_000)
    y = F.alpha_dropout(cr.tensor(x), p, training=True).numpy()
    t = torch_F.alpha_dropout(torch.tensor(x), p, training=True).numpy()
    # torch's constant for dropped elements is its most frequent output; a and b fit the rest
    values, counts = np.unique(t, return_counts=True)
    constant = values[counts.argmax()]
    kept_t = t != constant
    a, b = np.polyfit(x[kept_t], t[kept_t], 1)
    kept = ~np.isclose(y, constant, rtol=0, atol=1e-12)
    np.testing.assert_allclose(y[kept], a * x[kept] + b, rtol=1e-9, atol=1e-9)
    assert abs(kept.mean() - (1 - p)) < 0.01
    assert abs(y.mean()) < 0.02 and abs(y.std() - 1) < 0.02
    # training defaults to False, as in torch
    np.testing.assert_array_equal(F.alpha_dropout(cr.tensor(x), p).numpy(), x)


def test_alpha_dropout_layer_and_gradient():
    layer = cr.nn.AlphaDropout(0.5)
    assert repr(layer) == repr(torch.nn.AlphaDropout(0.5))
    x = cr.randn(50, 4, requires_grad=True)
    y = layer(x)
    y.sum().backward()
    grad = x.grad.numpy()
    assert set(np.round(np.unique(grad), 12)) == {0.0, np.round(grad.max(), 12)}
    assert layer.eval()(x) is x
