"""nn.utils against PyTorch: weight and spectral normalization in both APIs (hook-style and
parametrizations), parametrize, clipping options and parameter vectors."""
import math

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
from chainrule.nn import utils
from chainrule.nn.utils import parametrizations, parametrize


def twins(make_ours, make_theirs):
    """The same layer in both frameworks, with PyTorch's initial values, in float64."""
    theirs = make_theirs().double()
    ours = make_ours().double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


LAYERS = [
    (lambda: nn.Linear(5, 4), lambda: torch.nn.Linear(5, 4), (3, 5)),
    (lambda: nn.Conv2d(2, 3, 3), lambda: torch.nn.Conv2d(2, 3, 3), (2, 2, 5, 5)),
    (lambda: nn.ConvTranspose2d(3, 2, 3), lambda: torch.nn.ConvTranspose2d(3, 2, 3), (2, 3, 4, 4)),
]


def transfer_state(ours, theirs):
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})


def run_both(ours, theirs, shape, seed=0):
    """Forward and backward of the same input; the outputs and every parameter's gradient must
    agree."""
    x = np.random.default_rng(seed).standard_normal(shape)
    out = ours(cr.tensor(x))
    ref = theirs(torch.tensor(x))
    np.testing.assert_allclose(out.numpy(), ref.detach().numpy(), rtol=1e-10, atol=1e-12)
    (out * out).sum().backward()
    (ref * ref).sum().backward()
    mine = dict(ours.named_parameters())
    for name, p in theirs.named_parameters():
        np.testing.assert_allclose(mine[name].grad.numpy(), p.grad.numpy(), rtol=1e-8,
                                   atol=1e-12, err_msg=name)


@pytest.mark.parametrize("dim", [0, 1, None, -1])
@pytest.mark.parametrize("make_ours,make_theirs,shape", LAYERS[:2])
def test_weight_norm_hooks_equal_pytorch(make_ours, make_theirs, shape, dim):
    ours, theirs = make_ours().double(), make_theirs().double()
    transfer_state(ours, theirs)
    with pytest.warns(FutureWarning):
        torch.nn.utils.weight_norm(theirs, dim=dim)
    utils.weight_norm(ours, dim=dim)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert ours.weight_g.shape == tuple(theirs.weight_g.shape)
    np.testing.assert_allclose(ours.weight_g.numpy(), theirs.weight_g.detach().numpy())
    run_both(ours, theirs, shape)
    utils.remove_weight_norm(ours)
    torch.nn.utils.remove_weight_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("what", ["weight_norm", "spectral_norm"])
def test_applying_twice_or_to_nothing_and_removing_what_is_not_there_raise(what):
    apply, remove = getattr(utils, what), getattr(utils, "remove_" + what)
    layer = apply(nn.Linear(2, 2))
    with pytest.raises(RuntimeError, match=f"{what}: Linear.weight already has "
                                           f"{what.replace('_', ' ')}"):
        apply(layer)
    with pytest.raises(ValueError, match=f"{what}: Linear has no parameter 'kernel'"):
        apply(layer, "kernel")
    with pytest.raises(ValueError, match=f"remove_{what}: {what} of 'bias' not found"):
        remove(layer, "bias")


@pytest.mark.parametrize("n_power_iterations", [1, 3])
@pytest.mark.parametrize("make_ours,make_theirs,shape", LAYERS)
def test_spectral_norm_hooks_equal_pytorch(make_ours, make_theirs, shape, n_power_iterations):
    ours, theirs = make_ours().double(), make_theirs().double()
    transfer_state(ours, theirs)
    torch.nn.utils.spectral_norm(theirs, n_power_iterations=n_power_iterations)
    utils.spectral_norm(ours, n_power_iterations=n_power_iterations)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    assert [n for n, _ in ours.named_buffers()] == [n for n, _ in theirs.named_buffers()]
    transfer_state(ours, theirs)  # PyTorch's random u and v
    for step in range(2):  # training: the power iteration moves u and v each call
        for p in list(ours.parameters()) + list(theirs.parameters()):
            p.grad = None
        run_both(ours, theirs, shape, seed=step)
        np.testing.assert_allclose(ours.weight_u.numpy(), theirs.weight_u.numpy(), rtol=1e-10)
        np.testing.assert_allclose(ours.weight_v.numpy(), theirs.weight_v.numpy(), rtol=1e-10)
    ours.eval(), theirs.eval()
    run_both(ours, theirs, shape, seed=5)
    utils.remove_spectral_norm(ours)
    torch.nn.utils.remove_spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-10)


def test_spectral_norm_makes_the_largest_singular_value_one():
    layer = utils.spectral_norm(nn.Linear(6, 5).double(), n_power_iterations=50)
    layer(cr.zeros(1, 6, dtype=cr.float64))
    assert np.linalg.svd(layer.weight.numpy(), compute_uv=False)[0] == pytest.approx(1, rel=1e-8)
    with pytest.raises(ValueError, match="n_power_iterations must be positive"):
        utils.spectral_norm(nn.Linear(2, 2), n_power_iterations=0)


@pytest.mark.parametrize("dim", [0, 1, None])
@pytest.mark.parametrize("make_ours,make_theirs,shape", LAYERS[:2])
def test_parametrized_weight_norm_equals_pytorch(make_ours, make_theirs, shape, dim):
    ours, theirs = make_ours().double(), make_theirs().double()
    transfer_state(ours, theirs)
    parametrizations.weight_norm(ours, dim=dim)
    torch.nn.utils.parametrizations.weight_norm(theirs, dim=dim)
    assert type(ours).__name__ == type(theirs).__name__
    assert list(ours.state_dict()) == list(theirs.state_dict())
    transfer_state(ours, theirs)  # a state dict copied from PyTorch loads
    run_both(ours, theirs, shape)
    parametrize.remove_parametrizations(ours, "weight")
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight")
    assert type(ours) is type(make_ours())
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy(), rtol=1e-12)


@pytest.mark.parametrize("make_ours,make_theirs,shape", LAYERS)
def test_parametrized_spectral_norm_equals_pytorch(make_ours, make_theirs, shape):
    ours, theirs = make_ours().double(), make_theirs().double()
    parametrizations.spectral_norm(ours)
    torch.nn.utils.parametrizations.spectral_norm(theirs)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    transfer_state(ours, theirs)
    for step in range(2):
        for p in list(ours.parameters()) + list(theirs.parameters()):
            p.grad = None
        run_both(ours, theirs, shape, seed=step)
        mine, ref = ours.state_dict(), theirs.state_dict()
        for key in ref:
            np.testing.assert_allclose(mine[key].numpy(), ref[key].numpy(), rtol=1e-10,
                                       err_msg=key)
    ours.eval(), theirs.eval()
    run_both(ours, theirs, shape, seed=3)


def test_parametrized_spectral_norm_starts_converged():
    layer = parametrizations.spectral_norm(nn.Linear(4, 3).double())
    top = np.linalg.svd(layer.parametrizations.weight.original.numpy(), compute_uv=False)[0]
    plist = layer.parametrizations.weight
    u, v = plist[0]._u.numpy(), plist[0]._v.numpy()
    sigma = u @ plist.original.numpy() @ v
    assert sigma == pytest.approx(top, rel=1e-3)


class Symmetric(nn.Module):
    def forward(self, x):
        return x + x.transpose(0, 1)


class TorchSymmetric(torch.nn.Module):
    def forward(self, x):
        return x + x.transpose(0, 1)


class Scale(nn.Module):
    def forward(self, x):
        return 2 * x

    def right_inverse(self, x):
        return x / 2


class TorchScale(torch.nn.Module):
    def forward(self, x):
        return 2 * x

    def right_inverse(self, x):
        return x / 2


def test_register_parametrization_equals_pytorch():
    ours, theirs = twins(lambda: nn.Linear(3, 3), lambda: torch.nn.Linear(3, 3))
    weight = ours.weight
    parametrize.register_parametrization(ours, "weight", Symmetric())
    parametrize.register_parametrization(ours, "weight", Scale())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", TorchSymmetric())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", TorchScale())
    assert ours.parametrizations.weight.original is weight  # the same Parameter object
    assert parametrize.is_parametrized(ours) and parametrize.is_parametrized(ours, "weight")
    assert not parametrize.is_parametrized(ours, "bias")
    assert parametrize.type_before_parametrizations(ours) is nn.Linear
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy())
    run_both(ours, theirs, (4, 3))
    # assigning goes through every right_inverse, last first: Symmetric has none
    value = np.arange(9.0).reshape(3, 3)
    with pytest.raises(RuntimeError, match="has no right_inverse"):
        ours.weight = cr.tensor(value)


def test_assignment_goes_through_right_inverse():
    ours, theirs = twins(lambda: nn.Linear(3, 2), lambda: torch.nn.Linear(3, 2))
    parametrize.register_parametrization(ours, "weight", Scale())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", TorchScale())
    value = np.arange(6.0).reshape(2, 3)
    ours.weight = cr.tensor(value)
    with torch.no_grad():
        theirs.weight = torch.tensor(value)
    np.testing.assert_allclose(ours.parametrizations.weight.original.numpy(),
                               theirs.parametrizations.weight.original.detach().numpy())
    np.testing.assert_allclose(ours.weight.numpy(), value)


@pytest.mark.parametrize("leave", [True, False])
def test_remove_parametrizations_equals_pytorch(leave):
    ours, theirs = twins(lambda: nn.Linear(3, 3), lambda: torch.nn.Linear(3, 3))
    parametrize.register_parametrization(ours, "weight", Symmetric())
    torch.nn.utils.parametrize.register_parametrization(theirs, "weight", TorchSymmetric())
    parametrize.remove_parametrizations(ours, "weight", leave_parametrized=leave)
    torch.nn.utils.parametrize.remove_parametrizations(theirs, "weight", leave_parametrized=leave)
    assert type(ours) is nn.Linear and not parametrize.is_parametrized(ours)
    assert isinstance(ours.weight, nn.Parameter)
    assert list(ours.state_dict()) == list(theirs.state_dict())
    np.testing.assert_allclose(ours.weight.numpy(), theirs.weight.detach().numpy())
    with pytest.raises(ValueError, match="has no parametrization on 'weight'"):
        parametrize.remove_parametrizations(ours, "weight")


def test_parametrization_may_not_change_shape_unless_unsafe():
    class Half(nn.Module):
        def forward(self, x):
            return x[:1]
    with pytest.raises(ValueError, match="may not change the shape"):
        parametrize.register_parametrization(nn.Linear(3, 2), "weight", Half())
    layer = parametrize.register_parametrization(nn.Linear(3, 2), "weight", Half(), unsafe=True)
    assert layer.weight.shape == (1, 3)
    with pytest.raises(ValueError, match="no parameter, buffer or parametrized tensor named"):
        parametrize.register_parametrization(nn.Linear(3, 2), "nope", Half())


def test_cached_computes_once():
    calls = []

    class Counted(nn.Module):
        def forward(self, x):
            calls.append(1)
            return x * 1
    layer = parametrize.register_parametrization(nn.Linear(2, 2), "weight", Counted())
    calls.clear()
    with parametrize.cached():
        a, b = layer.weight, layer.weight
    assert len(calls) == 1 and a is b
    layer.weight, layer.weight
    assert len(calls) == 3


def with_grads(m):
    rng = np.random.default_rng(1)
    params = []
    for shape in [(3, 4), (5,), (2, 2, 2)]:
        p = m.tensor(rng.standard_normal(shape), requires_grad=True)
        p.grad = m.tensor(rng.standard_normal(shape))
        params.append(p)
    return params


@pytest.mark.parametrize("foreach", [None, True, False])
def test_clip_grad_norm_and_value_accept_foreach(foreach):
    ours, theirs = with_grads(cr), with_grads(torch)
    total = utils.clip_grad_norm_(ours, 0.5, 3.0, foreach=foreach)
    ref = torch.nn.utils.clip_grad_norm_(theirs, 0.5, 3.0, foreach=foreach)
    assert total.item() == pytest.approx(ref.item(), rel=1e-12)
    utils.clip_grad_value_(ours, 0.05, foreach=foreach)
    torch.nn.utils.clip_grad_value_(theirs, 0.05, foreach=foreach)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


def test_clip_grad_norm_error_if_nonfinite_as_pytorch():
    ours, theirs = with_grads(cr), with_grads(torch)
    ours[0].grad.array[0, 0] = math.nan
    theirs[0].grad[0, 0] = math.nan
    with pytest.raises(RuntimeError, match="clip_grad_norm_: the total norm"):
        utils.clip_grad_norm_(ours, 1.0, error_if_nonfinite=True)
    with pytest.raises(RuntimeError):
        torch.nn.utils.clip_grad_norm_(theirs, 1.0, error_if_nonfinite=True)
    assert math.isnan(utils.clip_grad_norm_(ours, 1.0).item())
    assert math.isnan(torch.nn.utils.clip_grad_norm_(theirs, 1.0).item())


def test_get_total_norm_and_clip_grads_with_norm_equal_pytorch():
    ours, theirs = with_grads(cr), with_grads(torch)
    total = utils.get_total_norm([p.grad for p in ours], 1.5)
    ref = torch.nn.utils.get_total_norm([p.grad for p in theirs], 1.5)
    assert total.item() == pytest.approx(ref.item(), rel=1e-12)
    utils.clip_grads_with_norm_(ours, 0.3, total)
    torch.nn.utils.clip_grads_with_norm_(theirs, 0.3, ref)
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy(), rtol=1e-12)


def test_parameters_to_vector_is_differentiable_as_pytorchs():
    ours, theirs = with_grads(cr), with_grads(torch)
    vec, ref = utils.parameters_to_vector(ours), torch.nn.utils.parameters_to_vector(theirs)
    np.testing.assert_array_equal(vec.numpy(), ref.detach().numpy())
    weights = np.arange(vec.numel(), dtype=float)
    (vec * cr.tensor(weights)).sum().backward()
    (ref * torch.tensor(weights)).sum().backward()
    for a, b in zip(ours, theirs):
        np.testing.assert_allclose(a.grad.numpy(), b.grad.numpy())
    utils.vector_to_parameters(cr.tensor(weights), ours)
    torch.nn.utils.vector_to_parameters(torch.tensor(weights), theirs)
    for a, b in zip(ours, theirs):
        np.testing.assert_array_equal(a.detach().numpy(), b.detach().numpy())
