"""The fuzzer's bounded run: generated, mutated and raw programs through every view, and REPL sessions.

Every input may only succeed or fail with gradcalc's own error (``GradcalcError``); see
``tests/fuzz_programs.py`` for the generators and the check, and ``scripts/fuzz.py`` for the long run.
"""

from __future__ import annotations

import os
import subprocess
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import gradcalc_command
from fuzz_programs import (
    CAPPED,
    DEEP,
    EXPRESSION_FORMS,
    GRAMMAR_FORMS,
    KNOWN_SLOW,
    LANGUAGE_OPS,
    PROBE,
    SESSION_COMMANDS,
    Timings,
    any_program,
    exercise,
    exercise_bytes,
    exercise_session,
    function_programs,
    harmless,
    inputs,
    loop_programs,
    mutated,
    programs,
    raw_programs,
    sessions,
)
from gradcalc import ops
from gradcalc.errors import EvaluationError
from gradcalc.program import run_source
from gradcalc.source import Source

# The bounded CI run draws the same programs every time (a red CI names a program anyone can rerun);
# new programs are the long run's job: scripts/fuzz.py --seed S.
FUZZ = settings(deadline=None, database=None, derandomize=True, suppress_health_check=list(HealthCheck))
CI_SLOW_SECONDS = 3.0  # generous: the bound is 1 s, and CI shares two cores with other work
KNOWN_SLOW_SECONDS = 15.0  # the views of KNOWN_SLOW, over the bound on graphs of thousands of nodes
TIMINGS = Timings()


def test_every_op_of_the_table_has_a_form() -> None:
    spelled = {op.name for op in ops.OPS if op.syntax in (ops.Syntax.INFIX, ops.Syntax.PREFIX, ops.Syntax.CALL)}
    assert {op.name for op in LANGUAGE_OPS} == spelled
    assert len(EXPRESSION_FORMS) == len(LANGUAGE_OPS) + len(GRAMMAR_FORMS)  # parentheses, calls, grad


@settings(FUZZ, max_examples=150)
@given(text=programs(), bindings=inputs)
def test_generated_programs_only_fail_with_gradcalc_errors(text: str, bindings: dict[str, float]) -> None:
    exercise(text, bindings, TIMINGS)


@settings(FUZZ, max_examples=120)
@given(text=mutated(), bindings=inputs)
def test_mutated_programs_only_fail_with_gradcalc_errors(text: str, bindings: dict[str, float]) -> None:
    exercise(text, bindings, TIMINGS)


@settings(FUZZ, max_examples=60)
@given(text=function_programs(), bindings=inputs)
def test_programs_with_functions_only_fail_with_gradcalc_errors(text: str, bindings: dict[str, float]) -> None:
    exercise(text, bindings, TIMINGS)


@settings(FUZZ, max_examples=60)
@given(text=loop_programs(), bindings=inputs)
def test_programs_with_loops_only_fail_with_gradcalc_errors(text: str, bindings: dict[str, float]) -> None:
    exercise(text, bindings, TIMINGS)


@pytest.mark.parametrize("text", CAPPED, ids=range(len(CAPPED)))
def test_loops_and_calls_past_the_caps_are_refused_quickly(text: str) -> None:
    started = time.perf_counter()
    refused = r"(adds|add) more than|takes ([\d,]+|over 1e308) steps|take more than [\d,]+ steps"
    with pytest.raises(EvaluationError, match=refused):
        run_source(Source(text), {"x": 0.5})
    assert time.perf_counter() - started < CI_SLOW_SECONDS


@settings(FUZZ, max_examples=100)
@given(data=st.binary(max_size=300))
def test_raw_bytes_only_fail_with_gradcalc_errors(data: bytes) -> None:
    exercise_bytes(data)


@pytest.mark.parametrize("kind", sorted(DEEP))
def test_deep_programs_work_and_stay_fast(kind: str) -> None:
    text = DEEP[kind](1000, "x")  # nesting, chains and sums 1000 deep, each under 10 kB
    assert len(text) < 10_000
    timings = Timings(keep=1000)
    exercise(text, {"x": 0.5}, timings, skip=tuple(KNOWN_SLOW))
    assert timings.succeeded == 1  # evaluated, with and without --expand (and --collapse)
    assert not timings.over(CI_SLOW_SECONDS), timings.slowest[:3]


def test_no_fuzzed_program_was_slow() -> None:
    """Runs after the fuzz tests above (pytest keeps file order) and reads what they timed."""
    if TIMINGS.programs == 0:
        pytest.skip("times the fuzz tests above: run it with them")
    assert TIMINGS.programs >= 390
    assert not TIMINGS.over(CI_SLOW_SECONDS), TIMINGS.slowest[:3]
    assert not TIMINGS.over(KNOWN_SLOW_SECONDS, known=True), TIMINGS.known_slowest[:3]


def test_sessions_use_every_command_but_those_that_leave_wait_or_write() -> None:
    from gradcalc.repl.commands import COMMANDS

    assert set(SESSION_COMMANDS) == set(COMMANDS) - {"quit", "watch", "serve", "render", "save", "load"}
    assert {"funcs", "hessian", "collapse", "expand", "explain"} <= set(SESSION_COMMANDS)


@settings(FUZZ, max_examples=60)
@given(lines=sessions)
def test_repl_sessions_survive_and_answer_the_probe(lines: list[str]) -> None:
    exercise_session(lines)


def _console_script(*args: str, stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "100", "PYTHONIOENCODING": "utf-8"}
    return subprocess.run([*gradcalc_command(), *args], input=stdin, capture_output=True, env=env, timeout=60)


def _assert_no_crash(done: subprocess.CompletedProcess[bytes]) -> None:
    assert b"internal error" not in done.stderr and b"Traceback" not in done.stderr, done.stderr.decode()


@settings(FUZZ, max_examples=4)
@given(text=any_program)
def test_fuzzed_programs_through_the_console_script(text: str) -> None:
    done = _console_script("eval", "-", "--check", stdin=text.encode("utf-8", "surrogateescape"))
    _assert_no_crash(done)
    assert done.returncode in (0, 1, 2)


@settings(FUZZ, max_examples=3)
@given(lines=sessions, bad=raw_programs)
def test_piped_sessions_through_the_console_script_answer_the_probe(lines: list[str], bad: str) -> None:
    # a command line ends any statement left open (an unclosed parenthesis), so the probe stands alone
    text = "\n".join([*lines, harmless(bad), ":vars", PROBE]).encode("utf-8", "surrogateescape")
    done = _console_script(stdin=text)
    _assert_no_crash(done)
    assert done.stdout.decode().rstrip().endswith(f"{PROBE} = 2")


def test_the_check_catches_an_expansion_that_overflows() -> None:
    """The check has teeth: tanh's old expansion (exp of 2t for every t) fails it at t = 400."""

    def overflowing_tanh(b: ops.GateBuilder, args: tuple[int, ...]) -> int:
        grown = b.gate(ops.SHIFT, b.gate(ops.EXP, b.gate(ops.SCALE, args[0], param=2.0)), param=1.0)
        return b.gate(ops.SHIFT, b.gate(ops.SCALE, b.gate(ops.RECIP, grown), param=-2.0), param=1.0)

    stable = ops.TANH.expand
    object.__setattr__(ops.TANH, "expand", overflowing_tanh)  # the table's rows are frozen
    try:
        with pytest.raises(AssertionError, match="--expand fails where the program does not"):
            exercise("tanh(x)", {"x": 400.0})
    finally:
        object.__setattr__(ops.TANH, "expand", stable)
    exercise("tanh(x)", {"x": 400.0})


def test_the_check_lets_a_crashing_view_through(monkeypatch: pytest.MonkeyPatch) -> None:
    import fuzz_programs

    def crash(result: object) -> str:
        raise ValueError("a bug in a view")

    monkeypatch.setattr(fuzz_programs, "render_json", crash)
    with pytest.raises(ValueError, match="a bug in a view"):
        exercise("x * 2", {"x": 1.0})


def test_the_difference_check_steps_short_of_a_pole() -> None:
    """-x / b at b = 5e-142 (seed 2026, batch 30): b ± 1e-6 straddled the pole at 0, a difference of
    -1e-269 against the gradient 40. The step scaled by |b| finds 40; a wrong ∂/∂b still fails there."""
    exercise("-x / b", {"x": 1e-281, "b": 5e-142})
    right = ops.DIV.local
    object.__setattr__(ops.DIV, "local", lambda a, b, out: (1.0 / b, -1.01 * out / b))  # 1% off in b
    try:
        with pytest.raises(AssertionError, match=r"'b', 40\.4"):
            exercise("-x / b", {"x": 1e-281, "b": 5e-142})
    finally:
        object.__setattr__(ops.DIV, "local", right)
