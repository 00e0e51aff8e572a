"""100,000-node programs and 10,000-deep nesting, at Python's default recursion limit."""

from __future__ import annotations

import sys

import pytest

from gradcalc.program import run_source
from gradcalc.source import Source

pytestmark = pytest.mark.slow


@pytest.fixture(autouse=True)
def default_recursion_limit():
    before = sys.getrecursionlimit()
    sys.setrecursionlimit(1000)
    yield
    sys.setrecursionlimit(before)


def test_wide_sum_of_100000_terms():
    n = 50_000  # 50,000 products: 100,000 inputs and 200,000 nodes in all
    text = " + ".join(f"w{i}*x{i}" for i in range(n))
    inputs = {f"w{i}": float(i % 7) for i in range(n)} | {f"x{i}": 2.0 for i in range(n)}
    result = run_source(Source(text), inputs)
    ev = result.evaluation
    assert ev.value == 2.0 * sum(i % 7 for i in range(n))
    grads = {result.labels[i]: ev.grads[i] for i in ev.inputs}
    assert grads["w123"] == 2.0 and grads["x123"] == float(123 % 7)
    assert len(ev.order) == 4 * n - 1


def test_sum_of_100000_terms_reusing_one_input():
    text = " + ".join("x" for _ in range(100_000))
    result = run_source(Source(text), {"x": 0.5})
    assert result.evaluation.value == 50_000.0
    assert result.evaluation.grads[result.evaluation.inputs[0]] == 100_000.0


def test_parentheses_nested_10000_deep():
    text = "(" * 10_000 + "x" + ")" * 10_000 + " * 2"
    result = run_source(Source(text), {"x": 3.0})
    assert result.evaluation.value == 6.0


def test_unary_chain_10000_deep():
    text = "-" * 10_000 + "x"
    assert run_source(Source(text), {"x": 3.0}).evaluation.value == 3.0
    text = "sin(" * 10_000 + "x" + ")" * 10_000
    result = run_source(Source(text), {"x": 0.5})
    assert 0 < result.evaluation.value < 0.5


def test_power_tower_10000_deep_is_right_associative():
    text = "^".join(["x"] * 10_000)
    result = run_source(Source(text), {"x": 1.0})
    assert result.evaluation.value == 1.0


def test_chain_of_100000_statements():
    lines = ["x = 1"] + [f"y{i} = {'x' if i == 0 else f'y{i - 1}'} * 1.00001" for i in range(100_000)]
    result = run_source(Source("\n".join(lines)))
    assert result.evaluation.value == pytest.approx(1.00001**100_000, rel=1e-9)
    assert result.evaluation.grads[result.evaluation.inputs[0]] == pytest.approx(1.00001**100_000, rel=1e-9)
