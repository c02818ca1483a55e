"""Backprop through time told step by step, against a PyTorch twin of the same unrolled RNN; and
the gradient reaching each time step in a tanh RNN against an LSTM."""
import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.explain import bptt
from chainrule.explain.over_time import SequenceClassifier, gradient_over_time, remember_first

SMALL = {}  # the defaults
WIDER = {"sequence": (0.3, -1.2, 0.8, 2.0), "targets": (0.1, 0.4, -0.6, 0.9),
         "input_weights": (0.7, -0.2, 0.4), "bias": (0.1, -0.05, 0.2),
         "recurrent_weights": (0.5, -0.6, 0.2, 0.3, 0.9, -0.4, -0.7, 0.1, 0.6),
         "output_weights": (0.3, -0.8, 0.5)}


def torch_twin(u):
    """The same RNN in PyTorch, float64, unrolled with retain_grad on every a_t, h_t and y_t."""
    s = u.settings
    n = s.hidden_size
    W_xh = torch.tensor(s.input_weights, dtype=torch.float64).reshape(n, 1).requires_grad_()
    W_hh = torch.tensor(s.recurrent_weights, dtype=torch.float64).reshape(n, n).requires_grad_()
    b = torch.tensor(np.broadcast_to(s.bias, n).copy(), dtype=torch.float64)
    W_hy = torch.tensor(s.output_weights, dtype=torch.float64).reshape(1, n)
    h, kept, loss = torch.zeros(n, dtype=torch.float64), [], 0
    for x_t, target in zip(s.sequence, s.targets):
        a = W_xh @ torch.tensor([x_t], dtype=torch.float64) + W_hh @ h + b
        h = torch.tanh(a)
        y = W_hy @ h
        for t in (a, h, y):
            t.retain_grad()
        kept.append((a, h, y))
        loss = loss + (0.5 * (y - target) ** 2).sum()
    loss.backward()
    return loss, kept, W_xh, W_hh


@pytest.mark.parametrize("options", [SMALL, WIDER], ids=["default", "3-units-4-steps"])
def test_every_number_matches_pytorch(options):
    u = bptt(**options)
    loss, kept, W_xh, W_hh = torch_twin(u)
    assert u.loss == pytest.approx(loss.item(), rel=1e-12)
    for f, (a, h, y) in zip(u.forward, kept):
        np.testing.assert_allclose(f.a, a.detach().numpy(), rtol=1e-12)
        np.testing.assert_allclose(f.h, h.detach().numpy(), rtol=1e-12)
        assert f.y == pytest.approx(y.item(), rel=1e-12)
    for b in u.backward:  # t = T .. 1
        a, h, y = kept[b.t - 1]
        np.testing.assert_allclose(b.dL_dh, h.grad.numpy(), rtol=1e-10, atol=1e-15)
        np.testing.assert_allclose(b.dL_da, a.grad.numpy(), rtol=1e-10, atol=1e-15)
        assert b.dL_dy == pytest.approx(y.grad.item(), rel=1e-12)
    weights = {w.name: w for w in u.weights}
    for name, W in (("W_hh", W_hh), ("W_xh", W_xh)):
        np.testing.assert_allclose(weights[name].grad, W.grad.numpy(), rtol=1e-10, atol=1e-15)


@pytest.mark.parametrize("options", [SMALL, WIDER], ids=["default", "3-units-4-steps"])
def test_per_step_terms_sum_to_the_shared_weights_gradient(options):
    u = bptt(**options)
    steps = len(u.forward)
    for w in u.weights:
        assert len(w.terms) == steps
        np.testing.assert_allclose(np.sum(w.terms, axis=0), w.grad, rtol=1e-12, atol=1e-15)
    hh, xh = u.weights
    for t, f in enumerate(u.forward):  # each term is dL/da_t outer (h_{t-1} or x_t)
        dL_da = next(b.dL_da for b in u.backward if b.t == f.t)
        np.testing.assert_allclose(hh.terms[t], np.outer(dL_da, f.h_prev), rtol=1e-12)
        np.testing.assert_allclose(xh.terms[t], np.outer(dL_da, [f.x]), rtol=1e-12)
    assert np.any(np.abs(hh.terms[1]) > 0)  # every later step does contribute


def test_dL_dh_is_this_steps_output_plus_what_comes_back():
    u = bptt(**WIDER)
    W_hh = np.reshape(WIDER["recurrent_weights"], (3, 3))
    by_t = {b.t: b for b in u.backward}
    last = len(u.forward)
    assert by_t[last].from_next == [0.0, 0.0, 0.0]
    for t, b in by_t.items():
        np.testing.assert_allclose(b.from_output, b.dL_dy * np.array(WIDER["output_weights"]))
        back = W_hh.T @ np.array(by_t[t + 1].dL_da) if t < last else np.zeros(3)
        np.testing.assert_allclose(b.from_next, back, rtol=1e-12, atol=1e-15)
        np.testing.assert_allclose(np.add(b.from_output, b.from_next), b.dL_dh, rtol=1e-12)
        np.testing.assert_allclose(b.dL_da, np.multiply(b.dL_dh, b.dtanh), rtol=1e-12)
    assert all(gap < 1e-12 for gap in u.checks.values())


def test_renderings():
    u = bptt()
    text, md = u.render("text"), u.render("md")
    for heading in ("Forward", "Backward through time", "W_hh: one term per step",
                    "W_xh: one term per step"):
        assert heading in text and heading in md
    assert "W_hh.grad from backward()" in text and "(h_1.grad)" in text
    d = u.to_dict()
    assert [b["t"] for b in d["backward"]] == [3, 2, 1]
    assert set(d["weights"]) == {"W_hh", "W_xh"}


@pytest.mark.parametrize("options, words", [
    ({"targets": (1.0,)}, "one target per step (3), got 1"),
    ({"recurrent_weights": (0.1, 0.2, 0.3)}, "2 x 2 = 4 recurrent weights"),
    ({"output_weights": (1.0,)}, "2 output weights"),
    ({"bias": (0.0, 0.1, 0.2)}, "the bias needs 1 value"),
])
def test_bad_settings_say_what_is_off(options, words):
    with pytest.raises(ValueError, match="bptt: .*" + words.replace("(", r"\(").replace(")", r"\)")):
        bptt(**options)


# ---- vanishing over time ---------------------------------------------------------------------
def test_unrolled_logits_are_the_layers():
    cr.manual_seed(0)
    x, _ = remember_first(4, 7, seed=1)
    for kind in ("rnn", "lstm"):
        model = SequenceClassifier(kind, hidden_size=5)
        logits, hidden = model.unrolled(x)
        assert len(hidden) == 7
        np.testing.assert_allclose(logits.detach().numpy(), model(x).detach().numpy(),
                                   rtol=1e-5, atol=1e-6)


def test_remember_first_labels_are_the_first_sign():
    x, labels = remember_first(50, 10, seed=3)
    assert x.shape == (50, 10, 1)
    np.testing.assert_array_equal(x.numpy()[:, 0, 0], 2.0 * labels.numpy() - 1)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_rnn_gradient_vanishes_over_time_lstm_far_less(seed):
    x, labels = remember_first(32, 50, seed=seed)
    x = x.double()
    ratios = {}
    for kind in ("rnn", "lstm"):
        cr.manual_seed(seed)
        norms = gradient_over_time(SequenceClassifier(kind, hidden_size=16).double(), x, labels)
        assert norms.shape == (50,) and np.all(norms > 0)
        ratios[kind] = norms[0] / norms[-1]
    assert ratios["rnn"] < 1e-7          # orders of magnitude lost over 50 steps
    assert ratios["lstm"] > 1e3 * ratios["rnn"]


@pytest.mark.parametrize("kind", ["rnn", "lstm"])
def test_gradient_over_time_matches_pytorch(kind):
    cr.manual_seed(4)
    model = SequenceClassifier(kind, hidden_size=6).double()
    x, labels = remember_first(8, 12, seed=4)
    norms = gradient_over_time(model, x.double(), labels)
    layer = {"rnn": torch.nn.RNN, "lstm": torch.nn.LSTM}[kind](1, 6, batch_first=True).double()
    head = torch.nn.Linear(6, 2).double()
    layer.load_state_dict({k[4:]: torch.tensor(v.numpy()) for k, v in model.state_dict().items()
                           if k.startswith("rnn.")})
    head.load_state_dict({k[5:]: torch.tensor(v.numpy()) for k, v in model.state_dict().items()
                          if k.startswith("head.")})
    xt, state, hidden = torch.tensor(x.numpy(), dtype=torch.float64), None, []
    for t in range(12):
        _, state = layer(xt[:, t:t + 1], state)
        h = state[0] if kind == "lstm" else state
        h.retain_grad()
        hidden.append(h)
    torch.nn.functional.cross_entropy(head(hidden[-1][0]), torch.tensor(labels.numpy())).backward()
    expected = [h.grad.norm(dim=-1).mean().item() for h in hidden]
    np.testing.assert_allclose(norms, expected, rtol=1e-9)
