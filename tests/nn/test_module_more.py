"""Module hooks (full backward hooks, forward hooks with kwargs, prepend, always_call), lookups
by dotted path, to() signatures and load_state_dict options, against PyTorch."""
import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn


class Mix(object):
    """A module of two inputs (one may not need grad) and two outputs, in either framework."""

    @staticmethod
    def make(nn, m):
        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.fc = nn.Linear(3, 3)

            def forward(self, x, scale, y):
                h = self.fc(x) * scale
                return h * y, (h + y).sum(1)
        torch.manual_seed(0)
        return Net()


def twins():
    theirs = Mix.make(torch.nn, torch).double()
    ours = Mix.make(nn, cr).double()
    ours.load_state_dict({k: v.detach().numpy() for k, v in theirs.state_dict().items()})
    return ours, theirs


def inputs(m, y_grad):
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((2, 3)), rng.standard_normal((2, 3))
    return m.tensor(x, requires_grad=True), 2.0, m.tensor(y, requires_grad=y_grad)


def as_np(values):
    return [None if v is None else v.detach().numpy() for v in values]


def assert_same(ours, theirs):
    assert len(ours) == len(theirs)
    for a, b in zip(as_np(ours), as_np(theirs)):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=1e-12)


@pytest.mark.parametrize("y_grad", [True, False])
def test_full_backward_hooks_see_and_replace_what_pytorchs_do(y_grad):
    seen = {}

    def record(tag):
        def pre_hook(module, grad_output):
            seen[tag, "pre"] = grad_output
            return tuple(None if g is None else 3 * g for g in grad_output)

        def hook(module, grad_input, grad_output):
            seen[tag, "in"], seen[tag, "out"] = grad_input, grad_output
            return tuple(None if g is None else g + 1 for g in grad_input)
        return pre_hook, hook

    results = {}
    for tag, (model, m) in zip(("ours", "theirs"), zip(twins(), (cr, torch))):
        pre_hook, hook = record(tag)
        model.register_full_backward_pre_hook(pre_hook)
        model.register_full_backward_hook(hook)
        x, scale, y = inputs(m, y_grad)
        a, b = model(x, scale, y)
        ((a * a).sum() + b.sum()).backward()
        results[tag] = [x.grad, y.grad if y_grad else None, model.fc.weight.grad]
    for part in ("pre", "in", "out"):
        assert_same(seen["ours", part], seen["theirs", part])
    assert_same(results["ours"], results["theirs"])


def test_full_backward_hook_without_grad_inputs_sees_nones():
    seen = {}
    for tag, (model, m) in zip(("ours", "theirs"), zip(twins(), (cr, torch))):
        model.register_full_backward_hook(
            lambda mod, gi, go, tag=tag: seen.__setitem__(tag, (gi, go)))
        x, scale, y = inputs(m, False)
        a, b = model(x.detach(), scale, y)
        if m is torch:
            with pytest.warns(UserWarning, match="no inputs require gradients"):
                (a.sum() + b.sum()).backward()
        else:
            (a.sum() + b.sum()).backward()
    assert_same(seen["ours"][0], seen["theirs"][0])
    assert_same(seen["ours"][1], seen["theirs"][1])


def test_backward_hook_returning_wrong_count_raises():
    model, _ = twins()
    model.register_full_backward_hook(lambda mod, gi, go: (None,))
    x, scale, y = inputs(cr, True)
    with pytest.raises(RuntimeError, match="returned 1 values for grad_input, expected 3"):
        model(x, scale, y)[0].sum().backward()


def test_backward_hook_handle_removes_it():
    model, _ = twins()
    calls = []
    handle = model.register_full_backward_hook(lambda *a: calls.append(1))
    x, scale, y = inputs(cr, True)
    model(x, scale, y)[0].sum().backward()
    handle.remove()
    model(x, scale, y)[0].sum().backward()
    assert calls == [1]


def forward_hook_log(m, nn):
    log = []
    layer = nn.Linear(2, 2)
    layer.register_forward_hook(lambda mod, args, out: log.append("plain"))
    layer.register_forward_hook(lambda mod, args, out: log.append("first"), prepend=True)
    layer.register_forward_hook(
        lambda mod, args, kwargs, out: log.append(("kwargs", sorted(kwargs))), with_kwargs=True)
    layer.register_forward_pre_hook(lambda mod, args: log.append("pre"))
    layer.register_forward_pre_hook(
        lambda mod, args, kwargs: log.append("pre first"), prepend=True, with_kwargs=True)
    layer(m.zeros(1, 2))
    return log


def test_forward_hook_order_and_kwargs_as_pytorch():
    assert forward_hook_log(cr, nn) == forward_hook_log(torch, torch.nn)


def test_forward_pre_hook_with_kwargs_replaces_args_and_kwargs():
    class Add(nn.Module):
        def forward(self, x, *, bias=0.0):
            return x + bias
    add = Add()
    add.register_forward_pre_hook(lambda mod, args, kwargs: ((args[0] * 2,), {"bias": 1.0}),
                                  with_kwargs=True)
    add.register_forward_hook(lambda mod, args, kwargs, out: out * kwargs["bias"] * 10,
                              with_kwargs=True)
    assert add(cr.tensor(3.0)).item() == 70.0
    add.register_forward_pre_hook(lambda mod, args, kwargs: "bad", with_kwargs=True)
    with pytest.raises(RuntimeError, match=r"must return None or \(args, kwargs\)"):
        add(cr.tensor(3.0))


def test_always_call_hook_runs_when_forward_raises():
    for nn_ in (nn, torch.nn):
        class Broken(nn_.Module):
            def forward(self, x):
                raise ValueError("boom")
        seen = []
        broken = Broken()
        broken.register_forward_hook(lambda mod, args, out: seen.append(out), always_call=True)
        broken.register_forward_hook(lambda mod, args, out: seen.append("never"))
        with pytest.raises(ValueError, match="boom"):
            broken(1)
        assert seen == [None]


def test_get_parameter_and_buffer_as_pytorch():
    for nn_ in (nn, torch.nn):
        model = nn_.Sequential(nn_.Linear(2, 3), nn_.BatchNorm1d(3))
        assert model.get_parameter("0.weight") is model[0].weight
        assert model.get_buffer("1.running_mean") is model[1].running_mean
        assert model.get_submodule("1") is model[1]
        with pytest.raises(AttributeError):
            model.get_parameter("1.running_mean")
        with pytest.raises(AttributeError):
            model.get_buffer("0.weight")
        with pytest.raises(AttributeError):
            model.get_parameter("0.nothing")


def test_to_accepts_pytorchs_signatures():
    model = nn.Linear(2, 2)
    weight = model.weight
    assert model.to(cr.zeros(1, dtype=cr.float64)) is model and model.weight.dtype == cr.float64
    model.to("cpu", cr.float32, non_blocking=True)
    assert model.weight.dtype == cr.float32 and model.weight is weight
    model.to(device="cpu", dtype=cr.float16)
    assert model.weight.dtype == cr.float16
    assert model.double().float().weight.dtype == cr.float32
    with pytest.raises(TypeError, match="only floating-point dtypes"):
        model.to(cr.int64)


def pair():
    theirs = torch.nn.Sequential(torch.nn.Linear(2, 3), torch.nn.BatchNorm1d(3))
    ours = nn.Sequential(nn.Linear(2, 3), nn.BatchNorm1d(3))
    return ours, theirs


def test_load_state_dict_non_strict_returns_the_same_keys_as_pytorch():
    ours, theirs = pair()
    state = {k: v.numpy() for k, v in theirs.state_dict().items() if k != "0.bias"}
    state["extra"] = np.zeros(1)
    result = ours.load_state_dict(state, strict=False)
    ref = theirs.load_state_dict({k: torch.tensor(v) for k, v in state.items()}, strict=False)
    assert result.missing_keys == ref.missing_keys
    assert result.unexpected_keys == ref.unexpected_keys
    assert result._fields == ref._fields
    with pytest.raises(RuntimeError, match=r"(?s)Missing key\(s\).*'0.bias'.*Unexpected key\(s\)"
                                           r".*'extra'"):
        ours.load_state_dict(state)


def test_load_state_dict_assign_takes_the_tensors():
    ours, theirs = pair()
    state = {k: cr.tensor(v.numpy()) for k, v in theirs.state_dict().items()}
    ours.load_state_dict(state, assign=True)
    assert isinstance(ours[0].weight, nn.Parameter) and ours[0].weight.requires_grad
    np.testing.assert_array_equal(ours[0].weight.detach().numpy(),
                                  theirs[0].weight.detach().numpy())
    assert ours[0].weight.array is state["0.weight"].array
    assert ours[1].running_mean is state["1.running_mean"]


def test_state_dict_destination_and_non_persistent_buffers():
    for nn_, m in ((nn, cr), (torch.nn, torch)):
        layer = nn_.Linear(2, 2)
        layer.register_buffer("mask", m.ones(2), persistent=False)
        layer.register_buffer("count", m.zeros(1))
        out = {"kept": 1}
        assert layer.state_dict(destination=out) is out
        assert list(out) == ["kept", "weight", "bias", "count"]
        assert [n for n, _ in layer.named_buffers()] == ["mask", "count"]


def test_modes_and_grads_as_pytorch():
    for nn_ in (nn, torch.nn):
        model = nn_.Sequential(nn_.Linear(2, 2), nn_.Dropout())
        assert model.eval() is model and not model[1].training
        assert model.train() is model and model[1].training
        assert model.requires_grad_(False) is model
        assert not any(p.requires_grad for p in model.parameters())
        assert [type(c).__name__ for c in model.children()] == ["Linear", "Dropout"]
        assert model.apply(lambda mod: None) is model
        model.requires_grad_(True)
        model[0].weight.grad = model[0].weight.detach() * 0 + 1
        model.zero_grad(set_to_none=False)
        assert float(model[0].weight.grad.sum()) == 0
        model.zero_grad()
        assert model[0].weight.grad is None


def test_named_modules_memo_prefix_and_duplicates_as_pytorch():
    def build(nn_):
        shared = nn_.Linear(2, 2)
        return nn_.Sequential(shared, nn_.ReLU(), shared)
    ours, theirs = build(nn), build(torch.nn)
    for kwargs in ({}, {"prefix": "net"}, {"remove_duplicate": False}):
        assert [n for n, _ in ours.named_modules(**kwargs)] == \
            [n for n, _ in theirs.named_modules(**kwargs)]
    assert len(list(ours.modules())) == len(list(theirs.modules()))
