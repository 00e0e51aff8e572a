"""A long line that is a sum is parsed term by term, and gives exactly the AST and errors of one Lark run.

``parser._LineParser._sum`` cuts a line longer than ``_LONGEST_LINE`` at its binary signs outside
parentheses, parses each term as a line and folds the terms as the grammar's ``binary`` reduction does.
Every sum here is compared, node for node and offset for offset, with ``parse(..., by_lines=False)`` (one
run of Lark's tables over the whole text), as ``tests/test_parser_line_cache.py`` compares short lines;
and each valid sum is checked to have gone through the term-by-term path, so the comparison is not of the
one-go parse with itself.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz_programs import expressions
from gradcalc import ast
from gradcalc.errors import ProgramSyntaxError
from gradcalc.parser import _LONGEST_LINE, _line_parser, parse
from gradcalc.source import Source
from test_parser_line_cache import assert_same_three_times, outcome

# Terms a sum's cutting must not be fooled by: signs that are unary, signs inside numbers and
# parentheses, commas in calls, powers of a negative exponent.
TRICKY_TERMS = (
    "a * -b", "-a", "+a", "- -a", "x^-1", "x ^ +2", "2^-x^2", "1e+5", "2E-3*y", "1.5e-3", ".5e+2", "3.",
    "f(a + b, c)", "max(a - 1, -b, c)", "((a - b))", "(a)", "-(a + b)*c", "sin(x)^2", "x1e", "w2e5",
    "a/b*c", "(a + (b - (c + d)))", "_t", "a ** -b", "sigmoid(-x + 1)",
)  # fmt: skip
SIGNS = (" + ", " - ", "+", "-", "\t+ ", " -\t", " +\f", "\r+ ")


def sum_line(terms: list[str], signs: list[str], *, target: str = "", comment: str = "") -> str:
    """The terms joined by the signs, repeated until the line is long: ``y = t0 + t1 - ... # c``."""
    parts = [terms[0]]
    k = 1
    while sum(map(len, parts)) <= _LONGEST_LINE or len(parts) < 3:  # long, and at least two terms
        parts += [signs[k % len(signs)], terms[k % len(terms)]]
        k += 1
    return (f"{target} = " if target else "") + "".join(parts) + comment


def went_term_by_term(line: str) -> bool:
    return _line_parser()._sum(line, 0, len(line)) is not None


def check(line: str, *, summed: bool, fails: bool, before: str = "", after: str = "\n") -> None:
    """The line, in a program, parses or fails as one run of the tables; term by term if ``summed``."""
    check_long_line(line, went_term_by_term, summed, fails, before, after)


def check_long_line(line: str, went: Callable[[str], bool], taken: bool, fails: bool, before: str, after: str) -> None:
    """The line, in a program, parses or fails as one run of the tables; ``went`` its own way if ``taken``.
    A failure is a syntax error with a caret under its place."""
    text = before + line + after
    assert_same_three_times(text)
    assert len(line) > _LONGEST_LINE
    assert went(line) is taken, line
    assert (outcome(text, by_lines=False)[0] == "error") is fails
    if fails:
        with pytest.raises(ProgramSyntaxError) as caught:
            parse(Source(text))
        assert "^" in caught.value.render()


@pytest.mark.parametrize("target", ["", "y", "total"])
@pytest.mark.parametrize("comment", ["", "  # the sum - of (all", "#"])
def test_tricky_terms_in_a_long_sum_parse_as_one_run_of_the_tables(target, comment):
    line = sum_line(list(TRICKY_TERMS), list(SIGNS), target=target, comment=comment)
    check(line, summed=True, fails=False, before="a = 1\n", after="\nz = 2\n")


@settings(max_examples=60, deadline=None)
@given(
    st.lists(expressions(max_leaves=4), min_size=1, max_size=6),
    st.lists(st.sampled_from(SIGNS), min_size=1, max_size=4),
    st.sampled_from(["", "y"]),
)
def test_generated_long_sums_parse_as_one_run_of_the_tables(terms, signs, target):
    line = sum_line(terms, signs, target=target)
    text = line + "\n"
    assert_same_three_times(text)
    if outcome(text, by_lines=False)[0] != "error":
        # The fuzzer's expressions may hold a top-level sum (``a + b`` as one term): still one tree.
        assert went_term_by_term(line), line


def test_seeded_random_sums_parse_as_one_run_of_the_tables():
    rng = random.Random(10)
    for _ in range(20):
        terms = rng.sample(TRICKY_TERMS, rng.randint(1, 8))
        signs = [rng.choice(SIGNS) for _ in range(rng.randint(1, 4))]
        check(sum_line(terms, signs, target=rng.choice(["", "y"])), summed=True, fails=False)


def test_a_sum_of_one_shape_gives_the_fold_the_binary_reduction_makes():
    line = " + ".join(f"w{i}*x{i}" for i in range(200))
    program = parse(Source("q = 1\n" + line + "\n"))
    total = program.statements[1]
    terms = []
    while isinstance(total, ast.Binary) and total.op == "+":
        assert total.start == 6
        terms.append(total.right)
        total = total.left
    terms.append(total)
    assert len(terms) == 200
    first, last = terms[-1], terms[0]
    assert (first.start, first.end, last.start, last.end) == (6, 11, 6 + len(line) - 9, 6 + len(line))
    assert went_term_by_term(line)


LONG = " + ".join(f"w{i}*x{i}" for i in range(100))


@pytest.mark.parametrize(
    "line",
    [
        LONG + " +",
        LONG + " + + ",
        LONG + " + (a",
        LONG + " + a)",
        LONG + ") + a",
        "(" + LONG,
        LONG + " + a é",
        LONG + " + a $ b",
        LONG + " + 2x",
        LONG + " = 3",
        LONG + " + y = 3",
        LONG + " + a == b",
        LONG + " + a b",
        LONG + " + ;b",  # ';b' alone parses to one statement, b: the term must be made of all its tokens
        LONG + " - ; - b",
        LONG + " * * 2",
        LONG + " + f(a,) + 1",
        "y = = " + LONG,
    ],
)
def test_a_long_line_with_an_error_fails_as_it_always_did(line):
    check(line, summed=False, fails=True, before="a = 1\n")


@pytest.mark.parametrize(
    "line",
    [
        LONG + "; b + c",  # two statements: the line is parsed in one go
        LONG + " + b;",
        LONG + " + b; # c",
        "f(a) = " + LONG,  # a definition
        "for t in 1..3 { s = s + " + LONG + " }",
        LONG + " + \\",  # a continuation
    ],
)
def test_a_long_line_that_is_not_a_sum_is_parsed_in_one_go(line):
    check(line, summed=False, fails=False, after="\n1\n")


@pytest.mark.parametrize(
    "line",
    ["(" + LONG + ")", "y = -(" + LONG + ")^2", "((((" + LONG + ") * 2) * 3) / 4)"],
)
def test_a_long_line_of_one_term_with_signs_inside_is_not_a_sum(line):
    """It is parsed group by group (``tests/test_parser_groups.py``), or in one go."""
    check(line, summed=False, fails=False, before="y = 1\n", after="\ny\n")


def test_a_long_line_without_a_sign_is_parsed_in_one_go():
    line = "y = " + "(" * 300 + "x" + " * 1.0001)" * 300
    check(line, summed=False, fails=False)


def test_a_sum_of_terms_of_ever_new_shapes_is_parsed_in_one_go():
    """Each term of a new shape is a run of the tables of its own: past a few, the line goes in one go."""
    many = " + ".join("*".join(["x"] * k) for k in range(1, 60))
    few = " + ".join("*".join(["x"] * (k % 5 + 1)) for k in range(200))  # five shapes, again and again
    for line, summed in ((many, False), (few, True)):
        _line_parser.cache_clear()  # shapes seen before are replayed, not new
        assert went_term_by_term(line) is summed
        assert_same_three_times(line + "\n")


def test_a_sum_of_100000_terms_and_nesting_10000_deep_parse_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 1000
    deep = "(" * 10_000 + "x" + ")" * 10_000
    line = " + ".join(f"w{i}*x{i}" for i in range(100_000)) + " - " + deep + " + -" + deep
    assert went_term_by_term(line)
    (total,) = parse(Source(line)).statements
    assert isinstance(total, ast.Binary) and total.op == "+" and (total.start, total.end) == (0, len(line))
    assert isinstance(total.right, ast.Unary) and isinstance(total.right.operand, ast.Name)
    count = 0
    while isinstance(total, ast.Binary) and total.op in "+-":
        count += 1
        total = total.left
    assert count == 100_001
    assert (total.start, total.end) == (0, len("w0*x0"))
