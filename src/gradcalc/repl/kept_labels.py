"""The labels of the results a session showed, kept for the next view of the same nodes under the same names.

A line that sets an input in place (``x = 0.7``) makes every result's passes again, but changes no
label: a label is read off the nodes' names, ops and constant texts, the order of the output's
ancestors, the bindings and the loops' counters, and none of them is a value. After 10,000
re-assignments, labelling the 15,000-node chain again took a third of showing ``h``.

A kept labelling is used for the same output node while the graph has as many nodes and scopes, has
given as many names (``Graph.namings``, which only grows) and binds every name as it did. That is all a
label can change with: the session's graph only grows, a failed statement removes only the nodes it
made (never shown), and a node's name, op and text never change once made.
"""

from __future__ import annotations

from gradcalc.graph import Graph

# A result's output node, and how far the graph had grown when it was labelled (``Graph.made``).
_Key = tuple[int, tuple[int, int, int]]
_MOST = 4  # labellings kept at once (of different outputs): a 15,000-node one is about a MB


class KeptLabels:
    """The labels of the results shown since the graph last grew, each with the bindings it was made under."""

    def __init__(self) -> None:
        self._kept: dict[_Key, tuple[dict[str, int], dict[int, str]]] = {}

    @staticmethod
    def _key(graph: Graph, output: int) -> _Key:
        return output, graph.made()

    def get(self, graph: Graph, output: int) -> dict[int, str] | None:
        """The labels of ``output``'s nodes as last made, if nothing they are read from has changed since."""
        kept = self._kept.get(self._key(graph, output))
        if kept is None or kept[0] != graph.bindings:
            return None
        return kept[1]

    def keep(self, graph: Graph, output: int, labels: dict[int, str]) -> None:
        """Keep ``labels``, just made for ``output``; those made when the graph was smaller are let go."""
        size = len(graph.nodes)
        self._kept = {key: kept for key, kept in self._kept.items() if key[1][0] == size}
        if len(self._kept) >= _MOST:
            self._kept.clear()
        self._kept[self._key(graph, output)] = (dict(graph.bindings), labels)
