"""AST to graph: the language's meaning.

- A name assigned an expression with no free names (``a = -4``, ``x = pi/2``) is an *input*: a leaf that
  gets a gradient. Assigning a constant again to an existing input changes its value in place.
- Any other assignment binds the name to a new node; re-assignment builds on the old node.
- A constant subexpression (``2``, ``pi/4``, ``2*3``) becomes one constant leaf; a constant exponent
  is folded into its gate (``x^2`` is one ``^2`` gate), as in the textbook circuits.
- The output is the last statement's node.

``overrides`` are inputs set from outside (``gradcalc eval PROGRAM x=3``): they win over the
program's own constant assignment of the same name, so one program serves many points.
``missing_hint`` says how to give a name with no value one where the program came from: ``y = 1`` in a
program or the REPL, the argument ``y=1`` on the command line, a column of the data file in training.
The walk over each expression is an explicit post-order stack: no recursion, however deep.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from gradcalc import ast
from gradcalc.engine import op_failure
from gradcalc.errors import EvaluationError
from gradcalc.graph import Graph
from gradcalc.ops import ALIASES, CONSTANTS, FUNCTIONS, INFIX, NOT_VALUES, POW, POWC, PREFIX, Op, Syntax
from gradcalc.source import Span

GRAD = "grad"  # the derivative as a built-in of the language: grad(EXPR, NAME), see _Lowering._grad


@dataclass(slots=True, eq=False)
class _Const:
    """A constant subexpression not yet made into a node: folding needs its value, labels its text."""

    value: float
    start: int
    end: int


Operand = int | _Const


@dataclass(slots=True)
class Lowered:
    """What lowering a program produced."""

    output: int | None  # the last statement's node; None for an empty program
    output_name: str | None  # the name the last statement assigned, if it was an assignment
    statements: list[int] = field(default_factory=list)  # each statement's node, in order
    unused_overrides: list[str] = field(default_factory=list)


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
) -> Lowered:
    """Add ``program``'s nodes to ``graph`` and bind its names."""
    return _Lowering(program, graph, overrides or {}, missing_hint).run()


class _Lowering:
    def __init__(
        self, program: ast.Program, graph: Graph, overrides: Mapping[str, float], missing_hint: MissingHint
    ) -> None:
        self.program = program
        self.source = program.source
        self.graph = graph
        self.overrides = overrides
        self.missing_hint = missing_hint
        self.used_overrides: set[str] = set()

    def run(self) -> Lowered:
        result = Lowered(None, None)
        for statement in self.program.statements:
            if isinstance(statement, ast.Assign):
                node = self._assign(statement)
                result.output_name = statement.name
            else:
                node = self._materialize(self._expression(statement))
                result.output_name = None
            result.statements.append(node)
            result.output = node
        result.unused_overrides = [name for name in self.overrides if name not in self.used_overrides]
        return result

    # -- statements ---------------------------------------------------------------------------------

    def _assign(self, statement: ast.Assign) -> int:
        value = self._expression(statement.expr)
        name = statement.name
        if isinstance(value, _Const):
            if name in self.overrides:
                self.used_overrides.add(name)
                return self.graph.set_input(name, self.overrides[name], self._span(statement))
            return self.graph.set_input(name, value.value, self._span(statement))
        return self.graph.bind(name, value)

    # -- expressions --------------------------------------------------------------------------------

    def _expression(self, root: ast.Expr) -> Operand:
        """Lower one expression bottom-up: an explicit post-order walk, however deep the nesting.

        Names, numbers and binary operators (nearly every node of a big program) are handled inline,
        without a call per node; the rest go through ``_rules``.
        """
        if type(root) is ast.Number:  # w0 = 0.51: a constant, nothing to walk
            return self._number(root, ())
        results: list[Operand] = []
        rules = self._rules
        bindings = self.graph.bindings
        binary = self._binary
        todo: list[Any] = [root]  # expressions to lower, and (expression, arity) once its children are done
        while todo:
            item = todo.pop()
            kind = type(item)
            if kind is ast.Name:
                node = bindings.get(item.id)
                results.append(node if node is not None else self._name(item, ()))
            elif kind is ast.Binary:
                left, right = item.left, item.right
                if type(left) is ast.Name and type(right) is ast.Name:  # a*b: both are bound (or an error)
                    a, b = bindings.get(left.id), bindings.get(right.id)
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
            else:
                children = item.children
                if children:
                    todo.append((item, len(children)))
                    todo.extend(reversed(children))
                else:
                    results.append(rules[kind](self, item, ()))
        return results[0]

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
        node = self.graph.bindings.get(name)
        if node is not None:
            return node
        if name in self.overrides:
            self.used_overrides.add(name)
            return self.graph.set_input(name, self.overrides[name], self._span(expr))
        if name in CONSTANTS:
            return _Const(CONSTANTS[name], expr.start, expr.end)
        if name in FUNCTIONS:
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
            text = self.source.text[operand.start : operand.end]
            return self.graph.constant(operand.value, text, Span(self.source, operand.start, operand.end))
        return operand

    def _span(self, node: ast.Statement) -> Span:
        return Span(self.source, node.start, node.end)

    _rules: ClassVar[dict[type, Callable[..., Operand]]] = {
        ast.Number: _number,
        ast.Name: _name,
        ast.Binary: _binary,
        ast.Unary: _unary,
        ast.Call: _call,
    }
