"""The data layer: datasets, the DataLoader that batches them into Tensors, image transforms,
and the dataset files (found on disk, or downloaded once and checked).

    from chainrule.data import DataLoader, datasets, transforms
    train = datasets.MNIST(train=True)
    for images, labels in DataLoader(train, batch_size=64, shuffle=True): ...
"""
from . import datasets, download, transforms
from .collate import default_collate, default_convert
from .dataset import (ArrayDataset, ChainDataset, ConcatDataset, Dataset, ImageDataset,
                      IterableDataset, Subset, TensorDataset, random_split)
from .download import ChecksumError, DatasetNotFound
from .loader import DataLoader
from .sampler import (BatchSampler, RandomSampler, Sampler, SequentialSampler,
                      SubsetRandomSampler, WeightedRandomSampler)
from .worker import WorkerInfo, get_worker_info

__all__ = ["Dataset", "ArrayDataset", "ImageDataset", "TensorDataset", "Subset", "random_split",
           "IterableDataset", "ConcatDataset", "ChainDataset", "DataLoader", "default_collate",
           "default_convert", "get_worker_info", "WorkerInfo", "Sampler", "SequentialSampler",
           "RandomSampler", "SubsetRandomSampler", "WeightedRandomSampler", "BatchSampler",
           "datasets", "transforms", "download", "DatasetNotFound", "ChecksumError"]
