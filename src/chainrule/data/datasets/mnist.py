"""MNIST and Fashion-MNIST: 28x28 gray images in 10 classes, 60,000 for training and 10,000 for
testing, published as gzipped IDX files (a small header of sizes, then the raw bytes)."""
import gzip
import zlib

import numpy as np

from ..dataset import ImageDataset
from ..download import RemoteFile, Source, locate
from ..transforms import ToFloat

MNIST_SOURCE = Source(
    name="mnist", title="MNIST", folder="mnist",
    files=(RemoteFile("train-images-idx3-ubyte.gz", "f68b3c2dcbeaaa9fbdd348bbdeb94873", 9912422),
           RemoteFile("train-labels-idx1-ubyte.gz", "d53e105ee54ea40749a09fcbcd1e9432", 28881),
           RemoteFile("t10k-images-idx3-ubyte.gz", "9fb629c4189551a2d022fa330f9573f3", 1648877),
           RemoteFile("t10k-labels-idx1-ubyte.gz", "ec29112dd5afa0611ce80d1b7f02629c", 4542)),
    mirrors=("https://ossci-datasets.s3.amazonaws.com/mnist/",
             "http://yann.lecun.com/exdb/mnist/"))

FASHION_SOURCE = Source(
    name="fashion-mnist", title="Fashion-MNIST", folder="fashion-mnist",
    files=(RemoteFile("train-images-idx3-ubyte.gz", "8d4fb7e6c68d591d4c3dfef9ec88bf0d", 26421880),
           RemoteFile("train-labels-idx1-ubyte.gz", "25c81989df183df01b3e8a0aad5dffbe", 29515),
           RemoteFile("t10k-images-idx3-ubyte.gz", "bef4ecab320f06d8554ea6380940ec79", 4422102),
           RemoteFile("t10k-labels-idx1-ubyte.gz", "bb300cfdad3c16e7a12a480ee83cd310", 5148)),
    mirrors=("http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/",
             "https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/"
             "fashion/"))


class MNIST(ImageDataset):
    """Handwritten digits (LeCun, Cortes, Burges). Sample i is (image, label): the image float32
    (1, 28, 28) in [0, 1] with the default transform (transform=None: the raw uint8 pixels), the
    label an int64 in 0..9. `images` (N, 1, 28, 28) uint8 and `labels` (N,) int64 hold them all.
    Files are found or downloaded as `chainrule.data.download` describes. With `cache`, the
    DataLoader's batches come from a float32 copy of all the images, made on first use (188 MB
    for the training split, 31 MB for the test split); `cache=False` converts each batch."""

    source = MNIST_SOURCE
    classes = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"]

    def __init__(self, root=None, train=True, download=True, transform=ToFloat(), cache=True):
        paths = locate(self.source, root, download)
        prefix = "train" if train else "t10k"
        images = read_idx(paths[f"{prefix}-images-idx3-ubyte.gz"], ndim=3)
        labels = read_idx(paths[f"{prefix}-labels-idx1-ubyte.gz"], ndim=1)
        if len(images) != len(labels):
            raise ValueError(f"{self.source.title}: {len(images)} images but {len(labels)} labels")
        super().__init__(images[:, None], labels.astype(np.int64), train, transform, cache)



class FashionMNIST(MNIST):
    """Zalando's article images (Xiao, Rasul, Vollgraf 2017), in MNIST's format and shapes."""

    source = FASHION_SOURCE
    classes = ["T-shirt/top", "Trouser", "Pullover", "Dress", "Coat", "Sandal", "Shirt",
               "Sneaker", "Bag", "Ankle boot"]


def read_idx(path, ndim):
    """The unsigned-byte array in a gzipped IDX file: two zero bytes, the type code 0x08, the
    number of dimensions, the sizes as big-endian int32s, then the bytes."""
    try:
        with gzip.open(path) as f:
            data = bytearray(f.read())
    except (OSError, EOFError, zlib.error) as error:
        raise ValueError(f"{path} is not a readable gzip file ({error}); delete it and "
                         "download it again") from None
    if len(data) < 4 or data[:3] != b"\x00\x00\x08" or data[3] != ndim:
        raise ValueError(f"{path} is not an IDX file of unsigned bytes with {ndim} dimensions")
    shape = tuple(int(d) for d in np.frombuffer(data, ">u4", ndim, offset=4))
    start = 4 + 4 * ndim
    if len(data) - start != np.prod(shape):
        raise ValueError(f"{path} holds {len(data) - start} bytes of data, but its header "
                         f"announces {shape} = {int(np.prod(shape))}")
    return np.frombuffer(data, np.uint8, offset=start).reshape(shape)
