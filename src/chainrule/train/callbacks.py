"""Callbacks: objects whose on_* methods the Trainer calls (see Trainer._call). Each defines only
the events it cares about."""
import json
import math


class ProgressBar:
    """tqdm bars: batches within an epoch, with the running loss (silent when not a terminal)."""

    def on_epoch_start(self, trainer, epoch):
        from tqdm.auto import tqdm
        total = len(trainer.train_loader) if hasattr(trainer.train_loader, "__len__") else None
        self.bar = tqdm(total=total, desc=f"epoch {epoch}/{trainer.epochs}", unit="batch",
                        leave=False, disable=None)

    def on_batch_end(self, trainer, batch_index, logs):
        self.bar.update(1)
        if batch_index % 10 == 0:
            self.bar.set_postfix(loss=f"{logs['loss']:.4f}")

    def on_epoch_end(self, trainer, epoch, logs):
        self.bar.close()
        shown = "  ".join(f"{k} {v:.4f}" for k, v in logs.items()
                          if k in ("loss", "accuracy", "val_loss", "val_accuracy"))
        print(f"epoch {epoch}/{trainer.epochs}  {shown}  ({logs['time']:.1f}s)", flush=True)


class JSONLinesLog:
    """metrics.jsonl in the run's folder: one JSON object per epoch."""

    def on_fit_start(self, trainer):
        trainer.out_dir.mkdir(parents=True, exist_ok=True)
        # a resumed run keeps exactly the epochs its checkpoint knows about
        lines = "".join(json.dumps(logs) + "\n" for logs in trainer.history)
        (trainer.out_dir / "metrics.jsonl").write_text(lines)

    def on_epoch_end(self, trainer, epoch, logs):
        with open(trainer.out_dir / "metrics.jsonl", "a") as f:
            f.write(json.dumps(logs) + "\n")


class EarlyStopping:
    """Stops when `monitor` has not improved by `min_delta` for `patience` epochs."""

    def __init__(self, monitor="val_loss", patience=5, mode="min", min_delta=0.0):
        self.monitor, self.patience, self.min_delta = monitor, patience, min_delta
        self.sign = 1 if mode == "min" else -1
        self.best, self.waited = math.inf, 0

    def on_epoch_end(self, trainer, epoch, logs):
        if self.monitor not in logs:
            raise KeyError(f"EarlyStopping: metric {self.monitor!r} is not logged; available: "
                           f"{', '.join(sorted(logs))}")
        value = self.sign * logs[self.monitor]
        if value < self.best - self.min_delta:
            self.best, self.waited = value, 0
        else:
            self.waited += 1
            if self.waited >= self.patience:
                trainer.stop_training = True
