"""The six crash families of issue 11, each reproducer through the real console script.

Each must end with gradcalc's own message and exit status: never "internal error", never a traceback.
"""

from __future__ import annotations

import json
import os
import subprocess

import pytest

from conftest import gradcalc_command, run_gradcalc


def assert_no_crash(done: subprocess.CompletedProcess[str]) -> None:
    assert "internal error" not in done.stderr, done.stderr
    assert "Traceback" not in done.stderr, done.stderr


def run_bytes(*args: str, stdin: bytes) -> subprocess.CompletedProcess[str]:
    """The console script fed raw bytes on stdin under a UTF-8 locale."""
    env = {**os.environ, "NO_COLOR": "1", "COLUMNS": "200", "PYTHONIOENCODING": "utf-8", "LC_ALL": "C.UTF-8"}
    done = subprocess.run([*gradcalc_command(), *args], input=stdin, capture_output=True, env=env, timeout=60)
    return subprocess.CompletedProcess(done.args, done.returncode, done.stdout.decode(), done.stderr.decode())


# 1. format_number never raises, whatever the precision.


@pytest.mark.parametrize(("value", "shown"), [("1/3", "x = 0.3"), ("1e15", "x = 1e15")])
@pytest.mark.parametrize("precision", ["0", "16"])
def test_precision_zero_and_sixteen_show_the_value(value: str, shown: str, precision: str) -> None:
    done = run_gradcalc("eval", "x", f"x={value}", "-p", precision)
    assert_no_crash(done)
    assert done.returncode == 0
    assert "∂x/∂x = 1" in done.stdout
    assert f"x = {'0.3333333333333333' if value == '1/3' and precision == '16' else shown[4:]}" in done.stdout


def test_repl_precision_zero_keeps_the_session() -> None:
    done = run_gradcalc(stdin=":precision 0\nz = 0.1; loss = z; (loss)\n2 * 3\n")
    assert_no_crash(done)
    assert done.returncode == 0
    assert "z = 0.1" in done.stdout
    assert "2 * 3 = 6" in done.stdout


# 2. A literal or input that is not finite is an error where it is written.


def test_too_large_literal_is_an_error_at_its_column() -> None:
    done = run_gradcalc("eval", "_t=sqrt(2);_t;1e400", "--json")
    assert_no_crash(done)
    assert done.returncode == 1
    assert "<program>:1:15: error: 1e400 is too large for a floating-point number" in done.stderr


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1e400", "'1e400' is not a value: 1e400 is too large for a floating-point number"),
        ("-1e400", "'-1e400' is not a value: 1e400 is too large for a floating-point number"),
        ("inf", "'inf' is not a value: the name 'inf' has no value"),
    ],
)
def test_input_value_that_is_not_finite_is_a_usage_error(value: str, message: str) -> None:
    done = run_gradcalc("eval", "sigmoid(x)", f"x={value}")
    assert_no_crash(done)
    assert done.returncode == 2
    assert message in done.stderr


def test_repl_too_large_literal_in_a_gate_keeps_the_session() -> None:
    done = run_gradcalc(stdin="Q = sqrt(2); tanh((Q / 1e400 + 4.))\n2 * 3\n")
    assert_no_crash(done)
    assert done.returncode == 1
    assert "<stdin>:1:24: error: 1e400 is too large for a floating-point number" in done.stderr
    assert "2 * 3 = 6" in done.stdout


# 3. The LaTeX explanation of a deeply nested exponent: no recursion, and fast.


@pytest.mark.parametrize("depth", [1000, 5000])
def test_latex_explanation_of_deep_exponents(depth: int) -> None:
    program = "x*" + "1^(" * depth + "1" + ")" * depth
    done = run_gradcalc("explain", program, "x=2", "-f", "latex", timeout=30)
    assert_no_crash(done)
    assert done.returncode == 0
    assert "\\frac{\\partial f}{\\partial x}" in done.stdout


# 4. --check at a subnormal input: said, not a ZeroDivisionError.


def test_check_at_the_smallest_subnormal_says_no_difference_exists() -> None:
    done = run_gradcalc("eval", "log(x)", "x=5e-324", "--check")
    assert_no_crash(done)
    assert done.returncode == 1
    assert "∂f/∂x: no finite difference (no step h makes x ± h two distinct finite numbers at x = 5e-324)" in (
        done.stderr
    )


# 5. --expand computes the same values wherever the program does.


@pytest.mark.parametrize(
    ("program", "x", "value", "grad"),
    [
        ("tanh(x)", "400", "f = 1", "∂f/∂x = 0"),
        ("tanh(x)", "-400", "f = -1", "∂f/∂x = 0"),
        ("tanh(x)", "8.98846567431158e307", "f = 1", "∂f/∂x = 0"),  # found by scripts/fuzz.py: 2x overflows
        ("tanh(x)", "-1e308", "f = -1", "∂f/∂x = 0"),
        ("sigmoid(x)", "-800", "f = 0", "∂f/∂x = 0"),
        ("sigmoid(x)", "800", "f = 1", "∂f/∂x = 0"),
        ("tanh(x)", "0.5", "f = 0.462117", "∂f/∂x = 0.786448"),
        ("sigmoid(x)", "-0.5", "f = 0.377541", "∂f/∂x = 0.235004"),
    ],
)
def test_expanded_sigmoid_and_tanh_do_not_overflow(program: str, x: str, value: str, grad: str) -> None:
    for expand in ([], ["--expand"]):
        done = run_gradcalc("eval", program, f"x={x}", *expand)
        assert_no_crash(done)
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines()[-2:] == [value, grad]


# 6. Bytes that are not UTF-8 on standard input.


def test_non_utf8_program_on_stdin_names_the_byte_offset() -> None:
    done = run_bytes("eval", "-", stdin=b"x = 1\nx * \x80")
    assert_no_crash(done)
    assert done.returncode == 2
    assert "usage error: standard input is not UTF-8 text: byte 0x80 at byte offset 10" in done.stderr


def test_single_bad_byte_on_stdin() -> None:
    done = run_bytes("eval", "-", stdin=b"\x80")
    assert_no_crash(done)
    assert done.returncode == 2
    assert "byte 0x80 at byte offset 0" in done.stderr


def test_piped_session_runs_the_lines_around_a_bad_byte() -> None:
    done = run_bytes(stdin=b"x = 1 + 2\n\x80 oops\nx * 5\n")
    assert_no_crash(done)
    assert done.returncode == 2
    assert "<stdin>:2:1: usage error: standard input is not UTF-8 text: byte 0x80 at byte offset 10" in done.stderr
    assert done.stdout.splitlines()[0] == "x = 3"
    assert "f = 15" in done.stdout


def test_crlf_program_on_stdin_reads_as_lines() -> None:
    done = run_bytes("eval", "-", stdin=b"x = 2\r\nx * x\r\n")
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-1] == "∂f/∂x = 4"


# Found by the extended fuzzer (functions, loops, grad, trace, --hessian, --collapse).


def test_hessian_check_beside_the_largest_float_says_no_difference_exists() -> None:
    """x + h is infinite beside 1.8e308: the Hessian's check ran the gradient there (StopIteration)."""
    done = run_gradcalc("eval", "w", "w=1.7976822490793367e308", "--hessian", "--check")
    assert_no_crash(done)
    assert done.returncode == 1
    assert "│ ∂²/∂w∂w │     0 │                nan │ ✗ disagrees │" in done.stdout
    assert "∂w/∂w: no finite difference (no step h makes x ± h two distinct finite numbers" in done.stderr


def test_a_range_whose_length_overflows_is_refused_as_too_long() -> None:
    """-1e308..1e308 spans an infinite number of steps: counting them raised OverflowError."""
    done = run_gradcalc("eval", "h = 0; for t in -1e308..1e308 { h = h + t }; h")
    assert_no_crash(done)
    assert done.returncode == 1
    assert "<program>:1:8: error: the loop 'for t in -1e308..1e308' takes over 1e308 steps" in done.stderr


@pytest.mark.parametrize(
    ("program", "value"),
    [("cosh(x)", "x=710"), ("sinh(x)", "x=-710"), ("cosh(x)", "x=709.9"), ("softplus(x)", "x=800")],
)
def test_expand_computes_sinh_cosh_and_softplus_wherever_the_program_does(program: str, value: str) -> None:
    """Their textbook gates took exp(710) (past the largest float) where the row itself is finite."""
    plain = run_gradcalc("eval", program, value, "--json")
    expanded = run_gradcalc("eval", program, value, "--expand", "--json")
    assert_no_crash(expanded)
    assert plain.returncode == 0 and expanded.returncode == 0, expanded.stderr
    wide, mine = json.loads(expanded.stdout), json.loads(plain.stdout)
    assert wide["output"]["value"] == pytest.approx(mine["output"]["value"], rel=1e-12)
    assert wide["gradients"] == pytest.approx(mine["gradients"], rel=1e-12)


@pytest.mark.parametrize(
    ("program", "second"), [("x / 5e-324", 0.0), ("atan2(x, 5e-324)", 0.0), ("hypot(x, 5e-324)", None)]
)
def test_second_derivatives_at_a_subnormal_divisor_are_numbers_not_a_crash(program: str, second: float | None) -> None:
    """b*b, r^4 and h^3 underflowed to 0 in the second partials of /, atan2 and hypot (ZeroDivisionError);
    hypot's d2/dx2 = 1/5e-324 is past the largest float, so null in JSON."""
    done = run_gradcalc("eval", program, "x=0", "--hessian", "--json")
    assert_no_crash(done)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hessian"] == {"x": {"x": second}}


def test_expand_keeps_hypot_whose_square_is_past_the_largest_float() -> None:
    """hypot(x, 1e308) = 1e308, but its textbook circuit squared 1e308 (overflow)."""
    done = run_gradcalc("eval", "hypot(x, 1e308)", "x=0", "--expand", "--json")
    assert_no_crash(done)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["output"]["value"] == 1e308


def test_the_bend_of_log_at_a_tiny_input_is_a_number_not_a_crash() -> None:
    """-1/(x*x) underflowed to a division by 0 at x = 2e-168 (ZeroDivisionError); -1/x^2 is -2.4e335 -> -inf."""
    done = run_gradcalc("eval", "log(x)", "x=2.056162795786339e-168", "--hessian", "--json")
    assert_no_crash(done)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hessian"] == {"x": {"x": None}}


@pytest.mark.parametrize(
    ("program", "w"),
    [
        ("x / sinh(w)", "1e-17"),  # seed 2026, batch 5: the circuit's sinh(1e-17) was 0, a division by 0
        ("atan2(w, expm1(w))", "-3e-17"),  # batch 24: exp(w) - 1 was 0, atan2 then pi/2 for -pi/4
        ("x / tanh(w)", "1e-17"),
        ("x / log1p(w)", "-1e-17"),
        ("x / softplus(w)", "-50"),  # log(1 + exp(-50)): 1 + 2e-22 is 1
        ("x / gelu(w)", "-8"),  # 1 + erf(-8/sqrt(2)) is 1 - (1 - 1.2e-15): three digits left
        ("x / sinh(w)", "2e-5"),  # just above where the circuits are drawn: 11 digits of 16
        ("x / expm1(w)", "2e-5"),
    ],
)
def test_expand_computes_what_the_op_does_where_its_circuit_would_cancel(program: str, w: str) -> None:
    """The expanded graph computes the program's value and gradients where exp(t) - 1, 1 + t, ... round
    the op's value away: there the op keeps its own gate."""
    plain = run_gradcalc("eval", program, "x=1", f"w={w}", "--json")
    expanded = run_gradcalc("eval", program, "x=1", f"w={w}", "--expand", "--json")
    assert_no_crash(expanded)
    assert plain.returncode == 0 and expanded.returncode == 0, expanded.stderr
    wide, mine = json.loads(expanded.stdout), json.loads(plain.stdout)
    assert wide["output"]["value"] == pytest.approx(mine["output"]["value"], rel=1e-9)
    assert wide["gradients"] == pytest.approx(mine["gradients"], rel=1e-9)


@pytest.mark.parametrize("op", ["log2", "log10"])
def test_the_bend_of_log2_and_log10_at_a_tiny_input_is_a_number_not_a_crash(op: str) -> None:
    """-1/(x*x*log(2)) underflowed to a division by 0 at x = 4.6e-181 (seed 4711, batch 11), as log's did."""
    done = run_gradcalc("eval", f"{op}(x)", "x=4.558298302749535e-181", "--hessian", "--json")
    assert_no_crash(done)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["hessian"] == {"x": {"x": None}}
