"""What each node is called in tables, JSON, pictures and explanations.

A node the user named shows its name (primed when the name was bound before: ``c``, then ``c'``);
a constant shows its source text (``2``, ``pi/4``); every other node gets a short name that no user
name uses, in the order the seed example uses them: ``p = x + y``, then ``q``, ``r``, ... An unnamed
output is ``f``, as in f(x, y, z).
"""

from __future__ import annotations

from collections.abc import Iterator
from itertools import count

from gradcalc.graph import Graph
from gradcalc.numbers import format_number
from gradcalc.ops import CONST

_LETTERS = "pqrstuvw"
OUTPUT_NAME = "f"


def _fresh_names(taken: set[str]) -> Iterator[str]:
    for round_ in count():
        suffix = str(round_) if round_ else ""
        for letter in _LETTERS:
            name = letter + suffix
            if name not in taken:
                yield name


def node_labels(graph: Graph, order: list[int], output: int) -> dict[int, str]:
    """A label for every node in ``order``."""
    nodes = graph.nodes
    taken = set(graph.bindings)
    taken.update(label for i in order if (label := nodes[i].label))
    fresh = _fresh_names(taken)
    labels: dict[int, str] = {}
    for i in order:
        node = nodes[i]
        if node.label:
            labels[i] = node.label
        elif node.op is CONST:
            labels[i] = node.text or format_number(node.param or 0.0)
        elif i == output and OUTPUT_NAME not in taken:
            labels[i] = OUTPUT_NAME
        else:
            labels[i] = next(fresh)
    return labels
