"""What the optimizer tests share: one framework's parameters and optimizer stepped on a loss,
and the checks every optimizer goes through (the trajectory PyTorch takes, a state dict that
resumes exactly, an update in place)."""
import copy

import numpy as np
import pytest

import chainrule as cr


class Run:
    """One framework's (m is chainrule or torch) weight w and bias b, from `start` (or the
    arrays `weights`), and its optimizer `name`, stepped on the subclass's `loss`."""
    start = None  # (w, b) as arrays

    def __init__(self, m, name, options, groups=None, weights=None):
        self.m = m
        self.w, self.b = (m.tensor(a.copy(), requires_grad=True)
                          for a in (self.start if weights is None else weights))
        params = [self.w, self.b] if groups is None else \
            [{"params": [p], **g} for p, g in zip((self.w, self.b), groups)]
        self.opt = getattr(m.optim, name)(params, **options)

    def loss(self):
        raise NotImplementedError

    def step(self):
        def closure():
            self.opt.zero_grad()
            loss = self.loss()
            loss.backward()
            return loss
        return float(self.opt.step(closure).detach())

    def weights(self):
        return [np.array(p.detach().numpy()) for p in (self.w, self.b)]


def assert_same_trajectory(ours, theirs, steps, rtol, atol):
    """The same loss (to rtol) and weights (to rtol and atol) after each of `steps` steps."""
    for step in range(steps):
        assert ours.step() == pytest.approx(theirs.step(), rel=rtol), f"loss at step {step}"
        for a, b in zip(ours.weights(), theirs.weights()):
            np.testing.assert_allclose(a, b, rtol=rtol, atol=atol, err_msg=f"step {step}")


def assert_resumes_exactly(run, name, options, half):
    """`half` steps, save, load into a fresh optimizer over fresh weights, `half` more: the same
    weights as 2 * half steps straight. Returns the resumed run."""
    straight = run(cr, name, options)
    for _ in range(2 * half):
        straight.step()
    first = run(cr, name, options)
    for _ in range(half):
        first.step()
    saved = copy.deepcopy(first.opt.state_dict())
    resumed = run(cr, name, options, weights=first.weights())
    resumed.opt.load_state_dict(saved)
    for _ in range(half):
        resumed.step()
    for a, b in zip(resumed.weights(), straight.weights()):
        np.testing.assert_array_equal(a, b)
    return resumed


def assert_updates_in_place(make_optimizer):
    """No graph, no new array, the dtype kept (float32 here), the version bumped, the gradient
    left alone."""
    p = cr.randn(5, 3, requires_grad=True)
    array, version, before = p.array, p._version, p.numpy().copy()
    p.grad = cr.randn(5, 3)
    opt = make_optimizer([p])
    grad_before = p.grad.numpy().copy()
    opt.step()
    assert p.array is array and p.dtype == cr.float32 and p.grad_fn is None
    assert p._version == version + 1
    np.testing.assert_array_equal(p.grad.numpy(), grad_before)
    assert not np.array_equal(p.numpy(), before)
