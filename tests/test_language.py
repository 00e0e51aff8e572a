"""The language: precedence, associativity, inputs, re-binding, constants, comments."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz_programs import mutated, programs
from gradcalc import ast
from gradcalc.errors import EvaluationError, ProgramSyntaxError
from helpers import by_label, gradients, run
from test_parser_line_cache import dump


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("2^3^2", 512.0),
        ("2**3**2", 512.0),
        ("-2^2", -4.0),
        ("2^-1", 0.5),
        ("-2^-2", -0.25),
        ("1 - 2 - 3", -4.0),
        ("8 / 4 / 2", 1.0),
        ("2 + 3 * 4", 14.0),
        ("(2 + 3) * 4", 20.0),
        ("2 * 3 ^ 2", 18.0),
        ("--3", 3.0),
        ("+-+3", -3.0),
        ("-3 * -2", 6.0),
        (".5 + 1e-3 + 3.", 3.501),
        ("2e2", 200.0),
        ("pi", math.pi),
        ("e", math.e),
        ("max(1, 2) + min(1, 2)", 3.0),
    ],
)
def test_precedence_and_associativity(text, value):
    assert run(text).evaluation.value == pytest.approx(value, rel=1e-15)


def test_unary_minus_is_looser_than_power():
    result = run("-x^2", x=3)
    assert result.evaluation.value == -9.0
    assert gradients(result) == {"x": -6.0}


def test_input_used_twice_accumulates_gradient():
    assert gradients(run("x*x", x=3)) == {"x": 6.0}
    assert gradients(run("x + x + x", x=5)) == {"x": 3.0}


def test_constant_assignment_makes_an_input_and_reassignment_changes_it_in_place():
    result = run("a = 2; b = a * 3; a = 5; b")
    assert result.evaluation.value == 15.0
    assert gradients(result) == {"a": 3.0}


def test_reassignment_builds_on_the_old_node():
    result = run("a = 1; b = 2; c = a + b; c = c + c + 1")
    nodes = by_label(result)
    assert result.evaluation.value == 7.0
    assert nodes["c"] == (3.0, 2.0)  # the first c is used twice
    assert result.output_name == "c"
    assert result.output_label == "c'"
    assert gradients(result) == {"a": 2.0, "b": 2.0}


def test_constant_expressions_make_inputs():
    result = run("x = pi/2; sin(x)")
    assert result.evaluation.value == 1.0
    assert gradients(result)["x"] == pytest.approx(0.0, abs=1e-15)


def test_assignment_may_shadow_constants():
    result = run("c = 5; d = 2; e = c - d; e * 2")
    assert result.evaluation.value == 6.0
    assert by_label(result)["e"] == (3.0, 2.0)


def test_overrides_win_over_the_programs_constant_assignment():
    result = run("x = 1; y = 2; x * y", x=10)
    assert result.evaluation.value == 20.0
    assert result.unused_overrides == []


def test_unused_override_is_reported():
    assert run("x * 2", x=1, typo=3).unused_overrides == ["typo"]


def test_output_is_the_last_statement_and_unnamed_output_is_f():
    result = run("a = 2; b = a * a; b + 1")
    assert result.evaluation.value == 5.0
    assert result.output_name is None
    assert result.output_label == "f"


def test_auto_names_never_clash_with_user_names():
    result = run("p = 1; q = 2; f = 3; (p + q) * f + 1")
    labels = set(result.labels.values())
    assert {"p", "q", "f"} <= labels
    assert len(labels) == len(result.evaluation.order)


def test_comments_blank_lines_and_semicolons():
    text = "# a comment\n\nx = 1 # trailing\n;; y = 2;\n\nx + y\n"
    assert run(text).evaluation.value == 3.0


def test_newlines_inside_parentheses_continue_the_statement():
    text = "w = 2\nf = sigmoid(w * 1 +\n            w * 2)\n"
    assert run(text).evaluation.value == pytest.approx(1 / (1 + math.exp(-6)))


def test_constant_exponent_is_folded_into_one_gate():
    result = run("x^2", x=3)
    nodes = result.graph.nodes
    gate = nodes[result.evaluation.output]
    assert gate.op.name == "powc" and gate.param == 2.0 and len(result.evaluation.order) == 2


def test_constant_subexpressions_become_one_leaf_labelled_by_its_text():
    result = run("x * (2 + 3)", x=1)
    assert by_label(result)["(2 + 3)"] == (5.0, 1.0)


@pytest.mark.parametrize(
    ("text", "message", "column"),
    [
        ("(x+)*z", "unexpected ')'", 4),
        ("x = ", "the program ends too early", 4),
        ("x @ 3", "unexpected character '@'", 3),
        ("3 3", "unexpected '3'", 3),
        ("a = b = 3", "unexpected '='", 7),
    ],
)
def test_syntax_errors_name_the_place_and_what_was_expected(text, message, column):
    with pytest.raises(ProgramSyntaxError) as caught:
        run(text, x=1, z=1)
    error = caught.value
    assert message in error.message
    assert error.span is not None
    assert error.span.source.line_col(error.span.start) == (1, column)
    lines = [line for line in error.render().splitlines() if not line.startswith("hint:")]
    assert lines[-1].index("^") - lines[-2].index(text[0]) == column - 1


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("y * 2", "the name 'y' has no value"),
        ("foo(1)", "unknown function 'foo'"),
        ("max(1)", "max takes 2 arguments, not 1"),
        ("exp(1, 2)", "exp takes 1 argument, not 2"),
        ("log(-1)", "log(-1) is undefined"),
        ("sqrt(-1)", "sqrt(-1) is undefined"),
        ("1/0", "division by zero"),
        ("0^-1", "0 ^ (-1) is undefined"),
        ("(-8)^(1/3)", "is undefined"),
        ("exp(1000)", "overflow: exp(1000)"),
        ("9^9^9^9", "overflow"),
    ],
)
def test_evaluation_errors_name_the_operation(text, message):
    with pytest.raises(EvaluationError) as caught:
        run(text)
    assert message in caught.value.message
    assert caught.value.span is not None


def test_runtime_errors_point_at_the_failing_operation():
    with pytest.raises(EvaluationError) as caught:
        run("a = 2\nb = log(x - 3) * a", x=1)
    error = caught.value
    assert error.span.text == "log(x - 3)"
    assert error.span.location() == "<program>:2:5"


def test_overflow_in_a_product_is_an_error_not_inf():
    with pytest.raises(EvaluationError, match="overflow"):
        run("x * x", x=1e200)


def test_error_in_a_very_long_line_shows_a_window_around_the_caret():
    text = "y = " + " + ".join(["1"] * 500) + " + log(-1)"
    with pytest.raises(EvaluationError) as caught:
        run(text)
    line, carets = caught.value.render().splitlines()[1:3]
    assert len(line) < 120 and line.startswith("1 | …")
    assert line[carets.index("^"):].startswith("log(-1)")
    assert carets.count("^") == len("log(-1)")


def test_the_kept_tables_are_larks_analysis_of_the_grammar(tmp_path):
    """The tables a command reads from the cache are Lark's analysis of the grammar as it is now, and a
    damaged or stale file is analysed afresh and replaced."""
    import marshal

    from gradcalc import lalr, parser

    grammar = parser.grammar_path().read_text(encoding="utf-8")
    fresh = lalr.from_lark(parser._lark())
    assert parser._tables() == fresh
    assert lalr.cached(grammar, tmp_path, lambda: fresh) == fresh  # made and kept
    (kept,) = tmp_path.iterdir()
    assert lalr.cached(grammar, tmp_path, lambda: pytest.fail("analysed again")) == fresh
    wrong_shape = marshal.dumps((lalr.FORMAT, grammar, [1, 2]))  # as an older layout might be
    for damage in (b"", kept.read_bytes()[:100], b"\x00" * 50, marshal.dumps([]), wrong_shape):
        kept.write_bytes(damage)
        assert lalr.cached(grammar, tmp_path, lambda: fresh) == fresh
        assert lalr.cached(grammar, tmp_path, lambda: pytest.fail("analysed again")) == fresh
    edited = grammar + "\n// edited\n"
    assert lalr.cached(edited, tmp_path, lambda: fresh._replace(ignore=())).ignore == ()
    assert lalr.cached(grammar, None, lambda: fresh) == fresh  # nowhere to keep it


_TABLE_SAMPLES = [
    "g = (x+y)*z",
    "-x^2 + 2^3^2",
    "f = sigmoid(w*x +\n b)",
    "max(x, y, 3) / min(x, y); ;\n\n",
    "f(a, b) = { c = a*b; c + 1 }\nf(1, 2)",
    "sq(x) = x^2\nfor t in 1..3 { h = tanh(w*h + t) }\nfor v in [1, 2.5, -3] {}\ngrad(sq(x), x)",
    "",
]
_TABLE_REJECTS = ["x = (1 +", "x y", "f(x) = ", "for t in 1..3 h = t", ")", "1 +* 2", "x ! 2"]


@pytest.mark.parametrize("text", _TABLE_SAMPLES + _TABLE_REJECTS)
def test_the_tables_parse_as_larks_own_parser_does(text):
    """gradcalc's loop over the kept tables makes what Lark's own LALR parser makes of Lark's own tokens,
    with the same builders, and rejects what it rejects."""
    assert _assert_parsed_as_lark_parses(text) == (text in _TABLE_SAMPLES)


@given(st.one_of(programs(), mutated()))
@settings(max_examples=200, deadline=None)
def test_the_tables_parse_programs_and_broken_ones_as_lark_does(text):
    _assert_parsed_as_lark_parses(text)


def _assert_parsed_as_lark_parses(text):
    from lark.exceptions import UnexpectedInput
    from lark.parsers.lalr_parser import _Parser

    from gradcalc import parser

    text = parser._join_lines_in_parens(text)  # as parse() hands the text to the tables
    lark = parser._lark()
    callbacks = {}
    for rule in lark.rules:
        builder = getattr(parser._Builder, rule.alias, None) if rule.alias else None
        callbacks[rule] = builder if builder is not None else (lambda children: children[0])

    class Tokens:
        def lex(self, state):
            return lark.lex(text)

    try:
        theirs = dump(ast.Program(_Parser(lark.parser.parser._parse_table, callbacks).parse(Tokens(), "start"), None))
    except UnexpectedInput:
        theirs = "rejected"
    try:
        ours = dump(ast.Program(parser._parser().parse(text), None))
    except parser.NoAction:
        ours = "rejected"
    assert ours == theirs
    return ours != "rejected"


_LEXER_SAMPLES = [
    "g = (x+y)*z",
    "x = 1; y=2\n  g = max(x, y, 3) * -x^2 # a comment\n(x+y)*z \\\n + 1\n",
    "a**2 ^ .5e-3 + 1.e+2 - 3E4 / _b9",
    "\t\f\r x\n\n;;\n",
    "",
    "x ! y",
    "for t in 1..3 { h = tanh(w*h + t) }\nfor x in [1, 2.5, .5..1.] {}",
    "f(x) = x^2 + 1; format(in_, fort) = { inx = 1 }; 1...2",
]


@given(st.text(alphabet="ab1.e+-*/^()=,;# \t\n\\!" + "[]{}fornix", max_size=40))
@settings(max_examples=300, deadline=None)
def test_fast_lexer_reads_the_tokens_lark_reads(text):
    """The parser's own token reader and Lark's lexer of the grammar agree, token for token."""
    _assert_same_tokens(text)


def test_fast_lexer_reads_the_samples_as_lark_does():
    for text in _LEXER_SAMPLES:
        _assert_same_tokens(text)


def _assert_same_tokens(text):
    from lark.exceptions import UnexpectedCharacters

    from gradcalc import parser

    theirs = []
    bad_at = None
    try:
        for token in parser._lark().lex(text):
            theirs.append((token.type, token.value, token.start_pos, token.end_pos))
    except UnexpectedCharacters as exc:
        bad_at = exc.pos_in_stream
    ours = []
    try:
        for token in parser._parser()._tokens.stream(text):
            ours.append((token.type, token.value, token.start_pos, token.end_pos))
    except EOFError:
        pass
    if bad_at is None:
        assert ours == theirs
    else:
        assert ours[: len(theirs)] == theirs
        assert ours[len(theirs)][0] == "UNEXPECTED_CHARACTER" and ours[len(theirs)][2] == bad_at
