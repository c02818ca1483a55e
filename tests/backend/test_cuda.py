"""The same computations on an NVIDIA GPU (CuPy) as on the CPU. Skipped where there is no GPU."""
import numpy as np
import pytest

import chainrule as cr
from chainrule.backend import cupy
from chainrule.train import models


def _gpu_count():
    try:
        return cupy.cuda.runtime.getDeviceCount()
    except Exception:  # no driver, no device: CuPy raises its own CUDA errors
        return 0


pytestmark = pytest.mark.skipif(cupy is None or _gpu_count() == 0,
                                reason="needs CuPy and an NVIDIA GPU")


def _loss_and_grads(model, x, y, device):
    loss = cr.nn.functional.cross_entropy(model(cr.tensor(x, device=device)),
                                          cr.tensor(y, device=device))
    loss.backward()
    return loss.item(), [p.grad.cpu().numpy() for p in model.parameters()]


@pytest.mark.parametrize("build, shape", [
    (lambda: models.mlp(784, (128,), 10), (32, 784)),
    (lambda: models.lenet5((1, 28, 28), 10), (16, 1, 28, 28)),
], ids=["mlp", "lenet5"])
def test_gradients_on_the_gpu_equal_the_cpu(build, shape):
    rng = np.random.default_rng(0)
    x = rng.standard_normal(shape).astype(np.float32)
    y = rng.integers(0, 10, shape[0])
    cr.manual_seed(0)
    on_cpu = build()
    cr.manual_seed(0)
    on_gpu = build().to("cuda")
    assert all(p.device == "cuda:0" for p in on_gpu.parameters())
    loss_cpu, grads_cpu = _loss_and_grads(on_cpu, x, y, "cpu")
    loss_gpu, grads_gpu = _loss_and_grads(on_gpu, x, y, "cuda")
    assert loss_gpu == pytest.approx(loss_cpu, rel=1e-5)
    for a, b in zip(grads_cpu, grads_gpu):
        np.testing.assert_allclose(b, a, rtol=1e-4, atol=1e-6)


def test_training_on_the_gpu_learns_and_its_checkpoint_loads_on_the_cpu(tmp_path):
    cr.manual_seed(0)
    model = models.mlp(784, (64,), 10).to("cuda")
    opt = cr.optim.Adam(model.parameters(), lr=1e-2)
    x = cr.randn(64, 784, device="cuda")
    y = cr.tensor(np.arange(64) % 10, device="cuda")
    losses = []
    for _ in range(30):
        loss = cr.nn.functional.cross_entropy(model(x), y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        losses.append(loss.item())
    assert losses[-1] < 0.05 * losses[0]
    cr.save(model.state_dict(), tmp_path / "model.safetensors")
    on_cpu = models.mlp(784, (64,), 10)
    on_cpu.load_state_dict(cr.load(tmp_path / "model.safetensors"))
    expected = model(x).cpu().numpy()
    np.testing.assert_allclose(on_cpu(x.cpu()).numpy(), expected, rtol=1e-4, atol=1e-5)
