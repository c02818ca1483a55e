"""GradientFlow on real data (the 8x8 handwritten digits): it flags vanishing gradients in a
10-layer sigmoid MLP with small weights and nothing in the same net with ReLU and He
initialization; exploding gradients and dead ReLUs are named too; it works as a training
callback and writes its pictures."""
import json
from types import SimpleNamespace

import numpy as np
import pytest

import chainrule as cr
from chainrule import nn
from chainrule.data.datasets import Digits
from chainrule.explain import GradientFlow
from chainrule.nn import functional as F

DEPTH, WIDTH = 10, 32


@pytest.fixture(scope="module")
def digits():
    data = Digits(train=True)
    x = data.images.reshape(len(data), -1).astype(np.float32) / 16
    return x[:512], data.labels[:512]


def mlp(activation, init, depth=DEPTH, width=WIDTH, bias=0.0):
    layers, n = [], 64
    for k in range(depth):
        out = 10 if k == depth - 1 else width
        linear = nn.Linear(n, out)
        init(linear.weight)
        nn.init.constant_(linear.bias, bias)
        layers.append(linear)
        if k < depth - 1:
            layers.append(activation())
        n = out
    return nn.Sequential(*layers)


def small(w):
    nn.init.normal_(w, 0.0, 0.1)


def he(w):
    nn.init.kaiming_normal_(w, nonlinearity="relu")


def train(model, digits, flow, steps=12, lr=0.1):
    """A hand-written loop with the plain recorder."""
    x, y = digits
    for step in range(steps):
        rows = slice(64 * step % len(x), 64 * step % len(x) + 64)
        loss = F.cross_entropy(model(cr.tensor(x[rows])), cr.tensor(y[rows]))
        model.zero_grad()
        loss.backward()
        flow.record(model)
        with cr.no_grad():
            for p in model.parameters():
                p -= lr * p.grad
        flow.after_step(model)
    return flow


def kinds(flow):
    return {f.kind for f in flow.diagnose()}


def test_deep_sigmoid_with_small_weights_vanishes(digits):
    flow = train(mlp(nn.Sigmoid, small), digits, GradientFlow())
    grads = list(flow.profile().values())
    assert len(grads) == DEPTH
    assert grads[0] < 1e-4 * grads[-1]              # collapsed toward the input
    assert all(a < b for a, b in zip(grads, grads[1:]))  # at every layer on the way
    flag = next(f for f in flow.diagnose() if f.kind == "vanishing")
    assert flag.layer.startswith("0 ") and "ReLU" in flag.advice
    assert "initialization" in flag.advice
    assert "Vanishing" in flow.report()


def test_the_same_depth_with_relu_and_he_is_not_flagged(digits):
    flow = train(mlp(nn.ReLU, he), digits, GradientFlow())
    grads = list(flow.profile().values())
    assert 0.1 < grads[0] / grads[-1] < 10
    assert kinds(flow) == set()
    assert "no problems flagged" in flow.report()


def test_large_weights_explode(digits):
    def big(w):
        nn.init.normal_(w, 0.0, 1.0)  # sqrt(32 / 2) = 4 times He: each layer multiplies by ~4
    flow = train(mlp(nn.ReLU, big), digits, GradientFlow(), steps=2, lr=1e-6)
    assert "exploding" in kinds(flow)


def test_dead_relus_and_statistics(digits):
    model = mlp(nn.ReLU, he, depth=3, bias=-50.0)  # every unit below zero on every sample
    flow = train(model, digits, GradientFlow(), steps=2)
    stats = flow.records[-1]["activations"]
    assert set(stats) == {"1", "3"}
    assert stats["1"]["dead"] == 1.0 and stats["1"]["mean"] == 0.0
    assert "dead-relu" in kinds(flow)


def test_update_ratio_is_the_step_taken(digits):
    model = mlp(nn.ReLU, he, depth=3)
    flow = GradientFlow()
    x, y = digits
    loss = F.cross_entropy(model(cr.tensor(x[:64])), cr.tensor(y[:64]))
    loss.backward()
    flow.record(model)
    w = model[0].weight
    expected = 0.05 * np.linalg.norm(w.grad.numpy()) / np.linalg.norm(w.numpy())
    with cr.no_grad():
        w -= 0.05 * w.grad
    flow.after_step(model)
    assert flow.records[0]["update_ratio"]["0 (Linear)"] == pytest.approx(expected, rel=1e-5)
    assert flow.records[0]["grad_norm"]["0 (Linear)"] == pytest.approx(
        np.linalg.norm(w.grad.numpy()), rel=1e-5)


def test_as_a_callback_it_records_tells_and_draws(digits, tmp_path, capsys):
    model = mlp(nn.Sigmoid, small)
    flow = GradientFlow(every=2)
    trainer = SimpleNamespace(model=model, out_dir=tmp_path, epoch=1, stop_training=False)
    x, y = digits
    flow.on_fit_start(trainer)
    for i in range(6):
        loss = F.cross_entropy(model(cr.tensor(x[64 * i:64 * i + 64])),
                               cr.tensor(y[64 * i:64 * i + 64]))
        model.zero_grad()
        loss.backward()
        flow.on_after_backward(trainer, i)
        with cr.no_grad():
            for p in model.parameters():
                p -= 0.1 * p.grad
        flow.on_batch_end(trainer, i, {"loss": loss.item()})
    flow.on_epoch_end(trainer, 1, {"loss": loss.item()})
    flow.on_fit_end(trainer)
    assert len(flow.records) == 3 and all(r["update_ratio"] for r in flow.records)
    assert "gradient flow: Vanishing gradients" in capsys.readouterr().out
    png = (tmp_path / "gradient_flow.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    saved = json.loads((tmp_path / "gradient_flow.json").read_text())
    assert saved["flags"][0]["kind"] == "vanishing" and len(saved["layers"]) == DEPTH


def test_with_the_trainer(digits, tmp_path):
    x, y = digits
    loader = cr.data.DataLoader(cr.data.TensorDataset(x, y), batch_size=64)
    model = mlp(nn.Sigmoid, small)
    flow = GradientFlow(every=4, verbose=False)
    cr.train.fit(model, nn.CrossEntropyLoss(), cr.optim.SGD(model.parameters(), lr=0.1),
                 loader, epochs=1, callbacks=[flow], out_dir=tmp_path, progress=False)
    assert [r["step"] for r in flow.records] == [0, 4]
    assert "vanishing" in kinds(flow)
    assert (tmp_path / "gradient_flow.png").exists()
