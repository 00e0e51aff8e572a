"""``grad(EXPR, NAME)``: the gradient as nodes of the graph, differentiable again."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import ROOT, run_gradcalc
from gradcalc.errors import EvaluationError
from helpers import gradients, run
from test_gradient_properties import expressions, finite, used


def test_second_and_third_derivatives_of_a_cube() -> None:
    assert run("grad(grad(x^3, x), x)", x=2).evaluation.value == 12.0
    assert run("grad(grad(grad(x^3, x), x), x)", x=2).evaluation.value == 6.0
    assert gradients(run("grad(grad(x^3, x), x)", x=2)) == {"x": 6.0}  # and backprop of it: the third


def test_tanh_second_and_third_derivatives() -> None:
    assert run("grad(grad(tanh(x), x), x)", x=2).evaluation.value == pytest.approx(-0.136219, abs=1e-6)
    assert run("grad(grad(grad(tanh(x), x), x), x)", x=2).evaluation.value == pytest.approx(0.252654, abs=1e-6)


def test_a_gradient_used_in_an_expression_is_differentiated_through() -> None:
    result = run("y = x^2; z = grad(y, x)^3 + y", x=2)
    assert result.evaluation.value == 68.0
    assert gradients(result) == {"x": 100.0}


def test_relu_second_derivative_is_zero_and_its_first_a_step() -> None:
    assert run("grad(relu(x), x)", x=0).evaluation.value == 0.0
    assert run("grad(relu(x), x)", x=3).evaluation.value == 1.0
    assert run("grad(grad(relu(x)*x, x), x)", x=1).evaluation.value == 2.0


def test_grad_of_an_expression_without_the_name_is_zero() -> None:
    assert run("y = 1; grad(y * 3, x) + x", x=2).evaluation.value == 2.0


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ("y = x^2; grad(x, y)", "grad differentiates with respect to an input, and y is not one"),
        ("grad(x^2, 2)", "grad differentiates with respect to an input, and 2 is not one"),
        ("grad(x)", "grad takes 2 arguments, not 1"),
        ("grad(x^2, z)", "the name 'z' has no value"),
    ],
)
def test_grad_errors_have_a_caret(program: str, message: str) -> None:
    out = run_gradcalc("eval", program, "x=1")
    assert out.returncode == 1
    assert message in out.stderr
    assert "^" in out.stderr


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(text=expressions(), x=finite, y=finite, name=st.sampled_from(["x", "y"]))
def test_grad_node_equals_the_backprop_gradient_on_random_programs(text, x, y, name) -> None:
    inputs = used({"x": x, "y": y}, text)
    assume(name in inputs)
    try:
        plain = run(text, **inputs)
        derived = run(f"grad({text}, {name})", **inputs)
    except EvaluationError:
        assume(False)
        return
    want = gradients(plain)[name]
    assume(math.isfinite(want) and not plain.evaluation.warnings)
    assert derived.evaluation.value == pytest.approx(want, rel=1e-9, abs=1e-12), text


def test_grad_of_a_long_chain_adds_linear_nodes() -> None:
    n = 10_000
    text = "x = 0.5; y = x\n" + "y = sin(y)\n" * n + "g = grad(y, x)"
    result = run(text)
    assert len(result.evaluation.order) < 8 * n


def test_the_kink_warning_names_the_slope_gate_at_second_order() -> None:
    out = run_gradcalc("eval", "grad(relu(x), x)", "x=0")
    assert out.returncode == 0, out.stderr
    assert "warning: f = relu'(x): relu' is at a point with no derivative: relu'(0) is taken as 0" in out.stderr


def test_a_gradient_in_the_repl_follows_an_input_changed_in_place() -> None:
    out = run_gradcalc("repl", stdin="x = 2\ng = grad(x^3, x)\nx = 3\ng\n")
    assert out.returncode == 0, out.stderr
    assert out.stdout.splitlines() == ["x = 2", "g = 12", "x = 3", "g = 27", "∂g/∂x = 18"]


def test_a_gradient_penalty_trains_on_data_rows() -> None:
    out = run_gradcalc(
        "train", "w = 1; b = 0; loss = (w*x + b - y)^2 + 0.1*grad(relu(w*x + b), w)^2 + grad(max(w, b), b)",
        "--wrt", "w,b", "--data", "examples/line.csv", "--lr", "0.05", "--json", cwd=ROOT,
    )
    assert out.returncode == 0, out.stderr
    learned = json.loads(out.stdout)["learned"]
    assert learned["w"] == pytest.approx(2.5, abs=1e-3) and learned["b"] == pytest.approx(-1.0, abs=1e-3)
