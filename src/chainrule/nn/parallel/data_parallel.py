"""DataParallel, as PyTorch's behaves with at most one GPU: the wrapped module runs as is."""
from ...backend import Device
from ..module import Module


class DataParallel(Module):
    """Wraps `module` (kept as `.module`, so state_dict keys start with "module.", as in
    PyTorch) and calls it on the whole batch. chainrule does not split a batch over several
    GPUs within one process: `device_ids`, `output_device` and `dim` are checked and kept, and
    every call runs `module` on the device it is on."""

    def __init__(self, module, device_ids=None, output_device=None, dim=0):
        super().__init__()
        if not isinstance(module, Module):
            raise TypeError(f"DataParallel: expected an nn.Module to wrap, got "
                            f"{type(module).__name__}")
        self.module = module
        self.device_ids = [Device(d).index for d in device_ids or ()]
        self.output_device = None if output_device is None else Device(output_device).index
        self.dim = dim

    def forward(self, *inputs, **kwargs):
        return self.module(*inputs, **kwargs)
