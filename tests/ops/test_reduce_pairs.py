"""Reductions that return a pair, against PyTorch: var_mean, std_mean (dims, correction or
unbiased, keepdim) and aminmax (over all dims or along one; ties share the gradient)."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op

CASES = [((3, 4), None, False), ((3, 4), 0, False), ((3, 4), -1, True), ((2, 3, 4), (0, 2), False),
         ((2, 3, 4), 1, True), ((5,), 0, True)]
CORRECTIONS = [{}, {"correction": 0}, {"correction": 2}, {"unbiased": False}]


@pytest.mark.parametrize("kwargs", CORRECTIONS, ids=str)
@pytest.mark.parametrize("shape,dim,keepdim", CASES, ids=[str(c) for c in CASES])
@pytest.mark.parametrize("op", ["var_mean", "std_mean"])
def test_var_std_mean(op, shape, dim, keepdim, kwargs):
    if "unbiased" in kwargs and dim is None:  # torch takes unbiased only with dim given
        return
    check_op(lambda m, x: getattr(m, op)(x, dim, keepdim=keepdim, **kwargs), [shape], name=op)


def test_var_mean_positional_unbiased_as_torch():
    x = np.random.default_rng(0).standard_normal((3, 4))
    for op in ("var_mean", "std_mean"):
        for args in [(), (False,), (1,), (1, False), (0, True, True)]:
            ours, theirs = getattr(cr, op)(cr.tensor(x), *args), getattr(torch, op)(
                torch.tensor(x), *args)
            assert isinstance(ours, tuple) and len(ours) == 2
            for o, t in zip(ours, theirs):
                np.testing.assert_allclose(o.numpy(), t.numpy(), err_msg=f"{op}{args}")


AMINMAX = [((3, 4), {}), ((3, 4), {"dim": 0}), ((3, 4), {"dim": -1, "keepdim": True}),
           ((2, 3, 4), {"dim": 1}), ((2, 3), {"keepdim": True}), ((), {})]


@pytest.mark.parametrize("shape,kwargs", AMINMAX, ids=[f"{s}-{k}" for s, k in AMINMAX])
def test_aminmax(shape, kwargs):
    check_op(lambda m, x: m.aminmax(x, **kwargs), [shape], name="aminmax")
    check_op(lambda m, x: x.aminmax(**kwargs), [shape], name="aminmax method", seed=1)


def test_aminmax_ties_and_fields():
    x = np.array([[1.0, 3.0, 3.0], [0.5, 0.5, 2.0]])
    check_op(lambda m, x: m.aminmax(x, dim=1), None, inputs=[x], finite_differences=False)
    check_op(lambda m, x: m.aminmax(x), None, inputs=[x], finite_differences=False)
    ours = cr.aminmax(cr.tensor(x), dim=0)
    theirs = torch.aminmax(torch.tensor(x), dim=0)
    np.testing.assert_array_equal(ours.min.numpy(), theirs.min.numpy())
    np.testing.assert_array_equal(ours.max.numpy(), theirs.max.numpy())
