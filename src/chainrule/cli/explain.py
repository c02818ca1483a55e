"""`chainrule explain`: one step of backpropagation on a small network, worked out number by
number (by default the classic 2-2-2 sigmoid example)."""
import argparse
import json

from . import UsageError


def add_parser(subparsers):
    p = subparsers.add_parser(
        "explain", help="one backpropagation step on a 2-2-2 network, worked out by hand",
        description="Runs one step of gradient descent on a small network with chainrule's "
        "engine and prints every number of it: the forward pass, the error, the chain-rule "
        "factors of every weight's gradient, the updated weights, and the error after more "
        "steps. The defaults are the classic 2-2-2 example (inputs 0.05 and 0.10, targets 0.01 "
        "and 0.99, sigmoid units, squared error, learning rate 0.5, biases fixed).",
        formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    numbers = {"type": float, "nargs": "+", "metavar": "X"}
    p.add_argument("--inputs", default=[0.05, 0.10], **numbers, help="input values")
    p.add_argument("--hidden-weights", default=[0.15, 0.20, 0.25, 0.30], **numbers,
                   help="input-to-hidden weights, one row of len(inputs) per hidden unit")
    p.add_argument("--hidden-bias", default=[0.35], **numbers,
                   help="hidden bias: one value for the layer, or one per unit")
    p.add_argument("--output-weights", default=[0.40, 0.45, 0.50, 0.55], **numbers,
                   help="hidden-to-output weights, one row per output unit")
    p.add_argument("--output-bias", default=[0.60], **numbers,
                   help="output bias: one value for the layer, or one per unit")
    p.add_argument("--targets", default=[0.01, 0.99], **numbers, help="target outputs")
    p.add_argument("--lr", "--learning-rate", dest="lr", type=float, default=0.5,
                   help="learning rate")
    p.add_argument("--activation", default="sigmoid", choices=["sigmoid", "tanh", "relu"],
                   help="activation of the hidden units (and of the outputs, unless "
                   "--output-activation says otherwise)")
    p.add_argument("--output-activation", choices=["sigmoid", "tanh", "relu"],
                   help="activation of the output units (default: --activation)")
    p.add_argument("--loss", default="squared", choices=["squared", "cross-entropy"],
                   help="squared: sum of 1/2 (target - out)^2; cross-entropy: sum of "
                   "-(t ln out + (1 - t) ln(1 - out)), with sigmoid outputs")
    p.add_argument("--steps", type=int, default=10000,
                   help="more training steps after the one shown, to see where the error goes")
    p.add_argument("--format", default="text", choices=["text", "md", "json"],
                   help="terminal text, Markdown, or JSON")
    p.set_defaults(func=run)


def run(args):
    from ..explain import Settings, worked_example
    try:
        settings = Settings(
            inputs=tuple(args.inputs), hidden_weights=tuple(args.hidden_weights),
            hidden_bias=tuple(args.hidden_bias), output_weights=tuple(args.output_weights),
            output_bias=tuple(args.output_bias), targets=tuple(args.targets),
            learning_rate=args.lr, activation=args.activation,
            output_activation=args.output_activation, loss=args.loss, steps=args.steps)
    except ValueError as e:
        raise UsageError(str(e)) from None
    worked = worked_example(settings)
    if args.format == "json":
        print(json.dumps(worked.to_dict(), indent=2))
    else:
        print(worked.render(args.format), end="")
    return 0
