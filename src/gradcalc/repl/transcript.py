"""What a session did, kept so that ``:save`` can write it as a program ``gradcalc run`` replays.

The saved program must rebuild the same graph: the same nodes, in the same order, with the same names
(so the same labels, ``c`` and ``c'``), and hold the *current* value of every input. So the transcript
keeps each statement that changed the graph, in order, with the node it produced, and writes:

- an input where it was created, with its current value (in-place updates ``x = 2`` add no node, so
  they are not written again);
- every other statement as typed;
- what the session did on its own so that ``ans`` replays: ``ans = g`` when a named result was used
  as ``ans``, ``ans = EXPR`` for an unnamed one (the session gave its node the name ``ans`` when it was
  first used), and ``NAME = OTHER`` where ``:del NAME`` removed an input, so that a later
  ``NAME = 1`` makes a new input in the replay too, as it did in the session.

The one session the language cannot replay exactly: deleting an input when no other name is bound,
then assigning the name a constant again; the replay changes the old input in place (same values,
one node fewer).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gradcalc.graph import Graph, Node
from gradcalc.ops import INPUT


def number_text(value: float) -> str:
    """``value`` as a literal the grammar reads back exactly: ``3``, ``-0.5``, ``0.1``, ``1e-05``."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    return text if math.isfinite(value) else "0"  # inputs are always finite: the lowering checks


@dataclass(slots=True)
class Entry:
    """One statement that changed the graph or its bindings."""

    text: str  # the statement as typed
    node: int
    kind: str  # "input": created an input; "update": changed one in place; "bind"; "alias" (ans); "expr";
    # "define": a function definition; "loop": a loop, written as typed
    name: str | None = None
    assign_ans: bool = False  # an unnamed result later used as ans: written as ``ans = EXPR``


@dataclass(slots=True)
class Deletion:
    """``:del NAME``: the language cannot unbind, so the program only notes it (see ``program``)."""

    name: str


class Transcript:
    def __init__(self) -> None:
        self.entries: list[Entry | Deletion] = []
        self.input_texts: dict[int, str] = {}  # an input's node -> the constant text it was last given
        self._created: dict[int, Entry] = {}  # node -> the entry that created it

    def __len__(self) -> int:
        return len(self.entries)

    def add(self, entry: Entry | Deletion) -> None:
        self.entries.append(entry)
        if isinstance(entry, Entry) and entry.kind in ("input", "expr", "bind"):
            self._created.setdefault(entry.node, entry)

    def set_input_text(self, node: int, text: str | None) -> None:
        """Remember how an input's current value was written (``pi/4``); None: write the number."""
        if text is None:
            self.input_texts.pop(node, None)
        else:
            self.input_texts[node] = text

    def name_result_ans(self, node: int) -> None:
        """The unnamed result ``node`` is now called ans: its statement replays as ``ans = EXPR``."""
        self._created[node].assign_ans = True

    def program(self, graph: Graph, last: int | None, header: str) -> tuple[str, int]:
        """The session as a program whose last statement is the session's last result, and how many
        statements it has (a definition or a loop written over several lines is one).

        The writer follows the bindings the program will have as it runs (``bound``), which differ from
        the session's only by the names ``:del`` removed: where the session then made a *new* input of
        a deleted name, the program first points the name elsewhere (``x = y``), so that ``x = 5``
        makes a new input in the replay too instead of changing the old one in place.
        """
        nodes = graph.nodes
        lines = [header]
        comments = 1
        bound: dict[str, int] = {}
        written_last: int | None = None
        for entry in self.entries:
            if isinstance(entry, Deletion):
                lines.append(f"# :del {entry.name}")
                comments += 1
                continue
            if entry.kind == "update":  # no new node: the input's creation is written with its current value
                continue
            if entry.kind in ("define", "loop"):  # as typed: a definition makes no node, a loop its own
                lines.append(entry.text)
                if entry.kind == "loop" and entry.node >= 0:
                    if entry.name is not None:
                        bound[entry.name] = entry.node
                    written_last = entry.node
                continue
            name = entry.name
            if entry.kind == "input":
                assert name is not None
                old = bound.get(name)
                if old is not None and _is_input_named(nodes[old], name):
                    other = next((k for k, v in bound.items() if not _is_input_named(nodes[v], name)), None)
                    if other is not None:
                        lines.append(f"{name} = {other}  # {name} was deleted: what follows makes a new input")
                        bound[name] = bound[other]
                value = self.input_texts.get(entry.node) or number_text(nodes[entry.node].param or 0.0)
                line = f"{name} = {value}"
            elif entry.kind == "alias":
                target = _name_bound_to(bound, nodes, entry.node)
                if target is None or target == name:
                    continue
                line = f"{name} = {target}"
            elif entry.assign_ans:
                name = "ans"
                line = f"ans = {entry.text}"
            else:
                line = entry.text
            if name is not None:
                bound[name] = entry.node
            lines.append(line)
            written_last = entry.node
        if last is not None and written_last != last:
            name = _name_bound_to(bound, nodes, last)
            if name is not None:
                lines.append(name)
        return "\n".join(lines) + "\n", len(lines) - comments


def _is_input_named(node: Node, name: str) -> bool:
    return node.op is INPUT and node.name == name


def _name_bound_to(bound: dict[str, int], nodes: list[Node], node: int) -> str | None:
    """A name bound to ``node``: its own name if that is still bound to it, else the first such name."""
    own = nodes[node].name
    if own is not None and bound.get(own) == node:
        return own
    return next((name for name, target in bound.items() if target == node), None)
