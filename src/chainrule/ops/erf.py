"""erf: SciPy's compiled one where SciPy is installed (it comes with scikit-learn, in the `train`
extra), else erf from NumPy alone (NumPy has none), accurate to the rounding of the dtype.

Near zero, the series  erf(x) = 2/sqrt(pi) e^(-x^2) x sum_n (2x^2)^n / (1*3*...*(2n+1)),
whose terms are all positive (no cancellation). Far out, erfc from its continued fraction
erfc(x) = e^(-x^2)/sqrt(pi) / (x + (1/2)/(x + 1/(x + (3/2)/(x + ...)))), evaluated from the tail.

Both are cut where they have converged for the dtype (float32 needs far fewer terms), and are
computed in float64 whatever the dtype: e^(-x^2) would multiply float32's rounding of x^2 by x^2.
Each term is a pass over the values, so they are taken in blocks that stay in the CPU's cache."""
import math

import numpy as np

from ..backend import array_module

try:
    from scipy.special import erf as _compiled_erf
except ImportError:  # the core install: NumPy only
    _compiled_erf = None

# (split, series terms, fraction depth) for float64 and for narrower floats: below the split the
# series, above it the continued fraction (each converges fast on its side)
_PLAN = {8: (2.5, 40, 25), 4: (2.0, 21, 10)}
_COEFFICIENTS = [1 / math.prod(range(1, 2 * n + 2, 2)) for n in range(40)]  # 1/(1*3*..*(2n+1))
_BLOCK = 1 << 15


def _series(x, terms):
    """By Horner's rule in y = 2x^2, in place: two passes over x per term."""
    y = 2 * x * x
    total = array_module(x).full_like(x, _COEFFICIENTS[terms - 1])
    for c in reversed(_COEFFICIENTS[:terms - 1]):
        total *= y
        total += c
    total *= x
    total *= array_module(x).exp(-x * x)
    total *= 2 / math.sqrt(math.pi)
    return total


def _erfc_fraction(x, depth):
    xp = array_module(x)
    tail = x.copy()
    for k in range(depth, 0, -1):
        xp.divide(k / 2, tail, out=tail)
        tail += x
    return xp.exp(-x * x) / (math.sqrt(math.pi) * tail)


def _erf_of_magnitude(a, split, terms, depth):
    out = array_module(a).empty_like(a)
    near = a < split
    out[near] = _series(a[near], terms)
    out[~near] = 1 - _erfc_fraction(a[~near], depth)
    return out


def erf_array(x):
    if _compiled_erf is not None and isinstance(x, np.ndarray) and x.dtype != np.float16:
        return _compiled_erf(x)
    return erf_numpy(x)


def erf_numpy(x):
    xp = array_module(x)
    plan = _PLAN[8 if x.dtype.itemsize >= 8 else 4]
    a = xp.abs(x).astype(xp.float64).reshape(-1)
    out = xp.empty_like(a)
    for start in range(0, a.size, _BLOCK):
        block = slice(start, start + _BLOCK)
        out[block] = _erf_of_magnitude(a[block], *plan)
    return (xp.sign(x) * out.reshape(x.shape)).astype(x.dtype, copy=False)
