"""erf from NumPy alone (NumPy has none), accurate to float64 rounding.

Near zero, the series  erf(x) = 2/sqrt(pi) e^(-x^2) sum_n (2x^2)^n x / (1*3*...*(2n+1)),
whose terms are all positive (no cancellation). Far out, erfc from its continued fraction
erfc(x) = e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail."""
import math

from ..backend import array_module

_SPLIT = 2.5  # below: series; above: continued fraction (both converge fast on their side)


def _series(x, terms):
    x2 = 2 * x * x
    term = x.copy()
    total = x.copy()
    for n in range(terms):
        term *= x2 / (2 * n + 3)
        total += term
    return 2 / math.sqrt(math.pi) * total * array_module(x).exp(-x * x)


def _erfc_fraction(x, depth):
    tail = x.copy()
    for k in range(depth, 0, -1):
        tail = x + (k / 2) / tail
    return array_module(x).exp(-x * x) / (math.sqrt(math.pi) * tail)


def erf_array(x):
    xp = array_module(x)
    terms = 60 if x.dtype.itemsize >= 8 else 30
    a = xp.abs(x).astype(xp.float64 if x.dtype.itemsize >= 8 else xp.float32)
    out = xp.empty_like(a)
    near = a < _SPLIT
    out[near] = _series(a[near], terms)
    out[~near] = 1 - _erfc_fraction(a[~near], terms)
    return (xp.sign(x) * out).astype(x.dtype, copy=False)
