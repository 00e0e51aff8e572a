"""Text to AST: the grammar's LALR tables run with the AST built during reductions.

Lark analyses the grammar (``gradcalc.lalr`` keeps its tables on disk, so a command neither analyses
it again nor imports Lark); the AST is built in the reductions, so there is no parse tree and no
recursion: a sum of 100,000 terms and parentheses nested 10,000 deep parse at Python's default
recursion limit. A syntax error is found again and worded by Lark itself. A program is
read line by line, and a line shape seen before replays the reductions the tables made for it
(``_LineParser``): generated programs, thousands of lines of a few shapes, parse several times faster.
A long line that is a sum is parsed the same way term by term (``_LineParser._sum``), and one of
deep parentheses group by group (``_LineParser._groups``).
"""

from __future__ import annotations

import gc
import os
import re
from bisect import bisect_right
from collections import deque
from collections.abc import Callable, Collection, Iterator
from contextlib import contextmanager
from functools import cache, partial
from itertools import accumulate, chain, compress, islice
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, get_args

from gradcalc import ast, lalr
from gradcalc.errors import ProgramSyntaxError
from gradcalc.first_characters import first_characters, may_start_alike
from gradcalc.lalr import NoAction, Tables, Token
from gradcalc.ops import CHOOSERS, FUNCTIONS
from gradcalc.source import Source, Span

if TYPE_CHECKING:
    from lark import Lark
    from lark import Token as LarkToken
    from lark.exceptions import UnexpectedInput

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
    "LBRACE": "'{'",
    "RBRACE": "'}'",
    "LSQB": "'['",
    "RSQB": "']'",
    "DOTDOT": "'..'",
    "IN": "'in'",
    "FOR": "'for'",
    "$END": "the end of the program",
}
_EXPECTED_ORDER = list(_EXPECTED_WORDS)


def grammar_path() -> Path:
    """The grammar file: inside the installed package, or the checkout's top-level ``grammar/``."""
    here = Path(__file__).resolve().parent
    packaged = here / "grammar" / GRAMMAR_FILE  # the wheel puts grammar/ inside the package
    return packaged if packaged.is_file() else here.parents[1] / "grammar" / GRAMMAR_FILE


def _cache_directory() -> Path | None:
    """Where the grammar's analysis is kept between runs (``~/.cache/gradcalc``); None where nothing is
    writable. A damaged or half-written file there is harmless: it is checked, and made again."""
    try:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gradcalc"
        base.mkdir(parents=True, exist_ok=True)
    except (OSError, RuntimeError):  # RuntimeError: no home directory to be found
        return None
    return base if os.access(base, os.W_OK) else None


def _lark_cache_path(grammar: str) -> str | bool:
    """Where Lark keeps its own analysis, for the errors it words; False where nothing is writable."""
    import hashlib  # Lark imports it anyway

    base = _cache_directory()
    if base is None:
        return False
    return str(base / f"grammar-{hashlib.sha256(grammar.encode()).hexdigest()[:16]}.lark-cache")


_BRACKET_NEWLINE_OR_COMMENT = re.compile(r"[()\[\]\n]|#[^\n]*")
_NEWLINE = re.compile("\n")
_NOT_BRACKET_OR_NEWLINE = re.compile(r"[^()\[\]\n]+")
_DEPTH_CHANGE = {"(": 1, "[": 1, ")": -1, "]": -1, "\n": 0}


def _join_lines_in_parens(text: str) -> str:
    """Blank out newlines inside parentheses and brackets, so a long call or a loop's list may span lines.

    ``(`` and ``[`` open, ``)`` and ``]`` close, counted together (a mismatch is the grammar's to report).
    A comment inside them is blanked too, else it would run on into the line joined to it. The text keeps
    its length, so every offset (and every error caret) stays where it was.

    A text without comments whose brackets never close more than are open (nearly every one) is counted
    at C speed: the depth after each bracket, read at each newline. The others are read bracket by bracket.
    """
    if "\n" not in text or ("(" not in text and "[" not in text):
        return text
    if "#" not in text:
        marks = _NOT_BRACKET_OR_NEWLINE.sub("", text)
        depths = list(accumulate(map(_DEPTH_CHANGE.__getitem__, marks)))
        if min(depths) >= 0:
            at_newlines = list(compress(depths, map("\n".__eq__, marks)))
            if not any(at_newlines):
                return text
            chars = list(text)
            for depth, match in zip(at_newlines, _NEWLINE.finditer(text)):
                if depth:
                    chars[match.start()] = " "
            return "".join(chars)
    return _joined_bracket_by_bracket(text)


def _joined_bracket_by_bracket(text: str) -> str:
    """``_join_lines_in_parens`` of any text, comments and unmatched brackets included."""
    chars: list[str] | None = None
    depth = 0
    for match in _BRACKET_NEWLINE_OR_COMMENT.finditer(text):
        found = match.group()
        if found in ("(", "["):
            depth += 1
        elif found in (")", "]"):
            depth = max(0, depth - 1)
        elif depth:  # a newline, or a comment, which would run on into the next line once joined
            chars = chars or list(text)
            chars[match.start() : match.end()] = " " * len(found)
    return "".join(chars) if chars else text


class _Child:
    """A reduction's child as Python text, for the builders' inline forms (``_INLINE``).

    Its attributes are the text that reads them: ``c0.value`` in a builder compiled for the tables;
    ``v0``, ``s0``, ``e0`` for a token of a line read by an inlined reader, which makes no token
    objects; ``r2.start`` for a node an earlier reduction made. Text that is not there (a token as an
    object, a node's token attributes) raises ``_NotInlined``.
    """

    __slots__ = ("_attributes", "_text")

    def __init__(self, text: str | None, **attributes: str) -> None:
        self._text = text
        self._attributes = attributes

    @classmethod
    def read(cls, name: str) -> _Child:
        """A child read at run time: a token or a node, whichever the tables give."""
        return cls(name, **{a: f"{name}.{a}" for a in ("value", "start_pos", "end_pos", "start", "end")})

    def __getattr__(self, attribute: str) -> str:
        try:
            return self._attributes[attribute]
        except KeyError:
            raise _NotInlined from None

    def __str__(self) -> str:
        if self._text is None:
            raise _NotInlined
        return self._text


class _NotInlined(Exception):
    """A reduction with no inline form for its children: the shape is replayed by calling the builders."""


# The builders that are one expression, written as the text of that expression over their children
# (``_Child``). The tables' callbacks are compiled from it (``_compiled_builder``), and a line shape
# whose reductions all have one is read and built by one function (``_Tokens.run_reader``): no
# token objects, no call per reduction. ``name`` and the two line rules are methods too, for what only
# the tables meet: a group read as a name (``_GROUP``), and a line of no statement.
_INLINE: dict[str, Callable[..., str]] = {
    "assign": lambda name, _, expr: f"Assign({name.value}, {expr}, {name.start_pos}, {expr.end})",
    "binary": lambda left, op, right: f"Binary({op.value}, {left}, {right}, {left.start}, {right.end})",
    "unary": lambda op, operand: f"Unary({op.value}, {operand}, {op.start_pos}, {operand.end})",
    "number": lambda token: f"Number(float({token.value}), {token.start_pos}, {token.end_pos})",
    "name": lambda token: f"Name({token.value}, {token.start_pos}, {token.end_pos})",  # a token read from text
    "first_line": lambda *statement: f"[{', '.join(map(str, statement))}]",
    "next_line": lambda lines, _, *statement: f"[*{lines}, {', '.join(map(str, statement))}]",
}
_AST_NAMES: dict[str, Any] = {node.__name__: node for node in (ast.Assign, ast.Binary, ast.Unary, ast.Number, ast.Name)}


def _compiled_builder(rule: str, arity: int) -> Callable[[list], Any]:
    """The tables' callback for ``rule``, of ``arity`` children, compiled from its inline form."""
    names = [f"c{k}" for k in range(arity)]
    expression = _INLINE[rule](*map(_Child.read, names))
    source = f"def {rule}(children):\n    {', '.join(names)}, = children\n    return {expression}\n"
    namespace = dict(_AST_NAMES)
    exec(source, namespace)
    return namespace[rule]


class _Builder:
    """The callbacks of the reductions: one method per aliased grammar rule, each returns an AST node.

    Each gets the rule's children exactly as the parser holds them, tokens included (``=``, ``,``,
    the separators): no filtering wrapper runs between the parser and these methods. Tokens are read
    through ``.value``, ``.start_pos`` and ``.end_pos`` only.
    """

    @staticmethod
    def first_line(children: list) -> list[ast.Statement]:
        return children  # [] or [statement]: a fresh list the parser made for this reduction

    @staticmethod
    def next_line(children: list) -> list[ast.Statement]:
        lines = children[0]
        if len(children) == 3:  # lines, separator, statement
            lines.append(children[2])
        return lines

    assign = staticmethod(_compiled_builder("assign", 3))
    binary = staticmethod(_compiled_builder("binary", 3))
    unary = staticmethod(_compiled_builder("unary", 2))
    number = staticmethod(_compiled_builder("number", 1))

    @staticmethod
    def define(children: list) -> ast.FunctionDef:
        head, _, body = children
        statements = body.statements if type(body) is ast.Block else [body]
        return ast.FunctionDef(head.func, head.args, statements, head.start, body.end, head.end)

    @staticmethod
    def block(children: list) -> ast.Block:
        open_, lines, close = children
        return ast.Block(lines, open_.start_pos, close.end_pos)

    @staticmethod
    def range_loop(children: list) -> ast.Loop:
        keyword, name, _, first, _, last, body = children
        return ast.Loop(name.value, (first, last), None, body.statements, keyword.start_pos, body.end, last.end)

    @staticmethod
    def list_loop(children: list) -> ast.Loop:
        keyword, name, _, _, items, close, body = children
        return ast.Loop(name.value, None, tuple(items), body.statements, keyword.start_pos, body.end, close.end_pos)

    @staticmethod
    def name(children: list) -> ast.Expr:
        (token,) = children
        if token.value is _GROUP:  # parentheses parsed before, read as a name (``_LineParser._groups``)
            return token.expr
        return ast.Name(token.value, token.start_pos, token.end_pos)

    @staticmethod
    def call(children: list) -> ast.Call:
        name, close = children[0], children[-1]
        args = children[2] if len(children) == 4 else []
        return ast.Call(name.value, tuple(args), name.start_pos, close.end_pos)

    @staticmethod
    def paren(children: list) -> ast.Expr:
        open_, expr, close = children
        expr.start, expr.end = open_.start_pos, close.end_pos
        return expr

    @staticmethod
    def first_argument(children: list) -> list[ast.Expr]:
        return children

    @staticmethod
    def next_argument(children: list) -> list[ast.Expr]:
        arguments, _, expr = children
        arguments.append(expr)
        return arguments


@cache
def _lark() -> Lark:
    """Lark itself on the grammar: it analyses it (for ``_tables``) and words syntax errors. Imported only
    then: a command whose program parses never imports Lark."""
    from lark import Lark

    grammar = grammar_path().read_text(encoding="utf-8")
    return Lark(grammar, parser="lalr", lexer="basic", maybe_placeholders=False, cache=_lark_cache_path(grammar))


@cache
def _tables() -> Tables:
    """The grammar's terminals, rules and LALR tables, read from the cache where Lark's analysis is kept."""
    grammar = grammar_path().read_text(encoding="utf-8")
    return lalr.cached(grammar, _cache_directory(), lambda: lalr.from_lark(_lark()))


# A run of one character class, as an ignored terminal of blanks is written: ``[ \t\f\r]+``.
_CHARACTER_RUN = re.compile(r"\[(?:[^\\\]]|\\.)+\]\+")


def _skipping(ignored: list[str]) -> str:
    """The expression that skips what the grammar ignores before a token: any run of the ignored terminals'
    matches (``ignored``), taken whole.

    Written ``(?:A|B|C)*+``, every token of a line costs three failed alternatives once the blanks before it
    are skipped. Where one of them is a run of a character class (blanks) and no two can start with the same
    character, each step can take only one of them, and all of it: the blanks are then taken first and after
    each of the others, ``[ \t]*+(?:(?:B|C)[ \t]*+)*+``, which skips the same text, and a token after its
    blanks costs one class test (a fifth less for each ``w0 = 0.51`` line's match: 0.39 µs, not 0.49).
    """
    alternatives = f"(?:{'|'.join(ignored)})*+"
    firsts = [first_characters(expression) for expression in ignored]
    runs = [expression for expression in ignored if _CHARACTER_RUN.fullmatch(expression)]
    if not runs or None in firsts or sum(map(len, firsts)) != len(frozenset().union(*firsts)):  # type: ignore[arg-type]
        return alternatives
    blanks = runs[0][:-1] + "*+"
    others = [expression for expression in ignored if expression != runs[0]]
    return f"{blanks}(?:(?:{'|'.join(others)}){blanks})*+" if others else blanks


class _Tokens:
    """The program's tokens, read by one regular expression built from the grammar's own terminals.

    It reads what Lark's basic lexer reads (the same terminals, tried in Lark's order, the ignored
    ones skipped) but makes a token in a few C calls, without line and column: positions are
    enough here, and an error is worded by Lark, which counts lines. A character no terminal
    matches becomes a token no state accepts, so the parse fails there and the error path takes over.
    """

    def __init__(self, tables: Tables) -> None:
        ignore = set(tables.ignore)
        terminals = sorted(tables.terminals, key=lambda t: (-t.priority, -t.max_width, -t.length, t.name))
        regexps = {t.name: t.regexp for t in terminals}
        # A keyword (``for``) is also a name: as Lark's lexer does, read a name and retype it when it
        # is spelled as a keyword, so ``format`` stays a name.
        keywords: dict[str, dict[str, str]] = {}
        for t in terminals:
            if not t.is_string:
                continue
            for other in terminals:
                if not other.is_string and re.fullmatch(regexps[other.name], t.value):
                    keywords.setdefault(other.name, {})[t.value] = t.name
        embedded = {name for by_value in keywords.values() for name in by_value.values()}
        terminals = [t for t in terminals if t.name not in embedded]
        skipped = _skipping([regexps[t.name] for t in terminals if t.name in ignore])
        tokens = "|".join(f"(?P<{t.name}>{regexps[t.name]})" for t in terminals if t.name not in ignore)
        if re.compile(skipped).groups:  # pragma: no cover - a grammar change: lastindex would point into it
            raise ValueError("an ignored terminal's expression has a group")
        whole = re.compile(f"{skipped}(?:{tokens}|(?P<{_BAD}>.)|\\Z)", re.DOTALL)
        self._finditer = whole.finditer
        self._group_names: list[str] = [""] * (whole.groups + 1)
        for name, index in whole.groupindex.items():
            self._group_names[index] = name
        self._keywords = keywords
        self._skipped = skipped
        self._alternatives = [(t.name, regexps[t.name]) for t in terminals if t.name not in ignore]
        self._base = {kind: base for base, by_value in keywords.items() for kind in by_value.values()}
        # The pieces of a long line that ``_LineParser._sum`` cuts into terms: the names and numbers,
        # read whole by the grammar's own expressions (so the sign in ``1e+5`` stays in its number), and
        # any other character but a sign, a parenthesis, a comment's '#' or a continuation's backslash.
        # A match runs up to the next of those, its group ``stop``, or to the line's end ('').
        self.sum_parts = re.compile(
            f"(?:(?:{regexps['NAME']})|(?:{regexps['NUMBER']})|[^-+()#\\\\A-Za-z_0-9])*(?P<stop>[-+()#\\\\]|\\Z)"
        ).finditer

    def reader(self, kinds: tuple[str, ...]) -> Callable[[str, int, int], list[Any] | None]:
        """A reader of the lines whose tokens have exactly the types ``kinds``: their tokens, or None.

        One regular expression matches the whole line: for each token, the ignored text before it, then
        the expected terminal's own expression where none of the terminals the tokenizer tries before it
        matches (a lookahead), each in an atomic group: so it takes exactly what the tokenizer takes at that
        place, and cannot give it back to make the line match. A name spelled as a keyword (or a keyword
        not so spelled) is checked after the match. Whatever is not exactly this shape gives None, and the
        line is read token by token.
        """
        pattern, checks, tokens = self._shape(kinds, "\\Z")
        code = ["m = match(text, start, end)", "if m is None:", "    return None", "span = m.span"]
        code += [line.replace("{fail}", "return None") for line in checks]
        code.append(f"return {tokens}")
        return self._compiled_reader("text, start, end", pattern, code, {})

    def run_reader(
        self, kinds: tuple[str, ...], in_sum: bool, build: tuple[list[str], str] | None, replay: Callable | None
    ) -> Callable[..., Any]:
        """A reader of a run of pieces of the shape ``kinds``, one after another: lines, or a sum's terms.

        Each piece is matched as ``reader`` matches a line, and built where it is read: by the shape's
        reductions inlined (``build``: code over the tokens' values and offsets ``v0``, ``s0``, ``e0``
        that makes the AST, and makes no token), or by ``replay`` of its tokens. The run stops at the
        first piece not of this shape, which is left to be read token by token.

        Lines (``in_sum`` False): ``read(text, start, end)`` reads the lines from ``start`` on, each up to
        its newline (or the text's end), and gives their statements and where the run stopped.

        Terms (``in_sum`` True, ``_LineParser._sum``): ``read(text, start, end, total, op)`` reads the terms
        of a long sum from ``start`` on, each up to the sign after it, and folds each into ``total`` (the
        sum so far) as the ``binary`` reduction does, after the sign ``op`` before it. It gives the sum,
        the sign after the last term read ('' at the line's end), where the next term starts, and how
        many terms it read.
        """
        tail = f"(?:(?P<sign>{dict(self._alternatives)['ADD_OP']})|\\Z)" if in_sum else "(?:\\n|\\Z)"
        built_lines, built = build if build is not None else ([], "replay(@tokens)")
        pattern, checks, tokens = self._shape(kinds, tail, "\n".join([*built_lines, built]))
        built = built.replace("@tokens", tokens)
        # A piece of one statement (nearly every one) is built as that statement, not as a list of it.
        one = _ONE_STATEMENT.fullmatch(built_lines[-1]) if built_lines else None
        if one is not None and one["list"] == built:
            built_lines, built = built_lines[:-1], f"[{one['item']}]"
        code = ["m = match(text, at, end)", "if m is None:", "    break", "span = m.span"]
        code += [line.replace("{fail}", "break") for line in checks] + built_lines
        if in_sum:
            # ``while True``, not ``while op``: CPython 3.11 specializes a function's code once it has been
            # called or its loops have jumped back often enough, and the conditional jump that ends a
            # ``while op`` loop is not counted, so a run (one call) would stay unspecialized: 3,400 more
            # instructions a term, measured.
            head, before, after = "text, start, end, total, op", ["at = start", "terms = 0", "while True:"], (
                "return total, op, at, terms"
            )
            code += [
                f"term = {built[1:-1]}" if one is not None else f"(term,) = {built}",
                "total = Binary(op, total, term, total.start, term.end)",
                "s, at = span(@sign)",
                "op = text[s:at]",
                "terms += 1",
                "if not op:",
                "    at = end",
                "    break",
            ]
        else:
            head, before, after = "text, start, end", ["statements = []", "at = start", "while True:"], (
                "return statements, at"
            )
            # A line of no tokens matches nothing at all at the text's end: the run ends there.
            add = f"statements += {built}"
            if one is not None:
                before.insert(1, "append = statements.append")
                add = f"append({built[1:-1]})"
            code = ["if at == end:", "    break", *code, add, "at = m.end()"]
        body = [*before, *(f"    {line}" for line in code), after]
        return self._compiled_reader(head, pattern, body, {"replay": replay, **_AST_NAMES})

    def inputs_reader(self, kinds: tuple[str, ...]) -> Callable[[str, int, int], tuple[list[ast.Inputs], int]]:
        """A reader of a run of input lines of the shape ``kinds`` (``w0 = 0.51``: a name, '=', a number).

        As ``run_reader`` reads lines, it reads them from ``start`` on, each up to its newline, and gives
        one ``ast.Inputs`` of them (none if it read none) and where the run stopped. Each line's name is its
        first token and its value its third's, read as the ``number`` reduction reads it.
        """
        pattern, checks, _ = self._shape(kinds, "(?:\\n|\\Z)", "v0 s0 v2 s2 e2")
        columns = ("names", "values", "starts", "number_starts", "ends")
        body = [
            *(f"{column} = []" for column in columns),
            f"{', '.join(f'add_{c}' for c in columns)} = {', '.join(f'{c}.append' for c in columns)}",
            "at = start",
            "while True:",
            *(f"    {line}" for line in [
                "if at == end:", "    break",
                "m = match(text, at, end)", "if m is None:", "    break", "span = m.span",
                *(line.replace("{fail}", "break") for line in checks),
                "add_names(v0)", "add_values(float(v2))", "add_starts(s0)", "add_number_starts(s2)", "add_ends(e2)",
                "at = m.end()",
            ]),
            f"return ([Inputs({', '.join(columns)})] if names else []), at",
        ]  # fmt: skip
        return self._compiled_reader("text, start, end", pattern, body, {"Inputs": ast.Inputs})

    def _shape(
        self, kinds: tuple[str, ...], tail: str, uses: str = "@tokens"
    ) -> tuple[re.Pattern[str], list[str], str]:
        """The expression of a piece of the shape ``kinds`` followed by ``tail``, the checks after its match
        (lines of code, ``{fail}`` where the match is no piece of this shape), and its tokens' expression.

        ``uses``: the code that will read the tokens (``@tokens`` where it reads them as tokens): the value
        and offsets of a token it does not read (an assignment's ``=``) are not taken from the match."""
        pieces = []
        checks = []
        made = []
        order = [name for name, _ in self._alternatives]
        regexps = dict(self._alternatives)
        for k, kind in enumerate(kinds):
            base = self._base.get(kind, kind)
            # The terminals the tokenizer tries first that could match here: those whose matches start
            # with other characters never do, and a lookahead for them would only cost time.
            earlier = "|".join(
                regexps[name] for name in order[: order.index(base)] if may_start_alike(regexps[name], regexps[base])
            )
            unless = f"(?!{earlier})" if earlier else ""
            pieces.append(f"{self._skipped}{unless}(?P<t{k}>(?>{regexps[base]}))")
            checked = kind != base or base in self._keywords
            if checked or "@tokens" in uses or re.search(f"\\b[sev]{k}\\b", uses):
                checks += [f"s{k}, e{k} = span(@t{k})", f"v{k} = text[s{k}:e{k}]"]
            if kind != base:
                checks += [f"if v{k} != {self._spelling(base, kind)!r}:", "    {fail}"]
            elif base in self._keywords:
                checks += [f"if v{k} in kw_{kind}:", "    {fail}"]
            made.append(f"T({kind!r}, v{k}, s{k}, e{k})")
        pattern = re.compile("".join(pieces) + f"{self._skipped}{tail}", re.DOTALL)
        return pattern, checks, f"[{', '.join(made)}]"

    def _compiled_reader(
        self, arguments: str, pattern: re.Pattern[str], body: list[str], names: dict[str, Any]
    ) -> Callable[..., Any]:
        """The function ``def read(arguments)`` of ``body``, ``@group)`` in it the group's number in ``pattern``."""
        code = "".join(f"    {line}\n" for line in body)
        for name, index in pattern.groupindex.items():
            code = code.replace(f"@{name})", f"{index})")
        namespace: dict[str, Any] = {"match": pattern.match, "T": Token, **names}
        namespace.update((f"kw_{base}", frozenset(spellings)) for base, spellings in self._keywords.items())
        defaults = ", ".join(f"{name}={name}" for name in namespace)
        exec(f"def read({arguments}, {defaults}):\n{code}", namespace)  # the text is made here, from the shape
        return namespace["read"]

    def _spelling(self, base: str, kind: str) -> str:
        return next(value for value, named in self._keywords[base].items() if named == kind)

    def line(self, text: str, start: int, end: int) -> tuple[tuple[str, ...], list[Any]]:
        """The terminal types and the tokens of ``text[start:end]``, one line, with offsets into ``text``.

        As ``stream`` reads them, in a loop of its own: a generator's resumption per token costs more.
        """
        token = Token
        keywords = self._keywords
        names = self._group_names
        kinds: list[str] = []
        tokens: list[Any] = []
        for match in self._finditer(text, start, end):
            index = match.lastindex
            if index is None:
                break
            kind = names[index]
            value = match.group(index)
            last = match.end()
            if kind in keywords:
                kind = keywords[kind].get(value, kind)
            kinds.append(kind)
            tokens.append(token(kind, value, last - len(value), last))
        return tuple(kinds), tokens

    def stream(self, text: str, start: int = 0, end: int | None = None) -> Iterator[Any]:
        """The tokens of ``text[start:end]``. A match is the ignored text, then one terminal.

        The terminal's group is the match's last (``lastindex``: a terminal's inner groups close before
        its own), and it ends where the match ends: an index and one string, fewer calls than by name.
        """
        token = Token
        keywords = self._keywords
        names = self._group_names
        for match in self._finditer(text, start, len(text) if end is None else end):
            index = match.lastindex
            if index is None:  # the end of the text, after any ignored characters
                break
            kind = names[index]
            value = match.group(index)
            last = match.end()
            if kind in keywords:
                kind = keywords[kind].get(value, kind)
            yield token(kind, value, last - len(value), last)


_BAD = "UNEXPECTED_CHARACTER"


_Callback = Callable[[list], Any]


class _FastParser:
    """The grammar's LALR tables run by ``lalr.Loop`` on the tokens of ``_Tokens``, building the AST.

    The builder's callbacks are called directly on each reduction's children. A rule with an alias is
    built by the builder method of that name; a rule without one (``?sum: product``, ``start: lines``,
    ``_sep``) has one child, passed on by a C-level ``itemgetter`` rather than a Python call. A grammar
    rule that fits neither is refused at start-up.
    """

    def __init__(self, tables: Tables, tokens: _Tokens, wrap: Callable[[_Callback], _Callback] | None = None) -> None:
        callbacks: list[_Callback] = []
        for rule in tables.rules:
            builder = getattr(_Builder, rule.alias, None) if rule.alias else None
            if builder is not None:
                callbacks.append(wrap(builder) if wrap else builder)
            elif rule.alias is None and rule.size == 1:
                callbacks.append(itemgetter(0))
            else:  # pragma: no cover - a grammar change the builder does not know
                raise ValueError(f"no callback for the rule {rule}")
        self._run = lalr.Loop(tables, callbacks).run
        self._tokens = tokens

    def parse(self, text: str) -> list[ast.Statement]:
        return self._run(self._tokens.stream(text))

    def parse_range(self, text: str, start: int, end: int) -> list[ast.Statement]:
        """Parse ``text[start:end]`` (one line) as a whole program, offsets into ``text``."""
        return self._run(self._tokens.stream(text, start, end))

    def parse_tokens(self, tokens: list[Token]) -> list[ast.Statement]:
        """Parse an already read list of tokens (one line's) as a whole program."""
        return self._run(tokens)


_EXPRESSIONS = frozenset(get_args(ast.Expr))
# A sum whose terms are of many shapes (more than 1 in _SLOW_SHARE of a shape seen at most once, past
# the first _MOST_SLOW_TERMS) is parsed in one go: each such term is a run of the tables of its own,
# about 8 µs more than its tokens, and a replay is compiled (about 100 µs) for a shape seen twice.
_MOST_SLOW_TERMS = 32
_SLOW_SHARE = 4
_IGNORED = " \t\f\r"  # the ignored characters that can stand between two tokens of one line
_SUM_ENDS = ("", "#")  # where a line's last term ends: at the line's end, or where a comment starts


def _ends_operand(char: str) -> bool:
    """Whether ``char`` can end a name, a number or a parenthesis, so a sign after it is binary."""
    return char.isalnum() or char in "_.)"


class _NotGrouped(Exception):
    """A line that ``_LineParser._groups`` leaves to the tables."""


def _no_tokens(*_: object) -> None:
    """The reader of no shape: before any line was replayed, and past the readers' bound."""


# A line's text or its shape is remembered only while it is short and the caches are not full: a line
# of 100,000 terms is seen once (its terms' shapes are remembered: ``_LineParser._sum``), and a long
# REPL session must not grow the caches without bound.
_LONGEST_LINE = 400
# A group of parentheses already parsed, as the tokens of the group around it read it: a name whose
# value is this very string (``_Builder.name`` gives its expression); no name is spelled so, and a
# token read from text holds a string of its own.
_GROUP = "(...)"
_PARENTHESES = re.compile(r"\(+|\)")
_CALLED = re.compile(r"[A-Za-z0-9_.)][ \t\f\r]*\(")  # a call's parentheses (or an error: 2(x), (a)(b))
_NOT_GROUPED = re.compile(r"[\[\]{}#\\]")  # brackets, braces, a comment or a continuation: the line in one go
_MOST_TOKENS = 120
_MOST_ENTRIES = 20_000
_MOST_READERS = 200  # a reader's expression takes about a millisecond to compile
_MOST_COPIERS = 500  # each is compiled (tens of µs): for the lines that repeat, as a chain's do


class _Budget:
    """How many more copiers may be made: each is compiled, for tens of µs."""

    def __init__(self, most: int) -> None:
        self.left = most

    def spend(self, make: Callable[[], Callable | None]) -> Callable | bool:
        """The copier ``make`` makes (``_copier``, ``_group_copier``), or False: it made none, or enough were."""
        if self.left <= 0:
            return False
        self.left -= 1
        return make() or False


class _LineParser:
    """Parses a program line by line, replaying the parse of every line shape it has seen before.

    An LALR parse is decided by the sequence of terminal types alone: two lines whose tokens have the
    same types go through the same shifts and reductions, and differ only in the tokens' values and
    offsets. So every line shape is parsed by Lark's tables (the language's definition), and when a
    shape comes again, the reductions recorded for it are replayed: the same builder callbacks, called
    in the same order on the new line's tokens (``_replay``), which makes the same AST. A line whose
    whole text was seen before is not even read again: its AST is rebuilt from the earlier one with
    the offsets shifted (``_copier``). Generated programs (a chain of ``h = h * 1.0001``, a thousand
    ``w0 = 0.51``) have a handful of shapes.

    A program is its lines joined by newlines, and the grammar's ``lines`` rule makes the statements of
    the whole the statements of its lines in order; a line that does not parse alone (a block opened on
    one line and closed on another, a line ending in ``\\``, a syntax error) makes ``parse`` return None,
    and the whole program is parsed as one.

    A line longer than ``_LONGEST_LINE`` is not remembered; where it is a sum (``w0*x0 + w1*x1 + ...``,
    100,000 terms), its terms are parsed as lines are and folded as the ``binary`` reduction folds them
    (``_sum``); a long line of one term with parentheses (``((x * 2) * 2) ...``, 100,000 deep) is parsed
    group by group, each group as a line (``_groups``); any other long line runs through the tables token
    by token.
    """

    def __init__(self, tables: Tables) -> None:
        self._tokens = _Tokens(tables)
        self._plain = _FastParser(tables, self._tokens)
        self._log: list[tuple[Callable[[list], Any], tuple[Any, ...], Any]] = []
        self._recording = _FastParser(tables, self._tokens, wrap=self._recorded)
        self._last_piece: tuple[Callable[[str, int, int], list[Any] | None], tuple[str, ...]] = (_no_tokens, ())
        # A line's copier; True: seen once; False: it has none (a definition, or past the copiers' bound).
        self._by_text: dict[str, Callable[[int], list[ast.Statement]] | bool] = {}
        self._line_copies = _Budget(_MOST_COPIERS)
        # A copied line of one assignment (not of a number): its copier, where the assignment starts in the
        # line and the name it assigns, for ``ast.Repeated``.
        self._repeats: dict[str, tuple[Callable[[int], list[ast.Statement]], int, str]] = {}
        # A group's copier (``_group_copier``), by its text but for the groups in it; True: seen once.
        self._group_copiers: dict[str, Callable[..., list[ast.Statement]] | bool] = {}
        self._group_copies = _Budget(_MOST_COPIERS)
        # A shape's replay; False: seen once; None: not to be cached.
        self._by_shape: dict[tuple[str, ...], Callable[[list[Any]], list[ast.Statement]] | bool | None] = {}
        # A shape's reductions inlined (``_inlined``), or None: some have no inline form.
        self._inline: dict[tuple[str, ...], tuple[list[str], str] | None] = {}
        self._readers: dict[tuple[str, ...], Callable[[str, int, int], list[Any] | None]] = {}
        self._line_runs: dict[tuple[str, ...], Callable[[str, int, int], tuple[list[ast.Statement], int]]] = {}
        self._term_runs: dict[tuple[str, ...], Callable[..., tuple[Any, str, int, int]]] = {}
        self._input_runs: dict[tuple[str, ...], Callable[[str, int, int], tuple[list[ast.Inputs], int]]] = {}

    def parse(self, text: str, one_run: bool = False) -> list[Any] | None:
        """The statements of ``text``, or None where a line does not parse alone. ``one_run``: a line of one
        assignment copied from an earlier one is an ``ast.Repeated``, and a run of input lines (``w0 = 0.51``)
        one ``ast.Inputs`` (``parse_for_one_run``)."""
        statements: list[Any] = []
        extend = statements.extend
        by_text = self._by_text
        repeats = self._repeats if one_run else {}
        by_shape = self._by_shape
        read = self._tokens.line
        run: Callable[[str, int, int], tuple[list[ast.Statement], int]] = _no_run_of_lines
        start = 0
        lines = iter(text.split("\n"))
        try:
            for line in lines:
                end = start + len(line)
                if end - start > _LONGEST_LINE:  # a sum of 100,000 terms: parsed term by term, or in one go
                    parsed = self._sum(text, start, end)
                    if parsed is None:
                        parsed = self._groups(text, start, end)
                    extend(parsed if parsed is not None else self._plain.parse_range(text, start, end))
                    start = end + 1
                    continue
                copy_ = by_text.get(line)
                if copy_ is not None and copy_ is not True and copy_ is not False:
                    again = repeats.get(line)
                    if again is None:
                        extend(copy_(start))
                    else:
                        build, shift, name = again
                        statements.append(ast.Repeated(line, build, start, start + shift, name))
                    start = end + 1
                    continue
                # The lines from here on of the shape of the last line replayed: a generated program's
                # 200,000 inputs (w0 = 0.51, w1 = 0.51, ...) are one run.
                parsed, at = run(text, start, len(text))
                if at == start:
                    kinds, tokens = read(text, start, end)
                    replay = by_shape.get(kinds)
                    if replay:
                        parsed = replay(tokens)  # type: ignore[operator]
                        run = self._one_run_line_run(kinds, tokens, parsed) if one_run else self._line_run(kinds)
                    else:
                        parsed = self._first(kinds, tokens)
                elif at == len(text):
                    extend(parsed)
                    break  # the run read the rest of the text
                else:
                    read_lines = text.count("\n", start, at)  # each line read ends at its newline
                    if read_lines > 1:  # the lines after this one are taken from the iterator; none is remembered
                        extend(parsed)
                        deque(islice(lines, read_lines - 1), maxlen=0)
                        start = at
                        continue
                extend(parsed)
                if copy_ is None:  # seen for the first time: remembered while there is room
                    if len(by_text) < _MOST_ENTRIES:
                        by_text[line] = True
                elif copy_:  # the second time: copied from now on
                    copier = by_text[line] = self._line_copies.spend(partial(_copier, parsed, start))
                    if callable(copier) and len(parsed) == 1:
                        # One assignment, not of a number (an input, lowered without a template): an ast.Repeated.
                        (assignment,) = parsed
                        if isinstance(assignment, ast.Assign) and type(assignment.expr) is not ast.Number:
                            self._repeats[line] = (copier, assignment.start - start, assignment.name)
                start = end + 1
        except NoAction:
            return None
        return statements

    def _sum(self, text: str, start: int, end: int) -> list[ast.Statement] | None:
        """A long line that is a sum (``w0*x0 + w1*x1 + ...``, or ``y =`` one): its terms parsed as lines.

        The line is cut at its binary ``+`` and ``-`` outside parentheses (``_term_end``), each term is
        parsed as a line is (its shape replayed once Lark's tables have parsed it), and the terms are
        folded left as the ``binary`` reduction folds them: the tree, spans included, is the one a run of
        the tables over the line makes. The first term may be an assignment (``y = w0*x0``): the sum
        becomes its value, as ``assign`` would have it. A term of the shape of the last one is read with
        the sign after it by one regular expression, and so are the terms of that shape after it
        (``_Tokens.run_reader(kinds, in_sum=True)``).

        None where the line is one term (``((x * 2) + 1) * 2``, signs inside parentheses or none), which
        ``_groups`` may parse, or is anything else (a term that is not one expression, an empty term,
        parentheses that do not match, a syntax error, a continuation): the caller parses the line in one go,
        so an error is found, worded and placed as it always was.
        """
        if text.find("+", start, end) < 0 and text.find("-", start, end) < 0:
            return None  # no sign: one term, such as parentheses nested 100,000 deep
        tokens_of = self._tokens.line
        by_shape = self._by_shape
        run: Callable[..., tuple[Any, str, int, int]] = _no_run_of_terms
        expressions = _EXPRESSIONS
        binary = ast.Binary
        total: Any = None  # the sum so far
        term: Any
        parsed: list[Any]
        assignment: ast.Assign | None = None  # the first term's, if it is one
        op = ""
        term_start = start
        terms = slow = 0
        try:
            while True:
                # The terms from here on of the last term's shape, folded into the sum: nearly all of them.
                total, op, term_start, terms_read = run(text, term_start, end, total, op)
                if terms_read:
                    terms += terms_read
                    if not op:
                        break  # the line's last term was read
                terms += 1
                term_end = self._term_end(text, term_start, end)
                if term_end < 0 or (total is None and term_end == end):
                    return None  # no sum, or one of one term: parsed by its groups, or in one go
                kinds, tokens = tokens_of(text, term_start, term_end)
                replay = by_shape.get(kinds)
                if not replay:
                    slow += 1
                    if slow > _MOST_SLOW_TERMS and slow * _SLOW_SHARE > terms:
                        return None  # terms of many new shapes: slower than the line in one go
                parsed = replay(tokens) if replay else self._first(kinds, tokens)  # type: ignore[operator]
                if len(parsed) != 1 or (parsed[0].start, parsed[0].end) != (tokens[0].start_pos, tokens[-1].end_pos):
                    return None  # not one statement made of all its tokens: empty, or with a ';' in it
                (term,) = parsed
                if type(term) not in expressions:
                    if total is not None or type(term) is not ast.Assign:
                        return None  # a definition, a loop, or '=' past the first term
                    assignment, term = term, term.expr
                elif replay:
                    run = self._term_run(kinds)
                total = term if total is None else binary(op, total, term, total.start, term.end)
                op = text[term_end : min(term_end + 1, end)]
                if not op:
                    break
                term_start = term_end + 1
        except NoAction:
            return None
        if assignment is None:
            return [total]
        assignment.expr, assignment.end = total, total.end
        return [assignment]

    def _groups(self, text: str, start: int, end: int) -> list[ast.Statement] | None:
        """A long line of parentheses (``((x * 1.0001) * 1.0001) ...``, 100,000 deep), group by group.

        Each group of parentheses is parsed as a line is, innermost first, once every group in it is
        parsed: its tokens are its own, with each group inside it read as a name that stands for that
        group's expression (``_GROUP``). The grammar reads a parenthesized expression where it reads a
        name (``atom``), so this is the tree the tables make of the whole line, spans included; and the
        groups of one shape are one shape of line, replayed after the tables have parsed it. Where a
        group is not one expression, or stands where a name means more than a value (before ``=``), or
        is a call's, or the line has brackets, braces, a comment or a continuation: None, and the
        caller parses the line in one go, so an error is found, worded and placed as it always was.
        """
        if text.find("(", start, end) < 0 or _NOT_GROUPED.search(text, start, end) or _CALLED.search(text, start, end):
            return None
        token = Token
        copiers = self._group_copiers
        opens: list[int] = []  # where each group open now starts, innermost last
        inside: list[list[Any] | None] = []  # the groups parsed so far in each of those (None: none yet)
        outside: list[Any] = []  # the groups of the line itself
        try:
            for match in _PARENTHESES.finditer(text, start, end):
                at, after = match.span()
                if text[at] == "(":  # a run of them: ((((
                    opens.extend(range(at, after))
                    inside.extend([None] * (after - at))
                    continue
                if not opens:
                    return None
                open_ = opens.pop()
                groups = inside.pop()
                # The group's text but for the groups inside it (one line: no newline in it), and where
                # those are: a group of the same text is built by copying. Nearly every group has one
                # group or none in it: those are spelled out.
                if groups is None:
                    ends, holes, key = [open_, at], [], text[open_:at]
                elif len(groups) == 1:
                    ((inner_start, inner_end, hole),) = groups
                    ends, holes = [open_, inner_start, inner_end, at], [hole]
                    key = f"{text[open_:inner_start]}\n{text[inner_end:at]}"
                else:
                    ends = [open_, *chain.from_iterable((g[0], g[1]) for g in groups), at]
                    holes = [g[2] for g in groups]
                    key = "\n".join([text[ends[k] : ends[k + 1]] for k in range(0, len(ends), 2)])
                copier = copiers.get(key)
                expr: ast.Statement
                if copier and copier is not True:
                    (expr,) = copier(ends, holes)
                else:
                    kinds = ["LPAR"]
                    tokens = [token("LPAR", "(", open_, open_ + 1)]
                    self._grouped(text, open_ + 1, at, groups or (), kinds, tokens)
                    kinds.append("RPAR")
                    tokens.append(token("RPAR", ")", at, after))
                    parsed = self._shaped(tuple(kinds), tokens)
                    if len(parsed) != 1 or type(parsed[0]) not in _EXPRESSIONS:
                        return None
                    (expr,) = parsed
                    if copier is None and len(copiers) < _MOST_ENTRIES:
                        copiers[key] = True  # seen once
                    elif copier:  # the second time: copied from now on
                        copiers[key] = self._group_copies.spend(partial(_group_copier, expr, ends, holes))
                group = (open_, after, expr)  # a token only where the tables read it (_grouped)
                if not inside:
                    outside.append(group)
                elif inside[-1] is None:
                    inside[-1] = [group]
                else:
                    inside[-1].append(group)
            if opens:
                return None
            kinds, tokens = [], []
            self._grouped(text, start, end, outside, kinds, tokens)
            return self._shaped(tuple(kinds), tokens)
        except (NoAction, _NotGrouped):
            return None

    def _grouped(
        self, text: str, start: int, end: int, groups: Collection[Any], kinds: list[str], tokens: list[Any]
    ) -> None:
        """The kinds and tokens of ``text[start:end]`` added to ``kinds`` and ``tokens``, each of ``groups`` in
        it as one name (``_groups``).

        The text between two groups is read token by token, or by the reader of its shape where the
        last two pieces were of that shape, as the line's pieces usually are. A group before ``=`` raises
        ``_NotGrouped``: ``(x) = 2`` is no assignment.
        """
        for group in [*groups, None]:
            until = end if group is None else group[0]
            if until > start:
                read, read_kinds = self._last_piece
                found = read(text, start, until)
                if found is None:
                    last_kinds = read_kinds
                    read_kinds, found = self._tokens.line(text, start, until)
                    # A shape read twice in a row is read by its reader from then on (one is made per shape).
                    again = read_kinds == last_kinds and _BAD not in read_kinds
                    self._last_piece = (self._reader(read_kinds) if again else _no_tokens, read_kinds)
                if found and tokens[-1:] and tokens[-1].value is _GROUP and found[0].type == "EQUAL":
                    raise _NotGrouped
                kinds += read_kinds
                tokens += found
            if group is not None:
                start, start_after, expr = group
                read_as_name = _GroupToken("NAME", _GROUP, start, start_after)
                read_as_name.expr = expr
                kinds.append("NAME")
                tokens.append(read_as_name)
                start = start_after

    def _term_end(self, text: str, start: int, end: int) -> int:
        """Where the term of a sum that starts at ``start`` ends: its binary sign, or ``end``; -1 if nowhere.

        A sign is binary after an operand's end (a name, a number, ``)``): where the grammar's
        ``expr ADD_OP product`` reads it; any other sign is a unary one, inside its term. Signs inside
        parentheses are inside the term. -1: parentheses closed that were not open or left open at the
        line's end, or a continuation (the statement goes on past the line).
        """
        depth = 0
        for match in self._tokens.sum_parts(text, start, end):
            stop = match.group("stop")
            if stop == "(":
                depth += 1
            elif stop == ")":
                depth -= 1
                if depth < 0:
                    return -1
            elif stop == "\\":
                return -1
            elif depth:
                if stop in _SUM_ENDS:
                    return -1
            elif stop in _SUM_ENDS:
                return end  # the line's end, or a comment running to it
            else:
                at = match.start("stop")
                before = at - 1
                while before >= start and text[before] in _IGNORED:
                    before -= 1
                if before >= start and _ends_operand(text[before]):
                    return at
        return -1  # pragma: no cover - the expression matches at the line's end

    def _term_run(self, kinds: tuple[str, ...]) -> Callable[..., tuple[Any, str, int, int]]:
        """The reader of a run of a sum's terms of the replayed shape ``kinds`` (``_Tokens.run_reader``)."""
        return self._run_reader(kinds, self._term_runs, in_sum=True)

    def _line_run(self, kinds: tuple[str, ...]) -> Callable[[str, int, int], tuple[list[ast.Statement], int]]:
        """The reader of a run of lines of the replayed shape ``kinds`` (``_Tokens.run_reader``)."""
        return self._run_reader(kinds, self._line_runs, in_sum=False)

    def _one_run_line_run(
        self, kinds: tuple[str, ...], tokens: list[Any], parsed: list[ast.Statement]
    ) -> Callable[[str, int, int], tuple[list[Any], int]]:
        """For ``parse_for_one_run``: the reader of a run of lines of the shape ``kinds``, of which ``parsed``
        is one (``tokens`` its tokens): of input lines (``_Tokens.inputs_reader``) where it is one, an
        assignment of its third token's number to its first token's name, else ``_line_run``'s."""
        assignment = parsed[0] if len(parsed) == 1 and len(tokens) == 3 else None
        if isinstance(assignment, ast.Assign) and type(assignment.expr) is ast.Number:
            name, _, number = tokens
            made = (assignment.name, assignment.start, assignment.expr.start, assignment.expr.end, assignment.end)
            if made == (name.value, name.start_pos, number.start_pos, number.end_pos, number.end_pos):
                reader = self._input_runs.get(kinds)
                if reader is None:
                    reader = self._input_runs[kinds] = self._tokens.inputs_reader(kinds)
                return reader
        return self._line_run(kinds)

    def _run_reader(self, kinds: tuple[str, ...], made: dict, in_sum: bool) -> Callable[..., Any]:
        """A run reader that builds what it reads, made once per shape for a bounded number: by the shape's
        reductions inlined where they all inline, else by the replay of the tokens it reads."""
        reader = made.get(kinds)
        if reader is None:
            if len(made) >= _MOST_READERS:
                reader = _no_run_of_terms if in_sum else _no_run_of_lines
            else:
                reader = self._tokens.run_reader(kinds, in_sum, self._inline.get(kinds), self._by_shape[kinds])  # type: ignore[arg-type]
            made[kinds] = reader
        return reader

    def _reader(self, kinds: tuple[str, ...]) -> Callable[[str, int, int], list[Any] | None]:
        """The shape's whole-line reader (``_Tokens.reader``), made once per shape for a bounded number."""
        reader = self._readers.get(kinds)
        if reader is None:
            reader = self._tokens.reader(kinds) if len(self._readers) < _MOST_READERS else _no_tokens
            self._readers[kinds] = reader
        return reader

    def _shaped(self, kinds: tuple[str, ...], tokens: list[Any]) -> list[ast.Statement]:
        """The statements of one line's tokens: the replay of their shape, or the tables' parse (``_first``)."""
        replay = self._by_shape.get(kinds)
        return replay(tokens) if replay else self._first(kinds, tokens)  # type: ignore[operator]

    def _first(self, kinds: tuple[str, ...], tokens: list[Any]) -> list[ast.Statement]:
        """A shape seen at most once before: Lark's tables parse it; the second time, recording."""
        by_shape = self._by_shape
        seen = by_shape.get(kinds, None if len(tokens) > _MOST_TOKENS or len(by_shape) >= _MOST_ENTRIES else True)
        if seen is None or seen is True:
            if seen:
                by_shape[kinds] = False
            return self._plain.parse_tokens(tokens)
        log = self._log
        log.clear()
        parsed = self._recording.parse_tokens(tokens)
        by_shape[kinds] = _replay(tokens, log, parsed)
        self._inline[kinds] = _inlined(tokens, log, parsed)
        log.clear()
        return parsed

    def _recorded(self, builder: Callable[[list], Any]) -> Callable[[list], Any]:
        log = self._log

        def call(children: list) -> Any:
            before = tuple(children)  # next_line appends to its first child: keep what it was given
            made = builder(children)
            log.append((builder, before, made))
            return made

        return call


def _replay(tokens: list[Any], log: list, parsed: object) -> Callable[[list[Any]], list[ast.Statement]] | None:
    """A function that calls the recorded reductions' callbacks again, in order, on a new line's tokens."""
    where = {id(token): f"t[{i}]" for i, token in enumerate(tokens)}
    names: dict[Callable[[list], Any], str] = {}
    body = []
    for step, (builder, children, made) in enumerate(log):
        args = [where.get(id(child)) for child in children]
        if None in args:  # pragma: no cover - a child neither a token nor a reduction's result
            return None
        name = names.setdefault(builder, f"b{len(names)}")
        body.append(f"    r{step} = {name}([{', '.join(args)}])")  # type: ignore[arg-type]
        where[id(made)] = f"r{step}"
    if id(parsed) not in where:  # pragma: no cover
        return None
    return _compiled(body, where[id(parsed)], {name: builder for builder, name in names.items()}, "t")


def _inlined(tokens: list[Any], log: list, parsed: object) -> tuple[list[str], str] | None:
    """The recorded reductions as straight-line code over the tokens' values and offsets, and what it
    gives: each reduction's inline form (``_INLINE``) on its children. None where one has none."""
    where = {id(t): _Child(None, value=f"v{k}", start_pos=f"s{k}", end_pos=f"e{k}") for k, t in enumerate(tokens)}
    body = []
    try:
        for step, (builder, children, made) in enumerate(log):
            inline = _INLINE.get(builder.__name__)
            args = [where.get(id(child)) for child in children]
            if inline is None or None in args:
                return None
            body.append(f"r{step} = {inline(*args)}")
            where[id(made)] = _Child(f"r{step}", start=f"r{step}.start", end=f"r{step}.end")
        return body, str(where[id(parsed)])
    except (_NotInlined, KeyError):
        return None


_ONE_STATEMENT = re.compile(r"(?P<list>r\d+) = \[(?P<item>r\d+)\]")  # a piece's list of one statement, inlined


def _no_run_of_lines(text: str, start: int, end: int) -> tuple[list[ast.Statement], int]:
    return [], start


def _no_run_of_terms(text: str, start: int, end: int, total: Any, op: str) -> tuple[Any, str, int, int]:
    return total, op, start, 0


def _compiled(body: list[str], result: str, bound: dict[str, object], argument: str) -> Callable:
    defaults = "".join(f", {name}={name}" for name in bound)
    source = f"def build({argument}{defaults}):\n" + "\n".join(body) + f"\n    return {result}\n"
    namespace = dict(bound)
    exec(source, namespace)
    return namespace["build"]  # type: ignore[return-value]


_COPIED: dict[type, tuple[str, ...]] = {
    ast.Number: ("value",),
    ast.Name: ("id",),
    ast.Unary: ("op", "operand"),
    ast.Binary: ("op", "left", "right"),
    ast.Call: ("func", "args"),
    ast.Assign: ("name", "expr"),
}


def _copier(statements: list[ast.Statement], offset: int) -> Callable[[int], list[ast.Statement]] | None:
    """A function that builds ``statements`` again at another offset: the same line elsewhere.

    Straight-line code, children before parents (an explicit stack, no recursion); values are passed
    in as constants, offsets are ``o`` plus the distance from the line's start. None where the line
    holds something else than expressions and assignments (a definition, a loop).
    """
    return _copier_of(statements, lambda at: f"o + {at - offset}", "o")


def _group_copier(
    expr: ast.Statement, anchors: list[int], holes: list[ast.Expr]
) -> Callable[..., list[ast.Statement]] | None:
    """A function ``build(a, g)`` that builds a group's ``expr`` again elsewhere: the same text between the
    same parentheses, around groups of other expressions ``g`` (the ``holes``, left as they are).

    Its offsets are each an anchor's (``a``: the group's '(' and ')' and each inner group's ends) plus
    the distance from the last anchor before it: the text between two anchors is the same, and the inner
    groups' lengths are not. None for a group of just a group, ``((x))``: its expression is the inner
    one with its offsets moved to the outer parentheses, which a copy would leave where they were.
    """
    if any(hole is expr for hole in holes):
        return None

    def offset(at: int) -> str:
        k = bisect_right(anchors, at) - 1
        return f"a[{k}] + {at - anchors[k]}"

    return _copier_of([expr], offset, "a, g", {id(hole): f"g[{k}]" for k, hole in enumerate(holes)})


def _copier_of(
    statements: list[ast.Statement], offset: Callable[[int], str], argument: str, holes: dict[int, str] | None = None
) -> Callable[..., list[ast.Statement]] | None:
    """The copier of ``statements`` (``_copier``): an offset is written ``offset(it)``; the nodes ``holes``
    are the variables named there (not rebuilt); ``argument`` the function's arguments."""
    constants: list[object] = []
    bound: dict[str, object] = {"c": constants}
    body: list[str] = []
    made: dict[int, str] = dict(holes or {})
    stack: list[tuple[Any, bool]] = [(statement, False) for statement in reversed(statements)]
    while stack:
        node, ready = stack.pop()
        if not ready and id(node) in made:  # a hole
            continue
        fields = _COPIED.get(type(node))
        if fields is None:
            return None
        children = node.args if type(node) is ast.Call else [getattr(node, f) for f in fields[1:]]
        if not ready:
            stack.append((node, True))
            stack.extend((child, False) for child in reversed(children))
            continue
        cls = type(node).__name__
        bound.setdefault(cls, type(node))
        constants.append(getattr(node, fields[0]))
        parts = [f"c[{len(constants) - 1}]"]
        if type(node) is ast.Call:
            parts.append("(" + "".join(f"{made[id(arg)]}, " for arg in children) + ")")
        else:
            parts += [made[id(child)] for child in children]
        parts += [offset(node.start), offset(node.end)]
        made[id(node)] = f"n{len(body)}"
        body.append(f"    {made[id(node)]} = {cls}({', '.join(parts)})")
    result = "[" + ", ".join(made[id(statement)] for statement in statements) + "]"
    return _compiled(body or ["    pass"], result, bound, argument)


class _GroupToken(Token):
    """The token that stands for a group of parentheses already parsed, with the group's expression."""

    __slots__ = ("expr",)
    expr: ast.Expr


@cache
def _parser() -> _FastParser:
    """The tables run over a whole text in one go."""
    return _FastParser(_tables(), _line_parser()._tokens)


@cache
def _line_parser() -> _LineParser:
    return _LineParser(_tables())


def parse(source: Source, *, by_lines: bool = True) -> ast.Program:
    """Parse a whole program. Raises ProgramSyntaxError with the place and what was expected.

    ``by_lines`` (the default) parses line by line through ``_LineParser``'s replay of seen line
    shapes; False parses the whole text in one run of the tables (the tests compare the two).
    """
    return ast.Program(_statements(source, by_lines, one_run=False), source)


def parse_for_one_run(source: Source) -> ast.OneRun:
    """``parse`` for a program lowered once and let go (``program.run_source``): a line of one assignment
    that copies an earlier line is an ``ast.Repeated``, whose tree is built only if the lowering asks, and
    a run of input lines is one ``ast.Inputs``, of lists.

    A generated chain (``h = h * 1.0001``, a hundred thousand times) then costs its parse a lookup and one
    small object a line, and its lowering replays the line's template without reading the text again; a
    wide sum's 200,000 input lines cost five appends each, not two nodes, and are bound in one go.
    """
    return ast.OneRun(_statements(source, True, one_run=True), source)


def _statements(source: Source, by_lines: bool, one_run: bool) -> list[Any]:
    text = _join_lines_in_parens(source.text)
    with gc_paused():
        statements = _line_parser().parse(text, one_run) if by_lines else None
        if statements is not None:
            return statements
        try:
            return _parser().parse(text)
        except NoAction:
            pass
    # Errors are rare: find this one again with Lark, whose lexer counts lines and whose interactive
    # parser knows exactly which tokens the failing state would have accepted.
    from lark.exceptions import UnexpectedInput

    try:
        _lark().parse(text)
    except UnexpectedInput as exc:
        raise _syntax_error(source, exc) from None
    raise AssertionError("the tables and Lark disagree")  # pragma: no cover


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
    from lark.exceptions import UnexpectedCharacters, UnexpectedToken

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
        accepts = exc.interactive_parser.accepts()
        expected = _describe_expected(accepts)
        if token.type == "$END":
            end = len(source.text.rstrip())
            span = Span(source, end, end + 1)
            message = "the program ends too early"
        else:
            span = Span(source, token.start_pos, max(token.end_pos, token.start_pos + 1))
            message = f"unexpected {_describe_token(token)}"
        hint = _BODY_HINT if "LBRACE" in accepts and "NAME" not in accepts else _token_hint(source.text, token)
        return ProgramSyntaxError(f"{message}; expected {expected}", span, hint)
    return ProgramSyntaxError(str(exc))  # pragma: no cover - Lark's LALR raises only the two above


def _describe_token(token: LarkToken) -> str:
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
_BODY_HINT = "a loop's statements go in braces, as in for t in 1..3 { h = tanh(w*h + 1) }"
_BRACKETS = {
    "LSQB": "use parentheses for grouping; [ ] lists a loop's values, as in for x in [1, 2, 3] { s = s + x }",
    "LBRACE": "use parentheses for grouping; { } holds a loop's or a function's statements, "
    "as in for t in 1..3 { h = tanh(w*h + 1) } or f(x) = { a = x^2; a + 1 }",
}


def _token_hint(text: str, token: LarkToken) -> str | None:
    """What the user most likely meant where the parser stopped at ``token``.

    ``2x``, ``2(x+1)``, ``(a+b)(c+d)``: two factors side by side, where mathematics multiplies and the
    language needs ``*``; ``sin x``: a function without parentheses; ``x == 1``: a comparison.
    """
    start = token.start_pos or 0
    if token.type == "EQUAL" and text[start - 1 : start] == "=":
        return _comparison_hint()
    if token.type in _BRACKETS:
        return _BRACKETS[token.type]
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
    }
    return hints.get(char)
