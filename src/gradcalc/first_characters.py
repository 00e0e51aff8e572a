"""The characters a regular expression's match can start with: what lets the parser's line readers drop a
lookahead that can never fail.

A line reader (``parser._Tokens.reader``) reads each token with the expected terminal's expression, behind a
negative lookahead for every terminal the tokenizer tries before it: the token is then exactly what the
tokenizer would read there. A terminal whose matches start with other characters than the expected one's
can never match where the expected one does, and its lookahead only costs time (a tenth of the parse of
a wide sum and its ``w0 = 0.51`` lines, measured). ``may_start_alike`` says when two expressions could
start alike.

The expression is read by the standard library's own parser of regular expressions (``re._parser``). What
this does not understand (a back-reference, a flag, a part that may match nothing at all) makes the answer
"unknown", and an unknown set overlaps every other: a lookahead is only ever dropped where it cannot fail.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache
from typing import Any

_OTHER = -1  # stands for every character beyond ASCII
_ASCII_WITH = {  # the ASCII characters of a category; each also has characters beyond ASCII
    "CATEGORY_DIGIT": "0123456789",
    "CATEGORY_WORD": "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz",
    "CATEGORY_SPACE": " \t\n\r\f\v",
}


class _Unknown(Exception):
    """A part of the expression this module does not read."""


def may_start_alike(one: str, other: str) -> bool:
    """Whether a match of ``one`` and a match of ``other`` could start with the same character."""
    first, second = first_characters(one), first_characters(other)
    return first is None or second is None or not first.isdisjoint(second)


@lru_cache(maxsize=256)
def first_characters(expression: str) -> frozenset[int] | None:
    """The code points a match of ``expression`` can start with (below 128; ``-1`` for any beyond), or None
    where they are not known."""
    try:
        from re import _parser

        parsed = _parser.parse(expression)
        if parsed.state.flags & re.IGNORECASE:
            return None
        first, may_be_empty = _sequence(parsed.data)
    except (_Unknown, ImportError, AttributeError, ValueError):  # the private module may change: unknown
        return None
    return None if may_be_empty else frozenset(first)


def _sequence(items: Iterable[tuple[Any, Any]]) -> tuple[set[int], bool]:
    """The first characters of ``items`` matched one after another, and whether all of them may be empty."""
    first: set[int] = set()
    for op, argument in items:
        characters, may_be_empty = _item(str(op), argument)
        first |= characters
        if not may_be_empty:
            return first, False
    return first, True


def _item(op: str, argument: Any) -> tuple[set[int], bool]:
    if op == "LITERAL":
        return {_code(argument)}, False
    if op == "IN":
        return _class(argument), False
    if op == "BRANCH":
        first: set[int] = set()
        may_be_empty = False
        for branch in argument[1]:
            characters, empty = _sequence(branch)
            first |= characters
            may_be_empty = may_be_empty or empty
        return first, may_be_empty
    if op == "SUBPATTERN":
        _, added, _, pattern = argument
        if added & re.IGNORECASE:
            raise _Unknown(op)
        return _sequence(pattern)
    if op == "ATOMIC_GROUP":
        return _sequence(argument)
    if op in ("MAX_REPEAT", "MIN_REPEAT", "POSSESSIVE_REPEAT"):
        least, _, pattern = argument
        first, may_be_empty = _sequence(pattern)
        return first, may_be_empty or least == 0
    if op in ("ASSERT", "ASSERT_NOT", "AT"):  # takes no character: what follows it starts the match
        return set(), True
    raise _Unknown(op)  # any character (ANY, NOT_LITERAL), a back-reference, a conditional


def _class(items: list[tuple[Any, Any]]) -> set[int]:
    first: set[int] = set()
    for op, argument in items:
        kind = str(op)
        if kind == "LITERAL":
            first.add(_code(argument))
        elif kind == "RANGE":
            low, high = argument
            first.update(range(low, min(high, 127) + 1))
            if high > 127:
                first.add(_OTHER)
        elif kind == "CATEGORY" and str(argument) in _ASCII_WITH:
            first.update(map(ord, _ASCII_WITH[str(argument)]))
            first.add(_OTHER)
        else:  # a negated class, another category
            raise _Unknown(kind)
    return first


def _code(code: int) -> int:
    return code if code < 128 else _OTHER
