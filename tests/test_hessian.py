"""Second derivatives: every op's second partials, Hessians of programs, --hessian and :hessian."""

from __future__ import annotations

import dataclasses
import json
import math
from functools import partial

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import run_gradcalc
from gradcalc import ops
from gradcalc.cli.app import main
from gradcalc.errors import EvaluationError
from gradcalc.gradcheck import STEP
from gradcalc.hessian import check_hessian, hessian
from gradcalc.ops import DIFFERENTIABLE
from helpers import point_in_domain, run
from test_gradient_properties import expressions, finite, used

H = 1e-6


def _rules(op: ops.Op, param: float = 1.7):
    bound = (param,) if op.parametric else ()
    return partial(op.forward, *bound), partial(op.local, *bound), partial(op.second, *bound)  # type: ignore[arg-type]


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
def test_every_ops_second_partials_are_finite_differences_of_its_first(op: ops.Op) -> None:
    forward, local, second = _rules(op)
    args = list(point_in_domain(op, 1.7))
    out = forward(*args)
    bends = second(*args, out)
    assert len(bends) == op.arity and all(len(row) == op.arity for row in bends)
    for m in range(op.arity):
        up, down = list(args), list(args)
        up[m] += H
        down[m] -= H
        slopes_up, slopes_down = local(*up, forward(*up)), local(*down, forward(*down))
        for k in range(op.arity):
            numeric = (slopes_up[k] - slopes_down[k]) / (2 * H)
            assert bends[k][m] == pytest.approx(numeric, rel=1e-5, abs=1e-6), (op.name, k, m)


@pytest.mark.parametrize("op", DIFFERENTIABLE, ids=lambda op: op.name)
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(a=finite, b=finite)
def test_every_ops_second_partials_hold_at_random_points(op: ops.Op, a: float, b: float) -> None:
    forward, local, second = _rules(op, 1.7)
    args = [a, b][: op.arity]
    try:
        out = forward(*args)
        bends = second(*args, out)
        shifted = []
        for m in range(op.arity):
            up, down = list(args), list(args)
            up[m] += H
            down[m] -= H
            shifted.append((local(*up, forward(*up)), local(*down, forward(*down))))
    except (ArithmeticError, ValueError):
        assume(False)
        return
    if op.kink is not None:
        assume(all(abs(x) > 1e-3 for x in args) and (op.arity == 1 or abs(a - b) > 1e-3))
    for m, (slopes_up, slopes_down) in enumerate(shifted):
        for k in range(op.arity):
            numeric = (slopes_up[k] - slopes_down[k]) / (2 * H)
            assume(math.isfinite(numeric) and abs(numeric) < 1e5)
            assert bends[k][m] == pytest.approx(numeric, rel=1e-4, abs=1e-4), (op.name, args, k, m)


def test_known_hessian_of_x2y_plus_y3() -> None:
    result = run("x^2*y + y^3", x=1, y=2)
    assert hessian(result.evaluation) == [[4.0, 2.0], [2.0, 12.0]]


def test_tanh_second_derivative_at_2() -> None:
    assert hessian(run("tanh(x)", x=2).evaluation)[0][0] == pytest.approx(-0.136219, abs=1e-6)
    assert hessian(run("tanh(x)", expanded=True, x=2).evaluation)[0][0] == pytest.approx(-0.136219, abs=1e-6)


def test_relu_has_second_derivative_zero_as_pytorch() -> None:
    assert hessian(run("relu(x)^2", x=0).evaluation) == [[0.0]]  # 2 relu'(0)^2 + 2 relu(0) relu''(0)
    assert hessian(run("relu(x)^2", x=1).evaluation) == [[2.0]]


def kink_within_the_step(text: str, expand: bool, inputs: dict[str, float], result) -> bool:
    """Whether a gate with a kink (max, relu, abs) takes another branch a finite difference's step away,
    on either side of some input: then the differences straddle the kink and mean nothing
    (``max(y, x^x^x)`` at x = y = 0.99999 differs by 82,570 from the exact 4)."""
    evaluation = result.evaluation
    kinked = [i for i in evaluation.order if evaluation.graph.nodes[i].op.kink is not None]
    if not kinked:
        return False
    for name, value in inputs.items():
        h = STEP * max(1.0, abs(value))
        sides = []
        for moved in (value - h, value + h):
            try:
                local = run(text, expanded=expand, **{**inputs, name: moved}).evaluation.local
            except EvaluationError:
                return True
            sides.append([local[i] for i in kinked])
        if sides[0] != sides[1]:
            return True
    return False


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])
@given(text=expressions(), x=finite, y=finite, expand=st.booleans())
def test_random_programs_hessians_match_finite_differences_of_the_gradient(text, x, y, expand) -> None:
    inputs = used({"x": x, "y": y}, text)
    assume(inputs)
    try:
        result = run(text, expanded=expand, **inputs)
    except EvaluationError:
        assume(False)
        return
    assume(not result.evaluation.warnings)
    assume(not kink_within_the_step(text, expand, inputs, result))
    check = check_hessian(result.evaluation, result.labels, 1e-4)
    for j, row in enumerate(check.numeric):
        for k, numeric in enumerate(row):
            assume(math.isfinite(numeric) and abs(numeric) < 1e5)
            # a kink within h (relu, abs, max near a tie) makes the differences meaningless
            assume(math.isfinite(check.exact[j][k]))
    assert check.ok, (text, inputs, check)
    assert all(check.exact[j][k] == check.exact[k][j] or math.isclose(check.exact[j][k], check.exact[k][j],
                                                                        rel_tol=1e-9, abs_tol=1e-12)
               for j in range(len(check.labels)) for k in range(len(check.labels)))


def test_eval_hessian_prints_the_matrix_and_json_gains_a_member() -> None:
    out = run_gradcalc("eval", "x^2*y + y^3", "x=1", "y=2", "--hessian")
    assert out.returncode == 0, out.stderr
    assert "Hessian: ∂²f/∂row ∂column" in out.stdout
    assert "│ x │ 4 │  2 │" in out.stdout and "│ y │ 2 │ 12 │" in out.stdout
    doc = json.loads(run_gradcalc("eval", "x^2*y + y^3", "x=1", "y=2", "--hessian", "--json").stdout)
    assert doc["hessian"] == {"x": {"x": 4.0, "y": 2.0}, "y": {"x": 2.0, "y": 12.0}}
    assert doc["gradients"] == {"x": 4.0, "y": 13.0}  # the existing members are unchanged
    plain = json.loads(run_gradcalc("eval", "x^2*y + y^3", "x=1", "y=2", "--json").stdout)
    assert "hessian" not in plain and plain.keys() <= doc.keys()


def test_hessian_check_agrees_and_reports_in_json() -> None:
    out = run_gradcalc("eval", "x^2*y + y^3", "x=1", "y=2", "--hessian", "--check", "--json")
    assert out.returncode == 0, out.stderr
    check = json.loads(out.stdout)["hessian_check"]
    assert check["ok"] is True
    assert check["finite_difference"]["y"]["y"] == pytest.approx(12.0, abs=1e-6)


def test_hessian_check_fails_on_a_wrong_second_rule_injected_through_the_op_table(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    wrong = dataclasses.replace(ops.SIN, second=lambda a, out: ((math.sin(a),),))  # sign flipped
    monkeypatch.setitem(ops.FUNCTIONS, "sin", wrong)
    with pytest.raises(SystemExit) as exit_:
        main(["eval", "sin(x)", "x=1", "--hessian", "--check"])
    assert exit_.value.code == 1
    out, err = capsys.readouterr()
    assert "DISAGREE" in out
    assert "hessian check failed: 1 of 1 second derivatives disagree" in err
    assert "∂²f/∂x∂x: exact 0.841471, finite difference -0.841471" in err


def test_repl_hessian_command() -> None:
    out = run_gradcalc("repl", stdin="x = 1\ny = 2\nf = x^2*y + y^3\n:hessian\n")
    assert out.returncode == 0, out.stderr
    assert "│ y │ 2 │ 12 │" in out.stdout


def test_hessian_of_a_collapsed_program_is_the_programs_own() -> None:
    """--collapse draws each call as one gate; the second derivatives are still those of the whole program,
    including an input read first inside the function's body (shared, so it stays outside the gate)."""
    args = ("eval", "f(x) = x^2*y; f(x) + y", "x=1", "y=2", "--hessian", "--json")
    plain = json.loads(run_gradcalc(*args).stdout)
    out = run_gradcalc(*args, "--collapse")
    assert out.returncode == 0, out.stderr
    collapsed = json.loads(out.stdout)
    assert collapsed["hessian"] == plain["hessian"] == {"x": {"x": 4.0, "y": 2.0}, "y": {"x": 2.0, "y": 0.0}}
    assert collapsed["gradients"] == plain["gradients"] == {"x": 4.0, "y": 2.0}
    assert [n["op"] for n in collapsed["nodes"]] == ["input", "input", "module", "add"]
