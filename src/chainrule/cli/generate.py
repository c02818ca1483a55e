"""`chainrule generate MODEL`: text from a character-level language model that `chainrule train
--data shakespeare` wrote, one character at a time."""
import argparse

from ..train.language import generate
from ..train.text_models import TEXT_MODELS, build_text_model
from . import UsageError
from .train import read_run_file

EXAMPLES = """examples:
  chainrule generate runs/shakespeare-gpt/model.safetensors --prompt "ROMEO:" --tokens 500
  chainrule generate runs/shakespeare-lstm --temperature 0.8 --top-k 40 --seed 1
"""


def add_parser(sub):
    p = sub.add_parser("generate", help="write text with a trained language model",
                       description=__doc__, epilog=EXAMPLES,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("model", help="model.safetensors (or checkpoint.safetensors, or the run "
                   "folder) from `chainrule train --data shakespeare`")
    p.add_argument("--prompt", default="\n", help="text to continue (default: a new line)")
    p.add_argument("--tokens", type=int, default=500, help="characters to write (default 500)")
    p.add_argument("--temperature", type=float, default=0.8,
                   help="below 1: safer choices; above 1: wilder ones (default 0.8)")
    p.add_argument("--top-k", type=int, default=40,
                   help="draw only from the k likeliest characters (default 40; 0: all)")
    p.add_argument("--seed", type=int, default=None, help="for the same text again")
    p.set_defaults(func=run)


def load_text_model(path):
    """(model in eval mode, its vocabulary) from what `chainrule train` wrote."""
    state, config = read_run_file(path)
    if not isinstance(config, dict) or config.get("model") not in TEXT_MODELS:
        raise UsageError(f"{path} holds no language model (train one with `chainrule train "
                         "--data shakespeare --model gpt`)")
    model = build_text_model(config)
    model.load_state_dict(state["model"])
    return model.eval(), config["chars"]


def run(args):
    if args.tokens < 0:
        raise UsageError(f"--tokens must be zero or more, got {args.tokens}")
    if not args.temperature > 0:
        raise UsageError(f"--temperature must be positive, got {args.temperature}")
    if args.top_k < 0:
        raise UsageError(f"--top-k must be zero (no cut) or more, got {args.top_k}")
    model, chars = load_text_model(args.model)
    index = {c: i for i, c in enumerate(chars)}
    unknown = [c for c in args.prompt if c not in index]
    if unknown:
        raise UsageError(f"the prompt has {unknown[0]!r}, which the model never saw in "
                         "training")
    if not args.prompt:
        raise UsageError("--prompt must hold at least one character")
    ids = generate(model, [index[c] for c in args.prompt], args.tokens, args.temperature,
                   args.top_k or None, args.seed)
    print(args.prompt + "".join(chars[i] for i in ids))
    return 0
