"""torchvision's ResNet in miniature: BasicBlocks (conv-bn-relu, a downsampling shortcut,
`out += identity`), kaiming_normal_/constant_ initialization, adaptive average pooling, and a
few steps of SGD with momentum, weight decay and cosine annealing."""
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import optim


def conv3x3(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=3, stride=stride, padding=1, bias=False)


def conv1x1(in_planes, out_planes, stride=1):
    return nn.Conv2d(in_planes, out_planes, kernel_size=1, stride=stride, bias=False)


class BasicBlock(nn.Module):
    expansion = 1

    def __init__(self, inplanes, planes, stride=1, downsample=None):
        super().__init__()
        self.conv1 = conv3x3(inplanes, planes, stride)
        self.bn1 = nn.BatchNorm2d(planes)
        self.relu = nn.ReLU(inplace=True)
        self.conv2 = conv3x3(planes, planes)
        self.bn2 = nn.BatchNorm2d(planes)
        self.downsample = downsample
        self.stride = stride

    def forward(self, x):
        identity = x

        out = self.conv1(x)
        out = self.bn1(out)
        out = self.relu(out)

        out = self.conv2(out)
        out = self.bn2(out)

        if self.downsample is not None:
            identity = self.downsample(x)

        out += identity
        out = self.relu(out)

        return out


class ResNet(nn.Module):
    def __init__(self, block, layers, num_classes=10, width=8):
        super().__init__()
        self.inplanes = width
        self.conv1 = nn.Conv2d(3, width, kernel_size=3, stride=1, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, 2 * width, layers[1], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(2 * width * block.expansion, num_classes)

        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
            elif isinstance(m, (nn.BatchNorm2d, nn.GroupNorm)):
                nn.init.constant_(m.weight, 1)
                nn.init.constant_(m.bias, 0)

    def _make_layer(self, block, planes, blocks, stride=1):
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = nn.Sequential(
                conv1x1(self.inplanes, planes * block.expansion, stride),
                nn.BatchNorm2d(planes * block.expansion),
            )
        layers = [block(self.inplanes, planes, stride, downsample)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes))
        return nn.Sequential(*layers)

    def forward(self, x):
        x = self.conv1(x)
        x = self.bn1(x)
        x = self.relu(x)
        x = self.maxpool(x)

        x = self.layer1(x)
        x = self.layer2(x)

        x = self.avgpool(x)
        x = torch.flatten(x, 1)
        x = self.fc(x)
        return x


def main(steps=4):
    torch.set_default_dtype(torch.float64)
    torch.manual_seed(0)
    model = ResNet(BasicBlock, [2, 1])
    # kaiming_normal_ draws from each library's own generator: compare its spread, then draw
    # the weights both libraries train from NumPy, at kaiming's scale.
    kaiming_std = model.layer2[0].conv2.weight.std().item()
    rng = np.random.default_rng(0)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, (nn.Conv2d, nn.Linear)):
                fan_out = m.weight.shape[0] * m.weight[0, 0].numel()
                m.weight.copy_(torch.from_numpy(rng.standard_normal(m.weight.shape)
                                                * np.sqrt(2.0 / fan_out)))
                if m.bias is not None:
                    m.bias.copy_(torch.from_numpy(rng.uniform(-0.1, 0.1, m.bias.shape)))

    images = torch.from_numpy(rng.standard_normal((steps, 8, 3, 12, 12)))
    labels = torch.from_numpy(rng.integers(0, 10, (steps, 8)))
    criterion = nn.CrossEntropyLoss(label_smoothing=0.1)
    optimizer = optim.SGD(model.parameters(), lr=0.1, momentum=0.9, weight_decay=5e-4,
                          nesterov=True)
    scheduler = optim.lr_scheduler.CosineAnnealingLR(optimizer, T_max=steps)

    model.train()
    losses, lrs = [], []
    for step in range(steps):
        optimizer.zero_grad(set_to_none=True)
        output = model(images[step])
        loss = criterion(output, labels[step])
        loss.backward()
        optimizer.step()
        scheduler.step()
        losses.append(loss.item())
        lrs.append(optimizer.param_groups[0]["lr"])

    model.eval()
    with torch.no_grad():
        logits = model(images[0])
        accuracy = (logits.argmax(1) == labels[0]).float().mean().item()
    bn = model.layer2[0].downsample[1]
    return {"kaiming_std": kaiming_std, "losses": losses, "lrs": lrs,
            "eval_logits": logits.numpy(), "accuracy": accuracy,
            "running_mean": bn.running_mean.numpy(), "running_var": bn.running_var.numpy(),
            "batches_tracked": bn.num_batches_tracked.item(),
            "state_dict_keys": " ".join(model.state_dict().keys()),
            "param_norms": [p.norm().item() for p in model.parameters()]}
