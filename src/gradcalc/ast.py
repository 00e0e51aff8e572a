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


Statement = Assign | Expr


@dataclass(slots=True, eq=False, repr=False)
class Program:
    statements: list[Statement]
    source: Source

    def span(self, node: Statement) -> Span:
        return Span(self.source, node.start, node.end)
