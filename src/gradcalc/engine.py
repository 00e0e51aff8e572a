"""Forward and backward passes over the graph: two plain loops.

``evaluate(graph, output)`` takes the nodes ``output`` depends on (in topological order, inputs
first), computes every value from the inputs to the output, then starts at d(out)/d(out) = 1 and walks
back, multiplying each gate's *local* gradients (from the op table) by the gradient flowing into it and
adding the products into the gate's arguments. An input used several times accumulates its gradient.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import compress
from typing import NamedTuple

from gradcalc.errors import EvaluationError
from gradcalc.graph import Graph, Node
from gradcalc.numbers import format_number
from gradcalc.ops import INPUT, ConstantPartials, Op, Syntax, swapped_partials
from gradcalc.source import Span


class Warning_(NamedTuple):
    """Something true of an evaluation that the user should see: a kink, an infinite gradient."""

    node: int
    message: str


@dataclass(slots=True, eq=False)
class Evaluation:
    """The values and gradients of one forward and backward pass, indexed by node id."""

    graph: Graph
    output: int
    order: list[int]  # the nodes evaluated, in topological order: inputs first, output last
    values: list[float]
    grads: list[float]
    partials: list[tuple[float, ...] | None]  # as ``backward`` leaves them: read them as ``local``
    warnings: list[Warning_] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)  # the steps ``backward`` ran, until ``local`` reads them

    @property
    def value(self) -> float:
        return self.values[self.output]

    @property
    def local(self) -> list[tuple[float, ...]]:
        """Each node's partial derivatives with respect to its arguments; () for a leaf or a node not
        evaluated. A product's, its two arguments swapped, are built here the first time a view asks,
        from the steps, which are let go then."""
        partials = self.partials
        if self.steps:
            values = self.values
            for i, _, rule, a, b in self.steps:
                if rule is None:
                    partials[i] = (values[b], values[a])
            self.steps = []
        return partials  # type: ignore[return-value]  # None is gone

    @property
    def inputs(self) -> list[int]:
        """The inputs evaluated, in order: the first nodes of ``order``, which puts them before the rest.

        Found by reading up to the first node that is not an input: a chain of 15,000 nodes with one input
        reads one node, not 15,000 (half a millisecond of every view that lists the inputs, in the REPL).
        """
        nodes, order = self.graph.nodes, self.order
        count = 0
        for i in order:
            if nodes[i].op is not INPUT:
                break
            count += 1
        return order[:count]


def order_for(graph: Graph, output: int) -> list[int]:
    """The nodes ``output`` depends on: inputs first, then the rest in id order (a topological order)."""
    nodes = graph.nodes
    ancestors = graph.ancestors(output)
    is_input = [nodes[i].op is INPUT for i in ancestors]
    gates = is_input.index(False) if False in is_input else len(is_input)
    if True not in is_input[gates:]:  # inputs first already: a program that assigns them before it computes
        return ancestors
    return list(compress(ancestors, is_input)) + [i for i, inp in zip(ancestors, is_input) if not inp]


@dataclass(slots=True, eq=False)
class Tape:
    """What one evaluation of ``output`` runs: its nodes in order and each gate's rules and arguments.

    Record it once and run it many times (the REPL after an input changes, training steps): the
    graph's leaves are read afresh on every forward pass.
    """

    output: int
    order: list[int]
    size: int  # the graph's node count when recorded: values and gradients are indexed by node id
    leaves: list[int]
    steps: list[Step]
    kinks: list[int]  # gates whose op has points with no derivative, checked after the passes


# A gate as the passes run it: (node, forward rule, local rule, first argument, second argument or -1).
# The local rule is the partials themselves where they are constants (``ops.ConstantPartials``), and
# None where they are the two arguments swapped (``ops.swapped_partials``): the backward pass reads the
# constants, and multiplies by the swapped arguments, without a call. Every op has one or two arguments,
# and unpacking them by hand is what keeps these loops near a hand-written tape's speed.
Step = tuple[int, Callable[..., float], Callable[..., tuple[float, ...]] | tuple[float, ...] | None, int, int]


def steps_of(nodes: list[Node], ids: Iterable[int]) -> tuple[list[Step], list[int], list[int]]:
    """The steps of the gates among ``ids``, in their order; those of them whose op has a kink; the leaves."""
    steps: list[Step] = []
    kinks: list[int] = []
    leaves: list[int] = []
    for i in ids:
        node = nodes[i]
        args = node.args
        if args:
            rule = node.local
            partials = rule.partials if type(rule) is ConstantPartials else None if rule is swapped_partials else rule
            steps.append((i, node.forward, partials, args[0], args[1] if len(args) == 2 else -1))
            if node.op.kink is not None:
                kinks.append(i)
        else:
            leaves.append(i)
    return steps, kinks, leaves


def record(graph: Graph, output: int) -> Tape:
    order = order_for(graph, output)
    steps, kinks, leaves = steps_of(graph.nodes, order)
    return Tape(output, order, len(graph.nodes), leaves, steps, kinks)


def forward(graph: Graph, tape: Tape) -> list[float]:
    """Every value from the inputs to the output. Raises EvaluationError naming the failing gate."""
    nodes = graph.nodes
    values = [0.0] * tape.size
    for i in tape.leaves:
        values[i] = float(nodes[i].param)  # type: ignore[arg-type]  # every leaf has its value
    i = -1
    try:
        for i, rule, _, a, b in tape.steps:
            values[i] = rule(values[a]) if b < 0 else rule(values[a], values[b])
    except (ArithmeticError, ValueError) as exc:
        raise _failure(graph, values, i, exc) from None
    if not all(map(math.isfinite, values)):
        # The first non-finite value in topological order is where the overflow happened.
        raise _failure(graph, values, next(i for i, *_ in tape.steps if not math.isfinite(values[i])),
                       OverflowError())
    return values


def backward(tape: Tape, values: list[float]) -> tuple[list[float], list[tuple[float, ...] | None]]:
    """Every node's gradient d(output)/d(node), and every gate's local partials: those of a product
    are None, left for ``Evaluation.local`` to build, so that a pass whose partials no view reads
    (a gradient check, a Hessian's rows) makes no tuple per product. () for a node not evaluated."""
    grads = [0.0] * tape.size
    local: list[tuple[float, ...] | None] = [()] * tape.size
    grads[tape.output] = 1.0
    for i, _, partials, a, b in reversed(tape.steps):
        upstream = grads[i]
        if partials is None:  # a product: its arguments swapped
            local[i] = None
            grads[a] += upstream * values[b]
            grads[b] += upstream * values[a]
        elif type(partials) is tuple:
            local[i] = partials
            grads[a] += upstream * partials[0]
            if b >= 0:
                grads[b] += upstream * partials[1]
        elif b < 0:
            local[i] = slopes = partials(values[a], values[i])  # type: ignore[operator]
            grads[a] += upstream * slopes[0]
        else:
            local[i] = slopes = partials(values[a], values[b], values[i])  # type: ignore[operator]
            grads[a] += upstream * slopes[0]
            grads[b] += upstream * slopes[1]
    return grads, local


def run_tape(graph: Graph, tape: Tape) -> Evaluation:
    values = forward(graph, tape)
    grads, local = backward(tape, values)
    evaluation = Evaluation(graph, tape.output, tape.order, values, grads, local, steps=tape.steps)
    evaluation.warnings = _warnings(evaluation, tape.kinks)
    return evaluation


def evaluate(graph: Graph, output: int) -> Evaluation:
    """Run the forward pass, then the backward pass from ``output``."""
    return run_tape(graph, record(graph, output))


class ValueCache:
    """The values of a growing graph's nodes, kept from one line of a REPL session to the next.

    A node's value depends only on older nodes, so a new statement needs the values of its new nodes
    only: everything it builds on is known already. ``value`` computes just the ancestors not yet known
    (a re-assignment chain of 10,000 statements costs one gate per line, not 20,000). An input changed in
    place makes every younger node unknown (``forget_from``): they may depend on it, and finding out
    which would cost as much as recomputing them when next asked.
    """

    def __init__(self) -> None:
        self.values: list[float] = []
        self.known = bytearray()

    def forget_from(self, node: int) -> None:
        """Every value from ``node`` on is unknown: an input changed, or nodes were taken off the graph."""
        known = self.known
        if node < len(known):
            known[node:] = bytes(len(known) - node)

    def value(self, graph: Graph, output: int) -> float:
        """``output``'s value; raises EvaluationError naming the failing gate, as ``forward`` does."""
        nodes, known, values = graph.nodes, self.known, self.values
        if len(known) < len(nodes):
            grow = len(nodes) - len(known)
            known.extend(bytes(grow))
            values.extend([0.0] * grow)
        if known[output]:
            return values[output]
        todo, stack = [output], [output]
        queued = {output}
        while stack:
            for arg in nodes[stack.pop()].args:
                if not known[arg] and arg not in queued:
                    queued.add(arg)
                    todo.append(arg)
                    stack.append(arg)
        todo.sort()
        for i in todo:
            node = nodes[i]
            args = node.args
            if not args:
                values[i] = float(node.param)  # type: ignore[arg-type]  # every leaf has its value
            else:
                try:
                    value = node.forward(*[values[a] for a in args])
                except (ArithmeticError, ValueError) as exc:
                    raise _failure(graph, values, i, exc) from None
                if not math.isfinite(value):
                    raise _failure(graph, values, i, OverflowError())
                values[i] = value
            known[i] = 1
        return values[output]


def _failure(graph: Graph, values: list[float], i: int, exc: BaseException) -> EvaluationError:
    node = graph.nodes[i]
    return op_failure(node.op, [values[a] for a in node.args], exc, node.span, node.param)


def _warnings(evaluation: Evaluation, kinks: list[int]) -> list[Warning_]:
    nodes, values, grads = evaluation.graph.nodes, evaluation.values, evaluation.grads
    found = []
    for i in kinks:
        op = nodes[i].op
        if op.kink(*(values[a] for a in nodes[i].args)):  # type: ignore[misc]
            found.append(Warning_(i, f"{op.symbol} is at a point with no derivative: {op.kink_rule}"))
    if not all(map(math.isfinite, grads)):
        for i in evaluation.inputs:
            if not math.isfinite(grads[i]):
                found.append(Warning_(i, "the gradient is not finite: the function has no derivative here"))
    return found


def op_failure(
    op: Op, args: list[float], exc: BaseException, span: Span | None, param: float | None = None
) -> EvaluationError:
    """Say, in the user's terms, why an operation could not be computed."""
    shown = op_call_text(op, [_operand(a, op) for a in args], param)
    if isinstance(exc, OverflowError):
        message = f"overflow: {shown} is too large for a floating-point number"
    elif op.domain == "division by zero":
        message = f"division by zero in {shown}"
    else:
        message = f"{shown} is undefined: {op.domain or 'outside the function domain'}"
    return EvaluationError(message, span)


def _operand(value: float, op: Op) -> str:
    """A number as an operand of ``op``: a negative one in parentheses where an operator binds it, so
    that ``(-4)^0.5`` is not read as -(4^0.5)."""
    text = format_number(value)
    return f"({text})" if text.startswith("-") and op.syntax is not Syntax.CALL else text


def op_call_text(op: Op, args: list[str], param: float | None = None) -> str:
    """An application written the way the language writes it: ``a + b``, ``-a``, ``exp(a)``, ``a^2``."""
    if op.syntax is Syntax.INFIX:
        return f"{args[0]} {op.symbol} {args[1]}"
    if op.syntax is Syntax.PREFIX:
        return f"{op.symbol}{args[0]}"
    if op.syntax is Syntax.GATE:
        gate = op.gate_symbol(param, format_number)
        return gate.replace("x", args[0]) if "x" in gate else f"{args[0]}{gate}"
    return f"{op.symbol}({', '.join(args)})"
