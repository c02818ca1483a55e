"""SpokenDigits (recordings made with espeak-ng, which CI installs) and the log-mel features."""
import subprocess
import wave

import numpy as np
import pytest
import torch

import chainrule as cr
import chainrule.nn as nn
import chainrule.nn.functional as F
from chainrule.data import DatasetNotFound
from chainrule.data import speech
from chainrule.data.datasets import SpokenDigits
from chainrule.data.datasets import spoken_digits


# ---- log-mel features ----------------------------------------------------------------------------
def test_power_spectrogram_matches_torch_stft():
    signal = np.random.default_rng(0).standard_normal(3000)
    n_fft, hop = 256, 100
    ours = speech.power_spectrogram(signal, n_fft, hop)
    spectrum = torch.stft(torch.tensor(signal), n_fft, hop, window=torch.hann_window(n_fft,
                          dtype=torch.float64), center=False, return_complex=True)
    np.testing.assert_allclose(ours, (spectrum.abs() ** 2).T.numpy(), rtol=1e-10, atol=1e-9)


def test_log_mel_of_a_sine_puts_its_energy_in_the_right_band():
    rate, n_fft, n_mels, amplitude = 16000, 512, 24, 0.5
    for k in (20, 61, 150):  # bins: a sine with a whole number of periods per frame
        hz = k * rate / n_fft
        sine = amplitude * np.sin(2 * np.pi * hz * np.arange(rate) / rate + 0.3)
        ours = speech.log_mel_spectrogram(sine, rate, n_mels, n_fft, hop_length=160)
        # directly: a Hann-windowed whole-period sine has |X| = A n / 4 at its bin and A n / 8
        # at each neighbour, and nothing elsewhere
        power = np.zeros(n_fft // 2 + 1)
        power[k] = (amplitude * n_fft / 4) ** 2
        power[[k - 1, k + 1]] = (amplitude * n_fft / 8) ** 2
        bands = speech.mel_filterbank(n_mels, n_fft, rate) @ power
        expected = np.log(bands + speech.LOG_FLOOR)
        assert ours.shape == (1 + (rate - n_fft) // 160, n_mels) and ours.dtype == np.float32
        np.testing.assert_allclose(ours, np.broadcast_to(expected, ours.shape), atol=2e-3)
        centres = speech.mel_to_hz(np.linspace(0, speech.hz_to_mel(rate / 2), n_mels + 2))[1:-1]
        assert (ours.argmax(axis=1) == np.abs(centres - hz).argmin()).all()


def test_mel_triangles_add_up_to_one_between_the_first_and_last_centres():
    rate, n_fft, n_mels = 22050, 1024, 30
    bank = speech.mel_filterbank(n_mels, n_fft, rate, f_min=50, f_max=8000)
    points = speech.mel_to_hz(np.linspace(speech.hz_to_mel(50), speech.hz_to_mel(8000),
                                          n_mels + 2))
    bins = np.linspace(0, rate / 2, n_fft // 2 + 1)
    inside = (bins >= points[1]) & (bins <= points[-2])
    np.testing.assert_allclose(bank[:, inside].sum(axis=0), 1, rtol=1e-12)
    assert bank.max() <= 1 and bank.min() >= 0
    outside = (bins[None] < points[:-2, None]) | (bins[None] > points[2:, None])
    assert (bank[outside] == 0).all()


def test_mel_scale_round_trips():
    hz = np.array([0, 100, 700, 4000, 11025])
    np.testing.assert_allclose(speech.mel_to_hz(speech.hz_to_mel(hz)), hz, atol=1e-9)
    assert speech.hz_to_mel(700) == pytest.approx(2595 * np.log10(2))


def test_read_wav_gives_the_samples_written(tmp_path):
    pcm = np.random.default_rng(0).integers(-32768, 32767, (500, 2)).astype("<i2")
    with wave.open(str(tmp_path / "a.wav"), "wb") as f:
        f.setnchannels(2)
        f.setsampwidth(2)
        f.setframerate(8000)
        f.writeframes(pcm.tobytes())
    samples, rate = speech.read_wav(tmp_path / "a.wav")
    assert rate == 8000 and samples.dtype == np.float32
    np.testing.assert_array_equal(samples * 32768, pcm)


def test_bad_arguments_say_what_was_expected():
    with pytest.raises(ValueError, match=r"mel_filterbank: need 0 <= f_min < f_max"):
        speech.mel_filterbank(10, 512, 16000, f_max=9000)
    with pytest.raises(ValueError, match=r"frame: expected a 1-D signal, got shape \(2, 10\)"):
        speech.frame(np.zeros((2, 10)), 4, 2)
    with pytest.raises(ValueError, match="log_mel_spectrogram: need n_fft >= 2"):
        speech.log_mel_spectrogram(np.zeros(100), 16000, n_fft=1)


# ---- the dataset ---------------------------------------------------------------------------------
SMALL = dict(voices=["en+m1", "en-us+f3", "en-gb-scotland+m3"], speeds=(160,), pitches=(50,))


@pytest.fixture
def espeak_calls(monkeypatch):
    """Counts the espeak-ng runs the dataset makes."""
    calls = []
    run = subprocess.run

    def counted(command, **kwargs):
        calls.append(command)
        return run(command, **kwargs)
    monkeypatch.setattr(spoken_digits.subprocess, "run", counted)
    return calls


def test_samples_are_fixed_size_log_mels_with_every_digit_per_voice(isolated, espeak_calls):
    train = SpokenDigits(frames=60, n_mels=32, **SMALL)
    assert len(espeak_calls) == 20  # two training voices x ten digits
    assert len(train) == 20 and train.arrays[0].shape == (20, 60, 32)
    x, y = train[7]
    assert x.dtype == np.float32 and x.shape == (60, 32) and y.dtype == np.int64
    for voice in train.voices:
        np.testing.assert_array_equal(np.sort(train.labels[train.sample_voices == voice]),
                                      np.arange(10))
    assert np.isfinite(train.arrays[0]).all()
    # the recordings went to the cache, nowhere else
    assert len(list((isolated / "cache" / "chainrule" / "spoken-digits").rglob("*.wav"))) == 20


def test_the_split_shares_no_voice(isolated):
    train = SpokenDigits(train=True, **SMALL)
    test = SpokenDigits(train=False, **SMALL)
    assert not set(train.voices) & set(test.voices)
    assert sorted(train.voices + test.voices) == sorted(SMALL["voices"])
    assert set(train.sample_voices) == set(train.voices)
    assert set(test.sample_voices) == set(test.voices)
    train_voices, test_voices = spoken_digits.split_voices(spoken_digits.VOICES)
    assert not set(train_voices) & set(test_voices)
    assert len(test_voices) == round(0.2 * len(spoken_digits.VOICES))


def test_explicit_test_voices_are_held_out(isolated):
    test = SpokenDigits(train=False, test_voices=["en-us+f3"], **SMALL)
    assert test.voices == ["en-us+f3"] and set(test.sample_voices) == {"en-us+f3"}
    with pytest.raises(ValueError, match=r"test_voices must be among voices; \['xx\+m1'\]"):
        SpokenDigits(test_voices=["xx+m1"], **SMALL)


def test_recordings_are_made_once(isolated, espeak_calls):
    first = SpokenDigits(train=False, **SMALL)
    made = len(espeak_calls)
    second = SpokenDigits(train=False, **SMALL)
    assert made == 10 and len(espeak_calls) == made
    np.testing.assert_array_equal(first.arrays[0], second.arrays[0])
    SpokenDigits(train=False, root=isolated / "elsewhere", **SMALL)  # found in the cache
    assert len(espeak_calls) == made


def test_missing_recordings_or_program_are_explained(isolated, monkeypatch):
    with pytest.raises(DatasetNotFound, match="10 recordings are missing.*generate=True"):
        SpokenDigits(train=False, generate=False, **SMALL)
    monkeypatch.setattr(spoken_digits.shutil, "which", lambda name: None)
    with pytest.raises(DatasetNotFound, match="espeak-ng .* not installed"):
        SpokenDigits(train=False, **SMALL)


def test_a_small_net_recognises_digits_in_voices_it_never_heard(tmp_path):
    voices = ["en+m1", "en-us+f3", "en-gb-scotland+m3", "en-029+f1", "en-gb-x-rp+m4",
              "en-us-nyc+f2"]
    options = dict(root=tmp_path, voices=voices, test_voices=["en-us-nyc+f2", "en+m1"],
                   speeds=(150, 200), pitches=(35, 65), frames=60)
    train, test = SpokenDigits(train=True, **options), SpokenDigits(train=False, **options)
    x, y = train.arrays[0], train.labels
    mean, std = x.mean(axis=(0, 1)), x.std(axis=(0, 1))
    cr.manual_seed(0)
    model = nn.Sequential(nn.Flatten(), nn.Linear(60 * 40, 64), nn.ReLU(), nn.Linear(64, 10))
    optimizer = cr.optim.Adam(model.parameters(), lr=1e-3)
    order = np.random.default_rng(0)
    for epoch in range(15):
        for batch in np.array_split(order.permutation(len(x)), len(x) // 16):
            loss = F.cross_entropy(model(cr.tensor((x[batch] - mean) / std)), cr.tensor(y[batch]))
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
    with cr.no_grad():
        guesses = model(cr.tensor((test.arrays[0] - mean) / std)).argmax(dim=1).numpy()
    accuracy = (guesses == test.labels).mean()
    assert accuracy > 0.6, f"held-out voices: {accuracy:.0%} right (chance: 10%)"
