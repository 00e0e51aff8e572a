"""What each node is called in tables, JSON, pictures and explanations.

A node the user named shows its name, as typed. Only when several nodes of one name are shown together
(``c = a*b; c = c + 1`` shows both) do the later ones get marks, in the order they were bound: ``c``,
``c'``, ``c''``, ``c'''``, then ``c'4``, ``c'5``, ... (the number counts the primes). So a label stays short
however often a name is re-bound, and it can never be a name a user could type: names are
``[A-Za-z_][A-Za-z_0-9]*`` and every mark starts with ``'``. LaTeX writes ``c'4`` as ``c^{(4)}``, the usual
way to write four primes (``latex_label``).

A constant shows its source text (``2``, ``pi/4``); every other node gets a short name that no user
name uses, in the order the seed example uses them: ``p = x + y``, then ``q``, ``r``, ... An unnamed
output is ``f``, as in f(x, y, z).
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from itertools import chain, compress, count, filterfalse, islice
from operator import attrgetter, eq, gt

from gradcalc.graph import Graph
from gradcalc.numbers import format_number
from gradcalc.ops import CONST

_LETTERS = "pqrstuv"  # not w: it reads as a weight
OUTPUT_NAME = "f"
MAX_PRIMES = 3  # c''' is still easy to count; the fourth re-binding shown is c'4
# A name of the form _fresh_names makes, among names one a line (a search for a newline first is fast).
_FRESH_FORM = re.compile(rf"\n([{_LETTERS}][0-9]*)(?=\n)")
_name = attrgetter("name")
_VERSIONED = re.compile(r"(?P<name>[A-Za-z_][A-Za-z_0-9]*)(?:'(?P<number>\d+)|(?P<primes>'*))")


def versions(name: str, count: int) -> list[str]:
    """The labels of ``count`` nodes named ``name`` shown together, in the order they were bound.

    Made as two comprehensions, not a call per label: a chain's 666,667 labels ``h'4`` ... cost half as much.
    """
    primed = [name + "'" * rank for rank in range(min(count, MAX_PRIMES + 1))]
    return primed + [f"{name}'{rank}" for rank in range(MAX_PRIMES + 1, count)]


def split_label(label: str) -> tuple[str, int] | None:
    """A user-named node's label as (name, rank): ``c''`` -> ("c", 2), ``h'12`` -> ("h", 12); else None."""
    match = _VERSIONED.fullmatch(label)
    if match is None:
        return None
    number, primes = match["number"], match["primes"]
    return match["name"], int(number) if number is not None else len(primes or "")


def name_labels(graph: Graph, shown: Iterable[int]) -> dict[int, str]:
    """The label of every named node in ``shown``: its name, marked only where a name is shown twice."""
    nodes = graph.nodes
    return _sweep(graph, [i for i in shown if nodes[i].name is not None])[0]


def _sweep(graph: Graph, order: Iterable[int]) -> tuple[dict[int, str], dict[str, list[int]], list[int]]:
    """One sweep over the nodes of ``order`` (a 400,000-node graph's nodes are read once: reading one from
    memory costs more than what is done with it): the label of each named node and each constant, and
    ``OUTPUT_NAME`` for now for the others; each name shown more than once, with its nodes; and those others.

    Most names shown are bound to the node shown (a wide sum's 500,000 inputs), and only a node its name is
    no longer bound to (``h`` before the chain's last line, a function's local name) is gathered under its
    name. Which nodes are bound to their names is read off the bindings in the order they were made, into
    a byte per node: the sweep then reads that byte, not the bindings. No table of every name shown is made,
    and nothing is looked up per node: at 1e6 nodes a table of every name touched 0.01 fresh pages a node
    and a lookup per name read far memory, and the labels' cost per node grew 1.9x from 1e4.
    """
    nodes = graph.nodes
    bindings = graph.bindings
    current = bytearray(len(nodes))  # 1: the node its name is bound to now
    for i in compress(bindings.values(), map(eq, bindings, map(_name, map(nodes.__getitem__, bindings.values())))):
        current[i] = 1
    labels: dict[int, str] = {}
    repeated: dict[str, list[int]] = {}
    unnamed: list[int] = []
    for i in order:
        node = nodes[i]
        name = node.name
        if name is not None:
            labels[i] = name
            if not current[i]:
                ids = repeated.get(name)
                if ids is None:
                    repeated[name] = [i]
                else:
                    ids.append(i)
        elif node.op is CONST:
            labels[i] = node.text or format_number(node.param or 0.0)
        else:
            labels[i] = OUTPUT_NAME
            unnamed.append(i)
    for name, ids in repeated.items():
        # The node the name is bound to now, where it is shown too, and named so (``g = d`` binds g to d's).
        last = bindings.get(name)
        if last is not None and last in labels and nodes[last].name == name:
            ids.append(last)
    shown_again = {name: ids for name, ids in repeated.items() if len(ids) > 1}
    if shown_again:
        _mark(graph, shown_again, labels)
    return labels, repeated, unnamed


def _mark(graph: Graph, repeated: dict[str, list[int]], labels: dict[int, str]) -> None:
    """The labels of the nodes of each name shown more than once, marked in the order they were bound.

    A chain re-binds one name at every line: its 1e6 nodes' marks are written over their labels in
    place, not gathered in a dictionary of their own first.
    """
    nodes = graph.nodes
    for name, ids in repeated.items():
        bound = [nodes[i].version for i in ids]
        if any(map(gt, bound, islice(bound, 1, None))):  # usually in order: a re-bound name's nodes are younger
            ids.sort(key=lambda i: nodes[i].version)
        labels.update(zip(ids, versions(name, len(ids))))


def _fresh_names(*taken: Iterable[str]) -> Iterator[str]:
    """The short names p, q, ..., v, p1, q1, ... that are in none of ``taken``.

    A wide sum's 200,000 gates take as many names, and checked one by one against its 200,000 names, a
    name cost two reads of far memory (0.45 µs; the labels' time grew 1.4x from 10,000 terms to
    100,000). So the names of that form among those taken are found first, by one scan of their text
    joined (``w0``, ``x0``, ... are not), and each candidate is checked against those few.
    """
    taken_fresh = set(_FRESH_FORM.findall("\n".join(chain(("",), chain.from_iterable(taken), ("",)))))
    # A round of names a suffix (p1 ... v1), made by one comprehension: a name each cost two calls.
    names = chain.from_iterable(map(_round_of_names, chain(("",), map(str, count(1)))))
    return filterfalse(taken_fresh.__contains__, names) if taken_fresh else names


def _round_of_names(suffix: str) -> list[str]:
    return [letter + suffix for letter in _LETTERS]


def node_labels(graph: Graph, order: list[int], output: int) -> dict[int, str]:
    """A label for every node in ``order``."""
    # Every name shown is bound, or among those shown not where they are bound now (``unbound``).
    labels, unbound, unnamed = _sweep(graph, order)
    counters = {scope.name for scope in graph.scopes if scope.kind == "step"}  # a loop's counter reads as itself
    if unnamed and not any(OUTPUT_NAME in taken for taken in (graph.bindings, unbound, counters)):
        if unnamed[-1] == output:  # an unnamed output is f: it is the last node in order
            unnamed.pop()
        elif output in unnamed:  # pragma: no cover - an order that does not end at its output
            unnamed.remove(output)
    # Only the taken names of the fresh names' form are collected (_fresh_names): a wide sum's are 200,000.
    labels.update(zip(unnamed, _fresh_names(graph.bindings, unbound, counters)))
    return labels
