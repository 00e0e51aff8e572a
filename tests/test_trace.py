"""Forward mode and the evaluation trace: Baydin et al.'s example, and tangents against reverse mode."""

from __future__ import annotations

import json
import math

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import run_gradcalc
from gradcalc.errors import EvaluationError
from gradcalc.forward_mode import tangents
from helpers import run
from test_gradient_properties import expressions, finite, used

BAYDIN = "log(x1) + x1*x2 - sin(x2)"


def test_baydin_trace_shows_primal_tangent_and_adjoint_of_every_node():
    out = run_gradcalc("trace", BAYDIN, "x1=2", "x2=5")
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("│")]
    cells = [[c.strip() for c in row.strip("│").split("│")] for row in rows]
    assert cells == [
        ["x1", "v₋₁ = x1 = 2", "1", "5.5"],
        ["x2", "v₀ = x2 = 5", "0", "1.716338"],
        ["p", "v₁ = log(v₋₁) = 0.693147", "0.5", "1"],
        ["q", "v₂ = v₋₁ * v₀ = 10", "5", "1"],
        ["r", "v₃ = v₁ + v₂ = 10.693147", "5.5", "1"],
        ["s", "v₄ = sin(v₀) = -0.958924", "0", "-1"],
        ["f", "v₅ = v₃ - v₄ = 11.652071", "5.5", "1"],
    ]
    assert "the whole gradient takes 2 passes, one per input" in out.stdout
    assert "∂f/∂x1 = 5.5, ∂f/∂x2 = 1.716338 (the inputs' adjoints): 1 pass, one per output" in out.stdout


def test_trace_json_seeded_at_the_second_input():
    out = run_gradcalc("trace", BAYDIN, "x1=2", "x2=5", "--wrt", "x2", "--json")
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["wrt"] == "x2"
    assert doc["output"]["value"] == pytest.approx(11.652071455)
    assert [row["id"] for row in doc["rows"]] == ["v-1", "v0", "v1", "v2", "v3", "v4", "v5"]
    assert doc["rows"][-1]["tangent"] == pytest.approx(1.716338, abs=1e-6)  # cos(5) + 2 seeded at x2
    assert doc["rows"][4]["inputs"] == ["v1", "v2"]
    assert doc["passes"] == {"forward": 2, "reverse": 1}


def test_trace_markdown_and_latex():
    markdown = run_gradcalc("trace", BAYDIN, "x1=2", "x2=5", "-f", "markdown").stdout
    assert "| q | v₂ = v₋₁ \\* v₀ = 10 | 5 | 1 |" in markdown
    latex = run_gradcalc("trace", BAYDIN, "x1=2", "x2=5", "-f", "latex").stdout
    assert r"$v_{4} = \sin(v_{0}) = -0.958924$ & $\dot v_{4} = 0$ & $\bar v_{4} = -1$ \\" in latex
    assert r"$\partial f / \partial x_{2} = 1.716338$" in latex


def test_trace_wrt_a_name_that_is_not_an_input_is_a_usage_error():
    out = run_gradcalc("trace", BAYDIN, "x1=2", "x2=5", "--wrt", "z")
    assert out.returncode == 2
    assert "--wrt z: not an input of the program" in out.stderr
    assert "its inputs: x1, x2" in out.stderr


def test_trace_of_a_program_without_inputs_says_so():
    out = run_gradcalc("trace", "2*3")
    assert out.returncode == 2
    assert "has no inputs" in out.stderr


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(text=expressions(), x=finite, y=finite, expand=st.booleans())
def test_forward_mode_tangents_equal_reverse_mode_gradients(text, x, y, expand):
    inputs = used({"x": x, "y": y}, text)
    assume(inputs)
    try:
        result = run(text, expanded=expand, **inputs)
    except EvaluationError:
        assume(False)
        return
    evaluation = result.evaluation
    for i in evaluation.inputs:
        reverse = evaluation.grads[i]
        assume(math.isfinite(reverse))
        assert tangents(evaluation, i)[evaluation.output] == pytest.approx(reverse, rel=1e-9, abs=1e-12), text


LOOP = "h = x; for t in 1..100 { h = tanh(h*w + t) }; h"  # 302 nodes


def test_a_long_trace_shows_its_first_and_last_rows_in_the_terminal_and_every_row_in_markdown():
    """Rich lays out a row in about 2 ms: 3,000 rows took 5 s. The text formats keep every row."""
    out = run_gradcalc("trace", LOOP, "x=1", "w=0.5")
    assert out.returncode == 0, out.stderr
    rows = [line for line in out.stdout.splitlines() if line.startswith("│")]
    assert len(rows) == 201  # the first 100, a row of "…", the last 100
    assert rows[0].split("│")[1].strip() == "x" and rows[100].split("│")[1].strip() == "…"
    assert "v₃₀₀ = tanh(v₂₉₉)" in rows[-1]
    assert "… 102 more rows (-f markdown, -f latex and --json show them all)" in out.stdout
    markdown = run_gradcalc("trace", LOOP, "x=1", "w=0.5", "-f", "markdown").stdout
    assert sum(line.startswith("| ") for line in markdown.splitlines()) == 1 + 302  # the header, every node


def test_rows_sets_how_long_a_trace_shows_in_full():
    every = run_gradcalc("trace", LOOP, "x=1", "w=0.5", "--rows", "0")
    assert every.returncode == 0, every.stderr
    assert sum(line.startswith("│") for line in every.stdout.splitlines()) == 302
    assert "more rows" not in every.stdout
    few = run_gradcalc("trace", LOOP, "x=1", "w=0.5", "--rows", "10").stdout
    assert sum(line.startswith("│") for line in few.splitlines()) == 11  # the first 5, "…", the last 5
    assert "… 292 more rows (-f markdown, -f latex and --json show them all)" in few
