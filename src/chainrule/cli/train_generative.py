"""`chainrule train --data mnist|fashion-mnist --model gan|vae|autoencoder`: a generative model
of 28x28 images. Each epoch writes a checkpoint, a line of metrics.jsonl and a grid of what the
model makes (samples/epoch_NNN.png); a 2-D latent (--latent 2, VAE or autoencoder) also gives a
map of the test set in latent space and a grid decoded from a sweep of the latent plane."""
import json
import time
from pathlib import Path

import numpy as np
from tqdm.auto import tqdm

import chainrule as cr

from .. import io, optim
from ..data import DataLoader
from ..train import generative
from ..train.grids import save_image_grid
from ..train.plots import plot_latent
from ..train.sources import load
from ..train.trainer import CHECKPOINT
from . import UsageError

GENERATIVE_ONLY = ("latent", "noise")
PICTURES = 8  # tiles per row in the pictures


def add_arguments(group):
    group.add_argument("--latent", type=int, default=None,
                       help="size of the code (default 100 for gan, 20 for vae, 32 for "
                       "autoencoder; 2 draws the latent space)")
    group.add_argument("--noise", type=float, default=None,
                       help="autoencoder: train it to remove Gaussian noise of this std "
                       "(a denoising autoencoder; default 0)")


def refuse_generative_options(args):
    given = [name for name in GENERATIVE_ONLY if getattr(args, name) is not None]
    if given:
        raise UsageError(f"--{given[0]} is for the generative models (--model "
                         f"{', '.join(generative.KINDS)})")


def _refuse_classifier_options(args):
    for option, value, default in (("--schedule", args.schedule, None),
                                   ("--activation", args.activation, "relu"),
                                   ("--clip", args.clip, None)):
        if value not in (default, "none"):
            raise UsageError(f"{option} is for the classifiers; --model {args.model} trains "
                             "with its own recipe")
    if args.diagnose:
        raise UsageError("--diagnose is for the classifiers")
    if args.noise is not None and args.model != "autoencoder":
        raise UsageError(f"--noise trains a denoising autoencoder (--model autoencoder), not "
                         f"--model {args.model}")


def _config(args, data):
    kind = args.model
    if data.input_shape != (1, 28, 28):
        raise UsageError(f"--model {kind} makes 28x28 gray images: use --data mnist or "
                         f"fashion-mnist, not {args.data}")
    defaults = generative.DEFAULTS[kind]
    latent = defaults["latent"] if args.latent is None else args.latent
    if latent <= 0:
        raise UsageError(f"--latent must be positive, got {latent}")
    hidden = defaults["hidden"] if args.hidden is None else _widths(args.hidden)
    widths = len(defaults["hidden"])
    if len(hidden) != widths or min(hidden) <= 0:
        raise UsageError(f"--hidden for --model {kind} takes {widths} positive "
                         f"width(s) like {','.join(map(str, defaults['hidden']))}, got "
                         f"{args.hidden!r}")
    noise = args.noise or 0.0
    if noise < 0:
        raise UsageError(f"--noise must be at least 0, got {noise}")
    return {"data": args.data, "model": kind, "latent": latent, "hidden": hidden,
            "noise": noise, "classes": [str(c) for c in data.classes]}


def _widths(text):
    try:
        return [int(w) for w in str(text).split(",") if w.strip()]
    except ValueError:
        raise UsageError(f"--hidden takes comma-separated integers, got {text!r}") from None


def _optimizers(args, model, lr):
    """One optimizer per parameter group; a GAN's Adam gets DCGAN's beta1 of 0.5."""
    name = args.optimizer or "adam"
    if lr <= 0:
        raise UsageError(f"--lr must be positive, got {lr}")
    weight_decay = args.weight_decay or 0.0
    made = {}
    for group, params in generative.parameter_groups(model).items():
        if name == "sgd":
            made[group] = optim.SGD(params, lr=lr, momentum=args.momentum,
                                    weight_decay=weight_decay)
        elif name == "rmsprop":
            made[group] = optim.RMSprop(params, lr=lr, momentum=args.momentum,
                                        weight_decay=weight_decay)
        else:
            if args.momentum:
                raise UsageError(f"--momentum is for sgd and rmsprop, not --optimizer {name}")
            cls = {"adam": optim.Adam, "adamw": optim.AdamW, "adagrad": optim.Adagrad,
                   "adadelta": optim.Adadelta}[name]
            betas = {"betas": (0.5, 0.999)} if args.model == "gan" and "adam" in name else {}
            made[group] = cls(params, lr=lr, weight_decay=weight_decay, **betas)
    return made


def run(args):
    _refuse_classifier_options(args)
    try:
        data = load(args.data)
    except (ValueError, FileNotFoundError) as e:
        raise UsageError(str(e)) from None
    config = _config(args, data)
    defaults = generative.DEFAULTS[args.model]
    epochs = defaults["epochs"] if args.epochs is None else args.epochs
    batch_size = 128 if args.batch_size is None else args.batch_size
    for option, value in (("--epochs", epochs), ("--batch-size", batch_size)):
        if value <= 0:
            raise UsageError(f"{option} must be a positive integer, got {value}")
    cr.manual_seed(args.seed)
    model = generative.build(config).to(args.device)
    optimizers = _optimizers(args, model, defaults["lr"] if args.lr is None else args.lr)
    out = Path(args.out or f"runs/{args.data}-{args.model}")
    done, history = _start(args, out, model, optimizers, config)

    train = DataLoader(data.train, batch_size=batch_size, shuffle=True)
    test = DataLoader(data.test, batch_size=512)
    pictures = _Pictures(model, config, data.test, out, args.seed)
    start = time.perf_counter()
    for epoch in range(done + 1, epochs + 1):
        epoch_start = time.perf_counter()
        bar = tqdm(train, desc=f"epoch {epoch}/{epochs}", unit="batch", leave=False,
                   disable=True if args.quiet else None)
        logs = {"epoch": epoch, **generative.train_one_epoch(
            model, optimizers, config, (images.to(args.device) for images, _ in bar))}
        logs["seconds"] = time.perf_counter() - epoch_start
        logs.update(generative.test_figures(model, config, (x.to(args.device) for x, _ in test)))
        history.append(logs)
        generative.save_checkpoint(out, model, optimizers, epoch, history, config)
        with open(out / "metrics.jsonl", "a") as f:
            f.write(json.dumps(logs) + "\n")
        pictures.epoch(epoch)
        if not args.quiet:
            print(f"epoch {epoch}/{epochs}  {_shown(logs)}", flush=True)
    seconds = time.perf_counter() - start

    io.save({"model": model.state_dict(), "config": config}, out / "model.safetensors")
    pictures.latent_space(test)
    result = {"epochs": len(history), "train_seconds": round(seconds, 2),
              "parameters": sum(p.numel() for p in model.parameters()),
              "final": history[-1] if history else {}, "config": config,
              "args": {k: v for k, v in vars(args).items() if k != "func"}}
    (out / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
    print(f"{_shown(result['final'], final=True)}  ({len(history)} epochs, {seconds:.1f}s)  "
          f"->  {out}/")
    return 0


def _start(args, out, model, optimizers, config):
    """(epochs done, history): from the checkpoint with --resume, else a fresh run folder."""
    if not args.resume:
        (out / "samples").mkdir(parents=True, exist_ok=True)
        (out / "metrics.jsonl").write_text("")
        return 0, []
    if not (out / CHECKPOINT).exists():
        raise UsageError(f"--resume: there is no checkpoint in {out} yet; run without --resume")
    saved = io.load(out / CHECKPOINT).get("config")
    if saved != config:
        raise UsageError(f"--resume: the checkpoint in {out} was trained with {saved}; give the "
                         "same options (or a new --out)")
    done, history = generative.resume(out, model, optimizers)
    (out / "metrics.jsonl").write_text("".join(json.dumps(h) + "\n" for h in history))
    return done, history


def _shown(logs, final=False):
    names = {"loss_d": "loss_D", "loss_g": "loss_G", "d_real": "D(x)", "d_fake": "D(G(z))",
             "loss": "loss", "test_loss": "test loss", "test_error": "test error",
             "noisy_input_error": "noisy input error"}
    if final:
        names = {k: v for k, v in names.items() if k.startswith(("test", "loss_", "noisy"))}
    shown = "  ".join(f"{label} {logs[k]:.4f}" for k, label in names.items() if k in logs)
    return shown + (f"  ({logs['seconds']:.1f}s)" if "seconds" in logs and not final else "")


class _Pictures:
    """What the model makes, drawn from the same noise (or the same test images) every epoch, so
    that the grids show it learning."""

    def __init__(self, model, config, test, out, seed):
        self.model, self.config, self.out = model, config, out
        rng = np.random.default_rng(seed)
        self.noise = rng.standard_normal((PICTURES * PICTURES, config["latent"]))
        self.images = np.stack([np.asarray(test[i][0]) for i in range(PICTURES)])

    def epoch(self, epoch):
        if self.config["model"] == "autoencoder":
            grid = generative.reconstructions(self.model, self.images, self.config["noise"])
        else:
            grid = generative.decode(self.model, self.noise)
        save_image_grid(grid, self.out / "samples" / f"epoch_{epoch:03d}.png", nrow=PICTURES,
                        value_range=(0, 1))

    def latent_space(self, test):
        """For a 2-D code: the test set's codes coloured by class, and the plane decoded."""
        if self.config["latent"] != 2 or self.config["model"] == "gan":
            return
        batches = [(generative.encode(self.model, x.numpy()), y.numpy()) for x, y in test]
        codes, labels = (np.concatenate(parts) for parts in zip(*batches))
        plot_latent(codes, labels, self.config["classes"], self.out / "latent_space.png")
        low, high = np.percentile(codes, [1, 99], axis=0)
        steps = 15
        u, v = np.linspace(low[0], high[0], steps), np.linspace(high[1], low[1], steps)
        plane = np.array([[a, b] for b in v for a in u])  # rows from top (high) to bottom
        save_image_grid(generative.decode(self.model, plane), self.out / "latent_sweep.png",
                        nrow=steps, value_range=(0, 1))

