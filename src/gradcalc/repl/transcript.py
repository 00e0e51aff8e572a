"""What a session did, kept so that ``:save`` can write it as a program ``gradcalc run`` replays.

The saved program must rebuild the same graph: the same nodes, in the same order, with the same names
and labels (``c``, ``c'``), and hold the *current* value of every input. So the transcript keeps each
statement that changed the graph, in order, with the node it produced, and writes:

- an input where it was created, with its current value (in-place updates ``x = 2`` add no node, so
  they are not written again);
- every other statement as typed;
- what the session did on its own so that ``ans`` replays: ``ans = g`` when a named result was used
  as ``ans``, ``ans = EXPR`` for an unnamed one (the session gave its node the name ``ans`` when it was
  first used), and ``NAME = OTHER`` where ``:del NAME`` removed an input, so that a later
  ``NAME = 1`` makes a new input in the replay too, as it did in the session.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from gradcalc.graph import Graph


def number_text(value: float) -> str:
    """``value`` as a literal the grammar reads back exactly: ``3``, ``-0.5``, ``0.1``, ``1e-05``."""
    if value.is_integer() and abs(value) < 1e16:
        return str(int(value))
    text = repr(value)
    return text if math.isfinite(value) else "0"  # inputs are always finite: the lowering checks


@dataclass(slots=True)
class Entry:
    """One statement that changed the graph (or its bindings)."""

    text: str  # the statement as typed, or as the session wrote it
    node: int
    kind: str  # "input": created an input; "update": changed one in place; "bind", "alias", "expr"
    name: str | None = None
    assign_ans: bool = False  # an unnamed result later used as ans: written as ``ans = EXPR``

    def program_line(self, graph: Graph, input_texts: dict[int, str]) -> str | None:
        if self.kind == "update":
            return None
        if self.kind == "input":
            return f"{self.name} = {input_texts.get(self.node) or number_text(graph.nodes[self.node].param or 0.0)}"
        if self.assign_ans:
            return f"ans = {self.text}"
        return self.text


@dataclass(slots=True)
class Deletion:
    """``:del NAME``; ``alias`` re-points NAME in the replay when NAME was an input (see the module doc)."""

    name: str
    alias: str | None

    def program_line(self, graph: Graph, input_texts: dict[int, str]) -> str | None:
        if self.alias is None:
            return f"# :del {self.name}"
        return f"{self.name} = {self.alias}  # :del {self.name}: a later {self.name} = ... makes a new input"


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
        entry = self._created[node]
        entry.assign_ans = True

    def program(self, graph: Graph, last: int | None, header: str) -> str:
        """The session as a program whose last statement is the session's last result."""
        lines = [header]
        written_last: int | None = None
        for entry in self.entries:
            line = entry.program_line(graph, self.input_texts)
            if line is None:
                continue
            lines.append(line)
            if isinstance(entry, Entry):
                written_last = entry.node
            elif entry.alias is not None:  # an alias is a statement too: the program would end on it
                written_last = -1
        if last is not None and written_last != last:
            name = _name_of(graph, last)
            if name is not None:
                lines.append(name)
        return "\n".join(lines) + "\n"


def _name_of(graph: Graph, node: int) -> str | None:
    """A name bound to ``node`` when the replay ends, to end the program with it."""
    own = graph.nodes[node].name
    if own is not None and graph.bindings.get(own) == node:
        return own
    return next((name for name, bound in graph.bindings.items() if bound == node), own)
