"""Text to AST: Lark's LALR parser with the AST built during reductions.

The transformer is embedded in the parser, so there is no parse tree and no recursion: a sum of
100,000 terms and parentheses nested 10,000 deep parse at Python's default recursion limit. The
grammar's parse tables are cached on disk, so a one-shot command does not rebuild them.
"""

from __future__ import annotations

import gc
import hashlib
import os
import re
from collections.abc import Collection, Iterator
from contextlib import contextmanager
from functools import cache
from pathlib import Path

from lark import Lark, Token
from lark.exceptions import UnexpectedCharacters, UnexpectedInput, UnexpectedToken

from gradcalc import ast
from gradcalc.errors import ProgramSyntaxError
from gradcalc.ops import CHOOSERS, FUNCTIONS
from gradcalc.source import Source, Span

GRAMMAR_FILE = "gradcalc.lark"

# What the user reads for each terminal Lark says it expected.
_EXPECTED_WORDS = {
    "NUMBER": "a number",
    "NAME": "a name",
    "LPAR": "'('",
    "RPAR": "')'",
    "ADD_OP": "'+', '-'",
    "MUL_OP": "'*', '/'",
    "POW_OP": "'^'",
    "COMMA": "','",
    "EQUAL": "'='",
    "_NEWLINE": "a new line",
    "SEMICOLON": "';'",
    "$END": "the end of the program",
}
_EXPECTED_ORDER = list(_EXPECTED_WORDS)


def grammar_path() -> Path:
    """The grammar file: inside the installed package, or the checkout's top-level ``grammar/``."""
    here = Path(__file__).resolve().parent
    packaged = here / "grammar" / GRAMMAR_FILE  # the wheel puts grammar/ inside the package
    return packaged if packaged.is_file() else here.parents[1] / "grammar" / GRAMMAR_FILE


def _cache_path(grammar: str) -> str | bool:
    """Where Lark keeps the analysed grammar between runs; False where nothing is writable.

    A damaged or half-written cache file is harmless: Lark checks it and rebuilds the tables.
    """
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gradcalc"
        base.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        return False
    if not os.access(base, os.W_OK):
        return False
    digest = hashlib.sha256(grammar.encode()).hexdigest()[:16]
    return str(base / f"grammar-{digest}.lark-cache")


_PAREN_OR_NEWLINE = re.compile(r"[()\n]|#[^\n]*")


def _join_lines_in_parens(text: str) -> str:
    """Blank out newlines inside parentheses, so a long call may span lines.

    The text keeps its length, so every offset (and every error caret) stays where it was.
    """
    if "\n" not in text or "(" not in text:
        return text
    chars: list[str] | None = None
    depth = 0
    for match in _PAREN_OR_NEWLINE.finditer(text):
        found = match.group()
        if found == "(":
            depth += 1
        elif found == ")":
            depth = max(0, depth - 1)
        elif found == "\n" and depth:
            chars = chars or list(text)
            chars[match.start()] = " "
    return "".join(chars) if chars else text


class _Builder:
    """The embedded transformer: one method per aliased grammar rule, each returns an AST node.

    Tokens are read through ``.value``, ``.start_pos`` and ``.end_pos`` only, which both Lark's and
    lark-cython's tokens provide.
    """

    def start(self, children: list[ast.Statement]) -> list[ast.Statement]:
        return children

    def assign(self, children: list) -> ast.Assign:
        name, expr = children
        return ast.Assign(name.value, expr, name.start_pos, expr.end)

    def binary(self, children: list) -> ast.Binary:
        left, op, right = children
        return ast.Binary(op.value, left, right, left.start, right.end)

    def unary(self, children: list) -> ast.Unary:
        op, operand = children
        return ast.Unary(op.value, operand, op.start_pos, operand.end)

    def number(self, children: list) -> ast.Number:
        (token,) = children
        return ast.Number(float(token.value), token.start_pos, token.end_pos)

    def name(self, children: list) -> ast.Name:
        (token,) = children
        return ast.Name(token.value, token.start_pos, token.end_pos)

    def call(self, children: list) -> ast.Call:
        name, args, close = children[0], children[2:-1], children[-1]
        return ast.Call(name.value, tuple(args), name.start_pos, close.end_pos)

    def paren(self, children: list) -> ast.Expr:
        open_, expr, close = children
        expr.start, expr.end = open_.start_pos, close.end_pos
        return expr


@cache
def _parser(compiled: bool) -> Lark:
    grammar = grammar_path().read_text(encoding="utf-8")
    plugins = _compiled_parser_plugins() if compiled else {}
    return Lark(
        grammar,
        parser="lalr",
        lexer="basic",
        transformer=_Builder(),
        maybe_placeholders=False,
        cache=_cache_path(grammar + str(bool(plugins))),
        _plugins=plugins,
    )


def _compiled_parser_plugins() -> dict:
    """lark-cython's compiled LALR loop where it is installed (1.5x faster); pure Lark otherwise."""
    try:
        import lark_cython
    except ImportError:  # pragma: no cover - a platform without its wheel
        return {}
    return lark_cython.plugins


def parse(source: Source) -> ast.Program:
    """Parse a whole program. Raises ProgramSyntaxError with the place and what was expected."""
    text = _join_lines_in_parens(source.text)
    try:
        with gc_paused():
            statements: list[ast.Statement] = _parser(compiled=True).parse(text)  # type: ignore[assignment]
            return ast.Program(statements, source)
    except UnexpectedInput:
        pass
    # Errors are rare: find this one again with pure Lark, whose interactive parser knows exactly
    # which tokens the failing state would have accepted.
    try:
        _parser(compiled=False).parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(source, exc) from None
    raise AssertionError("the compiled and pure parsers disagree")  # pragma: no cover


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause the cyclic garbage collector while building large acyclic structures.

    Parsing and lowering allocate hundreds of thousands of small objects and no cycles; the
    collector's repeated full scans of them would make a 100,000-term program several times slower.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _syntax_error(source: Source, exc: UnexpectedInput) -> ProgramSyntaxError:
    if isinstance(exc, UnexpectedCharacters):
        start = exc.pos_in_stream or 0
        char = source.text[start]
        return ProgramSyntaxError(
            f"unexpected character {char!r}",
            Span(source, start, start + 1),
            _character_hint(char, source.text[start + 1 : start + 2]),
        )
    if isinstance(exc, UnexpectedToken):
        token = exc.token
        expected = _describe_expected(exc.interactive_parser.accepts())
        if token.type == "$END":
            end = len(source.text.rstrip())
            span = Span(source, end, end + 1)
            message = "the program ends too early"
        else:
            span = Span(source, token.start_pos, max(token.end_pos, token.start_pos + 1))
            message = f"unexpected {_describe_token(token)}"
        return ProgramSyntaxError(f"{message}; expected {expected}", span, _token_hint(source.text, token))
    return ProgramSyntaxError(str(exc))  # pragma: no cover - Lark's LALR raises only the two above


def _describe_token(token: Token) -> str:
    if token.type == "_NEWLINE":
        return "end of line"
    if token.type == "SEMICOLON":
        return "';'"
    return repr(str(token))


def _describe_expected(expected: Collection[str]) -> str:
    words = [word for name in _EXPECTED_ORDER if name in expected for word in _EXPECTED_WORDS[name].split(", ")]
    if not words:
        return "something else"
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


_FACTOR_END = re.compile(r"(?:(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[A-Za-z_][A-Za-z_0-9]*|\))[ \t]*\Z")
_FACTOR_START = ("NAME", "NUMBER", "LPAR")


def _token_hint(text: str, token: Token) -> str | None:
    """What the user most likely meant where the parser stopped at ``token``.

    ``2x``, ``2(x+1)``, ``(a+b)(c+d)``: two factors side by side, where mathematics multiplies and the
    language needs ``*``; ``sin x``: a function without parentheses; ``x == 1``: a comparison.
    """
    start = token.start_pos or 0
    if token.type == "EQUAL" and text[start - 1 : start] == "=":
        return _comparison_hint()
    if token.type not in _FACTOR_START:
        return None
    before = _FACTOR_END.search(text, text.rfind("\n", 0, start) + 1, start)
    if before is None:
        return None
    left = text[before.start() : start].rstrip()
    if left in FUNCTIONS:
        return f"did you mean {left}({token.value})? a function's argument goes in parentheses"
    if left == ")":
        left = text[_call_start(text, _matching_open(text, before.start())) : before.start() + 1]
    right = str(token.value)
    if token.type == "LPAR":
        right = text[start : _matching_close(text, start) + 1]
    return f"did you mean {left}*{right}? multiplication needs a '*'"


def _call_start(text: str, open_: int) -> int:
    """Where the call whose '(' is at ``open_`` starts: ``sin(x)`` starts at the s."""
    start = open_
    while start and (text[start - 1].isalnum() or text[start - 1] == "_"):
        start -= 1
    return start


def _matching_open(text: str, close: int) -> int:
    """Where the '(' that the ')' at ``close`` closes is (on the same line), or ``close`` itself."""
    depth = 0
    for i in range(close, -1, -1):
        char = text[i]
        if char == "\n":
            break
        depth += (char == ")") - (char == "(")
        if depth == 0:
            return i
    return close


def _matching_close(text: str, open_: int) -> int:
    """Where the ')' that closes the '(' at ``open_`` is (on the same line), or ``open_`` itself."""
    depth = 0
    for i in range(open_, len(text)):
        char = text[i]
        if char == "\n":
            break
        depth += (char == "(") - (char == ")")
        if depth == 0:
            return i
    return open_


def _comparison_hint() -> str:
    calls = [f"{op.symbol}({', '.join('abcd'[: op.arity]) if op.arity > 1 else 'x'})" for op in CHOOSERS]
    choosers = ", ".join(calls[:-1]) + " and " + calls[-1]
    return (
        "comparisons (==, <, >, !=) are not part of the language, which computes numbers and their gradients "
        f"(no true or false); {choosers} choose between values"
    )


def _character_hint(char: str, after: str) -> str | None:
    if char in "<>" or (char == "!" and after == "="):
        return _comparison_hint()
    hints = {
        "!": "gradcalc has no factorial",
        "=": "'=' assigns a name; an assignment cannot be nested in an expression",
        "[": "use parentheses for grouping",
        "{": "use parentheses for grouping",
    }
    return hints.get(char)
