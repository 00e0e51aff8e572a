"""The functions a calculator is expected to have: known values, their derivatives, and domain errors.

The derivatives of every row are also checked against central finite differences by the property tests
(tests/test_gradient_properties.py and tests/test_check.py loop over the table); here are the exact
values a user can look up, and the errors a user sees.
"""

from __future__ import annotations

import math

import pytest

from gradcalc.errors import EvaluationError
from helpers import gradients, run


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("atan2(1, -1)", 3 * math.pi / 4),
        ("atan2(-1, -1)", -3 * math.pi / 4),
        ("atan2(0, -1)", math.pi),
        ("gelu(1)", 0.8413447460685429),
        ("silu(1)", 0.7310585786300049),
        ("softplus(0)", math.log(2)),
        ("softplus(1000)", 1000.0),  # log(1 + exp(1000)) without overflow
        ("softplus(-1000)", 0.0),
        ("softplus(-40)", 4.248354255291589e-18),  # exp(-40): the digits survive
        ("hypot(3, 4)", 5.0),
        ("hypot(3e200, 4e200)", 5e200),  # no overflow on the way
        ("pow(2, 10)", 1024.0),
        ("log2(8)", 3.0),
        ("log10(1000)", 3.0),
        ("log1p(1e-20)", 1e-20),  # where log(1 + x) would give 0
        ("expm1(1e-20)", 1e-20),
        ("erf(0)", 0.0),
        ("erf(1)", 0.8427007929497149),
        ("atan(1)", math.pi / 4),
        ("asin(1)", math.pi / 2),
        ("acos(-1)", math.pi),
        ("sinh(1)", (math.e - 1 / math.e) / 2),
        ("cosh(1)", (math.e + 1 / math.e) / 2),
        ("asinh(sinh(2))", 2.0),
        ("acosh(1)", 0.0),
        ("atanh(0.5)", math.log(3) / 2),
        ("gelu(-10)", -7.619853024160526e-23),  # erfc keeps the tail that 1 + erf would lose
    ],
)
def test_known_values(text: str, value: float) -> None:
    assert run(text).evaluation.value == pytest.approx(value, rel=1e-13, abs=1e-300)


@pytest.mark.parametrize(
    ("text", "x", "grad"),
    [
        ("atan(x)", 1.0, 0.5),
        ("asin(x)", 0.6, 1.25),
        ("acos(x)", 0.6, -1.25),
        ("asinh(x)", 0.75, 0.8),
        ("acosh(x)", 1.25, 4 / 3),
        ("atanh(x)", 0.5, 4 / 3),
        ("log2(x)", 2.0, 1 / (2 * math.log(2))),
        ("log10(x)", 10.0, 1 / (10 * math.log(10))),
        ("log1p(x)", 1.0, 0.5),
        ("expm1(x)", 0.0, 1.0),
        ("erf(x)", 0.0, 2 / math.sqrt(math.pi)),
        ("softplus(x)", 0.0, 0.5),
        ("softplus(x)", 1000.0, 1.0),
        ("softplus(x)", -1000.0, 0.0),
        ("silu(x)", 0.0, 0.5),
        ("gelu(x)", 0.0, 0.5),
        ("gelu(x)", 1.0, 0.5 * (1 + math.erf(1 / math.sqrt(2))) + math.exp(-0.5) / math.sqrt(2 * math.pi)),
        ("sinh(x)", 0.0, 1.0),
        ("cosh(x)", 0.0, 0.0),
        ("hypot(x, 4)", 3.0, 0.6),
        ("atan2(1, x)", -1.0, -0.5),  # d/dx atan2(y, x) = -y/(x^2 + y^2)
        ("atan2(x, -1)", 1.0, -0.5),  # d/dy = x/(x^2 + y^2)
        ("pow(x, 3)", 2.0, 12.0),
    ],
)
def test_known_derivatives(text: str, x: float, grad: float) -> None:
    result = run(text, x=x)
    assert gradients(result)["x"] == pytest.approx(grad, rel=1e-14, abs=1e-300)
    assert result.evaluation.warnings == []


def test_pow_is_a_spelling_of_the_power_operator() -> None:
    spelled, written = run("pow(x, 3)", x=2), run("x^3", x=2)
    assert [(n.op.name, n.param) for n in spelled.graph.nodes] == [(n.op.name, n.param) for n in written.graph.nodes]
    assert run("pow(x, y)", x=2, y=3).graph.nodes[-1].op.name == "pow"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("acos(2)", "acos(2) is undefined: acos needs an argument between -1 and 1"),
        ("asin(-2)", "asin(-2) is undefined: asin needs an argument between -1 and 1"),
        ("atanh(1)", "atanh(1) is undefined: atanh needs an argument between -1 and 1, both excluded"),
        ("acosh(0.5)", "acosh(0.5) is undefined: acosh needs an argument of at least 1"),
        ("log10(-1)", "log10(-1) is undefined: log10 needs a positive argument"),
        ("log2(0)", "log2(0) is undefined: log2 needs a positive argument"),
        ("log1p(-1)", "log1p(-1) is undefined: log1p needs an argument greater than -1"),
        ("sinh(1000)", "overflow: sinh(1000) is too large for a floating-point number"),
        ("cosh(-1000)", "overflow: cosh(-1000) is too large for a floating-point number"),
        ("expm1(1000)", "overflow: expm1(1000) is too large for a floating-point number"),
    ],
)
def test_domain_errors_name_the_function(text: str, message: str) -> None:
    name, argument = text.rstrip(")").split("(")
    for program, inputs in ((text, {}), (f"{name}(x)", {"x": float(argument)})):  # folded, and at a gate
        with pytest.raises(EvaluationError) as caught:
            run(program, **inputs)
        assert caught.value.message == message, program


def test_domain_errors_at_a_gate_name_the_gate(gradcalc) -> None:
    done = gradcalc("eval", "acos(x)", "x=2")
    assert done.returncode == 1
    assert done.stderr.splitlines()[:3] == [
        "<program>:1:1: error: acos(2) is undefined: acos needs an argument between -1 and 1",
        "1 | acos(x)",
        "  | ^^^^^^^",
    ]


def test_the_new_functions_through_the_console_script(gradcalc) -> None:
    done = gradcalc("eval", "atan2(y, x) + gelu(x) + silu(x) + softplus(x - 1)", "x=1", "y=1")
    assert done.returncode == 0, done.stderr
    want = math.pi / 4 + 0.8413447460685429 + 0.7310585786300049 + math.log(2)
    assert f"f = {want:.6f}" in done.stdout.splitlines()


@pytest.mark.parametrize(
    ("text", "grads"), [("atan2(x, y)", {"x": 0.0, "y": 0.0}), ("hypot(x, y)", {"x": 0.0, "y": 0.0})]
)
def test_at_the_origin_atan2_and_hypot_take_gradient_zero_and_warn(text: str, grads: dict[str, float]) -> None:
    result = run(text, x=0, y=0)
    assert result.evaluation.value == 0.0 and gradients(result) == grads
    (warning,) = result.evaluation.warnings
    assert "no derivative" in warning.message and "taken as 0" in warning.message
