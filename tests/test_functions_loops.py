"""Functions (modules, shared weights) and loops (backprop through time), as a user sees them."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from gradcalc.errors import EvaluationError, GradcalcError, ProgramSyntaxError
from gradcalc.graph import Graph
from gradcalc.lowering import MAX_STEPS, MAX_UNROLLED, lower
from gradcalc.parser import gc_paused, parse
from gradcalc.scopes import result_scopes, step_contributions
from gradcalc.source import Source
from gradcalc.views.dot import render_dot
from gradcalc.views.json_view import document, render_json
from helpers import gradients, run
from repl_support import run_gradcalc

RNN = "h = 0; w = 0.5; for t in 1..3 { h = tanh(w*h + 1) }"
TWO_CALLS = "f(x) = x^2 + 1; x = 3; y = f(f(x))"


def error_of(text: str, **inputs: float) -> GradcalcError:
    with pytest.raises(GradcalcError) as caught:
        run(text, **inputs)
    return caught.value


# -- the known answers ----------------------------------------------------------------------------


def test_a_function_called_on_its_own_result_gives_101_and_120(tmp_path: Path):
    done = run_gradcalc("eval", TWO_CALLS, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == ["y = 101", "∂y/∂x = 120"]


def test_a_call_of_constants_is_a_constant():
    result = run("f(x) = x^2 + 1; y = f(f(3))")
    assert result.evaluation.value == 101


def test_each_call_has_its_own_nodes_and_its_own_cluster():
    result = run(TWO_CALLS)
    scopes = result_scopes(result)
    assert sorted(scopes.names.values()) == ["f #1", "f #2"]
    dot = render_dot(result)
    assert dot.count("subgraph cluster_") == 2
    assert "f #1</font>" in dot and "f #2</font>" in dot


def test_the_recurrence_gives_the_known_state_gradient_and_steps(tmp_path: Path):
    done = run_gradcalc("eval", RNN, home=tmp_path)
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert lines[-4] == "h''' = 0.893811"
    assert lines[-2] == "∂h'''/∂w = 0.19432"
    assert lines[-1] == "  = 0 (t = 1) + 0.0171238 (t = 2) + 0.177196 (t = 3)"


def test_the_steps_contributions_are_the_known_ones_and_add_up_to_the_gradient():
    result = run(RNN)
    (split,) = [s for s in step_contributions(result) if result.labels[s.node] == "w"]
    assert [name for name, _ in split.parts] == ["t = 1", "t = 2", "t = 3"]
    assert [round(value, 6) for _, value in split.parts] == [0, 0.017124, 0.177196]
    assert round(split.total, 6) == 0.194320
    assert sum(value for _, value in split.parts) == pytest.approx(split.total, abs=1e-15)


def test_a_loop_over_a_list_sums_into_s():
    result = run("s = 0; w = 2; for x in [1, 2, 3] { s = s + w*x }")
    assert result.evaluation.value == 12
    assert gradients(result)["w"] == 6


def test_a_loop_is_exactly_its_statements_typed_out():
    looped = run(RNN)
    typed = run("h = 0; w = 0.5\n" + "\n".join(["h = tanh(w*h + 1)"] * 3))
    assert looped.evaluation.value == typed.evaluation.value
    assert gradients(looped) == gradients(typed)
    assert len(looped.graph.nodes) == len(typed.graph.nodes)


def test_shared_weights_get_the_sum_of_every_calls_contribution():
    called = run("x = 0.3; w = 2; b = 0.5; layer(v) = tanh(w*v + b); y = layer(layer(x))")
    inlined = run("x = 0.3; w = 2; b = 0.5; y = tanh(w*tanh(w*x + b) + b)")
    assert called.evaluation.value == inlined.evaluation.value
    assert gradients(called) == gradients(inlined)


def test_a_block_body_has_local_names_and_ends_with_its_value():
    result = run("sig(t) = { e1 = exp(-t); 1/(1 + e1) }; z = 0.3; y = sig(z)")
    assert result.evaluation.value == pytest.approx(1 / (1 + 2.718281828459045**-0.3))
    assert "e1" not in result.graph.bindings  # local to the body


def test_a_multi_line_block_body():
    result = run("f(a, b) = {\n  c = a*b\n  c + 1\n}\nx = 2; y = 5\nf(x, y)")
    assert result.evaluation.value == 11
    assert gradients(result) == {"x": 5, "y": 2}


def test_redefining_a_function_replaces_it_for_later_calls():
    result = run("f(x) = x + 1; a = 2; p = f(a); f(x) = 10*x; q = f(a); q")
    assert result.evaluation.value == 20


def test_loops_nest_and_the_counter_is_a_constant():
    result = run("a = 0; for t in 1..3 { for s in [1, 2] { a = a + t*s } }")
    assert result.evaluation.value == 18
    assert gradients(result) == {"a": 1}
    names = set(result_scopes(result).names.values())
    assert {"t = 1", "t = 3", "s = 1", "s = 2"} <= names


def test_a_function_called_in_a_loop_and_a_loop_in_a_function():
    result = run("w = 0.5; cell(v) = tanh(w*v + 1); h = 0; for t in 1..3 { h = cell(h) }")
    assert result.evaluation.value == run(RNN).evaluation.value
    power = run("p(x) = { y = 1; for k in 1..4 { y = y*x }; y }; a = 2; p(a)")
    assert power.evaluation.value == 16 and gradients(power) == {"a": 32}


def test_a_range_with_no_steps_changes_nothing():
    result = run("a = 1; for t in 3..1 { a = a + 1 }; a")
    assert result.evaluation.value == 1


# -- errors ---------------------------------------------------------------------------------------


def test_a_builtin_name_cannot_be_defined_and_the_caret_is_under_it():
    error = error_of("sin(x) = 2*x")
    assert "sin is a built-in function" in error.message
    assert error.render().splitlines()[2] == "  | ^^^"
    assert "grad is a built-in function" in error_of("grad(e, x) = e").message  # the derivative, grad(EXPR, NAME)


def test_the_wrong_number_of_arguments_is_an_error_at_the_call():
    error = error_of("f(x) = x; f(1, 2)")
    assert error.message == "f takes 1 argument, not 2"
    assert error.render().splitlines()[2] == "  |           ^^^^^^^"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("f(x) = f(x)", "f calls itself"),
        ("f(x) = g(x); g(x) = f(x) + 1", "g calls itself through g → f → g"),
        ("f(x) = { a = x; f(a) }", "f calls itself"),
    ],
)
def test_recursion_is_an_error_at_the_definition(text, message):
    error = error_of(text)
    assert isinstance(error, EvaluationError) and error.message.startswith(message)
    assert "^" in error.render()


def test_a_parameter_must_be_a_name():
    error = error_of("f(2) = 3")
    assert isinstance(error, ProgramSyntaxError) and "must be a name" in error.message


def test_a_function_used_as_a_value_says_to_call_it():
    error = error_of("f(x) = x; y = f + 1")
    assert error.hint == "f is a function: call it as f(...)"


def test_the_loop_counter_cannot_be_assigned():
    assert "counts the loop's steps" in error_of("for t in 1..3 { t = 2 }").message


def test_a_loop_range_must_be_constant():
    error = error_of("n = 3; a = 0; for t in 1..n { a = a + t }")
    assert "must be constants" in error.message


def test_a_huge_loop_is_refused_at_once_naming_it():
    started = time.perf_counter()
    error = error_of("h = 0; for t in 1..1e12 { h = h + t }")
    assert time.perf_counter() - started < 1
    assert error.message == "the loop 'for t in 1..1e12' takes 1,000,000,000,000 steps"


def test_a_loop_whose_steps_would_add_too_many_nodes_is_refused_after_its_first():
    started = time.perf_counter()
    error = error_of("w = 1; h = 0; for t in 1..300000 { h = tanh(w*h + 1) }")
    assert time.perf_counter() - started < 1
    assert error.message.startswith(f"the loop 'for t in 1..300000' would add more than {MAX_UNROLLED:,} nodes")


def doubling(levels: int, factor: float = 1.5) -> str:
    """f0(x) = x*factor, and each f_k calls f_(k-1) twice: a call of f_k makes 2^(k+1) - 2 calls."""
    return f"f0(x) = x*{factor}\n" + "\n".join(f"f{k}(x) = f{k - 1}(f{k - 1}(x))" for k in range(1, levels + 1))


@pytest.mark.parametrize("argument", ["x", "2"])  # with 2 every call folds to a constant: no node is ever made
def test_calls_that_double_at_each_level_are_refused_before_the_first_is_made(argument: str):
    started = time.perf_counter()
    error = error_of(f"x = 1\n{doubling(39)}\ny = f39({argument})")
    assert time.perf_counter() - started < 1
    assert error.message == f"the call 'f39({argument})' would take more than {MAX_STEPS:,} steps"
    assert "loop steps and calls, nested ones included" in (error.hint or "")


def test_calls_that_double_under_the_step_cap_are_made():
    result = run(f"{doubling(12, 1.0001)}\nx = 1\ny = f12(x)")  # 8,190 calls
    assert result.evaluation.value == pytest.approx(1.0001 ** (2**12), rel=1e-12)


def test_nested_loops_whose_steps_pass_the_cap_are_refused_after_the_first_outer_step():
    started = time.perf_counter()
    error = error_of("for i in 1..3000 { for j in 1..3000 { q = j } }; q")  # no node is made after the first
    assert time.perf_counter() - started < 1
    assert error.message == f"the loop 'for i in 1..3000' would take more than {MAX_STEPS:,} steps"


def test_the_calls_a_loop_makes_count_as_its_steps():
    error = error_of("f(a) = 2*a; for i in 1..1000 { for j in 1..999 { q = f(j) } }; q")
    assert error.message == f"the loop 'for i in 1..1000' would take more than {MAX_STEPS:,} steps"
    assert run("f(a) = 2*a; for i in 1..100 { for j in 1..99 { q = f(j) } }; q").evaluation.value == 198


def test_deep_calls_and_nested_loops_need_no_recursion():
    """Loops nested 3,000 deep and a chain of 999 functions, each calling the one before through a block:
    lowered, evaluated, drawn and collapsed at the default recursion limit."""
    nested = "a = 1; b = a\n" + "".join(f"for k{i} in [1] {{ " for i in range(3000)) + "b = b*a" + " }" * 3000
    chain = "a = 1\nf0(x) = x*a\n" + "\n".join(f"f{k}(x) = {{ y = f{k - 1}(x); y }}" for k in range(1, 999))
    for text, gradient in ((nested, 2), (chain + "\nf998(a)", 2)):  # a*a, at the end of either
        result = run(text)
        assert result.evaluation.value == 1 and gradients(result) == {"a": gradient}
        assert render_dot(result).count("subgraph cluster_") >= 999
        render_json(result)
        assert run_source_collapsed(text).evaluation.value == 1


# -- views ----------------------------------------------------------------------------------------


def test_json_names_each_nodes_call_and_only_those_nodes_get_the_field():
    result = run(TWO_CALLS)
    doc = document(result)
    scopes = [row.get("scope") for row in doc["nodes"]]
    assert scopes[0] is None  # the input x
    assert {tuple(s) for s in scopes if s} == {("f #1",), ("f #2",)}
    assert json.loads(render_json(result)) == doc
    plain = document(run("(x+y)*z", x=1, y=3, z=-3))
    assert all("scope" not in row for row in plain["nodes"])


def test_the_table_has_an_in_column_only_with_calls_or_loops(tmp_path: Path):
    with_loop = run_gradcalc("eval", RNN, home=tmp_path).stdout
    assert "┃ in " in with_loop and "│ t = 3 │" in with_loop
    plain = run_gradcalc("eval", "(x+y)*z", "x=1", "y=3", "z=-3", home=tmp_path).stdout
    assert "┃ in " not in plain


def test_expanded_graphs_keep_their_clusters():
    result = run("sig(t) = sigmoid(t); a = 1; y = sig(a) * sig(2*a)", expanded=True)
    assert sorted(set(result_scopes(result).names.values())) == ["sig #1", "sig #2"]
    assert render_dot(result).count("subgraph cluster_") == 2


# -- the REPL -------------------------------------------------------------------------------------


def test_repl_defines_on_one_line_calls_on_the_next_and_replays_its_save(tmp_path: Path):
    saved = tmp_path / "session.gc"
    session = f"sq(x) = x^2 + 1\na = 3\nb = sq(sq(a))\n:funcs\n:save {saved}\n"
    done = run_gradcalc(stdin=session, home=tmp_path)
    assert done.returncode == 0, done.stderr
    out = done.stdout.splitlines()
    assert out[:3] == ["defined sq(x)", "a = 3", "b = 101"]
    assert "sq(x) = x^2 + 1" in out
    replay = run_gradcalc("run", str(saved), home=tmp_path)
    assert replay.returncode == 0, replay.stderr
    assert replay.stdout.splitlines()[-2:] == ["b = 101", "∂b/∂a = 120"]


def test_repl_survives_function_errors_and_keeps_the_old_definition(tmp_path: Path):
    done = run_gradcalc(stdin="f(x) = 2*x\nf(x) = f(x)\na = 1\nf(a)\n", home=tmp_path)
    assert "f calls itself" in done.stderr
    assert done.stdout.splitlines()[-2:] == ["f = 2", "∂f/∂a = 2"]


def test_repl_runs_a_loop_on_one_line(tmp_path: Path):
    done = run_gradcalc(stdin=RNN.replace("; for", "\nfor") + "\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "h = 0.893811"


# -- speed ----------------------------------------------------------------------------------------


def _text_to_graph_time(text: str) -> float:
    """CPU seconds from ``text`` to its graph (parsed and lowered, as a user waits for it), best of 3."""
    best = float("inf")
    for _ in range(3):
        started = time.process_time()
        with gc_paused():
            lower(parse(Source(text)), Graph())
        best = min(best, time.process_time() - started)
    return best


def test_a_loop_of_10000_steps_lowers_about_as_fast_as_its_statements_typed_out():
    steps = 10_000
    looped = f"h = 0; w = 0.5\nfor t in 1..{steps} {{ h = tanh(w*h + t) }}"
    typed = "h = 0; w = 0.5\n" + "\n".join(f"h = tanh(w*h + {t})" for t in range(1, steps + 1))
    # the loop's steps read its counter, so each is lowered afresh in its own scope, where the lines typed
    # out are each read and lowered once: no cliff either way
    assert _text_to_graph_time(looped) <= 1.5 * _text_to_graph_time(typed)


def test_a_call_costs_about_its_inlined_body():
    calls = 10_000
    called = "h = 0; w = 0.5; cell(v) = tanh(w*v + 1)\n" + "\n".join(["h = cell(h)"] * calls)
    # each line different, so that none is replayed from the one before (as a repeated text would be)
    inlined = "h = 0; w = 0.5\n" + "\n".join([f"h = tanh(w*h + {i})" for i in range(calls)])
    assert _text_to_graph_time(called) <= 1.5 * _text_to_graph_time(inlined)


# -- --collapse -----------------------------------------------------------------------------------


def test_collapsed_calls_are_gates_whose_local_partials_are_6_and_20(tmp_path: Path):
    done = run_gradcalc("eval", TWO_CALLS, "--collapse", home=tmp_path)
    assert done.returncode == 0, done.stderr
    rows = [line for line in done.stdout.splitlines() if line.startswith("│")]
    assert [row.split("│")[2].strip() for row in rows] == ["input", "f", "f"]
    assert [row.split("│")[5].strip() for row in rows] == ["", "∂p/∂x = 6", "∂y/∂p = 20"]
    assert done.stdout.splitlines()[-2:] == ["y = 101", "∂y/∂x = 120"]


def test_a_collapsed_call_takes_the_shared_weights_too_and_keeps_every_gradient():
    text = "x = 0.3; w = 2; b = 0.5; layer(v) = tanh(w*v + b); y = layer(layer(x))"
    plain, collapsed = run(text), run_source_collapsed(text)
    assert gradients(collapsed) == gradients(plain)
    gates = [collapsed.graph.nodes[i] for i in collapsed.evaluation.order if collapsed.graph.nodes[i].args]
    assert [gate.op.symbol for gate in gates] == ["layer", "layer"]
    assert [[collapsed.labels[a] for a in gate.args] for gate in gates] == [["x", "w", "b"], ["p", "w", "b"]]
    assert render_dot(collapsed).count("subgraph cluster_") == 0


def test_explain_narrates_a_collapsed_call_at_the_modules_level(tmp_path: Path):
    done = run_gradcalc("explain", "sig(t) = 1/(1 + exp(-t)); z = 0.5; y = sig(2*z)", "--collapse", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "y = sig(p), so ∂y/∂p = (∂sig/∂t (inside sig(t) = 1/(1 + exp(-t)))) = 0.196612" in done.stdout


def run_source_collapsed(text: str):
    from gradcalc.program import run_source

    return run_source(Source(text), collapsed=True)


def test_repl_collapse_setting_shows_calls_as_gates(tmp_path: Path):
    done = run_gradcalc(stdin="f(x) = x^2 + 1\nx = 3\ny = f(f(x))\n:collapse on\n:table\n", home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "collapse is on" in done.stdout
    assert "│ y    │ f     │ p      │   101 │ ∂y/∂p = 20 │             1 │" in done.stdout


@pytest.mark.parametrize(
    ("text", "hint"),
    [
        ("for t in 1..3 h = t", "a loop's statements go in braces"),
        ("x = [1] + 2", "use parentheses for grouping; [ ] lists a loop's values"),
        ("y = {2}", "use parentheses for grouping; { } holds a loop's or a function's statements"),
    ],
)
def test_brackets_and_braces_out_of_place_get_a_hint(text, hint):
    error = error_of(text)
    assert isinstance(error, ProgramSyntaxError) and (error.hint or "").startswith(hint)


def test_a_program_that_only_defines_says_what_to_add(tmp_path: Path):
    done = run_gradcalc("eval", "f(x) = x^2", home=tmp_path)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        "usage error: the program defines f but computes nothing",
        "hint: end it with an expression that calls f, such as f(2)",
    ]


def test_explain_sums_a_shared_weights_gradient_over_the_steps(tmp_path: Path):
    done = run_gradcalc("explain", RNN, home=tmp_path)
    assert done.returncode == 0, done.stderr
    assert (
        "  ∂h'''/∂w = 0 + 0.0171238 + 0.177196: what flows back to w through each step of the loop "
        "(t = 1, t = 2, t = 3)"
    ) in done.stdout


def test_repl_a_loop_failing_at_a_later_step_leaves_the_session_as_it_was(tmp_path: Path):
    session = "h = 0; a = 5\nfor t in 1..3 { h = h + t; a = t; q = log(t - 2) }\nh + a\n"
    done = run_gradcalc(stdin=session, home=tmp_path)
    assert "log(-1) is undefined" in done.stderr
    assert done.stdout.splitlines()[-3:] == ["f = 5", "∂f/∂h = 1", "∂f/∂a = 1"]
