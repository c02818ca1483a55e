"""Hooks on what the graph saves for backward (PyTorch's `autograd.graph.saved_tensors_hooks`).

While one is active, every array an op saves is handed to `pack_hook` as a Tensor, and what
pack_hook returns is kept in its place; when a backward needs the value, `unpack_hook` gets it
back. Programs use it to keep saved values elsewhere (`save_on_cpu`), compressed, or counted."""
from ..backend import to_device
from ..tensor import Tensor

active = []  # the (pack_hook, unpack_hook) pairs in force, innermost last


class saved_tensors_hooks:
    """`with saved_tensors_hooks(pack, unpack):` ops recorded inside save `pack(tensor)`, and
    their backward reads `unpack(packed)` (a Tensor of the same values)."""

    def __init__(self, pack_hook, unpack_hook):
        self.hooks = (pack_hook, unpack_hook)

    def __enter__(self):
        active.append(self.hooks)
        return self

    def __exit__(self, *exc):
        active.remove(self.hooks)


class save_on_cpu(saved_tensors_hooks):
    """Keeps what the graph saves in host memory, bringing it back to its device for backward
    (on a machine without a GPU everything is already there, and this changes nothing)."""

    def __init__(self, pin_memory=False, device_type="cuda"):
        super().__init__(lambda t: (t.device, to_device(t.array, "cpu")),
                         lambda packed: Tensor.wrap(to_device(packed[1], packed[0])))
