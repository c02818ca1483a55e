"""Reductions against PyTorch: forward, backward, double backward and finite differences, over
dims given as int, tuple, None and negative, with and without keepdim; ties, zeros and empty
dims explicitly; random shapes and dim subsets with hypothesis."""
import math
import warnings

import numpy as np
import pytest
import torch
from hypothesis import assume, given, settings, strategies as st

import chainrule as cr
from opcheck import check_op

# (shape, dim, keepdim): int, negative, tuple, None; size-1 and zero-size dims; 0-d tensors
DIMS = [((3, 4), None, False), ((3, 4), 0, False), ((3, 4), -1, True), ((2, 3, 4), (0, 2), False),
        ((2, 3, 4), (-1, 1), True), ((1, 5), 0, False), ((2, 3), None, True), ((), None, False),
        ((), 0, True), ((2, 0, 3), 0, False), ((2, 0, 3), 2, True)]
NONEMPTY = [case for case in DIMS if 0 not in case[0]]
# var of a 0-d tensor is NaN in both, but torch's gradient of it is cut from the graph
VARIANCE = [case for case in NONEMPTY if case[0] != ()]


def _ids(cases):
    return [f"{shape}-dim{dim}-keep{keep}" for shape, dim, keep in cases]


@pytest.mark.parametrize("shape,dim,keepdim", DIMS, ids=_ids(DIMS))
@pytest.mark.parametrize("op", ["sum", "mean"])
def test_sum_mean(op, shape, dim, keepdim):
    check_op(lambda m, x: getattr(x, op)(dim, keepdim=keepdim), [shape], name=op)


def test_mean_of_nothing_is_nan_like_torch():
    check_op(lambda m, x: x.mean(0), [(0, 3)], name="mean")
    assert np.isnan(cr.zeros(0).mean().item())


@pytest.mark.parametrize("shape,dim,keepdim", VARIANCE, ids=_ids(VARIANCE))
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std(op, shape, dim, keepdim):
    with warnings.catch_warnings():  # a size-1 reduction divides by N - 1 = 0, in both
        warnings.simplefilter("ignore")
        check_op(lambda m, x: getattr(x, op)(dim, keepdim=keepdim), [shape], name=op)


@pytest.mark.parametrize("kwargs", [{"correction": 0}, {"correction": 2}, {"unbiased": False},
                                    {"unbiased": True}])
@pytest.mark.parametrize("op", ["var", "std"])
def test_var_std_correction(op, kwargs):
    check_op(lambda m, x: getattr(m, op)(x, 1, keepdim=True, **kwargs), [(3, 5)], name=op)


def test_var_positional_unbiased_as_torch():
    x = np.random.default_rng(0).standard_normal((3, 4))
    for args in [(False,), (True,), (1, False), (0, True, True)]:
        ours, theirs = cr.tensor(x).var(*args), torch.tensor(x).var(*args)
        np.testing.assert_allclose(ours.numpy(), theirs.numpy(), err_msg=str(args))


def test_var_without_degrees_of_freedom_warns_and_matches_torch():
    x = np.array([[1.0, 2.0]])
    for dim, correction in [(1, 2), (0, 1)]:  # N - correction = 0: inf, and 0/0 = nan
        with pytest.warns(RuntimeWarning, match="degrees of freedom"):
            ours = cr.tensor(x).var(dim, correction=correction)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            theirs = torch.tensor(x).var(dim, correction=correction)
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_std_of_constant_has_zero_gradient():
    x = cr.ones(4, dtype=cr.float64, requires_grad=True)
    x.std().backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(4))


def test_var_needs_floats():
    with pytest.raises(TypeError, match="var: expected a floating-point tensor, got int64"):
        cr.tensor([1, 2, 3]).var()


# ---- max, min, amax, amin ----------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim,keepdim", NONEMPTY, ids=_ids(NONEMPTY))
@pytest.mark.parametrize("op", ["amax", "amin"])
def test_amax_amin(op, shape, dim, keepdim):
    check_op(lambda m, x: getattr(x, op)(() if dim is None and m is torch else dim, keepdim),
             [shape], name=op)


@pytest.mark.parametrize("shape,dim,keepdim", [((3, 4), 1, False), ((3, 4), -2, True),
                                               ((2, 3, 4), 1, False), ((), 0, False),
                                               ((1, 3), 0, True), ((0, 3), 1, False)])
@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_along_dim(op, shape, dim, keepdim):
    check_op(lambda m, x: getattr(x, op)(dim, keepdim=keepdim), [shape], name=op)
    x = np.random.default_rng(1).standard_normal(shape)
    ours = getattr(cr.tensor(x), op)(dim, keepdim)
    theirs = getattr(torch.tensor(x), op)(dim, keepdim)
    assert type(ours).__name__ == op and ours._fields == ("values", "indices")
    assert ours.indices.dtype == cr.int64
    np.testing.assert_array_equal(ours.indices.numpy(), theirs.indices.numpy())


@pytest.mark.parametrize("op", ["max", "min"])
def test_max_min_of_everything(op):
    check_op(lambda m, x: getattr(m, op)(x), [(3, 4)], name=op)
    check_op(lambda m, x: getattr(x, op)(), [()], name=op)


def test_max_of_two_tensors_is_maximum():
    check_op(lambda m, x, y: m.max(x, y) + m.min(x, y) * 2, [(3, 1), (4,)], name="max(x, y)")


TIES = [[[1.0, 3.0, 3.0], [2.0, 2.0, 2.0]], [[5.0, -1.0, 5.0], [0.0, 7.0, 1.0]]]
TIED_CALLS = {"max()": lambda m, x: x.max(), "min()": lambda m, x: x.min(),
              "amax(1)": lambda m, x: x.amax(1), "amin(0)": lambda m, x: x.amin(0),
              "amax((0, 1))": lambda m, x: x.amax((0, 1)), "max(1)": lambda m, x: x.max(1),
              "min(1, keepdim=True)": lambda m, x: x.min(1, keepdim=True),
              "max(0)": lambda m, x: x.max(0)}


@pytest.mark.parametrize("values", TIES)
@pytest.mark.parametrize("call", sorted(TIED_CALLS))
def test_ties(call, values):
    """Without dim, ties share the gradient evenly; with dim, the returned index takes it all.
    (No finite differences: at a tie the function has a kink.)"""
    check_op(TIED_CALLS[call], None, inputs=[np.array(values)], finite_differences=False,
             name=call)


def test_ties_split_evenly_by_hand():
    x = cr.tensor([1.0, 3.0, 3.0, 3.0], requires_grad=True)
    x.max().backward()
    np.testing.assert_allclose(x.grad.numpy(), [0, 1 / 3, 1 / 3, 1 / 3])
    x = cr.tensor([[4.0, 4.0], [1.0, 4.0]], requires_grad=True)
    x.max(1).values.sum().backward()  # along a dim: the first index wins
    np.testing.assert_array_equal(x.grad.numpy(), [[1, 0], [0, 1]])


def test_nan_is_the_maximum_like_torch():
    x = np.array([[1.0, np.nan, 2.0], [3.0, 0.0, -1.0]])
    for call in [lambda t: t.max(), lambda t: t.amax(1), lambda t: t.max(1).values,
                 lambda t: t.argmax(1)]:
        np.testing.assert_array_equal(call(cr.tensor(x)).numpy(), call(torch.tensor(x)).numpy())


def test_extremes_of_nothing_are_errors():
    with pytest.raises(ValueError, match=r"max: the tensor is empty \(shape \(0, 3\)\)"):
        cr.zeros(0, 3).max()
    with pytest.raises(ValueError, match="amax: cannot reduce over dim 0 of size 0"):
        cr.zeros(0, 3).amax(0)
    with pytest.raises(ValueError, match="min: cannot reduce over dim 1 of size 0"):
        cr.zeros(3, 0).min(1)
    with pytest.raises(ValueError, match="argmax: the tensor is empty"):
        cr.zeros(0).argmax()
    assert cr.zeros(0, 3).amax(1).shape == (0,)  # nothing is reduced over an empty dim here


@pytest.mark.parametrize("dim,keepdim", [(None, False), (None, True), (0, False), (1, True),
                                         (-1, False)])
@pytest.mark.parametrize("op", ["argmax", "argmin"])
def test_argmax_argmin(op, dim, keepdim):
    x = np.random.default_rng(2).standard_normal((3, 4))
    x[1, 2] = x[0, 3] = x.max()  # ties: the first index, as in torch
    x[2, 0] = x[2, 1] = x.min()
    ours = getattr(cr.tensor(x, requires_grad=True), op)(dim, keepdim=keepdim)
    theirs = getattr(torch.tensor(x), op)(dim, keepdim=keepdim)
    assert ours.dtype == cr.int64 and not ours.requires_grad
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert getattr(cr.tensor(2.0), op)(0).shape == getattr(torch.tensor(2.0), op)(0).shape == ()


# ---- prod --------------------------------------------------------------------------------------
def _reduced(shape, dim):
    if dim is None or not shape:
        return list(range(len(shape)))
    return [d % len(shape) for d in (dim if isinstance(dim, tuple) else (dim,))]


def _torch_prod(x, dim, keepdim):
    """torch.prod takes one dim at a time."""
    axes = _reduced(x.shape, dim)
    if not axes:
        return x.prod()
    out = x
    for d in sorted(axes, reverse=True):
        out = out.prod(d, keepdim=True)
    return out if keepdim else out.reshape([s for i, s in enumerate(x.shape) if i not in axes])


PRODUCTS = [case for case in DIMS if case[0] != (1, 5)]


@pytest.mark.parametrize("shape,dim,keepdim", PRODUCTS, ids=_ids(PRODUCTS))
def test_prod(shape, dim, keepdim):
    check_op(lambda m, x: x.prod(dim, keepdim) if m is cr else _torch_prod(x, dim, keepdim),
             [shape], name="prod")


def test_prod_over_a_size_one_dim_is_the_identity():
    """torch computes this gradient as prod/x, whose second derivative is rounding noise, not
    the exact 0 that the helper expects; so the second derivative is checked here by hand."""
    check_op(lambda m, x: x.prod(0), [(1, 5)], gradgrad=False, name="prod")
    x = cr.randn(1, 5, dtype=cr.float64, requires_grad=True)
    g, = cr.grad(x.prod(0), x, cr.ones(5, dtype=cr.float64, requires_grad=True),
                 create_graph=True)
    np.testing.assert_array_equal(g.numpy(), np.ones((1, 5)))
    second, = cr.grad(g.sum(), x, allow_unused=True)
    assert second is None or not np.any(second.numpy())


@pytest.mark.parametrize("values", [[2.0, 0.0, 3.0, -1.5, 0.5], [0.0, 4.0, 0.0, 2.0, 3.0, -1.0],
                                    [0.0, 0.0, 0.0], [0.0], [7.0, 0.0]])
def test_prod_with_zeros_is_exact(values):
    """One zero: only its own gradient survives; two zeros: every first derivative is 0, but the
    second derivatives between the two zeros are not."""
    check_op(lambda m, x: x.prod(), None, inputs=[np.array(values)], name="prod")
    check_op(lambda m, x: x.prod(1), None, inputs=[np.array([values, values[::-1]])],
             name="prod(1)")


def test_prod_of_a_long_odd_vector():
    x = np.random.default_rng(3).uniform(0.5, 1.5, size=(2, 37))
    x[0, 20] = 0.0
    check_op(lambda m, x: x.prod(-1), None, inputs=[x], finite_differences=False, name="prod")


# ---- norm --------------------------------------------------------------------------------------
def _abs_norm(p):
    """torch's norm for p = 1 and +-inf, with |x| written through torch.where: torch's own abs
    returns its zero second derivative as a ZeroTensor, which the helper cannot read."""
    def norm(m, x, dim, keepdim):
        magnitude = m.where(x >= 0, x, -x)
        if p == 1:
            return magnitude.sum(dim, keepdim=keepdim)
        reduce = magnitude.amax if p == math.inf else magnitude.amin
        return reduce(() if dim is None else dim, keepdim=keepdim)
    return norm


@pytest.mark.parametrize("p", [2, 1, math.inf, -math.inf, 3, 1.5, "fro"])
@pytest.mark.parametrize("dim,keepdim", [(None, False), (1, True), (-1, False), ((0, 2), False)])
def test_norm(p, dim, keepdim):
    ours = lambda m, x: m.norm(x, p, dim, keepdim)  # noqa: E731
    if p in (1, math.inf, -math.inf):
        check_op(ours, [(2, 3, 4)], away_from=0.0, gradgrad=False, name=f"norm{p}")
        reference = _abs_norm(p)
        check_op(ours, [(2, 3, 4)], lambda m, x: reference(m, x, dim, keepdim), away_from=0.0,
                 finite_differences=False, name=f"norm{p}")
    else:
        check_op(ours, [(2, 3, 4)], away_from=0.0, name=f"norm{p}")


def test_norm_default_method_and_zero_count():
    check_op(lambda m, x: x.norm(), [(3, 4)], name="norm")
    check_op(lambda m, x: x.norm(dim=0), [(0, 3)], name="norm")
    x = np.array([[1.0, 0.0, -2.0], [0.0, 0.0, 3.0]])
    check_op(lambda m, x: m.norm(x, 0, 1), None, inputs=[x], grad=False, name="norm0")
    assert cr.tensor(x, requires_grad=True).norm(0).requires_grad  # a count, as in PyTorch


@pytest.mark.parametrize("p", [2, 3, 1, math.inf])
def test_norm_of_zero_vector_has_zero_gradient(p):
    x = cr.zeros(3, dtype=cr.float64, requires_grad=True)
    x.norm(p).backward()
    np.testing.assert_array_equal(x.grad.numpy(), np.zeros(3))


# ---- cumsum, all, any ----------------------------------------------------------------------------
@pytest.mark.parametrize("shape,dim", [((5,), 0), ((3, 4), 1), ((3, 4), -2), ((2, 3, 4), 1),
                                       ((), 0), ((0, 3), 1)])
def test_cumsum(shape, dim):
    check_op(lambda m, x: x.cumsum(dim), [shape], name="cumsum")


@pytest.mark.parametrize("dim,keepdim", [(None, False), (0, False), (1, True), ((0, 2), False),
                                         ((), False)])
@pytest.mark.parametrize("op", ["all", "any"])
def test_all_any(op, dim, keepdim):
    x = np.random.default_rng(4).integers(0, 3, size=(2, 3, 4)).astype(float)
    x[0] = 1.0
    if dim is None:
        ours, theirs = getattr(cr.tensor(x), op)(), getattr(torch.tensor(x), op)()
    else:
        ours = getattr(cr.tensor(x), op)(dim, keepdim=keepdim)
        theirs = getattr(torch.tensor(x), op)(dim, keepdim=keepdim)
    assert ours.dtype == cr.bool
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert getattr(cr.zeros(0), op)().item() == getattr(torch.zeros(0), op)().item()


# ---- dtypes, dims and errors -------------------------------------------------------------------
@pytest.mark.parametrize("op", ["sum", "prod", "cumsum"])
@pytest.mark.parametrize("dtype", [cr.int32, cr.bool, cr.uint8])
def test_integers_accumulate_as_int64(op, dtype):
    x = np.array([[1, 0, 1], [1, 1, 1]]).astype(dtype)
    args = (1,) if op == "cumsum" else ()
    ours = getattr(cr.tensor(x), op)(*args)
    theirs = getattr(torch.from_numpy(x), op)(*args)
    assert ours.dtype == cr.int64 and theirs.dtype == torch.int64
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    assert getattr(cr.tensor(x), op)(*args, dtype=cr.float64).dtype == cr.float64


def test_dims_are_checked():
    x = cr.zeros(2, 3)
    with pytest.raises(IndexError, match=r"sum: dim 2 is out of range .* 2 dimension"):
        x.sum(2)
    with pytest.raises(ValueError, match=r"mean: dim=\(1, -1\) names the same dimension more"):
        x.mean((1, -1))
    with pytest.raises(TypeError, match="mean: expected a floating-point tensor"):
        cr.tensor([1, 2]).mean()
    with pytest.raises(TypeError, match="norm: expected a floating-point tensor"):
        cr.tensor([1, 2]).norm()
    with pytest.raises(ValueError, match="var: give either correction= or unbiased="):
        cr.zeros(3).var(unbiased=True, correction=0)
    with pytest.raises(ValueError, match="norm: p must be a number, 'fro' or 'nuc'"):
        x.norm("max")


def test_empty_dim_tuple_means_all_as_in_torch():
    x = np.random.default_rng(5).standard_normal((2, 3))
    for op in ["sum", "mean", "amax", "var", "norm"]:
        ours = getattr(cr.tensor(x), op)(dim=())
        np.testing.assert_allclose(ours.numpy(), getattr(torch.tensor(x), op)(dim=()).numpy())


# ---- property tests ----------------------------------------------------------------------------
@st.composite
def reductions(draw):
    ndim = draw(st.integers(0, 4))
    shape = tuple(draw(st.lists(st.integers(0, 3), min_size=ndim, max_size=ndim)))
    if ndim and draw(st.booleans()):
        axes = draw(st.lists(st.integers(0, ndim - 1), min_size=1, max_size=ndim, unique=True))
        dim = tuple(a - ndim if draw(st.booleans()) else a for a in axes)
        dim = dim[0] if len(dim) == 1 and draw(st.booleans()) else dim
    else:
        dim = None
    return shape, dim, draw(st.booleans())


OURS = {
    "sum": lambda x, dim, keep: x.sum(dim, keepdim=keep),
    "mean": lambda x, dim, keep: x.mean(dim, keepdim=keep),
    "var": lambda x, dim, keep: x.var(dim, keepdim=keep),
    "amax": lambda x, dim, keep: x.amax(dim, keepdim=keep),
    "prod": lambda x, dim, keep: x.prod(dim, keepdim=keep),
    "norm": lambda x, dim, keep: x.norm(2, dim, keepdim=keep),
}
TORCH = {
    "sum": lambda x, dim, keep: x.sum(dim, keepdim=keep),
    "mean": lambda x, dim, keep: x.mean(dim, keepdim=keep),
    "var": lambda x, dim, keep: x.var(dim, keepdim=keep),
    "amax": lambda x, dim, keep: x.amax(() if dim is None else dim, keepdim=keep),
    "prod": _torch_prod,
    "norm": lambda x, dim, keep: torch.linalg.vector_norm(x, 2, dim, keep),
}


@settings(max_examples=40, deadline=None)
@given(case=reductions(), op=st.sampled_from(sorted(TORCH)))
def test_reductions_match_torch(case, op):
    shape, dim, keepdim = case
    if op == "amax":  # the maximum of no elements is an error in both
        assume(all(shape[a] for a in _reduced(shape, dim)))
    # see VARIANCE; var of one element divides by zero, and torch's second derivative of the
    # resulting NaN is an arbitrary 0
    assume(op != "var" or math.prod(shape[a] for a in _reduced(shape, dim)) > 1)
    with warnings.catch_warnings():  # var of one element divides by zero, in both
        warnings.simplefilter("ignore")
        check_op(lambda m, x: (OURS if m is cr else TORCH)[op](x, dim, keepdim), [shape],
                 finite_differences=False, name=op)


def test_norm_nuclear_and_count_forms_match_pytorch():
    a = np.random.default_rng(3).normal(size=(3, 4))
    x, t = cr.tensor(a, requires_grad=True), torch.tensor(a, requires_grad=True)
    cr.norm(x, p="nuc").backward()
    torch.norm(t, p="nuc").backward()
    np.testing.assert_allclose(x.grad.numpy(), t.grad.numpy(), rtol=1e-10)
    x.grad = None
    t.grad = None
    cr.linalg.vector_norm(x, ord=0).backward()
    torch.linalg.vector_norm(t, ord=0).backward()
    assert cr.linalg.vector_norm(x, ord=0).item() == 12
    assert t.grad is None and not x.grad.numpy().any()  # no gradient, or a zero one
