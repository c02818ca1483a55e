"""detect_anomaly: the first op that makes NaN or Inf is named, with shapes and the user's line."""
import inspect
import os
import re

import numpy as np
import pytest

import chainrule as cr

pytestmark = pytest.mark.filterwarnings("ignore::RuntimeWarning")  # NumPy's invalid-value warning


def here():
    """'this_file:line' of the caller's next line."""
    frame = inspect.currentframe().f_back
    return f"{os.path.basename(frame.f_code.co_filename)}:{frame.f_lineno + 1}"


def test_nan_in_forward_names_the_op_its_shapes_and_the_line():
    x = cr.tensor([[1.0, -4.0, 9.0]], requires_grad=True)
    with cr.autograd.detect_anomaly():
        y = x * 2
        with pytest.raises(FloatingPointError) as info:
            where = here()
            y.sqrt()  # the line the message must point to
    message = str(info.value)
    assert message.startswith("anomaly: Sqrt produced NaN or Inf in its forward output")
    assert "(1, 3)" in message
    assert where in message and "y.sqrt()  # the line" in message


def test_nan_in_backward_names_the_op_and_the_line_that_created_it():
    """sqrt(x) * 0 at x = 0 is fine forward, but its backward divides 0 by 0 (like 0 * log 0)."""
    x = cr.tensor([0.0, 4.0], requires_grad=True)
    with cr.autograd.detect_anomaly():
        where = here()
        root = cr.sqrt(x)
        loss = (root * cr.tensor([0.0, 1.0])).sum()
        assert np.isfinite(loss.item())
        with pytest.raises(FloatingPointError) as info:
            loss.backward()
    message = str(info.value)
    assert re.match(r"anomaly: the backward of Sqrt produced NaN or Inf", message)
    assert "inputs of shapes (2,)" in message
    assert where in message and "root = cr.sqrt(x)" in message


def test_without_anomaly_mode_nan_flows_silently():
    x = cr.tensor([0.0], requires_grad=True)
    (cr.sqrt(x) * 0).sum().backward()
    assert np.isnan(x.grad.item())
    assert not cr.autograd.is_anomaly_enabled()


def test_anomaly_mode_as_a_decorator_and_its_scope():
    @cr.autograd.detect_anomaly()
    def run():
        assert cr.autograd.is_anomaly_enabled()
        return cr.log(cr.tensor([0.0]))

    with pytest.raises(FloatingPointError, match="Log produced NaN or Inf"):
        run()
    assert not cr.autograd.is_anomaly_enabled()


def test_forward_outside_anomaly_mode_says_where_to_look():
    x = cr.tensor([0.0], requires_grad=True)
    loss = (cr.sqrt(x) * 0).sum()
    with cr.autograd.detect_anomaly(), pytest.raises(FloatingPointError,
                                                     match="run the forward inside"):
        loss.backward()
