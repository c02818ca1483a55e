"""Containers: modules that hold other modules (Sequential, ModuleList, ModuleDict) and Identity."""
import operator

from .module import Module


class _Indexed(Module):
    """Children named "0", "1", ... in order: what Sequential and ModuleList share."""

    def __init__(self, modules=()):
        super().__init__()
        self.extend(modules)

    def _index(self, idx):
        idx = operator.index(idx)
        n = len(self)
        if not -n <= idx < n:
            raise IndexError(f"{type(self).__name__}: index {idx} is out of range for "
                             f"length {n}")
        return idx % n

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


class Identity(Module):
    """Returns its input unchanged (a placeholder, e.g. to remove a layer); ignores any
    constructor arguments."""

    def __init__(self, *args, **kwargs):
        super().__init__()

    def forward(self, x):
        return x
