"""nn.utils: gradient clipping and parameter vectors, against PyTorch."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.nn import utils

SHAPES = [(3, 4), (5,), (2, 2, 2)]


def with_grads(m, scale=1.0):
    """Parameters with the same values and gradients in either framework."""
    rng = np.random.default_rng(1)
    params = []
    for shape in SHAPES:
        p = m.tensor(rng.standard_normal(shape), requires_grad=True)
        p.grad = m.tensor(rng.standard_normal(shape) * scale)
        params.append(p)
    return params


@pytest.mark.parametrize("norm_type", [2.0, 1, 3.5, math.inf])
@pytest.mark.parametrize("max_norm", [0.5, 1e3])
def test_clip_grad_norm_equals_pytorch(norm_type, max_norm):
    ours, theirs = with_grads(cr), with_grads(torch)
    total = utils.clip_grad_norm_(ours, max_norm, norm_type)
    total_ref = torch.nn.utils.clip_grad_norm_(theirs, max_norm, norm_type)
    assert isinstance(total, cr.Tensor) and total.ndim == 0
    assert total.item() == pytest.approx(total_ref.item(), rel=1e-12)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)
    clipped = np.linalg.norm(np.concatenate([p.grad.numpy().ravel() for p in ours]), norm_type)
    assert clipped <= max_norm * (1 + 1e-9)


def test_shared_gradient_arrays_are_scaled_once():
    """The engine gives a and b the same gradient array for a + b: it must be scaled once."""
    results = []
    for m, clip in ((cr, utils.clip_grad_norm_), (torch, torch.nn.utils.clip_grad_norm_)):
        a, b = (m.tensor([3.0, 4.0], dtype=m.float64, requires_grad=True) for _ in range(2))
        (a + b).sum().backward()
        clip([a, b], 1.0)
        results.append((a.grad.tolist(), b.grad.tolist()))
    assert results[0][0] == pytest.approx(results[1][0]) and results[0][1] == \
        pytest.approx(results[1][1])


def test_clip_grad_norm_nonfinite():
    params = with_grads(cr)
    params[1].grad.array[0] = np.nan
    with pytest.raises(RuntimeError, match="total norm of order 2.0 of the gradients is nan"):
        utils.clip_grad_norm_(params, 1.0, error_if_nonfinite=True)
    assert math.isnan(utils.clip_grad_norm_(params, 1.0).item())


def test_clip_grad_norm_single_tensor_and_no_grads():
    p = cr.tensor([3.0, 4.0], requires_grad=True)
    assert utils.clip_grad_norm_(p, 1.0).item() == 0.0
    p.grad = cr.tensor([3.0, 4.0])
    assert utils.clip_grad_norm_(p, 1.0).item() == pytest.approx(5.0)
    assert p.grad.tolist() == pytest.approx([0.6, 0.8], rel=1e-5)


def test_clip_grad_value_equals_pytorch():
    ours, theirs = with_grads(cr, 2.0), with_grads(torch, 2.0)
    utils.clip_grad_value_(ours, 0.7)
    torch.nn.utils.clip_grad_value_(theirs, 0.7)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.grad.numpy(), b.grad.numpy())
    assert max(np.abs(p.grad.numpy()).max() for p in ours) == 0.7


def test_parameters_to_vector_and_back():
    ours, theirs = with_grads(cr), with_grads(torch)
    vec = utils.parameters_to_vector(ours)
    np.testing.assert_array_equal(vec.numpy(),
                                  torch.nn.utils.parameters_to_vector(theirs).detach().numpy())
    arrays = [p.array for p in ours]
    utils.vector_to_parameters(vec * 2, ours)
    assert all(p.array is a for p, a in zip(ours, arrays))  # written in place
    np.testing.assert_array_equal(utils.parameters_to_vector(ours).numpy(), 2 * vec.numpy())


def test_vector_to_parameters_checks_the_vector():
    params = with_grads(cr)
    with pytest.raises(ValueError, match="has 3 entries but the parameters hold 25"):
        utils.vector_to_parameters(cr.zeros(3), params)
    with pytest.raises(TypeError, match="1-D Tensor"):
        utils.vector_to_parameters(cr.zeros(5, 5), params)
