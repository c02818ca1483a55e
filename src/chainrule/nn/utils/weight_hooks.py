"""What the hook-style reparametrizations (weight_norm, spectral_norm) share: the forward
pre-hook that recomputes a parameter from others before each call is found by its class and the
parameter's name; a parameter gets one such hook at most; removing it leaves a plain parameter
holding the weight last computed."""
from ...autograd import no_grad
from ..parameter import Parameter


def hook_of(module, kind, name):
    """(key, hook) of module's forward pre-hook of class `kind` for the parameter `name`, or
    (None, None)."""
    for key, hook in module._forward_pre_hooks.items():
        if isinstance(hook, kind) and hook.name == name:
            return key, hook
    return None, None


def parameter_to_hook(module, kind, name, what):
    """The parameter `name` that `what` (the applying function's name) is to recompute with a
    hook of class `kind`: it must exist and not have such a hook already."""
    if hook_of(module, kind, name)[1] is not None:
        raise RuntimeError(f"{what}: {type(module).__name__}.{name} already has "
                           f"{what.replace('_', ' ')}; it cannot be applied twice to the same "
                           "parameter")
    weight = module._parameters.get(name)
    if weight is None:
        raise ValueError(f"{what}: {type(module).__name__} has no parameter {name!r}")
    return weight


def remove_hook(module, kind, name, what, suffixes):
    """Makes `name` a plain parameter again, holding the weight the hook of class `kind` (put
    there by `what`) computes, and drops the attributes name + suffix it was computed from.
    Returns the module."""
    key, fn = hook_of(module, kind, name)
    if fn is None:
        raise ValueError(f"remove_{what}: {what} of {name!r} not found in "
                         f"{type(module).__name__}")
    with no_grad():
        weight = fn.compute_weight(module)
    del module._forward_pre_hooks[key]
    delattr(module, name)
    for suffix in suffixes:
        delattr(module, name + suffix)
    module.register_parameter(name, Parameter(weight))
    return module
