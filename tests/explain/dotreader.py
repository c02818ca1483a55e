"""A small reader for the DOT language (graph, node, edge and attribute statements), so that the
tests can check that what chainrule writes is well-formed DOT without Graphviz installed."""
import re

TOKEN = re.compile(r'\s*(?:(->)|([{}\[\];,=])|"((?:[^"\\]|\\.)*)"'
                   r'|([A-Za-z_][\w.]*|-?\d+(?:\.\d+)?))')


def tokens(text):
    pos, out = 0, []
    while text[pos:].strip():
        m = TOKEN.match(text, pos)
        assert m, f"DOT syntax error near {text[pos:pos + 30]!r}"
        arrow, punct, quoted, ident = m.groups()
        out.append(("id", quoted.replace('\\"', '"'))  # the one escape of DOT strings
                   if quoted is not None else ("id", ident) if ident else ("p", arrow or punct))
        pos = m.end()
    return out


def parse_dot(text):
    """Returns (graph name, {node: attrs}, [(tail, head)]) or fails on anything malformed."""
    toks = tokens(text)
    i = 0

    def take(kind, value=None):
        nonlocal i
        k, v = toks[i]
        assert k == kind and (value is None or v == value), f"expected {value or kind}, got {v}"
        i += 1
        return v

    def attrs():
        out = {}
        if toks[i] == ("p", "["):
            take("p", "[")
            while toks[i] != ("p", "]"):
                key = take("id")
                take("p", "=")
                out[key] = take("id")
                if toks[i] == ("p", ","):
                    take("p", ",")
            take("p", "]")
        return out

    take("id", "digraph")
    name = take("id")
    take("p", "{")
    nodes, edges = {}, []
    while toks[i] != ("p", "}"):
        first = take("id")
        if toks[i] == ("p", "->"):
            take("p", "->")
            edges.append((first, take("id")))
            attrs()
        elif first in ("node", "edge", "graph"):
            attrs()
        else:
            nodes[first] = attrs()
        take("p", ";")
    take("p", "}")
    assert i == len(toks), "text after the closing brace"
    for tail, head in edges:
        assert tail in nodes and head in nodes, f"edge {tail} -> {head} to an undeclared node"
    return name, nodes, edges


def label_lines(label):
    """A Graphviz label's lines: `\\n` ends a line, `\\\\` is a backslash."""
    lines, line, chars = [], "", iter(label)
    for c in chars:
        if c == "\\":
            c = next(chars)
            if c == "n":
                lines, line = lines + [line], ""
                continue
        line += c
    return lines + [line]
