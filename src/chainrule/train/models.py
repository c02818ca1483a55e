"""The networks the command line knows by name, built for a dataset's input shape and classes."""
from .. import nn

ACTIVATIONS = {"relu": nn.ReLU, "tanh": nn.Tanh, "sigmoid": nn.Sigmoid, "gelu": nn.GELU,
               "silu": nn.SiLU, "elu": nn.ELU, "leaky_relu": nn.LeakyReLU}
MODELS = ("mlp", "cnn", "lenet5")


def build(name, input_shape, num_classes, hidden=(128,), activation="relu"):
    """`mlp` (any input, flattened; `hidden` widths), `cnn` (two conv blocks) or `lenet5`
    (LeCun et al. 1998, for 28x28 or 32x32 images)."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}: choose from "
                         f"{', '.join(ACTIVATIONS)}")
    act = ACTIVATIONS[activation]
    if name == "mlp":
        return mlp(_numel(input_shape), hidden, num_classes, act)
    if len(input_shape) != 3:
        raise ValueError(f"model {name!r} needs images shaped (channels, height, width); this "
                         f"data has samples of shape {tuple(input_shape)}: use --model mlp")
    if name == "cnn":
        return cnn(input_shape, num_classes, act)
    if name == "lenet5":
        return lenet5(input_shape, num_classes, act)
    raise ValueError(f"unknown model {name!r}: choose from {', '.join(MODELS)}")


def _numel(shape):
    n = 1
    for s in shape:
        n *= s
    return n


def mlp(inputs, hidden, outputs, act=nn.ReLU):
    layers = [nn.Flatten()]
    for width in hidden:
        layers += [nn.Linear(inputs, width), act()]
        inputs = width
    layers.append(nn.Linear(inputs, outputs))
    return nn.Sequential(*layers)


def cnn(input_shape, num_classes, act=nn.ReLU, channels=(32, 64)):
    """conv(3x3, channels[0]) -> pool -> conv(3x3, channels[1]) -> pool -> 128 -> classes."""
    c_in, height, width = input_shape
    c1, c2 = channels
    side = (height // 4) * (width // 4)
    return nn.Sequential(
        nn.Conv2d(c_in, c1, 3, padding=1), act(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, 3, padding=1), act(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * side, 128), act(), nn.Linear(128, num_classes))


def lenet5(input_shape, num_classes, act=nn.ReLU):
    """LeNet-5's layout: 6 and 16 5x5 feature maps with 2x2 pooling, then 120-84-classes.
    28x28 inputs are padded to LeNet's 32x32."""
    channels, height, width = input_shape
    if (height, width) not in ((28, 28), (32, 32)):
        raise ValueError(f"lenet5 expects 28x28 or 32x32 images, got {height}x{width}: "
                         "use --model cnn or mlp")
    pad = 2 if height == 28 else 0
    return nn.Sequential(
        nn.Conv2d(channels, 6, 5, padding=pad), act(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), act(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(16 * 5 * 5, 120), act(), nn.Linear(120, 84), act(),
        nn.Linear(84, num_classes))
