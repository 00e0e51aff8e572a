"""The abstract syntax tree the parser builds: statements and expressions with their source offsets.

Nodes hold plain ``start``/``end`` character offsets into ``Program.source`` (a Span object per node
would double the parser's allocations on a 100,000-term program); ``span()`` makes one on demand.
Nodes compare by identity: a generated ``__eq__`` or ``__repr__`` would recurse, and programs nest
10,000 deep. ``children`` lets walks stay iterative.

The nodes are plain slotted classes, not dataclasses: every command imports this module, and making
a dataclass costs about 0.2 ms at import, ten times a plain class.
"""

from __future__ import annotations

from gradcalc.source import Source, Span


class Number:
    __slots__ = ("end", "start", "value")
    children = ()

    def __init__(self, value: float, start: int, end: int) -> None:
        self.value = value
        self.start = start
        self.end = end


class Name:
    __slots__ = ("end", "id", "start")
    children = ()

    def __init__(self, id: str, start: int, end: int) -> None:
        self.id = id
        self.start = start
        self.end = end


class Unary:
    __slots__ = ("end", "op", "operand", "start")

    def __init__(self, op: str, operand: Expr, start: int, end: int) -> None:
        self.op = op
        self.operand = operand
        self.start = start
        self.end = end

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.operand,)


class Binary:
    __slots__ = ("end", "left", "op", "right", "start")

    def __init__(self, op: str, left: Expr, right: Expr, start: int, end: int) -> None:
        self.op = op
        self.left = left
        self.right = right
        self.start = start
        self.end = end

    @property
    def children(self) -> tuple[Expr, ...]:
        return (self.left, self.right)


class Call:
    __slots__ = ("args", "end", "func", "start")

    def __init__(self, func: str, args: tuple[Expr, ...], start: int, end: int) -> None:
        self.func = func
        self.args = args
        self.start = start
        self.end = end

    @property
    def children(self) -> tuple[Expr, ...]:
        return self.args


Expr = Number | Name | Unary | Binary | Call


class Assign:
    __slots__ = ("end", "expr", "name", "start")

    def __init__(self, name: str, expr: Expr, start: int, end: int) -> None:
        self.name = name
        self.expr = expr
        self.start = start
        self.end = end


class Block:
    """``{ statements }``: a function's body or a loop's."""

    __slots__ = ("end", "start", "statements")

    def __init__(self, statements: list[Statement], start: int, end: int) -> None:
        self.statements = statements
        self.start = start
        self.end = end


class FunctionDef:
    """``NAME(PARAM, ...) = EXPR`` or ``NAME(PARAM, ...) = { statements }``.

    ``params`` are the head's arguments as written: the grammar reads the head as a call, and
    lowering says so with a caret where an argument is not a name. ``body`` is the statements (an
    expression body is one statement); ``head_end`` the end of ``NAME(PARAMS)``, where errors about
    the definition point.
    """

    __slots__ = ("body", "end", "head_end", "name", "params", "start")

    def __init__(
        self, name: str, params: tuple[Expr, ...], body: list[Statement], start: int, end: int, head_end: int
    ) -> None:
        self.name = name
        self.params = params
        self.body = body
        self.start = start
        self.end = end
        self.head_end = head_end


class Loop:
    """``for NAME in A..B { ... }`` (``bounds``) or ``for NAME in [c1, c2] { ... }`` (``items``).

    ``head_end`` is the end of ``for NAME in ...``, where errors about the loop point.
    """

    __slots__ = ("body", "bounds", "end", "head_end", "items", "start", "var")

    def __init__(
        self,
        var: str,
        bounds: tuple[Expr, Expr] | None,
        items: tuple[Expr, ...] | None,
        body: list[Statement],
        start: int,
        end: int,
        head_end: int,
    ) -> None:
        self.var = var
        self.bounds = bounds
        self.items = items
        self.body = body
        self.start = start
        self.end = end
        self.head_end = head_end


Statement = Assign | FunctionDef | Loop | Expr


class Program:
    __slots__ = ("source", "statements")

    def __init__(self, statements: list[Statement], source: Source) -> None:
        self.statements = statements
        self.source = source

    def span(self, node: Statement) -> Span:
        return Span(self.source, node.start, node.end)
