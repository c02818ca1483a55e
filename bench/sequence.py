"""Sequence models on the CPU against PyTorch, in one run: a training step (forward, backward,
Adam update) of

  lstm: nn.LSTM(256, 256, num_layers=2) on 100 steps x 32 sequences of 256 features, with a
        Linear(256, 256) head and a mean squared error loss;
  gpt:  4 pre-norm TransformerEncoderLayers (d_model 128, 4 heads, feed-forward 512, no
        dropout) with a causal mask over 64 positions x 12 sequences, an embedding of 65
        characters and a tied-free output Linear, cross-entropy (nanoGPT's CPU recipe's sizes).

    python bench/sequence.py [--repeats 5] [--only lstm]

Both frameworks start from the same weights (PyTorch's state_dict copied in), in float32, and
are timed alternately, step by step, so that a busy machine slows both alike; each figure is
the median of --repeats steps after one untimed warm-up step."""
import argparse
import os
import statistics
import time

import numpy as np
import torch

import chainrule as cr


def lstm(m):
    return m.nn.ModuleDict({"rnn": m.nn.LSTM(256, 256, num_layers=2),
                            "head": m.nn.Linear(256, 256)})


def lstm_loss(m, model, data):
    x, y = data
    out, _ = model["rnn"](x)
    return m.nn.functional.mse_loss(model["head"](out), y)


def gpt(m):
    layer = m.nn.TransformerEncoderLayer(128, 4, 512, dropout=0.0, norm_first=True,
                                         batch_first=True)
    return m.nn.ModuleDict({"embed": m.nn.Embedding(65, 128),
                            "blocks": m.nn.TransformerEncoder(layer, 4, enable_nested_tensor=False),
                            "head": m.nn.Linear(128, 65)})


def gpt_loss(m, model, data):
    tokens, targets = data
    n = tokens.shape[1]
    causal = m.arange(n).unsqueeze(0) > m.arange(n).unsqueeze(1)  # True: a later position
    h = model["blocks"](model["embed"](tokens), mask=causal)
    return m.nn.functional.cross_entropy(model["head"](h).reshape(-1, 65), targets.reshape(-1))


def batches(rng):
    return {"lstm": (rng.standard_normal((100, 32, 256)).astype(np.float32),
                     rng.standard_normal((100, 32, 256)).astype(np.float32)),
            "gpt": (rng.integers(0, 65, (12, 64)), rng.integers(0, 65, (12, 64)))}


CASES = {"lstm": (lstm, lstm_loss), "gpt": (gpt, gpt_loss)}


def stepper(m, make, loss_of, state, data):
    model = make(m)
    model.load_state_dict({k: m.tensor(v) for k, v in state.items()})
    opt = m.optim.Adam(model.parameters(), lr=1e-3)
    data = tuple(m.tensor(d) for d in data)

    def step():
        opt.zero_grad()
        loss = loss_of(m, model, data)
        loss.backward()
        opt.step()
        return loss.item()
    return step


def timed(step):
    start = time.perf_counter()
    loss = step()
    return time.perf_counter() - start, loss


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--only", default="")
    args = parser.parse_args()
    torch.set_num_threads(os.cpu_count())
    data = batches(np.random.default_rng(0))
    print(f"{'case':6} {'chainrule':>11} {'PyTorch':>9} {'ratio':>6}  first losses")
    for name, (make, loss_of) in CASES.items():
        if args.only not in name:
            continue
        torch.manual_seed(0)
        state = {k: v.detach().numpy().copy() for k, v in make(torch).state_dict().items()}
        ours = stepper(cr, make, loss_of, state, data[name])
        theirs = stepper(torch, make, loss_of, state, data[name])
        first = (timed(ours)[1], timed(theirs)[1])  # (the warm-up step)
        times = {"ours": [], "theirs": []}
        for _ in range(args.repeats):
            times["ours"].append(timed(ours)[0])
            times["theirs"].append(timed(theirs)[0])
        a, b = statistics.median(times["ours"]), statistics.median(times["theirs"])
        print(f"{name:6} {a * 1000:9.0f}ms {b * 1000:7.0f}ms {a / b:5.2f}x  "
              f"{first[0]:.5f} / {first[1]:.5f}")


if __name__ == "__main__":
    main()
