"""`Module`: the base of every layer and model. Assigning a Parameter, a Module or a registered
buffer as an attribute registers it, so that `parameters()`, `state_dict()`, `to()` and `train()`
find everything a model holds without being told."""
import itertools
from typing import NamedTuple

import numpy as np

from ..backend import Device, dtypes, to_device
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

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} has no forward(): define "
                                  "`def forward(self, ...)` in the class")

    def __call__(self, *args, **kwargs):
        for hook in list(self._forward_pre_hooks.values()):
            new = hook(self, args)
            if new is not None:
                args = new if isinstance(new, tuple) else (new,)
        out = self.forward(*args, **kwargs)
        for hook in list(self._forward_hooks.values()):
            new = hook(self, args, out)
            if new is not None:
                out = new
        return out

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
    def to(self, *args, dtype=None, device=None):
        """Moves and/or casts every parameter and buffer in place (the Parameter objects stay the
        same, so an optimizer made earlier keeps working): `model.to("cuda")`,
        `model.to(cr.float64)`. Only floating-point tensors change dtype."""
        for a in args:
            if isinstance(a, (str, Device)):
                device = a
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
    def state_dict(self, prefix="", keep_vars=False):
        """Every parameter and persistent buffer by dotted name (`encoder.fc.weight`), sharing
        memory with the model (copy it to keep a snapshot, or save it with cr.save)."""
        out = {}
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

    def load_state_dict(self, state_dict, strict=True):
        """Copies values from `state_dict` into the parameters and buffers (cast to their dtype,
        moved to their device). Nothing is changed unless every key can be loaded: missing and
        unexpected keys (when strict) and shape mismatches (always) are listed in one error.
        Returns (missing_keys, unexpected_keys)."""
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
            target = targets[key]
            target.array[...] = to_device(array, target.device).astype(target.dtype, copy=False)
            target._bump()
        return IncompatibleKeys(missing, unexpected)

    # ---- hooks -------------------------------------------------------------------------------
    def register_forward_pre_hook(self, hook):
        """hook(module, args) runs before forward; it may return new args (a tuple, or a single
        value). Returns a handle; handle.remove() unregisters the hook."""
        return RemovableHandle(self._forward_pre_hooks, hook)

    def register_forward_hook(self, hook):
        """hook(module, args, output) runs after forward; it may return a replacement output.
        Returns a handle; handle.remove() unregisters the hook."""
        return RemovableHandle(self._forward_hooks, hook)

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
    """What register_*_hook returns: `handle.remove()`, or use it as a context manager."""
    _ids = itertools.count()

    def __init__(self, hooks, hook):
        self.hooks, self.id = hooks, next(RemovableHandle._ids)
        hooks[self.id] = hook

    def remove(self):
        self.hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


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
