"""The abstract syntax tree the parser builds: statements and expressions with their source offsets.

Nodes hold plain ``start``/``end`` character offsets into ``Program.source`` (a Span object per node
would double the parser's allocations on a 100,000-term program); ``span()`` makes one on demand.
Nodes compare by identity: dataclass ``__eq__`` and ``__repr__`` would recurse, and programs nest
10,000 deep. ``children`` lets walks stay iterative.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradcalc.source import Source, Span


@dataclass(slots=True, eq=False, repr=False)
class Number:
    value: float
    start: int
    end: int
    children = ()


@dataclass(slots=True, eq=False, repr=False)
class Name:
    id: str
    start: int
    end: int
    children = ()


@dataclass(slots=True, eq=False, repr=False)
class Unary:
    op: str
    operand: Expr
    start: int
    end: int

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)


@dataclass(slots=True, eq=False, repr=False)
class Binary:
    op: str
    left: Expr
    right: Expr
    start: int
    end: int

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


@dataclass(slots=True, eq=False, repr=False)
class Call:
    func: str
    args: tuple[Expr, ...]
    start: int
    end: int

    @property
    def children(self) -> tuple[Expr, ...]:
        return self.args


Expr = Number | Name | Unary | Binary | Call


@dataclass(slots=True, eq=False, repr=False)
class Assign:
    name: str
    expr: Expr
    start: int
    end: int


@dataclass(slots=True, eq=False, repr=False)
class Block:
    """``{ statements }``: a function's body or a loop's."""

    statements: list[Statement]
    start: int
    end: int


@dataclass(slots=True, eq=False, repr=False)
class FunctionDef:
    """``NAME(PARAM, ...) = EXPR`` or ``NAME(PARAM, ...) = { statements }``.

    ``params`` are the head's arguments as written: the grammar reads the head as a call, and
    lowering says so with a caret where an argument is not a name.
    """

    name: str
    params: tuple[Expr, ...]
    body: list[Statement]  # an expression body is one statement
    start: int
    end: int
    head_end: int  # the end of ``NAME(PARAMS)``: errors about the definition point at the head


@dataclass(slots=True, eq=False, repr=False)
class Loop:
    """``for NAME in A..B { ... }`` (``bounds``) or ``for NAME in [c1, c2] { ... }`` (``items``)."""

    var: str
    bounds: tuple[Expr, Expr] | None
    items: tuple[Expr, ...] | None
    body: list[Statement]
    start: int
    end: int
    head_end: int  # the end of ``for NAME in ...``: errors about the loop point at its header


Statement = Assign | FunctionDef | Loop | Expr


@dataclass(slots=True, eq=False, repr=False)
class Program:
    statements: list[Statement]
    source: Source

    def span(self, node: Statement) -> Span:
        return Span(self.source, node.start, node.end)
