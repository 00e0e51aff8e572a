"""``grad(e, x)``: the backward pass built as nodes of the graph, so the gradient is differentiable again.

The backward pass of ``e`` is walked once, as the engine walks it (outputs first), but instead of
numbers it adds gates: each gate's local partial with respect to an argument is the op table's formula
for it (``cos({a})``, ``{b}*{a}^({b}-1)``), parsed and lowered with the argument nodes in place of
``{a}``, ``{b}`` and the folded constant in place of ``{c}``, so the numeric rule, the formula text and
the gradient's graph come from one row. Products with the upstream adjoint are ``*`` gates and a node
used twice sums its contributions with ``+`` gates: an n-node expression adds O(n) nodes. Only the
nodes that depend on ``x`` are walked to.

Piecewise-linear ops (relu, abs, max, min) have partials that are steps, which the language cannot
write; their partial is a *slope gate* (its value the op table's local partial) whose own derivative is
0 everywhere, as PyTorch has it (the step that relu' becomes has derivative 0, at 0 too).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import Any, Protocol

from gradcalc import ast
from gradcalc.errors import GradcalcError
from gradcalc.graph import Graph, Node
from gradcalc.ops import ADD, MUL, Op, Syntax, flat
from gradcalc.source import Source


class Lowered(Protocol):
    output: int | None


Lower = Callable[[ast.Program, Graph], Lowered]
_ARGS = ("gc_grad_a", "gc_grad_b")  # placeholders for {a} and {b}: names no program can bind meaningfully
# a folded constant's exponent, x^(3-1) of d(x^3)/dx: written as one number, and not at all where it is 1
_LOWERED_EXPONENT = re.compile(r"\^\((\(-?[0-9.e+]+\)|[0-9.e+]+)-1\)")


@lru_cache(maxsize=512)
def _formula_program(text: str) -> ast.Program | None:
    """The formula parsed as a program of the language, or None where it is not one (``1 if a > 0``)."""
    from gradcalc.parser import parse

    try:
        return parse(Source(text, "<derivative rule>"))
    except GradcalcError:
        return None


def _formula_text(op: Op, k: int, param: float | None) -> str:
    text = op.formulas[k].replace("{a}", _ARGS[0]).replace("{b}", _ARGS[1])
    if "{c}" in text:
        text = text.replace("{c}", _constant_text(float(param)))  # type: ignore[arg-type]  # a gate with {c} has one
        text = _LOWERED_EXPONENT.sub(_one_less, text)
    return text


def _one_less(match: re.Match[str]) -> str:
    """``^(c-1)`` with c a number: ``^`` and c - 1 (the float the language's folding gives), or nothing for 1."""
    exponent = float(match.group(1).strip("()")) - 1
    return "" if exponent == 1 else "^" + _constant_text(exponent)


def _constant_text(value: float) -> str:
    """A folded constant as the language writes it, exactly: ``3`` (as the table labels it), ``0.5``, ``(-1)``."""
    text = str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return f"({text})" if value < 0 else text


@lru_cache(maxsize=256)
def _slope_op(op: Op, k: int) -> Op:
    """A gate whose value is ``op``'s local partial for argument ``k`` and whose derivative is 0."""
    arity = op.arity

    def forward(*args: float) -> float:
        return op.local(*args, op.forward(*args))[k]

    def array_forward(xp: Any, *args: Any) -> Any:  # the same on NumPy arrays, for gradcalc train
        rule, slopes = op.array_rules(xp)
        return slopes(*args, rule(*args))[k]

    zeros = flat(arity)
    local = (lambda a, out: (0.0,)) if arity == 1 else (lambda a, b, out: (0.0, 0.0))
    name = f"{op.name}'{k + 1}" if arity > 1 else f"{op.name}'"
    kink_rule = f"{op.kink_rule}, and the step {name} has derivative 0" if op.kink is not None else ""
    return Op(name, name, arity, Syntax.CALL, forward, local, ("0",) * arity, parametric=op.parametric,
              description=f"the local partial of {op.name}", second=zeros, kink=op.kink, kink_rule=kink_rule,
              array_forward=array_forward)


def _local_partial(graph: Graph, node: Node, k: int, lower: Lower) -> int:
    """A node whose value is ``node``'s local partial with respect to argument ``k``."""
    program = _formula_program(_formula_text(node.op, k, node.param))
    if program is None or (node.op.kink is not None and _is_flat(node.op)):
        return graph.add(_slope_op(node.op, k), node.args, param=node.param)
    bindings = graph.bindings
    saved = {name: bindings.get(name) for name in _ARGS}
    for name, arg in zip(_ARGS, node.args):
        bindings[name] = arg
    try:
        lowered = lower(program, graph)
    finally:
        for name, before in saved.items():
            if before is None:
                bindings.pop(name, None)
            else:
                bindings[name] = before
    assert lowered.output is not None
    return lowered.output


def _is_flat(op: Op) -> bool:
    """Is ``op`` piecewise linear: its second partials 0 at a sample point away from the kinks?"""
    second = op.second
    if second is None:
        return False
    args = (0.7, 0.3)[: op.arity]
    try:
        bends = second(*args, op.forward(*args))
    except (ArithmeticError, ValueError):
        return False
    return all(v == 0.0 for row in bends for v in row)


def differentiate(
    graph: Graph, output: int, wrt: int, lower: Lower, name: str = "", nested: int = 1
) -> int | float:
    """The node of d(output)/d(wrt) added to ``graph``, or the number 0.0 where output does not depend on wrt.

    ``lower`` is ``lowering.lower``, passed in by the lowering that calls this (so neither module imports
    the other): it adds each formula's nodes to the graph. The nodes added make one scope of kind
    ``grad`` named ``name`` (``∂f/∂x``), whose derivative order is one more than the highest order among
    the nodes ``output`` depends on, and at least ``nested``, the grads written one inside the other
    (``grad(grad(x*y^2, x), y)`` is a 2nd derivative though ∂/∂x gave the function's own y^2): 1 for
    ``grad(x^3, x)``, 2 for ``grad(grad(x^3, x), x)``, so the pictures can tell the function's nodes
    (order 0) from each derivative's.
    """
    nodes = graph.nodes
    order = _ancestors(nodes, output)
    depends = {wrt}
    for i in order:
        if any(a in depends for a in nodes[i].args):
            depends.add(i)
    if output not in depends:
        return 0.0
    derivative = max(nested, 1 + graph.highest_order(order))
    scope = graph.open_scope("grad", name, order=derivative)
    try:
        return _backward_nodes(graph, order, depends, output, wrt, lower)
    finally:
        graph.close_scope(scope)


def _ancestors(nodes: list[Node], output: int) -> list[int]:
    """Every node ``output`` depends on, and itself, in id order: in the time of those nodes alone.

    ``Graph.ancestors`` sweeps the whole graph, which a program of many small grads (one per step of a
    loop, one per REPL line) would pay at each.
    """
    seen = {output}
    stack = [output]
    while stack:
        for arg in nodes[stack.pop()].args:
            if arg not in seen:
                seen.add(arg)
                stack.append(arg)
    return sorted(seen)


def _backward_nodes(graph: Graph, order: list[int], depends: set[int], output: int, wrt: int, lower: Lower) -> int:
    """The backward pass over ``order`` (the ancestors of ``output``) as nodes: the node of d(output)/d(wrt)."""
    nodes = graph.nodes
    adjoint: dict[int, int] = {output: graph.constant(1.0, "1")}
    seed = adjoint[output]
    for i in reversed(order):
        upstream = adjoint.get(i)
        if upstream is None or i == wrt:
            continue
        node = nodes[i]
        for k, a in enumerate(node.args):
            if a not in depends:
                continue
            partial = _local_partial(graph, node, k, lower)
            term = partial if upstream == seed else graph.add(MUL, (upstream, partial))
            adjoint[a] = term if a not in adjoint else graph.add(ADD, (adjoint[a], term))
    return adjoint[wrt]
