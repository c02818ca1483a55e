"""Training a character-level language model the way nanoGPT does: every iteration a batch of
random windows of the training text, AdamW with a linear warm-up and a cosine decay, gradient
clipping; the validation loss over the whole held-out text; and sampling, with a temperature
and top-k, one character at a time."""
import math
import time
from dataclasses import asdict, dataclass

import numpy as np

from .. import io, nn, optim
from ..autograd import no_grad
from ..backend import Generator, get_rng_state
from ..nn import functional as F
from ..ops import tensor
from .trainer import CHECKPOINT, restore


@dataclass
class Recipe:
    """nanoGPT's CPU recipe for Tiny Shakespeare, as defaults."""
    iters: int = 2000
    batch_size: int = 12
    lr: float = 1e-3
    min_lr: float = 1e-4
    warmup: int = 100
    weight_decay: float = 0.1
    beta2: float = 0.99
    clip: float = 1.0
    eval_interval: int = 250
    seed: int = 0

    def learning_rate(self, it):
        """Linear warm-up over `warmup` iterations, then half a cosine down to `min_lr` at the
        last iteration."""
        if it < self.warmup:
            return self.lr * (it + 1) / (self.warmup + 1)
        progress = (it - self.warmup) / max(self.iters - self.warmup, 1)
        return self.min_lr + 0.5 * (1 + math.cos(math.pi * min(progress, 1.0))) * \
            (self.lr - self.min_lr)

    def batch(self, text, it):
        """The windows of iteration `it`: drawn from (seed, it) alone, so that a resumed run
        sees the batches an uninterrupted one would."""
        starts = np.random.default_rng([self.seed, it]).integers(0, len(text), self.batch_size)
        return text.batch(starts)


def adamw(model, recipe):
    """AdamW that decays matrices and embeddings only, not biases or norm gains (as GPT-2)."""
    params = list(model.parameters())
    groups = [{"params": [p for p in params if p.ndim >= 2],
               "weight_decay": recipe.weight_decay},
              {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0}]
    return optim.AdamW([g for g in groups if g["params"]], lr=recipe.lr,
                       betas=(0.9, recipe.beta2))


def next_char_loss(logits, targets):
    return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), targets.reshape(-1))


@no_grad()
def validation_loss(model, text, windows=None, batch_size=64):
    """Mean next-character loss over the whole of `text`, cut into windows of its block size
    that do not overlap (each window starts from no context, as in training); or over
    `windows` of them, evenly spaced, for a quicker estimate."""
    was_training = model.training
    model.eval()
    starts = np.arange(0, len(text.data) - text.block_size, text.block_size)
    if windows is not None and windows < len(starts):
        starts = starts[np.linspace(0, len(starts) - 1, windows).astype(np.int64)]
    total = 0.0
    for i in range(0, len(starts), batch_size):
        x, y = text.batch(starts[i:i + batch_size])
        total += next_char_loss(model(tensor(x)), tensor(y)).item() * len(x)
    model.train(was_training)
    return total / len(starts)


class TextTrainer:
    """Runs a Recipe on a model; `history` holds one dict per evaluation: iteration, mean
    training loss since the last one, validation loss (estimated on `eval_windows` windows of
    the validation text), learning rate, ms per iteration. With `out_dir`, each evaluation also
    writes an atomic checkpoint that `resume` continues."""

    eval_windows = 512

    def __init__(self, model, train_text, val_text, recipe=None, out_dir=None, config=None,
                 on_eval=None):
        self.model, self.train_text, self.val_text = model, train_text, val_text
        self.recipe = recipe or Recipe()
        self.optimizer = adamw(model, self.recipe)
        self.out_dir, self.config, self.on_eval = out_dir, config, on_eval
        self.iteration, self.history = 0, []

    def fit(self, resume=False):
        if resume:
            self.load_checkpoint()
        recipe, model = self.recipe, self.model
        model.train()
        losses, start = [], time.perf_counter()
        while self.iteration < recipe.iters:
            for group in self.optimizer.param_groups:
                group["lr"] = recipe.learning_rate(self.iteration)
            x, y = recipe.batch(self.train_text, self.iteration)
            loss = next_char_loss(model(tensor(x)), tensor(y))
            self.optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), recipe.clip)
            self.optimizer.step()
            losses.append(loss.item())
            if not math.isfinite(losses[-1]):
                raise FloatingPointError(f"training diverged at iteration {self.iteration}: the "
                                         f"loss is {losses[-1]}; lower the learning rate")
            self.iteration += 1
            if self.iteration % recipe.eval_interval == 0 or self.iteration == recipe.iters:
                ms = 1000 * (time.perf_counter() - start) / len(losses)
                self._evaluate(float(np.mean(losses)), ms)
                losses, start = [], time.perf_counter()
        return self.history

    def _evaluate(self, train_loss, ms_per_iter):
        logs = {"iter": self.iteration, "loss": train_loss,
                "val_loss": validation_loss(self.model, self.val_text, self.eval_windows),
                "lr": self.optimizer.param_groups[0]["lr"], "ms_per_iter": ms_per_iter}
        self.history.append(logs)
        if self.out_dir is not None:
            self.save_checkpoint()
        if self.on_eval is not None:
            self.on_eval(self, logs)

    def save_checkpoint(self):
        self.out_dir.mkdir(parents=True, exist_ok=True)
        io.save({"model": self.model.state_dict(), "optimizer": self.optimizer.state_dict(),
                 "iteration": self.iteration, "history": self.history, "rng": get_rng_state(),
                 "recipe": asdict(self.recipe), "config": self.config},
                self.out_dir / CHECKPOINT)

    def load_checkpoint(self):
        state = restore(self.out_dir, self.model, self.optimizer, "at every evaluation")
        self.iteration, self.history = state["iteration"], list(state["history"])


@no_grad()
def generate(model, prompt_ids, tokens, temperature=1.0, top_k=None, seed=None):
    """`tokens` new character ids after `prompt_ids` (a non-empty sequence of ids), each drawn
    from the model's next-character distribution divided by `temperature` and cut to the
    `top_k` likeliest. A recurrent model carries its state from step to step; a GPT re-reads
    the last `block_size` characters."""
    if not temperature > 0:
        raise ValueError(f"generate: temperature must be positive, got {temperature}")
    if top_k is not None and top_k < 1:
        raise ValueError(f"generate: top_k must be at least 1, got {top_k}")
    if len(prompt_ids) == 0:
        raise ValueError("generate: the prompt must hold at least one character")
    model.eval()
    rng = Generator()
    if seed is not None:
        rng.manual_seed(seed)
    ids = [int(i) for i in prompt_ids]
    recurrent = model.block_size is None
    logits, state = model.step(tensor([ids])) if recurrent else (None, None)
    for _ in range(tokens):
        if not recurrent:
            logits = model(tensor([ids[-model.block_size:]]))
        scores = logits[0, -1] / temperature
        if top_k is not None and top_k < scores.shape[0]:
            cut = scores.topk(top_k).values[-1]
            scores = scores.masked_fill(scores < cut, -math.inf)
        ids.append(int(F.softmax(scores, dim=-1).multinomial(1, generator=rng).item()))
        if recurrent:
            logits, state = model.step(tensor([[ids[-1]]]), state)
    return ids[len(prompt_ids):]
