"""gradcheck and gradgradcheck: they pass right gradients and name the entry of a wrong one."""
import pytest

import chainrule as cr
from chainrule.autograd import GradcheckError, gradcheck, gradgradcheck
from custom_functions import Cube


def x64(values):
    return cr.tensor(values, dtype=cr.float64, requires_grad=True)


class WrongCube(Cube):
    """x^3 whose backward forgets the factor 3 at the second entry only."""

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        factor = cr.tensor([3.0, 1.0, 3.0], dtype=cr.float64)
        return factor * x * x * grad


class FirstOrderOnlyCube(Cube):
    """x^3 whose backward is right, but treats the saved x as a constant: the second
    derivative misses a term (6x becomes 3x)."""

    @staticmethod
    def backward(ctx, grad):
        x, = ctx.saved_tensors
        return 3 * x.detach() * x * grad


def test_right_gradients_pass():
    a, b = x64([[0.5, -1.0], [2.0, 0.3]]), x64([1.5, -0.5])
    assert gradcheck(lambda a, b: (a * b).sin() + a.exp() / (1 + b * b), [a, b])
    assert gradgradcheck(lambda a, b: (a * b).sin() + a.exp() / (1 + b * b), [a, b])
    assert gradcheck(lambda a: (a @ a.T).sum(0), [a])  # a reduction and a product


def test_several_outputs_and_constant_inputs():
    a, c = x64([0.3, 0.8]), cr.tensor([2.0, 3.0], dtype=cr.float64)
    assert gradcheck(lambda a, c: (a * c, a.exp().sum()), [a, c])


def test_wrong_backward_is_caught_and_the_entry_named():
    with pytest.raises(GradcheckError, match=r"gradcheck: d\(output 0\)\[1\] / d\(input 0\)\[1\]"
                                             r" is wrong: analytical 4, numerical 12"):
        gradcheck(WrongCube.apply, [x64([1.0, 2.0, 3.0])])
    assert gradcheck(WrongCube.apply, [x64([1.0, 2.0, 3.0])], raise_exception=False) is False


def test_the_input_position_counts_every_argument():
    c = cr.tensor([1.0, 1.0, 1.0], dtype=cr.float64)  # position 0, not checked
    with pytest.raises(GradcheckError, match=r"d\(input 1\)\[1\]"):
        gradcheck(lambda c, x: WrongCube.apply(x) + c, [c, x64([1.0, 2.0, 3.0])])


def test_wrong_second_derivative_is_caught():
    x = x64([0.5, -1.5])
    assert gradcheck(FirstOrderOnlyCube.apply, [x])  # the first derivative is right
    with pytest.raises(GradcheckError, match=r"gradgradcheck: .* is wrong"):
        gradgradcheck(FirstOrderOnlyCube.apply, [x])


def test_inputs_must_be_float64_and_some_must_require_grad():
    with pytest.raises(TypeError, match="input 0 requires grad but is float32.*double"):
        gradcheck(lambda a: a * 2, [cr.ones(2, requires_grad=True)])
    with pytest.raises(ValueError, match="no input requires grad"):
        gradcheck(lambda a: a * 2, [cr.ones(2, dtype=cr.float64)])


def test_inputs_are_left_unchanged():
    x = x64([[0.25, 0.5], [0.75, 1.0]]).T  # not contiguous
    before = x.tolist()
    assert gradcheck(lambda x: x * x, [x])
    assert x.tolist() == before
