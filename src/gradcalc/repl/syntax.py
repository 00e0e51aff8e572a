"""The tokens of a REPL line, by kind, for highlighting and completion (no terminal library here).

A line is split into runs that cover it exactly, so a highlighter can style each run and lose
nothing: numbers, operators, brackets, comments, keywords, names (bound, functions, constants,
unknown), and a leading ``:command``.

Here too is what decides whether an input goes on past a line: a parenthesis, a loop's ``[`` list or
a block's ``{`` still open (outside comments), or a final backslash, as the parser joins lines inside
them. The terminal asks for another line then, and a piped session joins the lines, so ``f(x) = {``
... ``}`` and ``for c in [1,`` ... ``2] { ... }`` are one entry in both.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from gradcalc.ops import CONSTANTS, FUNCTIONS

_TOKEN = re.compile(
    r"(?P<comment>#.*)"
    r"|(?P<number>(\d+(\.(?!\.)\d*)?|\.\d+)([eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<operator>\*\*|\.\.|[-+*/^=;,])"
    r"|(?P<paren>[()\[\]{}])"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)"
)
_COMMAND = re.compile(r"\s*:\S*")
WORD_BEFORE_CURSOR = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\Z")
KEYWORDS = frozenset({"for", "in"})
OPENING = {"(": ")", "[": "]", "{": "}"}  # what may span lines, and what closes each
_CLOSING = frozenset(OPENING.values())


def tokens(line: str, names: Collection[str] = ()) -> list[tuple[str, str]]:
    """``(kind, text)`` runs covering ``line``; kinds: command, comment, number, operator, paren,
    space, other, and for names: keyword, function (followed by '('), constant, name (bound), unknown."""
    runs: list[tuple[str, str]] = []
    position = 0
    command = _COMMAND.match(line)
    if command:
        runs.append(("command", command.group()))
        position = command.end()
    for match in _TOKEN.finditer(line, position):
        kind = match.lastgroup or "other"
        text = match.group()
        if kind == "name":
            following = line[match.end() :].lstrip()
            if text in KEYWORDS:
                kind = "keyword"
            elif text in FUNCTIONS and following.startswith("("):
                kind = "function"
            elif text in names:
                kind = "name"
            elif text in CONSTANTS:
                kind = "constant"
            else:
                kind = "unknown"
        runs.append((kind, text))
    return runs


def depth_after(line: str, depth: int = 0) -> int:
    """How many brackets (``(``, ``[``, ``{``) are open after ``line``, ``depth`` being open before it.

    Comments are ignored, so ``# {`` opens nothing. Brackets are counted, not matched: the parser
    says what is wrong with ``(]``, and more closing than opening ones leave nothing open.
    """
    code = line.split("#", 1)[0]
    opened = sum(map(code.count, OPENING))
    closed = sum(map(code.count, _CLOSING))
    return max(0, depth + opened - closed)


def continues(line: str, depth: int) -> bool:
    """Whether the statement goes on after ``line``: brackets still open, or a final backslash."""
    return depth > 0 or line.split("#", 1)[0].rstrip().endswith("\\")


def unfinished(text: str) -> bool:
    """Whether a statement goes on past the end of ``text``."""
    depth = 0
    lines = text.split("\n")
    for line in lines:
        depth = depth_after(line, depth)
    return continues(lines[-1], depth)


def unclosed(text: str) -> int | None:
    """The offset in ``text`` of the first bracket never closed, if any (comments ignored)."""
    open_at: list[int] = []
    offset = 0
    for line in text.split("\n"):
        code = line.split("#", 1)[0]
        for column, char in enumerate(code):
            if char in OPENING:
                open_at.append(offset + column)
            elif char in _CLOSING and open_at:
                open_at.pop()
        offset += len(line) + 1
    return open_at[0] if open_at else None
