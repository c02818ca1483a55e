"""Tiny Shakespeare (Karpathy's char-rnn): 1.1 million characters of the plays, for character-level
language modelling."""
import numpy as np

from ...tensor import Tensor
from ..dataset import Dataset
from ..download import RemoteFile, Source, locate

SOURCE = Source(
    name="tinyshakespeare", title="Tiny Shakespeare", folder="tinyshakespeare",
    files=(RemoteFile("input.txt", "6fb458f1232090904fb40fe944165e91", 1115394),),
    mirrors=("https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/",))


class TinyShakespeare(Dataset):
    """Windows of `block_size` characters as int64 ids: sample i is (x, y) with
    x = ids[i : i + block_size] and y = ids[i + 1 : i + block_size + 1], the next character at
    every position. `split` is "train" (the first 90% of the text) or "val" (the rest). The
    vocabulary is every character of the whole text, sorted: `chars`, `vocab_size`, and
    `encode(str)` / `decode(ids)` to go between text and ids."""

    source = SOURCE

    def __init__(self, root=None, split="train", block_size=128, download=True,
                 val_fraction=0.1):
        if split not in ("train", "val"):
            raise ValueError(f"TinyShakespeare: split must be 'train' or 'val', got {split!r}")
        path = locate(self.source, root, download)["input.txt"]
        self.text = path.read_text(encoding="utf-8")
        codes = _code_points(self.text)
        self._points, ids = np.unique(codes, return_inverse=True)
        self.chars = [chr(p) for p in self._points]
        cut = int(len(ids) * (1 - val_fraction))
        self.data = (ids[:cut] if split == "train" else ids[cut:]).astype(np.int64)
        if not 1 <= block_size < len(self.data):
            raise ValueError(f"TinyShakespeare: block_size must be between 1 and "
                             f"{len(self.data) - 1} for the {split} split, got {block_size}")
        self.split = split
        self.block_size = block_size

    @property
    def vocab_size(self):
        return len(self.chars)

    def encode(self, text):
        codes = _code_points(text)
        ids = np.minimum(np.searchsorted(self._points, codes), len(self._points) - 1)
        unknown = self._points[ids] != codes
        if unknown.any():
            raise ValueError(f"TinyShakespeare.encode: {text[int(np.argmax(unknown))]!r} is not "
                             "in the vocabulary")
        return ids.astype(np.int64)

    def decode(self, ids):
        ids = ids.numpy() if isinstance(ids, Tensor) else np.asarray(ids)
        return "".join(self.chars[i] for i in ids.ravel())

    def __len__(self):
        return len(self.data) - self.block_size

    def __getitem__(self, index):
        i = range(len(self))[index]
        return self.data[i:i + self.block_size], self.data[i + 1:i + self.block_size + 1]

    def batch(self, indices):
        window = self.data[np.asarray(indices)[:, None] + np.arange(self.block_size + 1)]
        return window[:, :-1], window[:, 1:]

    def __repr__(self):
        return (f"TinyShakespeare({self.split}, {len(self.data)} characters, "
                f"block_size={self.block_size}, vocab_size={self.vocab_size})")


def _code_points(text):
    return np.frombuffer(text.encode("utf-32-le"), np.uint32)
