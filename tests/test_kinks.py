"""Points with no derivative follow PyTorch, and say so."""

from __future__ import annotations

import pytest

from helpers import gradients, run


@pytest.mark.parametrize(
    ("text", "grad"),
    [
        ("relu(x)", 0.0),
        ("abs(x)", 0.0),
        ("max(x, 0)", 0.5),
        ("min(x, 0)", 0.5),
        ("max(x, x)", 1.0),  # both halves reach x
    ],
)
def test_kink_conventions_at_zero(text, grad):
    result = run(text, x=0)
    assert gradients(result) == {"x": grad}
    warnings = result.evaluation.warnings
    assert len(warnings) == 1
    assert "no derivative" in warnings[0].message


@pytest.mark.parametrize(
    ("text", "x", "grad"),
    [
        ("relu(x)", 2, 1.0),
        ("relu(x)", -2, 0.0),
        ("abs(x)", -2, -1.0),
        ("abs(x)", 2, 1.0),
        ("max(x, 1)", 2, 1.0),
        ("max(x, 1)", 0, 0.0),
        ("min(x, 1)", 0, 1.0),
        ("min(x, 1)", 2, 0.0),
    ],
)
def test_away_from_kinks_there_is_no_warning(text, x, grad):
    result = run(text, x=x)
    assert gradients(result) == {"x": grad}
    assert result.evaluation.warnings == []


def test_infinite_gradient_is_a_warning_not_a_crash():
    result = run("sqrt(x)", x=0)
    assert result.evaluation.value == 0.0
    assert gradients(result)["x"] == float("inf")
    assert any("not finite" in w.message for w in result.evaluation.warnings)


def test_cli_names_the_node_at_a_kink(gradcalc):
    out = gradcalc("eval", "h = relu(x) * 3", "x=0")
    assert out.returncode == 0
    assert "warning: p = relu(x)" in out.stderr and "relu'(0) is taken as 0" in out.stderr
