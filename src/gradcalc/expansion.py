"""``--expand``: rewrite a graph into primitive gates, constants folded in, as in textbook circuits.

``sigmoid(t)`` becomes ``*-1 -> exp -> +1 -> 1/x``, ``a - b`` becomes ``a + (b * -1)``, ``x * 2`` a
``*2`` gate. The rules live beside each op in the op table (``Op.expand``); this module only applies
them, in one pass over the nodes in topological order. Values and gradients of the inputs are the same
in both graphs; the expanded one shows more of the chain rule. The rules see the values of the evaluated
program, so a rule can draw the form of its circuit that computes them without overflow (sigmoid and
tanh choose by the argument's sign): an expanded graph is drawn for one evaluation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from gradcalc.graph import Graph, Node
from gradcalc.ops import CONST, Op


class _Builder:
    """The GateBuilder the op table's expansion rules write into."""

    def __init__(self, graph: Graph, source: Node, values: dict[int, float]) -> None:
        self.graph = graph
        self.source = source  # the node being expanded: its gates point at its place in the program
        self.values = values  # new node -> the value its original had

    def value(self, node: int) -> float | None:
        return self.values.get(node)

    def constant(self, node: int) -> float | None:
        target = self.graph.nodes[node]
        return target.param if target.op is CONST else None

    def gate(self, op: Op, *args: int, param: float | None = None) -> int:
        return self.graph.add(op, args, param=param, at=self.source)


def expand(
    graph: Graph, order: list[int], values: Sequence[float] | None = None
) -> tuple[Graph, dict[int, int]]:
    """The expanded graph of the nodes in ``order``, and where each old node went in it.

    ``values`` (indexed by old node) are the evaluated program's, for the rules that choose a form.
    """
    new = Graph()
    where: dict[int, int] = {}
    old_scopes = graph.scope_map(order)
    new.node_scope = {}  # the calls and steps stay; their nodes are the gates each node became
    known: dict[int, float] = {}
    for i in order:
        node = graph.nodes[i]
        before = len(new.nodes)
        args = tuple(where[a] for a in node.args)
        if node.op.expand is not None:
            target = node.op.expand(_Builder(new, node, known), args)
        else:
            target = new.add(node.op, args, param=node.param, text=node.text, at=node)
        moved = new.nodes[target]
        if node.name is not None and moved.name is None:
            moved.name, moved.version = node.name, node.version
            new.bindings[node.name] = target
        where[i] = target
        if values is not None:
            known[target] = values[i]
        scope = old_scopes.get(i)
        if scope is not None:
            for k in range(before, len(new.nodes)):
                new.node_scope[k] = scope
    new.scopes = [
        replace(s, result=where.get(s.result, -1), args=[where.get(a, -1) if type(a) is int else a for a in s.args])
        for s in graph.scopes
    ]
    return new, where
