"""Speech features in NumPy: reading a WAV file, and the log-mel spectrogram.

The log-mel spectrogram of a signal: cut it into overlapping frames, taper each with a Hann
window, take the power of its discrete Fourier transform (`|rfft|^2`), pool the frequency bins
into bands spaced evenly on the mel scale (triangular filters, the HTK mel scale
`mel = 2595 log10(1 + f / 700)`), and take the log. Rows are frames (time), columns mel bands
(low to high pitch)."""
import wave

import numpy as np

LOG_FLOOR = 1e-10  # added before the log, so that silence gives log(1e-10), not -inf


def read_wav(path):
    """(samples, sample_rate) of a 16-bit PCM WAV file: samples float32 in [-1, 1), shape
    (n,) for mono and (n, channels) otherwise."""
    with wave.open(str(path), "rb") as f:
        if f.getsampwidth() != 2:
            raise ValueError(f"read_wav: {path} has {8 * f.getsampwidth()}-bit samples; only "
                             "16-bit PCM is read")
        channels, rate = f.getnchannels(), f.getframerate()
        pcm = np.frombuffer(f.readframes(f.getnframes()), dtype="<i2")
    samples = pcm.astype(np.float32) / 32768
    return (samples if channels == 1 else samples.reshape(-1, channels)), rate


def hz_to_mel(hz):
    return 2595 * np.log10(1 + np.asarray(hz, dtype=np.float64) / 700)


def mel_to_hz(mel):
    return 700 * (10 ** (np.asarray(mel, dtype=np.float64) / 2595) - 1)


def mel_filterbank(n_mels, n_fft, sample_rate, f_min=0.0, f_max=None):
    """(n_mels, n_fft // 2 + 1) weights: band m is a triangle over the rfft bins' frequencies,
    rising from 0 at mel point m to 1 at point m + 1 and falling back to 0 at point m + 2, with
    the n_mels + 2 points evenly spaced in mels from f_min to f_max (default: half the rate)."""
    f_max = sample_rate / 2 if f_max is None else f_max
    if n_mels < 1:
        raise ValueError(f"mel_filterbank: n_mels must be at least 1, got {n_mels}")
    if not 0 <= f_min < f_max <= sample_rate / 2:
        raise ValueError(f"mel_filterbank: need 0 <= f_min < f_max <= sample_rate / 2 = "
                         f"{sample_rate / 2:g}, got f_min={f_min:g}, f_max={f_max:g}")
    bins = np.linspace(0, sample_rate / 2, n_fft // 2 + 1)
    points = mel_to_hz(np.linspace(hz_to_mel(f_min), hz_to_mel(f_max), n_mels + 2))
    left, center, right = points[:-2, None], points[1:-1, None], points[2:, None]
    rising = (bins - left) / (center - left)
    falling = (right - bins) / (right - center)
    return np.maximum(0, np.minimum(rising, falling))


def frame(signal, frame_length, hop_length):
    """(n_frames, frame_length) view of a 1-D signal: frame i starts at sample i * hop_length;
    a signal shorter than one frame is zero-padded to one."""
    signal = np.asarray(signal)
    if signal.ndim != 1:
        raise ValueError(f"frame: expected a 1-D signal, got shape {signal.shape}")
    if len(signal) < frame_length:
        signal = np.pad(signal, (0, frame_length - len(signal)))
    return np.lib.stride_tricks.sliding_window_view(signal, frame_length)[::hop_length]


def hann_window(length):
    """The periodic Hann window (one period of a raised cosine), as spectral analysis uses."""
    return 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(length) / length)


def power_spectrogram(signal, n_fft, hop_length):
    """(n_frames, n_fft // 2 + 1): |rfft|^2 of each Hann-windowed frame of n_fft samples."""
    spectrum = np.fft.rfft(frame(signal, n_fft, hop_length) * hann_window(n_fft), axis=-1)
    return spectrum.real ** 2 + spectrum.imag ** 2


def log_mel_spectrogram(signal, sample_rate, n_mels=40, n_fft=512, hop_length=None,
                        f_min=0.0, f_max=None):
    """(n_frames, n_mels) float32: log(mel band power + LOG_FLOOR) of each frame of n_fft
    samples, frames hop_length apart (default: 10 ms)."""
    hop_length = hop_length or sample_rate // 100
    if n_fft < 2 or hop_length < 1:
        raise ValueError(f"log_mel_spectrogram: need n_fft >= 2 and hop_length >= 1, got "
                         f"n_fft={n_fft}, hop_length={hop_length}")
    power = power_spectrogram(signal, n_fft, hop_length)
    bands = power @ mel_filterbank(n_mels, n_fft, sample_rate, f_min, f_max).T
    return np.log(bands + LOG_FLOOR).astype(np.float32)
