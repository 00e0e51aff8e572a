"""The first characters of a terminal's matches, and the line readers' lookaheads they let go.

A line reader reads each token behind a lookahead for the terminals the tokenizer tries first; one whose
matches start with other characters cannot match there, and its lookahead is left out. These tests check
the sets against the matches themselves, that what is not understood is "unknown" (never dropped), and
that the readers still read exactly what the tokenizer reads where two terminals do start alike.
"""

from __future__ import annotations

import re

import pytest

from gradcalc.first_characters import first_characters, may_start_alike
from gradcalc.parser import _line_parser
from test_parser_line_cache import assert_same_three_times

_TAILS = ("", "0", "5", "a", "_", "*", ".", "..5", "e5", "=", " ")


def _terminals() -> dict[str, str]:
    return dict(_line_parser()._tokens._alternatives)


@pytest.mark.parametrize("name", sorted(_terminals()))
def test_every_ascii_character_a_terminal_matches_from_is_in_its_first_characters(name: str) -> None:
    expression = _terminals()[name]
    first = first_characters(expression)
    assert first is not None, name  # the grammar's terminals are all understood
    for code in range(128):
        if any(re.match(expression, chr(code) + tail) for tail in _TAILS):
            assert code in first, (name, chr(code))


def test_the_sets_of_the_grammars_terminals() -> None:
    terminals = _terminals()
    assert first_characters(terminals["EQUAL"]) == {ord("=")}
    assert first_characters(terminals["POW_OP"]) == {ord("*"), ord("^")}
    assert first_characters(terminals["NUMBER"]) == {*map(ord, "0123456789."), -1}  # \d: digits beyond ASCII too
    assert -1 not in first_characters(terminals["NAME"])  # type: ignore[operator]  # ASCII letters only: not é


@pytest.mark.parametrize(
    "expression",
    ["a?", "a*", "(?:ab)?", "", "(?=a)", "(?i)a", "(?i:a)b", ".", "[^a]", "\\W", "a|b?", "\\S"],
)
def test_what_may_match_nothing_or_anything_is_unknown(expression: str) -> None:
    assert first_characters(expression) is None
    assert may_start_alike(expression, "=")  # an unknown set overlaps every other


def test_lookarounds_and_anchors_take_no_character() -> None:
    assert first_characters("(?!\\.)\\.?x") == {ord("."), ord("x")}
    assert first_characters("\\bfor") == {ord("f")}
    assert first_characters("(?>[A-Z])(a)\\1") == set(range(ord("A"), ord("Z") + 1))
    assert first_characters("[\u00e0-\u00ff]") == {-1}
    assert may_start_alike("[\u00e0-\u00ff]", "\\w")  # both may start beyond ASCII: not told apart


def test_overlapping_terminals_keep_their_lookahead() -> None:
    terminals = _terminals()
    assert may_start_alike(terminals["POW_OP"], terminals["MUL_OP"])  # ** before *
    assert may_start_alike(terminals["NUMBER"], terminals["DOTDOT"])  # .5 before ..
    assert not may_start_alike(terminals["NUMBER"], terminals["NAME"])
    assert not may_start_alike(terminals["NAME"], terminals["EQUAL"])


def test_a_reader_checks_only_the_terminals_that_could_match_in_its_place() -> None:
    tokens = _line_parser()._tokens
    pattern = tokens._shape(("NAME", "EQUAL", "NUMBER"), "\\Z")[0].pattern
    assert "(?!" not in pattern.replace("(?!\\.)", "")  # NUMBER's own lookahead (1..3) is part of it
    product = tokens._shape(("NAME", "MUL_OP", "NAME"), "\\Z")[0].pattern
    assert f"(?!{_terminals()['POW_OP']})" in product  # b**c is a power, not two products


@pytest.mark.parametrize(
    "last",
    ["a = b**c", "a = b*.5", "a = .5*b", "a = 1..3", "a = b*1e5", "a = 1x", "a = b*_c", "a=b**-c", "a = b ^ c"],
)
def test_lines_where_terminals_start_alike_are_read_as_the_tokenizer_reads_them(last: str) -> None:
    assert_same_three_times("".join(f"a = b*c{k}\nw{k} = 0.5\n" for k in range(4)) + last + "\n" + "a = b*c\n")
