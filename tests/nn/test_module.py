"""Module, Parameter and the containers: registration, the names PyTorch would give, state dicts,
modes, dtype moves, hooks and the repr."""
import copy

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.optim as optim


def define(nn, m):
    """The same small model in either framework (nn/m: chainrule.nn/chainrule or torch.nn/torch):
    nested modules, all three containers, a shared module, a None parameter, buffers."""
    class Affine(nn.Module):
        def __init__(self, n_in, n_out):
            super().__init__()
            self.weight = nn.Parameter(m.ones(n_out, n_in))
            self.bias = nn.Parameter(m.zeros(n_out))
            self.register_buffer("count", m.zeros(1))
            self.register_buffer("scratch", m.zeros(2), persistent=False)

        def forward(self, x):
            return x @ self.weight.T + self.bias

    class Encoder(nn.Module):
        def __init__(self):
            super().__init__()
            self.fc = Affine(4, 3)
            self.extra = nn.ModuleList([Affine(3, 3), nn.Identity(), Affine(3, 2)])
            self.heads = nn.ModuleDict({"a": Affine(2, 1),
                                        "b": nn.Sequential(Affine(2, 2), Affine(2, 1))})

    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.encoder = Encoder()
            self.body = nn.Sequential(Affine(4, 4), nn.Identity())
            self.scale = nn.Parameter(m.ones(1))
            self.register_parameter("unused", None)
            self.tied = self.body[0]  # a shared module: its parameters are counted once

    return Net()


def names(pairs):
    return [name for name, _ in pairs]


@pytest.mark.parametrize("listing", ["state_dict", "named_parameters", "named_buffers",
                                     "named_modules", "named_children"])
def test_names_equal_pytorchs(listing):
    ours, theirs = define(nn, cr), define(torch.nn, torch)
    if listing == "state_dict":
        assert list(ours.state_dict()) == list(theirs.state_dict())
    else:
        assert names(getattr(ours, listing)()) == names(getattr(theirs, listing)())
    assert "encoder.heads.b.1.weight" in ours.state_dict() and "tied.weight" in ours.state_dict()


def test_loads_a_pytorch_state_dict_through_numpy():
    ours, theirs = define(nn, cr), define(torch.nn, torch)
    with torch.no_grad():
        for p in theirs.parameters():
            p.normal_()
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    for (name, a), (_, b) in zip(ours.named_parameters(), theirs.named_parameters()):
        np.testing.assert_array_equal(a.numpy(), b.detach().numpy(), err_msg=name)


class Affine(nn.Module):
    def __init__(self, n_in, n_out, dtype=cr.float32):
        super().__init__()
        self.weight = nn.Parameter(cr.randn(n_out, n_in, dtype=dtype))
        self.bias = nn.Parameter(cr.zeros(n_out, dtype=dtype))
        self.n_in, self.n_out = n_in, n_out

    def forward(self, x):
        return x @ self.weight.T + self.bias

    def extra_repr(self):
        return f"in={self.n_in}, out={self.n_out}"


class Counter(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("steps", cr.tensor(0))
        self.register_buffer("cache", cr.zeros(3), persistent=False)

    def forward(self, x):
        return x


# ---- Parameter --------------------------------------------------------------------------------
def test_parameter_is_a_leaf_tensor_that_requires_grad():
    data = cr.randn(2, 3)
    p = nn.Parameter(data)
    assert isinstance(p, cr.Tensor) and p.is_leaf and p.requires_grad
    assert p.array is data.array  # shares memory
    assert not nn.Parameter(data, requires_grad=False).requires_grad
    assert repr(p).startswith("Parameter containing:\ntensor(")
    y = p * 2
    assert type(y) is cr.Tensor and y.grad_fn is not None
    (y.sum() + (p * p).sum()).backward()
    np.testing.assert_allclose(p.grad.numpy(), 2 + 2 * data.numpy(), rtol=1e-6)


def test_parameter_of_a_computed_tensor_is_a_new_leaf():
    x = cr.randn(3, requires_grad=True)
    p = nn.Parameter(x * 2)
    assert p.is_leaf and p.grad_fn is None


def test_parameter_must_be_floating():
    with pytest.raises(TypeError, match="floating-point"):
        nn.Parameter(cr.tensor([1, 2]))


# ---- registration -----------------------------------------------------------------------------
def test_attributes_register_parameters_buffers_and_modules():
    m = Affine(2, 3)
    m.sub = Counter()
    m.plain = cr.ones(2)  # a plain tensor attribute is neither parameter nor buffer
    assert names(m.named_parameters()) == ["weight", "bias"]
    assert names(m.named_buffers()) == ["sub.steps", "sub.cache"]
    assert list(m.state_dict()) == ["weight", "bias", "sub.steps"]  # cache is not persistent
    assert names(m.named_children()) == ["sub"] and list(m.children()) == [m.sub]
    m.sub = None
    assert list(m.children()) == [] and "sub" not in m.state_dict()
    del m.bias
    assert names(m.named_parameters()) == ["weight"]
    with pytest.raises(AttributeError, match="'Affine' object has no attribute 'bias'"):
        m.bias


def test_reassigning_a_name_moves_it_between_kinds():
    m = Counter()
    m.steps = cr.tensor(5)  # a buffer stays a buffer
    assert m.steps.item() == 5 and "steps" in dict(m.named_buffers())
    m.cache = nn.Parameter(cr.ones(3))
    assert "cache" in dict(m.named_parameters()) and "cache" not in dict(m.named_buffers())
    m.cache = None
    assert m.cache is None and list(m.parameters()) == []


def test_bad_assignments_fail_clearly():
    m = Affine(2, 3)
    with pytest.raises(TypeError, match="cannot assign Tensor as parameter 'weight'"):
        m.weight = cr.ones(3, 2)
    with pytest.raises(TypeError, match="cannot assign list as buffer"):
        Counter().steps = [1]
    with pytest.raises(KeyError, match="contain no '.'"):
        m.register_buffer("a.b", cr.ones(1))
    with pytest.raises(KeyError, match="already exists"):
        m.register_buffer("weight", cr.ones(1))
    with pytest.raises(TypeError, match="nn.Parameter"):
        m.register_parameter("w2", cr.ones(1))

    class Forgot(nn.Module):
        def __init__(self):
            self.w = nn.Parameter(cr.ones(1))
    with pytest.raises(AttributeError, match=r"super\(\).__init__\(\)"):
        Forgot()
    with pytest.raises(NotImplementedError, match="no forward"):
        nn.Module()(1)


def test_get_submodule_and_apply_order():
    net = nn.Sequential(Affine(2, 2), nn.Sequential(Affine(2, 2), Counter()))
    assert net.get_submodule("1.1") is net[1][1] and net.get_submodule("") is net
    with pytest.raises(AttributeError, match="no submodule '7'"):
        net.get_submodule("1.7")
    seen = []
    assert net.apply(lambda m: seen.append(m)) is net
    assert seen == [net[0], net[1][0], net[1][1], net[1], net]  # children before parents


# ---- modes, gradients, dtype -----------------------------------------------------------------
def test_train_and_eval_reach_every_descendant():
    net = nn.Sequential(Affine(2, 2), nn.ModuleList([Counter(), nn.Sequential(Counter())]))
    assert all(m.training for m in net.modules())
    assert net.eval() is net
    assert not any(m.training for m in net.modules())
    net[1].train()
    assert not net.training and all(m.training for m in net[1].modules())
    with pytest.raises(ValueError, match="bool"):
        net.train("no")


def test_zero_grad_and_requires_grad_():
    m = Affine(2, 3)
    m(cr.randn(4, 2)).sum().backward()
    assert m.weight.grad is not None
    m.zero_grad(set_to_none=False)
    assert (m.weight.grad.numpy() == 0).all()
    m.zero_grad()
    assert m.weight.grad is None and m.bias.grad is None
    m.requires_grad_(False)
    assert not any(p.requires_grad for p in m.parameters())


def test_to_casts_floating_tensors_in_place_and_keeps_the_objects():
    m = Affine(2, 3)
    m.sub = Counter()
    weight = m.weight
    m.weight.grad = cr.ones(3, 2)
    assert m.double() is m
    assert m.weight is weight and m.weight.dtype == cr.float64 and m.weight.grad.dtype == cr.float64
    assert m.sub.steps.dtype == cr.int64  # integer buffers keep their dtype
    assert m.to(cr.float32).weight.dtype == cr.float32 and m.float().bias.dtype == cr.float32
    assert m.to("cpu").weight.device == "cpu"
    with pytest.raises(TypeError, match="floating-point"):
        m.to(cr.int32)


# ---- state dict -------------------------------------------------------------------------------
def test_state_dict_shares_memory_and_load_copies_values():
    a, b = Affine(3, 2), Affine(3, 2)
    state = a.state_dict()
    assert state["weight"].array is a.weight.array and not state["weight"].requires_grad
    result = b.load_state_dict(state)
    assert result.missing_keys == [] and result.unexpected_keys == []
    np.testing.assert_array_equal(b.weight.numpy(), a.weight.numpy())
    assert b.weight.array is not a.weight.array


def test_load_state_dict_casts_to_the_models_dtype():
    m = Affine(3, 2)
    m.load_state_dict({"weight": np.ones((2, 3)), "bias": cr.zeros(2, dtype=cr.float64)})
    assert m.weight.dtype == cr.float32 and m.weight.tolist() == [[1.0] * 3] * 2


def test_strict_load_lists_every_problem_and_changes_nothing():
    m = nn.Sequential(Affine(3, 2), Counter())
    before = m[0].weight.numpy().copy()
    bad = {"0.weight": cr.ones(3, 3), "1.steps": cr.tensor(1), "0.extra": cr.ones(1),
           "2.weight": cr.ones(1)}
    with pytest.raises(RuntimeError) as info:
        m.load_state_dict(bad)
    message = str(info.value)
    assert "Error(s) in loading state_dict for Sequential" in message
    assert "Missing key(s): '0.bias'." in message
    assert "Unexpected key(s): '0.extra', '2.weight'." in message
    assert "size mismatch for 0.weight: the checkpoint has shape (3, 3), the model has shape " \
           "(2, 3)" in message
    np.testing.assert_array_equal(m[0].weight.numpy(), before)
    assert m[1].steps.item() == 0


def test_non_strict_load_reports_keys_but_not_shapes():
    m = nn.Sequential(Affine(3, 2), Counter())
    result = m.load_state_dict({"1.steps": cr.tensor(7), "zzz": cr.ones(1)}, strict=False)
    assert result.missing_keys == ["0.weight", "0.bias"] and result.unexpected_keys == ["zzz"]
    assert m[1].steps.item() == 7
    with pytest.raises(RuntimeError, match="size mismatch for 0.bias"):
        m.load_state_dict({"0.bias": cr.ones(5)}, strict=False)


def test_deepcopy_gives_an_independent_model():
    m = Affine(2, 2)
    twin = copy.deepcopy(m)
    assert isinstance(twin.weight, nn.Parameter) and twin.weight.array is not m.weight.array
    np.testing.assert_array_equal(twin.weight.numpy(), m.weight.numpy())


# ---- hooks and call ---------------------------------------------------------------------------
def test_forward_hooks_see_and_replace_inputs_and_outputs():
    m = Affine(2, 2)
    calls = []
    pre = m.register_forward_pre_hook(lambda mod, args: calls.append(("pre", mod)) or
                                      (args[0] * 0,))
    post = m.register_forward_hook(lambda mod, args, out: calls.append(("post", args[0])) or
                                   out + 100)
    out = m(cr.ones(1, 2))
    np.testing.assert_allclose(out.numpy(), m.bias.numpy()[None] + 100)
    assert calls[0] == ("pre", m) and calls[1][1].tolist() == [[0.0, 0.0]]
    pre.remove()
    post.remove()
    post.remove()  # removing twice is harmless
    np.testing.assert_allclose(m(cr.ones(1, 2)).numpy(), m.forward(cr.ones(1, 2)).numpy())
    assert len(calls) == 2


def test_hook_handle_as_context_manager_and_single_value_pre_hook():
    m = nn.Identity()
    with m.register_forward_pre_hook(lambda mod, args: args[0] + 1):
        assert m(cr.tensor(1.0)).item() == 2.0
    assert m(cr.tensor(1.0)).item() == 1.0


def test_call_passes_keyword_arguments():
    class Scale(nn.Module):
        def forward(self, x, factor=1.0):
            return x * factor
    assert Scale()(cr.tensor(2.0), factor=3.0).item() == 6.0


# ---- containers -------------------------------------------------------------------------------
def test_sequential_runs_indexes_slices_and_grows():
    layers = [Affine(2, 3), Affine(3, 4), Affine(4, 1)]
    seq = nn.Sequential(*layers)
    x = cr.randn(5, 2)
    np.testing.assert_allclose(seq(x).numpy(), layers[2](layers[1](layers[0](x))).numpy())
    assert len(seq) == 3 and seq[-1] is layers[2] and list(seq) == layers
    tail = seq[1:]
    assert isinstance(tail, nn.Sequential) and list(tail.state_dict())[0] == "1.weight"
    seq.append(nn.Identity())
    assert len(seq) == 4 and isinstance(seq[3], nn.Identity)
    del seq[0]
    assert list(dict(seq.named_children())) == ["0", "1", "2"] and seq[0] is layers[1]
    with pytest.raises(IndexError, match="index 3 is out of range for length 3"):
        seq[3]


def test_sequential_from_a_dict_keeps_the_names():
    seq = nn.Sequential({"enc": Affine(2, 2), "dec": Affine(2, 2)})
    assert list(seq.state_dict()) == ["enc.weight", "enc.bias", "dec.weight", "dec.bias"]


def test_module_list_registers_its_modules():
    blocks = nn.ModuleList(Affine(2, 2) for _ in range(2))
    blocks.extend([Counter()])
    blocks.insert(0, nn.Identity())
    assert [type(b).__name__ for b in blocks] == ["Identity", "Affine", "Affine", "Counter"]
    assert list(blocks.state_dict()) == ["1.weight", "1.bias", "2.weight", "2.bias", "3.steps"]
    assert isinstance(blocks[1:3], nn.ModuleList) and len(blocks[1:3]) == 2
    assert isinstance(blocks.pop(0), nn.Identity) and len(blocks) == 3


def test_module_dict_registers_its_modules():
    heads = nn.ModuleDict({"a": Affine(2, 1)})
    heads["b"] = Counter()
    heads.update({"c": nn.Identity()})
    assert "b" in heads and list(heads) == ["a", "b", "c"] and heads["a"].n_in == 2
    assert list(heads.state_dict()) == ["a.weight", "a.bias", "b.steps"]
    del heads["a"]
    assert list(heads.keys()) == ["b", "c"] and len(heads) == 2


def test_identity_returns_its_input():
    x = cr.randn(3)
    assert nn.Identity(54, unused="ignored")(x) is x


# ---- repr -------------------------------------------------------------------------------------
def test_repr_is_nested_with_parameter_counts():
    net = nn.Sequential(Affine(2, 3), nn.Identity(), nn.Sequential(Affine(3, 1), Counter()))
    assert repr(net) == (
        "Sequential(\n"
        "  (0): Affine(in=2, out=3)  # 9 parameters\n"
        "  (1): Identity()\n"
        "  (2): Sequential(\n"
        "    (0): Affine(in=3, out=1)  # 4 parameters\n"
        "    (1): Counter()\n"
        "  )  # 4 parameters\n"
        ")  # 13 trainable parameters")
    net[0].weight.requires_grad_(False)
    assert repr(net).endswith(")  # 13 parameters, 7 trainable")
    assert repr(Affine(2, 3)) == "Affine(in=2, out=3)  # 9 trainable parameters"
    assert repr(nn.Identity()) == "Identity()"


# ---- with the real layers ---------------------------------------------------------------------
def test_real_layers_give_pytorchs_state_dict():
    def build(nn):
        return nn.Sequential(nn.Conv2d(1, 4, 3), nn.BatchNorm2d(4), nn.ReLU(), nn.Flatten(),
                             nn.Linear(4 * 6 * 6, 10))
    ours, theirs = build(nn), build(torch.nn)
    assert {k: tuple(v.shape) for k, v in ours.state_dict().items()} == \
        {k: tuple(v.shape) for k, v in theirs.state_dict().items()}
    assert list(ours.state_dict()) == list(theirs.state_dict())
    ours.load_state_dict({k: v.numpy() for k, v in theirs.state_dict().items()})
    np.testing.assert_array_equal(ours[4].weight.numpy(), theirs[4].weight.detach().numpy())


def test_a_model_trains_with_an_optimizer():
    """Module + Parameter + backward + optimizer, end to end: a line fitted by SGD."""
    model = nn.Linear(1, 1)
    opt = optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    x = cr.linspace(-1, 1, 32).reshape(32, 1)
    y = 3 * x + 1
    for _ in range(200):
        opt.zero_grad()
        ((model(x) - y) ** 2).mean().backward()
        opt.step()
    assert model.weight.item() == pytest.approx(3.0, abs=1e-3)
    assert model.bias.item() == pytest.approx(1.0, abs=1e-3)
