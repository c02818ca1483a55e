"""Recognising spoken digits in voices never heard in training: a GRU that reads the log-mel
frames in time order (trained by backpropagation through time), or a small convolutional net
over the same frames, classifies SpokenDigits recordings; the score is the accuracy on the
held-out voices, per digit and overall."""
import numpy as np

from .. import nn, optim
from ..backend import manual_seed
from ..data import DataLoader
from ..data.datasets import SpokenDigits
from ..nn import functional as F
from ..ops import tensor
from .trainer import fit


class Standardize(nn.Module):
    """(x - mean) / std per mel band, with the training set's statistics kept as buffers, so a
    saved model takes raw log-mel spectrograms."""

    def __init__(self, n_mels):
        super().__init__()
        self.register_buffer("mean", tensor(np.zeros(n_mels, dtype=np.float32)))
        self.register_buffer("std", tensor(np.ones(n_mels, dtype=np.float32)))

    def fit(self, spectrograms):
        """Sets mean and std from (samples, frames, n_mels) spectrograms; a band that never
        changes keeps std 1 (it would divide by zero)."""
        std = spectrograms.std(axis=(0, 1))
        self.mean = tensor(spectrograms.mean(axis=(0, 1)), device=self.mean.device)
        self.std = tensor(np.where(std > 0, std, 1), device=self.std.device)
        return self

    def forward(self, x):
        return (x - self.mean) / self.std


class SpeechGRU(nn.Module):
    """(batch, frames, n_mels) log-mel spectrograms -> (batch, num_classes) logits: a GRU reads
    the frames in time order, and a Linear classifies its states averaged over time (the
    average, not the last state, since the recordings end in padding of silence)."""

    def __init__(self, n_mels=40, hidden_size=64, num_classes=10):
        super().__init__()
        self.standardize = Standardize(n_mels)
        self.gru = nn.GRU(n_mels, hidden_size, batch_first=True)
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, spectrograms):
        states, _ = self.gru(self.standardize(spectrograms))
        return self.head(states.mean(dim=1))


class SpeechCNN(nn.Module):
    """(batch, frames, n_mels) log-mel spectrograms -> (batch, num_classes) logits: two
    convolutions along time with the mel bands as channels, the strongest response of each
    feature anywhere in time (max over frames), then a Linear."""

    def __init__(self, n_mels=40, hidden_size=64, num_classes=10, kernel_size=5):
        super().__init__()
        self.standardize = Standardize(n_mels)
        self.features = nn.Sequential(
            nn.Conv1d(n_mels, hidden_size, kernel_size, padding=kernel_size // 2), nn.ReLU(),
            nn.MaxPool1d(2),
            nn.Conv1d(hidden_size, hidden_size, kernel_size, padding=kernel_size // 2),
            nn.ReLU(), nn.AdaptiveMaxPool1d(1), nn.Flatten())
        self.head = nn.Linear(hidden_size, num_classes)

    def forward(self, spectrograms):
        return self.head(self.features(self.standardize(spectrograms).transpose(1, 2)))


MODELS = {"gru": SpeechGRU, "cnn": SpeechCNN}


def fit_speech_classifier(model="gru", hidden_size=64, epochs=10, batch_size=32, lr=3e-3,
                          seed=0, progress=False, **data_options):
    """Trains a SpeechGRU ("gru") or SpeechCNN ("cnn") with Adam on SpokenDigits' training
    voices and scores it on its held-out voices. `data_options` go to SpokenDigits (voices,
    test_voices, speeds, pitches, frames, n_mels, root); the recordings are made with espeak-ng
    the first time. Returns {"model", "accuracy" (held-out voices), "per_class" (accuracy per
    digit), "confusion" (counts[true, predicted]), "history" (per epoch), "train_voices",
    "test_voices"}."""
    if model not in MODELS:
        raise ValueError(f"fit_speech_classifier: model must be one of {sorted(MODELS)}, got "
                         f"{model!r}")
    manual_seed(seed)
    train = SpokenDigits(train=True, **data_options)
    test = SpokenDigits(train=False, **data_options)
    spectrograms = train.arrays[0]
    net = MODELS[model](spectrograms.shape[2], hidden_size, len(SpokenDigits.classes))
    net.standardize.fit(spectrograms)
    trainer = fit(net, F.cross_entropy, optim.Adam(net.parameters(), lr=lr),
                  DataLoader(train, batch_size=batch_size, shuffle=True), epochs=epochs,
                  progress=progress)
    scores = trainer.evaluate(DataLoader(test, batch_size=256))
    confusion = scores["confusion"]
    return {"model": net, "accuracy": scores["accuracy"],
            "per_class": np.diag(confusion) / confusion.sum(axis=1), "confusion": confusion,
            "history": trainer.history, "train_voices": train.voices, "test_voices": test.voices}
