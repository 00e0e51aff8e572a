"""The tape of a REPL session's latest result, grown line by line instead of recorded afresh.

Showing a result's gradients (an expression line, ``:grad``, ``:table``, ``:vars``) needs a backward
pass over all its ancestors, and ``engine.record`` finds them by walking the whole graph back from the
output: 15,000 nodes after a generated program of 10,000 re-assignments, about as long as the passes
themselves. But a line usually builds on the one before (``h = h + x``): its ancestors are the last
result's and the nodes the line made. So the session keeps the tape of one result, its *base*, and
after each line tries to grow it to the line's result: it walks back only through nodes the base does
not hold, and if the walk reaches the base's output, the new tape is the base's steps followed by the
new ones. Anything else (a result beside the base, an older node, a walk longer than the budget of a
line) is left to ``engine.record`` when a view asks for it.

A tape grown here is the one ``engine.record`` makes, entry for entry (``tests/test_repl_tapes.py``
compares them), so ``engine.run_tape`` on it gives the evaluation ``engine.evaluate`` gives.
"""

from __future__ import annotations

from dataclasses import dataclass

from gradcalc.engine import Step, Tape, record, steps_of
from gradcalc.graph import Graph, Node
from gradcalc.ops import INPUT

LINE_BUDGET = 2_000  # nodes one line may walk to grow the base: a line's cost stays flat however long the session


@dataclass(slots=True)
class _Growth:
    """The nodes a result adds to the base, in the order the tape takes them."""

    output: int
    inputs: list[int]  # new inputs, in id order, all younger than the base's
    rest: list[int]  # the other new nodes, in id order, all younger than the base's

    @property
    def new(self) -> list[int]:
        return self.inputs + self.rest


class Tapes:
    """The base tape, kept as lists that grow; a tape handed out has copies the next line cannot change."""

    def __init__(self) -> None:
        self._forget()

    def _forget(self) -> None:
        self._output: int | None = None
        self._held = bytearray()  # 1 for each node the base's order holds (and, during a walk, those found)
        self._inputs: list[int] = []  # the order's inputs; they are leaves, the first of the tape's
        self._rest: list[int] = []  # the order's other nodes
        self._rest_leaves: list[int] = []  # the constants among them
        self._steps: list[Step] = []
        self._kinks: list[int] = []

    def forget_from(self, node: int) -> None:
        """Nodes from ``node`` on were taken off the graph (a statement failed): a base holding one is gone."""
        if self._output is not None and self._output >= node:
            self._forget()

    def follow(self, graph: Graph, output: int) -> None:
        """After a line: make ``output`` the base if it grows from the base within the line's budget."""
        growth = self._growth(graph.nodes, output, LINE_BUDGET)
        if growth is not None:
            self._add(growth, *steps_of(graph.nodes, growth.rest))

    def tape(self, graph: Graph, output: int, *, keep: bool = True) -> Tape:
        """The tape of ``output``: the base grown to it if it can be, else recorded afresh.

        With ``keep`` the tape becomes the base; a scratch copy of the graph (``:table EXPR``) passes
        False, since its new nodes are not the session's.
        """
        nodes = graph.nodes
        growth = self._growth(nodes, output, None)
        if growth is None:
            fresh = record(graph, output)
            if keep:
                self._rebase(nodes, fresh)
            return fresh
        steps, kinks, leaves = steps_of(nodes, growth.rest)
        inputs = self._inputs + growth.inputs
        tape = Tape(
            output,
            inputs + self._rest + growth.rest,
            len(nodes),
            inputs + self._rest_leaves + leaves,
            self._steps + steps,
            self._kinks + kinks,
        )
        if keep:
            self._add(growth, steps, kinks, leaves)
        else:  # the base stays as it was
            self._unmark(growth.new)
        return tape

    def _growth(self, nodes: list[Node], output: int, budget: int | None) -> _Growth | None:
        """What ``output`` adds to the base, or None if its ancestors are not the base's and some more.

        The walk marks the nodes it finds in the base's own ``held`` (so a line's cost does not grow with
        the session) and takes the marks off again if the base does not grow (``_unmark``).
        """
        base = self._output
        if base == output:
            return _Growth(output, [], [])
        held = self._held
        if len(held) < len(nodes):
            held.extend(bytes(len(nodes) - len(held)))
        if held[output]:  # an older node: its ancestors are some of the base's
            return None
        held[output] = 1
        new, stack = [output], [output]
        reached = base is None
        while stack:
            for arg in nodes[stack.pop()].args:
                if not held[arg]:
                    held[arg] = 1
                    new.append(arg)
                    stack.append(arg)
                    if budget is not None and len(new) > budget:
                        self._unmark(new)
                        return None
                elif arg == base:
                    reached = True
        if not reached:  # a result beside the base: it does not need all of the base's nodes
            self._unmark(new)
            return None
        new.sort()
        inputs = [i for i in new if nodes[i].op is INPUT]
        rest = [i for i in new if nodes[i].op is not INPUT]
        if (inputs and self._inputs and inputs[0] < self._inputs[-1]) or (
            rest and self._rest and rest[0] < self._rest[-1]
        ):  # an older node the base does not hold: the order would interleave, which record does anew
            self._unmark(new)
            return None
        return _Growth(output, inputs, rest)

    def _unmark(self, new: list[int]) -> None:
        held = self._held
        for i in new:
            held[i] = 0

    def _add(self, growth: _Growth, steps: list[Step], kinks: list[int], leaves: list[int]) -> None:
        self._inputs.extend(growth.inputs)
        self._rest.extend(growth.rest)
        self._rest_leaves.extend(leaves)
        self._steps.extend(steps)
        self._kinks.extend(kinks)
        self._output = growth.output

    def _rebase(self, nodes: list[Node], tape: Tape) -> None:
        """Make a tape ``engine.record`` made the base."""
        held = bytearray(len(nodes))
        for i in tape.order:
            held[i] = 1
        count = sum(1 for i in tape.leaves if nodes[i].op is INPUT)  # the inputs come first, all leaves
        self._held, self._output = held, tape.output
        self._inputs, self._rest = tape.order[:count], tape.order[count:]
        self._rest_leaves = tape.leaves[count:]
        self._steps, self._kinks = list(tape.steps), list(tape.kinks)
