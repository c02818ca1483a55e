"""Turn a PyTorch program into a chainrule one by changing its import lines, and nothing else."""
import re
import sys
import types
from pathlib import Path

PROGRAMS = Path(__file__).parent / "programs"

# `import torch.nn as nn` and `from torch.utils.data import X`: only the package's name changes.
_IMPORT = re.compile(r"^(\s*)(import|from)\s+torch(\.[\w.]+)?\b(.*)$")


def to_chainrule(line):
    """The line with torch's imports pointed at chainrule; other lines unchanged.
    `import torch` binds the name torch, so it becomes `import chainrule as torch`."""
    match = _IMPORT.match(line)
    if not match:
        return line
    indent, keyword, submodule, rest = match.groups()
    if keyword == "import" and submodule is None and not rest.strip():
        return f"{indent}import chainrule as torch"
    if keyword == "import" and " as " not in rest:
        raise ValueError(f"`{line.strip()}` binds the name torch to the package: write "
                         "`import torch` and use the dotted name, or import it `as` a name")
    return f"{indent}{keyword} chainrule{submodule or ''}{rest}"


def source(name, library):
    """The program's text as written (library "torch") or rewritten for "chainrule"."""
    text = (PROGRAMS / f"{name}.py").read_text()
    if library == "torch":
        return text
    return "\n".join(to_chainrule(line) for line in text.split("\n"))


def load(name, library):
    """The program as a fresh module, registered in sys.modules so that DataLoader workers (and
    pickling) find the classes it defines."""
    module_name = f"compat_{library}_{name}"
    module = types.ModuleType(module_name)
    module.__file__ = str(PROGRAMS / f"{name}.py")
    sys.modules[module_name] = module
    exec(compile(source(name, library), module.__file__, "exec"), module.__dict__)
    return module
