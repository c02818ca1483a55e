"""A character-level language model of Tiny Shakespeare, from Python: nanoGPT's CPU recipe (a GPT
of 4 layers, 4 heads, 128 wide, 64 characters of context, batch 12, 2,000 iterations of AdamW
with a warm-up and a cosine decay), or the same recipe for an LSTM; then a sample.

    python examples/shakespeare.py                       # the GPT: validation loss about 1.8
    python examples/shakespeare.py --model lstm --iters 500

`chainrule train --data shakespeare --model gpt` runs the same, and writes checkpoints, curves
and samples into a run folder."""
import argparse

import chainrule as cr
from chainrule.data.datasets import TinyShakespeare
from chainrule.train.language import Recipe, TextTrainer, generate, validation_loss
from chainrule.train.text_models import GPT, CharRNN


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--model", choices=("gpt", "lstm", "gru"), default="gpt")
    p.add_argument("--iters", type=int, default=2000)
    p.add_argument("--prompt", default="ROMEO:")
    p.add_argument("--seed", type=int, default=0)
    args = p.parse_args()

    cr.manual_seed(args.seed)
    train, val = (TinyShakespeare(split=s, block_size=64) for s in ("train", "val"))
    model = GPT(train.vocab_size, block_size=64, layers=4, heads=4, width=128) \
        if args.model == "gpt" else CharRNN(train.vocab_size, 128, layers=2, cell=args.model)
    trainer = TextTrainer(model, train, val, Recipe(iters=args.iters, seed=args.seed),
                          on_eval=lambda t, logs: print(
                              f"iter {logs['iter']}: train loss {logs['loss']:.3f}, "
                              f"validation {logs['val_loss']:.3f}", flush=True))
    trainer.fit()
    print(f"validation loss over the whole held-out text: {validation_loss(model, val):.4f}\n")
    ids = generate(model, train.encode(args.prompt), 500, temperature=0.8, top_k=40,
                   seed=args.seed)
    print(args.prompt + train.decode(ids))


if __name__ == "__main__":
    main()
