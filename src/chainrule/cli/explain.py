"""`chainrule explain`: one step of backpropagation on a small network, worked out number by
number (by default the classic 2-2-2 sigmoid example), or backpropagation through time on a tiny
RNN unrolled over a short sequence (`--model rnn`)."""
import argparse
import json

from ..explain.bptt import RNNSettings as RNN, bptt
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
    p.add_argument("--model", default="mlp", choices=["mlp", "rnn"],
                   help="mlp: the 2-2-2 network below; rnn: a 2-unit tanh RNN unrolled over "
                   "--sequence, with backprop through time told step by step")
    p.add_argument("--inputs", default=[0.05, 0.10], **numbers, help="input values")
    p.add_argument("--hidden-weights", default=[0.15, 0.20, 0.25, 0.30], **numbers,
                   help="input-to-hidden weights, one row of len(inputs) per hidden unit")
    p.add_argument("--hidden-bias", default=[0.35], **numbers,
                   help="hidden bias: one value for the layer, or one per unit")
    p.add_argument("--output-weights", default=[0.40, 0.45, 0.50, 0.55], **numbers,
                   help="hidden-to-output weights, one row per output unit")
    p.add_argument("--output-bias", default=[0.60], **numbers,
                   help="output bias: one value for the layer, or one per unit")
    p.add_argument("--targets", **numbers,
                   help="target outputs (mlp default: 0.01 0.99; rnn: one per step, default "
                   f"{_listed(RNN.targets)})")
    rnn = p.add_argument_group("--model rnn")
    rnn.add_argument("--sequence", default=list(RNN.sequence), **numbers,
                     help="the RNN's inputs, one number per step")
    rnn.add_argument("--input-weights", default=list(RNN.input_weights), **numbers,
                     help="W_xh: one weight per hidden unit (their count sets the hidden size)")
    rnn.add_argument("--recurrent-weights", default=list(RNN.recurrent_weights), **numbers,
                     help="W_hh, row by row: one row of hidden-size weights per hidden unit")
    rnn.add_argument("--rnn-output-weights", default=list(RNN.output_weights), **numbers,
                     help="W_hy: one weight per hidden unit")
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
    p.set_defaults(func=run, defaults={a.dest: a.default for a in p._actions})


# options that only one of the two models reads: given to the other, they are refused
ONLY_FOR = {"mlp": ("inputs", "hidden_weights", "hidden_bias", "output_weights", "output_bias",
                    "lr", "activation", "output_activation", "loss", "steps"),
            "rnn": ("sequence", "input_weights", "recurrent_weights", "rnn_output_weights")}


def _refuse_other_models_options(args):
    other = "rnn" if args.model == "mlp" else "mlp"
    for name in ONLY_FOR[other]:
        if getattr(args, name) != args.defaults[name]:
            raise UsageError(f"--{name.replace('_', '-')} is for --model {other}, not "
                             f"--model {args.model}")


def _listed(values):
    return " ".join(map(str, values))


def run(args):
    _refuse_other_models_options(args)
    if args.model == "rnn":
        return _print(_unrolled(args), args.format)
    from ..explain import Settings, worked_example
    if args.targets is None:
        args.targets = [0.01, 0.99]
    try:
        settings = Settings(
            inputs=tuple(args.inputs), hidden_weights=tuple(args.hidden_weights),
            hidden_bias=tuple(args.hidden_bias), output_weights=tuple(args.output_weights),
            output_bias=tuple(args.output_bias), targets=tuple(args.targets),
            learning_rate=args.lr, activation=args.activation,
            output_activation=args.output_activation, loss=args.loss, steps=args.steps)
    except ValueError as e:
        raise UsageError(str(e)) from None
    return _print(worked_example(settings), args.format)


def _unrolled(args):
    try:
        return bptt(sequence=args.sequence, targets=args.targets or RNN.targets,
                    input_weights=args.input_weights, recurrent_weights=args.recurrent_weights,
                    output_weights=args.rnn_output_weights)
    except ValueError as e:
        raise UsageError(str(e)) from None


def _print(story, fmt):
    if fmt == "json":
        print(json.dumps(story.to_dict(), indent=2))
    else:
        print(story.render(fmt), end="")
    return 0
