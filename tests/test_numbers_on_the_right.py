"""A number on the right of an operator (``h * 1.0001``, ``x - 3``) becomes its constant's node just before
its gate, as every other operand does: the lowering's shortcut for it changes nothing a user sees."""

from __future__ import annotations

import pytest

from gradcalc.errors import EvaluationError
from gradcalc.program import run_source
from gradcalc.source import Source


def nodes_of(text: str) -> list[tuple[str, tuple[int, ...], str | None]]:
    graph = run_source(Source(text)).graph
    return [(node.op.name, node.args, node.text) for node in graph.nodes]


def test_each_number_is_a_node_made_just_before_its_gate() -> None:
    assert nodes_of("x = 2; ((x * 1.0001) - 3) / 4") == [
        ("input", (), None),
        ("const", (), "1.0001"),
        ("mul", (0, 1), None),
        ("const", (), "3"),
        ("sub", (2, 3), None),
        ("const", (), "4"),
        ("div", (4, 5), None),
    ]


def test_values_and_gradients_through_numbers_on_the_right() -> None:
    result = run_source(Source("x = 2; ((x * 1.5) - 3) / 4 + 1"))
    evaluation = result.evaluation
    assert evaluation.value == 1.0
    x = result.graph.bindings["x"]
    assert evaluation.grads[x] == 1.5 / 4


def test_numbers_on_both_sides_still_fold_into_one_constant() -> None:
    assert nodes_of("x = 2; (2 * 3) * x") == [("input", (), None), ("const", (), "(2 * 3)"), ("mul", (1, 0), None)]
    assert nodes_of("x = 2; x * (2 * 3)") == [("input", (), None), ("const", (), "(2 * 3)"), ("mul", (0, 1), None)]


def test_a_number_as_exponent_is_still_one_power_gate() -> None:
    assert nodes_of("x = 2; (x + 1) ^ 2") == [
        ("input", (), None),
        ("const", (), "1"),
        ("add", (0, 1), None),
        ("powc", (2,), None),
    ]


def test_a_number_too_large_on_the_right_is_shown_where_it_is_written() -> None:
    text = "x = 1; (x * 2) * 1e309"
    with pytest.raises(EvaluationError) as caught:
        run_source(Source(text))
    assert "1e309 is too large for a floating-point number" in str(caught.value)
    span = caught.value.span
    assert span is not None and text[span.start : span.end] == "1e309"


def test_an_error_on_the_left_comes_before_the_number_on_the_right() -> None:
    with pytest.raises(EvaluationError) as caught:
        run_source(Source("(y * 2) * 1e309"))
    assert "y" in str(caught.value) and "1e309" not in str(caught.value)
