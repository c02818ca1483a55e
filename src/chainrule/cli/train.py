"""`chainrule train`: train a network by backpropagation on real data."""
import argparse
import json
import time
from pathlib import Path

import chainrule as cr

from .. import io, optim
from ..data import DataLoader
from ..explain import GradientFlow
from ..optim import lr_scheduler
from ..train import Trainer, models
from ..train.models import ACTIVATIONS, MODELS
from ..train.plots import plot_confusion, plot_curves
from ..train.sources import NAMES, load
from ..train.generative import KINDS
from ..train.text_models import TEXT_MODELS
from . import UsageError, train_generative, train_text

EXAMPLES = """examples:
  chainrule train                                   # MLP on the bundled 8x8 digits (no download)
  chainrule train --data mnist --hidden 800 --epochs 10 --optimizer sgd --lr 0.1 --momentum 0.9
  chainrule train --data mnist --model lenet5 --epochs 8 --schedule cosine
  chainrule train --data fashion-mnist --model cnn --out runs/fashion
  chainrule train --data spirals --hidden 64,64 --activation tanh --epochs 200
  chainrule train --out runs/digits --epochs 40 --resume   # continue an interrupted run
  chainrule train --data shakespeare --model gpt    # nanoGPT's CPU recipe: 4 layers, 4 heads, 128 wide
  chainrule train --data shakespeare --model lstm --layers 2 --hidden 256 --iters 3000
  chainrule train --data mnist --model gan          # DCGAN; a grid of samples every epoch
  chainrule train --data fashion-mnist --model vae --latent 2   # and a map of the latent space
  chainrule train --data mnist --model autoencoder --noise 0.5  # a denoising autoencoder
"""

OPTIMIZERS = ("sgd", "adam", "adamw", "rmsprop", "adagrad", "adadelta")
SCHEDULES = ("none", "step", "cosine", "onecycle", "plateau", "warmup-cosine")


def add_parser(sub):
    p = sub.add_parser("train", help="train a network on a dataset",
                       description=__doc__, epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--data", default="digits", choices=NAMES + train_text.DATA,
                   help="dataset (default: digits)")
    p.add_argument("--model", default=None, choices=MODELS + TEXT_MODELS + KINDS,
                   help="network (default: mlp; gpt for text)")
    p.add_argument("--hidden", default=None, help="MLP hidden widths, e.g. 800,300 (default "
                   "128); the width of a language model (128), of a GAN (64) or a VAE (400); an "
                   "autoencoder's two channel counts (16,32)")
    p.add_argument("--activation", default="relu", choices=sorted(ACTIVATIONS))
    p.add_argument("--epochs", type=int, default=None, help="default depends on --data")
    p.add_argument("--batch-size", type=int, default=None, help="default 64 (12 for text)")
    p.add_argument("--optimizer", default=None, choices=OPTIMIZERS,
                   help="default adam (adamw for text)")
    p.add_argument("--lr", type=float, default=None,
                   help="learning rate (default 0.001 for adam/adamw/rmsprop, else 0.1)")
    p.add_argument("--momentum", type=float, default=0.0, help="for sgd and rmsprop")
    p.add_argument("--weight-decay", type=float, default=None, help="default 0 (0.1 for text)")
    p.add_argument("--schedule", default=None, choices=SCHEDULES,
                   help="learning-rate schedule (default none; warmup-cosine for text)")
    p.add_argument("--clip", type=float, default=None,
                   help="clip the gradient norm to this (default: no clipping; 1 for text)")
    p.add_argument("--val-fraction", type=float, default=0.1,
                   help="share of the training set held out for validation (default 0.1)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--device", default="cpu", help="cpu or cuda[:N]")
    p.add_argument("--out", default=None, help="run folder (default: runs/DATA-MODEL)")
    p.add_argument("--resume", action="store_true",
                   help="continue from the checkpoint in --out")
    p.add_argument("--diagnose", action="store_true",
                   help="record gradient flow per layer and flag vanishing/exploding gradients")
    p.add_argument("--quiet", action="store_true", help="no per-epoch lines or progress bars")
    train_text.add_arguments(p.add_argument_group("language models (--data shakespeare)"))
    train_generative.add_arguments(p.add_argument_group(
        "generative models (--model gan, vae or autoencoder)"))
    p.set_defaults(func=run)


def run(args):
    if args.data in train_text.DATA:
        train_generative.refuse_generative_options(args)
        return train_text.run(args)
    train_text.refuse_text_options(args)
    if args.model in KINDS:
        return train_generative.run(args)
    train_generative.refuse_generative_options(args)
    args.model = args.model or "mlp"
    args.optimizer = args.optimizer or "adam"
    args.batch_size = _positive("--batch-size", 64 if args.batch_size is None else args.batch_size)
    args.weight_decay = args.weight_decay or 0.0
    args.schedule = args.schedule or "none"
    cr.manual_seed(args.seed)
    data = _checked(load, args.data)
    hidden = _widths(args.hidden or "128")
    epochs = args.epochs or data.epochs
    model = _checked(models.build, args.model, data.input_shape, data.num_classes, hidden,
                     args.activation)
    model.to(args.device)
    optimizer = make_optimizer(args, model.parameters())
    steps = epochs * -(-len(data.train) // args.batch_size)
    scheduler, interval = make_schedule(args.schedule, optimizer, epochs, steps)
    train_set, val_set = cr.data.random_split(data.train, [1 - args.val_fraction,
                                                           args.val_fraction]) \
        if args.val_fraction > 0 else (data.train, None)
    train_loader = DataLoader(train_set, batch_size=args.batch_size, shuffle=True)
    val_loader = DataLoader(val_set, batch_size=512) if val_set is not None else None
    test_loader = DataLoader(data.test, batch_size=512)

    out = Path(args.out or f"runs/{args.data}-{args.model}")
    callbacks = []
    if args.diagnose:
        callbacks.append(GradientFlow(out_dir=out))
    config = {"data": args.data, "model": args.model, "hidden": list(hidden),
              "activation": args.activation, "input_shape": list(data.input_shape),
              "classes": [str(c) for c in data.classes]}
    trainer = Trainer(model, cr.nn.CrossEntropyLoss(), optimizer, scheduler=scheduler,
                      scheduler_interval=interval, callbacks=callbacks, device=args.device,
                      clip_grad_norm=args.clip, out_dir=out, progress=not args.quiet,
                      config=config)
    start = time.perf_counter()
    if args.resume and not (out / "checkpoint.safetensors").exists():
        raise UsageError(f"--resume: there is no checkpoint in {out} yet; run without --resume")
    trainer.fit(train_loader, val_loader, epochs, resume=args.resume)
    seconds = time.perf_counter() - start

    test = trainer.evaluate(test_loader)
    result = {"test_accuracy": test["accuracy"], "test_loss": test["loss"],
              "test_top5_accuracy": test["top5_accuracy"], "epochs": trainer.epoch,
              "train_seconds": round(seconds, 2),
              "parameters": sum(p.numel() for p in model.parameters()),
              "final": trainer.history[-1] if trainer.history else {},
              "config": config, "args": {k: v for k, v in vars(args).items() if k != "func"}}
    (out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    _write_model(out, model, config)
    plot_curves(trainer.history, out / "curves.png")
    plot_confusion(test["confusion"], data.classes, out / "confusion.png")
    print(f"test accuracy {100 * test['accuracy']:.2f}%  (loss {test['loss']:.4f}, "
          f"{trainer.epoch} epochs, {seconds:.1f}s)  ->  {out}/")
    return 0


def _write_model(out, model, config):
    """model.safetensors: the weights plus what `evaluate`/`predict` need to rebuild the net."""
    io.save({"model": model.state_dict(), "config": config}, out / "model.safetensors")


def read_run_file(path):
    """(what it holds, its config or None) from a file `chainrule train` wrote, or from the
    model.safetensors of a run folder; a one-line error for a missing or unreadable file."""
    path = Path(path)
    if path.is_dir():
        path = path / "model.safetensors"
    if not path.exists():
        raise UsageError(f"no such file: {path}")
    try:
        state = io.load(path)
    except ValueError as e:
        raise UsageError(str(e)) from None
    return state, state.get("config") if isinstance(state, dict) else None


def load_model(path):
    """(model in eval mode, config) from a model.safetensors or checkpoint.safetensors that
    `chainrule train` wrote."""
    state, config = read_run_file(path)
    if not config or "model" not in state:
        raise UsageError(f"{path} holds no model written by `chainrule train` (it has no "
                         "config to rebuild the network from)")
    if config.get("model") in TEXT_MODELS:
        raise UsageError(f"{path} is a language model: sample from it with `chainrule generate "
                         f"{path}`")
    if config.get("model") in KINDS:
        raise UsageError(f"{path} is a generative model ({config['model']}): draw images from it "
                         f"with `chainrule sample {path}`")
    model = models.build(config["model"], tuple(config["input_shape"]), len(config["classes"]),
                         tuple(config["hidden"]), config["activation"])
    model.load_state_dict(state["model"])
    return model.eval(), config


def _widths(text):
    try:
        widths = tuple(int(w) for w in str(text).split(",") if w.strip())
    except ValueError:
        raise UsageError(f"--hidden takes comma-separated integers like 800,300, got {text!r}")
    if any(w <= 0 for w in widths):
        raise UsageError(f"--hidden widths must be positive, got {text!r}")
    return widths


def _positive(option, value):
    if value <= 0:
        raise UsageError(f"{option} must be a positive integer, got {value}")
    return value


def _checked(fn, *args):
    try:
        return fn(*args)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None


def make_optimizer(args, params):
    lr = args.lr if args.lr is not None else (
        1e-3 if args.optimizer in ("adam", "adamw", "rmsprop") else 0.1)
    if lr <= 0:
        raise UsageError(f"--lr must be positive, got {lr}")
    if args.optimizer == "sgd":
        return optim.SGD(params, lr=lr, momentum=args.momentum, weight_decay=args.weight_decay)
    if args.optimizer == "rmsprop":
        return optim.RMSprop(params, lr=lr, momentum=args.momentum,
                             weight_decay=args.weight_decay)
    cls = {"adam": optim.Adam, "adamw": optim.AdamW, "adagrad": optim.Adagrad,
           "adadelta": optim.Adadelta}[args.optimizer]
    return cls(params, lr=lr, weight_decay=args.weight_decay)


def make_schedule(name, optimizer, epochs, steps):
    """(scheduler, 'epoch' or 'batch')."""
    s = lr_scheduler  # short name for the table below
    if name == "none":
        return None, "epoch"
    if name == "step":
        return s.StepLR(optimizer, step_size=max(epochs // 3, 1), gamma=0.1), "epoch"
    if name == "cosine":
        return s.CosineAnnealingLR(optimizer, T_max=epochs), "epoch"
    if name == "plateau":
        return s.ReduceLROnPlateau(optimizer, factor=0.5, patience=2), "epoch"
    if name == "onecycle":
        return s.OneCycleLR(optimizer, max_lr=optimizer.param_groups[0]["lr"],
                            total_steps=steps), "batch"
    warm = max(epochs // 10, 1)
    return s.SequentialLR(optimizer, [s.LinearLR(optimizer, start_factor=0.1, total_iters=warm),
                                      s.CosineAnnealingLR(optimizer, T_max=epochs - warm)],
                          milestones=[warm]), "epoch"
