"""Calls, loop steps and derivatives as a result's views name them: ``sig #1``, ``t = 2``,
``∂²(x^3)/∂x² (2nd derivative)``, and what each step adds.

The graph records each call of a user function and each step of a loop as a scope (a range of node ids,
``Graph.scopes``). Views name them here, from what they show: calls are numbered per function in the
order they were made (``sig #1``, ``sig #2``), so the same program always draws the same names; a step
is named by its counter (``t = 2``); the nodes ``grad`` built by the derivative they compute and its
order (``∂f/∂x (1st derivative)``). A node's *path* is its scopes from the outermost in; its *order* is
0 for the function's own nodes, 1 for the nodes of ``grad(f, x)``, 2 for those of ``grad(grad(f, x), x)``.

``step_contributions`` splits the gradient of an input used at several steps (a weight shared across
the steps of a recurrence: backprop through time) into what flows back through each step's gates;
the parts add up to the gradient.
"""

from __future__ import annotations

from typing import NamedTuple

from gradcalc.graph import Graph
from gradcalc.numbers import format_number
from gradcalc.ops import CONST
from gradcalc.program import Result


def scope_names(graph: Graph, scopes: list[int]) -> dict[int, str]:
    """A name for each of ``scopes``: ``f #k`` (k counted per function among them), ``t = 2``."""
    names: dict[int, str] = {}
    count: dict[str, int] = {}
    for s in sorted(scopes):
        scope = graph.scopes[s]
        if scope.kind == "call":
            count[scope.name] = count.get(scope.name, 0) + 1
            names[s] = f"{scope.name} #{count[scope.name]}"
        elif scope.kind == "grad":
            names[s] = f"{scope.name} ({ordinal(scope.order)} derivative)"
        else:
            names[s] = f"{scope.name} = {format_number(scope.value or 0.0)}"
    return names


def ordinal(n: int) -> str:
    """``1st``, ``2nd``, ``3rd``, ``4th``, ``11th``, ``22nd``: a derivative's order as words name it."""
    suffix = "th" if 10 <= n % 100 <= 20 else {1: "st", 2: "nd", 3: "rd"}.get(n % 10, "th")
    return f"{n}{suffix}"


class Scopes(NamedTuple):
    """The scopes of the nodes a result shows: each node's innermost scope, and each scope's name."""

    of_node: dict[int, int]  # node -> its innermost scope (nodes in none are absent)
    names: dict[int, str]  # scope -> its name, for every scope shown and every scope around one
    parents: dict[int, int]  # scope -> the scope around it, or -1
    orders: dict[int, int]  # node -> its derivative order, for the nodes grad made (the others are absent)

    def path(self, node: int) -> tuple[str, ...]:
        """The names of ``node``'s scopes, the outermost first: ("t = 2", "cell #2")."""
        scope = self.of_node.get(node, -1)
        names: list[str] = []
        while scope >= 0:
            names.append(self.names[scope])
            scope = self.parents[scope]
        return tuple(reversed(names))


def result_scopes(result: Result) -> Scopes:
    """The scopes of ``result``'s nodes, named as the views name them."""
    graph = result.graph
    of_node = graph.scope_map(result.evaluation.order)
    shown: set[int] = set()
    for scope in set(of_node.values()):
        while scope >= 0 and scope not in shown:
            shown.add(scope)
            scope = graph.scopes[scope].parent
    parents = {s: graph.scopes[s].parent for s in shown}
    orders = graph.orders_in(of_node) if any(graph.scopes[s].order for s in shown) else {}
    return Scopes(of_node, scope_names(graph, sorted(shown)), parents, orders)


class StepSplit(NamedTuple):
    """An input's gradient as the sum of what flows back to it through each step's gates."""

    node: int
    parts: tuple[tuple[str, float], ...]  # (step, contribution), in the order of the steps
    total: float


OUTSIDE = "outside the loops"


def step_contributions(result: Result) -> list[StepSplit]:
    """For each input used by gates of two or more loop steps, its gradient split by step.

    A gate's contribution to an argument is the gate's gradient times its local partial (the chain
    rule's product); a step's is the sum over its gates. Gates outside every loop make one more part.
    """
    graph, evaluation = result.graph, result.evaluation
    if not any(scope.kind == "step" for scope in graph.scopes):
        return []
    nodes, grads, local = graph.nodes, evaluation.grads, evaluation.local
    scopes = result_scopes(result)
    step_of: dict[int, int] = {}  # scope -> its innermost enclosing step (itself for a step), or -1

    def step(scope: int) -> int:
        found = step_of.get(scope)
        if found is None:
            s = scope
            while s >= 0 and graph.scopes[s].kind != "step":
                s = scopes.parents[s]
            found = step_of[scope] = s
        return found

    inputs = set(evaluation.inputs)
    parts: dict[int, dict[int, float]] = {}
    for gate in evaluation.order:
        node = nodes[gate]
        for slot, arg in enumerate(node.args):
            if arg in inputs and nodes[arg].op is not CONST:
                where = step(scopes.of_node.get(gate, -1)) if gate in scopes.of_node else -1
                by_step = parts.setdefault(arg, {})
                by_step[where] = by_step.get(where, 0.0) + grads[gate] * local[gate][slot]
    splits = []
    for arg in evaluation.inputs:
        by_step = parts.get(arg, {})
        if sum(1 for s in by_step if s >= 0) < 2:
            continue
        named = [(", ".join(_step_path(scopes, graph, s)), value) for s, value in sorted(by_step.items()) if s >= 0]
        if -1 in by_step:
            named.append((OUTSIDE, by_step[-1]))
        splits.append(StepSplit(arg, tuple(named), grads[arg]))
    return splits


def _step_path(scopes: Scopes, graph: Graph, step: int) -> list[str]:
    """The names of the steps around ``step`` and itself, the outermost first: ["t = 1", "s = 2"]."""
    names = []
    s = step
    while s >= 0:
        if graph.scopes[s].kind == "step":
            names.append(scopes.names[s])
        s = scopes.parents[s]
    return names[::-1]
