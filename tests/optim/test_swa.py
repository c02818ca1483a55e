"""swa_utils against PyTorch's: AveragedModel (SWA and EMA, with and without buffers), SWALR's
learning rates after another schedule, and update_bn's recomputed statistics."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.optim import swa_utils

RNG = np.random.default_rng(3)


def make_model(m):
    return m.nn.Sequential(m.nn.Linear(4, 5), m.nn.BatchNorm1d(5), m.nn.ReLU(),
                           m.nn.Linear(5, 2)).to(m.float64)


def twins():
    """A chainrule model and a PyTorch model with the same weights."""
    theirs = make_model(torch)
    ours = make_model(cr)
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def train_a_little(ours, theirs):
    """New weights (the same in both) and one batch through the model in train mode, so that the
    BatchNorm buffers move too."""
    for (_, p), (_, q) in zip(ours.named_parameters(), theirs.named_parameters()):
        values = RNG.standard_normal(tuple(q.shape))
        p.data = cr.tensor(values)
        with torch.no_grad():
            q.copy_(torch.tensor(values))
    x = RNG.standard_normal((8, 4))
    ours.train()(cr.tensor(x))
    theirs.train()(torch.tensor(x))


def as_arrays(state):
    return {k: np.array(v.detach().numpy()) for k, v in state.items()}


AVERAGES = {
    "swa": lambda u: {},
    "ema-multi": lambda u: dict(multi_avg_fn=u.get_ema_multi_avg_fn(0.9)),
    "ema-single": lambda u: dict(avg_fn=u.get_ema_avg_fn(0.8)),
    "swa-buffers": lambda u: dict(use_buffers=True),
    "ema-buffers": lambda u: dict(multi_avg_fn=u.get_ema_multi_avg_fn(0.7), use_buffers=True),
    "custom": lambda u: dict(avg_fn=lambda avg, cur, n: 0.5 * avg + 0.5 * cur),
}


@pytest.mark.parametrize("average", AVERAGES)
def test_averaged_model_equals_pytorch(average):
    ours, theirs = twins()
    avg = swa_utils.AveragedModel(ours, **AVERAGES[average](swa_utils))
    avg_ref = torch.optim.swa_utils.AveragedModel(theirs, **AVERAGES[average](
        torch.optim.swa_utils))
    for _ in range(5):
        train_a_little(ours, theirs)
        avg.update_parameters(ours)
        avg_ref.update_parameters(theirs)
    state, state_ref = as_arrays(avg.state_dict()), as_arrays(avg_ref.state_dict())
    assert list(state) == list(state_ref)  # n_averaged, module.0.weight, ...
    for key, value in state_ref.items():
        np.testing.assert_allclose(state[key], value, rtol=1e-12, atol=1e-14, err_msg=key)
        assert state[key].dtype == value.dtype, key
    assert int(avg.n_averaged.item()) == 5
    x = RNG.standard_normal((3, 4))
    np.testing.assert_allclose(avg.eval()(cr.tensor(x)).numpy(),
                               avg_ref.eval()(torch.tensor(x)).detach().numpy(), rtol=1e-12)
    # the average is a copy, not the model itself
    assert not np.allclose(state["module.0.weight"], ours[0].weight.numpy())


def test_averaged_model_is_a_mean_of_the_weights():
    ours, _ = twins()
    avg = swa_utils.AveragedModel(ours)
    seen = []
    for _ in range(4):
        ours[0].weight.data = cr.tensor(RNG.standard_normal((5, 4)))
        seen.append(ours[0].weight.numpy().copy())
        avg.update_parameters(ours)
    np.testing.assert_allclose(avg.module[0].weight.numpy(), np.mean(seen, axis=0), rtol=1e-12)


def test_averaged_model_takes_one_kind_of_function():
    ours, _ = twins()
    with pytest.raises(ValueError, match="avg_fn or multi_avg_fn, not both"):
        swa_utils.AveragedModel(ours, avg_fn=swa_utils.get_ema_avg_fn(),
                                multi_avg_fn=swa_utils.get_ema_multi_avg_fn())
    with pytest.raises(ValueError, match=r"decay must be in \[0, 1\]"):
        swa_utils.get_ema_avg_fn(1.5)


def test_update_bn_equals_pytorch():
    ours, theirs = twins()
    train_a_little(ours, theirs)
    batches = [RNG.standard_normal((6, 4)) for _ in range(4)]
    ours.eval()
    theirs.eval()
    swa_utils.update_bn([(cr.tensor(b), 0) for b in batches], ours)
    torch.optim.swa_utils.update_bn([(torch.tensor(b), 0) for b in batches], theirs)
    state, state_ref = as_arrays(ours.state_dict()), as_arrays(theirs.state_dict())
    for key, value in state_ref.items():
        np.testing.assert_allclose(state[key], value, rtol=1e-12, err_msg=key)
    assert not ours.training and ours[1].momentum == 0.1  # mode and momentum restored
    # plain tensors as batches work too, and give the same statistics
    swa_utils.update_bn([cr.tensor(b) for b in batches], ours)
    np.testing.assert_allclose(ours[1].running_var.numpy(), state_ref["1.running_var"],
                               rtol=1e-12)


SWA_CASES = [
    (dict(swa_lr=0.05), False),
    (dict(swa_lr=0.05), True),
    (dict(swa_lr=[0.2, 0.01], anneal_epochs=4, anneal_strategy="linear"), False),
    (dict(swa_lr=0.5, anneal_epochs=0), True),
    (dict(swa_lr=0.001, anneal_epochs=1, anneal_strategy="cos"), False),
]


@pytest.mark.parametrize("options,late", SWA_CASES, ids=str)
def test_swalr_takes_over_from_another_schedule_like_pytorch(options, late):
    """PyTorch's recipe: a cosine schedule until swa_start, then SWALR, made at the start or
    (late) at swa_start. (anneal_epochs=0 sets swa_lr at once, so it is made late.)"""
    swa_start, runs = 8, []
    for m in (cr, torch):
        a, b = m.zeros(2, requires_grad=True), m.zeros(3, requires_grad=True)
        opt = m.optim.SGD([{"params": [a]}, {"params": [b], "lr": 0.03}], lr=0.1)
        cosine = m.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=20)
        swa = None if late else m.optim.swa_utils.SWALR(opt, **options)
        lrs = [[g["lr"] for g in opt.param_groups]]
        for epoch in range(25):
            opt.step()
            if epoch < swa_start:
                cosine.step()
            elif swa is None:
                swa = m.optim.swa_utils.SWALR(opt, **options)
            else:
                swa.step()
            lrs.append([g["lr"] for g in opt.param_groups])
        assert lrs[-1] == swa.get_last_lr()
        runs.append(lrs)
    ours, theirs = runs
    for t, (lr, lr_ref) in enumerate(zip(ours, theirs)):
        assert lr == pytest.approx(lr_ref, rel=1e-12), f"step {t}"
    swa_lrs = options["swa_lr"] if isinstance(options["swa_lr"], list) else [options["swa_lr"]] * 2
    assert ours[-1] == pytest.approx(swa_lrs)
    assert ours[swa_start] != pytest.approx(swa_lrs)  # it did start elsewhere


def test_swalr_checks_its_arguments():
    opt = cr.optim.SGD([cr.zeros(2, requires_grad=True)], lr=0.1)
    with pytest.raises(ValueError, match="SWALR: anneal_strategy"):
        swa_utils.SWALR(opt, 0.05, anneal_strategy="exp")
    with pytest.raises(ValueError, match="SWALR: anneal_epochs"):
        swa_utils.SWALR(opt, 0.05, anneal_epochs=-1)
