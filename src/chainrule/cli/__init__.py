"""The `chainrule` command: one module per subcommand, each with `add_parser(subparsers)`
(which sets `func` to its runner) and `run(args)`."""
import argparse
import importlib
import sys

# subcommand modules in the order `chainrule --help` lists them
COMMANDS = ["train", "generate", "sample", "evaluate", "predict", "datasets", "explain", "graph"]


class UsageError(Exception):
    """A bad option or missing input: printed as one sentence, exit status 2."""


def build_parser():
    parser = argparse.ArgumentParser(
        prog="chainrule",
        description="Backpropagation you can read: train networks, and watch the chain rule work.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMANDS:
        importlib.import_module(f"{__name__}.{name}").add_parser(sub)
    return parser


def main(argv=None):
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        return args.func(args) or 0
    except UsageError as e:
        print(f"chainrule {args.command}: {e}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
