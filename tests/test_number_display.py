"""Numbers as a user reads them through the real console script: no crash at any precision, small
gradients keep their digits, and the table and the picture agree (issue 8, items 1 and 2)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from conftest import EXAMPLES, run_gradcalc
from repl_support import run_gradcalc as run_session

NUMBER = r"-?\d[\d.]*(?:e-?\d+)?"


def lines_of(*args: str) -> list[str]:
    done = run_gradcalc(*args)
    assert done.returncode == 0, done.stderr
    assert "internal error" not in done.stderr
    return done.stdout.splitlines()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        # a value that rounds to 0 at the precision asked used to be an internal error
        (("eval", "sigmoid(x)", "x=6", "-p", "2"), ["f = 1", "∂f/∂x = 0.0025"]),
        (("eval", "x", "x=0.3", "-p", "0"), ["x = 0.3", "∂x/∂x = 1"]),
        (("eval", "x", "x=1/3", "-p", "0"), ["x = 0.3", "∂x/∂x = 1"]),
        (("eval", "x", "x=1e15", "-p", "16"), ["x = 1e15", "∂x/∂x = 1"]),
        (("eval", "x", "x=1e-320", "-p", "3"), ["x = 1e-320", "∂x/∂x = 1"]),
        (("eval", "-x", "x=0", "-p", "0"), ["f = 0", "∂f/∂x = -1"]),
        # small gradients keep their digits at the default precision
        (("eval", "x*6.21e-7", "x=1"), ["f = 6.21e-7", "∂f/∂x = 6.21e-7"]),
        (("eval", "x*4.9e-7", "x=1"), ["f = 4.9e-7", "∂f/∂x = 4.9e-7"]),
        (("eval", "x*1.234e-5", "x=1"), ["f = 1.234e-5", "∂f/∂x = 1.234e-5"]),
    ],
)
def test_eval_shows_every_number_at_every_precision(args: tuple[str, ...], expected: list[str]):
    assert lines_of(*args)[-len(expected) :] == expected


def test_run_at_precision_2_shows_the_small_gradients_of_a_saturated_neuron():
    out = lines_of("run", str(EXAMPLES / "neuron.gc"), "x0=2", "--precision", "2")
    assert out[-6:] == [
        "f = 1",
        "∂f/∂w0 = 0.0018",
        "∂f/∂x0 = 0.0018",
        "∂f/∂w1 = -0.0018",
        "∂f/∂x1 = -0.0027",
        "∂f/∂w2 = 0.00091",
    ]


def test_explain_at_precision_2_shows_a_small_gradient():
    out = lines_of("explain", "sigmoid(x)", "x=6", "-p", "2")
    assert "  f = sigmoid(x) = sigmoid(6) = 1" in out
    assert out[-1] == "  ∂f/∂x = 0.0025"


def test_a_piped_session_at_precision_2_goes_on_after_a_tiny_gradient(tmp_path: Path):
    done = run_session(stdin=":precision 2\nx = 6\nsigmoid(x)\nx * 3\n", home=tmp_path)
    assert done.stderr == ""
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        "precision is 2",
        "x = 6",
        "f = 1",
        "∂f/∂x = 0.0025",
        "f = 18",
        "∂f/∂x = 3",
    ]


def numbers_in_table(lines: list[str]) -> set[float]:
    return {float(n) for line in lines for n in re.findall(rf"(?<![\w.]){NUMBER}(?![\w.])", line)}


def numbers_in_dot(dot: str) -> list[str]:
    return re.findall(rf">({NUMBER})<", dot)


# x*6.21e-7 + 1 + 1 + ... : 30 operations, and ∂f/∂x = 6.21e-7 all the way back
CHAIN = "x*6.21e-7" + " + 1" * 29


@pytest.mark.parametrize(("precision", "gradient"), [("2", "6.2e-7"), ("3", "6.21e-7"), ("6", "6.21e-7")])
@pytest.mark.parametrize("style", ["circuit", "boxes"])
def test_the_table_and_the_picture_of_a_30_op_chain_show_the_same_numbers(precision: str, gradient: str, style: str):
    table = lines_of("eval", CHAIN, "x=1", "-p", precision, "--rows", "0")
    assert f"∂f/∂x = {gradient}" in table
    done = run_gradcalc("render", CHAIN, "x=1", "-p", precision, "--style", style, "-o", "-")
    assert done.returncode == 0, done.stderr
    shown = numbers_in_dot(done.stdout)
    assert gradient in shown  # x's gradient, the same text as in the table
    assert "0.000001" not in shown and "0.00" not in shown
    # every number on the picture is one of the table's, once the picture's padding zeros are read
    assert {float(n) for n in shown} <= numbers_in_table(table)
