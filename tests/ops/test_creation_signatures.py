"""Creation and random functions accept every call form PyTorch's do, and give the same shapes,
dtypes and (where not random) values. Random draws cannot equal PyTorch's: for them, seeding
reproduces, and the distribution's mean and variance match."""
import json
import pickle

import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op

DTYPES = {torch.float32: cr.float32, torch.float64: cr.float64, torch.int64: cr.int64,
          torch.int32: cr.int32, torch.bool: cr.bool, torch.float16: cr.float16}


def same(ours, theirs, exact=True):
    assert ours.shape == tuple(theirs.shape)
    assert ours.dtype == np.dtype(str(theirs.dtype).removeprefix("torch.")), \
        (ours.dtype, theirs.dtype)
    compare = np.testing.assert_array_equal if exact else \
        lambda a, b: np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-6)
    compare(ours.numpy(), theirs.numpy())


@pytest.fixture(autouse=True)
def _torch_default_dtype(torch_float32):
    yield


# ---- from data --------------------------------------------------------------------------------
@pytest.mark.parametrize("data", [[1.5, 2], [[1, 2]], True, 3, [], np.arange(3, dtype=np.int32)],
                         ids=str)
def test_tensor_and_as_tensor_infer_dtypes_as_torch(data):
    same(cr.tensor(data), torch.tensor(data))
    same(cr.as_tensor(data), torch.as_tensor(data))
    same(cr.tensor(data, dtype=cr.float64), torch.tensor(data, dtype=torch.float64))
    same(cr.as_tensor(data, dtype=cr.float64, device="cpu"),
         torch.as_tensor(data, dtype=torch.float64, device="cpu"))


def test_tensor_keywords_and_copies():
    t = cr.tensor([1.0], dtype=cr.float64, device="cpu", requires_grad=True, pin_memory=False)
    assert t.requires_grad and t.is_leaf and t.dtype == cr.float64
    a = np.zeros(2)
    assert cr.from_numpy(a).array is a and cr.as_tensor(a).array is a
    assert cr.tensor(a).array is not a
    with pytest.raises(TypeError, match="from_numpy: expected a numpy.ndarray, got list"):
        cr.from_numpy([1.0])


# ---- filled -----------------------------------------------------------------------------------
@pytest.mark.parametrize("name", ["zeros", "ones", "empty"])
def test_filled_accept_every_size_form(name):
    ours, theirs = getattr(cr, name), getattr(torch, name)
    forms = [((2, 3), {}), (((2, 3),), {}), (([2, 3],), {}), ((), {"size": (2, 3)}),
             ((4,), {"dtype": cr.int32}), (((),), {}), ((0, 2), {"dtype": cr.float64})]
    for args, kwargs in forms:
        torch_kwargs = {k: ({v: k for k, v in DTYPES.items()}[v] if k == "dtype" else v)
                        for k, v in kwargs.items()}
        a, b = ours(*args, **kwargs), theirs(*args, **torch_kwargs)
        assert a.shape == tuple(b.shape) and a.dtype == DTYPES[b.dtype]
        if name != "empty":
            same(a, b)
    t = ours(2, requires_grad=True, device="cpu", pin_memory=False,
             memory_format=cr.contiguous_format)
    assert t.requires_grad and t.dtype == cr.float32
    with pytest.raises(ValueError, match=f"{name}: sizes must be non-negative"):
        ours(2, -1)
    with pytest.raises(TypeError, match=f"{name}: unexpected keyword argument"):
        ours(2, out=None)
    with pytest.raises(TypeError, match=f"{name}: expected the size as integers"):
        ours(2.5)


@pytest.mark.parametrize("fill", [3, 1.5, True, -2])
def test_full_infers_dtype_from_the_fill_value(fill):
    same(cr.full((2, 3), fill), torch.full((2, 3), fill))
    same(cr.full([2], fill, dtype=cr.float64), torch.full([2], fill, dtype=torch.float64))
    same(cr.full(size=(1, 2), fill_value=fill), torch.full(size=(1, 2), fill_value=fill))


@pytest.mark.parametrize("name", ["zeros_like", "ones_like", "empty_like", "rand_like",
                                  "randn_like"])
def test_like_functions_keep_shape_and_dtype_and_accept_torch_keywords(name):
    ours, theirs = getattr(cr, name), getattr(torch, name)
    for source, torch_source in [(cr.zeros(2, 3, dtype=cr.float64), torch.zeros(2, 3).double()),
                                 (cr.zeros(4), torch.zeros(4))]:
        a, b = ours(source), theirs(torch_source)
        assert a.shape == tuple(b.shape) and a.dtype == DTYPES[b.dtype]
        a = ours(source, dtype=cr.float16, device="cpu", requires_grad=False,
                 memory_format=cr.preserve_format)
        assert a.dtype == cr.float16 and a.shape == source.shape
        assert ours(source, requires_grad=True).requires_grad
    if name in ("zeros_like", "ones_like"):
        same(ours(cr.zeros(3, dtype=cr.int64)), theirs(torch.zeros(3, dtype=torch.int64)))


def test_full_like():
    same(cr.full_like(cr.zeros(2, dtype=cr.int64), 7), torch.full_like(torch.zeros(2).long(), 7))
    same(cr.full_like(cr.zeros(2), 2.5, dtype=cr.float64),
         torch.full_like(torch.zeros(2), 2.5, dtype=torch.float64))


# ---- ranges -----------------------------------------------------------------------------------
@pytest.mark.parametrize("args, kwargs", [
    ((5,), {}), ((2, 7), {}), ((1, 10, 3), {}), ((0, 1, 0.1), {}), ((1.0, 4),
                                                                    {}), ((-1.3, 2.7, 0.3), {}),
    ((5, 0, -1), {}), ((0, 5, 1.5), {"dtype": torch.int64}), ((3,), {"dtype": torch.float64}),
    ((), {"end": 4}), ((), {"start": 1, "end": 4, "step": 2}), ((0, 0), {})], ids=str)
def test_arange_forms_values_and_dtypes(args, kwargs):
    ours_kwargs = {k: DTYPES.get(v, v) if k == "dtype" else v for k, v in kwargs.items()}
    same(cr.arange(*args, **ours_kwargs), torch.arange(*args, **kwargs), exact=False)


def test_arange_rejects_what_torch_rejects():
    with pytest.raises(ValueError, match="arange: step must be nonzero"):
        cr.arange(0, 5, 0)
    with pytest.raises(ValueError, match="arange: cannot go from 5 to 0 in steps of 1"):
        cr.arange(5, 0)
    with pytest.raises(RuntimeError):
        torch.arange(5, 0)


@pytest.mark.parametrize("args", [(0, 1, 7), (-3.3, 2.1, 11), (2, -7, 6), (0, 1, 1), (0, 1, 0),
                                  (1, 10, 100)], ids=str)
@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_linspace_and_logspace(args, dtype):
    same(cr.linspace(*args), torch.linspace(*args), exact=False)
    same(cr.linspace(*args, dtype=DTYPES[dtype]), torch.linspace(*args, dtype=dtype), exact=False)
    same(cr.linspace(start=args[0], end=args[1], steps=args[2]),
         torch.linspace(start=args[0], end=args[1], steps=args[2]), exact=False)
    np.testing.assert_allclose(cr.logspace(*args, dtype=DTYPES[dtype]).numpy(),
                               torch.logspace(*args, dtype=dtype).numpy(), rtol=1e-5)
    np.testing.assert_allclose(cr.logspace(*args, base=2).numpy(),
                               torch.logspace(*args, base=2).numpy(), rtol=1e-5)


def test_integer_linspace_truncates_as_torch():
    same(cr.linspace(0, 10, 5, dtype=cr.int64), torch.linspace(0, 10, 5, dtype=torch.int64))
    same(cr.linspace(2, -7, 4, dtype=cr.int64), torch.linspace(2, -7, 4, dtype=torch.int64))


def test_eye():
    same(cr.eye(3), torch.eye(3))
    same(cr.eye(2, 4), torch.eye(2, 4))
    same(cr.eye(n=3, m=1, dtype=cr.int64), torch.eye(n=3, m=1, dtype=torch.int64))


# ---- seeding and generators -------------------------------------------------------------------
def test_manual_seed_returns_the_default_generator_and_reproduces():
    g = cr.manual_seed(11)
    assert isinstance(g, cr.Generator) and g is cr.default_generator
    assert cr.initial_seed() == torch.manual_seed(11).initial_seed() == 11
    first = cr.randn(5).tolist()
    cr.manual_seed(11)
    assert cr.randn(5).tolist() == first
    assert cr.manual_seed(-1).initial_seed() == torch.manual_seed(-1).initial_seed()
    with pytest.raises(TypeError, match="manual_seed: expected an integer seed, got float"):
        cr.manual_seed(1.5)


def test_seed_picks_a_fresh_seed_and_reports_it():
    s = cr.seed()
    assert isinstance(s, int) and 0 <= s < 2 ** 64 and cr.initial_seed() == s
    drawn = cr.rand(3).tolist()
    cr.manual_seed(s)
    assert cr.rand(3).tolist() == drawn


def test_rng_state_round_trips_and_is_plain_data():
    state = cr.get_rng_state()
    json.dumps(state)  # checkpoints store it without pickle
    first = cr.rand(4).tolist()
    cr.set_rng_state(state)
    assert cr.rand(4).tolist() == first


def test_generator_api_matches_torch():
    g, tg = cr.Generator(), torch.Generator()
    assert g.manual_seed(3) is g and tg.manual_seed(3) is tg
    assert g.initial_seed() == tg.initial_seed() == 3
    assert str(g.device) == str(tg.device) == "cpu"
    state = g.get_state()
    a = cr.rand(4, generator=g).tolist()
    assert cr.rand(4, generator=g).tolist() != a
    g.set_state(state)
    assert cr.rand(4, generator=g).tolist() == a
    s = g.seed()
    assert g.initial_seed() == s
    copy = pickle.loads(pickle.dumps(g))
    assert isinstance(copy, cr.Generator) and copy.initial_seed() == s
    assert cr.rand(3, generator=copy).tolist() == cr.rand(3, generator=g).tolist()


def test_a_generator_is_a_numpy_generator_for_the_data_layer():
    g = cr.Generator().manual_seed(0)
    assert isinstance(g, np.random.Generator) and np.random.default_rng(g) is g
    sampler = cr.data.RandomSampler(range(10), generator=g)
    order = list(sampler)
    g.manual_seed(0)
    assert list(sampler) == order and sorted(order) == list(range(10))


RANDOM_CALLS = {  # name: (chainrule call, torch call), each given a generator
    "rand": (lambda g: cr.rand(2, 3, generator=g), lambda g: torch.rand(2, 3, generator=g)),
    "randn": (lambda g: cr.randn((2, 3), generator=g), lambda g: torch.randn((2, 3), generator=g)),
    "randint": (lambda g: cr.randint(3, 10, (4,), generator=g),
                lambda g: torch.randint(3, 10, (4,), generator=g)),
    "randperm": (lambda g: cr.randperm(6, generator=g), lambda g: torch.randperm(6, generator=g)),
    "normal": (lambda g: cr.normal(cr.zeros(3), 1.0, generator=g),
               lambda g: torch.normal(torch.zeros(3), 1.0, generator=g)),
    "bernoulli": (lambda g: cr.bernoulli(cr.full((5,), 0.5), generator=g),
                  lambda g: torch.bernoulli(torch.full((5,), 0.5), generator=g)),
    "multinomial": (lambda g: cr.multinomial(cr.ones(2, 5), 3, generator=g),
                    lambda g: torch.multinomial(torch.ones(2, 5), 3, generator=g)),
    "poisson": (lambda g: cr.poisson(cr.full((4,), 3.0), g),
                lambda g: torch.poisson(torch.full((4,), 3.0), g)),
    "rand_like": (lambda g: cr.rand_like(cr.zeros(3), generator=g),
                  lambda g: torch.rand_like(torch.zeros(3), generator=g)),
    "randn_like": (lambda g: cr.randn_like(cr.zeros(3), generator=g),
                   lambda g: torch.randn_like(torch.zeros(3), generator=g)),
    "randint_like": (lambda g: cr.randint_like(cr.zeros(3), 2, 9, generator=g),
                     lambda g: torch.randint_like(torch.zeros(3), 2, 9, generator=g)),
}


@pytest.mark.parametrize("name", RANDOM_CALLS)
def test_random_functions_draw_reproducibly_from_a_generator(name):
    ours, theirs = RANDOM_CALLS[name]
    g = cr.Generator().manual_seed(4)
    first = ours(g)
    cr.manual_seed(123)  # the default generator is not involved
    g.manual_seed(4)
    again = ours(g)
    np.testing.assert_array_equal(first.numpy(), again.numpy())
    expected = theirs(torch.Generator().manual_seed(4))
    assert first.shape == tuple(expected.shape) and first.dtype == DTYPES[expected.dtype]


# ---- random call forms, shapes, dtypes, distributions -----------------------------------------
def moments(t):
    a = t.numpy().astype(np.float64)
    return a.mean(), a.var()


def test_rand_and_randn_forms_and_moments():
    for size in [(3, 4), ((3, 4),), ([3, 4],)]:
        assert cr.rand(*size).shape == tuple(torch.rand(*size).shape)
        assert cr.randn(*size).dtype == cr.float32
    assert cr.rand(size=(2,)).shape == (2,) and cr.randn(2, dtype=cr.float64).dtype == cr.float64
    assert cr.rand(2, requires_grad=True).requires_grad
    u = cr.rand(200_000)
    assert 0 <= u.numpy().min() and u.numpy().max() < 1
    np.testing.assert_allclose(moments(u), (0.5, 1 / 12), atol=5e-3)
    np.testing.assert_allclose(moments(cr.randn(200_000)), (0.0, 1.0), atol=2e-2)
    assert cr.rand(10_000, dtype=cr.float16).numpy().max() < 1
    with pytest.raises(TypeError, match="rand: expected a floating-point dtype, got int64"):
        cr.rand(2, dtype=cr.int64)


def test_randint_forms():
    forms = [((10, (3,)), {}), ((3, 10, (2, 2)), {}), ((), {"low": 2, "high": 5, "size": (4,)}),
             ((5,), {"size": (3,)}), ((0, 2, (3,)), {"dtype": torch.int32}),
             ((0, 2, (3,)), {"dtype": torch.float32})]
    for args, kwargs in forms:
        ours_kwargs = {k: DTYPES.get(v, v) if k == "dtype" else v for k, v in kwargs.items()}
        a, b = cr.randint(*args, **ours_kwargs), torch.randint(*args, **kwargs)
        assert a.shape == tuple(b.shape) and a.dtype == DTYPES[b.dtype]
    values = cr.randint(3, 10, (100_000,)).numpy()
    assert values.min() == 3 and values.max() == 9
    np.testing.assert_allclose(values.mean(), 6, atol=0.05)
    with pytest.raises(ValueError, match="randint: expected low < high"):
        cr.randint(5, 5, (2,))


def test_randint_like_forms():
    for args in [(5,), (2, 5)]:
        a, b = cr.randint_like(cr.zeros(3, 2), *args), torch.randint_like(torch.zeros(3, 2), *args)
        assert a.shape == tuple(b.shape) and a.dtype == DTYPES[b.dtype]
    a = cr.randint_like(cr.zeros(1000, dtype=cr.int64), low=2, high=5).numpy()
    assert set(a.tolist()) == {2, 3, 4}


def test_randperm():
    for kwargs in [{}, {"dtype": torch.int32}]:
        ours_kwargs = {k: DTYPES[v] for k, v in kwargs.items()}
        a, b = cr.randperm(7, **ours_kwargs), torch.randperm(7, **kwargs)
        assert a.dtype == DTYPES[b.dtype] and sorted(a.tolist()) == list(range(7))


@pytest.mark.parametrize("form", ["tensor, tensor", "tensor, float", "float, tensor",
                                  "float, float, size"])
def test_normal_overloads(form):
    n = 100_000
    calls = {
        "tensor, tensor": (lambda m: m.normal(m.zeros(n) + 2, m.ones(n) * 3)),
        "tensor, float": (lambda m: m.normal(m.zeros(n) + 2, 3.0)),
        "float, tensor": (lambda m: m.normal(2.0, m.ones(n) * 3)),
        "float, float, size": (lambda m: m.normal(2, 3, size=(n,))),
    }
    ours, theirs = calls[form](cr), calls[form](torch)
    assert ours.shape == tuple(theirs.shape) and ours.dtype == DTYPES[theirs.dtype]
    np.testing.assert_allclose(moments(ours), (2, 9), rtol=0.03, atol=0.03)


def test_normal_keywords_broadcasting_and_errors():
    assert cr.normal(mean=cr.zeros(3)).shape == (3,)
    assert cr.normal(std=cr.ones(2)).shape == (2,)
    assert cr.normal(cr.zeros(2, 1), cr.ones(1, 3)).shape == \
        tuple(torch.normal(torch.zeros(2, 1), torch.ones(1, 3)).shape)
    assert cr.normal(0, 1, (2,), dtype=cr.float64).dtype == cr.float64
    assert cr.normal(cr.zeros(2, dtype=cr.float64), 1.0).dtype == cr.float64
    with pytest.raises(ValueError, match="normal: std must be non-negative"):
        cr.normal(0.0, -1.0, (2,))
    with pytest.raises(ValueError, match="normal: std must be non-negative"):
        cr.normal(cr.zeros(2), -cr.ones(2))
    with pytest.raises(TypeError, match="normal: with a number for both mean and std"):
        cr.normal(0.0, 1.0)


def test_random_draws_of_tensor_parameters_have_zero_gradients_as_in_torch():
    for fn in (lambda m, x: m.normal(x, 1.0), lambda m, x: m.normal(x, x + 3),
               lambda m, x: m.bernoulli(m.sigmoid(x)), lambda m, x: m.poisson(m.exp(x))):
        check_op(fn, [(3,)], name="random draw", gradgrad=False, finite_differences=False,
                 atol=np.inf)  # values are random; the gradients (zeros) are compared


def test_bernoulli_forms_and_mean():
    p = cr.full((100_000,), 0.3)
    b = cr.bernoulli(p)
    assert b.dtype == cr.float32 and set(np.unique(b.numpy())) <= {0.0, 1.0}
    np.testing.assert_allclose(b.numpy().mean(), 0.3, atol=0.01)
    for with_p in (cr.bernoulli(cr.zeros(100_000), 0.7), cr.bernoulli(cr.zeros(100_000), p=0.7)):
        np.testing.assert_allclose(with_p.numpy().mean(), 0.7, atol=0.01)
    theirs = torch.bernoulli(torch.zeros(3, dtype=torch.float64), p=0.5)
    assert cr.bernoulli(cr.zeros(3, dtype=cr.float64), p=0.5).dtype == DTYPES[theirs.dtype]
    with pytest.raises(ValueError, match=r"bernoulli: probabilities must lie in \[0, 1\]"):
        cr.bernoulli(cr.full((2,), 1.5))
    with pytest.raises(TypeError, match="bernoulli: expected floating-point probabilities"):
        cr.bernoulli(cr.ones(2, dtype=cr.int64))


def test_multinomial_forms_and_frequencies():
    weights = [1.0, 3.0, 0.0, 6.0]
    for args, kwargs in [((2, True), {}), ((3,), {"replacement": False}),
                         ((50,), {"replacement": True})]:
        for w in (weights, [weights, weights[::-1]]):
            a = cr.multinomial(cr.tensor(w), *args, **kwargs)
            b = torch.multinomial(torch.tensor(w), *args, **kwargs)
            assert a.shape == tuple(b.shape) and a.dtype == DTYPES[b.dtype]
    picks = cr.multinomial(cr.tensor([weights, weights[::-1]]), 100_000, replacement=True)
    for row, w in zip(picks.numpy(), (weights, weights[::-1])):
        np.testing.assert_allclose(np.bincount(row, minlength=4) / row.size,
                                   np.array(w) / sum(w), atol=0.01)
    no_repeat = cr.multinomial(cr.ones(2000, 5), 5).numpy()
    assert (np.sort(no_repeat, 1) == np.arange(5)).all()  # each row, every category once
    first = cr.multinomial(cr.tensor([[1.0, 2.0, 7.0]] * 50_000), 1).numpy().ravel()
    np.testing.assert_allclose(np.bincount(first) / first.size, [0.1, 0.2, 0.7], atol=0.01)
    assert cr.multinomial(cr.tensor(weights), 4)[-1].item() == 2  # weight 0 comes last
    with pytest.raises(ValueError, match="multinomial: cannot draw 5 samples without"):
        cr.multinomial(cr.tensor(weights), 5)
    with pytest.raises(RuntimeError):
        torch.multinomial(torch.tensor(weights), 5)
    with pytest.raises(ValueError, match="multinomial: weights must be finite and non-negative"):
        cr.multinomial(cr.tensor([1.0, -1.0]), 1)


def test_poisson_dtype_and_moments():
    rates = cr.full((100_000,), 4.0, dtype=cr.float64)
    counts = cr.poisson(rates)
    assert counts.dtype == DTYPES[torch.poisson(torch.full((2,), 4.0).double()).dtype]
    np.testing.assert_allclose(moments(counts), (4.0, 4.0), rtol=0.03)
    with pytest.raises(ValueError, match="poisson: rates must be non-negative"):
        cr.poisson(-cr.ones(2))


# ---- queries and printing ---------------------------------------------------------------------
def test_is_tensor_is_floating_point_numel():
    for ours, theirs in [(cr.zeros(2, 3), torch.zeros(2, 3)),
                         (cr.zeros(4, dtype=cr.int64), torch.zeros(4, dtype=torch.int64))]:
        assert cr.is_tensor(ours) and torch.is_tensor(theirs)
        assert cr.is_floating_point(ours) == torch.is_floating_point(theirs)
        assert cr.numel(ours) == torch.numel(theirs)
    assert not cr.is_tensor([1.0]) and not torch.is_tensor([1.0])


@pytest.fixture
def printing():
    yield
    cr.set_printoptions(profile="default")
    torch.set_printoptions(profile="default")


@pytest.mark.parametrize("options", [{"precision": 2}, {"precision": 6}, {"threshold": 5},
                                     {"threshold": 5, "edgeitems": 1}, {"sci_mode": True},
                                     {"sci_mode": False}, {"profile": "short"},
                                     {"profile": "full"}], ids=str)
def test_set_printoptions_changes_repr_as_in_torch(options, printing):
    values = np.linspace(0.000123, 1234.56789, 12)
    cr.set_printoptions(**options)
    torch.set_printoptions(**options)
    ours, theirs = repr(cr.tensor(values)), repr(torch.tensor(values, dtype=torch.float32))
    assert ("..." in ours) == ("..." in theirs)
    assert ("e+" in ours) == ("e+" in theirs)
    numbers = lambda text: [n for n in text.replace("[", " ").replace("]", " ").replace(
        ",", " ").split() if "." in n and n != "..."]
    digits = lambda text: max(len(n.split(".")[1].split("e")[0]) for n in numbers(text))
    assert digits(ours) == digits(theirs)  # (torch pads every number to the most digits)
    assert len(numbers(ours)) == len(numbers(theirs))  # as many shown, at each end
