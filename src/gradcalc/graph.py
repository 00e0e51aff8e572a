"""The computational graph: a flat, append-only list of nodes, each an op applied to earlier nodes.

Node ids are list indices and every node's arguments are older than the node, so the list is always in
topological order: evaluation is a loop forward, backpropagation a loop backward, and no walk recurses.
The graph holds no values beyond those of its leaves (an input's value, a constant); the engine keeps
the values and gradients of an evaluation apart from the graph it evaluated.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import partial
from itertools import compress

from gradcalc.ops import CONST, INPUT, Op
from gradcalc.source import Span


class Node:
    """One operation applied to earlier nodes (or a leaf: an input or a constant).

    A plain slotted class: a 100,000-term program makes several hundred thousand of these.
    """

    __slots__ = ("args", "forward", "local", "name", "op", "param", "span", "text", "version")

    def __init__(
        self,
        op: Op,
        args: tuple[int, ...] = (),
        param: float | None = None,
        *,
        name: str | None = None,
        version: int = 0,
        text: str | None = None,
        span: Span | None = None,
    ) -> None:
        self.op = op
        self.args = args
        self.param = param  # an input's or a constant's value; the constant folded into a gate
        self.name = name  # the name the user bound to this node, if any
        # How many nodes the name was given to before this one: the labels tell apart the versions of a
        # name shown together (c, c') by this order, which expansion, unlike node ids, keeps.
        self.version = version
        self.text = text  # a constant's source text: "2", "pi", "2*pi"
        self.span = span
        # The rules the engine calls, with a folded constant bound once so its loops stay uniform.
        self.forward: Callable[..., float]
        self.local: Callable[..., tuple[float, ...]]
        if op.parametric:
            self.forward, self.local = _bound_rules(op, param)  # type: ignore[arg-type]  # a gate's constant
        else:
            self.forward, self.local = op.forward, op.local

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


class Graph:
    """Nodes, plus the names a program or a REPL session has bound to them."""

    def __init__(self) -> None:
        self.nodes: list[Node] = []
        self.bindings: dict[str, int] = {}  # name -> the node it is bound to now
        self._times_bound: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self.nodes)

    def add(
        self,
        op: Op,
        args: tuple[int, ...] = (),
        *,
        param: float | None = None,
        text: str | None = None,
        span: Span | None = None,
    ) -> int:
        nodes = self.nodes
        nodes.append(Node(op, args, param, text=text, span=span))
        return len(nodes) - 1

    def constant(self, value: float, text: str, span: Span | None = None) -> int:
        return self.add(CONST, param=value, text=text, span=span)

    def set_input(self, name: str, value: float, span: Span | None = None) -> int:
        """Bind ``name`` to an input with ``value``; an existing input of that name changes in place."""
        node = self.bindings.get(name)
        if node is not None and self.nodes[node].op is INPUT and self.nodes[node].name == name:
            self.nodes[node].param = value
            return node
        return self.bind(name, self.add(INPUT, param=value, span=span))

    def bind(self, name: str, node: int) -> int:
        """Give ``node`` the name (unless it already has one: ``b = a`` makes b an alias of a)."""
        target = self.nodes[node]
        if target.name is None:
            count = self._times_bound.get(name, 0)
            self._times_bound[name] = count + 1
            target.name = name
            target.version = count
        self.bindings[name] = node
        return node

    def unbind(self, name: str) -> None:
        self.bindings.pop(name, None)

    def inputs(self, nodes: Iterable[int] | None = None) -> list[int]:
        ids = range(len(self.nodes)) if nodes is None else nodes
        return [i for i in ids if self.nodes[i].op is INPUT]

    def ancestors(self, output: int) -> list[int]:
        """Every node ``output`` depends on, and itself, in topological (id) order."""
        nodes = self.nodes
        seen = bytearray(len(nodes))
        seen[output] = 1
        stack = [output]
        while stack:
            for arg in nodes[stack.pop()].args:
                if not seen[arg]:
                    seen[arg] = 1
                    stack.append(arg)
        return list(compress(range(output + 1), seen))
