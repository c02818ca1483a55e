"""What the explain tools print: a document of headings, prose, formulas and tables, rendered as
terminal text or as Markdown from the same blocks."""
import textwrap
from dataclasses import dataclass, field

import numpy as np

DIGITS = 9  # significant digits: enough to check every step by hand
WIDTH = 100  # prose is wrapped to this many columns in the terminal


def number(x, digits=DIGITS):
    """A scalar with `digits` significant digits (0.75136507), or a small array as [a, b]."""
    if isinstance(x, (list, tuple)) or (hasattr(x, "shape") and np.ndim(x) > 0):
        return "[" + ", ".join(number(v, digits) for v in np.ravel(x)) + "]"
    return format(float(x), f".{digits}g")


@dataclass
class Table:
    headers: list
    rows: list = field(default_factory=list)


@dataclass
class Formula:
    """Lines of arithmetic, shown verbatim (monospace in Markdown)."""
    lines: list


@dataclass
class Section:
    heading: str
    blocks: list = field(default_factory=list)


@dataclass
class Document:
    title: str
    intro: list = field(default_factory=list)   # prose lines under the title
    sections: list = field(default_factory=list)

    def render(self, fmt="text"):
        if fmt == "text":
            return _text(self)
        if fmt == "md":
            return _markdown(self)
        raise ValueError(f"render: unknown format {fmt!r}: choose 'text' or 'md'")

    def __str__(self):
        return _text(self)


def _cells(table):
    return [[str(c) for c in table.headers]] + [[str(c) for c in row] for row in table.rows]


def _text(doc):
    out = [doc.title, "=" * len(doc.title)] + [textwrap.fill(line, WIDTH) for line in doc.intro]
    for section in doc.sections:
        out += ["", section.heading, "-" * len(section.heading)]
        for i, block in enumerate(section.blocks):
            if i:
                out.append("")
            if isinstance(block, Table):
                cells = _cells(block)
                widths = [max(len(row[i]) for row in cells) for i in range(len(cells[0]))]
                lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip()
                         for row in cells]
                out += [lines[0], "  ".join("-" * w for w in widths)] + lines[1:]
            elif isinstance(block, Formula):
                out += ["  " + line for line in block.lines]
            else:
                out.append(textwrap.fill(block, WIDTH))
    return "\n".join(out) + "\n"


def _markdown(doc):
    out = [f"# {doc.title}", ""]
    if doc.intro:
        out += doc.intro + [""]
    for section in doc.sections:
        out += [f"## {section.heading}", ""]
        for block in section.blocks:
            if isinstance(block, Table):
                cells = _cells(block)
                out.append("| " + " | ".join(cells[0]) + " |")
                out.append("|" + "---|" * len(cells[0]))
                out += ["| " + " | ".join(row) + " |" for row in cells[1:]]
            elif isinstance(block, Formula):
                out += ["```text"] + block.lines + ["```"]
            else:
                out.append(block)
            out.append("")
    return "\n".join(out)
