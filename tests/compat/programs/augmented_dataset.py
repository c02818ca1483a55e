"""A custom Dataset whose __getitem__ augments each sample (flip, shift, noise), loaded by two
worker processes with worker_init_fn, persistent_workers, shuffle and drop_last. Each epoch's
gradient is accumulated over all its batches before one optimizer step, so the result does not
depend on the order the libraries shuffle into; augmentations are keyed on the sample."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.utils.data import DataLoader, Dataset, get_worker_info


class Shapes(Dataset):
    """8x8 images of a square (label 0) or a cross (label 1) at random places."""

    def __init__(self, n, seed):
        rng = np.random.default_rng(seed)
        self.labels = rng.integers(0, 2, n)
        self.images = np.zeros((n, 1, 8, 8))
        for i, (row, col) in enumerate(rng.integers(1, 5, (n, 2))):
            if self.labels[i] == 0:
                self.images[i, 0, row:row + 3, col:col + 3] = 1.0
            else:
                self.images[i, 0, row + 1, col:col + 3] = 1.0
                self.images[i, 0, row:row + 3, col + 1] = 1.0
        self.seed = seed
        self.worker_seeded = False

    def __len__(self):
        return len(self.labels)

    def __getitem__(self, index):
        rng = np.random.default_rng((self.seed, index))
        image = self.images[index]
        if rng.random() < 0.5:
            image = image[:, :, ::-1]
        image = np.roll(image, rng.integers(-1, 2), axis=1)
        image = image + rng.normal(0.0, 0.1, image.shape)
        in_seeded_worker = float(get_worker_info() is not None and self.worker_seeded)
        return torch.from_numpy(image.copy()), self.labels[index], in_seeded_worker


def seed_worker(worker_id):
    worker_seed = torch.initial_seed() % 2**32
    np.random.seed(worker_seed)
    info = get_worker_info()
    assert info.id == worker_id and info.num_workers == 2
    info.dataset.worker_seeded = True


class SmallCNN(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(),
                                      nn.AvgPool2d(2), nn.Flatten())
        self.classifier = nn.Linear(4 * 4 * 4, 2)

    def forward(self, x):
        return self.classifier(self.features(x))


def main(epochs=3):
    torch.set_default_dtype(torch.float64)
    dataset = Shapes(96, seed=5)
    loader = DataLoader(dataset, batch_size=16, shuffle=True, num_workers=2,
                        worker_init_fn=seed_worker, persistent_workers=True, drop_last=True)
    uneven = DataLoader(dataset, batch_size=20, shuffle=True, drop_last=True)
    evaluation = DataLoader(dataset, batch_size=32)

    model = SmallCNN()
    rng = np.random.default_rng(11)
    with torch.no_grad():
        for p in model.parameters():
            p.copy_(torch.from_numpy(rng.standard_normal(p.shape) * 0.3))
    optimizer = torch.optim.Adam(model.parameters(), lr=0.05)

    epoch_losses, seeded_fraction = [], []
    for epoch in range(epochs):
        model.train()
        optimizer.zero_grad()
        total, seeded = 0.0, 0.0
        for images, labels, in_seeded_worker in loader:
            loss = F.cross_entropy(model(images), labels) / len(loader)
            loss.backward()
            total += loss.item()
            seeded += in_seeded_worker.sum().item()
        optimizer.step()
        epoch_losses.append(total)
        seeded_fraction.append(seeded / (len(loader) * loader.batch_size))

    model.eval()
    correct, count = 0, 0
    with torch.no_grad():
        for images, labels, _ in evaluation:
            correct += (model(images).argmax(dim=1) == labels).sum().item()
            count += labels.numel()
    uneven_sizes = [len(labels) for _, labels, _ in uneven]
    return {"epoch_losses": epoch_losses, "seeded_fraction": seeded_fraction,
            "accuracy": correct / count, "batches": len(loader),
            "uneven_sizes": uneven_sizes, "uneven_len": len(uneven),
            "weight_norms": [p.norm().item() for p in model.parameters()]}
