"""Spoken digits, "zero" to "nine", made on this machine by the espeak-ng speech synthesizer in
many voices (English accents x voice variants), at several speeds and pitches; the recordings are
made once and kept as WAV files (see `chainrule.data.download` for where: the `spoken-digits/`
folder of `root`, `$CHAINRULE_DATA` or the cache). A small speech task for recurrent and
convolutional nets, with a test split of voices never heard in training."""
import os
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from ..dataset import ArrayDataset
from ..download import DatasetNotFound, data_dirs
from ..speech import LOG_FLOOR, log_mel_spectrogram, read_wav

FOLDER = "spoken-digits"
WORDS = ("zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine")
ACCENTS = ("en", "en-us", "en-us-nyc", "en-gb-scotland", "en-gb-x-rp", "en-gb-x-gbclan",
           "en-gb-x-gbcwmd", "en-029")
VARIANTS = ("m1", "m2", "m3", "m4", "m6", "m7", "f1", "f2", "f3", "f4", "f5", "klatt")
VOICES = tuple(f"{accent}+{variant}" for accent in ACCENTS for variant in VARIANTS)
SPEEDS = (140, 180, 220)  # words per minute
PITCHES = (35, 65)  # espeak-ng's 0..99
TEST_FRACTION = 0.2  # of the voices, held out for testing
SPLIT_SEED = 0
SILENCE = 0.02  # of the peak: quieter samples at either end of a recording are trimmed
N_FFT = 512
F_MIN, F_MAX = 20.0, 8000.0  # the band that carries speech


class SpokenDigits(ArrayDataset):
    """Sample i is (log-mel spectrogram, label): the spectrogram float32 (frames, n_mels), one
    row per 10 ms of the recording (silence at either end trimmed, then padded with silence or
    cut to `frames` rows), the label an int64 in 0..9.

    Every recording is one word from WORDS in one voice of `voices` ("accent+variant", as
    espeak-ng's `-v` takes them), at each of `speeds` and `pitches`. The split is by voice: the
    test set holds `test_voices` (default: a fixed 20% of `voices`, the same on every machine)
    and the training set the rest, so no voice is in both. Missing recordings are made with
    espeak-ng when `generate` is true (about 20 ms each; the full default set is 5,760)."""

    classes = list(WORDS)

    def __init__(self, root=None, train=True, voices=VOICES, test_voices=None, speeds=SPEEDS,
                 pitches=PITCHES, frames=80, n_mels=40, transform=None, generate=True):
        self.train = train
        self.voices = split_voices(voices, test_voices)[0 if train else 1]
        takes = [(voice, speed, pitch, digit) for voice in self.voices for speed in speeds
                 for pitch in pitches for digit in range(10)]
        paths = recordings(takes, root, generate)
        features = np.stack([fit(spectrogram(path, n_mels), frames) for path in paths])
        self.sample_voices = np.array([take[0] for take in takes])
        super().__init__(features, np.array([take[3] for take in takes], dtype=np.int64),
                         transform=transform)

    @property
    def labels(self):
        return self.arrays[1]

    def __repr__(self):
        split = "train" if self.train else "test"
        frames, n_mels = self.arrays[0].shape[1:]
        return (f"SpokenDigits({split}, {len(self)} recordings, {len(self.voices)} voices, "
                f"frames={frames}, n_mels={n_mels})")


def split_voices(voices, test_voices=None):
    """(training voices, test voices) of `voices`: `test_voices` when given, else a fixed
    TEST_FRACTION of them drawn with SPLIT_SEED (at least one on each side)."""
    voices = sorted(set(voices))
    if test_voices is None:
        if len(voices) < 2:
            raise ValueError(f"SpokenDigits: a split by voice needs at least 2 voices, got "
                             f"{voices}")
        order = np.random.default_rng(SPLIT_SEED).permutation(len(voices))
        held = min(max(1, round(TEST_FRACTION * len(voices))), len(voices) - 1)
        test_voices = [voices[i] for i in order[:held]]
    unknown = sorted(set(test_voices) - set(voices))
    if unknown:
        raise ValueError(f"SpokenDigits: test_voices must be among voices; {unknown} are not")
    test = sorted(set(test_voices))
    return [v for v in voices if v not in test], test


# ---- recordings ----------------------------------------------------------------------------------
def recordings(takes, root=None, generate=True):
    """The WAV path of each (voice, speed, pitch, digit), found in a data directory or made with
    espeak-ng in the first one."""
    names = [Path(voice) / f"s{speed}_p{pitch}_{WORDS[digit]}.wav"
             for voice, speed, pitch, digit in takes]
    paths = [find(name, root) for name in names]
    missing = [(take, data_dirs(root)[0] / FOLDER / name)
               for take, name, path in zip(takes, names, paths) if path is None]
    if missing and not generate:
        raise DatasetNotFound(f"SpokenDigits: {len(missing)} recordings are missing (the first: "
                              f"{missing[0][1]}); pass generate=True to make them with espeak-ng")
    if missing:
        program = espeak_program()
        with ThreadPoolExecutor(os.cpu_count()) as pool:
            list(pool.map(lambda item: speak(program, *item[0], item[1]), missing))
    return [path or data_dirs(root)[0] / FOLDER / name for name, path in zip(names, paths)]


def find(name, root=None):
    for base in data_dirs(root):
        if (base / FOLDER / name).is_file():
            return base / FOLDER / name
    return None


def espeak_program():
    program = shutil.which("espeak-ng")
    if program is None:
        raise DatasetNotFound("SpokenDigits: the recordings are made by the espeak-ng speech "
                              "synthesizer, which is not installed (on Debian or Ubuntu: "
                              "`apt-get install espeak-ng`; on macOS: `brew install espeak-ng`)")
    return program


def speak(program, voice, speed, pitch, digit, path):
    """Records WORDS[digit] into `path`: written beside it first and renamed into place, so an
    interrupted run never leaves a partial file that looks like a recording."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, partial = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    os.close(fd)
    try:
        done = subprocess.run([program, "-v", voice, "-s", str(speed), "-p", str(pitch), "-w",
                               partial, WORDS[digit]], capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"SpokenDigits: espeak-ng could not say {WORDS[digit]!r} in voice "
                               f"{voice!r}: {done.stderr.strip() or done.returncode}")
        os.replace(partial, path)
    finally:
        if os.path.exists(partial):
            os.remove(partial)


# ---- features ------------------------------------------------------------------------------------
def spectrogram(path, n_mels):
    samples, rate = read_wav(path)
    return log_mel_spectrogram(trim(samples), rate, n_mels, N_FFT, f_min=F_MIN,
                               f_max=min(F_MAX, rate / 2))


def trim(samples):
    """The samples from the first to the last one louder than SILENCE of the peak."""
    loud = np.flatnonzero(np.abs(samples) > SILENCE * np.abs(samples).max(initial=0))
    return samples[loud[0]:loud[-1] + 1] if len(loud) else samples


def fit(features, frames):
    """The first `frames` rows of `features`, padded at the end with silence's log-mel."""
    padding = max(0, frames - len(features))
    silence = np.float32(np.log(LOG_FLOOR))
    return np.pad(features[:frames], ((0, padding), (0, 0)), constant_values=silence)
