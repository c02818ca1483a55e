"""The engine's own ops, through the shared helper."""
import pytest

from opcheck import check_op

BROADCASTS = [[(3, 4), (3, 4)], [(3, 1), (1, 4)], [(2, 3, 4), (4,)], [(), (3,)], [(0, 3), (3,)]]


@pytest.mark.parametrize("shapes", BROADCASTS)
@pytest.mark.parametrize("op", ["add", "sub", "mul", "div"])
def test_arithmetic(op, shapes):
    fn = {"add": lambda m, a, b: a + b, "sub": lambda m, a, b: a - b,
          "mul": lambda m, a, b: a * b, "div": lambda m, a, b: a / b}[op]
    check_op(fn, shapes, away_from=0.0, name=op)


def test_matmul_and_sum():
    check_op(lambda m, a, b: (a @ b).sum(1), [(3, 4), (4, 5)])
