"""`chainrule predict CHECKPOINT IMAGE...`: the network's top guesses for image files."""
import argparse

import numpy as np

from . import UsageError
from .train import load_model

EXAMPLES = """examples:
  chainrule predict runs/mnist-lenet5/model.safetensors my_digit.png
  chainrule predict runs/digits-mlp/model.safetensors a.png b.npy --top 3

Images (PNG, JPEG, ... or .npy arrays) are turned to the network's input: gray or RGB as it
expects, resized to its height and width, scaled to [0, 1], and inverted when the background is
light (the datasets have light strokes on a dark background).
"""


def add_parser(sub):
    p = sub.add_parser("predict", help="classify image files with a trained network",
                       description=__doc__, epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint")
    p.add_argument("images", nargs="+", metavar="IMAGE")
    p.add_argument("--top", type=int, default=3, help="how many guesses to show (default 3)")
    p.set_defaults(func=run)


def run(args):
    import chainrule as cr
    model, config = load_model(args.checkpoint)
    shape = tuple(config["input_shape"])
    batch = np.stack([read_image(path, shape) for path in args.images])
    with cr.no_grad():
        probs = cr.softmax(model(cr.tensor(batch)), dim=-1).numpy()
    classes = config["classes"]
    for path, p in zip(args.images, probs):
        best = np.argsort(-p)[:args.top]
        guesses = ", ".join(f"{classes[i]} ({100 * p[i]:.1f}%)" for i in best)
        print(f"{path}: {guesses}")
    return 0


def read_image(path, shape):
    """One file as a float32 array of the network's input shape."""
    if str(path).endswith(".npy"):
        array = np.load(path, allow_pickle=False).astype(np.float32)
        if array.size != np.prod(shape):
            raise UsageError(f"{path}: holds {array.size} values, the network takes "
                             f"{int(np.prod(shape))} (shape {shape})")
        return array.reshape(shape)
    try:
        from PIL import Image
    except ImportError:
        raise UsageError("reading images needs Pillow: pip install pillow") from None
    try:
        image = Image.open(path)
    except (OSError, ValueError) as e:
        raise UsageError(f"{path}: not an image file ({e})") from None
    if len(shape) != 3:
        raise UsageError(f"this network takes vectors of shape {shape}, not images: give a .npy")
    channels, height, width = shape
    image = image.convert("L" if channels == 1 else "RGB").resize((width, height))
    array = np.asarray(image, dtype=np.float32) / 255.0
    if array.mean() > 0.5:
        array = 1.0 - array
    return array.reshape(height, width, -1).transpose(2, 0, 1)
