"""The line-by-line parse (shapes seen before replayed) gives exactly the AST and errors of one Lark run.

``parse`` reads a program line by line and replays the recorded reductions of a line shape it has seen
(see ``parser._LineParser``); ``parse(..., by_lines=False)`` runs Lark's tables over the whole text. Every
program here is parsed three times the cached way, so its lines go through all three paths (first seen,
recorded, replayed or copied), and each result must be the uncached one, node for node, offset for offset.
"""

from __future__ import annotations

import dis
import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz_programs import expressions, mutated, names, programs
from gradcalc import ast
from gradcalc.errors import ProgramSyntaxError
from gradcalc.parser import _line_parser, parse
from gradcalc.source import Source


def dump(program: ast.Program) -> list[tuple]:
    """Every node's type and fields, in pre-order, children by position (an explicit stack)."""
    out: list[tuple] = []
    stack: list[object] = list(reversed(program.statements))
    while stack:
        node = stack.pop()
        if isinstance(node, (list, tuple)):
            out.append(("seq", len(node)))
            stack.extend(reversed(node))
            continue
        row: list[object] = [type(node).__name__]
        children: list[object] = []
        for field in type(node).__slots__:
            value = getattr(node, field)
            if hasattr(type(value), "__slots__") or isinstance(value, (list, tuple)):
                row.append(field)
                children.append(value)
            else:
                row.append((field, type(value).__name__, repr(value)))
        out.append(tuple(row))
        stack.extend(reversed(children))
    return out


def outcome(text: str, by_lines: bool) -> object:
    try:
        return dump(parse(Source(text), by_lines=by_lines))
    except ProgramSyntaxError as error:
        return ("error", error.render())


def assert_same_three_times(text: str) -> None:
    expected = outcome(text, by_lines=False)
    for _ in range(3):
        assert outcome(text, by_lines=True) == expected


# Lines people write beside the fuzzer's: definitions, loops, blocks over several lines, continuations.
MORE_LINES = (
    "f(a) = a^2 + 1",
    "g(a, b) = { c = a*b; c + 1 }",
    "for t in 1..3 { h = h*w + t }",
    "for v in [1, 2, -3] { s = s + v }",
    "k(a) = {\n  d = a + 1\n  d*d\n}",
    "h = 0.5",
    "s = 0",
    "w = 2",
    "x = 1 + \\\n 2",
    "y = (x +\n 1)",
    "z = f(\n2)",
    "for v in [1, # one\n 2] { s = s + v }",
)


@st.composite
def repetitive_programs(draw: st.DrawFn) -> str:
    """Lines drawn from a small pool, so shapes and whole lines come again, at other offsets."""
    small = expressions(max_leaves=6)
    statement = st.one_of(small, st.builds(lambda name, value: f"{name} = {value}", names, small))
    line = st.one_of(statement, st.sampled_from(MORE_LINES))
    pool = draw(st.lists(line, min_size=1, max_size=5))
    picks = draw(st.lists(st.sampled_from(pool), min_size=1, max_size=12))
    separator = st.sampled_from(["\n", "\n", ";", "\n\n", " \n"])
    separators = draw(st.lists(separator, min_size=len(picks), max_size=len(picks)))
    return "".join(line + sep for line, sep in zip(picks, separators, strict=True))


@settings(max_examples=150, deadline=None)
@given(repetitive_programs())
def test_repeated_lines_parse_as_one_run_of_the_tables(text):
    assert_same_three_times(text)


@settings(max_examples=100, deadline=None)
@given(st.one_of(programs(), mutated(), mutated(repetitive_programs())))
def test_any_program_or_broken_program_parses_or_fails_the_same(text):
    assert_same_three_times(text)


@pytest.mark.parametrize(
    "text",
    [
        "h = h * 1.0001\n" * 5,
        "".join(f"w{i} = 0.{i}\n" for i in range(6)) + "w0*w1 + w2*w3",
        "a = (1)\nb = (2)\nc = ((3))\n" * 2,
        "x = -(-x)\n" * 3 + "x = 2 ^ -x\n" * 3,
        "y = 1\ny = 2 +\ny = 3\n",  # an error on a line whose shape was fine before
        "f(a) = a\nf(a) = a\nf(2)\n",
        "x = 1; y = 2\n" * 3 + "\n\n# c\n",
        "",
        "\n\n",
    ],
)
def test_hand_picked_programs(text):
    assert_same_three_times(text)


@pytest.mark.parametrize(
    "last",
    ["a = b**c", "a = b * * c", "a = b*c*d", "a = bc", "a = b*2e5", "a = b*1..3", "in = b*c", "ink = b*c",
     "a = for*c", "form = b*c  # note", "a = b*c\t\f", "a = b*c é", "a = b*(c)", "a=b*.5"],
)  # fmt: skip
def test_a_line_read_by_the_last_lines_shape_is_read_as_the_tokenizer_reads_it(last):
    """A line of a new text is first tried against the shape of the last line replayed (``a = b*c3``)."""
    fresh = next(_FRESH)  # lines no earlier test has shown, so they are replayed, not copied
    assert_same_three_times("".join(f"a = b*c{k}_{fresh}\n" for k in range(4)) + last + "\n" + "a = b*c\n")


_FRESH = itertools.count()


def test_a_generated_chain_is_replayed_not_reparsed():
    _line_parser.cache_clear()  # the caches are bounded: earlier tests may have filled them
    text = "x = 0.5\n" + "h = h * 1.0001\nh = h + x\n" * 50
    assert_same_three_times(text)
    parser = _line_parser()
    assert callable(parser._by_text["h = h * 1.0001"])
    assert callable(parser._by_shape[("NAME", "EQUAL", "NAME", "MUL_OP", "NUMBER")])


def test_a_syntax_error_keeps_its_caret_after_the_shape_was_seen():
    good = "a = b * 2\n" * 3
    with pytest.raises(ProgramSyntaxError) as caught:
        parse(Source(good + "a = b * * 2\n"))
    assert caught.value.render() == outcome(good + "a = b * * 2\n", by_lines=False)[1]  # type: ignore[index]
    assert "^" in caught.value.render()


@pytest.mark.parametrize(
    ("line", "inlined"),
    [
        ("w7 = 0.51", True),
        ("h = h * 1.0001", True),
        ("y = -x ^ 2 - 3 / z", True),
        ("a = 1; b = a + 2", True),
        ("h = tanh(w * h)", False),  # a call: its tokens are replayed
        ("h = (h + 1) * 2", False),  # parentheses: likewise
    ],
)
def test_a_line_shape_whose_reductions_inline_is_read_and_built_by_one_function(line: str, inlined: bool) -> None:
    """From a shape's third line on, it is read by one function: the reductions' inline forms, run on the
    values and offsets a regular expression read, make the AST with no token and no builder call (or, for
    a shape with a call or parentheses, the tokens read are replayed). Either way, the tables' AST."""
    text = f"{line}\n{line} \n{line}  \n{line}\n"  # one shape, four texts: no line is copied
    assert_same_three_times(text)
    kinds = _line_parser()._tokens.line(line, 0, len(line))[0]
    reader = _line_parser()._line_runs[kinds]
    # The generated reader (``_Tokens.run_reader``) builds the AST itself, or replays the tokens it read.
    replays = any(i.opname == "LOAD_FAST" and i.argval == "replay" for i in dis.get_instructions(reader))
    assert replays is not inlined


def distinct(line: str, count: int) -> str:
    """``count`` lines of the shape of ``line``, every one a text of its own (no line is copied)."""
    fresh = next(_FRESH)
    return "".join(line.replace("@", f"{k}_{fresh}") + "\n" for k in range(count))


@pytest.mark.parametrize(
    "text",
    [
        distinct("w@ = 0.51", 8),
        distinct("w@ = 0.51", 8)[:-1],  # the run ends at the text's end, no newline after it
        distinct("w@ = 0.51", 4) + "in_ = 2\nfor = 3\n" + distinct("v@ = 1", 4),  # a keyword stops the run
        distinct("w@ = 0.51", 4) + "x = 1 \\\n\n" + distinct("w@ = 2", 4),  # a continuation, then an empty line
        distinct("w@ = 0.51", 4) + "x = 1 \\\n+ 2\n" + distinct("w@ = 2", 4),  # a continuation into the next line
        distinct("w@ = 0.51", 4) + "x = 1 \\" + "\n",  # a continuation at the text's end
        distinct("w@ = 0.51  # a comment", 5) + distinct("w@ = 0.51\r", 5),  # comments; CRLF line ends
        distinct("w@ = 0.51", 4) + "\n\n" + distinct("w@ = 0.51", 4),  # empty lines between runs
        distinct("w@ = 0.51", 4) + distinct("h@ = w@ * 2", 4) + distinct("w@ = 0.51", 4),  # runs of two shapes
        distinct("a@ = 1; b@ = 2", 5),  # two statements a line
        distinct("h@ = tanh(w * h)", 5) + "h = tanh(w *\n",  # tokens replayed, then an error
        distinct("w@ = 0.51", 4) + "w9 = 0.5.1\n" + distinct("w@ = 0.51", 2),  # an error inside a run
        distinct("w@ = 0.51", 3) + "w = 1" + " " * 500 + "\n" + distinct("w@ = 0.51", 2),  # a long line of the shape
        distinct("# comment @", 4) + "w = 0\n",  # lines of no tokens, then a last empty line of that shape
        distinct("# comment @", 4) + "w = 0",
        distinct("# comment @", 4),
        distinct("", 4) + distinct("  # @", 3),
    ],
)
def test_a_run_of_distinct_lines_of_one_shape_is_read_at_once_and_gives_the_tables_ast(text: str) -> None:
    """Lines of one shape, one after another, each a text of its own (a generated program's inputs), are read
    in one run (``_Tokens.run_reader``), which stops at the first line not of the shape: what stops a run,
    and what a run must not read as its own, gives the tables' AST or error all the same."""
    assert_same_three_times(text)
