"""The abstract syntax tree the parser builds: statements and expressions with their source offsets.

Nodes hold plain ``start``/``end`` character offsets into ``Program.source`` (a Span object per node
would double the parser's allocations on a 100,000-term program); ``span()`` makes one on demand.
Nodes compare by identity: a generated ``__eq__`` or ``__repr__`` would recurse, and programs nest
10,000 deep. ``children`` lets walks stay iterative.

The nodes are plain slotted classes, not dataclasses: every command imports this module, and making
a dataclass costs about 0.2 ms at import, ten times a plain class.
"""

from __future__ import annotations

from collections.abc import Callable

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


class Repeated:
    """A line of one assignment written before, written again: the assignment, built only when asked.

    Only ``parser.parse_for_one_run`` makes these, for a program lowered once (``program.run_source``):
    a generated chain repeats ``h = h * 1.0001`` a hundred thousand times, and the lowering replays what
    the line's earlier copies made (its template), which needs the line's text, where the assignment
    starts and the name it assigns, not its tree. ``statement()`` builds the tree (``build``: the parser's
    copier of the line) where the lowering needs it.
    """

    __slots__ = ("build", "line", "line_start", "name", "start")

    def __init__(
        self, line: str, build: Callable[[int], list[Statement]], line_start: int, start: int, name: str
    ) -> None:
        self.line = line  # the line's whole text, as written
        self.build = build
        self.line_start = line_start
        self.start = start  # where the assignment starts
        self.name = name

    def statement(self) -> Assign:
        (assignment,) = self.build(self.line_start)
        return assignment  # type: ignore[return-value]  # the parser makes one only of a line of one assignment


class Inputs:
    """A run of input lines, ``w0 = 0.51`` and the like: each line's name, value and offsets, in lists.

    Only ``parser.parse_for_one_run`` makes these: a generated wide sum assigns its 200,000 inputs one a
    line, and the lowering binds each from the lists, which cost the parse a fifth of an ``Assign`` and
    its ``Number`` a line. ``statements()`` gives the lines' assignments, as ``parse`` makes them.
    """

    __slots__ = ("ends", "names", "number_starts", "starts", "values")

    def __init__(
        self, names: list[str], values: list[float], starts: list[int], number_starts: list[int], ends: list[int]
    ) -> None:
        self.names = names
        self.values = values
        self.starts = starts  # where each line's assignment starts
        self.number_starts = number_starts  # and its number: a number ends where its assignment does
        self.ends = ends

    def statements(self) -> list[Assign]:
        return [
            Assign(name, Number(value, number_start, end), start, end)
            for name, value, start, number_start, end in zip(
                self.names, self.values, self.starts, self.number_starts, self.ends, strict=True
            )
        ]


Statement = Assign | FunctionDef | Loop | Expr
OneRunStatement = Statement | Repeated | Inputs  # what a program parsed to be lowered once holds (``OneRun``)


class Program:
    __slots__ = ("source", "statements")

    def __init__(self, statements: list[Statement], source: Source) -> None:
        self.statements = statements
        self.source = source

    def span(self, node: Statement) -> Span:
        return Span(self.source, node.start, node.end)


class OneRun:
    """A program parsed to be lowered once (``parser.parse_for_one_run``): a line of one assignment written
    before is ``Repeated``, and a run of input lines ``Inputs``, not trees. ``statements`` are let go as they
    are lowered (``lower(consume=True)``)."""

    __slots__ = ("source", "statements")

    def __init__(self, statements: list[OneRunStatement], source: Source) -> None:
        self.statements = statements
        self.source = source
