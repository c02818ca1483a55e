"""CIFAR-10 (Krizhevsky, Nair, Hinton): 32x32 colour images in 10 classes, 50,000 for training
and 10,000 for testing. Read from the binary distribution, cifar-10-binary.tar.gz, without
unpacking it: each batch file is a run of 3073-byte records, one label byte then 3072 pixel bytes
(1024 red, 1024 green, 1024 blue, each 32 rows of 32)."""
import tarfile
from pathlib import PurePosixPath

import numpy as np

from ..dataset import ImageDataset
from ..download import RemoteFile, Source, locate
from ..transforms import ToFloat

SOURCE = Source(
    name="cifar10", title="CIFAR-10", folder="cifar10",
    files=(RemoteFile("cifar-10-binary.tar.gz", "c32a1d4ab5d03f1284b67883e8d87530", 170052171),),
    mirrors=("https://www.cs.toronto.edu/~kriz/",))

TRAIN_BATCHES = tuple(f"data_batch_{i}.bin" for i in range(1, 6))
TEST_BATCHES = ("test_batch.bin",)
SHAPE = (3, 32, 32)
RECORD = 1 + int(np.prod(SHAPE))


class CIFAR10(ImageDataset):
    """Sample i is (image, label): the image float32 (3, 32, 32) in [0, 1] with the default
    transform (transform=None: the raw uint8 pixels), the label an int64 in 0..9. With `cache`,
    the DataLoader's batches come from a float32 copy of all the images, made on first use
    (614 MB for the training split, 123 MB for the test split); `cache=False` converts each
    batch."""

    source = SOURCE
    classes = ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship",
               "truck"]

    def __init__(self, root=None, train=True, download=True, transform=ToFloat(), cache=True):
        archive = locate(self.source, root, download)[self.source.files[0].name]
        images, labels = read_archive(archive, TRAIN_BATCHES if train else TEST_BATCHES)
        super().__init__(images, labels, train, transform, cache)



def read_archive(archive, names):
    """(images (N, 3, 32, 32) uint8, labels (N,) int64) from the named batch files of the
    archive, in the order named; one pass through the compressed stream."""
    found = {}
    with tarfile.open(archive, "r|gz") as tar:
        for member in tar:
            name = PurePosixPath(member.name).name
            if member.isfile() and name in names:
                found[name] = parse_batch(tar.extractfile(member).read(), name)
    missing = [n for n in names if n not in found]
    if missing:
        raise ValueError(f"CIFAR-10: {archive} has no {', '.join(missing)}; is it "
                         "cifar-10-binary.tar.gz (the binary version, not the python one)?")
    images, labels = zip(*(found[n] for n in names))
    return np.concatenate(images), np.concatenate(labels)


def parse_batch(data, name="batch"):
    if len(data) % RECORD:
        raise ValueError(f"CIFAR-10: {name} has {len(data)} bytes, not a whole number of "
                         f"{RECORD}-byte records")
    records = np.frombuffer(data, np.uint8).reshape(-1, RECORD)
    labels = records[:, 0].astype(np.int64)
    if labels.size and labels.max() > 9:
        raise ValueError(f"CIFAR-10: {name} has a label {labels.max()}; labels are 0..9")
    return records[:, 1:].reshape(-1, *SHAPE).copy(), labels
