"""instance_norm and local_response_norm against PyTorch in float64."""
import numpy as np
import pytest
import torch

import chainrule as cr
from opcheck import check_op


@pytest.mark.parametrize("shape", [(2, 3, 5), (2, 2, 3, 4), (1, 2, 2, 3, 2)])
def test_instance_norm(shape):
    c = shape[1]
    check_op(lambda m, x, w, b: m.nn.functional.instance_norm(x, weight=w, bias=b, eps=1e-3),
             [shape, (c,), (c,)], name="instance_norm")


def test_instance_norm_running_statistics():
    rng = np.random.default_rng(0)
    x = rng.standard_normal((3, 2, 4, 5))
    stats = [rng.uniform(0.5, 1.5, 2) for _ in range(2)]
    ours = [cr.tensor(s) for s in stats]
    theirs = [torch.tensor(s) for s in stats]
    y = cr.nn.functional.instance_norm(cr.tensor(x), *ours, momentum=0.3)
    expected = torch.nn.functional.instance_norm(torch.tensor(x), *theirs, momentum=0.3)
    np.testing.assert_allclose(y.numpy(), expected.numpy(), atol=1e-12)
    for o, t in zip(ours, theirs):
        np.testing.assert_allclose(o.numpy(), t.numpy(), atol=1e-12)
    check_op(lambda m, x: m.nn.functional.instance_norm(
        x, m.tensor(stats[0]) if m is cr else torch.tensor(stats[0]),
        m.tensor(stats[1]) if m is cr else torch.tensor(stats[1]), use_input_stats=False),
        [(2, 2, 3)], name="instance_norm(use_input_stats=False)")


@pytest.mark.parametrize("shape,kwargs", [
    ((2, 5, 4), dict(size=3)),
    ((2, 6, 3, 2), dict(size=2, alpha=0.1, beta=0.5, k=2.0)),
    ((1, 4, 2, 2, 3), dict(size=5, alpha=0.3)),
])
def test_local_response_norm(shape, kwargs):
    check_op(lambda m, x: m.nn.functional.local_response_norm(x, **kwargs), [shape],
             name="local_response_norm")
