"""`chainrule train --model gan|vae|autoencoder` and `chainrule sample`, as a user runs them, on
the first images of real MNIST (the loader is cut short so that an epoch takes a second)."""
import json
import shutil

import matplotlib.image
import numpy as np
import pytest

from chainrule import io
from chainrule.cli import main, train_generative
from chainrule.data import Subset
from chainrule.train import sources


@pytest.fixture(scope="module", autouse=True)
def small_mnist():
    def load(name):
        data = sources.load(name)
        return sources.Source(Subset(data.train, range(1024)), Subset(data.test, range(512)),
                              data.classes, data.epochs)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(train_generative, "load", load)
        yield


def train(out, *args):
    return main(["train", "--data", "mnist", "--quiet", "--out", str(out), *args])


def history(out):
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def picture(path):
    return matplotlib.image.imread(path)


def test_a_vae_with_a_2d_code_draws_its_latent_space(tmp_path):
    out = tmp_path / "vae"
    assert train(out, "--model", "vae", "--latent", "2", "--epochs", "3") == 0
    losses = [h["test_loss"] for h in history(out)]
    assert losses[-1] < losses[0] and losses[-1] < 230  # 543 (ln 2 per pixel) untrained
    for epoch in (1, 2, 3):
        assert picture(out / "samples" / f"epoch_{epoch:03d}.png").shape == (242, 242, 4)
    assert not np.array_equal(picture(out / "samples" / "epoch_001.png"),
                              picture(out / "samples" / "epoch_003.png"))
    sweep = picture(out / "latent_sweep.png")
    assert sweep.shape[:2] == (15 * 30 + 2, 15 * 30 + 2)
    assert picture(out / "latent_space.png").shape[0] > 300
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["config"] == {"data": "mnist", "model": "vae", "latent": 2, "hidden": [400],
                                 "noise": 0.0, "classes": [str(d) for d in range(10)]}
    assert metrics["final"]["test_loss"] == losses[-1]


def test_a_denoising_autoencoder_shows_noisy_reconstructed_and_clean(tmp_path):
    out = tmp_path / "ae"
    assert train(out, "--model", "autoencoder", "--noise", "0.5", "--epochs", "2",
                 "--lr", "3e-3") == 0
    errors = [h["test_error"] for h in history(out)]
    noisy = history(out)[-1]["noisy_input_error"]
    # per pixel; measured: 0.098 then 0.085, against the noisy inputs' own 0.116
    assert errors[-1] < errors[0] < 0.11 and errors[-1] < 0.8 * noisy and 0.1 < noisy < 0.13
    grid = picture(out / "samples" / "epoch_002.png")[..., 0]
    assert grid.shape == (3 * 30 + 2, 8 * 30 + 2)
    noisy, reconstructed, clean = (grid[2 + 30 * r:30 * (r + 1), 2:30] for r in range(3))
    assert np.abs(reconstructed - clean).mean() < np.abs(noisy - clean).mean()
    assert not (out / "latent_space.png").exists()  # a 32-number code is not drawn


@pytest.fixture(scope="module")
def gan_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("gan") / "run"
    assert train(out, "--model", "gan", "--hidden", "8", "--latent", "16", "--epochs", "2") == 0
    return out


def test_a_gan_run_writes_checkpoint_model_metrics_and_grids(gan_run):
    logs = history(gan_run)
    assert [h["epoch"] for h in logs] == [1, 2]
    assert all(0 < h["d_real"] < 1 and 0 < h["d_fake"] < 1 and h["loss_d"] > 0 for h in logs)
    for name in ("checkpoint.safetensors", "model.safetensors", "samples/epoch_002.png"):
        assert (gan_run / name).stat().st_size > 0, name


def test_a_resumed_gan_run_ends_where_an_uninterrupted_one_does(gan_run, tmp_path):
    out = tmp_path / "resumed"
    assert train(out, "--model", "gan", "--hidden", "8", "--latent", "16", "--epochs", "1") == 0
    assert train(out, "--model", "gan", "--hidden", "8", "--latent", "16", "--epochs", "2",
                 "--resume") == 0
    assert history(out) == [{**h, "seconds": r["seconds"]}
                            for h, r in zip(history(gan_run), history(out))]
    ours, theirs = io.load(out / "model.safetensors"), io.load(gan_run / "model.safetensors")
    for name, value in theirs["model"].items():
        np.testing.assert_array_equal(ours["model"][name].numpy(), value.numpy(), err_msg=name)


@pytest.mark.parametrize("target", ["run", "run/model.safetensors", "run/checkpoint.safetensors"])
def test_sample_draws_a_grid_and_a_seed_repeats_it(gan_run, target, tmp_path, capsys):
    path = str(gan_run.parent / target)
    first, second = tmp_path / "a.png", tmp_path / "b.png"
    assert main(["sample", path, "--n", "12", "--nrow", "4", "--seed", "5", "--out",
                 str(first)]) == 0
    assert "12 GAN samples" in capsys.readouterr().out
    main(["sample", path, "--n", "12", "--nrow", "4", "--seed", "5", "--out", str(second)])
    assert picture(first).shape[:2] == (3 * 30 + 2, 4 * 30 + 2)
    assert np.array_equal(picture(first), picture(second))


def test_misuse_ends_in_one_line(gan_run, tmp_path, capsys):
    autoencoder = tmp_path / "ae"
    assert train(autoencoder, "--model", "autoencoder", "--epochs", "1") == 0
    cases = [
        (["sample", str(autoencoder)], "is an autoencoder"),
        (["sample", str(tmp_path / "none")], "no such file"),
        (["sample", str(gan_run), "--n", "0"], "--n and --nrow must be positive"),
        (["evaluate", str(gan_run / "model.safetensors")], "chainrule sample"),
        (["train", "--data", "mnist", "--model", "gan", "--noise", "0.1"], "--noise trains a"),
        (["train", "--data", "digits", "--model", "vae"], "28x28 gray images"),
        (["train", "--data", "mnist", "--model", "autoencoder", "--hidden", "16"],
         "takes 2 positive width"),
        (["train", "--data", "mnist", "--model", "vae", "--latent", "0"], "--latent must be"),
        (["train", "--data", "mnist", "--model", "vae", "--schedule", "cosine"], "--schedule"),
        (["train", "--data", "mnist", "--model", "vae", "--momentum", "0.9"], "--momentum is"),
        (["train", "--data", "mnist", "--latent", "3"], "--latent is for the generative"),
        (["train", "--data", "mnist", "--model", "gan", "--hidden", "8", "--latent", "4",
          "--out", str(gan_run), "--resume"], "trained with"),
    ]
    for argv, message in cases:
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert message in err and err.count("\n") == 1, (argv, err)


def test_a_gan_checkpoint_copied_elsewhere_still_samples(gan_run, tmp_path):
    copy = tmp_path / "copy.safetensors"
    shutil.copy(gan_run / "checkpoint.safetensors", copy)
    assert main(["sample", str(copy), "--out", str(tmp_path / "c.png")]) == 0
