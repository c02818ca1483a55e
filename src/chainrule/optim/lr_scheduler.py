"""Learning-rate schedules. Call `scheduler.step()` once per epoch (or per batch, for OneCycleLR),
after `optimizer.step()`; it sets the lr of every parameter group.

Each schedule is written in closed form: the lr after t calls of step() is a function of the
group's base lr (its lr when the first scheduler was made, kept as group["initial_lr"]) and t,
so a schedule can be restarted, resumed from a state dict or read at any step."""
import bisect
import math

from .optimizer import Optimizer

__all__ = ["LRScheduler", "StepLR", "MultiStepLR", "ExponentialLR", "CosineAnnealingLR",
           "LinearLR", "LambdaLR", "OneCycleLR", "ReduceLROnPlateau", "SequentialLR",
           "ConstantLR", "PolynomialLR", "MultiplicativeLR", "CosineAnnealingWarmRestarts",
           "CyclicLR", "ChainedScheduler"]


class LRScheduler:
    """Base class: subclasses give `get_lr()`, the lrs at step `self.last_epoch`. Making a
    scheduler applies the lr of step 0."""
    unsaved = ("optimizer", "lr_lambdas")  # attributes that state_dict() leaves out

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
        """Everything but the optimizer (and user functions, which cannot be saved)."""
        return {k: v for k, v in self.__dict__.items() if k not in self.unsaved}

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
        self.lr_lambdas = _lambdas(optimizer, lr_lambda, "LambdaLR")
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        return [base * f(self.last_epoch) for base, f in zip(self.base_lrs, self.lr_lambdas)]


def _lambdas(optimizer, lr_lambda, name):
    """One function per parameter group: the given list, or the one function for every group."""
    groups = len(_checked(optimizer, name).param_groups)
    lambdas = list(lr_lambda) if isinstance(lr_lambda, (list, tuple)) else [lr_lambda] * groups
    if len(lambdas) != groups:
        raise ValueError(f"{name}: expected {groups} lr_lambdas (one per parameter group), "
                         f"got {len(lambdas)}")
    for f in lambdas:
        if not callable(f):
            raise TypeError(f"{name}: lr_lambda should be a function, got {type(f).__name__}")
    return lambdas


class MultiplicativeLR(LRScheduler):
    """Multiplies the lr by lr_lambda(t) at each step t >= 1 (one function, or one per group):
    lr = base_lr * lr_lambda(1) * ... * lr_lambda(t). The product so far is kept (`factors`),
    since the functions are not saved with the state."""

    def __init__(self, optimizer, lr_lambda, last_epoch=-1):
        self.lr_lambdas = _lambdas(optimizer, lr_lambda, "MultiplicativeLR")
        self.factors = [1.0] * len(self.lr_lambdas)
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        if self.last_epoch > 0:
            self.factors = [factor * f(self.last_epoch)
                            for factor, f in zip(self.factors, self.lr_lambdas)]
        return [base * factor for base, factor in zip(self.base_lrs, self.factors)]


class ConstantLR(LRScheduler):
    """lr = base_lr * factor for the first total_iters steps, then base_lr."""

    def __init__(self, optimizer, factor=1.0 / 3, total_iters=5, last_epoch=-1):
        if not 0 <= factor <= 1:
            raise ValueError(f"ConstantLR: factor must be in [0, 1], got {factor}")
        self.factor, self.total_iters = factor, total_iters
        super().__init__(optimizer, last_epoch)

    def lr_factor(self, t):
        return self.factor if t < self.total_iters else 1.0


class PolynomialLR(LRScheduler):
    """lr = base_lr * (1 - min(t, total_iters) / total_iters) ** power: down to 0 in total_iters
    steps (linearly when power = 1)."""

    def __init__(self, optimizer, total_iters=5, power=1.0, last_epoch=-1):
        if total_iters < 1:
            raise ValueError(f"PolynomialLR: total_iters must be >= 1, got {total_iters}")
        self.total_iters, self.power = total_iters, power
        super().__init__(optimizer, last_epoch)

    def lr_factor(self, t):
        return (1.0 - min(self.total_iters, t) / self.total_iters) ** self.power


class CosineAnnealingLR(LRScheduler):
    """lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * t / T_max)) / 2 (Loshchilov & Hutter,
    SGDR, without restarts): half a cosine down to eta_min in T_max steps, then back up."""

    def __init__(self, optimizer, T_max, eta_min=0.0, last_epoch=-1):
        self.T_max, self.eta_min = T_max, eta_min
        super().__init__(optimizer, last_epoch)

    def get_lr(self):
        c = (1 + math.cos(math.pi * self.last_epoch / self.T_max)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]


class CosineAnnealingWarmRestarts(LRScheduler):
    """SGDR (Loshchilov & Hutter, 2017): a cosine from base_lr down to eta_min over a cycle of
    T_i steps, then a restart; the first cycle lasts T_0 steps, each next one T_mult times longer:

        lr = eta_min + (base_lr - eta_min) * (1 + cos(pi * T_cur / T_i)) / 2

    with T_cur the steps since the last restart. step(epoch) jumps to an epoch, which may be
    fractional (epoch + i / batches_per_epoch, to anneal within an epoch)."""

    def __init__(self, optimizer, T_0, T_mult=1, eta_min=0.0, last_epoch=-1):
        if not isinstance(T_0, int) or T_0 <= 0:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_0 must be a positive integer, got "
                             f"{T_0!r}")
        if not isinstance(T_mult, int) or T_mult < 1:
            raise ValueError(f"CosineAnnealingWarmRestarts: T_mult must be an integer >= 1, got "
                             f"{T_mult!r}")
        self.T_0, self.T_mult, self.eta_min = T_0, T_mult, eta_min
        self.T_i, self.T_cur = T_0, last_epoch
        super().__init__(optimizer, last_epoch)

    def _cycle(self, epoch):
        """(T_cur, T_i): how far into its cycle `epoch` is, and that cycle's length."""
        if self.T_mult == 1:
            return epoch % self.T_0, self.T_0
        start, length = 0, self.T_0
        while epoch >= start + length:
            start, length = start + length, length * self.T_mult
        return epoch - start, length

    def get_lr(self):
        c = (1 + math.cos(math.pi * self.T_cur / self.T_i)) / 2
        return [self.eta_min + (base - self.eta_min) * c for base in self.base_lrs]

    def step(self, epoch=None):
        if epoch is None:
            epoch = self.last_epoch + 1
        elif epoch < 0:
            raise ValueError(f"CosineAnnealingWarmRestarts.step: epoch must be >= 0, got {epoch}")
        self.T_cur, self.T_i = self._cycle(epoch)
        self.last_epoch = math.floor(epoch)
        self._set_lrs(self.get_lr())


def _momentum_uses_beta1(optimizer, name):
    """Whether cycling the momentum means Adam's beta1 (else SGD's momentum)."""
    if "betas" not in optimizer.defaults and "momentum" not in optimizer.defaults:
        raise ValueError(f"{name}: cycle_momentum=True needs an optimizer with momentum or betas;"
                         " pass cycle_momentum=False")
    return "betas" in optimizer.defaults


def _set_momentum(group, value, use_beta1):
    if use_beta1:
        group["betas"] = (value, *group["betas"][1:])
    else:
        group["momentum"] = value


class CyclicLR(LRScheduler):
    """Smith's cyclical learning rates, stepped once per batch: the lr climbs from base_lr to
    max_lr in step_size_up steps and back down in step_size_down (default: as many), the
    height of the triangle scaled by

        triangular: 1,   triangular2: 1 / 2 ** (cycle - 1),   exp_range: gamma ** step

    or by scale_fn(cycle) (scale_mode="cycle", cycles counted from 1) or scale_fn(step)
    (scale_mode="iterations"). With cycle_momentum, the momentum (or Adam's beta1) moves the
    opposite way, between max_momentum and base_momentum."""
    modes = ("triangular", "triangular2", "exp_range")
    unsaved = LRScheduler.unsaved + ("custom_scale_fn",)

    def __init__(self, optimizer, base_lr, max_lr, step_size_up=2000, step_size_down=None,
                 mode="triangular", gamma=1.0, scale_fn=None, scale_mode="cycle",
                 cycle_momentum=True, base_momentum=0.8, max_momentum=0.9, last_epoch=-1):
        _checked(optimizer, "CyclicLR")
        if scale_fn is None and mode not in self.modes:
            raise ValueError(f"CyclicLR: mode must be one of {self.modes} (or give scale_fn), got "
                             f"{mode!r}")
        base_lrs = _per_group(base_lr, optimizer, "base_lr")
        if last_epoch == -1:
            for group, lr in zip(optimizer.param_groups, base_lrs):
                group["lr"] = lr
        self.max_lrs = _per_group(max_lr, optimizer, "max_lr")
        up = float(step_size_up)
        down = up if step_size_down is None else float(step_size_down)
        self.total_size, self.step_ratio = up + down, up / (up + down)
        self.mode, self.gamma, self.custom_scale_fn = mode, gamma, scale_fn
        self.scale_mode = scale_mode if scale_fn is not None else \
            "iterations" if mode == "exp_range" else "cycle"
        self.cycle_momentum = cycle_momentum
        if cycle_momentum:
            self.use_beta1 = _momentum_uses_beta1(optimizer, "CyclicLR")
            self.base_momentums = _per_group(base_momentum, optimizer, "base_momentum")
            self.max_momentums = _per_group(max_momentum, optimizer, "max_momentum")
            if last_epoch == -1:
                for group, low, top in zip(optimizer.param_groups, self.base_momentums,
                                           self.max_momentums):
                    _set_momentum(group, top, self.use_beta1)
                    group.update(base_momentum=low, max_momentum=top)
        super().__init__(optimizer, last_epoch)
        self.base_lrs = base_lrs

    def scale_fn(self, x):
        if self.custom_scale_fn is not None:
            return self.custom_scale_fn(x)
        if self.mode == "triangular":
            return 1.0
        if self.mode == "triangular2":
            return 1 / 2.0 ** (x - 1)
        return self.gamma ** x

    def _height(self):
        """Where step last_epoch is between the bottom (0) and the top (1), times the scale."""
        cycle = math.floor(1 + self.last_epoch / self.total_size)
        x = 1.0 + self.last_epoch / self.total_size - cycle
        rise = x / self.step_ratio if x <= self.step_ratio else (x - 1) / (self.step_ratio - 1)
        return rise * self.scale_fn(cycle if self.scale_mode == "cycle" else self.last_epoch)

    def get_lr(self):
        h = self._height()
        return [low + (top - low) * h for low, top in zip(self.base_lrs, self.max_lrs)]

    def step(self):
        super().step()
        if self.cycle_momentum:
            h = self._height()
            for group, low, top in zip(self.optimizer.param_groups, self.base_momentums,
                                       self.max_momentums):
                _set_momentum(group, top - (top - low) * h, self.use_beta1)


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
        if cycle_momentum:
            _momentum_uses_beta1(optimizer, "OneCycleLR")
        max_lrs = _per_group(max_lr, optimizer, "max_lr")
        if last_epoch == -1:
            for group, top in zip(optimizer.param_groups, max_lrs):
                group.update(initial_lr=top / div_factor, max_lr=top,
                             min_lr=top / div_factor / final_div_factor)
                if cycle_momentum:
                    group.update(max_momentum=max_momentum, base_momentum=base_momentum)
                    _set_momentum(group, max_momentum, self.use_beta1)
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
                _set_momentum(group, self._at(group)[1], self.use_beta1)


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


class _Composite(LRScheduler):
    """A scheduler made of schedulers of one optimizer; its state dict holds theirs."""

    def _take(self, schedulers, optimizer):
        name = type(self).__name__
        self.optimizer = _checked(optimizer, name)
        for i, s in enumerate(schedulers):
            if isinstance(s, ReduceLROnPlateau) or s.optimizer is not optimizer:
                raise ValueError(f"{name}: schedulers[{i}] must be a step-count schedule "
                                 "(not ReduceLROnPlateau) of this same optimizer")
        self._schedulers = list(schedulers)

    def state_dict(self):
        state = {k: v for k, v in self.__dict__.items() if k not in ("optimizer", "_schedulers")}
        state["_schedulers"] = [s.state_dict() for s in self._schedulers]
        return state

    def load_state_dict(self, state_dict):
        state = dict(state_dict)
        for s, saved in zip(self._schedulers, state.pop("_schedulers")):
            s.load_state_dict(saved)
        self.__dict__.update(state)


class ChainedScheduler(_Composite):
    """Applies several schedules at once, stepping them together: the first one's lr times the
    factor (lr / base_lr) of each of the others, as ChainedScheduler([ConstantLR(opt, 0.1,
    total_iters=3), ExponentialLR(opt, 0.9)]) gives base_lr * 0.1 * 0.9 ** t, then base_lr * 0.9 **
    t. (PyTorch instead lets a later non-multiplicative schedule, like LambdaLR, overwrite what
    came before it.)"""

    def __init__(self, schedulers, optimizer=None):
        if not schedulers:
            raise ValueError("ChainedScheduler: expected at least one scheduler, got none")
        self._take(schedulers, optimizer or schedulers[0].optimizer)
        self._set_lrs(self._combined())

    def _combined(self):
        first, *others = self._schedulers
        lrs = first.get_last_lr()
        for s in others:
            lrs = [lr * (last / base) if base else 0.0
                   for lr, last, base in zip(lrs, s.get_last_lr(), s.base_lrs)]
        return lrs

    def step(self):
        for s in self._schedulers:
            s.step()
        self._set_lrs(self._combined())


class SequentialLR(_Composite):
    """Runs schedulers one after another, switching at the milestones (step counts); each
    starts from its own step 0: warm-up then decay,

        SequentialLR(opt, [LinearLR(opt, 0.1, total_iters=5), CosineAnnealingLR(opt, 95)], [5])
    """

    def __init__(self, optimizer, schedulers, milestones, last_epoch=-1):
        if len(milestones) != len(schedulers) - 1:
            raise ValueError(f"SequentialLR: expected {len(schedulers) - 1} milestones for "
                             f"{len(schedulers)} schedulers, got {len(milestones)}")
        self._take(schedulers, optimizer)
        self.milestones = list(milestones)
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
