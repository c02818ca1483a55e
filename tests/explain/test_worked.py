"""The worked example against an independent hand computation written out here with `math`,
for the classic network and for tanh, relu and cross-entropy variants."""
import math

import pytest

from chainrule.explain import Settings, worked_example

ACT = {  # activation and its derivative, as a function of the net input
    "sigmoid": (lambda z: 1 / (1 + math.exp(-z)),
                lambda z: math.exp(-z) / (1 + math.exp(-z)) ** 2),
    "tanh": (math.tanh, lambda z: 1 - math.tanh(z) ** 2),
    "relu": (lambda z: max(z, 0.0), lambda z: 1.0 if z > 0 else 0.0),
}
LOSS = {  # error of one output and its derivative with respect to that output
    "squared": (lambda o, t: 0.5 * (t - o) ** 2, lambda o, t: o - t),
    "cross-entropy": (lambda o, t: -(t * math.log(o) + (1 - t) * math.log(1 - o)),
                      lambda o, t: -t / o + (1 - t) / (1 - o)),
}


def by_hand(s):
    """Backpropagation with scalars and loops, the way it is done on paper."""
    x, t = list(s.inputs), list(s.targets)
    n_in, n_out = len(x), len(t)
    n_h = len(s.hidden_weights) // n_in
    w1 = [list(s.hidden_weights[j * n_in:(j + 1) * n_in]) for j in range(n_h)]
    w2 = [list(s.output_weights[k * n_h:(k + 1) * n_h]) for k in range(n_out)]
    b1 = [s.hidden_bias[j % len(s.hidden_bias)] for j in range(n_h)]
    b2 = [s.output_bias[k % len(s.output_bias)] for k in range(n_out)]
    f, df = ACT[s.activation]
    fo, dfo = ACT[s.output_activation]
    loss, dloss = LOSS[s.loss]

    def forward(w1, w2):
        net_h = [sum(w1[j][i] * x[i] for i in range(n_in)) + b1[j] for j in range(n_h)]
        out_h = [f(z) for z in net_h]
        net_o = [sum(w2[k][j] * out_h[j] for j in range(n_h)) + b2[k] for k in range(n_out)]
        out_o = [fo(z) for z in net_o]
        errors = [loss(o, tk) for o, tk in zip(out_o, t)]
        return net_h, out_h, net_o, out_o, errors

    def gradients(w1, w2):
        net_h, out_h, net_o, out_o, _ = forward(w1, w2)
        dE_dout_o = [dloss(o, tk) for o, tk in zip(out_o, t)]
        delta_o = [dE_dout_o[k] * dfo(net_o[k]) for k in range(n_out)]
        g2 = [[delta_o[k] * out_h[j] for j in range(n_h)] for k in range(n_out)]
        dE_dout_h = [sum(delta_o[k] * w2[k][j] for k in range(n_out)) for j in range(n_h)]
        g1 = [[dE_dout_h[j] * df(net_h[j]) * x[i] for i in range(n_in)] for j in range(n_h)]
        return g1, g2, dE_dout_o, delta_o, dE_dout_h

    def update(w1, w2):
        g1, g2 = gradients(w1, w2)[:2]
        lr = s.learning_rate
        return ([[w1[j][i] - lr * g1[j][i] for i in range(n_in)] for j in range(n_h)],
                [[w2[k][j] - lr * g2[k][j] for j in range(n_h)] for k in range(n_out)])

    net_h, out_h, net_o, out_o, errors = forward(w1, w2)
    g1, g2, dE_dout_o, delta_o, dE_dout_h = gradients(w1, w2)
    new1, new2 = update(w1, w2)
    after_update = sum(forward(new1, new2)[4])
    for _ in range(s.steps):
        new1, new2 = update(new1, new2)
    weights = {}
    for j in range(n_h):
        for i in range(n_in):
            weights[f"w{j * n_in + i + 1}"] = (w1[j][i], [dE_dout_h[j], df(net_h[j]), x[i]],
                                               g1[j][i], w1[j][i] - s.learning_rate * g1[j][i])
    for k in range(n_out):
        for j in range(n_h):
            weights[f"w{n_h * n_in + k * n_h + j + 1}"] = (
                w2[k][j], [dE_dout_o[k], dfo(net_o[k]), out_h[j]], g2[k][j],
                w2[k][j] - s.learning_rate * g2[k][j])
    paths = {(f"h{j + 1}", f"o{k + 1}"): (delta_o[k], w2[k][j])
             for j in range(n_h) for k in range(n_out)}
    return dict(net_h=net_h, out_h=out_h, net_o=net_o, out_o=out_o, errors=errors,
                total=sum(errors), weights=weights, paths=paths, dE_dout_h=dE_dout_h,
                after_update=after_update, after_steps=sum(forward(new1, new2)[4]))


VARIANTS = {
    "classic": Settings(steps=3),
    "tanh": Settings(activation="tanh", steps=3),
    "cross-entropy": Settings(loss="cross-entropy", steps=3),
    "tanh-hidden-cross-entropy": Settings(activation="tanh", output_activation="sigmoid",
                                          loss="cross-entropy", steps=3),
    "relu-3-inputs": Settings(inputs=(0.5, -1.0, 2.0), hidden_weights=(0.1, 0.2, -0.3, -0.4,
                                                                       0.5, 0.6),
                              hidden_bias=(0.1, -0.2), output_weights=(0.7, -0.8),
                              output_bias=(0.05,), targets=(0.3,), activation="relu",
                              learning_rate=0.1, steps=3),
}


def close(a, b):
    return a == pytest.approx(b, rel=1e-12, abs=1e-15)


@pytest.mark.parametrize("name", VARIANTS)
def test_every_number_matches_the_hand_computation(name):
    s = VARIANTS[name]
    w, h = worked_example(s), by_hand(s)
    assert [u.net for u in w.hidden] == pytest.approx(h["net_h"], rel=1e-12)
    assert [u.out for u in w.hidden] == pytest.approx(h["out_h"], rel=1e-12)
    assert [u.net for u in w.outputs] == pytest.approx(h["net_o"], rel=1e-12)
    assert [u.out for u in w.outputs] == pytest.approx(h["out_o"], rel=1e-12)
    assert w.errors == pytest.approx(h["errors"], rel=1e-12)
    assert close(w.total_error, h["total"])
    assert sorted(x.name for x in w.weights) == sorted(h["weights"])
    for x in w.weights:
        value, factors, gradient, updated = h["weights"][x.name]
        assert close(x.value, value), x.name
        assert [f["value"] for f in x.factors] == pytest.approx(factors, rel=1e-12, abs=1e-15)
        assert close(x.gradient, gradient), x.name
        assert close(x.updated, updated), x.name
    for p in w.paths:
        delta, weight = h["paths"][(p.hidden, p.output)]
        assert close(p.dE_dnet_o, delta) and close(p.dnet_o_dout_h, weight)
        assert close(p.term, delta * weight)
    assert w.dE_dout_h == pytest.approx(h["dE_dout_h"], rel=1e-12)
    assert close(w.error_after_update, h["after_update"])
    assert w.error_after_steps == pytest.approx(h["after_steps"], rel=1e-10)


def test_the_classic_published_numbers():
    """Figures printed in Mazur's 2015 walk-through of this network (rounded there to 9 digits);
    his error after the update used rounded intermediates, so it is not compared."""
    w = worked_example(Settings(steps=0))
    assert [round(u.out, 9) for u in w.hidden] == [0.593269992, 0.596884378]
    assert [round(u.out, 9) for u in w.outputs] == [0.75136507, 0.772928465]
    assert round(w.total_error, 9) == 0.298371109
    published = {"w1": 0.149780716, "w2": 0.19956143, "w3": 0.24975114, "w4": 0.29950229,
                 "w5": 0.35891648, "w6": 0.408666186, "w7": 0.51130127, "w8": 0.561370121}
    for x in w.weights:  # some are printed there with 8 decimals
        assert x.updated == pytest.approx(published[x.name], abs=6e-9), x.name


def test_the_text_shows_nine_significant_digits_of_each_number():
    w = worked_example(Settings(steps=1))
    text, md = w.render("text"), w.render("md")
    for x in w.weights:
        for shown in (format(x.gradient, ".9g"), format(x.updated, ".9g")):
            assert shown in text and shown in md
    assert format(w.total_error, ".9g") in text
    assert "sum of paths" in text and "| w5 (h1 -> o1) |" in md


def test_the_steps_bring_the_error_down():
    w = worked_example(Settings(steps=200))
    assert w.error_after_steps < w.error_after_update < w.total_error


@pytest.mark.parametrize("change, words", [
    (dict(hidden_weights=(0.1, 0.2, 0.3)), "whole rows"),
    (dict(output_weights=(0.1,)), "output weights"),
    (dict(hidden_bias=(0.1, 0.2, 0.3)), "hidden bias"),
    (dict(activation="softsign"), "unknown activation"),
    (dict(loss="cross-entropy", activation="tanh"), "must be sigmoid"),
    (dict(loss="cross-entropy", targets=(0.5, 2.0)), "between 0 and 1"),
    (dict(steps=-1), "steps"),
])
def test_bad_settings_are_named(change, words):
    with pytest.raises(ValueError, match=words):
        Settings(**change)
