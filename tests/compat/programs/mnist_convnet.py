"""The pytorch/examples MNIST script in miniature: a two-conv network trained with Adadelta and
StepLR, with the usual train/test functions and device boilerplate. Real MNIST is read with
NumPy from $CHAINRULE_DATA/mnist when it is there; otherwise digits-like synthetic images."""
import gzip
import os

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
import torch.optim as optim
from torch.optim.lr_scheduler import StepLR
from torch.utils.data import DataLoader, Sampler, TensorDataset


class Net(nn.Module):
    def __init__(self, dropout=(0.25, 0.5)):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, 1)
        self.conv2 = nn.Conv2d(8, 16, 3, 1)
        self.dropout1 = nn.Dropout(dropout[0])
        self.dropout2 = nn.Dropout(dropout[1])
        self.fc1 = nn.Linear(16 * 12 * 12, 32)
        self.fc2 = nn.Linear(32, 10)

    def forward(self, x):
        x = self.conv1(x)
        x = F.relu(x)
        x = self.conv2(x)
        x = F.relu(x)
        x = F.max_pool2d(x, 2)
        x = self.dropout1(x)
        x = torch.flatten(x, 1)
        x = self.fc1(x)
        x = F.relu(x)
        x = self.dropout2(x)
        x = self.fc2(x)
        output = F.log_softmax(x, dim=1)
        return output


class EpochPermutation(Sampler):
    """Shuffles like shuffle=True, but from NumPy, so both libraries see the same order."""

    def __init__(self, n, seed):
        self.n, self.rng = n, np.random.default_rng(seed)

    def __iter__(self):
        return iter(self.rng.permutation(self.n).tolist())

    def __len__(self):
        return self.n


def train(model, device, train_loader, optimizer, epoch, log):
    model.train()
    for batch_idx, (data, target) in enumerate(train_loader):
        data, target = data.to(device), target.to(device)
        optimizer.zero_grad()
        output = model(data)
        loss = F.nll_loss(output, target)
        loss.backward()
        optimizer.step()
        log.append(loss.item())


def test(model, device, test_loader):
    model.eval()
    test_loss = 0
    correct = 0
    with torch.no_grad():
        for data, target in test_loader:
            data, target = data.to(device), target.to(device)
            output = model(data)
            test_loss += F.nll_loss(output, target, reduction="sum").item()
            pred = output.argmax(dim=1, keepdim=True)
            correct += pred.eq(target.view_as(pred)).sum().item()
    test_loss /= len(test_loader.dataset)
    return test_loss, correct


def read_idx(path):
    with gzip.open(path) as f:
        data = f.read()
    ndim = data[3]
    shape = np.frombuffer(data, ">u4", ndim, offset=4)
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndim).reshape(shape)


def mnist_arrays(n_train, n_test):
    """(images float32 (N, 1, 28, 28) normalized as the example does, labels int64) twice."""
    folder = os.path.join(os.environ.get("CHAINRULE_DATA", ""), "mnist")
    if os.path.exists(os.path.join(folder, "t10k-images-idx3-ubyte.gz")):
        images = read_idx(os.path.join(folder, "t10k-images-idx3-ubyte.gz"))[:n_train + n_test]
        labels = read_idx(os.path.join(folder, "t10k-labels-idx1-ubyte.gz"))[:n_train + n_test]
    else:  # stripes whose position is the class
        rng = np.random.default_rng(1)
        labels = rng.integers(0, 10, n_train + n_test)
        images = rng.integers(0, 60, (n_train + n_test, 28, 28))
        images[np.arange(len(labels)), 2 + 2 * labels] = 255
    images = ((images / 255.0 - 0.1307) / 0.3081).astype(np.float32)[:, None]
    labels = labels.astype(np.int64)
    return (images[:n_train], labels[:n_train]), (images[n_train:], labels[n_train:])


def main(epochs=2, lr=1.0, gamma=0.7, batch_size=64, test_batch_size=100):
    use_cuda = torch.cuda.is_available()
    torch.manual_seed(1)
    device = torch.device("cuda" if use_cuda else "cpu")
    train_kwargs = {"batch_size": batch_size}
    test_kwargs = {"batch_size": test_batch_size}
    if use_cuda:
        cuda_kwargs = {"num_workers": 1, "pin_memory": True}
        train_kwargs.update(cuda_kwargs)
        test_kwargs.update(cuda_kwargs)

    (x_train, y_train), (x_test, y_test) = mnist_arrays(192, 200)
    dataset1 = TensorDataset(torch.from_numpy(x_train), torch.from_numpy(y_train))
    dataset2 = TensorDataset(torch.from_numpy(x_test), torch.from_numpy(y_test))
    train_loader = DataLoader(dataset1, sampler=EpochPermutation(len(dataset1), 0),
                              **train_kwargs)
    test_loader = DataLoader(dataset2, num_workers=2, **test_kwargs)

    # No dropout in the compared run: its masks come from each library's own generator.
    model = Net(dropout=(0.0, 0.0)).to(device)
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for p in model.parameters():
            fan_in = p[0].numel() if p.dim() > 1 else p.numel()
            p.copy_(torch.from_numpy(rng.standard_normal(p.shape) / np.sqrt(fan_in)))
    optimizer = optim.Adadelta(model.parameters(), lr=lr)

    scheduler = StepLR(optimizer, step_size=1, gamma=gamma)
    losses, tests = [], []
    for epoch in range(1, epochs + 1):
        train(model, device, train_loader, optimizer, epoch, losses)
        tests.append(test(model, device, test_loader))
        scheduler.step()
    return {"train_loss": losses, "test_loss": [t[0] for t in tests],
            "correct": [t[1] for t in tests], "lr": scheduler.get_last_lr(),
            "weight_norms": [p.norm().item() for p in model.parameters()]}
