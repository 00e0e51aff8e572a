"""A program parsed to be lowered once (``parse_for_one_run``) means what ``parse`` makes of it, line for line.

There a line of one assignment that copies an earlier line is an ``ast.Repeated``, whose tree is built only
if the lowering asks. Built, it is the statement ``parse`` makes, offsets included; and a program runs to
the same document, the same error and the same caret either way (``run_source`` parses for one run,
``run_program`` lowers what ``parse`` made).
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings

from gradcalc import ast
from gradcalc.errors import GradcalcError
from gradcalc.parser import _join_lines_in_parens, _line_parser, parse, parse_for_one_run
from gradcalc.program import run_program, run_source
from gradcalc.source import Source
from gradcalc.views.json_view import render_json
from test_parser_line_cache import dump, outcome, repetitive_programs


def built(program: ast.OneRun) -> ast.Program:
    """The program with each repeated line's tree built, after checking what the line says of it."""
    statements: list[ast.Statement] = []
    for statement in program.statements:
        if isinstance(statement, ast.Repeated):
            tree = statement.statement()
            assert isinstance(tree, ast.Assign)
            assert (statement.start, statement.name) == (tree.start, tree.name)
            line_end = statement.line_start + len(statement.line)
            # The line as the parser reads it: a newline inside parentheses is blanked (the length kept).
            assert _join_lines_in_parens(program.source.text)[statement.line_start : line_end] == statement.line
            assert statement.line_start <= tree.start < tree.end <= line_end
            statement = tree
        elif isinstance(statement, ast.Inputs):
            statements += statement.statements()
            continue
        statements.append(statement)
    return ast.Program(statements, program.source)


def one_run_outcome(text: str) -> object:
    try:
        return dump(built(parse_for_one_run(Source(text))))
    except GradcalcError as error:
        return ("error", error.render())


def run(text: str, one_run: bool, overrides: dict[str, float] | None = None) -> str:
    source = Source(text)
    try:
        result = run_source(source, overrides) if one_run else run_program(parse(source), overrides)
    except GradcalcError as error:
        return "error: " + error.render()
    return render_json(result)


def assert_same_runs(text: str, overrides: dict[str, float] | None = None) -> None:
    expected = run(text, one_run=False, overrides=overrides)
    for _ in range(3):  # lines seen once, then copied: every path of the line cache
        assert run(text, one_run=True, overrides=overrides) == expected


@settings(max_examples=150, deadline=None)
@given(repetitive_programs())
def test_a_repeated_line_builds_the_statement_parse_makes(text: str) -> None:
    expected = outcome(text, by_lines=False)
    for _ in range(3):
        assert one_run_outcome(text) == expected


@settings(max_examples=100, deadline=None)
@given(repetitive_programs())
def test_a_program_parsed_for_one_run_runs_as_parsed(text: str) -> None:
    assert_same_runs(text)


CHAIN = "x = 0.5\nh = x * 1.0001\n" + "h = h * 1.0001\nh = h + x\n" * 60
WIDE = "".join(f"w{i} = 0.51\n" for i in range(40)) + "".join(f"x{i} = {i % 7 + 1}\n" for i in range(40)) + (
    " + ".join(f"w{i}*x{i}" for i in range(40))
)


@pytest.mark.parametrize(
    ("text", "overrides"),
    [
        (CHAIN, None),
        (CHAIN, {"x": 2.0}),  # x is an input of the command line's value: the same template
        ("h = 0.5\n" + "  h = h * w  # a step\nh = h + 1\n" * 40, {"w": 1.5}),  # w only on the command line
        ("a = 1\nb = 2\n" + "c = a * b\n" * 4 + "b = a\n" + "c = a * b\n" * 4 + "c",  # b becomes a: a new shape
         None),
        ("h = 1\n" + "h = h * pi\n" * 5 + "h = 2 * h\n" * 5 + "h", None),  # a constant read
        ("f(a) = a * 2\nh = 1\n" + "h = f(h)\n" * 5 + "h", None),  # a call: lowered afresh, each time
        ("f(a) = a * 2\nh = 1\n" + "h = f(h)\n" * 3 + "f(a, b) = a * b\n" + "h = f(h)\n", None),  # an error
        ("h = 1\n" + "h = h * 1e308\n" * 3, None),  # an overflow in the forward pass
        ("h = 2\n" + "h = h + 1; h = h * 2\n" * 4 + "h", None),  # two statements a line: copied, not repeated
        (WIDE, None),
        (WIDE, {"w3": 2.0, "x0": -1.0}),  # inputs the command line sets, among a run of input lines
        ("a = 1\nb = 2\nc = 3\nd = 1e999\ne = 5\na + b", None),  # a value too large, in the run
        ("a = 1  # one\n b = 2\nc=3\t\nformat = 4\nd = .5e-3\ne = 6 # \\\na*b*c*format*d*e", None),
        ("x = 1\nx = 2\nx = 3\nx = 4\ny = x * 2\nx = 5\nx = 6\ny", None),  # an input set again, in place
        ("a = 1\nb = 2\nc = 3\nd = (4)\nfor = 5\n", None),  # lines of other shapes, and an error
    ],
)  # fmt: skip
def test_hand_picked_programs_run_as_parsed(text: str, overrides: dict[str, float] | None) -> None:
    assert_same_runs(text, overrides)


def test_an_error_in_a_repeated_line_points_into_that_line() -> None:
    text = "f(a) = a * 2\nh = 1\n" + "h = f(h)\n" * 3 + "f(a, b) = a * b\n" + "h = f(h)\n"
    _line_parser.cache_clear()  # the copied lines are bounded: earlier tests may have used them up
    assert isinstance(parse_for_one_run(Source(text)).statements[-1], ast.Repeated)
    assert run(text, one_run=True).splitlines() == [
        "error: <program>:7:5: error: f takes 2 arguments, not 1",
        "7 | h = f(h)",
        "  |     ^^^^",
        "hint: it is defined as f(a, b)",
    ]


def test_a_generated_chain_is_mostly_repeated_lines() -> None:
    _line_parser.cache_clear()
    program = parse_for_one_run(Source(CHAIN))
    repeated = [s for s in program.statements if isinstance(s, ast.Repeated)]
    assert len(program.statements) == 122
    assert len(repeated) >= 115  # every line from its third time on
    assert {s.name for s in repeated} == {"h"}
    assert not any(isinstance(s, ast.Repeated) for s in parse(Source(CHAIN)).statements)  # parse's trees only


def test_a_generated_wide_sum_s_inputs_are_one_run_of_input_lines() -> None:
    _line_parser.cache_clear()  # a fresh process's parser: lines seen before are copied, one by one
    program = parse_for_one_run(Source(WIDE))
    kinds = [type(s).__name__ for s in program.statements]
    assert kinds == ["Assign", "Assign", "Assign", "Inputs", "Binary"]  # the tables, recorded, replayed, then a run
    inputs = program.statements[3]
    assert isinstance(inputs, ast.Inputs)
    assert inputs.names == [f"w{i}" for i in range(3, 40)] + [f"x{i}" for i in range(40)]
    assert inputs.values[:2] == [0.51, 0.51] and inputs.values[-3:] == [3.0, 4.0, 5.0]
