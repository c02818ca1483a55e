"""Learning-rate schedules. Call `scheduler.step()` once per epoch (or per batch, for OneCycleLR),
after `optimizer.step()`; it sets the lr of every parameter group.

Each schedule is written in closed form: the lr after t calls of step() is a function of the
group's base lr (its lr when the first scheduler was made, kept as group["initial_lr"]) and t,
so a schedule can be restarted, resumed from a state dict or read at any step."""
import bisect
import math

from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "LinearLR", "LambdaLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR"]


class LRScheduler:
    """Base class: subclasses give `get_lr()`, the lrs at step `self.last_epoch`. Making a
    scheduler applies the lr of step 0."""

    def __init__(self, optimizer, last_epoch=-1):
        self.optimizer = _checked(optimizer, type(self).__name__)
        for i, group in enumerate(optimizer.param_groups):
            if last_epoch == -1:
                group.setdefault("initial_lr", group["lr"])
            elif "initial_lr" not in group:
                raise KeyError(f"{type(self).__name__}: resuming at last_epoch={last_epoch} needs "
                               f"'initial_lr' in param_groups[{i}]; load the optimizer's state "
                               "dict first, or start with last_epoch=-1")
        self.base_lrs = [group["initial_lr"] for group in optimizer.param_groups]
        self.last_epoch = last_epoch
        self.step()

    def get_lr(self):
        """Multiplicative schedules: base lr times `lr_factor(t)`."""
        return [base * self.lr_factor(self.last_epoch) for base in self.base_lrs]

    def lr_factor(self, t):
        raise NotImplementedError

    def step(self):
        self.last_epoch += 1
        self._set_lrs(self.get_lr())

    def _set_lrs(self, lrs):
        for group, lr in zip(self.optimizer.param_groups, lrs):
            group["lr"] = lr
        self._last_lr = [group["lr"] for group in self.optimizer.param_groups]

    def get_last_lr(self):
        """The lr of each parameter group, as last set by this scheduler."""
        return list(self._last_lr)

    def state_dict(self):
        """Everything but the optimizer (and LambdaLR's functions, which cannot be saved)."""
        return {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "lr_lambdas")}

    def load_state_dict(self, state_dict):
        self.__dict__.update(state_dict)


def _checked(optimizer, name):
    if not isinstance(optimizer, Optimizer):
        raise TypeError(f"{name}: expected an Optimizer, got {type(optimizer).__name__}")
    return optimizer


class StepLR(LRScheduler):
    """lr = base_lr * gamma ** (t // step_size): decays by gamma every step_size steps."""

    def __init__(self, optimizer, step_size, gamma=0.1, last_epoch=-1):
        if step_size < 1:
            raise ValueError(f"StepLR: step_size must be >= 1, got {step_size}")
        self.step_size, self.gamma = step_size, gamma
        super().__init__(optimizer, last_epoch)

    def lr_factor(self, t):
        return self.gamma ** (t // self.step_size)


class MultiStepLR(LRScheduler):
    """lr = base_lr * gamma ** (number of milestones <= t)."""

    def __init__(self, optimizer, milestones, gamma=0.1, last_epoch=-1):
        self.milestones, self.gamma = sorted(milestones), gamma
        super().__init__(optimizer, last_epoch)

    def lr_factor(self, t):
        return self.gamma ** bisect.bisect_right(self.milestones, t)


class ExponentialLR(LRScheduler):
    """lr = base_lr * gamma ** t."""

    def __init__(self, optimizer, gamma, last_epoch=-1):
        self.gamma = gamma
        super().__init__(optimizer, last_epoch)

    def lr_factor(self, t):
        return self.gamma ** t


class LinearLR(LRScheduler):
    """The factor goes linearly from start_factor to end_factor over total_iters steps, then
    stays (a warm-up when start_factor < 1)."""

    def __init__(self, optimizer, start_factor=1.0 / 3, end_factor=1.0, total_iters=5,
                 last_epoch=-1):
        if not 0 < start_factor <= 1 or not 0 <= end_factor <= 1:
            raise ValueError(f"LinearLR: expected 0 < start_factor <= 1 and 0 <= end_factor <= 1,"
                             f" got {start_factor} and {end_factor}")
        self.start_factor, self.end_factor = start_factor, end_factor
        self.total_iters = total_iters
        super().__init__(optimizer, last_epoch)

    def lr_factor(self, t):
        done = min(self.total_iters, t) / self.total_iters
        return self.start_factor + (self.end_factor - self.start_factor) * done


class LambdaLR(LRScheduler):
    """lr = base_lr * lr_lambda(t), with one function, or one per parameter group."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        groups = len(optimizer.param_groups)
        self.lr_lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) \
            else [lr_lambda] * groups
        if len(self.lr_lambdas) != groups:
            raise ValueError(f"LambdaLR: expected {groups} lr_lambdas (one per parameter group), "
                             f"got {len(self.lr_lambdas)}")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2 (Loshchilov & Hutter,
    SGDR, without restarts): half a cosine down to eta_min in T_max steps, then back up."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        c = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


class OneCycleLR(LRScheduler):
    """Smith & Topin's 1cycle policy, stepped once per batch: the lr rises from max_lr/div_factor
    to max_lr over the first pct_start of total_steps, then anneals to
    max_lr/(div_factor*final_div_factor); the momentum (or Adam's beta1) moves the opposite way
    between max_momentum and base_momentum. three_phase: rise, fall back to the start, then
    anneal to the minimum."""

    def __init__(self, optimizer, max_lr, total_steps=None, epochs=None, steps_per_epoch=None,
                 pct_start=0.3, anneal_strategy="cos", cycle_momentum=True, base_momentum=0.85,
                 max_momentum=0.95, div_factor=25.0, final_div_factor=1e4, three_phase=False,
                 last_epoch=-1):
        _checked(optimizer, "OneCycleLR")
        if total_steps is None:
            if epochs is None or steps_per_epoch is None:
                raise ValueError("OneCycleLR: give total_steps, or epochs and steps_per_epoch")
            total_steps = epochs * steps_per_epoch
        if total_steps <= 0 or not 0 <= pct_start <= 1:
            raise ValueError(f"OneCycleLR: expected total_steps > 0 and 0 <= pct_start <= 1, got "
                             f"{total_steps} and {pct_start}")
        if anneal_strategy not in ("cos", "linear"):
            raise ValueError(f"OneCycleLR: anneal_strategy must be 'cos' or 'linear', got "
                             f"{anneal_strategy!r}")
        self.total_steps, self.anneal_strategy = total_steps, anneal_strategy
        rise = pct_start * total_steps - 1
        # (last step of the phase, lr from -> to, momentum from -> to), as group keys
        self.phases = [(rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
                       (2 * rise, "max_lr", "initial_lr", "base_momentum", "max_momentum"),
                       (total_steps - 1, "initial_lr", "min_lr", "max_momentum", "max_momentum")] \
            if three_phase else \
            [(rise, "initial_lr", "max_lr", "max_momentum", "base_momentum"),
             (total_steps - 1, "max_lr", "min_lr", "base_momentum", "max_momentum")]

        self.cycle_momentum = cycle_momentum
        self.use_beta1 = "betas" in optimizer.defaults
        if cycle_momentum and not self.use_beta1 and "momentum" not in optimizer.defaults:
            raise ValueError("OneCycleLR: cycle_momentum=True needs an optimizer with momentum "
                             "or betas; pass cycle_momentum=False")
        max_lrs = _per_group(max_lr, optimizer, "max_lr")
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group.update(initial_lr=top / div_factor, max_lr=top,
                             min_lr=top / div_factor / final_div_factor)
                if cycle_momentum:
                    group.update(max_momentum=max_momentum, base_momentum=base_momentum)
                    self._set_momentum(group, max_momentum)
        super().__init__(optimizer, last_epoch)

    def _anneal(self, start, end, pct):
        if self.anneal_strategy == "cos":
            return end + (start - end) / 2 * (math.cos(math.pi * pct) + 1)
        return start + (end - start) * pct

    def _at(self, group):
        """(lr, momentum) of `group` at step last_epoch: interpolated inside its phase."""
        t, start = self.last_epoch, 0
        for i, (end, lr_from, lr_to, m_from, m_to) in enumerate(self.phases):
            if t <= end or i == len(self.phases) - 1:
                pct = (t - start) / (end - start)
                momentum = self._anneal(group[m_from], group[m_to], pct) \
                    if self.cycle_momentum else None
                return self._anneal(group[lr_from], group[lr_to], pct), momentum
            start = end

    def get_lr(self):
        if self.last_epoch > self.total_steps:
            raise ValueError(f"OneCycleLR: stepped {self.last_epoch} times, but total_steps is "
                             f"{self.total_steps}")
        return [self._at(group)[0] for group in self.optimizer.param_groups]

    def step(self):
        super().step()
        if self.cycle_momentum:
            for group in self.optimizer.param_groups:
                self._set_momentum(group, self._at(group)[1])

    def _set_momentum(self, group, value):
        if self.use_beta1:
            group["betas"] = (value, *group["betas"][1:])
        else:
            group["momentum"] = value


def _per_group(value, optimizer, name):
    groups = len(optimizer.param_groups)
    if isinstance(value, (list, tuple)):
        if len(value) != groups:
            raise ValueError(f"expected {groups} values of {name} (one per parameter group), "
                             f"got {len(value)}")
        return list(value)
    return [value] * groups


class ReduceLROnPlateau(LRScheduler):
    """Multiplies the lr by `factor` when a metric (step(metric), e.g. the validation loss) has not
    improved for more than `patience` steps, then waits `cooldown` steps before counting again.
    An improvement beats the best value so far by more than `threshold` (relative: best * (1 -
    threshold) in min mode; absolute: best - threshold). The lr never drops below min_lr, and
    changes smaller than eps are skipped."""

    def __init__(self, optimizer, mode="min", factor=0.1, patience=10, threshold=1e-4,
                 threshold_mode="rel", cooldown=0, min_lr=0.0, eps=1e-8):
        self.optimizer = _checked(optimizer, "ReduceLROnPlateau")
        if factor >= 1.0:
            raise ValueError(f"ReduceLROnPlateau: factor must be < 1, got {factor}")
        if mode not in ("min", "max") or threshold_mode not in ("rel", "abs"):
            raise ValueError(f"ReduceLROnPlateau: mode must be 'min' or 'max' and threshold_mode "
                             f"'rel' or 'abs', got {mode!r} and {threshold_mode!r}")
        self.mode, self.factor, self.patience = mode, factor, patience
        self.threshold, self.threshold_mode = threshold, threshold_mode
        self.cooldown, self.eps = cooldown, eps
        self.min_lrs = _per_group(min_lr, optimizer, "min_lr")
        self.best = math.inf if mode == "min" else -math.inf
        self.num_bad_epochs = self.cooldown_counter = self.last_epoch = 0
        self._last_lr = [group["lr"] for group in optimizer.param_groups]

    def is_better(self, value):
        rel = self.threshold_mode == "rel"
        if self.mode == "min":
            return value < (self.best * (1 - self.threshold) if rel else self.best - self.threshold)
        return value > (self.best * (1 + self.threshold) if rel else self.best + self.threshold)

    def step(self, metrics):
        value = float(metrics)
        self.last_epoch += 1
        if self.is_better(value):
            self.best, self.num_bad_epochs = value, 0
        else:
            self.num_bad_epochs += 1
        if self.cooldown_counter > 0:
            self.cooldown_counter -= 1
            self.num_bad_epochs = 0
        if self.num_bad_epochs > self.patience:
            lrs = []
            for group, floor in zip(self.optimizer.param_groups, self.min_lrs):
                new = max(group["lr"] * self.factor, floor)
                lrs.append(new if group["lr"] - new > self.eps else group["lr"])
            self._set_lrs(lrs)
            self.cooldown_counter, self.num_bad_epochs = self.cooldown, 0


class SequentialLR(LRScheduler):
    """Runs schedulers one after another, switching at the milestones (step counts); each
    starts from its own step 0: warm-up then decay,

        SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 95)], [5])
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        self.optimizer = _checked(optimizer, "SequentialLR")
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedulers) - 1} milestones for "
                             f"{len(schedulers)} schedulers, got {len(milestones)}")
        for i, s in enumerate(schedulers):
            if isinstance(s, ReduceLROnPlateau) or s.optimizer is not optimizer:
                raise ValueError(f"SequentialLR: schedulers[{i}] must be a step-count schedule "
                                 "(not ReduceLROnPlateau) of this same optimizer")
        self._schedulers, self.milestones = list(schedulers), list(milestones)
        for group in optimizer.param_groups:  # undo what making the schedulers did
            group["lr"] = group["initial_lr"]
        for s in schedulers:
            s.last_epoch -= 1
        self.last_epoch = last_epoch + 1
        schedulers[0].step()
        self._last_lr = schedulers[0].get_last_lr()

    def step(self):
        self.last_epoch += 1
        i = bisect.bisect_right(self.milestones, self.last_epoch)
        current = self._schedulers[i]
        if i > 0 and self.milestones[i - 1] == self.last_epoch:
            current.last_epoch = -1  # restart it at its own step 0
        current.step()
        self._last_lr = current.get_last_lr()

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        for s, saved in zip(self._schedulers, state.pop("_schedulers")):
            s.load_state_dict(saved)
        self.__dict__.update(state)
