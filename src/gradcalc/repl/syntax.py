"""The tokens of a REPL line, by kind, for highlighting and completion (no terminal library here).

A line is split into runs that cover it exactly, so a highlighter can style each run and lose
nothing: numbers, operators, parentheses, comments, names (bound, functions, constants, unknown),
and a leading ``:command``.
"""

from __future__ import annotations

import re
from collections.abc import Collection

from gradcalc.ops import CONSTANTS, FUNCTIONS

_TOKEN = re.compile(
    r"(?P<comment>#.*)"
    r"|(?P<number>(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?)"
    r"|(?P<name>[A-Za-z_][A-Za-z_0-9]*)"
    r"|(?P<operator>\*\*|[-+*/^=;,])"
    r"|(?P<paren>[()])"
    r"|(?P<space>\s+)"
    r"|(?P<other>.)"
)
_COMMAND = re.compile(r"\s*:\S*")
WORD_BEFORE_CURSOR = re.compile(r"[A-Za-z_][A-Za-z_0-9]*\Z")


def tokens(line: str, names: Collection[str] = ()) -> list[tuple[str, str]]:
    """``(kind, text)`` runs covering ``line``; kinds: command, comment, number, operator, paren,
    space, other, and for names: function (followed by '('), constant, name (bound), unknown."""
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
            if text in FUNCTIONS and following.startswith("("):
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
    """How many parentheses are open after ``line``, ``depth`` being open before it (comments ignored)."""
    code = line.split("#", 1)[0]
    return max(0, depth + code.count("(") - code.count(")"))


def continues(line: str, depth: int) -> bool:
    """Whether the statement goes on after ``line``: parentheses still open, or a final backslash."""
    return depth > 0 or line.split("#", 1)[0].rstrip().endswith("\\")


def unfinished(text: str) -> bool:
    """Whether a statement goes on past the end of ``text``."""
    depth = 0
    lines = text.split("\n")
    for line in lines:
        depth = depth_after(line, depth)
    return continues(lines[-1], depth)
