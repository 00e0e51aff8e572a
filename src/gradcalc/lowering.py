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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from gradcalc import ast
from gradcalc.engine import op_failure
from gradcalc.errors import EvaluationError, ProgramSyntaxError
from gradcalc.graph import Graph
from gradcalc.numbers import format_number
from gradcalc.ops import ALIASES, CONSTANTS, FUNCTIONS, INFIX, NOT_VALUES, POW, POWC, PREFIX, Op, Syntax
from gradcalc.source import Source, Span

MAX_UNROLLED = 1_000_000  # the nodes one loop or one call may add to the graph
MAX_STEPS = 1_000_000  # the steps one loop may take
MAX_CALL_DEPTH = 1_000  # calls inside calls: without recursion, more means a very long chain of functions

GRAD = "grad"  # the derivative as a built-in of the language: grad(EXPR, NAME), see _Lowering._grad


@dataclass(slots=True, eq=False)
class _Const:
    """A constant subexpression not yet made into a node: folding needs its value, labels its text.

    ``text`` and ``source`` are set where the constant came from elsewhere than the text being
    lowered: a loop's counter, a constant argument seen inside the function's body.
    """

    value: float
    start: int
    end: int
    text: str | None = None
    source: Source | None = None


@dataclass(slots=True, eq=False)
class Function:
    """A user function: its parameters and body, and the source it was defined in (for spans)."""

    name: str
    params: tuple[str, ...]
    body: list[ast.Statement]
    source: Source
    definition: ast.FunctionDef
    calls: dict[str, ast.Call]  # the functions its body calls, each with its first call (for carets)
    items: list[Any] = field(default_factory=list)  # its body as the lowering's stack items, made once

    @property
    def signature(self) -> str:
        return f"{self.name}({', '.join(self.params)})"

    @property
    def text(self) -> str:
        """The definition as written."""
        return self.source.text[self.definition.start : self.definition.end]


Functions = dict[str, Function]


Operand = int | _Const


@dataclass(slots=True)
class Lowered:
    """What lowering a program produced."""

    output: int | None  # the last statement's node; None for an empty program
    output_name: str | None  # the name the last statement assigned, if it was an assignment
    statements: list[int] = field(default_factory=list)  # each statement's node, in order
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
    program: ast.Program,
    graph: Graph,
    overrides: Mapping[str, float] | None = None,
    missing_hint: MissingHint = in_program,
    functions: Functions | None = None,
) -> Lowered:
    """Add ``program``'s nodes to ``graph`` and bind its names.

    ``functions`` are the user functions known so far (a REPL session's); the program's definitions
    are added to it.
    """
    return _Lowering(program, graph, overrides or {}, missing_hint, {} if functions is None else functions).run()


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
        program: ast.Program,
        graph: Graph,
        overrides: Mapping[str, float],
        missing_hint: MissingHint,
        functions: Functions,
    ) -> None:
        self.program = program
        self.source = program.source
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
        self.last: tuple[int, str | None] | None = None  # the last statement run outside a call: the output

    def run(self) -> Lowered:
        result = Lowered(None, None)
        for statement in self.program.statements:
            kind = type(statement)
            if kind is ast.Assign:
                node = self._assign(statement)  # type: ignore[arg-type]
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
            result.statements.append(node)
            result.output = node
        result.unused_overrides = [name for name in self.overrides if name not in self.used_overrides]
        return result

    # -- statements ---------------------------------------------------------------------------------

    def _assign(self, statement: ast.Assign) -> int:
        return self._assign_value(statement.name, self._expression(statement.expr), statement)

    def _assign_value(self, name: str, value: Operand, statement: ast.Statement) -> int:
        """What ``name = value`` means among the program's own names (not in a call)."""
        if isinstance(value, _Const):
            if name in self.overrides:
                self.used_overrides.add(name)
                return self.graph.set_input(name, self.overrides[name], self._span(statement))
            return self.graph.set_input(name, value.value, self._span(statement))
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
        calls = self._calls_in(name, body)
        function = Function(name, tuple(params), body, self.source, definition, calls)
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

    def _calls_in(self, name: str, body: list[ast.Statement]) -> dict[str, ast.Call]:
        """The calls of user-definable names in ``body`` (every name that is not a built-in function)."""
        found: dict[str, ast.Call] = {}
        stack: list[Any] = list(reversed(body))
        while stack:
            item = stack.pop()
            kind = type(item)
            if kind is ast.Assign:
                stack.append(item.expr)
            elif kind is ast.Loop:
                stack.extend(reversed(item.body))
                stack.extend(item.bounds or item.items or ())
            elif kind is ast.FunctionDef:
                raise ProgramSyntaxError(
                    f"a function cannot be defined inside {name}: define {item.name} at the top level",
                    Span(self.source, item.start, item.head_end),
                )
            else:
                if kind is ast.Call and item.func not in FUNCTIONS:
                    found.setdefault(item.func, item)
                stack.extend(item.children)
        return found

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
        todo: list[Any] = [root]  # expressions to lower, and (expression, arity) once its children are done
        while todo:
            item = todo.pop()
            kind = type(item)
            if kind is ast.Name:
                node = lookup(item.id)
                results.append(node if node is not None else self._name(item, ()))
            elif kind is ast.Binary:
                left, right = item.left, item.right
                if type(left) is ast.Name and type(right) is ast.Name:  # a*b: both are bound (or an error)
                    a, b = lookup(left.id), lookup(right.id)
                    results.append(binary(item, (
                        a if a is not None else self._name(left, ()),
                        b if b is not None else self._name(right, ()),
                    )))
                else:
                    todo.append((item, 2))
                    todo.append(right)
                    todo.append(left)
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
            node = self._assign_value(name, value, statement)
            self.last = (node, name)
            return node
        if type(value) is int:
            self.graph.name_node(name, value)
        scope.names[name] = value
        return value

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
            f"a loop or a call may add at most {MAX_UNROLLED:,} nodes and a loop take at most {MAX_STEPS:,} steps",
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
        if span > MAX_STEPS:
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
        if type(a) is int and type(b) is int:  # two nodes: no folding to consider
            return self.graph.add(op, (a, b), span=Span(self.source, expr.start, expr.end))
        return self._folded(op, expr, args)

    def _folded(self, op: Op, expr: ast.Expr, args: Sequence[Operand]) -> Operand:
        """``op`` applied, a constant exponent folded into its gate: ``x^2`` and ``pow(x, 2)`` are one ``^2``."""
        if op is POW and isinstance(args[1], _Const) and not isinstance(args[0], _Const):
            return self.graph.add(POWC, (args[0],), param=args[1].value, span=self._span(expr))
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
            return self.graph.set_input(name, self.overrides[name], self._span(expr))
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

        node = differentiate(self.graph, of, wrt, lower)
        return _Const(node, expr.start, expr.end) if isinstance(node, float) else node

    def _written_as(self, op: Op, call: ast.Call) -> str:
        """``call`` (``ln(x)``, ``pow(a, b)``) spelled with ``op``, from the user's own argument texts."""
        args = [self.source.text[arg.start : arg.end] for arg in call.args]
        if op.syntax is Syntax.INFIX and len(args) == 2:
            return f"{args[0]} {op.symbol} {args[1]}"
        return f"{op.symbol}({', '.join(args)})"

    def _op(self, op: Op, expr: ast.Expr, args: Sequence[Operand]) -> Operand:
        if all(type(arg) is int for arg in args):  # the common case: a 100,000-term program comes through here
            return self.graph.add(op, tuple(args), span=Span(self.source, expr.start, expr.end))  # type: ignore[arg-type]
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
        nodes = tuple(arg if type(arg) is int else self._materialize(arg) for arg in args)
        return self.graph.add(op, nodes, span=self._span(expr))

    def _materialize(self, operand: Operand) -> int:
        if isinstance(operand, _Const):
            source = operand.source or self.source
            text = operand.text or source.text[operand.start : operand.end]
            return self.graph.constant(operand.value, text, Span(source, operand.start, operand.end))
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
        names: dict[str, Operand] = dict(zip(function.params, args))
        graph = lowering.graph
        scope = graph.open_scope("call", function.name, function.params, args, function.text)
        todo.append(_Return(function, call, lowering.scope, source, scope))
        if not lowering.unrolling:
            lowering.unrolling.append((call, source, len(graph.nodes)))
        lowering.calls.append((function, call))
        lowering.active.add(function.name)
        lowering._enter(_Scope(names, lowering.scope, function, lowering.graph.bindings), function.source)
        if not function.items:
            function.items = _body_items(function.body, in_loop=False)
        todo.extend(function.items)


class _Return(_Marker):
    """The end of a call's body: its last statement's value is the call's, and the caller's names are back."""

    __slots__ = ("call", "caller", "function", "graph_scope", "source")

    def __init__(self, function: Function, call: ast.Call, caller: _Scope | None, source: Source, scope: int) -> None:
        self.function = function
        self.call = call
        self.caller = caller
        self.source = source
        self.graph_scope = scope

    def run(self, lowering: _Lowering, todo: list[Any], results: list[Any]) -> None:
        value = results[-1]
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
        if not lowering.unrolling:
            lowering.unrolling.append((loop, lowering.source, len(lowering.graph.nodes)))
        todo.append(_LoopStep(loop, values, scope, outer, lowering.source, len(lowering.graph.nodes)))


class _LoopStep(_Marker):
    """The next step of a loop (or its end): the counter set, the body's statements pushed again."""

    __slots__ = ("before", "graph_scope", "index", "items", "loop", "outer", "scope", "source", "values")

    def __init__(
        self, loop: ast.Loop, values: list[float], scope: _Scope, outer: _Scope | None, source: Source, before: int
    ) -> None:
        self.loop = loop
        self.values = values
        self.scope = scope
        self.outer = outer
        self.source = source
        self.before = before
        self.index = 0
        self.graph_scope = -1
        self.items = _body_items(loop.body, in_loop=True)

    def run(self, lowering: _Lowering, todo: list[Any], results: list[Any]) -> None:
        graph, loop = lowering.graph, self.loop
        if self.graph_scope >= 0:
            graph.close_scope(self.graph_scope)
            if self.index == 1 and (len(graph.nodes) - self.before) * len(self.values) > MAX_UNROLLED:
                raise lowering._too_large(loop, self.source, f"would add more than {MAX_UNROLLED:,} nodes to the graph")
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
        text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else format_number(value)
        self.scope.names[loop.var] = _Const(value, 0, 0, text, self.source)
        self.graph_scope = graph.open_scope("step", loop.var, value=value)
        todo.append(self)
        todo.extend(self.items)
