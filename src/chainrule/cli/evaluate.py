"""`chainrule evaluate CHECKPOINT`: accuracy of a trained network on its dataset's test split."""
import argparse
import json

from .train import load_model

EXAMPLES = """examples:
  chainrule evaluate runs/digits-mlp/model.safetensors
  chainrule evaluate runs/mnist-lenet5/checkpoint.safetensors --json
"""


def add_parser(sub):
    p = sub.add_parser("evaluate", help="test a trained network", description=__doc__,
                       epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("checkpoint", help="model.safetensors or checkpoint.safetensors from train")
    p.add_argument("--batch-size", type=int, default=512)
    p.add_argument("--json", action="store_true", help="print the figures as JSON")
    p.set_defaults(func=run)


def run(args):
    import chainrule as cr
    from ..data import DataLoader
    from ..train import Trainer
    from ..train.sources import load

    model, config = load_model(args.checkpoint)
    test = load(config["data"]).test
    trainer = Trainer(model, cr.nn.CrossEntropyLoss(), optimizer=None, progress=False)
    result = trainer.evaluate(DataLoader(test, batch_size=args.batch_size))
    counts = result.pop("confusion")
    per_class = {c: float(counts[i, i] / max(counts[i].sum(), 1))
                 for i, c in enumerate(config["classes"])}
    if args.json:
        print(json.dumps({**result, "per_class_accuracy": per_class}, indent=2))
        return 0
    print(f"{config['data']} test set, {len(test)} samples: accuracy "
          f"{100 * result['accuracy']:.2f}%, top-5 {100 * result['top5_accuracy']:.2f}%, "
          f"loss {result['loss']:.4f}")
    for c, acc in per_class.items():
        print(f"  class {c:>12}: {100 * acc:6.2f}%")
    return 0
