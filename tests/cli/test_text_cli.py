"""`chainrule train --data shakespeare` and `chainrule generate`, as a user runs them."""
import json

import pytest

from chainrule.cli import main

TINY = ["--layers", "1", "--hidden", "32", "--heads", "2", "--block-size", "16", "--iters",
        "40", "--eval-interval", "20", "--lr", "3e-3", "--quiet"]


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory):
    out = tmp_path_factory.mktemp("text") / "gpt"
    assert main(["train", "--data", "shakespeare", "--model", "gpt", *TINY, "--out",
                 str(out)]) == 0
    return out


def test_train_writes_checkpoints_curves_and_samples(run_folder):
    metrics = json.loads((run_folder / "metrics.json").read_text())
    assert metrics["iters"] == 40 and metrics["val_loss"] < 3.6  # from ln 65 = 4.17
    assert metrics["config"]["model"] == "gpt" and metrics["config"]["block_size"] == 16
    history = [json.loads(line) for line in
               (run_folder / "metrics.jsonl").read_text().splitlines()]
    assert [h["iter"] for h in history] == [20, 40]
    assert history[-1]["val_loss"] < history[0]["val_loss"]
    samples = (run_folder / "samples.txt").read_text()
    assert samples.count("--- iteration") == 2
    assert len((run_folder / "sample.txt").read_text()) > 500
    for name in ("checkpoint.safetensors", "model.safetensors", "curves.png"):
        assert (run_folder / name).stat().st_size > 0, name


def test_resume_continues_to_more_iterations(run_folder, tmp_path):
    import shutil
    out = tmp_path / "more"
    shutil.copytree(run_folder, out)
    args = [a if a != "40" else "60" for a in TINY]
    assert main(["train", "--data", "shakespeare", "--model", "gpt", *args, "--out", str(out),
                 "--resume"]) == 0
    iters = [json.loads(line)["iter"] for line in (out / "metrics.jsonl").read_text().splitlines()]
    assert iters == [20, 40, 60]


@pytest.mark.parametrize("path", ["gpt", "gpt/model.safetensors", "gpt/checkpoint.safetensors"])
def test_generate_continues_the_prompt(run_folder, path, capsys):
    target = run_folder.parent / path
    assert main(["generate", str(target), "--prompt", "ROMEO:", "--tokens", "50", "--seed",
                 "3"]) == 0
    text = capsys.readouterr().out
    assert text.startswith("ROMEO:") and len(text.rstrip("\n")) >= 6 + 40
    main(["generate", str(target), "--prompt", "ROMEO:", "--tokens", "50", "--seed", "3"])
    assert capsys.readouterr().out == text  # a seed gives the same text again


@pytest.mark.parametrize("args, message", [
    (["--prompt", "ROMEO\u00e9"], "never saw"),
    (["--temperature", "0"], "--temperature must be positive"),
    (["--tokens", "-1"], "--tokens"),
    (["--top-k", "-2"], "--top-k"),
])
def test_generate_refuses_bad_options(run_folder, args, message, capsys):
    assert main(["generate", str(run_folder), *args]) == 2
    assert message in capsys.readouterr().err


def test_generate_refuses_a_classifier(tmp_path, capsys):
    assert main(["train", "--epochs", "1", "--quiet", "--out", str(tmp_path)]) == 0
    assert main(["generate", str(tmp_path)]) == 2
    assert "holds no language model" in capsys.readouterr().err
    assert main(["evaluate", str(tmp_path / "model.safetensors")]) == 0


@pytest.mark.parametrize("args, message", [
    (["--data", "shakespeare", "--model", "mlp"], "--model lstm, gru, gpt"),
    (["--data", "shakespeare", "--epochs", "3"], "--iters"),
    (["--data", "shakespeare", "--optimizer", "sgd"], "adamw"),
    (["--data", "shakespeare", "--hidden", "64,64"], "one width"),
    (["--data", "shakespeare", "--heads", "0"], "--heads must be positive"),
    (["--data", "shakespeare", "--iters", "0"], "--iters must be positive"),
    (["--data", "digits", "--iters", "100"], "--iters is for language models"),
    (["--data", "digits", "--batch-size", "0"], "--batch-size must be a positive"),
])
def test_train_refuses_options_that_do_not_fit(args, message, tmp_path, capsys):
    assert main(["train", *args, "--out", str(tmp_path / "x")]) == 2
    assert message in capsys.readouterr().err
