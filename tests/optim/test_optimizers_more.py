"""NAdam, RAdam, Adamax, ASGD, Rprop and LBFGS against PyTorch: the same trajectory on the same
small nonlinear least-squares problem in float64, the same per-parameter state, and a state dict
that resumes training exactly."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.optim as optim
from optim.optimizer_runs import (  # tests/optim/, not chainrule.optim
    Run as BaseRun, assert_resumes_exactly, assert_same_trajectory, assert_updates_in_place)

CASES = [
    ("NAdam", dict(lr=0.05)),
    ("NAdam", dict(lr=0.05, betas=(0.8, 0.99), momentum_decay=0.01, weight_decay=0.1)),
    ("NAdam", dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True, maximize=True)),
    ("RAdam", dict(lr=0.05)),
    ("RAdam", dict(lr=0.05, betas=(0.7, 0.9), eps=1e-3, weight_decay=0.1)),
    ("RAdam", dict(lr=0.05, weight_decay=0.2, decoupled_weight_decay=True, maximize=True)),
    ("Adamax", dict(lr=0.05)),
    ("Adamax", dict(lr=0.05, betas=(0.5, 0.9), eps=1e-2, weight_decay=0.1, maximize=True)),
    ("ASGD", dict(lr=0.05)),
    ("ASGD", dict(lr=0.1, lambd=0.01, alpha=0.5, t0=6, weight_decay=0.1)),
    ("ASGD", dict(lr=0.05, t0=0, maximize=True)),
    ("Rprop", dict()),
    ("Rprop", dict(lr=0.05, etas=(0.3, 1.5), step_sizes=(1e-3, 0.2))),
    ("Rprop", dict(lr=0.02, maximize=True)),
    ("LBFGS", dict(lr=0.5, max_iter=4)),
    ("LBFGS", dict(lr=1, max_iter=6, history_size=3)),
    ("LBFGS", dict(max_iter=5, line_search_fn="strong_wolfe")),
    ("LBFGS", dict(max_iter=8, max_eval=10, history_size=2, line_search_fn="strong_wolfe")),
    ("LBFGS", dict(max_iter=50, tolerance_grad=1e-4, tolerance_change=1e-6)),
]
IDS = [f"{name}-{i}" for i, (name, _) in enumerate(CASES)]

RNG = np.random.default_rng(7)
X, Y = RNG.standard_normal((16, 4)), RNG.uniform(-0.9, 0.9, (16, 3))
W0, B0 = 0.5 * RNG.standard_normal((3, 4)), 0.5 * RNG.standard_normal(3)


@pytest.fixture(autouse=True)
def torch_scalars_in_float64():
    """PyTorch keeps scalar state (NAdam's mu_product, ASGD's eta and mu) in the default dtype;
    float64 makes it comparable to 1e-12."""
    before = torch.get_default_dtype()
    torch.set_default_dtype(torch.float64)
    yield
    torch.set_default_dtype(before)


class Run(BaseRun):
    start = (W0, B0)

    def loss(self):
        """Squared error of a tanh layer, in either framework."""
        x, y = self.m.tensor(X), self.m.tensor(Y)
        return ((self.m.tanh(x @ self.w.T + self.b) - y) ** 2).sum() / len(X)

    def state(self, p):
        """A parameter's state with Tensors (and lists of them) as arrays."""
        def plain(v):
            if isinstance(v, (cr.Tensor, torch.Tensor)):
                return np.array(v.detach().numpy())
            if isinstance(v, list):
                return [plain(x) for x in v if x is not None]
            return v
        return {k: plain(v) for k, v in self.opt.state[p].items() if k != "al"}


def assert_same_state(ours, theirs):
    assert sorted(ours) == sorted(theirs)
    for key, value in theirs.items():
        mine = ours[key]
        if isinstance(value, list):
            assert len(mine) == len(value), key
            for a, b in zip(mine, value):
                np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-13, err_msg=key)
        else:
            np.testing.assert_allclose(mine, value, rtol=1e-10, atol=1e-13, err_msg=key)


@pytest.mark.parametrize("name,options", CASES, ids=IDS)
def test_trajectory_and_state_equal_pytorch(name, options):
    ours, theirs = Run(cr, name, options), Run(torch, name, options)
    assert_same_trajectory(ours, theirs, steps=4 if name == "LBFGS" else 25, rtol=1e-12,
                           atol=1e-13)
    for p, q in ((ours.w, theirs.w), (ours.b, theirs.b)):
        if q in theirs.opt.state:
            assert_same_state(ours.state(p), theirs.state(q))
    assert not np.allclose(ours.weights()[0], W0)  # it did move


GROUP_CASES = [
    ("NAdam", dict(lr=0.02), [dict(decoupled_weight_decay=True, weight_decay=0.3),
                              dict(lr=0.1, betas=(0.5, 0.9))]),
    ("RAdam", dict(lr=0.02), [dict(weight_decay=0.1), dict(lr=0.1, decoupled_weight_decay=True,
                                                           weight_decay=0.1)]),
    ("Rprop", dict(lr=0.02), [dict(etas=(0.1, 1.1)), dict(step_sizes=(1e-4, 0.05))]),
    ("ASGD", dict(lr=0.02, t0=3), [dict(lambd=0.1), dict(lr=0.1, t0=10)]),
]


@pytest.mark.parametrize("name,options,groups", GROUP_CASES, ids=[c[0] for c in GROUP_CASES])
def test_parameter_groups_equal_pytorch(name, options, groups):
    ours, theirs = Run(cr, name, options, groups), Run(torch, name, options, groups)
    assert_same_trajectory(ours, theirs, steps=15, rtol=1e-12, atol=1e-13)
    assert ours.opt.param_groups[1]["lr"] == theirs.opt.param_groups[1]["lr"]


@pytest.mark.parametrize("name,options", CASES, ids=IDS)
def test_state_dict_resumes_exactly(name, options):
    assert_resumes_exactly(Run, name, options, half=2 if name == "LBFGS" else 10)


def test_state_dict_keeps_the_options():
    run = Run(cr, "NAdam", dict(lr=0.1, decoupled_weight_decay=True, weight_decay=0.1))
    run.step()
    state = run.opt.state_dict()
    assert state["param_groups"][0]["decoupled_weight_decay"] is True
    assert sorted(state["state"][0]) == ["exp_avg", "exp_avg_sq", "mu_product", "step"]


@pytest.mark.parametrize("name", ["NAdam", "RAdam", "Adamax", "ASGD", "Rprop"])
def test_update_is_in_place_on_the_raw_array(name):
    assert_updates_in_place(lambda params: getattr(optim, name)(params, lr=0.1))


def test_lbfgs_minimizes_a_quadratic_like_pytorch():
    """One step of many iterations with line search reaches the minimum, as PyTorch's does."""
    A = RNG.standard_normal((5, 5))
    A = A @ A.T + np.eye(5)
    c = RNG.standard_normal(5)
    results = []
    for m in (cr, torch):
        x = m.zeros(5, dtype=m.float64, requires_grad=True)
        opt = m.optim.LBFGS([x], max_iter=100, line_search_fn="strong_wolfe")

        def closure():
            opt.zero_grad()
            loss = 0.5 * (x * (m.tensor(A) @ x)).sum() - (m.tensor(c) * x).sum()
            loss.backward()
            return loss
        opt.step(closure)
        results.append((x.detach().numpy().copy(), opt.state[x]["func_evals"],
                        opt.state[x]["n_iter"]))
    (ours, evals, iters), (theirs, evals_ref, iters_ref) = results
    np.testing.assert_allclose(ours, np.linalg.solve(A, c), rtol=1e-4)
    np.testing.assert_allclose(ours, theirs, rtol=1e-10)
    assert (evals, iters) == (evals_ref, iters_ref)


@pytest.mark.parametrize("make,message", [
    (lambda p: optim.NAdam(p, betas=(0.9, 1.0)), r"NAdam: betas\[1\]"),
    (lambda p: optim.NAdam(p, momentum_decay=-1), "momentum_decay must be >= 0"),
    (lambda p: optim.RAdam(p, lr=-0.1), "RAdam: lr must be >= 0"),
    (lambda p: optim.Adamax(p, betas=(-0.1, 0.9)), r"Adamax: betas\[0\]"),
    (lambda p: optim.ASGD(p, weight_decay=-1), "ASGD: weight_decay"),
    (lambda p: optim.Rprop(p, etas=(1.2, 0.5)), "Rprop: expected 0 < etas"),
    (lambda p: optim.LBFGS(p, line_search_fn="armijo"), "strong_wolfe"),
    (lambda p: optim.LBFGS([{"params": p[:1]}, {"params": p[1:]}]), "one parameter group"),
])
def test_bad_arguments_fail_clearly(make, message):
    with pytest.raises((ValueError, TypeError), match=message):
        make([cr.ones(2, requires_grad=True), cr.ones(2, requires_grad=True)])


def test_lbfgs_needs_a_closure():
    opt = optim.LBFGS([cr.ones(2, requires_grad=True)])
    with pytest.raises(TypeError, match="LBFGS.step: needs a closure"):
        opt.step()
