"""Every schedule's learning rates (and OneCycleLR's momenta) against PyTorch's, step by step;
state dicts that resume a schedule exactly."""
import copy

import pytest
import torch

import chainrule as cr
import chainrule.optim as optim
from optim import schedule_runs  # tests/optim/schedule_runs.py (conftest puts tests/ on the path)
from optim.schedule_runs import assert_same_trace, make_optimizer

STEPS = 30


SCHEDULES = {
    "StepLR": lambda m, o: m.optim.lr_scheduler.StepLR(o, step_size=4, gamma=0.5),
    "MultiStepLR": lambda m, o: m.optim.lr_scheduler.MultiStepLR(o, [3, 8, 8, 20], gamma=0.3),
    "ExponentialLR": lambda m, o: m.optim.lr_scheduler.ExponentialLR(o, gamma=0.9),
    "CosineAnnealingLR": lambda m, o: m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=10,
                                                                             eta_min=0.001),
    "LinearLR": lambda m, o: m.optim.lr_scheduler.LinearLR(o, start_factor=0.1, end_factor=0.8,
                                                           total_iters=7),
    "LambdaLR": lambda m, o: m.optim.lr_scheduler.LambdaLR(
        o, [lambda t: 1 / (1 + t), lambda t: 0.95 ** t]),
    "OneCycleLR": lambda m, o: m.optim.lr_scheduler.OneCycleLR(o, max_lr=[1.0, 0.5],
                                                               total_steps=STEPS),
    "OneCycleLR-3phase-linear": lambda m, o: m.optim.lr_scheduler.OneCycleLR(
        o, max_lr=0.8, epochs=5, steps_per_epoch=6, pct_start=0.25, anneal_strategy="linear",
        three_phase=True, div_factor=10),
    "SequentialLR-warmup-cosine": lambda m, o: m.optim.lr_scheduler.SequentialLR(
        o, [m.optim.lr_scheduler.LinearLR(o, start_factor=0.1, total_iters=5),
            m.optim.lr_scheduler.CosineAnnealingLR(o, T_max=25)], milestones=[5]),
    "SequentialLR-three": lambda m, o: m.optim.lr_scheduler.SequentialLR(
        o, [m.optim.lr_scheduler.LinearLR(o, start_factor=0.5, total_iters=4),
            m.optim.lr_scheduler.StepLR(o, step_size=3, gamma=0.5),
            m.optim.lr_scheduler.ExponentialLR(o, gamma=0.8)], milestones=[6, 16]),
}


def trace(m, schedule, optimizer_name="SGD", steps=STEPS):
    return schedule_runs.trace(m, SCHEDULES[schedule], steps, optimizer_name)


@pytest.mark.parametrize("schedule", SCHEDULES)
def test_learning_rates_equal_pytorch(schedule):
    ours, theirs = trace(cr, schedule), trace(torch, schedule)
    assert_same_trace(ours, theirs)
    assert len({tuple(lr) for lr, _ in ours}) > 3  # the schedule did change the lr


@pytest.mark.parametrize("schedule", ["OneCycleLR", "OneCycleLR-3phase-linear"])
def test_one_cycle_cycles_adams_beta1(schedule):
    ours, theirs = trace(cr, schedule, "Adam"), trace(torch, schedule, "Adam")
    for (_, mom), (_, mom_ref) in zip(ours, theirs):
        assert mom == pytest.approx(mom_ref, rel=1e-12)
    assert min(m[0] for _, m in ours) < 0.86 < 0.95 == max(m[0] for _, m in ours)


def test_one_cycle_refuses_to_step_past_the_end():
    opt = make_optimizer(cr)
    sched = optim.lr_scheduler.OneCycleLR(opt, max_lr=1.0, total_steps=3)
    for _ in range(3):
        sched.step()
    with pytest.raises(ValueError, match="total_steps is 3"):
        sched.step()


METRICS = [1.0, 0.9, 0.9, 0.95, 0.91, 0.8999, 0.89, 0.89, 0.9, 0.95, 0.97, 0.7, 0.7, 0.71,
           0.72, 0.69995, 0.73, 0.74, 0.75, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5,
           -0.1, -0.1, -0.100001, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2, -0.2]


@pytest.mark.parametrize("options", [
    dict(patience=2),
    dict(patience=1, cooldown=2, factor=0.5, min_lr=[0.02, 0.001]),
    dict(patience=0, threshold=0.01, threshold_mode="abs", factor=0.7),
    dict(mode="max", patience=2, factor=0.5),
    dict(mode="max", patience=1, threshold=0.05, threshold_mode="abs", cooldown=1),
], ids=str)
def test_reduce_on_plateau_equals_pytorch(options):
    runs = []
    for m in (cr, torch):
        opt = make_optimizer(m)
        sched = m.optim.lr_scheduler.ReduceLROnPlateau(opt, **options)
        lrs = []
        for value in METRICS:
            opt.step()
            sched.step(value)
            lrs.append(sched.get_last_lr())
        runs.append(lrs)
    for lr, lr_ref in zip(*runs):
        assert lr == pytest.approx(lr_ref, rel=1e-12)
    assert runs[0][-1] != runs[0][0]


@pytest.mark.parametrize("schedule", ["StepLR", "CosineAnnealingLR", "OneCycleLR",
                                      "SequentialLR-three", "LambdaLR"])
def test_state_dict_resumes_the_schedule(schedule):
    saved = schedule_runs.assert_resumes_exactly(SCHEDULES[schedule], half=10)
    assert "optimizer" not in saved and "lr_lambdas" not in saved


def test_reduce_on_plateau_state_dict_round_trip():
    opt = make_optimizer(cr)
    sched = optim.lr_scheduler.ReduceLROnPlateau(opt, patience=1)
    for value in (1.0, 1.0, 1.0):
        sched.step(value)
    saved = copy.deepcopy(sched.state_dict())
    fresh = optim.lr_scheduler.ReduceLROnPlateau(make_optimizer(cr), patience=1)
    fresh.load_state_dict(saved)
    assert (fresh.best, fresh.num_bad_epochs, fresh.last_epoch) == (1.0, 0, 3)
    assert fresh.get_last_lr() == pytest.approx([0.01, 0.003])


def test_resuming_needs_initial_lr():
    with pytest.raises(KeyError, match="initial_lr"):
        optim.lr_scheduler.StepLR(make_optimizer(cr), step_size=2, last_epoch=4)


def test_scheduler_needs_an_optimizer():
    with pytest.raises(TypeError, match="expected an Optimizer"):
        optim.lr_scheduler.StepLR([cr.zeros(1)], step_size=2)


def test_sequential_checks_milestones():
    opt = make_optimizer(cr)
    s = optim.lr_scheduler.StepLR(opt, step_size=2)
    with pytest.raises(ValueError, match="expected 1 milestones"):
        optim.lr_scheduler.SequentialLR(opt, [s, s], milestones=[])
