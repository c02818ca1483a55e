"""A chainrule module's source run on PyTorch: its imports of chainrule's `nn` and `F` pointed
at torch's, so that one model definition gives both frameworks' models (the compatibility promise
read backwards: a chainrule program is a PyTorch program with its imports changed)."""
import importlib.util

IMPORTS = {"from .. import nn": "from torch import nn",
           "from ..nn import functional as F": "from torch.nn import functional as F"}


def on_torch(module):
    source = open(module.__file__).read()
    for ours, theirs in IMPORTS.items():
        source = source.replace(ours, theirs)
    twin = importlib.util.module_from_spec(
        importlib.util.spec_from_loader(f"{module.__name__}_on_torch", loader=None))
    exec(compile(source, twin.__name__, "exec"), twin.__dict__)
    return twin
