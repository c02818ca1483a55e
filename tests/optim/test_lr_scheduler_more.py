"""The schedules added to the first set (ConstantLR, PolynomialLR, MultiplicativeLR,
CosineAnnealingWarmRestarts, CyclicLR, ChainedScheduler), and more configurations of the
existing ones, against PyTorch step by step: lrs, momenta, state dicts."""
import pytest
import torch

import chainrule as cr
import chainrule.optim as optim
from optim import schedule_runs  # tests/optim/schedule_runs.py (conftest puts tests/ on the path)
from optim.schedule_runs import assert_same_trace, make_optimizer

STEPS = 40


def S(m):
    return m.optim.lr_scheduler


SCHEDULES = {
    "ConstantLR": lambda m, o: S(m).ConstantLR(o, factor=0.25, total_iters=4),
    "ConstantLR-default": lambda m, o: S(m).ConstantLR(o),
    "PolynomialLR": lambda m, o: S(m).PolynomialLR(o, total_iters=12, power=2.0),
    "PolynomialLR-default": lambda m, o: S(m).PolynomialLR(o),
    "MultiplicativeLR": lambda m, o: S(m).MultiplicativeLR(o, lambda t: 0.95),
    "MultiplicativeLR-per-group": lambda m, o: S(m).MultiplicativeLR(
        o, [lambda t: 0.9, lambda t: 1 - 0.01 * t]),
    "WarmRestarts": lambda m, o: S(m).CosineAnnealingWarmRestarts(o, T_0=5),
    "WarmRestarts-mult": lambda m, o: S(m).CosineAnnealingWarmRestarts(o, T_0=3, T_mult=2,
                                                                        eta_min=0.001),
    "CyclicLR": lambda m, o: S(m).CyclicLR(o, base_lr=0.01, max_lr=0.1, step_size_up=4),
    "CyclicLR-triangular2": lambda m, o: S(m).CyclicLR(
        o, base_lr=[0.01, 0.001], max_lr=[0.1, 0.05], step_size_up=3, step_size_down=6,
        mode="triangular2", base_momentum=0.7, max_momentum=0.95),
    "CyclicLR-exp-range": lambda m, o: S(m).CyclicLR(o, 0.01, 0.2, step_size_up=5,
                                                     mode="exp_range", gamma=0.95),
    "CyclicLR-scale-fn-iterations": lambda m, o: S(m).CyclicLR(
        o, 0.01, 0.2, step_size_up=2, step_size_down=3, scale_fn=lambda x: 1 / (1 + 0.1 * x),
        scale_mode="iterations", cycle_momentum=False),
    "CyclicLR-scale-fn-cycle": lambda m, o: S(m).CyclicLR(
        o, 0.01, 0.2, step_size_up=4, scale_fn=lambda c: 0.8 ** c),
    "Chained-constant-exponential": lambda m, o: S(m).ChainedScheduler(
        [S(m).ConstantLR(o, factor=0.1, total_iters=3), S(m).ExponentialLR(o, gamma=0.9)]),
    "Chained-warmup-step": lambda m, o: S(m).ChainedScheduler(
        [S(m).LinearLR(o, start_factor=0.2, total_iters=6), S(m).StepLR(o, 5, gamma=0.5),
         S(m).MultiplicativeLR(o, lambda t: 0.99)]),
    "Chained-cosine-polynomial": lambda m, o: S(m).ChainedScheduler(
        [S(m).CosineAnnealingLR(o, T_max=STEPS), S(m).PolynomialLR(o, total_iters=50)]),
    "Sequential-constant-polynomial": lambda m, o: S(m).SequentialLR(
        o, [S(m).ConstantLR(o, factor=0.5, total_iters=10),
            S(m).PolynomialLR(o, total_iters=20, power=0.5)], milestones=[7]),
    "Sequential-linear-restarts": lambda m, o: S(m).SequentialLR(
        o, [S(m).LinearLR(o, start_factor=0.01, total_iters=5),
            S(m).CosineAnnealingWarmRestarts(o, T_0=4, T_mult=2)], milestones=[5]),
    "Sequential-multiplicative-step": lambda m, o: S(m).SequentialLR(
        o, [S(m).MultiplicativeLR(o, lambda t: 0.8), S(m).StepLR(o, 4)], milestones=[6]),
    "LinearLR-decay": lambda m, o: S(m).LinearLR(o, start_factor=1.0, end_factor=0.05,
                                                 total_iters=30),
    "LinearLR-default": lambda m, o: S(m).LinearLR(o),
    "LambdaLR-one-function": lambda m, o: S(m).LambdaLR(o, lambda t: 0.5 ** (t // 7)),
    "OneCycleLR-long-rise": lambda m, o: S(m).OneCycleLR(
        o, max_lr=[0.5, 0.2], total_steps=STEPS, pct_start=0.6, base_momentum=0.8,
        max_momentum=0.9, div_factor=5, final_div_factor=100),
}


def trace(m, schedule, optimizer_name="SGD", steps=STEPS):
    return schedule_runs.trace(m, SCHEDULES[schedule], steps, optimizer_name)


@pytest.mark.parametrize("schedule", SCHEDULES)
@pytest.mark.parametrize("optimizer_name", ["SGD", "Adam"])
def test_learning_rates_and_momenta_equal_pytorch(schedule, optimizer_name):
    ours, theirs = trace(cr, schedule, optimizer_name), trace(torch, schedule, optimizer_name)
    assert_same_trace(ours, theirs)
    assert len({tuple(lr) for lr, _ in ours}) > 1  # the schedule did change the lr


def test_cyclic_momentum_moves_against_the_lr():
    run = trace(cr, "CyclicLR")
    lrs, moms = [lr[0] for lr, _ in run], [m[0] for _, m in run]
    assert moms[lrs.index(max(lrs))] == pytest.approx(0.8)
    assert moms[lrs.index(min(lrs))] == pytest.approx(0.9)


@pytest.mark.parametrize("T_mult", [1, 3])
def test_warm_restarts_at_fractional_epochs(T_mult):
    """step(epoch) with epoch + batch / batches, as in per-batch annealing."""
    runs = []
    for m in (cr, torch):
        opt = make_optimizer(m)
        sched = m.optim.lr_scheduler.CosineAnnealingWarmRestarts(opt, T_0=2, T_mult=T_mult)
        lrs = []
        for epoch in range(12):
            for batch in range(4):
                sched.step(epoch + batch / 4)
                lrs.append(sched.get_last_lr())
        runs.append((lrs, sched.last_epoch))
    (ours, last), (theirs, last_ref) = runs
    for lr, lr_ref in zip(ours, theirs):
        assert lr == pytest.approx(lr_ref, rel=1e-12, abs=1e-15)
    assert last == last_ref == 11


NEW = ["ConstantLR", "PolynomialLR", "MultiplicativeLR-per-group", "WarmRestarts-mult",
       "CyclicLR-triangular2", "CyclicLR-scale-fn-cycle", "Chained-warmup-step",
       "Sequential-constant-polynomial"]


@pytest.mark.parametrize("schedule", NEW)
def test_state_dict_resumes_the_schedule(schedule):
    schedule_runs.assert_resumes_exactly(SCHEDULES[schedule], half=12)


@pytest.mark.parametrize("schedule", ["ConstantLR", "PolynomialLR", "WarmRestarts-mult",
                                      "CyclicLR", "MultiplicativeLR"])
def test_state_dict_has_pytorchs_public_keys(schedule):
    """The same public attributes (PyTorch adds private bookkeeping of its own)."""
    keys = []
    for m in (cr, torch):
        opt = make_optimizer(m)
        sched = SCHEDULES[schedule](m, opt)
        opt.step()
        sched.step()
        keys.append({k for k in sched.state_dict() if not k.startswith("_")})
    ours, theirs = keys
    assert theirs - {"verbose", "lr_lambdas"} <= ours


def test_state_dict_leaves_out_functions():
    opt = make_optimizer(cr)
    sched = optim.lr_scheduler.CyclicLR(opt, 0.1, 1.0, scale_fn=lambda x: 1.0)
    assert not any(callable(v) for v in sched.state_dict().values())


@pytest.mark.parametrize("make,error,message", [
    (lambda o: optim.lr_scheduler.ConstantLR(o, factor=2), ValueError, r"factor must be in"),
    (lambda o: optim.lr_scheduler.PolynomialLR(o, total_iters=0), ValueError, "total_iters"),
    (lambda o: optim.lr_scheduler.MultiplicativeLR(o, [lambda t: 1]), ValueError,
     "expected 2 lr_lambdas"),
    (lambda o: optim.lr_scheduler.MultiplicativeLR(o, 0.9), TypeError, "should be a function"),
    (lambda o: optim.lr_scheduler.CosineAnnealingWarmRestarts(o, T_0=0), ValueError, "T_0"),
    (lambda o: optim.lr_scheduler.CosineAnnealingWarmRestarts(o, 2, T_mult=1.5), ValueError,
     "T_mult"),
    (lambda o: optim.lr_scheduler.CyclicLR(o, 0.1, 1.0, mode="sawtooth"), ValueError,
     "mode must be one of"),
    (lambda o: optim.lr_scheduler.ChainedScheduler([]), ValueError, "at least one"),
    (lambda o: optim.lr_scheduler.ChainedScheduler(
        [optim.lr_scheduler.ReduceLROnPlateau(o)]), ValueError, "not ReduceLROnPlateau"),
])
def test_bad_arguments_fail_clearly(make, error, message):
    with pytest.raises(error, match=message):
        make(make_optimizer(cr))


def test_cycling_momentum_needs_momentum():
    opt = optim.Adagrad([cr.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="CyclicLR: cycle_momentum=True needs"):
        optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1)
    optim.lr_scheduler.CyclicLR(opt, 0.01, 0.1, cycle_momentum=False)  # fine without
