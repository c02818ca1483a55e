"""The fit loop: forward, loss, backward, step, for every batch of every epoch; with metrics,
callbacks, gradient clipping, per-epoch checkpoints and exact resume."""
import math
import time
from pathlib import Path

import numpy as np

from .. import io, nn
from ..autograd import no_grad
from ..backend import get_rng_state, set_rng_state
from ..optim.lr_scheduler import ReduceLROnPlateau
from .callbacks import JSONLinesLog, ProgressBar
from .metrics import Mean, confusion_matrix, correct

CHECKPOINT = "checkpoint.safetensors"


class Trainer:
    """Holds what one training run needs, and what callbacks may look at:
    `model`, `optimizer`, `scheduler`, `epoch`, `history`, `out_dir`, `stop_training`."""

    def __init__(self, model, loss_fn, optimizer, scheduler=None, callbacks=(), device=None,
                 clip_grad_norm=None, out_dir=None, progress=True, scheduler_interval="epoch",
                 config=None):
        self.model, self.loss_fn, self.optimizer = model, loss_fn, optimizer
        self.config = config  # saved with each checkpoint: what rebuilds the model
        self.scheduler, self.scheduler_interval = scheduler, scheduler_interval
        self.device, self.clip_grad_norm = device, clip_grad_norm
        self.out_dir = Path(out_dir) if out_dir is not None else None
        self.callbacks = list(callbacks)
        if self.out_dir is not None:
            self.callbacks.append(JSONLinesLog())
        if progress:
            self.callbacks.insert(0, ProgressBar())
        self.epoch = 0
        self.history = []
        self.stop_training = False

    # ---- the loop ----------------------------------------------------------------------------
    def fit(self, train_loader, val_loader=None, epochs=1, resume=False):
        """Trains until `epochs` epochs are done (counting those of a resumed run); returns the
        history, one dict of metrics per epoch."""
        if resume:
            self.load_checkpoint()
        self.train_loader, self.val_loader, self.epochs = train_loader, val_loader, epochs
        self._call("on_fit_start")
        while self.epoch < epochs and not self.stop_training:
            self.epoch += 1
            self._call("on_epoch_start", self.epoch)
            logs = self._train_epoch(train_loader)
            if val_loader is not None:
                logs.update({f"val_{k}": v for k, v in self.evaluate(val_loader).items()
                             if k != "confusion"})
            logs["lr"] = self.optimizer.param_groups[0]["lr"]
            self._step_scheduler("epoch", logs)
            self.history.append(logs)
            self._call("on_epoch_end", self.epoch, logs)
            if self.out_dir is not None:
                self.save_checkpoint()
        self._call("on_fit_end")
        return self.history

    def _train_epoch(self, loader):
        self.model.train()
        loss_mean, hits, seen = Mean(), 0, 0
        start = time.perf_counter()
        for i, (x, y) in enumerate(loader):
            x, y = self._to_device(x), self._to_device(y)
            out = self.model(x)
            loss = self.loss_fn(out, y)
            self.optimizer.zero_grad()
            loss.backward()
            value = loss.item()
            if not math.isfinite(value):
                raise FloatingPointError(
                    f"training diverged at epoch {self.epoch}, batch {i}: the loss is {value}. "
                    "Lower the learning rate, or clip gradients (clip_grad_norm / --clip).")
            self._call("on_after_backward", i)
            if self.clip_grad_norm:
                nn.utils.clip_grad_norm_(self.model.parameters(), self.clip_grad_norm)
            self.optimizer.step()
            self._step_scheduler("batch")
            n = len(y)
            loss_mean.add(value, n)
            if _is_classification(out, y):
                hits += correct(out, y)
            seen += n
            self._call("on_batch_end", i, {"loss": value})
        logs = {"epoch": self.epoch, "loss": loss_mean.value,
                "time": time.perf_counter() - start}
        if hits or _is_classification(out, y):
            logs["accuracy"] = hits / max(seen, 1)
        return logs

    @no_grad()
    def evaluate(self, loader, topk=5):
        """loss, accuracy, top-k accuracy and the confusion matrix over `loader`."""
        self.model.eval()
        loss_mean, hits, top, preds, labels = Mean(), 0, 0, [], []
        num_classes = None
        for x, y in loader:
            x, y = self._to_device(x), self._to_device(y)
            out = self.model(x)
            loss_mean.add(self.loss_fn(out, y).item(), len(y))
            if _is_classification(out, y):
                num_classes = out.shape[-1]
                hits += correct(out, y)
                top += correct(out, y, min(topk, num_classes))
                preds.append(out.argmax(-1).numpy())
                labels.append(y.numpy())
        self.model.train()
        result = {"loss": loss_mean.value}
        if num_classes is not None:
            count = loss_mean.count
            result.update(accuracy=hits / count, **{f"top{topk}_accuracy": top / count})
            result["confusion"] = confusion_matrix(np.concatenate(preds), np.concatenate(labels),
                                                   num_classes)
        return result

    # ---- checkpoints ----------------------------------------------------------------------------
    def state(self):
        return {"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                "scheduler": self.scheduler.state_dict() if self.scheduler else None,
                "epoch": self.epoch, "history": self.history, "rng": get_rng_state(),
                "config": self.config}

    def save_checkpoint(self):
        """Written atomically by cr.save: a crash mid-write leaves the previous one intact."""
        self.out_dir.mkdir(parents=True, exist_ok=True)
        io.save(self.state(), self.out_dir / CHECKPOINT)

    def load_checkpoint(self):
        state = restore(self.out_dir, self.model, self.optimizer, "after every epoch")
        if self.scheduler is not None and state.get("scheduler") is not None:
            self.scheduler.load_state_dict(state["scheduler"])
        self.epoch, self.history = state["epoch"], list(state["history"])

    # ---- helpers -------------------------------------------------------------------------------
    def _to_device(self, t):
        return t if self.device is None else t.to(self.device)

    def _step_scheduler(self, interval, logs=None):
        if self.scheduler is None or interval != self.scheduler_interval:
            return
        if isinstance(self.scheduler, ReduceLROnPlateau):
            self.scheduler.step((logs or {}).get("val_loss", (logs or {}).get("loss")))
        else:
            self.scheduler.step()

    def _call(self, event, *args):
        for cb in self.callbacks:
            method = getattr(cb, event, None)
            if method is not None:
                method(self, *args)


def restore(out_dir, model, optimizer, written):
    """Loads the checkpoint in `out_dir` into the model, the optimizer and the random state;
    returns all it holds (for the loop's own counters)."""
    path = out_dir / CHECKPOINT if out_dir is not None else None
    if path is None or not path.exists():
        raise FileNotFoundError(f"resume: no checkpoint at {path}; train without resume first "
                                f"(the checkpoint is written {written})")
    state = io.load(path)
    model.load_state_dict(state["model"])
    optimizer.load_state_dict(state["optimizer"])
    set_rng_state(state["rng"])
    return state


def _is_classification(out, y):
    return out.ndim == 2 and out.shape[1] > 1 and y.ndim == 1 and y.dtype.kind in "iu"


def fit(model, loss_fn, optimizer, train_loader, val_loader=None, epochs=1, **options):
    """`cr.train.fit(model, loss_fn, optimizer, train_loader, val_loader, epochs=10)`: trains and
    returns the Trainer (its `.history` holds one dict of metrics per epoch). Options are
    Trainer's: scheduler, callbacks, device, clip_grad_norm, out_dir, progress, resume."""
    resume = options.pop("resume", False)
    trainer = Trainer(model, loss_fn, optimizer, **options)
    trainer.fit(train_loader, val_loader, epochs, resume=resume)
    return trainer
