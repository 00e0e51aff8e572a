"""A long line of deep parentheses is parsed group by group, and gives exactly the AST and errors of one Lark run.

``parser._LineParser._groups`` parses each group of parentheses of a long line that is one term, innermost
first, as a line whose groups inside are read as names standing for their expressions. Every line here is
compared, node for node and offset for offset, with ``parse(..., by_lines=False)`` (one run of Lark's tables
over the whole text), and each valid one is checked to have gone group by group, so the comparison is not
of the one-go parse with itself.
"""

from __future__ import annotations

import random
import re
import sys

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from fuzz_programs import expressions
from gradcalc import ast
from gradcalc.parser import (
    _LONGEST_LINE,
    _join_lines_in_parens,
    _joined_bracket_by_bracket,
    _line_parser,
    _LineParser,
    _tables,
    parse,
)
from gradcalc.source import Source
from test_parser_line_cache import assert_same_three_times, dump, outcome
from test_parser_long_lines import check_long_line


def went_group_by_group(line: str) -> bool:
    return _line_parser()._groups(line, 0, len(line)) is not None


def check(line: str, *, grouped: bool, fails: bool, before: str = "", after: str = "\n") -> None:
    """The line, in a program, parses or fails as one run of the tables; group by group if ``grouped``."""
    check_long_line(line, went_group_by_group, grouped, fails, before, after)


def nested(depth: int, inner: str = "x", around: str = " * 1.0001)") -> str:
    return "(" * depth + inner + around * depth


@pytest.mark.parametrize(
    "line",
    [
        nested(300),
        "y = " + nested(300),
        "y = -" + nested(200, around=" ^ 2)") + " / 3",
        nested(100, "x", ")") + " * " + nested(100, "(y)", " / 2)"),  # two groups side by side, and a (y)
        nested(150, "x", " * (x / 2))"),  # two groups in each group
        nested(150, "-x", " * -(2))") + "^-2",  # signs inside: one term, not a sum
        "(" * 300 + "x" + " + 1) * 2)" * 150,  # a sum in each group: (((x + 1) * 2) + 1) * 2 ...
        "(" + " + ".join(f"w{i}*x{i}" for i in range(100)) + ")",
        "y = -(" + " + ".join(f"w{i}*x{i}" for i in range(100)) + ")^2",
        "((((" + " + ".join(f"w{i}*x{i}" for i in range(100)) + ") * 2) * 3) / 4)",
        "y = " + nested(100) + "; z = (2)",  # statements after ';' at the top level
        "\t" + nested(100, "x", " *\t1.0001 )") + "  ",  # spaces and tabs anywhere
    ],
)
def test_a_long_line_of_parentheses_parses_group_by_group_as_one_run_of_the_tables(line: str):
    check(line, grouped=True, fails=False, before="x = 2; y = 3; w0 = 1\n", after="\ny\n")


@pytest.mark.parametrize(
    ("line", "copied"),
    [
        (nested(200, "x", " * 2 - -y)"), "(\n * 2 - -y"),
        (nested(100, "x", ")") + " * " + nested(100, "(y)", " / 2)"), "(\n / 2"),  # ((x)) is not copied
        (nested(100, "x", " * (x / 2))"), "(\n * \n"),  # two groups in each group
    ],
)
def test_groups_of_one_text_are_copied_around_the_groups_inside_them(line: str, copied: str):
    """From the third group of one text (but for the groups inside it) on, a group is built by copying the
    second's AST, its offsets counted from the nearest parenthesis: each inner group is longer than the
    last, so only those stay the same. The tables' AST all the same, spans included."""
    check(line, grouped=True, fails=False, before="x = 2; y = 3\n")
    fresh = _LineParser(_tables())  # the program's own parser has made all its copiers by now
    statements = fresh.parse(line)
    assert callable(fresh._group_copiers[copied])
    assert statements is not None
    assert dump(ast.Program(statements, Source(line))) == dump(parse(Source(line), by_lines=False))


@pytest.mark.parametrize(
    "line",
    [
        nested(200) + " = 2",  # (x) = 2 is no assignment
        "(" + nested(200) + " = 2)",
        nested(200, "x", " * 1.0001") + ")",  # more ')' than '('
        "(" + nested(200),  # a '(' left open
        nested(200, "()", " * 2)"),  # an empty group
        nested(200, "x; y", " * 2)"),  # two statements in a group
        nested(200, "y = 2", " * 2)"),  # an assignment in a group
        nested(100) + nested(100),  # two groups with nothing between: (a)(b)
        "2" + nested(200),  # 2(x): a number before a group
        nested(200, "x", " * * 2)"),
        nested(200, "x", " * 2 y)"),
        nested(200, "x", " ! 2)"),
    ],
)
def test_a_long_line_of_parentheses_with_an_error_fails_as_it_always_did(line: str):
    check(line, grouped=False, fails=True, before="x = 1; y = 2\n")


@pytest.mark.parametrize(
    "line",
    [
        "y = " + "sigmoid(" * 200 + "x" + ")" * 200,  # calls: parsed in one go
        nested(200, "max(x, 2)", " * 1.5)"),  # a call inside
        nested(200) + "  # a comment (with parentheses",
        nested(200) + " * \\",  # a continuation: the next line, 1, is its last factor
        "for t in 1..2 { y = " + nested(100) + " }",
    ],
)
def test_a_long_line_of_parentheses_with_calls_braces_or_comments_is_parsed_in_one_go(line: str):
    check(line, grouped=False, fails=False, before="x = 1; y = 2\n", after="\n1\n")


# Wrappings of an expression e in one more group, and what stands beside it.
WRAPS = (
    "({e} * {t})", "({t} / {e})", "-({e})", "({e})^2", "({e} + {t})", "({t} - ({e}))", "(({e}))",
    "({e})", "({e} ** -{t})", "(+{e} * {t})", "({e}) * ({t})",
)  # fmt: skip


CALLED = re.compile(r"[A-Za-z0-9_.)][ \t\f\r]*\(")  # a call's parentheses: the line goes in one go


def wrapped(inner: str, terms: list[str], wraps: list[str]) -> str:
    """``inner`` wrapped again and again until the line is long (each wrap one more group, or more)."""
    line, k = inner, 0
    while len(line) <= _LONGEST_LINE:
        line = wraps[k % len(wraps)].format(e=line, t=terms[k % len(terms)])
        k += 1
    return "(" + line + ")"


@settings(max_examples=80, deadline=None)
@given(
    expressions(max_leaves=3),
    st.lists(expressions(max_leaves=3), min_size=1, max_size=4),
    st.lists(st.sampled_from(WRAPS), min_size=1, max_size=5),
    st.sampled_from(["", "y = "]),
)
def test_generated_deep_parentheses_parse_as_one_run_of_the_tables(inner, terms, wraps, target):
    line = target + wrapped(inner, terms, wraps)
    assert_same_three_times(line + "\n")
    if outcome(line + "\n", by_lines=False)[0] != "error" and not CALLED.search(line):
        assert went_group_by_group(line), line


def test_seeded_random_parentheses_parse_as_one_run_of_the_tables():
    rng = random.Random(20261202)
    leaves = ["x", "y", "2", "0.5", "1e-3", "w1", "-x", "+y", "x^2"]
    for _ in range(40):
        terms = [rng.choice(leaves) for _ in range(rng.randint(1, 4))]
        wraps = [rng.choice(WRAPS) for _ in range(rng.randint(1, 5))]
        line = rng.choice(["", "y = "]) + wrapped(rng.choice(leaves), terms, wraps)
        check(line, grouped=True, fails=False, before="x = 2; y = 3; w1 = 4\n")


def test_parentheses_100000_deep_parse_at_the_default_recursion_limit():
    assert sys.getrecursionlimit() <= 1000
    line = "y = " + nested(100_000)
    assert went_group_by_group(line)
    (statement,) = parse(Source("x = 2\n" + line + "\n")).statements[1:]
    assert isinstance(statement, ast.Assign) and statement.name == "y"
    depth, expr = 0, statement.expr
    while isinstance(expr, ast.Binary):
        depth += 1
        assert (expr.start, expr.end) == (10 + depth - 1, len("x = 2\n") + len(line) - 10 * (depth - 1))
        expr = expr.left
    assert depth == 100_000
    assert isinstance(expr, ast.Name) and expr.id == "x"


@given(st.text(alphabet="()[]\n\n#a +", max_size=60))
@settings(max_examples=500, deadline=None)
def test_newlines_in_brackets_are_blanked_as_bracket_by_bracket(text: str) -> None:
    """The count at C speed of a text without comments or unmatched closes blanks what the reading of
    it bracket by bracket blanks (and the texts it does not take are read so). A text of one line has
    nothing to join: it is left as it is."""
    assume("\n" in text)
    assert _join_lines_in_parens(text) == _joined_bracket_by_bracket(text)


def test_newlines_inside_brackets_are_blanked_and_no_others() -> None:
    text = "f = max(a,\n  b)\ng = [1,\n 2]\n((x\n * 2)\n)\ng\n"
    assert _join_lines_in_parens(text) == "f = max(a,   b)\ng = [1,  2]\n((x  * 2) )\ng\n"
