"""`chainrule train`, `evaluate` and `predict` as a user runs them: real subprocesses."""
import json
import os
import subprocess
import sys

import numpy as np


def chainrule(*args, cwd):
    return subprocess.run([sys.executable, "-m", "chainrule", *args], cwd=cwd,
                          capture_output=True, text=True, timeout=600,
                          env={**os.environ, "PYTHONUNBUFFERED": "1"})


def test_default_train_reaches_97_percent_on_digits(tmp_path):
    run = chainrule("train", "--quiet", cwd=tmp_path)
    assert run.returncode == 0, run.stderr
    out = tmp_path / "runs" / "digits-mlp"
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["test_accuracy"] >= 0.97
    assert metrics["config"]["data"] == "digits"
    for name in ("metrics.jsonl", "checkpoint.safetensors", "model.safetensors", "curves.png",
                 "confusion.png"):
        assert (out / name).stat().st_size > 0, name
    epochs = [json.loads(line)["epoch"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert epochs == list(range(1, metrics["epochs"] + 1))

    evaluated = chainrule("evaluate", str(out / "model.safetensors"), "--json", cwd=tmp_path)
    assert evaluated.returncode == 0, evaluated.stderr
    assert json.loads(evaluated.stdout)["accuracy"] == metrics["test_accuracy"]

    from chainrule.data import datasets
    image, label = datasets.Digits(train=False)[0]
    np.save(tmp_path / "digit.npy", image)
    predicted = chainrule("predict", str(out / "model.safetensors"), "digit.npy", cwd=tmp_path)
    assert predicted.returncode == 0, predicted.stderr
    assert predicted.stdout.startswith(f"digit.npy: {label} (")


def test_options_and_resume(tmp_path):
    args = ["train", "--data", "moons", "--hidden", "16,16", "--activation", "tanh",
            "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9", "--schedule", "cosine",
            "--batch-size", "32", "--out", "run", "--quiet"]
    assert chainrule(*args, "--epochs", "3", cwd=tmp_path).returncode == 0
    resumed = chainrule(*args, "--epochs", "5", "--resume", cwd=tmp_path)
    assert resumed.returncode == 0, resumed.stderr
    metrics = json.loads((tmp_path / "run" / "metrics.json").read_text())
    assert metrics["epochs"] == 5 and metrics["test_accuracy"] > 0.8


def test_bad_options_give_one_sentence_and_exit_2(tmp_path):
    for args, words in [(["--hidden", "8,x"], "--hidden"), (["--lr", "-1"], "--lr"),
                        (["--model", "lenet5"], "lenet5"),
                        (["--resume", "--out", "nowhere"], "no checkpoint")]:
        run = chainrule("train", *args, cwd=tmp_path)
        assert run.returncode == 2, (args, run.stderr)
        assert words in run.stderr and "Traceback" not in run.stderr
    missing = chainrule("evaluate", "missing.safetensors", cwd=tmp_path)
    assert missing.returncode == 2 and "no such file" in missing.stderr
