"""`chainrule train --data shakespeare --model lstm|gru|gpt`: a character-level language model,
trained for --iters iterations with nanoGPT's recipe (its CPU settings are the defaults)."""
import json
import time
from pathlib import Path

import chainrule as cr

from .. import io
from ..data.datasets import TinyShakespeare
from ..train.language import Recipe, TextTrainer, generate, validation_loss
from ..train.plots import plot_curves
from ..train.text_models import TEXT_MODELS, build_text_model
from . import UsageError

DATA = ("shakespeare",)
SAMPLE_PROMPT = "\n"


def add_arguments(group):
    group.add_argument("--iters", type=int, default=None, help="training iterations "
                       "(default 2000)")
    group.add_argument("--layers", type=int, default=None,
                       help="layers (default 4 for gpt, 2 for lstm and gru)")
    group.add_argument("--heads", type=int, default=None, help="attention heads (default 4)")
    group.add_argument("--block-size", type=int, default=None,
                       help="characters per training window, and a GPT's context (default 64)")
    group.add_argument("--dropout", type=float, default=None, help="(default 0)")
    group.add_argument("--eval-interval", type=int, default=None,
                       help="iterations between validation losses, checkpoints and samples "
                       "(default 250)")


TEXT_ONLY = ("iters", "layers", "heads", "block_size", "dropout", "eval_interval")


def refuse_text_options(args):
    """Options that only a language model uses are an error elsewhere, not silently ignored."""
    given = [name for name in TEXT_ONLY if getattr(args, name) is not None]
    if given:
        raise UsageError(f"--{given[0].replace('_', '-')} is for language models "
                         f"(--data {' or '.join(DATA)}); with --data {args.data} use --epochs "
                         "and --hidden")


def _refuse_classifier_options(args):
    if args.epochs is not None:
        raise UsageError("a language model trains for --iters iterations, not --epochs")
    if args.optimizer not in (None, "adamw"):
        raise UsageError(f"language models train with adamw (nanoGPT's recipe), got "
                         f"--optimizer {args.optimizer}")
    if args.schedule not in (None, "warmup-cosine"):
        raise UsageError(f"language models use a warm-up then cosine schedule, got "
                         f"--schedule {args.schedule}")
    if args.momentum or args.diagnose or args.activation != "relu":
        raise UsageError("--momentum, --diagnose and --activation are for the classifiers")


def _config(args, vocabulary):
    model = args.model or "gpt"
    if model not in TEXT_MODELS:
        raise UsageError(f"--data {args.data} trains a language model: --model "
                         f"{', '.join(TEXT_MODELS)}, got {model}")
    try:
        hidden = int(_given(args.hidden, 128))
    except ValueError:
        raise UsageError(f"--hidden takes one width for a language model, got {args.hidden!r}")
    config = {"data": args.data, "model": model, "vocab_size": len(vocabulary),
              "hidden": hidden, "layers": _given(args.layers, 4 if model == "gpt" else 2),
              "heads": _given(args.heads, 4), "block_size": _given(args.block_size, 64),
              "dropout": _given(args.dropout, 0.0), "chars": vocabulary}
    for name in ("hidden", "layers", "heads", "block_size"):
        if config[name] <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive, got {config[name]}")
    if not 0 <= config["dropout"] < 1:
        raise UsageError(f"--dropout must be in [0, 1), got {config['dropout']}")
    return config


def _given(value, default):
    return default if value is None else value


def _recipe(args):
    lr, iters = _given(args.lr, 1e-3), _given(args.iters, 2000)
    recipe = Recipe(iters=iters, batch_size=_given(args.batch_size, 12), lr=lr, min_lr=lr / 10,
                    warmup=min(100, iters // 10), weight_decay=_given(args.weight_decay, 0.1),
                    clip=_given(args.clip, 1.0), eval_interval=_given(args.eval_interval, 250),
                    seed=args.seed)
    for name in ("iters", "batch_size", "eval_interval", "clip"):
        if getattr(recipe, name) <= 0:
            raise UsageError(f"--{name.replace('_', '-')} must be positive, "
                             f"got {getattr(recipe, name)}")
    if lr <= 0:
        raise UsageError(f"--lr must be positive, got {lr}")
    return recipe


def run(args):
    _refuse_classifier_options(args)
    cr.manual_seed(args.seed)
    block = _given(args.block_size, 64)
    try:
        train = TinyShakespeare(split="train", block_size=block)
        val = TinyShakespeare(split="val", block_size=block)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    config, recipe = _config(args, train.chars), _recipe(args)
    model = build_text_model(config)
    out = Path(args.out or f"runs/{args.data}-{config['model']}")
    if args.resume and not (out / "checkpoint.safetensors").exists():
        raise UsageError(f"--resume: there is no checkpoint in {out} yet; run without --resume")
    out.mkdir(parents=True, exist_ok=True)
    if not args.resume:
        (out / "samples.txt").write_text("")
    trainer = TextTrainer(model, train, val, recipe, out_dir=out, config=config,
                          on_eval=_reporter(out, train, args.quiet))
    start = time.perf_counter()
    trainer.fit(resume=args.resume)
    seconds = time.perf_counter() - start

    sample = train.decode(generate(model, train.encode(SAMPLE_PROMPT), 500, 0.8, 40,
                                   seed=args.seed))
    final = trainer.history[-1]
    result = {"val_loss": validation_loss(model, val), "iters": trainer.iteration,
              "train_seconds": round(seconds, 2), "ms_per_iter": final["ms_per_iter"],
              "parameters": sum(p.numel() for p in model.parameters()), "final": final,
              "config": {k: v for k, v in config.items() if k != "chars"},
              "args": {k: v for k, v in vars(args).items() if k != "func"}}
    (out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    (out / "sample.txt").write_text(sample + "\n")
    io.save({"model": model.state_dict(), "config": config}, out / "model.safetensors")
    plot_curves(trainer.history, out / "curves.png", x="iter")
    if not args.quiet:
        print(f"\n{sample}\n")
    print(f"validation loss {result['val_loss']:.4f}  ({trainer.iteration} iterations, "
          f"{seconds:.1f}s)  ->  {out}/")
    return 0


def _reporter(out, text, quiet):
    """At each evaluation: a line on the terminal, the metrics line, and a short sample."""
    def report(trainer, logs):
        # rewritten whole, so that a resumed run's file holds exactly its checkpoint's history
        (out / "metrics.jsonl").write_text("".join(json.dumps(h) + "\n" for h in trainer.history))
        sample = text.decode(generate(trainer.model, text.encode(SAMPLE_PROMPT), 200, 0.8, 40,
                                      seed=logs["iter"]))
        with open(out / "samples.txt", "a") as f:
            f.write(f"--- iteration {logs['iter']} (validation loss {logs['val_loss']:.4f})\n"
                    f"{sample}\n")
        trainer.model.train()
        if not quiet:
            print(f"iter {logs['iter']}/{trainer.recipe.iters}  loss {logs['loss']:.4f}  "
                  f"val_loss {logs['val_loss']:.4f}  lr {logs['lr']:.2e}  "
                  f"({logs['ms_per_iter']:.0f} ms/iter)", flush=True)
    return report
