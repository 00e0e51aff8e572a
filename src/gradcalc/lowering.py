"""AST to graph: the language's meaning.

- A name assigned an expression with no free names (``a = -4``, ``x = pi/2``) is an *input*: a leaf that
  gets a gradient. Assigning a constant again to an existing input changes its value in place.
- Any other assignment binds the name to a new node; re-assignment builds on the old node.
- A constant subexpression (``2``, ``pi/4``, ``2*3``) becomes one constant leaf; a constant exponent
  is folded into its gate (``x^2`` is one ``^2`` gate), as in the textbook circuits.
- The output is the last statement's node.

- ``NAME(PARAMS) = BODY`` defines a function; a call inlines its body, each call its own nodes, the
  parameters bound to the arguments and every other name meaning what it means at the call (so a
  weight used in the body is shared by every call). ``for t in A..B { ... }`` and ``for x in [...]``
  unroll: the body's statements run once per step, re-assignment building on the previous step, the
  counter a constant. Calls and steps are recorded as the graph's scopes, for the pictures.

``overrides`` are inputs set from outside (``gradcalc eval PROGRAM x=3``): they win over the
program's own constant assignment of the same name, so one program serves many points.
``missing_hint`` says how to give a name with no value one where the program came from: ``y = 1`` in a
program or the REPL, the argument ``y=1`` on the command line, a column of the data file in training.
The walk over each expression is an explicit post-order stack: no recursion, however deep; a call's
body and a loop's steps are pushed onto the same stack, so calls nested in calls and loops nested in
loops do not recurse either.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, ClassVar

from gradcalc import ast
from gradcalc.engine import op_failure
from gradcalc.errors import EvaluationError, ProgramSyntaxError, ScopedSource
from gradcalc.graph import Graph, Node
from gradcalc.numbers import format_number
from gradcalc.ops import ALIASES, CONST, CONSTANTS, FUNCTIONS, INFIX, NOT_VALUES, POW, POWC, PREFIX, Op, Syntax
from gradcalc.source import Source, Span

MAX_UNROLLED = 1_000_000  # the nodes one loop or one call may add to the graph
MAX_STEPS = 1_000_000  # the steps one loop or one call may take: each loop step and each call, nested ones included
MAX_CALL_DEPTH = 1_000  # calls inside calls: without recursion, more means a very long chain of functions

GRAD = "grad"  # the derivative as a built-in of the language: grad(EXPR, NAME), see _Lowering._grad
MAX_DERIVATIVE_TEXT = 20  # a longer expression is cut where a grad's nodes are named after it
_SUPERSCRIPTS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _superscript(count: int) -> str:
    """``²`` for 2, nothing for 1: the power of a ∂ in derivative notation."""
    return str(count).translate(_SUPERSCRIPTS) if count > 1 else ""


def _runs(names: list[str]) -> list[tuple[str, int]]:
    """Each run of equal names and its length: [x, x, y] -> [(x, 2), (y, 1)]."""
    runs: list[tuple[str, int]] = []
    for name in names:
        if runs and runs[-1][0] == name:
            runs[-1] = (name, runs[-1][1] + 1)
        else:
            runs.append((name, 1))
    return runs


class _Const:
    """A constant subexpression not yet made into a node: folding needs its value, labels its text.

    ``text`` and ``source`` are set where the constant came from elsewhere than the text being
    lowered: a loop's counter, a constant argument seen inside the function's body. (The records
    here that no caller outside this module sees are plain slotted classes: every command imports
    this module, and a dataclass costs about 0.2 ms to make.)
    """

    __slots__ = ("end", "source", "start", "text", "value")

    def __init__(
        self, value: float, start: int, end: int, text: str | None = None, source: Source | None = None
    ) -> None:
        self.value = value
        self.start = start
        self.end = end
        self.text = text
        self.source = source


class _NumberOnRight:
    """An item of the lowering's stack: a binary operator (not ``^``) whose right operand is a number, once
    its left operand is lowered. The number is not an item of its own, so ``(((x * 1.0001) * 1.0001) ...)``
    has a third fewer items: 4.2% of its whole process at 10,000 deep, measured."""

    __slots__ = ("expr", "op")

    def __init__(self, expr: ast.Binary, op: Op) -> None:
        self.expr = expr
        self.op = op


_Step = tuple[Op, Callable[[tuple[int, ...]], tuple[int, ...]], float | None, str | None, int, int, str | None]


class _Template:
    """A call's nodes, recorded at the first call of one *shape* and replayed for every later one.

    Lowering a body walks its AST (names looked up, constants folded, spans made) for every call;
    replaying the nodes the first call made is a loop over a list, so a call costs no more than its
    body typed out. A call's shape is what decides which nodes its body makes: every argument and
    every name the body reads is a node (a constant would fold differently), and which of them are
    the same node (``f(h, h)``). Each step is ``(op, pick, param, text, start, end, name)``: the
    replay makes a table of the arguments and free names' nodes, then the nodes it makes, and
    ``pick`` takes a node's arguments from it (``_picker``); ``name`` is a local name given to the node
    (``a`` in ``{ a = 2*x; a + 1 }``). ``result`` is the call's value: an index into the table.
    """

    __slots__ = ("result", "steps")

    def __init__(self, steps: list[_Step], result: int) -> None:
        self.steps = steps
        self.result = result


@dataclass(slots=True, eq=False)
class Function:
    """A user function: its parameters and body, and the source it was defined in (for spans)."""

    name: str
    params: tuple[str, ...]
    body: list[ast.Statement]
    source: Source
    definition: ast.FunctionDef
    calls: dict[str, ast.Call]  # the functions its body calls, each with its first call (for carets)
    # How many times its body calls each of them: the call sites, times the steps of the loops around
    # each where those are written as numbers (a loop over computed bounds counts once).
    call_counts: dict[str, int] = field(default_factory=dict)
    items: list[Any] = field(default_factory=list)  # its body as the lowering's stack items, made once
    # The names the body reads that are not parameters, or None for a body a template cannot replay
    # (one that calls a function you defined, or grad, or runs a loop); see _Template.
    free: tuple[str, ...] | None = None
    templates: dict[tuple[int, ...], _Template | None] = field(default_factory=dict)  # by call shape

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"

    @property
    def text(self) -> str:
        """The definition as written."""
        return self.source.text[self.definition.start : self.definition.end]


Functions = dict[str, Function]


Operand = int | _Const


@dataclass(slots=True, eq=False)
class Lowered:
    """What lowering a program produced."""

    output: int | None  # the last statement's node; None for an empty program
    output_name: str | None  # the name the last statement assigned, if it was an assignment
    unused_overrides: list[str] = field(default_factory=list)
    defined: list[str] = field(default_factory=list)  # the functions the program defined


MissingHint = Callable[[str], str]


def in_program(name: str) -> str:
    """The hint for a name with no value in a program or the REPL: assign it."""
    return f"give it a value first, as in '{name} = 1'"


def on_command_line(name: str) -> str:
    """The hint for a name with no value in ``gradcalc eval PROGRAM x=1``: the argument form."""
    return f"give it a value: add the argument {name}=1 (or write {name} = 1 in the program)"


def lower(
    program: ast.Program | ast.OneRun,
    graph: Graph,
    overrides: Mapping[str, float] | None = None,
    missing_hint: MissingHint = in_program,
    functions: Functions | None = None,
    *,
    consume: bool = False,
) -> Lowered:
    """Add ``program``'s nodes to ``graph`` and bind its names.

    ``functions`` are the user functions known so far (a REPL session's); the program's definitions
    are added to it. ``consume`` takes each statement out of ``program`` as it is lowered, for a program
    run once: a 100,000-statement AST is then let go bit by bit, its memory reused by the graph.
    """
    lowering = _Lowering(program.source, graph, overrides or {}, missing_hint, {} if functions is None else functions)
    statements: list[ast.OneRunStatement] = program.statements  # type: ignore[assignment]  # a Program's are some
    return lowering.run(_taken(statements) if consume else statements)


def _tree(statement: ast.Assign | ast.Repeated) -> ast.Assign:
    """The assignment itself: a repeated line's built (``ast.Repeated``)."""
    return statement if type(statement) is ast.Assign else statement.statement()  # type: ignore[union-attr]


def _taken(statements: list[ast.OneRunStatement]) -> Iterator[ast.OneRunStatement]:
    """``statements`` in order, each removed from the list as it is handed out."""
    statements.reverse()
    while statements:
        yield statements.pop()


class _Scope:
    """The names of a call (its parameters and local names) or of a loop (its counter).

    A name not found here means what it means where the call or the loop is (``parent``). A call's
    scope keeps the names its body assigns; a loop's passes assignments on to where the loop is.
    """

    __slots__ = ("chain", "function", "lookup", "names", "parent")

    def __init__(
        self, names: dict[str, Operand], parent: _Scope | None, function: Function | None, bindings: dict[str, int]
    ) -> None:
        self.names = names
        self.parent = parent
        self.function = function  # the function called, for a call's scope; None for a loop's
        # This scope's names and those around it, innermost first: a lookup is a loop, not a chain of calls.
        self.chain: tuple[dict[str, Operand], ...] = (names, *(parent.chain if parent is not None else ()))
        around, outside, get = self.chain[1:], bindings.get, names.get

        def lookup(name: str) -> Operand | None:  # the lowering's walk calls it for every name
            found = get(name)
            if found is not None:
                return found
            for names_around in around:
                found = names_around.get(name)
                if found is not None:
                    return found
            return outside(name)

        self.lookup = lookup


class _Lowering:
    def __init__(
        self,
        source: Source,
        graph: Graph,
        overrides: Mapping[str, float],
        missing_hint: MissingHint,
        functions: Functions,
    ) -> None:
        self.source = source
        self.graph = graph
        self.overrides = overrides
        self.missing_hint = missing_hint
        self.functions = functions
        self.used_overrides: set[str] = set()
        self.scope: _Scope | None = None  # None: the program's own names, graph.bindings
        self.lookup: Callable[[str], Operand | None] = graph.bindings.get
        self.calls: list[tuple[Function, ast.Call]] = []  # the calls being inlined, innermost last
        self.active: set[str] = set()  # the names of the functions being inlined
        self.unrolling: list[tuple[ast.Statement, Source, int]] = []  # calls and loops being unrolled, nodes before
        self.steps = 0  # the loop steps and calls taken since the outermost of them began (MAX_STEPS)
        self.calls_made: dict[str, int] = {}  # by function: see _calls_made
        self.last: tuple[int, str | None] | None = None  # the last statement run outside a call: the output
        self.call_counts: dict[str, int] = {}  # calls made of each function, to name them in errors: f #2
        self.bind_log: list[tuple[str, Operand]] | None = None  # a step being recorded: its assignments
        # Top-level assignments by their text: the names they read (see _assign_statement), and templates.
        self.statement_reads: dict[str, Any] = {}
        self.statement_templates: dict[tuple[str, tuple[int, ...]], _StepTemplate | None] = {}

    def run(self, statements: Iterable[ast.OneRunStatement]) -> Lowered:
        result = Lowered(None, None)
        set_input = self.graph.set_input
        overrides = self.overrides
        source = self.source  # the program's own: a statement that enters a call or a loop leaves it
        for statement in statements:
            kind = type(statement)
            if kind is ast.Assign:
                number = statement.expr  # type: ignore[union-attr]
                name = statement.name  # type: ignore[union-attr]
                if type(number) is ast.Number and name not in overrides and number.value - number.value == 0.0:
                    # w0 = 0.51, neither overridden nor inf or nan: an input (half a wide sum's program)
                    node = set_input(name, number.value, source, statement.start, statement.end)  # type: ignore[union-attr]
                else:
                    node = self._assign_statement(statement)  # type: ignore[arg-type]
                result.output_name = name
            elif kind is ast.Inputs:  # a run of input lines (parse_for_one_run)
                node = self._inputs(statement)  # type: ignore[arg-type]
                result.output_name = statement.names[-1]  # type: ignore[union-attr]
            elif kind is ast.Repeated:  # a line written before (parse_for_one_run): replayed, mostly
                node = self._assign_statement(statement)  # type: ignore[arg-type]
                result.output_name = statement.name  # type: ignore[union-attr]
            elif kind is ast.FunctionDef:
                self._define(statement)  # type: ignore[arg-type]
                result.defined.append(statement.name)  # type: ignore[union-attr]
                continue
            elif kind is ast.Loop:
                self.last = None
                self._expression(statement)  # type: ignore[arg-type]
                if self.last is None:  # no steps, or no statements in them: nothing new to show
                    continue
                node, result.output_name = self.last
            else:
                node = self._materialize(self._expression(statement))  # type: ignore[arg-type]
                result.output_name = None
            result.output = node
        result.unused_overrides = [name for name in self.overrides if name not in self.used_overrides]
        return result

    # -- statements ---------------------------------------------------------------------------------

    def _assign(self, statement: ast.Assign) -> int:
        return self._assign_value(statement.name, self._expression(statement.expr), statement)

    def _assign_statement(self, statement: ast.Assign | ast.Repeated) -> int:
        """A top-level assignment; one whose text was seen before replays the nodes that one made.

        Generated programs repeat their lines: ``h = h * 1.0001`` a hundred thousand times. As a loop's
        steps are (``_StepTemplate``), the second assignment of a text is recorded, from the nodes the
        names it reads are bound to, and the later ones of the same shape replay it, its spans moved to
        where they are. A text is remembered when seen once, its reads found when seen twice: a
        program of texts all different pays a lookup each. An assignment that reads a function you
        defined, ``grad`` or a loop, or that makes an input (``w0 = 0.51``), is lowered afresh.

        A line the parser found repeated (``ast.Repeated``) goes by its line's text, and its tree is built
        only where no template stands for it.
        """
        if type(statement) is ast.Repeated:
            text = statement.line  # a key of its own where the line has more than the assignment (a comment)
        else:
            number = statement.expr  # type: ignore[union-attr]
            if type(number) is ast.Number:  # w0 = 0.51: an input, nothing to replay (nor to walk)
                if not math.isfinite(number.value):
                    self._number(number, ())  # says why
                return self._input(statement.name, number.value, statement)  # type: ignore[arg-type]
            text = self.source.text[statement.start : statement.end]  # type: ignore[union-attr]
        reads = self.statement_reads.get(text, _MISSING)
        if reads is _MISSING or reads is None:
            if reads is _MISSING and len(self.statement_reads) < _MOST_STATEMENT_TEXTS:
                self.statement_reads[text] = _SEEN_ONCE
            return self._assign(_tree(statement))
        if reads is _SEEN_ONCE:
            statement = _tree(statement)
            reads = self.statement_reads[text] = _statement_reads(statement)
            if reads is None:
                return self._assign(statement)
        graph = self.graph
        bound = list(map(graph.bindings.get, reads))  # here every name bound is bound to a node
        if None in bound:  # unbound (a constant such as pi, or an error), or overridden: as a step reads them
            read = _nodes_read(self, reads)
            if read is None:
                return self._assign(_tree(statement))
            outside = read
            key = (text, _key(outside))
        else:  # the common case, all different, found without a call
            outside = bound  # type: ignore[assignment]  # no None in it
            key = (text, _DISTINCT if len(set(outside)) == len(outside) else _key(outside))
        template = self.statement_templates.get(key, _MISSING)
        if type(template) is _StepTemplate:
            if template.replay is None:
                _replay_step(self, outside, template, statement.start)
            else:  # compiled: a top-level assignment's template leaves no output of its own (``last``)
                template.replay(graph.nodes, self.source, outside, statement.start, graph.bind)
            return graph.bindings[statement.name]
        statement = _tree(statement)
        first = len(graph.nodes)
        value = self._expression(statement.expr)
        node = self._assign_value(statement.name, value, statement)
        if template is _MISSING and len(self.statement_templates) < _MOST_STATEMENT_TEXTS:
            recorded = None
            if type(value) is int:  # not a constant: that makes (or sets) an input
                recorded = _record_steps(self, first, outside, [(statement.name, value)], None, statement.start)
            self.statement_templates[key] = recorded
        return node

    def _inputs(self, inputs: ast.Inputs) -> int:
        """A run of input lines, each as ``run`` lowers one: the last one's node."""
        names, values = inputs.names, inputs.values
        if self.overrides.keys().isdisjoint(names) and all(map(math.isfinite, values)):
            return self.graph.set_inputs(names, values, self.source, inputs.starts, inputs.ends)
        node = -1  # some overridden, or inf or nan (1e309), which an error says as always: line by line
        for statement in inputs.statements():
            node = self._assign_statement(statement)
        return node

    def _input(self, name: str, value: float, statement: ast.Statement) -> int:
        """``name = value``, a constant, among the program's own names: an input, valued as the user says
        if they do (a wide sum's program is half such lines)."""
        if name in self.overrides:
            self.used_overrides.add(name)
            value = self.overrides[name]
        return self.graph.set_input(name, value, self.source, statement.start, statement.end)

    def _assign_value(self, name: str, value: Operand, statement: ast.Statement) -> int:
        """What ``name = value`` means among the program's own names (not in a call)."""
        if isinstance(value, _Const):
            return self._input(name, value.value, statement)
        return self.graph.bind(name, value)

    def _define(self, definition: ast.FunctionDef) -> None:
        """Check a definition and add it to the functions (replacing one of the same name)."""
        name = definition.name
        head = Span(self.source, definition.start, definition.start + len(name))
        if name in FUNCTIONS or name in ALIASES or name == GRAD:
            raise EvaluationError(
                f"{name} is a built-in function: a function you define needs a name of its own",
                head, f"for example my_{name}",
            )  # fmt: skip
        if name in CONSTANTS:
            raise EvaluationError(f"{name} is a constant: a function you define needs a name of its own", head)
        params: list[str] = []
        for param in definition.params:
            if type(param) is not ast.Name:
                raise ProgramSyntaxError(
                    f"a parameter of {name} must be a name", self._span(param),
                    f"a definition names its parameters, as in {name}(x) = x^2 + 1; a call gives them values",
                )  # fmt: skip
            if param.id in params:
                raise ProgramSyntaxError(f"the parameter {param.id} is named twice", self._span(param))
            params.append(param.id)
        body = definition.body
        if not body:
            raise ProgramSyntaxError(
                f"the body of {name} is empty", self._span(definition), "its last statement is its value"
            )
        if type(body[-1]) not in (ast.Assign, *_EXPRESSIONS):
            raise ProgramSyntaxError(
                f"the body of {name} must end with its value: an expression",
                Span(self.source, body[-1].start, body[-1].end),
            )
        calls, counts = self._calls_in(name, body)
        function = Function(name, tuple(params), body, self.source, definition, calls, counts)
        function.free = _free_names(function)
        if name in calls:
            raise EvaluationError(
                f"{name} calls itself: a function cannot use itself (nothing would stop the calls)",
                self._span(calls[name]),
            )
        cycle = self._cycle_through(function)
        if cycle is not None:
            path, call = cycle
            raise EvaluationError(
                f"{name} calls itself through {' → '.join(path)}: a function cannot use itself",
                self._span(call), "nothing would stop the calls",
            )  # fmt: skip
        self.functions[name] = function
        self.calls_made.clear()

    def _calls_in(self, name: str, body: list[ast.Statement]) -> tuple[dict[str, ast.Call], dict[str, int]]:
        """The calls of user-definable names in ``body`` (every name that is not a built-in function), each
        with its first call, and how many times the body makes each (``Function.call_counts``)."""
        found: dict[str, ast.Call] = {}
        counts: dict[str, int] = {}
        for item, times in _walk(body):
            kind = type(item)
            if kind is ast.Call and item.func not in FUNCTIONS:
                found.setdefault(item.func, item)
                counts[item.func] = counts.get(item.func, 0) + times
            elif kind is ast.FunctionDef:
                raise ProgramSyntaxError(
                    f"a function cannot be defined inside {name}: define {item.name} at the top level",
                    Span(self.source, item.start, item.head_end),
                )
        return found, counts

    def _calls_made(self, function: Function) -> int:
        """The calls one call of ``function`` makes, the calls inside those included, as defined now.

        Each function's count is worked out once per lowering (a definition starts the counts afresh),
        walking the functions it calls with a stack, not recursion. A cycle (refused when the call
        reaches it) counts nothing here.
        """
        made = self.calls_made
        stack = [function]
        entered: set[str] = set()
        while stack:
            current = stack[-1]
            if current.name in made:
                stack.pop()
                continue
            callees = [f for f in map(self.functions.get, current.call_counts) if f is not None]
            waiting = [f for f in callees if f.name not in made and f.name not in entered]
            if waiting and current.name not in entered:
                entered.add(current.name)
                stack.extend(waiting)
                continue
            made[current.name] = sum(
                count * (1 + made.get(callee, 0)) for callee, count in current.call_counts.items()
                if callee in self.functions
            )  # fmt: skip
            stack.pop()
        return made[function.name]

    def _cycle_through(self, function: Function) -> tuple[list[str], ast.Call] | None:
        """A chain of defined functions from ``function``'s body back to it, if there is one."""
        start = function.name
        for first, call in function.calls.items():
            seen = {first}
            stack = [(first, [start, first])]
            while stack:
                name, path = stack.pop()
                known = self.functions.get(name)
                if known is None:
                    continue
                for callee in known.calls:
                    if callee == start:
                        return [*path, start], call
                    if callee not in seen:
                        seen.add(callee)
                        stack.append((callee, [*path, callee]))
        return None

    # -- expressions --------------------------------------------------------------------------------

    def _expression(self, root: ast.Expr | ast.Loop) -> Operand:
        """Lower one expression bottom-up: an explicit post-order walk, however deep the nesting.

        Names, numbers and binary operators (nearly every node of a big program) are handled inline,
        without a call per node; the rest go through ``_rules``. A call of a user function pushes its
        body's statements, and a loop its steps, onto the same stack (``_Marker`` items say what to do
        when a statement, a step or a call is done), so nothing here recurses.
        """
        if type(root) is ast.Number:  # w0 = 0.51: a constant, nothing to walk
            return self._number(root, ())
        results: list[Any] = []
        rules = self._rules
        lookup = self.lookup
        functions = self.functions
        binary = self._binary
        infix = INFIX
        nodes = self.graph.nodes
        todo: list[Any] = [root]  # expressions to lower, and (expression, arity) once its children are done
        # ``while True``, not ``while todo``: CPython 3.11 specializes a function's code once it has been
        # called, or its loops have jumped back, often enough, and the jump ending a ``while todo`` loop is
        # not counted. This function is called once for a 100,000-term sum: so written, its walk stayed
        # unspecialized, 9,300 instructions a term more (a third of the term's lowering), measured.
        while True:
            if not todo:
                break
            item = todo.pop()
            kind = type(item)
            if kind is ast.Name:
                node = lookup(item.id)
                results.append(node if node is not None else self._name(item, ()))
            elif kind is ast.Binary:
                left, right = item.left, item.right
                if type(left) is ast.Name and type(right) is ast.Name:  # a*b: both are bound (or an error)
                    a, b = lookup(left.id), lookup(right.id)
                    if type(a) is int and type(b) is int:  # _binary's gate, spelled out (a wide sum's terms)
                        nodes.append(Node(infix[item.op], (a, b), None, None, self.source, item.start, item.end))
                        results.append(len(nodes) - 1)
                    else:
                        results.append(binary(item, (
                            a if a is not None else self._name(left, ()),
                            b if b is not None else self._name(right, ()),
                        )))
                elif type(right) is ast.Number and (op := infix[item.op]) is not POW:
                    todo.append(_NumberOnRight(item, op))  # h * 1.0001: no stop for the number (below)
                    todo.append(left)
                else:
                    todo.append([item])  # then apply it (below)
                    todo.append(right)
                    todo.append(left)
            elif kind is list:  # a binary operator's two operands are lowered: apply it
                b = results.pop()
                a = results[-1]
                expr = item[0]
                if type(a) is int and type(b) is int:  # _binary's gate, spelled out (a wide sum's additions)
                    nodes.append(Node(infix[expr.op], (a, b), None, None, self.source, expr.start, expr.end))
                    results[-1] = len(nodes) - 1
                else:
                    results[-1] = binary(expr, (a, b))
            elif kind is _NumberOnRight:  # the left operand is lowered: the number's node, then the gate's
                expr = item.expr
                number = expr.right
                value, start, end = number.value, number.start, number.end
                if value - value != 0.0:  # inf or nan (1e309): _number says so
                    self._number(number, ())
                a = results[-1]
                if type(a) is int:  # _binary, _materialize and Graph.constant, spelled out (nested 10,000 deep)
                    source = self.source
                    nodes.append(Node(CONST, (), value, source.text[start:end], source, start, end))
                    nodes.append(Node(item.op, (a, len(nodes) - 1), None, None, source, expr.start, expr.end))
                    results[-1] = len(nodes) - 1
                else:  # (2 * 3) * 4: folded
                    results[-1] = binary(expr, (a, _Const(value, start, end)))
            elif kind is tuple:  # all of this node's children are lowered: apply it
                expr, arity = item
                args = results[-arity:]
                del results[-arity:]
                results.append(rules[type(expr)](self, expr, args))
            elif kind is ast.Number:
                value = item.value
                if value - value != 0.0:  # inf or nan (1e309): _number says so
                    self._number(item, ())
                results.append(_Const(value, item.start, item.end))
            elif kind is ast.Call and item.func in functions:  # a user function: inline its body
                todo.append(_Invoke(functions[item.func], item))
                todo.extend(reversed(item.args))
            elif isinstance(item, _Marker):
                item.run(self, todo, results)
                lookup = self.lookup  # a call or a loop may have entered or left a scope
            elif kind is ast.Loop:
                todo.append(_LoopStart(item))
                todo.extend(reversed(item.bounds or item.items))
            else:
                children = item.children
                if children:
                    todo.append((item, len(children)))
                    todo.extend(reversed(children))
                else:
                    results.append(rules[kind](self, item, ()))
        return results[0]

    # -- scopes: calls and loops ---------------------------------------------------------------------

    def _enter(self, scope: _Scope | None, source: Source) -> None:
        self.scope, self.source = scope, source
        self.lookup = self.graph.bindings.get if scope is None else scope.lookup

    def _bind_in_scope(self, statement: ast.Assign, value: Operand) -> Operand:
        """``name = value`` in a call's body (a local name) or a loop's (where the loop is)."""
        name = statement.name
        scope = self.scope
        while scope is not None and scope.function is None:  # a loop's: its counter is not assignable
            if name in scope.names:
                raise EvaluationError(
                    f"{name} counts the loop's steps: it is a constant in the loop's body",
                    self._span(statement), "assign another name",
                )  # fmt: skip
            scope = scope.parent
        if scope is None:
            if self.bind_log is not None:
                self.bind_log.append((name, value))
            node = self._assign_value(name, value, statement)
            self.last = (node, name)
            return node
        if type(value) is int:
            self.graph.name_node(name, value)
        scope.names[name] = value
        return value

    def _begin_unrolling(self, what: ast.Statement, source: Source) -> None:
        """A call or a loop begins to unroll: the caps count its nodes and steps, nested ones included."""
        if not self.unrolling:
            self.unrolling.append((what, source, len(self.graph.nodes)))
            self.steps = 0

    def _take_steps(self, count: int, ahead: int = 0) -> None:
        """Count ``count`` loop steps or calls against MAX_STEPS, and stop now if the ``ahead`` ones known
        to follow (the calls a call will make, the steps like the first a loop will take) pass it."""
        self.steps += count
        if self.steps + ahead > MAX_STEPS:
            what, source, _ = self.unrolling[0]
            how = "takes" if self.steps > MAX_STEPS else "would take"
            raise self._too_large(what, source, f"{how} more than {MAX_STEPS:,} steps")

    def _check_size(self) -> None:
        """Stop a loop or a call that would make the graph too large, naming it."""
        what, source, before = self.unrolling[0]
        added = len(self.graph.nodes) - before
        if added > MAX_UNROLLED:
            raise self._too_large(what, source, f"adds more than {MAX_UNROLLED:,} nodes to the graph")

    def _too_large(self, what: ast.Statement, source: Source, how: str) -> EvaluationError:
        end = what.head_end if type(what) is ast.Loop else what.end
        span = Span(source, what.start, end)
        kind = "loop" if type(what) is ast.Loop else "call"
        return EvaluationError(
            f"the {kind} '{span.text}' {how}", span,
            f"a loop or a call may add at most {MAX_UNROLLED:,} nodes and take at most {MAX_STEPS:,} steps "
            "(loop steps and calls, nested ones included)",
        )  # fmt: skip

    def _loop_values(self, loop: ast.Loop, bounds: list[Operand]) -> list[float]:
        """The counter's values: the range's or the list's constants."""
        exprs = loop.bounds or loop.items or ()
        for expr, value in zip(exprs, bounds):
            if type(value) is not _Const:
                raise EvaluationError(
                    f"the steps of the loop over {loop.var} must be constants",
                    self._span(expr),
                    "write numbers or constant expressions, as in for t in 1..5 or for x in [1, 2.5, pi]",
                )
        values = [value.value for value in bounds]  # type: ignore[union-attr]
        if loop.items is not None:
            return values
        first, last = values
        span = last - first  # infinite for -1e308..1e308: counted only when finite
        count = math.floor(span) + 1 if math.isfinite(span) and last >= first else 0
        if span >= MAX_STEPS:  # as count > MAX_STEPS
            raise self._too_large(loop, self.source, f"takes {count:,} steps" if count else "takes over 1e308 steps")
        return [first + k for k in range(count)]

    def _number(self, expr: ast.Number, args: Sequence[Operand]) -> Operand:
        if not math.isfinite(expr.value):  # 1e309: every value is a finite number
            raise EvaluationError(
                f"{self.source.text[expr.start : expr.end]} is too large for a floating-point number",
                self._span(expr),
                "the largest is about 1.8e308",
            )
        return _Const(expr.value, expr.start, expr.end)

    def _binary(self, expr: ast.Binary, args: Sequence[Operand]) -> Operand:
        op = INFIX[expr.op]
        a, b = args
        if type(a) is not int or type(b) is not int:
            if op is POW or (type(a) is not int and type(b) is not int):
                return self._folded(op, expr, args)
            # h * 1.0001: a node and a constant's node
            a = a if type(a) is int else self._materialize(a)
            b = b if type(b) is int else self._materialize(b)
        nodes = self.graph.nodes  # graph.add, spelled out: a big program's every other node is made here
        nodes.append(Node(op, (a, b), None, None, self.source, expr.start, expr.end))
        return len(nodes) - 1

    def _folded(self, op: Op, expr: ast.Expr, args: Sequence[Operand]) -> Operand:
        """``op`` applied, a constant exponent folded into its gate: ``x^2`` and ``pow(x, 2)`` are one ``^2``."""
        if op is POW and isinstance(args[1], _Const) and not isinstance(args[0], _Const):
            return self._gate(POWC, (args[0],), expr, args[1].value)
        return self._op(op, expr, args)

    def _unary(self, expr: ast.Unary, args: Sequence[Operand]) -> Operand:
        op = PREFIX.get(expr.op)
        return args[0] if op is None else self._op(op, expr, args)

    def _name(self, expr: ast.Name, args: Sequence[Operand]) -> Operand:
        name = expr.id
        node = self.lookup(name)
        if node is not None:
            return node
        if name in self.overrides:
            self.used_overrides.add(name)
            return self.graph.set_input(name, self.overrides[name], self.source, expr.start, expr.end)
        if name in CONSTANTS:
            return _Const(CONSTANTS[name], expr.start, expr.end)
        if name in FUNCTIONS or name in self.functions:
            hint = f"{name} is a function: call it as {name}(...)"
        elif name in ALIASES and ALIASES[name].syntax is Syntax.CALL:
            hint = f"{name} is written {ALIASES[name].symbol} here: call it as {ALIASES[name].symbol}(...)"
        elif name.lower() in NOT_VALUES:
            hint = NOT_VALUES[name.lower()]
        else:
            hint = self.missing_hint(name)
        raise EvaluationError(f"the name '{name}' has no value", self._span(expr), hint)

    def _call(self, expr: ast.Call, args: Sequence[Operand]) -> Operand:
        if expr.func == GRAD and GRAD not in FUNCTIONS:
            return self._grad(expr, args)
        op = FUNCTIONS.get(expr.func)
        if op is None:
            known = ", ".join(sorted(FUNCTIONS))
            if self.functions:
                known += "; yours are " + ", ".join(sorted(self.functions))
            alias = ALIASES.get(expr.func)
            hint = f"the functions are {known}"
            if alias is not None:
                how = f"{alias.symbol} is gradcalc's name for {expr.func}"
                if alias.syntax is not Syntax.CALL:
                    how = f"gradcalc writes {expr.func}(a, b) as a {alias.symbol} b"
                hint = f"did you mean {self._written_as(alias, expr)}? {how}"
            raise EvaluationError(f"unknown function '{expr.func}'", self._span(expr), hint)
        if len(args) != op.arity:
            plural = "s" if op.arity != 1 else ""
            raise EvaluationError(f"{expr.func} takes {op.arity} argument{plural}, not {len(args)}", self._span(expr))
        return self._folded(op, expr, args)

    def _grad(self, expr: ast.Call, args: Sequence[Operand]) -> Operand:
        """``grad(e, x)``: d(e)/d(x) as nodes of the graph (``gradient_graph``), differentiable again."""
        if len(args) != 2:
            raise EvaluationError(f"grad takes 2 arguments, not {len(args)}", self._span(expr),
                                  "write grad(EXPR, NAME): the derivative of EXPR with respect to the input NAME")
        of, wrt = args
        target = expr.args[1]
        if type(wrt) is not int or not self.graph.nodes[wrt].is_input or type(target) is not ast.Name:
            what = self.source.text[target.start : target.end]
            raise EvaluationError(f"grad differentiates with respect to an input, and {what} is not one",
                                  self._span(target), "write grad(EXPR, NAME) with NAME an input, as x in x = 2")
        if type(of) is not int:  # a constant: its derivative is 0
            return _Const(0.0, expr.start, expr.end)
        from gradcalc.gradient_graph import differentiate

        name, nested = self._derivative_name(expr)
        node = differentiate(self.graph, of, wrt, lower, name, nested)
        return _Const(node, expr.start, expr.end) if isinstance(node, float) else node

    def _derivative_name(self, expr: ast.Call) -> tuple[str, int]:
        """How the pictures name a grad's nodes, after the call: ``∂f/∂x``, ``∂²(x^3)/∂x²``, ``∂²f/∂y∂x``,
        and how many grads are nested there (2 for those two).

        Directly nested grads make one name (``grad(grad(f, x), y)`` is ``∂²f/∂y∂x``); the loop walks
        down the first arguments, so it does not recurse.
        """
        wrts: list[str] = []
        inner: ast.Expr = expr
        while type(inner) is ast.Call and inner.func == GRAD and len(inner.args) == 2:
            wrt = inner.args[1]
            if type(wrt) is not ast.Name:
                break
            wrts.append(wrt.id)
            inner = inner.args[0]
        text = " ".join(self.source.text[inner.start : inner.end].split())
        if len(text) > MAX_DERIVATIVE_TEXT:
            text = text[: MAX_DERIVATIVE_TEXT - 1] + "…"
        if type(inner) is not ast.Name and type(inner) is not ast.Number and type(inner) is not ast.Call:
            text = f"({text})"
        below: list[str] = []  # ∂x² for x twice in a row
        for name, count in _runs(wrts):
            below.append(f"∂{name}{_superscript(count)}")
        return f"∂{_superscript(len(wrts))}{text}/{''.join(below)}", len(wrts)

    def _written_as(self, op: Op, call: ast.Call) -> str:
        """``call`` (``ln(x)``, ``pow(a, b)``) spelled with ``op``, from the user's own argument texts."""
        args = [self.source.text[arg.start : arg.end] for arg in call.args]
        if op.syntax is Syntax.INFIX and len(args) == 2:
            return f"{args[0]} {op.symbol} {args[1]}"
        return f"{op.symbol}({', '.join(args)})"

    def _op(self, op: Op, expr: ast.Expr, args: Sequence[Operand]) -> Operand:
        if all(type(arg) is int for arg in args):  # the common case: a 100,000-term program comes through here
            return self._gate(op, tuple(args), expr)  # type: ignore[arg-type]
        constants = [arg for arg in args if type(arg) is _Const]
        if len(constants) == len(args):
            values = [arg.value for arg in constants]
            try:
                value = op.forward(*values)
            except (ArithmeticError, ValueError) as exc:
                raise op_failure(op, values, exc, self._span(expr)) from None
            if not math.isfinite(value):
                raise op_failure(op, values, OverflowError(), self._span(expr))
            return _Const(value, expr.start, expr.end)
        nodes = tuple([arg if type(arg) is int else self._materialize(arg) for arg in args])
        return self._gate(op, nodes, expr)

    def _gate(self, op: Op, args: tuple[int, ...], expr: ast.Expr, param: float | None = None) -> int:
        """A node of ``op`` on ``args``, written as ``expr``."""
        nodes = self.graph.nodes
        nodes.append(Node(op, args, param, None, self.source, expr.start, expr.end))
        return len(nodes) - 1

    def _materialize(self, operand: Operand) -> int:
        if isinstance(operand, _Const):
            source = operand.source or self.source
            text = operand.text or _one_line(source.text[operand.start : operand.end])
            return self.graph.constant(operand.value, text, source, operand.start, operand.end)
        return operand

    def _span(self, node: ast.Statement | ast.Block) -> Span:
        return Span(self.source, node.start, node.end)

    _rules: ClassVar[dict[type, Callable[..., Operand]]] = {
        ast.Number: _number,
        ast.Name: _name,
        ast.Binary: _binary,
        ast.Unary: _unary,
        ast.Call: _call,
    }


_EXPRESSIONS = (ast.Number, ast.Name, ast.Unary, ast.Binary, ast.Call)


class _Marker:
    """An item of the lowering's stack that is not an expression: what to do when something is done."""

    __slots__ = ()

    def run(self, lowering: _Lowering, todo: list[Any], results: list[Any]) -> None:
        raise NotImplementedError


class _Drop(_Marker):
    """A statement of a call's body that is not its last: its value is not the call's."""

    __slots__ = ()

    def run(self, lowering: _Lowering, todo: list[Any], results: list[Any]) -> None:
        results.pop()


class _StepStatementDone(_Marker):
    """A statement of a loop's body is done: outside a call, an expression's node is the output so far."""

    __slots__ = ("expression",)

    def __init__(self, expression: bool) -> None:
        self.expression = expression

    def run(self, lowering: _Lowering, todo: list[Any], results: list[Any]) -> None:
        value = results.pop()
        if self.expression and not lowering.calls:
            lowering.last = (lowering._materialize(value), None)


class _Bind(_Marker):
    """``name = value`` inside a call or a loop, once the value is lowered: a call's statement leaves
    the value (the last one's is the call's), a step's leaves nothing."""

    __slots__ = ("keep", "statement")

    def __init__(self, statement: ast.Assign, keep: bool) -> None:
        self.statement = statement
        self.keep = keep

    def run(self, lowering: _Lowering, todo: list[Any], results: list[Any]) -> None:
        value = lowering._bind_in_scope(self.statement, results.pop())
        if self.keep:
            results.append(value)


_DROP = _Drop()
_STATEMENT_DONE = _StepStatementDone(expression=False)
_EXPRESSION_DONE = _StepStatementDone(expression=True)


def _body_items(body: list[ast.Statement], in_loop: bool) -> list[Any]:
    """The stack items that run ``body``'s statements in order, as they are pushed (the first last).

    A call's body leaves its last statement's value; a loop's step leaves nothing.
    """
    run: list[Any] = []  # in the order they run
    for k, statement in enumerate(body):
        if k and not in_loop:
            run.append(_DROP)
        if type(statement) is ast.Assign:
            run.append(statement.expr)
            run.append(_Bind(statement, keep=not in_loop))
        else:
            run.append(statement)
            if in_loop:
                run.append(_EXPRESSION_DONE if type(statement) in _EXPRESSIONS else _STATEMENT_DONE)
    return run[::-1]


class _Invoke(_Marker):
    """A call of a user function whose arguments are lowered: enter its body with the parameters bound."""

    __slots__ = ("call", "function")

    def __init__(self, function: Function, call: ast.Call) -> None:
        self.function = function
        self.call = call

    def run(self, lowering: _Lowering, todo: list[Any], results: list[Any]) -> None:
        function, call = self.function, self.call
        count = len(call.args)
        args = results[len(results) - count :]
        del results[len(results) - count :]
        if count != len(function.params):
            plural = "s" if len(function.params) != 1 else ""
            raise EvaluationError(
                f"{function.name} takes {len(function.params)} argument{plural}, not {count}",
                lowering._span(call), f"it is defined as {function.signature}",
            )  # fmt: skip
        if function.name in lowering.active:
            path = [f.name for f, _ in lowering.calls] + [function.name]
            raise EvaluationError(
                f"{function.name} calls itself ({' → '.join(path)}): a function cannot use itself",
                lowering._span(call), "nothing would stop the calls",
            )  # fmt: skip
        if len(lowering.calls) >= MAX_CALL_DEPTH:
            raise EvaluationError(f"calls nested more than {MAX_CALL_DEPTH:,} deep", lowering._span(call))
        source = lowering.source
        if _Const in map(type, args):  # a constant's text is read where it was written
            args = [
                _Const(a.value, a.start, a.end, a.text, source) if type(a) is _Const and a.source is None else a
                for a in args
            ]
        graph = lowering.graph
        lowering._begin_unrolling(call, source)
        # The calls inside it are counted before they are made: 2^40 of them would take forever.
        lowering._take_steps(1, lowering._calls_made(function) if function.call_counts else 0)
        shape = _shape(lowering, function, args)
        if shape is not None:  # a call of this shape replays the nodes the first one made
            template = function.templates.get(shape[0], _MISSING)
            if type(template) is _Template:
                results.append(_replay(lowering, function, call, args, shape[1], template))
                return
            if template is None:  # this shape cannot be replayed; else this is its first call: recorded by _Return
                shape = None
        names: dict[str, Operand] = dict(zip(function.params, args))
        scope = graph.open_scope("call", function.name, function.params, args, function.text)
        todo.append(_Return(function, call, lowering.scope, source, scope, shape))
        lowering.calls.append((function, call))
        lowering.active.add(function.name)
        # The body's nodes are seen through this call: an error in them names it (errors.ScopedSource).
        scope_names = _Scope(names, lowering.scope, function, lowering.graph.bindings)
        lowering._enter(scope_names, _seen_in(lowering, function, call))
        if not function.items:
            function.items = _body_items(function.body, in_loop=False)
        todo.extend(function.items)


class _Return(_Marker):
    """The end of a call's body: its last statement's value is the call's, and the caller's names are back."""

    __slots__ = ("call", "caller", "function", "graph_scope", "shape", "source")

    def __init__(
        self,
        function: Function,
        call: ast.Call,
        caller: _Scope | None,
        source: Source,
        scope: int,
        shape: tuple[tuple[int, ...], list[int]] | None = None,
    ) -> None:
        self.function = function
        self.call = call
        self.caller = caller
        self.source = source
        self.graph_scope = scope
        self.shape = shape  # the call's shape and its outside nodes, when its nodes are to be recorded

    def run(self, lowering: _Lowering, todo: list[Any], results: list[Any]) -> None:
        value = results[-1]
        if self.shape is not None:
            key, outside = self.shape
            self.function.templates[key] = _record(lowering, self.graph_scope, outside, value)
        if type(value) is _Const:  # a call of constants is a constant, written as the call
            results[-1] = _Const(value.value, self.call.start, self.call.end, None, self.source)
        elif value >= lowering.graph.scopes[self.graph_scope].first:
            lowering.graph.scopes[self.graph_scope].result = value
        lowering.graph.close_scope(self.graph_scope)
        lowering.calls.pop()
        lowering.active.discard(self.function.name)
        lowering._enter(self.caller, self.source)
        if len(lowering.graph.nodes) - lowering.unrolling[0][2] > MAX_UNROLLED:
            lowering._check_size()
        if not lowering.calls and lowering.unrolling and lowering.unrolling[0][0] is self.call:
            lowering.unrolling.clear()


class _LoopStart(_Marker):
    """A loop whose range or list is lowered: check it, then take the steps."""

    __slots__ = ("loop",)

    def __init__(self, loop: ast.Loop) -> None:
        self.loop = loop

    def run(self, lowering: _Lowering, todo: list[Any], results: list[Any]) -> None:
        loop = self.loop
        count = len(loop.bounds or loop.items or ())
        bounds = results[len(results) - count :]
        del results[len(results) - count :]
        values = lowering._loop_values(loop, bounds)
        outer = lowering.scope
        scope = _Scope({}, lowering.scope, None, lowering.graph.bindings)
        lowering._enter(scope, lowering.source)
        lowering._begin_unrolling(loop, lowering.source)
        todo.append(_LoopStep(loop, values, scope, outer, lowering.source, len(lowering.graph.nodes), lowering.steps))


class _LoopStep(_Marker):
    """The next step of a loop (or its end): the counter set, the body's statements pushed again."""

    __slots__ = (
        "before", "graph_scope", "index", "items", "loop", "outer", "reads", "recording", "scope", "source",
        "steps_before", "templates", "values",
    )  # fmt: skip

    def __init__(
        self,
        loop: ast.Loop,
        values: list[float],
        scope: _Scope,
        outer: _Scope | None,
        source: Source,
        before: int,
        steps_before: int,
    ) -> None:
        self.loop = loop
        self.values = values
        self.scope = scope
        self.outer = outer
        self.source = source
        self.before = before
        self.steps_before = steps_before  # the lowering's steps when the loop began: its first step's cost
        self.index = 0
        self.graph_scope = -1
        self.items = _body_items(loop.body, in_loop=True)
        self.reads = _step_reads(loop)  # None: every step is lowered afresh (see _StepTemplate)
        self.templates: dict[tuple[int, ...], _StepTemplate | None] = {}
        self.recording: tuple[tuple[int, ...], list[int], Any] | None = None  # the step being recorded

    def run(self, lowering: _Lowering, todo: list[Any], results: list[Any]) -> None:
        graph, loop = lowering.graph, self.loop
        if self.graph_scope >= 0:
            if self.recording is not None:
                key, outside, last_before = self.recording
                self.templates[key] = _record_step(lowering, self.graph_scope, outside, last_before)
                self.recording = lowering.bind_log = None
            graph.close_scope(self.graph_scope)
            if self.index == 1:  # the first step done: the others will cost about as much
                if (len(graph.nodes) - self.before) * len(self.values) > MAX_UNROLLED:
                    raise lowering._too_large(
                        loop, self.source, f"would add more than {MAX_UNROLLED:,} nodes to the graph"
                    )
                lowering._take_steps(0, (lowering.steps - self.steps_before) * (len(self.values) - 1))
            if len(graph.nodes) - lowering.unrolling[0][2] > MAX_UNROLLED:
                lowering._check_size()
        if self.index == len(self.values):
            lowering._enter(self.outer, self.source)
            if lowering.unrolling and lowering.unrolling[0][0] is loop:
                lowering.unrolling.clear()
            results.append(None)
            return
        value = self.values[self.index]
        self.index += 1
        lowering._take_steps(1)
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else format_number(value)
        self.scope.names[loop.var] = _Const(value, 0, 0, text, self.source)
        lowering._enter(self.scope, ScopedSource(self.source, self.source, f"{loop.var} = {text}"))  # see _Invoke
        self.graph_scope = graph.open_scope("step", loop.var, value=value)
        todo.append(self)
        shape = None if self.reads is None or lowering.calls else _step_shape(lowering, self.reads)
        if shape is not None:
            template = self.templates.get(shape[0], _MISSING)
            if type(template) is _StepTemplate:
                _replay_step(lowering, shape[1], template)
                return
            if template is _MISSING:  # the first step of this shape: recorded when it is done
                self.recording = (shape[0], shape[1], lowering.last)
                lowering.bind_log = []
        todo.extend(self.items)


def _walk(body: list[ast.Statement]) -> Iterator[tuple[Any, int]]:
    """Every statement and expression of ``body`` in source order, each with how many times it runs when
    the body runs once: the steps of the loops around it multiplied, where they are written as numbers.

    The walk keeps its own stack, so a body nested 10,000 deep is no deeper for Python. A definition is
    yielded but not entered: only the top level may define functions, and lowering says so.
    """
    stack: list[tuple[Any, int]] = [(statement, 1) for statement in reversed(body)]
    while stack:
        item, times = stack.pop()
        yield item, times
        kind = type(item)
        if kind is ast.Assign:
            stack.append((item.expr, times))
        elif kind is ast.Loop:
            steps = times * _written_steps(item)
            stack.extend((statement, steps) for statement in reversed(item.body))
            stack.extend((bound, times) for bound in reversed(item.bounds or item.items or ()))
        elif kind is not ast.FunctionDef:
            stack.extend((child, times) for child in reversed(item.children))


def _written_steps(loop: ast.Loop) -> int:
    """The steps of a loop as written: a list's length, a range's where both ends are numbers; else 1."""
    if loop.items is not None:
        return len(loop.items)
    ends = []
    for bound in loop.bounds or ():
        sign = 1.0
        while type(bound) is ast.Unary and bound.op in "+-":
            sign, bound = (-sign if bound.op == "-" else sign), bound.operand
        if type(bound) is not ast.Number:
            return 1
        ends.append(sign * bound.value)
    first, last = ends
    span = last - first
    return math.floor(min(span, MAX_STEPS)) + 1 if span >= 0 else 0


_MISSING = object()  # no template yet for a shape (None: one that cannot be replayed)
_SEEN_ONCE = object()  # a top-level assignment's text seen once: see _assign_statement
_MOST_STATEMENT_TEXTS = 20_000  # texts and templates kept: a long program of distinct lines must not grow them


def _free_names(function: Function) -> tuple[str, ...] | None:
    """The names ``function``'s body reads that are not its parameters; None if it cannot be replayed.

    A body that calls a function you defined (or ``grad``) or runs a loop makes nodes that depend on
    more than the nodes it is given, and ``a = x`` names a node it was given (if it has no name yet):
    each call of such a body is lowered afresh.
    """
    if function.calls:
        return None
    params = set(function.params)
    free: dict[str, None] = {}
    for item, _ in _walk(function.body):
        kind = type(item)
        if kind is ast.Loop:
            return None
        if kind is ast.Assign:
            value = item.expr
            while type(value) is ast.Unary and PREFIX.get(value.op) is None:  # +x is x
                value = value.operand
            if type(value) is ast.Name:
                return None
        elif kind is ast.Name and item.id not in params:
            free[item.id] = None
    return tuple(free)


def _shape(
    lowering: _Lowering, function: Function, args: Sequence[Operand]
) -> tuple[tuple[int, ...], list[int]] | None:
    """A call's shape (see ``_Template``) and the nodes it is given (arguments, then free names).

    None when a template cannot stand for the call: a constant among them, an unbound free name
    that an override would make an input.
    """
    free = function.free
    if free is None or _Const in map(type, args):
        return None
    read = _nodes_read(lowering, free)
    if read is None:
        return None
    outside: list[int] = [*args, *read]  # type: ignore[list-item]  # no constant among the arguments
    return _key(outside), outside


def _nodes_read(lowering: _Lowering, names: tuple[str, ...]) -> list[int] | None:
    """The node each of ``names`` is bound to where the lowering is, -1 for one unbound (a constant such
    as pi, a local name assigned before it is read, or an error); None if one is bound to a constant or
    is unbound with an override, which would make it an input: no template stands for those."""
    read: list[int] = []
    lookup = lowering.lookup
    for name in names:
        found = lookup(name)
        if found is None:
            if name in lowering.overrides:
                return None
            found = -1
        elif type(found) is not int:
            return None
        read.append(found)
    return read


_DISTINCT: tuple[int, ...] = ()  # the shape of nodes all bound and all different: the common case, found fast


def _key(outside: list[int]) -> tuple[int, ...]:
    """Which of ``outside`` are unbound (-1) and which are the same node: each one's first equal's index."""
    if -1 not in outside and len(set(outside)) == len(outside):
        return _DISTINCT
    first: dict[int, int] = {}
    return tuple([-1 if node == -1 else first.setdefault(node, k) for k, node in enumerate(outside)])


def _record(lowering: _Lowering, graph_scope: int, outside: list[int], value: Operand) -> _Template | None:
    """The template of the call just lowered (graph scope ``graph_scope``), or None if it cannot be one."""
    graph = lowering.graph
    nodes = graph.nodes
    scope = graph.scopes[graph_scope]
    first = scope.first
    refs = {node: ~k for k, node in reversed(list(enumerate(outside))) if node >= 0}
    steps: list[_Step] = []
    source = lowering.source  # the call's own (errors.ScopedSource), still entered
    for i in range(first, len(nodes)):
        node = nodes[i]
        if node.source is not source:
            return None
        try:
            args = tuple([a - first if a >= first else refs[a] for a in node.args])
        except KeyError:  # a node from outside that the shape does not say: never seen, but then no template
            return None
        pick = _picker([_index(arg, len(outside)) for arg in args])
        steps.append((node.op, pick, node.param, node.text, node.start, node.end, node.name))
    if type(value) is not int:
        return None
    result = value - first if value >= first else refs.get(value)
    if result is None:
        return None
    return _Template(steps, _index(result, len(outside)))


def _replay(
    lowering: _Lowering,
    function: Function,
    call: ast.Call,
    args: Sequence[int],
    outside: list[int],
    template: _Template,
) -> int:
    """A call of ``function`` lowered from its template: the nodes the first call of its shape made."""
    graph = lowering.graph
    nodes = graph.nodes
    body_source = _seen_in(lowering, function, call)
    scope = graph.open_scope("call", function.name, function.params, args, function.text)
    steps = template.steps
    first = len(nodes)
    table = (*outside, *range(first, first + len(steps)))  # what a template's refs index
    append, name_node = nodes.append, graph.name_node
    for op, pick, param, text, start, end, name in steps:
        append(Node(op, pick(table), param, text, body_source, start, end))
        if name is not None:
            name_node(name, len(nodes) - 1)
    value = table[template.result]
    if value >= first:
        graph.scopes[scope].result = value
    graph.close_scope(scope)
    unrolling = lowering.unrolling
    if unrolling and len(nodes) - unrolling[0][2] > MAX_UNROLLED:
        lowering._check_size()
    return value


def _seen_in(lowering: _Lowering, function: Function, call: ast.Call) -> ScopedSource:
    """``function``'s source as seen from inside ``call`` (made in the current source): ``f #2``."""
    name = function.name
    number = lowering.call_counts[name] = lowering.call_counts.get(name, 0) + 1
    return ScopedSource(function.source, lowering.source, f"{name} #{number}", name, (call.start, call.end))


class _StepTemplate:
    """A loop step's nodes and assignments, recorded at the first step of a shape and replayed after.

    As ``_Template`` is for calls: the steps of ``for t in 1..N { h = tanh(w*h + 1) }`` make the same
    nodes from the nodes the names they read are bound to at each step's start. A step is replayed
    only where it is a plain function of those: its body reads no counter (a constant that folds
    differently each step), calls no function you defined, runs no loop, assigns no constant, and is
    not in a call. ``steps`` are the nodes it makes; ``binds`` its assignments in order, each ``(name,
    index)``, an index into the table of ``_index``; ``outside`` how many nodes from outside the table
    starts with; ``last`` what the step leaves as the program's output so far. ``replay`` is set once it
    has been replayed ``_COMPILED_AFTER`` times (``_step_replayer``).
    """

    __slots__ = ("binds", "last", "outside", "replay", "steps", "uses")

    def __init__(
        self,
        steps: list[_RecordedStep],
        binds: list[tuple[str, int]],
        outside: int,
        last: tuple[int, str | None] | None,
    ) -> None:
        self.steps = steps
        self.binds = binds
        self.outside = outside
        self.last = last
        self.uses = 0
        self.replay: _StepReplay | None = None


# A template replayed this often is compiled: compiling costs about 30 µs a node, and saves a third of a
# replay's 1.5 µs a node, so a loop of a few big steps never pays for it and a chain of 50,000 does.
_COMPILED_AFTER = 64
# (op, pick, param, text, start, end, args): ``pick`` takes the node's arguments from the table, at the
# indices ``args`` (``_picker``); the span is counted from the step's start.
_RecordedStep = tuple[Op, Callable[[tuple[int, ...]], tuple[int, ...]], float | None, str | None, int, int, list[int]]
_StepReplay = Callable[[list[Node], Source, list[int], int, Callable[[str, int], int]], int]


def _step_reads(loop: ast.Loop) -> tuple[str, ...] | None:
    """The names a loop's body reads, or None if its steps cannot be replayed (see ``_StepTemplate``)."""
    return _replayable_reads(loop.body, loop.var)


def _statement_reads(statement: ast.Assign) -> tuple[str, ...] | None:
    """The names a top-level assignment reads, or None if it cannot be replayed (see ``_assign_statement``)."""
    return _replayable_reads([statement], None)


def _replayable_reads(body: list[ast.Statement], counter: str | None) -> tuple[str, ...] | None:
    """The names ``body`` reads, in order, or None where its nodes are not a plain function of those: it
    reads the loop's ``counter`` (a constant that folds differently each step), calls a function you
    defined (or ``grad``), runs a loop or defines a function."""
    reads: dict[str, None] = {}
    for item, _ in _walk(body):
        kind = type(item)
        if kind is ast.Name:
            if item.id == counter:
                return None
            reads[item.id] = None
        elif (kind is ast.Call and item.func not in FUNCTIONS) or kind is ast.Loop or kind is ast.FunctionDef:
            return None
    return tuple(reads)


def _step_shape(lowering: _Lowering, reads: tuple[str, ...]) -> tuple[tuple[int, ...], list[int]] | None:
    """A step's shape: which nodes the names it reads are bound to (as ``_shape`` for a call)."""
    outside = _nodes_read(lowering, reads)
    return None if outside is None else (_key(outside), outside)


def _record_step(lowering: _Lowering, graph_scope: int, outside: list[int], last_before: Any) -> _StepTemplate | None:
    """The template of the step just lowered, or None if it cannot be one."""
    first = lowering.graph.scopes[graph_scope].first
    last = lowering.last if lowering.last is not last_before else None
    return _record_steps(lowering, first, outside, lowering.bind_log or [], last, 0)


def _record_steps(
    lowering: _Lowering,
    first: int,
    outside: list[int],
    bound: list[tuple[str, Operand]],
    last: tuple[int, str | None] | None,
    base: int,
) -> _StepTemplate | None:
    """The template of the nodes from ``first`` on, just lowered from ``outside``, that were then
    ``bound`` to names, with spans counted from ``base``; None if it cannot be one."""
    nodes = lowering.graph.nodes
    refs = {node: ~k for k, node in reversed(list(enumerate(outside))) if node >= 0}

    def ref(node: Any) -> int | None:
        if type(node) is not int:
            return None
        return node - first if node >= first else refs.get(node)

    steps: list[_RecordedStep] = []
    source = lowering.source
    for i in range(first, len(nodes)):
        node = nodes[i]
        if node.source is not source or any(a < first and a not in refs for a in node.args):
            return None
        args = tuple([a - first if a >= first else refs[a] for a in node.args])
        indices = [_index(arg, len(outside)) for arg in args]
        steps.append((node.op, _picker(indices), node.param, node.text, node.start - base, node.end - base, indices))
    binds: list[tuple[str, int]] = []
    for name, value in bound:
        found = ref(value)
        if found is None:  # a constant assigned (an input set in place), or a node the shape does not say
            return None
        binds.append((name, _index(found, len(outside))))
    replayed_last = None
    if last is not None:
        found = ref(last[0])
        if found is None:
            return None
        replayed_last = (_index(found, len(outside)), last[1])
    return _StepTemplate(steps, binds, len(outside), replayed_last)


def _replay_step(lowering: _Lowering, outside: list[int], template: _StepTemplate, base: int = 0) -> None:
    """A loop step (or a top-level assignment, its spans counted from ``base``) lowered from its template
    (see ``_StepTemplate``): by a loop over its steps, or by its compiled replay once it has one."""
    graph = lowering.graph
    nodes = graph.nodes
    source = lowering.source
    first = len(nodes)
    replay = template.replay
    if replay is not None:
        replay(nodes, source, outside, base, graph.bind)
    else:
        template.uses += 1
        if template.uses >= _COMPILED_AFTER:
            template.replay = _step_replayer(template)
        table = (*outside, *range(first, first + len(template.steps)))
        append = nodes.append
        for op, pick, param, text, start, end, _ in template.steps:
            append(Node(op, pick(table), param, text, source, base + start, base + end))
        bind = graph.bind
        for name, index in template.binds:
            bind(name, table[index])
    if template.last is not None:
        index, last_name = template.last
        lowering.last = (outside[index] if index < template.outside else first + index - template.outside, last_name)


def _step_replayer(template: _StepTemplate) -> _StepReplay:
    """``template``'s replay as straight-line code: ``replay(nodes, source, outside_nodes, base, bind)``
    appends its nodes and makes its assignments as ``_replay_step``'s loop does, without the loop, the
    table or a call per node's arguments; it gives the first node's id.
    """
    steps, binds, outside = template.steps, template.binds, template.outside

    def entry(index: int) -> str:  # an index into the table: an outside node, or one the replay makes
        return f"outside[{index}]" if index < outside else f"first + {index - outside}"

    body = ["    first = len(nodes)", "    append = nodes.append"]
    for k, (*_, start, end, args) in enumerate(steps):
        picked = "".join(f"{entry(index)}, " for index in args)
        where = f"source, base + {start}, base + {end}"
        body.append(f"    append(Node(ops[{k}], ({picked}), params[{k}], texts[{k}], {where}))")
    body += [f"    bind(names[{k}], {entry(index)})" for k, (_, index) in enumerate(binds)]
    bound = {
        "Node": Node,
        "ops": tuple(step[0] for step in steps),
        "params": tuple(step[2] for step in steps),
        "texts": tuple(step[3] for step in steps),
        "names": tuple(name for name, _ in binds),
    }
    defaults = "".join(f", {key}={key}" for key in bound)
    code = f"def replay(nodes, source, outside, base, bind{defaults}):\n" + "\n".join(body) + "\n    return first\n"
    namespace = dict(bound)
    exec(code, namespace)  # the text is made here, from the recorded indices and offsets only
    return namespace["replay"]  # type: ignore[return-value]


def _index(ref: int, outside: int) -> int:
    """A ref (``r >= 0`` the call's or step's ``r``-th node, ``~k`` the ``k``-th outside node) as an index
    into the table a replay makes: the ``outside`` nodes, then the nodes it makes."""
    return outside + ref if ref >= 0 else ~ref


def _picker(indices: list[int]) -> Callable[[tuple[int, ...]], tuple[int, ...]]:
    """What picks a node's arguments out of a replay's table, at ``indices`` (``_index``), as a tuple, in
    one C call.

    ``itemgetter(i, j)`` gives a tuple; one argument (or none) is a slice of the table, a tuple too.
    """
    if len(indices) >= 2:
        return itemgetter(*indices)
    return itemgetter(slice(indices[0], indices[0] + 1) if indices else slice(0, 0))


def _one_line(text: str) -> str:
    """A folded constant's source text as its label: ``(3 +  # three`` and `` 1)`` on the next line read
    ``(3 + 1)``, one line with single spaces, its comments dropped (a table's row is one line)."""
    if text.isprintable() and "#" not in text:  # ``2*pi``, ``(1 + 2)``: as written
        return text
    return " ".join(" ".join(line.partition("#")[0] for line in text.splitlines()).split())
