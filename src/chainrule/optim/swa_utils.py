"""Stochastic weight averaging (Izmailov et al., 2018) and exponential moving averages of a
model's weights: `AveragedModel` keeps the average, `SWALR` holds the lr at a constant (after
annealing to it) while the average is taken, `update_bn` recomputes BatchNorm's running
statistics for the averaged weights."""
import copy
import itertools
import math

from ..autograd import no_grad
from ..backend import dtypes
from ..nn.layers.normalization import _BatchNorm
from ..nn.module import Module
from ..ops.creation import tensor
from .lr_scheduler import LRScheduler, _per_group

__all__ = ["AveragedModel", "SWALR", "update_bn", "get_ema_avg_fn", "get_ema_multi_avg_fn",
           "get_swa_avg_fn", "get_swa_multi_avg_fn"]


def _checked_decay(decay):
    if not 0 <= decay <= 1:
        raise ValueError(f"get_ema_avg_fn: decay must be in [0, 1], got {decay}")
    return decay


def get_swa_avg_fn():
    """avg_fn of the plain running mean: avg + (current - avg) / (n + 1)."""
    def swa_update(averaged, current, num_averaged):
        return averaged + (current - averaged) / (num_averaged + 1)
    return swa_update


def get_ema_avg_fn(decay=0.999):
    """avg_fn of an exponential moving average: decay * avg + (1 - decay) * current."""
    _checked_decay(decay)

    def ema_update(averaged, current, num_averaged):
        return decay * averaged + (1 - decay) * current
    return ema_update


def _in_place(avg_fn):
    """The multi_avg_fn (updating lists of tensors in place) of an avg_fn."""
    def update(averaged_params, current_params, num_averaged):
        with no_grad():
            for averaged, current in zip(averaged_params, current_params):
                averaged.copy_(avg_fn(averaged, current, num_averaged))
    return update


def get_swa_multi_avg_fn():
    return _in_place(get_swa_avg_fn())


def get_ema_multi_avg_fn(decay=0.999):
    return _in_place(get_ema_avg_fn(decay))


class AveragedModel(Module):
    """A copy of `model` (its `module`) whose parameters are the average of the parameters that
    `update_parameters(model)` has been given: the running mean by default (SWA), or what
    `avg_fn(averaged, current, n_averaged)` returns per tensor, or what
    `multi_avg_fn(averaged_list, current_list, n_averaged)` writes in place (EMA:
    `multi_avg_fn=get_ema_multi_avg_fn(0.999)`). The first update copies the weights.
    `n_averaged` (a buffer) counts the updates. Buffers are copied from the model, or averaged
    too with use_buffers=True."""

    def __init__(self, model, device=None, avg_fn=None, multi_avg_fn=None, use_buffers=False):
        super().__init__()
        if avg_fn is not None and multi_avg_fn is not None:
            raise ValueError("AveragedModel: give avg_fn or multi_avg_fn, not both")
        self.module = copy.deepcopy(model)
        if device is not None:
            self.module.to(device=device)
        self.register_buffer("n_averaged", tensor(0, dtype=dtypes.int64, device=device))
        self.avg_fn, self.multi_avg_fn, self.use_buffers = avg_fn, multi_avg_fn, use_buffers

    def forward(self, *args, **kwargs):
        return self.module(*args, **kwargs)

    def _averaged_tensors(self, model):
        if self.use_buffers:
            return (list(itertools.chain(self.module.parameters(), self.module.buffers())),
                    list(itertools.chain(model.parameters(), model.buffers())))
        return list(self.module.parameters()), list(model.parameters())

    def update_parameters(self, model):
        ours, theirs = self._averaged_tensors(model)
        averaged = [p.detach() for p in ours]
        current = [p.detach().to(a.device) for p, a in zip(theirs, averaged)]
        with no_grad():
            if int(self.n_averaged.item()) == 0:
                for a, c in zip(averaged, current):
                    a.copy_(c)
            else:
                update = self.multi_avg_fn or _in_place(self.avg_fn or get_swa_avg_fn())
                update(averaged, current, self.n_averaged)
            if not self.use_buffers:
                for ours_b, theirs_b in zip(self.module.buffers(), model.buffers()):
                    ours_b.copy_(theirs_b.detach().to(ours_b.device))
            self.n_averaged.add_(1)


def update_bn(loader, model, device=None):
    """Recomputes the running statistics of every BatchNorm layer of `model` as the plain
    average over one pass of `loader` (batches, or tuples whose first item is the input), as the
    averaged weights need statistics of their own. The model's mode and momenta are restored."""
    norms = {m: m.momentum for m in model.modules() if isinstance(m, _BatchNorm)}
    if not norms:
        return
    was_training = model.training
    model.train()
    for m in norms:
        m.reset_running_stats()
        m.momentum = None  # None: a cumulative average over the batches seen
    with no_grad():
        for batch in loader:
            x = batch[0] if isinstance(batch, (list, tuple)) else batch
            model(x if device is None else x.to(device))
    for m, momentum in norms.items():
        m.momentum = momentum
    model.train(was_training)


class SWALR(LRScheduler):
    """Anneals each group's lr from where it is to swa_lr over anneal_epochs steps ("cos" or
    "linear"), then holds it: lr = a * swa_lr + (1 - a) * start, a going from 0 to 1. The start
    is read back from the group's current lr at each step, so SWALR takes over smoothly from
    whatever schedule ran before it."""

    def __init__(self, optimizer, swa_lr, anneal_epochs=10, anneal_strategy="cos", last_epoch=-1):
        for group, lr in zip(optimizer.param_groups, _per_group(swa_lr, optimizer, "swa_lr")):
            group["swa_lr"] = lr
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"SWALR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        if not isinstance(anneal_epochs, int) or anneal_epochs < 0:
            raise ValueError(f"SWALR: anneal_epochs must be an integer >= 0, got "
                             f"{anneal_epochs!r}")
        self.anneal_strategy, self.anneal_epochs = anneal_strategy, anneal_epochs
        super().__init__(optimizer, last_epoch)

    def _alpha(self, step):
        """How far the annealing is after `step` steps, from 0 to 1."""
        t = max(0, min(1, step / max(1, self.anneal_epochs)))
        return t if self.anneal_strategy == "linear" else (1 - math.cos(math.pi * t)) / 2

    def get_lr(self):
        step = self.last_epoch if self.anneal_epochs else max(1, self.last_epoch)
        before, now = self._alpha(step - 1), self._alpha(step)
        lrs = []
        for group in self.optimizer.param_groups:
            swa = group["swa_lr"]
            start = swa if before == 1 else (group["lr"] - before * swa) / (1 - before)
            lrs.append(now * swa + (1 - now) * start)
        return lrs
