"""Character-level language models on Tiny Shakespeare, chainrule against PyTorch in one run:
nanoGPT's CPU recipe (a GPT of 4 layers, 4 heads, 128 wide; block 64, batch 12, 2,000
iterations, AdamW lr 1e-3 with 100 warm-up iterations and a cosine decay to 1e-4, weight decay
0.1 on matrices, beta2 0.99, gradients clipped at 1, no dropout), and the same recipe for the
recurrent model (`--model lstm`: embedding, 2 LSTM layers of 128, linear read-out).

    python bench/charlm.py --model gpt [--iters 2000]
    python bench/charlm.py --model lstm

One model definition serves both frameworks: chainrule.train.text_models is loaded a second
time with its two imports pointed at torch (tests/torch_twin.py). PyTorch starts from
chainrule's initial weights, both see the same batches and learning rates, and their steps
alternate, so a busy machine slows both alike. Reported: the validation loss over the whole
held-out text (non-overlapping windows of 64), and the median milliseconds per iteration."""
import argparse
import statistics
import sys
import time
from pathlib import Path

import numpy as np
import torch

import chainrule as cr
from chainrule.data.datasets import TinyShakespeare
from chainrule.train import text_models
from chainrule.train.language import Recipe, adamw

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))
from torch_twin import on_torch  # noqa: E402 (a test helper, found beside this folder)


def step(m, model, optimizer, x, y, lr, clip):
    for group in optimizer.param_groups:
        group["lr"] = lr
    logits = model(m.as_tensor(x))
    loss = m.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                         m.as_tensor(y).reshape(-1))
    optimizer.zero_grad()
    loss.backward()
    m.nn.utils.clip_grad_norm_(model.parameters(), clip)
    optimizer.step()
    return loss.item()


def validation_loss(m, model, text):
    """Over every non-overlapping window of the text (chainrule.train.language's measure,
    written once for either framework)."""
    model.eval()
    starts = np.arange(0, len(text.data) - text.block_size, text.block_size)
    total = 0.0
    with m.no_grad():
        for i in range(0, len(starts), 64):
            x, y = text.batch(starts[i:i + 64])
            logits = model(m.as_tensor(x))
            total += m.nn.functional.cross_entropy(logits.reshape(-1, logits.shape[-1]),
                                                   m.as_tensor(y).reshape(-1)).item() * len(x)
    return total / len(starts)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--model", default="gpt", choices=text_models.TEXT_MODELS)
    parser.add_argument("--iters", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    train, val = (TinyShakespeare(split=s, block_size=64) for s in ("train", "val"))
    config = {"model": args.model, "vocab_size": train.vocab_size, "hidden": 128,
              "layers": 4 if args.model == "gpt" else 2, "heads": 4, "block_size": 64}
    recipe = Recipe(iters=args.iters, seed=args.seed)
    cr.manual_seed(args.seed)
    ours = text_models.build_text_model(config)
    theirs = on_torch(text_models).build_text_model(config)
    theirs.load_state_dict({k: torch.from_numpy(v.numpy().copy())
                            for k, v in ours.state_dict().items()})
    opt_ours = adamw(ours, recipe)
    decay = [p for p in theirs.parameters() if p.ndim >= 2]
    opt_theirs = torch.optim.AdamW([{"params": decay, "weight_decay": recipe.weight_decay},
                                    {"params": [p for p in theirs.parameters() if p.ndim < 2],
                                     "weight_decay": 0.0}], lr=recipe.lr, betas=(0.9, recipe.beta2))

    times = {"chainrule": [], "PyTorch": []}
    for it in range(recipe.iters):
        x, y = recipe.batch(train, it)
        lr = recipe.learning_rate(it)
        for name, m, model, opt in (("chainrule", cr, ours, opt_ours),
                                    ("PyTorch", torch, theirs, opt_theirs)):
            start = time.perf_counter()
            loss = step(m, model, opt, x, y, lr, recipe.clip)
            times[name].append(time.perf_counter() - start)
            if it % 250 == 0 or it == recipe.iters - 1:
                print(f"iter {it:5d} {name:>9}: loss {loss:.4f}", flush=True)

    losses = {"chainrule": validation_loss(cr, ours, val), "PyTorch": validation_loss(torch, theirs, val)}
    ms = {k: 1000 * statistics.median(v) for k, v in times.items()}
    print(f"\n{args.model}, {recipe.iters} iterations, seed {args.seed}:")
    for name in times:
        print(f"  {name:>9}: validation loss {losses[name]:.4f}, {ms[name]:.1f} ms/iter "
              f"(median), {sum(times[name]):.0f} s in all")
    print(f"  ratio chainrule/PyTorch: {ms['chainrule'] / ms['PyTorch']:.2f}x time, "
          f"loss difference {losses['chainrule'] - losses['PyTorch']:+.4f}")


if __name__ == "__main__":
    sys.exit(main())
