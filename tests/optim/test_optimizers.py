"""Every optimizer against PyTorch: 20 steps on the same least-squares problem in float64, the
same trajectory; and a state dict that resumes training exactly."""
import copy

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.optim as optim
from optim.optimizer_runs import (  # tests/optim/, not chainrule.optim
    Run as BaseRun, assert_resumes_exactly, assert_same_trajectory, assert_updates_in_place)

CASES = [
    ("SGD", dict(lr=0.1)),
    ("SGD", dict(lr=0.1, momentum=0.9)),
    ("SGD", dict(lr=0.1, momentum=0.9, dampening=0.3, weight_decay=0.01)),
    ("SGD", dict(lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.1)),
    ("SGD", dict(lr=0.05, momentum=0.5, weight_decay=0.1, maximize=True)),
    ("Adam", dict(lr=0.1)),
    ("Adam", dict(lr=0.05, betas=(0.8, 0.99), weight_decay=0.1, amsgrad=True)),
    ("Adam", dict(lr=0.05, eps=1e-3, maximize=True)),
    ("AdamW", dict(lr=0.1)),
    ("AdamW", dict(lr=0.05, weight_decay=0.3, amsgrad=True)),
    ("RMSprop", dict(lr=0.01)),
    ("RMSprop", dict(lr=0.01, momentum=0.5)),
    ("RMSprop", dict(lr=0.01, alpha=0.9, centered=True, momentum=0.8, weight_decay=0.1)),
    ("Adagrad", dict(lr=0.1)),
    ("Adagrad", dict(lr=0.1, lr_decay=0.05, initial_accumulator_value=0.2, weight_decay=0.1)),
    ("Adadelta", dict()),
    ("Adadelta", dict(lr=0.5, rho=0.8, eps=1e-4, weight_decay=0.1, maximize=True)),
]

RNG = np.random.default_rng(1)
X, Y = RNG.standard_normal((16, 4)), RNG.standard_normal((16, 3))
W0, B0 = RNG.standard_normal((3, 4)), RNG.standard_normal(3)


class Run(BaseRun):
    start = (W0, B0)

    def loss(self):
        """Mean squared error of a linear map, in either framework."""
        x, y = self.m.tensor(X), self.m.tensor(Y)
        return ((x @ self.w.T + self.b - y) ** 2).sum() / len(X)


@pytest.mark.parametrize("name,options", CASES, ids=[f"{n}-{i}" for i, (n, _) in enumerate(CASES)])
def test_trajectory_equals_pytorch(name, options):
    ours, theirs = Run(cr, name, options), Run(torch, name, options)
    assert_same_trajectory(ours, theirs, steps=20, rtol=1e-10, atol=1e-12)
    assert not np.allclose(ours.weights()[0], W0)  # it did move


GROUP_CASES = [
    ("SGD", dict(lr=0.01, momentum=0.9), [dict(lr=0.1), dict(momentum=0.5, nesterov=True)]),
    ("Adam", dict(lr=0.01), [dict(betas=(0.5, 0.9)), dict(lr=0.1, amsgrad=True)]),
    ("RMSprop", dict(lr=0.01), [dict(centered=True), dict(lr=0.003, momentum=0.9)]),
]


@pytest.mark.parametrize("name,options,groups", GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_parameter_groups_equal_pytorch(name, options, groups):
    ours, theirs = Run(cr, name, options, groups), Run(torch, name, options, groups)
    assert_same_trajectory(ours, theirs, steps=20, rtol=1e-10, atol=1e-12)
    assert [g["lr"] for g in ours.opt.param_groups] == [g["lr"] for g in theirs.opt.param_groups]


@pytest.mark.parametrize("name,options", [CASES[3], CASES[6], CASES[9], CASES[12], CASES[14],
                                          CASES[16]], ids=lambda c: str(c))
def test_state_dict_resumes_exactly(name, options):
    resumed = assert_resumes_exactly(Run, name, options, half=10)
    assert resumed.opt.state[resumed.w]["step"] == 20


def test_state_dict_layout_and_options():
    run = Run(cr, "Adam", dict(lr=0.1), groups=[dict(), dict(lr=0.01)])
    run.step()
    run.opt.param_groups[1]["lr"] = 0.5
    state = run.opt.state_dict()
    assert [g["params"] for g in state["param_groups"]] == [[0], [1]]
    assert sorted(state["state"][1]) == ["exp_avg", "exp_avg_sq", "step"]
    assert isinstance(state["state"][0]["exp_avg"], cr.Tensor)
    fresh = Run(cr, "Adam", dict(lr=0.1), groups=[dict(), dict(lr=0.01)])
    fresh.opt.load_state_dict(copy.deepcopy(state))
    assert fresh.opt.param_groups[1]["lr"] == 0.5
    assert fresh.opt.param_groups[1]["params"][0] is fresh.b
    assert fresh.opt.state[fresh.b]["exp_avg"].array is not run.opt.state[run.b]["exp_avg"].array


def test_load_state_dict_checks_the_grouping():
    two = Run(cr, "SGD", dict(lr=0.1), groups=[dict(), dict()])
    one = Run(cr, "SGD", dict(lr=0.1))
    with pytest.raises(ValueError, match="2 parameter groups"):
        one.opt.load_state_dict(two.opt.state_dict())
    three = optim.SGD([cr.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="group 0 has 2 parameters"):
        three.load_state_dict(one.opt.state_dict())


def test_state_takes_the_parameters_dtype_on_load():
    run = Run(cr, "SGD", dict(lr=0.1, momentum=0.9))
    run.step()
    p32 = cr.zeros(3, 4, dtype=cr.float32, requires_grad=True)
    b32 = cr.zeros(3, dtype=cr.float32, requires_grad=True)
    opt = optim.SGD([p32, b32], lr=0.1, momentum=0.9)
    opt.load_state_dict(run.opt.state_dict())
    assert opt.state[p32]["momentum_buffer"].dtype == cr.float32


@pytest.mark.parametrize("name", ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad", "Adadelta"])
def test_update_is_in_place_on_the_raw_array(name):
    options = {"momentum": 0.9} if name == "SGD" else {}
    assert_updates_in_place(lambda params: getattr(optim, name)(params, lr=0.1, **options))


def test_parameters_without_gradient_are_skipped():
    a, b = cr.ones(2, requires_grad=True), cr.ones(2, requires_grad=True)
    opt = optim.Adam([a, b], lr=0.1)
    a.grad = cr.ones(2)
    opt.step()
    assert b.tolist() == [1.0, 1.0] and b not in opt.state and opt.state[a]["step"] == 1


def test_zero_grad():
    a = cr.ones(2, requires_grad=True)
    opt = optim.SGD([a], lr=0.1)
    a.grad = cr.ones(2)
    opt.zero_grad(set_to_none=False)
    assert a.grad.tolist() == [0.0, 0.0]
    opt.zero_grad()
    assert a.grad is None


def test_add_param_group():
    a, b = cr.ones(2, requires_grad=True), cr.ones(2, requires_grad=True)
    opt = optim.SGD([a], lr=0.1, momentum=0.9)
    opt.add_param_group({"params": b, "lr": 0.01})
    assert opt.param_groups[1]["lr"] == 0.01 and opt.param_groups[1]["momentum"] == 0.9
    with pytest.raises(ValueError, match="more than once"):
        opt.add_param_group({"params": [a]})


@pytest.mark.parametrize("make,message", [
    (lambda p: optim.SGD(p, lr=-1), "lr must be >= 0"),
    (lambda p: optim.SGD(p, lr=0.1, nesterov=True), "Nesterov"),
    (lambda p: optim.Adam(p, betas=(1.0, 0.9)), r"betas\[0\]"),
    (lambda p: optim.Adadelta(p, rho=2), "rho"),
    (lambda p: optim.SGD([], lr=0.1), "empty parameter list"),
    (lambda p: optim.SGD(p[0] * 2, lr=0.1), "wrap it in a list"),
    (lambda p: optim.SGD([p[0] * 2], lr=0.1), "leaf"),
    (lambda p: optim.SGD([p[0], p[0]], lr=0.1), "more than once"),
])
def test_bad_arguments_fail_clearly(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make([cr.ones(2, requires_grad=True)])


def test_repr_lists_the_groups():
    text = repr(optim.SGD([cr.ones(1, requires_grad=True)], lr=0.1, momentum=0.9))
    assert text.startswith("SGD (") and "Parameter Group 0" in text and "momentum: 0.9" in text
