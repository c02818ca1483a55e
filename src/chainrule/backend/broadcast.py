"""Broadcasting's reverse on raw arrays."""


def sum_to(array, shape):
    """Sums an array that was broadcast from `shape` back to `shape`: over the leading dims that
    broadcasting added, and over each dim that was 1 in `shape`."""
    lead = array.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(i + lead for i, n in enumerate(shape)
                                      if n == 1 and array.shape[i + lead] != 1)
    summed = array.sum(axis=axes, keepdims=True) if axes else array
    return summed.reshape(shape)
