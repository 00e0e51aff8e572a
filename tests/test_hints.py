"""Hints for the mistakes new users make, as the console script reports them."""

from __future__ import annotations

from pathlib import Path

import pytest


def error_of(gradcalc, *args: str, stdin: str | None = None) -> list[str]:
    done = gradcalc(*args, stdin=stdin)
    assert done.returncode != 0 and done.stdout == ""
    return done.stderr.splitlines()


@pytest.mark.parametrize(
    ("program", "caret", "hint"),
    [
        ("2x", " ^", "did you mean 2*x?"),
        ("y = 3x + 1", "     ^", "did you mean 3*x?"),
        ("2(x + 1)", " ^", "did you mean 2*(x + 1)?"),
        ("(x+1)(x-1)", "     ^", "did you mean (x+1)*(x-1)?"),
        ("sin x", "    ^", "did you mean sin(x)?"),
    ],
)
def test_factors_side_by_side_suggest_the_missing_star(gradcalc, program, caret, hint):
    lines = error_of(gradcalc, "eval", program, "x=2")
    assert "syntax error: unexpected" in lines[0]
    assert lines[1] == f"1 | {program}" and lines[2] == f"  | {caret}"
    assert lines[3].startswith(f"hint: {hint} ")


@pytest.mark.parametrize(
    ("program", "hint"),
    [
        ("ln(x)", "did you mean log(x)? log is gradcalc's name for ln"),
        ("logistic(2*x)", "did you mean sigmoid(2*x)? sigmoid is gradcalc's name for logistic"),
        ("power(x, 3)", "did you mean x ^ 3? gradcalc writes power(a, b) as a ^ b"),
        ("arctan(x)", "did you mean atan(x)? atan is gradcalc's name for arctan"),
        ("swish(x)", "did you mean silu(x)? silu is gradcalc's name for swish"),
        ("ln", "ln is written log here: call it as log(...)"),
    ],
)
def test_other_tools_names_point_at_the_op_table(gradcalc, program, hint):
    lines = error_of(gradcalc, "eval", program, "x=2")
    assert lines[-1] == f"hint: {hint}"


def test_the_alias_table_names_only_ops_that_exist():
    from gradcalc.ops import ALIASES, FUNCTIONS, INFIX

    assert ALIASES["ln"] is FUNCTIONS["log"] and ALIASES["power"] is INFIX["^"]
    assert FUNCTIONS["pow"] is INFIX["^"]  # pow(a, b) is a spelling of a ^ b, not a hint
    assert not set(ALIASES) & set(FUNCTIONS)  # an alias never hides a real function


@pytest.mark.parametrize(("program", "column"), [("x == 1", 4), ("x > 0", 3), ("x <= 0", 3), ("x != 1", 3)])
def test_comparisons_are_said_not_to_be_part_of_the_language(gradcalc, program, column):
    lines = error_of(gradcalc, "eval", program, "x=2")
    assert lines[0].startswith(f"<program>:1:{column}: syntax error: unexpected")
    assert lines[-1] == (
        "hint: comparisons (==, <, >, !=) are not part of the language, which computes numbers and their "
        "gradients (no true or false); max(a, b), min(a, b) and relu(x) choose between values"
    )


def test_a_missing_input_on_the_command_line_is_told_in_the_argument_form(gradcalc):
    lines = error_of(gradcalc, "eval", "x*y", "x=1")
    assert lines[0] == "<program>:1:3: error: the name 'y' has no value"
    assert lines[-1] == "hint: give it a value: add the argument y=1 (or write y = 1 in the program)"
    assert error_of(gradcalc, "explain", "x*y", "x=1")[-1] == lines[-1]


def test_a_missing_name_in_the_repl_is_told_in_the_program_form(gradcalc, tmp_path: Path):
    lines = error_of(gradcalc, "repl", stdin="x*y\n")
    assert lines[-1] == "hint: give it a value first, as in 'x = 1'"


@pytest.mark.parametrize("name", ["inf", "Infinity", "nan"])
def test_infinity_is_not_a_value_and_the_hint_says_what_to_write(gradcalc, name):
    lines = error_of(gradcalc, "eval", f"x = {name}; x * 2")
    assert lines[0] == f"<program>:1:5: error: the name '{name}' has no value"
    said = "nan" if name == "nan" else "infinity"
    assert lines[-1].startswith(f"hint: {said} is not a value a node can take: every value is a finite number")
    assert ("write 1e308" in lines[-1]) == (name != "nan")
    argument = error_of(gradcalc, "eval", "x * 2", f"x={name}")  # the same on the command line
    assert argument[0].startswith(f"<argument x=>:1:1: usage error: '{name}' is not a value")
    assert argument[-1] == lines[-1]


def test_a_number_too_large_is_an_error_not_an_infinite_input(gradcalc):
    lines = error_of(gradcalc, "eval", "x = 1e309; x * 2")
    assert lines[0] == "<program>:1:5: error: 1e309 is too large for a floating-point number"
    lines = error_of(gradcalc, "eval", "x", "x=1e309")  # was an internal error
    assert "1e309 is too large for a floating-point number" in lines[0]


def test_a_negative_base_is_written_in_parentheses(gradcalc):
    lines = error_of(gradcalc, "eval", "x^0.5", "x=-4")
    assert lines[0] == (
        "<program>:1:1: error: (-4)^0.5 is undefined: a negative base needs an integer exponent, "
        "and 0 has no negative powers"
    )
    assert error_of(gradcalc, "eval", "x^y", "x=-8", "y=0.5")[0].startswith("<program>:1:1: error: (-8) ^ 0.5 is")


def test_training_data_without_a_column_names_the_file_and_its_columns(gradcalc, tmp_path: Path):
    data = tmp_path / "points.csv"
    data.write_text("a,y\n1,2\n2,4\n")
    lines = error_of(gradcalc, "train", "(w*x + b - y)^2", "--wrt", "w,b", "--data", str(data))
    assert lines[0] == "<program>:1:4: error: the name 'x' has no value"
    assert lines[-1] == (
        f"hint: {data} has no column x (its columns are a, y): add one, or give x one value with the argument x=1"
    )
