"""The grammar's LALR tables as plain data, kept on disk, and the loop that runs them.

Lark reads ``grammar/gradcalc.lark`` (the language's definition) and analyses it: its terminals, its
rules and the LALR tables. That analysis is kept here as plain data (``Tables``: tuples, dictionaries,
strings and numbers, saved by ``marshal``), so that a command reads it back without importing Lark,
whose import is most of what gradcalc adds to a one-shot command's start-up (96 M of its 148 M
instructions over the Typer floor's, measured). ``Loop`` runs the tables as Lark's LALR parser does,
shift for shift and reduction for reduction, on the tokens ``gradcalc.parser`` reads with the grammar's
own terminals. Lark is imported only to analyse a grammar the cache does not hold, and to word a
syntax error (``gradcalc.parser``).
"""

from __future__ import annotations

import marshal
import os
from collections.abc import Callable, Iterable, Sequence
from contextlib import suppress
from itertools import chain
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

if TYPE_CHECKING:
    from lark import Lark

# The layout of a kept analysis: a file of another layout (an older gradcalc's) is analysed afresh.
FORMAT = 1
END = "$END"  # the terminal type that ends the text, as Lark names it


class Terminal(NamedTuple):
    """A terminal of the grammar, as Lark's lexer sees it."""

    name: str
    regexp: str  # its expression, flags inline
    priority: int
    max_width: int  # the longest text it can match (Lark's order: longer first)
    length: int  # the length of its pattern's own text (Lark's next tie-break)
    is_string: bool  # a literal (``"for"``), not an expression
    value: str  # the literal, or the expression as written


class Rule(NamedTuple):
    """A rule of the grammar: what it reduces to, how many children it takes, and its alias (the builder)."""

    origin: str
    size: int
    alias: str | None


class Tables(NamedTuple):
    """Lark's analysis of the grammar, as plain data.

    ``states``: for each state, its action on each symbol: ``(0, state)`` shifts (or goes to) that
    state, ``(1, rule)`` reduces by ``rules[rule]``.
    """

    terminals: tuple[Terminal, ...]
    ignore: tuple[str, ...]  # the terminals skipped between tokens
    rules: tuple[Rule, ...]
    states: dict[int, dict[str, tuple[int, int]]]
    start_state: int
    end_state: int


def from_lark(lark: Lark) -> Tables:
    """``lark``'s analysis (an LALR parser with the basic lexer, of one start symbol) as ``Tables``."""
    from lark.parsers.lalr_analysis import Shift

    lalr = lark.parser.parser
    (start,) = lark.parser.parser_conf.start
    table = lalr._parse_table
    rules = list(lark.rules)
    index = {id(rule): k for k, rule in enumerate(rules)}
    # Lark's names may be its tokens (strings of a class of its own): plain ones here, which marshal keeps.
    states = {
        int(state): {
            str(symbol): (0, int(arg)) if action is Shift else (1, index[id(arg)])
            for symbol, (action, arg) in row.items()
        }
        for state, row in table.states.items()
    }
    conf = lark.lexer_conf
    terminals = tuple(
        Terminal(
            str(t.name),
            str(t.pattern.to_regexp()),
            t.priority,
            t.pattern.max_width,
            len(t.pattern.value),
            t.pattern.type == "str",
            str(t.pattern.value),
        )
        for t in conf.terminals
    )
    return Tables(
        terminals,
        tuple(map(str, conf.ignore)),
        tuple(Rule(str(r.origin.name), len(r.expansion), None if r.alias is None else str(r.alias)) for r in rules),
        states,
        int(table.start_states[start]),
        int(table.end_states[start]),
    )


def cached(grammar: str, directory: Path | None, analyse: Callable[[], Tables]) -> Tables:
    """The tables of ``grammar``: read from ``directory`` where an earlier run kept them, else ``analyse``d
    and kept there (where it is writable: ``None`` keeps nothing).

    The file holds the grammar's text and is used only for that very text, so an edited grammar is
    analysed afresh; a damaged or half-written file is analysed afresh too, and replaced whole.
    """
    path = directory / f"tables-{_digest(grammar)}.marshal" if directory is not None else None
    if path is not None:
        try:
            kept = marshal.loads(path.read_bytes())
            if kept[0] == FORMAT and kept[1] == grammar:
                return _tables(kept[2])
        except (OSError, EOFError, ValueError, TypeError, IndexError, KeyError, AttributeError):
            pass  # none yet, or not one this run can read: analysed afresh
    tables = analyse()
    if path is not None:
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        try:
            partial.write_bytes(marshal.dumps((FORMAT, grammar, _plain(tables))))
            os.replace(partial, path)  # whole or not at all, however many runs write it at once
        except OSError:  # a full disk: the next run analyses the grammar again
            with suppress(OSError):
                partial.unlink(missing_ok=True)
    return tables


def _digest(text: str) -> str:
    """A short name for ``text``'s file (its content is checked on reading, so a clash costs an analysis)."""
    from binascii import crc32  # hashlib would load OpenSSL: 3 ms of a 90 ms command

    return f"{crc32(text.encode()):08x}"


def _plain(tables: Tables) -> tuple[Any, ...]:
    terminals, rules = [tuple(t) for t in tables.terminals], [tuple(r) for r in tables.rules]
    return terminals, list(tables.ignore), rules, tables.states, tables.start_state, tables.end_state


def _tables(plain: Sequence[Any]) -> Tables:
    terminals, ignore, rules, states, start_state, end_state = plain
    return Tables(
        tuple(Terminal(*t) for t in terminals),
        tuple(ignore),
        tuple(Rule(*r) for r in rules),
        {int(state): dict(row) for state, row in states.items()},
        int(start_state),
        int(end_state),
    )


class Token:
    """A token: its terminal type, its text, and where that text starts and ends in the program."""

    __slots__ = ("end_pos", "start_pos", "type", "value")

    def __init__(self, type: str, value: str, start_pos: int, end_pos: int) -> None:
        self.type = type
        self.value = value
        self.start_pos = start_pos
        self.end_pos = end_pos

    def __repr__(self) -> str:
        return f"Token({self.type!r}, {self.value!r}, {self.start_pos}, {self.end_pos})"


class NoAction(Exception):
    """The tables have no action for ``token`` where the loop is (None: for the end of the text): the text
    is not in the language. Lark finds the error again to word it, with its place."""

    def __init__(self, token: Token | None) -> None:
        super().__init__(token)
        self.token = token


class Loop:
    """Runs the tables on a text's tokens, calling ``callbacks[rule]`` on each reduction's children.

    As Lark's LALR parser: each reduction's children are a fresh list of the values on the stack (tokens,
    and what earlier reductions made), and the value of the last reduction into the end state is the
    parse. A shift is stored as its state (an int), a reduction as its length, callback and origin, so
    the loop tells them apart by type and looks nothing else up.
    """

    def __init__(self, tables: Tables, callbacks: Sequence[Callable[[list[Any]], Any]]) -> None:
        rules = [(rule.size, callbacks[k], rule.origin) for k, rule in enumerate(tables.rules)]
        self._states: dict[int, dict[str, int | tuple[int, Callable[[list[Any]], Any], str]]] = {
            state: {symbol: arg if kind == 0 else rules[arg] for symbol, (kind, arg) in row.items()}
            for state, row in tables.states.items()
        }
        self._start = tables.start_state
        self._end = tables.end_state

    def run(self, tokens: Iterable[Token]) -> Any:
        """What the reductions make of ``tokens``; ``NoAction`` where the tables reject one (or the end)."""
        states = self._states
        state = self._start
        state_stack = [state]
        values: list[Any] = []
        for token in chain(tokens, (None,)):  # None: the end of the text
            kind = END if token is None else token.type
            while True:
                action = states[state].get(kind)
                if type(action) is int and token is not None:  # shift
                    state_stack.append(action)
                    values.append(token)
                    state = action
                    break
                if action is None or type(action) is int:  # the end is never shifted
                    raise NoAction(token)
                size, callback, origin = action  # type: ignore[misc]
                if size:
                    children = values[-size:]
                    del state_stack[-size:]
                    del values[-size:]
                else:
                    children = []
                state = states[state_stack[-1]][origin]  # type: ignore[assignment]
                state_stack.append(state)
                values.append(callback(children))
                if token is None and state == self._end:
                    return values[-1]
        raise AssertionError("unreachable: the end is reduced until the end state or rejected")  # pragma: no cover
