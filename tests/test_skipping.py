"""The expression that skips blanks, comments and continuations before a token skips exactly what the
grammar's ignored terminals, tried in turn, skip (``parser._skipping``): the same text, at every place."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from gradcalc.parser import _line_parser, _skipping

IGNORED = [r"\\[ \t]*\r?\n", r"[ \t\f\r]+", r"#[^\n]*"]  # as grammar/gradcalc.lark has them
ALTERNATIVES = re.compile(f"(?:{'|'.join(IGNORED)})*+")
TEXT = st.text(alphabet=" \t\f\r\n\\#x1=(", max_size=40)


SKIPPING = re.compile(_line_parser()._tokens._skipped)  # what the parser uses, made from the grammar


def test_the_blanks_are_taken_first() -> None:
    assert SKIPPING.pattern.startswith("[") and SKIPPING.pattern != ALTERNATIVES.pattern
    assert re.compile(_skipping(IGNORED)).pattern.startswith(r"[ \t\f\r]*+(?:(?:")


@given(TEXT)
def test_the_same_text_is_skipped_from_every_place(text: str) -> None:
    for at in range(len(text) + 1):
        assert SKIPPING.match(text, at).end() == ALTERNATIVES.match(text, at).end()  # type: ignore[union-attr]


def test_alternatives_that_could_start_alike_are_tried_in_turn() -> None:
    assert _skipping([r"[ \t]+", r"[#x]+", r"#[^\n]*"]) == r"(?:[ \t]+|[#x]+|#[^\n]*)*+"
    assert _skipping([r"a?", r"[ ]+"]) == r"(?:a?|[ ]+)*+"  # one may match nothing: not known


def test_without_a_run_of_blanks_the_alternatives_stay() -> None:
    assert _skipping([r"#[^\n]*"]) == r"(?:#[^\n]*)*+"
    assert _skipping([r"[ ]+"]) == r"[ ]*+"
