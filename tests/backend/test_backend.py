"""The bottom layer: dtypes and PyTorch's promotion, devices, the array module, the generator."""
import itertools
import sys

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.backend import Device, array_module, dtypes, to_device


pytestmark = pytest.mark.usefixtures("torch_float32")

DTYPES = ["bool", "uint8", "int32", "int64", "float16", "float32", "float64"]


def operand(kind, dtype):
    """A value of one promotion rank: an n-d tensor, a 0-d tensor, or a Python scalar."""
    if kind == "scalar":
        return {"bool": True, "float16": 1.5, "float32": 1.5, "float64": 1.5}.get(dtype, 2)
    shape = (2,) if kind == "tensor" else ()
    return torch.ones(shape, dtype=getattr(torch, dtype))


def ranked(value):
    if isinstance(value, torch.Tensor):
        return (np.dtype(str(value.dtype).replace("torch.", "")), 2 if value.ndim else 1)
    return value


@pytest.mark.parametrize("kinds", [("tensor", "tensor"), ("tensor", "zero-d"),
                                   ("tensor", "scalar"), ("zero-d", "scalar")])
def test_result_type_matches_torch(kinds):
    for a, b in itertools.product(DTYPES, repeat=2):
        x, y = operand(kinds[0], a), operand(kinds[1], b)
        expected = torch.result_type(x, y)
        got = dtypes.result_type(ranked(x), ranked(y))
        assert str(got) == str(expected).replace("torch.", ""), (kinds, a, b)


def test_as_dtype_names_and_aliases():
    assert dtypes.as_dtype("float") == cr.float32 and dtypes.as_dtype("long") == cr.int64
    assert dtypes.as_dtype(float) == cr.float32 and dtypes.as_dtype(int) == cr.int64
    assert dtypes.as_dtype("bool") == cr.bool and dtypes.as_dtype(np.float16) == cr.float16
    assert cr.half == cr.float16 and cr.double == cr.float64 and cr.long == cr.int64
    assert dtypes.as_dtype(None) is None
    with pytest.raises(TypeError, match="unknown dtype"):
        dtypes.as_dtype("complex7")


def test_default_dtype():
    assert cr.get_default_dtype() == cr.float32
    cr.set_default_dtype(cr.float64)
    try:
        assert cr.tensor([1.0]).dtype == cr.float64 and cr.zeros(1).dtype == cr.float64
    finally:
        cr.set_default_dtype(cr.float32)
    with pytest.raises(TypeError, match="floating dtype"):
        cr.set_default_dtype(cr.int64)


def test_devices():
    assert Device("cpu") == "cpu" and Device("cuda") == Device("cuda:0")
    assert str(Device("cuda:1")) == "cuda:1" and repr(Device("cpu")) == "device('cpu')"
    assert Device(Device("cuda:2")).index == 2 and len({Device("cpu"), Device("cpu")}) == 1
    with pytest.raises(ValueError, match="unknown device 'tpu'"):
        Device("tpu")


def test_array_module_and_cpu_transfers():
    a = np.zeros(3)
    assert array_module(a) is np and to_device(a, "cpu") is a
    t = cr.ones(2)
    assert t.to("cpu") is t and t.cpu() is t


@pytest.mark.skipif(cr.backend.cupy is not None, reason="CuPy is installed here")
def test_cuda_without_cupy_says_what_to_install():
    with pytest.raises(RuntimeError, match="CuPy is not installed"):
        cr.ones(2).cuda()


def test_generator_state_round_trips():
    cr.manual_seed(7)
    state = cr.backend.get_rng_state()
    first = cr.randn(4).tolist()
    cr.backend.set_rng_state(state)
    assert cr.randn(4).tolist() == first


def test_freed_memory_is_kept_for_the_next_step_on_glibc():
    """On glibc, importing chainrule raises malloc's thresholds, so that a training step's freed
    arrays are reused rather than handed back to the system and faulted in again."""
    import platform
    from chainrule.backend import keep_freed_memory
    expected = sys.platform.startswith("linux") and platform.libc_ver()[0] == "glibc"
    assert keep_freed_memory() is expected
