"""Parametrizations: a module's tensor computed on each access from other tensors, as
`module.weight = parametrization(original)`, so that what is learned is `original` while the
module, unchanged, sees the constrained weight.

How: the module's class is swapped for a subclass (`ParametrizedLinear`) in which `weight` is a
property, and the originals live in `module.parametrizations.weight` (a ParametrizationList), so
state dict keys are `parametrizations.weight.original` (or `original0`, `original1`, ... when
the parametrization's right_inverse returns several tensors), as in PyTorch."""
import contextlib

from ...autograd import no_grad
from ...tensor import Tensor
from ..containers import ModuleDict, ModuleList
from ..parameter import Parameter

__all__ = ["register_parametrization", "remove_parametrizations", "is_parametrized", "cached",
           "type_before_parametrizations", "ParametrizationList"]

_cache_depth = 0
_cache = {}


@contextlib.contextmanager
def cached():
    """Within this context each parametrized tensor is computed once, on first access, and
    reused (for a weight used many times in one forward, as in an RNN)."""
    global _cache_depth
    _cache_depth += 1
    try:
        yield
    finally:
        _cache_depth -= 1
        if not _cache_depth:
            _cache.clear()


def _register(module, name, tensor):
    """Registers tensor as a parameter or, if it is a plain Tensor, a buffer."""
    if isinstance(tensor, Parameter):
        module.register_parameter(name, tensor)
    else:
        module.register_buffer(name, tensor)


class ParametrizationList(ModuleList):
    """The parametrizations of one tensor, applied in order, and the original tensor(s) they
    start from, set through their right_inverse (if any) from the tensor's value."""

    def __init__(self, modules, original, unsafe=False):
        super().__init__(modules)
        self.unsafe = unsafe
        with no_grad():
            new = original
            for module in reversed(list(self)):
                if hasattr(module, "right_inverse"):
                    new = module.right_inverse(new)
        self.is_tensor = isinstance(new, Tensor)
        if self.is_tensor:
            self._check_same("right_inverse", new, original)
            with no_grad():
                original.data = new.detach()
            _register(self, "original", original)
        else:
            if not isinstance(new, (tuple, list)):
                raise TypeError(f"register_parametrization: right_inverse must return a Tensor "
                                f"or a sequence of Tensors, got {type(new).__name__}")
            for i, tensor in enumerate(new):
                tensor = tensor.detach()
                _register(self, f"original{i}",
                          Parameter(tensor, original.requires_grad)
                          if isinstance(original, Parameter) else tensor)
        self.ntensors = 1 if self.is_tensor else len(new)
        if not unsafe:
            self._check_same("the parametrization", self(), original)

    def _check_same(self, what, new, original):
        """Without `unsafe`, a parametrization keeps the tensor's class of value: a Tensor of
        the same shape and dtype."""
        if self.unsafe:
            return
        if not isinstance(new, Tensor):
            raise ValueError(f"register_parametrization: {what} must return a Tensor, got "
                             f"{type(new).__name__}")
        if new.shape != original.shape or new.dtype != original.dtype:
            raise ValueError(f"register_parametrization: {what} may not change the shape or "
                             f"dtype of the tensor (pass unsafe=True to allow it): it was "
                             f"{original.shape} {original.dtype}, it gives {new.shape} "
                             f"{new.dtype}")

    def originals(self):
        if self.is_tensor:
            return (self.original,)
        return tuple(getattr(self, f"original{i}") for i in range(self.ntensors))

    def right_inverse(self, value):
        """Sets the original(s) so that the parametrized tensor becomes `value`, through each
        parametrization's right_inverse, last first."""
        with no_grad():
            for module in reversed(list(self)):
                if not hasattr(module, "right_inverse"):
                    raise RuntimeError(f"parametrization {type(module).__name__} has no "
                                       "right_inverse, so the parametrized tensor cannot be "
                                       "assigned")
                value = module.right_inverse(value)
            news = (value,) if self.is_tensor else tuple(value)
            if len(news) != self.ntensors:
                raise ValueError(f"right_inverse returned {len(news)} tensors, expected "
                                 f"{self.ntensors}")
            for original, new in zip(self.originals(), news):
                original.data = new.detach() if isinstance(new, Tensor) else new

    def forward(self):
        modules = list(self)
        x = modules[0](*self.originals())
        for module in modules[1:]:
            x = module(x)
        return x


def _inject_class(module):
    """Swaps the module's class for a subclass of it, which will hold the properties."""
    cls = module.__class__
    module.__class__ = type(f"Parametrized{cls.__name__}", (cls,), {})


def _inject_property(module, name):
    def get(self):
        plist = self.parametrizations[name]
        if not _cache_depth:
            return plist()
        key = (id(self), name)
        if key not in _cache:
            _cache[key] = plist()
        return _cache[key]

    def assign(self, value):
        self.parametrizations[name].right_inverse(value)

    setattr(module.__class__, name, property(get, assign))


def is_parametrized(module, tensor_name=None):
    """Whether the module has a parametrization (on `tensor_name`, if given)."""
    plists = module.__dict__.get("_modules", {}).get("parametrizations")
    if not isinstance(plists, ModuleDict):
        return False
    return len(plists) > 0 if tensor_name is None else tensor_name in plists


def type_before_parametrizations(module):
    """The module's class as it was before any parametrization was registered."""
    return type(module).__bases__[0] if is_parametrized(module) else type(module)


def register_parametrization(module, tensor_name, parametrization, *, unsafe=False):
    """Makes `module.<tensor_name>` = parametrization(original) on every access, where original
    is the parameter or buffer it was (set through parametrization.right_inverse, if it has
    one). A second parametrization on the same tensor is applied after the first. Returns the
    module."""
    if is_parametrized(module, tensor_name):
        plist = module.parametrizations[tensor_name]
        if not unsafe:
            with no_grad():
                plist._check_same("the parametrization", parametrization(getattr(module,
                                                                                 tensor_name)),
                                  getattr(module, tensor_name))
        plist.append(parametrization)
        plist.unsafe |= unsafe
        return module
    if tensor_name not in module._parameters and tensor_name not in module._buffers:
        raise ValueError(f"register_parametrization: {type(module).__name__} has no parameter, "
                         f"buffer or parametrized tensor named {tensor_name!r}")
    original = getattr(module, tensor_name)
    plist = ParametrizationList([parametrization], original, unsafe=unsafe)
    delattr(module, tensor_name)
    if not is_parametrized(module):
        _inject_class(module)
        module.parametrizations = ModuleDict()
    _inject_property(module, tensor_name)
    module.parametrizations[tensor_name] = plist
    return module


def remove_parametrizations(module, tensor_name, leave_parametrized=True):
    """Undoes register_parametrization: `tensor_name` becomes a parameter (or buffer) again,
    holding the parametrized value (leave_parametrized=True) or the original. Returns the
    module."""
    if not is_parametrized(module, tensor_name):
        raise ValueError(f"remove_parametrizations: {type(module).__name__} has no "
                         f"parametrization on {tensor_name!r}")
    plist = module.parametrizations[tensor_name]
    if plist.is_tensor:
        original = plist.original
        if leave_parametrized:
            with no_grad():
                original.data = getattr(module, tensor_name).detach()
    elif leave_parametrized:
        value = getattr(module, tensor_name)
        original = Parameter(value.detach()) if value.requires_grad else value
    else:
        raise ValueError("remove_parametrizations: a tensor parametrized by several originals "
                         "cannot be left unparametrized (leave_parametrized=False)")
    delattr(module.__class__, tensor_name)
    del module.parametrizations[tensor_name]
    _register(module, tensor_name, original)
    if not is_parametrized(module):
        del module.parametrizations
        module.__class__ = module.__class__.__bases__[0]
    return module
