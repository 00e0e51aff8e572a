"""``--check``: backprop against central finite differences; a wrong rule in the op table must fail it."""

from __future__ import annotations

import dataclasses
import json
import math
import re
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from conftest import EXAMPLES, ROOT, run_gradcalc
from gradcalc import ops
from gradcalc.cli.app import main
from gradcalc.errors import GradcalcError
from gradcalc.gradcheck import DEFAULT_TOL, check_gradients, relative_error
from gradcalc.graph import Graph
from gradcalc.program import run_source, view_of
from gradcalc.source import Source


def gradcalc(*args: str) -> subprocess.CompletedProcess[str]:
    return run_gradcalc(*args, cwd=ROOT)


# Examples whose inputs come from a data file when they are trained get a data point here.
DATA_POINTS = {
    "line.gc": ("x=0.5", "y=2", "w=1.5", "b=-0.25"),
    "logistic.gc": ("x0=0.3", "x1=-1.2", "y=1", "w0=0.5", "w1=-2", "b=0.1"),
}


@pytest.mark.parametrize("example", sorted(EXAMPLES.glob("*.gc")), ids=lambda path: path.name)
@pytest.mark.parametrize("expand", [False, True], ids=["", "expanded"])
def test_check_passes_on_every_example(example: Path, expand: bool) -> None:
    done = gradcalc("run", str(example), *DATA_POINTS.get(example.name, ()), "--check", *(["--expand"] * expand))
    assert done.returncode == 0, done.stderr
    assert "gradient check (tol 1e-6): all agree" in done.stdout


def test_check_passes_on_the_seed_example() -> None:
    done = gradcalc("eval", "(x+y)*z", "x=1", "y=3", "z=-3", "--check")
    assert done.returncode == 0, done.stderr
    assert "gradient check (tol 1e-6): all agree" in done.stdout


def test_check_json_reports_both_gradients_and_the_error() -> None:
    done = gradcalc("eval", "x*y + sin(x)", "x=0.5", "y=-2", "--check", "--json")
    assert done.returncode == 0, done.stderr
    check = json.loads(done.stdout)["check"]
    assert check["ok"] is True and check["tol"] == DEFAULT_TOL
    x = check["inputs"]["x"]
    assert x["backprop"] == pytest.approx(-2 + math.cos(0.5), rel=1e-15)
    assert x["finite_difference"] == pytest.approx(x["backprop"], rel=1e-8)
    assert x["error"] < 1e-8


@pytest.fixture
def wrong_product_rule(monkeypatch: pytest.MonkeyPatch) -> None:
    """``*`` with a deliberately wrong local partial for its second argument: d(a*b)/db = a + 1."""
    wrong = dataclasses.replace(ops.MUL, local=lambda a, b, out: (b, a + 1.0))
    monkeypatch.setitem(ops.INFIX, "*", wrong)


def test_check_fails_on_a_wrong_gradient_injected_through_the_op_table(
    wrong_product_rule: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["eval", "x*y", "x=2", "y=3", "--check"])
    assert exit_.value.code == 1
    out, err = capsys.readouterr()
    assert "DISAGREE" in out
    assert "gradient check failed: 1 of 2 gradients disagree" in err
    assert "∂f/∂y: backprop 3, finite difference 2" in err  # x is right, y is not
    assert "Traceback" not in err


def test_without_check_the_wrong_gradient_goes_unnoticed(
    wrong_product_rule: None, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_:
        main(["eval", "x*y", "x=2", "y=3"])
    assert exit_.value.code == 0
    assert "∂f/∂y = 3" in capsys.readouterr().out


def test_a_kink_fails_the_check_with_a_hint_and_tol_can_accept_it() -> None:
    done = gradcalc("eval", "relu(x)", "x=0", "--check")
    assert done.returncode == 1
    assert "backprop 0, finite difference 0.5" in done.stderr
    assert "no derivative" in done.stderr
    assert gradcalc("eval", "relu(x)", "x=0", "--check", "--tol", "0.5").returncode == 0


def test_near_the_edge_of_a_domain_the_step_shrinks_with_the_input() -> None:
    report = check_gradients(run_source(Source("log(x)"), {"x": 1e-7}))
    (check,) = report.checks
    assert report.ok and check.numeric == pytest.approx(1e7, rel=1e-8)


def test_an_output_that_cannot_be_evaluated_nearby_fails_the_check() -> None:
    report = check_gradients(run_source(Source("sqrt(x)"), {"x": 0.0}))
    (check,) = report.checks
    assert not report.ok and check.numeric is None and "sqrt" in (check.problem or "")
    with pytest.raises(GradcalcError, match="no finite difference"):
        raise report.error()


def test_the_check_leaves_the_graph_as_it_found_it() -> None:
    result = run_source(Source("x*y"), {"x": 2.0, "y": 3.0})
    check_gradients(result)
    assert [result.graph.nodes[i].param for i in result.inputs] == [2.0, 3.0]


def test_relative_error_is_absolute_for_small_gradients() -> None:
    assert relative_error(1e-12, 0.0) == 1e-12
    assert relative_error(1000.0, 1001.0) == pytest.approx(1 / 1001)


_POINT = st.floats(-1.4, 1.4).filter(lambda v: abs(v) >= 0.1)


@pytest.mark.parametrize("op", ops.DIFFERENTIABLE, ids=lambda op: op.name)
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.filter_too_much])  # acosh: x >= 1
@given(a=_POINT, b=_POINT, c=_POINT)
def test_every_op_in_the_table_passes_the_check(op: ops.Op, a: float, b: float, c: float) -> None:
    graph = Graph()
    args = tuple(graph.set_input(name, value) for name, value in zip("ab", (a, b)))[: op.arity]
    output = graph.add(op, args, param=c if op.parametric else None)
    try:
        result = view_of(graph, output)
    except GradcalcError:
        assume(False)  # outside the op's domain, e.g. a negative base with a fractional power
        raise
    assume(not result.evaluation.warnings)  # no kink, no infinite gradient
    lead = (c,) if op.parametric else ()
    assume(_barely_change(lambda p: op.local(*lead, *p, op.forward(*lead, *p)), (a, b)[: op.arity]))
    report = check_gradients(result)
    assert report.ok, report.error().message


def _barely_change(slopes: Callable[[tuple[float, ...]], tuple[float, ...]], point: tuple[float, ...]) -> bool:
    """Whether ``slopes`` change by under 1% with each coordinate a thousandth away: central differences
    are only as exact as --check's tolerance where the curve bends gently (not at asin(0.998), atanh(-0.99999),
    near the edge of their domain, nor at a near-tie of max)."""
    moved = [tuple(v * (1.0 + d) if j == k else v for j, v in enumerate(point)) for k in range(len(point))
             for d in (-1e-3, 1e-3)]  # fmt: skip
    try:
        here, near = slopes(point), [slopes(p) for p in moved]
    except (ArithmeticError, ValueError, GradcalcError):
        return False  # the edge of the domain is a thousandth away
    return all(abs(n - h) <= 1e-2 * max(1.0, abs(h)) for other in near for n, h in zip(other, here))


def _programs() -> st.SearchStrategy[str]:
    """Random expressions over x and y built from the op table's operators and functions."""
    leaves = st.sampled_from(["x", "y", "2", "0.5", "3"])
    unary = [name for name, op in ops.FUNCTIONS.items() if op.arity == 1]
    binary = [name for name, op in ops.FUNCTIONS.items() if op.arity == 2]

    def grow(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
        return st.one_of(
            st.tuples(inner, st.sampled_from(sorted(ops.INFIX)), inner).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
            st.tuples(st.sampled_from(unary), inner).map(lambda t: f"{t[0]}({t[1]})"),
            st.tuples(st.sampled_from(binary), inner, inner).map(lambda t: f"{t[0]}({t[1]}, {t[2]})"),
            inner.map(lambda e: f"-{e}"),
        )

    return st.recursive(leaves, grow, max_leaves=6).filter(lambda text: re.search(r"\b[xy]\b", text) is not None)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(program=_programs(), x=st.floats(0.2, 1.3), y=st.floats(-1.3, -0.2))
def test_random_programs_pass_the_check(program: str, x: float, y: float) -> None:
    try:
        result = run_source(Source(program), {"x": x, "y": y})
    except GradcalcError:
        assume(False)  # outside a domain: log of a negative number, a fractional power of one
        raise
    grads = [result.evaluation.grads[i] for i in result.inputs]
    assume(not result.evaluation.warnings and abs(result.evaluation.value) < 1e6)
    assume(all(abs(g) < 1e6 for g in grads))
    assume(_barely_change(lambda p: _gradients(program, p), (x, y)))
    report = check_gradients(result, tol=1e-5)
    assert report.ok, (program, report.error().message)


def _gradients(program: str, point: tuple[float, ...]) -> tuple[float, ...]:
    result = run_source(Source(program), dict(zip("xy", point)))
    return tuple(result.evaluation.grads[i] for i in result.inputs)


@pytest.mark.parametrize(
    ("program", "values", "gradients"),
    [
        ("-x / b", ("x=1e-281", "b=5e-142"), {"x": -2e141, "b": 40.0}),  # b ± 6e-6 straddled the pole at 0
        ("1/x", ("x=0.001",), {"x": -1e6}),  # the wide step's difference was off by 3.7e-5
        ("1e6 + x", ("x=1e-12",), {"x": 1.0}),  # a step of 1e-12's scale does not change 1e6 + x: the wide one
    ],
)
def test_the_check_steps_on_the_scale_where_the_difference_converges(
    program: str, values: tuple[str, ...], gradients: dict[str, float]
) -> None:
    """Below |x| = 1 the check also tries a step scaled by |x|: a correct gradient beside a pole agrees."""
    done = gradcalc("eval", program, *values, "--check", "--json")
    assert done.returncode == 0, done.stderr
    check = json.loads(done.stdout)["check"]
    assert check["ok"] is True
    assert json.loads(done.stdout)["gradients"] == pytest.approx(gradients, rel=1e-12)


def test_the_check_agrees_where_the_narrow_step_loses_the_digits() -> None:
    """log(exp(w)) at w = 3e-138 (seed 4711, batch 39): exp(w ± 3e-144) is 1, so the narrow step's
    difference is 0; the wide step's is 1, as backprop says."""
    done = gradcalc("eval", "log(exp(w))", "w=3.185993036843015e-138", "--check", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["check"]["inputs"]["w"]["finite_difference"] == pytest.approx(1.0, rel=1e-6)
