"""What the LR scheduler tests share: an optimizer of two parameter groups, the (lrs, momenta)
a schedule goes through, and a schedule resumed from state dicts."""
import copy

import pytest

import chainrule as cr


def make_optimizer(m, name="SGD"):
    """Two parameter groups with different lrs, so per-group handling is exercised."""
    a, b = m.zeros(2, requires_grad=True), m.zeros(3, requires_grad=True)
    groups = [{"params": [a]}, {"params": [b], "lr": 0.03}]
    if name == "SGD":
        return m.optim.SGD(groups, lr=0.1, momentum=0.9)
    return m.optim.Adam(groups, lr=0.1)


def momenta(optimizer):
    return [g["betas"][0] if "betas" in g else g["momentum"] for g in optimizer.param_groups]


def trace(m, make_schedule, steps, optimizer_name="SGD"):
    """(lrs, momenta) after making the scheduler `make_schedule(m, optimizer)` and after each
    step."""
    opt = make_optimizer(m, optimizer_name)
    sched = make_schedule(m, opt)
    out = [(sched.get_last_lr(), momenta(opt))]
    for _ in range(steps):
        opt.step()
        sched.step()
        out.append((sched.get_last_lr(), momenta(opt)))
        assert [g["lr"] for g in opt.param_groups] == sched.get_last_lr()
    return out


def assert_same_trace(ours, theirs):
    for t, ((lr, mom), (lr_ref, mom_ref)) in enumerate(zip(ours, theirs)):
        assert lr == pytest.approx(lr_ref, rel=1e-12, abs=1e-15), f"lr at step {t}"
        assert mom == pytest.approx(mom_ref, rel=1e-12), f"momentum at step {t}"


def assert_resumes_exactly(make_schedule, half):
    """`half` steps, save the optimizer's and the scheduler's state dicts, load them into fresh
    ones, `half` more: the same (lrs, momenta) as the second half of 2 * half steps straight.
    Returns the scheduler's state dict."""
    straight = trace(cr, make_schedule, 2 * half)
    opt = make_optimizer(cr)
    sched = make_schedule(cr, opt)
    for _ in range(half):
        sched.step()
    saved_opt, saved = copy.deepcopy(opt.state_dict()), copy.deepcopy(sched.state_dict())

    opt2 = make_optimizer(cr)
    sched2 = make_schedule(cr, opt2)
    opt2.load_state_dict(saved_opt)
    sched2.load_state_dict(saved)
    resumed = [(sched2.get_last_lr(), momenta(opt2))]
    for _ in range(half):
        sched2.step()
        resumed.append((sched2.get_last_lr(), momenta(opt2)))
    assert resumed == straight[half:]
    return saved
