"""`chainrule datasets`: see which datasets are on this machine, download them, check them."""
import argparse
import os

from . import UsageError
from ..data import download as dl
from ..data.datasets import SOURCES, digits

# datasets that need no download, and where they come from
BUILT_IN = {"digits": "8x8 digits bundled with scikit-learn",
            "toys": "xor, parity, symmetry, encoder, spirals, moons, circles: made in code"}

EXAMPLES = """\
examples:
  chainrule datasets list                        # what is here, and where
  chainrule datasets download mnist fashion-mnist
  chainrule datasets verify                      # md5 of every file found
  CHAINRULE_DATA=~/data chainrule datasets list  # look in ~/data first

Files are looked for in --root, then $CHAINRULE_DATA, then ~/.cache/chainrule (or
$XDG_CACHE_HOME/chainrule), directly or in a folder named after the dataset (mnist/...).
Downloads go to the first of those that is set. $CHAINRULE_DATA_MIRROR (base URLs laid out
like that folder, http(s):// or file://) replaces the publishers' servers."""


def add_parser(subparsers):
    parser = subparsers.add_parser(
        "datasets", help="list, download and verify datasets", epilog=EXAMPLES,
        description="List, download and verify the datasets chainrule loads.",
        formatter_class=argparse.RawDescriptionHelpFormatter)
    actions = parser.add_subparsers(dest="action", metavar="ACTION")
    names = ", ".join(list(SOURCES) + list(BUILT_IN))
    for action, help_text, nargs in (
            ("list", "each dataset, its size, and where it is (or that it is missing)", None),
            ("download", f"download datasets by name ({names})", "+"),
            ("verify", "check the md5 of the files found (all datasets, or those named)", "*")):
        sub = actions.add_parser(action, help=help_text, description=help_text[0].upper() +
                                 help_text[1:] + ".", epilog=EXAMPLES,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
        if nargs:
            sub.add_argument("names", nargs=nargs, metavar="NAME")
        sub.add_argument("--root", metavar="DIR", help="look in (and download to) DIR first")
    parser.set_defaults(func=run)


def run(args):
    if args.action is None:
        raise UsageError("say what to do: list, download NAME..., or verify "
                         "(see `chainrule datasets --help`)")
    return {"list": list_datasets, "download": download, "verify": verify}[args.action](args)


def list_datasets(args):
    rows = [(s.name, _megabytes(s.size), _where(s, args.root)) for s in SOURCES.values()]
    rows += [("digits", "", _digits_status()), ("toys", "", BUILT_IN["toys"])]
    width = max(len(r[0]) for r in rows)
    print(f"{'name':<{width}}  {'size':>9}  where")
    for name, size, where in rows:
        print(f"{name:<{width}}  {size:>9}  {where}")
    print(f"\ndownloads go to {dl.data_dirs(args.root)[0]}")


def _where(source, root):
    found = [p for p in (dl.find(source, f, root) for f in source.files) if p is not None]
    if len(found) == len(source.files):
        return str(os.path.commonpath([p.parent for p in found]))
    if found:
        return f"incomplete: {len(found)} of {len(source.files)} files, in {found[0].parent}"
    return f"missing (chainrule datasets download {source.name})"


def _digits_status():
    try:
        return f"{digits.bundled_file()} (scikit-learn)"
    except (ModuleNotFoundError, FileNotFoundError) as error:
        return f"missing: {error}"


def _megabytes(size):
    return f"{size / 1e6:.1f} MB"


def download(args):
    for source in _sources(args.names):
        try:
            paths = dl.locate(source, args.root, download=True)
        except (dl.DatasetNotFound, dl.ChecksumError) as error:
            raise UsageError(str(error)) from None
        print(f"{source.name}: ready in {os.path.commonpath([p.parent for p in paths.values()])}")


def verify(args):
    """Exit status 1 if any file found is damaged, or a dataset named on the line is missing."""
    failed = False
    for source in _sources(args.names or list(SOURCES)):
        for file in source.files:
            path = dl.find(source, file, args.root)
            if path is None:
                print(f"{source.name}: {file.name}: missing")
                failed |= bool(args.names)
                continue
            why = dl.problem(path, file)
            print(f"{source.name}: {path}: " + (f"DAMAGED, {why}" if why else "ok"))
            failed |= why is not None
    return 1 if failed else 0


def _sources(names):
    """The Sources of the names that have files (built-in datasets are only mentioned)."""
    unknown = [n for n in names if n not in SOURCES and n not in BUILT_IN]
    if unknown:
        raise UsageError(f"unknown dataset {unknown[0]!r}: choose from "
                         f"{', '.join(list(SOURCES) + list(BUILT_IN))}")
    for name in names:
        if name in BUILT_IN:
            print(f"{name}: nothing to download ({BUILT_IN[name]})")
    return [SOURCES[n] for n in names if n in SOURCES]
