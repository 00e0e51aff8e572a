"""100,000-node programs and 10,000-deep nesting, at Python's default recursion limit."""

from __future__ import annotations

import json
import sys
import tracemalloc

import pytest

from gradcalc.program import run_source
from gradcalc.source import Source
from gradcalc.views.json_view import render_json

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


def _peak_mb(run):
    """Run ``run()`` and return (its result, the peak of Python's allocations meanwhile, in MB)."""
    tracemalloc.start()
    try:
        value = run()
        return value, tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()


def test_reassignment_chain_of_100000_statements_gives_the_gradient():
    """h = h + x and h = h * 1.0001 alternating, as generated programs are: linear time and memory."""
    n = 100_000
    lines = ["x = 0.5", "h = x * 1.0001"] + ["h = h * 1.0001" if i % 2 else "h = h + x" for i in range(n - 2)]
    h, dh = 0.5 * 1.0001, 1.0001  # the value and dh/dx, carried forwards
    for i in range(n - 2):
        h, dh = (h * 1.0001, dh * 1.0001) if i % 2 else (h + 0.5, dh + 1.0)
    result, peak = _peak_mb(lambda: run_source(Source("\n".join(lines))))
    ev = result.evaluation
    assert ev.value == pytest.approx(h, rel=1e-12)
    assert ev.grads[ev.inputs[0]] == pytest.approx(dh, rel=1e-12)
    assert len(ev.order) == n + n // 2
    assert all(len(result.labels[i]) <= 8 for i in ev.order)  # h, h', ... never 100,000 primes
    assert peak < 150, f"{peak:.0f} MB"
    text = render_json(result)
    assert json.loads(text)["gradients"] == {"x": pytest.approx(dh, rel=1e-12)}
    assert len(text) < 250 * len(ev.order)  # a bounded size per node


def test_sum_of_100000_products_with_its_inputs_assigned_gives_every_gradient():
    n = 100_000
    lines = [f"w{i} = {i % 7}" for i in range(n)] + [f"x{i} = 0.5" for i in range(n)]
    lines.append(" + ".join(f"w{i}*x{i}" for i in range(n)))
    result, peak = _peak_mb(lambda: run_source(Source("\n".join(lines))))
    ev = result.evaluation
    assert ev.value == 0.5 * sum(i % 7 for i in range(n))
    grads = {result.labels[i]: ev.grads[i] for i in ev.inputs}
    assert len(grads) == 2 * n
    assert all(grads[f"w{i}"] == 0.5 and grads[f"x{i}"] == i % 7 for i in range(n))
    assert peak < 400, f"{peak:.0f} MB"


# -- the REPL after 10,000 statements -------------------------------------------------------------------


def _reassignments(n: int) -> list[str]:
    return ["x = 0.5", "h = x * 1.0001"] + ["h = h * 1.0001" if i % 2 else "h = h + x" for i in range(n - 2)]


def test_repl_after_10000_reassignments_shows_each_value_and_its_save_replays_exactly(tmp_path, gradcalc):
    """Each line shows its value (the session's value cache: no pass over the whole chain), and the saved
    program, run by ``gradcalc run``, gives the same value, gradient and labels as the session's last result."""
    from gradcalc.repl.commands import run_line
    from gradcalc.repl.outcomes import Assigned
    from gradcalc.repl.session import Session

    session = Session()
    h = 0.0
    for number, line in enumerate(_reassignments(10_000), start=1):
        outcomes = run_line(session, line, number)
        if line.startswith("h = x"):
            h = 0.5 * 1.0001
        elif line.startswith("h"):
            h = h * 1.0001 if "*" in line else h + 0.5
            (shown,) = outcomes
            assert isinstance(shown, Assigned) and shown.value == pytest.approx(h, rel=1e-12)
    run_line(session, "x = 0.75")  # in place: every later value changes, and the cache must know
    (last,) = run_line(session, "h")
    expected = run_source(Source("\n".join(["x = 0.75", *_reassignments(10_000)[1:]])))
    assert last.result.evaluation.value == expected.evaluation.value

    saved = tmp_path / "session.gc"
    run_line(session, f":save {saved}")
    out = gradcalc("run", str(saved), "--json", timeout=120)
    assert out.returncode == 0, out.stderr
    replayed = json.loads(out.stdout)
    assert json.loads(render_json(last.result)) == replayed
