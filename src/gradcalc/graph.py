"""The computational graph: a flat, append-only list of nodes, each an op applied to earlier nodes.

Node ids are list indices and every node's arguments are older than the node, so the list is always in
topological order: evaluation is a loop forward, backpropagation a loop backward, and no walk recurses.
The graph holds no values beyond those of its leaves (an input's value, a constant); the engine keeps
the values and gradients of an evaluation apart from the graph it evaluated.

A *scope* is a call of a user function (``sig #1``), a step of a loop (``t = 2``) or the nodes that
``grad(e, x)`` built (``∂e/∂x``, with its derivative order): the nodes made while lowering it, a range of
node ids. Scopes nest (a call inside a step); ``scope_map`` gives each node its innermost scope, so
pictures can draw each scope as a cluster and tables name it.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import compress, repeat

from gradcalc.ops import CONST, INPUT, Op
from gradcalc.source import Source, Span


class Node:
    """One operation applied to earlier nodes (or a leaf: an input or a constant).

    A plain slotted class: a 100,000-term program makes several hundred thousand of these. Where it was
    written is kept as its source and offsets, and made a ``Span`` only when asked (``span``: an error's
    caret): a ``Span`` made for every node cost a wide sum 2.6% of its whole process, measured.
    """

    __slots__ = ("args", "end", "forward", "local", "name", "op", "param", "source", "start", "text", "version")

    def __init__(
        self,
        op: Op,
        args: tuple[int, ...] = (),
        param: float | None = None,
        text: str | None = None,
        source: Source | None = None,
        start: int = 0,
        end: int = 0,
        name: str | None = None,
        version: int = 0,
    ) -> None:
        self.op = op
        self.args = args
        self.param = param  # an input's or a constant's value; the constant folded into a gate
        self.name = name  # the name the user bound to this node, if any
        # How many times the graph had given a node a name before this one: the labels tell apart the
        # versions of a name shown together (c, c') by this order, which expansion, unlike node ids, keeps.
        # One count for all names, not one per name: a wide sum's 500,000 names need no table of counts.
        self.version = version
        self.text = text  # a constant's source text: "2", "pi", "2*pi"
        self.source = source  # where it was written (None: nowhere, as a node made by expansion's rules)
        self.start = start
        self.end = end
        # The rules the engine calls, with a folded constant bound once so its loops stay uniform.
        self.forward: Callable[..., float]
        self.local: Callable[..., tuple[float, ...]]
        if op.parametric:
            self.forward, self.local = _bound_rules(op, param)  # type: ignore[arg-type]  # a gate's constant
        else:
            self.forward, self.local = op.forward, op.local

    @property
    def span(self) -> Span | None:
        """Where the node was written: its statement's, or its gate's expression."""
        return None if self.source is None else Span(self.source, self.start, self.end)

    @property
    def is_leaf(self) -> bool:
        return not self.op.arity

    @property
    def is_input(self) -> bool:
        return self.op is INPUT

    def __repr__(self) -> str:
        return f"Node({self.op.name}, {self.args}, param={self.param}, name={self.name!r})"


_BOUND: dict[tuple[Op, float], tuple[Callable[..., float], Callable[..., tuple[float, ...]]]] = {}
_BOUND_MOST = 4_096  # distinct (gate, constant) pairs kept: generated programs repeat a handful


def _bound_rules(op: Op, param: float) -> tuple[Callable[..., float], Callable[..., tuple[float, ...]]]:
    """``op``'s rules with its constant bound, shared by every node of the same gate and constant.

    A chain of 30,000 ``h * 1.0001`` gates then makes one pair of partials, not 30,000. A zero is never
    shared: 0.0 and -0.0 are equal as keys but not as constants (``x * -0.0`` is -0.0 for a positive x).
    """
    key = (op, param)
    rules = _BOUND.get(key) if param else None
    if rules is None:
        rules = partial(op.forward, param), partial(op.local, param)
        if param:
            if len(_BOUND) >= _BOUND_MOST:
                _BOUND.clear()
            _BOUND[key] = rules
    return rules


@dataclass(slots=True, eq=False)
class Scope:
    """A call of a user function or a step of a loop, and where it sits."""

    kind: str  # "call", "step" or "grad"
    name: str  # the function's name, the loop's counter, or a derivative's notation: ∂²(x^3)/∂x²
    value: float | None  # a step's counter value; None for a call
    parent: int  # the enclosing scope's index in ``Graph.scopes``, or -1
    first: int  # the first node made in it
    end: int = -1  # one past the last node made in it, once it is closed
    result: int = -1  # a call's value, when it is a node made in the call (not an argument passed through)
    params: tuple[str, ...] = ()  # a call's parameters
    args: Sequence[object] = ()  # what the call gave them: nodes (ints), or constants not made into nodes
    text: str = ""  # a call's function as defined: ``f(x) = x^2 + 1``
    order: int = 0  # a grad's derivative order: 1 for grad(f, x), 2 for grad(grad(f, x), x); 0 otherwise

    def param_nodes(self) -> dict[int, str]:
        """Each node given to a parameter, with the parameter's name."""
        return {arg: param for param, arg in zip(self.params, self.args) if type(arg) is int}


class Graph:
    """Nodes, plus the names a program or a REPL session has bound to them."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.bindings: dict[str, int] = {}  # name -> the node it is bound to now
        self.namings = 0  # the names given to nodes so far: the next one's ``Node.version``
        self.scopes: list[Scope] = []
        # node -> its innermost scope, where the ranges do not say it (an expanded graph's nodes)
        self.node_scope: dict[int, int] | None = None
        self._open: list[int] = []  # the scopes being lowered now, innermost last
        # grad's scopes (which never nest in one another) and their first nodes, in order: see highest_order
        self._grads: list[int] = []
        self._grad_firsts: list[int] = []

    def made(self) -> tuple[int, int, int]:
        """How far the graph has grown: its nodes, its scopes and the names it has given. A node's op,
        arguments, text and name never change once made, so where these are as they were, so are the nodes
        (what a kept labelling or picture was made from, beside the bindings)."""
        return len(self.nodes), len(self.scopes), self.namings

    def open_scope(
        self,
        kind: str,
        name: str,
        params: tuple[str, ...] = (),
        args: Sequence[object] = (),
        text: str = "",
        value: float | None = None,
        order: int = 0,
    ) -> int:
        """Start a call, a step or a grad: the nodes added until ``close_scope`` belong to it."""
        parent = self._open[-1] if self._open else -1
        self.scopes.append(Scope(kind, name, value, parent, len(self.nodes), -1, -1, params, args, text, order))
        self._open.append(len(self.scopes) - 1)
        if order:
            self._grads.append(len(self.scopes) - 1)
            self._grad_firsts.append(len(self.nodes))
        return len(self.scopes) - 1

    def close_scope(self, scope: int) -> None:
        """End ``scope`` (the innermost open one): its nodes not in an inner scope are its own."""
        self._open.pop()
        self.scopes[scope].end = len(self.nodes)

    def scope_map(self, nodes: Iterable[int]) -> dict[int, int]:
        """The innermost scope of each of ``nodes`` that is in one: one sweep over the sorted ids."""
        if self.node_scope is not None:
            explicit = self.node_scope
            return {i: explicit[i] for i in nodes if i in explicit}
        scopes = self.scopes
        if not scopes:
            return {}
        found: dict[int, int] = {}
        starts = sorted(range(len(scopes)), key=lambda s: (scopes[s].first, s))  # outer before inner
        k = 0
        open_: list[int] = []
        for i in sorted(nodes):
            while open_ and scopes[open_[-1]].end <= i:
                open_.pop()
            while k < len(starts) and scopes[starts[k]].first <= i:
                s = starts[k]
                k += 1
                while open_ and scopes[open_[-1]].end <= scopes[s].first:
                    open_.pop()
                if scopes[s].end > i:
                    open_.append(s)
            while open_ and scopes[open_[-1]].end <= i:
                open_.pop()
            if open_:
                found[i] = open_[-1]
        return found

    def highest_order(self, nodes: Iterable[int]) -> int:
        """The highest derivative order among ``nodes``, 0 when grad made none of them.

        What ``grad`` asks of the nodes it differentiates, while lowering: a binary search per node among
        grad's scopes (they never nest in one another), so a program of many grads stays linear.
        """
        grads, firsts, scopes = self._grads, self._grad_firsts, self.scopes
        if not grads:
            return 0
        length = len(self.nodes)
        highest = 0
        for i in nodes:
            k = bisect_right(firsts, i) - 1
            if k >= 0:
                scope = scopes[grads[k]]
                if i < (scope.end if scope.end >= 0 else length) and scope.order > highest:
                    highest = scope.order
        return highest

    def derivative_orders(self, nodes: Iterable[int]) -> dict[int, int]:
        """The derivative order of each of ``nodes`` that ``grad`` made (1, 2, ...); the others are absent."""
        if not any(scope.order for scope in self.scopes):
            return {}
        return self.orders_in(self.scope_map(nodes))

    def orders_in(self, of_node: dict[int, int]) -> dict[int, int]:
        """The derivative order of each node of ``of_node`` (node -> innermost scope) in a grad's scope.

        A node's order is its innermost grad scope's: one climb per scope, not per node.
        """
        scopes = self.scopes
        of_scope: dict[int, int] = {}
        found: dict[int, int] = {}
        for i, s in of_node.items():
            order = of_scope.get(s)
            if order is None:
                t = s
                while t >= 0 and not scopes[t].order:
                    t = scopes[t].parent
                order = of_scope[s] = scopes[t].order if t >= 0 else 0
            if order:
                found[i] = order
        return found

    def truncate(self, length: int) -> None:
        """Forget every node from ``length`` on, and the scopes begun there (a statement that failed)."""
        del self.nodes[length:]
        while self.scopes and self.scopes[-1].first >= length:
            self.scopes.pop()
        self._open = [s for s in self._open if s < len(self.scopes)]
        while self._grads and self._grads[-1] >= len(self.scopes):
            self._grads.pop()
            self._grad_firsts.pop()

    def copy(self) -> Graph:
        """A graph that can grow without changing this one: the lists and maps copied, the nodes shared."""
        other = Graph()
        other.nodes = list(self.nodes)
        other.bindings = dict(self.bindings)
        other.namings = self.namings
        other.scopes = list(self.scopes)
        other._grads, other._grad_firsts = list(self._grads), list(self._grad_firsts)
        return other

    def name_node(self, name: str, node: int) -> None:
        """Give an unnamed ``node`` a name without binding it (a function's local name)."""
        target = self.nodes[node]
        if target.name is None:
            target.name = name
            target.version = self.namings
            self.namings += 1

    def __len__(self) -> int:
        return len(self.nodes)

    def add(
        self,
        op: Op,
        args: tuple[int, ...] = (),
        *,
        param: float | None = None,
        text: str | None = None,
        at: Node | None = None,
    ) -> int:
        """A node of ``op`` on ``args``; ``at``, a node (of another graph) it stands for, whose place in the
        program it keeps (expansion's gates, a collapsed graph's nodes)."""
        nodes = self.nodes
        if at is None:
            nodes.append(Node(op, args, param, text))
        else:
            nodes.append(Node(op, args, param, text, at.source, at.start, at.end))
        return len(nodes) - 1

    def constant(self, value: float, text: str, source: Source | None = None, start: int = 0, end: int = 0) -> int:
        """A constant's node, ``text`` as written at ``start:end`` of ``source``."""
        nodes = self.nodes
        nodes.append(Node(CONST, (), value, text, source, start, end))
        return len(nodes) - 1

    def set_input(self, name: str, value: float, source: Source | None = None, start: int = 0, end: int = 0) -> int:
        """Bind ``name`` to an input with ``value``, written at ``start:end`` of ``source``; an existing
        input of that name changes in place."""
        nodes = self.nodes
        node = self.bindings.get(name)
        if node is not None:
            bound = nodes[node]
            if bound.op is INPUT and bound.name == name:
                bound.param = value
                return node
        node = self.bindings[name] = len(nodes)
        nodes.append(Node(INPUT, (), value, None, source, start, end, name, self.namings))
        self.namings += 1
        return node

    def set_inputs(
        self,
        names: Sequence[str],
        values: Sequence[float],
        source: Source | None,
        starts: Sequence[int],
        ends: Sequence[int],
    ) -> int:
        """``set_input`` of each name in turn, with its value and place (a run of input lines): the last node.

        A wide sum's program is half such lines, and their names are new: then the nodes are made by one
        ``map`` and the names bound by one ``update``, in half the time of ``set_input`` line by line (0.12 s,
        not 0.23 s, for 200,000 lines; a sixth of that program's lowering).
        """
        bindings = self.bindings
        nodes = self.nodes
        first, count = len(nodes), len(names)
        new = dict(zip(names, range(first, first + count)))
        if len(new) == count and bindings.keys().isdisjoint(new):
            no_text, namings = repeat(None), range(self.namings, self.namings + count)
            nodes.extend(
                map(Node, repeat(INPUT), repeat(()), values, no_text, repeat(source), starts, ends, names, namings)
            )
            bindings.update(new)
            self.namings += count
            return len(nodes) - 1
        node = -1  # a name bound before, or twice in the run
        for name, value, start, end in zip(names, values, starts, ends, strict=True):
            node = self.set_input(name, value, source, start, end)
        return node

    def bind(self, name: str, node: int) -> int:
        """Give ``node`` the name (unless it already has one: ``b = a`` makes b an alias of a)."""
        self.name_node(name, node)
        self.bindings[name] = node
        return node

    def unbind(self, name: str) -> None:
        self.bindings.pop(name, None)

    def inputs(self, nodes: Iterable[int] | None = None) -> list[int]:
        ids = range(len(self.nodes)) if nodes is None else nodes
        return [i for i in ids if self.nodes[i].op is INPUT]

    def ancestors(self, output: int) -> list[int]:
        """Every node ``output`` depends on, and itself, in topological (id) order.

        A node's arguments are older nodes (a node is made after them), so one sweep from ``output`` down
        to the first node finds them all: each node met that is marked marks its arguments.
        """
        nodes = self.nodes
        seen = bytearray(output + 1)
        seen[output] = 1
        ids: list[int | None] = [None] * (output + 1)  # the ids the nodes' args hold: no new int per node
        ids[output] = output
        for node in compress(reversed(nodes[: output + 1]), reversed(seen)):  # marked before it is met
            for arg in node.args:
                seen[arg] = 1
                ids[arg] = arg
        return list(compress(ids, seen))  # type: ignore[arg-type]
