"""An error inside a function's body or a loop's step names the call and the step, through the console script.

The caret goes under the call in the user's own line, and the body's text is shown too with its own
caret, so the failing ``log(t)`` can be found whichever of several calls met it.
"""

from __future__ import annotations

from pathlib import Path

from gradcalc.errors import EvaluationError
from gradcalc.program import run_source
from gradcalc.source import Source
from repl_support import run_gradcalc


def _error_lines(*args: str, home: Path, stdin: str | None = None) -> list[str]:
    done = run_gradcalc(*args, stdin=stdin, home=home)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "Traceback" not in done.stderr and "internal error" not in done.stderr
    return done.stderr.splitlines()


def test_a_domain_error_in_a_body_names_the_call_with_a_caret_under_it_and_shows_the_body(tmp_path: Path):
    assert _error_lines("eval", "f(t) = log(t); f(2) + f(-1)", home=tmp_path) == [
        "<program>:1:23: error: log(-1) is undefined: log needs a positive argument"
        " (in f #2: the call f(-1) at column 23)",
        "1 | f(t) = log(t); f(2) + f(-1)",
        "  |                       ^^^^^",
        "in the body of f (f #2), at <program>:1:8:",
        "1 | f(t) = log(t); f(2) + f(-1)",
        "  |        ^^^^^^",
    ]


def test_an_error_met_when_evaluating_an_input_passed_to_a_call_names_that_call(tmp_path: Path):
    lines = _error_lines("eval", "f(t) = { a = 2*t; log(a) }\ny = f(x) + f(-x)", "x=1", home=tmp_path)
    assert lines[0] == (
        "<program>:2:12: error: log(-2) is undefined: log needs a positive argument"
        " (in f #2: the call f(-x) at line 2, column 12)"
    )
    assert lines[1:3] == ["2 | y = f(x) + f(-x)", "  |            ^^^^^"]
    assert lines[3:] == ["in the body of f (f #2), at <program>:1:19:", "1 | f(t) = { a = 2*t; log(a) }",
                         "  |                   ^^^^^^"]


def test_a_call_made_in_a_body_shows_each_body_on_the_way(tmp_path: Path):
    program = "g(u) = { v = u - 2; 3*f(v) }\nf(t) = sqrt(t)\ny = g(5) + g(1)"
    assert _error_lines("eval", program, home=tmp_path) == [
        "<program>:3:12: error: sqrt(-1) is undefined: sqrt needs a non-negative argument"
        " (in f #2, in g #2: the call g(1) at line 3, column 12)",
        "3 | y = g(5) + g(1)",
        "  |            ^^^^",
        "in the body of g (g #2), at <program>:1:23:",
        "1 | g(u) = { v = u - 2; 3*f(v) }",
        "  |                       ^^^^",
        "in the body of f (f #2), at <program>:2:8:",
        "2 | f(t) = sqrt(t)",
        "  |        ^^^^^^^",
    ]


def test_an_error_in_a_loop_names_the_step(tmp_path: Path):
    assert _error_lines("eval", "x = 1; for t in 1..3 { x = log(x - t + 2) }", home=tmp_path) == [
        "<program>:1:28: error: log(-1.366513) is undefined: log needs a positive argument (in the step t = 3)",
        "1 | x = 1; for t in 1..3 { x = log(x - t + 2) }",
        "  |                            ^^^^^^^^^^^^^^",
    ]


def test_a_call_in_a_step_names_both(tmp_path: Path):
    lines = _error_lines("eval", "f(t) = 1/t; s = 0\nfor k in [2, 0, 1] { s = s + f(k) }", home=tmp_path)
    assert lines[0] == (
        "<program>:2:30: error: division by zero in 1 / 0"
        " (in f #2, in the step k = 0: the call f(k) at line 2, column 30)"
    )
    assert lines[3] == "in the body of f (f #2), at <program>:1:8:"


def test_an_error_in_a_body_in_a_piped_session_names_the_call_and_the_session_goes_on(tmp_path: Path):
    session = "f(t) = log(t)\nx = 1\ny = f(x) + f(2*x)\nx = -1\ny\nx = 3\ny\n"
    done = run_gradcalc(stdin=session, home=tmp_path)
    assert done.returncode == 1
    assert "<stdin>:3:5: error: log(-1) is undefined: log needs a positive argument" \
        " (in f #1: the call f(x) at column 5)" in done.stderr
    assert "in the body of f (f #1), at <stdin>:1:8:" in done.stderr
    assert done.stdout.splitlines()[-3:] == ["x = 3", "y = 2.890372", "∂y/∂x = 0.666667"]
    assert "Traceback" not in done.stderr


def test_the_api_error_points_at_the_call_and_keeps_the_place_in_the_body():
    source = Source("f(t) = log(t); f(2) + f(-1)")
    try:
        run_source(source, {})
    except EvaluationError as error:
        assert error.span is not None and error.span.text == "f(-1)"
        assert error.inner is not None and error.inner.text == "log(t)"
        assert [frame.name for frame in error.frames] == ["f #2"]
    else:
        raise AssertionError("no error")
