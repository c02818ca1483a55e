"""`Module`: the base of every layer and model. Assigning a Parameter, a Module or a registered
buffer as an attribute registers it, so that `parameters()`, `state_dict()`, `to()` and `train()`
find everything a model holds without being told."""
import itertools
import warnings
from typing import NamedTuple

import numpy as np

from ..autograd import Function, is_grad_enabled
from ..backend import Device, array_module, dtypes, to_device
from ..tensor import Convertible, Tensor
from .parameter import Parameter


class Module(Convertible):
    """Subclass it, call `super().__init__()` first, assign layers and Parameters in `__init__`
    and write `forward`; call the module itself (`model(x)`), which runs the hooks around forward.

        class MLP(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc1, self.fc2 = nn.Linear(2, 8), nn.Linear(8, 1)

            def forward(self, x):
                return self.fc2(self.fc1(x).relu())
    """

    def __init__(self):
        set_ = object.__setattr__
        set_(self, "training", True)
        set_(self, "_parameters", {})
        set_(self, "_buffers", {})
        set_(self, "_non_persistent", set())
        set_(self, "_modules", {})
        set_(self, "_forward_pre_hooks", {})
        set_(self, "_forward_hooks", {})
        set_(self, "_backward_pre_hooks", {})
        set_(self, "_backward_hooks", {})
        set_(self, "_hooks_with_kwargs", set())    # ids of forward (pre-)hooks given kwargs
        set_(self, "_hooks_always_called", set())  # ids of forward hooks run even on error

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(): define "
                                  "`def forward(self, ...)` in the class")

    def __call__(self, *args, **kwargs):
        if not (self._forward_pre_hooks or self._forward_hooks or self._backward_hooks or
                self._backward_pre_hooks):
            return self.forward(*args, **kwargs)  # the common case, kept cheap: no hooks
        for key, hook in list(self._forward_pre_hooks.items()):
            if key in self._hooks_with_kwargs:
                new = hook(self, args, kwargs)
                if new is not None:
                    if not (isinstance(new, tuple) and len(new) == 2):
                        raise RuntimeError(f"a forward pre-hook registered with_kwargs=True must "
                                           f"return None or (args, kwargs), got {new!r}")
                    args, kwargs = new
            else:
                new = hook(self, args)
                if new is not None:
                    args = new if isinstance(new, tuple) else (new,)
        backward_hook = None
        if (self._backward_hooks or self._backward_pre_hooks) and is_grad_enabled():
            backward_hook = _BackwardHook(self)
            args = backward_hook.setup_inputs(args)
        out, called = None, set()
        try:
            out = self.forward(*args, **kwargs)
            for key, hook in list(self._forward_hooks.items()):
                called.add(key)
                new = self._run_forward_hook(key, hook, args, kwargs, out)
                if new is not None:
                    out = new
        except Exception:
            for key, hook in list(self._forward_hooks.items()):
                if key in self._hooks_always_called and key not in called:
                    try:
                        self._run_forward_hook(key, hook, args, kwargs, out)
                    except Exception as e:  # the first error is the one to report
                        warnings.warn(f"a forward hook with always_call=True raised {e!r}, "
                                      "ignored while the forward's own error propagates")
            raise
        return out if backward_hook is None else backward_hook.setup_outputs(out)

    def _run_forward_hook(self, key, hook, args, kwargs, out):
        if key in self._hooks_with_kwargs:
            return hook(self, args, kwargs, out)
        return hook(self, args, out)

    # ---- registration ------------------------------------------------------------------------
    def _registry(self, what):
        if "_parameters" not in self.__dict__:
            raise AttributeError(f"cannot assign {what} before Module.__init__() is called: "
                                 f"call super().__init__() first in {type(self).__name__}.__init__")
        return self.__dict__

    def _check_name(self, name, kind, table):
        if not isinstance(name, str):
            raise TypeError(f"{kind} name should be a string, got {type(name).__name__}")
        if not name or "." in name:
            raise KeyError(f"{kind} name {name!r} must be non-empty and contain no '.'")
        if hasattr(self, name) and name not in table:
            raise KeyError(f"cannot register {kind} {name!r}: the attribute already exists")

    def register_parameter(self, name, param):
        """Adds a Parameter (or None, a placeholder that state_dict skips) under `name`."""
        d = self._registry("parameters")
        self._check_name(name, "parameter", d["_parameters"])
        if param is not None and not isinstance(param, Parameter):
            raise TypeError(f"cannot assign {type(param).__name__} as parameter {name!r}: "
                            "wrap it as nn.Parameter(tensor), or use register_buffer for "
                            "tensors that are not learned")
        d["_parameters"][name] = param

    def register_buffer(self, name, tensor, persistent=True):
        """A tensor the module keeps but does not learn (running statistics, masks); it moves
        with `to()` and is in `state_dict()` unless `persistent=False`."""
        d = self._registry("buffers")
        self._check_name(name, "buffer", d["_buffers"])
        if tensor is not None and not isinstance(tensor, Tensor):
            raise TypeError(f"cannot assign {type(tensor).__name__} as buffer {name!r}: "
                            "expected a Tensor or None")
        d["_buffers"][name] = tensor
        (d["_non_persistent"].discard if persistent else d["_non_persistent"].add)(name)

    def add_module(self, name, module):
        d = self._registry("submodules")
        self._check_name(name, "module", d["_modules"])
        if module is not None and not isinstance(module, Module):
            raise TypeError(f"{type(module).__name__} is not a Module subclass")
        d["_modules"][name] = module

    register_module = add_module

    def __setattr__(self, name, value):
        d = self.__dict__
        if isinstance(value, Parameter):
            self._registry("parameters")
            self._forget(name)
            self.register_parameter(name, value)
        elif isinstance(value, Module):
            self._registry("submodules")
            self._forget(name)
            d["_modules"][name] = value
        elif name in d.get("_parameters", ()):
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as parameter {name!r}: "
                                "expected nn.Parameter or None")
            d["_parameters"][name] = None
        elif name in d.get("_modules", ()):
            if value is not None:
                raise TypeError(f"cannot assign {type(value).__name__} as child module "
                                f"{name!r}: expected a Module or None")
            d["_modules"][name] = None
        elif name in d.get("_buffers", ()):
            if value is not None and not isinstance(value, Tensor):
                raise TypeError(f"cannot assign {type(value).__name__} as buffer {name!r}: "
                                "expected a Tensor or None")
            d["_buffers"][name] = value
        else:
            object.__setattr__(self, name, value)

    def _forget(self, name):
        """Drops `name` from wherever it was, before it is registered anew."""
        d = self.__dict__
        d.pop(name, None)
        for table in ("_parameters", "_buffers", "_modules"):
            d[table].pop(name, None)
        d["_non_persistent"].discard(name)

    def __getattr__(self, name):  # only called when normal lookup fails
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if name in d.get(table, ()):
                return d[table][name]
        raise AttributeError(f"'{type(self).__name__}' object has no attribute '{name}'")

    def __delattr__(self, name):
        d = self.__dict__
        for table in ("_parameters", "_buffers", "_modules"):
            if name in d.get(table, ()):
                del d[table][name]
                d["_non_persistent"].discard(name)
                return
        object.__delattr__(self, name)

    def __dir__(self):
        return sorted(set(super().__dir__()) | set(self._parameters) | set(self._buffers)
                      | set(self._modules))

    # ---- walking the tree --------------------------------------------------------------------
    def named_modules(self, memo=None, prefix="", remove_duplicate=True):
        """(dotted name, module) for this module and every descendant, parents first."""
        if memo is None:
            memo = set()
        if remove_duplicate:
            if id(self) in memo:
                return
            memo.add(id(self))
        yield prefix, self
        for name, child in self._modules.items():
            if child is not None:
                yield from child.named_modules(memo, _join(prefix, name), remove_duplicate)

    def modules(self):
        return (m for _, m in self.named_modules())

    def named_children(self):
        seen = set()
        for name, child in self._modules.items():
            if child is not None and id(child) not in seen:
                seen.add(id(child))
                yield name, child

    def children(self):
        return (m for _, m in self.named_children())

    def _named_members(self, table, prefix, recurse, remove_duplicate=True):
        modules = self.named_modules(prefix=prefix, remove_duplicate=remove_duplicate) \
            if recurse else [(prefix, self)]
        seen = set()
        for module_prefix, module in modules:
            for name, value in getattr(module, table).items():
                if value is None or (remove_duplicate and id(value) in seen):
                    continue
                seen.add(id(value))
                yield _join(module_prefix, name), value

    def named_parameters(self, prefix="", recurse=True, remove_duplicate=True):
        """(dotted name, Parameter), each shared parameter once."""
        return self._named_members("_parameters", prefix, recurse, remove_duplicate)

    def parameters(self, recurse=True):
        return (p for _, p in self.named_parameters(recurse=recurse))

    def named_buffers(self, prefix="", recurse=True, remove_duplicate=True):
        return self._named_members("_buffers", prefix, recurse, remove_duplicate)

    def buffers(self, recurse=True):
        return (b for _, b in self.named_buffers(recurse=recurse))

    def get_parameter(self, target):
        """The parameter at a dotted path: `model.get_parameter("encoder.fc.weight")`."""
        return self._get_member("get_parameter", target, "_parameters", "parameter")

    def get_buffer(self, target):
        """The buffer at a dotted path: `model.get_buffer("bn.running_mean")`."""
        return self._get_member("get_buffer", target, "_buffers", "buffer")

    def _get_member(self, what, target, table, kind):
        path, _, name = target.rpartition(".")
        module = self.get_submodule(path)
        if not hasattr(module, name):
            raise AttributeError(f"{what}: {type(module).__name__} has no attribute {name!r} "
                                 f"(looking for {target!r})")
        if name not in getattr(module, table):
            raise AttributeError(f"{what}: {target!r} is not a {kind} of "
                                 f"{type(module).__name__}")
        return getattr(module, table)[name]

    def get_submodule(self, target):
        """The module at a dotted path: `model.get_submodule("encoder.fc")`."""
        module = self
        for part in target.split(".") if target else ():
            if part not in module._modules or module._modules[part] is None:
                raise AttributeError(f"get_submodule: {type(module).__name__} has no submodule "
                                     f"{part!r} (looking for {target!r})")
            module = module._modules[part]
        return module

    def apply(self, fn):
        """Calls fn(module) on every child (recursively), then on self: `model.apply(init_fn)`."""
        for child in self.children():
            child.apply(fn)
        fn(self)
        return self

    # ---- modes and gradients -----------------------------------------------------------------
    def train(self, mode=True):
        """Training mode (dropout active, batch norm uses batch statistics) for self and every
        descendant; `eval()` is train(False)."""
        if not isinstance(mode, bool):
            raise ValueError(f"train: mode is expected to be a bool, got {type(mode).__name__}")
        for module in self.modules():
            object.__setattr__(module, "training", mode)
        return self

    def eval(self):
        return self.train(False)

    def requires_grad_(self, requires_grad=True):
        for p in self.parameters():
            p.requires_grad_(requires_grad)
        return self

    def zero_grad(self, set_to_none=True):
        zero_grads(self.parameters(), set_to_none)

    # ---- dtype and device --------------------------------------------------------------------
    def to(self, *args, dtype=None, device=None, non_blocking=False):
        """Moves and/or casts every parameter and buffer in place (the Parameter objects stay the
        same, so an optimizer made earlier keeps working): `model.to("cuda")`,
        `model.to(cr.float64)`, `model.to("cuda", cr.float16)`, `model.to(tensor)` (its dtype
        and device). Only floating-point tensors change dtype. Copies are synchronous, so
        `non_blocking` changes nothing."""
        for a in args:
            if isinstance(a, (str, Device)):
                device = a
            elif isinstance(a, Tensor):
                dtype, device = a.dtype, a.device
            else:
                dtype = a
        dtype = dtypes.as_dtype(dtype)
        if dtype is not None and not dtypes.is_floating(dtype):
            raise TypeError(f"Module.to: only floating-point dtypes are allowed, got {dtype}")

        def convert(array):
            if dtype is not None and array.dtype.kind == "f":
                array = array.astype(dtype, copy=False)
            return to_device(array, device) if device is not None else array
        return self._apply(convert)

    def _apply(self, convert):
        for t in itertools.chain(self.parameters(), self.buffers()):
            new = convert(t.array)
            if new is not t.array:
                t.array = new
                t._bump()
            if t.grad is not None:
                t.grad = Tensor.wrap(convert(t.grad.array))
        return self

    # ---- state dict --------------------------------------------------------------------------
    def state_dict(self, prefix="", keep_vars=False, *, destination=None):
        """Every parameter and persistent buffer by dotted name (`encoder.fc.weight`), sharing
        memory with the model (copy it to keep a snapshot, or save it with cr.save); added to
        `destination` if given."""
        out = {} if destination is None else destination
        self._save_to_state_dict(out, prefix, keep_vars)
        return out

    def _save_to_state_dict(self, out, prefix, keep_vars):
        for name, p in self._parameters.items():
            if p is not None:
                out[prefix + name] = p if keep_vars else p.detach()
        for name, b in self._buffers.items():
            if b is not None and name not in self._non_persistent:
                out[prefix + name] = b if keep_vars else b.detach()
        for name, child in self._modules.items():
            if child is not None:
                child._save_to_state_dict(out, prefix + name + ".", keep_vars)

    def load_state_dict(self, state_dict, strict=True, assign=False):
        """Copies values from `state_dict` into the parameters and buffers (cast to their dtype,
        moved to their device); with `assign`, the model takes the state dict's tensors
        themselves instead (a parameter stays a Parameter, with its requires_grad). Nothing is
        changed unless every key can be loaded: missing and unexpected keys (when strict) and
        shape mismatches (always) are listed in one error. Returns (missing_keys,
        unexpected_keys)."""
        targets = self.state_dict(keep_vars=True)
        arrays = {k: v.array if isinstance(v, Tensor) else np.asarray(v)
                  for k, v in state_dict.items() if k in targets}
        missing = [k for k in targets if k not in state_dict]
        unexpected = [k for k in state_dict if k not in targets]
        mismatched = [f"size mismatch for {k}: the checkpoint has shape {a.shape}, the model "
                      f"has shape {targets[k].shape}"
                      for k, a in arrays.items() if a.shape != targets[k].shape]
        problems = []
        if strict and missing:
            problems.append("Missing key(s): " + ", ".join(map(repr, missing)) + ".")
        if strict and unexpected:
            problems.append("Unexpected key(s): " + ", ".join(map(repr, unexpected)) + ".")
        problems += mismatched
        if problems:
            raise RuntimeError(f"Error(s) in loading state_dict for {type(self).__name__}:\n  "
                               + "\n  ".join(problems))
        for key, array in arrays.items():
            if assign:
                self._assign(key, state_dict[key], targets[key])
                continue
            target = targets[key]
            target.array[...] = to_device(array, target.device).astype(target.dtype, copy=False)
            target._bump()
        return IncompatibleKeys(missing, unexpected)

    def _assign(self, key, value, target):
        """load_state_dict(assign=True): puts `value` itself where `target` was."""
        path, _, name = key.rpartition(".")
        module = self.get_submodule(path)
        value = value if isinstance(value, Tensor) else Tensor(value)
        if isinstance(target, Parameter):
            value = Parameter(value, requires_grad=target.requires_grad)
            module._parameters[name] = value
        else:
            module._buffers[name] = value

    # ---- hooks -------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook, *, prepend=False, with_kwargs=False):
        """hook(module, args) runs before forward; it may return new args (a tuple, or a single
        value). With `with_kwargs`, hook(module, args, kwargs) may return (args, kwargs).
        `prepend` runs it before the hooks already there. Returns a handle; handle.remove()
        unregisters the hook."""
        return RemovableHandle(self._forward_pre_hooks, hook, prepend,
                               [self._hooks_with_kwargs] if with_kwargs else ())

    def register_forward_hook(self, hook, *, prepend=False, with_kwargs=False,
                              always_call=False):
        """hook(module, args, output) runs after forward; it may return a replacement output.
        With `with_kwargs` it is hook(module, args, kwargs, output); with `always_call` it runs
        even when forward raises (given output None). Returns a handle."""
        flags = [s for s, on in ((self._hooks_with_kwargs, with_kwargs),
                                 (self._hooks_always_called, always_call)) if on]
        return RemovableHandle(self._forward_hooks, hook, prepend, flags)

    def register_full_backward_pre_hook(self, hook, prepend=False):
        """hook(module, grad_output) runs when the gradients of the module's outputs are known
        (grad_output: one per output, None where none); it may return a new grad_output."""
        return RemovableHandle(self._backward_pre_hooks, hook, prepend)

    def register_full_backward_hook(self, hook, prepend=False):
        """hook(module, grad_input, grad_output) runs when the gradients of the module's
        positional inputs are known (grad_input: one per positional argument, None where the
        argument is not a tensor that requires grad); it may return a new grad_input."""
        return RemovableHandle(self._backward_hooks, hook, prepend)

    # ---- printing ----------------------------------------------------------------------------
    def extra_repr(self):
        """The text inside the parentheses of this module's repr (layers override it)."""
        return ""

    def __repr__(self):
        total = _count(self.parameters())
        trainable = _count(p for p in self.parameters() if p.requires_grad)
        if not total:
            return self._repr_body()
        counts = f"{trainable:,} trainable parameters" if total == trainable else \
            f"{total:,} parameters, {trainable:,} trainable"
        return self._repr_body() + "  # " + counts

    def _repr_body(self):
        """PyTorch's nested layout; each child with parameters carries its count."""
        extra = self.extra_repr()
        lines = extra.split("\n") if extra else []
        for name, child in self._modules.items():
            body = "None" if child is None else child._repr_body()
            n = 0 if child is None else _count(child.parameters())
            if n:
                body += f"  # {n:,} parameters"
            lines.append(f"({name}): " + body.replace("\n", "\n  "))
        if not self._modules and len(lines) <= 1:
            return f"{type(self).__name__}({''.join(lines)})"
        return type(self).__name__ + "(\n  " + "\n  ".join(lines) + "\n)"


class IncompatibleKeys(NamedTuple):
    missing_keys: list
    unexpected_keys: list


class RemovableHandle:
    """What register_*_hook returns: `handle.remove()`, or use it as a context manager.
    `flags` are sets of hook ids (with_kwargs, always_call) that the hook belongs to."""
    _ids = itertools.count()

    def __init__(self, hooks, hook, prepend=False, flags=()):
        self.hooks, self.id, self.flags = hooks, next(RemovableHandle._ids), flags
        if prepend:  # a dict keeps insertion order: put this one first, in place
            rest = list(hooks.items())
            hooks.clear()
            hooks[self.id] = hook
            hooks.update(rest)
        else:
            hooks[self.id] = hook
        for flag in flags:
            flag.add(self.id)

    def remove(self):
        self.hooks.pop(self.id, None)
        for flag in self.flags:
            flag.discard(self.id)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _HookedIdentity(Function):
    """Passes tensors through unchanged; its backward hands their gradients to `on_grads`,
    which may replace them. Wrapped around a module's inputs and outputs, it is where full
    backward hooks see the module's gradients."""

    @staticmethod
    def forward(ctx, on_grads, *tensors):
        ctx.on_grads = on_grads
        return tensors

    @staticmethod
    def backward(ctx, *grads):
        return (None,) + tuple(ctx.on_grads(grads))


class _BackwardHook:
    """One call of a module with full backward hooks: the gradients of its outputs reach the
    pre-hooks (and are kept), then those of its inputs reach the hooks."""

    def __init__(self, module):
        self.module = module
        self.n_inputs = self.n_outputs = 0
        self.input_positions = self.output_positions = ()
        self.constant_inputs = ()  # (position, tensor) of the inputs that need no grad
        self.grad_outputs = None

    @staticmethod
    def _through_identity(values, on_grads):
        """values, with each tensor that requires grad passed through one _HookedIdentity
        node; and their positions."""
        positions = [i for i, v in enumerate(values) if isinstance(v, Tensor) and v.requires_grad]
        if not positions:
            return tuple(values), positions
        passed = _HookedIdentity.apply(on_grads, *(values[i] for i in positions))
        values = list(values)
        for i, t in zip(positions, passed):
            values[i] = t
        return tuple(values), positions

    @staticmethod
    def _spread(positions, grads, n):
        full = [None] * n
        for i, g in zip(positions, grads):
            full[i] = g
        return tuple(full)

    def setup_inputs(self, args):
        self.n_inputs = len(args)
        self.constant_inputs = [(i, a) for i, a in enumerate(args)
                                if isinstance(a, Tensor) and not a.requires_grad]
        args, self.input_positions = self._through_identity(args, self._on_input_grads)
        return args

    def setup_outputs(self, out):
        outs = out if isinstance(out, tuple) else (out,)
        self.n_outputs = len(outs)
        outs, self.output_positions = self._through_identity(outs, self._on_output_grads)
        return outs if isinstance(out, tuple) else outs[0]

    def _on_output_grads(self, grads):
        grad_outputs = self._spread(self.output_positions, grads, self.n_outputs)
        for hook in list(self.module._backward_pre_hooks.values()):
            new = hook(self.module, grad_outputs)
            if new is not None:
                grad_outputs = _checked_grads("backward pre-hook", "grad_output", new,
                                              self.n_outputs)
        self.grad_outputs = grad_outputs
        if not self.input_positions:  # no input needs a gradient: the hooks see Nones now
            self._run_hooks(self._spread((), (), self.n_inputs))
        return [grad_outputs[i] for i in self.output_positions]

    def _on_input_grads(self, grads):
        """The hooks see zeros for the tensor inputs that need no grad, as PyTorch's do."""
        grad_inputs = list(self._spread(self.input_positions, grads, self.n_inputs))
        for i, t in self.constant_inputs:
            grad_inputs[i] = Tensor.wrap(array_module(t.array).zeros_like(t.array))
        grad_inputs = self._run_hooks(tuple(grad_inputs))
        return [grad_inputs[i] for i in self.input_positions]

    def _run_hooks(self, grad_inputs):
        for hook in list(self.module._backward_hooks.values()):
            new = hook(self.module, grad_inputs, self.grad_outputs)
            if new is not None:
                grad_inputs = _checked_grads("backward hook", "grad_input", new, self.n_inputs)
        return grad_inputs


def _checked_grads(what, name, new, n):
    new = tuple(new) if isinstance(new, (tuple, list)) else (new,)
    if len(new) != n:
        raise RuntimeError(f"a {what} returned {len(new)} values for {name}, expected {n} "
                           f"(one per {'input' if name == 'grad_input' else 'output'})")
    return new


def zero_grads(params, set_to_none=True):
    """Forgets (or zeroes in place) the .grad of each tensor: shared by Module and Optimizer."""
    for p in params:
        if p.grad is None:
            continue
        if set_to_none:
            p.grad = None
        else:
            p.grad = p.grad.detach()
            p.grad.array[...] = 0


def _join(prefix, name):
    return f"{prefix}.{name}" if prefix else name


def _count(params):
    return sum(p.numel() for p in params)
