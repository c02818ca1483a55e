"""Containers: modules that hold other modules (Sequential, ModuleList, ModuleDict) or
parameters (ParameterList, ParameterDict), and Identity."""
import operator
from collections import OrderedDict
from collections.abc import Mapping

from ..tensor import Tensor
from .module import Module
from .parameter import Parameter


def _position(container, idx):
    """idx (negative counts from the end) as an index into the container, or a clear error."""
    idx = operator.index(idx)
    n = len(container)
    if not -n <= idx < n:
        raise IndexError(f"{type(container).__name__}: index {idx} is out of range for "
                         f"length {n}")
    return idx % n


def _as_parameter(container, value):
    """A Tensor that is not yet a Parameter becomes one (sharing its memory), as in PyTorch."""
    if isinstance(value, Parameter):
        return value
    if isinstance(value, Tensor):
        return Parameter(value)
    raise TypeError(f"{type(container).__name__}: expected a Parameter or a Tensor, got "
                    f"{type(value).__name__}")


class _Indexed(Module):
    """Children named "0", "1", ... in order: what Sequential and ModuleList share."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def _index(self, idx):
        return _position(self, idx)

    def _renumber(self, modules):
        self._modules.clear()
        for i, m in enumerate(modules):
            self.add_module(str(i), m)

    def __getitem__(self, idx):
        items = list(self._modules.values())
        if isinstance(idx, slice):
            return type(self)(items[idx])
        return items[self._index(idx)]

    def __setitem__(self, idx, module):
        self.add_module(str(self._index(idx)), module)

    def __delitem__(self, idx):
        items = list(self._modules.values())
        del items[idx if isinstance(idx, slice) else self._index(idx)]
        self._renumber(items)

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules.values())

    def append(self, module):
        self.add_module(str(len(self)), module)
        return self

    def extend(self, modules):
        for m in modules:
            self.append(m)
        return self

    def insert(self, index, module):
        items = list(self._modules.values())
        items.insert(index, module)
        self._renumber(items)

    def pop(self, idx=-1):
        module = self[idx]
        del self[idx]
        return module

    def __iadd__(self, modules):
        return self.extend(modules)


class Sequential(_Indexed):
    """Runs its modules one after another: `Sequential(Linear(2, 8), ReLU(), Linear(8, 1))`,
    or from a dict of names to modules (the names become the state_dict prefixes)."""

    def __init__(self, *modules):
        if len(modules) == 1 and isinstance(modules[0], dict):
            super().__init__()
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            super().__init__(modules)

    def __getitem__(self, idx):
        if isinstance(idx, slice):  # keeps the original names, as PyTorch does
            return Sequential(dict(list(self._modules.items())[idx]))
        return super().__getitem__(idx)

    def forward(self, x):
        for module in self:
            x = module(x)
        return x


class ModuleList(_Indexed):
    """A list of modules whose parameters the parent registers (a plain list would hide them):
    `self.blocks = ModuleList(Block() for _ in range(4))`."""

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleList has no forward(): loop over it in your own "
                                  "module's forward")


class ModuleDict(Module):
    """A dict of modules whose parameters the parent registers: `ModuleDict({"enc": ..., })`."""

    def __init__(self, modules=None):
        super().__init__()
        if modules is not None:
            self.update(modules)

    def __getitem__(self, key):
        return self._modules[key]

    def __setitem__(self, key, module):
        self.add_module(key, module)

    def __delitem__(self, key):
        del self._modules[key]

    def __len__(self):
        return len(self._modules)

    def __iter__(self):
        return iter(self._modules)

    def __contains__(self, key):
        return key in self._modules

    def keys(self):
        return self._modules.keys()

    def values(self):
        return self._modules.values()

    def items(self):
        return self._modules.items()

    def update(self, modules):
        for key, module in (modules.items() if hasattr(modules, "items") else modules):
            self[key] = module

    def pop(self, key):
        return self._modules.pop(key)

    def clear(self):
        self._modules.clear()

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ModuleDict has no forward(): pick its modules by key in "
                                  "your own module's forward")


class ParameterList(Module):
    """A list of parameters that the parent module registers (under the keys "0", "1", ...):
    `self.scales = ParameterList(Parameter(cr.ones(n)) for n in sizes)`. Tensors become
    Parameters."""

    def __init__(self, values=None):
        super().__init__()
        if values is not None:
            self.extend(values)

    def __getitem__(self, idx):
        if isinstance(idx, slice):
            return ParameterList(list(self)[idx])
        return self._parameters[str(_position(self, idx))]

    def __setitem__(self, idx, param):
        self.register_parameter(str(_position(self, idx)), _as_parameter(self, param))

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters.values())

    def append(self, value):
        self.register_parameter(str(len(self)), _as_parameter(self, value))
        return self

    def extend(self, values):
        for value in values:
            self.append(value)
        return self

    def __iadd__(self, values):
        return self.extend(values)

    def extra_repr(self):
        return "\n".join(f"({i}): Parameter containing: [{p.dtype} of size {tuple(p.shape)}]"
                         for i, p in enumerate(self))

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterList has no forward(): use its parameters in your "
                                  "own module's forward")


class ParameterDict(Module):
    """A dict of parameters that the parent module registers under their keys (which become
    the state_dict names): `ParameterDict({"scale": Parameter(cr.ones(3))})`. Tensors become
    Parameters; the order is the order of insertion."""

    def __init__(self, parameters=None):
        super().__init__()
        if parameters is not None:
            self.update(parameters)

    def __getitem__(self, key):
        return self._parameters[key]

    def __setitem__(self, key, value):
        if not isinstance(key, str):
            raise TypeError(f"ParameterDict: keys must be strings, got {type(key).__name__}")
        self.register_parameter(key, _as_parameter(self, value))  # in place: order is kept

    def __delitem__(self, key):
        del self._parameters[key]

    def __len__(self):
        return len(self._parameters)

    def __iter__(self):
        return iter(self._parameters)

    def __reversed__(self):
        return reversed(list(self._parameters))

    def __contains__(self, key):
        return key in self._parameters

    def keys(self):
        return self._parameters.keys()

    def values(self):
        return self._parameters.values()

    def items(self):
        return self._parameters.items()

    def get(self, key, default=None):
        return self._parameters.get(key, default)

    def setdefault(self, key, default=None):
        if key not in self:
            self[key] = default
        return self[key]

    def pop(self, key):
        return self._parameters.pop(key)

    def popitem(self):
        return self._parameters.popitem()

    def clear(self):
        self._parameters.clear()

    def update(self, parameters):
        """From (key, parameter) pairs, an OrderedDict or a ParameterDict in their order, or
        from a plain dict in sorted key order (as PyTorch, from before dicts kept order)."""
        if isinstance(parameters, (OrderedDict, ParameterDict)):
            pairs = parameters.items()
        elif isinstance(parameters, Mapping):
            pairs = sorted(parameters.items())
        else:
            pairs = parameters
        for key, value in pairs:
            self[key] = value

    def copy(self):
        """A new ParameterDict holding the same Parameters."""
        return ParameterDict(self.items())

    @classmethod
    def fromkeys(cls, keys, default=None):
        """Every key holding `default` (one shared Parameter)."""
        return cls((key, default) for key in keys)

    def __or__(self, other):
        merged = self.copy()
        merged.update(other)
        return merged

    def __ror__(self, other):
        merged = ParameterDict(other)
        merged.update(self)
        return merged

    def __ior__(self, other):
        self.update(other)
        return self

    def extra_repr(self):
        return "\n".join(f"({key}): Parameter containing: [{p.dtype} of size "
                         f"{tuple(p.shape)}]" for key, p in self.items())

    def forward(self, *args, **kwargs):
        raise NotImplementedError("ParameterDict has no forward(): use its parameters in your "
                                  "own module's forward")


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a layer); ignores any
    constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
