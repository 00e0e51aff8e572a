"""The Python API's second derivatives and trace: ``Result.hessian``, ``Result.trace``, ``Session.hessian``.

Each equals what the command line prints with ``--json`` on the known answers of issue 13: the Hessian of
x²y + y³ at (1, 2) is [[4, 2], [2, 12]]; Baydin et al.'s f = ln x₁ + x₁x₂ − sin x₂ at (2, 5) has
f = 11.652071, the tangent 5.5 seeded at x₁, and the adjoints 5.5 and 1.716338.
"""

from __future__ import annotations

import json

import pytest

import gradcalc
from conftest import run_gradcalc

BAYDIN = ("log(x1) + x1*x2 - sin(x2)", {"x1": 2, "x2": 5})


def cli_json(*args: str) -> dict[str, object]:
    done = run_gradcalc(*args, "--json")
    assert done.returncode == 0, done.stderr
    document: dict[str, object] = json.loads(done.stdout)
    return document


def test_hessian_is_the_json_member_of_eval_hessian() -> None:
    result = gradcalc.evaluate("x^2*y + y^3", x=1, y=2)
    assert result.hessian() == {"x": {"x": 4.0, "y": 2.0}, "y": {"x": 2.0, "y": 12.0}}
    assert result.hessian() == cli_json("eval", "x^2*y + y^3", "x=1", "y=2", "--hessian")["hessian"]


@pytest.mark.parametrize(
    ("program", "inputs"),
    [BAYDIN, ("tanh(w*x + b)^2", {"w": 0.5, "x": -1.5, "b": 0.25}), ("grad(x^3*y, x)", {"x": 2, "y": -1})],
)
def test_hessian_equals_the_command_line_on_other_programs(program: str, inputs: dict[str, float]) -> None:
    arguments = [f"{k}={v}" for k, v in inputs.items()]
    expected = cli_json("eval", program, *arguments, "--hessian")["hessian"]
    assert gradcalc.evaluate(program, **inputs).hessian() == expected


def test_the_hessian_of_a_second_derivative_is_its_fourth_derivative() -> None:
    assert gradcalc.evaluate("grad(grad(x^5, x), x)", x=2).hessian() == {"x": {"x": 240.0}}  # 120 x


def test_hessian_keeps_the_expanded_results_inputs() -> None:
    plain = gradcalc.evaluate("sigmoid(w*x)", w=0.5, x=2).hessian()
    expanded = gradcalc.evaluate("sigmoid(w*x)", w=0.5, x=2, expand=True).hessian()
    assert expanded.keys() == plain.keys()
    for row in plain:
        for column in plain[row]:
            assert expanded[row][column] == pytest.approx(plain[row][column], rel=1e-12)


def test_trace_is_the_trace_command_as_data_and_as_text() -> None:
    program, inputs = BAYDIN
    result = gradcalc.evaluate(program, **inputs)
    document = result.trace()
    assert document == cli_json("trace", program, "x1=2", "x2=5")
    rows = document["rows"]
    assert [round(row["adjoint"], 6) for row in rows[:2]] == [5.5, 1.716338]
    assert round(rows[-1]["value"], 6) == 11.652071 and rows[-1]["tangent"] == 5.5
    assert document["passes"] == {"forward": 2, "reverse": 1}
    done = run_gradcalc("trace", program, "x1=2", "x2=5", "--json")
    assert result.trace(format="json") == done.stdout
    for fmt in ("markdown", "latex"):
        done = run_gradcalc("trace", program, "x1=2", "x2=5", "-f", fmt)
        assert result.trace(format=fmt) == done.stdout


def test_trace_seeds_the_tangent_where_asked() -> None:
    program, inputs = BAYDIN
    seeded = gradcalc.evaluate(program, **inputs).trace(wrt="x2")
    assert seeded == cli_json("trace", program, "x1=2", "x2=5", "--wrt", "x2")
    assert seeded["wrt"] == "x2" and round(seeded["rows"][-1]["tangent"], 6) == 1.716338


def test_trace_as_rich_is_a_renderable() -> None:
    from rich.console import Console

    console = Console(width=120, record=True, color_system=None)
    console.print(gradcalc.evaluate(*BAYDIN[:1], **BAYDIN[1]).trace(format="rich"))
    assert "evaluation trace: tangent seeded at x1" in console.export_text()


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda r: r.trace(format="html"), "unknown trace format 'html'"),
        (lambda r: r.trace(wrt="z"), "--wrt z: not an input of the program"),
        (lambda r: r.trace(wrt=3), "wrt is an input's name"),
        (lambda r: r.trace(format="markdown", precision=-1), "precision must be a whole number"),
    ],
)
def test_bad_trace_options_are_usage_errors(call, message) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(gradcalc.UsageError, match=message):
        call(gradcalc.evaluate(BAYDIN[0], **BAYDIN[1]))


def test_a_constant_program_has_no_trace_and_an_empty_hessian() -> None:
    result = gradcalc.evaluate("2 + 3")
    assert result.hessian() == {}
    with pytest.raises(gradcalc.UsageError, match="no inputs"):
        result.trace()


def test_session_hessian_is_the_colon_command_and_its_result_gives_the_numbers(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    monkeypatch.delenv("COLUMNS", raising=False)
    s = gradcalc.Session()
    s.run("x = 1; y = 2; f = x^2*y + y^3")
    line = s.hessian()
    assert str(line) == str(s.run(":hessian"))
    assert "Hessian: ∂²f/∂row ∂column" in str(line)
    assert line.result is not None and line.result.hessian() == {"x": {"x": 4.0, "y": 2.0}, "y": {"x": 2.0, "y": 12.0}}
    s.run("x = 3")  # the matrix follows the input changed in place
    assert s.hessian("f").result.hessian()["x"] == {"x": 4.0, "y": 6.0}  # type: ignore[union-attr]


def test_nodes_carry_their_derivative_order() -> None:
    result = gradcalc.evaluate("grad(grad(x^3, x), x)", x=2)
    document = result.to_dict()["nodes"]
    assert [node.order for node in result.nodes] == [row.get("order", 0) for row in document] == [0, 1, 2, 2, 2]
    assert all(node.order == 0 for node in gradcalc.evaluate("(x+y)*z", x=1, y=3, z=-3).nodes)
