"""Every op, and random programs, against central finite differences."""

from __future__ import annotations

import math
import re
import sys

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradcalc.errors import EvaluationError
from gradcalc.ops import DIFFERENTIABLE, FUNCTIONS, INFIX, PREFIX, Syntax
from gradcalc.program import run_source
from gradcalc.source import Source


# A program per op in the table, so a new row is tested without touching this file.
def _program(op) -> str:
    if op.syntax is Syntax.INFIX:
        return f"a {op.spellings[0]} b"
    if op.syntax is Syntax.PREFIX:
        return f"{op.spellings[0]}a"
    if op.syntax is Syntax.CALL:
        return f"{op.symbol}({', '.join('ab'[: op.arity])})"
    return ""


LANGUAGE_OPS = [op for op in DIFFERENTIABLE if op.syntax is not Syntax.GATE]
finite = st.floats(min_value=-4, max_value=4, allow_nan=False).filter(lambda v: abs(v) > 1e-3)


STEP = 1e-6  # the step of the central differences


def differences(text: str, inputs: dict[str, float], name: str, h: float = STEP) -> tuple[float, float, float]:
    """Central, forward and backward differences of the program's output in one input."""

    def at(value: float) -> float:
        return run_source(Source(text), {**inputs, name: value}).evaluation.value

    up, here, down = at(inputs[name] + h), at(inputs[name]), at(inputs[name] - h)
    return (up - down) / (2 * h), (up - here) / h, (here - down) / h


def assert_matches_finite_differences(text: str, inputs: dict[str, float], expanded: bool = False) -> None:
    try:
        result = run_source(Source(text), inputs, expanded=expanded)
        numeric = {name: differences(text, inputs, name) for name in inputs}
    except EvaluationError:
        assume(False)
        return
    assume(not result.evaluation.warnings)
    grads = {result.labels[i]: result.evaluation.grads[i] for i in result.evaluation.inputs}
    # The differences cannot be closer than the output's rounding over the step: (2*y)^exp(pi) + x at
    # y = 1 is 9.3e6, and its difference in x is 1 only to about 1e-3.
    rounding = 4 * sys.float_info.epsilon * abs(result.evaluation.value) / STEP
    for name, (want, forward, backward) in numeric.items():
        assume(math.isfinite(want) and abs(want) < 1e6)
        # A kink within h of the point (a near-tie of max, relu near 0) makes the one-sided slopes
        # disagree: finite differences say nothing there, so such points are not evidence either way.
        assume(forward == pytest.approx(backward, rel=1e-3, abs=1e-4))
        assert grads[name] == pytest.approx(want, rel=1e-4, abs=max(1e-5, rounding)), (text, inputs, name)


def test_every_language_op_is_tested():
    written = {op.name for op in [*FUNCTIONS.values(), *INFIX.values(), *PREFIX.values()]}
    assert {op.name for op in LANGUAGE_OPS} == written  # every op a program can write, and only those


# Points outside an op's domain are filtered out: atanh takes a quarter of them, acosh a third.
@pytest.mark.parametrize("op", LANGUAGE_OPS, ids=lambda op: op.name)
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(a=finite, b=finite)
def test_op_gradient_matches_central_difference(op, a, b):
    text = _program(op)
    inputs = {"a": a, "b": b} if op.arity == 2 else {"a": a}
    if op.name in ("max", "min"):
        assume(abs(a - b) > 1e-3)
    assert_matches_finite_differences(text, inputs)
    assert_matches_finite_differences(text, inputs, expanded=True)


def used(inputs: dict[str, float], text: str) -> dict[str, float]:
    return {name: value for name, value in inputs.items() if re.search(rf"\b{name}\b", text)}


# Random small programs: expressions over x, y with every op, read from the table so a new row is in them.
_unary = st.sampled_from(sorted(name for name, op in FUNCTIONS.items() if op.arity == 1) + sorted(PREFIX))
_binary = st.sampled_from(sorted(INFIX) + sorted(name for name, op in FUNCTIONS.items() if op.arity == 2))


@st.composite
def expressions(draw, depth: int = 3) -> str:
    if depth == 0 or draw(st.booleans()):
        return draw(st.sampled_from(["x", "y", "x", "y", "2", "0.5", "pi"]))
    if draw(st.booleans()):
        op = draw(_unary)
        inner = draw(expressions(depth - 1))
        return f"{op}({inner})"
    op = draw(_binary)
    left, right = draw(expressions(depth - 1)), draw(expressions(depth - 1))
    return f"{op}({left}, {right})" if op.isidentifier() else f"({left}) {op} ({right})"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(text=expressions(), x=finite, y=finite, expand=st.booleans())
def test_random_programs_match_central_differences(text, x, y, expand):
    inputs = used({"x": x, "y": y}, text)
    assume(inputs)
    assert_matches_finite_differences(text, inputs, expanded=expand)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(text=expressions(), x=finite, y=finite)
def test_expansion_keeps_values_and_input_gradients(text, x, y):
    inputs = used({"x": x, "y": y}, text)
    try:
        plain = run_source(Source(text), inputs)
        expanded = run_source(Source(text), inputs, expanded=True)
    except EvaluationError:
        assume(False)
        return
    assert expanded.evaluation.value == pytest.approx(plain.evaluation.value, rel=1e-9, abs=1e-12)
    for i, j in zip(plain.evaluation.inputs, expanded.evaluation.inputs):
        a, b = plain.evaluation.grads[i], expanded.evaluation.grads[j]
        if math.isfinite(a):
            assert b == pytest.approx(a, rel=1e-7, abs=1e-9)


def _renamed(text: str, old: str, new: str) -> str:
    return re.sub(rf"\b{old}\b", new, text)


def _in_graph(text: str, inputs: dict[str, float]) -> dict[str, float]:
    """The inputs the program's output depends on (a parameter or a step may drop one)."""
    try:
        result = run_source(Source(text), inputs)
    except EvaluationError:
        assume(False)
        return {}
    assume(abs(result.evaluation.value) < 1e6)  # beyond, a step h of an input is lost in rounding
    kept = {result.labels[i] for i in result.inputs}
    found = {name: value for name, value in inputs.items() if name in kept}
    assume(found)
    return found


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(body=expressions(depth=2), arg=expressions(depth=2), x=finite, y=finite)
def test_random_functions_with_a_shared_name_match_central_differences(body, arg, x, y):
    """``g(u) = BODY`` (x renamed u; y is shared with the caller), called twice, once on itself."""
    text = f"g(u) = {_renamed(body, 'x', 'u')}\ng(g({arg})) + g(x)"
    assert_matches_finite_differences(text, _in_graph(text, {"x": x, "y": y}))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(body=expressions(depth=2), steps=st.integers(1, 4), x=finite, y=finite)
def test_random_loops_match_central_differences_and_their_typed_out_statements(body, steps, x, y):
    """``h = x; for k in 1..N { h = BODY }`` (x renamed h, pi renamed k) is its N statements typed out."""
    step = _renamed(_renamed(body, "x", "h"), "pi", "k")
    text = f"h = x\nfor k in 1..{steps} {{ h = {step} }}\nh"
    typed = "h = x\n" + "\n".join(f"h = {_renamed(step, 'k', str(k))}" for k in range(1, steps + 1)) + "\nh"
    inputs = {"x": x, "y": y}
    try:
        looped, plain = run_source(Source(text), inputs), run_source(Source(typed), inputs)
    except EvaluationError:
        assume(False)
        return
    assert looped.evaluation.value == plain.evaluation.value
    same = [repr(looped.evaluation.grads[i]) for i in looped.inputs]  # repr: nan is nan here
    assert same == [repr(plain.evaluation.grads[i]) for i in plain.inputs]
    assert_matches_finite_differences(text, _in_graph(text, inputs))
