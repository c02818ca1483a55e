"""The data layer: datasets, the DataLoader that batches them into Tensors, image transforms,
and the dataset files (found on disk, or downloaded once and checked).

    from chainrule.data import DataLoader, datasets, transforms
    train = datasets.MNIST(train=True)
    for images, labels in DataLoader(train, batch_size=64, shuffle=True): ...
"""
from . import datasets, download, transforms
from .dataset import ArrayDataset, Dataset, ImageDataset, Subset, TensorDataset, random_split
from .download import ChecksumError, DatasetNotFound
from .loader import DataLoader, default_collate

__all__ = ["Dataset", "ArrayDataset", "ImageDataset", "TensorDataset", "Subset", "random_split", "DataLoader",
           "default_collate", "datasets", "transforms", "download", "DatasetNotFound",
           "ChecksumError"]
