"""`Optimizer`: parameter groups, per-parameter state, zero_grad, step(closure) and a state dict
that resumes training exactly. Each optimizer only writes `update`, the rule for one parameter,
on raw arrays (NumPy or CuPy, in place): no graph is built and no Python loop runs per element."""
import copy

from ..autograd import enable_grad
from ..backend import array_module, to_device
from ..nn.module import zero_grads
from ..tensor import Tensor


class Optimizer:
    """`params` is an iterable of tensors, or of dicts (parameter groups) each holding "params"
    and any options that differ from the defaults:

        SGD([{"params": model.body.parameters()},
             {"params": model.head.parameters(), "lr": 1e-3}], lr=1e-2, momentum=0.9)
    """

    def __init__(self, params, defaults):
        self.defaults = defaults
        self.state = {}  # parameter -> dict ("step" and the optimizer's buffers)
        self.param_groups = []
        if isinstance(params, Tensor):
            raise TypeError(f"{type(self).__name__}: params should be an iterable of Tensors "
                            "or dicts, got a single Tensor; wrap it in a list")
        groups = list(params)
        if not groups:
            raise ValueError(f"{type(self).__name__} got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, group):
        """Adds a group of parameters with its own options (e.g. a new layer to fine-tune)."""
        if not isinstance(group, dict):
            raise TypeError(f"add_param_group: expected a dict, got {type(group).__name__}")
        params = group["params"]
        params = [params] if isinstance(params, Tensor) else list(params)
        for p in params:
            if not isinstance(p, Tensor):
                raise TypeError(f"{type(self).__name__} can only optimize Tensors, got "
                                f"{type(p).__name__}")
            if not p.is_leaf:
                raise ValueError(f"{type(self).__name__} can only optimize leaf tensors; this "
                                 f"one was computed by {p.grad_fn.name}")
        taken = {id(p) for g in self.param_groups for p in g["params"]}
        if len({id(p) for p in params}) != len(params) or taken & {id(p) for p in params}:
            raise ValueError(f"{type(self).__name__}: some parameters appear more than once "
                             "(within a group or in two groups); each may be optimized once")
        self.param_groups.append({**self.defaults, **group, "params": params})

    def zero_grad(self, set_to_none=True):
        """Forgets the gradients (None) so that the next backward starts afresh."""
        zero_grads((p for g in self.param_groups for p in g["params"]), set_to_none)

    def step(self, closure=None):
        """One update of every parameter that has a gradient. `closure` (optional) recomputes
        the loss with gradients (zero_grad, forward, backward) and returns it."""
        loss = None
        if closure is not None:
            with enable_grad():
                loss = closure()
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state.setdefault(p, {"step": 0})
                state["step"] += 1
                g = p.grad.array
                self.update(p.array, -g if group.get("maximize") else g, state, group)
                p._bump()
        return loss

    def update(self, p, g, state, group):
        """Updates the raw array `p` in place from its gradient `g` (already negated when
        maximizing), its `state` (state["step"] counts from 1) and its group's options."""
        raise NotImplementedError

    @staticmethod
    def buffer(state, name, like, fill=0.0):
        """The state array `name` (a Tensor in `state`, so that users see Tensors), created
        filled with `fill` on the first step."""
        if name not in state:
            state[name] = Tensor.wrap(array_module(like).full_like(like, fill))
        return state[name].array

    # ---- state dict --------------------------------------------------------------------------
    def state_dict(self):
        """{"state": {index: per-parameter state}, "param_groups": [options with "params" as
        indices]}: parameters are numbered in group order, so the dict holds no parameter
        itself and loads into an optimizer over a fresh copy of the model."""
        index = {}
        groups = []
        for group in self.param_groups:
            ids = []
            for p in group["params"]:
                ids.append(index.setdefault(id(p), len(index)))
            groups.append({**group, "params": ids})
        params = [p for g in self.param_groups for p in g["params"]]
        state = {index[id(p)]: dict(self.state[p]) for p in params if p in self.state}
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict):
        """Takes options and per-parameter state (copied, cast to each parameter's dtype and
        device) from `state_dict`, which must come from an optimizer over the same number and
        grouping of parameters."""
        saved_groups = state_dict["param_groups"]
        if len(saved_groups) != len(self.param_groups):
            raise ValueError(f"load_state_dict: the saved state has {len(saved_groups)} parameter "
                             f"groups, this optimizer has {len(self.param_groups)}")
        for i, (saved, group) in enumerate(zip(saved_groups, self.param_groups)):
            if len(saved["params"]) != len(group["params"]):
                raise ValueError(f"load_state_dict: parameter group {i} has "
                                 f"{len(saved['params'])} parameters in the saved state but "
                                 f"{len(group['params'])} here")
        by_index = {}
        for saved, group in zip(saved_groups, self.param_groups):
            by_index.update(zip(saved["params"], group["params"]))
        self.state = {}
        for key, values in state_dict["state"].items():
            p = by_index[int(key)]
            self.state[p] = {name: _like_param(v, p) for name, v in values.items()}
        self.param_groups = [{**copy.deepcopy({k: v for k, v in saved.items() if k != "params"}),
                              "params": group["params"]}
                             for saved, group in zip(saved_groups, self.param_groups)]

    def __repr__(self):
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            lines += [f"    {k}: {v}" for k, v in sorted(group.items()) if k != "params"]
        return "\n".join(lines) + "\n)"


def _like_param(value, p):
    """A copy of a state value: floating tensors take the parameter's dtype and device."""
    if not isinstance(value, Tensor):
        return copy.deepcopy(value)
    array = to_device(value.array, p.device)
    array = array.astype(p.dtype) if array.dtype.kind == "f" else array.copy()
    return Tensor.wrap(array)


def check_nonnegative(optimizer, **options):
    """Raises a ValueError naming the first option that is negative."""
    for name, value in options.items():
        if value < 0:
            raise ValueError(f"{optimizer}: {name} must be >= 0, got {value}")
