"""The device boilerplate at the top of PyTorch scripts answers as PyTorch does: truthfully on a
machine without a GPU (compared with torch, CPU-only here), and for real where CuPy has one."""
import importlib

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.backend import cuda_device_count

has_gpu = cuda_device_count() > 0
needs_gpu = pytest.mark.skipif(not has_gpu, reason="needs CuPy and an NVIDIA GPU")
needs_no_gpu = pytest.mark.skipif(has_gpu, reason="a GPU is usable here")


@pytest.fixture
def default_device():
    yield
    cr.set_default_device(None)


def test_cuda_queries_agree_with_the_machine():
    assert cr.cuda.is_available() == has_gpu
    assert cr.cuda.device_count() == cuda_device_count()
    assert cr.accelerator.is_available() == has_gpu
    assert cr.accelerator.device_count() == cuda_device_count()


@needs_no_gpu
def test_without_a_gpu_the_answers_are_torchs_on_a_cpu_only_machine():
    assert not torch.cuda.is_available()  # the comparison below is with a CPU-only torch
    assert cr.cuda.is_available() is torch.cuda.is_available()
    assert cr.cuda.device_count() == torch.cuda.device_count()
    assert cr.accelerator.current_accelerator() is torch.accelerator.current_accelerator()
    assert cr.cuda.memory_allocated() == torch.cuda.memory_allocated()
    assert cr.cuda.memory_reserved() == torch.cuda.memory_reserved()
    for fn in ("current_device", "synchronize", "get_device_name"):
        with pytest.raises(RuntimeError, match=f"cuda.{fn}: CUDA was asked for"):
            getattr(cr.cuda, fn)()
        with pytest.raises((AssertionError, RuntimeError)):
            getattr(torch.cuda, fn)()
    cr.cuda.empty_cache()


@needs_no_gpu
def test_moving_to_cuda_without_a_gpu_raises_a_clear_error(default_device):
    for move in (lambda: cr.zeros(2).cuda(), lambda: cr.zeros(2).to("cuda"),
                 lambda: cr.nn.Linear(2, 2).cuda(), lambda: cr.zeros(2, device="cuda")):
        with pytest.raises(RuntimeError, match="CUDA was asked for"):
            move()
    with pytest.raises(RuntimeError, match="set_default_device: CUDA was asked for"):
        cr.set_default_device("cuda")
    assert cr.get_default_device() == "cpu"


def test_cuda_seeding_is_accepted_and_leaves_the_default_generator_alone():
    cr.manual_seed(5)
    expected = cr.rand(3).tolist()
    cr.manual_seed(5)
    cr.cuda.manual_seed(1)
    cr.cuda.manual_seed_all(2)
    cr.cuda.seed()
    cr.cuda.seed_all()
    assert cr.rand(3).tolist() == expected


def test_backend_switches_are_settable_attributes():
    import chainrule.backends.cudnn as cudnn
    switches = [(cudnn, "benchmark"), (cudnn, "deterministic"), (cudnn, "enabled"),
                (cudnn, "allow_tf32"), (cr.backends.cuda.matmul, "allow_tf32")]
    for owner, name in switches:
        torch_owner = torch.backends.cudnn if owner is cudnn else torch.backends.cuda.matmul
        before = getattr(owner, name)
        assert before == getattr(torch_owner, name), name  # same defaults as PyTorch
        setattr(owner, name, not before)
        assert getattr(owner, name) is (not before)
        setattr(owner, name, before)
    assert cr.backends.mps.is_available() is torch.backends.mps.is_available() is False
    assert cudnn.is_available() == (has_gpu and cudnn.version() is not None)


def test_default_device_is_used_by_creation_functions(default_device):
    assert cr.get_default_device() == torch.get_default_device().type == "cpu"
    cr.set_default_device("cpu")
    assert cr.zeros(2).device == cr.randn(2).device == cr.tensor([1.0]).device == "cpu"
    cr.set_default_device(None)
    assert cr.get_default_device() == "cpu"


@needs_gpu
def test_default_device_cuda_puts_new_tensors_on_the_gpu(default_device):
    cr.set_default_device("cuda")
    for t in (cr.zeros(2), cr.ones(2, 3), cr.randn(2), cr.arange(3), cr.tensor([1.0]),
              cr.eye(2), cr.randint(0, 5, (3,)), cr.linspace(0, 1, 3)):
        assert t.is_cuda and t.get_device() == 0


def test_tensor_device_properties_match_torch():
    ours, theirs = cr.zeros(2), torch.zeros(2)
    assert ours.is_cuda == theirs.is_cuda and ours.is_cpu == theirs.is_cpu
    assert ours.get_device() == theirs.get_device() == -1
    assert ours.device.type == theirs.device.type == "cpu"
    assert ours.is_floating_point() == theirs.is_floating_point()


def test_device_constructor_forms():
    assert cr.device("cuda", 1) == cr.device("cuda:1") and str(cr.device("cuda", 1)) == "cuda:1"
    assert cr.device(1) == "cuda:1" and cr.device(cr.device("cpu")).type == "cpu"
    assert cr.device("cpu").index is None and torch.device("cpu").index is None
    with pytest.raises(ValueError, match="index is given twice"):
        cr.device("cuda:0", 1)
    with pytest.raises(ValueError, match="unknown device 'cuda:x'"):
        cr.device("cuda:x")


def test_the_device_agnostic_training_boilerplate_runs():
    device = cr.device("cuda" if cr.cuda.is_available() else "cpu")
    torch_device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    assert str(device) == str(torch_device) or has_gpu
    model = cr.nn.Linear(3, 2).to(device)
    x = cr.randn(4, 3).to(device, non_blocking=True)
    assert model(x).device == device and x.device == device
    assert all(p.device == device for p in model.parameters())


def test_data_parallel_calls_the_module_and_prefixes_state_dict_keys():
    parallel = importlib.import_module("chainrule.nn.parallel")
    inner, twin = cr.nn.Linear(3, 2), torch.nn.Linear(3, 2).double()
    wrapped, torch_wrapped = parallel.DataParallel(inner), torch.nn.DataParallel(twin)
    assert wrapped.module is inner and cr.nn.DataParallel is parallel.DataParallel
    assert list(wrapped.state_dict()) == list(torch_wrapped.state_dict())
    torch_wrapped.load_state_dict({k: torch.tensor(v.numpy(), dtype=torch.float64)
                                   for k, v in wrapped.state_dict().items()})
    x = np.random.default_rng(0).standard_normal((4, 3))
    out = wrapped(cr.tensor(x, dtype=cr.float32))
    expected = torch_wrapped(torch.tensor(x)).detach().numpy()
    np.testing.assert_allclose(out.numpy(), expected, rtol=1e-5, atol=1e-6)
    out.sum().backward()
    assert inner.weight.grad is not None and inner.weight.grad.shape == (2, 3)
    with pytest.raises(TypeError, match="DataParallel: expected an nn.Module"):
        parallel.DataParallel(lambda x: x)


@needs_gpu
def test_cuda_functions_on_a_gpu():
    assert cr.cuda.current_device() == 0
    x = cr.ones(1000, device="cuda")
    assert cr.cuda.memory_allocated() >= x.numel() * 4
    cr.cuda.synchronize()
    assert isinstance(cr.cuda.get_device_name(), str)
    assert cr.accelerator.current_accelerator() == "cuda"
    assert x.is_cuda and not x.is_cpu and x.get_device() == 0 and x.cpu().is_cpu
    del x
    cr.cuda.empty_cache()


@needs_gpu
def test_random_draws_on_the_gpu_follow_the_seed():
    cr.manual_seed(3)
    on_gpu = cr.randn(5, device="cuda").cpu().numpy()
    cr.manual_seed(3)
    np.testing.assert_array_equal(on_gpu, cr.randn(5).numpy())
    mean = cr.zeros(4, device="cuda")
    assert cr.normal(mean, 1.0).is_cuda and cr.bernoulli(mean + 0.5).is_cuda
    assert cr.multinomial(mean + 1, 2).is_cuda and cr.poisson(mean + 1).is_cuda
