"""`chainrule graph`: a picture of a model's computation graph (DOT, and SVG/PNG with Graphviz)."""
import argparse
import warnings

from . import UsageError


def add_parser(subparsers):
    p = subparsers.add_parser(
        "graph", help="draw a model's computation graph (Graphviz DOT, SVG, PNG)",
        description="Runs one batch through a model the command line knows and draws the graph "
        "of ops it builds: one box per op, or one per module with --depth. Writes DOT, and the "
        "picture when Graphviz's `dot` program is installed.",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    p.add_argument("--model", default="mlp", help="mlp, cnn or lenet5")
    p.add_argument("--input-shape", type=int, nargs="+", default=[1, 28, 28], metavar="N",
                   help="shape of one sample (channels height width for images)")
    p.add_argument("--classes", type=int, default=10, help="number of outputs")
    p.add_argument("--hidden", type=int, nargs="+", default=[128], metavar="N",
                   help="hidden widths of the mlp")
    p.add_argument("--activation", default="relu", help="activation between layers")
    p.add_argument("--batch", type=int, default=1, help="samples in the batch drawn")
    p.add_argument("--depth", type=int, default=None,
                   help="draw one box per module this many levels below the model "
                   "(default: every op, or one box per layer for big graphs)")
    p.add_argument("--out", default="graph.svg",
                   help="where to write: .dot for DOT only, .svg/.png/.pdf for a picture")
    p.set_defaults(func=run)


def run(args):
    import chainrule as cr
    from ..explain import draw, recording
    from ..train.models import build
    try:
        model = build(args.model, tuple(args.input_shape), args.classes,
                      hidden=tuple(args.hidden), activation=args.activation)
    except ValueError as e:
        raise UsageError(str(e)) from None
    x = cr.randn(args.batch, *args.input_shape)
    with recording(model):
        output = model(x)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            written = draw(output, args.out, depth=args.depth, model=model)
        except ValueError as e:
            raise UsageError(str(e)) from None
    for w in caught:
        print(f"note: {w.message}")
    print("wrote " + ", ".join(str(p) for p in written))
    return 0
