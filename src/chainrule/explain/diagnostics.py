"""Gradient-flow diagnostics: how big the gradients are in each layer while a network trains,
whether they vanish or explode on their way back to the input, and what to do about it.

`GradientFlow` works as a training callback (`chainrule train --diagnose`, or
`callbacks=[GradientFlow()]`) and as a plain recorder in a hand-written loop::

    flow = GradientFlow()
    for x, y in loader:
        loss = loss_fn(model(x), y)
        opt.zero_grad(); loss.backward()
        flow.record(model)       # gradients are in p.grad
        opt.step()
    print(flow.report()); flow.plot("gradient_flow.png")

Per layer (a module that owns parameters) it records the gradient norm and the weight norm of
its weight, and the update-to-weight ratio |dW| / |W| of each optimizer step; per activation
module, the mean and spread of its outputs, the fraction of ReLU units that are dead (zero for
every sample of the batch) and the fraction of sigmoid/tanh outputs that are saturated."""
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RELUS = ("ReLU", "ReLU6")                          # units that can die
SQUASHING = {"Sigmoid": (0.01, 0.99), "Tanh": (-0.99, 0.99)}  # saturated outside these
ACTIVATIONS = RELUS + tuple(SQUASHING) + ("LeakyReLU", "ELU", "GELU", "SiLU", "Softplus",
                                          "Mish", "Hardtanh", "Softsign")


@dataclass
class Flag:
    kind: str      # vanishing, exploding, not-finite, large-updates, dead-relu, saturated
    layer: str     # where it shows: a layer, or an activation module
    advice: str    # a plain sentence: what is happening, and what to try

    def __str__(self):
        return self.advice


class GradientFlow:
    """Records gradient flow per layer; see the module docstring.

    every: record every n-th batch (callback use). vanishing / exploding: the ratio of the first
    layer's gradient norm to the last layer's below / above which gradients are flagged;
    `exploding` is also the largest gradient-to-weight norm ratio that passes.
    out_dir: where the callback writes gradient_flow.png and gradient_flow.json at the end
    (default: the trainer's out_dir)."""

    def __init__(self, every=1, vanishing=1e-3, exploding=1e3, out_dir=None, verbose=True):
        self.every, self.vanishing, self.exploding = every, vanishing, exploding
        self.out_dir = None if out_dir is None else Path(out_dir)
        self.verbose = verbose
        self.records = []        # one dict per record, see record()
        self._model, self._hooks, self._outputs = None, [], {}
        self._before = None      # weights before the pending optimizer step
        self._told, self._seen = set(), 0

    # ---- plain use ---------------------------------------------------------------------------
    def attach(self, model):
        """Watches `model`'s activation modules (forward hooks); record() calls it itself."""
        self.detach()
        self._model = model
        for name, module in model.named_modules():
            kind = type(module).__name__
            if kind in ACTIVATIONS:
                self._hooks.append(module.register_forward_hook(self._keeper(name, kind)))
        return self

    def detach(self):
        """Removes the hooks (the callback does this when training ends)."""
        for hook in self._hooks:
            hook.remove()
        self._model, self._hooks, self._outputs = None, [], {}

    def record(self, model, step=None):
        """Call after backward(), before the optimizer step: notes every layer's gradient and
        weight norm, and the last batch's activation statistics. `step`: the training step, for
        the pictures (default: the number of records so far)."""
        if model is not self._model:
            self.attach(model)
        self.after_step(model)  # the step since the last record, if nobody reported it
        layers = _layers(model)
        entry = {"step": len(self.records) if step is None else step, "grad_norm": {},
                 "weight_norm": {}, "update_ratio": {}, "activations": {}}
        for name, weight in layers.items():
            entry["weight_norm"][name] = _norm(weight.array)
            entry["grad_norm"][name] = None if weight.grad is None else _norm(weight.grad.array)
        for name, (kind, array) in self._outputs.items():
            entry["activations"][name] = _activation_stats(kind, array)
        self._outputs = {}
        self.records.append(entry)
        self._before = {name: w.array.copy() for name, w in layers.items()}

    def after_step(self, model):
        """Call after the optimizer step for the exact update-to-weight ratio of that step
        (otherwise the next record() measures the change since the last one)."""
        if self._before is None:
            return
        ratios = self.records[-1]["update_ratio"]
        for name, weight in _layers(model).items():
            old = self._before.get(name)
            if old is not None and old.shape == weight.shape:
                ratios[name] = _norm(weight.array - old) / max(_norm(old), 1e-30)
        self._before = None

    # ---- the training callback protocol ------------------------------------------------------
    def on_fit_start(self, trainer):
        self.attach(trainer.model)

    def on_after_backward(self, trainer, batch_index):
        if self._seen % self.every == 0:
            self.record(trainer.model, step=self._seen)
        self._seen += 1

    def on_batch_end(self, trainer, batch_index, logs):
        self.after_step(trainer.model)

    def on_epoch_end(self, trainer, epoch, logs):
        if self.verbose:
            for flag in self.diagnose():
                if (flag.kind, flag.layer) not in self._told:
                    self._told.add((flag.kind, flag.layer))
                    print(f"gradient flow: {flag}", flush=True)

    def on_fit_end(self, trainer):
        self.detach()
        out = self.out_dir or getattr(trainer, "out_dir", None)
        if out is not None and self.records:
            self.save(out)

    # ---- conclusions -------------------------------------------------------------------------
    def layer_names(self):
        return list(self.records[-1]["grad_norm"]) if self.records else []

    def profile(self, key="grad_norm", window=10):
        """Per layer (input side first), the median of `key` over the last `window` records."""
        recent = self.records[-window:]
        out = {}
        for name in self.layer_names():
            values = [r[key].get(name) for r in recent if r[key].get(name) is not None]
            if values:
                out[name] = float(np.median(values))
        return out

    def diagnose(self, window=10):
        """The problems the recent records show, each with a sentence of advice."""
        if not self.records:
            return []
        return (self._check_depth(window) + self._check_scale(window)
                + self._check_updates(window) + self._check_activations())

    def _check_depth(self, window):
        """Gradient norms collapsing (or blowing up) from the last layer back to the first."""
        latest = self.records[-1]["grad_norm"]
        broken = [n for n, v in latest.items() if v is not None and not math.isfinite(v)]
        if broken:
            return [Flag("not-finite", broken[0], (
                f"Gradients became NaN or Inf (first in layer {broken[0]}): lower the learning "
                "rate, clip the gradient norm, and run a step under "
                "cr.autograd.detect_anomaly() to find the op that produced them."))]
        grads = self.profile("grad_norm", window)
        names = list(grads)
        if len(names) < 2 or grads[names[-1]] <= 0:
            return []
        first, last = names[0], names[-1]
        ratio = grads[first] / grads[last]
        per_layer = ratio ** (1 / (len(names) - 1))
        if ratio < self.vanishing:
            return [Flag("vanishing", first, (
                f"Vanishing gradients: the first layer ({first}) gets {ratio:.1e} times the "
                f"gradient of the last ({last}), shrinking about x{per_layer:.2f} per layer, "
                "so the early layers barely learn. Use ReLU-family activations instead of "
                "sigmoid/tanh, He (Kaiming) or Xavier initialization instead of small weights, "
                "or add normalization (BatchNorm/LayerNorm) or residual connections."))]
        if ratio > self.exploding:
            return [Flag("exploding", first, (
                f"Exploding gradients: the first layer ({first}) gets {ratio:.1e} times the "
                f"gradient of the last ({last}), growing about x{per_layer:.2f} per layer. "
                "Lower the learning rate, clip the gradient norm, scale the initialization to "
                "the layer widths (Xavier/He), or add normalization."))]
        return []

    def _check_scale(self, window):
        """Gradients far bigger than the weights they update: the depth check misses this when
        every layer is equally off."""
        grads, weights = self.profile("grad_norm", window), self.profile("weight_norm", window)
        scale = {n: grads[n] / weights[n] for n in grads if weights.get(n, 0) > 0}
        worst = max(scale, key=scale.get, default=None)
        if worst is None or scale[worst] <= self.exploding:
            return []
        return [Flag("exploding", worst, (
            f"Exploding gradients: the gradient of layer {worst} is {scale[worst]:.1e} times "
            "the size of its weights, so a usual learning rate throws the weights far away. "
            "Scale the initialization to the layer widths (Xavier/He), add normalization, "
            "clip the gradient norm, or lower the learning rate."))]

    def _check_updates(self, window):
        return [Flag("large-updates", name, (
            f"Layer {name} changes by {ratio:.2g} of its size at each step (about 1e-3 is "
            "typical): the learning rate is likely too high for it."))
            for name, ratio in self.profile("update_ratio", window).items() if ratio > 0.1]

    def _check_activations(self):
        flags = []
        for name, stats in self.records[-1]["activations"].items():
            if stats.get("dead", 0) > 0.5:
                flags.append(Flag("dead-relu", name, (
                    f"{stats['dead']:.0%} of the ReLU units at {name} are dead (zero for every "
                    "sample of a batch), so they get no gradient and stop learning: lower the "
                    "learning rate, use He initialization, or try LeakyReLU.")))
            if stats.get("saturated", 0) > 0.5:
                flags.append(Flag("saturated", name, (
                    f"{stats['saturated']:.0%} of the outputs of {name} are saturated (flat "
                    "parts of the curve, where the derivative is near zero): scale the "
                    "initialization down or normalize the inputs of the layer.")))
        return flags

    def report(self, window=10):
        """A short table of the recent medians per layer, and the flags."""
        if not self.records:
            return "gradient flow: nothing recorded yet (call record(model) after backward())"
        grads, weights = self.profile("grad_norm", window), self.profile("weight_norm", window)
        ratios = self.profile("update_ratio", window)
        lines = [f"gradient flow over the last {min(window, len(self.records))} records "
                 f"(median), input side first:",
                 f"  {'layer':<16} {'grad norm':>10} {'weight norm':>12} {'update/weight':>14}"]
        for name in self.layer_names():
            r = ratios.get(name)
            lines.append(f"  {name:<16} {grads.get(name, float('nan')):>10.3g} "
                         f"{weights.get(name, float('nan')):>12.3g} "
                         f"{'-' if r is None else format(r, '.3g'):>14}")
        flags = self.diagnose(window)
        lines += [f"  ! {f}" for f in flags] or ["  no problems flagged"]
        return "\n".join(lines)

    # ---- files -------------------------------------------------------------------------------
    def to_dict(self):
        return {"layers": self.layer_names(), "records": self.records,
                "flags": [vars(f) for f in self.diagnose()]}

    def save(self, out_dir):
        """gradient_flow.json (every record and the flags) and gradient_flow.png."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        (out / "gradient_flow.json").write_text(json.dumps(self.to_dict(), indent=1) + "\n")
        return [out / "gradient_flow.json", self.plot(out / "gradient_flow.png")]

    def plot(self, path, title=None, dpi=90):
        """Two panels: each layer's gradient norm over training, and the gradient norm against
        depth early, midway and late in training (log scales). Needs matplotlib."""
        import matplotlib
        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        names = self.layer_names()
        steps = [r["step"] for r in self.records]
        depth = plt.Normalize(1, max(len(names), 2))
        fig, (over_time, by_depth) = plt.subplots(1, 2, figsize=(11, 4.2))
        for k, name in enumerate(names, 1):
            values = [_positive(r["grad_norm"].get(name)) for r in self.records]
            over_time.plot(steps, values, color=plt.cm.viridis(depth(k)), lw=1.2)
        over_time.set(yscale="log", xlabel="training step", ylabel="gradient norm of the weight",
                      title="per layer, over training")
        fig.colorbar(plt.cm.ScalarMappable(norm=depth, cmap="viridis"), ax=over_time,
                     label="layer (1 = next to the input)")
        moments = sorted({0, len(self.records) // 2, len(self.records) - 1})
        for k, shade in zip(moments, ("0.7", "0.45", "0.0")):
            r = self.records[k]
            by_depth.plot(range(1, len(names) + 1), [_positive(r["grad_norm"].get(n))
                                                       for n in names],
                          "o-", color=shade, label=f"step {r['step']}")
        by_depth.set(yscale="log", xlabel="layer (1 = next to the input)",
                     ylabel="gradient norm of the weight", title="against depth")
        by_depth.set_xticks(range(1, len(names) + 1))
        by_depth.legend(fontsize=8)
        if title:
            fig.suptitle(title)
        fig.tight_layout()
        fig.savefig(path, dpi=dpi)
        plt.close(fig)
        return Path(path)

    def _keeper(self, name, kind):
        def hook(module, args, output):
            self._outputs[name] = (kind, output.array)  # statistics are taken at record()
        return hook


def _layers(model):
    """{name: weight} of every module that owns parameters itself, in definition order (for a
    feed-forward stack, input side first); `weight` if it has one, else its first parameter."""
    out = {}
    for name, module in model.named_modules():
        own = dict(module.named_parameters(recurse=False))
        if own:
            label = f"{name or 'model'} ({type(module).__name__})"
            out[label] = own.get("weight", next(iter(own.values())))
    return out


def _norm(array):
    return float((array * array).sum()) ** 0.5


def _positive(v):
    return v if v is not None and v > 0 else float("nan")


def _activation_stats(kind, array):
    a = np.asarray(array.get() if hasattr(array, "get") else array, np.float64)
    stats = {"mean": float(a.mean()), "std": float(a.std())}
    if kind in RELUS and a.ndim >= 2:
        units = np.moveaxis(a, 1, 0).reshape(a.shape[1], -1)  # one row per unit (or channel)
        stats["dead"] = float(np.mean(~(units > 0).any(axis=1)))
        stats["zero"] = float(np.mean(a <= 0))
    if kind in SQUASHING:
        lo, hi = SQUASHING[kind]
        stats["saturated"] = float(np.mean((a < lo) | (a > hi)))
    return stats
