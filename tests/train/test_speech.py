"""Spoken digits (made with espeak-ng, which CI installs) recognised in voices never heard in
training, by a GRU trained through time and by a small CNN; and both nets against their
PyTorch twins."""
import importlib.util
from pathlib import Path

import numpy as np
import pytest
import torch

import chainrule as cr
from chainrule.train.speech import SpeechCNN, SpeechGRU, fit_speech_classifier

# The small set of tests/data/test_data_spoken_digits.py, where an MLP reaches 88.75%:
# 4 training voices and 2 held out, 2 speeds x 2 pitches each (160 and 80 recordings).
VOICES = ["en+m1", "en-us+f3", "en-gb-scotland+m3", "en-029+f1", "en-gb-x-rp+m4", "en-us-nyc+f2"]
SMALL = dict(voices=VOICES, test_voices=["en-us-nyc+f2", "en+m1"], speeds=(150, 200),
             pitches=(35, 65), frames=60)


@pytest.fixture(scope="module")
def recordings(tmp_path_factory):
    """Where the recordings are made, once for this module's runs."""
    return tmp_path_factory.mktemp("spoken-digits")


@pytest.fixture(scope="module")
def gru_result(recordings):
    return fit_speech_classifier("gru", hidden_size=64, epochs=15, batch_size=16, lr=1e-2,
                                 seed=0, root=recordings, **SMALL)


def test_gru_recognises_digits_in_voices_it_never_heard(gru_result):
    # measured, seeds 0-5: 98.75-100% of the 80 held-out recordings (the MLP: 88.75%)
    accuracy = gru_result["accuracy"]
    assert accuracy >= 0.9, f"held-out voices: {accuracy:.0%} right (chance: 10%)"


def test_cnn_recognises_digits_in_voices_it_never_heard(recordings):
    result = fit_speech_classifier("cnn", hidden_size=32, epochs=10, batch_size=16, seed=0,
                                   root=recordings, **SMALL)
    # measured, seeds 0-4: 95.0-100%
    assert result["accuracy"] >= 0.85, f"held-out voices: {result['accuracy']:.0%} right"


def test_scores_are_over_the_held_out_voices_only(gru_result):
    assert gru_result["test_voices"] == sorted(SMALL["test_voices"])
    assert not set(gru_result["train_voices"]) & set(gru_result["test_voices"])
    confusion = gru_result["confusion"]
    assert confusion.shape == (10, 10)
    assert (confusion.sum(axis=1) == 2 * 2 * 2).all()  # each digit: 2 voices x 2 speeds x 2 pitches
    np.testing.assert_allclose(gru_result["per_class"], np.diag(confusion) / 8)
    assert gru_result["accuracy"] == pytest.approx(np.trace(confusion) / confusion.sum())
    assert len(gru_result["history"]) == 15


# ---- the nets against PyTorch --------------------------------------------------------------------
class TorchStandardize(torch.nn.Module):
    def __init__(self, n_mels):
        super().__init__()
        self.register_buffer("mean", torch.zeros(n_mels))
        self.register_buffer("std", torch.ones(n_mels))

    def forward(self, x):
        return (x - self.mean) / self.std


class TorchSpeechGRU(torch.nn.Module):
    def __init__(self, n_mels, hidden_size):
        super().__init__()
        self.standardize = TorchStandardize(n_mels)
        self.gru = torch.nn.GRU(n_mels, hidden_size, batch_first=True)
        self.head = torch.nn.Linear(hidden_size, 10)

    def forward(self, x):
        return self.head(self.gru(self.standardize(x))[0].mean(dim=1))


class TorchSpeechCNN(torch.nn.Module):
    def __init__(self, n_mels, hidden_size):
        super().__init__()
        self.standardize = TorchStandardize(n_mels)
        self.features = torch.nn.Sequential(
            torch.nn.Conv1d(n_mels, hidden_size, 5, padding=2), torch.nn.ReLU(),
            torch.nn.MaxPool1d(2), torch.nn.Conv1d(hidden_size, hidden_size, 5, padding=2),
            torch.nn.ReLU(), torch.nn.AdaptiveMaxPool1d(1), torch.nn.Flatten())
        self.head = torch.nn.Linear(hidden_size, 10)

    def forward(self, x):
        return self.head(self.features(self.standardize(x).transpose(1, 2)))


@pytest.mark.parametrize("ours, theirs", [(SpeechGRU, TorchSpeechGRU),
                                          (SpeechCNN, TorchSpeechCNN)])
def test_nets_match_their_pytorch_twins(ours, theirs):
    n_mels, hidden = 12, 8
    spectrograms = np.random.default_rng(0).normal(-5, 3, (4, 20, n_mels))
    model = ours(n_mels, hidden)
    model.standardize.fit(spectrograms)
    model.to(cr.float64)
    twin = theirs(n_mels, hidden).double()
    twin.load_state_dict({k: torch.tensor(v.numpy()) for k, v in model.state_dict().items()})

    x = cr.tensor(spectrograms, requires_grad=True)
    tx = torch.tensor(spectrograms, requires_grad=True)
    out, expected = model(x), twin(tx)
    np.testing.assert_allclose(out.detach().numpy(), expected.detach().numpy(), rtol=1e-10,
                               atol=1e-12)
    weights = np.random.default_rng(1).standard_normal(out.shape)
    (out * cr.tensor(weights)).sum().backward()
    (expected * torch.tensor(weights)).sum().backward()
    np.testing.assert_allclose(x.grad.numpy(), tx.grad.numpy(), rtol=1e-9, atol=1e-12)
    for (name, p), q in zip(model.named_parameters(), twin.parameters()):
        np.testing.assert_allclose(p.grad.numpy(), q.grad.numpy(), rtol=1e-9, atol=1e-12,
                                   err_msg=name)


def test_standardize_learns_each_mel_band_of_the_training_set():
    spectrograms = np.random.default_rng(0).normal([-8, 0, 4], [1, 2, 3], (50, 30, 3))
    model = SpeechGRU(3, 4)
    model.standardize.fit(spectrograms.astype(np.float32))
    scaled = model.standardize(cr.tensor(spectrograms.astype(np.float32))).numpy()
    np.testing.assert_allclose(scaled.mean(axis=(0, 1)), 0, atol=1e-4)
    np.testing.assert_allclose(scaled.std(axis=(0, 1)), 1, atol=1e-4)
    assert set(model.state_dict()) >= {"standardize.mean", "standardize.std"}


def test_an_unknown_model_is_named():
    with pytest.raises(ValueError, match=r"fit_speech_classifier: model must be one of "
                                         r"\['cnn', 'gru'\], got 'lstm'"):
        fit_speech_classifier("lstm")


# ---- the example ---------------------------------------------------------------------------------
def test_example_prints_the_held_out_accuracy_and_draws_the_confusion(tmp_path, monkeypatch,
                                                                      capsys):
    monkeypatch.delenv("CHAINRULE_DATA", raising=False)  # its recordings go to a cache of its own
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    script = Path(__file__).resolve().parents[2] / "examples" / "spoken_digits.py"
    spec = importlib.util.spec_from_file_location("spoken_digits_example", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    result = module.main(["--model", "cnn", "--epochs", "1", "--voices", *VOICES[:3],
                          "--speeds", "160", "--pitches", "50", "--out",
                          str(tmp_path / "confusion.png")])
    assert (tmp_path / "confusion.png").stat().st_size > 0
    out = capsys.readouterr().out
    assert f"held-out voices: {result['accuracy']:.2%} right" in out
    assert "trained on 2 voices, tested on 1 held out" in out
