"""Tensor methods that describe a tensor or make one like it: element_size, type, t, and the
new_* family (new tensors that take their dtype and device from self unless told otherwise)."""
from ..backend import dtypes
from ..tensor import tensor_method
from .creation import empty, full, ones, tensor, zeros
from .shape import transpose

__all__ = ["t"]

# the legacy type names, PyTorch's with chainrule's module name
_TYPE_NAMES = {dtypes.float32: "FloatTensor", dtypes.float64: "DoubleTensor",
               dtypes.float16: "HalfTensor", dtypes.int64: "LongTensor",
               dtypes.int32: "IntTensor", dtypes.int16: "ShortTensor", dtypes.int8: "CharTensor",
               dtypes.uint8: "ByteTensor", dtypes.bool_: "BoolTensor"}
_DTYPE_OF_NAME = {name: dtype for dtype, name in _TYPE_NAMES.items()}


@tensor_method
def element_size(self):
    """Bytes per element."""
    return self.dtype.itemsize


@tensor_method
def type(self, dtype=None, non_blocking=False):
    """Without an argument, the type's name ('chainrule.FloatTensor', or with '.cuda' on a GPU);
    with a dtype or such a name ('torch.DoubleTensor' is read too), the tensor cast to it."""
    if dtype is None:
        place = ".cuda" if self.device.type == "cuda" else ""
        return f"chainrule{place}.{_TYPE_NAMES[self.dtype]}"
    if not isinstance(dtype, str) or "." not in dtype:  # a dtype, or its name
        return self.to(dtypes.as_dtype(dtype))
    module, _, name = dtype.rpartition(".")
    if module not in ("chainrule", "torch", "chainrule.cuda", "torch.cuda") or \
            name not in _DTYPE_OF_NAME:
        raise ValueError(f"type: expected a dtype or a name like 'chainrule.FloatTensor', got "
                         f"{dtype!r}")
    return self.to(_DTYPE_OF_NAME[name], "cuda" if module.endswith("cuda") else "cpu")


@tensor_method
def t(input):
    """The transpose of a matrix; a tensor of 0 or 1 dims is returned as it is."""
    if input.ndim > 2:
        raise ValueError(f"t: expects a tensor with at most 2 dims, got shape {input.shape}; "
                         "use transpose(dim0, dim1) or permute for more")
    return transpose(input, 0, 1) if input.ndim == 2 else input


# ---- new tensors like self --------------------------------------------------------------------
def _new(make, self, size, dtype, device, requires_grad, *args):
    return make(size, *args, dtype=dtype or self.dtype, device=device or self.device,
                requires_grad=requires_grad)


def _size(size):
    """`new_zeros(2, 3)` and `new_zeros((2, 3))` both mean the size (2, 3)."""
    return tuple(size[0]) if len(size) == 1 and isinstance(size[0], (tuple, list)) else size


@tensor_method
def new_zeros(self, *size, dtype=None, device=None, requires_grad=False):
    return _new(zeros, self, _size(size), dtype, device, requires_grad)


@tensor_method
def new_ones(self, *size, dtype=None, device=None, requires_grad=False):
    return _new(ones, self, _size(size), dtype, device, requires_grad)


@tensor_method
def new_empty(self, *size, dtype=None, device=None, requires_grad=False):
    return _new(empty, self, _size(size), dtype, device, requires_grad)


@tensor_method
def new_full(self, size, fill_value, dtype=None, device=None, requires_grad=False):
    return _new(full, self, tuple(size), dtype, device, requires_grad, fill_value)


@tensor_method
def new_tensor(self, data, dtype=None, device=None, requires_grad=False):
    """A copy of `data` as a new leaf, in self's dtype and on its device unless told."""
    return tensor(data, dtype=dtype or self.dtype, device=device or self.device,
                  requires_grad=requires_grad)

